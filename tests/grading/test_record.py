"""mlgrade.record: a submission's autograde rows carried from a worker's gradebook into the
course's, into SQLite and into a real PostgreSQL server, and refused when malformed.

The whole path (a worker's autograde, then the driver's recording) is compared with
nbgrader's own autograde in tests/grading/test_driver.py.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import shutil
import sys
from pathlib import Path

import pytest

from mlgrade.gradebook import restore_from_file
from mlgrade.record import place, record_results, results_of

from .columns import columns_of

pytestmark = pytest.mark.grading


def _assignment(url: str) -> None:
    """Two notebooks: n1 with two graded code cells, a written answer and a task; n2 with
    one graded cell. Nothing submitted yet."""
    from nbgrader.api import Gradebook

    with Gradebook(url) as gb:
        gb.update_or_create_assignment("a1", duedate=dt.datetime(2026, 11, 30, 12, 0))
        gb.add_notebook("n1", "a1")
        gb.add_notebook("n2", "a1")
        for name, points in (("f", 3), ("g", 2)):
            gb.add_grade_cell(name, "n1", "a1", max_score=points, cell_type="code")
            gb.add_solution_cell(name, "n1", "a1")
        gb.add_grade_cell("why", "n1", "a1", max_score=4, cell_type="markdown")
        gb.add_solution_cell("why", "n1", "a1")
        gb.add_task_cell("plot", "n1", "a1", max_score=1, cell_type="markdown")
        gb.add_grade_cell("h", "n2", "a1", max_score=5, cell_type="code")
        gb.add_solution_cell("h", "n2", "a1")


def _graded(url: str) -> None:
    """What a worker's autograde leaves: a late submission with scores and comments."""
    from nbgrader.api import Gradebook

    from mlgrade.course import quiet_new_submissions

    quiet_new_submissions()  # pytest puts the filters back after the test

    _assignment(url)
    with Gradebook(url) as gb:
        gb.add_student("zoë")
        gb.add_submission("a1", "zoë", timestamp=dt.datetime(2026, 12, 1, 9, 30, 15, 250000))
        sub = gb.find_submission("a1", "zoë")
        n1, n2 = sorted(sub.notebooks, key=lambda nb: nb.name)
        values = {"f": (3.0, False), "g": (0.0, False), "why": (None, True), "plot": (None, True)}
        for grade in n1.grades:
            grade.auto_score, grade.needs_manual_grade = values[grade.name]
        for comment in n1.comments:
            comment.auto_comment = "No response." if comment.name == "g" else None
        n1.late_submission_penalty = 3.0
        n2.grades[0].auto_score, n2.grades[0].needs_manual_grade = 5.0, False
        gb.db.commit()


def _columns(url: str) -> dict:
    """Every column of zoë's submission, the grader's too."""
    from nbgrader.api import Gradebook

    with Gradebook(url) as gb:
        return columns_of(gb.find_submission("a1", "zoë"))


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> tuple[Path, Path]:
    """The worker's gradebook and the course's before grading, made once (nbgrader runs
    alembic, by name, for every new gradebook: seconds each) and copied for each test."""
    folder = tmp_path_factory.mktemp("record")
    with pytest.MonkeyPatch.context() as mp:
        bindir = str(Path(sys.executable).parent)
        mp.setenv("PATH", bindir + os.pathsep + os.environ.get("PATH", ""))
        _graded(f"sqlite:///{folder / 'worker.db'}")
        _assignment(f"sqlite:///{folder / 'course.db'}")
    return folder / "worker.db", folder / "course.db"


@pytest.fixture
def worker(templates, tmp_path) -> str:
    shutil.copyfile(templates[0], tmp_path / "worker.db")
    return f"sqlite:///{tmp_path / 'worker.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def course(request, templates, tmp_path) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    restore_from_file(templates[1], url)
    return url


def test_results_are_plain_data_with_every_autograded_column(worker):
    results = results_of(worker, "a1", "zoë")
    assert results == {
        "timestamp": "2026-12-01T09:30:15.250000",
        "notebooks": {
            "n1": {
                "late_submission_penalty": 3.0,
                "grades": {
                    "f": [3.0, False],
                    "g": [0.0, False],
                    "why": [None, True],
                    "plot": [None, True],
                },
                "comments": {"f": None, "g": "No response.", "why": None, "plot": None},
            },
            "n2": {
                "late_submission_penalty": None,
                "grades": {"h": [5.0, False]},
                "comments": {"h": None},
            },
        },
    }


def test_recording_a_new_submission_reproduces_the_workers_rows(worker, course):
    record_results(course, "a1", "zoë", results_of(worker, "a1", "zoë"))
    assert _columns(course) == _columns(worker)


