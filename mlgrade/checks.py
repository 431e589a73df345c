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

import ast
import contextlib
import copy
import dis
import functools
import hashlib
import inspect
import linecache
import os
import re
import sys
import textwrap
import types
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np

__all__ = [
    "FORBIDDEN",
    "CheckFailure",
    "as_array",
    "as_float",
    "assert_calls",
    "assert_close",
    "assert_does_not_modify",
    "assert_from_scratch",
    "assert_no_loop",
    "assert_no_overflow",
    "assert_true",
    "assert_type",
    "call",
    "calls_in_source",
    "grading_context",
    "inplace_changes_in_source",
    "is_instance",
    "loops_in_source",
    "rng_for",
    "seed_for",
    "source_of",
    "student_errors",
    "warnings_as_feedback",
]

FORBIDDEN = ("mlcourse", "torch.nn", "torch.autograd", "sklearn")

# Comparison and conversion hooks an answer object could use to fool a test.
_HOOKS = ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__", "__abs__")
# Libraries whose number and array types are converted by value (never compared as objects).
_TRUSTED = ("builtins", "numpy", "torch", "sympy", "fractions", "decimal")

# Seeds handed out by rng_for: (IPython execution count or None, tag, seed).
_SEEDS: list[tuple[int | None, str, int]] = []


class CheckFailure(AssertionError):
    """A failed check: in IPython it is shown as its message alone, without the helpers'
    frames (nbgrader's Validate and feedback then show the hint, not this module)."""


def _show_failure(shell, etype, value, tb, tb_offset=None):
    """IPython's custom handler for :class:`CheckFailure`: ``AssertionError: <message>``."""
    stb = [f"AssertionError: {value}"]
    shell._showtraceback(etype, value, stb)  # the ename must match the execute reply
    return stb


