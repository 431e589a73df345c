"""Grade a whole class robustly, on every core, resumably, and report each submission.

For every assignment of ``submitted/``:

1. check each notebook against the released version (:mod:`mlgrade.tamper`);
2. skip the submissions already graded whose files have not changed since (the state file
   ``grading_report.state.json``), unless they are regraded on purpose (``--student``);
3. execute the others, of every assignment in one queue, in ``jobs`` watched worker
   processes at once (:mod:`mlgrade.worker`), each against a private copy of the
   gradebook: the student's cells in the sandbox, the tests in the judge. A worker that
   fails is tried once more (a kernel can die for reasons that are not the student's);
4. record each result as soon as it is ready, in this process only (one writer): the
   rows the worker's autograde wrote into its copy, checked and written into the course's
   gradebook (:mod:`mlgrade.record`), and its autograded folder moved into ``autograded/``;
   then save the state;
5. back the gradebook up before and after the run, restore it if it was damaged, and write the
   report (:mod:`mlgrade.report`) from the state: every student of the course keeps their
   rows when only some are regraded.

One driver at a time: a second one on the same course refuses to start (a lock). Ctrl-C or
SIGTERM stops every worker, kernel and sandbox it started; running it again continues
where it stopped.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import queue
import shutil
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

from .course import release, scores
from .execute import record_name
from .gradebook import (
    copy_to_file,
    course_url,
    describe,
    has_assignment,
    healthy,
    restore_from_file,
)
from .notebooks import read_notebook
from .progress import Progress
from .record import place, record_results
from .report import Row, classify_failure, outcome_notes, write_report
from .restore import has_nbgrader_metadata, restore_metadata
from .sandbox import require
from .tamper import check_submission
from .worker import (
    ACTIVE,
    Job,
    drain,
    failure_event,
    job_of,
    job_queue,
    kill_tree,
    run_workers,
)

__all__ = ["AlreadyRunning", "grade_class", "grade_plans", "plan_assignment", "precheck"]


class AlreadyRunning(RuntimeError):
    """Another driver holds the course's lock."""


@contextlib.contextmanager
def course_lock(root: Path):
    """Hold ``grading_report.lock`` for the whole run (released when the process ends)."""
    path = root / "grading_report.lock"
    handle = path.open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        who = handle.read().strip() or "another process"
        handle.close()
        raise AlreadyRunning(
            f"another grading run ({who}) is working on this course; wait for it to finish"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}")
    handle.flush()
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def _stop_everything(signum, frame) -> None:
    """Signal handler: kill every worker (and what runs below it), then stop."""
    for proc in list(ACTIVE):
        kill_tree(proc)
    raise KeyboardInterrupt(f"stopped by signal {signum}")


class State:
    """What has been graded: per (assignment, student), the files' digest and the rows."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.entries = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.entries = {}

    @staticmethod
    def key(assignment: str, student: str) -> str:
        return f"{assignment}\x1f{student}"

    def fresh(self, assignment: str, student: str, digest: str) -> bool:
        entry = self.entries.get(self.key(assignment, student))
        return bool(entry) and entry.get("digest") == digest

    def rows(self, assignment: str, student: str) -> list[Row]:
        entry = self.entries.get(self.key(assignment, student), {})
        return [Row(**row) for row in entry.get("rows", [])]

    def save(self, assignment: str, student: str, digest: str, rows: list[Row]) -> None:
        fields = [vars(row) for row in rows]
        self.entries[self.key(assignment, student)] = {"digest": digest, "rows": fields}
        partial = self.path.with_suffix(".tmp")
        partial.write_text(json.dumps(self.entries, indent=1), encoding="utf-8")
        os.replace(partial, self.path)

    def students(self, assignment: str) -> list[str]:
        prefix = f"{assignment}\x1f"
        return sorted(k[len(prefix) :] for k in self.entries if k.startswith(prefix))


def digest_of(folder: Path) -> str:
    """SHA-256 over the names and bytes of every file of a submission."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def precheck(
    root: Path, assignment: str, students: list[str], released: list[Path]
) -> tuple[dict[str, list[Row]], list[str]]:
    """A report row per (student, released notebook) and the students that can be graded.

    A missing or invalid notebook is final; a valid one is compared with the release.
    """
    by_student: dict[str, list[Row]] = {}
    to_grade = []
    for student in students:
        rows, ok = [], True
        for rel_path in released:
            row = Row(student, assignment, rel_path.stem)
            rows.append(row)
            path = root / "submitted" / student / assignment / rel_path.name
            if not path.exists():
                row.status, ok = "missing notebook", False
                row.details.append(f"no {rel_path.name} in the submission")
                continue
            nb, why = read_notebook(path)
            if nb is None:
                row.status, ok = "invalid notebook", False
                row.details.append(f"{rel_path.name} is {why}")
                continue
            rel_nb, _ = read_notebook(rel_path)
            if not has_nbgrader_metadata(nb):
                nb = _restored(root, path, nb, rel_nb, row)
            row.tampering, notes = check_submission(nb, rel_nb)
            row.details.extend(notes)
        by_student[student] = rows
        if ok:
            to_grade.append(student)
    return by_student, to_grade


