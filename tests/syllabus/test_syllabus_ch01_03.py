"""The [check] numbers of syllabus chapters 1 to 3, written out and checked against mlcourse.

Each test names the syllabus item it checks ("1.1" is chapter 1, item 1). The lessons
(lessons/ch01_logistic_regression.ipynb, ch02_cross_entropy.ipynb, ch03_information.ipynb)
quote the same numbers through myst-nb glue; these tests pin them down independently of the
notebooks.
"""

import math

import numpy as np
import pytest

from mlcourse.activations import sigmoid, softplus
from mlcourse.gradcheck import check_gradient, numerical_gradient
from mlcourse.info import cross_entropy, entropy, kl_divergence
from mlcourse.likelihood import bernoulli_log_likelihood, bernoulli_mle, gaussian_mle
from mlcourse.losses import (
    binary_cross_entropy,
    binary_cross_entropy_grad,
    binary_cross_entropy_with_logits,
    binary_cross_entropy_with_logits_grad,
)
from mlcourse.perceptron import LogisticRegression


def _model_with(w, b):
    """A LogisticRegression with hand-set weights (no fitting)."""
    model = LogisticRegression()
    model.w = np.asarray(w, dtype=float)
    model.b = float(b)
    return model


# ----------------------------------------------------------------- chapter 1
def test_1_1_boundary_of_w_minus3_1_1_is_x1_plus_x2_equals_3():
    # w = [w0, w1, w2] = [-3, 1, 1] with x0 = 1: the score is x1 + x2 - 3.
    model = _model_with([1.0, 1.0], -3.0)
    t = np.linspace(-5.0, 8.0, 27)
    on_line = np.column_stack([t, 3.0 - t])  # x1 + x2 = 3
    np.testing.assert_allclose(model.decision_function(on_line), 0.0, atol=1e-12)
    np.testing.assert_allclose(model.predict_proba(on_line), 0.5, atol=1e-12)
    # y_hat = 1 iff w^T x >= 0: (1, 1) is class 0, (2, 2) class 1, a point on the line class 1.
    points = np.array([[1.0, 1.0], [2.0, 2.0], [0.5, 2.5], [4.0, 0.5]])
    assert model.predict(points).tolist() == [0, 1, 1, 1]
    # the same with the bias absorbed: x -> [1; x], w -> [w0; w]
    w_aug = np.array([-3.0, 1.0, 1.0])
    X_aug = np.column_stack([np.ones(len(points)), points])
    np.testing.assert_allclose(X_aug @ w_aug, model.decision_function(points))


def test_1_3_sigmoid_of_5_is_0_993_and_half_on_the_boundary():
    assert round(float(sigmoid(np.array(5.0))), 3) == 0.993
    assert float(sigmoid(np.array(5.0))) == pytest.approx(0.9933071490757153, abs=1e-15)
    assert float(sigmoid(np.array(0.0))) == 0.5
    # the point (4, 4) of the worked example has score 4 + 4 - 3 = 5
    model = _model_with([1.0, 1.0], -3.0)
    assert round(float(model.predict_proba(np.array([[4.0, 4.0]]))[0]), 3) == 0.993


def test_1_4_sigmoid_properties():
    z = np.linspace(-30.0, 30.0, 121)
    np.testing.assert_allclose(sigmoid(-z), 1.0 - sigmoid(z), atol=1e-15)
    np.testing.assert_allclose(sigmoid(z), np.exp(z) / (1.0 + np.exp(z)), rtol=1e-12)
    assert float(sigmoid(np.array(1000.0))) == 1.0
    assert float(sigmoid(np.array(-1000.0))) == 0.0


# ----------------------------------------------------------------- chapter 2
def test_2_2_bce_is_the_negative_log_likelihood_of_the_true_label():
    y_hat = np.array([0.7, 0.7, 0.1, 0.95])
    y = np.array([1.0, 0.0, 0.0, 1.0])
    likelihood = y_hat**y * (1 - y_hat) ** (1 - y)  # the one-line Bernoulli form
    assert binary_cross_entropy(y_hat, y) == pytest.approx(-np.mean(np.log(likelihood)))
    assert bernoulli_log_likelihood(y, y_hat) == pytest.approx(np.sum(np.log(likelihood)))


def test_2_5_pm1_label_form_log_1_plus_exp_minus_y_xw():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    w = rng.normal(size=3)
    y01 = rng.integers(0, 2, size=50)
    y_pm = 2 * y01 - 1
    per_point = np.log1p(np.exp(-y_pm * (X @ w)))
    assert binary_cross_entropy_with_logits(X @ w, y01) == pytest.approx(per_point.mean())


