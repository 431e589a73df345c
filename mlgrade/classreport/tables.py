"""The tables of a class report, shared by its CSV files and its HTML page.

Each function returns a list of records (``dict`` of column -> text) in display order.
Text from submissions (messages, details, names) is kept as it is; :func:`write_csv`
makes it safe for spreadsheets and the page escapes it.
"""

from __future__ import annotations

import csv
import statistics
from pathlib import Path

from .data import AssignmentData, seconds_of
from .lms import display_name, number
from .stats import CellStats, passed

__all__ = [
    "ACTIONS",
    "failure_table",
    "flagged_table",
    "student_table",
    "test_table",
    "time_table",
    "write_csv",
]

#: What the instructor should do about a notebook, by its status in the grading report.
ACTIONS = {
    "restored": "The notebook had lost its nbgrader metadata; its cells were matched to the "
    "release and graded. Compare with the original kept in grading_report.originals/.",
    "tampered": "Open the notebook and read the changes listed. It was graded with the "
    "original test cells, so no points were gained; decide whether it is misconduct.",
    "timeout": "Check the score (what ran was graded) and ask the student to fix the slow "
    "or endless loop; regrade a fixed submission.",
    "kernel died": "Look at the cell named in the details: the tests that ran before it kept "
    "their points, the later ones scored 0. Regrade by hand if the work is there.",
    "invalid notebook": "Ask the student for a new file: this one is not a readable notebook.",
    "missing notebook": "Look in submitted/{student}/{assignment}/ and ask the student for the "
    "missing notebook.",
    "error": "Read grading_report.logs/{assignment}/{student}.log, fix the cause, and regrade "
    "with make autograde STUDENT={student}.",
}
OTHER_ACTION = "Read the details and grading_report.logs/{assignment}/{student}.log."


def flagged_table(data: AssignmentData) -> list[dict[str, str]]:
    """Every notebook whose status is not ``graded`` or that shows tampering."""
    flagged = []
    for row in data.rows:
        status, tampering = row["status"], row.get("tampering", "")
        if status == "graded" and not tampering:
            continue
        reasons = [row.get("details", ""), f"tampering: {tampering}" if tampering else ""]
        action = ACTIONS.get("tampered" if status == "graded" else status, OTHER_ACTION)
        flagged.append(
            {
                "student": row["student"],
                "notebook": row["notebook"],
                "status": status,
                "score": row.get("score", ""),
                "reason": "; ".join(r for r in reasons if r) or status,
                "action": action.format(student=row["student"], assignment=data.name),
            }
        )
    return flagged


def student_table(data: AssignmentData, stats: list[CellStats]) -> list[dict[str, str]]:
    """One record per student: scores, status, time and a ``pass <cell>`` column per test."""
    by_student: dict[str, list[dict[str, str]]] = {}
    for row in data.rows:
        by_student.setdefault(row["student"], []).append(row)
    flagged = {row["student"] for row in flagged_table(data)}
    records = []
    for student in data.students:
        sub, rows = data.submissions.get(student), by_student.get(student, [])
        known = data.lms_ids.get(student)
        times = [t for t in map(seconds_of, rows) if t is not None]
        graded = sub is not None and sub.score is not None
        record = {
            "student": student,
            "name": display_name(data, student),
            "lms": known.lms if known else "",
            "lms_user_id": known.lms_user_id if known else (sub.lms_user_id if sub else ""),
            "raw_score": number(sub.score) if graded else "",
            "late_penalty": number(sub.penalty) if graded else "",
            "score": number(sub.final_score) if graded else "",
            "max_score": number(sub.max_score) if sub else "",
            "percent": number(100 * sub.score / sub.max_score, 1)
            if graded and sub.max_score
            else "",
            "needs_manual_grade": ("yes" if sub.needs_manual_grade else "no") if sub else "",
            "status": "; ".join(sorted({r["status"] for r in rows})) or "not in the report",
            "flagged": "yes" if student in flagged else "no",
            "seconds": number(sum(times), 1) if times else "",
        }
        for stat in stats:
            auto = sub.auto_scores.get(stat.test.key) if sub else None
            mark = "" if auto is None else str(int(passed(auto, stat.test.max_score)))
            record[f"pass {stat.test.key}"] = mark
        records.append(record)
    return records


def test_table(stats: list[CellStats]) -> list[dict[str, str]]:
    """One record per test cell: points, graded, passed, pass rate, discrimination."""
    return [
        {
            "notebook": s.test.notebook,
            "cell": s.test.name,
            "max_score": number(s.test.max_score),
            "graded": str(s.graded),
            "passed": str(s.passed),
            "pass_rate": number(s.pass_rate, 4),
            "discrimination": number(s.discrimination, 4),
        }
        for s in stats
    ]


def failure_table(data: AssignmentData) -> list[dict[str, str]]:
    """One record per (test cell, kind of failure), commonest first within a cell."""
    records = []
    keys = [test.key for test in data.tests] if data.tests else sorted(data.failures)
    for key in keys:
        notebook, _, cell = key.partition("/")
        for f in data.failures.get(key, []):
            records.append(
                {
                    "notebook": notebook,
                    "cell": cell,
                    "students": str(f.count),
                    "pattern": f.pattern,
                    "example": f.example,
                    "variants": str(f.variants),
                }
            )
    return records


def time_table(data: AssignmentData) -> list[dict[str, str]]:
    """Seconds per notebook from the grading report: count, median, mean, max, total.

    Empty when the report has no ``seconds`` column (the page then says n/a).
    """
    if not data.has_seconds:
        return []
    by_notebook: dict[str, list[float]] = {}
    for row in data.rows:
        value = seconds_of(row)
        if value is not None:
            by_notebook.setdefault(row["notebook"], []).append(value)
    return [
        {
            "notebook": notebook,
            "graded": str(len(times)),
            "median": number(statistics.median(times), 1),
            "mean": number(statistics.fmean(times), 1),
            "max": number(max(times), 1),
            "total": number(sum(times), 1),
        }
        for notebook, times in sorted(by_notebook.items())
    ]


def _spreadsheet_safe(text: str) -> str:
    """A cell a spreadsheet shows as text and never runs as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def write_csv(path: Path, header: list[str], rows, safe: tuple[str, ...] = ()) -> None:
    """Write a CSV file atomically: ``header``, then ``rows`` (lists, or records by header).

    Columns named in ``safe`` hold text from submissions: a leading ``=``, ``+``, ``-``,
    ``@``, tab or carriage return gets a ``'`` so that a spreadsheet does not run it.
    """
    guarded = {i for i, name in enumerate(header) if name in safe}
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for row in rows:
            cells = [row.get(k, "") for k in header] if isinstance(row, dict) else list(row)
            writer.writerow(
                _spreadsheet_safe(c) if j in guarded else c for j, c in enumerate(cells)
            )
    tmp.replace(path)
