"""mlcourse.mlp: the same network in mlcourse and PyTorch gives the same numbers."""

import numpy as np
import pytest
import torch

from mlcourse import losses
from mlcourse.datasets import logic_gate
from mlcourse.gradcheck import check_gradient
from mlcourse.layers import (
    activation_backward,
    activation_forward,
    linear_backward,
    linear_forward,
)
from mlcourse.mlp import MLP

F = torch.nn.functional

RTOL, ATOL = 1e-10, 1e-12


def _torch_forward_backward(model, net, X, loss_name, y):
    """Loss and parameter gradients of the torch model, in mlcourse's layout."""
    Xt = torch.from_numpy(X)
    out = model(Xt)
    yt = torch.from_numpy(y)
    if loss_name == "cross_entropy":
        loss = F.cross_entropy(out, yt)
    elif loss_name == "binary_cross_entropy":
        loss = F.binary_cross_entropy(out[:, 0], yt.to(out.dtype))
    elif loss_name == "binary_cross_entropy_with_logits":
        loss = F.binary_cross_entropy_with_logits(out[:, 0], yt.to(out.dtype))
    else:
        loss = F.mse_loss(out, yt)
    model.zero_grad()
    loss.backward()
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    grads = [(m.weight.grad.numpy().T, m.bias.grad.numpy()) for m in linears]
    return out.detach().numpy(), loss.item(), grads


def _ours(net, X, loss_name, y):
    out = net.forward(X)
    loss_fn, loss_grad = losses.get_loss(loss_name)
    if out.shape[1] == 1 and y.ndim == 1:
        loss = loss_fn(out[:, 0], y)
        dout = loss_grad(out[:, 0], y)[:, None]
    else:
        loss = loss_fn(out, y)
        dout = loss_grad(out, y)
    return out, float(loss), net.backward(dout)


CASES = [
    # layer sizes, hidden activation, output unit, loss
    ([4, 8, 3], "relu", "identity", "cross_entropy"),
    ([4, 6, 5, 3], "tanh", "identity", "cross_entropy"),
    ([2, 5, 5, 1], "sigmoid", "sigmoid", "binary_cross_entropy"),
    ([3, 7, 1], "gelu", "identity", "binary_cross_entropy_with_logits"),
    ([3, 6, 6, 2], "swish", "identity", "mse"),
    ([3, 5, 2], "elu", "tanh", "mse"),
    ([3, 5, 4], "leaky_relu", "softmax", "mse"),
    ([3, 5, 4], "softplus", "log_softmax", "mse"),
]