def test_2_6_prediction_0_8_0_2_costs_1_61_if_y_is_1_and_0_22_if_y_is_minus_1():
    # [p(-1), p(1)] = [0.8, 0.2]: y_hat = P(y = 1) = 0.2
    loss_pos = binary_cross_entropy(np.array([0.2]), np.array([1.0]))
    loss_neg = binary_cross_entropy(np.array([0.2]), np.array([0.0]))  # y = -1 is 0 here
    assert round(loss_pos, 2) == 1.61
    assert round(loss_neg, 2) == 0.22
    assert loss_pos == pytest.approx(-math.log(0.2))
    assert loss_neg == pytest.approx(-math.log(0.8))
    # the same numbers from the logit log(0.2 / 0.8) with labels in {-1, +1}
    z = math.log(0.2 / 0.8)
    for y_pm, expected in [(1, loss_pos), (-1, loss_neg)]:
        assert math.log1p(math.exp(-y_pm * z)) == pytest.approx(expected)


def test_2_7_dL_dz_is_y_hat_minus_y():
    rng = np.random.default_rng(1)
    N = 20
    z = rng.normal(0, 3, size=N)
    y = rng.integers(0, 2, size=N).astype(float)
    # the package returns the gradient of the MEAN loss: (y_hat - y) / N
    np.testing.assert_allclose(
        binary_cross_entropy_with_logits_grad(z, y) * N, sigmoid(z) - y, atol=1e-15
    )
    # and numerically, by central differences
    numeric = numerical_gradient(lambda v: binary_cross_entropy_with_logits(v, y), z.copy())
    np.testing.assert_allclose(numeric * N, sigmoid(z) - y, atol=1e-8)
    # through the sigmoid: dL/dy_hat * dy_hat/dz = y_hat - y as well
    y_hat = sigmoid(z)
    chain = binary_cross_entropy_grad(y_hat, y) * y_hat * (1 - y_hat) * N
    np.testing.assert_allclose(chain, y_hat - y, atol=1e-10)


def test_2_7_dL_dw_is_one_over_N_XT_times_y_hat_minus_y():
    rng = np.random.default_rng(2)
    N, D = 30, 4
    X = rng.normal(size=(N, D))
    y = rng.integers(0, 2, size=N).astype(float)
    w0 = rng.normal(size=D)

    def loss(w):
        return binary_cross_entropy_with_logits(X @ w, y)

    def grad(w):
        return X.T @ (sigmoid(X @ w) - y) / N

    assert check_gradient(loss, grad, w0) < 1e-7


def test_2_7_loss_is_convex_hessian_is_psd():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 3))
    for _ in range(5):
        s = sigmoid(X @ rng.normal(0, 3, size=3))
        hessian = X.T @ (X * (s * (1 - s))[:, None]) / len(X)
        assert np.linalg.eigvalsh(hessian).min() >= -1e-12


def test_2_8_option_2_costs_log_2_and_option_1_is_infinite():
    y = np.array([0.0, 1.0])  # {(x1, 0), (x2, 1)}
    option_2 = binary_cross_entropy(np.array([0.5, 0.5]), y)
    option_1 = binary_cross_entropy(np.array([1.0, 1.0]), y)
    assert option_2 == pytest.approx(math.log(2))
    assert round(option_2, 3) == 0.693
    assert option_1 == math.inf
    assert option_2 < option_1


def test_2_9_logits_beat_the_eps_trick():
    # y = 0 and z = 40: sigmoid(40) rounds to 1.0, so the true loss log(1 + e^40) = 40.0
    # is lost by the naive formula (inf) and by log(1 - h + eps) (a ceiling of -log eps).
    z, eps = 40.0, 1e-12
    assert float(sigmoid(np.array(z))) == 1.0
    patched = -math.log(1.0 - float(sigmoid(np.array(z))) + eps)
    assert patched == pytest.approx(-math.log(eps))
    exact = binary_cross_entropy_with_logits(np.array([z]), np.array([0.0]))
    assert exact == pytest.approx(40.0, abs=1e-12)


# ----------------------------------------------------------------- chapter 3
def test_3_1_fair_coin_is_1_bit_uniform_over_8_is_3_bits():
    assert entropy(np.array([0.5, 0.5]), base=2) == pytest.approx(1.0, abs=1e-15)
    assert entropy(np.full(8, 1 / 8), base=2) == pytest.approx(3.0, abs=1e-15)
    assert entropy(np.array([0.5, 0.5])) == pytest.approx(math.log(2))  # nats
    # the prefix code 0, 10, 110, 111 for (1/2, 1/4, 1/8, 1/8) has average length H = 1.75
    assert entropy(np.array([0.5, 0.25, 0.125, 0.125]), base=2) == pytest.approx(1.75)
    assert entropy(np.array([0.5, 0.5, 0.0]), base=2) == pytest.approx(1.0)  # 0 log 0 = 0


