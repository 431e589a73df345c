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


# ------------------------------------------------- issue 10: corrected claims, chapter 7
def test_7_4_mse_gradient_is_two_residuals_over_the_number_of_entries():
    # The code's MSE has no 1/2: d mse / d y_hat = 2 (y_hat - y) / (N M), not y_hat - y.
    import torch

    from mlcourse.losses import mse, mse_grad

    rng = np.random.default_rng(3)
    for shape in [(5,), (4, 2)]:
        y_hat, y = rng.normal(size=shape), rng.normal(size=shape)
        expected = 2 * (y_hat - y) / y.size
        np.testing.assert_allclose(mse_grad(y_hat, y), expected, atol=1e-15)
        t = torch.tensor(y_hat, dtype=torch.float64, requires_grad=True)
        torch.nn.MSELoss()(t, torch.tensor(y)).backward()
        np.testing.assert_allclose(t.grad.numpy(), expected, atol=1e-15)
        numeric = numerical_gradient(lambda v, y=y: mse(v, y), y_hat)
        np.testing.assert_allclose(numeric, expected, atol=1e-9)
        assert not np.allclose(mse_grad(y_hat, y), y_hat - y)  # the old claim is wrong
    # the decks' 1/(2N) form has the gradient (y_hat - y) / N
    y_hat, y = rng.normal(size=6), rng.normal(size=6)
    numeric = numerical_gradient(lambda v: np.sum((v - y) ** 2) / (2 * len(y)), y_hat)
    np.testing.assert_allclose(numeric, (y_hat - y) / len(y), atol=1e-9)


def test_7_2_deep_sigmoid_gradient_depends_on_the_weights_too():
    # A chain of ten sigmoid units held at z = 0 passes (w / 4)^10 back: 4^-10 for w = 1,
    # but 2^10 = 1024 (an explosion) for w = 8. The 4^-10 bound ignores the weights.
    import torch

    for w, expected in [(1.0, 0.25**10), (8.0, 2.0**10)]:
        x = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
        h = x
        for _ in range(10):
            h = torch.sigmoid(w * h - (w * h).detach())  # value: z = 0; slope w in h
        h.backward()
        assert x.grad.item() == pytest.approx(expected, rel=1e-12)


def test_7_2_identity_and_tanh_are_the_odd_activations():
    z = np.linspace(-50, 50, 20001)
    odd = [
        name for name, (f, _) in act.ACTIVATIONS.items() if np.max(np.abs(f(z) + f(-z))) < 1e-12
    ]
    assert odd == ["identity", "tanh"]


def test_7_1_relu_subgradient_conventions_differ_only_at_zero():
    # the book and PyTorch take 0 at the kink; the Oslo deck's convention takes 1
    import torch

    assert float(act.relu_grad(np.array(0.0))) == 0.0
    z0 = torch.tensor(0.0, requires_grad=True)
    torch.relu(z0).backward()
    assert z0.grad.item() == 0.0
    z = np.array([-2.0, -0.5, 0.5, 2.0])
    np.testing.assert_array_equal(act.relu_grad(z), (z >= 0).astype(float))


# ----------------------------------------------- chapter 7: initialisation, gradient flow
def test_7_init_constant_weights_keep_hidden_units_identical():
    from mlcourse.datasets import digits

    X, y = digits()
    X = X[:200] / 16.0
    net = MLP.from_params(
        [(np.full((64, 6), 0.1), np.zeros(6)), (np.full((6, 10), 0.1), np.zeros(10))],
        activation="tanh",
        output="identity",
    )
    train(net, X, y[:200], loss="cross_entropy", lr=0.1, epochs=5, batch_size=32, rng=0)
    W1 = net.params[0][0]
    assert np.all(W1[:, :1] == W1)  # every hidden unit has the same weights
    assert not np.allclose(W1, 0.1)  # although they did change


