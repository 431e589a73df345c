"""JupyterLab as a student sees it: a real server on 127.0.0.1, driven in headless Chromium.

The server runs with the student configuration of the repository (``student/jupyter``, the
one ``make lab`` uses) in a throwaway folder holding copies of a lesson and an exercise, so
that nothing the browser does (Lab marks a MyST notebook as changed and autosaves) can touch
the repository. The tests

* open the lesson, run all its cells and check that its MyST renders as in the book
  (admonitions, no raw directives, roles or labels, typeset math) and that no cell failed;
* check that every number the lesson quotes (an ``{eval}`` inline expression, which the
  book evaluates too) shows its value once the cells above it have run;
* open the exercise, run it, press *Validate* and read the dialog: the released notebook
  fails (naming the failed cells), a correct attempt succeeds;
* check that only the student side of nbgrader is there: Validate, but no Formgrader,
  Create Assignment, Course List, and the Assignment List only with an exchange, where it
  lists the course's released assignment and fetches it.

Every request to another host is blocked and counted as a failure (the Lab works offline).
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest

from ..book.book_helpers import quoted_expressions
from ..chromium import launched

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LESSON = "ch09_pytorch"
EXERCISE = "a7_pytorch"
TOKEN = "student-test"
SCREENSHOTS = Path(tempfile.gettempdir()) / "mlcourse-lab-screenshots"
STAFF_COMMANDS = ("nbgrader:open-formgrader", "nbgrader:open-create-assignment")
STAFF_PLUGINS = (
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:course-list",
)


_WORKSPACES = itertools.count()


def _meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A JupyterLab server in its own folder, with one of the repository's config dirs."""

    def __init__(self, root: Path, config: str, env: dict | None = None):
        self.root = root
        self.port = _free_port()
        state = root.parent / f"lab-state-{self.port}"
        environ = {**os.environ, **(env or {})}
        # A student's Lab draws inline figures: a non-interactive backend chosen for the
        # test process (MPLBACKEND=Agg) must not reach its kernels.
        environ.pop("MPLBACKEND", None)
        environ["JUPYTER_CONFIG_DIR"] = str(REPO / "student" / config)
        environ["JUPYTER_DATA_DIR"] = str(state / "data")
        environ["JUPYTER_RUNTIME_DIR"] = str(state / "runtime")
        environ["PATH"] = str(BIN) + os.pathsep + environ.get("PATH", "")
        self.log = open(state.with_suffix(".log"), "w+", encoding="utf-8")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                str(BIN / "jupyter-lab"),
                "--no-browser",
                "--allow-root",
                "--ip=127.0.0.1",
                f"--port={self.port}",
                f"--IdentityProvider.token={TOKEN}",
                f"--ServerApp.root_dir={root}",
                f"--LabApp.user_settings_dir={state / 'settings'}",
                f"--LabApp.workspaces_dir={state / 'workspaces'}",
                f"--LabApp.app_settings_dir={REPO / 'student' / 'lab-settings'}",
                "--LabApp.expose_app_in_browser=True",
                "--LabApp.news_url=",
                "--ServerApp.disable_check_xsrf=False",
            ],
            cwd=root,
            env=environ,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited:\n{self.text_log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status?token={TOKEN}", timeout=2):
                    return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"JupyterLab did not start in 90 s:\n{self.text_log()}")

    def text_log(self, tail: int = 4000) -> str:
        self.log.flush()
        text = Path(self.log.name).read_text(encoding="utf-8")
        return text[-tail:] if tail else text

    def api(self, path: str) -> object:
        sep = "&" if "?" in path else "?"
        with urllib.request.urlopen(f"{self.url}{path}{sep}token={TOKEN}", timeout=30) as r:
            return json.loads(r.read().decode())

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture(scope="module")
def workdir():
    root = Path(tempfile.mkdtemp(prefix="mlcourse-lab-"))
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def student_root(workdir):
    """The folder a student opens: a lesson, an exercise, an attempt at it."""
    root = workdir / "course"
    (root / "lessons").mkdir(parents=True)
    (root / "exercises").mkdir()
    shutil.copy(REPO / "lessons" / f"{LESSON}.ipynb", root / "lessons")
    lesson = nbformat.read(str(REPO / "lessons" / f"{LESSON}.ipynb"), as_version=4)
    expressions = [
        e for c in lesson.cells if c.cell_type == "markdown" for e in quoted_expressions(c.source)
    ]
    shutil.copytree(REPO / "exercises" / EXERCISE, root / "exercises" / EXERCISE)
    released = nbformat.read(
        str(REPO / "exercises" / EXERCISE / f"{EXERCISE}.ipynb"), as_version=4
    )
    source = nbformat.read(str(REPO / "solutions" / EXERCISE / f"{EXERCISE}.ipynb"), as_version=4)
    answers = {_meta(c)["grade_id"]: c.source for c in source.cells if _meta(c).get("solution")}
    attempt = copy.deepcopy(released)
    for cell in attempt.cells:
        if _meta(cell).get("solution"):
            cell.source = answers[_meta(cell)["grade_id"]]
    (root / "attempt").mkdir()
    nbformat.write(attempt, str(root / "attempt" / f"{EXERCISE}.ipynb"))
    return root, expressions


