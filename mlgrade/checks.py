"""Fair-judging helpers for the test cells of the course's nbgrader exercises.

Every public and hidden test cell goes through these helpers, so that

* a student's result is converted into a plain ``float`` or a fresh ``numpy.ndarray`` of a
  numeric dtype before anything is compared (an object whose ``__eq__`` always returns
  ``True`` cannot pass, and the student's array is never modified by a test);
* tolerances are explicit and failure messages say how far off an answer is, with the
  shape that was expected, but never the hidden expected values;
* random test inputs are seeded by (student, assignment, tag), so that re-running the
  grader gives the same verdict, and the seed is printed when a check fails;
* a function that must be written from scratch is checked not to call the course's
  reference implementation (``mlcourse``), ``torch.nn``, ``torch.autograd`` or scikit-learn;
* a correct answer that emits a warning is not scored 0 (nbgrader gives 0 to a test cell
  that writes anything to stderr): :func:`warnings_as_feedback` prints warnings to stdout.

Failures raise ``AssertionError``: nbgrader scores a test cell 0 when it raises.
"""

from __future__ import annotations

import contextlib
import dis
import functools
import hashlib
import inspect
import os
import sys
import types
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np

__all__ = [
    "FORBIDDEN",
    "as_array",
    "as_float",
    "assert_close",
    "assert_from_scratch",
    "assert_true",
    "grading_context",
    "rng_for",
    "seed_for",
    "warnings_as_feedback",
]

FORBIDDEN = ("mlcourse", "torch.nn", "torch.autograd", "sklearn")

# Comparison and conversion hooks an answer object could use to fool a test.
_HOOKS = ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__", "__abs__")
# Libraries whose number and array types are converted by value (never compared as objects).
_TRUSTED = ("builtins", "numpy", "torch", "sympy", "fractions", "decimal")

# Seeds handed out by rng_for: (IPython execution count or None, tag, seed).
_SEEDS: list[tuple[int | None, str, int]] = []


# --------------------------------------------------------------------------- conversion
def _is_trusted(cls: type) -> bool:
    module = getattr(cls, "__module__", "") or ""
    return module.split(".")[0] in _TRUSTED


def _overriding_class(value: object) -> type | None:
    """The first user-defined class in ``type(value)``'s MRO that redefines a comparison."""
    for cls in type(value).__mro__:
        if _is_trusted(cls):
            return None
        if any(hook in vars(cls) for hook in _HOOKS):
            return cls
    return None


def _to_numpy(value: object, name: str) -> np.ndarray:
    """A fresh ndarray of a numeric (or bool) dtype holding the value of ``value``."""
    if isinstance(value, (bool, np.bool_)):
        raise AssertionError(f"{name}: expected a number, got the bool {value!r}")
    cls = _overriding_class(value)
    if cls is not None:
        raise AssertionError(
            f"{name}: got an object of type {type(value).__name__} whose class "
            f"{cls.__name__} redefines comparison; return a plain number or NumPy array"
        )
    module = type(value).__module__ or ""
    if module.split(".")[0] == "torch" and hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    if isinstance(value, (list, tuple)):
        for item in _flatten(value):
            if _overriding_class(item) is not None:
                raise AssertionError(
                    f"{name}: contains an object of type {type(item).__name__} that "
                    "redefines comparison; use plain numbers"
                )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            array = np.array(value, copy=True, subok=False)
    except Exception as exc:  # anything numpy cannot read is a wrong answer, not a crash
        raise AssertionError(
            f"{name}: could not read a {type(value).__name__} as numbers ({type(exc).__name__})"
        ) from None
    if array.dtype.kind not in "biuf":
        raise AssertionError(
            f"{name}: expected numbers, got {type(value).__name__} "
            f"(as an array its dtype is {array.dtype})"
        )
    return array


def _flatten(items: list | tuple) -> Iterator[object]:
    for item in items:
        if isinstance(item, (list, tuple)):
            yield from _flatten(item)
        else:
            yield item


def as_float(value: object, name: str, *, finite: bool = True) -> float:
    """Convert a student's scalar answer into a plain Python ``float``.

    Parameters
    ----------
    value : object
        An int, float, NumPy scalar, or an array or list holding exactly one number.
    name : str
        What the value is, used in every failure message.
    finite : bool, default True
        Reject NaN and infinities with a clear message. Pass ``False`` where an infinite
        answer is legitimate (an infinite loss, for instance); NaN is always rejected.

    Returns
    -------
    float
        A new built-in float: never the student's object.

    Raises
    ------
    AssertionError
        For a bool, a non-numeric value, an object that redefines comparison, more than
        one number, NaN, or (with ``finite=True``) an infinity.
    """
    array = _to_numpy(value, name)
    if array.size != 1:
        raise AssertionError(f"{name}: expected a single number, got shape {array.shape}")
    result = float(array.reshape(-1)[0])
    if np.isnan(result):
        raise AssertionError(f"{name}: is nan (not a number); look for 0 * inf or 0 / 0")
    if finite and np.isinf(result):
        raise AssertionError(f"{name}: is {result}, expected a finite number")
    return result


