"""Grade a whole class robustly, and report what happened to each submission.

For every assignment of ``submitted/``: check each notebook against the released version
(:mod:`mlgrade.tamper`), grade the valid ones in watched workers (:mod:`mlgrade.worker`),
grade the failures once more (a kernel can die for reasons that are not the student's),
restore the gradebook if grading damaged it, and write the report (:mod:`mlgrade.report`):
``grading_report.csv`` and ``.md``, and nbgrader's log of each student in
``grading_report.logs/<assignment>/<student>.log``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from .course import gradebook_ok, in_gradebook, release, scores
from .notebooks import read_notebook
from .report import Row, classify_failure, outcome_notes, write_report
from .tamper import check_submission
from .worker import run_workers

__all__ = ["grade_assignment", "grade_class", "precheck"]


def precheck(
    root: Path, assignment: str, students: list[str], released: list[Path]
) -> tuple[dict[str, list[Row]], list[str]]:
    """A report row per (student, released notebook) and the students that can be graded.

    A missing or invalid notebook is final; a valid one is compared with the release.
    """
    by_student: dict[str, list[Row]] = {}
    to_grade = []
    for student in students:
        rows, ok = [], True
        for rel_path in released:
            row = Row(student, assignment, rel_path.stem)
            rows.append(row)
            path = root / "submitted" / student / assignment / rel_path.name
            if not path.exists():
                row.status, ok = "missing notebook", False
                row.details.append(f"no {rel_path.name} in the submission")
                continue
            nb, why = read_notebook(path)
            if nb is None:
                row.status, ok = "invalid notebook", False
                row.details.append(f"{rel_path.name} is {why}")
                continue
            rel_nb, _ = read_notebook(rel_path)
            row.tampering, notes = check_submission(nb, rel_nb)
            row.details.extend(notes)
        by_student[student] = rows
        if ok:
            to_grade.append(student)
    return by_student, to_grade


def _grade_with_retry(
    root: Path, assignment: str, students: list[str], timeout: float, log: Callable
) -> dict[str, dict]:
    """Worker results per student; failures (but not students stopped for time) run twice."""
    results = run_workers(root, assignment, students, timeout, log)
    failed = [s for s in students if not results[s]["success"]]
    failed = [s for s in failed if results[s]["event"] != "killed"]
    if failed:
        log(f"  grading again: {', '.join(failed)}")
        again = run_workers(root, assignment, failed, timeout, log)
        for student in failed:
            if again[student]["success"]:
                results[student] = again[student]
            else:
                results[student]["error"] += "\n(failed twice)"
    return results


def _save_logs(results: dict[str, dict], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for student, result in results.items():
        text = result.get("log", "") + "\n" + result.get("error", "")
        (folder / f"{student}.log").write_text(text, encoding="utf-8")


def _fill_rows(root: Path, assignment: str, student: str, result: dict, rows: list[Row]) -> None:
    """Status, score and notes of one student's rows from the worker's result."""
    found = scores(root, assignment, student) if result["success"] else {}
    for row in rows:
        if not result["success"]:
            text = result.get("error", "") + result.get("log", "")
            row.status, why = classify_failure(text)
            if result["event"] == "killed":
                row.status, why = "timeout", result["error"]
            row.details.insert(0, why)
            continue
        graded = root / "autograded" / student / assignment / f"{row.notebook}.ipynb"
        nb, _ = read_notebook(graded)
        if nb is not None:
            notes, timed_out = outcome_notes(nb)
            row.details[:0] = notes
            if timed_out:
                row.status = "timeout"
        if row.notebook in found:
            row.score, row.max_score = found[row.notebook]
        if row.tampering and row.status == "graded":
            row.status = "tampered"
            row.details.insert(0, "graded with the original cells restored")


def grade_assignment(
    root: Path,
    assignment: str,
    students: list[str] | None,
    student_timeout: float,
    logs: Path,
    log: Callable,
) -> list[Row]:
    """Grade every submission of one assignment; the report rows of its students."""
    released = sorted((root / "exercises" / assignment).glob("*.ipynb"))
    if not released:
        log(f"{assignment}: not released (no exercises/{assignment}/*.ipynb), skipped")
        return []
    folders = sorted((root / "submitted").glob(f"*/{assignment}"))
    who = [f.parent.name for f in folders if students is None or f.parent.name in students]
    log(f"{assignment}: {len(who)} submission(s)")
    by_student, to_grade = precheck(root, assignment, who, released)
    if to_grade:
        if not in_gradebook(root, assignment):
            # A fresh clone has no gradebook: record the assignment (this regenerates
            # exercises/<assignment>/, identical to the committed version).
            log(f"  {assignment} is not in the gradebook yet: running generate_assignment")
            release(root, [assignment])
        db, backup = root / "gradebook.db", root / "grading_report.gradebook-backup.db"
        if db.exists():
            shutil.copyfile(db, backup)
        results = _grade_with_retry(root, assignment, to_grade, student_timeout, log)
        _save_logs(results, logs / assignment)
        if db.exists() and not gradebook_ok(db):
            shutil.copyfile(backup, db)
            log("the gradebook was damaged and has been restored from the backup")
        for student in to_grade:
            _fill_rows(root, assignment, student, results[student], by_student[student])
    rows = [row for student in who for row in by_student[student]]
    for row in rows:
        shown = row.as_dict()
        log(f"  {row.student}: {row.status} {shown['score']} {shown['details']}")
    return rows


def grade_class(
    root: Path | str = ".",
    assignments: list[str] | None = None,
    students: list[str] | None = None,
    student_timeout: float = 600.0,
    report: Path | str | None = None,
    quiet: bool = False,
) -> list[Row]:
    """Autograde every submission robustly and write the grading report.

    Parameters
    ----------
    root : path
        The course directory (where ``nbgrader_config.py`` is).
    assignments, students : list of str, optional
        Restrict to these (default: everything found in ``submitted/``).
    student_timeout : float
        Wall-clock limit for one student's assignment, on top of nbgrader's per-cell
        timeout; a student who exceeds it is stopped and reported as ``timeout``.
    report : path, optional
        Report path without extension (default ``root/grading_report``): ``.csv`` and
        ``.md`` are written.

    Returns
    -------
    list of Row
        One row per (student, assignment, notebook).
    """
    root = Path(root).resolve()
    base = Path(report) if report else root / "grading_report"

    def log(message: str) -> None:
        if not quiet:
            print(message, flush=True)

    names = assignments or sorted({p.name for p in (root / "submitted").glob("*/*") if p.is_dir()})
    logs = Path(f"{base}.logs")
    rows = []
    for assignment in names:
        rows += grade_assignment(root, assignment, students, student_timeout, logs, log)
    write_report(rows, base)
    return rows
