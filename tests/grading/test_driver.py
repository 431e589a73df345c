"""The class driver: parallel, resumable, one at a time, and nothing left running.

A small class of one assignment is graded twice in two throwaway courses: once
sequentially (``--jobs 1``) without interruption, once on two workers, killed in the
middle and resumed. Both must end with the same scores and the same report; the killed
run must leave no process behind, and a second driver must refuse to start while one runs.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from mlgrade.driver import State, digest_of

from .columns import columns_of

pytestmark = [pytest.mark.grading, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
ASSIGNMENT = "a1_information"
# Due 2026-11-30 12:00 UTC; a late submission scores zero. The others carry no time.
STAMPS = {"alice": "2026-11-30 10:00:00.000000 UTC", "frank": "2026-12-01 09:30:00.000000 UTC"}
# Two students at the end of the queue whose notebooks take a while: a driver killed once
# two submissions are graded still has work left, however fast the others are graded.
SLOW, SLOW_SECONDS = ("dave", "frank"), 5


def _env():
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def _grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _course(name: str) -> Path:
    root = Path(tempfile.mkdtemp(prefix=f"mlgrade-{name}-"))
    shutil.copytree(REPO / "solutions" / ASSIGNMENT, root / "solutions" / ASSIGNMENT)
    config = (REPO / "nbgrader_config.py").read_text(encoding="utf-8")
    config += "\nc.JudgedExecute.timeout = 20\nc.LateSubmissionPlugin.penalty_method = 'zero'\n"
    (root / "nbgrader_config.py").write_text(config, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "mlgrade", "release", "--root", str(root), ASSIGNMENT],
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    nbgrader = str(Path(sys.executable).parent / "nbgrader")
    due = ["db", "assignment", "add", ASSIGNMENT, "--duedate=2026-11-30 12:00:00 UTC"]
    done = subprocess.run(
        [nbgrader, *due], cwd=root, env=_env(), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    source = nbformat.read(str(root / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"), 4)
    released = nbformat.read(str(root / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"), 4)
    answers = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    for student in ["alice", "bob", "carol", "dave", "erin", "frank"]:
        nb = nbformat.from_dict(released)
        for cell in nb.cells:
            grade_id = _grade_id(cell)
            if grade_id in answers and student != "carol":  # carol hands in the blank version
                cell.source = answers[grade_id]
        if student == "bob":
            next(
                c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "entropy"
            ).source = "def entropy(p, base=None):\n    return 0.0\n"
        if student == "erin":  # every test passes, then the kernel dies
            nb.cells.append(nbformat.v4.new_code_cell("import os\nos._exit(0)"))
        if student in SLOW:
            nb.cells.append(nbformat.v4.new_code_cell(f"import time\ntime.sleep({SLOW_SECONDS})"))
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, str(folder / f"{ASSIGNMENT}.ipynb"))
        if student in STAMPS:
            (folder / "timestamp.txt").write_text(STAMPS[student] + "\n")
    return root


def _autograde(root: Path, *extra: str, **kw) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "mlgrade", "autograde", "--root", str(root), *extra]
    return subprocess.Popen(
        cmd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw
    )


def _report(root: Path) -> dict:
    with (root / "grading_report.csv").open(encoding="utf-8") as f:
        return {
            r["student"]: (r["status"], r["score"], r["max_score"], r["details"])
            for r in csv.DictReader(f)
        }


def _strip(report: dict) -> dict:
    """Status and score of each student (details and times differ between runs)."""
    return {student: row[:3] for student, row in report.items()}


def _scores(root: Path) -> dict:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        return {
            s.student_id: {g.name: float(g.score) for g in s.notebooks[0].grades}
            for s in gb.assignment_submissions(ASSIGNMENT)
        }


def _processes_under(root: Path) -> list[str]:
    out = subprocess.run(["ps", "-ww", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if str(root) in line and "ps -ww" not in line]


@pytest.fixture(scope="module")
def reference():
    root = _course("sequential")
    proc = _autograde(root, "--jobs", "1")
    out, _ = proc.communicate(timeout=1200)
    assert proc.returncode == 0, out
    (root / "first-run.out").write_text(out, encoding="utf-8")
    yield root
    shutil.rmtree(root, ignore_errors=True)


def test_a_first_run_prints_progress_not_library_warnings(reference):
    out = (reference / "first-run.out").read_text(encoding="utf-8")
    assert "grading [6/6]" in out, out
    assert "Warning" not in out, out


def _gradebook(root: Path) -> dict:
    """Per student, every column that autograde or a grader writes (not the row ids)."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        return {s.student_id: columns_of(s) for s in gb.assignment_submissions(ASSIGNMENT)}