def _format_shape(shape: tuple) -> str:
    return (
        "("
        + ", ".join("?" if s is None else str(s) for s in shape)
        + ("," if len(shape) == 1 else "")
        + ")"
    )


def as_array(
    value: object, name: str, shape: tuple | None = None, dtype: type | np.dtype = float
) -> np.ndarray:
    """Convert a student's array answer into a fresh ndarray of a numeric dtype.

    Parameters
    ----------
    value : object
        An ndarray, a (nested) list or tuple of numbers, a NumPy scalar or a torch tensor.
    name : str
        What the value is, used in every failure message.
    shape : tuple of int or None, optional
        The expected shape; ``None`` entries match any length. A mismatch fails with
        ``"<name>: expected shape (N, M), got (M, N)"``.
    dtype : dtype, default float
        The dtype of the returned copy.

    Returns
    -------
    numpy.ndarray
        A copy (the student's object is never returned, nor modified later).
    """
    array = _to_numpy(value, name)
    if shape is not None:
        shape = tuple(shape)
        ok = len(shape) == array.ndim and all(
            want is None or want == got for want, got in zip(shape, array.shape, strict=False)
        )
        if not ok:
            hint = ""
            if array.ndim == 2 and len(shape) == 2 and array.shape == shape[::-1]:
                hint = " (transposed?)"
            raise AssertionError(
                f"{name}: expected shape {_format_shape(shape)}, "
                f"got {_format_shape(array.shape)}{hint}"
            )
    return array.astype(dtype, copy=True)


# --------------------------------------------------------------------------- assertions
def _seed_note() -> str:
    """The seeds of the random inputs of the current cell, for failure messages."""
    if not _SEEDS:
        return ""
    count = _execution_count()
    used = _SEEDS[-1:] if count is None else [e for e in _SEEDS if e[0] == count]
    if not used:
        return ""
    seeds = ", ".join(f"rng_for({tag!r}) seed {seed}" for _, tag, seed in used)
    return f" [random inputs: {seeds}]"


def _execution_count() -> int | None:
    shell = sys.modules.get("IPython")
    if shell is None:
        return None
    try:
        ip = shell.get_ipython()
    except Exception:
        return None
    return None if ip is None else ip.execution_count


def _fail(message: str) -> None:
    raise AssertionError(message + _seed_note())


def assert_true(cond: object, message: str) -> None:
    """Fail with ``message`` unless ``cond`` is the bool ``True``.

    ``cond`` must be a real ``bool`` (or ``numpy.bool_``): an object that merely claims to
    be true (through ``__bool__`` or ``__eq__``) does not pass.
    """
    if not isinstance(cond, (bool, np.bool_)):
        _fail(f"{message} (the check gave a {type(cond).__name__}, not True or False)")
    if not bool(cond):
        _fail(message)


def assert_close(
    actual: object,
    expected: object,
    name: str,
    rtol: float = 1e-7,
    atol: float = 1e-10,
) -> None:
    """Check that a student's answer equals the expected value within tolerances.

    Both values are converted with :func:`as_float` or :func:`as_array` (the expected
    value's shape is required of the answer). Infinities must match exactly. The message
    says how far off the answer is and where, never what the expected value is.

    Parameters
    ----------
    actual : object
        The student's answer.
    expected : object
        The reference value (a number or an array).
    name : str
        What is being checked, for the message.
    rtol, atol : float
        ``|actual - expected| <= atol + rtol * |expected|`` elementwise.
    """
    want = _to_numpy(expected, f"{name} (expected value)").astype(float)
    if want.ndim == 0:
        got = np.asarray(as_float(actual, name, finite=False), dtype=float)
    else:
        got = as_array(actual, name, shape=want.shape)
    if np.isnan(got).any():
        where = tuple(int(i) for i in np.argwhere(np.isnan(got))[0])
        _fail(f"{name}: contains nan at index {where}")
    ok = np.isclose(got, want, rtol=rtol, atol=atol)
    if ok.all():
        return
    with np.errstate(invalid="ignore"):
        err = np.abs(got - want)
    err = np.where(np.isnan(err), np.inf, err)  # inf - inf and mismatched infinities
    if want.ndim == 0:
        _fail(f"{name}: off by {float(err):.3g} (tolerance rtol={rtol:g}, atol={atol:g})")
    bad = ~ok
    where = tuple(
        int(i) for i in np.unravel_index(int(np.argmax(np.where(bad, err, -1))), want.shape)
    )
    _fail(
        f"{name}: {int(bad.sum())} of {want.size} entries differ; the largest error is "
        f"{float(err[where]):.3g} at index {where} (tolerance rtol={rtol:g}, atol={atol:g})"
    )


