"""A real Dask cluster for the tests: one scheduler and two workers on 127.0.0.1.

Started as separate processes with the ``dask`` command of this environment (the same
commands an instructor runs on a cluster), each worker with one thread, so that two
submissions are graded at once. A missing ``dask`` is a failure, never a skip.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest


class Cluster:
    def __init__(self, workers: int = 2) -> None:
        dask = Path(sys.executable).parent / "dask"
        if not dask.exists():
            pytest.fail(f"{dask} is missing: make install (dask and distributed are pinned)")
        self.base = Path(tempfile.mkdtemp(prefix="mlgrade-dask-"))
        info = self.base / "scheduler.json"
        common = ["--no-dashboard"]
        self.procs = [
            subprocess.Popen(
                [str(dask), "scheduler", "--host", "127.0.0.1", "--port", "0",
                 "--scheduler-file", str(info), *common],
                stdout=subprocess.DEVNULL, stderr=(self.base / "scheduler.log").open("w"),
                start_new_session=True,
            )
        ]  # fmt: skip
        self._wait(lambda: info.exists() and info.stat().st_size > 0, "the scheduler")
        self.address = json.loads(info.read_text())["address"]
        for i in range(workers):
            log = (self.base / f"worker{i}.log").open("w")
            cmd = [str(dask), "worker", self.address, "--host", "127.0.0.1", "--nthreads", "1",
                   "--nworkers", "1", "--name", f"w{i}", "--local-directory",
                   str(self.base / f"w{i}"), *common]  # fmt: skip
            self.procs.append(
                subprocess.Popen(
                    cmd, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True
                )
            )
        self._wait(lambda: len(self.workers()) == workers, f"{workers} workers")

    def workers(self) -> list[str]:
        from distributed import Client

        with Client(self.address, timeout=10, set_as_default=False) as client:
            return sorted(client.scheduler_info()["workers"])

    def _wait(self, ready, what: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if ready():
                    return
            except OSError:
                pass
            time.sleep(0.3)
        logs = "\n".join(p.read_text(errors="replace")[-2000:] for p in self.base.glob("*.log"))
        self.stop()
        pytest.fail(f"{what} did not start within {timeout:g} s:\n{logs}")

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(self.base, ignore_errors=True)
