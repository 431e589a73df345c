"""One submission's autograde results as plain data: read in a worker, written by the driver.

A grading worker runs nbgrader's autograde against a private copy of the gradebook
(:mod:`mlgrade.worker`). What that run wrote about one submission is small:

* the submission: when it was handed in (``timestamp``);
* each submitted notebook: its late penalty;
* each graded cell: the autograder's score and whether a grader must look at it
  (``auto_score``, ``needs_manual_grade``);
* each answer or task cell: the automatic comment ("No response." for an untouched cell).

:func:`results_of` reads exactly those columns out of the worker's gradebook as a dict of
strings, numbers and booleans, which travels back with the worker's event (over the
network from a Dask worker). :func:`record_results`, in the driver, the only writer of the
course's gradebook, checks the dict against the assignment and writes the same columns in
one transaction. It leaves alone what a grader wrote (manual scores and comments, extra
credit, flags) and what the instructor set (extensions): nbgrader's autograde does not
touch them either. The autograded notebooks travel as files (:func:`place`).

This replaces running nbgrader a second time in the driver to copy the worker's outputs,
which did nbgrader's own work on every notebook twice.
"""

from __future__ import annotations

import datetime
import math
import shutil
from pathlib import Path
from typing import Any

__all__ = ["place", "record_results", "results_of"]


def results_of(url: str, assignment: str, student: str) -> dict[str, Any]:
    """What autograde wrote into the gradebook at ``url`` about one submission.

    Returns
    -------
    dict
        ``{"timestamp": ISO string or None, "notebooks": {name: {"late_submission_penalty":
        float or None, "grades": {grade_id: [auto_score or None, needs_manual_grade]},
        "comments": {grade_id: auto_comment or None}}}}``
    """
    from nbgrader.api import Gradebook

    with Gradebook(url) as gb:
        submission = gb.find_submission(assignment, student)
        stamp = submission.timestamp
        return {
            "timestamp": None if stamp is None else stamp.isoformat(),
            "notebooks": {
                nb.name: {
                    "late_submission_penalty": nb.late_submission_penalty,
                    "grades": {
                        g.name: [g.auto_score, bool(g.needs_manual_grade)] for g in nb.grades
                    },
                    "comments": {c.name: c.auto_comment for c in nb.comments},
                }
                for nb in submission.notebooks
            },
        }


def _same_names(found, expected, what: str) -> None:
    if set(found) != set(expected):
        missing = sorted(set(expected) - set(found))
        extra = sorted(set(found) - set(expected))
        raise ValueError(
            f"the results name {what} {sorted(found)}; expected {sorted(expected)}, those of "
            f"the gradebook (missing {missing}, unknown {extra})"
        )


def _number(value, where: str, name: str, low: float, high: float = math.inf) -> float | None:
    """``value`` as a float from ``low`` to ``high``, or None; ValueError naming ``name``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{where}: {name} is {value!r}; expected a number or None")
    if not low <= value <= high:
        bound = f"{low:g} to {high:g}" if math.isfinite(high) else f">= {low:g}"
        raise ValueError(f"{where}: {name} is {value}; expected {bound} or None")
    return float(value)


def _text(value, where: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{where}: auto_comment is {value!r}; expected a string or None")
    return value


def _timestamp(value) -> datetime.datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"timestamp is {value!r}; expected an ISO date string or None")
    try:
        return datetime.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"timestamp is {value!r}; expected an ISO date string or None") from None


def record_results(url: str, assignment: str, student: str, results: dict[str, Any]) -> None:
    """Write ``results`` (from :func:`results_of`) into the gradebook at ``url``, in one
    transaction: the student and the submission are created if new, as autograde does.

    Raises ValueError, and leaves the submission as it was (or absent, if it was new), when
    ``results`` does not name exactly the notebooks and cells of the assignment or holds a
    value autograde cannot have written (a score outside 0 to the cell's points, a negative
    penalty).
    """
    from nbgrader.api import Gradebook, MissingEntry

    from .course import quiet_new_submissions

    quiet_new_submissions()
    if not isinstance(results, dict) or not isinstance(results.get("notebooks"), dict):
        raise ValueError(f"results is {type(results).__name__}; expected the dict of results_of")
    stamp = _timestamp(results.get("timestamp"))
    with Gradebook(url) as gb:
        gb.update_or_create_student(student)
        try:
            gb.find_submission(assignment, student)
            new = False
        except MissingEntry:
            new = True
        submission = gb.update_or_create_submission(assignment, student)  # commits
        given = results["notebooks"]
        try:
            _same_names(given, [nb.name for nb in submission.notebooks], "the notebooks")
            for nb in submission.notebooks:
                got = given[nb.name]
                where = f"{assignment}/{nb.name}"
                _same_names(got["grades"], [g.name for g in nb.grades], f"in {where} the grades")
                _same_names(
                    got["comments"], [c.name for c in nb.comments], f"in {where} the comments"
                )
                nb.late_submission_penalty = _number(
                    got["late_submission_penalty"], where, "late_submission_penalty", 0
                )
                for grade in nb.grades:
                    score, needs = got["grades"][grade.name]
                    if not isinstance(needs, bool):
                        raise ValueError(
                            f"{where} {grade.name}: needs_manual_grade is {needs!r}; "
                            "expected True or False"
                        )
                    grade.auto_score = _number(
                        score, f"{where} {grade.name}", "auto_score", 0, grade.max_score
                    )
                    grade.needs_manual_grade = needs
                for comment in nb.comments:
                    comment.auto_comment = _text(
                        got["comments"][comment.name], f"{where} {comment.name}"
                    )
            submission.timestamp = stamp
        except (ValueError, KeyError, TypeError) as exc:
            gb.db.rollback()
            if new:
                gb.remove_submission(assignment, student)
            if isinstance(exc, ValueError):
                raise
            raise ValueError(
                f"the results of {assignment} by {student} are malformed ({exc!r}); "
                "expected the dict of results_of"
            ) from exc
        gb.db.commit()


def place(executed: Path, autograded: Path) -> None:
    """Put a worker's autograded folder ``executed`` where the course keeps it, replacing
    what an earlier grading left there (as nbgrader's autograde does)."""
    autograded.parent.mkdir(parents=True, exist_ok=True)
    old = autograded.with_name(autograded.name + ".replaced")
    shutil.rmtree(old, ignore_errors=True)
    if autograded.exists():
        autograded.rename(old)
    shutil.move(str(executed), str(autograded))
    shutil.rmtree(old, ignore_errors=True)