# --------------------------------------------------------------------------- randomness
def grading_context() -> tuple[str, str]:
    """The (student id, assignment) the tests run for.

    nbgrader autogrades a submission inside ``.../autograded/<student>/<assignment>/``;
    there both are read from the working directory. Elsewhere the student id comes from
    the environment variable ``MLCOURSE_STUDENT_ID`` (default ``"local"``) and the
    assignment from ``MLCOURSE_ASSIGNMENT`` or the name of the working directory.
    """
    cwd = Path.cwd()
    parts = cwd.parts
    for i in range(len(parts) - 2, 0, -1):
        if parts[i] == "autograded":
            return parts[i + 1], parts[i + 2] if i + 2 < len(parts) else cwd.name
    student = os.environ.get("MLCOURSE_STUDENT_ID") or "local"
    assignment = os.environ.get("MLCOURSE_ASSIGNMENT") or cwd.name
    return student, assignment


def seed_for(tag: str) -> int:
    """A seed that depends on (student id, assignment, ``tag``) and nothing else."""
    student, assignment = grading_context()
    digest = hashlib.sha256(f"{student}\x1f{assignment}\x1f{tag}".encode()).digest()
    return int.from_bytes(digest[:8], "little") % (2**63)


def rng_for(tag: str) -> np.random.Generator:
    """A NumPy generator seeded by :func:`seed_for`; its seed is named in failure messages."""
    seed = seed_for(tag)
    _SEEDS.append((_execution_count(), str(tag), seed))
    del _SEEDS[:-50]
    return np.random.default_rng(seed)


# --------------------------------------------------------------------------- from scratch
def _module_of(obj: object) -> str:
    if isinstance(obj, types.ModuleType):
        return obj.__name__
    module = getattr(obj, "__module__", None)
    if isinstance(module, str) and (inspect.isroutine(obj) or inspect.isclass(obj)):
        return module
    return getattr(type(obj), "__module__", "") or ""


def _matches(module: str, forbidden: tuple[str, ...]) -> str | None:
    for prefix in forbidden:
        if module == prefix or module.startswith(prefix + "."):
            return prefix
    return None


