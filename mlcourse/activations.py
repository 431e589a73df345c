r"""Activation functions, each next to its derivative.

Every elementwise activation ``f(z)`` comes with ``f_grad(z)``, the elementwise
derivative :math:`f'(z)` (same shape and dtype as ``z``). ``z`` may have any shape; in
a layer it is the pre-activation ``Z = X W + b`` of shape ``(N, M)``.

Conventions
-----------
* dtype: float32 stays float32 and float64 stays float64 (no upcast); integers and
  booleans become float64.
* Kinks: at ``z = 0`` the derivative takes the left branch, as PyTorch does: ``relu_grad(0)
  = 0``, ``leaky_relu_grad(0) = alpha``, ``prelu_grad(0) = a``, ``elu_grad(0) = alpha``.
  ``step(0) = 1`` (the Heaviside function with ``H(0) = 1``) and ``step_grad = 0``.
* Stability: no overflow, no warning and no NaN for finite inputs of either dtype;
  each docstring says which trick it uses.
* Bad input (NaN or inf in ``z``, a strange parameter, an unknown name) raises
  :class:`ValueError` naming the argument.

The table
---------
``ACTIVATION_TABLE`` is the one place that says what the course knows about an
activation: one :class:`Activation` entry per name, with the function, its derivative,
whether it acts on whole rows, the initialisation that suits it and its PyTorch module.
The layers, the MLP, ``to_torch`` and the tests all read it, so adding an activation is
one entry here plus its formula (see CONTRIBUTING.md).

``ACTIVATIONS`` is the elementwise part of the table as ``name -> (f, f_grad)``, both
taking only ``z``. The parametrised activations are there with their default parameters
(the values in their signatures): ``"leaky_relu"`` has ``alpha=0.01``, ``"elu"`` has
``alpha=1.0``, ``"swish"`` has ``beta=1.0`` (that is SiLU). For other values call the
functions directly, e.g. ``functools.partial(elu, alpha=0.5)``. ``prelu`` is in neither
because its slope ``a`` is a learnable parameter that a layer must own. ``softmax`` and
``log_softmax`` act on rows (their derivative is a Jacobian): they are in the table,
not in ``ACTIVATIONS``. An unknown name raises ``ValueError`` listing the known names
(the error is also a ``KeyError``, so ``dict``-style code keeps working).

Checks, then the formula
------------------------
Each function states its checks in its ``@checked`` decorator (``z`` becomes a float
array without NaN or inf) and its body is the formula, so ``inspect.getsource`` shows
the mathematics. ``unchecked(f)`` (:mod:`mlcourse._validation`) is the body alone, the
fast path of the layers.

References
----------
He et al. (2015), "Delving deep into rectifiers" (PReLU); Clevert et al. (2015), "Fast
and accurate deep network learning by exponential linear units" (ELU); Hendrycks and
Gimpel (2016), "Gaussian error linear units" (GELU); Ramachandran et al. (2017),
"Searching for activation functions" (Swish).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from mlcourse._validation import NameRegistry, checked, finite_array, real_number

__all__ = [
    "ACTIVATIONS",
    "ACTIVATION_TABLE",
    "INIT_FAMILIES",
    "Activation",
    "elu",
    "elu_grad",
    "gelu",
    "gelu_grad",
    "get_activation",
    "identity",
    "identity_grad",
    "leaky_relu",
    "leaky_relu_grad",
    "log_softmax",
    "prelu",
    "prelu_grad",
    "prelu_grad_a",
    "relu",
    "relu_grad",
    "sigmoid",
    "sigmoid_grad",
    "softmax",
    "softplus",
    "softplus_grad",
    "step",
    "step_grad",
    "swish",
    "swish_grad",
    "tanh",
    "tanh_grad",
]


# --------------------------------------------------------------------------- checks
def _axis_fits(z, axis) -> None:
    """``axis`` is an axis of ``z`` (and ``z`` has at least one)."""
    if z.ndim == 0:
        raise ValueError("z has shape (); expected at least a 1-D array")
    if not isinstance(axis, int | np.integer) or not -z.ndim <= axis < z.ndim:
        raise ValueError(
            f"axis is {axis!r}; expected an integer in [{-z.ndim}, {z.ndim - 1}] "
            f"for z with shape {z.shape}"
        )


def _slope_fits(z, a) -> dict:
    """``a`` is one slope, or one per unit (the last axis of ``z``); in ``z``'s dtype."""
    if a.ndim > 1 or (a.ndim == 1 and (z.ndim == 0 or a.shape[0] != z.shape[-1])):
        last = z.shape[-1] if z.ndim else 1
        raise ValueError(
            f"a has shape {a.shape}; expected a scalar or shape ({last},) "
            f"(one slope per unit, the last axis of z with shape {z.shape})"
        )
    return {"a": a.astype(z.dtype, copy=False)}