def _install_ipython_handler() -> None:
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return
    with contextlib.suppress(Exception):
        shell = ipython.get_ipython()
        if shell is not None:
            shell.set_custom_exc((CheckFailure,), _show_failure)


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
    __tracebackhide__ = True
    if isinstance(value, (bool, np.bool_)):
        raise CheckFailure(f"{name}: expected a number, got the bool {value!r}")
    cls = _overriding_class(value)
    if cls is not None:
        raise CheckFailure(
            f"{name}: got an object of type {type(value).__name__} whose class "
            f"{cls.__name__} redefines comparison; return a plain number or NumPy array"
        )
    module = type(value).__module__ or ""
    if module.split(".")[0] == "torch" and hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    if isinstance(value, (list, tuple)):
        for item in _flatten(value):
            if _overriding_class(item) is not None:
                raise CheckFailure(
                    f"{name}: contains an object of type {type(item).__name__} that "
                    "redefines comparison; use plain numbers"
                )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            array = np.array(value, copy=True, subok=False)
    except Exception as exc:  # anything numpy cannot read is a wrong answer, not a crash
        raise CheckFailure(
            f"{name}: could not read a {type(value).__name__} as numbers ({type(exc).__name__})"
        ) from None
    if array.dtype.kind not in "biuf":
        raise CheckFailure(
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
    __tracebackhide__ = True
    array = _to_numpy(value, name)
    if array.size != 1:
        raise CheckFailure(f"{name}: expected a single number, got shape {array.shape}")
    result = float(array.reshape(-1)[0])
    if np.isnan(result):
        raise CheckFailure(f"{name}: is nan; look for 0 * inf or 0 / 0")
    if finite and np.isinf(result):
        raise CheckFailure(f"{name}: is {result}, expected a finite number")
    return result


def _format_shape(shape: tuple) -> str:
    """``(5, 3)``, ``(N, 4)``: ``None`` shows as ``?``, a str (a free size) as itself."""
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
        The expected shape; ``None`` entries (shown ``?``) and str entries (a size name
        such as ``"N"``, shown as written) match any length. A mismatch fails with
        ``"<name> has shape (5, 3); expected (N, 4)"``.
    dtype : dtype, default float
        The dtype of the returned copy.

    Returns
    -------
    numpy.ndarray
        A copy (the student's object is never returned, nor modified later).
    """
    __tracebackhide__ = True
    array = _to_numpy(value, name)
    if shape is not None:
        shape = tuple(shape)
        ok = len(shape) == array.ndim and all(
            want is None or isinstance(want, str) or want == got
            for want, got in zip(shape, array.shape, strict=False)
        )
        if not ok:
            hint = ""
            if array.ndim == 2 and len(shape) == 2 and array.shape == shape[::-1]:
                hint = " (transposed?)"
            raise CheckFailure(
                f"{name} has shape {_format_shape(array.shape)}; "
                f"expected {_format_shape(shape)}{hint}"
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


def _fail(message: str, detail: str = "") -> None:
    """Raise the failure: the hint on the first line, tolerances and seeds on the second."""
    __tracebackhide__ = True
    note = (detail + _seed_note()).strip()
    raise CheckFailure(message + ("\n    " + note if note else ""))


def assert_true(cond: object, message: str) -> None:
    """Fail with ``message`` unless ``cond`` is the bool ``True``.

    ``cond`` must be a real ``bool`` (or ``numpy.bool_``): an object that merely claims to
    be true (through ``__bool__`` or ``__eq__``) does not pass.
    """
    __tracebackhide__ = True
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
    __tracebackhide__ = True
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
    tolerance = f"(tolerance rtol={rtol:g}, atol={atol:g})"
    if want.ndim == 0:
        _fail(f"{name}: off by {float(err):.3g}", tolerance)
    bad = ~ok
    where = tuple(
        int(i) for i in np.unravel_index(int(np.argmax(np.where(bad, err, -1))), want.shape)
    )
    _fail(
        f"{name}: {int(bad.sum())} of {want.size} entries wrong, worst at {where}",
        f"its error is {float(err[where]):.3g} {tolerance}",
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
    __tracebackhide__ = True
    if not callable(func):
        raise CheckFailure(f"expected a function, got {type(func).__name__}")
    name = getattr(func, "__name__", type(func).__name__)
    if _is_remote(func):
        from .scratch import source_violations

        uses = source_violations(_remote_cells(), _remote_name(func), tuple(forbidden))
    else:
        home = getattr(inspect.unwrap(func), "__module__", None) or "__main__"
        uses = list(dict.fromkeys(_scratch_violations(func, tuple(forbidden), home, set())))
    if uses:
        more = f"\n    it also uses {'; '.join(uses[1:3])}" if len(uses) > 1 else ""
        raise CheckFailure(f"{name} must not use {uses[0]}" + more)


# --------------------------------------------------------------------------- warnings
class warnings_as_feedback:
    """Record the warnings raised inside the block and print them to stdout.

    nbgrader scores a test cell 0 when it writes to stderr, where Python's warnings go, so a
    correct answer that warns (``log(0)`` in a guarded branch, a deprecation) would lose its
    points. Inside this block warnings are recorded instead and shown afterwards as
    feedback on stdout, and whatever the code prints to ``sys.stderr`` goes to stdout; the
    block yields the list of recorded warnings. (The course's nbgrader configuration does
    the same for the whole test cell when autograding; this helper makes a student's own
    "Validate" run agree with it.) An error raised inside the block by a student's
    function (a NumPy shape error, ``NotImplementedError``, ...) becomes one short
    ``AssertionError`` naming the student's line, as with :func:`call`.
    """

    def __enter__(self) -> list[warnings.WarningMessage]:
        self._warnings = warnings.catch_warnings(record=True)
        self._caught = self._warnings.__enter__()
        warnings.simplefilter("always")
        self._stderr = contextlib.redirect_stderr(sys.stdout)
        self._stderr.__enter__()
        return self._caught

    def __exit__(self, kind, exc, tb) -> bool:
        __tracebackhide__ = True
        self._stderr.__exit__(None, None, None)
        self._warnings.__exit__(None, None, None)
        for w in self._caught:
            print(f"Warning (feedback, not scored): {w.category.__name__}: {w.message}")
        if (
            exc is not None
            and not isinstance(exc, AssertionError)
            and isinstance(exc, _TRANSLATED)
        ):
            # a student's error: one short line, not NumPy's text
            raise _translated(exc, None) from None
        return False


# --------------------------------------------------------------------------- how it is written
# Every check of HOW a function is written reads its source (``inspect.getsource``) with
# ``ast``, and has a twin that takes the source text alone (for a judge that only holds
# the text of the student's cell).
# --------------------------------------------------------------------------- in the judge
# In the judge process (mlgrade.judge), a student's function or object is a proxy: the
# checks below that look at how something is written read the submitted source instead.
def _is_remote(value: object) -> bool:
    return getattr(type(value), "__mlgrade_remote__", False) is True


def _remote_cells() -> list[tuple[str, bool]]:
    from .judge import student_cells

    return student_cells()


def _remote_name(func: object) -> str:
    name = getattr(func, "__mlgrade_name__", None)
    if not name:
        raise CheckFailure("a value computed by the student's code is not a function")
    return name


def source_of(func: object) -> str:
    """The dedented source of a student's function (or class), for the ``*_in_source`` checks."""
    __tracebackhide__ = True
    if _is_remote(func):
        from .scratch import definition_source

        name = _remote_name(func)
        text = definition_source(_remote_cells(), name)
        if text is None:
            raise CheckFailure(f"{name}: its source cannot be read; define it with def in a cell")
        return textwrap.dedent(text)
    target = inspect.unwrap(func) if callable(func) else func
    if inspect.ismethod(target):
        target = target.__func__
    try:
        return textwrap.dedent(inspect.getsource(target))
    except (OSError, TypeError):
        name = getattr(func, "__name__", type(func).__name__)
        raise CheckFailure(
            f"{name}: its source cannot be read; define it with def in a notebook cell"
        ) from None


def _function_node(source: str, name: str | None) -> ast.AST:
    tree = ast.parse(textwrap.dedent(source))
    defs = [
        n
        for n in ast.walk(tree)
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        and (name is None or getattr(n, "name", None) == name)
    ]
    return defs[0] if defs else tree


# Calls that run a Python-level loop over the elements of an array.
_LOOPING_CALLS = {"map", "filter", "vectorize", "frompyfunc", "apply_along_axis", "fromiter"}


def loops_in_source(source: str, name: str | None = None) -> list[str]:
    """The Python loops in ``source`` (of the function ``name``, by default the first one).

    ``for`` and ``while`` statements, comprehensions and generator expressions, and calls of
    ``map``, ``filter``, ``np.vectorize``, ``np.frompyfunc``, ``np.apply_along_axis`` and
    ``np.fromiter`` count as loops. Each is described as ``"a for loop (line 3)"``, with line
    numbers counted inside ``source``.
    """
    node = _function_node(source, name)
    found = []
    kinds = {
        ast.For: "a for loop",
        ast.AsyncFor: "a for loop",
        ast.While: "a while loop",
        ast.ListComp: "a list comprehension",
        ast.SetComp: "a set comprehension",
        ast.DictComp: "a dict comprehension",
        ast.GeneratorExp: "a generator expression",
    }
    for sub in ast.walk(node):
        kind = kinds.get(type(sub))
        if kind is None and isinstance(sub, ast.Call):
            f = sub.func
            called = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
            if called in _LOOPING_CALLS:
                kind = f"a call of {called}"
        if kind is not None:
            found.append((sub.lineno, f"{kind} (line {sub.lineno})"))
    return [text for _, text in sorted(found)]


def _helpers_called(func: types.FunctionType) -> Iterator[types.FunctionType]:
    """Functions defined next to ``func`` (same module) that ``func`` reads by name."""
    home = func.__module__
    for code in _code_objects(func.__code__):
        for name in code.co_names:
            value = func.__globals__.get(name)
            if isinstance(value, types.FunctionType) and value.__module__ == home:
                yield value


def assert_no_loop(func: object, name: str | None = None) -> None:
    """Fail if ``func`` (or a function of the notebook it calls) contains a Python loop.

    See :func:`loops_in_source` for what counts as a loop. The message names the loop and
    its line: ``"linear_forward: no Python loop allowed; found a for loop (line 3)"``.
    """
    __tracebackhide__ = True
    if not callable(func):
        raise CheckFailure(f"expected a function, got {type(func).__name__}")
    name = name or getattr(func, "__name__", type(func).__name__)
    if _is_remote(func):
        from .scratch import definition_source, reachable_definitions

        cells, top = _remote_cells(), _remote_name(func)
        for helper in reachable_definitions(cells, top):
            loops = loops_in_source(textwrap.dedent(definition_source(cells, helper)), helper)
            if loops:
                where = "" if helper == top else f" in {helper}"
                raise CheckFailure(f"{name}: no Python loop allowed; found {loops[0]}{where}")
        return
    todo, seen = [inspect.unwrap(func)], set()
    while todo:
        f = todo.pop()
        if id(f) in seen or not isinstance(f, types.FunctionType):
            continue
        seen.add(id(f))
        loops = loops_in_source(source_of(f), f.__name__)
        if loops:
            where = "" if f is inspect.unwrap(func) else f" in {f.__name__}"
            raise CheckFailure(f"{name}: no Python loop allowed; found {loops[0]}{where}")
        todo.extend(_helpers_called(f))


def _params_of(node: ast.AST) -> list[str]:
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        return []
    a = node.args
    return [p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs)]


_INPLACE_METHODS = {
    "fill",
    "sort",
    "resize",
    "put",
    "itemset",
    "setflags",
    "append",
    "extend",
    "insert",
    "pop",
    "remove",
    "clear",
    "update",
    "setdefault",
    "popitem",
}


def _base_name(node: ast.AST) -> str | None:
    """``params`` for ``params``, ``params[0]``, ``params[0][1:]`` and ``params[0].T``."""
    while isinstance(node, (ast.Subscript, ast.Attribute, ast.Starred)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def inplace_changes_in_source(
    source: str, arguments: tuple[str, ...] | None = None, name: str | None = None
) -> list[str]:
    """Statements of ``source`` that change an argument of the function in place.

    An argument (all of them, or those named in ``arguments``) and every name bound to a
    part of it (``for p in params``, ``W1 = params[0]``, ``W1, b1 = params``) is followed
    through the function in order; binding a name to anything else (``params = [p.copy()
    for p in params]``) ends that. A change is an augmented assignment (``p -= g``), an
    assignment to an item, slice or attribute (``x[i] = v``), a call of an in-place method
    (``p.fill(0)``, ``params.append(...)``) or an ``out=`` argument naming it. Each is
    described as ``"W1 -= ... (line 4)"``.
    """
    node = _function_node(source, name)
    params = _params_of(node)
    tainted = set(params if arguments is None else [a for a in params if a in arguments])
    found: list[tuple[int, str]] = []

    def derived(value: ast.AST) -> bool:
        # a name, item, slice or view of a tainted name (not a call result or arithmetic)
        return _base_name(value) in tainted and not isinstance(value, ast.Call)

    def bind(target: ast.AST, from_tainted: bool) -> None:
        if isinstance(target, ast.Name):
            (tainted.add if from_tainted else tainted.discard)(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for t in target.elts:
                bind(t, from_tainted)

    def changed(target: ast.AST, line: int, text: str) -> None:
        if _base_name(target) in tainted:
            found.append((line, f"{text} (line {line})"))

    def visit(stmts: list[ast.stmt]) -> None:
        for st in stmts:
            if isinstance(st, ast.AugAssign):
                changed(st.target, st.lineno, f"{ast.unparse(st.target)} {_op(st.op)}= ...")
            elif isinstance(st, (ast.Assign, ast.AnnAssign)):
                targets = st.targets if isinstance(st, ast.Assign) else [st.target]
                for t in targets:
                    if isinstance(t, (ast.Subscript, ast.Attribute)):
                        changed(t, st.lineno, f"{ast.unparse(t)} = ...")
                    elif st.value is not None:
                        bind(t, derived(st.value))
            elif isinstance(st, (ast.For, ast.AsyncFor)):
                bind(st.target, derived(st.iter) or _zip_of_tainted(st.iter))
            for sub in ast.walk(st) if not isinstance(st, _BLOCKS) else _header_nodes(st):
                if isinstance(sub, ast.Call):
                    f = sub.func
                    if isinstance(f, ast.Attribute) and f.attr in _INPLACE_METHODS:
                        changed(f.value, sub.lineno, f"{ast.unparse(f)}(...)")
                    for kw in sub.keywords:
                        if kw.arg == "out":
                            changed(kw.value, sub.lineno, f"out={ast.unparse(kw.value)}")
            for block in ("body", "orelse", "finalbody"):
                if isinstance(st, _BLOCKS) and getattr(st, block, None):
                    visit(getattr(st, block))
            if isinstance(st, ast.Try):
                for handler in st.handlers:
                    visit(handler.body)

    def _zip_of_tainted(it: ast.AST) -> bool:
        return (
            isinstance(it, ast.Call)
            and getattr(it.func, "id", None) in ("zip", "enumerate", "reversed")
            and any(derived(a) for a in it.args)
        )

    body = node.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else []
    visit(body if isinstance(body, list) else [])
    return [text for _, text in sorted(found)]


_BLOCKS = (ast.For, ast.AsyncFor, ast.While, ast.If, ast.With, ast.AsyncWith, ast.Try)


def _header_nodes(st: ast.stmt) -> Iterator[ast.AST]:
    """The nodes of a compound statement outside its blocks (the test, the iterable, ...)."""
    for field in ("test", "iter", "items"):
        value = getattr(st, field, None)
        for v in value if isinstance(value, list) else [value]:
            if v is not None:
                yield from ast.walk(v)


def _op(op: ast.operator) -> str:
    return {
        ast.Add: "+",
        ast.Sub: "-",
        ast.Mult: "*",
        ast.Div: "/",
        ast.MatMult: "@",
        ast.FloorDiv: "//",
        ast.Mod: "%",
        ast.Pow: "**",
    }.get(type(op), "?")


def _snapshot(value: object) -> object:
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, tuple)):
        return (
            type(value)(_snapshot(v) for v in value)
            if isinstance(value, list)
            else tuple(_snapshot(v) for v in value)
        )
    if isinstance(value, dict):
        return {k: _snapshot(v) for k, v in value.items()}
    return copy.deepcopy(value)


def _first_change(before: object, after: object, where: str) -> str | None:
    if isinstance(before, np.ndarray):
        same = (
            isinstance(after, np.ndarray)
            and before.shape == after.shape
            and bool(np.array_equal(before, after, equal_nan=before.dtype.kind in "fc"))
        )
        return None if same else where
    if isinstance(before, (list, tuple)):
        if not isinstance(after, (list, tuple)) or len(before) != len(after):
            return where
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            hit = _first_change(b, a, f"{where}[{i}]")
            if hit:
                return hit
        return None
    if isinstance(before, dict):
        if not isinstance(after, dict) or set(before) != set(after):
            return where
        for k in before:
            hit = _first_change(before[k], after[k], f"{where}[{k!r}]")
            if hit:
                return hit
        return None
    return None


def assert_does_not_modify(func: object, *args: object, **kwargs: object) -> object:
    """Call ``func(*args, **kwargs)`` and fail if it changed one of its arguments in place.

    The arguments are plain data (numbers, lists, tuples, dicts, NumPy arrays); a snapshot
    of each is compared with it after the call. Independently of the values passed, the
    source of ``func`` is read (:func:`inplace_changes_in_source`), so that a change that
    happens to restore the values, or only happens on other inputs, is also reported.
    Returns what ``func`` returned, for the test to judge.
    """
    __tracebackhide__ = True
    name = getattr(func, "__name__", type(func).__name__)
    snapshots = [_snapshot(a) for a in args]
    kw_snapshots = {k: _snapshot(v) for k, v in kwargs.items()}
    if _is_remote(func):
        # The student's kernel received copies: ask it for them as they are after the call.
        params = _params_of(_function_node(source_of(func), name))
        with student_errors(name):
            result, args, kwargs = func.__mlgrade_call_keeping_args__(*args, **kwargs)
    else:
        params = list(inspect.signature(func).parameters)
        result = call(func, *args, **kwargs)
    for i, (before, after) in enumerate(zip(snapshots, args, strict=True)):
        label = params[i] if i < len(params) else f"argument {i}"
        hit = _first_change(before, after, label)
        if hit:
            raise CheckFailure(f"{name} changed its argument {hit} in place; work on copies")
    for k, before in kw_snapshots.items():
        hit = _first_change(before, kwargs[k], k)
        if hit:
            raise CheckFailure(f"{name} changed its argument {hit} in place; work on copies")
    try:
        arrays = tuple(
            p
            for p, a in zip(params, args, strict=False)
            if isinstance(a, (list, tuple, dict, np.ndarray))
        )
        changes = inplace_changes_in_source(source_of(func), arrays, name)
    except (AssertionError, SyntaxError):  # no source to read: the values decided
        changes = []
    if changes:
        raise CheckFailure(f"{name} changes an argument in place: {changes[0]}")
    return result


# --------------------------------------------------------------------------- student calls
def _student_line(tb: types.TracebackType | None) -> str:
    """``"line 3: return W @ X + b"`` for the last frame of the student's code in ``tb``."""
    here = os.path.abspath(__file__)
    hit = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        module = tb.tb_frame.f_globals.get("__name__", "")
        if (
            os.path.abspath(filename) != here
            and module.split(".")[0] not in ("numpy", "torch", "mlgrade")
            and "site-packages" not in filename
        ):
            hit = tb
        tb = tb.tb_next
    if hit is None:
        return ""
    code = hit.tb_frame.f_code
    text = linecache.getline(code.co_filename, hit.tb_lineno, hit.tb_frame.f_globals).strip()
    return f"in {code.co_name}: {text}" if text else f"in {code.co_name}"


def _describe_error(exc: BaseException) -> str:
    """A short description of a NumPy shape or type error (no gufunc signatures)."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    m = re.search(
        r"matmul: Input operand (\d) .*core dimension (\d).*size (\d+) is different "
        r"from (\d+)",
        text,
    )
    if m:
        return f"matrix product: inner sizes {m.group(3)} and {m.group(4)} differ"
    m = re.search(r"shapes \(([\d,\s]*)\) and \(([\d,\s]*)\) not aligned", text)
    if m:
        return f"matrix product: shapes ({m.group(1)}) and ({m.group(2)}) do not fit"
    m = re.search(r"could not be broadcast together with shapes ([^\n]*?)\s*$", text)
    if m:
        return "shapes " + " and ".join(m.group(1).split()) + " do not broadcast"
    if isinstance(exc, NotImplementedError):
        return "not implemented yet"
    return f"{type(exc).__name__}: {text}"[:70]


def _translated(exc: BaseException, name: str | None) -> AssertionError:
    where = _student_line(exc.__traceback__)
    if name is None and where:
        name = where[3:].split(":")[0]  # "in f: line" names the student's function f
    head = f"{name}: " if name and name != "<module>" else ""
    message = head + _describe_error(exc)
    if isinstance(exc, NotImplementedError):
        where = "write your code and delete the line raise NotImplementedError()"
    return CheckFailure(message + (f"\n    {where}" if where else ""))


_TRANSLATED = (
    ValueError,
    TypeError,
    IndexError,
    KeyError,
    ZeroDivisionError,
    NotImplementedError,
    AttributeError,
    FloatingPointError,
)


def call(func: object, *args: object, **kwargs: object) -> object:
    """Call a student's function; its errors become one short ``AssertionError``.

    A NumPy shape error comes out as ``"linear_forward: matrix product: inner sizes 3 and 2
    differ"`` followed by the student's line that raised it, not as NumPy's gufunc text.
    """
    __tracebackhide__ = True
    name = getattr(func, "__name__", None)
    try:
        return func(*args, **kwargs)
    except AssertionError:
        raise
    except _TRANSLATED as exc:
        raise _translated(exc, name) from None


@contextlib.contextmanager
def student_errors(name: str | None = None) -> Iterator[None]:
    """Inside the block, an error raised by student code becomes a short ``AssertionError``."""
    __tracebackhide__ = True
    try:
        yield
    except AssertionError:
        raise
    except _TRANSLATED as exc:
        raise _translated(exc, name) from None


def is_instance(value: object, kinds: type | tuple[type, ...]) -> bool:
    """``isinstance`` for test cells (the judge replaces student objects by proxies)."""
    if _is_remote(value):
        wanted = kinds if isinstance(kinds, tuple) else (kinds,)
        mro = set(value.__mlgrade_mro__())
        return any(f"{k.__module__}.{k.__qualname__}" in mro for k in wanted)
    return isinstance(value, kinds)


def assert_type(value: object, kinds: type | tuple[type, ...], name: str) -> None:
    """Fail unless ``value`` is of one of the built-in types ``kinds`` (dict, tuple, str...)."""
    __tracebackhide__ = True
    kinds = kinds if isinstance(kinds, tuple) else (kinds,)
    if not isinstance(value, kinds):
        wanted = " or ".join(k.__name__ for k in kinds)
        _fail(f"{name}: expected a {wanted}, got {type(value).__name__}")


def calls_in_source(source: str, name: str | None = None) -> set[str]:
    """The names called in ``source`` (``f(...)`` and ``obj.f(...)`` both give ``"f"``)."""
    node = _function_node(source, name)
    called = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            f = sub.func
            called.add(f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", ""))
    return called - {""}


def assert_calls(func: object, *names: str) -> None:
    """Fail unless the source of ``func`` calls each of ``names`` (a rule such as "use your
    ``cross_entropy``")."""
    __tracebackhide__ = True
    fname = getattr(func, "__name__", type(func).__name__)
    called = calls_in_source(source_of(func), getattr(func, "__name__", None))
    for wanted in names:
        if wanted not in called:
            raise CheckFailure(f"{fname} must call your {wanted} (the instructions say so)")


_install_ipython_handler()


def assert_no_overflow(func: object, *args: object, **kwargs: object) -> object:
    """Call ``func(*args, **kwargs)`` with NumPy's overflow raising; return what it returns.

    For a rule such as "``np.exp`` must never be given a large positive argument": the
    values of a naive formula can be right (``1 / (1 + inf)`` is 0), so only the
    floating-point overflow itself tells. The call must run where the student's code runs
    (``np.errstate`` is per thread and process).
    """
    __tracebackhide__ = True
    name = getattr(func, "__name__", type(func).__name__)
    try:
        with np.errstate(over="raise"):
            return call(func, *args, **kwargs)
    except CheckFailure as failure:
        if "FloatingPointError" in str(failure):
            raise CheckFailure(f"{name} overflowed: np.exp of a large number?") from None
        raise
