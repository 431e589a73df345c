"""Grade a list of students in a worker process that is watched from outside.

The driver starts ``python -m mlgrade.worker`` in a session of its own. The worker
autogrades one student after another through nbgrader and appends one JSON line per event
(``start``, ``done``) to an events file; the watcher reads that file, stops a student who
takes too long by killing the worker and everything below it, and starts a new worker for
the students still pending. One student's ``os._exit``, crash or endless loop therefore
never stops the others.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from .course import api, environment

__all__ = ["kill_tree", "run_workers"]

_POLL = 0.2  # seconds between two looks at the events file


def grade_students(root: Path, assignment: str, students: list[str], events: Path) -> None:
    """Autograde ``students`` one after another, appending one JSON line per event."""
    course = api(root)
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
    """Kill the worker and everything it started (the kernel included)."""
    for pid in [*_descendants(proc.pid), proc.pid]:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    proc.wait()


def _failure(student: str, event: str, error: str) -> dict:
    return {"student": student, "event": event, "success": False, "log": "", "error": error}


def _start(root: Path, assignment: str, students: list[str], events: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "mlgrade.worker", "--root", str(root)]
    cmd += ["--assignment", assignment, "--events", str(events), *students]
    return subprocess.Popen(
        cmd,
        cwd=root,
        env=environment(root),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _watch(
    proc: subprocess.Popen, events: Path, results: dict, timeout: float, log: Callable
) -> None:
    """Collect results until the worker ends, or kill it when a student exceeds ``timeout``."""
    current, started = None, time.monotonic()
    while True:
        finished = proc.poll() is not None
        for event in read_events(events):
            if event["event"] == "start" and event["student"] != current:
                if event["student"] not in results:
                    current, started = event["student"], time.monotonic()
            elif event["event"] == "done":
                results[event["student"]] = event
        if finished:
            return
        running = current is not None and current not in results
        if running and time.monotonic() - started > timeout:
            kill_tree(proc)
            why = f"grading took longer than {timeout:g} s and was stopped"
            results[current] = _failure(current, "killed", why)
            log(f"  {current}: stopped after {timeout:g} s")
            return
        time.sleep(_POLL)


def run_workers(
    root: Path, assignment: str, students: list[str], student_timeout: float, log: Callable
) -> dict[str, dict]:
    """Run workers until every student has a result; a hung student is killed."""
    results: dict[str, dict] = {}
    events = root / f"grading_report.events-{assignment}.jsonl"
    pending = list(students)
    while pending:
        events.unlink(missing_ok=True)
        proc = _start(root, assignment, pending, events)
        _watch(proc, events, results, student_timeout, log)
        if not any(s in results for s in pending) and proc.returncode not in (0, None):
            why = f"the grading worker exited with code {proc.returncode}"
            for student in pending:  # the worker itself failed before grading anyone
                results[student] = _failure(student, "worker failed", why)
        pending = [s for s in pending if s not in results]
    events.unlink(missing_ok=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mlgrade.worker", description=__doc__)
    parser.add_argument("--root", required=True)
    parser.add_argument("--assignment", required=True)
    parser.add_argument("--events", required=True)
    parser.add_argument("students", nargs="+")
    args = parser.parse_args(argv)
    grade_students(Path(args.root).resolve(), args.assignment, args.students, Path(args.events))
    return 0


if __name__ == "__main__":
    sys.exit(main())