# ------------------------------------------------------------------- identity, step
@checked(z=finite_array)
def identity(z):
    r"""Identity (linear) activation :math:`f(z) = z`.

    Parameters
    ----------
    z : array_like, any shape

    Returns
    -------
    numpy.ndarray
        A copy of ``z`` (so that in-place changes to the output never touch ``z``).
    """
    return z.copy()


@checked(z=finite_array)
def identity_grad(z):
    r"""Derivative of :func:`identity`: :math:`f'(z) = 1`, an array of ones like ``z``."""
    return np.ones_like(z)


@checked(z=finite_array)
def step(z):
    r"""Binary step (Heaviside) activation, the perceptron's output unit.

    .. math:: H(z) = 1 \text{ if } z \ge 0 \text{ else } 0

    Parameters
    ----------
    z : array_like, any shape

    Returns
    -------
    numpy.ndarray
        Zeros and ones, same shape and float dtype as ``z``; ``step(0) = 1``
        (``torch.heaviside(z, 1)``).
    """
    return (z >= 0).astype(z.dtype)


@checked(z=finite_array)
def step_grad(z):
    r"""Derivative of :func:`step`: 0 everywhere (undefined at 0, where we also return 0).

    The zero gradient is why the perceptron is not trained by gradient descent.
    """
    return np.zeros_like(z)


# ---------------------------------------------------------------- sigmoid and tanh
@checked(z=finite_array)
def sigmoid(z):
    r"""Logistic sigmoid :math:`\sigma(z) = 1 / (1 + e^{-z}) = e^z / (1 + e^z)`.

    Parameters
    ----------
    z : array_like, any shape

    Returns
    -------
    numpy.ndarray
        Values in (0, 1) (they round to exactly 0 or 1 for large ``|z|``), same shape and
        dtype as ``z``.

    Notes
    -----
    Stability: with :math:`u = e^{-|z|} \in (0, 1]`, the function is computed as
    :math:`1 / (1 + u)` for :math:`z \ge 0` and :math:`u / (1 + u)` for :math:`z < 0`.
    ``exp`` only ever sees non-positive numbers, so ``sigmoid(-1000)`` is ``0`` without
    an overflow warning, and small values keep full relative precision.

    See Also
    --------
    sigmoid_grad, softplus, mlcourse.losses.binary_cross_entropy_with_logits
    """
    u = np.exp(-np.abs(z))  # u = e^{-|z|} is in (0, 1]: it never overflows
    return np.where(z >= 0, 1, u) / (1 + u)


@checked(z=finite_array)
def sigmoid_grad(z):
    r"""Derivative of :func:`sigmoid`: :math:`\sigma'(z) = \sigma(z)(1 - \sigma(z))`.

    Notes
    -----
    Computed as :math:`u / (1 + u)^2` with :math:`u = e^{-|z|}` (the derivative is even),
    which keeps full relative precision in the tails where :math:`\sigma (1 - \sigma)`
    would round to 0 (PyTorch's autograd uses :math:`\sigma (1 - \sigma)`; the two agree
    to within 1e-16 absolute). The decay like :math:`e^{-|z|}` is the saturation that
    makes deep sigmoid networks slow to train.
    """
    u = np.exp(-np.abs(z))
    return u / ((1 + u) * (1 + u))


