"""How long `import mlcourse` takes, against `import numpy` measured in the same run.

The package promises to import well under a second and to pull in nothing heavier than
NumPy. Each measurement is a fresh interpreter; the figure is the median of several.

    python bench/import_time.py
"""

import statistics
import subprocess
import sys

REPEATS = 7
_TIMER = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def import_seconds(module: str) -> float:
    """Median wall time of ``import module`` in a fresh interpreter."""
    times = []
    for _ in range(REPEATS):
        out = subprocess.run(
            [sys.executable, "-c", _TIMER.format(module=module)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        times.append(float(out.split()[-1]))
    return statistics.median(times)


def main() -> None:
    numpy_s = import_seconds("numpy")
    mlcourse_s = import_seconds("mlcourse")
    print(f"import numpy:    {numpy_s * 1e3:7.1f} ms (median of {REPEATS})")
    print(f"import mlcourse: {mlcourse_s * 1e3:7.1f} ms (numpy included)")
    print(f"ratio mlcourse / numpy: {mlcourse_s / numpy_s:.2f}")


if __name__ == "__main__":
    main()
