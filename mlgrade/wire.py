"""Plain data across the line between the judge and a student kernel.

The judge (trusted) and the student's kernel (sandboxed, hostile) exchange values only in
this form: JSON whose objects carry one tag each. What can cross:

==========================  ==============================================================
value                       encoded as
==========================  ==============================================================
``None``, bool, int, float  JSON literals (NaN and infinities as JSON's extensions)
str                         a JSON string
complex                     ``{"complex": [re, im]}``
list, tuple                 ``{"list": [...]}``, ``{"tuple": [...]}``
dict                        ``{"dict": [[key, value], ...]}`` (keys encoded too)
NumPy array or scalar       ``{"ndarray": base64 of .npy}``, ``{"npscalar": ...}``; read back
                            with ``allow_pickle=False``, numeric and bool dtypes only
torch tensor                ``{"tensor": base64 of .npy, "grad": bool, "graph": bool}``
                            (``graph``: it came out of autograd, so it has a ``grad_fn``)
anything else               ``{"ref": id, "type": name, "callable": bool}``: a handle that
                            stays in the kernel that made it
a library function          ``{"import": "module:name"}`` (judge to student only)
a student's name            ``{"name": name}`` (judge to student only)
a function of the judge's   ``{"callback": id}`` (judge to student only): the student's side
                            calls it back through the kernel's input channel
==========================  ==============================================================

Decoding never calls a constructor chosen by the other side and never unpickles; sizes and
depth are bounded (:data:`LIMITS`). A value that breaks a rule raises :class:`WireError`.
"""

from __future__ import annotations

import base64
import io
import json
import math
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

__all__ = ["LIMITS", "WireError", "decode", "dumps", "encode", "loads"]

LIMITS = {
    "depth": 32,  # nesting of lists, tuples and dicts
    "items": 1_000_000,  # list/tuple/dict entries in one message
    "array_bytes": 256 * 2**20,  # all arrays of one message together
    "text": 64 * 2**20,  # length of one JSON message
}
_KINDS = "biufc"  # numeric and bool dtypes


class WireError(ValueError):
    """A value that cannot cross, or a message that breaks the format."""


