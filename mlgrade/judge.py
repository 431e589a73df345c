"""The judge's side: test cells run here, and every name the student defined is a proxy.

This module is imported in the *judge kernel*, a Python process that never runs student
code. The grader (:mod:`mlgrade.execute`) connects it to the student's sandboxed kernel
(:func:`connect`) and, before each test cell, binds the names the cell reads
(:func:`bind`): a student's plain value (a number, an array, a list, ...) is copied in;
a function, class or other object becomes a :class:`RemoteRef`, so that calling
``entropy(p)`` sends ``p`` to the student's kernel and receives the result as plain data
(:mod:`mlgrade.wire`). The test cell itself, and :mod:`mlgrade.checks` that it calls,
run here, out of the student's reach: no hook, tracer, patched library or custom object
of the student's can see or change how a result is judged.

Rules about how an answer is written are decided on the submitted source
(:mod:`mlgrade.scratch`), which :func:`bind` also receives.
"""

from __future__ import annotations

import builtins
import json
import sys
import time
import warnings
from typing import Any

from . import wire
from .agent import CALLBACK, SERVE

__all__ = ["RemoteRef", "StudentError", "bind", "connect", "is_remote", "own", "student_gone"]

_STATE: dict[str, Any] = {"client": None, "timeout": 60.0, "gone": None, "cells": []}
_BOUND: set[str] = set()  # names the judge took from the student (re-read before each cell)
_STREAM_LIMIT = 4000  # characters of the student's printed output shown per call
_EXCEPTIONS = {
    name: getattr(builtins, name)
    for name in dir(builtins)
    if isinstance(getattr(builtins, name), type)
    and issubclass(getattr(builtins, name), Exception)
    and name not in ("AssertionError",)
}


class StudentError(Exception):
    """An exception raised by the student's code (or its kernel), seen from the judge."""


def _student_exception(kind: str, message: str) -> StudentError:
    base = _EXCEPTIONS.get(kind)
    cls = type(kind, (StudentError, base), {}) if base else StudentError
    text = message.strip() or kind
    if not text.startswith(kind):
        text = f"{kind}: {text}"
    return cls(text)


