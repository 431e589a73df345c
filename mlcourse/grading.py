"""Grade a whole class with nbgrader, robustly, and report what happened to each submission.

``python -m mlcourse.grading autograde`` autogrades every submission in
``submitted/<student>/<assignment>/`` through nbgrader, one student at a time, in a worker
process that is watched from outside, so that one student's ``os._exit(0)``, kernel crash,
endless loop or broken notebook never stops the others or damages the gradebook. Before
grading, each notebook is compared with the released student version to detect tampering
(an edited, deleted or retyped test cell, changed nbgrader metadata); the harmless
difference that nbgrader's "checksum has changed" warning reports for every honest
submission (the hidden tests are not in the released notebook) is not tampering. The result
is a report, ``grading_report.csv`` and ``grading_report.md``, with one row per notebook
(and nbgrader's log of each student in ``grading_report.logs/<assignment>/<student>.log``):
student, assignment, notebook, status (``graded``, ``tampered``, ``timeout``,
``kernel died``, ``invalid notebook``, ``missing notebook``, ``error``), score and details.

The other subcommands: ``release`` (``nbgrader generate_assignment`` for every assignment
in ``solutions/``, in one process), ``collect`` (copy a folder of submitted notebooks into
``submitted/<student>/<assignment>/``) and ``check`` (the tampering check alone).

nbgrader is imported inside functions only: ``import mlcourse`` never imports it.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Row", "check_submission", "collect", "grade_class", "release"]

STATUSES = (
    "graded",
    "tampered",
    "timeout",
    "kernel died",
    "invalid notebook",
    "missing notebook",
    "error",
)

# Code in a student's cell that games the tests: reported as tampering (the tests resist it).
_COMPARE = r"__(eq|ne|lt|le|gt|ge|bool)__"
_HELPERS = r"(checks|assert_close|assert_true|as_float|as_array|assert_from_scratch|rng_for)"
_GAMING = {
    rf"def\s+{_COMPARE}|\b{_COMPARE}\s*=": "defines a comparison method (always-equal object?)",
    rf"\bchecks\.\w+\s*=[^=]|setattr\(|^\s*{_HELPERS}\s*=[^=]|\bas\s+{_HELPERS}\b": (
        "rebinds a test helper (mlcourse.checks)"
    ),
    r"\bsys\.modules\b|\bimport\s+builtins\b|__builtins__": "touches sys.modules or builtins",
}
# Code in a submission that an instructor should look at (reported, never scored).
_SUSPICIOUS = {
    r"\bos\._exit\b": "calls os._exit",
    r"\bsys\.exit\b|\bexit\(\)|\bquit\(\)": "calls sys.exit/exit/quit",
    r"\bos\.kill\b|\bsignal\.": "sends signals",
}


@dataclass
class Row:
    """One line of the grading report."""

    student: str
    assignment: str
    notebook: str
    status: str = "graded"
    score: float | None = None
    max_score: float | None = None
    tampering: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, str]:
        return {
            "student": self.student,
            "assignment": self.assignment,
            "notebook": self.notebook,
            "status": self.status,
            "score": "" if self.score is None else f"{self.score:g}",
            "max_score": "" if self.max_score is None else f"{self.max_score:g}",
            "tampering": "; ".join(self.tampering),
            "details": "; ".join(self.details),
        }


# --------------------------------------------------------------------------- nbgrader access
def _environment(root: Path) -> dict[str, str]:
    """Environment for nbgrader: its helpers (alembic) live next to this Python."""
    env = dict(os.environ)
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    env.pop("MLCOURSE_STUDENT_ID", None)
    return env


def _api(root: Path):
    """An nbgrader API object configured by ``root/nbgrader_config.py``."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    os.environ.update(_environment(root))
    os.chdir(root)
    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    coursedir = CourseDirectory(config=config)
    return NbGraderAPI(coursedir=coursedir, config=config)


def _assignments(root: Path, folder: str) -> list[str]:
    base = root / folder
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def release(root: Path | str = ".", assignments: list[str] | None = None) -> None:
    """``nbgrader generate_assignment`` for each assignment of ``solutions/`` (one process)."""
    root = Path(root).resolve()
    names = assignments or _assignments(root, "solutions")
    cwd = Path.cwd()
    try:
        api = _api(root)
        for name in names:
            result = api.generate_assignment(name, force=True, create=True)
            if not result["success"]:
                error = result.get("error", "") + result.get("log", "")
                raise RuntimeError(f"generate_assignment {name} failed:\n{error}")
            print(f"released {name}")
    finally:
        os.chdir(cwd)


