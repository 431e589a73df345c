"""Test-cell helpers for the PyTorch assignment (a7): checks on modules and on how code is written.

:mod:`mlgrade.checks` judges values; this module adds what only a PyTorch exercise needs,
and keeps every look at a student's *object* (its class, its layers, the module a name
comes from) out of the test cells, which call the student's code with plain data and
tensors only:

* :func:`build_module` constructs a student's ``nn.Module`` subclass and turns the usual
  slips (not a subclass, ``super().__init__()`` forgotten) into one-line messages;
* :func:`load_two_layer_params` copies weights in the course's layout (``W: (D, K)``) into
  the ``hidden`` and ``output`` ``nn.Linear`` layers of such a module, checking their shapes
  and biases on the way;
* :func:`head_loss` evaluates a (last layers, loss) pair on given hidden activations;
* :func:`assert_float64` and :func:`assert_differentiable` check a returned tensor;
* :func:`assert_uses` checks that a function refers to a given object (``"torch.optim.SGD"``).

Every failure is an ``AssertionError`` with a message that names what is wrong and where.
torch is imported lazily, so importing this module is cheap.
"""

from __future__ import annotations

import dis
import inspect
import sys
import types
from collections.abc import Iterator

import numpy as np

__all__ = [
    "assert_differentiable",
    "assert_float64",
    "assert_module_class",
    "assert_uses",
    "build_module",
    "head_loss",
    "load_two_layer_params",
]


def _torch():
    import torch

    return torch


# In the judge (mlgrade.judge) a student's class or module is a proxy: the checks below
# look at it through its class names, its public attributes and calls, never inside it.
def _remote(value: object) -> bool:
    return getattr(type(value), "__mlgrade_remote__", False) is True


def _is(value: object, kind: type) -> bool:
    """``isinstance(value, kind)``, also for a proxy of a student's object."""
    if _remote(value):
        return f"{kind.__module__}.{kind.__qualname__}" in value.__mlgrade_mro__()
    return isinstance(value, kind)


def _set(layer: object, weight, bias) -> None:
    """Copy ``weight`` and ``bias`` into an ``nn.Linear`` (a proxy's through load_state_dict)."""
    torch = _torch()
    if _remote(layer):
        layer.load_state_dict({"weight": weight, "bias": bias})
        return
    with torch.no_grad():
        layer.weight.copy_(weight.to(layer.weight.dtype))
        layer.bias.copy_(bias.to(layer.bias.dtype))


# --------------------------------------------------------------------------- modules
def assert_module_class(cls: object, name: str) -> None:
    """Fail unless ``cls`` is a class derived from ``torch.nn.Module``."""
    __tracebackhide__ = True  # IPython leaves this frame out of tracebacks
    nn = _torch().nn
    if _remote(cls):
        if getattr(cls, "_type_name", "") not in ("type", "ABCMeta") or not _is(cls, nn.Module):
            raise AssertionError(
                f"{name} must be a subclass of nn.Module: class {name}(nn.Module)"
            )
        return
    if not inspect.isclass(cls):
        raise AssertionError(f"{name} must be a class, got a {type(cls).__name__}")
    if not issubclass(cls, nn.Module):
        raise AssertionError(f"{name} must be a subclass of nn.Module: class {name}(nn.Module)")


def build_module(cls: object, name: str, *args: object) -> object:
    """``cls(*args)``, checked to be an ``nn.Module`` that called ``super().__init__()``."""
    __tracebackhide__ = True  # IPython leaves this frame out of tracebacks
    nn = _torch().nn
    assert_module_class(cls, name)
    try:
        module = cls(*args)
    except AttributeError as exc:
        if "__init__() call" in str(exc):
            raise AssertionError(f"{name}: call super().__init__() first in __init__") from None
        raise
    if _remote(module):
        if not _is(module, nn.Module):
            raise AssertionError(f"{name}{args} is not an nn.Module")
        return module
    if "_modules" not in vars(module):
        raise AssertionError(f"{name}: call super().__init__() first in __init__")
    if not isinstance(module, nn.Module):  # pragma: no cover - __new__ tricks
        raise AssertionError(f"{name}{args} is not an nn.Module")
    return module


