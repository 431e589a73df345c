"""One neuron, two ways: Rosenblatt's perceptron and logistic regression.

Both compute the pre-activation ``z = x^T w + b`` of one neuron. The perceptron puts a
hard threshold on it (``y_hat = 1`` iff ``z >= 0``) and learns by Rosenblatt's rule,
one data point at a time; logistic regression puts a sigmoid on it (``y_hat = P(y = 1 |
x) = sigmoid(z)``) and learns by gradient descent on the mean binary cross-entropy.
Labels are in {0, 1}; data points are rows of ``X: (N, D)``.
"""

from __future__ import annotations

import numpy as np

from mlcourse._validation import (
    as_float_array,
    check_finite,
    check_int,
    check_labels,
    check_ndim,
    learning_rate,
)
from mlcourse.activations import sigmoid
from mlcourse.losses import binary_cross_entropy_with_logits

__all__ = ["LogisticRegression", "Perceptron"]


def _check_X(X, name: str = "X", n_features: int | None = None) -> np.ndarray:
    arr = as_float_array(X, name)
    check_ndim(arr, name, 2, "(N, D)")
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(
            f"{name} has shape {arr.shape}; expected (N, {n_features}), as the model was "
            f"fitted on {n_features} features"
        )
    check_finite(arr, name)
    return arr.astype(np.float64, copy=False)


def _check_labels(y, n: int, name: str = "y") -> np.ndarray:
    arr = np.asarray(y)
    if arr.shape != (n,):
        raise ValueError(f"{name} has shape {arr.shape}; expected ({n},), one label per row of X")
    check_labels(arr, name, (0, 1))
    return arr.astype(np.float64)


class _Fitted:
    """Shared plumbing: the fitted check and the pre-activation."""

    w: np.ndarray | None
    b: float

    def _require_fit(self, X) -> np.ndarray:
        if self.w is None:
            raise ValueError(f"{type(self).__name__}: call fit(X, y) before predicting")
        return _check_X(X, n_features=np.size(self.w))

    def decision_function(self, X) -> np.ndarray:
        """The pre-activation ``z = X w + b``.

        X: (N, D) -> z: (N,). ``w`` and ``b`` may also be set by hand (hand-set weights).
        """
        X = self._require_fit(X)
        return X @ np.asarray(self.w, dtype=np.float64).reshape(-1) + float(self.b)


class Perceptron(_Fitted):
    r"""Rosenblatt's perceptron (1958): a step output and the perceptron learning rule.

    Prediction: :math:`\hat y = \mathrm{step}(x^T w + b)`, with ``step(z) = 1`` if
    ``z >= 0`` else 0 (a point on the boundary is class 1, as in the lessons).

    Learning rule: start from ``w = 0, b = 0``; go through the data points in order and
    for each one update

    .. math:: w \leftarrow w + \eta (y - \hat y) x, \qquad b \leftarrow b + \eta (y - \hat y)

    which changes nothing when the point is classified right. One pass over the data is
    an epoch. If the classes are linearly separable, some epoch makes no mistake
    (the perceptron convergence theorem) and training stops there; on XOR it never
    happens (Minsky and Papert, 1969), and training stops after ``max_epochs``.

    Parameters
    ----------
    lr : float
        Learning rate ``eta > 0``. With ``w`` and ``b`` starting at 0 it only scales
        the weights, so it does not change the predictions.
    max_epochs : int
        Upper limit on the number of passes over the data.

    Attributes
    ----------
    w : ndarray, shape (D,)
    b : float
    errors_ : list of int
        Number of misclassified points (that is, of updates) in each epoch.
    converged_ : bool
        True if the last epoch made no mistake.
    """

    def __init__(self, lr: float = 1.0, max_epochs: int = 100):
        self.lr = learning_rate(lr)
        self.max_epochs = check_int(max_epochs, "max_epochs")
        self.w = None
        self.b = 0.0
        self.errors_: list[int] = []
        self.converged_ = False

    def fit(self, X, y) -> Perceptron:
        """Learn ``w`` and ``b`` by the perceptron rule.

        X: (N, D), y: (N,) in {0, 1}. Returns ``self``.
        """
        X = _check_X(X)
        y = _check_labels(y, X.shape[0])
        w = np.zeros(X.shape[1])
        b = 0.0
        self.errors_ = []
        self.converged_ = False
        for _ in range(self.max_epochs):
            errors = 0
            for x_i, y_i in zip(X, y, strict=True):  # the rule is sequential by nature
                y_hat = 1.0 if x_i @ w + b >= 0 else 0.0
                update = self.lr * (y_i - y_hat)
                if update != 0.0:
                    w += update * x_i
                    b += update
                    errors += 1
            self.errors_.append(errors)
            if errors == 0:
                self.converged_ = True
                break
        self.w, self.b = w, float(b)
        return self

    def predict(self, X) -> np.ndarray:
        """Class labels: X: (N, D) -> (N,) int64 in {0, 1}."""
        return (self.decision_function(X) >= 0).astype(np.int64)