def _data(rng, sizes, loss_name, N=9):
    X = rng.normal(size=(N, sizes[0]))
    if loss_name == "cross_entropy":
        y = rng.integers(0, sizes[-1], size=N)
    elif loss_name.startswith("binary"):
        y = np.array([0, 1] * (N // 2) + [1] * (N % 2))
    else:
        y = rng.normal(size=(N, sizes[-1]))
    return X, y


@pytest.mark.parametrize(("sizes", "activation", "output", "loss_name"), CASES)
def test_same_parameters_outputs_loss_and_gradients_as_pytorch(
    sizes, activation, output, loss_name
):
    rng = np.random.default_rng(sum(sizes))
    net = MLP(sizes, activation, output, rng=rng)
    # random biases too, so that their gradients are tested away from the zero start
    net.params = [(W, rng.normal(size=b.shape)) for W, b in net.params]
    model = net.to_torch()
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    assert len(linears) == len(net.params)
    for (W, b), linear in zip(net.params, linears, strict=True):
        assert linear.weight.dtype == torch.float64
        np.testing.assert_array_equal(linear.weight.detach().numpy(), W.T)  # (M, D) in torch
        np.testing.assert_array_equal(linear.bias.detach().numpy(), b)
    X, y = _data(rng, sizes, loss_name)
    out_t, loss_t, grads_t = _torch_forward_backward(model, net, X, loss_name, y)
    out, loss, grads = _ours(net, X, loss_name, y)
    np.testing.assert_allclose(out, out_t, rtol=RTOL, atol=ATOL)
    assert loss == pytest.approx(loss_t, rel=RTOL, abs=ATOL)
    for (dW, db), (dW_t, db_t) in zip(grads, grads_t, strict=True):
        np.testing.assert_allclose(dW, dW_t, rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(db, db_t, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(("sizes", "activation", "output", "loss_name"), CASES)
def test_backward_by_gradcheck(sizes, activation, output, loss_name):
    # The scalar sum(forward(X) * R) has the gradient backward(R) for any fixed R. (Its
    # gradients are larger than those of a mean loss, whose entries of ~1e-5 would drown in
    # the ~1e-11 rounding error of central differences.)
    rng = np.random.default_rng(7)
    net = MLP(sizes, activation, output, rng=rng)
    net.params = [(W, rng.normal(size=b.shape) * 0.1) for W, b in net.params]
    X, _ = _data(rng, sizes, loss_name, N=5)
    R = rng.normal(size=(5, sizes[-1]))
    net.forward(X)
    grads = net.backward(R)
    for i, (W, b) in enumerate(net.params):
        for k, param in enumerate((W, b)):
            original = param.copy()

            def scalar(value, param=param, original=original):
                param[...] = value
                try:
                    return np.sum(net.forward(X) * R)
                finally:
                    param[...] = original

            err = check_gradient(scalar, lambda _, i=i, k=k: grads[i][k], original)
            assert err < 1e-7, (i, k, err)


def test_backward_is_the_chain_of_layer_functions():
    rng = np.random.default_rng(1)
    net = MLP([3, 4, 4, 2], "tanh", "sigmoid", rng=rng)
    X = rng.normal(size=(6, 3))
    dout = rng.normal(size=(6, 2))
    out = net.forward(X)
    grads = net.backward(dout)
    # the same computation, spelled out with the public layer functions
    H, caches = X, []
    for i, (W, b) in enumerate(net.params):
        Z, lin = linear_forward(H, W, b)
        H, act = activation_forward(Z, "sigmoid" if i == 2 else "tanh")
        caches.append((lin, act))
    np.testing.assert_allclose(out, H, rtol=1e-14)
    dH = dout
    for i in range(2, -1, -1):
        lin, act = caches[i]
        dX, dW, db = linear_backward(activation_backward(dH, act), lin)
        np.testing.assert_allclose(grads[i][0], dW, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(grads[i][1], db, rtol=1e-13, atol=1e-15)
        dH = dX


def test_forward_and_backward_do_not_modify_their_inputs():
    rng = np.random.default_rng(2)
    for output in ("identity", "relu", "softmax", "sigmoid"):
        net = MLP([3, 5, 2], "relu", output, rng=rng)
        X = rng.normal(size=(4, 3))
        dout = rng.normal(size=(4, 2))
        X0, dout0 = X.copy(), dout.copy()
        net.forward(X)
        net.backward(dout)
        np.testing.assert_array_equal(X, X0)
        np.testing.assert_array_equal(dout, dout0)


def test_backward_can_run_twice_with_the_same_result():
    rng = np.random.default_rng(3)
    net = MLP([3, 5, 5, 2], "relu", "softmax", rng=rng)
    net.forward(rng.normal(size=(4, 3)))
    dout = rng.normal(size=(4, 2))
    first, second = net.backward(dout), net.backward(dout)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])


def test_float32_end_to_end_agrees_with_float64():
    rng = np.random.default_rng(4)
    net64 = MLP([64, 128, 128, 10], rng=rng)
    net64.params = [(W, rng.normal(size=b.shape) * 0.1) for W, b in net64.params]
    net32 = MLP.from_params(
        [(W.astype(np.float32), b.astype(np.float32)) for W, b in net64.params]
    )
    assert net32.dtype == np.float32
    X = rng.normal(size=(32, 64))
    y = rng.integers(0, 10, size=32)
    out32, loss32, grads32 = _ours(net32, X.astype(np.float32), "cross_entropy", y)
    out64, loss64, grads64 = _ours(net64, X, "cross_entropy", y)
    assert out32.dtype == np.float32
    assert all(dW.dtype == np.float32 and db.dtype == np.float32 for dW, db in grads32)
    np.testing.assert_allclose(out32, out64, rtol=1e-4, atol=1e-4)
    assert loss32 == pytest.approx(loss64, rel=1e-5)
    for (dW32, db32), (dW64, db64) in zip(grads32, grads64, strict=True):
        np.testing.assert_allclose(dW32, dW64, rtol=1e-3, atol=1e-5)
        np.testing.assert_allclose(db32, db64, rtol=1e-3, atol=1e-5)
    # float64 input to a float32 network is converted, the output stays float32
    assert net32.forward(X).dtype == np.float32
    model = net32.to_torch()
    assert model[0].weight.dtype == torch.float32


def test_initialisation_is_seeded_he_or_glorot_and_biases_are_zero():
    a = MLP([400, 300, 200, 1], "relu", "sigmoid", rng=np.random.default_rng(0))
    b = MLP([400, 300, 200, 1], "relu", "sigmoid", rng=0)
    for (Wa, ba), (Wb, bb) in zip(a.params, b.params, strict=True):
        np.testing.assert_array_equal(Wa, Wb)
        np.testing.assert_array_equal(ba, 0)
        np.testing.assert_array_equal(bb, 0)
    (W1, _), (W2, _), (W3, _) = a.params
    assert W1.shape == (400, 300) and W2.shape == (300, 200) and W3.shape == (200, 1)
    assert W1.std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)  # He, before a ReLU
    assert W2.std() == pytest.approx(np.sqrt(2 / 300), rel=0.02)
    assert W3.std() == pytest.approx(np.sqrt(2 / 201), rel=0.15)  # Glorot, before the sigmoid
    c = MLP([400, 300, 1], "tanh", rng=0)
    assert c.params[0][0].std() == pytest.approx(np.sqrt(2 / 700), rel=0.02)  # Glorot
    other = MLP([400, 300, 200, 1], "relu", "sigmoid", rng=1)
    assert not np.array_equal(other.params[0][0], W1)


def test_he_initialisation_keeps_the_signal_alive_through_depth():
    rng = np.random.default_rng(5)
    net = MLP([256] * 11, "relu", "relu", rng=rng)
    X = rng.normal(size=(512, 256))
    out = net.forward(X)
    # mean square of a ReLU layer's output stays near that of its input (1 here)
    assert 0.3 < np.mean(out**2) < 3


def test_hand_built_xor_network_of_the_course():
    # hidden 1: w = (-7, 7), b = -3; hidden 2: w = (7, -7), b = -3; output w = (7, 7), b = -5
    W1 = np.array([[-7.0, 7.0], [7.0, -7.0]])
    b1 = np.array([-3.0, -3.0])
    W2 = np.array([[7.0], [7.0]])
    b2 = np.array([-5.0])
    net = MLP.from_params([(W1, b1), (W2, b2)], activation="sigmoid", output="sigmoid")
    X, y = logic_gate("xor")
    np.testing.assert_array_equal(net.predict(X), y)
    out = net.forward(X)[:, 0]
    assert np.all(out[y == 1] > 0.8) and np.all(out[y == 0] < 0.2)


def test_versicolor_is_two_linear_neurons_combined_by_an_and_neuron():
    from mlcourse.datasets import iris_versicolor
    from mlcourse.perceptron import LogisticRegression

    X, y = iris_versicolor()  # petal length, petal width
    # hidden 1 fires above setosa (length + width > 3.5), hidden 2 below virginica
    # (length + 2 width < 8); the output neuron is the AND of the two
    W1 = 10 * np.array([[1.0, -1.0], [1.0, -2.0]])
    b1 = 10 * np.array([-3.5, 8.0])
    W2, b2 = np.array([[10.0], [10.0]]), np.array([-15.0])
    net = MLP.from_params([(W1, b1), (W2, b2)], activation="sigmoid", output="sigmoid")
    assert (net.predict(X) == y).mean() > 0.97
    # one line cannot do it: the best logistic regression is no better than a constant
    Xs = (X - X.mean(axis=0)) / X.std(axis=0)
    linear = LogisticRegression(lr=1.0, epochs=500).fit(Xs, y)
    assert (linear.predict(Xs) == y).mean() < 0.7


@pytest.mark.parametrize(("gate", "b"), [("and", -9.0), ("or", -5.0)])
def test_one_sigmoid_neuron_computes_and_or(gate, b):
    X, y = logic_gate(gate)
    net = MLP.from_params([(np.array([[7.0], [7.0]]), np.array([b]))], output="sigmoid")
    np.testing.assert_array_equal(net.predict(X), y)


def test_without_non_linearity_the_network_collapses_to_one_linear_layer():
    # W2(W1 x + b1) + b2 = (W2 W1) x + (W2 b1 + b2); in row form X W1 W2 + (b1 W2 + b2)
    rng = np.random.default_rng(6)
    net = MLP([3, 8, 8, 2], activation="identity", rng=rng)
    net.params = [(W, rng.normal(size=b.shape)) for W, b in net.params]
    (W1, b1), (W2, b2), (W3, b3) = net.params
    W = W1 @ W2 @ W3
    b = (b1 @ W2 + b2) @ W3 + b3
    X = rng.normal(size=(10, 3))
    np.testing.assert_allclose(net.forward(X), X @ W + b, rtol=1e-12, atol=1e-12)


def test_predict():
    X = np.eye(3)
    W = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 2.0], [0.0, 3.0, 0.0]])
    multi = MLP.from_params([(W, np.zeros(3))])
    np.testing.assert_array_equal(multi.predict(X), [0, 2, 1])
    logit = MLP.from_params([(np.array([[1.0], [-1.0], [0.0]]), np.zeros(1))])
    np.testing.assert_array_equal(logit.predict(X), [1, 0, 1])  # z >= 0
    proba = MLP.from_params([(np.array([[1.0], [-1.0], [0.0]]), np.zeros(1))], output="sigmoid")
    np.testing.assert_array_equal(proba.predict(X), [1, 0, 1])  # sigmoid(z) >= 0.5
    assert multi.predict(X).dtype == np.int64