def test_3_2_cross_entropy_is_the_cost_of_the_wrong_code():
    P = np.array([0.5, 0.25, 0.125, 0.125])
    U = np.full(4, 0.25)
    assert cross_entropy(P, U, base=2) == pytest.approx(2.0)
    assert cross_entropy(U, P, base=2) == pytest.approx(2.25)


def test_3_3_kl_zero_iff_equal_non_negative_not_symmetric():
    P, Q = np.array([0.9, 0.1]), np.array([0.5, 0.5])
    assert kl_divergence(P, P) == 0.0
    assert kl_divergence(P, Q, base=2) == pytest.approx(0.531004406410719)
    assert kl_divergence(Q, P, base=2) == pytest.approx(0.736965594166206)
    assert kl_divergence(P, Q) != pytest.approx(kl_divergence(Q, P))
    assert kl_divergence(P, Q) == pytest.approx(cross_entropy(P, Q) - entropy(P))
    assert kl_divergence(P, np.array([1.0, 0.0])) == math.inf

    rng = np.random.default_rng(4)
    Ps = rng.dirichlet(np.ones(5), size=500)
    Qs = rng.dirichlet(np.ones(5), size=500)
    forward = kl_divergence(Ps, Qs)
    assert forward.min() > 0.0  # distinct pairs: strictly positive
    np.testing.assert_allclose(kl_divergence(Ps, Ps), 0.0, atol=1e-15)
    assert np.abs(forward - kl_divergence(Qs, Ps)).max() > 0.1


def test_3_4_ml_argmax_is_argmin_cross_entropy_is_argmin_kl():
    # a binomial model (heads in 5 tosses) over 6 outcomes, as in the lesson
    from scipy.stats import binom

    rng = np.random.default_rng(1)
    m, n_tosses = 40, 5
    data = rng.binomial(n_tosses, 0.3, size=m)
    p_data = np.bincount(data, minlength=n_tosses + 1) / m
    thetas = np.linspace(0.001, 0.999, 999)
    p_model = binom.pmf(np.arange(n_tosses + 1)[None, :], n_tosses, thetas[:, None])
    p_rows = np.broadcast_to(p_data, p_model.shape)

    log_likelihood = np.log(p_model[:, data]).sum(axis=1)
    ce = cross_entropy(p_rows, p_model)
    kl = kl_divergence(p_rows, p_model)
    assert log_likelihood.argmax() == ce.argmin() == kl.argmin()
    assert thetas[ce.argmin()] == pytest.approx(data.mean() / n_tosses, abs=5e-4)
    np.testing.assert_allclose(log_likelihood / m, -ce, rtol=1e-12)
    np.testing.assert_allclose(ce - kl, entropy(p_data), rtol=1e-12)

    # the Bernoulli version with mlcourse.likelihood
    flips = (rng.uniform(size=60) < 0.7).astype(int)
    grid = np.linspace(0.001, 0.999, 999)
    ll = np.array([bernoulli_log_likelihood(flips, np.full(60, t)) for t in grid])
    p_hat = np.array([1 - flips.mean(), flips.mean()])
    q = np.column_stack([1 - grid, grid])
    p_hat_rows = np.broadcast_to(p_hat, q.shape)
    assert (
        ll.argmax()
        == cross_entropy(p_hat_rows, q).argmin()
        == kl_divergence(p_hat_rows, q).argmin()
    )


def test_3_5_forward_kl_covers_reverse_kl_picks_a_mode():
    def gaussian(x, mu, sigma):
        return np.exp(-0.5 * ((x - mu) / sigma) ** 2) / sigma

    x = np.linspace(-10, 10, 401)
    p = 0.6 * gaussian(x, -3.0, 1.0) + 0.4 * gaussian(x, 3.0, 0.8)
    p /= p.sum()
    mus = np.linspace(-6, 6, 121)
    sigmas = np.linspace(0.3, 6, 58)
    forward = np.empty((len(sigmas), len(mus)))
    reverse = np.empty_like(forward)
    for j, sigma in enumerate(sigmas):
        q = gaussian(x[None, :], mus[:, None], sigma)
        q /= q.sum(axis=1, keepdims=True)
        p_rows = np.broadcast_to(p, q.shape)
        forward[j] = kl_divergence(p_rows, q)
        reverse[j] = kl_divergence(q, p_rows)
    j_f, i_f = np.unravel_index(np.argmin(forward), forward.shape)
    j_r, i_r = np.unravel_index(np.argmin(reverse), reverse.shape)
    mean_p = np.sum(x * p)
    sd_p = np.sqrt(np.sum((x - mean_p) ** 2 * p))
    # forward KL: moment matching, one broad Gaussian over both peaks
    assert mus[i_f] == pytest.approx(mean_p, abs=0.1)
    assert sigmas[j_f] == pytest.approx(sd_p, abs=0.1)
    # reverse KL: the heavier peak, at -3 with sigma 1
    assert mus[i_r] == pytest.approx(-3.0, abs=0.1)
    assert sigmas[j_r] == pytest.approx(1.0, abs=0.1)


