"""Execute a submission with two kernels: the student's, sandboxed, and the judge.

:class:`JudgedExecute` replaces nbgrader's ``Execute`` in ``nbgrader_config.py``. For each
code cell of the notebook, in order:

* a cell of the student's (an answer, or any cell they added) and every locked cell that is
  not a test runs in the **student kernel**, started in the bubblewrap sandbox
  (:mod:`mlgrade.sandbox`); its outputs are what the notebook shows;
* every locked cell runs in the **judge kernel** too, a separate Python process that never
  runs student code, so that the judge has the same imports and data;
* every autograded **test cell** runs in the judge kernel only, after :mod:`mlgrade.judge`
  has bound the names it reads to the student's values (plain data) or to proxies of the
  student's functions and objects. Its outputs (an error or none) decide its score, as
  nbgrader reads them; the hidden tests never reach the student's kernel.

What the student's kernel does cannot undo a verdict: if it dies (``os._exit``, a crash, a
limit) or hangs, it is stopped, the test cells after that point fail (their proxies
answer "the student's kernel is not running"), and the cells that already passed keep
their points. A file beside the autograded notebook (:func:`record_name`) records what
happened, for the report.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import copy
import json
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Integer

from .ready import PromptKernelManager
from .sandbox import ONE_THREAD, Policy, SandboxedKernelManager, require
from .scratch import parse_cell
from .warm import WarmKernelManager, WarmUnavailable
from .zygote import ForkProvisioner

__all__ = [
    "JudgedExecute",
    "loaded_names",
    "record_name",
    "stored_names",
]

_SOURCE_LIMIT = 2 * 2**20  # characters of student source handed to the judge


def loaded_names(source: str) -> list[str]:
    """Every name a cell reads, in order of first appearance (empty if it does not parse;
    IPython magics are left out, see :func:`mlgrade.scratch.parse_cell`)."""
    tree = parse_cell(source)
    if tree is None:
        return []
    names = [
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    ]
    return list(dict.fromkeys(names))


def imported(source: str) -> list[str]:
    """The modules a cell imports (dotted names), in order."""
    tree = parse_cell(source)
    if tree is None:
        return []
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
    return names


def stored_names(source: str) -> list[str]:
    """Every name a cell binds at its top level or below (assignments, imports, defs)."""
    tree = parse_cell(source)
    if tree is None:
        return []
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.append(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names += [(a.asname or a.name).split(".")[0] for a in node.names]
    return list(dict.fromkeys(names))


def record_name(notebook: str) -> str:
    """The file beside an autograded notebook that says how its execution went."""
    return f".mlgrade-{notebook}.json"


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_test(cell) -> bool:
    meta = _meta(cell)
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def is_locked(cell) -> bool:
    return bool(_meta(cell).get("locked")) or is_test(cell)


class _Client(NotebookClient):
    """A notebook client that keeps at most ``output_limit`` bytes of output per cell."""

    output_limit = Integer(1_000_000).tag(config=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.last_reply: dict | None = None
        self._kept = 0
        self._cut = False
        self.on_cell_start = self._start
        self.on_cell_executed = self._executed

    def _start(self, **kwargs) -> None:
        self._kept, self._cut, self.last_reply = 0, False, None

    def _executed(self, **kwargs) -> None:
        self.last_reply = kwargs.get("execute_reply")

    def output(self, outs, msg, display_id, cell_index):
        size = len(json.dumps(msg.get("content", {}), default=str))
        self._kept += size
        if self._kept > self.output_limit:
            if not self._cut:
                self._cut = True
                note = f"\n[output limit of {self.output_limit} bytes reached: the rest is cut]\n"
                outs.append(NotebookNode(output_type="stream", name="stdout", text=note))
            return None
        return super().output(outs, msg, display_id, cell_index)


async def _start_both(student: NotebookClient, judge: NotebookClient) -> None:
    """Start the student's kernel and the judge at the same time (start-up is most of the
    cost of a short notebook)."""
    if judge.km is None:
        judge.km = judge.create_kernel_manager()
    await asyncio.gather(
        student.async_start_new_kernel(env=_student_environment()),
        judge.async_start_new_kernel(),
    )
    await asyncio.gather(
        student.async_start_new_kernel_client(), judge.async_start_new_kernel_client()
    )
    if isinstance(student.km, SandboxedKernelManager):
        student.km.seal_sockets()


async def _stop_both(*clients: NotebookClient) -> None:
    """Stop the kernels at the same time (a failure to stop one does not keep the other)."""

    async def stop(client: NotebookClient) -> None:
        if client.km is not None:
            with contextlib.suppress(Exception):
                await client._async_cleanup_kernel()

    await asyncio.gather(*(stop(c) for c in clients))


def _student_environment() -> dict[str, str]:
    """The environment of a student kernel started without the sandbox: nothing secret."""
    keep = ("PATH", "LANG", "LC_ALL", "TZ")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env.update({"HOME": tempfile.gettempdir(), "MPLBACKEND": "Agg", **ONE_THREAD})
    return env


def _locked_imports(nb) -> tuple[str, ...]:
    """The modules the notebook's locked cells import (the instructor's: nbgrader restored
    them), for a zygote to import before it forks."""
    locked = [c.source for c in nb.cells if c.cell_type == "code" and is_locked(c)]
    return tuple(dict.fromkeys(m for s in locked for m in imported(s)))


_WARNED: list[str] = []  # a grading process says once that it grades without warm sandboxes


def _error(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(
        output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"]
    )


class JudgedExecute(NbGraderPreprocessor):
    """Run student cells in a sandboxed kernel and test cells in a separate judge."""

    timeout = Integer(60, help="seconds a student cell (or one call into it) may take").tag(
        config=True
    )
    startup_timeout = Integer(60, help="seconds a kernel may take to start").tag(config=True)
    sandbox = Bool(True, help="run the student's kernel in bubblewrap").tag(config=True)
    memory = Integer(Policy.memory, help="address space of the student's kernel (bytes)").tag(
        config=True
    )
    cpu_seconds = Integer(Policy.cpu_seconds, help="CPU seconds of the student's kernel").tag(
        config=True
    )
    processes = Integer(Policy.processes, help="processes/threads of the student's kernel").tag(
        config=True
    )
    file_size = Integer(Policy.file_size, help="largest file the student's code may write").tag(
        config=True
    )
    work_size = Integer(Policy.work_size, help="size of the working folder (bytes)").tag(
        config=True
    )
    output_limit = Integer(1_000_000, help="bytes of output kept per cell").tag(config=True)
    fork_judge = Bool(
        True, help="fork each judge kernel from a warmed-up process (mlgrade.zygote)"
    ).tag(config=True)
    warm_sandbox = Bool(
        True, help="fork each student kernel in a warm sandbox (mlgrade.warm)"
    ).tag(config=True)

    def policy(self) -> Policy:
        return Policy(
            memory=self.memory,
            cpu_seconds=self.cpu_seconds,
            processes=self.processes,
            file_size=self.file_size,
            work_size=self.work_size,
        )

    def _clients(self, nb, judge_nb, resources) -> tuple[_Client, _Client]:
        common = {
            "startup_timeout": self.startup_timeout,
            "allow_errors": True,
            "interrupt_on_timeout": True,
            "resources": resources,
            "kernel_name": "python3",
            "output_limit": self.output_limit,
            "extra_arguments": ["--HistoryManager.hist_file=:memory:"],
            # Both kernels are thrown away after the notebook: stop them at once rather than
            # wait for a polite exit (about 0.3 s each per notebook, and no student code
            # runs at exit).
            "shutdown_kernel": "immediate",
            "error_on_timeout": {
                "ename": "CellTimeoutError",
                "evalue": f"the cell took longer than {self.timeout} s and was stopped",
                "traceback": [f"CellTimeoutError: the cell took longer than {self.timeout} s"],
            },
        }
        if self.sandbox:
            require()
            km = self._student_manager(nb)
        else:
            km = PromptKernelManager(kernel_name="python3")
        student = _Client(nb, km=km, timeout=self.timeout, **common)
        student.owns_km = True  # so that leaving setup_kernel shuts the kernel down
        judge = _Client(
            judge_nb, km=self._judge_manager(nb), timeout=max(10 * self.timeout, 120), **common
        )
        judge.owns_km = True
        return student, judge

    def _student_manager(self, nb) -> SandboxedKernelManager:
        """The student's sandboxed kernel manager: forked in a warm sandbox, warmed with
        what the locked cells import, or (where there cannot be one) started cold."""
        if self.warm_sandbox:
            try:
                return WarmKernelManager(
                    kernel_name="python3", policy=self.policy(), preload=_locked_imports(nb)
                )
            except WarmUnavailable as exc:
                if not _WARNED:
                    _WARNED.append(str(exc))
                    self.log.warning("student kernels start cold: no warm sandbox (%s)", exc)
        return SandboxedKernelManager(kernel_name="python3", policy=self.policy())

    def _judge_manager(self, nb):
        """The judge's kernel manager: a fork of the zygote, warmed with what the notebook's
        locked cells import (they are the instructor's: nbgrader restored them)."""
        km = PromptKernelManager(kernel_name="python3")
        if self.fork_judge:
            km.kernel_id = str(uuid.uuid4())
            provisioner = ForkProvisioner(
                kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km
            )
            provisioner.preload = _locked_imports(nb)
            km.provisioner = provisioner
        return km

    def preprocess(self, nb, resources):
        folder = Path(resources.get("metadata", {}).get("path") or ".")
        key = str(resources.get("unique_key") or "notebook")
        record = self._execute(nb, resources)
        (folder / record_name(key)).write_text(json.dumps(record), encoding="utf-8")
        return nb, resources

    def _execute(self, nb, resources) -> dict:
        judge_nb = copy.deepcopy(nb)
        self._pending_own: list[str] = []
        student, judge = self._clients(nb, judge_nb, resources)
        record: dict[str, Any] = {
            "sandbox": self.sandbox,
            "warm": isinstance(student.km, WarmKernelManager),
            "student_kernel": "ran to the end",
        }
        started = time.monotonic()
        try:
            run_sync(_start_both)(student, judge)
            connection = student.km.connection_file
            boot = "import mlgrade.judge as __mlgrade_judge__\n"
            boot += f"__mlgrade_judge__.connect({connection!r}, {float(self.timeout)!r})"
            self._quiet(judge, boot)
            self._run_cells(nb, judge_nb, student, judge, record)
        finally:
            run_sync(_stop_both)(student, judge)
        record["seconds"] = round(time.monotonic() - started, 3)
        return record

    def _run_cells(self, nb, judge_nb, student, judge, record) -> None:
        ran: list[tuple[str, bool]] = []
        gone = None
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or not cell.source.strip():
                continue
            if is_test(cell):
                self._judge_cell(judge, judge_nb, index, cell.source, ran, copy_to=cell)
                continue
            if gone is None:
                gone = self._student_cell(student, cell, index)
                ran.append((cell.source, is_locked(cell)))
                if gone is not None:
                    record["student_kernel"] = f"{gone} (at cell {index})"
                    self._quiet(judge, f"__mlgrade_judge__.student_gone({gone!r})")
            else:
                cell.outputs = [_error("NotRun", f"not run: the kernel had stopped ({gone})")]
            if is_locked(cell):
                self._judge_cell(judge, judge_nb, index, cell.source, ran, copy_to=None)

    def _student_cell(self, student: _Client, cell, index: int) -> str | None:
        """Run one cell in the student's kernel; why the kernel stopped, or None."""
        try:
            student.execute_cell(cell, index)
        except DeadKernelError:
            cell.outputs.append(
                _error("DeadKernelError", "the kernel died (os._exit, a crash, or a limit)")
            )
            return "the kernel died"
        reply = (student.last_reply or {}).get("content", {})
        if reply.get("status") == "error":
            enames = {o.get("ename") for o in cell.outputs if o.get("output_type") == "error"}
            if reply.get("ename") not in enames:
                cell.outputs.append(_error(str(reply.get("ename")), str(reply.get("evalue"))))
            if reply.get("ename") == "CellTimeoutError" and not self._responsive(student):
                run_sync(student.km.shutdown_kernel)(now=True)
                return f"stopped after {self.timeout} s (it did not answer an interrupt)"
        return None

    def _responsive(self, student: _Client) -> bool:
        """Whether the kernel answers a trivial request after the interrupt (within timeout)."""
        try:
            msg_id = student.kc.execute("pass", silent=True, store_history=False)
            return student.wait_for_reply(msg_id) is not None
        except Exception:
            return False

    def _judge_cell(self, judge: _Client, judge_nb, index: int, source: str, ran, copy_to) -> None:
        cells, total = [], 0
        for text, locked in ran:
            total += len(text)
            if total > _SOURCE_LIMIT:
                break
            cells.append((text, locked))
        stored = stored_names(source)
        names = [n for n in loaded_names(source) if n not in stored or not copy_to]
        # The names the previous judge cell assigned become the judge's own in the same
        # round trip as this cell's binding (one request per cell instead of two).
        owned, self._pending_own = self._pending_own, []
        code = f"__mlgrade_judge__.own({owned!r})\n" if owned else ""
        code += f"__mlgrade_judge__.bind(globals(), {names!r}, {cells!r})"
        self._quiet(judge, code)
        jcell = judge_nb.cells[index]
        jcell.source = source
        try:
            judge.execute_cell(jcell, index)
        except DeadKernelError:
            jcell.outputs = [
                _error("JudgeError", "the judge stopped; grade this notebook by hand")
            ]
        self._pending_own = stored
        if copy_to is not None:
            copy_to.outputs = jcell.outputs
            copy_to.execution_count = jcell.get("execution_count")

    def _quiet(self, client: _Client, code: str) -> None:
        """Run grader code in a kernel without touching the notebook."""
        msg_id = client.kc.execute(code, silent=True, store_history=False)
        reply = client.wait_for_reply(msg_id)
        content = (reply or {}).get("content", {})
        if content.get("status") != "ok":
            self.log.warning(
                "grader code failed in a kernel: %s %s",
                content.get("ename"),
                content.get("evalue"),
            )