def _linear(module: object, attr: str, where: str, n_in: int, n_out: int):
    __tracebackhide__ = True  # IPython leaves this frame out of tracebacks
    nn = _torch().nn
    layer = getattr(module, attr, None)
    if layer is None or not _is(layer, nn.Linear):
        got = "nothing" if layer is None else type(layer).__name__
        raise AssertionError(f"{where}.{attr} must be an nn.Linear, got {got}")
    want = (n_out, n_in)
    if tuple(layer.weight.shape) != want:
        raise AssertionError(
            f"{where}.{attr}: weight {tuple(layer.weight.shape)}, expected {want}: "
            f"nn.Linear({n_in}, {n_out})"
        )
    if layer.bias is None:
        raise AssertionError(f"{where}.{attr} has no bias (bias=False?)")
    return layer


def load_two_layer_params(module: object, params: list, where: str = "TwoLayerNet") -> None:
    """Copy ``[W1, b1, W2, b2]`` (course layout, ``W1: (D, K)``) into ``hidden`` and ``output``.

    ``nn.Linear`` stores its weight as (outputs, inputs), so ``hidden.weight`` receives
    ``W1.T``. The layers must exist, be ``nn.Linear`` with biases and have the right shapes;
    the module must have no parameters besides these four.
    """
    __tracebackhide__ = True  # IPython leaves this frame out of tracebacks
    torch = _torch()
    W1, b1, W2, b2 = (np.asarray(p, dtype=float) for p in params)
    (D, K), C = W1.shape, W2.shape[1]
    hidden = _linear(module, "hidden", where, D, K)
    output = _linear(module, "output", where, K, C)
    count = sum(p.numel() for p in module.parameters())
    if count != W1.size + b1.size + W2.size + b2.size:
        raise AssertionError(
            f"{where} has {count} parameters; expected "
            f"{W1.size + b1.size + W2.size + b2.size} (hidden and output only)"
        )
    for layer, W, b in ((hidden, W1, b1), (output, W2, b2)):
        _set(layer, torch.as_tensor(W.T.copy()), torch.as_tensor(b))


def head_loss(pair: object, label: str, weight, bias, H, target) -> tuple[np.ndarray, float]:
    """Evaluate a (last layers, loss) pair: ``loss(head(H), target)``.

    The head must hold exactly one ``nn.Linear``; it receives ``weight`` (outputs, inputs)
    and ``bias``. ``label`` names the pair in messages (``"binary head"``). Returns
    (``head(H)`` as a NumPy array, the loss as a float).
    """
    __tracebackhide__ = True  # IPython leaves this frame out of tracebacks
    torch = _torch()
    nn = torch.nn
    if not (isinstance(pair, tuple) and len(pair) == 2):
        raise AssertionError(f"{label}: make_head must return a tuple (last layers, loss)")
    head, loss_fn = pair
    for part, what in ((head, "the last layers"), (loss_fn, "the loss")):
        if not _is(part, nn.Module):
            raise AssertionError(
                f"{label}: {what} must be an nn.Module, not {type(part).__name__}"
            )
    linears = [m for m in head.modules() if _is(m, nn.Linear)]
    if len(linears) != 1:
        raise AssertionError(f"{label}: the last layers hold {len(linears)} nn.Linear; expected 1")
    layer = linears[0]
    weight = torch.as_tensor(np.asarray(weight, dtype=float))
    if tuple(layer.weight.shape) != tuple(weight.shape):
        out, n_in = layer.weight.shape
        raise AssertionError(
            f"{label}: nn.Linear({n_in}, {out}); expected nn.Linear({weight.shape[1]}, "
            f"{weight.shape[0]})"
        )
    if layer.bias is None:
        raise AssertionError(f"{label}: the nn.Linear has no bias (bias=False?)")
    with torch.no_grad():
        _set(layer, weight, torch.as_tensor(np.asarray(bias, dtype=float)))
        out = head(H)
        try:
            value = loss_fn(out, target)
        except (RuntimeError, ValueError, IndexError, TypeError) as exc:
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise AssertionError(
                f"{label}: the loss raised {type(exc).__name__} on the output\n{detail}"
            ) from None
    if not (isinstance(value, torch.Tensor) and value.numel() == 1):
        raise AssertionError(f"{label}: the loss must give one number (reduction='mean')")
    return out.detach().cpu().numpy().copy(), float(value)


