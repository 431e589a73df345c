"""The class report: per assignment, one self-contained HTML page and its CSV files.

``make report`` (``python -m mlgrade.classreport``, also run at the end of
``make autograde``) writes into ``<root>/reports/`` (git-ignored, never part of the book),
for every assignment:

=================================  ========================================================
``<assignment>.html``              the page: score distribution, test cells (pass rate,
                                   discrimination, commonest failure), failure messages,
                                   time per notebook, flagged and failed submissions with
                                   their reason and what to do, the LMS export
``<assignment>.csv``               one row per student: scores, status, time, a
                                   ``pass <notebook>/<cell>`` column (1, 0, empty) per test
``<assignment>.tests.csv``         pass rate and discrimination index of each test cell
``<assignment>.failures.csv``      each kind of failure of each test cell, with a count
``<assignment>.flagged.csv``       every notebook not ``graded`` or showing tampering
``<assignment>.canvas.csv``        Canvas gradebook import (:func:`~.lms.canvas_rows`)
``<assignment>.moodle.csv``        Moodle grade import (:func:`~.lms.moodle_rows`)
=================================  ========================================================

The page works offline: figures are embedded PNG, the style is inline, there is no script.
Its inputs are described in :mod:`.data`, its numbers in :mod:`.stats`, the LMS files in
:mod:`.lms`.
"""

from __future__ import annotations

from pathlib import Path

from .. import _startup  # noqa: F401  (before nbformat: see mlgrade/_startup.py)
from .data import (
    GRADING_REPORT,
    AssignmentData,
    AutoTest,
    LmsId,
    Submission,
    load_assignment,
    read_failures,
    read_gradebook,
    read_grading_report,
    read_lms_ids,
    resolve_gradebook_url,
    sqlite_file,
)
from .lms import canvas_rows, moodle_rows
from .page import render_html
from .stats import (
    CellStats,
    Failure,
    cell_statistics,
    error_message,
    group_failures,
    message_pattern,
    point_biserial,
)
from .tables import (
    ACTIONS,
    failure_table,
    flagged_table,
    student_table,
    test_table,
    write_csv,
)

__all__ = [
    "ACTIONS",
    "REPORTS",
    "AssignmentData",
    "AutoTest",
    "CellStats",
    "Failure",
    "LmsId",
    "Submission",
    "canvas_rows",
    "cell_statistics",
    "error_message",
    "group_failures",
    "known_assignments",
    "load_assignment",
    "message_pattern",
    "moodle_rows",
    "point_biserial",
    "read_failures",
    "read_gradebook",
    "read_grading_report",
    "read_lms_ids",
    "write_class_reports",
    "write_report",
]

#: The folder of the reports, in the course root.
REPORTS = "reports"

_FAILURE_COLUMNS = ["notebook", "cell", "students", "pattern", "example", "variants"]
_FLAGGED_COLUMNS = ["student", "notebook", "status", "score", "reason", "action"]
_TEST_COLUMNS = ["notebook", "cell", "max_score", "graded", "passed", "pass_rate"]
_TEST_COLUMNS += ["discrimination"]


def write_report(data: AssignmentData, folder: Path) -> Path:
    """Write the page and the CSV files of one assignment into ``folder``; the page's path."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = data.name
    files = {
        "students": f"{stem}.csv",
        "tests": f"{stem}.tests.csv",
        "failures": f"{stem}.failures.csv",
        "flagged": f"{stem}.flagged.csv",
        "canvas": f"{stem}.canvas.csv",
        "moodle": f"{stem}.moodle.csv",
    }
    stats = cell_statistics(data.tests, list(data.submissions.values()))
    students = student_table(data, stats)
    header = list(students[0]) if students else ["student"]
    write_csv(folder / files["students"], header, students, safe=("name",))
    write_csv(folder / files["tests"], _TEST_COLUMNS, test_table(stats))
    write_csv(
        folder / files["failures"], _FAILURE_COLUMNS, failure_table(data), ("pattern", "example")
    )
    flagged = flagged_table(data)
    write_csv(folder / files["flagged"], _FLAGGED_COLUMNS, flagged, ("reason",))
    canvas = canvas_rows(data)
    write_csv(folder / files["canvas"], canvas[0], canvas[1:])
    moodle, kind = moodle_rows(data)
    write_csv(folder / files["moodle"], moodle[0], moodle[1:])
    page = folder / f"{stem}.html"
    tmp = page.with_name(page.name + ".tmp")
    tmp.write_text(render_html(data, stats, files, kind), encoding="utf-8")
    tmp.replace(page)
    return page


def known_assignments(root: Path, url: str) -> list[str]:
    """Assignments of the grading report, and those with a submission in the gradebook."""
    rows, _ = read_grading_report(Path(root) / GRADING_REPORT)
    names = {row["assignment"] for row in rows}
    db = sqlite_file(url)
    if db is None or db.exists():
        from nbgrader.api import Gradebook

        with Gradebook(url) as gb:
            names |= {a.name for a in gb.assignments if a.submissions}
    return sorted(names)


def write_class_reports(
    root: Path | str = ".",
    assignments: list[str] | None = None,
    gradebook_url: str | None = None,
    lms_ids: Path | str | None = None,
) -> list[Path]:
    """Write the class report of each assignment into ``root/reports/``.

    Parameters
    ----------
    root : path
        The course directory (``grading_report.csv``, ``autograded/``, ``gradebook.db``).
    assignments : list of str, optional
        Default: every assignment of the grading report or with a submission in the
        gradebook.
    gradebook_url : str, optional
        SQLAlchemy URL of the gradebook (``sqlite:///...``, ``postgresql://...``); default
        ``$GRADEBOOK_URL``, else ``sqlite:///<root>/gradebook.db``.
    lms_ids : path, optional
        An LMS id map for every assignment (default: ``submitted/<assignment>.lms.csv``,
        written by collection; see :func:`~.data.read_lms_ids`).

    Returns
    -------
    list of Path
        The HTML page of each assignment; its CSV files are next to it.
    """
    root = Path(root).resolve()
    url = resolve_gradebook_url(root, gradebook_url)
    db = sqlite_file(url)
    if db is not None and not db.exists() and not (root / GRADING_REPORT).exists():
        raise FileNotFoundError(
            f"nothing to report in {root}: no gradebook ({db}) and no {GRADING_REPORT}; "
            "run make autograde first"
        )
    known = known_assignments(root, url)
    unknown = [name for name in assignments or [] if name not in known]
    if unknown:
        raise ValueError(
            f"assignments: {', '.join(unknown)} not graded (neither in {GRADING_REPORT} nor "
            f"with a submission in the gradebook); graded: {', '.join(known) or 'none'}"
        )
    folder = root / REPORTS
    return [
        write_report(load_assignment(root, name, url, lms_ids), folder)
        for name in assignments or known
    ]
