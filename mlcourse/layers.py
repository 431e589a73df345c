"""Layers as pure functions: ``*_forward -> (out, cache)`` and ``*_backward(dout, cache)``.

The forward function of a layer returns its output and a ``cache``: what the backward
function needs, and nothing more. The backward function takes ``dout``, the gradient of
the loss with respect to the layer's output (same shape as the output), and returns the
gradients with respect to the layer's inputs. Chaining them layer by layer is
backpropagation; :class:`mlcourse.mlp.MLP` does exactly that.

Conventions: data points are rows. ``X: (N, D)``, ``W: (D, M)``, ``b: (M,)``,
``Z = X W + b: (N, M)``. In the course's notation ``Z`` is the pre-activation and
``H = g(Z)`` the activation (the output of the layer).

Arrays keep their dtype: float32 in, float32 out (no float64 upcast), so the same code
serves the float64 gradient checks and the float32 benchmark.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from mlcourse import activations as _act
from mlcourse._validation import as_float_array, check_finite, check_ndim

__all__ = [
    "activation_backward",
    "activation_forward",
    "known_activations",
    "linear_backward",
    "linear_forward",
]

# Activations computed here, in place where that is safe, rather than through the registry:
# ReLU and identity are the hot path of the MLP; softmax and log-softmax act on whole rows,
# so their backward is a vector-Jacobian product rather than an elementwise product.
_ROWWISE = ("softmax", "log_softmax")


def known_activations() -> list[str]:
    """Names accepted by :func:`activation_forward`: the registry plus row-wise ones."""
    return sorted({*_act.ACTIVATIONS, *_ROWWISE})


def _check_activation_name(name, argument: str = "name") -> str:
    if not isinstance(name, str) or name not in known_activations():
        raise ValueError(
            f"{argument} is {name!r}; expected one of the known activations "
            f"{', '.join(known_activations())}"
        )
    return name


# ---------------------------------------------------------------------------------------
# Linear (fully connected) layer
# ---------------------------------------------------------------------------------------


def _linear_forward(X: np.ndarray, W: np.ndarray, b: np.ndarray):
    Z = X @ W  # (N, M), a new array
    Z += b  # broadcast over rows, in place: no second (N, M) array
    return Z, (X, W)


def linear_forward(X, W, b):
    r"""Affine layer, forward: :math:`Z = X W + b`.

    Parameters
    ----------
    X : array_like, shape (N, D)
        A batch of ``N`` data points as rows.
    W : array_like, shape (D, M)
        Weights: column ``m`` holds the weights of unit ``m``.
    b : array_like, shape (M,)
        Biases, broadcast over the ``N`` rows.

    Returns
    -------
    Z : ndarray, shape (N, M)
        The pre-activations.
    cache : tuple ``(X, W)``
        For :func:`linear_backward` (references, not copies).

    Raises
    ------
    ValueError
        If the shapes do not fit, e.g. ``X (5, 3)`` with ``W (4, 2)``, or an input holds
        NaN or inf.
    """
    X = as_float_array(X, "X")
    W = as_float_array(W, "W")
    b = as_float_array(b, "b")
    check_ndim(X, "X", 2, "(N, D)")
    check_ndim(W, "W", 2, "(D, M)")
    if W.shape[0] != X.shape[1]:
        raise ValueError(
            f"W has shape {W.shape} but X has shape {X.shape}; expected W of shape "
            f"(D, M) with D = {X.shape[1]}, the number of columns of X"
        )
    if b.shape != (W.shape[1],):
        raise ValueError(
            f"b has shape {b.shape} but W has shape {W.shape}; expected b of shape "
            f"({W.shape[1]},), one bias per column of W"
        )
    for arr, name in ((X, "X"), (W, "W"), (b, "b")):
        check_finite(arr, name)
    return _linear_forward(X, W, b)


@lru_cache(maxsize=16)
def _ones(n: int, dtype: np.dtype) -> np.ndarray:
    ones = np.ones(n, dtype=dtype)
    ones.flags.writeable = False
    return ones


def _sum_rows(dZ: np.ndarray) -> np.ndarray:
    """``dZ.sum(axis=0)`` as a vector-matrix product: BLAS is 3x faster than the reduction."""
    if dZ.dtype not in (np.float32, np.float64):
        return dZ.sum(axis=0)
    return _ones(dZ.shape[0], dZ.dtype) @ dZ


def _linear_backward(dZ: np.ndarray, cache, need_dX: bool = True):
    X, W = cache
    dW = X.T @ dZ  # (D, N) @ (N, M): BLAS reads the transpose, no copy
    db = _sum_rows(dZ)
    dX = dZ @ W.T if need_dX else None
    return dX, dW, db


def linear_backward(dZ, cache):
    r"""Affine layer, backward.

    With :math:`Z = X W + b` and ``dZ`` the gradient of the loss with respect to ``Z``:

    .. math:: dX = dZ\, W^T, \qquad dW = X^T dZ, \qquad db = \sum_{n} dZ_{n,:}

    (the bias is added to every row, so its gradient sums the rows).

    Parameters
    ----------
    dZ : array_like, shape (N, M)
        Upstream gradient.
    cache : tuple ``(X, W)`` from :func:`linear_forward`
        ``X: (N, D)``, ``W: (D, M)``.

    Returns
    -------
    dX : ndarray, shape (N, D)
    dW : ndarray, shape (D, M)
    db : ndarray, shape (M,)
    """
    X, W = cache
    dZ = as_float_array(dZ, "dZ")
    expected = (X.shape[0], W.shape[1])
    if dZ.shape != expected:
        raise ValueError(
            f"dZ has shape {dZ.shape}; expected {expected}, the shape of Z = X W + b "
            f"for X {X.shape} and W {W.shape}"
        )
    check_finite(dZ, "dZ")
    return _linear_backward(dZ, cache)


# ---------------------------------------------------------------------------------------
# Activation layer (elementwise, or row-wise for softmax)
# ---------------------------------------------------------------------------------------


def _activation_forward(Z: np.ndarray, name: str, inplace: bool = False):
    """Forward without checks. With ``inplace`` the result may overwrite ``Z``."""
    if name == "identity":
        return Z, ("identity", None)
    if name == "relu":
        H = _act._relu_fast(Z, out=Z if inplace else None)
        return H, ("relu", H)  # H > 0 exactly where Z > 0: the mask is read off H
    if name == "softmax":
        H = _act._softmax_fast(Z, out=Z if inplace else None)
        return H, ("softmax", H)
    if name == "log_softmax":
        H = _act.log_softmax(Z, axis=-1)
        return H, ("log_softmax", H)
    f, _ = _act.ACTIVATIONS[name]
    return f(Z), (name, Z)


def activation_forward(Z, name: str = "relu"):
    r"""Activation layer, forward: :math:`H = g(Z)`.

    Parameters
    ----------
    Z : array_like, shape (N, M)
        Pre-activations (any shape for elementwise activations).
    name : str
        An elementwise activation of :data:`mlcourse.activations.ACTIVATIONS` (applied
        with its default parameters: ``leaky_relu`` slope 0.01, ``elu`` alpha 1,
        ``swish`` beta 1), or ``"softmax"`` / ``"log_softmax"`` (along the last axis,
        rows of ``Z`` being the data points). ``known_activations()`` lists them.

    Returns
    -------
    H : ndarray, same shape as Z
        The activations. For ``"identity"`` this is ``Z`` itself (no copy).
    cache : tuple ``(name, A)``
        For :func:`activation_backward`: ``A`` is ``H`` for ReLU, softmax and
        log-softmax (their derivatives can be read off the output) and ``Z`` otherwise.

    Raises
    ------
    ValueError
        For an unknown name (the message lists the known ones) or NaN in ``Z``.
    """
    name = _check_activation_name(name)
    Z = as_float_array(Z, "Z")
    check_finite(Z, "Z")
    if name in _ROWWISE:
        check_ndim(Z, "Z", (1, 2), "(N, M)")
    return _activation_forward(Z, name)


def _activation_backward(dH: np.ndarray, cache, inplace: bool = False):
    """Backward without checks. With ``inplace`` the result may overwrite ``dH``."""
    name, A = cache
    if name == "identity":
        return dH
    if name == "relu":
        # dZ = dH * 1[Z > 0]; the subgradient at Z = 0 is taken as 0, as in PyTorch
        return _act._relu_backward_fast(dH, A, out=dH if inplace else None)
    if name == "softmax":
        # vector-Jacobian product of S = softmax(z): dz = S * (dS - <dS, S>)
        inner = np.einsum("...i,...i->...", dH, A)[..., None]
        dZ = np.subtract(dH, inner, out=dH if inplace else None)
        dZ *= A
        return dZ
    if name == "log_softmax":
        # L = log_softmax(z): dz = dL - softmax(z) * sum(dL)
        total = dH.sum(axis=-1, keepdims=True)
        return np.subtract(dH, np.exp(A) * total, out=dH if inplace else None)
    _, f_grad = _act.ACTIVATIONS[name]
    return np.multiply(dH, f_grad(A), out=dH if inplace else None)


def activation_backward(dH, cache):
    r"""Activation layer, backward: :math:`dZ = dH \odot g'(Z)`.

    For an elementwise activation the Jacobian is diagonal, so the chain rule is an
    elementwise product. For softmax, :math:`S = \mathrm{softmax}(z)` row by row,
    the Jacobian is :math:`\mathrm{diag}(S) - S S^T` and
    :math:`dz = S \odot (dS - \langle dS, S \rangle)`; for log-softmax
    :math:`dz = dL - \mathrm{softmax}(z) \sum_i dL_i`.

    Parameters
    ----------
    dH : array_like, same shape as H
        Upstream gradient, with respect to the activations ``H``.
    cache : from :func:`activation_forward`

    Returns
    -------
    dZ : ndarray, same shape as dH
        Gradient with respect to the pre-activations ``Z``. ReLU's subgradient at 0 is 0
        (as in PyTorch), and so is the step function's derivative everywhere.
    """
    name, A = cache
    dH = as_float_array(dH, "dH")
    if name != "identity" and dH.shape != A.shape:
        raise ValueError(f"dH has shape {dH.shape}; expected {A.shape}, the shape of H")
    check_finite(dH, "dH")
    return _activation_backward(dH, cache)