def test_regrading_replaces_the_autograders_columns_and_keeps_the_graders(worker, course):
    from nbgrader.api import Gradebook

    record_results(course, "a1", "zoë", results_of(worker, "a1", "zoë"))
    with Gradebook(course) as gb:  # a grader at work, the instructor grants an extension
        sub = gb.find_submission("a1", "zoë")
        sub.extension = dt.timedelta(days=2)
        n1 = next(nb for nb in sub.notebooks if nb.name == "n1")
        n1.flagged = True
        for grade in n1.grades:
            grade.manual_score = 1.0 if grade.name == "why" else None
            grade.extra_credit = 0.5 if grade.name == "f" else None
        for comment in n1.comments:
            comment.manual_comment = f"see {comment.name}"
        gb.db.commit()
    kept = _columns(course)
    results = results_of(worker, "a1", "zoë")
    results["notebooks"]["n1"]["grades"]["f"] = [0.0, False]  # the regraded answer fails
    results["notebooks"]["n1"]["comments"]["g"] = None
    results["notebooks"]["n1"]["late_submission_penalty"] = None
    results["timestamp"] = "2026-11-30T11:00:00"
    record_results(course, "a1", "zoë", results)
    after = _columns(course)
    assert after["timestamp"] == dt.datetime(2026, 11, 30, 11, 0)
    assert after["extension"] == kept["extension"] == dt.timedelta(days=2)
    penalty, flagged, grades, comments = after["notebooks"]["n1"]
    assert penalty is None and flagged is True
    assert grades["f"] == (0.0, None, 0.5, False)
    assert grades["why"] == (None, 1.0, None, True)
    assert comments["g"] == (None, "see g") and comments["f"] == (None, "see f")
    assert after["notebooks"]["n2"] == kept["notebooks"]["n2"]


def _broken(results: dict, change) -> dict:
    results = copy.deepcopy(results)
    change(results)
    return results


_DROP = object()


def _set(path: list, value=_DROP):
    """A change of the results: the entry at ``path`` set to ``value``, or removed."""

    def change(results):
        target = results
        for key in path[:-1]:
            target = target[key]
        if value is _DROP:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return change


MALFORMED = {
    "a notebook is missing": (_set(["notebooks", "n2"]), r"notebooks.*missing \['n2'\]"),
    "an unknown notebook": (_set(["notebooks", "n3"], {}), r"unknown \['n3'\]"),
    "a grade is missing": (_set(["notebooks", "n1", "grades", "g"]), r"grades.*missing \['g'\]"),
    "an unknown comment": (
        _set(["notebooks", "n1", "comments", "zz"], None),
        r"a1/n1 the comments.*unknown \['zz'\]",
    ),
    "a score above the points": (
        _set(["notebooks", "n1", "grades", "g"], [2.5, False]),
        r"a1/n1 g: auto_score is 2.5; expected 0 to 2",
    ),
    "a negative score": (
        _set(["notebooks", "n2", "grades", "h"], [-1, False]),
        r"a1/n2 h: auto_score is -1; expected 0 to 5",
    ),
    "a score that is not a number": (
        _set(["notebooks", "n2", "grades", "h"], [float("nan"), False]),
        r"auto_score is nan; expected a number or None",
    ),
    "a score that is a boolean": (
        _set(["notebooks", "n2", "grades", "h"], [True, False]),
        r"auto_score is True; expected a number or None",
    ),
    "needs_manual_grade not a boolean": (
        _set(["notebooks", "n2", "grades", "h"], [5.0, "no"]),
        r"a1/n2 h: needs_manual_grade is 'no'; expected True or False",
    ),
    "a grade that is not a pair": (
        _set(["notebooks", "n2", "grades", "h"], 5.0),
        r"results of a1 by zoë are malformed",
    ),
    "a comment that is not text": (
        _set(["notebooks", "n1", "comments", "f"], 7),
        r"a1/n1 f: auto_comment is 7; expected a string or None",
    ),
    "a negative late penalty": (
        _set(["notebooks", "n1", "late_submission_penalty"], -2.0),
        r"late_submission_penalty is -2.0; expected >= 0 or None",
    ),
    "a timestamp in no date format": (
        _set(["timestamp"], "yesterday"),
        r"timestamp is 'yesterday'; expected an ISO date string or None",
    ),
    "a timestamp that is not a date": (
        _set(["timestamp"], 1764581415),
        r"timestamp is 1764581415; expected an ISO date string or None",
    ),
    "no notebooks at all": (_set(["notebooks"]), r"expected the dict of results_of"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_results_are_refused_and_change_nothing(case, worker, course):
    record_results(course, "a1", "zoë", results_of(worker, "a1", "zoë"))
    before = _columns(course)
    change, message = MALFORMED[case]
    with pytest.raises(ValueError, match=message):
        record_results(course, "a1", "zoë", _broken(results_of(worker, "a1", "zoë"), change))
    assert _columns(course) == before


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_results_for_a_new_submission_leave_no_submission(case, worker, course):
    from nbgrader.api import Gradebook, MissingEntry

    change, message = MALFORMED[case]
    with pytest.raises(ValueError, match=message):
        record_results(course, "a1", "zoë", _broken(results_of(worker, "a1", "zoë"), change))
    with Gradebook(course) as gb, pytest.raises(MissingEntry):
        gb.find_submission("a1", "zoë")


def test_place_replaces_an_earlier_autograded_folder(tmp_path):
    executed = tmp_path / "results" / "zoë" / "a1"
    executed.mkdir(parents=True)
    (executed / "n1.ipynb").write_text("new")
    autograded = tmp_path / "autograded" / "zoë" / "a1"
    autograded.mkdir(parents=True)
    (autograded / "n1.ipynb").write_text("old")
    (autograded / "stale.txt").write_text("from an earlier grading")
    place(executed, autograded)
    assert sorted(p.name for p in autograded.iterdir()) == ["n1.ipynb"]
    assert (autograded / "n1.ipynb").read_text() == "new"
    assert not executed.exists()
    assert sorted(p.name for p in autograded.parent.iterdir()) == ["a1"]
