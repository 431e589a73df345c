"""The instructor's whole cycle with the gradebook on a real PostgreSQL server.

A throwaway course with a1 is released, collected, autograded, graded by hand (written
answers, through nbgrader's API on the same server, as the formgrader does), given
feedback, exported and reported, every step through the make targets with
``GRADEBOOK_URL=postgresql://...``. Nothing may fall back to an SQLite file in the course,
and the backups the driver takes are complete copies of the server's gradebook.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

pytestmark = [pytest.mark.grading, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
VENV = Path(sys.executable).parent.parent
A = "a1_information"


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _make(root: Path, url: str, *args: str) -> subprocess.CompletedProcess:
    cmd = ["make", "-C", str(root), f"VENV={VENV}", "-o", str(VENV / ".installed"), *args]
    cmd.append(f"GRADEBOOK_URL={url}")
    env = {k: v for k, v in os.environ.items() if k != "GRADEBOOK_URL"}
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, f"make {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done


def _unmarked(source: str) -> str:
    return re.sub(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", "", source, flags=re.M)


def _class(source, released) -> dict[str, nbformat.NotebookNode]:
    """honest: every answer; partial: the first code answer left as released; blank."""
    answers = {_meta(c)["grade_id"]: c.source for c in source.cells if _meta(c).get("solution")}
    first_code = next(
        _meta(c)["grade_id"]
        for c in source.cells
        if _meta(c).get("solution") and c.cell_type == "code"
    )
    out = {}
    for student in ("honest", "partial"):
        nb = nbformat.from_dict(released)
        for cell in nb.cells:
            grade_id = _meta(cell).get("grade_id")
            if grade_id not in answers or (student == "partial" and grade_id == first_code):
                continue
            code = cell.cell_type == "code"
            cell.source = _unmarked(answers[grade_id]) if code else "My own reasoning."
        out[student] = nb
    out["blank"] = nbformat.from_dict(released)
    return out


@pytest.fixture(scope="module")
def cycle(postgres):
    from nbgrader.api import Gradebook

    url = postgres.new_database()
    root = Path(tempfile.mkdtemp(prefix="mlgrade-pg-course-"))
    downloads = Path(tempfile.mkdtemp(prefix="mlgrade-pg-downloads-"))
    try:
        for path in [REPO / "Makefile", REPO / "nbgrader_config.py", *REPO.glob("*.mk")]:
            shutil.copy(path, root / path.name)
        shutil.copytree(REPO / "solutions" / A, root / "solutions" / A)
        _make(root, url, "release")
        source = nbformat.read(str(root / "solutions" / A / f"{A}.ipynb"), as_version=4)
        released = nbformat.read(str(root / "exercises" / A / f"{A}.ipynb"), as_version=4)
        for student, nb in _class(source, released).items():
            nbformat.write(nb, str(downloads / f"{student}.ipynb"))
        _make(root, url, "collect", f"ASSIGNMENT={A}", f"FROM={downloads}")
        _make(root, url, "autograde", "JOBS=2")
        with (root / "grading_report.csv").open(encoding="utf-8") as f:
            report = {r["student"]: r for r in csv.DictReader(f)}
        manual = {
            _meta(c)["grade_id"]: float(_meta(c)["points"])
            for c in source.cells
            if _meta(c).get("grade") and _meta(c).get("solution")
        }
        given = {"honest": dict(manual), "partial": {next(iter(manual)): 1.0}, "blank": {}}
        with Gradebook(url, course_id="mlcourse") as gb:  # what the formgrader does
            for student, grades in given.items():
                for grade_id, score in grades.items():
                    gb.find_grade(grade_id, A, A, student).manual_score = score
            gb.db.commit()
        _make(root, url, "feedback")
        _make(root, url, "export")
        _make(root, url, "report")
        with (root / "grades.csv").open(encoding="utf-8") as f:
            export = {r["student_id"]: r for r in csv.DictReader(f) if r["assignment"] == A}
        auto_full = sum(
            float(_meta(c)["points"])
            for c in source.cells
            if _meta(c).get("grade") and not _meta(c).get("solution")
        )
        yield {
            "url": url,
            "root": root,
            "report": report,
            "export": export,
            "given": given,
            "auto_full": auto_full,
            "manual_full": sum(manual.values()),
        }
    finally:
        if os.environ.get("MLCOURSE_GRADING_KEEP") != "1":
            shutil.rmtree(root, ignore_errors=True)
            shutil.rmtree(downloads, ignore_errors=True)


def test_autograde_scores_what_each_student_did(cycle):
    report = cycle["report"]
    assert {r["status"] for r in report.values()} == {"graded"}, report
    assert float(report["honest"]["score"]) == pytest.approx(cycle["auto_full"])
    assert 0 < float(report["partial"]["score"]) < cycle["auto_full"]
    assert float(report["blank"]["score"]) == 0.0


def test_export_adds_the_hand_grades(cycle):
    for student, grades in cycle["given"].items():
        auto = float(cycle["report"][student]["score"])
        assert float(cycle["export"][student]["score"]) == pytest.approx(
            auto + sum(grades.values())
        ), student
    assert float(cycle["export"]["honest"]["max_score"]) == pytest.approx(
        cycle["auto_full"] + cycle["manual_full"]
    )


def test_feedback_shows_the_total_with_hand_grades(cycle):
    root = cycle["root"]
    for student in cycle["given"]:
        page = root / "feedback" / student / A / f"{A}.html"
        assert page.exists(), page
    honest = (root / "feedback" / "honest" / A / f"{A}.html").read_text(encoding="utf-8")
    total = cycle["auto_full"] + cycle["manual_full"]
    assert re.search(rf"Score:\s*{total:g}(\.0+)?\s*/\s*{total:g}", honest), "total not shown"


def test_nothing_falls_back_to_a_file_and_backups_are_complete(cycle):
    from nbgrader.api import Gradebook

    root = cycle["root"]
    assert not (root / "gradebook.db").exists(), "an SQLite gradebook appeared in the course"
    backups = sorted((root / "grading_report.backups").glob("gradebook-*-after.db"))
    assert backups, "no backup after grading"

    def scores(url):
        with Gradebook(url, course_id="mlcourse") as gb:
            return {s.student.id: s.score for s in gb.find_assignment(A).submissions}

    after_autograde = scores(f"sqlite:///{backups[-1]}")
    assert after_autograde == {
        s: pytest.approx(float(r["score"])) for s, r in cycle["report"].items()
    }
    assert set(scores(cycle["url"])) == set(after_autograde)


def test_the_class_report_reads_the_server(cycle):
    page = cycle["root"] / "reports" / f"{A}.html"
    assert page.exists()
    assert "honest" in page.read_text(encoding="utf-8")
