"""The bubblewrap sandbox of student kernels, attacked by small programs run inside it.

Every test runs real ``bwrap`` (Debian's bubblewrap, installed by .ci/run): a missing
bwrap fails these tests, it never skips them.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from mlgrade import sandbox
from mlgrade.sandbox import Policy, bwrap_command

REPO = Path(__file__).resolve().parents[2]


def _run(tmp_path, code, policy=None, files=(), timeout=120):
    policy = dataclasses.replace(policy or Policy(), uid=sandbox._fresh_uid())
    work = tmp_path / "autograded" / "mallory" / "a1"
    work.mkdir(parents=True, exist_ok=True)
    sockets = tmp_path / "sockets"
    sockets.mkdir(exist_ok=True)
    os.chown(sockets, policy.uid, policy.uid)
    argv = [sys.executable, "-c", textwrap.dedent(code)]
    cmd = bwrap_command(argv, str(work), [str(f) for f in files], str(sockets), policy)
    return subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=sandbox._limits(policy),
        env={**os.environ, "LMS_TOKEN": "secret-token-123"},
    )


def test_bwrap_is_installed():
    assert sandbox.require().endswith("bwrap")


def test_missing_bwrap_gives_a_clear_message(monkeypatch):
    monkeypatch.setattr(sandbox, "BWRAP", "bwrap-that-does-not-exist")
    with pytest.raises(sandbox.SandboxUnavailable, match="apt-get install bubblewrap"):
        sandbox.require()


def test_the_course_and_the_environment_are_out_of_sight(tmp_path):
    done = _run(
        tmp_path,
        f"""
        import json, os
        seen = {{
            "uid": os.getuid(),
            "env": sorted(os.environ),
            "solutions": os.path.exists({str(REPO / "solutions")!r}),
            "exercises": os.path.exists({str(REPO / "exercises")!r}),
            "home": os.path.exists("/root/.bashrc") or os.path.exists("/root/.ssh"),
            "root_listing": sorted(os.listdir("/")),
            "course_listing": sorted(os.listdir({str(REPO)!r})),
            "cwd": os.getcwd(),
        }}
        print(json.dumps(seen))
        """,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["uid"] != 0
    assert "LMS_TOKEN" not in seen["env"] and "HOME" in seen["env"]
    assert not seen["solutions"] and not seen["exercises"] and not seen["home"]
    # Only the virtual environment and the two packages are visible from the course root.
    assert set(seen["course_listing"]) <= {".venv", "mlcourse", "mlgrade"}
    assert seen["cwd"].endswith("autograded/mallory/a1")


def test_installed_packages_and_the_system_are_read_only(tmp_path):
    targets = [
        REPO / "mlgrade" / "checks.py",
        REPO / "mlcourse" / "__init__.py",
        Path(sys.prefix) / "x",
    ]
    before = {t: t.read_bytes() for t in targets if t.exists()}
    done = _run(
        tmp_path,
        f"""
        import errno
        hits = []
        for path in {[str(t) for t in targets] + ["/usr/x", "/etc/passwd"]!r}:
            try:
                open(path, "a").write("pwned")
                hits.append(path)
            except OSError as exc:
                assert exc.errno in (errno.EROFS, errno.EACCES, errno.ENOENT), exc
        print(hits)
        """,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert {t: t.read_bytes() for t in before} == before


def test_no_network(tmp_path):
    done = _run(
        tmp_path,
        """
        import socket
        for host, port in [("127.0.0.1", 22), ("10.0.0.1", 80), ("1.1.1.1", 53)]:
            s = socket.socket()
            s.settimeout(2)
            try:
                s.connect((host, port))
                print("connected", host)
            except OSError as exc:
                print("refused", host, type(exc).__name__)
        """,
    )
    assert done.returncode == 0, done.stderr
    assert "connected" not in done.stdout


def test_working_folder_and_tmp_are_private_and_writable(tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("1,2\n")
    done = _run(
        tmp_path,
        """
        import os
        open("notes.txt", "w").write("mine")
        open("/tmp/scratch", "w").write("mine")
        print(open("data.csv").read().strip())
        try:
            open("data.csv", "w")
        except OSError:
            print("data read-only")
        """,
        files=[data],
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1,2", "data", "read-only"]
    # Nothing the student wrote reaches the real folder.
    assert not (tmp_path / "autograded" / "mallory" / "a1" / "notes.txt").exists()
    assert data.read_text() == "1,2\n"


def test_memory_limit(tmp_path):
    done = _run(
        tmp_path,
        """
        try:
            block = bytearray(3 * 2**30)
            print("allocated")
        except MemoryError:
            print("MemoryError")
        """,
        policy=Policy(memory=1 * 2**30),
    )
    assert done.stdout.strip() == "MemoryError", done.stdout + done.stderr


def test_cpu_limit(tmp_path):
    start = time.monotonic()
    done = _run(tmp_path, "while True: pass", policy=Policy(cpu_seconds=2), timeout=60)
    assert done.returncode != 0
    assert time.monotonic() - start < 30


def test_process_limit(tmp_path):
    done = _run(
        tmp_path,
        """
        import os, time
        started = 0
        try:
            for _ in range(200):
                if os.fork() == 0:
                    time.sleep(5)
                    os._exit(0)
                started += 1
        except OSError as exc:
            print("refused after", started, type(exc).__name__)
        """,
        policy=Policy(processes=20),
    )
    assert "refused after" in done.stdout, done.stdout + done.stderr
    assert int(done.stdout.split()[2]) < 20


def test_file_size_and_folder_size_limits(tmp_path):
    done = _run(
        tmp_path,
        """
        import signal
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        results = []
        for path, size in [("big.bin", 8 * 2**20), ("/tmp/big.bin", 8 * 2**20)]:
            try:
                with open(path, "wb") as f:
                    f.write(b"x" * size)
                results.append("wrote")
            except OSError as exc:
                results.append(type(exc).__name__)
        # Many files under the per-file limit still stop at the folder's size.
        try:
            for i in range(100):
                with open(f"part{i}.bin", "wb") as f:
                    f.write(b"x" * 2**20)
            results.append("many written")
        except OSError as exc:
            results.append("folder full")
        print(" ".join(results))
        """,
        policy=Policy(file_size=4 * 2**20, work_size=16 * 2**20),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["OSError", "OSError", "folder", "full"]


def test_processes_die_with_the_sandbox(tmp_path):
    marker = tmp_path / "sockets" / "alive"
    beat = f"import time\nwhile True:\n    open({str(marker)!r}, 'w').write(str(time.time()))"
    beat += "\n    time.sleep(0.2)"
    code = f"""
        import os, subprocess, sys, time
        # A detached grandchild (its own session) that would outlive the kernel.
        subprocess.Popen([sys.executable, "-c", {beat!r}], start_new_session=True)
        for _ in range(600):  # until the grandchild runs (slow on a busy machine)
            if os.path.exists({str(marker)!r}):
                break
            time.sleep(0.1)
        os._exit(0)
    """
    done = _run(tmp_path, code)
    assert done.returncode == 0, done.stderr
    assert marker.exists()
    time.sleep(1)
    stamp = marker.read_text()
    time.sleep(1.5)
    assert marker.read_text() == stamp, "a process of the sandbox is still running"


def test_matplotlib_reads_the_prebuilt_font_list_and_cannot_change_it(tmp_path):
    fonts = sandbox.font_cache()
    assert fonts, "matplotlib's font list was not built on the host"
    done = _run(
        tmp_path,
        """
        import os
        import matplotlib
        matplotlib.use("Agg")
        from matplotlib import font_manager
        import matplotlib.pyplot as plt
        plt.plot([0, 1], [0, 1]); plt.title("fonts"); plt.gcf().savefig("/tmp/figure.png")
        print(font_manager._get_fontconfig_fonts.cache_info().misses)
        print(matplotlib.get_cachedir())
        name = [n for n in os.listdir(matplotlib.get_cachedir()) if n.startswith("fontlist")]
        try:
            open(os.path.join(matplotlib.get_cachedir(), name[0]), "a")
        except OSError:
            print("read-only")
        """,
    )
    assert done.returncode == 0, done.stderr
    # no search of the system's fonts: the list came from the host
    assert done.stdout.split() == ["0", "/tmp/.matplotlib", "read-only"], done.stdout