class LogisticRegression(_Fitted):
    r"""Logistic regression fitted by full-batch gradient descent on the mean BCE.

    Model: :math:`\hat y = \sigma(X w + b)`. Loss, the mean binary cross-entropy
    (the negative log-likelihood of Bernoulli labels, divided by ``N``):

    .. math:: L(w, b) = -\frac{1}{N} \sum_n \left[ y_n \log \hat y_n
        + (1 - y_n) \log (1 - \hat y_n) \right]

    computed from the logits (``binary_cross_entropy_with_logits``) so that it never
    takes ``log 0``. Its gradient, since :math:`\partial L / \partial z_n =
    (\hat y_n - y_n) / N`:

    .. math:: \nabla_w L = \frac{1}{N} X^T (\hat y - y), \qquad
        \frac{\partial L}{\partial b} = \frac{1}{N} \sum_n (\hat y_n - y_n)

    Each epoch takes one step ``w <- w - lr * grad``, starting from ``w = 0, b = 0``.
    There is no penalty: on linearly separable data the weights grow without bound;
    on overlapping classes they approach the maximum-likelihood solution (the one
    scikit-learn's ``LogisticRegression(penalty=None)`` finds).

    Parameters
    ----------
    lr : float
        Learning rate, > 0. Standardised features tolerate ``lr`` around 1.
    epochs : int
        Number of gradient steps.

    Attributes
    ----------
    w : ndarray, shape (D,)
    b : float
    loss_history_ : list of float
        The mean BCE at the start of each epoch, before its step (length ``epochs``).
    """

    def __init__(self, lr: float = 0.1, epochs: int = 1000):
        self.lr = learning_rate(lr)
        self.epochs = check_int(epochs, "epochs")
        self.w = None
        self.b = 0.0
        self.loss_history_: list[float] = []

    def fit(self, X, y) -> LogisticRegression:
        """Gradient descent on the mean BCE. X: (N, D), y: (N,) in {0, 1}. Returns self."""
        X = _check_X(X)
        y = _check_labels(y, X.shape[0])
        N, D = X.shape
        w = np.zeros(D)
        b = 0.0
        history = []
        for _ in range(self.epochs):
            z = X @ w + b  # (N,)
            history.append(float(binary_cross_entropy_with_logits(z, y)))
            dz = (sigmoid(z) - y) / N  # (N,): dL/dz
            w -= self.lr * (X.T @ dz)  # (D,)
            b -= self.lr * float(dz.sum())
        self.w, self.b = w, float(b)
        self.loss_history_ = history
        return self

    def predict_proba(self, X) -> np.ndarray:
        """``P(y = 1 | x)`` for each row: X: (N, D) -> (N,) in (0, 1)."""
        return sigmoid(self.decision_function(X))

    def predict(self, X) -> np.ndarray:
        """Class labels, 1 where ``P(y = 1 | x) >= 0.5`` (that is ``z >= 0``): (N,) int64."""
        return (self.decision_function(X) >= 0).astype(np.int64)
