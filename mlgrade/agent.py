"""The student kernel's side of the judge: answer requests with plain data.

The judge's first request in one of its cells starts :func:`serve` here (one
``execute_request``); from then on every request is the reply to this kernel's last
``input()`` prompt and every answer the prompt of the next one (:data:`SERVE`), until the
judge replies with an empty line at the end of its cell. A request names a target (a name
in the student's namespace, or a handle made earlier) and an operation; the answer holds
the result in the form of :mod:`mlgrade.wire`, so a student's object never leaves this
kernel: it stays in a table here and the judge receives a handle.

Everything in this module runs in the student's interpreter, which the student controls:
nothing here is trusted, and nothing the judge decides depends on it behaving. A student
who rewrites it can only change the data the judge receives, which is what any answer
does.
"""

from __future__ import annotations

import importlib
import traceback
from typing import Any

from . import wire

__all__ = ["CALLBACK", "SERVE", "answer", "serve"]

SERVE = "mlgrade-serve:"  # prefix of the input() prompt that carries an answer
CALLBACK = "mlgrade-callback:"  # prefix of an input() prompt that calls back into the judge
_HANDLES: dict[int, Any] = {}


def _namespace() -> dict:
    from IPython import get_ipython

    shell = get_ipython()
    return shell.user_ns if shell is not None else {}


def _make_ref(value: Any) -> dict:
    key = len(_HANDLES) + 1
    _HANDLES[key] = value
    return {"ref": key, "type": type(value).__name__, "callable": callable(value)}


class _Callback:
    """A function of the judge's (a test passed it as an argument): calling it asks the
    judge to run it on the arguments, as data, through the kernel's input channel."""

    def __init__(self, key: int):
        self.key = key

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        import json

        request = {"callback": self.key, "args": wire.encode(list(args), _make_ref)}
        request["kwargs"] = wire.encode(dict(kwargs), _make_ref)
        answer = json.loads(input(CALLBACK + json.dumps(request, allow_nan=True)))
        if "raised" in answer:
            raise RuntimeError(f"the test's function raised {answer['raised']}")
        return wire.decode(answer["ok"], _resolve)


def _resolve(tagged: dict) -> Any:
    if "callback" in tagged:
        return _Callback(int(tagged["callback"]))
    if "ref" in tagged:
        return _HANDLES[tagged["ref"]]
    if "name" in tagged:
        return _namespace()[tagged["name"]]
    module, _, name = str(tagged["import"]).partition(":")
    return getattr(importlib.import_module(module), name)


def _target(request: dict) -> Any:
    target = request["target"]
    if "name" in target:
        return _namespace()[target["name"]]
    return _HANDLES[target["ref"]]


def _mro(value: Any) -> list[str]:
    cls = value if isinstance(value, type) else type(value)
    return [f"{c.__module__}.{c.__qualname__}" for c in cls.__mro__]


def _value(value: Any) -> Any:
    """A plain version of an object: as an array, else as a float."""
    import numpy as np

    try:
        array = np.asarray(value)
        if array.dtype.kind in "biufc":
            return np.array(array, copy=True)
    except Exception:
        pass
    return float(value)


def _lookup(names: list[str]) -> dict:
    space, found = _namespace(), {}
    for name in names:
        if name in space and not name.startswith("__mlgrade"):
            found[name] = space[name]
    return found


_WARNINGS: list[dict] = []  # warnings of the current call, sent back with its answer


def _as_the_judge_asks(request: dict, call) -> Any:
    """Run ``call`` under the judge's NumPy error state, recording the warnings it emits."""
    import warnings

    import numpy as np

    modes = ("ignore", "warn", "raise", "print")
    errstate = {k: v for k, v in (request.get("errstate") or {}).items() if v in modes}
    with warnings.catch_warnings(record=True) as caught, np.errstate(**errstate):
        warnings.simplefilter("always")
        result = call()
    for w in caught[:20]:
        _WARNINGS.append({"category": w.category.__name__, "message": str(w.message)[:500]})
    return result


def _run(request: dict) -> Any:
    op = request["op"]
    if op == "lookup":
        return _lookup(request["names"])
    value = _target(request)
    if op == "call":
        args = wire.decode(request["args"], _resolve)
        kwargs = wire.decode(request["kwargs"], _resolve)
        return _as_the_judge_asks(request, lambda: value(*args, **kwargs))
    if op == "call_keeping_args":
        args = wire.decode(request["args"], _resolve)
        kwargs = wire.decode(request["kwargs"], _resolve)
        return [_as_the_judge_asks(request, lambda: value(*args, **kwargs)), args, kwargs]
    if op == "getattr":
        return getattr(value, request["attr"])
    if op == "getitem":
        return value[wire.decode(request["key"], _resolve)]
    if op == "len":
        return len(value)
    if op == "iter":
        return list(value)
    if op == "bool":
        return bool(value)
    if op == "repr":
        return repr(value)[:2000]
    if op == "value":
        return _value(value)
    if op == "mro":
        return _mro(value)
    if op == "source_name":
        return getattr(value, "__name__", None)
    raise ValueError(f"unknown request {op!r}")


def answer(text: str) -> str:
    """The answer to one request of the judge, as JSON text: ``{"ok": ...}`` or
    ``{"raised": ...}`` (what the student's code raised), with the warnings it emitted."""
    import json

    _WARNINGS.clear()
    try:
        result = {"ok": wire.encode(_run(json.loads(text)), _make_ref)}
    except BaseException as exc:  # the student's code raised: tell the judge what and where
        lines = traceback.format_exception_only(type(exc), exc)
        result = {"raised": {"type": type(exc).__name__, "message": "".join(lines)[-2000:]}}
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            result["raised"]["fatal"] = True
    if _WARNINGS:
        result["warnings"] = list(_WARNINGS)
    return json.dumps(result, allow_nan=True)


def serve() -> None:
    """Answer the judge's requests until it sends an empty one.

    Each answer is the prompt of the next ``input()`` (after :data:`SERVE`), and each
    request the judge's reply to it: two messages a request, where a whole execution per
    request costs several and IPython's work on each cell.
    """
    prompt = SERVE  # the first prompt carries no answer: ready
    while text := input(prompt):
        prompt = SERVE + answer(text)
