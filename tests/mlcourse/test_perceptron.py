"""mlcourse.perceptron: the Rosenblatt rule on logic gates, and logistic regression
against scikit-learn's maximum-likelihood solution."""

import numpy as np
import pytest

from mlcourse.datasets import iris_versicolor, logic_gate, pass_fail
from mlcourse.losses import binary_cross_entropy
from mlcourse.perceptron import LogisticRegression, Perceptron


@pytest.mark.parametrize("gate", ["and", "or", "nand"])
def test_perceptron_converges_on_separable_gates(gate):
    X, y = logic_gate(gate)
    model = Perceptron(lr=1.0, max_epochs=100).fit(X, y)
    assert model.converged_
    assert model.errors_[-1] == 0 and all(e > 0 for e in model.errors_[:-1])
    np.testing.assert_array_equal(model.predict(X), y)
    assert model.predict(X).dtype == np.int64


def test_perceptron_does_not_converge_on_xor():
    X, y = logic_gate("xor")
    model = Perceptron(lr=1.0, max_epochs=200).fit(X, y)
    assert not model.converged_
    assert len(model.errors_) == 200
    assert min(model.errors_) >= 1  # no epoch without a mistake
    assert np.sum(model.predict(X) != y) >= 1  # no line gets all four right


def test_perceptron_first_epoch_on_and_by_hand():
    # w = 0, b = 0; step(0) = 1.
    # (0,0): z = 0 -> 1, y = 0: w = (0, 0), b = -1
    # (0,1): z = -1 -> 0, right;  (1,0): z = -1 -> 0, right
    # (1,1): z = -1 -> 0, y = 1: w = (1, 1), b = 0           -> 2 errors
    X, y = logic_gate("and")
    model = Perceptron(lr=1.0, max_epochs=1).fit(X, y)
    assert model.errors_ == [2]
    np.testing.assert_array_equal(model.w, [1.0, 1.0])
    assert model.b == 0.0
    assert not model.converged_


def test_learning_rate_only_scales_the_weights_from_zero():
    X, y = logic_gate("or")
    a = Perceptron(lr=1.0).fit(X, y)
    b = Perceptron(lr=0.1).fit(X, y)
    assert a.errors_ == b.errors_
    np.testing.assert_allclose(b.w, 0.1 * a.w)
    assert b.b == pytest.approx(0.1 * a.b)


def test_perceptron_fails_on_iris_versicolor():
    X, y = iris_versicolor()
    model = Perceptron(max_epochs=30).fit(X, y)
    assert not model.converged_
    assert (model.predict(X) == y).mean() < 0.9


@pytest.mark.parametrize(("gate", "w", "b"), [("and", (7.0, 7.0), -9.0), ("or", (7.0, 7.0), -5.0)])
def test_hand_set_weights_of_the_course_compute_the_gates(gate, w, b):
    X, y = logic_gate(gate)
    model = Perceptron()
    model.w, model.b = np.array(w), b
    np.testing.assert_array_equal(model.predict(X), y)
    # as a sigmoid neuron the outputs are confident: 0.993 for z = 5, at worst
    lr = LogisticRegression()
    lr.w, lr.b = np.array(w), b
    proba = lr.predict_proba(X)
    assert np.all(np.abs(proba - y) < 0.12)
    np.testing.assert_array_equal(lr.predict(X), y)


def _standardised_pass_fail(n=300, seed=0):
    X, y = pass_fail(n, rng=np.random.default_rng(seed))
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return X, y


def test_logistic_regression_matches_scikit_learn_unpenalised():
    import sklearn.linear_model as sklearn_linear

    X, y = _standardised_pass_fail()
    ours = LogisticRegression(lr=2.0, epochs=3000).fit(X, y)
    # C = inf is scikit-learn's unpenalised fit (penalty=None, deprecated since 1.8)
    ref = sklearn_linear.LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(ours.w, ref.coef_[0], atol=1e-3)
    assert ours.b == pytest.approx(ref.intercept_[0], abs=1e-3)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X)[:, 1], atol=1e-4)


def test_logistic_regression_loss_history_is_the_decreasing_mean_bce():
    X, y = _standardised_pass_fail(100, seed=1)
    model = LogisticRegression(lr=0.5, epochs=200).fit(X, y)
    history = np.array(model.loss_history_)
    assert history.shape == (200,)
    assert history[0] == pytest.approx(np.log(2))  # w = 0: every prediction is 0.5
    assert np.all(np.diff(history) <= 1e-15)
    # the recorded value is the mean BCE of the weights before each step
    assert model.loss_history_[-1] >= float(binary_cross_entropy(model.predict_proba(X), y))