class _Remote:
    """A client of the student's kernel that sends one request at a time.

    Requests travel on the kernel's input channel: the first request of a judge cell starts
    :func:`mlgrade.agent.serve` there (one ``execute_request``), and from then on each
    request is the reply to the student kernel's last ``input()`` prompt and each answer the
    prompt of the next (:data:`mlgrade.agent.SERVE`). :meth:`close`, run after every judge
    cell (a ``post_execute`` hook, see :func:`connect`), ends that session, so the student's
    kernel is idle again before the grader runs the student's next cell. A function of the
    test's that the student's code calls asks on the same channel, with :data:`CALLBACK`.
    """

    def __init__(self, connection_file: str, timeout: float):
        from jupyter_client import BlockingKernelClient

        self.kc = BlockingKernelClient(connection_file=connection_file)
        self.kc.load_connection_file()
        self.kc.start_channels()
        self.timeout = timeout
        self._session: str | None = None  # msg_id of the running serve(), if any
        self._waiting = False  # serve() waits for our next line
        self._printed: list[str] = []  # what the student's code printed, not yet shown
        # One wait on both channels: the answers and the callbacks come on stdin, the
        # student's printed output and the end of serve() on iopub.
        import zmq

        self._poller = zmq.Poller()
        for channel in (self.kc.iopub_channel, self.kc.stdin_channel):
            self._poller.register(channel.socket, zmq.POLLIN)

    def request(self, payload: dict) -> Any:
        gone = _STATE["gone"]
        if gone:
            raise StudentError(f"the student's kernel is not running ({gone})")
        if self._session is None:
            code = "__import__('mlgrade.agent', fromlist=['serve']).serve()"
            self._session = self.kc.execute(
                code, silent=True, store_history=False, allow_stdin=True
            )
            if self._prompt() != SERVE:
                raise StudentError("the student's kernel gave no readable answer")
        self._send(json.dumps(payload, allow_nan=True))
        text = self._prompt()
        _show(self._printed)
        self._printed = []
        if not text.startswith(SERVE):
            raise StudentError("the student's kernel gave no readable answer")
        answer = _envelope(text[len(SERVE) :])
        _rewarn(answer.get("warnings"))
        if "raised" in answer:
            raised = answer["raised"] if isinstance(answer["raised"], dict) else {}
            raise _student_exception(str(raised.get("type")), str(raised.get("message", "")))
        return wire.decode(answer["ok"], _as_ref)

    def _send(self, line: str) -> None:
        self._waiting = False
        self.kc.input(line)

    def _prompt(self) -> str:
        """The next prompt of serve(), answering the test's callbacks on the way."""
        deadline = time.monotonic() + self.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self._interrupt()
                _STATE["gone"] = f"no answer within {self.timeout:g} s"
                raise TimeoutError(f"the student's code did not answer within {self.timeout:g} s")
            prompt = self._stdin_prompt()
            if prompt is not None:
                if prompt.startswith(SERVE):
                    self._waiting = True
                    return prompt
                self._send(_callback(prompt))  # the student's code is making progress
                deadline = time.monotonic() + self.timeout
                continue
            if not self._iopub():
                self._poller.poll(1000 * min(left, 1.0))

    def _message(self, read) -> tuple[bool, dict | None]:
        """One message from a channel (``read``, its non-blocking read): whether there was
        one, and the message if it belongs to the running serve() (else None)."""
        try:
            msg = read(timeout=0)
        except Exception:  # queue.Empty
            return False, None
        ours = msg.get("parent_header", {}).get("msg_id") == self._session
        return True, msg if ours else None

    def _stdin_prompt(self) -> str | None:
        _, msg = self._message(self.kc.get_stdin_msg)
        return None if msg is None else str(msg.get("content", {}).get("prompt", ""))

    def _iopub(self) -> bool:
        """Read one message of the student's kernel's iopub channel; whether there was one.

        The student's printed output is kept to be shown; an error or the end of serve()
        ends the session (the agent was replaced or broken: no answer will come).
        """
        read, msg = self._message(self.kc.get_iopub_msg)
        if msg is None:
            return read
        kind, content = msg.get("msg_type"), msg.get("content", {})
        if kind == "stream":
            self._printed.append(str(content.get("text", "")))
        elif kind == "error":
            self._session, self._waiting = None, False
            raise _student_exception(str(content.get("ename")), str(content.get("evalue")))
        elif kind == "status" and content.get("execution_state") == "idle":
            self._session, self._waiting = None, False
            raise StudentError("the student's kernel gave no readable answer")
        return True

    def close(self) -> None:
        """End the session: serve() returns and the student's kernel is idle again.

        Every prompt still coming (an answer after an interrupt, a callback) is replied to
        with an empty line; if the kernel is not idle within a few seconds (a student's code
        that ignores the interrupt), it is left to the grader, whose next cell in that
        kernel then times out.
        """
        if self._session is None:
            return
        if self._waiting:
            self._send("")
        deadline = time.monotonic() + min(self.timeout, 5.0)
        try:
            while self._session is not None and time.monotonic() < deadline:
                if self._stdin_prompt() is not None:
                    self._send("")
                elif not self._iopub():
                    self._poller.poll(50)
        except StudentError:  # the session has ended (idle, or serve() raised)
            pass
        finally:
            self._session, self._waiting = None, False
            _show(self._printed)
            self._printed = []

    def _interrupt(self) -> None:
        try:
            msg = self.kc.session.msg("interrupt_request", {})
            self.kc.control_channel.send(msg)
        except Exception:
            pass


def _envelope(text: str) -> dict:
    """``{"ok": encoded value}`` or ``{"raised": {...}}``, checked."""
    if len(text) > wire.LIMITS["text"]:
        raise StudentError("the student's answer is too large")
    try:
        answer = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise StudentError("the student's kernel gave no readable answer") from None
    keys = set(answer) - {"warnings"} if isinstance(answer, dict) else set()
    if not isinstance(answer, dict) or keys not in ({"ok"}, {"raised"}):
        raise StudentError("the student's kernel gave no readable answer")
    return answer


_CALLBACKS: list[Any] = []  # the judge's functions handed to the student's code


def _callback(prompt: str) -> str:
    """The answer to one call of a judge function by the student's code: JSON text."""
    try:
        if not prompt.startswith(CALLBACK):
            raise StudentError("the student's code asked for input")
        request = json.loads(prompt[len(CALLBACK) :])
        func = _CALLBACKS[int(request["callback"])]
        args = wire.decode(request["args"], _as_ref)
        kwargs = wire.decode(request["kwargs"], _as_ref)
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise StudentError("a call back into the test is malformed")
        answer = {"ok": wire.encode(func(*args, **{str(k): v for k, v in kwargs.items()}))}
    except Exception as exc:  # told to the student's code, which then raises
        answer = {"raised": f"{type(exc).__name__}: {exc}"[:500]}
    return json.dumps(answer, allow_nan=True)


def _rewarn(caught: object) -> None:
    """Issue here the warnings the student's code emitted there (built-in categories)."""
    if not isinstance(caught, list):
        return
    for item in caught[:20]:
        if not isinstance(item, dict):
            continue
        kind = getattr(builtins, str(item.get("category")), None)
        if not (isinstance(kind, type) and issubclass(kind, Warning)):
            kind = UserWarning
        warnings.warn(str(item.get("message", ""))[:500], kind, stacklevel=3)