def _code_objects(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


_LOADS = {"LOAD_GLOBAL", "LOAD_NAME", "LOAD_DEREF", "LOAD_CLASSDEREF"}
_ATTRS = {"LOAD_ATTR", "LOAD_METHOD"}


def _chains(code: types.CodeType) -> Iterator[tuple[str, list[str]]]:
    """(global name, [attr, attr, ...]) for every ``name.attr.attr`` read in ``code``."""
    ops = [ins for ins in dis.get_instructions(code) if ins.opname not in {"CACHE", "PRECALL"}]
    for i, ins in enumerate(ops):
        if ins.opname in _LOADS and isinstance(ins.argval, str):
            attrs = []
            j = i + 1
            while j < len(ops) and ops[j].opname in _ATTRS:
                attrs.append(ops[j].argval)
                j += 1
            yield ins.argval, attrs


def _lookup(func: types.FunctionType, name: str) -> tuple[bool, object]:
    closure = (
        dict(
            zip(
                func.__code__.co_freevars,
                (c.cell_contents for c in func.__closure__ or ()),
                strict=False,
            )
        )
        if func.__closure__
        else {}
    )
    if name in closure:
        return True, closure[name]
    if name in func.__globals__:
        return True, func.__globals__[name]
    builtins = func.__globals__.get("__builtins__", {})
    if isinstance(builtins, types.ModuleType):
        builtins = vars(builtins)
    if name in builtins:
        return True, builtins[name]
    return False, None


def _scratch_violations(
    func: object, forbidden: tuple[str, ...], home: str, seen: set[int]
) -> Iterator[str]:
    func = inspect.unwrap(func) if callable(func) else func
    if id(func) in seen:
        return
    seen.add(id(func))
    if inspect.isclass(func):
        for member in vars(func).values():
            member = getattr(member, "__func__", member)
            if isinstance(member, types.FunctionType):
                yield from _scratch_violations(member, forbidden, home, seen)
        return
    if inspect.ismethod(func):
        func = func.__func__
    if isinstance(func, functools.partial):
        yield from _scratch_violations(func.func, forbidden, home, seen)
        for value in (*func.args, *func.keywords.values()):
            if callable(value):
                yield from _scratch_violations(value, forbidden, home, seen)
        return
    if not isinstance(func, types.FunctionType) and _module_of(func) == home:
        # an instance of a class defined in the notebook, called like a function
        yield from _scratch_violations(type(func), forbidden, home, seen)
        return
    if not isinstance(func, types.FunctionType):
        hit = _matches(_module_of(func), forbidden)
        if hit:
            yield f"{getattr(func, '__name__', type(func).__name__)} (from {hit})"
        return
    values = list(func.__defaults__ or ()) + list((func.__kwdefaults__ or {}).values())
    if func.__closure__:
        for cell in func.__closure__:
            with contextlib.suppress(ValueError):
                values.append(cell.cell_contents)
    for value in values:
        if isinstance(value, types.FunctionType) and value.__module__ == home:
            yield from _scratch_violations(value, forbidden, home, seen)
        elif _matches(_module_of(value), forbidden):
            yield f"a default or captured value from {_matches(_module_of(value), forbidden)}"
    for code in _code_objects(func.__code__):
        for ins in dis.get_instructions(code):
            if ins.opname in {"IMPORT_NAME", "IMPORT_FROM"} and isinstance(ins.argval, str):
                hit = _matches(ins.argval, forbidden)
                if hit:
                    yield f"import {ins.argval}"
        for const in code.co_consts:
            if isinstance(const, str) and _matches(const, forbidden):
                yield f"the name {const!r}"
        for name, attrs in _chains(code):
            found, obj = _lookup(func, name)
            if not found:
                continue
            dotted = name
            for attr in [None, *attrs]:
                if attr is not None:
                    dotted += "." + attr
                    try:
                        obj = getattr(obj, attr)
                    except Exception:
                        break
                hit = _matches(_module_of(obj), forbidden)
                if hit:
                    yield f"{dotted} (from {hit})"
                    break
                if isinstance(obj, types.FunctionType) and obj.__module__ == home:
                    yield from _scratch_violations(obj, forbidden, home, seen)
                    break
                if inspect.isclass(obj) and obj.__module__ == home:
                    yield from _scratch_violations(obj, forbidden, home, seen)
                    break


def assert_from_scratch(func: object, forbidden: tuple[str, ...] = FORBIDDEN) -> None:
    """Fail if ``func`` uses a module it must not use.

    The check reads the bytecode of ``func`` and of every function or class defined next to
    it (in the notebook) that it calls, and resolves each global name and attribute chain
    (``torch.nn.functional.relu``) to the module it comes from. Imports inside the function
    and default or captured values count as well.

    Parameters
    ----------
    func : callable
        The student's function (or class).
    forbidden : tuple of str
        Module prefixes: ``"torch.nn"`` forbids ``torch.nn`` and everything below it.
    """
    if not callable(func):
        raise AssertionError(f"expected a function, got {type(func).__name__}")
    name = getattr(func, "__name__", type(func).__name__)
    home = getattr(inspect.unwrap(func), "__module__", None) or "__main__"
    uses = list(dict.fromkeys(_scratch_violations(func, tuple(forbidden), home, set())))
    if uses:
        raise AssertionError(
            f"{name} must be written from scratch, but it uses " + "; ".join(uses[:3])
        )


# --------------------------------------------------------------------------- warnings
@contextlib.contextmanager
def warnings_as_feedback() -> Iterator[list[warnings.WarningMessage]]:
    """Record the warnings raised inside the block and print them to stdout.

    nbgrader scores a test cell 0 when it writes to stderr, where Python's warnings go, so a
    correct answer that warns (``log(0)`` in a guarded branch, a deprecation) would lose its
    points. Inside this block warnings are recorded instead and shown afterwards as
    feedback on stdout, and whatever the code prints to ``sys.stderr`` goes to stdout; the
    block yields the list of recorded warnings. (The course's nbgrader configuration does
    the same for the whole test cell when autograding; this helper makes a student's own
    "Validate" run agree with it.)
    """
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stderr(sys.stdout):
        warnings.simplefilter("always")
        try:
            yield caught
        finally:
            for w in caught:
                print(f"Warning (feedback, not scored): {w.category.__name__}: {w.message}")