def _in_gradebook(root: Path, assignment: str) -> bool:
    """Whether the gradebook knows the assignment (its source cells are needed to grade)."""
    db = root / "gradebook.db"
    if not db.exists():
        return False
    try:
        with sqlite3.connect(db) as conn:
            query = "SELECT 1 FROM assignment a JOIN notebook n ON n.assignment_id = a.id "
            query += "WHERE a.name = ?"
            return conn.execute(query, (assignment,)).fetchone() is not None
    except sqlite3.Error:
        return False


def collect(root: Path | str, assignment: str, source: Path | str) -> list[str]:
    """Copy submissions into ``submitted/<student>/<assignment>/``.

    ``source`` holds either one notebook per student named ``<student>.ipynb`` (or
    ``<student>_<anything>.ipynb``), or one folder per student containing the notebook(s).
    Returns the student ids.
    """
    root, source = Path(root).resolve(), Path(source)
    released = sorted((root / "exercises" / assignment).glob("*.ipynb"))
    if not released:
        raise FileNotFoundError(f"no released notebook in exercises/{assignment}")
    students = []
    for entry in sorted(source.iterdir()):
        if entry.is_dir():
            student, files = entry.name, sorted(entry.glob("*.ipynb"))
        elif entry.suffix == ".ipynb":
            student, files = entry.stem.split("_")[0], [entry]
        else:
            continue
        student = re.sub(r"[^A-Za-z0-9.@-]", "-", student)
        dest = root / "submitted" / student / assignment
        dest.mkdir(parents=True, exist_ok=True)
        if len(files) == 1 and len(released) == 1:
            shutil.copyfile(files[0], dest / released[0].name)
        else:
            for file in files:
                shutil.copyfile(file, dest / file.name)
        students.append(student)
    return students


# --------------------------------------------------------------------------- checks
def _read_notebook(path: Path):
    """(notebook, None) or (None, why it is not a valid notebook)."""
    import nbformat

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"cannot be read ({type(exc).__name__})"
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:
        return None, f"not a valid Jupyter notebook ({type(exc).__name__}: {str(exc)[:120]})"
    return nb, None


def _nbgrader_meta(cell) -> dict:
    return dict(cell.get("metadata", {}).get("nbgrader", {}) or {})


def check_submission(submitted, released) -> tuple[list[str], list[str]]:
    """Compare a submitted notebook with the released one.

    Returns ``(tampering, notes)``: the changes to locked cells (edited, deleted, retyped,
    duplicated, metadata changed) and remarks on suspicious code in the student's cells.
    The hidden tests are not in the released notebook, so an honest submission shows no
    tampering here, although nbgrader's checksums of its test cells differ.
    """
    tampering: list[str] = []
    notes: list[str] = []
    by_id: dict[str, list] = {}
    for cell in submitted.cells:
        grade_id = _nbgrader_meta(cell).get("grade_id")
        if grade_id:
            by_id.setdefault(grade_id, []).append(cell)
    for cell in released.cells:
        meta = _nbgrader_meta(cell)
        grade_id = meta.get("grade_id")
        if not grade_id:
            continue
        found = by_id.get(grade_id, [])
        if meta.get("locked"):
            if not found:
                tampering.append(f"deleted cell {grade_id}")
                continue
            if len(found) > 1:
                tampering.append(f"duplicated cell {grade_id}")
            sub = found[0]
            if sub.cell_type != cell.cell_type:
                tampering.append(
                    f"changed cell type of {grade_id} ({cell.cell_type} -> {sub.cell_type})"
                )
            if sub.source != cell.source:
                tampering.append(f"edited locked cell {grade_id}")
        elif not found:
            notes.append(f"answer cell {grade_id} deleted")
            continue
        if found:
            sub_meta = _nbgrader_meta(found[0])
            changed = [
                key
                for key in ("grade", "solution", "locked", "points")
                if sub_meta.get(key) != meta.get(key)
            ]
            if changed:
                tampering.append(f"changed nbgrader metadata of {grade_id} ({', '.join(changed)})")
    released_ids = {_nbgrader_meta(c).get("grade_id") for c in released.cells}
    for grade_id in by_id:
        if grade_id not in released_ids:
            tampering.append(f"unknown cell id {grade_id}")
    for cell in submitted.cells:
        if cell.cell_type != "code" or _nbgrader_meta(cell).get("locked"):
            continue
        grade_id = _nbgrader_meta(cell).get("grade_id", "an unnamed cell")
        for pattern, what in _GAMING.items():
            if re.search(pattern, cell.source, re.MULTILINE):
                tampering.append(f"{grade_id} {what}")
        for pattern, what in _SUSPICIOUS.items():
            if re.search(pattern, cell.source) and what not in notes:
                notes.append(what)
    return tampering, notes


