"""Grading by hand in the formgrader, offline, through ``make formgrade``.

A throwaway course (the repository's Makefile, ``grading.mk`` and ``nbgrader_config.py``,
one assignment) goes through ``make release``, ``make collect`` and ``make autograde`` with a
small class: an honest student whose written answers hold math, and a student whose file is
not a notebook (``invalid notebook``: not autograded). ``make formgrade`` then serves the
formgrader on 127.0.0.1 and headless Chromium, with every request to another host aborted
and counted, checks that:

* the grading view of the honest submission typesets its math with the local MathJax (no
  raw ``$...$`` left) and shows the rubric of each written answer right after it;
* a manual score typed into the view lands in the gradebook (read back with nbgrader's API);
* the failed submission is in the formgrader, flagged, says why it was not autograded, and
  can be scored by hand the same way;
* no page asked for anything outside 127.0.0.1;
* ``make feedback`` afterwards shows no rubric to any student, and ``autograded/`` holds none.

Screenshots (desktop width) are written to ``$TMPDIR/mlcourse-formgrader-screenshots``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
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

from ..chromium import launched

pytestmark = [pytest.mark.grading, pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
VENV = Path(sys.prefix)
A = "a1_information"
TOKEN = "formgrader-test-7c41"
SCREENSHOTS = Path(tempfile.gettempdir()) / "mlcourse-formgrader-screenshots"
# A written answer with inline and display math, as a student would write it.
MATH_ANSWER = (
    "Yes: with $P = (1 - y, y)$ the sum $-\\sum_k p_k \\log q_k$ is the BCE, and\n\n"
    "$$H(P, Q) = H(P) + D_{KL}(P \\| Q) \\ge H(P).$$"
)


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _unmarked(source: str) -> str:
    return re.sub(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", "", source, flags=re.M)


def _make(root: Path, *args: str, timeout: float = 1500) -> subprocess.CompletedProcess:
    cmd = ["make", "-C", str(root), f"VENV={VENV}", "-o", str(VENV / ".installed"), *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"make {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rubric_phrases(source_nb) -> list[str]:
    """Phrases of every rubric paragraph of the source notebook (instructors only): the
    runs of plain text between markup, so that they show in HTML as in markdown."""
    phrases = []
    for cell in source_nb.cells:
        for region in re.findall(r"\*\*Rubric(.*?)### END SOLUTION", cell.source, re.S):
            for piece in re.split(r"[*$\\`_{}^&<>\"'\n]", region):
                if len(piece.strip()) > 20:
                    phrases.append(piece.strip())
    return phrases


@pytest.fixture(scope="module")
def course():
    root = Path(tempfile.mkdtemp(prefix="mlgrade-formgrader-"))
    downloads = root.parent / f"{root.name}-downloads"
    try:
        yield _graded_course(root, downloads)
    finally:
        if os.environ.get("MLCOURSE_GRADING_KEEP") != "1":
            shutil.rmtree(root, ignore_errors=True)
            shutil.rmtree(downloads, ignore_errors=True)
            shutil.rmtree(root.parent / f"{root.name}-jupyter", ignore_errors=True)
            (root.parent / f"{root.name}-jupyter.log").unlink(missing_ok=True)


def _graded_course(root: Path, downloads: Path) -> dict:
    for path in [REPO / "Makefile", REPO / "nbgrader_config.py", *REPO.glob("*.mk")]:
        shutil.copy(path, root / path.name)
    shutil.copytree(REPO / "solutions" / A, root / "solutions" / A)
    _make(root, "release")
    source = nbformat.read(str(root / "solutions" / A / f"{A}.ipynb"), as_version=4)
    released = nbformat.read(str(root / "exercises" / A / f"{A}.ipynb"), as_version=4)
    answers = {_meta(c)["grade_id"]: c.source for c in source.cells if _meta(c).get("solution")}
    written = [
        _meta(c)["grade_id"]
        for c in source.cells
        if c.cell_type == "markdown" and _meta(c).get("solution") and _meta(c).get("grade")
    ]
    assert written, f"{A} has no written answer to grade by hand"
    honest = nbformat.from_dict(released)
    for cell in honest.cells:
        grade_id = _meta(cell).get("grade_id")
        if grade_id in answers:
            code = cell.cell_type == "code"
            cell.source = _unmarked(answers[grade_id]) if code else MATH_ANSWER
    downloads.mkdir()
    nbformat.write(honest, str(downloads / "honest.ipynb"))
    (downloads / "broken.ipynb").write_text('{"cells": [ "half a notebook', encoding="utf-8")
    _make(root, "collect", f"ASSIGNMENT={A}", f"FROM={downloads}")
    _make(root, "autograde")
    return {"root": root, "source": source, "written": written}


class Formgrader:
    """``make formgrade`` in the course, on a free port, stopped with its process group."""

    def __init__(self, root: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "JUPYTER_TOKEN": TOKEN}
        state = root.parent / f"{root.name}-jupyter"
        env["JUPYTER_CONFIG_DIR"] = str(state / "config")
        env["JUPYTER_DATA_DIR"] = str(state / "data")
        env["JUPYTER_RUNTIME_DIR"] = str(state / "runtime")
        self.log = open(state.with_suffix(".log"), "w+", encoding="utf-8")  # noqa: SIM115
        cmd = ["make", "-C", str(root), f"VENV={VENV}", "-o", str(VENV / ".installed")]
        self.process = subprocess.Popen(
            [*cmd, "formgrade", f"FORMGRADE_PORT={self.port}"],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"make formgrade exited:\n{self.text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status?token={TOKEN}", timeout=2):
                    return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"the formgrader did not start in 120 s:\n{self.text()}")

    def text(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(encoding="utf-8")

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=20)
        self.log.close()


@pytest.fixture(scope="module")
def formgrader(course):
    server = Formgrader(course["root"])
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser():
    with launched() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def page(browser, formgrader):
    """One browser page for the module; every request to another host is aborted and kept."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    tab = context.new_page()
    tab.blocked, tab.errors = [], []
    tab.requested = []

    def route(r):
        tab.requested.append(r.request.url)
        if urlsplit(r.request.url).hostname != "127.0.0.1":
            tab.blocked.append(r.request.url)
            r.abort()
        else:
            r.continue_()

    context.route("**/*", route)
    tab.on("pageerror", lambda exc: tab.errors.append(str(exc)))
    tab.goto(f"{formgrader.url}/formgrader?token={TOKEN}")
    tab.wait_for_load_state("networkidle")
    # The list an instructor opens submissions from.
    tab.goto(f"{formgrader.url}/formgrader/gradebook/{A}/{A}")
    tab.wait_for_selector("a[href*='/formgrader/submissions/']", state="attached")
    tab.wait_for_load_state("networkidle")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / "submissions.png"))
    try:
        yield tab
    finally:
        context.close()


