"""Fixtures of the package tests."""

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture
def run_benchmark():
    """Run ``bench/<script>`` with a few rounds; return what it printed (it must succeed)."""

    def run(script: str, rounds: int) -> str:
        result = subprocess.run(
            [sys.executable, str(BENCH / script), "--rounds", str(rounds)],
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        assert "ratio mlcourse / torch (medians):" in result.stdout
        return result.stdout

    return run