def _restored(root: Path, path: Path, nb, released, row: Row):
    """The submission as nbgrader will grade it when its nbgrader metadata was stripped:
    matched back to the release (by the sanitizing step RestoreMetadata; the student's
    file is left as it is)."""
    repaired = restore_metadata(nb, released)
    if repaired is None:
        return nb
    row.status = "restored"
    row.details.append("its nbgrader metadata was missing: cells matched to the release")
    return repaired


def _apply_record(path: Path, row: Row) -> None:
    """What the execution record says: time taken, and a kernel that stopped early."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    seconds = record.get("seconds")
    row.seconds = float(seconds) if isinstance(seconds, (int, float)) else None
    stopped = str(record.get("student_kernel", ""))
    if stopped.startswith("the kernel died"):
        row.status = "kernel died"
        row.details.insert(0, f"{stopped}; the tests that ran before it kept their points")
    elif stopped.startswith("stopped after"):
        row.status = "timeout"
        row.details.insert(0, f"the kernel was {stopped}; the tests before it kept their points")


def _backup(url: str, folder: Path, label: str) -> None:
    """A copy of the gradebook in ``folder`` (kept: one before and one after each run)."""
    copy_to_file(url, folder / f"gradebook-{time.strftime('%Y%m%d-%H%M%S')}-{label}.db")


def _fill_rows(root: Path, assignment: str, student: str, result: dict, rows: list[Row]) -> None:
    """Status, score and notes of one student's rows from the recorded result."""
    found = scores(root, assignment, student) if result["success"] else {}
    for row in rows:
        if not result["success"]:
            text = result.get("error", "") + result.get("log", "")
            row.status, why = classify_failure(text)
            if result["event"] == "killed":
                row.status, why = "timeout", result["error"]
            row.details.insert(0, why)
            continue
        graded = root / "autograded" / student / assignment / f"{row.notebook}.ipynb"
        _apply_record(graded.parent / record_name(row.notebook), row)
        nb, _ = read_notebook(graded)
        if nb is not None:
            notes, timed_out = outcome_notes(nb)
            row.details[:0] = notes
            if timed_out and row.status == "graded":
                row.status = "timeout"
        if row.notebook in found:
            row.score, row.max_score = found[row.notebook]
        if row.tampering and row.status == "graded":
            row.status = "tampered"
            row.details.insert(0, "graded with the original cells restored")


def _record(root: Path, url: str, event: dict, results: Path) -> dict:
    """Write one executed submission into the gradebook at ``url`` and its autograded
    folder (from ``results``, the workers' output) into the course; an event that cannot
    be recorded becomes a failure, which the student's row reports."""
    if not event["success"]:
        return event
    assignment, student = job_of(event)
    try:
        record_results(url, assignment, student, event.get("results"))
        place(results / student / assignment, root / "autograded" / student / assignment)
    except Exception as exc:
        why = f"its results could not be recorded ({type(exc).__name__}: {exc})"
        return {**event, "success": False, "error": why}
    return event