def test_3_6_bernoulli_mle_is_the_mean_gaussian_mle_is_mean_and_biased_variance():
    y = np.array([1, 0, 1, 1, 0, 1, 1, 1])
    assert bernoulli_mle(y) == pytest.approx(0.75)
    x = np.array([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0])
    mu, sigma2 = gaussian_mle(x)
    assert mu == pytest.approx(5.0)
    assert sigma2 == pytest.approx(4.0)  # divides by m = 8; the unbiased estimate is 32 / 7
    assert sigma2 == pytest.approx(np.var(x, ddof=0))


def test_3_6_gaussian_noise_gives_squared_error():
    rng = np.random.default_rng(5)
    x = rng.uniform(-2, 2, size=40)
    y = 1.5 * x + rng.normal(0, 0.4, size=40)
    slopes = np.linspace(0, 3, 301)
    sse = np.array([np.sum((y - s * x) ** 2) for s in slopes])
    for sigma in (0.3, 2.0):
        nll = len(x) / 2 * np.log(2 * np.pi * sigma**2) + sse / (2 * sigma**2)
        assert nll.argmin() == sse.argmin()


def test_3_6_sigmoid_output_J_is_minus_log_sigmoid_of_2y_minus_1_times_z():
    rng = np.random.default_rng(6)
    a = rng.normal(size=(25, 3))
    w, b = rng.normal(size=3), -0.4
    y = rng.integers(0, 2, size=25)
    z = a @ w + b
    J = -np.log(sigmoid((2 * y - 1) * z))
    np.testing.assert_allclose(J, softplus((1 - 2 * y) * z), rtol=1e-12)
    for n in range(len(y)):
        assert binary_cross_entropy_with_logits(z[n : n + 1], y[n : n + 1]) == pytest.approx(J[n])
    # worked numbers: z = 2 gives J = 0.127 for y = 1 and 2.127 for y = 0
    assert round(float(-np.log(sigmoid(np.array(2.0)))), 3) == 0.127
    assert round(float(-np.log(sigmoid(np.array(-2.0)))), 3) == 2.127


def test_3_7_binary_cross_entropy_is_a_special_case_of_H_P_Q():
    y = np.array([1.0, 0.0, 1.0, 0.0, 1.0])
    y_hat = np.array([0.2, 0.2, 0.9, 0.6, 0.5])
    P = np.column_stack([1 - y, y])  # the label as a distribution
    Q = np.column_stack([1 - y_hat, y_hat])  # the prediction as a distribution
    per_point = cross_entropy(P, Q)
    assert per_point.shape == (5,)
    assert per_point.mean() == pytest.approx(binary_cross_entropy(y_hat, y))
    assert per_point[0] == pytest.approx(-math.log(0.2))  # = 1.61, the example of 2.6


def test_3_7_kl_is_zero_at_the_optimum_only_if_the_family_contains_the_data():
    # Issue 10: the lesson's binomial fit keeps KL = 0.0137 nats at the maximum-likelihood
    # theta, because no binomial reproduces the 40 counts; the statement "KL is zero at the
    # optimum" holds only when the family contains the data distribution.
    from scipy.stats import binom

    rng = np.random.default_rng(1)
    m, n_tosses = 40, 5
    data = rng.binomial(n_tosses, 0.3, size=m)
    p_data = np.bincount(data, minlength=n_tosses + 1) / m
    thetas = np.linspace(0.001, 0.999, 999)
    p_model = binom.pmf(np.arange(n_tosses + 1)[None, :], n_tosses, thetas[:, None])
    kl = kl_divergence(np.broadcast_to(p_data, p_model.shape), p_model)
    assert round(float(kl.min()), 4) == 0.0137
    # at the closed-form estimate too, not only on the grid
    theta_ml = data.mean() / n_tosses
    kl_ml = kl_divergence(p_data, binom.pmf(np.arange(n_tosses + 1), n_tosses, theta_ml))
    assert kl_ml == pytest.approx(kl.min(), abs=1e-5) and kl_ml > 0.01
    # when the data distribution is itself a binomial, the minimum is zero
    p_exact = binom.pmf(np.arange(n_tosses + 1), n_tosses, 0.3)
    kl_exact = kl_divergence(np.broadcast_to(p_exact, p_model.shape), p_model)
    assert thetas[kl_exact.argmin()] == pytest.approx(0.3, abs=1e-9)
    assert kl_exact.min() == pytest.approx(0.0, abs=1e-12)
