"""What a class report is made of, and reading it from the course directory.

Four sources, each read by one function:

* the nbgrader gradebook (:func:`read_gradebook`; any SQLAlchemy URL nbgrader accepts);
* ``grading_report.csv``, written by the driver (:func:`read_grading_report`; columns of
  :mod:`mlgrade.report`, and an optional ``seconds`` column: the time per notebook);
* the error outputs of the test cells in ``autograded/<student>/<assignment>/*.ipynb``
  (:func:`read_failures`);
* the LMS id map that collection writes, ``submitted/<assignment>.lms.csv``
  (:func:`read_lms_ids`).

:func:`load_assignment` reads all four for one assignment.
"""

from __future__ import annotations

import csv
import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..collect import lms_map_path
from ..gradebook import course_url, sqlite_file
from .stats import Failure, error_message, group_failures

__all__ = [
    "GRADING_REPORT",
    "AssignmentData",
    "AutoTest",
    "LmsId",
    "Submission",
    "lms_ids_path",
    "load_assignment",
    "read_failures",
    "read_gradebook",
    "read_grading_report",
    "read_lms_ids",
    "resolve_gradebook_url",
    "seconds_of",
    "sqlite_file",
]

GRADING_REPORT = "grading_report.csv"


@dataclass(frozen=True)
class AutoTest:
    """An autograder test cell: a graded code cell that is not an answer cell.

    ``key`` (``notebook/cell``) names it in every table of the report.
    """

    notebook: str
    name: str
    max_score: float

    @property
    def key(self) -> str:
        return f"{self.notebook}/{self.name}"


@dataclass
class Submission:
    """One student's submission of an assignment, as the gradebook holds it.

    ``score`` is the raw total of every graded cell (manual grades and extra credit
    included, before the late penalty); ``None`` when nothing of it has been graded.
    ``cell_scores[key]`` is what a test cell adds to that total and ``auto_scores[key]``
    what the autograder gave it (``None`` when the autograder did not run it).
    """

    student: str
    score: float | None
    max_score: float
    penalty: float = 0.0
    needs_manual_grade: bool = False
    cell_scores: dict[str, float] = field(default_factory=dict)
    auto_scores: dict[str, float | None] = field(default_factory=dict)
    name: str = ""
    lms_user_id: str = ""

    @property
    def final_score(self) -> float | None:
        """``max(0, score - penalty)``: what ``nbgrader export`` and the LMS files carry."""
        return None if self.score is None else max(0.0, self.score - self.penalty)


@dataclass(frozen=True)
class LmsId:
    """A student in the LMS: the row of the id map for one course id."""

    student: str
    lms: str
    lms_user_id: str
    display_name: str


@dataclass
class AssignmentData:
    """Everything the report of one assignment is made from."""

    name: str
    tests: list[AutoTest]
    submissions: dict[str, Submission]
    rows: list[dict[str, str]]
    failures: dict[str, list[Failure]]
    lms_ids: dict[str, LmsId]
    has_seconds: bool
    notes: list[str] = field(default_factory=list)

    @property
    def students(self) -> list[str]:
        """Every student of the gradebook or the grading report, sorted."""
        return sorted(set(self.submissions) | {row["student"] for row in self.rows})

    @property
    def max_score(self) -> float:
        return max((s.max_score for s in self.submissions.values()), default=0.0)


# --------------------------------------------------------------------------- locations
def resolve_gradebook_url(root: Path, url: str | None = None) -> str:
    """``url``, else the course's gradebook (:func:`mlgrade.gradebook.course_url`)."""
    return url or course_url(root)


def lms_ids_path(root: Path, assignment: str) -> Path:
    """Where collection writes the LMS id map of ``assignment``."""
    return lms_map_path(root, assignment)