@pytest.fixture(scope="module")
def lab(student_root):
    root, _ = student_root
    server = Lab(root, "jupyter")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser():
    with launched() as chromium:
        yield chromium


class Page:
    """A browser page on the Lab that blocks and records requests to other hosts."""

    def __init__(self, browser, lab: Lab):
        self.lab = lab
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.page.route("**/*", self._route)
        self.page.on("pageerror", lambda exc: self.errors.append(f"{exc}\n{exc.stack}"))

    def _route(self, route):
        if urlsplit(route.request.url).hostname not in ("127.0.0.1", None):
            self.blocked.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    def open(self, path: str) -> None:
        """Open one notebook, alone, in a fresh workspace (no tab of an earlier test)."""
        workspace = f"test{next(_WORKSPACES)}"
        self.page.goto(
            f"{self.lab.url}/lab/workspaces/{workspace}/tree/{path}?reset&token={TOKEN}"
        )
        self.page.wait_for_function("() => window.jupyterapp !== undefined", timeout=60_000)
        self.page.wait_for_function(
            "() => document.querySelectorAll('.jp-NotebookPanel').length === 1", timeout=60_000
        )
        self.page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000, state="attached")
        self.rendered()
        self.idle()

    def rendered(self, timeout: float = 60_000) -> None:
        """Wait until jupyterlab-myst has rendered every markdown cell."""
        self.page.wait_for_function(
            """() => {
              const cells = Array.from(document.querySelectorAll('.jp-MarkdownCell'));
              return cells.length > 0 && cells.every((c) => {
                const m = c.querySelector('.myst');
                return m && m.children.length > 0;
              });
            }""",
            timeout=timeout,
        )

    def idle(self, timeout: float = 120_000) -> None:
        self.page.wait_for_function(
            """() => {
              const w = window.jupyterapp.shell.currentWidget;
              const s = w && w.sessionContext;
              return !!(s && s.session && s.session.kernel && !s.pendingInput
                        && s.session.kernel.status === 'idle');
            }""",
            timeout=timeout,
        )

    def command(self, name: str, args: dict | None = None) -> None:
        self.page.evaluate(
            "([n, a]) => window.jupyterapp.commands.execute(n, a)", [name, args or {}]
        )

    def run_all(self, timeout: float = 180_000) -> None:
        """Run All, and wait until no cell is queued or running and the kernel is idle.

        Run All stops at the first cell that raises (a released exercise), so the cells
        after it never get a number: waiting for every cell to have run would never end.
        """
        self.command("notebook:run-all-cells")
        self.page.wait_for_function(
            """() => {
              const cells = document.querySelectorAll('.jp-Notebook .jp-CodeCell');
              const prompts = Array.from(cells, (c) =>
                  (c.querySelector('.jp-InputPrompt') || {}).textContent || '');
              return prompts.length > 0 && prompts.every((p) => !p.includes('*'))
                     && prompts.some((p) => /\\d/.test(p));
            }""",
            timeout=timeout,
        )
        self.idle(timeout)

    def has_command(self, name: str) -> bool:
        return self.page.evaluate("(n) => window.jupyterapp.commands.hasCommand(n)", name)

    def markdown_text(self) -> str:
        return "\n".join(self.page.locator(".jp-MarkdownCell .myst").all_text_contents())

    def error_outputs(self) -> list[str]:
        return self.page.locator(
            ".jp-OutputArea-output[data-mime-type*='error']"
        ).all_text_contents()

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))

    def close(self) -> None:
        assert not self.blocked, f"requests to other hosts: {self.blocked[:5]}"
        self.page.close()