def _outcome_notes(nb) -> tuple[list[str], bool]:
    """Notes on errors that matter in a graded notebook; True if a cell timed out."""
    notes, timed_out = [], False
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        grade_id = _nbgrader_meta(cell).get("grade_id", "(unnamed cell)")
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            if output.get("ename") == "CellTimeoutError":
                notes.append(f"cell {grade_id} timed out and was interrupted")
                timed_out = True
            elif output.get("ename") == "SystemExit":
                notes.append(f"cell {grade_id} called sys.exit()")
    return notes, timed_out


# --------------------------------------------------------------------------- the worker
def _worker(root: Path, assignment: str, students: list[str], events: Path) -> None:
    """Autograde ``students`` one after another, appending one JSON line per event."""
    api = _api(root)
    with events.open("a", encoding="utf-8") as out:
        for student in students:
            out.write(json.dumps({"student": student, "event": "start"}) + "\n")
            out.flush()
            try:
                result = api.autograde(assignment, student, force=True, create=True)
            except Exception as exc:  # nbgrader reports failures in result; be safe anyway
                result = {"success": False, "error": f"{type(exc).__name__}: {exc}", "log": ""}
            record = {
                "student": student,
                "event": "done",
                "success": bool(result.get("success")),
                "log": result.get("log", "")[-20000:],
                "error": result.get("error", "")[-20000:],
            }
            out.write(json.dumps(record) + "\n")
            out.flush()


def _read_events(path: Path) -> list[dict]:
    if not path.exists():
        return []
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line cut short by a killed worker
    return events


def _classify_failure(text: str) -> tuple[str, str]:
    if "Kernel died" in text or "DeadKernelError" in text:
        return "kernel died", "the kernel died while running the notebook (os._exit, crash, kill)"
    if "UnresponsiveKernel" in text or "Timeout waiting for" in text or "CellTimeout" in text:
        return "timeout", "the kernel did not answer in time"
    generic = ("There was an error", "Traceback", "Please see", "error processing")
    for line in text.splitlines():
        if line.startswith("[ERROR]") and not any(g in line for g in generic):
            return "error", line.removeprefix("[ERROR]").strip()[:200]
    last = [line for line in text.strip().splitlines() if line.strip()]
    return "error", (last[-1][:200] if last else "nbgrader failed")


def _descendants(pid: int) -> list[int]:
    """Process ids below ``pid`` (Linux /proc; kernels run in their own sessions)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _kill_tree(proc: subprocess.Popen) -> None:
    """Kill the worker and everything it started (the kernel included)."""
    for pid in [*_descendants(proc.pid), proc.pid]:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    proc.wait()


def _run_workers(
    root: Path, assignment: str, students: list[str], student_timeout: float, log
) -> dict[str, dict]:
    """Run the worker until every student has a result; a hung student is killed."""
    results: dict[str, dict] = {}
    events = root / f"grading_report.events-{assignment}.jsonl"
    pending = list(students)
    while pending:
        events.unlink(missing_ok=True)
        cmd = [sys.executable, "-m", "mlcourse.grading", "_worker", "--root", str(root)]
        cmd += ["--assignment", assignment, "--events", str(events), *pending]
        proc = subprocess.Popen(
            cmd,
            cwd=root,
            env=_environment(root),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        current, started = None, time.monotonic()
        while True:
            finished = proc.poll() is not None
            for event in _read_events(events):
                if event["event"] == "start" and event["student"] != current:
                    if event["student"] not in results:
                        current, started = event["student"], time.monotonic()
                elif event["event"] == "done":
                    results[event["student"]] = event
            if finished:
                break
            running = current is not None and current not in results
            if running and time.monotonic() - started > student_timeout:
                _kill_tree(proc)
                results[current] = {
                    "student": current,
                    "event": "killed",
                    "success": False,
                    "log": "",
                    "error": f"grading took longer than {student_timeout:g} s and was stopped",
                }
                log(f"  {current}: stopped after {student_timeout:g} s")
                break
            time.sleep(0.2)
        done_now = [s for s in pending if s in results]
        if not done_now and proc.returncode not in (0, None):
            for student in pending:  # the worker itself failed before grading anyone
                results[student] = {
                    "student": student,
                    "event": "worker failed",
                    "success": False,
                    "log": "",
                    "error": f"the grading worker exited with code {proc.returncode}",
                }
        pending = [s for s in pending if s not in results]
    events.unlink(missing_ok=True)
    return results


# --------------------------------------------------------------------------- the class
def _gradebook_ok(db: Path) -> bool:
    try:
        with sqlite3.connect(db) as conn:
            return conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    except sqlite3.Error:
        return False


def _scores(root: Path, assignment: str, student: str) -> dict[str, tuple[float, float]]:
    """Score and maximum per notebook from the gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    url = f"sqlite:///{root / 'gradebook.db'}"
    scores = {}
    with Gradebook(url) as gb:
        try:
            submission = gb.find_submission(assignment, student)
        except MissingEntry:
            return {}
        for notebook in submission.notebooks:
            scores[notebook.name] = (float(notebook.score), float(notebook.max_score))
    return scores


