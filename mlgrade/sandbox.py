"""A bubblewrap sandbox for each student kernel.

The student's kernel runs under ``bwrap`` (Debian's ``bubblewrap``) with:

* a root file system built from nothing: the system's ``/usr`` (and its ``/bin``, ``/lib``
  links), a few files of ``/etc``, the Python installation and the course's virtual
  environment, and the ``mlcourse`` and ``mlgrade`` sources, all **read-only**; nothing
  else of the machine: not the course directory, ``solutions/``, the gradebook, other
  submissions or the instructor's home;
* the only writable places: a private working folder (the kernel's current directory,
  holding read-only copies of the submission's other files) and a private ``/tmp``, both
  memory-backed with a size limit, plus the folder of the kernel's own sockets;
* no network (``--unshare-net``: the kernel talks to the grader over Unix sockets, the
  ``ipc`` transport of Jupyter), its own process and IPC namespaces, a new session;
* an empty environment (no variable of the instructor's), a user id of its own (not
  root, switched to by ``setpriv`` inside the sandbox), no capabilities, no new
  privileges;
* resource limits: address space (memory), CPU seconds, processes, size of any file
  written;
* ``--die-with-parent`` and a process namespace of its own, so every process the student
  starts dies with the kernel.

:class:`SandboxedKernelManager` is the ``jupyter_client`` kernel manager that starts a
kernel that way; :func:`bwrap_command` builds the command line. Grading normally forks
its student kernels in a warm sandbox instead (:mod:`mlgrade.warm`, whose sandbox is
:func:`zygote_command`'s): the same properties, but for the user id, which is one per
grading process rather than one per kernel, and a much faster start.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import itertools
import os
import resource
import shutil
import signal
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from traitlets import Instance, Unicode

from .lifetime import die_with
from .ready import PromptKernelManager

__all__ = [
    "ONE_THREAD",
    "Policy",
    "SandboxUnavailable",
    "SandboxedKernelManager",
    "bwrap_command",
    "require",
]

BWRAP = "bwrap"
# Every kernel of a grading run computes on one thread: a run grades one submission per
# core, with two kernels each, and a second thread per kernel (OpenMP, BLAS, PyTorch) only
# makes them wait for each other (measured: two a6 notebooks at once took 10-17 s each
# instead of 5 s one after the other).
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
_ETC = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "passwd",
    "group",
    "nsswitch.conf",
    "fonts",
    "alternatives",
    "mime.types",
)


_MPLCONFIGDIR = "/tmp/.matplotlib"
# The working folder of a kernel forked in a warm sandbox (mlgrade.warm).
WARM_WORKDIR = "/home/student"
# The whole environment of a student kernel (the sandbox starts from an empty one).
KERNEL_ENV = {
    "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
    "HOME": "/tmp",
    "LANG": "C.UTF-8",
    "MPLBACKEND": "Agg",
    "MPLCONFIGDIR": _MPLCONFIGDIR,
    **ONE_THREAD,
    "PYTHONDONTWRITEBYTECODE": "1",
    "JUPYTER_RUNTIME_DIR": "/tmp/.jupyter",
    "IPYTHONDIR": "/tmp/.ipython",
}
_UIDS = itertools.count()


def _fresh_uid() -> int:
    """A user id of its own for each sandbox (the process limit counts per user)."""
    return 61000 + (os.getpid() * 97 + next(_UIDS)) % 4000


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create a sandbox here."""


@dataclass(frozen=True)
class Policy:
    """The limits of one student kernel (bytes and seconds)."""

    memory: int = 2 * 2**30  # address space of each process
    cpu_seconds: int = 300  # CPU time of each process
    processes: int = 64  # processes and threads of the sandbox's user
    file_size: int = 64 * 2**20  # largest file the student can write
    work_size: int = 128 * 2**20  # the working folder (memory-backed)
    tmp_size: int = 256 * 2**20  # /tmp (memory-backed)
    uid: int = 0  # 0: a fresh user id for each sandbox

    def user(self) -> int:
        """The sandbox's user id (set ``uid``: a fresh one per call otherwise)."""
        return self.uid or _fresh_uid()


def require() -> str:
    """The path of ``bwrap``, or :class:`SandboxUnavailable` saying how to get it."""
    path = shutil.which(BWRAP)
    if path is None:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed, so student code cannot be sandboxed. "
            "Install it (Debian/Ubuntu: apt-get install bubblewrap), or grade without a "
            "sandbox at your own risk with --no-sandbox (make autograde SANDBOX=0)."
        )
    return path


