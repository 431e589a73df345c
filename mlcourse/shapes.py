"""Counting an MLP: parameters, forward-pass cost and linear regions.

An MLP is described by its ``layer_sizes = [n_0, n_1, ..., n_L]``: ``n_0`` inputs, then
the widths of the ``L`` layers that have weights (the last one is the output layer).
Layer ``l`` holds ``W_l: (n_{l-1}, n_l)`` and ``b_l: (n_l,)`` and maps a batch
``H_{l-1}: (B, n_{l-1})`` to ``H_l = g_l(H_{l-1} W_l + b_l): (B, n_l)``.

These functions count exactly what the course's big-O formulas estimate, so a lesson can
print a count next to its formula. The tests check every count against a count taken
independently from a PyTorch model.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from mlcourse._validation import check_int

__all__ = ["count_parameters", "forward_cost", "linear_regions_lower_bound"]


def _check_layer_sizes(layer_sizes: Sequence[int]) -> list[int]:
    if isinstance(layer_sizes, str | bytes) or not hasattr(layer_sizes, "__len__"):
        raise ValueError(
            f"layer_sizes: expected a sequence of positive integers such as [2, 3, 1], "
            f"got {layer_sizes!r}"
        )
    if len(layer_sizes) < 2:
        raise ValueError(
            f"layer_sizes: expected at least two sizes (inputs and outputs), "
            f"got {list(layer_sizes)!r}"
        )
    return [check_int(n, f"layer_sizes[{i}]") for i, n in enumerate(layer_sizes)]


def count_parameters(layer_sizes: Sequence[int]) -> int:
    r"""Number of weights and biases of a fully connected network.

    .. math:: P = \sum_{l=1}^{L} (n_{l-1} n_l + n_l)

    Parameters
    ----------
    layer_sizes : sequence of int, ``[n_0, n_1, ..., n_L]``
        Inputs first, outputs last.

    Returns
    -------
    int
        The number of scalars in ``{W_1, b_1, ..., W_L, b_L}``. It equals
        ``sum(p.numel() for p in model.parameters())`` of the matching PyTorch
        ``nn.Sequential`` of ``nn.Linear`` layers.

    Examples
    --------
    >>> count_parameters([3, 2, 1])  # W1 3x2 + b1 2 + W2 2x1 + b2 1
    11
    """
    sizes = _check_layer_sizes(layer_sizes)
    return sum(d * m + m for d, m in itertools.pairwise(sizes))


def forward_cost(layer_sizes: Sequence[int], batch_size: int) -> dict[str, int]:
    r"""Exact time and memory cost of one forward pass of a batch through an MLP.

    Parameters
    ----------
    layer_sizes : sequence of int, ``[n_0, n_1, ..., n_L]``
    batch_size : int
        ``B``, the number of data points (rows of ``X: (B, n_0)``).

    Returns
    -------
    dict with two int entries

    ``"multiply_adds"``
        .. math:: T = B \sum_{l=1}^{L} n_{l-1} n_l

        Each entry of ``Z_l = H_{l-1} W_l + b_l`` is ``b + x_1 w_1 + ... + x_n w_n``
        with ``n = n_{l-1}``: exactly ``n`` multiplications and ``n`` additions (the
        bias is the first addend), that is ``n`` multiply-adds, and ``Z_l`` has
        ``B n_l`` entries. Activation functions (``B n_l`` evaluations per layer, a
        lower-order term) are not counted. One multiply-add is two floating-point
        operations (FLOPs).
    ``"stored_floats"``
        .. math:: S = \underbrace{\sum_{l=1}^{L} (n_{l-1} n_l + n_l)}_{\text{parameters}}
            + \underbrace{B n_0}_{\text{input}}
            + \underbrace{B \sum_{l=1}^{L} n_l}_{\text{layer outputs}}

        The floats held in memory at the end of a forward pass that keeps what
        backpropagation needs: all parameters, the input batch and one ``(B, n_l)``
        array per layer, its output. (With ReLU the activation is applied in place and
        its derivative is read off the output, as :class:`mlcourse.mlp.MLP` does;
        an activation whose derivative needs the pre-activation keeps a second
        ``(B, n_l)`` array.) Inference alone could free each ``H_{l-1}`` once ``H_l``
        exists; that is not what is counted here.

    Notes
    -----
    For ``M`` layers of ``k`` units on inputs of dimension ``d`` (``layer_sizes =
    [d, k, ..., k]``) this gives ``T = B (d k + (M - 1) k^2)``, which is
    ``O(B M k^2)`` for ``k >= d``, and ``S = d k + (M - 1) k^2 + M k + B (d + M k)``,
    ``O(M k^2 + B M k)``.

    Examples
    --------
    >>> forward_cost([3, 2, 1], batch_size=4)
    {'multiply_adds': 32, 'stored_floats': 35}
    """
    sizes = _check_layer_sizes(layer_sizes)
    batch = check_int(batch_size, "batch_size")
    pairs = list(itertools.pairwise(sizes))
    multiply_adds = batch * sum(d * m for d, m in pairs)
    stored = count_parameters(sizes) + batch * sizes[0] + batch * sum(sizes[1:])
    return {"multiply_adds": multiply_adds, "stored_floats": stored}


def linear_regions_lower_bound(n0: int, n: int, L: int) -> int:
    r"""Montúfar et al. (2014): regions a deep ReLU network can carve its input into.

    A ReLU network with ``n0`` inputs and ``L`` hidden layers of ``n >= n0`` units each
    can compute a function whose input space splits into at least

    .. math:: R(n_0, n, L) = \left( \prod_{l=1}^{L-1}
        \left\lfloor \frac{n}{n_0} \right\rfloor^{n_0} \right)
        \sum_{j=0}^{n_0} \binom{n}{j}

    linear regions (pieces on which the function is affine). This is Theorem 4 of
    Montúfar, Pascanu, Cho and Bengio (2014), "On the number of linear regions of deep
    neural networks", with every hidden layer of width ``n``. The sum is the largest
    number of regions ``n`` hyperplanes cut ``R^{n0}`` into (the last layer, an
    arrangement in general position); each earlier layer folds the input space onto
    itself ``floor(n / n0)^n0`` times, and the regions of the last layer are repeated in
    every fold. Hence the asymptotic form
    :math:`\Omega\left((n/n_0)^{(L-1) n_0} n^{n_0}\right)`: depth appears in the
    exponent, width only in the base.

    Parameters
    ----------
    n0 : int
        Input dimension, ``n0 >= 1``.
    n : int
        Units per hidden layer, ``n >= n0``.
    L : int
        Number of hidden layers, ``L >= 1``. ``L = 1`` gives the shallow bound
        ``sum_{j <= n0} C(n, j)``.

    Returns
    -------
    int
        The exact bound as a Python integer (it grows quickly, so no float).

    Examples
    --------
    >>> linear_regions_lower_bound(2, 4, 1)  # 4 lines in the plane: 1 + 4 + 6
    11
    >>> linear_regions_lower_bound(2, 4, 3)  # two folding layers: (2^2)^2 * 11
    176
    """
    n0 = check_int(n0, "n0")
    n = check_int(n, "n")
    L = check_int(L, "L")
    if n < n0:
        raise ValueError(
            f"n: expected at least n0 = {n0} units per layer (the bound assumes n >= n0), got {n}"
        )
    folds = (n // n0) ** (n0 * (L - 1))
    return folds * sum(math.comb(n, j) for j in range(n0 + 1))
