"""mlgrade.warm: student kernels forked in a warm sandbox, attacked from inside.

Every kernel here is a real fork of a real zygote in real bubblewrap (installed by .ci/run):
a machine where one cannot be made fails these tests, it never skips them. The attacks are
those of a student who knows how the warm sandbox works: leave something behind for the
next notebook forked from the same zygote, leave a process running, reach the zygote
(signals, its memory, its pipes), take back the mounts, use more memory or CPU.
"""

from __future__ import annotations

import asyncio
import json
import os
import textwrap
from pathlib import Path

import nbformat
import pytest

from mlgrade import warm
from mlgrade.execute import JudgedExecute
from mlgrade.sandbox import KERNEL_ENV, Policy, SandboxedKernelManager
from mlgrade.warm import WarmKernelManager, WarmSandbox, WarmUnavailable, _children

REPO = Path(__file__).resolve().parents[2]


async def _start(policy: Policy, preload=(), cwd: Path | None = None):
    km = WarmKernelManager(kernel_name="python3", policy=policy, preload=preload)
    await km.start_kernel(
        extra_arguments=["--HistoryManager.hist_file=:memory:"], cwd=str(cwd) if cwd else None
    )
    kc = km.client()
    kc.start_channels()
    await kc.wait_for_ready(timeout=120)
    km.seal_sockets()
    return km, kc


async def _run(kc, code: str) -> str:
    """What ``code`` prints in the kernel (an error's name and value included)."""
    seen: list[dict] = []
    await kc.execute_interactive(textwrap.dedent(code), timeout=120, output_hook=seen.append)
    out = []
    for msg in seen:
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            out.append(f"ERROR {msg['content']['ename']}: {msg['content']['evalue']}\n")
    return "".join(out)


async def _stop(km, kc) -> None:
    kc.stop_channels()
    await km.shutdown_kernel(now=True)


def _one(code: str, policy: Policy | None = None, preload=(), cwd=None) -> tuple[str, object]:
    """Run ``code`` in one warm kernel; what it printed, and the warm sandbox it used."""

    async def go():
        km, kc = await _start(policy or Policy(), preload, cwd)
        try:
            return await _run(kc, code), km.warm
        finally:
            await _stop(km, kc)

    return asyncio.run(go())


