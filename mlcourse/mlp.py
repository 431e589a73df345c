"""A multilayer perceptron built from the layer functions of :mod:`mlcourse.layers`.

``MLP([D, n_1, ..., n_L])`` holds ``L`` fully connected layers. Layer ``l`` computes

    Z_l = H_{l-1} W_l + b_l,   H_l = g(Z_l)     with H_0 = X: (N, D)

where ``g`` is the hidden activation for ``l < L`` and the output unit for ``l = L``.
``forward`` runs this loop and keeps each layer's cache; ``backward(dout)`` runs it in
reverse with the chain rule (backpropagation) and returns the gradient of every
parameter. The loss is not part of the model: compute it and its gradient ``dout``
with :mod:`mlcourse.losses`, or let :func:`mlcourse.optim.train` do it.

The forward and backward passes are the layer functions themselves, called through
their unchecked fast paths (:mod:`mlcourse._fast`) once ``X`` or ``dout`` has been
checked: the arrays keep the parameters' dtype (float32 stays float32), ReLU and the
identity work in the arrays the network owns (the in-place kernels of ``_fast``), the
first layer skips the gradient with respect to ``X``, and nothing loops over data
points. The course compares them with PyTorch (``bench/mlp_vs_torch.py``). What each activation
needs (its initialisation, its PyTorch module) comes from
:data:`mlcourse.activations.ACTIVATION_TABLE`.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np

from mlcourse import _fast
from mlcourse._validation import as_float_array, check_finite, check_float_dtype, check_ndim
from mlcourse.activations import ACTIVATION_TABLE, INIT_FAMILIES
from mlcourse.layers import activation_name
from mlcourse.shapes import _check_layer_sizes

__all__ = ["MLP"]


class MLP:
    r"""A fully connected feed-forward network (multilayer perceptron).

    Parameters
    ----------
    layer_sizes : sequence of int
        ``[D, n_1, ..., n_L]``: input dimension, hidden widths, number of outputs.
        ``[2, 20, 20, 1]`` has two hidden layers of 20 units and one output.
    activation : str
        Hidden activation, a name of :data:`mlcourse.activations.ACTIVATIONS` (with
        its default parameters), e.g. ``"relu"``, ``"sigmoid"``, ``"tanh"``.
    output : str
        Output unit: ``"identity"`` (logits or regression values; pair it with
        ``cross_entropy``, ``binary_cross_entropy_with_logits`` or ``mse``),
        ``"sigmoid"`` (probabilities, with ``binary_cross_entropy``), ``"softmax"``, or
        any other known activation.
    rng : np.random.Generator, int or None
        Source of randomness for the initial weights (an int is a seed; ``None`` draws
        fresh entropy). There is no global random state.
    dtype : float32 or float64
        dtype of the parameters, and so of every computation (inputs are converted).

    Attributes
    ----------
    params : list of (W, b)
        ``W_l: (n_{l-1}, n_l)`` and ``b_l: (n_l,)``, first layer first. The optimiser
        updates these arrays in place.
    layer_sizes : list of int

    Notes
    -----
    Initialisation: biases start at 0. Weights are drawn from a zero-mean normal
    distribution whose variance depends on the activation that follows the layer (its
    ``init`` in :data:`mlcourse.activations.ACTIVATION_TABLE`):

    - He et al. (2015): ``std = sqrt(2 / n_{l-1})`` before a ReLU-like activation
      (relu, leaky_relu, elu, gelu, swish, softplus). ReLU zeroes half of its
      inputs on average, and the factor 2 makes up for it, so the variance of the
      pre-activations stays about the same from layer to layer.
    - Glorot and Bengio (2010): ``std = sqrt(2 / (n_{l-1} + n_l))`` before sigmoid, tanh
      and identity, which includes the output layer in the usual cases. It balances the
      variance of the forward signal and of the backward gradient.

    Examples
    --------
    >>> net = MLP([2, 3, 1], activation="tanh", output="sigmoid", rng=0)
    >>> [W.shape for W, b in net.params]
    [(2, 3), (3, 1)]
    >>> net.forward(np.zeros((5, 2))).shape
    (5, 1)
    """

    def __init__(
        self,
        layer_sizes: Sequence[int],
        activation: str = "relu",
        output: str = "identity",
        rng: np.random.Generator | int | None = None,
        dtype=np.float64,
    ):
        self.layer_sizes = _check_layer_sizes(layer_sizes)
        self.activation = activation_name(activation, "activation")
        self.output = activation_name(output, "output")
        dtype = check_float_dtype(dtype)
        rng = np.random.default_rng(rng)
        params = []
        n_layers = len(self.layer_sizes) - 1
        for i, (d, m) in enumerate(pairwise(self.layer_sizes)):
            after = self.output if i == n_layers - 1 else self.activation
            std = INIT_FAMILIES[ACTIVATION_TABLE[after].init](d, m)
            W = rng.standard_normal((d, m), dtype=dtype)
            W *= dtype.type(std)
            params.append((W, np.zeros(m, dtype=dtype)))
        self.params: list[tuple[np.ndarray, np.ndarray]] = params
        self._caches = None

    @classmethod
    def from_params(
        cls,
        params: Sequence[tuple[np.ndarray, np.ndarray]],
        activation: str = "relu",
        output: str = "identity",
    ) -> MLP:
        """Build an MLP with the given weights (copied), e.g. hand-set or from PyTorch.

        Parameters
        ----------
        params : sequence of (W, b)
            ``W_l: (n_{l-1}, n_l)``, ``b_l: (n_l,)``; consecutive layers must fit. All
            arrays float32, or else everything becomes float64.
        activation, output : str
            As for :class:`MLP`.

        Examples
        --------
        The hand-built XOR network of the course (all units sigmoid):

        >>> W1 = np.array([[-7.0, 7.0], [7.0, -7.0]]); b1 = np.array([-3.0, -3.0])
        >>> W2 = np.array([[7.0], [7.0]]); b2 = np.array([-5.0])
        >>> net = MLP.from_params([(W1, b1), (W2, b2)], "sigmoid", "sigmoid")
        >>> net.predict(np.array([[0, 0], [0, 1], [1, 0], [1, 1]])).tolist()
        [0, 1, 1, 0]
        """
        if isinstance(params, np.ndarray) or len(params) == 0:
            raise ValueError("params: expected a non-empty list of (W, b) pairs, got none")
        arrays = []
        for i, pair in enumerate(params):
            if len(pair) != 2:
                raise ValueError(f"params[{i}] has {len(pair)} entries; expected a pair (W, b)")
            W = as_float_array(pair[0], f"params[{i}][0] (W)")
            b = as_float_array(pair[1], f"params[{i}][1] (b)")
            check_ndim(W, f"params[{i}][0] (W)", 2, "(D, M)")
            if b.shape != (W.shape[1],):
                raise ValueError(
                    f"params[{i}][1] (b) has shape {b.shape} but W has shape {W.shape}; "
                    f"expected b of shape ({W.shape[1]},)"
                )
            if arrays and W.shape[0] != arrays[-1][0].shape[1]:
                raise ValueError(
                    f"params[{i}][0] (W) has shape {W.shape} but layer {i - 1} has "
                    f"{arrays[-1][0].shape[1]} outputs; expected W of shape "
                    f"({arrays[-1][0].shape[1]}, M)"
                )
            check_finite(W, f"params[{i}][0] (W)")
            check_finite(b, f"params[{i}][1] (b)")
            arrays.append((W, b))
        all32 = all(W.dtype == np.float32 and b.dtype == np.float32 for W, b in arrays)
        dtype = np.dtype(np.float32 if all32 else np.float64)
        sizes = [arrays[0][0].shape[0]] + [W.shape[1] for W, _ in arrays]
        net = cls(sizes, activation, output, rng=0, dtype=dtype)
        net.params = [(np.array(W, dtype=dtype), np.array(b, dtype=dtype)) for W, b in arrays]
        return net

    def _activations(self) -> list[str]:
        """The activation after each layer: the hidden one, then the output unit."""
        return [self.activation] * (len(self.params) - 1) + [self.output]

    @property
    def dtype(self) -> np.dtype:
        """dtype of the parameters and of every computation."""
        return self.params[0][0].dtype

    def __repr__(self) -> str:
        return (
            f"MLP({self.layer_sizes}, activation={self.activation!r}, "
            f"output={self.output!r}, dtype={self.dtype})"
        )

    def _check_input(self, X) -> np.ndarray:
        X = as_float_array(X, "X")
        check_ndim(X, "X", 2, f"(N, {self.layer_sizes[0]})")
        if X.shape[1] != self.layer_sizes[0]:
            raise ValueError(
                f"X has shape {X.shape}; expected (N, {self.layer_sizes[0]}), as the "
                f"network has {self.layer_sizes[0]} inputs"
            )
        if X.dtype != self.dtype:
            X = X.astype(self.dtype)
        if not np.isfinite(X).all():  # the quick test; check_finite words the error
            check_finite(X, "X")
        return X

    def forward(self, X) -> np.ndarray:
        """Run the network on a batch and keep the caches for :meth:`backward`.

        Parameters
        ----------
        X : array_like, shape (N, D)
            Converted to the parameters' dtype if needed.

        Returns
        -------
        ndarray, shape (N, n_L)
            The output layer's activations. Do not modify it in place before calling
            :meth:`backward`: with most output units (identity, ReLU, softmax) it is
            part of the cache.
        """
        H = self._check_input(X)
        caches = []
        for (W, b), name in zip(self.params, self._activations(), strict=True):
            Z, linear_cache = _fast.linear_forward(H, W, b)
            H, activation_cache = _fast.activation_forward_inplace(Z, name)  # Z is ours
            caches.append((linear_cache, activation_cache))
        self._caches = caches
        return H

    def backward(self, dout) -> list[tuple[np.ndarray, np.ndarray]]:
        r"""Backpropagate ``dout`` through the network of the last :meth:`forward`.

        For layer ``l`` from the last to the first:
        :math:`dZ_l = dH_l \odot g'(Z_l)`, :math:`dW_l = H_{l-1}^T dZ_l`,
        :math:`db_l = \sum_n dZ_{l,n}`, :math:`dH_{l-1} = dZ_l W_l^T`.

        Parameters
        ----------
        dout : array_like, shape (N, n_L)
            Gradient of the loss with respect to the network's output (what
            ``forward`` returned). It is not modified.

        Returns
        -------
        list of (dW, db)
            In the order of :attr:`params`: ``dW_l: (n_{l-1}, n_l)``, ``db_l: (n_l,)``.
        """
        if self._caches is None:
            raise ValueError("backward: call forward(X) first; there is nothing to differentiate")
        caches = self._caches
        dH = as_float_array(dout, "dout")
        expected = (caches[0][0][0].shape[0], self.layer_sizes[-1])
        if dH.shape != expected:
            raise ValueError(
                f"dout has shape {dH.shape}; expected {expected}, the shape of the output "
                "of the last forward pass"
            )
        if not np.isfinite(dH).all():
            check_finite(dH, "dout")
        # Our own copy of dout, which the in-place kernels may overwrite; after the first
        # layer every dH is a fresh product dZ W^T that nothing else refers to.
        dH = dH.astype(self.dtype, copy=True)
        grads = [None] * len(caches)
        for i in range(len(caches) - 1, -1, -1):
            linear_cache, activation_cache = caches[i]
            dZ = _fast.activation_backward_inplace(dH, activation_cache)
            dH, dW, db = _fast.linear_backward(dZ, linear_cache, need_dX=i > 0)
            grads[i] = (dW, db)
        return grads

    def predict(self, X) -> np.ndarray:
        """Class labels for classification.

        With one output unit: 1 where the output is on the positive side of the decision
        boundary, that is ``>= 0.5`` for a sigmoid output and ``>= 0`` for
        any other output unit (logits, tanh). With several outputs: the index of the
        largest one. Returns an int64 array of shape (N,). For regression use
        :meth:`forward`.
        """
        caches = self._caches
        out = self.forward(X)
        self._caches = caches  # predicting leaves the last training forward pass alone
        if out.shape[1] == 1:
            threshold = 0.5 if self.output == "sigmoid" else 0.0
            return (out[:, 0] >= threshold).astype(np.int64)
        return np.argmax(out, axis=1).astype(np.int64)

    __call__ = forward

    def to_torch(self):
        """The same network as a ``torch.nn.Sequential``, with the same parameters.

        Each layer becomes ``nn.Linear(n_{l-1}, n_l)`` followed by the matching
        activation module (none for identity). ``nn.Linear`` stores its weight as
        ``(n_l, n_{l-1})`` and computes ``X W^T + b``, so ``weight = W.T``. The tensors
        are copies with the parameters' dtype (``torch.float64`` for float64).
        """
        import torch
        from torch import nn

        torch_dtype = torch.float32 if self.dtype == np.float32 else torch.float64
        modules = []
        for (W, b), name in zip(self.params, self._activations(), strict=True):
            linear = nn.Linear(W.shape[0], W.shape[1], dtype=torch_dtype)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(W.T)))
                linear.bias.copy_(torch.from_numpy(b.copy()))
            modules.append(linear)
            activation = ACTIVATION_TABLE[name].torch_module()  # nn.ReLU(), nn.Tanh(), ...
            if not isinstance(activation, nn.Identity):
                modules.append(activation)
        return nn.Sequential(*modules)