# --------------------------------------------------------------------------- readers
def read_gradebook(url: str, assignment: str) -> tuple[list[AutoTest], list[Submission]]:
    """The test cells and the submissions of one assignment in an nbgrader gradebook.

    An assignment the gradebook does not know gives ``([], [])``. Test cells come by
    notebook and name; :func:`load_assignment` puts them in the notebook's order.
    """
    from nbgrader.api import Grade, Gradebook, MissingEntry, SubmittedAssignment, SubmittedNotebook
    from sqlalchemy.orm import joinedload, selectinload, undefer

    # Everything in a few queries: nbgrader's totals are deferred column properties and its
    # relationships lazy, which costs several queries per submission (7x slower for 300).
    totals = ("score", "max_score", "late_submission_penalty", "needs_manual_grade")
    notebooks = selectinload(SubmittedAssignment.notebooks)
    options = [
        *(undefer(getattr(SubmittedAssignment, name)) for name in totals),
        joinedload(SubmittedAssignment.student),
        notebooks.joinedload(SubmittedNotebook.notebook),
        notebooks.selectinload(SubmittedNotebook.grades).joinedload(Grade.cell),
    ]
    with Gradebook(url) as gb:
        try:
            found = gb.find_assignment(assignment)
        except MissingEntry:
            return [], []
        tests = []
        for notebook in sorted(found.notebooks, key=lambda nb: nb.name):
            answers = {cell.name for cell in notebook.solution_cells}
            for cell in sorted(notebook.grade_cells, key=lambda c: c.name):
                if cell.cell_type == "code" and cell.name not in answers:
                    tests.append(AutoTest(notebook.name, cell.name, float(cell.max_score)))
        keys = {test.key for test in tests}
        query = gb.db.query(SubmittedAssignment).options(*options)
        query = query.filter(SubmittedAssignment.assignment_id == found.id)
        submissions = [_submission(sub, keys) for sub in query]
    return tests, sorted(submissions, key=lambda s: s.student)


def _submission(sub, keys: set[str]) -> Submission:
    graded, cell_scores, auto_scores = False, {}, {}
    for notebook in sub.notebooks:
        for grade in notebook.grades:
            graded = graded or grade.auto_score is not None or grade.manual_score is not None
            key = f"{notebook.name}/{grade.name}"
            if key in keys:
                cell_scores[key] = float(grade.score or 0.0)
                auto_scores[key] = None if grade.auto_score is None else float(grade.auto_score)
    student = sub.student
    return Submission(
        student=student.id,
        score=float(sub.score or 0.0) if graded else None,
        max_score=float(sub.max_score or 0.0),
        penalty=float(sub.late_submission_penalty or 0.0),
        needs_manual_grade=bool(sub.needs_manual_grade),
        cell_scores=cell_scores,
        auto_scores=auto_scores,
        name=" ".join(p for p in (student.first_name, student.last_name) if p),
        lms_user_id=student.lms_user_id or "",
    )


def read_grading_report(path: Path) -> tuple[list[dict[str, str]], bool]:
    """The rows of ``grading_report.csv`` and whether it has a ``seconds`` column.

    A missing file gives ``([], False)``; a file without the report's key columns is an
    error.
    """
    if not path.exists():
        return [], False
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = [{k: (v or "") for k, v in row.items() if k is not None} for row in reader]
        fields = reader.fieldnames or []
    missing = {"student", "assignment", "notebook", "status"} - set(fields)
    if missing:
        raise ValueError(f"{path}: not a grading report, it lacks the columns {sorted(missing)}")
    return rows, "seconds" in fields


