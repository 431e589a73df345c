"""mlcourse.datasets: shapes, labels, determinism and the documented generating processes."""

import numpy as np
import pytest

from mlcourse.datasets import (
    PASS_FAIL_WEIGHTS,
    digits,
    iris_versicolor,
    logic_gate,
    moons,
    pass_fail,
    xor,
)

TRUTH = {
    "and": lambda a, b: a and b,
    "or": lambda a, b: a or b,
    "nand": lambda a, b: not (a and b),
    "xor": lambda a, b: a != b,
}


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_logic_gates_are_their_truth_tables(name):
    X, y = logic_gate(name)
    assert X.shape == (4, 2) and X.dtype == np.float64
    assert y.shape == (4,) and y.dtype == np.int64
    for (a, b), label in zip(X, y, strict=True):
        assert label == int(TRUTH[name](bool(a), bool(b)))
    assert {tuple(row) for row in X} == {(0, 0), (0, 1), (1, 0), (1, 1)}


def test_logic_gate_is_case_insensitive_and_xor_is_the_xor_gate():
    X, y = xor()
    X2, y2 = logic_gate("XOR")
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert y.tolist() == [0, 1, 1, 0]


def test_logic_gate_returns_fresh_arrays():
    X, y = logic_gate("and")
    X[0, 0] = 99
    y[0] = 5
    X2, y2 = logic_gate("and")
    assert X2[0, 0] == 0 and y2[0] == 0


def test_unknown_gate_lists_the_known_ones():
    msg = r"^name: unknown logic gate 'xnor'; expected one of: and, nand, or, xor$"
    with pytest.raises(ValueError, match=msg):
        logic_gate("xnor")


def test_iris_versicolor():
    X, y = iris_versicolor()
    assert X.shape == (150, 2) and X.dtype == np.float64
    assert y.shape == (150,) and y.dtype == np.int64
    assert set(np.unique(y)) == {0, 1} and y.sum() == 50
    # petal length and width in cm: first flower of Fisher's data is 1.4 cm by 0.2 cm
    np.testing.assert_array_equal(X[0], [1.4, 0.2])
    assert X[:, 0].max() == pytest.approx(6.9) and X[:, 1].max() == pytest.approx(2.5)
    # versicolor lies between setosa and virginica in petal length
    setosa_max = X[:50, 0].max()
    virginica_min = X[100:, 0].min()
    versicolor = X[y == 1, 0]
    assert setosa_max < versicolor.mean() and versicolor.min() > setosa_max
    assert virginica_min < versicolor.max()  # overlapping: not separable by one threshold


def test_digits():
    X, y = digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0 and X.max() == 16
    assert set(np.unique(y)) == set(range(10))


def test_moons_shapes_labels_and_determinism():
    X, y = moons(101, 0.1, rng=np.random.default_rng(3))
    assert X.shape == (101, 2) and X.dtype == np.float64
    assert y.shape == (101,) and y.dtype == np.int64
    assert np.sum(y == 0) == 51 and np.sum(y == 1) == 50
    X2, y2 = moons(101, 0.1, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = moons(101, 0.1, rng=3)  # an int is a seed
    np.testing.assert_array_equal(X, X3)
    X4, _ = moons(101, 0.1, rng=np.random.default_rng(4))
    assert not np.array_equal(X, X4)


def test_moons_without_noise_lie_on_their_half_circles():
    X, y = moons(50, 0.0, rng=0)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, atol=1e-12)
    assert np.all(upper[:, 1] >= -1e-12)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0, atol=1e-12)
    assert np.all(lower[:, 1] <= 0.5 + 1e-12)


def test_moons_noise_has_the_requested_scale():
    X1, y1 = moons(4000, 0.3, rng=1)
    # distance of the upper moon's points to the unit circle: about N(0, 0.3^2) radially
    d = np.hypot(X1[y1 == 0, 0], X1[y1 == 0, 1]) - 1.0
    assert 0.2 < d.std() < 0.4


def test_rng_is_consumed_from_the_generator_not_global_state():
    state = np.random.get_state()[1].copy()  # noqa: NPY002 (the legacy global state)
    moons(10, 0.1, rng=np.random.default_rng(0))
    pass_fail(10, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # noqa: NPY002


def test_pass_fail_shapes_and_determinism():
    X, y = pass_fail(200, rng=np.random.default_rng(7))
    assert X.shape == (200, 2) and X.dtype == np.float64
    assert y.shape == (200,) and y.dtype == np.int64
    assert set(np.unique(y)) == {0, 1}
    assert X[:, 0].min() >= 0 and X[:, 0].max() <= 40
    assert X[:, 1].min() >= 0 and X[:, 1].max() <= 30
    X2, y2 = pass_fail(200, rng=7)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)


def test_pass_fail_labels_follow_the_documented_logistic_model():
    import sklearn.linear_model as sklearn_linear

    X, y = pass_fail(20_000, rng=np.random.default_rng(0))
    model = sklearn_linear.LogisticRegression(C=np.inf, max_iter=1000).fit(X, y)
    w0, w1, w2 = PASS_FAIL_WEIGHTS
    # maximum likelihood recovers the generating weights (standard errors ~ 1-3 %)
    np.testing.assert_allclose(model.coef_[0], [w1, w2], rtol=0.1)
    assert model.intercept_[0] == pytest.approx(w0, rel=0.1)


def test_pass_fail_is_not_linearly_separable():
    from mlcourse.perceptron import Perceptron

    X, y = pass_fail(100, rng=0)
    assert not Perceptron(max_epochs=50).fit(X, y).converged_


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: moons(0, 0.1, rng=0), "n"),
        (lambda: moons(1, 0.1, rng=0), "n"),
        (lambda: moons(10.5, 0.1, rng=0), "n"),
        (lambda: moons(10, -0.1, rng=0), "noise"),
        (lambda: moons(10, float("nan"), rng=0), "noise"),
        (lambda: pass_fail(0, rng=0), "n"),
    ],
)
def test_bad_input_names_the_argument(call, argument):
    with pytest.raises(ValueError, match=rf"^{argument}(: expected .* got | is .*; expected )"):
        call()