def _execute_all(root, jobs: list[Job], options, work, log, on_done) -> None:
    """Execute ``jobs`` on ``options["jobs"]`` workers, or on the Dask cluster of
    ``options["cluster"]`` (:mod:`mlgrade.cluster`); ``on_done`` gets each result.

    The workers share one queue of submissions, of every assignment: each takes the next
    one when it is ready, so that no core waits for another's slow notebook.
    """
    cluster = options.get("cluster")
    runners = 1 if cluster else max(1, min(int(options["jobs"]), len(jobs)))
    failures: queue.Queue = queue.Queue()

    def first_try(event: dict) -> None:
        if event["success"] or event["event"] == "killed":
            on_done(event)
        else:
            failures.put(job_of(event))

    def runner(shared: queue.Queue, everything: list[Job], name: str, callback) -> None:
        finished: set[Job] = set()

        def counted(event: dict) -> None:
            finished.add(job_of(event))
            callback(event)

        try:
            if cluster:
                from .cluster import run_on_cluster

                run_on_cluster(cluster, root, everything, options, work, counted)
            else:
                run_workers(
                    root,
                    shared,
                    options["student_timeout"],
                    log,
                    work,
                    name,
                    options["sandbox"],
                    counted,
                )
        except Exception as exc:  # every student keeps a row that says what happened
            why = f"grading could not run ({type(exc).__name__}: {exc})"
            log(f"  {why}")
            left = everything if cluster else drain(shared)
            for assignment, student in left:
                if (assignment, student) not in finished:
                    callback(failure_event(assignment, student, "worker failed", why))

    def last_try(event: dict) -> None:
        if not event["success"]:
            event = {**event, "error": event.get("error", "") + "\n(failed twice)"}
        on_done(event)

    def run(batch: list[Job], names: list[str], callback) -> None:
        shared = job_queue(batch)
        threads = [
            threading.Thread(target=runner, args=(shared, batch, n, callback), daemon=True)
            for n in names
        ]
        for t in threads:
            t.start()
        for t in threads:
            while t.is_alive():
                t.join(0.2)

    run(jobs, [f"w{i}" for i in range(runners)], first_try)
    again = drain(failures)
    if again:
        log("  grading again: " + ", ".join(f"{s} ({a})" for a, s in again))
        retries = 1 if cluster else max(1, min(int(options["jobs"]), len(again)))
        run(again, [f"retry{i}" for i in range(retries)], last_try)


@dataclasses.dataclass
class _Plan:
    """What one assignment needs: its students' digests and rows, and who is graded."""

    assignment: str
    digests: dict[str, str]
    by_student: dict[str, list[Row]]
    to_grade: list[str]


def plan_assignment(
    root: Path, assignment: str, students: list[str] | None, state: State, log: Callable
) -> _Plan | None:
    """Choose the submissions of ``assignment`` to grade (the changed ones, or ``students``),
    check them against the release, and make sure the gradebook knows the assignment."""
    released = sorted((root / "exercises" / assignment).glob("*.ipynb"))
    if not released:
        log(f"{assignment}: not released (no exercises/{assignment}/*.ipynb), skipped")
        return None
    folders = sorted((root / "submitted").glob(f"*/{assignment}"))
    everyone = [f.parent.name for f in folders]
    chosen = [s for s in everyone if students is None or s in students]
    digests = {s: digest_of(root / "submitted" / s / assignment) for s in chosen}
    if students is None:  # resume: what was graded and has not changed is not graded again
        chosen = [s for s in chosen if not state.fresh(assignment, s, digests[s])]
    skipped = len(everyone) - len(chosen)
    log(
        f"{assignment}: {len(chosen)} to grade"
        + (f", {skipped} already graded" if skipped else "")
    )
    by_student, to_grade = precheck(root, assignment, chosen, released)
    for student in chosen:
        if student not in to_grade:
            state.save(assignment, student, digests[student], by_student[student])
    if to_grade and not has_assignment(course_url(root), assignment):
        # A fresh clone has no gradebook: record the assignment (this regenerates
        # exercises/<assignment>/, identical to the committed version).
        log(f"  {assignment} is not in the gradebook yet: running generate_assignment")
        release(root, [assignment])
    return _Plan(assignment, digests, by_student, to_grade)


def grade_plans(root: Path, plans: list[_Plan], options: dict, state: State, log: Callable):
    """Execute every submission the plans choose, all assignments in one queue, and record
    each result in the gradebook as soon as it is ready (this process is the only writer)."""
    jobs = [(plan.assignment, s) for plan in plans for s in plan.to_grade]
    if not jobs:
        return
    by_name = {plan.assignment: plan for plan in plans}
    url = course_url(root)
    label = plans[0].assignment if len(by_name) == 1 else "class"
    backup = root / "grading_report.gradebook-backup.db"
    backups = root / "grading_report.backups"
    copy_to_file(url, backup)
    _backup(url, backups, f"{label}-before")
    work = root / "grading_report.work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    shutil.copyfile(backup, work / "gradebook.db")  # what the workers execute against
    progress = Progress(len(jobs), label="grading")
    done: queue.Queue = queue.Queue()
    worker = threading.Thread(
        target=_execute_all, args=(root, jobs, options, work, log, done.put), daemon=True
    )
    worker.start()
    recorded = 0
    try:
        while recorded < len(jobs):
            try:
                event = done.get(timeout=0.5)
            except queue.Empty:
                if not worker.is_alive() and done.empty():
                    break
                continue
            assignment, student = job_of(event)
            plan = by_name[assignment]
            result = _record(root, url, event, work / "results")
            logs = Path(options["logs"]) / assignment
            logs.mkdir(parents=True, exist_ok=True)
            text = result.get("log", "") + "\n" + result.get("error", "")
            (logs / f"{student}.log").write_text(text, encoding="utf-8")
            rows = plan.by_student[student]
            _fill_rows(root, assignment, student, result, rows)
            state.save(assignment, student, plan.digests[student], rows)
            recorded += 1
            progress.update(rows[0].status if rows else "graded", f"{assignment} {student}")
    finally:
        progress.close()
        if not healthy(url):
            try:
                restore_from_file(backup, url)
                log(f"the gradebook ({describe(url)}) was damaged: restored from the backup")
            except Exception as exc:  # e.g. the server is down: the backup stays
                log(
                    f"the gradebook ({describe(url)}) cannot be read and was not restored "
                    f"({type(exc).__name__}: {exc}); its backup is {backup}"
                )
        _backup(url, backups, f"{label}-after")
    shutil.rmtree(work, ignore_errors=True)


