"""Student kernels forked from a warmed-up process inside the sandbox.

A student kernel started from nothing spends most of a short notebook's CPU before the
student's first line runs: Python, ipykernel, NumPy, matplotlib, ``mlcourse``, and PyTorch
with its compiler front end when the notebook trains a network (several seconds). A
**warm sandbox** pays that once per grading process: a bubblewrap sandbox
(:func:`mlgrade.sandbox.zygote_command`) whose only process is a zygote that has imported
those modules and forks one kernel per notebook.

Only the instructor's code ever runs in the zygote: the modules it imports are named by
the notebook's locked cells (the ones nbgrader restored) and limited to known packages.
Each fork becomes a sandbox of its own before any student code runs:

* it enters new user, mount, process, IPC, network and host-name namespaces
  (``unshare``), with its user id mapped to itself;
* it mounts fresh memory-backed ``/tmp``, ``/dev/shm`` and working folder
  (:data:`~mlgrade.sandbox.WARM_WORKDIR`, holding copies of the submission's other files)
  over the zygote's: nothing of an earlier notebook's is there, and what this one writes
  disappears with its mount namespace (with no capability left, the kernel cannot unmount
  them, and in a user namespace of its own they would be locked);
* it forks the kernel under a small init that is process 1 of the new process
  namespace: when the init dies, every process the student started dies with it;
* it drops every capability (the new user namespace gave it some) before its init and
  the kernel are forked; the kernel takes the CPU limit of its policy and reseeds
  NumPy's global random state;
* the zygote is not dumpable, so no kernel can read or trace it, and it is outside every
  kernel's process namespace, so no kernel can signal it.

A zygote serves one kernel at a time: before each fork it waits until every process of
the previous kernel has gone (and kills what is left after a few seconds). The memory
limit is the sandbox's, as for a kernel started from nothing: the modules the zygote
imported count in it, as they would had the notebook imported them.

Where the kernel refuses a user namespace inside the sandbox, the zygote says so when it
starts and grading falls back to sandboxes started from nothing
(:class:`~mlgrade.sandbox.SandboxedKernelManager`), which are as strict and slower.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import dataclasses
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, ClassVar

from jupyter_client.provisioning import LocalProvisioner
from traitlets import Unicode

from .lifetime import die_with, request_death_signal
from .sandbox import (
    _MPLCONFIGDIR,
    WARM_WORKDIR,
    Policy,
    SandboxedKernelManager,
    _limits,
    zygote_command,
)

__all__ = ["WarmKernelManager", "WarmSandbox", "WarmUnavailable"]

# What every student kernel imports before the notebook's first line.
STUDENT_BASE = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "numpy",
    "matplotlib.pyplot",
    "mlcourse",
)
# A notebook that imports PyTorch and builds an optimizer imports its compiler front end
# (about a second of CPU); the zygote imports it with torch.
_WITH = {"torch": ("torch._dynamo",)}

_LIBC = ctypes.CDLL(None, use_errno=True)
_CLONE_NEWNS, _CLONE_NEWUTS, _CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
_CLONE_NEWUSER, _CLONE_NEWPID, _CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
_NAMESPACES = (
    _CLONE_NEWUSER | _CLONE_NEWNS | _CLONE_NEWPID | _CLONE_NEWIPC | _CLONE_NEWNET | _CLONE_NEWUTS
)
_MS_NOSUID, _MS_NODEV, _MS_REC, _MS_PRIVATE = 2, 4, 0x4000, 0x40000
_PR_SET_DUMPABLE, _PR_CAPBSET_DROP, _PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL = 4, 24, 47, 4
_CAPABILITY_V3 = 0x20080522
_ALONE_WAIT = 5.0  # seconds the zygote waits for a finished kernel's processes to go


class WarmUnavailable(RuntimeError):
    """A warm sandbox cannot be made here (the zygote says why)."""


# --- inside the sandbox: the zygote and its forks -------------------------------------


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    _check(
        _LIBC.mount(
            source.encode(),
            target.encode(),
            fstype.encode() if fstype else None,
            ctypes.c_ulong(flags),
            data.encode() if data else None,
        ),
        f"mount {target}",
    )


def confine(files: str, tmp_size: int, work_size: int) -> None:
    """Make this process a sandbox of its own (see the module docstring): new namespaces,
    fresh ``/tmp``, ``/dev/shm`` and working folder holding copies of ``files``' files."""
    uid, gid = os.getuid(), os.getgid()
    _check(_LIBC.unshare(_NAMESPACES), "unshare")
    # The zygote is not dumpable, so /proc/self is root's: the fork becomes dumpable just
    # long enough to write its own id maps (no student code runs yet).
    _check(_LIBC.prctl(_PR_SET_DUMPABLE, 1, 0, 0, 0), "prctl(PR_SET_DUMPABLE)")
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1")):
        Path(f"/proc/self/{name}").write_text(text, encoding="ascii")
    Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1", encoding="ascii")
    _check(_LIBC.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0), "prctl(PR_SET_DUMPABLE)")
    _mount("none", "/", None, _MS_REC | _MS_PRIVATE)
    for path, size in (("/tmp", tmp_size), ("/dev/shm", tmp_size), (WARM_WORKDIR, work_size)):
        _mount("tmpfs", path, "tmpfs", _MS_NOSUID | _MS_NODEV, f"size={size},mode=1777")
    os.makedirs(_MPLCONFIGDIR, exist_ok=True)
    if files:
        for source in sorted(Path(files).iterdir()):
            target = Path(WARM_WORKDIR) / source.name
            shutil.copyfile(source, target)
            target.chmod(0o444)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [(n, ctypes.c_uint32) for n in ("effective", "permitted", "inheritable")]


