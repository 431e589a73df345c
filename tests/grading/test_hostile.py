"""A hostile class graded through the instructor's make targets.

A throwaway course gets the Makefile, ``grading.mk`` and ``nbgrader_config.py`` of the
repository; the class is downloaded as ``<student>.ipynb`` files and goes through
``make collect``, ``make autograde``, ``make feedback`` and ``make export``. Among the
students: honest ones (one of them graded right after a vandal), students who did the
work but also try to read secrets, vandalise the course, leave a process behind, flood
memory or inject a script, and zero-work cheaters who attack the judge. Afterwards:

* every zero-work cheater scores 0 and is flagged; every honest student, the victim
  included, gets exactly the full score, as do the hostile students who did the work and
  the student whose notebook lost its nbgrader metadata (matched back to the release);
* no secret (environment token, solution line, hidden test, gradebook content, another
  student's answer) appears in any output, feedback page or report;
* ``solutions/``, ``exercises/``, the installed packages and every student's submission
  are byte-identical; the gradebook passes its integrity check and no score changes after
  the export; no process of the run survives.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

pytestmark = [pytest.mark.grading, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
A = "a1_information"
TOKEN = "lms-token-5f1d2c3b9a"
VENV = Path(sys.prefix)

# Work on the course: list what can be found walking up from the kernel's folder.
_FIND = """
import os, pathlib
_here = pathlib.Path(os.getcwd())
_marks = ("nbgrader_config.py", "solutions", "gradebook.db")
_roots = [p for p in [_here, *_here.parents] if any((p / m).exists() for m in _marks)]
"""
READER = (
    _FIND
    + f"""
for _name, _value in os.environ.items():
    print("ENV", _name, _value)
_guesses = [_here.parents[k] for k in range(len(_here.parents))] + _roots
for _base in _guesses:
    for _rel in ["solutions/{A}/{A}.ipynb", "gradebook.db", "submitted/honest1/{A}/{A}.ipynb",
                 "autograded/honest1/{A}/{A}.ipynb", "exercises/{A}/{A}.ipynb", ".bashrc"]:
        try:
            print("FILE", _base / _rel, (_base / _rel).read_text(errors="replace")[:20000])
        except OSError:
            pass
"""
)
VANDAL = (
    _FIND
    + f"""
import shutil, subprocess, sys
for _root in _roots:
    for _target in ["submitted", "autograded", "feedback", "solutions", "exercises"]:
        shutil.rmtree(_root / _target, ignore_errors=True)
    for _target in ["gradebook.db", "grading_report.gradebook-backup.db", "grades.csv",
                    "nbgrader_config.py"]:
        try:
            (_root / _target).write_text("vandalised")
        except OSError:
            pass
for _pkg in [{str(REPO / "mlgrade" / "checks.py")!r}, {str(REPO / "mlcourse" / "__init__.py")!r}]:
    try:
        open(_pkg, "a").write("\\nraise SystemExit")
    except OSError:
        pass
_later = "import time, pathlib\\nfor _ in range(600):\\n    time.sleep(0.1)\\n"
_later += "    for p in " + repr([str(r / "grades.csv") for r in _roots]) + ":\\n"
_later += "        open(p, 'w').write('student_id,score\\\\nvandal,999\\\\n')\\n"
subprocess.Popen([sys.executable, "-c", _later], start_new_session=True)
"""
)
HOG = "_block = bytearray(30 * 2**30)"
HTML = """
from IPython.display import HTML, Javascript, display
display(HTML("<script>fetch('/formgrader/api/grade', {method: 'PUT'})</script><b>hi</b>"))
display(Javascript("document.title = 'pwned'"))
"""
MARKDOWN_ATTACK = (
    "<script>alert('pwned-markdown')</script> See [this](javascript:alert('pwned-link'))."
)
CHEATS = {
    "cheat-globals": """
class _Yes:
    def __getattr__(self, name):
        return lambda *args, **kwargs: None
globals()["checks"] = _Yes()
""",
    "cheat-isclose": """
import math
np.isclose = lambda *args, **kwargs: True
np.allclose = lambda *args, **kwargs: True
math.isclose = lambda *args, **kwargs: True
""",
    "cheat-handler": """
