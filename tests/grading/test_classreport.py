"""The class report (mlgrade.classreport) on a small class fabricated by hand.

The gradebook is made through ``nbgrader.api.Gradebook`` (an assignment, one notebook, three
autograder test cells, a written answer, eight students), next to a grading report and
autograded notebooks with error outputs written here. Every number the report shows is
checked against a value worked out by hand below (pass rates, point-biserial correlations,
failure counts, Canvas and Moodle rows); the page is checked to be self-contained and is
opened in headless Chromium, where the histogram must load.
"""

from __future__ import annotations

import csv
import math
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from mlgrade.classreport import (
    cell_statistics,
    error_message,
    load_assignment,
    message_pattern,
    moodle_rows,
    point_biserial,
    read_lms_ids,
    write_class_reports,
)

from ..chromium import CHROMIUM, CHROMIUM_ARGS

REPO = Path(__file__).resolve().parents[2]

A = "a9_demo"
TESTS = {"test_a": 2.0, "test_b": 1.0, "test_c": 1.0}  # autograder tests and their points
# Autograder scores of test_a, test_b, test_c and the manual score of the written answer
# (2 points). s4's 1 of 2 on test_a is partial credit: not a pass. s6's answer is not
# graded yet (it counts 0). s7 has a submission that was never graded; s8 is only in the
# grading report (its notebook was not valid JSON).
CLASS = {
    "s1": (2, 1, 1, 2),
    "s2": (2, 1, 0, 1),
    "s3": (2, 0, 1, 0),
    "s4": (1, 1, 0, 1),
    "s5": (0, 0, 0, 0),
    "s6": (2, 1, 1, None),
}
TOTALS = {"s1": 6, "s2": 4, "s3": 3, "s4": 3, "s5": 0, "s6": 4}
PENALTY = {"s2": 1.0}  # late: 4 - 1 = 3 goes to the LMS
NAMES = {"s1": "Ada", "s2": "Bob", "s3": "Cy", "s4": "Dee", "s5": "Eve", "s6": "Fay"}
SIGMOID = ("NameError", "name 'sigmoid' is not defined")
FAILURES = {  # the error outputs in the autograded notebooks
    "s2": {"test_c": ("AssertionError", '<script>alert("x")</script> is wrong\nsecond line')},
    "s3": {"test_b": SIGMOID},
    "s4": {
        "test_a": (
            "AssertionError",
            "f(x): 3 of 12 entries differ [random inputs: rng_for('a') seed 11]",
        ),
        "test_c": SIGMOID,
    },
    "s5": {
        "test_a": (
            "AssertionError",
            "f(x): 5 of 12 entries differ [random inputs: rng_for('a') seed 42]",
        ),
        "test_b": SIGMOID,
        "test_c": SIGMOID,
    },
}
REPORT = [  # student, status, tampering, details, seconds
    ("s1", "graded", "", "", "1.5"),
    ("s2", "graded", "", "", "2.5"),
    (
        "s3",
        "tampered",
        "test cell test_b was edited",
        "graded with the original cells restored",
        "3",
    ),
    ("s4", "timeout", "", "cell code_1 timed out and was interrupted", "60"),
    ("s5", "graded", "code defines __eq__", "", "1"),
    ("s6", "graded", "", "", "2"),
    ("s7", "kernel died", "", "the kernel died while running the notebook", "10"),
    ("s8", "invalid notebook", "", "a9_demo.ipynb is not valid JSON (line 1, column 1)", ""),
]
LMS_MAP = [  # as collection writes it: s2's name starts with "-", so it is guarded by "'"
    ("s1", "canvas", "101", "Ada Lovelace"),
    ("s2", "canvas", "102", "'-Bob Dash"),
    ("s3", "canvas", "anon_77", "Anonymous"),
    ("s4", "canvas", "104", "Dee Four"),
    ("s5", "canvas", "105", "Eve Five"),
]


