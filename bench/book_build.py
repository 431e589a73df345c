"""Cold build, warm rebuild and per-lesson execution times of the book.

The book's performance targets (issue 3): each lesson executes in under 60 s on a 2-core
machine, and a rebuild with nothing changed takes under 10% of a cold build (no lesson
re-executes). Timings are noisy, so they live here and not in the test suite; the tests
check the deterministic part (the warm rebuild executes no notebook).

The script copies the book's sources into a temporary folder, builds it cold (nothing
built yet), then again with nothing changed, and prints both times, their ratio, and each
lesson's execution time as myst-nb recorded it (the lessons execute inline).

    python bench/book_build.py
"""

import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What the book reads: configuration, pages, lessons, the package it executes against
# (the build is keyed by a hash of mlcourse/) and the Sphinx extension in tools/.
SOURCES = ("_config.yml", "_toc.yml", "book", "lessons", "mlcourse", "tools", "exercises")
LESSON_LIMIT_S = 60.0
WARM_GOAL = 0.10


def build(root: Path) -> float:
    """Run the strict build in ``root``; return its wall time in seconds."""
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    start = time.perf_counter()
    subprocess.run(
        [str(jupyter_book), "build", ".", "-W", "-n", "--keep-going"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    )
    return time.perf_counter() - start


def lesson_times(root: Path) -> dict[str, float]:
    """Execution time of each lesson, read from the table of the instructor guide."""
    page = (root / "_build" / "html" / "book" / "instructor_guide.html").read_text()
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    return {
        name: float(seconds)
        for name, seconds in re.findall(r"lessons/(ch\d\d_\w+) \S+ \S+ \w+ ([0-9.]+)", text)
    }


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="book-bench-") as tmp:
        root = Path(tmp)
        for name in SOURCES:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, root / name)
        cold = build(root)
        warm = build(root)
        times = lesson_times(root)
    if not times:
        raise SystemExit("no lesson execution times found in the instructor guide's table")

    print(f"cold build (every lesson executed): {cold:6.1f} s")
    print(f"warm rebuild (nothing changed):     {warm:6.1f} s")
    print(f"ratio warm / cold: {warm / cold:.3f} (goal below {WARM_GOAL:.2f})")
    for name, seconds in sorted(times.items()):
        flag = "" if seconds < LESSON_LIMIT_S else f"  <- over the {LESSON_LIMIT_S:.0f} s limit"
        print(f"  {name:28s} {seconds:6.1f} s{flag}")
    slowest = max(times.values())
    print(f"slowest lesson / limit: {slowest / LESSON_LIMIT_S:.2f} (goal below 1.00)")


if __name__ == "__main__":
    main()