def _npy(array) -> str:
    import numpy as np

    buffer = io.BytesIO()
    np.save(buffer, np.array(array, copy=True, order="C"), allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _from_npy(text: object, budget: dict) -> Any:
    import numpy as np

    if not isinstance(text, str):
        raise WireError("an array must be a base64 string")
    raw = base64.b64decode(text.encode("ascii"), validate=True)
    budget["array_bytes"] -= len(raw)
    if budget["array_bytes"] < 0:
        raise WireError(f"arrays larger than {LIMITS['array_bytes']} bytes in one message")
    array = np.load(io.BytesIO(raw), allow_pickle=False)
    if not isinstance(array, np.ndarray) or array.dtype.kind not in _KINDS:
        raise WireError("only arrays of numbers or bools can cross")
    return array


def encode(value: Any, ref: Callable[[Any], dict] | None = None, _depth: int = 0) -> Any:
    """The JSON-able form of ``value``; ``ref(value)`` encodes what is not plain data.

    Without ``ref``, a value that is not plain data raises :class:`WireError`.
    """
    if _depth > LIMITS["depth"]:
        raise WireError(f"nested deeper than {LIMITS['depth']} levels")
    kind = type(value)
    if value is None or kind in (bool, int, str):
        return value
    if kind is float:
        return value
    if kind is complex:
        return {"complex": [value.real, value.imag]}
    if kind in (list, tuple):
        items = [encode(v, ref, _depth + 1) for v in value]
        return {"list": items} if kind is list else {"tuple": items}
    if kind is dict or kind is OrderedDict:
        return {
            "dict": [
                [encode(k, ref, _depth + 1), encode(v, ref, _depth + 1)] for k, v in value.items()
            ]
        }
    module = (getattr(kind, "__module__", "") or "").split(".")[0]
    if module == "numpy":
        import numpy as np

        if isinstance(value, np.ndarray) and kind is np.ndarray and value.dtype.kind in _KINDS:
            return {"ndarray": _npy(value)}
        if isinstance(value, np.generic) and value.dtype.kind in _KINDS:
            return {"npscalar": _npy(np.asarray(value))}
    if module == "torch" and kind.__name__ in ("Tensor", "Parameter"):
        array = value.detach().cpu().numpy()
        if array.dtype.kind in _KINDS:
            graph = value.grad_fn is not None
            return {"tensor": _npy(array), "grad": bool(value.requires_grad), "graph": graph}
    if ref is None:
        raise WireError(f"a {kind.__name__} is not plain data")
    return ref(value)


def decode(
    obj: Any,
    ref: Callable[[dict], Any] | None = None,
    _budget: dict | None = None,
    _depth: int = 0,
) -> Any:
    """The value of an encoded object; ``ref(tagged)`` turns a handle into a local stand-in."""
    budget = (
        _budget
        if _budget is not None
        else {"items": LIMITS["items"], "array_bytes": LIMITS["array_bytes"]}
    )
    if _depth > LIMITS["depth"]:
        raise WireError(f"nested deeper than {LIMITS['depth']} levels")
    kind = type(obj)
    if obj is None or kind in (bool, int, str):
        return obj
    if kind is float:
        return obj
    if kind is not dict or len(obj) not in (1, 2, 3, 4):
        raise WireError(f"unexpected {kind.__name__} in a message")
    tag = next(iter(obj))
    body = obj[tag]
    if tag in ("list", "tuple"):
        if not isinstance(body, list):
            raise WireError(f"{tag} must hold a JSON array")
        budget["items"] -= len(body)
        if budget["items"] < 0:
            raise WireError(f"more than {LIMITS['items']} items in one message")
        items = [decode(v, ref, budget, _depth + 1) for v in body]
        return items if tag == "list" else tuple(items)
    if tag == "dict":
        if not isinstance(body, list) or not all(
            isinstance(p, list) and len(p) == 2 for p in body
        ):
            raise WireError("dict must hold [key, value] pairs")
        budget["items"] -= len(body)
        if budget["items"] < 0:
            raise WireError(f"more than {LIMITS['items']} items in one message")
        out = {}
        for key, value in body:
            key = decode(key, ref, budget, _depth + 1)
            try:
                hash(key)
            except TypeError:
                raise WireError("a dict key must be hashable") from None
            out[key] = decode(value, ref, budget, _depth + 1)
        return out
    if tag == "complex":
        if not (
            isinstance(body, list)
            and len(body) == 2
            and all(type(x) in (int, float) for x in body)
        ):
            raise WireError("complex must be [re, im]")
        return complex(body[0], body[1])
    if tag == "ndarray":
        return _from_npy(body, budget)
    if tag == "npscalar":
        array = _from_npy(body, budget)
        if array.ndim != 0:
            raise WireError("a NumPy scalar must be a 0-d array")
        return array[()]
    if tag == "tensor":
        array = _from_npy(body, budget)
        try:
            import torch
        except ImportError:  # a judge without torch compares the values as arrays
            return array
        tensor = torch.from_numpy(array.copy())
        if obj.get("grad") is True and tensor.dtype.is_floating_point:
            tensor.requires_grad_(True)
            if obj.get("graph") is True:  # computed by autograd on the other side
                tensor = tensor.clone()
        return tensor
    if tag in ("ref", "import", "name", "callback") and ref is not None:
        return ref(obj)
    raise WireError(f"unknown tag {str(tag)[:40]!r}")


def dumps(value: Any, ref: Callable[[Any], dict] | None = None) -> str:
    """``encode`` then JSON text."""
    return json.dumps(encode(value, ref), allow_nan=True, separators=(",", ":"))


def loads(text: str, ref: Callable[[dict], Any] | None = None) -> Any:
    """JSON text (at most ``LIMITS["text"]`` characters) then ``decode``."""
    if not isinstance(text, str) or len(text) > LIMITS["text"]:
        raise WireError(f"a message must be text of at most {LIMITS['text']} characters")
    try:
        obj = json.loads(text, parse_constant=_constant)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise WireError(f"not a valid message ({type(exc).__name__})") from None
    return decode(obj, ref)


def _constant(name: str) -> float:
    return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[name]
