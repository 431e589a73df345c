"""The [check] numbers of syllabus chapters 7 to 9, written out and checked against mlcourse.

Each test names the syllabus item it checks ("7.1" is chapter 7, item 1). The lessons
(lessons/ch07_activations.ipynb, ch08_backprop.ipynb, ch09_pytorch.ipynb) quote the same
numbers through myst-nb glue; these tests pin them down independently of the notebooks.
"""

import math

import numpy as np
import pytest

from mlcourse import activations as act
from mlcourse.gradcheck import check_gradient, numerical_gradient
from mlcourse.losses import (
    binary_cross_entropy,
    binary_cross_entropy_grad,
    binary_cross_entropy_with_logits,
    cross_entropy,
    cross_entropy_grad,
)
from mlcourse.mlp import MLP
from mlcourse.optim import train

E_INV = 0.36787944117144233  # e^-1

# ----------------------------------------------------------------- chapter 7, item 1
# (derivative function, keyword arguments, point z, derivative written out)
DERIVATIVES = [
    # linear: 1 everywhere
    (act.identity_grad, {}, -2.0, 1.0),
    (act.identity_grad, {}, 0.0, 1.0),
    (act.identity_grad, {}, 3.5, 1.0),
    # binary step: 0 wherever it is differentiable (and 0 by convention at the jump)
    (act.step_grad, {}, -1.0, 0.0),
    (act.step_grad, {}, 0.0, 0.0),
    (act.step_grad, {}, 1.0, 0.0),
    # sigmoid: s (1 - s); 1/4 at 0, even function
    (act.sigmoid_grad, {}, 0.0, 0.25),
    (act.sigmoid_grad, {}, 2.0, 0.10499358540350662),
    (act.sigmoid_grad, {}, -2.0, 0.10499358540350662),
    # tanh: 1 - tanh^2
    (act.tanh_grad, {}, 0.0, 1.0),
    (act.tanh_grad, {}, 1.0, 0.41997434161402614),
    (act.tanh_grad, {}, -1.0, 0.41997434161402614),
    # ReLU: 0 / 1, subgradient 0 at the kink (as PyTorch)
    (act.relu_grad, {}, -1.0, 0.0),
    (act.relu_grad, {}, 0.0, 0.0),
    (act.relu_grad, {}, 2.0, 1.0),
    # leaky ReLU max(0.01 z, z): 0.01 / 1
    (act.leaky_relu_grad, {}, -3.0, 0.01),
    (act.leaky_relu_grad, {}, 2.0, 1.0),
    (act.leaky_relu_grad, {"alpha": 0.2}, -3.0, 0.2),
    # PReLU with slope a: a / 1
    (act.prelu_grad, {"a": 0.25}, -1.0, 0.25),
    (act.prelu_grad, {"a": 0.25}, 2.0, 1.0),
    # ELU: alpha e^z for z <= 0, 1 above
    (act.elu_grad, {}, -1.0, E_INV),
    (act.elu_grad, {}, -2.0, 0.1353352832366127),
    (act.elu_grad, {}, 2.0, 1.0),
    (act.elu_grad, {"alpha": 2.0}, -1.0, 0.7357588823428847),
    # GELU: Phi(z) + z phi(z)
    (act.gelu_grad, {}, 0.0, 0.5),
    (act.gelu_grad, {}, 1.0, 1.0833154705876864),
    (act.gelu_grad, {}, -1.0, -0.08331547058768629),
    # swish / SiLU: s(z) + z s(z)(1 - s(z))
    (act.swish_grad, {}, 0.0, 0.5),
    (act.swish_grad, {}, 1.0, 0.9276705118714867),
    (act.swish_grad, {}, -2.0, -0.09078424878489547),
    # softplus: the sigmoid
    (act.softplus_grad, {}, 0.0, 0.5),
    (act.softplus_grad, {}, 1.0, 0.7310585786300049),
]


