"""Grading throughput: ``make autograde`` (sandbox and judge on, every core) against stock
``nbgrader autograde`` (one student after another, stock Execute), in the same run.

A class is generated in two throwaway course directories: for each assignment of
``solutions/``, honest submissions (the solution) and partial ones (one wrong answer from
``tests/grading/cases``), ``--size`` notebooks in all (default 60). Both courses get the
same ``nbgrader_config.py``, except that the stock one executes with nbgrader's own
``Execute`` in the student's kernel (no sandbox, no judge). Printed: both wall times, the
ratio (stock / ours; above 1 means ``make autograde`` is faster), notebooks per minute, and
how busy the machine's cores were while ``make autograde`` ran (a core that waits for a
kernel to start or stop is idle: the share shows how much of that is left).

    .venv/bin/python bench/grading_throughput.py [--size 60] [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import re
import runpy
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
CASES = REPO / "tests" / "grading" / "cases"
_MARKER = r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?"  # a solution cell's marker lines


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _class(size: int) -> list[tuple[str, str, object]]:
    """(assignment, student, notebook): honest and partial submissions, round robin."""
    assignments = sorted(p.name for p in (REPO / "solutions").iterdir() if p.is_dir())
    made, i = [], 0
    while len(made) < size:
        a = assignments[i % len(assignments)]
        source = nbformat.read(str(REPO / "solutions" / a / f"{a}.ipynb"), as_version=4)
        released = nbformat.read(str(REPO / "exercises" / a / f"{a}.ipynb"), as_version=4)
        answers = {
            _meta(c)["grade_id"]: c.source for c in source.cells if _meta(c).get("solution")
        }
        nb = nbformat.from_dict(released)
        for cell in nb.cells:
            if _meta(cell).get("grade_id") in answers and cell.cell_type == "code":
                text = answers[_meta(cell)["grade_id"]]
                cell.source = re.sub(_MARKER, "", text, flags=re.M)
        cases = CASES / f"{a}.py"
        wrong = runpy.run_path(str(cases)).get("WRONG", {}) if cases.exists() else {}
        if i % 2 and wrong:  # every other submission is partial
            cell_id, (text, _tests) = sorted(wrong.items())[i // 2 % len(wrong)]
            for cell in nb.cells:
                if _meta(cell).get("grade_id") == cell_id:
                    cell.source = text
        made.append((a, f"s{i:03d}", nb))
        i += 1
    return made


def _course(root: Path, klass, stock: bool) -> None:
    shutil.copytree(REPO / "solutions", root / "solutions")
    config = (REPO / "nbgrader_config.py").read_text(encoding="utf-8")
    if stock:
        config += (
            "\n# Stock nbgrader: its own Execute, in the student's kernel.\n"
            "from nbgrader.preprocessors import Execute as _Execute\n"
            "c.Autograde.autograde_preprocessors = [\n"
            "    _Execute if p is JudgedExecute else p\n"
            "    for p in c.Autograde.autograde_preprocessors\n"
            "]\n"
            "c.Execute.timeout = 60\n"
        )
    (root / "nbgrader_config.py").write_text(config, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "mlgrade", "release", "--root", str(root)],
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(done.stdout + done.stderr)
    for assignment, student, nb in klass:
        folder = root / "submitted" / student / assignment
        folder.mkdir(parents=True)
        nbformat.write(nb, str(folder / f"{assignment}.ipynb"))


def _cpu_times() -> tuple[int, int]:
    """(busy, all) clock ticks of every core since boot (Linux ``/proc/stat``)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and waiting for I/O
    return sum(fields) - idle, sum(fields)


def _time(cmd: list[str], root: Path) -> tuple[float, float]:
    """Wall seconds of ``cmd``, and the share of the machine's cores busy meanwhile."""
    busy, ticks = _cpu_times()
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=root, env=_env(), capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(done.stdout[-3000:] + done.stderr[-3000:])
    wall = time.perf_counter() - start
    busy_after, ticks_after = _cpu_times()
    return wall, (busy_after - busy) / max(ticks_after - ticks, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=60, help="notebooks in the class")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    klass = _class(args.size)
    with tempfile.TemporaryDirectory() as tmp:
        stock_root, ours_root = Path(tmp) / "stock", Path(tmp) / "ours"
        _course(stock_root, klass, stock=True)
        _course(ours_root, klass, stock=False)
        nbgrader = str(Path(sys.executable).parent / "nbgrader")
        stock = sum(
            _time([nbgrader, "autograde", a, "--force"], stock_root)[0]
            for a in sorted({a for a, _, _ in klass})
        )
        ours, busy = _time(
            [
                sys.executable,
                "-m",
                "mlgrade",
                "autograde",
                "--root",
                str(ours_root),
                "--jobs",
                str(args.jobs),
            ],
            ours_root,
        )
    n = len(klass)
    print(
        f"class: {n} notebooks over {len({a for a, _, _ in klass})} assignments, {args.jobs} jobs"
    )
    print(f"stock nbgrader autograde (sequential): {stock:.1f} s, {n / stock * 60:.1f}/min")
    print(
        f"make autograde (sandbox + judge): {ours:.1f} s, {n / ours * 60:.1f}/min,"
        f" cores busy {busy:.0%} of the time"
    )
    print(f"ratio stock / ours: {stock / ours:.2f} (goal: at least 1.8 on 2 cores)")


if __name__ == "__main__":
    main()
