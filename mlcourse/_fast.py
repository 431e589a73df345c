"""The fast paths: the package's formulas without their input checks, in one place.

Every public function of :mod:`mlcourse` checks its arguments in its ``@checked``
decorator and then runs its body, the formula. ``unchecked(f)`` is that body alone.
Code that has checked its data once, the MLP's forward and backward passes (they check
``X`` and ``dout``, and own every array in between), calls the names below so that a
training step checks its input once rather than at every layer. They are the same
functions as the public ones, so there is no second copy of any formula to keep in step;
the tests check that each name here is the body of its public function.

The caller promises what the checks would have made sure of: float arrays of the right
shapes, without NaN or inf, and known activation names.
"""

from __future__ import annotations

from mlcourse import activations, layers
from mlcourse._validation import unchecked

log_softmax = unchecked(activations.log_softmax)

linear_forward = unchecked(layers.linear_forward)
linear_backward = unchecked(layers.linear_backward)
activation_forward = unchecked(layers.activation_forward)
activation_backward = unchecked(layers.activation_backward)
