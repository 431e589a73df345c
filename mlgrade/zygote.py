"""Judge kernels forked from one warmed-up process instead of started from nothing.

Every notebook of a grading run needs a fresh judge kernel, and a fresh Python process
spends about a second of CPU importing ipykernel, NumPy, matplotlib, ``mlcourse`` and
:mod:`mlgrade.checks` before the first test runs, several seconds when the notebook
imports PyTorch. A grading worker therefore keeps one **zygote**: a Python process that has
imported all that once, and forks a kernel for each notebook (``os.fork`` shares the
imported modules, copy-on-write), which answers within milliseconds.

Forking like this is safe for the judge because the judge never runs student code: every
fork starts from a process that only the grader's own imports have touched. Student
kernels are forked too, but by a zygote inside a bubblewrap sandbox, and each fork makes
itself a sandbox of its own before the student's first line (:mod:`mlgrade.warm`).

The judge draws no figures (``MPLBACKEND=Agg``): the outputs of the locked cells it runs
are thrown away, and only the test cells' outputs, errors or none, are kept.

:class:`ForkProvisioner` is the ``jupyter_client`` provisioner that asks the zygote for a
kernel; the zygote's side is :func:`serve` (``python -m mlgrade.zygote``).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from jupyter_client.provisioning import LocalProvisioner

from .lifetime import die_with

__all__ = ["BASE", "ForkProvisioner", "Zygote", "serve"]

# What every judge imports (ipykernel itself, the checks and the data they read).
BASE = (
    "ipykernel.kernelapp",
    "numpy",
    "matplotlib.pyplot",
    "mlcourse",
    "mlgrade.judge",
    "mlgrade.checks",
)
# Modules a notebook's locked cells may ask the zygote to import before it forks.
_PRELOADABLE = {"numpy", "matplotlib", "mlcourse", "mlgrade", "torch", "sklearn", "scipy", "sympy"}


class PreloadFailed(Exception):
    """A strict zygote could not import a module (its name is the message)."""


def _preload(names, extra=(), strict=False) -> None:
    for name in names:
        if name.split(".")[0] in _PRELOADABLE or name in BASE or name in extra:
            try:
                importlib.import_module(name)
            except Exception as exc:  # a module that fails fails again in the kernel
                if strict:
                    raise PreloadFailed(name) from exc


def _child(request: dict, zygote: int) -> None:
    """In the fork: become a judge kernel with the request's arguments; never returns."""
    try:
        os.setsid()
        die_with(zygote)()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = ["ipykernel_launcher", *request["argv"]]
        # Nobody debugs a judge: without debugpy, ipykernel starts no debugger (importing
        # debugpy and pydevd was a fifth of a forked judge's CPU).
        sys.modules["debugpy"] = None
        from ipykernel.kernelapp import IPKernelApp

        IPKernelApp.launch_instance(argv=request["argv"])
    finally:
        os._exit(0)


def serve(
    requests=sys.stdin, answers=sys.stdout, base=BASE, child=None, before=None, strict=False
) -> None:
    """The zygote: import ``base``, then fork a kernel per request line.

    A request is one JSON line ``{"argv": [...], "cwd": ..., "env": {...}, "preload":
    [...]}``; the answer is the kernel's process id on a line. The kernels are reaped
    automatically (``SIGCHLD`` ignored), so a dead kernel's id disappears at once.
    ``child(request, zygote)`` is what the fork does (never returns; default: become a
    judge kernel); ``before()``, if given, runs before each fork (the student zygote of
    :mod:`mlgrade.warm` waits there until the previous kernel has gone). A request
    without ``argv`` only imports its ``preload`` (answer ``ok``). A ``strict`` zygote
    whose import fails answers ``failed <module>`` and stops: a module imported half-way
    could make its kernels behave unlike kernels started from nothing.
    """
    _preload(base, extra=base, strict=strict)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    while line := requests.readline():
        request = json.loads(line)
        try:
            _preload(request.get("preload", ()), strict=strict)
        except PreloadFailed as exc:
            answers.write(f"failed {exc}\n")
            answers.flush()
            return
        if "argv" not in request:
            answers.write("ok\n")
            answers.flush()
            continue
        if before is not None:
            before()
        zygote = os.getpid()
        pid = os.fork()
        if pid == 0:
            (child or _child)(request, zygote)
        answers.write(f"{pid}\n")
        answers.flush()


def environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """The zygote's environment: the grader's, on one thread, drawing no figures."""
    from .sandbox import ONE_THREAD

    env = dict(os.environ if base is None else base)
    env.update(ONE_THREAD)
    env["MPLBACKEND"] = "Agg"
    return env


class Zygote:
    """A running zygote (``python -m mlgrade.zygote``), started on first use."""

    _lock = threading.Lock()
    _running: Zygote | None = None

    def __init__(self):
        # The folder it serves is on its command line only so that a process listing
        # shows whose it is (the grading tests look for leftovers of a course that way).
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mlgrade.zygote", "--for", os.getcwd()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=environment(),
            preexec_fn=die_with(os.getpid()),
            text=True,
        )

    @classmethod
    def shared(cls) -> Zygote:
        """This process's zygote (a new one if the last one died)."""
        with cls._lock:
            if cls._running is None or cls._running.proc.poll() is not None:
                cls._running = cls()
            return cls._running

    def fork(self, argv: list[str], cwd: str, env: dict[str, str], preload=()) -> int:
        request = {"argv": argv, "cwd": cwd, "env": environment(env), "preload": list(preload)}
        with self._lock:
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
            answer = self.proc.stdout.readline()
        if not answer.strip():
            raise RuntimeError("the judge's zygote stopped")
        return int(answer)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is dead too (it exists only until the zygote's kernel reaps it)
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class _Forked:
    """The part of ``subprocess.Popen`` that jupyter_client uses, for a forked kernel."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid, self.returncode = pid, None

    def poll(self) -> int | None:
        if self.returncode is None and not _alive(self.pid):
            self.returncode = -signal.SIGKILL
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class ForkProvisioner(LocalProvisioner):
    """Start the kernel as a fork of the zygote (the command must be ipykernel's)."""

    preload: tuple[str, ...] = ()

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        try:
            at = cmd.index("ipykernel_launcher")
        except ValueError:
            return await super().launch_kernel(cmd, **kwargs)
        env = kwargs.get("env") or dict(os.environ)
        cwd = str(kwargs.get("cwd") or os.getcwd())
        pid = Zygote.shared().fork(cmd[at + 1 :], cwd, env, self.preload)
        self.process = _Forked(pid)
        self.pid = self.pgid = pid
        self.cwd = cwd
        return self.connection_info


if __name__ == "__main__":
    serve()