@checked(z=finite_array)
def tanh(z):
    r"""Hyperbolic tangent :math:`\tanh(z) = (e^z - e^{-z}) / (e^z + e^{-z}) = 2\sigma(2z) - 1`.

    Zero-centred, bounded in (-1, 1). Computed by ``np.tanh`` (stable for all inputs).

    Parameters
    ----------
    z : array_like, any shape

    Returns
    -------
    numpy.ndarray, same shape and dtype as ``z``
    """
    return np.tanh(z)


@checked(z=finite_array)
def tanh_grad(z):
    r"""Derivative of :func:`tanh`: :math:`1 - \tanh^2(z) = 1 / \cosh^2(z)`.

    Notes
    -----
    Computed as :math:`4u / (1 + u)^2` with :math:`u = e^{-2|z|}`, which neither
    overflows (``cosh`` would, for ``|z| > 710``) nor loses the tail to rounding
    (:math:`1 - \tanh^2` is exactly 0 once ``tanh`` rounds to 1).
    """
    u = np.exp(-2 * np.abs(z))
    return 4 * u / ((1 + u) * (1 + u))


# ------------------------------------------------------------------ ReLU family
@checked(z=finite_array)
def relu(z):
    r"""Rectified linear unit :math:`\mathrm{ReLU}(z) = \max(0, z)`.

    Parameters
    ----------
    z : array_like, any shape

    Returns
    -------
    numpy.ndarray, same shape and dtype as ``z``

    Notes
    -----
    Not bounded above, not zero-centred; a unit whose pre-activation is negative for
    every input gets no gradient ("dying ReLU"), hence the tip of a small positive
    bias such as 0.1.
    """
    return np.maximum(z, 0)


@checked(z=finite_array)
def relu_grad(z):
    r"""Derivative of :func:`relu`: 1 for :math:`z > 0`, 0 for :math:`z \le 0`.

    At the kink ``z = 0`` we return the subgradient 0, as PyTorch does.
    """
    return (z > 0).astype(z.dtype)


@checked(z=finite_array, alpha=real_number)
def leaky_relu(z, alpha=0.01):
    r"""Leaky ReLU :math:`f(z) = z` for :math:`z > 0`, :math:`\alpha z` otherwise.

    For :math:`0 \le \alpha \le 1` this is :math:`\max(\alpha z, z)`.

    Parameters
    ----------
    z : array_like, any shape
    alpha : float, default 0.01
        Slope for negative inputs (the registry uses 0.01).

    Returns
    -------
    numpy.ndarray, same shape and dtype as ``z``
    """
    return np.where(z > 0, z, alpha * z)


@checked(z=finite_array, alpha=real_number)
def leaky_relu_grad(z, alpha=0.01):
    r"""Derivative of :func:`leaky_relu`: 1 for :math:`z > 0`, :math:`\alpha` for
    :math:`z \le 0` (``alpha`` at the kink, as PyTorch)."""
    return np.where(z > 0, 1, alpha).astype(z.dtype)


@checked(_slope_fits, z=finite_array, a=finite_array)
def prelu(z, a):
    r"""Parametric ReLU (He et al., 2015): :math:`f(z) = z` for :math:`z > 0`,
    :math:`a z` otherwise, with a learnable slope :math:`a`.

    Parameters
    ----------
    z : array_like, shape (..., M)
    a : float or array_like of shape (M,)
        One shared slope, or one slope per unit (the last axis of ``z``, i.e. the
        channel of ``torch.nn.PReLU(M)`` for ``(N, M)`` input). He et al. start at 0.25.

    Returns
    -------
    numpy.ndarray, same shape and dtype as ``z``

    See Also
    --------
    prelu_grad : the derivative with respect to ``z``.
    prelu_grad_a : the derivative with respect to ``a``.
    """
    return np.where(z > 0, z, a * z)


@checked(_slope_fits, z=finite_array, a=finite_array)
def prelu_grad(z, a):
    r"""Derivative of :func:`prelu` with respect to ``z``: 1 for :math:`z > 0`, :math:`a`
    for :math:`z \le 0`. Returns an array of the shape of ``z``."""
    return np.where(z > 0, 1, a).astype(z.dtype)