def grade_class(
    root: Path | str = ".",
    assignments: list[str] | None = None,
    students: list[str] | None = None,
    student_timeout: float = 600.0,
    report: Path | str | None = None,
    quiet: bool = False,
) -> list[Row]:
    """Autograde every submission robustly and write the grading report.

    Parameters
    ----------
    root : path
        The course directory (where ``nbgrader_config.py`` is).
    assignments, students : list of str, optional
        Restrict to these (default: everything found in ``submitted/``).
    student_timeout : float
        Wall-clock limit for one student's assignment, on top of nbgrader's per-cell
        timeout; a student who exceeds it is stopped and reported as ``timeout``.
    report : path, optional
        Report path without extension (default ``root/grading_report``): ``.csv`` and
        ``.md`` are written.

    Returns
    -------
    list of Row
        One row per (student, assignment, notebook).
    """
    root = Path(root).resolve()

    def log(message: str) -> None:
        if not quiet:
            print(message, flush=True)

    rows: list[Row] = []
    names = assignments or sorted({p.name for p in (root / "submitted").glob("*/*") if p.is_dir()})
    db = root / "gradebook.db"
    backup = root / "grading_report.gradebook-backup.db"
    for assignment in names:
        released = sorted((root / "exercises" / assignment).glob("*.ipynb"))
        if not released:
            log(f"{assignment}: not released (no exercises/{assignment}/*.ipynb), skipped")
            continue
        folders = sorted((root / "submitted").glob(f"*/{assignment}"))
        who = [f.parent.name for f in folders if students is None or f.parent.name in students]
        log(f"{assignment}: {len(who)} submission(s)")
        to_grade, by_student = [], {}
        for student in who:
            student_rows, ok = [], True
            for rel_path in released:
                row = Row(student, assignment, rel_path.stem)
                student_rows.append(row)
                path = root / "submitted" / student / assignment / rel_path.name
                if not path.exists():
                    row.status, ok = "missing notebook", False
                    row.details.append(f"no {rel_path.name} in the submission")
                    continue
                nb, why = _read_notebook(path)
                if nb is None:
                    row.status, ok = "invalid notebook", False
                    row.details.append(f"{rel_path.name} is {why}")
                    continue
                rel_nb, _ = _read_notebook(rel_path)
                row.tampering, notes = check_submission(nb, rel_nb)
                row.details.extend(notes)
            by_student[student] = student_rows
            if ok:
                to_grade.append(student)
            rows.extend(student_rows)
        if to_grade and not _in_gradebook(root, assignment):
            # A fresh clone has no gradebook: record the assignment (this regenerates
            # exercises/<assignment>/, identical to the committed version).
            log(f"  {assignment} is not in the gradebook yet: running generate_assignment")
            release(root, [assignment])
        if to_grade:
            if db.exists():
                shutil.copyfile(db, backup)
            results = _run_workers(root, assignment, to_grade, student_timeout, log)
            # A kernel can also die for reasons that are not the student's (a busy machine):
            # grade failures once more before reporting them.
            failed = [s for s in to_grade if not results[s]["success"]]
            failed = [s for s in failed if results[s]["event"] != "killed"]
            if failed:
                log(f"  grading again: {', '.join(failed)}")
                again = _run_workers(root, assignment, failed, student_timeout, log)
                for student in failed:
                    if again[student]["success"]:
                        results[student] = again[student]
                    else:
                        results[student]["error"] += "\n(failed twice)"
            logs = Path(f"{report or root / 'grading_report'}.logs") / assignment
            logs.mkdir(parents=True, exist_ok=True)
            for student, result in results.items():
                text = result.get("log", "") + "\n" + result.get("error", "")
                (logs / f"{student}.log").write_text(text, encoding="utf-8")
            if db.exists() and not _gradebook_ok(db):
                shutil.copyfile(backup, db)
                log("the gradebook was damaged and has been restored from the backup")
            for student in to_grade:
                result = results[student]
                scores = _scores(root, assignment, student) if result["success"] else {}
                for row in by_student[student]:
                    if not result["success"]:
                        text = result.get("error", "") + result.get("log", "")
                        row.status, why = _classify_failure(text)
                        if result["event"] == "killed":
                            row.status, why = "timeout", result["error"]
                        row.details.insert(0, why)
                        continue
                    graded = root / "autograded" / student / assignment / f"{row.notebook}.ipynb"
                    nb, _ = _read_notebook(graded)
                    if nb is not None:
                        notes, timed_out = _outcome_notes(nb)
                        row.details[:0] = notes
                        if timed_out:
                            row.status = "timeout"
                    if row.notebook in scores:
                        row.score, row.max_score = scores[row.notebook]
                    if row.tampering and row.status == "graded":
                        row.status = "tampered"
                        row.details.insert(0, "graded with the original cells restored")
        for student in who:
            for row in by_student[student]:
                shown = row.as_dict()
                log(f"  {student}: {row.status} {shown['score']} {shown['details']}")
    _write_report(rows, Path(report) if report else root / "grading_report")
    return rows


