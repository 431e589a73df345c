"""mlgrade.lifetime: a process started with ``die_with`` ends with its parent, even when the
parent dies by SIGKILL, and even when it died before the child could ask."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import textwrap
import time

from mlgrade.lifetime import die_with

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# A middle process that starts `sleep` (with or without die_with), says its pid, and waits.
MIDDLE = textwrap.dedent(
    """
    import os, subprocess, sys, time
    from mlgrade.lifetime import die_with
    guarded = sys.argv[1] == "guarded"
    kw = {"preexec_fn": die_with(os.getpid())} if guarded else {}
    child = subprocess.Popen(["sleep", "300"], **kw)
    print(child.pid, flush=True)
    time.sleep(300)
    """
)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _grandchild_after_sigkill(mode: str) -> int:
    middle = subprocess.Popen(
        [sys.executable, "-c", MIDDLE, mode], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    pid = int(middle.stdout.readline())
    middle.send_signal(signal.SIGKILL)
    middle.wait()
    return pid


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_a_child_dies_with_a_parent_killed_by_sigkill():
    pid = _grandchild_after_sigkill("plain")
    try:
        # Without the request the child outlives its parent: the test can see the difference.
        assert not _gone_within(pid, 1.0), "an unguarded child died with its parent"
    finally:
        os.kill(pid, signal.SIGKILL)
    pid = _grandchild_after_sigkill("guarded")
    assert _gone_within(pid, 10.0), "the guarded child outlived its parent"


def test_a_child_whose_parent_died_before_it_asked_ends_itself():
    # The middle process forks a child and dies at once; the child asks only afterwards
    # (as bubblewrap would after parsing its arguments). Its parent is then init: it must
    # end instead of running on. It writes to the pipe only if it survived the request.
    read, write = os.pipe()
    middle = os.fork()
    if middle == 0:
        try:
            parent = os.getpid()
            if os.fork() == 0:
                try:
                    time.sleep(0.5)
                    die_with(parent)()
                    os.write(write, b"survived")
                finally:
                    os._exit(0)
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(middle, 0)
    with os.fdopen(read, "rb") as pipe:
        assert pipe.read() == b"", "a child orphaned before its request ran on"


CHILD = textwrap.dedent(
    """
    import ctypes, resource
    sig = ctypes.c_int()
    ctypes.CDLL(None).prctl(2, ctypes.byref(sig), 0, 0, 0)  # PR_GET_PDEATHSIG
    print(sig.value, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    """
)


def test_the_request_survives_exec_and_then_runs_in_the_child():
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    guard = die_with(
        os.getpid(), then=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard))
    )
    ran = subprocess.run(
        [sys.executable, "-c", CHILD], preexec_fn=guard, capture_output=True, text=True
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == [str(int(signal.SIGKILL)), "64"]
