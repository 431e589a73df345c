"""Execute submissions in a worker process that is watched from outside.

The driver starts ``python -m mlgrade.worker`` in a session of its own, one per core. A
worker autogrades one student after another through nbgrader, but against a **private
copy** of the gradebook and a private autograded folder, with :data:`mlgrade.execute.SAVE`
set: what it produces is an executed notebook per submission (the student's cells run in
the sandbox, the tests in the judge), never a write to the course's gradebook. The
driver, the only writer, then records each result (replay). The worker appends one JSON
line per event (``start``, ``done``) to an events file; the watcher reads it, stops a
student who takes too long by killing the worker and everything below it, and starts a new
worker for the students still pending. One student's ``os._exit``, crash or endless loop
therefore never stops the others, and a worker dies with the driver (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from . import _startup  # noqa: F401  (first: see mlgrade/_startup.py)
from .course import api, environment
from .execute import SAVE

__all__ = ["ACTIVE", "failure_event", "kill_tree", "run_workers"]

_POLL = 0.2  # seconds between two looks at the events file
ACTIVE: set[subprocess.Popen] = set()  # running workers, for the driver's signal handler
_LOCK = threading.Lock()


def _die_with_parent() -> None:
    """Linux: the kernel kills this process when the driver dies, even by SIGKILL."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _throwaway_sqlite() -> None:
    """No disk flush per commit in this process: its only database is the private copy.

    nbgrader commits about fifty times per notebook; with SQLite's default each commit
    waits for the disk. The worker's gradebook is discarded after the run (the driver
    records every result in the course's gradebook), so durability buys nothing here.
    """
    import sqlite3

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "connect")
    def _pragmas(connection, _record) -> None:
        if isinstance(connection, sqlite3.Connection):
            connection.execute("PRAGMA synchronous = OFF")
            connection.execute("PRAGMA journal_mode = MEMORY")


def grade_students(
    root: Path, assignment: str, students: list[str], events: Path, private: Path
) -> None:
    """Execute ``students``' submissions one after another (see the module docstring)."""
    _die_with_parent()
    _throwaway_sqlite()
    private.mkdir(parents=True, exist_ok=True)
    snapshot = private / "gradebook.db"
    shutil.copyfile(private.parent / "gradebook.db", snapshot)
    os.environ[SAVE] = str(private.parent / "results")
    course = api(root, db_url=f"sqlite:///{snapshot}", autograded=private / "autograded")
    with events.open("a", encoding="utf-8") as out:
        for student in students:
            out.write(json.dumps({"student": student, "event": "start"}) + "\n")
            out.flush()
            try:
                result = course.autograde(assignment, student, force=True, create=True)
            except Exception as exc:  # nbgrader reports failures in result; be safe anyway
                result = {"success": False, "error": f"{type(exc).__name__}: {exc}", "log": ""}
            record = {
                "student": student,
                "event": "done",
                "success": bool(result.get("success")),
                "log": result.get("log", "")[-20000:],
                "error": result.get("error", "")[-20000:],
            }
            out.write(json.dumps(record) + "\n")
            out.flush()


def read_events(path: Path) -> list[dict]:
    """The events written so far (a line cut short by a killed worker is skipped)."""
    if not path.exists():
        return []
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            events.append(json.loads(line))
    return events


def _descendants(pid: int) -> list[int]:
    """Process ids below ``pid`` (Linux /proc; kernels run in their own sessions)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_tree(proc: subprocess.Popen) -> None:
    """Kill the worker and everything it started (kernels and sandboxes included)."""
    for pid in [*_descendants(proc.pid), proc.pid]:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        proc.wait()


def failure_event(student: str, event: str, error: str) -> dict:
    """The event of a student whose grading failed before nbgrader could report."""
    return {"student": student, "event": event, "success": False, "log": "", "error": error}


def _start(
    root: Path, assignment: str, students: list[str], events: Path, private: Path, sandbox: bool
) -> subprocess.Popen:
    # Student ids go in a file, not on the command line: an id such as "--" or "-x" must
    # never be read as an option.
    listing = events.with_suffix(".students.json")
    listing.write_text(json.dumps(students), encoding="utf-8")
    cmd = [sys.executable, "-m", "mlgrade.worker", "--root", str(root)]
    cmd += ["--assignment", assignment, "--events", str(events), "--students", str(listing)]
    cmd += ["--private", str(private)]
    proc = subprocess.Popen(
        cmd,
        cwd=root,
        env=environment(root, sandbox),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    with _LOCK:
        ACTIVE.add(proc)
    return proc


def _watch(
    proc: subprocess.Popen,
    events: Path,
    results: dict,
    timeout: float,
    log: Callable,
    on_done: Callable[[dict], None],
) -> None:
    """Collect results until the worker ends, or kill it when a student exceeds ``timeout``."""
    current, started = None, time.monotonic()
    try:
        while True:
            finished = proc.poll() is not None
            for event in read_events(events):
                student = event.get("student")
                if event["event"] == "start" and student != current and student not in results:
                    current, started = student, time.monotonic()
                elif event["event"] == "done" and student not in results:
                    results[student] = event
                    on_done(event)
            if finished:
                return
            running = current is not None and current not in results
            if running and time.monotonic() - started > timeout:
                kill_tree(proc)
                why = f"grading took longer than {timeout:g} s and was stopped"
                results[current] = failure_event(current, "killed", why)
                on_done(results[current])
                log(f"  {current}: stopped after {timeout:g} s")
                return
            time.sleep(_POLL)
    finally:
        with _LOCK:
            ACTIVE.discard(proc)


def run_workers(
    root: Path,
    assignment: str,
    students: list[str],
    student_timeout: float,
    log: Callable,
    work: Path,
    name: str = "w0",
    sandbox: bool = True,
    on_done: Callable[[dict], None] = lambda event: None,
) -> dict[str, dict]:
    """Run workers until every student has a result; a hung student is killed.

    ``work`` holds the snapshot of the gradebook (``work/gradebook.db``) and receives the
    executed notebooks (``work/results``); ``name`` keeps this runner's files apart from
    those of the runners beside it.
    """
    results: dict[str, dict] = {}
    events = work / f"{name}.events.jsonl"
    pending = list(students)
    while pending:
        events.unlink(missing_ok=True)
        proc = _start(root, assignment, pending, events, work / name, sandbox)
        _watch(proc, events, results, student_timeout, log, on_done)
        if not any(s in results for s in pending) and proc.returncode not in (0, None):
            why = f"the grading worker exited with code {proc.returncode}"
            for student in pending:  # the worker itself failed before grading anyone
                results[student] = failure_event(student, "worker failed", why)
                on_done(results[student])
        pending = [s for s in pending if s not in results]
    events.unlink(missing_ok=True)
    events.with_suffix(".students.json").unlink(missing_ok=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mlgrade.worker", description=__doc__)
    parser.add_argument("--root", required=True)
    parser.add_argument("--assignment", required=True)
    parser.add_argument("--events", required=True)
    parser.add_argument("--students", required=True, help="a JSON file listing the ids")
    parser.add_argument("--private", required=True, help="this worker's own folder")
    args = parser.parse_args(argv)
    students = json.loads(Path(args.students).read_text(encoding="utf-8"))
    root = Path(args.root).resolve()
    grade_students(root, args.assignment, students, Path(args.events), Path(args.private))
    return 0


if __name__ == "__main__":
    sys.exit(main())
