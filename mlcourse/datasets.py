"""Small data sets for the lessons: nothing is downloaded, everything is seeded.

Every function returns ``(X, y)`` with data points as rows: ``X: (N, D)`` float64 and
``y: (N,)`` int64 labels. Random data sets take ``rng``: a ``np.random.Generator``, an
int seed, or ``None`` for fresh randomness (there is no global random state).
scikit-learn is imported inside the functions that read its bundled files only.
"""

from __future__ import annotations

import numpy as np

from mlcourse._validation import NameRegistry, check_int
from mlcourse.activations import sigmoid

__all__ = [
    "LOGIC_GATES",
    "PASS_FAIL_WEIGHTS",
    "digits",
    "iris_versicolor",
    "logic_gate",
    "moons",
    "pass_fail",
    "xor",
]

#: Truth tables of the two-input gates, in the row order of ``logic_gate``'s ``X``:
#: (0, 0), (0, 1), (1, 0), (1, 1).
LOGIC_GATES: dict[str, tuple[int, int, int, int]] = NameRegistry(
    "name",
    "logic gate",
    **{"and": (0, 0, 0, 1), "or": (0, 1, 1, 1), "nand": (1, 1, 1, 0), "xor": (0, 1, 1, 0)},
)

#: The logistic model behind :func:`pass_fail`: ``(bias, per project hour, per lecture
#: hour)``, so ``P(pass) = sigmoid(-6 + 0.2 * project + 0.15 * lectures)``.
PASS_FAIL_WEIGHTS: tuple[float, float, float] = (-6.0, 0.2, 0.15)


def logic_gate(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The four input pairs of a two-input logic gate and its outputs.

    Parameters
    ----------
    name : {"and", "or", "nand", "xor"}
        Case-insensitive.

    Returns
    -------
    X : ndarray, shape (4, 2), float64
        The rows (0, 0), (0, 1), (1, 0), (1, 1).
    y : ndarray, shape (4,), int64
        The gate's output for each row.

    Examples
    --------
    >>> X, y = logic_gate("and")
    >>> y.tolist()
    [0, 0, 0, 1]
    """
    if isinstance(name, str) and name.lower() in LOGIC_GATES:
        name = name.lower()
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array(LOGIC_GATES.lookup(name), dtype=np.int64)
    return X, y


def xor() -> tuple[np.ndarray, np.ndarray]:
    """The XOR truth table, ``logic_gate("xor")``: not linearly separable."""
    return logic_gate("xor")


def iris_versicolor() -> tuple[np.ndarray, np.ndarray]:
    """Iris petals, versicolor against the rest (from scikit-learn's bundled copy).

    Returns
    -------
    X : ndarray, shape (150, 2), float64
        Petal length and petal width in cm (columns 2 and 3 of Fisher's iris data).
    y : ndarray, shape (150,), int64
        1 for *Iris versicolor* (50 flowers), 0 for setosa and virginica (100).
        Versicolor lies between the other two, so no single line separates the classes.
    """
    from sklearn.datasets import load_iris

    iris = load_iris()
    X = np.ascontiguousarray(iris.data[:, 2:4], dtype=np.float64)
    y = (iris.target == 1).astype(np.int64)
    return X, y


def digits() -> tuple[np.ndarray, np.ndarray]:
    """Handwritten digits, 8x8 pixels (scikit-learn's bundled copy of the UCI set).

    The course uses these instead of MNIST (28x28) because nothing may be downloaded.

    Returns
    -------
    X : ndarray, shape (1797, 64), float64
        Pixel intensities from 0 to 16, each image flattened row by row.
    y : ndarray, shape (1797,), int64
        The digit, 0 to 9.
    """
    from sklearn.datasets import load_digits

    data = load_digits()
    return np.asarray(data.data, dtype=np.float64), np.asarray(data.target, dtype=np.int64)


def moons(
    n: int = 200, noise: float = 0.2, rng: np.random.Generator | int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles in the plane, with Gaussian noise.

    Class 0 lies on the upper half of the unit circle, ``(cos t, sin t)``; class 1 on
    the lower half circle ``(1 - cos t, 0.5 - sin t)``, for ``t`` evenly spaced in
    ``[0, pi]``. Then ``N(0, noise^2)`` is added to each coordinate and the rows are
    shuffled.

    Parameters
    ----------
    n : int
        Number of points, ``n >= 2``; class 0 gets ``ceil(n / 2)`` of them.
    noise : float
        Standard deviation of the noise, ``>= 0``.
    rng : np.random.Generator, int or None
        Source of randomness (an int is used as a seed).

    Returns
    -------
    X : ndarray, shape (n, 2), float64
    y : ndarray, shape (n,), int64 in {0, 1}
    """
    n = check_int(n, "n", minimum=2)
    noise_value = float(noise)
    if not np.isfinite(noise_value) or noise_value < 0:
        raise ValueError(f"noise: expected a finite number >= 0, got {noise!r}")
    rng = np.random.default_rng(rng)
    n_upper = n - n // 2
    n_lower = n // 2
    t_upper = np.linspace(0.0, np.pi, n_upper)
    t_lower = np.linspace(0.0, np.pi, n_lower)
    upper = np.column_stack([np.cos(t_upper), np.sin(t_upper)])
    lower = np.column_stack([1.0 - np.cos(t_lower), 0.5 - np.sin(t_lower)])
    X = np.vstack([upper, lower])
    y = np.concatenate([np.zeros(n_upper, dtype=np.int64), np.ones(n_lower, dtype=np.int64)])
    X += rng.normal(0.0, noise_value, size=X.shape)
    order = rng.permutation(n)
    return X[order], y[order]


def pass_fail(
    n: int = 100, rng: np.random.Generator | int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic "will I pass this class?" data, drawn from a known logistic model.

    Generating process, for each of the ``n`` students independently:

    1. ``project ~ Uniform(0, 40)``: hours spent on the course project;
    2. ``lectures ~ Uniform(0, 30)``: hours of lectures attended;
    3. ``p = sigmoid(-6 + 0.2 * project + 0.15 * lectures)`` (the weights are
       :data:`PASS_FAIL_WEIGHTS`);
    4. ``passed ~ Bernoulli(p)``.

    The classes overlap (the label is random given the features), so the data are not
    linearly separable and maximum likelihood has a finite solution, close to the true
    weights for large ``n``. The true decision boundary is the line
    ``0.2 * project + 0.15 * lectures = 6``.

    Parameters
    ----------
    n : int
        Number of students, ``n >= 1``.
    rng : np.random.Generator, int or None
        Source of randomness (an int is used as a seed).

    Returns
    -------
    X : ndarray, shape (n, 2), float64
        Columns: project hours, lecture hours.
    y : ndarray, shape (n,), int64
        1 if the student passed, else 0.
    """
    n = check_int(n, "n")
    rng = np.random.default_rng(rng)
    project = rng.uniform(0.0, 40.0, size=n)
    lectures = rng.uniform(0.0, 30.0, size=n)
    w0, w1, w2 = PASS_FAIL_WEIGHTS
    z = w0 + w1 * project + w2 * lectures
    p = sigmoid(z)
    y = (rng.uniform(size=n) < p).astype(np.int64)
    return np.column_stack([project, lectures]), y