# --------------------------------------------------------------------------- tensors
def assert_float64(value: object, name: str) -> None:
    """Fail unless ``value`` (tensor or array) holds float64 numbers."""
    __tracebackhide__ = True  # IPython leaves this frame out of tracebacks
    dtype = getattr(value, "dtype", None)
    if str(dtype) not in ("torch.float64", "float64"):
        raise AssertionError(f"{name} is {dtype}; compute in float64 (torch.float64)")


def assert_differentiable(value: object, name: str) -> None:
    """Fail unless ``value`` is a tensor autograd can differentiate (it has a ``grad_fn``)."""
    __tracebackhide__ = True  # IPython leaves this frame out of tracebacks
    torch = _torch()
    if not isinstance(value, torch.Tensor):
        raise AssertionError(f"{name} must be a torch tensor, got {type(value).__name__}")
    if value.grad_fn is None:
        raise AssertionError(f"{name} has no grad_fn: use torch operations, not NumPy")


# --------------------------------------------------------------------------- how code is written
def _code_objects(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def _functions(func: object, home: str, seen: set[int]) -> Iterator[types.FunctionType]:
    """``func`` and every function or class method of ``home`` it names, recursively."""
    func = getattr(inspect.unwrap(func), "__func__", func)
    if id(func) in seen:
        return
    seen.add(id(func))
    if inspect.isclass(func):
        for member in vars(func).values():
            yield from _functions(getattr(member, "__func__", member), home, seen)
        return
    if not isinstance(func, types.FunctionType):
        return
    yield func
    for code in _code_objects(func.__code__):
        for name in code.co_names:
            obj = func.__globals__.get(name)
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == home:
                yield from _functions(obj, home, seen)


def _resolve(func: types.FunctionType, name: str) -> object:
    if name in func.__globals__:
        return func.__globals__[name]
    return sys.modules.get(name)  # a module imported inside the function


def _uses(func: types.FunctionType, target: object) -> bool:
    for code in _code_objects(func.__code__):
        ops = [i for i in dis.get_instructions(code) if i.opname not in ("CACHE", "PRECALL")]
        for i, ins in enumerate(ops):
            if ins.opname == "IMPORT_FROM":
                module = next(
                    (o.argval for o in reversed(ops[:i]) if o.opname == "IMPORT_NAME"), ""
                )
                if getattr(sys.modules.get(module), ins.argval, None) is target:
                    return True
            if ins.opname not in ("LOAD_GLOBAL", "LOAD_NAME", "LOAD_FAST", "LOAD_DEREF"):
                continue
            obj = _resolve(func, ins.argval)
            j = i + 1
            while (
                obj is not target
                and j < len(ops)
                and ops[j].opname in ("LOAD_ATTR", "LOAD_METHOD")
            ):
                obj = getattr(obj, ops[j].argval, None)
                j += 1
            if obj is target and obj is not None:
                return True
    return False


def _import(dotted: str) -> object:
    import importlib

    module, _, attr = dotted.rpartition(".")
    return getattr(importlib.import_module(module), attr)


def assert_uses(func: object, dotted: str) -> None:
    """Fail unless ``func`` (or a notebook function it calls) refers to the object ``dotted``.

    ``dotted`` is a full name such as ``"torch.optim.SGD"`` (a string, so that a test cell
    passes plain data). Names are resolved the way Python resolves them:
    ``torch.optim.SGD``, ``optim.SGD`` after ``from torch import optim``, ``SGD`` after
    ``from torch.optim import SGD`` all count.
    """
    __tracebackhide__ = True  # IPython leaves this frame out of tracebacks
    if not callable(func):
        raise AssertionError(f"expected a function, got {type(func).__name__}")
    target = _import(dotted)
    name = getattr(func, "__name__", type(func).__name__)
    if _remote(func):
        from .judge import student_cells
        from .scratch import uses_dotted

        full = f"{getattr(target, '__module__', '')}.{getattr(target, '__qualname__', '')}"
        if not uses_dotted(student_cells(), func.__mlgrade_name__ or name, {dotted, full}):
            raise AssertionError(f"{name} must use {dotted}")
        return
    home = getattr(inspect.unwrap(func), "__module__", None) or "__main__"
    if not any(_uses(f, target) for f in _functions(func, home, set())):
        raise AssertionError(f"{name} must use {dotted}")