@checked(_slope_fits, z=finite_array, a=finite_array)
def prelu_grad_a(z, a):
    r"""Elementwise derivative of :func:`prelu` with respect to the slope ``a``.

    .. math:: \partial f(z) / \partial a = 0 \text{ for } z > 0, \quad z \text{ otherwise}

    Returns an array of the shape of ``z``. To get the gradient of a loss, sum over the
    axes that share a slope: ``(dout * prelu_grad_a(z, a)).sum(axis=0)`` for one slope per
    unit with ``z: (N, M)``, or ``.sum()`` for a scalar ``a``.
    """
    return np.where(z > 0, 0, z)


@checked(z=finite_array, alpha=real_number)
def elu(z, alpha=1.0):
    r"""Exponential linear unit (Clevert et al., 2015).

    .. math:: f(z) = z \text{ for } z > 0, \quad \alpha (e^z - 1) \text{ for } z \le 0

    Parameters
    ----------
    z : array_like, any shape
    alpha : float, default 1.0
        The negative saturation value is :math:`-\alpha` (the registry uses 1.0).

    Returns
    -------
    numpy.ndarray, same shape and dtype as ``z``

    Notes
    -----
    Stability: ``expm1`` of :math:`\min(z, 0)`, so the unused branch never overflows
    and :math:`e^z - 1` keeps its precision near 0.
    """
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0)))


@checked(z=finite_array, alpha=real_number)
def elu_grad(z, alpha=1.0):
    r"""Derivative of :func:`elu`: 1 for :math:`z > 0`, :math:`\alpha e^z` for
    :math:`z \le 0` (``alpha`` at the kink, as PyTorch)."""
    return np.where(z > 0, 1, alpha * np.exp(np.minimum(z, 0))).astype(z.dtype)


# ----------------------------------------------------------------------------- GELU
# The standard normal CDF Phi in NumPy only (no SciPy at import time). For
# x = |z| / sqrt(2) <= 2 we sum the everywhere-convergent series with positive terms
#     erf(x) = 2x/sqrt(pi) exp(-x^2) sum_{n>=0} (2x^2)^n / (1 * 3 * ... * (2n + 1)),
# 32 terms are enough for double precision; for x > 2 the continued fraction
#     erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))
# evaluated bottom-up with 56 terms. The tail probability q = P(Z > |z|) = erfc(x)/2 is
# thus accurate to a few ulp relative (about 1e-13 relative even at z = -37), and
# Phi(z) = 1 - q for z >= 0, q for z < 0. Each element goes through one branch only.
_ERF_SPLIT = 2.0
_ERF_SERIES_TERMS = 32
_ERFC_CF_TERMS = 56
_SQRT1_2 = 1 / math.sqrt(2)
_2_SQRTPI = 2 / math.sqrt(math.pi)
_1_SQRT2PI = 1 / math.sqrt(2 * math.pi)


def _normal_cdf(z: np.ndarray) -> np.ndarray:
    """Standard normal CDF, relatively accurate in both tails, dtype of ``z``.

    float32 input is evaluated in float64 and rounded back: in float32 the series would
    lose digits to the cancellation in 1 - erf near the split point.
    """
    if z.dtype != np.float64:
        return _normal_cdf(z.astype(np.float64)).astype(z.dtype)
    zf = np.atleast_1d(z)
    x = np.abs(zf) * _SQRT1_2
    q = np.empty_like(x)
    small = x <= _ERF_SPLIT
    with np.errstate(under="ignore"):
        xs = x[small]
        x2 = 2 * xs * xs
        term = np.ones_like(xs)
        total = np.ones_like(xs)
        for n in range(1, _ERF_SERIES_TERMS + 1):
            term *= x2
            term *= 1 / (2 * n + 1)
            total += term
        q[small] = 0.5 - 0.5 * _2_SQRTPI * xs * np.exp(-xs * xs) * total
        xl = x[~small]
        frac = xl.copy()
        for k in range(_ERFC_CF_TERMS, 0, -1):
            np.divide(0.5 * k, frac, out=frac)
            frac += xl
        q[~small] = np.exp(-xl * xl) / frac * (0.5 / math.sqrt(math.pi))
    return np.where(zf >= 0, 1 - q, q).reshape(np.shape(z))


