r"""Gradient checking by central finite differences.

A hand-derived gradient is only as good as its check. For a function :math:`f` of an
array :math:`x` and a small step :math:`h`, the central difference

.. math:: \frac{\partial f}{\partial x_i} \approx
          \frac{f(x + h e_i) - f(x - h e_i)}{2h}

has an error of order :math:`h^2` (the one-sided difference: order :math:`h`), plus a
rounding error of order :math:`\varepsilon |f| / h`; ``h = 1e-5`` balances the two in
float64 (about 1e-10). The two gradients are compared by their relative error, which
does not depend on the scale of the function.

Typical use::

    err = check_gradient(lambda w: loss(w), lambda w: loss_grad(w), w0)
    assert err < 1e-7

If ``f`` returns an array instead of a scalar, the functions here differentiate
``sum(f(x))``; for an elementwise ``f`` that is the elementwise derivative, so
``check_gradient(sigmoid, sigmoid_grad, z)`` works directly.
"""

from __future__ import annotations

import numpy as np

from mlcourse._validation import (
    as_float_array,
    check_finite,
    check_positive,
    check_same_shape,
    checked,
    finite_array,
)

__all__ = ["check_gradient", "numerical_gradient", "relative_error"]


def _step(h, name: str) -> float:
    return check_positive(h, name, "step such as 1e-5")


@checked(x=finite_array, h=_step)
def numerical_gradient(f, x, h=1e-5):
    r"""Central-difference gradient of a scalar function of an array of any shape.

    Parameters
    ----------
    f : callable
        ``f(x)`` returns a scalar, or an array, in which case ``sum(f(x))`` is
        differentiated. It must not keep a reference to ``x`` between calls.
    x : array_like, any shape
        The point. It is copied to float64 and never modified; float32 input is
        evaluated in float64 (with ``h = 1e-5`` float32 rounding would swamp the result).
    h : float, default 1e-5
        The step.

    Returns
    -------
    numpy.ndarray, float64, shape of ``x``
        :math:`(f(x + h e_i) - f(x - h e_i)) / (2h)` for every index ``i``.

    Notes
    -----
    Costs two evaluations of ``f`` per entry of ``x``: use small arrays.
    """
    x = np.array(x, dtype=np.float64)  # a private copy, in float64
    grad = np.empty_like(x)
    flat_x = x.reshape(-1)  # a view: changing it changes x
    flat_g = grad.reshape(-1)
    for i in range(flat_x.size):
        old = flat_x[i]
        flat_x[i] = old + h
        f_plus = np.sum(f(x), dtype=np.float64)  # the sum, if f returns an array
        flat_x[i] = old - h
        f_minus = np.sum(f(x), dtype=np.float64)
        flat_x[i] = old
        flat_g[i] = (f_plus - f_minus) / (2 * h)
    return grad


def relative_error(a, b, *, floor=1e-8):
    r"""Largest elementwise relative error between two arrays of the same shape.

    .. math:: \max_i \frac{|a_i - b_i|}{\max(|a_i| + |b_i|, \text{floor})}

    Parameters
    ----------
    a, b : array_like, same shape
    floor : float, default 1e-8
        Lower bound of the denominator, so that two entries that are both (nearly) zero
        count as agreeing instead of dividing 0 by 0.

    Returns
    -------
    float
        0 for identical arrays; below about 1e-7 means a gradient is right in float64,
        above 1e-2 that it is probably wrong. Near a kink (``relu`` at 0) or where the
        derivative is itself close to 0 the relative error is naturally larger.

    Raises
    ------
    ValueError
        If the shapes differ or an array contains NaN.
    """
    a = as_float_array(a, "a")
    b = as_float_array(b, "b")
    check_same_shape(a, b, "a", "b")
    check_finite(a, "a", allow_inf=True)
    check_finite(b, "b", allow_inf=True)
    if a.size == 0:
        return 0.0
    a = a.astype(np.float64, copy=False)
    b = b.astype(np.float64, copy=False)
    with np.errstate(invalid="ignore"):
        diff = np.abs(a - b)
        diff[a == b] = 0.0  # equal infinities agree
        err = diff / np.maximum(np.abs(a) + np.abs(b), floor)
    err[np.isnan(err)] = np.inf
    return float(err.max())


def check_gradient(f, grad_f, x, h=1e-5):
    r"""Compare an analytic gradient with central differences; return the relative error.

    Parameters
    ----------
    f : callable
        ``f(x)``, a scalar (or an array whose sum is differentiated; see the module).
    grad_f : callable
        ``grad_f(x)``, the claimed gradient of ``f`` (of ``sum(f)``), shape of ``x``.
    x : array_like, any shape
        The point (not modified).
    h : float, default 1e-5
        The finite-difference step.

    Returns
    -------
    float
        ``relative_error(grad_f(x), numerical_gradient(f, x, h))``.

    Raises
    ------
    ValueError
        If ``grad_f(x)`` does not have the shape of ``x``.
    """
    x = np.array(as_float_array(x, "x"), dtype=np.float64)
    analytic = as_float_array(grad_f(x.copy()), "grad_f(x)")
    if analytic.shape != x.shape:
        raise ValueError(
            f"grad_f(x) has shape {analytic.shape}; expected the shape of x, {x.shape}"
        )
    numeric = numerical_gradient(f, x, h)
    return relative_error(analytic, numeric)
