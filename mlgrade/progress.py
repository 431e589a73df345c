"""A progress display for grading: done / total, rate, time left and a count per status.

On a terminal it is one line redrawn in place; otherwise (a log file, CI) one plain line
per finished submission.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from typing import TextIO

__all__ = ["Progress"]


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


class Progress:
    """Counts finished submissions by status and shows the rate and the time left."""

    def __init__(self, total: int, stream: TextIO | None = None, label: str = "grading"):
        self.total, self.done, self.label = total, 0, label
        self.stream = stream or sys.stderr
        self.counts: Counter[str] = Counter()
        self.start = time.monotonic()
        self.live = bool(getattr(self.stream, "isatty", lambda: False)())

    def line(self, last: str = "") -> str:
        """The status line: ``[done/total] rate, ETA, counts``."""
        elapsed = max(time.monotonic() - self.start, 1e-9)
        rate = self.done / elapsed * 60
        left = (self.total - self.done) / (self.done / elapsed) if self.done else None
        eta = _duration(left) if left is not None else "?"
        counts = ", ".join(f"{n} {s}" for s, n in sorted(self.counts.items()))
        text = f"{self.label} [{self.done}/{self.total}] {rate:.1f}/min, ETA {eta}"
        text += f"; {counts}" if counts else ""
        return text + (f"  ({last})" if last and not self.live else "")

    def update(self, status: str, what: str = "") -> None:
        """One more submission finished with ``status``."""
        self.done += 1
        self.counts[status] += 1
        if self.live:
            self.stream.write("\r\x1b[2K" + self.line())
        else:
            self.stream.write(self.line(f"{what}: {status}" if what else status) + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.live:
            self.stream.write("\n")
            self.stream.flush()