# --------------------------------------------------------------------------- the class
def _gradebook(root: Path) -> None:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        gb.add_assignment(A)
        gb.add_notebook(A, A)
        for name, points in TESTS.items():
            gb.add_grade_cell(name, A, A, max_score=points, cell_type="code")
        gb.add_grade_cell("answer_w", A, A, max_score=2.0, cell_type="markdown")
        gb.add_solution_cell("answer_w", A, A)
        gb.add_solution_cell("code_1", A, A)
        for student, scores in CLASS.items():
            lms_user_id = "106" if student == "s6" else None  # nbgrader's own field
            gb.add_student(
                student, first_name=NAMES[student], last_name="Test", lms_user_id=lms_user_id
            )
            gb.add_submission(A, student)
            for cell, score in zip([*TESTS, "answer_w"], scores, strict=True):
                grade = gb.find_grade(cell, A, A, student)
                if cell == "answer_w":
                    grade.manual_score = score
                    grade.needs_manual_grade = score is None
                else:
                    grade.auto_score = float(score)
                    grade.needs_manual_grade = False
            notebook = gb.find_submission_notebook(A, A, student)
            notebook.late_submission_penalty = PENALTY.get(student, 0.0)
        gb.add_student("s7")
        gb.add_submission(A, "s7")
        gb.db.commit()


def _cell(source: str, grade_id: str, *, grade: bool, solution: bool, error=None):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {
        "grade": grade,
        "solution": solution,
        "grade_id": grade_id,
        "locked": not solution,
        "schema_version": 3,
    }
    if grade:
        cell.metadata["nbgrader"]["points"] = TESTS.get(grade_id, 2.0)
    if error:
        ename, evalue = error
        colours = "\x1b[0;31m" + ename + "\x1b[0m"
        cell.outputs = [
            nbformat.v4.new_output(
                "error", ename=ename, evalue=evalue, traceback=[colours, evalue]
            )
        ]
    return cell


def _notebook(failures: dict[str, tuple[str, str]], answer_error=None):
    cells = [_cell("def f(x): ...", "code_1", grade=False, solution=True, error=answer_error)]
    for name in TESTS:
        cells.append(
            _cell(
                f"assert f(1) # {name}", name, grade=True, solution=False, error=failures.get(name)
            )
        )
    cells.append(_cell("answer", "answer_w", grade=True, solution=True))
    return nbformat.v4.new_notebook(cells=cells)


def _report(path: Path, with_seconds: bool = True) -> None:
    header = ["student", "assignment", "notebook", "status", "score", "max_score"]
    header += ["tampering", "details"] + (["seconds"] if with_seconds else [])
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for student, status, tampering, details, seconds in REPORT:
            score = str(TOTALS.get(student, ""))
            row = [student, A, A, status, score, "6", tampering, details]
            writer.writerow(row + ([seconds] if with_seconds else []))


def _lms_map(path: Path, rows) -> None:
    fields = ["student_id", "lms", "lms_user_id", "display_name", "late", "submitted_at"]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow([*fields, "source"])
        for row in rows:
            writer.writerow([*row, "", "", f"download/{row[0]}.ipynb"])


