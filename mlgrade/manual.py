"""Submissions that could not be autograded, made gradable by hand in the formgrader.

The formgrader shows a submission only when the gradebook has it and ``autograded/`` holds
its notebook. A submission the grading report lists as ``invalid notebook``, ``missing
notebook``, ``error`` or ``timeout`` (the whole notebook stopped) has neither, so
:func:`prepare_failed` (run by ``make formgrade`` before the server starts) gives each one:

* a submission in the gradebook (with the timestamp of ``timestamp.txt``), flagged, every
  cell waiting for a manual grade;
* ``autograded/<student>/<assignment>/<notebook>.ipynb`` made from the **released** notebook
  (so no solution or hidden test is in it) with the student's answers put in where they can
  be read (cells matched by grade id, or by :func:`mlgrade.restore.restore_metadata` when
  the metadata was stripped), a first cell saying why it was not autograded, and for a file
  that is not a notebook its text, shown as text. Nothing of it was executed: every test
  cell and written answer is scored by hand, and student markdown is made inert as in
  autograding (:class:`mlgrade.preprocessors.SafeOutputs`).

A submission that is autograded later (``make autograde`` after the student sent a new file)
replaces all of this. Submissions that are not in the report yet are left alone: they need
``make autograde``.
"""

from __future__ import annotations

import copy
import csv
import os
import warnings
from collections.abc import Callable
from pathlib import Path

from .notebooks import nbgrader_meta, read_notebook

__all__ = ["NOT_AUTOGRADED", "manual_notebook", "prepare_failed"]

NOT_AUTOGRADED = ("invalid notebook", "missing notebook", "error", "timeout", "kernel died")
TEXT_LIMIT = 50_000  # characters of a file that is not a notebook shown to the grader


def manual_notebook(released, submitted: Path, status: str, reason: str, shown: str = ""):
    """The notebook the formgrader shows for a submission that was not autograded.

    ``shown`` is how the banner names the student's file (default: its path).
    """
    import nbformat

    from .preprocessors import SafeOutputs
    from .restore import has_nbgrader_metadata, restore_metadata

    shown = shown or submitted.as_posix()
    nb = copy.deepcopy(released)
    student, _ = (None, "missing") if not submitted.exists() else read_notebook(submitted)
    if student is not None and not has_nbgrader_metadata(student):
        student = restore_metadata(student, released)
    answers = {}
    if student is not None:
        for cell in student.cells:
            meta = nbgrader_meta(cell)
            if meta.get("solution") and meta.get("grade_id"):
                answers.setdefault(meta["grade_id"], cell)
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        theirs = answers.get(meta.get("grade_id")) if meta.get("solution") else None
        if theirs is not None and theirs.cell_type == cell.cell_type:
            cell.source = theirs.source
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    if student is None and submitted.exists():
        what = "its text is in the next output, as text"
    elif student is None:
        what = "the submission holds: " + (
            ", ".join(sorted(p.name for p in submitted.parent.glob("*"))) or "nothing"
        )
    else:
        what = "the student's answers are in their cells below; the tests were not run"
    banner = nbformat.v4.new_markdown_cell(
        "**Not autograded.** Nothing in this notebook was executed by the grader: give every "
        "test cell and written answer its score by hand. Why, and the student's file:"
    )
    banner.metadata["mlgrade"] = {"not_autograded": status}
    # What comes from the submission or the log is shown as output text only (no markdown,
    # no HTML, no MathJax).
    why_cell = nbformat.v4.new_code_cell("# why this submission was not autograded")
    why_text = f"status: {status}\nreason: {reason}\nfile:   {shown}\n{what}\n"
    why_cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=why_text)]
    cells = [banner, why_cell]
    if student is None and submitted.exists():
        text = submitted.read_bytes()[: TEXT_LIMIT * 4].decode("utf-8", "replace")[:TEXT_LIMIT]
        raw = nbformat.v4.new_code_cell("# the submitted file, as text")
        raw.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
        cells.append(raw)
    nb.cells = cells + nb.cells
    nb, _ = SafeOutputs().preprocess(nb, {})
    return nb


def _failed_rows(report: Path) -> dict[tuple[str, str], list[dict]]:
    """(student, assignment) -> its report rows, for the submissions not autograded."""
    if not report.is_file():
        return {}
    with report.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    failed: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        if row.get("status") in NOT_AUTOGRADED:
            failed.setdefault((row["student"], row["assignment"]), []).append(row)
    return failed


def prepare_failed(root: Path | str = ".", log: Callable[[str], None] = print) -> list[str]:
    """Make every submission that was not autograded gradable by hand; what was prepared.

    Returns ``<student>/<assignment>/<notebook>`` of each notebook written.
    """
    import nbformat
    from nbgrader.api import Gradebook, MissingEntry

    from .course import api

    root = Path(root).resolve()
    cwd = Path.cwd()
    try:
        coursedir = api(root).coursedir
    finally:
        os.chdir(cwd)
    report = root / "grading_report.csv"
    if not report.is_file():
        log("no grading_report.csv: nothing is autograded yet (run make autograde first)")
    failed = _failed_rows(report)
    done: list[str] = []
    if not failed:
        return done
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        for (student, assignment), rows in sorted(failed.items()):
            target = Path(
                coursedir.format_path(coursedir.autograded_directory, student, assignment)
            )
            try:
                notebooks = [n.name for n in gb.find_assignment(assignment).notebooks]
            except MissingEntry:
                log(f"{assignment} is not in the gradebook: run make autograde first")
                continue
            if all((target / f"{n}.ipynb").exists() for n in notebooks):
                continue  # autograded after all (a kernel that died still scores)
            status = {r["notebook"]: (r["status"], r.get("details", "")) for r in rows}
            submitted = Path(
                coursedir.format_path(coursedir.submitted_directory, student, assignment)
            )
            gb.update_or_create_student(student)
            try:
                submission = gb.find_submission(assignment, student)
            except MissingEntry:
                stamp = submitted / "timestamp.txt"
                extra = {}
                if stamp.is_file():
                    extra["timestamp"] = stamp.read_text(encoding="utf-8").strip()
                with warnings.catch_warnings():  # nbgrader's own autoflush notices
                    warnings.simplefilter("ignore")
                    try:
                        submission = gb.add_submission(assignment, student, **extra)
                    except Exception:  # an unreadable timestamp: the submission without it
                        gb.db.rollback()
                        submission = gb.add_submission(assignment, student)
            released = Path(coursedir.format_path(coursedir.release_directory, ".", assignment))
            target.mkdir(parents=True, exist_ok=True)
            first = next(iter(status.values()))
            for name in notebooks:
                path = target / f"{name}.ipynb"
                if path.exists():
                    continue
                rel_nb = nbformat.read(str(released / f"{name}.ipynb"), as_version=4)
                why, details = status.get(name, first)
                file = submitted / f"{name}.ipynb"
                shown = file.relative_to(root).as_posix() if file.is_relative_to(root) else ""
                nb = manual_notebook(rel_nb, file, why, details or why, shown)
                nbformat.write(nb, str(path))
                done.append(f"{student}/{assignment}/{name}")
            for notebook in submission.notebooks:
                notebook.flagged = True
                for grade in notebook.grades:
                    if grade.manual_score is None:
                        grade.needs_manual_grade = True
            gb.db.commit()
    if done:
        log(
            f"{len(done)} notebook(s) that could not be autograded are ready to be graded by "
            "hand (flagged in the formgrader): " + ", ".join(done)
        )
    return done
