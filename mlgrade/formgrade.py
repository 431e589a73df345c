"""Grading by hand, offline: nbgrader's formgrader on 127.0.0.1 (``make formgrade``).

``python -m mlgrade.formgrade`` starts a Jupyter server of the course's environment, in the
course directory, with nbgrader's formgrader as its only extension, loaded through this
module (a Jupyter server extension) so that the grading view changes in three ways:

* **MathJax is local.** nbgrader's grading template loads MathJax 2 from a CDN whatever the
  configuration says; here the view is rendered by :class:`OfflineFormgradeExporter`, whose
  template (``templates/formgrade_offline.html.j2``) loads MathJax 3 from the same server:
  the copy that ``sphinx-mathjax-offline`` (pinned in ``pyproject.toml`` for the book)
  installs, served as ``/static/mathjax/``. Nothing is fetched from another host.
* **The rubric shows next to each written answer.** :class:`ShowRubrics` reads the answer's
  solution region in ``solutions/`` (the model answer and its ``**Rubric ...**`` paragraph)
  when the page is rendered and shows it in a panel right after the student's answer. It is
  never written into ``autograded/``, so ``make feedback`` (which reads only that folder,
  with its own exporter) cannot show it to a student.
* **Every submission can be graded.** Before the server starts, the submissions that the
  grading report lists as not autograded get a notebook for grading by hand
  (:mod:`mlgrade.manual`).

Other exporters (``make feedback``, the formgrader's own feedback button) are not changed:
the formgrader's exporter is replaced by a subclass, not configured through
``HTMLExporter``.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import socket
import sys
from importlib import metadata
from pathlib import Path

from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import Preprocessor

from .notebooks import nbgrader_meta, read_notebook

__all__ = ["OfflineFormgradeExporter", "ShowRubrics", "main", "mathjax_folder", "rubrics_of"]

TEMPLATE = Path(__file__).resolve().parent / "templates" / "formgrade_offline.html.j2"
MATHJAX_URL = "static/mathjax/tex-chtml.js"  # below the server's base URL
NBGRADER_FORMGRADER = "nbgrader.server_extensions.formgrader"
SOLUTION = re.compile(
    r"^[ \t]*### BEGIN SOLUTION[ \t]*\n(.*?)^[ \t]*### END SOLUTION", re.S | re.M
)
RUBRIC = re.compile(r"^\*\*Rubric\b", re.M)


def mathjax_folder() -> Path:
    """The folder holding ``mathjax/tex-chtml.js`` (MathJax 3 of sphinx-mathjax-offline)."""
    try:
        dist = metadata.distribution("sphinx-mathjax-offline")
    except metadata.PackageNotFoundError:
        raise SystemExit(
            "sphinx-mathjax-offline is not installed: run `make install` (it ships the MathJax "
            "the formgrader uses offline)"
        ) from None
    folder = Path(dist.locate_file("sphinx-mathjax-offline/static"))
    if not (folder / "mathjax" / "tex-chtml.js").is_file():
        raise SystemExit(f"no MathJax in {folder}: reinstall sphinx-mathjax-offline")
    return folder


def rubrics_of(source_nb) -> dict[str, str]:
    """Markdown of the rubric panel of each manually graded answer, by grade id.

    The panel holds the answer's solution region: its ``**Rubric ...**`` paragraph first,
    then the model answer (code answers as a code block).
    """
    found = {}
    for cell in source_nb.cells:
        meta = nbgrader_meta(cell)
        if not (meta.get("solution") and meta.get("grade") and meta.get("grade_id")):
            continue
        regions = SOLUTION.findall(cell.source)
        text = "\n".join(regions).strip() if regions else cell.source.strip()
        if cell.cell_type == "code":
            rubric, model = "", f"```python\n{text}\n```"
        else:
            match = RUBRIC.search(text)
            rubric = text[match.start() :].strip() if match else ""
            model = text[: match.start()].strip() if match else text
        parts = [rubric or "*No rubric paragraph in the solution: the model answer only.*"]
        if model:
            parts += ["---", "*Model answer:*", model]
        found[meta["grade_id"]] = "\n\n".join(parts)
    return found


class ShowRubrics(Preprocessor):
    """Insert, after each written answer of a submission, a cell with its rubric.

    ``coursedir`` (an nbgrader ``CourseDirectory``, or a callable giving it) locates
    ``solutions/<assignment>/<notebook>.ipynb``; the assignment and notebook come from the
    formgrader's resources. The inserted cells carry ``metadata.mlgrade.rubric`` (the
    grade id), which the template shows as a rubric panel; the same key in a submission's
    own cells is removed first, so a student cannot make a cell look like a rubric.
    """

    def __init__(self, coursedir=None, **kwargs):
        super().__init__(**kwargs)
        self.coursedir = coursedir
        self._cache: dict[Path, tuple[float, dict[str, str]]] = {}

    def _rubrics(self, assignment: str, notebook: str) -> dict[str, str]:
        coursedir = self.coursedir() if callable(self.coursedir) else self.coursedir
        if coursedir is None or not assignment or not notebook:
            return {}
        folder = coursedir.format_path(coursedir.source_directory, ".", assignment)
        path = Path(folder) / f"{notebook}.ipynb"
        try:
            stamp = path.stat().st_mtime
        except OSError:
            self.log.warning("no source notebook %s: no rubrics shown", path)
            return {}
        cached = self._cache.get(path)
        if cached is None or cached[0] != stamp:
            nb, why = read_notebook(path)
            cached = (stamp, rubrics_of(nb) if nb is not None else {})
            if nb is None:
                self.log.warning("source notebook %s is %s: no rubrics shown", path, why)
            self._cache[path] = cached
        return cached[1]

    def preprocess(self, nb, resources):
        import nbformat

        rubrics = self._rubrics(resources.get("assignment_id"), resources.get("notebook_id"))
        cells = []
        for cell in nb.cells:
            cell.metadata.pop("mlgrade", None)
            cells.append(cell)
            grade_id = nbgrader_meta(cell).get("grade_id")
            if grade_id in rubrics and nbgrader_meta(cell).get("solution"):
                rubric = nbformat.v4.new_markdown_cell(rubrics[grade_id])
                rubric.metadata["mlgrade"] = {"rubric": grade_id}
                cells.append(rubric)
        nb.cells = cells
        return nb, resources


class OfflineFormgradeExporter(HTMLExporter):
    """The formgrader's HTML exporter: nbgrader's grading template with local MathJax and
    the rubric panels (a subclass, so that configuring it changes no other exporter)."""

    def __init__(self, coursedir=None, **kwargs):
        from jinja2 import FileSystemLoader

        super().__init__(**kwargs)
        self.extra_loaders = [FileSystemLoader(str(TEMPLATE.parent))]
        self.template_file = TEMPLATE.name
        self.register_preprocessor(ShowRubrics(coursedir=coursedir, parent=self), enabled=True)


def _load_jupyter_server_extension(serverapp) -> None:
    """Load nbgrader's formgrader, then give it the offline exporter."""
    from jupyter_server.utils import url_path_join
    from nbgrader.server_extensions.formgrader import load_jupyter_server_extension

    load_jupyter_server_extension(serverapp)
    settings = serverapp.web_app.settings
    formgrader = settings["nbgrader_formgrader"]
    base_url = settings.get("base_url", "/")
    settings["nbgrader_exporter"] = OfflineFormgradeExporter(
        coursedir=lambda: formgrader.coursedir,
        config=formgrader.config,
        mathjax_url=url_path_join(base_url, MATHJAX_URL),
    )
    serverapp.log.info("mlgrade: formgrader with local MathJax and rubrics")


