"""Shared input checks for the ``mlcourse`` package.

Every check raises :class:`ValueError` with a message that names the argument, says what
was received and what was expected, e.g. ``"z contains NaN at index (3,); expected
finite values"``. Messages start with the argument name so that a reader (or a test
with ``pytest.raises(ValueError, match="^z ")``) sees at once which argument is wrong.

The names in ``__all__`` are stable: the models, layers and grading code import them.

Cost
----
Every check is a single O(size) pass over the array and allocates nothing of the size of
the input in the common (valid) case, except :func:`check_probabilities`, which needs
the row sums, and :func:`check_labels` with more than two allowed values. The checks
are cheap next to a matrix product, but the hot loop of a training run may still skip
them: see :mod:`mlcourse._fast`.

Checks first, then the formula
------------------------------
A public function of the package states its checks in one line, the :func:`checked`
decorator, and its body is the formula alone::

    @checked(z=finite_array)
    def sigmoid(z):
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1, e) / (1 + e)

``unchecked(sigmoid)`` is that body without the checks, for code that has checked its
data already.

Examples
--------
>>> import numpy as np
>>> from mlcourse._validation import as_float_array, check_finite
>>> z = as_float_array([1, 2, 3], "z")
>>> z.dtype
dtype('float64')
>>> check_finite(np.array([0.0, np.nan]), "z")
Traceback (most recent call last):
    ...
ValueError: z contains NaN at index (1,); expected finite values
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable

import numpy as np

__all__ = [
    "FLOAT_DTYPES",
    "NameRegistry",
    "UnknownNameError",
    "as_float_array",
    "check_class_indices",
    "check_finite",
    "check_float_dtype",
    "check_in_range",
    "check_int",
    "check_labels",
    "check_ndim",
    "check_positive",
    "check_probabilities",
    "check_same_shape",
    "checked",
    "decay_rate",
    "finite_array",
    "format_index",
    "learning_rate",
    "real_number",
    "unchecked",
]

#: The dtypes the package computes in: float32 stays float32, float64 stays float64.
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def format_index(flat_or_tuple, shape: tuple[int, ...]) -> str:
    """Format an array position as a tuple string such as ``"(0, 2)"``.

    Parameters
    ----------
    flat_or_tuple : int or tuple of int
        A flat (C-order) index into an array of ``shape``, or an index tuple.
    shape : tuple of int
        The shape of the array.
    """
    if isinstance(flat_or_tuple, tuple):
        idx = flat_or_tuple
    else:
        idx = np.unravel_index(int(flat_or_tuple), shape) if shape else ()
    return str(tuple(int(i) for i in idx))


def as_float_array(x, name: str) -> np.ndarray:
    """Return ``x`` as a floating-point NumPy array without needless copies.

    ``float32`` and ``float64`` arrays are returned as they are (no copy, no upcast), so
    that float32 code stays float32. Booleans and integers are converted to ``float64``;
    other floating types (``float16``, ``longdouble``) are converted to ``float64``.

    Parameters
    ----------
    x : array_like
        The input (list, scalar, NumPy array, or anything ``np.asarray`` accepts).
    name : str
        The argument name used in error messages.

    Returns
    -------
    numpy.ndarray
        An array of dtype float32 or float64 with the shape of ``x``.

    Raises
    ------
    ValueError
        If ``x`` cannot be converted to an array, or has a non-real dtype (complex,
        string, object): ``"x: expected a real numeric array, got dtype <U1"``.
    """
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError, RuntimeError) as exc:
        raise ValueError(
            f"{name}: expected a real numeric array, got {type(x).__name__} ({exc})"
        ) from exc
    if arr.dtype in FLOAT_DTYPES:
        return arr
    if arr.dtype.kind in "biuf":
        return arr.astype(np.float64)
    raise ValueError(f"{name}: expected a real numeric array, got dtype {arr.dtype}")


def _all_finite(x: np.ndarray) -> bool:
    """True if a float array has no NaN or inf (one pass, no large temporary)."""
    if x.size == 0:
        return True
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.add.reduce(x, axis=None)
    if np.isfinite(total):
        return True
    # The sum overflowed or there is a NaN/inf: decide exactly (slow path, rare).
    return bool(np.isfinite(x).all())


def check_finite(x: np.ndarray, name: str, *, allow_inf: bool = False) -> None:
    """Raise if ``x`` contains NaN (or, unless ``allow_inf``, +-inf).

    Parameters
    ----------
    x : numpy.ndarray
        A numeric array (integers are always finite and pass at once).
    name : str
        The argument name used in the message.
    allow_inf : bool, default False
        Accept +-inf and reject only NaN.

    Raises
    ------
    ValueError
        ``"z contains NaN at index (3,); expected finite values"`` or
        ``"z contains inf at index (0, 1); expected finite values"``.
    """
    x = np.asarray(x)
    if x.dtype.kind not in "fc" or _all_finite(x):
        return
    nan = np.isnan(x)
    if nan.any():
        where = format_index(int(np.flatnonzero(nan)[0]), x.shape)
        expected = "no NaN" if allow_inf else "finite values"
        raise ValueError(f"{name} contains NaN at index {where}; expected {expected}")
    if not allow_inf:
        flat = int(np.flatnonzero(np.isinf(x))[0])
        value = x.reshape(-1)[flat]
        sign = "-" if value < 0 else ""
        where = format_index(flat, x.shape)
        raise ValueError(f"{name} contains {sign}inf at index {where}; expected finite values")


def finite_array(x, name: str) -> np.ndarray:
    """``x`` as a float32/float64 array (:func:`as_float_array`) without NaN or inf.

    The usual argument check of :func:`checked`: ``@checked(z=finite_array)``.
    """
    arr = as_float_array(x, name)
    check_finite(arr, name)
    return arr


def real_number(value, name: str) -> float:
    """A finite real scalar parameter (such as a slope ``alpha``) as a Python ``float``.

    A Python float keeps a float32 array float32 in arithmetic (no upcast).

    Raises
    ------
    ValueError
        ``"alpha: expected a real number, got 'x'"`` or ``"alpha is nan; expected a
        finite number"``.
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a real number, got {value!r}") from None
    if not np.isfinite(number):
        raise ValueError(f"{name} is {number}; expected a finite number")
    return number


