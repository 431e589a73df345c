"""mlgrade.gradebook against both databases: SQLite files and a real PostgreSQL server."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import pytest

from mlgrade.gradebook import (
    copy_to_file,
    course_url,
    describe,
    duedate,
    has_assignment,
    healthy,
    restore_from_file,
    sqlite_file,
)

pytestmark = pytest.mark.grading


@pytest.fixture(autouse=True)
def _alembic_on_path(monkeypatch):
    """nbgrader runs alembic by name: it lives next to this Python."""
    bindir = str(Path(sys.executable).parent)
    monkeypatch.setenv("PATH", bindir + os.pathsep + os.environ.get("PATH", ""))


def _fill(url: str) -> None:
    """A small gradebook: one assignment, two students, a graded submission."""
    from nbgrader.api import Gradebook

    from mlgrade.course import quiet_new_submissions

    quiet_new_submissions()  # pytest puts the filters back after the test

    with Gradebook(url, course_id="mlcourse") as gb:
        gb.update_or_create_assignment("a1", duedate=dt.datetime(2026, 11, 30, 12, 0))
        gb.add_notebook("a1", "a1")
        gb.add_grade_cell("q1", "a1", "a1", max_score=3, cell_type="code")
        gb.add_solution_cell("q1", "a1", "a1")
        for student in ("ana", "zoë"):
            gb.add_student(student, first_name=student.title())
            gb.add_submission("a1", student)
        grade = gb.find_grade("q1", "a1", "a1", "zoë")
        grade.auto_score = 2.5
        grade.manual_score = 3.0
        gb.db.commit()


def _scores(url: str) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(url, course_id="mlcourse") as gb:
        return {s.student.id: s.score for s in gb.find_assignment("a1").submissions}


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'gradebook.db'}"
    return request.getfixturevalue("postgres_url")


def test_course_url_defaults_to_the_file_and_reads_the_environment(tmp_path):
    assert course_url(tmp_path, {}) == f"sqlite:///{tmp_path.resolve() / 'gradebook.db'}"
    pg = "postgresql://grader:secret@db.example.edu/mlcourse"
    assert course_url(tmp_path, {"GRADEBOOK_URL": pg}) == pg
    with pytest.raises(ValueError, match=r"GRADEBOOK_URL.*sqlite:/// or postgresql://"):
        course_url(tmp_path, {"GRADEBOOK_URL": "mysql://db/mlcourse"})
    assert describe(pg) == "postgresql://grader:***@db.example.edu/mlcourse"
    assert sqlite_file(pg) is None and sqlite_file("sqlite:///:memory:") is None


def test_nothing_is_created_by_asking(tmp_path):
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    assert not has_assignment(url, "a1") and duedate(url, "a1") is None
    assert not (tmp_path / "gradebook.db").exists()


def test_questions_and_integrity(url):
    _fill(url)
    assert has_assignment(url, "a1") and not has_assignment(url, "a2")
    assert duedate(url, "a1") == dt.datetime(2026, 11, 30, 12, 0)
    assert healthy(url)


def test_a_copy_is_a_complete_gradebook_and_restores(url, tmp_path):
    from sqlalchemy import create_engine, text

    _fill(url)
    before = _scores(url)
    assert before == {"ana": 0.0, "zoë": 3.0}
    backup = copy_to_file(url, tmp_path / "backups" / "copy.db")
    assert _scores(f"sqlite:///{backup}") == before
    assert healthy(f"sqlite:///{backup}")
    # Damage: a submission and its grades deleted, a score changed.
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE grade SET manual_score = 99"))
        conn.execute(
            text(
                "DELETE FROM grade WHERE notebook_id IN (SELECT n.id FROM "
                "submitted_notebook n JOIN submitted_assignment s ON "
                "n.assignment_id = s.id WHERE s.student_id = 'ana')"
            )
        )
    engine.dispose()
    assert _scores(url) != before
    restore_from_file(backup, url)
    assert _scores(url) == before


def test_a_damaged_sqlite_file_is_not_healthy(tmp_path):
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    _fill(url)
    data = bytearray((tmp_path / "gradebook.db").read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)
    (tmp_path / "gradebook.db").write_bytes(bytes(data))
    assert not healthy(url)


def test_an_unreachable_server_is_not_healthy(postgres):
    assert not healthy(postgres.url("no_such_database"))


def test_a_dropped_table_on_the_server_is_restored(postgres_url, tmp_path):
    from sqlalchemy import create_engine, text

    _fill(postgres_url)
    before = _scores(postgres_url)
    backup = copy_to_file(postgres_url, tmp_path / "copy.db")
    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE comment"))
        conn.execute(text("DROP TABLE grade"))
    engine.dispose()
    assert not healthy(postgres_url)
    restore_from_file(backup, postgres_url)
    assert healthy(postgres_url) and _scores(postgres_url) == before