def test_7_init_variance_argument_and_the_package_scales():
    rng = np.random.default_rng(0)
    D = 400
    x = rng.normal(size=(4000, D))
    z = x @ rng.normal(scale=np.sqrt(1 / D), size=(D, D))  # Var[z] = D Var[w] Var[x] = 1
    assert z.var() == pytest.approx(1.0, rel=0.03)
    assert np.mean(np.maximum(z, 0) ** 2) / z.var() == pytest.approx(0.5, rel=0.02)
    # MLP draws He weights before ReLU and Xavier weights before tanh and the output
    net = MLP([300, 500, 200], activation="relu", output="identity", rng=1)
    (W1, _), (W2, _) = net.params
    assert W1.std() == pytest.approx(np.sqrt(2 / 300), rel=0.02)
    assert W2.std() == pytest.approx(np.sqrt(2 / (500 + 200)), rel=0.02)


def _layer_gradient_rms(activation):
    from mlcourse.datasets import digits

    X, y = digits()
    X = (X - X.mean(axis=0)) / np.maximum(X.std(axis=0), 1e-12)
    net = MLP([64] + [64] * 10 + [10], activation=activation, output="identity", rng=1)
    grads = net.backward(cross_entropy_grad(net.forward(X[:256]), y[:256]))
    return np.array([np.sqrt(np.mean(gW**2)) for gW, _ in grads])


def test_7_init_deep_sigmoid_gradients_vanish_and_relu_gradients_do_not():
    sigmoid_rms = _layer_gradient_rms("sigmoid")[:10]  # the ten hidden layers
    relu_rms = _layer_gradient_rms("relu")[:10]
    assert sigmoid_rms[9] / sigmoid_rms[0] > 1e4  # the first layer gets far less
    assert np.all(np.diff(sigmoid_rms) > 0)  # shrinking at every layer going back
    assert relu_rms.max() / relu_rms.min() < 10


def test_7_init_too_large_a_learning_rate_kills_relu_units():
    from mlcourse.datasets import digits

    X, y = digits()
    X = (X - X.mean(axis=0)) / np.maximum(X.std(axis=0), 1e-12)

    def dead(net):
        H, counts = X, []
        for W, b in net.params[:-1]:
            Z = H @ W + b
            counts.append(int(np.sum(np.all(Z <= 0, axis=0))))
            H = np.maximum(Z, 0)
        return sum(counts)

    results = {}
    for lr in (0.05, 2.0):
        net = MLP([64, 64, 64, 10], activation="relu", output="identity", rng=2)
        assert dead(net) == 0
        train(net, X, y, loss="cross_entropy", lr=lr, epochs=5, batch_size=32, rng=3)
        results[lr] = dead(net)
    assert results[0.05] == 0
    assert results[2.0] >= 32  # at least a quarter of the 128 hidden units


# ------------------------------------------------ chapter 8: graph, gates, cost, Cornell
def test_8_gates_add_distributes_multiply_swaps_max_routes():
    import torch

    g = 2.0
    expected = {"add": (g, g), "multiply": (g * -2.0, g * 3.0), "max": (g, 0.0)}
    for gate, f in [
        ("add", lambda u, v: u + v),
        ("multiply", lambda u, v: u * v),
        ("max", torch.maximum),
    ]:
        u = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
        v = torch.tensor(-2.0, dtype=torch.float64, requires_grad=True)
        (g * f(u, v)).backward()
        assert (u.grad.item(), v.grad.item()) == expected[gate]


def test_8_softmax_cross_entropy_gradient_is_y_hat_minus_y_symbolically_and_numerically():
    import sympy as sp

    zs = sp.symbols("z1:5")
    denominator = sum(sp.exp(z) for z in zs)
    p = [sp.exp(z) / denominator for z in zs]
    for t in range(4):
        L = -sp.log(p[t])
        for j in range(4):
            assert sp.simplify(sp.diff(L, zs[j]) - (p[j] - (1 if j == t else 0))) == 0
    logits = np.array([[2.6, 1.5, 0.2, 0.6], [0.0, -1.0, 2.0, 0.5]])
    labels = np.array([0, 2])
    numeric = numerical_gradient(lambda v: cross_entropy(v, labels), logits)
    np.testing.assert_allclose(cross_entropy_grad(logits, labels), numeric, atol=1e-9)
    np.testing.assert_allclose(
        cross_entropy_grad(logits, labels), (act.softmax(logits) - np.eye(4)[labels]) / 2
    )