def test_from_params_copies_and_checks():
    W1, b1 = np.ones((2, 3)), np.zeros(3)
    net = MLP.from_params([(W1, b1), (np.ones((3, 1)), np.zeros(1))])
    assert net.layer_sizes == [2, 3, 1]
    net.params[0][0][0, 0] = 5.0
    assert W1[0, 0] == 1.0
    with pytest.raises(ValueError, match=r"^params\[1\]\[0\] \(W\) has shape \(4, 1\) but layer"):
        MLP.from_params([(W1, b1), (np.ones((4, 1)), np.zeros(1))])
    with pytest.raises(ValueError, match=r"^params\[0\]\[1\] \(b\) has shape \(2,\)"):
        MLP.from_params([(W1, np.zeros(2))])


def test_bad_input():
    net = MLP([3, 4, 2], rng=0)
    with pytest.raises(ValueError, match=r"^backward: call forward"):
        net.backward(np.zeros((5, 2)))
    with pytest.raises(ValueError, match=r"^X has shape \(5, 4\); expected \(N, 3\)"):
        net.forward(np.zeros((5, 4)))
    X = np.zeros((5, 3))
    X[2, 1] = np.nan
    with pytest.raises(ValueError, match=r"^X contains NaN at index \(2, 1\)"):
        net.forward(X)
    net.forward(np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"^dout has shape \(5, 3\); expected \(5, 2\)"):
        net.backward(np.zeros((5, 3)))
    msg = r"^activation: unknown activation 'rectifier'; expected one of: .*relu"
    with pytest.raises(ValueError, match=msg):
        MLP([3, 2], activation="rectifier")
    with pytest.raises(ValueError, match=r"^output: unknown activation 'soft'; expected"):
        MLP([3, 2], output="soft")
    with pytest.raises(ValueError, match=r"^dtype is int64; expected float32 or float64"):
        MLP([3, 2], dtype=np.int64)
    with pytest.raises(ValueError, match=r"^layer_sizes"):
        MLP([3])
    with pytest.raises(ValueError, match=r"^activation 'step' has no PyTorch module"):
        MLP([3, 4, 2], activation="step", output="sigmoid").to_torch()