def _errstate() -> dict:
    """The judge's NumPy error state, which a call into the student's code runs under."""
    numpy = sys.modules.get("numpy")
    return dict(numpy.geterr()) if numpy is not None else {}


def _show(printed: list[str]) -> None:
    """Echo what the student's code printed during a call (shortened)."""
    text = "".join(printed)
    if text:
        if len(text) > _STREAM_LIMIT:
            text = text[:_STREAM_LIMIT] + "\n... (output shortened)\n"
        sys.stdout.write(text)


def _as_ref(tagged: dict) -> RemoteRef:
    if "ref" not in tagged or type(tagged["ref"]) is not int:
        raise wire.WireError("a handle must carry an integer id")
    return RemoteRef(
        {"ref": tagged["ref"]},
        str(tagged.get("type", "object"))[:80],
        tagged.get("callable") is True,
    )


def _encode_arg(value: Any) -> dict:
    """Arguments sent to the student: plain data, handles, or library functions by name."""
    if isinstance(value, RemoteRef):
        return dict(value._target)
    module = getattr(value, "__module__", None) or ""
    name = getattr(value, "__name__", None)
    if callable(value) and name and module.split(".")[0] in ("numpy", "math", "torch", "mlcourse"):
        return {"import": f"{module}:{name}"}
    if callable(value):  # a function of the test: the student's code calls it back
        _CALLBACKS.append(value)
        return {"callback": len(_CALLBACKS) - 1}
    raise wire.WireError(f"a {type(value).__name__} cannot be sent to the student's code")


def _client() -> _Remote:
    client = _STATE["client"]
    if client is None:
        raise StudentError("the judge is not connected to a student kernel")
    return client


class RemoteRef:
    """A stand-in for an object that lives in the student's kernel.

    Calling it, reading a public attribute, indexing, ``len``, iteration and conversion to
    an array or a number are sent to the student's kernel; what comes back is plain data or
    another ``RemoteRef``. Names starting with ``_`` are never forwarded.
    """

    __mlgrade_remote__ = True

    def __init__(self, target: dict, type_name: str, is_callable: bool, name: str | None = None):
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_type_name", type_name)
        object.__setattr__(self, "_callable", is_callable)
        object.__setattr__(self, "__mlgrade_name__", name)
        object.__setattr__(self, "__name__", name or type_name)

    def _op(self, op: str, **extra: Any) -> Any:
        return _client().request({"op": op, "target": self._target, **extra})

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        encoded_args = wire.encode(list(args), _encode_arg)
        encoded_kwargs = wire.encode(dict(kwargs), _encode_arg)
        return self._op("call", args=encoded_args, kwargs=encoded_kwargs, errstate=_errstate())

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):
            raise AttributeError(attr)
        return self._op("getattr", attr=attr)

    def __setattr__(self, attr: str, value: Any) -> None:
        raise AttributeError("the judge does not change the student's objects")

    def __getitem__(self, key: Any) -> Any:
        return self._op("getitem", key=wire.encode(key, _encode_arg))

    def __len__(self) -> int:
        n = self._op("len")
        if type(n) is not int:
            raise StudentError("len() of the student's object is not an int")
        return n

    def __iter__(self):
        items = self._op("iter")
        if not isinstance(items, list):
            raise StudentError("iterating the student's object gave no list")
        return iter(items)

    def __bool__(self) -> bool:
        return self._op("bool") is True

    def __array__(self, dtype=None, copy=None):
        import numpy as np

        value = self.__mlgrade_fetch__()
        return np.asarray(value, dtype=dtype)

    def __float__(self) -> float:
        value = self.__mlgrade_fetch__()
        return float(value)

    def __repr__(self) -> str:
        name = self.__mlgrade_name__
        return f"<student {self._type_name}{' ' + name if name else ''}>"

    def __mlgrade_fetch__(self) -> Any:
        """The object's value as plain data (an array, or a float)."""
        value = self._op("value")
        if isinstance(value, RemoteRef):
            raise StudentError("the student's object has no numeric value")
        return value

    def __mlgrade_call_keeping_args__(self, *args: Any, **kwargs: Any) -> tuple:
        """``(result, args, kwargs)`` as they are after the call, in the student's kernel."""
        answer = self._op(
            "call_keeping_args",
            args=wire.encode(list(args), _encode_arg),
            kwargs=wire.encode(dict(kwargs), _encode_arg),
            errstate=_errstate(),
        )
        if not (isinstance(answer, list) and len(answer) == 3):
            raise StudentError("the student's kernel gave no readable answer")
        return answer[0], answer[1], answer[2]

    def __mlgrade_mro__(self) -> list[str]:
        """``module.qualname`` of each class in the object's (or class's) MRO."""
        names = self._op("mro")
        if not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
            raise StudentError("the student's object has no readable class")
        return names


