"""The nbgrader course directory: its API object, the release, the gradebook.

nbgrader is imported inside functions only, so importing this module stays cheap.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .gradebook import course_url
from .notebooks import assignments_in
from .sandbox import ONE_THREAD

__all__ = ["api", "environment", "quiet_new_submissions", "release", "scores"]


def environment(root: Path, sandbox: bool = True) -> dict[str, str]:
    """Environment for nbgrader: its helpers (alembic) live next to this Python.

    ``MLGRADE_SANDBOX`` tells ``nbgrader_config.py`` whether student kernels run in the
    sandbox.
    """
    env = dict(os.environ)
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    env.pop("MLCOURSE_STUDENT_ID", None)
    env["MLGRADE_SANDBOX"] = "1" if sandbox else "0"
    env.update(ONE_THREAD)  # the judge kernel inherits it (see mlgrade.sandbox.ONE_THREAD)
    return env


def api(root: Path, db_url: str | None = None, autograded: Path | None = None):
    """An nbgrader API object configured by ``root/nbgrader_config.py``.

    ``db_url`` and ``autograded`` override the gradebook and the autograded folder (a
    worker grades against a private copy of both, see :mod:`mlgrade.worker`).
    """
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    _check_schemas_once()
    quiet_new_submissions()
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    os.chdir(root)
    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    if db_url:
        config.CourseDirectory.db_url = db_url
    if autograded:
        config.CourseDirectory.autograded_directory = str(autograded)
    coursedir = CourseDirectory(config=config)
    return NbGraderAPI(coursedir=coursedir, config=config)


class _SchemaOnce:
    """``jsonschema`` as nbgrader's cell-metadata validator calls it, with one difference:
    the schema itself is checked once, not once per cell.

    nbgrader validates the nbgrader metadata of every cell with ``jsonschema.validate``,
    which first checks the *schema* against the JSON Schema meta-schema: the same work
    about thirty times per notebook and per pass, a quarter of a second of CPU for each
    notebook graded (measured with cProfile). Here the validator of a schema is built and
    checked once and reused; the verdict and the error raised are jsonschema's own.
    """

    def __init__(self, jsonschema):
        self._jsonschema = jsonschema
        self._validators: dict[int, tuple[object, object]] = {}

    def __getattr__(self, name):
        return getattr(self._jsonschema, name)

    def validate(self, instance, schema, *args, **kwargs):
        if args or kwargs:
            return self._jsonschema.validate(instance, schema, *args, **kwargs)
        known = self._validators.get(id(schema))
        if known is None or known[0] is not schema:
            cls = self._jsonschema.validators.validator_for(schema)
            cls.check_schema(schema)
            known = self._validators[id(schema)] = (schema, cls(schema))
        error = self._jsonschema.exceptions.best_match(known[1].iter_errors(instance))
        if error is not None:
            raise error
        return None


def quiet_new_submissions() -> None:
    """Hide SQLAlchemy's warning about nbgrader's ``add_submission``.

    With SQLAlchemy 2, building a new submission's notebooks, grades and comments (objects
    linked to the submission before nbgrader adds it to the session) warns three times
    per new student that the link "will not proceed" during autoflush; nbgrader adds the
    submission right after, and the grades are all there (the grading tests read them
    back). The warning is noise in every first ``make autograde`` of a class.
    """
    import warnings

    from sqlalchemy.exc import SAWarning

    warnings.filterwarnings(
        "ignore", message=r"Object of type <\w+> not in session", category=SAWarning
    )


def _check_schemas_once() -> None:
    from nbgrader.nbgraderformat import common

    if not isinstance(common.jsonschema, _SchemaOnce):
        common.jsonschema = _SchemaOnce(common.jsonschema)


def release(root: Path | str = ".", assignments: list[str] | None = None) -> None:
    """``nbgrader generate_assignment`` for each assignment of ``solutions/`` (one process)."""
    root = Path(root).resolve()
    names = assignments or assignments_in(root, "solutions")
    cwd = Path.cwd()
    try:
        course = api(root)
        for name in names:
            result = course.generate_assignment(name, force=True, create=True)
            if not result["success"]:
                error = result.get("error", "") + result.get("log", "")
                raise RuntimeError(f"generate_assignment {name} failed:\n{error}")
            print(f"released {name}")
    finally:
        os.chdir(cwd)


def scores(root: Path, assignment: str, student: str) -> dict[str, tuple[float, float]]:
    """Score and maximum per notebook of one submission, from the gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    found = {}
    with Gradebook(course_url(root)) as gb:
        try:
            submission = gb.find_submission(assignment, student)
        except MissingEntry:
            return {}
        for notebook in submission.notebooks:
            found[notebook.name] = (float(notebook.score), float(notebook.max_score))
    return found