get_ipython().set_custom_exc((BaseException,), lambda *args, **kwargs: None)
""",
}


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _unmarked(source: str) -> str:
    """A solution cell without its BEGIN/END SOLUTION lines: what a student would write."""
    return re.sub(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", "", source, flags=re.M)


def _digest(paths) -> dict[str, str]:
    out = {}
    for base in paths:
        for path in sorted(Path(base).rglob("*")) if Path(base).is_dir() else [Path(base)]:
            if path.is_file() and "__pycache__" not in path.parts:
                out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _make(root: Path, *args: str, timeout: float = 1500) -> subprocess.CompletedProcess:
    env = dict(os.environ, **{"LMS_TOKEN": TOKEN})
    cmd = ["make", "-C", str(root), f"VENV={VENV}", "-o", str(VENV / ".installed"), *args]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"make {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done


def _secrets(source_nb) -> list[str]:
    """Lines only the instructor has: solution code and hidden tests."""
    lines = []
    for cell in source_nb.cells:
        text = cell.source
        for region in re.findall(r"BEGIN (?:SOLUTION|HIDDEN TESTS)(.*?)### END", text, re.S):
            lines += [ln.strip() for ln in region.splitlines() if len(ln.strip()) > 25]
    return lines


@pytest.fixture(scope="module")
def graded():
    root = Path(tempfile.mkdtemp(prefix="mlgrade-hostile-"))
    try:
        yield _grade(root)
    finally:
        if os.environ.get("MLCOURSE_GRADING_KEEP") != "1":
            shutil.rmtree(root, ignore_errors=True)
            shutil.rmtree(root.parent / f"{root.name}-downloads", ignore_errors=True)


def _grade(root: Path) -> dict:
    for path in [REPO / "Makefile", REPO / "nbgrader_config.py", *REPO.glob("*.mk")]:
        shutil.copy(path, root / path.name)
    shutil.copytree(REPO / "solutions" / A, root / "solutions" / A)
    _make(root, "release")
    source = nbformat.read(str(root / "solutions" / A / f"{A}.ipynb"), as_version=4)
    released = nbformat.read(str(root / "exercises" / A / f"{A}.ipynb"), as_version=4)
    answers = {_meta(c)["grade_id"]: c.source for c in source.cells if _meta(c).get("solution")}

    def honest(extra: str | None = None, markdown: str | None = None):
        nb = nbformat.from_dict(released)
        for cell in nb.cells:
            if _meta(cell).get("grade_id") in answers:
                if cell.cell_type == "code":
                    cell.source = _unmarked(answers[_meta(cell)["grade_id"]])
                else:
                    cell.source = markdown or "My own answer."
        if extra:
            nb.cells.append(nbformat.v4.new_code_cell(extra))
        return nb

    downloads = root.parent / f"{root.name}-downloads"
    downloads.mkdir()
    honest_students = ["honest1", "honest2", "zz-victim"]
    workers = {"reader": READER, "vandal": VANDAL, "hog": HOG, "html": HTML}
    for student in honest_students:
        nbformat.write(honest(), str(downloads / f"{student}.ipynb"))
    for student, extra in workers.items():
        nb = honest(extra, markdown=MARKDOWN_ATTACK if student == "html" else None)
        nbformat.write(nb, str(downloads / f"{student}.ipynb"))
    stripped = honest()  # all the work, but an editor dropped every cell's metadata
    for cell in stripped.cells:
        cell.metadata = {}
    nbformat.write(stripped, str(downloads / "stripped.ipynb"))
    for student, attack in CHEATS.items():
        nb = nbformat.from_dict(released)
        first = next(c for c in nb.cells if _meta(c).get("solution") and c.cell_type == "code")
        first.source = attack + "\n" + first.source
        nbformat.write(nb, str(downloads / f"{student}.ipynb"))
    _make(root, "collect", f"ASSIGNMENT={A}", f"FROM={downloads}")
    protected = [root / "solutions", root / "exercises", REPO / "mlcourse", REPO / "mlgrade"]
    protected += [root / "submitted"]
    before = _digest(protected)
    _make(root, "autograde")
    _make(root, "feedback")
    _make(root, "export")
    with (root / "grades.csv").open(encoding="utf-8") as f:
        export = {r["student_id"]: r for r in csv.DictReader(f) if r["assignment"] == A}
    first_export = (root / "grades.csv").read_bytes()
    time.sleep(4)  # a process left behind would now edit the grades
    with (root / "grading_report.csv").open(encoding="utf-8") as f:
        report = {r["student"]: r for r in csv.DictReader(f)}
    full = sum(
        float(_meta(c)["points"])
        for c in source.cells
        if _meta(c).get("grade") and not _meta(c).get("solution")
    )
    return {
        "root": root,
        "source": source,
        "before": before,
        "after": _digest(protected),
        "export": export,
        "export_again": (root / "grades.csv").read_bytes() == first_export,
        "report": report,
        "full": full,
        "honest": honest_students,
        "workers": list(workers),
        "cheats": list(CHEATS),
    }


def test_honest_work_gets_exactly_the_full_score(graded):
    for student in graded["honest"] + graded["workers"]:
        row = graded["report"][student]
        assert float(row["score"]) == pytest.approx(graded["full"]), (student, row)


def test_zero_work_cheaters_score_zero_and_are_flagged(graded):
    for student in graded["cheats"]:
        row = graded["report"][student]
        assert float(row["score"]) == 0.0, (student, row)
        assert row["status"] == "tampered" and row["tampering"], (student, row)


def test_no_secret_reaches_outputs_feedback_or_report(graded):
    root = graded["root"]
    secrets = [TOKEN, *_secrets(graded["source"])]
    places = [
        *(root / "feedback").rglob("*.html"),
        root / "grading_report.md",
        root / "grading_report.csv",
    ]
    texts = {str(p): p.read_text(encoding="utf-8", errors="replace") for p in places}
    for path in (root / "autograded").rglob("*.ipynb"):
        nb = nbformat.read(str(path), as_version=4)
        outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
        texts[str(path)] = json.dumps(outputs)
    assert any("reader" in p and p.endswith(".html") for p in texts), sorted(texts)
    for where, text in texts.items():
        for secret in secrets:
            assert secret not in text, f"{secret[:40]!r} in {where}"


def test_no_student_script_reaches_the_grader_browser(graded):
    root = graded["root"]
    # The student's code may be shown (as escaped text); nothing of it may run.
    live = re.compile(r"<script[^>]*>[^<]*(fetch\(|pwned)|href=[\"']?\s*javascript:")
    for path in (root / "feedback").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not live.search(text), f"{live.search(text).group(0)} in {path}"
    for path in (root / "autograded").rglob("*.ipynb"):
        nb = nbformat.read(str(path), as_version=4)
        outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
        kinds = {m for o in outputs for m in o.get("data", {})}
        assert kinds <= {"text/plain", "image/png", "image/jpeg"}, (path, kinds)
        for cell in nb.cells:
            if cell.cell_type == "markdown" and not _meta(cell).get("locked"):
                assert "<script" not in cell.source
                assert re.search(r"(?<!unsafe-)javascript:", cell.source) is None


def test_course_and_packages_are_untouched_and_nothing_survives(graded):
    root = graded["root"]
    assert graded["after"] == graded["before"]
    with sqlite3.connect(root / "gradebook.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert graded["export_again"], "grades.csv changed after the export"
    assert float(graded["export"]["vandal"]["score"]) == pytest.approx(graded["full"])
    left = subprocess.run(["ps", "-ww", "-eo", "args"], capture_output=True, text=True).stdout
    assert str(root) not in left and "for _ in range(600)" not in left


def test_memory_hog_is_stopped_by_the_sandbox(graded):
    nb = nbformat.read(str(graded["root"] / "autograded" / "hog" / A / f"{A}.ipynb"), as_version=4)
    errors = [
        o.get("ename") for o in nb.cells[-1].get("outputs", []) if o.get("output_type") == "error"
    ]
    assert errors == ["MemoryError"]


def test_stripped_metadata_is_matched_back_and_graded(graded):
    row = graded["report"]["stripped"]
    assert row["status"] == "restored", row
    assert float(row["score"]) == pytest.approx(graded["full"]), row