@checked(z=finite_array)
def gelu(z):
    r"""Gaussian error linear unit (Hendrycks and Gimpel, 2016), the exact erf form.

    .. math:: \mathrm{GELU}(z) = z\,\Phi(z) = \tfrac{z}{2}\left(1 + \mathrm{erf}(z/\sqrt{2})
              \right)

    where :math:`\Phi` is the standard normal CDF (``torch.nn.GELU()`` with
    ``approximate="none"``, not the tanh approximation).

    Parameters
    ----------
    z : array_like, any shape

    Returns
    -------
    numpy.ndarray, same shape and dtype as ``z``

    Notes
    -----
    ``erf`` is computed in NumPy (the package imports no SciPy): a positive-term power
    series for :math:`|z|/\sqrt{2} \le 2` and a continued fraction for ``erfc`` beyond.
    For :math:`z < 0` we use :math:`\Phi(z) = \mathrm{erfc}(|z|/\sqrt{2})/2` instead of
    :math:`(1 + \mathrm{erf})/2`, which cancels; so the left tail keeps its relative
    precision (PyTorch's values there are accurate in absolute terms only). Agreement
    with ``torch.nn.functional.gelu`` in float64: 1e-10 relative plus 1e-14 absolute.
    float32 input is evaluated in float64 internally and rounded back to float32 (the
    output is float32). Cost: about 50 vectorised passes over ``z``, roughly 1 ms for
    32 000 values: GELU is for the lessons, ReLU for speed.
    """
    return z * _normal_cdf(z)


@checked(z=finite_array)
def gelu_grad(z):
    r"""Derivative of :func:`gelu`: :math:`\Phi(z) + z\,\varphi(z)` with
    :math:`\varphi(z) = e^{-z^2/2} / \sqrt{2\pi}`."""
    with np.errstate(under="ignore"):
        pdf = np.exp(-0.5 * z * z) * _1_SQRT2PI
    return _normal_cdf(z) + z * pdf


# --------------------------------------------------------------- swish, softplus
@checked(z=finite_array, beta=real_number)
def swish(z, beta=1.0):
    r"""Swish (Ramachandran et al., 2017): :math:`f(z) = z\,\sigma(\beta z)`.

    With ``beta=1`` this is SiLU (``torch.nn.SiLU``); the registry uses ``beta=1.0``.

    Parameters
    ----------
    z : array_like, any shape
    beta : float, default 1.0

    Returns
    -------
    numpy.ndarray, same shape and dtype as ``z``

    Notes
    -----
    Uses the overflow-free :func:`sigmoid`.
    """
    return z * sigmoid(beta * z)


@checked(z=finite_array, beta=real_number)
def swish_grad(z, beta=1.0):
    r"""Derivative of :func:`swish`:
    :math:`f'(z) = \sigma(\beta z) + \beta z\,\sigma(\beta z)(1 - \sigma(\beta z))`.

    The second term uses the tail-accurate :func:`sigmoid_grad`, so no ``inf * 0``.
    """
    return sigmoid(beta * z) + beta * z * sigmoid_grad(beta * z)


@checked(z=finite_array)
def softplus(z):
    r"""Softplus :math:`f(z) = \ln(1 + e^z)`, a smooth ReLU.

    Parameters
    ----------
    z : array_like, any shape

    Returns
    -------
    numpy.ndarray, same shape and dtype as ``z``

    Notes
    -----
    Stability: ``np.logaddexp(0, z)`` :math:`= \max(0, z) + \ln(1 + e^{-|z|})`, which never
    overflows (the naive form is ``inf`` for ``z > 709``) and is exact in both tails.
    ``torch.nn.functional.softplus`` returns ``z`` itself above its ``threshold=20``,
    which differs from the exact value by less than :math:`e^{-20} \approx 2 \cdot 10^{-9}`.
    """
    return np.logaddexp(0, z)


