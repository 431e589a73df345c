"""mlgrade.worker's runners: one shared queue, the next job waiting, a hung job killed.

The grading worker itself is replaced by a small stand-in that reads jobs on its standard
input and writes the same events, so that the scheduling is tested on its own, quickly.
"""

from __future__ import annotations

import queue
import subprocess
import sys
import threading

import pytest

from mlgrade import worker

pytestmark = pytest.mark.grading

_STAND_IN = r"""
import json, os, sys, time
with open(sys.argv[1], "a", encoding="utf-8") as out:
    while line := sys.stdin.readline():
        assignment, student = json.loads(line)
        job = {"assignment": assignment, "student": student}
        out.write(json.dumps({**job, "event": "start"}) + "\n"); out.flush()
        if student.startswith("slow"):
            time.sleep(float(student[4:]))
        if student == "hang":
            time.sleep(600)
        out.write(json.dumps({**job, "event": "done", "success": True,
                              "log": str(os.getpid()), "error": ""}) + "\n"); out.flush()
"""


@pytest.fixture
def stand_in(monkeypatch):
    started = []

    def start(root, events, private, sandbox):
        proc = subprocess.Popen(
            [sys.executable, "-c", _STAND_IN, str(events)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            start_new_session=True,
            text=True,
        )
        started.append(proc)
        worker.ACTIVE.add(proc)
        return proc

    monkeypatch.setattr(worker, "_start", start)
    yield started
    for proc in started:
        worker.kill_tree(proc)


def _run_shared(tmp_path, jobs, runners=2, timeout=60.0):
    shared: queue.Queue = queue.Queue()
    for job in jobs:
        shared.put(job)
    events: list[dict] = []
    lock = threading.Lock()

    def collect(event):
        with lock:
            events.append(event)

    threads = [
        threading.Thread(
            target=worker.run_workers,
            args=(tmp_path, shared, timeout, lambda m: None, tmp_path, f"w{i}", False, collect),
        )
        for i in range(runners)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return events


def test_workers_share_one_queue_so_a_slow_job_holds_up_nobody(tmp_path, stand_in):
    jobs = [("a1", "slow3")] + [(a, f"s{i}") for a in ("a1", "a2") for i in range(4)]
    events = _run_shared(tmp_path, jobs)
    assert sorted(worker.job_of(e) for e in events) == sorted(jobs)  # each exactly once
    slow_pid = next(e["log"] for e in events if e["student"] == "slow3")
    others = [e for e in events if e["log"] != slow_pid]
    # the other worker took every job but the one queued behind the slow job (held ahead)
    assert len(others) >= len(jobs) - 2, [(e["student"], e["log"]) for e in events]
    assert {e["assignment"] for e in others} == {"a1", "a2"}


def test_a_hung_job_is_killed_and_the_job_held_behind_it_is_graded_by_a_new_worker(
    tmp_path, stand_in
):
    jobs = [("a1", "hang"), ("a1", "next"), ("a2", "last")]
    events = _run_shared(tmp_path, jobs, runners=1, timeout=1.5)
    by_job = {worker.job_of(e): e for e in events}
    assert sorted(by_job) == sorted(jobs) and len(events) == len(jobs)
    assert by_job[("a1", "hang")]["event"] == "killed"
    assert not by_job[("a1", "hang")]["success"]
    assert by_job[("a1", "next")]["success"] and by_job[("a2", "last")]["success"]
    assert len(stand_in) == 2  # the hung worker and the one started after it
    assert stand_in[0].poll() is not None  # killed, not left running


def test_a_worker_that_fails_before_grading_fails_only_the_jobs_it_was_given(
    tmp_path, monkeypatch
):
    def broken(root, events, private, sandbox):
        proc = subprocess.Popen(
            [sys.executable, "-c", "import sys; sys.exit(3)"], stdin=subprocess.PIPE, text=True
        )
        worker.ACTIVE.add(proc)
        return proc

    monkeypatch.setattr(worker, "_start", broken)
    jobs = [("a1", f"s{i}") for i in range(3)]
    events = _run_shared(tmp_path, jobs, runners=1)
    assert sorted(worker.job_of(e) for e in events) == sorted(jobs)
    assert all(e["event"] == "worker failed" and not e["success"] for e in events)
    assert all("exited with code 3" in e["error"] for e in events)