@pytest.mark.parametrize(
    ("grad", "kwargs", "z", "expected"),
    DERIVATIVES,
    ids=[f"{g.__name__}({z:g}{', ' + str(k) if k else ''})" for g, k, z, _ in DERIVATIVES],
)
def test_7_1_activation_derivative_written_out(grad, kwargs, z, expected):
    assert float(grad(np.array(z), **kwargs)) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_7_1_prelu_derivative_with_respect_to_its_slope():
    # d PReLU / d a = z for z <= 0, 0 for z > 0
    z = np.array([-2.0, -0.5, 1.0, 3.0])
    np.testing.assert_allclose(act.prelu_grad_a(z, 0.25), [-2.0, -0.5, 0.0, 0.0], atol=1e-15)


SMOOTH = ["sigmoid", "tanh", "elu", "gelu", "swish", "softplus"]


@pytest.mark.parametrize("name", [*SMOOTH, "identity", "relu", "leaky_relu", "step"])
def test_7_1_every_derivative_matches_finite_differences_away_from_kinks(name):
    f, f_grad = act.ACTIVATIONS[name]
    z = np.array([-2.5, -1.0, -0.3, 0.4, 1.7, 3.0])
    numeric = numerical_gradient(lambda t: np.sum(f(t)), z)
    np.testing.assert_allclose(f_grad(z), numeric, rtol=1e-7, atol=1e-9)


def test_7_1_sigmoid_tanh_softplus_identities():
    z = np.linspace(-6.0, 6.0, 49)
    s = act.sigmoid(z)
    np.testing.assert_allclose(act.sigmoid_grad(z), s * (1 - s), atol=1e-15)
    np.testing.assert_allclose(act.tanh_grad(z), 1 - np.tanh(z) ** 2, atol=1e-15)
    np.testing.assert_allclose(act.tanh(z), 2 * act.sigmoid(2 * z) - 1, atol=1e-15)
    np.testing.assert_allclose(act.softplus_grad(z), s, atol=1e-15)


def test_7_2_sigmoid_derivative_decays_like_exp_minus_abs_z():
    for z in (10.0, 20.0, -20.0):
        ratio = float(act.sigmoid_grad(np.array(z))) / math.exp(-abs(z))
        assert ratio == pytest.approx(1.0, abs=1e-4)


def test_7_2_positive_bias_keeps_relu_units_active():
    # small weights, bias 0.1: every pre-activation positive; bias 0: about half
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    W = rng.normal(scale=0.01, size=(3, 100))
    assert np.mean(X @ W + 0.1 > 0) == 1.0
    assert 0.4 < np.mean(X @ W > 0) < 0.6


# ----------------------------------------------------------------- chapter 7, item 3
def test_7_3_softmax_worked_example():
    p = act.softmax(np.array([2.6, 1.5, 0.2, 0.6]))
    np.testing.assert_array_equal(np.round(p, 2), [0.64, 0.21, 0.06, 0.09])
    assert p.sum() == pytest.approx(1.0, abs=1e-15)


def test_7_3_log_softmax_is_z_minus_log_sum_exp():
    z = np.array([2.6, 1.5, 0.2, 0.6])
    expected = z - math.log(sum(math.exp(v) for v in z))
    np.testing.assert_allclose(act.log_softmax(z), expected, atol=1e-14)
    np.testing.assert_allclose(act.log_softmax(z), [-0.4440, -1.5440, -2.8440, -2.4440], atol=1e-4)


def test_7_3_stable_softmax_where_the_naive_formula_overflows():
    p = act.softmax(np.array([1000.0, 999.0, 998.0]))
    np.testing.assert_allclose(p, [0.66524096, 0.24472847, 0.09003057], atol=1e-8)
    assert float(act.log_softmax(np.array([0.0, -800.0]))[1]) == pytest.approx(-800.0)