@checked(z=finite_array)
def softplus_grad(z):
    r"""Derivative of :func:`softplus`: :math:`f'(z) = \sigma(z)`."""
    return sigmoid(z)


# ---------------------------------------------------------- softmax, log-softmax
@checked(_axis_fits, z=finite_array)
def softmax(z, axis=-1):
    r"""Softmax along ``axis``: :math:`\mathrm{softmax}(z)_i = e^{z_i} / \sum_j e^{z_j}`.

    Parameters
    ----------
    z : array_like, shape (..., C)
        Scores (logits); with the default ``axis=-1`` each row of an ``(N, C)`` array is
        one sample.
    axis : int, default -1

    Returns
    -------
    numpy.ndarray
        Same shape and dtype as ``z``; non-negative, summing to 1 along ``axis``.

    Notes
    -----
    Stability: softmax is unchanged by subtracting a constant from every score, so we
    subtract the maximum along ``axis`` first: ``exp`` then sees numbers <= 0 and cannot
    overflow, and at least one term of the sum is 1, so it cannot underflow to 0.

    See Also
    --------
    log_softmax, mlcourse.losses.cross_entropy
    """
    e = np.exp(z - z.max(axis=axis, keepdims=True))  # exponents <= 0: no overflow
    return e / e.sum(axis=axis, keepdims=True)


@checked(_axis_fits, z=finite_array)
def log_softmax(z, axis=-1):
    r"""Log-softmax along ``axis``: :math:`z_i - \log \sum_j e^{z_j}`.

    Parameters
    ----------
    z : array_like, shape (..., C)
    axis : int, default -1

    Returns
    -------
    numpy.ndarray, same shape and dtype as ``z``; values <= 0.

    Notes
    -----
    Stability: with :math:`m = \max_j z_j`, :math:`\log \sum_j e^{z_j} = m + \log \sum_j
    e^{z_j - m}` (log-sum-exp), so nothing overflows and a very unlikely class gets a large
    negative number instead of ``log(0) = -inf``.
    """
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _softmax_vjp(dS, S):
    r"""Vector-Jacobian product of softmax, row by row, from its output ``S``.

    The Jacobian is :math:`\mathrm{diag}(S) - S S^T`, so
    :math:`dz = S \odot (dS - \langle dS, S \rangle)`. Unchecked (the layer has checked).
    """
    return S * (dS - (dS * S).sum(axis=-1, keepdims=True))


def _log_softmax_vjp(dL, L):
    r"""Vector-Jacobian product of log-softmax, row by row, from its output ``L``:
    :math:`dz = dL - \mathrm{softmax}(z) \sum_i dL_i` with :math:`\mathrm{softmax}(z) = e^L`.
    Unchecked (the layer has checked)."""
    return dL - np.exp(L) * dL.sum(axis=-1, keepdims=True)


# ------------------------------------------------------------------------- the table
#: The weight initialisations of :class:`mlcourse.mlp.MLP`: the standard deviation of the
#: weights of a layer with ``fan_in`` inputs and ``fan_out`` outputs that is followed by
#: an activation of the family. He et al. (2015) for rectifiers, which zero about half of
#: their inputs (the factor 2 makes up for it); Glorot and Bengio (2010) for the rest.
INIT_FAMILIES: Mapping[str, Callable[[int, int], float]] = {
    "he": lambda fan_in, fan_out: math.sqrt(2.0 / fan_in),
    "glorot": lambda fan_in, fan_out: math.sqrt(2.0 / (fan_in + fan_out)),
}