def drop_capabilities() -> None:
    """Give up every capability, for good (bounding and ambient sets included)."""
    for cap in range(64):
        if _LIBC.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            break  # past the last capability this kernel knows
    _check(_LIBC.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "ambient caps")
    header, data = _CapHeader(_CAPABILITY_V3, 0), (_CapData * 2)()
    _check(_LIBC.capset(ctypes.byref(header), data), "capset")


def _quiet_fds() -> None:
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.closerange(3, 65536)  # the zygote's pipes and anything else it held


def _kernel_child(request: dict, zygote: int, env: dict[str, str]) -> None:
    """In the fork: confine, then run the kernel under an init of its own; never returns."""
    try:
        os.setsid()
        die_with(zygote)()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        _quiet_fds()
        limits = request["limits"]
        confine(request.get("files", ""), limits["tmp_size"], limits["work_size"])
        drop_capabilities()  # for this process, its init and the kernel
        # The init's parent is outside its process namespace (its getppid() is 0): it
        # learns that this process is alive from a pipe whose writing end only we hold.
        alive, holder = os.pipe()
        init = os.fork()
        if init == 0:
            os.close(holder)
            _init(request, alive, env)
        os.close(alive)
        _, status = os.waitpid(init, 0)
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
    finally:
        os._exit(1)


def _init(request: dict, alive: int, env: dict[str, str]) -> None:
    """Process 1 of the kernel's namespace: reap, and end (taking everything) with it."""
    try:
        request_death_signal()
        os.set_blocking(alive, False)
        try:
            if os.read(alive, 1) == b"":  # the writing end closed: the parent has gone
                os._exit(1)
        except BlockingIOError:
            pass  # open and empty: the parent is alive, and we die with it from now on
        os.close(alive)
        me = os.getpid()
        kernel = os.fork()
        if kernel == 0:
            die_with(me)()
            _kernel(request, env)
        while True:
            pid, status = os.wait()
            if pid == kernel:
                os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
    finally:
        os._exit(1)