def _validate(page: Page) -> str:
    """Press the Validate button of the notebook toolbar; the text of the result dialog."""
    page.page.locator(".jp-NotebookPanel-toolbar").get_by_text("Validate", exact=True).click()
    dialog = page.page.locator(".jp-Dialog").filter(has_text="Validat")
    dialog.wait_for(timeout=120_000)
    page.page.wait_for_function(
        """() => {
          const d = document.querySelector('.jp-Dialog');
          return d && /passes|fail|FAIL|does not pass|error/i.test(d.innerText);
        }""",
        timeout=120_000,
    )
    text = dialog.inner_text()
    page.screenshot(f"validate-{len(text)}")
    page.page.keyboard.press("Escape")
    return text


# --------------------------------------------------------------------------- the lesson
def test_lesson_renders_its_myst_runs_and_shows_the_numbers_it_quotes(lab, browser, student_root):
    _, expressions = student_root
    assert expressions, f"{LESSON} quotes no numbers: choose a lesson that does"
    page = Page(browser, lab)
    page.open(f"lessons/{LESSON}.ipynb")
    text = page.markdown_text()
    for raw in ("```{", "{admonition}", ":class:", f"({LESSON[:4]}-", "{glue", "{eval}"):
        assert raw not in text, f"raw MyST {raw!r} in the rendered lesson"
    assert page.page.locator(".jp-MarkdownCell .myst-admonition").count() >= 1, "no admonition"
    assert page.page.locator(".jp-MarkdownCell .myst .katex").count() >= 1, "no typeset math"
    page.run_all()
    assert not page.error_outputs(), page.error_outputs()[:1]
    # Outputs are rendered after the kernel has sent them: on a busy machine the figure's
    # <img> can appear a moment after the kernel is idle.
    figure = page.page.locator(".jp-OutputArea-output img").first
    try:
        figure.wait_for(state="attached", timeout=180_000)
    except Exception as exc:
        raise AssertionError("no figure after Run All") from exc
    # jupyterlab-myst evaluates a cell's {eval} expressions once the cells above it have
    # run, and shows their values where the book shows them.
    with contextlib.suppress(Exception):
        page.page.wait_for_function(
            """(exprs) => {
              const cells = document.querySelectorAll('.jp-MarkdownCell .myst');
              const text = Array.from(cells, (c) => c.textContent).join('\\n');
              return exprs.every((e) => !text.includes(e));
            }""",
            arg=expressions,
            timeout=90_000,
        )
    text = page.markdown_text()
    left = [e for e in expressions if e in text]
    assert not left, f"inline expressions not evaluated in Lab: {left[:5]}"
    assert "{eval}" not in text and "{glue" not in text
    page.screenshot("lesson")
    # Errors thrown by an extension (jupyterlab-myst, nbgrader) fail the test; an error
    # inside JupyterLab's own bundle (jlab_core) is reported but not ours to fix.
    ours = [e for e in page.errors if "labextensions" in e]
    assert not ours, ours[:3]
    for error in page.errors:
        print("JupyterLab page error (core):", error.splitlines()[0])
    page.close()


# --------------------------------------------------------------------------- the exercise
def test_released_exercise_fails_validate_with_the_cells_named(lab, browser):
    page = Page(browser, lab)
    page.open(f"exercises/{EXERCISE}/{EXERCISE}.ipynb")
    page.run_all()
    text = _validate(page)
    assert "The following cell failed" in text, text[:500]
    assert "NotImplementedError" in text, text[:500]
    page.close()


def test_correct_attempt_passes_validate(lab, browser):
    page = Page(browser, lab)
    page.open(f"attempt/{EXERCISE}.ipynb")
    page.run_all()
    assert not page.error_outputs(), page.error_outputs()[:1]
    outputs = "\n".join(page.page.locator(".jp-OutputArea-output").all_text_contents())
    assert "TwoLayerNet forward: ok" in outputs and "mini-batch training" in outputs
    text = _validate(page)
    assert "Success! Your notebook passes all the tests." in text, text[:500]
    page.close()