@dataclass(frozen=True)
class Activation:
    """What the course knows about one activation: an entry of :data:`ACTIVATION_TABLE`.

    Every field but ``name`` (the table fills it in) is required, so an entry cannot be
    left incomplete.

    Attributes
    ----------
    function : callable
        ``g(z)``, with the activation's default parameters.
    derivative : callable
        Elementwise: ``g'(z)``, and the layer computes ``dZ = dH * g'(Z)``. Row-wise:
        the vector-Jacobian product ``derivative(dH, H) -> dZ``, read off the output.
    rowwise : bool
        Whether ``g`` maps each row to a row (softmax) rather than each entry to an entry.
    init : str
        A key of :data:`INIT_FAMILIES`: the initialisation of the weights of a layer that
        this activation follows.
    torch : (str, dict) or None
        The ``torch.nn`` module that computes the same function, as its class name and
        keyword arguments, e.g. ``("LeakyReLU", {"negative_slope": 0.01})``; ``None``
        where PyTorch has none (then ``MLP.to_torch`` refuses the activation).
    """

    function: Callable
    derivative: Callable
    rowwise: bool
    init: str
    torch: tuple[str, Mapping] | None
    name: str = field(default="", compare=False)

    def __post_init__(self):
        if not (callable(self.function) and callable(self.derivative)):
            raise TypeError("Activation: function and derivative must be callable")
        if not isinstance(self.rowwise, bool):
            raise TypeError(f"Activation: rowwise is {self.rowwise!r}; expected True or False")
        if self.init not in INIT_FAMILIES:
            raise ValueError(
                f"Activation: init is {self.init!r}; expected one of: {', '.join(INIT_FAMILIES)}"
            )
        if self.torch is not None and not (
            len(self.torch) == 2
            and isinstance(self.torch[0], str)
            and isinstance(self.torch[1], Mapping)
        ):
            raise TypeError(
                f"Activation: torch is {self.torch!r}; expected (module name, keyword "
                "arguments) or None"
            )

    def torch_module(self):
        """A new ``torch.nn`` module computing this activation (imports PyTorch)."""
        if self.torch is None:
            raise ValueError(
                f"activation {self.name!r} has no PyTorch module (torch.nn has none); "
                "expected an activation whose table entry names one"
            )
        from torch import nn

        module_name, kwargs = self.torch
        return getattr(nn, module_name)(**kwargs)


def _table(**entries: Activation) -> NameRegistry:
    return NameRegistry(
        "name",
        "activation",
        **{name: replace(entry, name=name) for name, entry in entries.items()},
    )


ACTIVATION_TABLE: dict = _table(
    identity=Activation(identity, identity_grad, False, "glorot", ("Identity", {})),
    step=Activation(step, step_grad, False, "glorot", None),  # no torch.nn module
    sigmoid=Activation(sigmoid, sigmoid_grad, False, "glorot", ("Sigmoid", {})),
    tanh=Activation(tanh, tanh_grad, False, "glorot", ("Tanh", {})),
    relu=Activation(relu, relu_grad, False, "he", ("ReLU", {})),
    leaky_relu=Activation(
        leaky_relu, leaky_relu_grad, False, "he", ("LeakyReLU", {"negative_slope": 0.01})
    ),
    elu=Activation(elu, elu_grad, False, "he", ("ELU", {"alpha": 1.0})),
    gelu=Activation(gelu, gelu_grad, False, "he", ("GELU", {"approximate": "none"})),
    swish=Activation(swish, swish_grad, False, "he", ("SiLU", {})),
    softplus=Activation(softplus, softplus_grad, False, "he", ("Softplus", {})),
    softmax=Activation(softmax, _softmax_vjp, True, "glorot", ("Softmax", {"dim": -1})),
    log_softmax=Activation(
        log_softmax, _log_softmax_vjp, True, "glorot", ("LogSoftmax", {"dim": -1})
    ),
)
"""Name -> :class:`Activation`: every activation the layers and the MLP accept."""

ACTIVATIONS: dict = NameRegistry(
    "name",
    "activation",
    **{
        name: (entry.function, entry.derivative)
        for name, entry in ACTIVATION_TABLE.items()
        if not entry.rowwise
    },
)
"""Name -> ``(f, f_grad)`` for the elementwise activations of :data:`ACTIVATION_TABLE`."""


def get_activation(name: str):
    """Return ``(f, f_grad)`` for an activation name from :data:`ACTIVATIONS`.

    Raises
    ------
    ValueError
        ``"name: unknown activation 'foo'; expected one of: elu, gelu, ..."``.
    """
    return ACTIVATIONS.lookup(name)