def test_logistic_regression_gradient_step_by_hand():
    # one step from w = 0: dL/dw = X^T (0.5 - y) / N
    X = np.array([[1.0, 2.0], [3.0, -1.0], [0.0, 1.0]])
    y = np.array([1, 0, 1])
    model = LogisticRegression(lr=0.1, epochs=1).fit(X, y)
    grad_w = X.T @ (0.5 - y) / 3
    np.testing.assert_allclose(model.w, -0.1 * grad_w, rtol=1e-14)
    assert model.b == pytest.approx(-0.1 * np.mean(0.5 - y), rel=1e-14)


def test_predictions_are_consistent():
    X, y = _standardised_pass_fail(50)
    model = LogisticRegression(lr=1.0, epochs=50).fit(X, y)
    proba = model.predict_proba(X)
    assert proba.shape == (50,) and np.all((proba > 0) & (proba < 1))
    np.testing.assert_array_equal(model.predict(X), (proba >= 0.5).astype(int))
    np.testing.assert_allclose(model.decision_function(X), X @ model.w + model.b)


@pytest.mark.parametrize("cls", [Perceptron, LogisticRegression])
def test_bad_input(cls):
    X, y = logic_gate("and")
    with pytest.raises(ValueError, match=r"^y contains 2 at index \(3,\); expected labels in"):
        cls().fit(X, np.array([0, 0, 0, 2]))
    with pytest.raises(ValueError, match=r"^y has shape \(3,\); expected \(4,\)"):
        cls().fit(X, y[:3])
    bad = X.copy()
    bad[1, 0] = np.nan
    with pytest.raises(ValueError, match=r"^X contains NaN at index \(1, 0\)"):
        cls().fit(bad, y)
    with pytest.raises(ValueError, match=r"^X has shape \(4,\); expected a 2-D array"):
        cls().fit(X[:, 0], y)
    with pytest.raises(ValueError, match=r"call fit"):
        cls().predict(X)
    model = cls().fit(X, y)
    with pytest.raises(ValueError, match=r"^X has shape \(4, 3\); expected \(N, 2\)"):
        model.predict(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"^lr is -1.0; expected a positive"):
        cls(lr=-1.0)


def test_bad_epochs():
    with pytest.raises(ValueError, match=r"^max_epochs is 0; expected a positive integer"):
        Perceptron(max_epochs=0)
    with pytest.raises(ValueError, match=r"^epochs is 2.5; expected a positive integer"):
        LogisticRegression(epochs=2.5)


def test_worked_decision_boundary_of_chapter_1():
    # w = [-3, 1, 1] with x0 = 1: predict 1 iff x1 + x2 >= 3, the line x1 + x2 = 3
    X = np.array([[1.0, 1.0], [1.0, 2.0], [2.5, 0.4], [3.0, 3.0], [0.0, 3.0]])
    for model in (Perceptron(), LogisticRegression()):
        model.w, model.b = np.array([1.0, 1.0]), -3.0
        np.testing.assert_array_equal(model.predict(X), [0, 1, 0, 1, 1])
    model = LogisticRegression()
    model.w, model.b = np.array([1.0, 1.0]), -3.0
    proba = model.predict_proba(np.array([[1.5, 1.5], [4.0, 4.0]]))
    assert proba[0] == 0.5  # on the boundary: maximal uncertainty
    assert proba[1] == pytest.approx(0.993, abs=5e-4)  # w^T x = 5


def test_logistic_regression_gradient_agrees_with_central_differences():
    from mlcourse.gradcheck import numerical_gradient

    X, y = _standardised_pass_fail(40, seed=2)
    w = np.array([0.3, -0.2])

    def mean_bce(w):
        model = LogisticRegression()
        model.w, model.b = w, 0.1
        return float(binary_cross_entropy(model.predict_proba(X), y))

    model = LogisticRegression()
    model.w, model.b = w, 0.1
    analytic = X.T @ (model.predict_proba(X) - y) / len(y)  # dL/dw = X^T (y_hat - y) / N
    numeric = numerical_gradient(mean_bce, w)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-7)