def _make_course(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    old_path = os.environ["PATH"]
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + old_path  # alembic
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SQLAlchemy's notes on nbgrader's add_submission
            _gradebook(root)
    finally:
        os.environ["PATH"] = old_path
    _report(root / "grading_report.csv")
    for student in CLASS:
        folder = root / "autograded" / student / A
        folder.mkdir(parents=True)
        answer_error = ("ZeroDivisionError", "division by zero") if student == "s5" else None
        nb = _notebook(FAILURES.get(student, {}), answer_error)
        nbformat.write(nb, folder / f"{A}.ipynb")
    # s7's kernel died: what is left of its notebook is damaged, and must not stop the report.
    (root / "autograded" / "s7" / A).mkdir(parents=True)
    damaged = '{"cells": [1, {"cell_type": "code", "metadata": "x", "outputs": 2}]}'
    (root / "autograded" / "s7" / A / f"{A}.ipynb").write_text(damaged, encoding="utf-8")
    (root / "submitted").mkdir()
    _lms_map(root / "submitted" / f"{A}.lms.csv", LMS_MAP)


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """The fabricated course, with its reports written by write_class_reports."""
    root = tmp_path_factory.mktemp("classreport") / "course"
    _make_course(root)
    pages = write_class_reports(root)
    assert pages == [root / "reports" / f"{A}.html"]
    return root


def _csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def _records(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# --------------------------------------------------------------------------- the math
def test_point_biserial_by_hand():
    # x = [1, 1, 1, 0, 0], y = [5, 4, 3, 3, 1]: M1 = 4, M0 = 2, p = 3/5, mean y = 16/5,
    # s_y^2 = (1.8^2 + 0.8^2 + 0.2^2 + 0.2^2 + 2.2^2) / 5 = 8.8 / 5 = 1.76, so
    # r = (4 - 2) / sqrt(1.76) * sqrt(0.6 * 0.4) = 2 sqrt(0.24 / 1.76).
    r = point_biserial([1, 1, 1, 0, 0], [5, 4, 3, 3, 1])
    assert r == pytest.approx(2 * math.sqrt(0.24 / 1.76), rel=1e-12)
    assert r == pytest.approx(scipy_stats.pointbiserialr([1, 1, 1, 0, 0], [5, 4, 3, 3, 1])[0])
    # Reversing who passed reverses the sign.
    assert point_biserial([0, 0, 0, 1, 1], [5, 4, 3, 3, 1]) == pytest.approx(-r, rel=1e-12)


@given(
    st.lists(
        st.tuples(st.booleans(), st.integers(0, 20)),
        min_size=2,
        max_size=40,
    )
)
def test_point_biserial_matches_scipy(pairs):
    x = np.array([p[0] for p in pairs])
    y = np.array([p[1] for p in pairs], dtype=float)
    r = point_biserial(x, y)
    if x.all() or not x.any() or np.ptp(y) == 0:
        assert math.isnan(r)
    else:
        assert r == pytest.approx(scipy_stats.pointbiserialr(x, y)[0], abs=1e-12)
        assert -1 - 1e-12 <= r <= 1 + 1e-12


def test_point_biserial_undefined_and_bad_input():
    assert math.isnan(point_biserial([1, 1, 1], [1, 2, 3]))  # everybody passed
    assert math.isnan(point_biserial([0, 0], [1, 2]))  # nobody passed
    assert math.isnan(point_biserial([1, 0, 1], [2, 2, 2]))  # rest scores all equal
    assert math.isnan(point_biserial([1], [3]))
    with pytest.raises(ValueError, match=r"x and y: .*\(3,\) and \(2,\)"):
        point_biserial([1, 0, 1], [1, 2])


def test_error_message_and_pattern():
    output = {"ename": "\x1b[31mAssertionError\x1b[0m", "evalue": "\n  x: wrong  \nmore"}
    assert error_message(output) == "AssertionError: x: wrong"
    assert error_message({"ename": "KeyboardInterrupt", "evalue": ""}) == "KeyboardInterrupt"
    message = "AssertionError: a1_information float64 p: 3 of 12 differ by -1.5e-3 at (0, 1)"
    pattern = "AssertionError: a1_information float64 p: # of # differ by # at (#, #)"
    assert message_pattern(message + " [random inputs: rng_for('p') seed 812]") == pattern


# --------------------------------------------------------------------------- the class
# Rest scores (total without the cell's points) and passes, worked out from CLASS/TOTALS:
#   test_a: rest [4, 2, 1, 2, 0, 2], passed [1, 1, 1, 0, 0, 1] (s4's 1 of 2 is no pass)
#           M1 = 9/4, M0 = 1, var = 29/6 - (11/6)^2 = 53/36, p = 2/3:
#           r = (5/4) / (sqrt(53)/6) * sqrt(2/9) = 2.5 sqrt(2/53)
#   test_b: rest [5, 3, 3, 2, 0, 3], passed [1, 1, 0, 1, 0, 1]
#           M1 = 13/4, M0 = 3/2, var = 28/3 - (8/3)^2 = 20/9, p = 2/3:
#           r = (7/4) / (sqrt(20)/3) * sqrt(2/9) = (7/4) sqrt(1/10)
#   test_c: rest [5, 4, 2, 3, 0, 3], passed [1, 0, 1, 0, 0, 1]
#           M1 = 10/3, M0 = 7/3, var = 21/2 - (17/6)^2 = 89/36, p = 1/2:
#           r = 1 / (sqrt(89)/6) * (1/2) = 3 / sqrt(89)
REST = {"test_a": [4, 2, 1, 2, 0, 2], "test_b": [5, 3, 3, 2, 0, 3], "test_c": [5, 4, 2, 3, 0, 3]}
PASSED = {"test_a": [1, 1, 1, 0, 0, 1], "test_b": [1, 1, 0, 1, 0, 1], "test_c": [1, 0, 1, 0, 0, 1]}
DISCRIMINATION = {
    "test_a": 2.5 * math.sqrt(2 / 53),
    "test_b": 7 / 4 * math.sqrt(1 / 10),
    "test_c": 3 / math.sqrt(89),
}


def test_hand_values_agree_with_scipy():
    for name, r in DISCRIMINATION.items():
        assert r == pytest.approx(scipy_stats.pointbiserialr(PASSED[name], REST[name])[0])


def test_pass_rates_and_discrimination(course):
    data = load_assignment(course, A)
    assert [t.name for t in data.tests] == list(TESTS)
    stats = {s.test.name: s for s in cell_statistics(data.tests, list(data.submissions.values()))}
    for name in TESTS:
        assert stats[name].graded == 6  # s7 was never graded
        assert stats[name].passed == sum(PASSED[name])
        assert stats[name].discrimination == pytest.approx(DISCRIMINATION[name], rel=1e-12)
    rows = {r["cell"]: r for r in _records(course / "reports" / f"{A}.tests.csv")}
    assert rows["test_a"]["pass_rate"] == "0.6667" and rows["test_c"]["pass_rate"] == "0.5"
    for name in TESTS:
        assert float(rows[name]["discrimination"]) == pytest.approx(DISCRIMINATION[name], abs=5e-5)
        assert rows[name]["passed"] == str(sum(PASSED[name])) and rows[name]["graded"] == "6"


def test_failure_messages_are_counted(course):
    rows = _records(course / "reports" / f"{A}.failures.csv")
    found = [(r["cell"], r["students"], r["pattern"], r["variants"]) for r in rows]
    assert found == [
        ("test_a", "2", "AssertionError: f(x): # of # entries differ", "2"),
        ("test_b", "2", "NameError: name 'sigmoid' is not defined", "1"),
        ("test_c", "2", "NameError: name 'sigmoid' is not defined", "1"),
        ("test_c", "1", 'AssertionError: <script>alert("x")</script> is wrong', "1"),
    ]
    # The commonest wording (a tie: the first in order), the first line of the message only;
    # the error of the answer cell code_1 is not a test failure.
    assert rows[0]["example"].startswith("AssertionError: f(x): 3 of 12 entries differ")
    assert all("ZeroDivisionError" not in r["example"] for r in rows)


def test_per_student_csv(course):
    rows = {r["student"]: r for r in _records(course / "reports" / f"{A}.csv")}
    assert sorted(rows) == [f"s{i}" for i in range(1, 9)]
    assert rows["s2"]["raw_score"] == "4" and rows["s2"]["score"] == "3"
    assert rows["s2"]["late_penalty"] == "1" and rows["s2"]["name"] == "'-Bob Dash"
    assert rows["s4"]["pass a9_demo/test_a"] == "0"  # partial credit
    assert rows["s6"]["needs_manual_grade"] == "yes" and rows["s6"]["raw_score"] == "4"
    assert rows["s7"]["raw_score"] == "" and rows["s7"]["status"] == "kernel died"
    assert rows["s8"]["status"] == "invalid notebook" and rows["s8"]["seconds"] == ""
    assert rows["s4"]["seconds"] == "60"
    flagged = {s for s, r in rows.items() if r["flagged"] == "yes"}
    assert flagged == {"s3", "s4", "s5", "s7", "s8"}


def test_flagged_submissions_have_reason_and_action(course):
    rows = {r["student"]: r for r in _records(course / "reports" / f"{A}.flagged.csv")}
    assert sorted(rows) == ["s3", "s4", "s5", "s7", "s8"]  # status not graded, or tampering
    assert rows["s3"]["reason"].endswith("tampering: test cell test_b was edited")
    assert rows["s5"]["status"] == "graded" and "__eq__" in rows["s5"]["reason"]
    assert "not valid JSON" in rows["s8"]["reason"] and "new file" in rows["s8"]["action"]
    assert "Regrade by hand" in rows["s7"]["action"]
    assert all(r["action"] for r in rows.values())


def test_time_per_notebook(course):
    page = (course / "reports" / f"{A}.html").read_text(encoding="utf-8")
    section = page.split("<h2>Time per notebook</h2>")[1].split("<h2>")[0]
    # Seven timed notebooks: 1.5, 2.5, 3, 60, 1, 2, 10 -> median 2.5, mean 80/7, max 60.
    cells = re.findall(r'<td class="num">([^<]*)</td>', section)
    assert cells == ["7", "2.5", "11.4", "60", "80"]
    assert "Slowest: s4 (a9_demo, 60 s), s7 (a9_demo, 10 s), s3 (a9_demo, 3 s)," in section


def test_time_is_na_without_seconds(course, tmp_path):
    root = tmp_path / "course"
    shutil.copytree(course, root)
    _report(root / "grading_report.csv", with_seconds=False)
    write_class_reports(root)
    page = (root / "reports" / f"{A}.html").read_text(encoding="utf-8")
    assert re.search(r'<p id="time-na">n/a: grading_report.csv records no time', page)
    assert all(r["seconds"] == "" for r in _records(root / "reports" / f"{A}.csv"))


def test_canvas_import_file(course):
    rows = _csv(course / "reports" / f"{A}.canvas.csv")
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", A]
    assert rows[1] == ["Points Possible", "", "", "", "", "6"]
    assert rows[2:] == [
        ["Ada Lovelace", "101", "", "", "", "6"],
        ["-Bob Dash", "102", "", "", "", "3"],  # after the late penalty
        ["Anonymous", "", "", "s3", "", "3"],  # an anonymous id is no user id: course id
        ["Dee Four", "104", "", "", "", "3"],
        ["Eve Five", "105", "", "", "", "0"],
        ["Fay Test", "106", "", "", "", "4"],  # not in the map: nbgrader's lms_user_id
    ]  # s7 (never graded) and s8 (no submission) are left out


def test_moodle_file_without_moodle_ids_uses_course_ids(course):
    rows = _csv(course / "reports" / f"{A}.moodle.csv")
    assert rows[0] == ["Username", "Full name", A]
    assert [r[0] for r in rows[1:]] == ["s1", "s2", "s3", "s4", "s5", "s6"]
    assert rows[2] == ["s2", "-Bob Dash", "3"]


def test_moodle_grading_worksheet(course, tmp_path):
    ids = tmp_path / "moodle.csv"
    _lms_map(
        ids,
        [
            (s, "moodle", str(5000 + i), f"{NAMES[s]} M")
            for i, s in enumerate(["s1", "s2", "s3", "s4"], start=1)
        ],
    )
    assert read_lms_ids(ids)["s3"].lms_user_id == "5003"
    data = load_assignment(course, A, lms_ids=ids)
    from datetime import UTC, datetime

    rows, kind = moodle_rows(data, now=datetime(2026, 12, 1, 21, 30, tzinfo=UTC))
    assert kind == "worksheet"
    assert rows[0] == [
        "Identifier",
        "Full name",
        "Grade",
        "Maximum Grade",
        "Last modified (grade)",
    ]
    assert rows[1:] == [
        ["Participant 5001", "Ada M", "6", "6", "2026-12-01 21:30:00 UTC"],
        ["Participant 5002", "Bob M", "3", "6", "2026-12-01 21:30:00 UTC"],
        ["Participant 5003", "Cy M", "3", "6", "2026-12-01 21:30:00 UTC"],
        ["Participant 5004", "Dee M", "3", "6", "2026-12-01 21:30:00 UTC"],
    ]  # s5 and s6 have no participant id: never "Participant <course id>"
    pages = write_class_reports(course, [A], lms_ids=ids)
    page = pages[0].read_text(encoding="utf-8")
    assert "Upload grading worksheet" in page and "s5, s6" in page
    write_class_reports(course)  # back to the map of submitted/ for the other tests


def test_unknown_status_gets_a_general_action():
    from mlgrade.classreport import AssignmentData, flagged_table

    row = {"student": "s9", "assignment": A, "notebook": A, "status": "memory limit"}
    data = AssignmentData(A, [], {}, [{**row, "details": "", "tampering": ""}], {}, {}, False)
    (flagged,) = flagged_table(data)
    assert flagged["reason"] == "memory limit"
    assert flagged["action"] == f"Read the details and grading_report.logs/{A}/s9.log."


def test_report_without_a_gradebook(course, tmp_path):
    root = tmp_path / "course"
    shutil.copytree(course, root)
    (root / "gradebook.db").unlink()
    (page,) = write_class_reports(root)
    text = page.read_text(encoding="utf-8")
    assert f"No gradebook at {root / 'gradebook.db'}" in text
    assert "No submission has a score yet." in text
    assert not (root / "gradebook.db").exists()  # reading never creates a gradebook
    assert len(_records(root / "reports" / f"{A}.flagged.csv")) == 5
    assert len(_csv(root / "reports" / f"{A}.canvas.csv")) == 2  # header and points only


def test_ids_from_a_real_collection(tmp_path):
    """The id map that mlgrade.collect writes gives the Canvas and Moodle ids of the files."""
    from mlgrade.classreport import AssignmentData, Submission, canvas_rows
    from mlgrade.collect import collect

    release = tmp_path / "exercises" / A
    release.mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(), release / f"{A}.ipynb")
    empty = nbformat.writes(nbformat.v4.new_notebook())
    canvas = tmp_path / "canvas"
    moodle = tmp_path / "moodle" / "Ada Lovelace_5001_assignsubmission_file_"
    canvas.mkdir()
    moodle.mkdir(parents=True)
    (canvas / f"lovelaceada_101_9001_{A}.ipynb").write_text(empty, encoding="utf-8")
    (moodle / f"{A}.ipynb").write_text(empty, encoding="utf-8")

    def report(lms_ids):
        subs = {s: Submission(s, 5.0, 6.0) for s in lms_ids}
        return AssignmentData(A, [], subs, [], {}, lms_ids, False)

    (canvas_id,) = collect(tmp_path, A, canvas, lms="canvas")
    data = report(read_lms_ids(tmp_path / "submitted" / f"{A}.lms.csv"))
    assert canvas_rows(data)[2] == [data.lms_ids[canvas_id].display_name, "101", "", "", "", "5"]
    root = tmp_path / "m"
    shutil.copytree(tmp_path / "exercises", root / "exercises")
    assert len(collect(root, A, tmp_path / "moodle", lms="moodle")) == 1
    data = report(read_lms_ids(root / "submitted" / f"{A}.lms.csv"))
    rows, kind = moodle_rows(data)
    assert kind == "worksheet" and rows[1][:4] == ["Participant 5001", "Ada Lovelace", "5", "6"]


def test_lms_map_needs_its_columns(tmp_path):
    bad = tmp_path / "ids.csv"
    bad.write_text("name,id\nx,1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="student_id and lms_user_id"):
        read_lms_ids(bad)
    assert read_lms_ids(tmp_path / "absent.csv") == {}


def test_any_gradebook_url(course, tmp_path, monkeypatch):
    """The gradebook is read from the URL given, or from $GRADEBOOK_URL."""
    root = tmp_path / "course"
    shutil.copytree(course, root)
    other = tmp_path / "elsewhere.db"
    (root / "gradebook.db").rename(other)
    url = f"sqlite:///{other}"
    write_class_reports(root, gradebook_url=url)
    expected = (course / "reports" / f"{A}.tests.csv").read_text(encoding="utf-8")
    assert (root / "reports" / f"{A}.tests.csv").read_text(encoding="utf-8") == expected
    monkeypatch.setenv("GRADEBOOK_URL", url)
    (root / "reports" / f"{A}.tests.csv").unlink()
    write_class_reports(root)
    assert (root / "reports" / f"{A}.tests.csv").read_text(encoding="utf-8") == expected
    assert not (root / "gradebook.db").exists()  # nothing created at the default place


# --------------------------------------------------------------------------- the page
def test_page_is_self_contained(course):
    page = (course / "reports" / f"{A}.html").read_text(encoding="utf-8")
    assert "<script" not in page.lower()
    links = re.findall(r'\b(?:src|href)\s*=\s*"([^"]*)"', page, flags=re.IGNORECASE)
    assert links, "the page has its image and file links"
    for link in links:
        scheme = urlsplit(link).scheme
        assert scheme in ("", "data"), f"external reference {link[:60]!r}"
        assert not link.startswith("//")
        assert scheme == "data" or (course / "reports" / link).is_file(), link
    assert "@import" not in page and "url(" not in page
    images = re.findall(r'<img id="([\w-]+)"[^>]*src="data:image/png;base64,', page)
    assert images == ["score-histogram", "pass-rates"]
    # A student's message is shown as text, never as markup.
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; is wrong" in page


@pytest.mark.browser
def test_page_in_chromium(course, tmp_path):
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (apt-get)")
    from playwright import sync_api

    page_path = course / "reports" / f"{A}.html"
    requests, errors = [], []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()

            def route(request_route):
                url = request_route.request.url
                if url.startswith(("file:", "data:")):
                    request_route.continue_()
                else:
                    requests.append(url)
                    request_route.abort()

            page.route("**/*", route)
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(page_path.as_uri(), wait_until="load")
            sizes = page.evaluate(
                """() => Array.from(document.images).map(
                     (img) => [img.id, img.complete, img.naturalWidth, img.naturalHeight])"""
            )
            title = page.title()
            text = page.inner_text("body")
            page.screenshot(path=str(tmp_path / "class_report.png"), full_page=True)
        finally:
            browser.close()
    assert not requests, f"the page asked for {requests}"
    assert not errors, f"errors in the page: {errors}"
    assert title == f"Class report: {A}"
    histogram = [s for s in sizes if s[0] == "score-histogram"]
    assert histogram and histogram[0][1] and histogram[0][2] > 400 and histogram[0][3] > 200
    assert all(s[1] and s[2] > 0 for s in sizes), sizes
    for heading in (
        "Score distribution",
        "Test cells",
        "Most common failure messages",
        "Time per notebook",
        "Flagged and failed submissions",
        "LMS export",
    ):
        assert heading in text
    assert '<script>alert("x")</script> is wrong' in text  # shown as text


# --------------------------------------------------------------------------- commands
def _cli(*args, cwd=REPO):
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return subprocess.run(
        [sys.executable, "-m", "mlgrade.classreport", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_command_line(course, tmp_path):
    root = tmp_path / "course"
    shutil.copytree(course, root)
    shutil.rmtree(root / "reports")
    done = _cli("--root", str(root), "--assignment", A)
    assert done.returncode == 0, done.stderr
    assert f"reports/{A}.html" in done.stdout
    names = sorted(p.name for p in (root / "reports").iterdir())
    assert names == sorted(
        f"{A}{end}"
        for end in (
            ".html",
            ".csv",
            ".tests.csv",
            ".failures.csv",
            ".flagged.csv",
            ".canvas.csv",
            ".moodle.csv",
        )
    )
    done = _cli("--root", str(root), "--assignment", "a0_nothing")
    assert done.returncode == 2 and "a0_nothing" in done.stderr and A in done.stderr
    done = _cli("--root", str(tmp_path / "empty"))
    assert done.returncode == 2 and "run make autograde first" in done.stderr


def test_make_report_target():
    env = dict(os.environ, GRADEBOOK_URL="postgresql://grader@/course")
    done = subprocess.run(
        ["make", "-n", "report", "ASSIGNMENT=a1_information"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    command = " ".join(done.stdout.replace("\\\n", " ").split())
    assert "-m mlgrade.classreport --assignment a1_information" in command, done.stdout
    assert "--gradebook-url 'postgresql://grader@/course'" in command
    assert "report" in (REPO / "grading.mk").read_text(encoding="utf-8").split("\n\n")[0]


def test_reports_are_git_ignored_and_not_in_the_book():
    done = subprocess.run(
        ["git", "check-ignore", "-q", "reports/a1_information.html"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, "reports/ must be in .gitignore"
    assert "reports" not in (REPO / "_toc.yml").read_text(encoding="utf-8")
    config = (REPO / "_config.yml").read_text(encoding="utf-8")
    assert re.search(r"^exclude_patterns:\n(?:  - .*\n)*  - reports\n", config, re.MULTILINE)