def is_remote(value: Any) -> bool:
    """Whether ``value`` is a judge-side stand-in for a student object."""
    return getattr(type(value), "__mlgrade_remote__", False) is True


def student_cells() -> list[tuple[str, bool]]:
    """The code cells that ran in the student's kernel so far: ``(source, locked)``."""
    return list(_STATE["cells"])


def connect(connection_file: str, timeout: float = 60.0) -> None:
    """Connect the judge to the student's kernel (called once per notebook)."""
    _STATE["client"] = _Remote(connection_file, timeout)
    _STATE["timeout"] = timeout
    _STATE["gone"] = None
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:
        shell.set_custom_exc((Exception,), _short_traceback)
        shell._format_exception_for_storage = _stored_exception
        shell.events.register("post_execute", _end_session)


def _end_session() -> None:
    """After every judge cell: the student's kernel is left idle (see :class:`_Remote`)."""
    client = _STATE["client"]
    if client is not None:
        client.close()


def short_traceback(etype, value, tb, cell_names: dict) -> list[str]:
    """A failed test as its reader needs it: the message first, then where in the test
    cells it happened (``Cell In[n], line k``), and for an error that is not a failed
    check, the place where it was raised.

    No line of a test's source is shown: a hidden test's code must not reach any output.
    ``cell_names`` maps the file names IPython gives cells to their execution numbers.
    """
    import traceback

    message = str(value).strip()
    lines = [f"{etype.__name__}: {message}" if message else etype.__name__]
    frames = traceback.extract_tb(tb)
    for frame in frames:
        if frame.filename in cell_names:
            lines.append(f"Cell In[{cell_names[frame.filename]}], line {frame.lineno}")
    checked = etype.__name__ in ("CheckFailure", "AssertionError") or issubclass(
        etype, StudentError
    )
    if frames and not checked and frames[-1].filename not in cell_names:
        last = frames[-1]
        lines.append(f"raised in {last.filename}, line {last.lineno}, in {last.name}")
    return lines


def _short_traceback(shell, etype, value, tb, tb_offset=None):
    """IPython's handler of the judge's exceptions: :func:`short_traceback`, shown.

    IPython's own traceback reads the source of every frame and colours it, about a fifth
    of a second per failed test; a class with many failures pays that for every one.
    """
    names = getattr(shell.compile, "_filename_map", {})
    stb = short_traceback(etype, value, tb, names)
    shell._showtraceback(etype, value, stb)
    return stb


def _stored_exception(exception, filename=None, running_compiled_code=False) -> dict:
    """What IPython keeps in its history of a judge cell's exception: the short traceback.

    IPython formats every exception of a stored cell a second time, verbosely, for its
    history (the judge never reads it): as costly as showing it would be.
    """
    return {
        "ename": type(exception).__name__,
        "evalue": str(exception),
        "traceback": short_traceback(type(exception), exception, exception.__traceback__, {}),
    }


def student_gone(reason: str) -> None:
    """The student's kernel stopped: later calls fail at once with ``reason``."""
    _STATE["gone"] = reason


def own(names: list[str]) -> None:
    """Names a judge cell assigned: from now on the judge's own, never the student's."""
    _BOUND.difference_update(names)


def bind(namespace: dict, names: list[str], cells: list[tuple[str, bool]]) -> None:
    """Bind the names a test cell reads that the student's namespace defines.

    Names the judge defined itself (imports and data of the locked cells, earlier test
    cells) are kept, except those it took from the student before, which are read again.
    Builtins are never taken from the student.
    """
    _STATE["cells"] = [(str(s), bool(locked)) for s, locked in cells]
    wanted = [
        n
        for n in dict.fromkeys(names)
        if (n not in namespace or n in _BOUND) and not hasattr(builtins, n)
    ]
    if not wanted:
        return
    if _STATE["gone"]:
        # Every use of the student's names now says why it cannot answer.
        for name in wanted:
            namespace[name] = RemoteRef({"name": name}, "object", True, name)
            _BOUND.add(name)
        return
    found = _client().request({"op": "lookup", "names": wanted})
    if not isinstance(found, dict):
        raise StudentError("the student's kernel gave no readable answer")
    for name in wanted:
        if name in found:
            value = found[name]
            if isinstance(value, RemoteRef):
                value = RemoteRef({"name": name}, value._type_name, value._callable, name)
            namespace[name] = value
            _BOUND.add(name)
        elif name in _BOUND:
            namespace.pop(name, None)