def test_the_benchmark_runs_and_reports_its_ratio(run_benchmark):
    assert "agreement: loss equal" in run_benchmark("mlp_vs_torch.py", 20)


def test_initialisation_and_to_torch_read_the_activation_table(monkeypatch):
    # Adding an activation is one table entry: here Mish, z tanh(softplus(z)), with its
    # derivative, is accepted by the layers, initialised as a rectifier and exported.
    from mlcourse.activations import ACTIVATION_TABLE, Activation, sigmoid, softplus, tanh_grad

    def mish(z):
        return z * np.tanh(softplus(z))

    def mish_grad(z):
        return np.tanh(softplus(z)) + z * tanh_grad(softplus(z)) * sigmoid(z)

    entry = Activation(mish, mish_grad, False, "he", ("Mish", {}), name="mish")
    monkeypatch.setitem(ACTIVATION_TABLE, "mish", entry)
    net = MLP([300, 200, 3], activation="mish", rng=0)
    assert net.params[0][0].std() == pytest.approx(np.sqrt(2 / 300), rel=0.02)  # He
    X = np.random.default_rng(1).normal(size=(8, 300))
    out = net.forward(X)
    grads = net.backward(np.ones_like(out))
    model = net.to_torch()
    assert isinstance(model[1], torch.nn.Mish)
    Xt = torch.from_numpy(X)
    model(Xt).sum().backward()
    np.testing.assert_allclose(out, model(Xt).detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads[0][0], model[0].weight.grad.numpy().T, rtol=1e-8, atol=1e-12)