def _jupyter_server_extension_points():
    return [{"module": "mlgrade.formgrade"}]


def _free_port(start: int) -> int:
    """The first port from ``start`` on that 127.0.0.1 can listen on."""
    for port in range(start, start + 100):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit(f"no free port in {start}..{start + 99}: pass --port")


def server_config(root: Path, port: int, token: str):
    """The Jupyter server configuration: 127.0.0.1, the course root, the formgrader only."""
    from traitlets.config import Config

    c = Config()
    c.ServerApp.ip = "127.0.0.1"
    c.ServerApp.port = port
    c.ServerApp.port_retries = 0
    c.ServerApp.open_browser = False
    c.ServerApp.allow_root = True  # listens on 127.0.0.1 only, behind a token
    c.ServerApp.root_dir = str(root)
    c.ServerApp.default_url = "/formgrader"
    c.ServerApp.extra_static_paths = [str(mathjax_folder())]
    c.IdentityProvider.token = token
    # Only the formgrader (through this module): no Lab, no terminals, no student extensions.
    from jupyter_core.paths import jupyter_config_path
    from jupyter_server.extension.config import ExtensionConfigManager

    found = ExtensionConfigManager(read_config_path=jupyter_config_path())
    extensions = dict.fromkeys(found.get_jpserver_extensions(), False)
    extensions[NBGRADER_FORMGRADER] = False
    extensions["mlgrade.formgrade"] = True
    c.ServerApp.jpserver_extensions = extensions
    return c


def main(argv: list[str] | None = None) -> None:
    """Prepare the failed submissions for grading by hand, then serve the formgrader."""
    parser = argparse.ArgumentParser(
        prog="python -m mlgrade.formgrade", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--root", default=".", help="the course directory (nbgrader_config.py)")
    parser.add_argument(
        "--port", type=int, help="port on 127.0.0.1 (default: 8890 or the next free)"
    )
    args = parser.parse_args(argv)
    root = Path(args.root).resolve()
    if not (root / "nbgrader_config.py").is_file():
        raise SystemExit(f"{root} is not the course directory (no nbgrader_config.py)")
    from .driver import AlreadyRunning, course_lock
    from .manual import prepare_failed

    bindir = str(Path(sys.executable).parent)  # nbgrader runs alembic by name
    os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    try:
        with course_lock(root):  # make autograde is the gradebook's only other writer
            prepare_failed(root)
    except AlreadyRunning as exc:
        print(f"{exc}; the submissions that failed are prepared by the next make formgrade")
    os.chdir(root)
    port = args.port or _free_port(8890)
    token = os.environ.get("JUPYTER_TOKEN") or secrets.token_hex(24)
    from jupyter_server.serverapp import ServerApp

    print(
        f"\nThe formgrader (Ctrl-C stops it):\n    http://127.0.0.1:{port}/formgrader?token={token}\n",
        flush=True,
    )
    ServerApp.launch_instance(argv=[], config=server_config(root, port, token))


if __name__ == "__main__":
    main()