def check_float_dtype(dtype, name: str = "dtype") -> np.dtype:
    """Return ``dtype`` as a ``np.dtype``, raising unless it is float32 or float64.

    Raises
    ------
    ValueError
        ``"dtype is int64; expected float32 or float64"``.
    """
    dt = np.dtype(dtype)
    if dt not in FLOAT_DTYPES:
        raise ValueError(f"{name} is {dt}; expected float32 or float64")
    return dt


def check_ndim(x: np.ndarray, name: str, ndim: int | Iterable[int], expected: str = "") -> None:
    """Raise unless ``x.ndim`` is ``ndim`` (or one of several allowed values).

    Parameters
    ----------
    x : numpy.ndarray
    name : str
        The argument name used in the message.
    ndim : int or iterable of int
        The allowed number(s) of dimensions.
    expected : str, optional
        A shape pattern for the message, such as ``"(N, C)"``.

    Raises
    ------
    ValueError
        ``"logits has shape (3,); expected a 2-D array (N, C)"``.
    """
    allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    if x.ndim not in allowed:
        dims = " or ".join(f"{d}-D" for d in allowed)
        pattern = f" {expected}" if expected else ""
        raise ValueError(f"{name} has shape {x.shape}; expected a {dims} array{pattern}")


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise unless ``a`` and ``b`` have exactly the same shape (no silent broadcast).

    Raises
    ------
    ValueError
        ``"y_hat has shape (5, 1) but y has shape (5,); expected the same shape"``.
    """
    if np.shape(a) != np.shape(b):
        raise ValueError(
            f"{name_a} has shape {np.shape(a)} but {name_b} has shape {np.shape(b)}; "
            "expected the same shape"
        )


def check_probabilities(p: np.ndarray, name: str, axis: int = -1, tol: float = 1e-6) -> None:
    """Raise unless ``p`` holds probability distributions along ``axis``.

    Checks, in this order: no NaN or inf, no negative entry, every slice along ``axis``
    sums to 1 within ``tol`` (absolute).

    Parameters
    ----------
    p : numpy.ndarray
        Float array, at least 1-D.
    name : str
        The argument name used in the message.
    axis : int, default -1
        The axis along which each distribution lies.
    tol : float, default 1e-6
        Allowed absolute deviation of each sum from 1.

    Raises
    ------
    ValueError
        ``"p has a negative entry -0.1 at index (0, 2); expected probabilities >= 0"``
        or ``"p sums to 0.9 along axis -1 at index (1,); expected sums of 1 (tolerance
        1e-06)"`` (without "at index" for a single distribution).
    """
    p = np.asarray(p)
    if p.ndim == 0:
        raise ValueError(f"{name} has shape (); expected at least a 1-D array of probabilities")
    check_finite(p, name)
    if p.size and p.min() < 0:
        flat = int(np.argmin(p))
        raise ValueError(
            f"{name} has a negative entry {p.reshape(-1)[flat]:.6g} at index "
            f"{format_index(flat, p.shape)}; expected probabilities >= 0"
        )
    sums = p.sum(axis=axis)
    dev = np.abs(sums - 1)
    if dev.size and dev.max() > tol:
        flat = int(np.argmax(dev))
        where = f" at index {format_index(flat, np.shape(sums))}" if np.ndim(sums) else ""
        raise ValueError(
            f"{name} sums to {np.reshape(sums, -1)[flat]:.10g} along axis {axis}{where}; "
            f"expected sums of 1 (tolerance {tol:g})"
        )


def check_labels(y: np.ndarray, name: str, allowed: Iterable[float]) -> None:
    """Raise unless every entry of ``y`` is one of the ``allowed`` values.

    Parameters
    ----------
    y : numpy.ndarray
        Labels (any numeric dtype; ``1.0`` counts as ``1``).
    name : str
        The argument name used in the message.
    allowed : iterable of numbers
        The allowed label values, e.g. ``(0, 1)`` or ``(-1, 1)``.

    Raises
    ------
    ValueError
        ``"y contains 2 at index (3,); expected labels in {0, 1}"``.
    """
    y = np.asarray(y)
    allowed = tuple(allowed)
    if y.dtype.kind not in "biuf":
        raise ValueError(f"{name}: expected numeric labels, got dtype {y.dtype}")
    check_finite(y, name)
    if len(allowed) == 2:
        lo, hi = sorted(allowed)
        bad = (y != lo) & (y != hi)
    else:
        bad = ~np.isin(y, allowed)
    if bad.any():
        flat = int(np.flatnonzero(bad)[0])
        value = y.reshape(-1)[flat]
        shown = ", ".join(f"{a:g}" for a in allowed)
        raise ValueError(
            f"{name} contains {value:g} at index {format_index(flat, y.shape)}; "
            f"expected labels in {{{shown}}}"
        )


def check_class_indices(y: np.ndarray, name: str, n_classes: int) -> None:
    """Raise unless ``y`` holds integer class indices in ``[0, n_classes - 1]``.

    Parameters
    ----------
    y : numpy.ndarray
        Integer array of class indices.
    name : str
        The argument name used in the message.
    n_classes : int
        The number of classes C.

    Raises
    ------
    ValueError
        ``"y contains class index 5 at index (2,); expected integers in [0, 4] for 5
        classes"``, or a dtype message for non-integer indices.
    """
    y = np.asarray(y)
    if y.dtype.kind not in "iu":
        raise ValueError(
            f"{name}: expected integer class indices, got dtype {y.dtype} "
            "(pass one-hot rows of shape (N, C) for probabilities)"
        )
    if y.size == 0:
        return
    lo, hi = y.min(), y.max()
    if lo < 0 or hi >= n_classes:
        flat = int(np.argmin(y)) if lo < 0 else int(np.argmax(y))
        value = y.reshape(-1)[flat]
        raise ValueError(
            f"{name} contains class index {value} at index {format_index(flat, y.shape)}; "
            f"expected integers in [0, {n_classes - 1}] for {n_classes} classes"
        )


def check_in_range(
    x: np.ndarray, name: str, low: float, high: float, what: str = "values"
) -> None:
    """Raise unless every entry of ``x`` lies in the closed interval ``[low, high]``.

    Parameters
    ----------
    x : numpy.ndarray
        A numeric array (NaN is reported by :func:`check_finite` first).
    name : str
        The argument name used in the message.
    low, high : float
        The bounds (inclusive).
    what : str, default "values"
        What the entries are, for the message (e.g. ``"probabilities"``).

    Raises
    ------
    ValueError
        ``"y_hat contains 1.2 at index (3,); expected probabilities in [0, 1]"``.
    """
    x = np.asarray(x)
    check_finite(x, name)
    if x.size == 0:
        return
    lo, hi = x.min(), x.max()
    if lo < low or hi > high:
        flat = int(np.argmin(x)) if lo < low else int(np.argmax(x))
        raise ValueError(
            f"{name} contains {x.reshape(-1)[flat]:.6g} at index "
            f"{format_index(flat, x.shape)}; expected {what} in [{low:g}, {high:g}]"
        )


def check_int(value, name: str, minimum: int = 1) -> int:
    """Return ``value`` as an ``int``, raising unless it is an integer ``>= minimum``.

    Booleans and floats such as ``2.5`` (or ``2.0``) are rejected: a count is an integer.

    Raises
    ------
    ValueError
        ``"epochs is 0; expected a positive integer"``, or with ``minimum=2``
        ``"n is 1; expected an integer >= 2"``.
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        expected = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{name} is {value!r}; expected {expected}")
    return int(value)