# ----------------------------------------------------------------- chapter 7, item 4
def test_7_4_binary_ce_equals_categorical_ce_with_two_classes():
    z = np.array([0.3, -1.2, 2.0])
    y = np.array([1, 0, 1])
    binary = binary_cross_entropy_with_logits(z, y.astype(float))
    categorical = cross_entropy(np.column_stack([np.zeros(3), z]), y)
    one_hot = cross_entropy(np.column_stack([np.zeros(3), z]), np.eye(2)[y])
    assert float(binary) == pytest.approx(0.3148552409498437, rel=1e-12)
    assert float(categorical) == pytest.approx(0.3148552409498437, rel=1e-12)
    assert float(one_hot) == pytest.approx(0.3148552409498437, rel=1e-12)
    # and on probabilities
    assert float(binary_cross_entropy(act.sigmoid(z), y.astype(float))) == pytest.approx(
        0.3148552409498437, rel=1e-12
    )


def test_7_4_pairings_give_prediction_minus_target():
    logits = np.array([[2.6, 1.5, 0.2, 0.6]])
    np.testing.assert_allclose(
        cross_entropy_grad(logits, np.array([1])),
        act.softmax(logits) - np.array([[0.0, 1.0, 0.0, 0.0]]),
        atol=1e-15,
    )


# ----------------------------------------------------------------- chapter 7, item 5
def test_7_5_torch_cross_entropy_takes_logits_and_indices():
    import torch

    logits = np.array([[2.6, 1.5, 0.2, 0.6], [0.1, 0.2, 3.0, -1.0]])
    y = np.array([0, 2])
    ours = float(cross_entropy(logits, y))
    theirs = torch.nn.CrossEntropyLoss()(torch.tensor(logits), torch.tensor(y)).item()
    assert ours == pytest.approx(theirs, rel=1e-12)
    doubled = torch.nn.CrossEntropyLoss()(torch.softmax(torch.tensor(logits), 1), torch.tensor(y))
    assert abs(doubled.item() - ours) > 0.1  # the extra softmax is a real bug


def test_7_5_bce_loss_clamps_where_bce_with_logits_does_not():
    import torch

    z = torch.tensor([40.0], dtype=torch.float64)
    y = torch.tensor([0.0], dtype=torch.float64)
    assert torch.nn.BCELoss()(torch.sigmoid(z), y).item() == pytest.approx(100.0)
    assert torch.nn.BCEWithLogitsLoss()(z, y).item() == pytest.approx(40.0)
    assert float(binary_cross_entropy_with_logits(np.array([40.0]), np.array([0.0]))) == (
        pytest.approx(40.0)
    )


# ----------------------------------------------------------------- chapter 8, item 2
@pytest.mark.parametrize(("x", "expected"), [(0.5, 4.0), (1.5, 4.0 / 3.0), (-2.0, -1.0)])
def test_8_2_chain_rule_d_ln_x_squared_is_2_over_x(x, expected):
    numeric = float(numerical_gradient(lambda t: np.log(t**2), np.array(x)))
    assert numeric == pytest.approx(expected, rel=1e-8)


# ----------------------------------------------------------------- chapter 8, items 3-4
def _tiny_network():
    """The hand-checkable network of lessons/ch08_backprop.ipynb."""
    W1 = np.array([[0.1, -0.3], [0.2, 0.4]])
    b1 = np.array([0.0, 0.1])
    W2 = np.array([[0.5], [-0.6]])
    b2 = np.array([0.2])
    return MLP.from_params([(W1, b1), (W2, b2)], activation="sigmoid", output="sigmoid")


def test_8_3_tiny_network_forward_and_backward_numbers():
    net = _tiny_network()
    X = np.array([[1.0, 2.0]])
    Y = np.array([[1.0]])
    y_hat = net.forward(X)
    assert float(y_hat[0, 0]) == pytest.approx(0.530919, abs=1e-6)
    assert float(binary_cross_entropy(y_hat, Y)) == pytest.approx(0.633145, abs=1e-6)
    (dW1, db1), (dW2, db2) = net.backward(binary_cross_entropy_grad(y_hat, Y))
    assert float(db2[0]) == pytest.approx(float(y_hat[0, 0]) - 1.0, abs=1e-12)  # delta = y_hat - y
    np.testing.assert_allclose(dW2[:, 0], [-0.291984, -0.302865], atol=1e-6)  # h1^T delta2
    np.testing.assert_allclose(dW1[0], [-0.055118, 0.064391], atol=1e-6)
    np.testing.assert_allclose(dW1[1], 2 * dW1[0], atol=1e-15)  # x = (1, 2)
    np.testing.assert_allclose(db1, dW1[0], atol=1e-15)