def _write_report(rows: list[Row], base: Path) -> None:
    fields = ["student", "assignment", "notebook", "status", "score", "max_score"]
    fields += ["tampering", "details"]
    with base.with_suffix(".csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(row.as_dict() for row in rows)
    lines = ["# Grading report", "", "| " + " | ".join(fields) + " |"]
    lines.append("|" + "---|" * len(fields))
    for row in rows:
        values = [row.as_dict()[key].replace("|", "\\|") for key in fields]
        lines.append("| " + " | ".join(values) + " |")
    counts = {s: sum(r.status == s for r in rows) for s in STATUSES}
    lines += ["", ", ".join(f"{n} {s}" for s, n in counts.items() if n)]
    base.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- command line
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mlcourse.grading", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("release", help="generate_assignment for every assignment")
    p.add_argument("--root", default=".")
    p.add_argument("assignments", nargs="*")
    p = sub.add_parser("autograde", help="autograde every submission and write the report")
    p.add_argument("--root", default=".")
    p.add_argument("--assignment", action="append")
    p.add_argument("--student", action="append")
    p.add_argument("--student-timeout", type=float, default=600.0)
    p.add_argument("--report", default=None)
    p = sub.add_parser("collect", help="copy submissions into submitted/")
    p.add_argument("--root", default=".")
    p.add_argument("assignment")
    p.add_argument("source")
    p = sub.add_parser("check", help="tampering check of one submitted notebook")
    p.add_argument("submitted")
    p.add_argument("released")
    p = sub.add_parser("_worker")
    p.add_argument("--root", required=True)
    p.add_argument("--assignment", required=True)
    p.add_argument("--events", required=True)
    p.add_argument("students", nargs="+")
    args = parser.parse_args(argv)

    if args.command == "release":
        release(args.root, args.assignments or None)
    elif args.command == "autograde":
        rows = grade_class(
            args.root, args.assignment, args.student, args.student_timeout, args.report
        )
        bad = [r for r in rows if r.status != "graded"]
        print(f"{len(rows)} notebook(s), {len(bad)} need attention: see grading_report.md")
    elif args.command == "collect":
        students = collect(args.root, args.assignment, args.source)
        print(f"collected {len(students)} submission(s): {', '.join(students)}")
    elif args.command == "check":
        sub_nb, why = _read_notebook(Path(args.submitted))
        if sub_nb is None:
            print(f"invalid notebook: {why}")
            return 1
        rel_nb, _ = _read_notebook(Path(args.released))
        tampering, notes = check_submission(sub_nb, rel_nb)
        print("tampering:", "; ".join(tampering) or "none")
        print("notes:", "; ".join(notes) or "none")
        return 1 if tampering else 0
    elif args.command == "_worker":
        _worker(Path(args.root).resolve(), args.assignment, args.students, Path(args.events))
    return 0


if __name__ == "__main__":
    sys.exit(main())