def check_positive(value, name: str, what: str = "number") -> float:
    """Return ``value`` as a ``float``, raising unless it is finite and ``> 0``.

    Raises
    ------
    ValueError
        ``"lr is -0.1; expected a positive finite learning rate"`` (``what`` names the
        quantity).
    """
    number = _scalar(value)
    if not np.isfinite(number) or number <= 0:
        raise ValueError(f"{name} is {value!r}; expected a positive finite {what}")
    return number


def _scalar(value) -> float:
    """``value`` as a ``float`` if it is a real scalar (not a bool, not an array), else NaN."""
    if isinstance(value, bool):
        return float("nan")
    try:
        return float(value) if np.ndim(value) == 0 else float("nan")  # no arrays
    except (TypeError, ValueError):
        return float("nan")


def learning_rate(lr, name: str = "lr") -> float:
    """``lr`` as a positive finite ``float``, for :func:`checked` (``lr=learning_rate``).

    Raises
    ------
    ValueError
        ``"lr is -0.1; expected a positive finite learning rate"``.
    """
    return check_positive(lr, name, "learning rate")


def decay_rate(value, name: str) -> float:
    r"""A decay rate in :math:`[0, 1)` as a ``float``, for :func:`checked` (``rho=decay_rate``):
    momentum's :math:`\rho`, RMSprop's :math:`\beta_2`, Adam's :math:`\beta_1` and
    :math:`\beta_2`.

    Raises
    ------
    ValueError
        ``"rho is 1.0; expected a decay rate in [0, 1)"``.
    """
    number = _scalar(value)
    if not 0 <= number < 1:  # NaN fails it too
        raise ValueError(f"{name} is {value!r}; expected a decay rate in [0, 1)")
    return number


