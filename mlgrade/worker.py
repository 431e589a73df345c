"""Execute submissions in a worker process that is watched from outside.

The driver starts ``python -m mlgrade.worker`` in a session of its own, one per core, for
the whole run. A worker autogrades the submissions it is handed on its standard input (one
``[assignment, student]`` per line; the runners of all workers take them from one shared
queue, so a worker is never idle while submissions are left), through nbgrader, but
against a **private copy** of the gradebook: what it produces is the autograded folder of
each submission (the student's cells run in the sandbox, the tests in the judge), written
into ``results/`` of the run's work folder, and the gradebook rows autograde wrote, as
plain data in its ``done`` event (:func:`mlgrade.record.results_of`); never a write to the
course's gradebook. The driver, the only writer, then records each result. The
worker appends one JSON line per event (``start``, ``done``) to an events file; the
watcher reads it, stops a submission that takes too long by killing the worker and
everything below it, puts back the jobs that worker had not finished, and starts a new
worker. One student's ``os._exit``, crash or endless loop therefore never stops the
others, and a worker dies with the driver (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from . import _startup  # noqa: F401  (first: see mlgrade/_startup.py)
from .course import api, environment
from .lifetime import die_with
from .record import results_of

__all__ = ["ACTIVE", "drain", "failure_event", "job_of", "job_queue", "kill_tree", "run_workers"]

_POLL = 0.2  # seconds between two looks at the events file
ACTIVE: set[subprocess.Popen] = set()  # running workers, for the driver's signal handler
_LOCK = threading.Lock()


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


def grade_jobs(root: Path, jobs: TextIO, events: Path, private: Path) -> None:
    """Execute the submissions named on ``jobs``, one JSON ``[assignment, student]`` per
    line, until the stream ends (see the module docstring)."""
    _throwaway_sqlite()
    private.mkdir(parents=True, exist_ok=True)
    snapshot = private / "gradebook.db"
    shutil.copyfile(private.parent / "gradebook.db", snapshot)
    url = f"sqlite:///{snapshot}"
    course = api(root, db_url=url, autograded=private.parent / "results")
    with events.open("a", encoding="utf-8") as out:
        while line := jobs.readline():
            if not line.strip():
                continue
            assignment, student = json.loads(line)
            job = {"assignment": assignment, "student": student}
            out.write(json.dumps({**job, "event": "start", "at": time.time()}) + "\n")
            out.flush()
            try:
                result = course.autograde(assignment, student, force=True, create=True)
            except Exception as exc:  # nbgrader reports failures in result; be safe anyway
                result = {"success": False, "error": f"{type(exc).__name__}: {exc}", "log": ""}
            record = {
                **job,
                "event": "done",
                "success": bool(result.get("success")),
                "log": result.get("log", "")[-20000:],
                "error": result.get("error", "")[-20000:],
            }
            if record["success"]:
                try:
                    record["results"] = results_of(url, assignment, student)
                except Exception as exc:  # the driver grades it again
                    record["success"] = False
                    record["error"] += f"\nits results could not be read: {exc!r}"
            record["at"] = time.time()
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


Job = tuple[str, str]  # (assignment, student)


def failure_event(assignment: str, student: str, event: str, error: str) -> dict:
    """The event of a submission whose grading failed before nbgrader could report."""
    return {
        "assignment": assignment,
        "student": student,
        "event": event,
        "success": False,
        "log": "",
        "error": error,
    }


def job_of(event: dict) -> Job:
    return (str(event.get("assignment")), str(event.get("student")))


def job_queue(jobs) -> queue.Queue:
    """A queue holding ``jobs``, in order, that several runners can share."""
    shared: queue.Queue = queue.Queue()
    for job in jobs:
        shared.put(job)
    return shared


def drain(jobs: queue.Queue) -> list[Job]:
    """Take every job left in ``jobs``."""
    taken = []
    while True:
        try:
            taken.append(jobs.get_nowait())
        except queue.Empty:
            return taken


def _start(root: Path, events: Path, private: Path, sandbox: bool) -> subprocess.Popen:
    # The jobs go to the worker on its standard input, one JSON line each, never on the
    # command line: a student id such as "--" or "-x" must never be read as an option.
    cmd = [sys.executable, "-m", "mlgrade.worker", "--root", str(root)]
    cmd += ["--events", str(events), "--private", str(private)]
    proc = subprocess.Popen(
        cmd,
        cwd=root,
        env=environment(root, sandbox),
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        # The kernel kills the worker when the driver dies, even by SIGKILL.
        preexec_fn=die_with(os.getpid()),
        text=True,
    )
    with _LOCK:
        ACTIVE.add(proc)
    return proc


def _send(proc: subprocess.Popen, job: Job) -> bool:
    """Hand one more job to the worker; False if it can no longer take one."""
    try:
        proc.stdin.write(json.dumps(list(job)) + "\n")
        proc.stdin.flush()
    except (BrokenPipeError, OSError, ValueError):
        return False
    return True


def _close(proc: subprocess.Popen) -> None:
    with contextlib.suppress(BrokenPipeError, OSError, ValueError):
        proc.stdin.close()


class _Incarnation:
    """One worker process and the jobs handed to it (at most ``AHEAD`` not finished, so
    that the next job is waiting in its input when the current one ends)."""

    AHEAD = 2

    def __init__(self, proc: subprocess.Popen, events: Path):
        self.proc, self.events = proc, events
        self.held: list[Job] = []  # sent, not finished, in order
        self.seen = 0  # events already read
        self.current: Job | None = None
        self.started = time.monotonic()
        self.progressed = False  # a job finished or was stopped

    def feed(self, jobs: queue.Queue) -> None:
        while len(self.held) < self.AHEAD:
            try:
                job = jobs.get_nowait()
            except queue.Empty:
                break
            if not _send(self.proc, job):
                jobs.put(job)
                break
            self.held.append(job)
        if not self.held:
            _close(self.proc)  # nothing left: the worker ends after its last job

    def new_events(self) -> list[dict]:
        events = read_events(self.events)
        fresh, self.seen = events[self.seen :], len(events)
        return fresh


def _watch(
    run: _Incarnation,
    jobs: queue.Queue,
    results: dict,
    timeout: float,
    log: Callable,
    on_done: Callable[[dict], None],
) -> None:
    """Collect results and feed jobs until the worker ends, or kill it when a submission
    exceeds ``timeout``; the jobs it was given and did not finish are put back."""
    try:
        while True:
            finished = run.proc.poll() is not None
            for event in run.new_events():
                job = job_of(event)
                if event["event"] == "start" and job not in results:
                    run.current, run.started = job, time.monotonic()
                elif event["event"] == "done" and job not in results:
                    results[job] = event
                    run.progressed = True
                    if job in run.held:
                        run.held.remove(job)
                    on_done(event)
                    if not finished:
                        run.feed(jobs)
            if finished:
                return
            running = run.current is not None and run.current not in results
            if running and time.monotonic() - run.started > timeout:
                kill_tree(run.proc)
                assignment, student = run.current
                why = f"grading took longer than {timeout:g} s and was stopped"
                results[run.current] = failure_event(assignment, student, "killed", why)
                run.held.remove(run.current)
                run.progressed = True  # it failed on a job, not before grading
                on_done(results[run.current])
                log(f"  {student} ({assignment}): stopped after {timeout:g} s")
                return
            time.sleep(_POLL)
    finally:
        with _LOCK:
            ACTIVE.discard(run.proc)


def run_workers(
    root: Path,
    jobs: queue.Queue | list[Job],
    student_timeout: float,
    log: Callable,
    work: Path,
    name: str = "w0",
    sandbox: bool = True,
    on_done: Callable[[dict], None] = lambda event: None,
) -> dict[Job, dict]:
    """Run workers until no job is left; a hung submission is killed.

    ``jobs`` may be shared by several runners (each takes the next job when its worker is
    ready for one). ``work`` holds the snapshot of the gradebook (``work/gradebook.db``)
    and receives the executed notebooks (``work/results``); ``name`` keeps this runner's
    files apart from those of the runners beside it.
    """
    if not isinstance(jobs, queue.Queue):
        jobs = job_queue(jobs)
    results: dict[Job, dict] = {}
    events = work / f"{name}.events.jsonl"
    while not jobs.empty():
        events.unlink(missing_ok=True)
        run = _Incarnation(_start(root, events, work / name, sandbox), events)
        run.feed(jobs)
        _watch(run, jobs, results, student_timeout, log, on_done)
        left = [job for job in run.held if job not in results]
        if not run.progressed and run.proc.returncode not in (0, None) and left:
            # The worker itself failed before grading anything it was given.
            why = f"the grading worker exited with code {run.proc.returncode}"
            for assignment, student in left:
                results[(assignment, student)] = failure_event(
                    assignment, student, "worker failed", why
                )
                on_done(results[(assignment, student)])
        else:
            for job in left:  # given to a worker that was stopped: to be graded again
                jobs.put(job)
    events.unlink(missing_ok=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mlgrade.worker", description=__doc__)
    parser.add_argument("--root", required=True)
    parser.add_argument("--events", required=True)
    parser.add_argument("--private", required=True, help="this worker's own folder")
    args = parser.parse_args(argv)
    root = Path(args.root).resolve()
    grade_jobs(root, sys.stdin, Path(args.events), Path(args.private))
    return 0


if __name__ == "__main__":
    sys.exit(main())