def _report_rows(root: Path, state: State, names: list[str]) -> list[Row]:
    rows = []
    for assignment in names:
        present = {f.parent.name for f in (root / "submitted").glob(f"*/{assignment}")}
        for student in state.students(assignment):
            if student in present:
                rows += state.rows(assignment, student)
    return rows


def grade_class(
    root: Path | str = ".",
    assignments: list[str] | None = None,
    students: list[str] | None = None,
    student_timeout: float = 600.0,
    report: Path | str | None = None,
    quiet: bool = False,
    sandbox: bool = True,
    jobs: int | None = None,
    cluster: str | None = None,
) -> list[Row]:
    """Autograde the class robustly and write the grading report.

    Parameters
    ----------
    root : path
        The course directory (where ``nbgrader_config.py`` is).
    assignments : list of str, optional
        Restrict to these (default: everything found in ``submitted/``).
    students : list of str, optional
        Grade these students again, whether or not their submission changed (default:
        every submission not graded yet or changed since it was graded).
    student_timeout : float
        Wall-clock limit for one student's assignment, on top of the per-cell timeout; a
        student who exceeds it is stopped and reported as ``timeout``.
    report : path, optional
        Report path without extension (default ``root/grading_report``): ``.csv`` and
        ``.md`` are written, with the rows of every graded student of these assignments.
    sandbox : bool
        Run every student kernel in the bubblewrap sandbox (:mod:`mlgrade.sandbox`); when
        bubblewrap is missing, grading stops before it starts unless this is False.
    jobs : int, optional
        Submissions executed at once (default: the number of cores).
    cluster : str, optional
        Address of a Dask scheduler (``tcp://host:8786``): the submissions are executed on
        its workers instead (:mod:`mlgrade.cluster`); the gradebook is written here.

    Returns
    -------
    list of Row
        The report's rows: one per (student, assignment, notebook).
    """
    root = Path(root).resolve()
    base = Path(report) if report else root / "grading_report"
    if cluster:  # each job checks the sandbox of its own worker
        from .cluster import require_cluster

        require_cluster(cluster)
    elif sandbox:
        require()

    def log(message: str) -> None:
        if not quiet:
            print(message, flush=True)

    options = {
        "jobs": jobs or os.cpu_count() or 1,
        "student_timeout": student_timeout,
        "sandbox": sandbox,
        "logs": f"{base}.logs",
        "cluster": cluster,
    }
    names = assignments or sorted({p.name for p in (root / "submitted").glob("*/*") if p.is_dir()})
    main = threading.current_thread() is threading.main_thread()
    signals = (signal.SIGINT, signal.SIGTERM) if main else ()
    previous = {sig: signal.getsignal(sig) for sig in signals}
    with course_lock(root):
        state = State(root / "grading_report.state.json")
        try:
            for sig in previous:
                signal.signal(sig, _stop_everything)
            plans = [plan_assignment(root, a, students, state, log) for a in names]
            grade_plans(root, [p for p in plans if p is not None], options, state, log)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            for proc in list(ACTIVE):
                kill_tree(proc)
            rows = _report_rows(root, state, names)
            write_report(rows, base)
            _class_reports(root, names, log)
    return rows


def _class_reports(root: Path, names: list[str], log: Callable) -> None:
    """The class report of each assignment (reports/); a failure here is only reported."""
    from .classreport import write_class_reports

    try:
        pages = write_class_reports(root, names)
    except Exception as exc:  # the grades are safe; the report can be made again
        log(
            f"the class report could not be written ({type(exc).__name__}: {exc}); run make report"
        )
        return
    for page in pages:
        log(f"class report: {page}")