class UnknownNameError(KeyError, ValueError):
    """An unknown name looked up in a :class:`NameRegistry`.

    Both a ``ValueError`` (the package's error for bad input) and a ``KeyError`` (what a
    failed dict lookup raises), so either ``except`` clause catches it.
    """

    def __str__(self) -> str:  # KeyError would add quotes around the message
        return str(self.args[0]) if self.args else ""


class NameRegistry(dict):
    """A dict from names to functions whose failed lookups list the known names.

    Parameters
    ----------
    argument : str
        The argument name that carries the looked-up name, for the message.
    kind : str
        What the names are, e.g. ``"activation"`` or ``"loss"``.
    **entries
        The registry's contents.

    Examples
    --------
    >>> registry = NameRegistry("loss", "loss", mse=None)
    >>> registry["mae"]
    Traceback (most recent call last):
        ...
    mlcourse._validation.UnknownNameError: loss: unknown loss 'mae'; expected one of: mse
    """

    def __init__(self, argument: str, kind: str, /, **entries):
        super().__init__(**entries)
        self.argument = argument
        self.kind = kind

    def lookup(self, name, argument: str | None = None):
        """``self[name]``, with a ``ValueError`` also for a name that is not a ``str``.

        ``argument`` names the caller's argument in the message (default: the
        registry's own ``argument``), e.g. ``"output: unknown activation 'soft'; ..."``.
        """
        argument = argument or self.argument
        if not isinstance(name, str):
            article = "an" if self.kind[:1] in "aeiou" else "a"
            raise ValueError(
                f"{argument}: expected {article} {self.kind} name (str), got {name!r}"
            )
        if name not in self:
            raise self.unknown(name, argument)
        return self[name]

    def unknown(self, name, argument: str | None = None) -> UnknownNameError:
        """The error for a name that is not in the registry: the one wording of the package."""
        known = ", ".join(sorted(self))
        return UnknownNameError(
            f"{argument or self.argument}: unknown {self.kind} {name!r}; expected one of: {known}"
        )

    def __missing__(self, name):
        raise self.unknown(name)