def _only(source_nb, grade_id: str):
    """The source notebook with the cell ``grade_id`` only."""
    nb = nbformat.from_dict(source_nb)
    nb.cells = [c for c in nb.cells if _meta(c).get("grade_id") == grade_id]
    return nb


def _gradebook(root: Path):
    from nbgrader.api import Gradebook

    return Gradebook(f"sqlite:///{root / 'gradebook.db'}", "mlcourse")


def _submission_id(root: Path, student: str) -> str:
    with _gradebook(root) as gb:
        return gb.find_submission_notebook(A, A, student).id


def _grade(root: Path, student: str, grade_id: str):
    with _gradebook(root) as gb:
        grade = gb.find_grade(grade_id, A, A, student)
        return grade.manual_score, grade.auto_score, grade.needs_manual_grade


def _open_submission(page, formgrader, root: Path, student: str, name: str) -> None:
    page.goto(f"{formgrader.url}/formgrader/submissions/{_submission_id(root, student)}/")
    page.wait_for_function("() => window.mlgradeMath && window.mlgradeMath.done", timeout=60_000)
    page.wait_for_load_state("networkidle")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


def _enter_score(page, root: Path, student: str, grade_id: str, value: str) -> None:
    box = page.locator(f"input.score#{grade_id}")
    box.fill(value)
    box.press("Tab")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _grade(root, student, grade_id)[0] != float(value):
        time.sleep(0.3)


def test_make_formgrade_prints_the_url_with_its_token(formgrader):
    assert f"http://127.0.0.1:{formgrader.port}/formgrader?token={TOKEN}" in formgrader.text()


