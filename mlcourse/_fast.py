"""The fast paths: the package's formulas without their input checks, in one place.

Every public function of :mod:`mlcourse` checks its arguments in its ``@checked``
decorator and then runs its body, the formula; ``unchecked(f)`` is that body alone. Code
that has checked its data once, the MLP's forward and backward passes (they check ``X``
and ``dout`` and own every array in between), calls the names below, so that a training
step checks its input once rather than at every layer. The first five are the bodies of
the public functions of the same names, not copies of their formulas.

The in-place kernels
--------------------
A fresh array per layer is what makes a NumPy network slow next to PyTorch (whose
allocator keeps its buffers): each new array of a few hundred kilobytes comes back from
the operating system with its pages unmapped. ``INPLACE`` holds, for the activations on
the hot path of the course's MLP, the same computation done in the arrays the network
already owns: ReLU overwrites the fresh pre-activation ``Z`` and reads its mask off the
output (``H > 0`` exactly where ``Z > 0``), the identity passes its arrays through. They
are an optimisation only: an activation without a kernel here takes the table's formula
(:func:`activation_forward_inplace` falls back on it), and the tests check each kernel
against the public function and its derivative.

The caller promises what the checks would have made sure of: float arrays of the right
shapes, without NaN or inf, and known activation names; the in-place functions also that
nothing else refers to ``Z`` or ``dH``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from mlcourse import activations, layers
from mlcourse._validation import unchecked

linear_forward = unchecked(layers.linear_forward)
linear_backward = unchecked(layers.linear_backward)
activation_forward = unchecked(layers.activation_forward)
activation_backward = unchecked(layers.activation_backward)
log_softmax = unchecked(activations.log_softmax)


class InPlace(NamedTuple):
    """An activation computed in arrays the caller owns."""

    forward: object  # Z -> H, may overwrite Z
    backward: object  # (dH, H) -> dZ, may overwrite dH; reads the output H


def _relu_forward(Z):
    return np.maximum(Z, 0, out=Z)  # relu(Z), in Z


def _relu_backward(dH, H):
    return np.multiply(dH, H > 0, out=dH)  # dH * relu_grad(Z): H > 0 exactly where Z > 0


def _identity_forward(Z):
    return Z


def _identity_backward(dH, H):
    return dH


INPLACE = {
    "relu": InPlace(_relu_forward, _relu_backward),
    "identity": InPlace(_identity_forward, _identity_backward),
}


def activation_forward_inplace(Z, name):
    """``activation_forward(Z, name)``, overwriting ``Z`` where ``INPLACE`` has a kernel."""
    kernel = INPLACE.get(name)
    if kernel is None:
        return activation_forward(Z, name)
    H = kernel.forward(Z)
    return H, (name, H)


def activation_backward_inplace(dH, cache):
    """``activation_backward(dH, cache)`` for a cache of :func:`activation_forward_inplace`,
    overwriting ``dH`` where ``INPLACE`` has a kernel."""
    name, A = cache
    kernel = INPLACE.get(name)
    if kernel is None:
        return activation_backward(dH, cache)
    return kernel.backward(dH, A)