def test_8_4_gradient_check_of_an_mlp():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(8, 4))
    y = rng.integers(0, 3, size=8)
    net = MLP([4, 6, 5, 3], activation="tanh", output="identity", rng=np.random.default_rng(1))
    grads = net.backward(cross_entropy_grad(net.forward(X), y))
    for (W, b), (dW, db) in zip(net.params, grads, strict=True):
        for array, grad in ((W, dW), (b, db)):
            original = array.copy()

            def loss_at(values, array=array, original=original):
                array[...] = values
                out = cross_entropy(net.forward(X), y)
                array[...] = original
                return out

            assert check_gradient(loss_at, lambda _v, grad=grad: grad, original) < 1e-7


def test_8_4_tiny_network_gradients_agree_with_torch_autograd():
    import torch

    net = _tiny_network()
    X = np.array([[1.0, 2.0]])
    Y = np.array([[1.0]])
    grads = net.backward(binary_cross_entropy_grad(net.forward(X), Y))
    twin = net.to_torch()
    loss = torch.nn.BCELoss()(twin(torch.tensor(X)), torch.tensor(Y))
    loss.backward()
    linears = [m for m in twin if isinstance(m, torch.nn.Linear)]
    for lin, (dW, db) in zip(linears, grads, strict=True):
        np.testing.assert_allclose(lin.weight.grad.numpy().T, dW, atol=1e-15)
        np.testing.assert_allclose(lin.bias.grad.numpy(), db, atol=1e-15)


# ----------------------------------------------------------------- chapter 9, item 3
def test_9_3_mlcourse_and_torch_training_give_the_same_losses():
    import torch

    from mlcourse.datasets import moons

    X, y = moons(200, noise=0.25, rng=np.random.default_rng(3))
    net = MLP([2, 8, 8, 2], activation="tanh", output="identity", rng=np.random.default_rng(4))
    twin = net.to_torch()
    lr, epochs, batch = 0.3, 10, 20
    history = train(
        net, X, y, loss="cross_entropy", lr=lr, epochs=epochs, batch_size=batch,
        rng=np.random.default_rng(5),
    )  # fmt: skip

    order = np.random.default_rng(5)  # the same shuffles as train()
    optimizer = torch.optim.SGD(twin.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    Xt, yt = torch.tensor(X), torch.tensor(y)
    torch_history = []
    for _ in range(epochs):
        perm = order.permutation(len(X))
        total = 0.0
        for start in range(0, len(X), batch):
            idx = torch.tensor(perm[start : start + batch])
            optimizer.zero_grad()
            loss = loss_fn(twin(Xt[idx]), yt[idx])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        torch_history.append(total / len(X))

    assert history["loss"][-1] < history["loss"][0]  # it did train
    np.testing.assert_allclose(history["loss"], torch_history, rtol=0, atol=1e-12)
    linears = [m for m in twin if isinstance(m, torch.nn.Linear)]
    for lin, (W, b) in zip(linears, net.params, strict=True):
        np.testing.assert_allclose(lin.weight.detach().numpy().T, W, atol=1e-12)
        np.testing.assert_allclose(lin.bias.detach().numpy(), b, atol=1e-12)


def test_9_4_digits_are_the_bundled_8x8_set():
    from mlcourse.datasets import digits

    X, y = digits()
    assert X.shape == (1797, 64)
    assert sorted(np.unique(y).tolist()) == list(range(10))