def test_written_answer_shows_typeset_math_and_its_rubric(page, formgrader, course):
    root, grade_id = course["root"], course["written"][0]
    _open_submission(page, formgrader, root, "honest", "honest-submission")
    answer = page.locator(f".nbgrader_cell:has(input.score#{grade_id})")
    assert answer.count() == 1
    assert answer.locator("mjx-container").count() >= 2, "the answer's math is not typeset"
    for text in page.locator(".rendered_html").all_inner_texts():
        assert re.search(r"\$[^$\s][^$]*\$", text) is None, f"raw TeX left: {text[:200]}"
    # The rubric panel comes right after the answer's cell, with the rubric of this answer.
    rubric = page.locator(f".mlgrade-rubric[data-grade-id='{grade_id}']")
    assert rubric.count() == 1 and rubric.is_visible()
    first = _rubric_phrases(_only(course["source"], grade_id))[0]
    assert " ".join(first.split()) in " ".join(rubric.inner_text().split()), first
    following = page.evaluate(
        """(id) => {
          const answer = document.getElementById(id).closest('.cell');
          const next = answer.nextElementSibling;
          return next ? next.querySelector('.mlgrade-rubric')?.dataset.gradeId : null;
        }""",
        grade_id,
    )
    assert following == grade_id
    for written in course["written"]:
        assert page.locator(f".mlgrade-rubric[data-grade-id='{written}']").count() == 1
    assert rubric.locator("mjx-container").count() >= 1, "the rubric's math is not typeset"
    rubric.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "honest-rubric.png"))
    assert page.errors == [], page.errors


def test_manual_score_lands_in_the_gradebook(page, formgrader, course):
    root, grade_id = course["root"], course["written"][0]
    _open_submission(page, formgrader, root, "honest", "honest-before-score")
    assert _grade(root, "honest", grade_id)[0] is None
    _enter_score(page, root, "honest", grade_id, "1.5")
    manual, _, needs_manual = _grade(root, "honest", grade_id)
    assert manual == 1.5 and not needs_manual


def test_failed_submission_can_be_graded_by_hand(page, formgrader, course):
    root = course["root"]
    report = (root / "grading_report.csv").read_text(encoding="utf-8")
    assert re.search(r"^broken,.*,invalid notebook,", report, re.M), report
    assert "ready to be graded by hand" in formgrader.text()
    _open_submission(page, formgrader, root, "broken", "failed-submission")
    body = page.locator("body").inner_text()
    assert "Not autograded" in body and "invalid notebook" in body
    assert "half a notebook" in body  # the file's text, shown as text
    with _gradebook(root) as gb:
        assert gb.find_submission_notebook(A, A, "broken").flagged
    grade_id = course["written"][0]
    assert page.locator(f".mlgrade-rubric[data-grade-id='{grade_id}']").count() == 1
    _enter_score(page, root, "broken", grade_id, "1")
    assert _grade(root, "broken", grade_id)[0] == 1.0
    test_cell = next(
        _meta(c)["grade_id"]
        for c in course["source"].cells
        if _meta(c).get("grade") and not _meta(c).get("solution")
    )
    _enter_score(page, root, "broken", test_cell, "1")
    assert _grade(root, "broken", test_cell)[0] == 1.0
    assert page.errors == [], page.errors


def test_nothing_left_127_0_0_1(page):
    assert page.requested, "the browser made no request at all"
    assert page.blocked == [], f"requests to other hosts: {page.blocked}"
    mathjax = [u for u in page.requested if "/static/mathjax/" in u]
    assert mathjax, "MathJax was not loaded from the formgrader's server"


def test_rubrics_never_reach_autograded_notebooks_or_feedback(course, formgrader):
    root = course["root"]
    _make(root, "feedback")
    lines = _rubric_phrases(course["source"])
    assert len(lines) > 5
    pages = list((root / "feedback").rglob("*.html"))
    assert {p.parts[-3] for p in pages} == {"honest", "broken"}
    for path in pages + list((root / "autograded").rglob("*.ipynb")):
        text = path.read_text(encoding="utf-8")
        assert "mlgrade-rubric" not in text and '"rubric"' not in text, path
        for line in lines:
            assert line not in text, f"{path}: {line}"


def test_a_new_file_is_autograded_over_the_manual_notebook(course, formgrader):
    """The documented way out: the student sends a notebook, ``make autograde STUDENT=``."""
    root = course["root"]
    released = nbformat.read(str(root / "exercises" / A / f"{A}.ipynb"), as_version=4)
    nbformat.write(released, str(root / "submitted" / "broken" / A / f"{A}.ipynb"))
    _make(root, "autograde", "STUDENT=broken")
    graded = nbformat.read(str(root / "autograded" / "broken" / A / f"{A}.ipynb"), as_version=4)
    assert not any("Not autograded" in c.source for c in graded.cells)
    report = (root / "grading_report.csv").read_text(encoding="utf-8")
    assert re.search(rf"^broken,{A},{A},graded,", report, re.M), report