# --------------------------------------------------------------------------- extensions
def test_only_the_student_side_of_nbgrader(lab, browser):
    page = Page(browser, lab)
    page.open(f"exercises/{EXERCISE}/{EXERCISE}.ipynb")
    assert (
        page.has_command("nbgrader:validate")
        or page.page.get_by_text("Validate", exact=True).count()
    )
    for command in (*STAFF_COMMANDS, "nbgrader:open-course-list", "nbgrader:open-assignment-list"):
        assert not page.has_command(command), f"{command} is offered to students"
    config = json.loads(page.page.locator("#jupyter-config-data").inner_text())
    disabled = config.get("disabledExtensions", [])
    for plugin in (*STAFF_PLUGINS, "@jupyter/nbgrader:assignment-list"):
        assert plugin in disabled, f"{plugin} is not disabled"
    page.page.get_by_text("Nbgrader", exact=True).first.click()
    menu = page.page.locator(".lm-Menu").last.inner_text()
    for label in ("Formgrader", "Create Assignment", "Course List", "Assignment List"):
        assert label not in menu, f"the Nbgrader menu offers {label!r}"
    page.page.keyboard.press("Escape")
    page.close()
    log = lab.text_log(tail=0)
    assert "formgrader | extension was successfully loaded" not in log
    assert "validate_assignment | extension was successfully loaded" in log


@pytest.fixture(scope="module")
def exchange_lab(workdir):
    """A Lab with an exchange holding a7 as the instructor released it."""
    course = workdir / "instructor"
    exchange = workdir / "exchange"
    exchange.mkdir()
    (course / "solutions").mkdir(parents=True)
    shutil.copytree(REPO / "solutions" / EXERCISE, course / "solutions" / EXERCISE)
    shutil.copy(REPO / "nbgrader_config.py", course)
    env = {**os.environ, "PATH": str(BIN) + os.pathsep + os.environ.get("PATH", "")}
    for args in (
        ["generate_assignment", EXERCISE, "--force"],
        ["release_assignment", EXERCISE, f"--Exchange.root={exchange}", "--force"],
    ):
        done = subprocess.run(
            [str(BIN / "nbgrader"), *args], cwd=course, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr
    home = workdir / "student-home"
    home.mkdir()
    server = Lab(home, "jupyter-exchange", env={"MLCOURSE_EXCHANGE": str(exchange)})
    try:
        yield server, home, exchange
    finally:
        server.stop()


def test_assignment_list_with_an_exchange_lists_and_fetches(exchange_lab, browser):
    lab, home, exchange = exchange_lab
    page = Page(browser, lab)
    page.page.goto(f"{lab.url}/lab?token={TOKEN}")
    page.page.wait_for_function("() => window.jupyterapp !== undefined", timeout=60_000)
    for command in STAFF_COMMANDS:
        assert not page.has_command(command), f"{command} is offered to students"
    page.page.wait_for_function(
        "() => window.jupyterapp.commands.hasCommand('nbgrader:open-assignment-list')",
        timeout=30_000,
    )
    page.command("nbgrader:open-assignment-list")
    released = page.page.locator("#released_assignments_list")
    released.get_by_text(EXERCISE).wait_for(timeout=60_000)
    text = page.page.locator(".jp-MainAreaWidget, #assignment-list").last.inner_text()
    assert "Error" not in text and "does not exist" not in text, text[:500]
    released.get_by_role("button", name="Fetch").click()
    fetched = page.page.locator("#fetched_assignments_list")
    fetched.get_by_text(EXERCISE).first.wait_for(timeout=60_000)
    assert (home / EXERCISE / f"{EXERCISE}.ipynb").exists(), "fetch did not bring the notebook"
    fetched.get_by_role("button", name="Submit").click()
    submitted = page.page.locator("#submitted_assignments_list")
    submitted.get_by_text(EXERCISE).first.wait_for(timeout=60_000)
    page.screenshot("assignment-list")
    inbound = list((exchange / "mlcourse" / "inbound").iterdir())
    assert [p.name for p in inbound if f"+{EXERCISE}+" in p.name], inbound
    page.close()