def _module_dirs(*names: str) -> list[str]:
    dirs = []
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            dirs.extend(spec.submodule_search_locations)
    return dirs


def _system_mounts() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / top
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    for name in _ETC:
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    return args


def _python_mounts() -> list[str]:
    """The interpreter, the virtual environment and the course packages, read-only."""
    paths = {os.path.realpath(p) for p in (sys.base_prefix, sys.prefix)}
    paths.update(os.path.realpath(p) for p in _module_dirs("mlcourse", "mlgrade"))
    args, made = [], set()
    for path in sorted(paths):
        # Parent folders made here are traversable (the real /root, say, is not).
        for parent in reversed(Path(path).parents[:-1]):
            if str(parent) not in made:
                made.add(str(parent))
                args += ["--perms", "0755", "--dir", str(parent)]
        args += ["--ro-bind", path, path]
    if os.path.realpath(sys.prefix) != sys.prefix:
        args += ["--symlink", os.path.realpath(sys.prefix), sys.prefix]
    return args


def font_cache() -> str | None:
    """matplotlib's list of the machine's fonts, built here once (None without matplotlib).

    A student kernel starts with an empty matplotlib folder; without this list matplotlib
    would search the system's fonts again in every kernel that plots (about half a second
    of CPU per notebook). The sandbox gets it read-only.
    """
    try:
        import matplotlib
        from matplotlib import font_manager
    except ImportError:
        return None
    version = getattr(font_manager.FontManager, "__version__", None)
    path = Path(matplotlib.get_cachedir()) / f"fontlist-v{version}.json"
    return str(path) if version and path.is_file() else None


def _common_args(policy: Policy) -> list[str]:
    """What every sandbox has: its namespaces, the read-only system and course packages."""
    args = [require(), "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts"]
    args += ["--unshare-cgroup-try", "--die-with-parent", "--new-session", "--clearenv"]
    args += ["--proc", "/proc", "--dev", "/dev"]
    return args + _system_mounts() + _python_mounts()


def _fonts_args() -> list[str]:
    fonts = font_cache()
    if not fonts:
        return []
    return [
        *("--perms", "1777", "--dir", _MPLCONFIGDIR),
        *("--ro-bind", fonts, f"{_MPLCONFIGDIR}/{Path(fonts).name}"),
    ]