def seconds_of(row: dict[str, str]) -> float | None:
    """The ``seconds`` of a report row, ``None`` when absent or not a time."""
    try:
        value = float(row.get("seconds", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def _cells(path: Path) -> list[dict]:
    """The cells of a notebook file as plain JSON (no validation: fast for a whole class).

    A file that cannot be read or parsed gives no cells; anything that is not a dict is
    skipped, so a damaged notebook cannot stop the report.
    """
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return []
    cells = nb.get("cells") if isinstance(nb, dict) else None
    return [c for c in cells if isinstance(c, dict)] if isinstance(cells, list) else []


def _nbgrader(cell: dict) -> dict:
    meta = cell.get("metadata")
    found = meta.get("nbgrader") if isinstance(meta, dict) else None
    return found if isinstance(found, dict) else {}


def read_failures(
    root: Path, assignment: str, tests: list[AutoTest] | None = None
) -> dict[str, list[Failure]]:
    """The failures of every test cell in ``autograded/*/<assignment>/*.ipynb``.

    A failure is an error output of a test cell, as :func:`~.stats.error_message`; a
    student counts once per message and cell. Grouped by :func:`~.stats.group_failures`
    (commonest first). With ``tests``, only those cells are read; without, every cell the
    notebooks mark as autograder tests (graded, not an answer).
    """
    wanted = None if tests is None else {test.key for test in tests}
    messages: dict[str, Counter] = {}
    for path in sorted(Path(root).glob(f"autograded/*/{assignment}/*.ipynb")):
        for cell in _cells(path):
            meta = _nbgrader(cell)
            if cell.get("cell_type") != "code" or not meta.get("grade") or meta.get("solution"):
                continue
            key = f"{path.stem}/{meta.get('grade_id', '')}"
            if wanted is not None and key not in wanted:
                continue
            outputs = cell.get("outputs")
            outputs = (
                [o for o in outputs if isinstance(o, dict)] if isinstance(outputs, list) else []
            )
            seen = {error_message(o) for o in outputs if o.get("output_type") == "error"}
            messages.setdefault(key, Counter()).update(seen)
    return {key: group_failures(counts) for key, counts in messages.items() if counts}


_FORMULA_GUARD = ("'=", "'+", "'-", "'@", "'\t", "'\r")


def read_lms_ids(path: Path | str) -> dict[str, LmsId]:
    """The LMS id map: course id -> :class:`LmsId` (empty when the file does not exist).

    A UTF-8 CSV with a header, as collection writes it (:mod:`mlgrade.collect`): the
    course id in ``student_id`` (or ``student``), ``lms`` (``canvas``, ``moodle``,
    ``blackboard``, ``plain``), ``lms_user_id`` (Canvas user id, Moodle participant id,
    Blackboard user name) and ``display_name``; other columns are ignored. The ``'`` put
    before a cell that a spreadsheet would read as a formula is removed.
    """
    path = Path(path)
    if not path.is_file():
        return {}
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        fields = reader.fieldnames or []
        id_column = next((c for c in ("student_id", "student") if c in fields), None)
        if id_column is None or "lms_user_id" not in fields:
            raise ValueError(
                f"{path}: an LMS id map needs the columns student_id and lms_user_id; "
                f"found {fields}"
            )
        found = {}
        for row in reader:
            value = {k: _unguard((row.get(k) or "").strip()) for k in fields}
            student = value[id_column]
            if student:
                found[student] = LmsId(
                    student,
                    value.get("lms", "").lower(),
                    value["lms_user_id"],
                    value.get("display_name", ""),
                )
    return found


def _unguard(text: str) -> str:
    return text[1:] if text.startswith(_FORMULA_GUARD) else text


def _test_order(root: Path, assignment: str, tests: list[AutoTest]) -> list[AutoTest]:
    """Test cells in the order of the released notebook (by name where it is unknown)."""
    order: dict[str, int] = {}
    for path in sorted((Path(root) / "exercises" / assignment).glob("*.ipynb")):
        for index, cell in enumerate(_cells(path)):
            grade_id = _nbgrader(cell).get("grade_id")
            if grade_id:
                order.setdefault(f"{path.stem}/{grade_id}", index)
    return sorted(tests, key=lambda t: (t.notebook, order.get(t.key, math.inf), t.name))


def load_assignment(
    root: Path | str,
    assignment: str,
    url: str | None = None,
    lms_ids: Path | str | None = None,
) -> AssignmentData:
    """Read the gradebook, the grading report, the autograded notebooks and the id map.

    ``url`` defaults to :func:`resolve_gradebook_url`; ``lms_ids`` to :func:`lms_ids_path`. A
    SQLite gradebook that does not exist gives no scores (and a note), not an error: the
    report then still lists what the grading report says.
    """
    root = Path(root).resolve()
    url = resolve_gradebook_url(root, url)
    db = sqlite_file(url)
    notes = []
    if db is not None and not db.exists():
        tests, subs = [], []
        notes.append(f"No gradebook at {db}: there are no scores or test statistics.")
    else:
        tests, subs = read_gradebook(url, assignment)
        if not subs:
            notes.append("The gradebook has no submission of this assignment.")
    rows, has_seconds = read_grading_report(root / GRADING_REPORT)
    rows = [row for row in rows if row["assignment"] == assignment]
    ids = read_lms_ids(lms_ids if lms_ids is not None else lms_ids_path(root, assignment))
    return AssignmentData(
        name=assignment,
        tests=_test_order(root, assignment, tests),
        submissions={s.student: s for s in subs},
        rows=rows,
        failures=read_failures(root, assignment, tests or None),
        lms_ids=ids,
        has_seconds=has_seconds and any(seconds_of(row) is not None for row in rows),
        notes=notes,
    )