def _kernel(request: dict, env: dict[str, str]) -> None:
    cpu = int(request["limits"]["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    os.environ.clear()
    os.environ.update(env)
    if "numpy" in sys.modules:  # a fresh process would seed it from the system
        sys.modules["numpy"].random.seed()
    os.chdir(WARM_WORKDIR)
    sys.argv = ["ipykernel_launcher", *request["argv"]]
    from ipykernel.kernelapp import IPKernelApp

    IPKernelApp.launch_instance(argv=request["argv"])


def _others() -> list[int]:
    """Processes of this sandbox other than its init (1) and the zygote."""
    me = os.getpid()
    return [int(n) for n in os.listdir("/proc") if n.isdigit() and int(n) not in (1, me)]


def wait_alone(timeout: float = _ALONE_WAIT) -> None:
    """Before a fork: wait until the previous kernel's processes have gone, then kill
    whatever of them is left (every one runs as this sandbox's user)."""
    deadline = time.monotonic() + timeout
    while _others():
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(-1, signal.SIGKILL)  # not the zygote itself, not init
            deadline = time.monotonic() + timeout
        time.sleep(0.002)


def _self_test(limits: dict) -> str:
    """'' if a fork can confine itself here, else why not."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            confine("", limits["tmp_size"], limits["work_size"])
            drop_capabilities()
            os._exit(0)
        except BaseException as exc:
            os.write(write, f"{type(exc).__name__}: {exc}".encode()[:500])
        finally:
            os._exit(1)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        why = pipe.read().decode(errors="replace")
    _, status = os.waitpid(pid, 0)
    return "" if status == 0 else why or f"the test fork ended with status {status}"


def serve_students(limits: dict) -> None:
    """The warm sandbox's zygote (``python -m mlgrade.warm``)."""
    from . import zygote

    env = dict(os.environ)  # the sandbox's: what each kernel gets
    _check(_LIBC.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0), "prctl(PR_SET_DUMPABLE)")
    # Nobody debugs a graded kernel: without debugpy ipykernel starts no debugger.
    sys.modules["debugpy"] = None  # type: ignore[assignment]
    why = _self_test(limits)
    print(f"unavailable {why}" if why else "ready", flush=True)
    if why:
        return

    def child(request: dict, pid: int) -> None:
        _kernel_child(request, pid, env)

    zygote.serve(base=STUDENT_BASE, child=child, before=wait_alone, strict=True)


# --- outside: the grader's side --------------------------------------------------------


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text(encoding="ascii")
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _ns_pid(pid: int) -> int | None:
    """The process id that ``pid`` has in its own process namespace."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
            if line.startswith("NSpid:"):
                return int(line.split()[-1])
    except OSError:
        pass
    return None


def _host_folder() -> str:
    """Where the warm sandboxes' folders are made: not under /tmp, which each kernel
    replaces with a fresh one (the kernels' sockets must stay in sight)."""
    for base in (os.environ.get("MLGRADE_WARM_DIR", ""), "/var/tmp"):
        if base and os.path.isdir(base) and not os.path.realpath(base).startswith("/tmp"):
            return base
    raise WarmUnavailable("no folder outside /tmp for the kernels' sockets (/var/tmp)")


def _sweep(base: str) -> None:
    """Remove the folders of warm sandboxes whose grading process was killed."""
    for folder in Path(base).glob("mlgrade-warm-*-*"):
        owner = folder.name.split("-")[2]
        if owner.isdigit() and not Path(f"/proc/{owner}").exists():
            shutil.rmtree(folder, ignore_errors=True)


def _limits_of(policy: Policy) -> dict:
    keep = ("cpu_seconds", "tmp_size", "work_size")
    return {k: getattr(policy, k) for k in keep}


class WarmSandbox:
    """A warm sandbox: its zygote, started on first use, serving one kernel at a time."""

    _lock = threading.Lock()
    _idle: ClassVar[list[WarmSandbox]] = []
    _unavailable: ClassVar[str] = ""
    _failed: ClassVar[set[str]] = set()  # modules a zygote could not import: not asked again

    def __init__(self, policy: Policy):
        self.policy = dataclasses.replace(policy, uid=policy.user())
        base = _host_folder()
        _sweep(base)
        self.folder = tempfile.mkdtemp(prefix=f"mlgrade-warm-{os.getpid()}-", dir=base)
        os.chmod(self.folder, 0o711)
        atexit.register(self.close)
        # The zygote lives for the whole run: CPU time for all the forks it makes, and a
        # few processes more than a kernel (the zygote, the fork and its init).
        own = dataclasses.replace(
            self.policy, cpu_seconds=24 * 3600, processes=self.policy.processes + 4
        )
        # The folder it serves is on its command line only so that a process listing
        # shows whose it is (the grading tests look for leftovers of a course that way).
        argv = [sys.executable, "-m", "mlgrade.warm", "--for", os.getcwd()]
        argv += [f"--{k.replace('_', '-')}={v}" for k, v in _limits_of(self.policy).items()]
        self.proc = subprocess.Popen(
            zygote_command(argv, self.folder, own),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            preexec_fn=die_with(os.getpid(), then=_limits(own)),
            cwd="/",
            text=True,
        )
        answer = self.proc.stdout.readline().strip()
        if answer != "ready":
            self.close()
            raise WarmUnavailable(answer.removeprefix("unavailable ") or "the zygote stopped")
        self.zygote = self._zygote_pid()

    def _zygote_pid(self) -> int:
        """The zygote's process id on this side (bubblewrap's grandchild)."""
        for child in _children(self.proc.pid):
            for grandchild in _children(child):
                return grandchild
        self.close()
        raise WarmUnavailable("the zygote's process was not found")

    @classmethod
    def acquire(cls, policy: Policy) -> WarmSandbox:
        """An idle warm sandbox for ``policy`` (a new one if none is idle); raises
        :class:`WarmUnavailable` if this machine cannot have one."""
        with cls._lock:
            if cls._unavailable:
                raise WarmUnavailable(cls._unavailable)
            while cls._idle:
                sandbox = cls._idle.pop()
                if sandbox.proc.poll() is None and sandbox._same(policy):
                    return sandbox
                sandbox.close()
        try:
            return cls(policy)
        except WarmUnavailable as exc:
            cls._unavailable = str(exc)
            raise

    def _same(self, policy: Policy) -> bool:
        return dataclasses.replace(policy, uid=self.policy.uid) == self.policy

    def release(self) -> None:
        """The kernel is gone: the sandbox may serve the next one."""
        with self._lock:
            if self.proc.poll() is None:
                self._idle.append(self)
            else:
                self.close()

    def _ask(self, request: dict) -> str:
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def preload(self, modules) -> None:
        """Have the zygote import ``modules`` (and what they need with them); raises
        :class:`WarmUnavailable` (and closes this sandbox) if one fails."""
        names = [m for p in modules for m in (p, *_WITH.get(p.split(".")[0], ()))]
        names = [m for m in dict.fromkeys(names) if m not in self._failed]
        answer = self._ask({"preload": names})
        if answer != "ok":
            self.close()
            failed = answer.removeprefix("failed ")
            if answer.startswith("failed "):
                WarmSandbox._failed.add(failed)
            raise WarmUnavailable(f"the zygote could not import {failed!r}")

    def fork(self, argv: list[str], files: str) -> int:
        """Fork a kernel with ``argv`` (ipykernel's); its process id on this side."""
        answer = self._ask({"argv": argv, "files": files, "limits": _limits_of(self.policy)})
        if not answer:
            raise RuntimeError("the warm sandbox's zygote stopped")
        inside = int(answer)
        for pid in _children(self.zygote):
            if _ns_pid(pid) == inside:
                return pid
        raise RuntimeError("the warm sandbox's kernel ended at once")

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        with contextlib.suppress(Exception):
            self.proc.wait(timeout=5)
        shutil.rmtree(self.folder, ignore_errors=True)


class _WarmProvisioner(LocalProvisioner):
    """Start the kernel as a fork of a warm sandbox's zygote."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        from .zygote import _Forked

        km = self.parent
        at = cmd.index("ipykernel_launcher")
        pid = km.warm.fork(cmd[at + 1 :], km.files_folder)
        self.process = _Forked(pid)
        self.pid = self.pgid = pid
        self.cwd = WARM_WORKDIR
        return self.connection_info


class WarmKernelManager(SandboxedKernelManager):
    """A student kernel forked in a warm sandbox (see the module docstring)."""

    files_folder = Unicode("", help="copies of the submission's other files, for the kernel")

    def __init__(self, preload=(), **kwargs):
        policy = kwargs.pop("policy", None) or Policy()
        warm = WarmSandbox.acquire(policy)
        warm.preload(preload)
        super().__init__(policy=warm.policy, sockets_parent=warm.folder, **kwargs)
        self.warm = warm
        import uuid

        self.kernel_id = str(uuid.uuid4())
        self.provisioner = _WarmProvisioner(
            kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self
        )

    def format_kernel_cmd(self, extra_arguments=None):
        argv = super(SandboxedKernelManager, self).format_kernel_cmd(extra_arguments)
        os.chmod(self.connection_file, 0o644)
        assert self.kernel_spec is not None
        self.kernel_spec.interrupt_mode = "message"
        files = self.submission_files()
        self.files_folder = tempfile.mkdtemp(prefix="files-", dir=self.warm.folder)
        os.chmod(self.files_folder, 0o755)
        for file in files:
            target = Path(self.files_folder) / Path(file).name
            shutil.copyfile(file, target)
            target.chmod(0o644)
        return argv

    def kill_sandbox(self) -> None:
        had = bool(self._sandbox_pids)
        super().kill_sandbox()
        if had:
            shutil.rmtree(self.files_folder, ignore_errors=True)
            self.warm.release()


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description="the zygote of a warm sandbox")
    parser.add_argument("--for", dest="course", default="")
    for key in ("cpu_seconds", "tmp_size", "work_size"):
        parser.add_argument(f"--{key.replace('_', '-')}", dest=key, type=int, required=True)
    args = parser.parse_args(argv)
    serve_students({k: getattr(args, k) for k in ("cpu_seconds", "tmp_size", "work_size")})


if __name__ == "__main__":
    main()