def test_8_finite_differences_need_two_forward_passes_per_parameter():
    rng = np.random.default_rng(5)
    net = MLP([16, 16, 4], activation="tanh", output="identity", rng=rng)
    X, y = rng.normal(size=(64, 16)), rng.integers(0, 4, size=64)
    calls = 0

    def counted(values, array):
        nonlocal calls
        calls += 1
        saved = array.copy()
        array[...] = values
        out = cross_entropy(net.forward(X), y)
        array[...] = saved
        return out

    backprop = net.backward(cross_entropy_grad(net.forward(X), y))
    n_params = 0
    for (W, b), (gW, gb) in zip(net.params, backprop, strict=True):
        for array, grad in ((W, gW), (b, gb)):
            numeric = numerical_gradient(lambda v, a=array: counted(v, a), array.copy())
            np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)
            n_params += array.size
    assert n_params == 340
    assert calls == 2 * n_params == 680


def test_8_cornell_style_worked_example():
    import torch

    x, y = 1.5, 1.0
    w1, b1, w2, b2 = 0.8, -0.2, 1.2, 0.1
    a1 = w1 * x + b1
    z1 = 1 / (1 + math.exp(-a1))
    a2 = w2 * z1 + b2
    delta2 = a2 - y
    delta1 = w2 * delta2 * z1 * (1 - z1)
    assert (round(a1, 4), round(z1, 4), round(a2, 4)) == (1.0, 0.7311, 0.9773)
    assert (round(delta2, 4), round(delta1, 4)) == (-0.0227, -0.0054)
    t = {
        k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
        for k, v in {"w1": w1, "b1": b1, "w2": w2, "b2": b2}.items()
    }
    out = t["w2"] * torch.sigmoid(t["w1"] * x + t["b1"]) + t["b2"]
    (0.5 * (out - y) ** 2).backward()
    by_hand = {"w1": delta1 * x, "b1": delta1, "w2": delta2 * z1, "b2": delta2}
    for k, v in by_hand.items():
        assert t[k].grad.item() == pytest.approx(v, abs=1e-15)


# ------------------------------------------------- chapter 9: corrected claims, new parts
def test_9_2_mse_loss_for_two_outputs_is_the_mean_over_all_entries():
    import torch

    rng = np.random.default_rng(0)
    Y_hat, Y = rng.normal(size=(50, 2)), rng.normal(size=(50, 2))
    loss = torch.nn.MSELoss()(torch.tensor(Y_hat), torch.tensor(Y)).item()
    N, M = Y.shape
    assert loss == pytest.approx(np.sum((Y_hat - Y) ** 2) / (N * M), rel=1e-14)
    assert loss == pytest.approx(2 * np.sum((Y_hat - Y) ** 2) / (2 * N * M), rel=1e-14)
    assert loss != pytest.approx(np.sum((Y_hat - Y) ** 2) / (2 * N * M), rel=1e-3)


def test_9_2_logit_with_bce_with_logits_equals_sigmoid_with_bce_and_does_not_clamp():
    import torch

    z = torch.tensor([[-3.0], [0.5], [2.0]], dtype=torch.float64)
    y = torch.tensor([[0.0], [1.0], [0.0]], dtype=torch.float64)
    with_logits = torch.nn.BCEWithLogitsLoss()(z, y).item()
    assert with_logits == pytest.approx(torch.nn.BCELoss()(torch.sigmoid(z), y).item())
    big = torch.tensor([[40.0]], dtype=torch.float64)
    zero = torch.tensor([[0.0]], dtype=torch.float64)
    assert torch.nn.BCELoss()(torch.sigmoid(big), zero).item() == 100.0  # clamped
    assert torch.nn.BCEWithLogitsLoss()(big, zero).item() == pytest.approx(40.0)


def test_9_mlp_ignores_the_arrangement_of_its_inputs():
    # shuffled pixels with the first weight matrix shuffled alike: the same function
    import torch

    from mlcourse.datasets import digits

    X, _ = digits()
    X = torch.tensor(X[:100] / 16.0)
    order = np.random.default_rng(11).permutation(64)
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(64, 32, dtype=torch.float64),
        torch.nn.ReLU(),
        torch.nn.Linear(32, 10, dtype=torch.float64),
    )
    twin = torch.nn.Sequential(
        torch.nn.Linear(64, 32, dtype=torch.float64),
        torch.nn.ReLU(),
        torch.nn.Linear(32, 10, dtype=torch.float64),
    )
    twin.load_state_dict(net.state_dict())
    with torch.no_grad():
        twin[0].weight.copy_(net[0].weight[:, order])
        gap = (net(X) - twin(X[:, order])).abs().max().item()
    assert gap < 1e-12


