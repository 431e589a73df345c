"""A real PostgreSQL server for the tests, from Debian's ``postgresql`` package.

:class:`Server` creates a cluster in a fresh temporary folder with ``initdb``, starts it
with ``pg_ctl`` listening on a Unix socket only (no TCP port, so parallel test workers never
collide), and hands out empty databases as SQLAlchemy URLs. PostgreSQL refuses to run as
root: under root the server runs as ``nobody``. A missing server is a failure with the
command that installs it, never a skip (``.ci/run`` installs it).
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

_NOBODY = 65534
_COUNTER = itertools.count()


def bindir() -> Path:
    """Where ``initdb`` and ``pg_ctl`` are (Debian keeps them out of PATH)."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if not versions:
        pytest.fail(
            "PostgreSQL is not installed: apt-get install postgresql (Debian's package; "
            ".ci/run installs it). The shared-gradebook tests need a real server."
        )
    return Path(versions[-1]).parent


def _version(path: str) -> float:
    try:
        return float(Path(path).parents[1].name)
    except ValueError:
        return 0.0


class Server:
    """One PostgreSQL cluster in a temporary folder, reachable through its socket folder."""

    def __init__(self) -> None:
        self.bin = bindir()
        self.base = Path(tempfile.mkdtemp(prefix="mlgrade-pg-", dir="/tmp"))
        self.data, self.socket = self.base / "data", self.base / "socket"
        self.socket.mkdir()
        self.as_nobody = os.geteuid() == 0
        if self.as_nobody:
            os.chmod(self.base, 0o755)
            for path in (self.base, self.socket):
                os.chown(path, _NOBODY, _NOBODY)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--no-instructions",
        )
        options = f"-k {self.socket} -c listen_addresses='' -c fsync=off -c max_connections=200"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-w",
            "-t",
            "60",
            "-l",
            str(self.base / "server.log"),
            "-o",
            options,
            "start",
        )

    def _run(self, tool: str, *args: str) -> None:
        cmd = [str(self.bin / tool), *args]
        if self.as_nobody:
            cmd = ["setpriv", f"--reuid={_NOBODY}", f"--regid={_NOBODY}", "--clear-groups", *cmd]
        done = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=self.base,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"},
        )
        if done.returncode != 0:
            log = self.base / "server.log"
            extra = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            output = f"{done.stdout}\n{done.stderr}\n{extra}"
            pytest.fail(f"{tool} failed ({done.returncode}):\n{output}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@/{database}?host={self.socket}"

    def new_database(self) -> str:
        """An empty database; its SQLAlchemy URL."""
        from sqlalchemy import create_engine, text

        name = f"gradebook_{os.getpid()}_{next(_COUNTER)}"
        engine = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return self.url(name)

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.base, ignore_errors=True)