def _autograded(root: Path) -> dict:
    """Per student: the files of the autograded folder, and each cell's source and errors."""
    found = {}
    for folder in sorted((root / "autograded").glob(f"*/{ASSIGNMENT}")):
        nb = nbformat.read(str(folder / f"{ASSIGNMENT}.ipynb"), 4)
        cells = [
            (c.source, [o.get("ename") for o in c.get("outputs", []) if o.output_type == "error"])
            for c in nb.cells
        ]
        found[folder.parent.name] = (sorted(p.name for p in folder.iterdir()), cells)
    return found


def _nbgrader_autograde(root: Path, *extra: str) -> None:
    nbgrader = str(Path(sys.executable).parent / "nbgrader")
    done = subprocess.run(
        [nbgrader, "autograde", ASSIGNMENT, "--force", *extra],
        cwd=root,
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def _give_manual_score(root: Path, student: str, grade_id: str, score: float) -> None:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        gb.find_grade(grade_id, ASSIGNMENT, ASSIGNMENT, student).manual_score = score
        gb.db.commit()


def test_the_driver_records_what_nbgrader_itself_records(reference):
    """nbgrader's own autograde (same configuration, all in one process) and the driver
    (workers execute, the driver records their rows) leave the same gradebook and the same
    autograded notebooks: a late submission, a blank one, a wrong one, a kernel that dies,
    and a regrade after a grader gave a manual score."""
    stock = _course("nbgrader")
    regraded = Path(tempfile.mkdtemp(prefix="mlgrade-regraded-")) / "course"
    shutil.copytree(reference, regraded)
    try:
        _nbgrader_autograde(stock)
        ours = _gradebook(reference)
        assert _gradebook(stock) == ours
        assert _autograded(stock) == _autograded(reference)
        late = ours["frank"]["notebooks"][ASSIGNMENT]
        assert late[0] == sum(g[0] for g in late[2].values() if g[0]) > 0  # late: zero
        assert ours["alice"]["notebooks"][ASSIGNMENT][0] is None  # on time
        grade_id = next(iter(ours["alice"]["notebooks"][ASSIGNMENT][2]))
        for root in (stock, regraded):
            _give_manual_score(root, "alice", grade_id, 0.5)
        _nbgrader_autograde(stock, "--student", "alice")
        proc = _autograde(regraded, "--student", "alice")
        out, _ = proc.communicate(timeout=600)
        assert proc.returncode == 0, out
        after = _gradebook(regraded)
        assert after["alice"]["notebooks"][ASSIGNMENT][2][grade_id][1:] == (0.5, None, True)
        assert _gradebook(stock) == after
        assert _autograded(stock) == _autograded(regraded)
    finally:
        shutil.rmtree(stock, ignore_errors=True)
        shutil.rmtree(regraded.parent, ignore_errors=True)


def test_killed_resumed_parallel_run_equals_a_sequential_one(reference):
    root = _course("resumed")
    try:
        proc = _autograde(root, "--jobs", "2", start_new_session=True)
        state = root / "grading_report.state.json"
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline and proc.poll() is None:
            if state.exists() and len(State(state).entries) >= 2:
                break
            time.sleep(0.2)
        assert proc.poll() is None, "the class was graded before the driver could be killed"
        # A second driver on the same course refuses to start while this one runs.
        second = _autograde(root)
        out, _ = second.communicate(timeout=120)
        assert second.returncode == 2 and "another grading run" in out, out
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        # The kernel kills the workers (PR_SET_PDEATHSIG) and they their sandboxes; on a
        # loaded machine that can take a few seconds, never longer than the deadline.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _processes_under(root):
            time.sleep(0.5)
        assert _processes_under(root) == [], "processes survived the driver"
        graded_before = set(State(state).entries)
        assert 2 <= len(graded_before) < 6
        again = _autograde(root, "--jobs", "2")
        out, _ = again.communicate(timeout=1200)
        assert again.returncode == 0, out
        assert f"{len(graded_before)} already graded" in out, out
        assert _strip(_report(root)) == _strip(_report(reference))
        assert _scores(root) == _scores(reference)
        assert _report(reference)["erin"][0] == "kernel died"
        assert _report(reference)["erin"][1] == _report(reference)["alice"][1]
        assert _processes_under(root) == []
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _records(root: Path) -> dict:
    return {
        f.parent.parent.name: json.loads(f.read_text())
        for f in (root / "autograded").glob(f"*/{ASSIGNMENT}/.mlgrade-*.json")
    }


def test_warm_and_cold_sandboxes_grade_alike(reference):
    """Kernels forked in a warm sandbox (the default) and kernels started from nothing
    give every student the same status and scores."""
    root = _course("cold")
    try:
        with (root / "nbgrader_config.py").open("a", encoding="utf-8") as config:
            config.write("c.JudgedExecute.warm_sandbox = False\n")
        proc = _autograde(root, "--jobs", "2")
        out, _ = proc.communicate(timeout=1200)
        assert proc.returncode == 0, out
        assert {s: r["warm"] for s, r in _records(root).items()} == dict.fromkeys(
            _report(root), False
        )
        assert {s: r["warm"] for s, r in _records(reference).items()} == dict.fromkeys(
            _report(reference), True
        )
        assert _strip(_report(root)) == _strip(_report(reference))
        assert _scores(root) == _scores(reference)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_regrading_one_student_keeps_the_others_rows(reference):
    before = _report(reference)
    proc = _autograde(reference, "--student", "bob")
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, out
    after = _report(reference)
    assert set(after) == set(before)
    assert _strip(after) == _strip(before)


def test_nothing_to_do_when_nothing_changed(reference):
    proc = _autograde(reference)
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, out
    assert "0 to grade, 6 already graded" in out, out


def test_a_changed_submission_is_graded_again(reference):
    folder = reference / "submitted" / "carol" / ASSIGNMENT
    before = digest_of(folder)
    (folder / "notes.txt").write_text("an extra file\n")
    assert digest_of(folder) != before
    proc = _autograde(reference)
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, out
    assert "1 to grade, 5 already graded" in out, out


# --------------------------------------------------------------------------- a Dask cluster
def test_a_dask_cluster_grades_exactly_like_one_machine(reference, dask_cluster):
    root = _course("cluster")
    try:
        proc = _autograde(root, "--cluster", dask_cluster.address)
        out, _ = proc.communicate(timeout=1200)
        assert proc.returncode == 0, out
        assert _strip(_report(root)) == _strip(_report(reference))
        assert _scores(root) == _scores(reference)
        logs = [
            p.read_text(encoding="utf-8") for p in (root / "grading_report.logs").rglob("*.log")
        ]
        where = {line for text in logs for line in text.splitlines() if "Dask worker" in line}
        assert len(where) == 2, f"the jobs did not use both workers: {where}"
        assert _processes_under(root) == []
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_interrupting_a_cluster_run_stops_its_jobs_on_the_workers(dask_cluster):
    root = _course("cluster-stop")
    try:
        for student in ("alice", "dave"):  # both workers busy with a long cell
            path = root / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
            nb = nbformat.read(str(path), 4)
            nb.cells.append(nbformat.v4.new_code_cell("import time\ntime.sleep(15)"))
            nbformat.write(nb, str(path))
        proc = _autograde(root, "--cluster", dask_cluster.address, start_new_session=True)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and proc.poll() is None:
            if any("mlgrade.worker" in line for line in _processes_under(root)):
                break
            time.sleep(0.2)
        assert proc.poll() is None, proc.communicate()[0]
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode != 0, out
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and _processes_under(root):
            time.sleep(0.5)
        assert _processes_under(root) == [], "a job kept grading after the driver stopped"
        assert len(dask_cluster.workers()) == 2, "a Dask worker died with the job"
    finally:
        shutil.rmtree(root, ignore_errors=True)