def test_9_recurrent_network_is_the_loop_with_shared_weights():
    import torch

    torch.manual_seed(0)
    rnn = torch.nn.RNN(input_size=3, hidden_size=4, batch_first=True, dtype=torch.float64)
    assert sum(p.numel() for p in rnn.parameters()) == 3 * 4 + 4 * 4 + 4 + 4 == 36
    for steps in (5, 12):
        x = torch.randn(2, steps, 3, dtype=torch.float64)
        out, _ = rnn(x)
        h = torch.zeros(2, 4, dtype=torch.float64)
        for t in range(steps):
            h = torch.tanh(
                x[:, t] @ rnn.weight_ih_l0.T
                + rnn.bias_ih_l0
                + h @ rnn.weight_hh_l0.T
                + rnn.bias_hh_l0
            )
        assert (out[:, -1] - h).abs().max().item() < 1e-14


def test_9_dense_and_convolutional_parameter_counts_of_the_lesson():
    import torch

    assert 32 * 32 * 3 == 3_072 and 224 * 224 * 3 == 150_528
    assert sum(p.numel() for p in torch.nn.Linear(150_528, 1000).parameters()) == 150_529_000
    assert sum(p.numel() for p in torch.nn.Conv2d(3, 64, kernel_size=3).parameters()) == 1_792


# ------------------------------------------------------- notation: one symbol, one meaning
LESSON_DIR = __import__("pathlib").Path(__file__).resolve().parents[2] / "lessons"


def _markdown(name):
    import json

    cells = json.loads((LESSON_DIR / name).read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


@pytest.mark.parametrize(
    ("name", "pattern", "why"),
    [
        ("ch06_dimensions.ipynb", r"batch of \$B\$|\$B\$ points|O\(B", "B is the bias matrix"),
        ("ch06_dimensions.ipynb", r"\$M\$ layers", "M is the width; K counts layers"),
        ("ch06_dimensions.ipynb", r"\\sum_\{l=1\}\^\{L\}", "L is the loss"),
        ("ch07_activations.ipynb", r"y_\{kn\}|y_\{nk\}", "targets are y_nc (or y_nm)"),
        ("ch07_activations.ipynb", r"only tanh is symmetric", "the identity is odd too"),
        ("ch07_activations.ipynb", r"\| linear \| mean squared error \| \$\\hat y - y\$", "2/N"),
        ("ch08_backprop.ipynb", r"\\delta\^\{\[L\]\}|l = 1, \\dots, L\b", "L is the loss"),
        ("ch08_backprop.ipynb", r"Oslo, IIT", "a = pre-activation is Cornell's convention"),
        ("ch08_backprop.ipynb", r"reader of the Oslo deck", "the Oslo deck has no such pass"),
        ("ch08_backprop.ipynb", r"batch of \$B\$", "B is the bias matrix"),
        ("ch09_pytorch.ipynb", r"\\frac\{1\}\{2N\}", "MSELoss is the mean over N M"),
        ("ch09_pytorch.ipynb", r"nn\.Sigmoid\(\)` \| `nn\.BCELoss", "train on logits"),
    ],
)
def test_notation_and_corrected_claims_stay_fixed(name, pattern, why):
    import re

    assert not re.search(pattern, _markdown(name)), f"{name}: {pattern!r} is back ({why})"


@pytest.mark.parametrize(
    ("name", "assignment"),
    [
        ("ch06_dimensions.ipynb", "a4_dimensions"),
        ("ch07_activations.ipynb", "a5_activations"),
        ("ch08_backprop.ipynb", "a6_backprop"),
        ("ch09_pytorch.ipynb", "a7_pytorch"),
    ],
)
def test_every_chapter_links_its_assignment(name, assignment):
    import re

    text = _markdown(name)
    link = re.search(r"\]\(\.\./book/exercises/(a\d_\w+)\.md\)", text.split("Practise it")[-1])
    assert link and link.group(1) == assignment
    assert (LESSON_DIR.parent / "book" / "exercises" / f"{assignment}.md").exists()