def _user_args(kernel_argv: list[str], policy: Policy) -> list[str]:
    """The environment, then the switch to the sandbox's user with no capabilities."""
    if not policy.uid:
        raise ValueError("policy.uid is 0; expected the sandbox's own user id (Policy.user())")
    uid = str(policy.uid)
    args = []
    for key, value in KERNEL_ENV.items():
        args += ["--setenv", key, value]
    setpriv = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
    setpriv += ["--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
    return [*args, "--", *setpriv, *kernel_argv]


def bwrap_command(
    kernel_argv: list[str], workdir: str, files: list[str], sockets: str, policy: Policy
) -> list[str]:
    """The ``bwrap`` command that runs ``kernel_argv`` in the sandbox.

    ``workdir`` becomes the kernel's current folder (memory-backed, writable); ``files``
    are bound read-only into it; ``sockets`` is the writable folder of the kernel's Unix
    sockets and connection file.
    """
    args = _common_args(policy)
    args += ["--perms", "1777", "--size", str(policy.tmp_size), "--tmpfs", "/tmp"]
    args += ["--perms", "1777", "--size", str(policy.tmp_size), "--tmpfs", "/dev/shm"]
    args += _fonts_args()
    args += ["--perms", "1777", "--size", str(policy.work_size), "--tmpfs", workdir]
    for file in files:
        args += ["--ro-bind", file, str(Path(workdir) / Path(file).name)]
    args += ["--bind", sockets, sockets, "--chdir", workdir]
    return args + _user_args(kernel_argv, policy)


def zygote_command(argv: list[str], folder: str, policy: Policy) -> list[str]:
    """The ``bwrap`` command of a warm sandbox (:mod:`mlgrade.warm`) running ``argv``.

    Only the zygote's own code runs in it directly. Writable are ``folder`` (where the
    grader puts each kernel's socket folder and files) and the zygote's ``/tmp`` (some
    modules need one to import); each forked kernel mounts fresh memory-backed ``/tmp``,
    ``/dev/shm`` and working folder (:data:`WARM_WORKDIR`) of its own over them.
    """
    args = _common_args(policy)
    args += ["--perms", "1777", "--size", str(policy.tmp_size), "--tmpfs", "/tmp"]
    args += ["--perms", "0755", "--dir", WARM_WORKDIR]
    args += _fonts_args()
    for parent in reversed(Path(folder).parents[:-1]):  # traversable, as in _python_mounts
        args += ["--perms", "0755", "--dir", str(parent)]
    args += ["--bind", folder, folder, "--chdir", "/"]
    return args + _user_args(argv, policy)


def _limits(policy: Policy):
    """``preexec_fn`` for the sandbox: resource limits that the kernel inherits."""

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (policy.memory, policy.memory))
        resource.setrlimit(resource.RLIMIT_CPU, (policy.cpu_seconds, policy.cpu_seconds + 5))
        resource.setrlimit(resource.RLIMIT_NPROC, (policy.processes, policy.processes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (policy.file_size, policy.file_size))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


class SandboxedKernelManager(PromptKernelManager):
    """A kernel manager whose kernel runs in the bubblewrap sandbox, over ``ipc``."""

    policy = Instance(Policy, args=())
    workdir = Unicode("", help="the kernel's working folder inside the sandbox")
    sockets_parent = Unicode("", help="where the kernel's socket folder is made (tmp)")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._sandbox_pids: list[int] = []
        if not self.policy.uid:
            self.policy = dataclasses.replace(self.policy, uid=_fresh_uid())
        self._sockets = tempfile.mkdtemp(prefix="mlgrade-kernel-", dir=self.sockets_parent or None)
        os.chmod(self._sockets, 0o711)
        os.chown(self._sockets, self.policy.uid, self.policy.uid)
        self.transport = "ipc"
        self.connection_file = os.path.join(self._sockets, "kernel.json")
        self.ip = os.path.join(self._sockets, "kernel-ipc")

    def format_kernel_cmd(self, extra_arguments=None):
        argv = super().format_kernel_cmd(extra_arguments)
        os.chmod(self.connection_file, 0o644)
        assert self.kernel_spec is not None
        self.kernel_spec.interrupt_mode = "message"
        workdir = self.workdir or self._launch_args.get("cwd") or os.getcwd()
        return bwrap_command(
            argv, str(workdir), self.submission_files(), self._sockets, self.policy
        )

    def submission_files(self) -> list[str]:
        """The files beside the notebook (not notebooks, not links), for the kernel's
        working folder."""
        workdir = Path(self.workdir or self._launch_args.get("cwd") or os.getcwd())
        if not workdir.is_dir():
            return []
        return [
            str(p)
            for p in sorted(workdir.iterdir())
            if p.is_file() and p.suffix != ".ipynb" and not p.is_symlink()
        ]

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        # The sandbox dies with this process even if it dies before bubblewrap has asked
        # for it (--die-with-parent), and it inherits the resource limits.
        kw["preexec_fn"] = die_with(os.getpid(), then=_limits(self.policy))
        kw.pop("env", None)
        await super()._async_launch_kernel(kernel_cmd, **kw)
        self._sandbox_pids.append(self.provisioner.process.pid)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart)
        if not restart:
            self.kill_sandbox()
            shutil.rmtree(self._sockets, ignore_errors=True)

    cleanup_resources = _async_cleanup_resources

    def seal_sockets(self) -> None:
        """Once the kernel is ready, its socket folder becomes the grader's alone.

        The folder is on the host's ``/tmp`` and had to be the sandbox user's while the
        kernel created its sockets; afterwards nothing needs to be created in it, and a
        student who could write there could fill the host's ``/tmp`` one file at a time
        (the file-size limit caps each file, not their number). The sockets stay usable:
        connecting to a socket needs no write permission on its folder.
        """
        os.chown(self._sockets, os.getuid(), os.getgid())
        os.chmod(self._sockets, 0o711)

    def kill_sandbox(self) -> None:
        """Kill the sandbox's process group: its process namespace, and everything in it,
        goes with it (a detached process of the student's included)."""
        for pid in self._sandbox_pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, os.WNOHANG)
        self._sandbox_pids.clear()
