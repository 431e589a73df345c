"""Grading on a Dask cluster when one machine is not enough.

``make autograde CLUSTER=tcp://scheduler:8786`` sends one job per submission to the Dask
scheduler (``dask.distributed``). A job runs on a Dask worker and does exactly what a local
run does for one student: :func:`mlgrade.worker.run_workers` starts a watched
``python -m mlgrade.worker`` process there (student kernel in the sandbox, test cells in
the judge, a private copy of the gradebook), stops it after ``student_timeout`` and returns
the worker's event, a small dict of strings and booleans. Only that event crosses the
network back to the driver, which stays the only writer of the gradebook: it records the
gradebook rows the event carries, moves the autograded notebooks (written next to the
course, in ``grading_report.work/results/``) into ``autograded/`` and writes the report.

What every Dask worker needs: the course folder at the **same path** as on the driver's
machine (a shared file system: NFS home directories on Slurm, a shared volume next to
JupyterHub on Kubernetes), the course's Python environment (the same ``.venv`` or an image
built from ``pyproject.toml``) and, unless the run is ``SANDBOX=0``, ``bubblewrap``. A job
checks the last two before it grades and says which one is missing.

Stopping: when the driver is interrupted it cancels its jobs; when it dies, the scheduler
releases them. Either way a running job sees that it was cancelled and kills its grading
process, kernels and sandbox within a second (:func:`_watch_cancellation`).
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

from .worker import Job, failure_event, run_workers

__all__ = ["ClusterUnavailable", "grade_on_worker", "require_cluster", "run_on_cluster"]

_POLL = 1.0  # seconds between two looks at the job's state on the Dask worker


class ClusterUnavailable(RuntimeError):
    """The Dask scheduler cannot be reached, or has no worker."""


def require_cluster(address: str, timeout: float = 20.0) -> int:
    """The number of workers of the scheduler at ``address``; raises ClusterUnavailable."""
    try:
        from distributed import Client
    except ImportError as exc:
        raise ClusterUnavailable(
            f"dask.distributed is not installed ({exc}): make install"
        ) from exc
    try:
        with Client(address, timeout=timeout, set_as_default=False) as client:
            workers = len(client.scheduler_info()["workers"])
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterUnavailable(
            f"cannot reach the Dask scheduler at {address!r} ({type(exc).__name__}: {exc}); "
            "start it with `dask scheduler` or check CLUSTER="
        ) from exc
    if workers == 0:
        raise ClusterUnavailable(
            f"the Dask scheduler at {address} has no worker: start some with "
            f"`dask worker {address}` (see the instructor guide)"
        )
    return workers


def _job_name(assignment: str, student: str) -> str:
    """A file-name-safe name for one job's files (student ids may hold any letter)."""
    return "dask-" + hashlib.sha256(f"{assignment}\0{student}".encode()).hexdigest()[:16]


def _cancelled() -> Callable[[], bool]:
    """Whether the current Dask task has been cancelled or released (False outside Dask)."""
    try:
        from distributed import get_worker

        worker = get_worker()
        key = worker.get_current_task()
    except (ImportError, ValueError):
        return lambda: False

    def check() -> bool:
        task = worker.state.tasks.get(key)
        return task is None or task.state in ("cancelled", "released", "forgotten")

    return check


def _watch_cancellation(done: threading.Event, cancelled: Callable[[], bool], name: str) -> None:
    """Kill this job's grading process as soon as the job is cancelled.

    Only this job's: a Dask worker with several threads runs several jobs, each with its
    own grading process, whose command line names the job's events file (``name``).
    """
    from .worker import ACTIVE, kill_tree

    while not done.wait(_POLL):
        if cancelled():
            for proc in list(ACTIVE):
                if any(f"{name}.events" in str(arg) for arg in proc.args):
                    kill_tree(proc)
            return


def grade_on_worker(
    root: str, assignment: str, student: str, student_timeout: float, sandbox: bool, work: str
) -> dict:
    """Run on a Dask worker: execute one submission; the worker's event (plain data)."""
    import socket

    from .sandbox import SandboxUnavailable, require

    where = socket.gethostname()
    try:
        from distributed import get_worker

        where += f" ({get_worker().address})"
    except (ImportError, ValueError):
        pass
    if not (Path(root) / "nbgrader_config.py").is_file():
        why = f"the Dask worker on {where} does not see the course at {root} "
        why += "(share it at the same path)"
        return failure_event(assignment, student, "worker failed", why)
    if sandbox:
        try:
            require()
        except SandboxUnavailable as exc:
            why = f"the Dask worker on {where} cannot sandbox: {exc}"
            return failure_event(assignment, student, "worker failed", why)
    done = threading.Event()
    name = _job_name(assignment, student)
    watcher = threading.Thread(
        target=_watch_cancellation, args=(done, _cancelled(), name), daemon=True
    )
    watcher.start()
    try:
        results = run_workers(
            Path(root),
            [(assignment, student)],
            student_timeout,
            lambda message: None,
            Path(work),
            name,
            sandbox,
        )
    finally:
        done.set()
    event = dict(results[(assignment, student)])
    event["log"] = f"graded on the Dask worker on {where}\n" + str(event.get("log", ""))
    return event


def run_on_cluster(
    address: str,
    root: Path,
    jobs: list[Job],
    options: dict,
    work: Path,
    on_done: Callable[[dict], None],
) -> None:
    """One job per submission (assignment, student) on the Dask scheduler at ``address``;
    ``on_done`` gets each event.

    A job that raises (a worker lost, the scheduler gone) becomes a ``worker failed`` event
    for its student, which the driver grades once more like any failed worker.
    """
    from distributed import Client, as_completed

    with Client(address, timeout=30, set_as_default=False) as client:
        futures = {
            client.submit(
                grade_on_worker,
                str(root),
                assignment,
                student,
                float(options["student_timeout"]),
                bool(options["sandbox"]),
                str(work),
                key=f"mlgrade-{_job_name(assignment, student)}-{uuid.uuid4().hex[:8]}",
                pure=False,
            ): (assignment, student)
            for assignment, student in jobs
        }
        try:
            for future in as_completed(futures, loop=client.loop):
                assignment, student = futures[future]
                try:
                    event = future.result()
                except Exception as exc:
                    why = f"the Dask job failed: {type(exc).__name__}: {exc}"
                    event = failure_event(assignment, student, "worker failed", why)
                on_done(event)
        finally:
            client.cancel(list(futures), force=True)