def _uid_processes(uid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        line = next((x for x in text.splitlines() if x.startswith("Uid:")), "")
        if line and int(line.split()[1]) == uid:
            found.append(int(status.parent.name))
    return found


def _fresh_pool() -> None:
    while WarmSandbox._idle:
        WarmSandbox._idle.pop().close()


def test_a_warm_kernel_is_a_fresh_sandbox_with_the_imports_done(monkeypatch):
    _fresh_pool()  # the zygote starts with this secret in the grader's environment
    monkeypatch.setenv("LMS_TOKEN", "secret-token-123")
    out, sandbox = _one(
        """
        import json, os, sys
        status = open("/proc/self/status").read()
        print(json.dumps({
            "pid": os.getpid(), "cwd": os.getcwd(), "tmp": sorted(os.listdir("/tmp")),
            "caps": status.split("CapEff:")[1].split()[0],
            "bounding": status.split("CapBnd:")[1].split()[0],
            "no_new_privs": status.split("NoNewPrivs:")[1].split()[0],
            "numpy": "numpy" in sys.modules, "debugpy": "debugpy" in sys.modules
                     and sys.modules["debugpy"] is not None,
            "env": dict(os.environ), "course": os.path.exists(COURSE),
        }))
        """.replace("COURSE", repr(str(REPO / "solutions")))
    )
    seen = json.loads(out)
    assert seen["pid"] < 10, "the kernel is not in a process namespace of its own"
    assert seen["cwd"] == "/home/student"
    assert set(seen["tmp"]) <= {".ipython", ".matplotlib", ".jupyter"}, seen["tmp"]
    assert seen["caps"] == seen["bounding"] == "0000000000000000"
    assert seen["no_new_privs"] == "1"
    assert seen["numpy"] and not seen["debugpy"]
    assert not seen["course"]
    # The sandbox's environment only: nothing of the grader's.
    assert "LMS_TOKEN" not in seen["env"], seen["env"]
    assert "secret-token-123" not in json.dumps(seen["env"])
    assert {k: seen["env"][k] for k in KERNEL_ENV} == KERNEL_ENV
    assert sandbox.proc.poll() is None


def test_nothing_of_one_notebook_reaches_the_next_fork():
    evil = "import builtins; builtins.PLANTED = 'by the previous student'\n"
    attack = f"""
        import os, subprocess, sys
        os.makedirs("/tmp/.ipython/profile_default/startup", exist_ok=True)
        open("/tmp/.ipython/profile_default/startup/00-evil.py", "w").write({evil!r})
        open("/tmp/left.txt", "w").write("x")
        open("/dev/shm/left.txt", "w").write("x")
        open("numpy_helpers.py", "w").write("PLANTED = True")
        # A detached process that would wait for the next student's kernel.
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"],
                         start_new_session=True)
        print("planted")
    """
    look = """
        import builtins, os
        print(sorted(os.listdir("/tmp")), sorted(os.listdir("/dev/shm")), sorted(os.listdir(".")))
        print(getattr(builtins, "PLANTED", "clean"))
        try:
            import numpy_helpers
            print("imported the plant")
        except ImportError:
            print("no plant")
    """

    async def go():
        km, kc = await _start(Policy())
        first = km.warm
        assert "planted" in await _run(kc, attack)
        await _stop(km, kc)
        km, kc = await _start(Policy())
        try:
            assert km.warm is first, "the second kernel did not come from the same zygote"
            seen = await _run(kc, look)
            # While the second kernel runs, only it (and its init and fork) are the
            # sandbox's: the first one's detached process is gone.
            kernel_processes = [
                p
                for p in _uid_processes(first.policy.uid)
                if p not in (first.zygote, first.proc.pid)
            ]
            return seen, kernel_processes
        finally:
            await _stop(km, kc)

    seen, processes = asyncio.run(go())
    lines = seen.splitlines()
    assert "left.txt" not in lines[0] and "00-evil" not in lines[0], seen
    assert "numpy_helpers.py" not in lines[0], seen
    assert lines[1] == "clean", seen
    assert lines[2] == "no plant", seen
    assert len(processes) <= 3 + 1, processes  # fork, init, kernel (and a helper at most)


def test_a_kernel_cannot_reach_the_zygote_nor_take_back_its_mounts():
    attack = """
        import ctypes, os, signal
        libc = ctypes.CDLL(None, use_errno=True)
        report = []
        # The zygote's memory, environment and pipes, through the /proc it can see.
        me = os.readlink("/proc/self")
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or entry == me:
                continue
            for name in ("mem", "environ", "fd/0", "fd/1"):
                try:  # opening is what needs the right to trace the process
                    os.close(os.open(f"/proc/{entry}/{name}", os.O_RDONLY | os.O_NONBLOCK))
                    report.append(f"read /proc/{entry}/{name}")
                except OSError:
                    pass
        # Take back the mounts: as it is, then in a user namespace of its own.
        if libc.umount2(b"/tmp", 2) == 0:
            report.append("unmounted /tmp")
        if libc.unshare(0x10000000 | 0x00020000) == 0:
            if libc.umount2(b"/tmp", 2) == 0 or libc.umount2(b"/home/student", 2) == 0:
                report.append("unmounted in a new namespace")
        print("report:", report)
    """

    async def go():
        km, kc = await _start(Policy())
        sandbox = km.warm
        out = await _run(kc, attack)
        # Then a signal to every process this kernel can name: all are its own (the
        # kernel dies too), none is the zygote's.
        kc.execute(
            "import subprocess, sys; subprocess.run([sys.executable, '-c', "
            "'import os, signal; os.kill(-1, signal.SIGKILL)'])"
        )
        await asyncio.sleep(3)
        await _stop(km, kc)
        # The zygote still serves the next notebook.
        km, kc = await _start(Policy())
        try:
            assert km.warm is sandbox
            return out, await _run(kc, "print(6 * 7)")
        finally:
            await _stop(km, kc)

    out, after = asyncio.run(go())
    own = [x for x in out.split("report:")[1].strip().strip("[]").split(", ") if x]
    assert not any("read /proc" in x or "unmounted" in x for x in own), out
    assert after.strip() == "42"


def test_the_limits_hold_in_a_warm_kernel():
    out, _ = _one(
        """
        try:
            block = bytearray(3 * 2**30)
            print("allocated")
        except MemoryError:
            print("MemoryError")
        import resource
        print(resource.getrlimit(resource.RLIMIT_CPU)[0])
        """,
        policy=Policy(memory=2 * 2**30, cpu_seconds=17),
    )
    assert out.split() == ["MemoryError", "17"], out


def test_the_submission_files_are_copies_in_the_working_folder(tmp_path):
    folder = tmp_path / "autograded" / "mallory" / "a1"
    folder.mkdir(parents=True)
    (folder / "data.csv").write_text("1,2\n")
    (folder / "a1.ipynb").write_text("{}")
    out, _ = _one(
        """
        import os
        print(sorted(os.listdir(".")), open("data.csv").read().strip())
        try:
            open("data.csv", "w")
        except OSError:
            print("read-only")
        """,
        cwd=folder,
    )
    assert out.split() == ["['data.csv']", "1,2", "read-only"], out
    assert (folder / "data.csv").read_text() == "1,2\n"


def test_a_failed_preload_is_refused_and_not_asked_again():
    with pytest.raises(WarmUnavailable, match=r"sympy\.no_such_module"):
        WarmKernelManager(kernel_name="python3", policy=Policy(), preload=["sympy.no_such_module"])
    assert "sympy.no_such_module" in WarmSandbox._failed
    km = WarmKernelManager(
        kernel_name="python3", policy=Policy(), preload=["sympy.no_such_module", "numpy"]
    )
    km.warm.release()


def test_grading_starts_cold_kernels_where_no_warm_sandbox_can_be_made(monkeypatch):
    def refuse(cls, policy):
        raise WarmUnavailable("no user namespaces here")

    monkeypatch.setattr(WarmSandbox, "acquire", classmethod(refuse))
    km = JudgedExecute()._student_manager(nbformat.v4.new_notebook())
    assert type(km) is SandboxedKernelManager


def test_a_shut_down_kernel_leaves_nothing_and_the_zygote_dies_with_its_process():
    async def go():
        km, kc = await _start(Policy())
        await _run(
            kc,
            "import subprocess, sys; subprocess.Popen([sys.executable, '-c', "
            "'import time; time.sleep(600)'], start_new_session=True)",
        )
        sandbox = km.warm
        await _stop(km, kc)
        return sandbox

    sandbox = asyncio.run(go())
    for _ in range(200):
        if not _children(sandbox.zygote):
            break
        asyncio.run(asyncio.sleep(0.05))
    assert _children(sandbox.zygote) == []
    folder = sandbox.folder
    sandbox.close()
    assert not os.path.exists(folder)
    assert sandbox.proc.poll() is not None


def test_warm_sandboxes_are_made_outside_tmp():
    assert not warm._host_folder().startswith("/tmp")