# ------------------------------------------------------------ checks, then the formula
def checked(*relations: Callable, **converters: Callable):
    """Decorator: check a function's arguments, then run its body (the formula) on them.

    Parameters
    ----------
    *relations : callables
        Checks that relate several arguments (shapes that must fit, a slope per unit),
        run after the converters. Each is called with the arguments that its own
        signature names, by name; it raises ``ValueError``, or returns ``None`` or a dict
        of arguments to replace (e.g. class indices turned into one-hot rows).
    **converters : callables
        ``argument=convert``: ``convert(value, "argument")`` checks one argument and
        returns what the body receives, e.g. ``z=finite_array``. Defaults are converted
        too.

    Returns
    -------
    The decorated function. It keeps the name, docstring and signature of the body, and
    ``unchecked(f)`` returns the body alone (Python's ``f.__wrapped__``).

    Examples
    --------
    >>> @checked(z=finite_array)
    ... def double(z):
    ...     return 2 * z
    >>> double([1, 2])
    array([2., 4.])
    >>> double([0.0, float("nan")])
    Traceback (most recent call last):
        ...
    ValueError: z contains NaN at index (1,); expected finite values
    >>> unchecked(double)(np.array([0.0, float("nan")]))
    array([ 0., nan])
    """

    def decorate(body):
        signature = inspect.signature(body)
        parameters = signature.parameters.values()
        if any(p.kind not in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) for p in parameters):
            raise TypeError(f"checked: {body.__name__} takes *args, **kwargs or positional-only")
        for name in converters:
            if name not in signature.parameters:
                raise TypeError(f"checked: {body.__name__} has no argument {name!r}")
        positional = tuple(p.name for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD)
        defaults = {p.name: p.default for p in parameters if p.default is not p.empty}
        n_arguments = len(signature.parameters)
        named = [
            (relation, tuple(inspect.signature(relation).parameters)) for relation in relations
        ]

        @functools.wraps(body)
        def checked_body(*args, **kwargs):
            # Binding by hand is several times cheaper than signature.bind; any call that
            # does not bind cleanly goes to signature.bind for Python's own TypeError.
            arguments = {**defaults, **dict(zip(positional, args, strict=False)), **kwargs}
            if (
                len(args) > len(positional)
                or len(arguments) != n_arguments
                or (kwargs and not kwargs.keys().isdisjoint(positional[: len(args)]))
            ):
                signature.bind(*args, **kwargs)
            for name, convert in converters.items():
                arguments[name] = convert(arguments[name], name)
            for relation, names in named:
                replaced = relation(**{name: arguments[name] for name in names})
                if replaced:
                    arguments.update(replaced)
            return body(**arguments)

        checked_body.__checked__ = True
        return checked_body

    return decorate


def unchecked(function: Callable) -> Callable:
    """The body of a function decorated with :func:`checked`: its formula, without checks.

    The caller promises what the checks would have made sure of (float arrays of the
    right shapes, without NaN). A function that is not decorated is returned as it is.
    """
    return function.__wrapped__ if getattr(function, "__checked__", False) else function
