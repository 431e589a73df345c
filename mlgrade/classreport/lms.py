"""Grade files for the LMS: a Canvas gradebook import and a Moodle grade import.

Both carry the score after the late penalty (as ``nbgrader export``), for the submissions
that have a score; a submission without one (not graded, the notebook unreadable) is left
out, so that importing never overwrites a grade with nothing. Students are identified by
the LMS ids of the id map that collection writes (:func:`~.data.read_lms_ids`), and by
their course ids where the map has none.

Canvas (*Grades > Import*): the header ``Student, ID, SIS User ID, SIS Login ID, Section``,
then one column per assignment; a ``Points Possible`` row may follow the header. Canvas
finds each student by the Canvas user id in ``ID``, else by ``SIS Login ID``, else by the
name in ``Student``. The assignment column is titled like the nbgrader assignment: Canvas
matches it to the assignment of that title, or offers to create one (a header
``Title (<Canvas assignment id>)`` picks a given assignment). Checked against
canvas-lms ``app/models/gradebook_importer.rb`` (``header?``, ``process_student``,
``process_pp``).

Moodle: collection records the *participant id* of a Moodle download, which is what the
assignment's grading worksheet uses (*Assignment > Submissions > Upload grading
worksheet*, the "offline grading worksheet" feedback type): columns ``Identifier``
(``Participant <id>``), ``Grade`` and ``Last modified (grade)`` are required, rows with an
unknown identifier are skipped. Checked against Moodle
``mod/assign/feedback/offline/importgradeslib.php`` and the ``assign`` language strings
``recordid``, ``hiddenuser`` and ``lastmodifiedgrade``. When no student has a participant
id (the class was not collected from Moodle), the file is instead one for the course
gradebook import (*Grade administration > Import > CSV file*), with the course id in
``Username``: map it to "username" and the assignment column to the grade item.
"""

from __future__ import annotations

from datetime import UTC, datetime

from .data import AssignmentData, Submission

__all__ = ["canvas_rows", "exported", "lms_user_id", "moodle_rows", "number"]


def number(value: float | None, digits: int = 2) -> str:
    """A score as text: at most ``digits`` decimals, no trailing zeros; ``""`` for none."""
    if value is None or value != value:
        return ""
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def exported(data: AssignmentData) -> list[Submission]:
    """The submissions an LMS file carries: those with a score, by course id."""
    subs = [data.submissions.get(student) for student in data.students]
    return [sub for sub in subs if sub is not None and sub.score is not None]


def display_name(data: AssignmentData, student: str) -> str:
    """The id map's display name, else the gradebook's first and last name, else the id."""
    known, sub = data.lms_ids.get(student), data.submissions.get(student)
    return (known and known.display_name) or (sub and sub.name) or student


def lms_user_id(data: AssignmentData, student: str, lms: str) -> str:
    """The student's user id in ``lms`` (``""`` when unknown).

    From the id map when its row is for that LMS and the id is a number (an anonymous
    Canvas id ``anon_...`` is not a user id); for Canvas, else nbgrader's own
    ``lms_user_id`` field of the student.
    """
    known = data.lms_ids.get(student)
    if known is not None and known.lms == lms:
        return known.lms_user_id if known.lms_user_id.isdigit() else ""
    sub = data.submissions.get(student)
    if lms == "canvas" and known is None and sub is not None and sub.lms_user_id.isdigit():
        return sub.lms_user_id
    return ""


def canvas_rows(data: AssignmentData) -> list[list[str]]:
    """The Canvas gradebook import of one assignment, as CSV rows (see the module)."""
    rows = [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", data.name],
        ["Points Possible", "", "", "", "", number(data.max_score)],
    ]
    for sub in exported(data):
        user_id = lms_user_id(data, sub.student, "canvas")
        login = "" if user_id else sub.student
        name = display_name(data, sub.student)
        rows.append([name, user_id, "", login, "", number(sub.final_score)])
    return rows


def moodle_rows(data: AssignmentData, now: datetime | None = None) -> tuple[list[list[str]], str]:
    """The Moodle import of one assignment as CSV rows, and its kind (see the module).

    The kind is ``"worksheet"`` (the assignment's grading worksheet, for the students with
    a Moodle participant id) or ``"gradebook"`` (the course gradebook import by course
    id, when nobody has one). ``now`` is the worksheet's "Last modified (grade)" (default:
    the current time), so that Moodle takes these grades as the newest.
    """
    subs = exported(data)
    ids = {sub.student: lms_user_id(data, sub.student, "moodle") for sub in subs}
    if not any(ids.values()):
        rows = [["Username", "Full name", data.name]]
        for sub in subs:
            rows.append([sub.student, display_name(data, sub.student), number(sub.final_score)])
        return rows, "gradebook"
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M:%S UTC")
    header = ["Identifier", "Full name", "Grade", "Maximum Grade", "Last modified (grade)"]
    rows = [header]
    for sub in subs:
        if ids[sub.student]:
            name, score = display_name(data, sub.student), number(sub.final_score)
            rows.append(
                [f"Participant {ids[sub.student]}", name, score, number(sub.max_score), stamp]
            )
    return rows, "worksheet"
