"""mlcourse.optim: SGD steps, mini-batches, and training that matches torch.optim.SGD."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlcourse.datasets import moons
from mlcourse.mlp import MLP
from mlcourse.optim import minibatches, sgd_step, train


def test_sgd_step_updates_in_place():
    rng = np.random.default_rng(0)
    net = MLP([3, 4, 2], rng=rng)
    arrays = [a for pair in net.params for a in pair]
    before = [a.copy() for a in arrays]
    grads = [(rng.normal(size=W.shape), rng.normal(size=b.shape)) for W, b in net.params]
    sgd_step(net.params, grads, lr=0.1)
    after = [a for pair in net.params for a in pair]
    flat_grads = [g for pair in grads for g in pair]
    for a, a_after, old, g in zip(arrays, after, before, flat_grads, strict=True):
        assert a is a_after  # same array objects: the model sees the update
        np.testing.assert_allclose(a, old - 0.1 * g, rtol=1e-15)


def test_sgd_step_keeps_float32():
    W, b = np.ones((2, 2), dtype=np.float32), np.ones(2, dtype=np.float32)
    sgd_step([(W, b)], [(np.ones((2, 2)), np.ones(2))], lr=0.5)
    assert W.dtype == np.float32 and np.all(W == 0.5) and np.all(b == 0.5)


def test_sgd_step_checks_shapes_and_lr():
    params = [(np.zeros((2, 3)), np.zeros(3))]
    with pytest.raises(
        ValueError, match=r"^grads\[0\]\[0\] has shape \(3, 2\); expected \(2, 3\)"
    ):
        sgd_step(params, [(np.zeros((3, 2)), np.zeros(3))], lr=0.1)
    with pytest.raises(ValueError, match=r"^grads has 2 entries; expected 1"):
        sgd_step(params, [(np.zeros((2, 3)), np.zeros(3))] * 2, lr=0.1)
    with pytest.raises(ValueError, match=r"^lr is -0.1; expected a positive"):
        sgd_step(params, [(np.zeros((2, 3)), np.zeros(3))], lr=-0.1)


@pytest.mark.parametrize(("N", "batch_size"), [(10, 3), (10, 5), (10, 10), (10, 32), (7, 1)])
def test_minibatches_cover_every_row_once(N, batch_size):
    X = np.arange(N * 2).reshape(N, 2)
    y = np.arange(N)
    batches = list(minibatches(X, y, batch_size, rng=np.random.default_rng(0)))
    sizes = [len(yb) for _, yb in batches]
    assert sizes == [batch_size] * (N // batch_size) + ([N % batch_size] if N % batch_size else [])
    seen = np.concatenate([yb for _, yb in batches])
    assert sorted(seen) == list(range(N))
    for Xb, yb in batches:
        np.testing.assert_array_equal(Xb[:, 0], 2 * yb)  # rows stay paired with labels


@given(N=st.integers(1, 60), batch_size=st.integers(1, 70), seed=st.integers(0, 1000))
def test_minibatches_partition_the_rows(N, batch_size, seed):
    X, y = np.arange(N * 3).reshape(N, 3), np.arange(N)
    batches = list(minibatches(X, y, batch_size, rng=seed))
    assert len(batches) == -(-N // batch_size)
    assert all(1 <= len(yb) <= batch_size for _, yb in batches)
    np.testing.assert_array_equal(np.sort(np.concatenate([yb for _, yb in batches])), y)


def test_minibatches_shuffle_with_rng_and_keep_order_without():
    X, y = np.arange(20).reshape(10, 2), np.arange(10)
    in_order = np.concatenate([yb for _, yb in minibatches(X, y, 4, rng=None)])
    np.testing.assert_array_equal(in_order, np.arange(10))
    a = np.concatenate([yb for _, yb in minibatches(X, y, 4, rng=np.random.default_rng(5))])
    b = np.concatenate([yb for _, yb in minibatches(X, y, 4, rng=5)])
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, np.arange(10))
    full = list(minibatches(X, y, None, rng=None))
    assert len(full) == 1 and len(full[0][1]) == 10


def test_minibatches_bad_input():
    with pytest.raises(ValueError, match=r"^y has shape \(4,\) but X has shape \(5, 2\)"):
        list(minibatches(np.zeros((5, 2)), np.zeros(4), 2))
    with pytest.raises(ValueError, match=r"^batch_size is 0; expected a positive integer"):
        list(minibatches(np.zeros((5, 2)), np.zeros(5), 0))


def test_train_decreases_the_loss_on_moons():
    X, y = moons(200, 0.15, rng=0)
    net = MLP([2, 16, 16, 2], "relu", rng=1)
    history = train(net, X, y, "cross_entropy", lr=0.3, epochs=60, batch_size=32, rng=2)
    loss = history["loss"]
    assert len(loss) == 60
    assert loss[-1] < 0.5 * loss[0]
    assert np.mean(loss[-5:]) < np.mean(loss[:5])
    assert (net.predict(X) == y).mean() > 0.95


@pytest.mark.parametrize(
    ("output", "loss_name"),
    [("sigmoid", "binary_cross_entropy"), ("identity", "binary_cross_entropy_with_logits")],
)
def test_train_binary_with_one_output_unit(output, loss_name):
    X, y = moons(100, 0.1, rng=3)
    net = MLP([2, 10, 1], "tanh", output, rng=4)
    history = train(net, X, y, loss_name, lr=0.5, epochs=100, batch_size=None)
    assert history["loss"][-1] < 0.6 * history["loss"][0]
    assert (net.predict(X) == y).mean() > 0.85


def test_train_regression_with_several_targets():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(128, 3))
    Y = np.column_stack([X @ [1.0, -2.0, 0.5], np.sin(X[:, 0])])  # two targets
    net = MLP([3, 16, 2], "tanh", rng=6)
    history = train(net, X, Y, "mse", lr=0.1, epochs=50, batch_size=16, rng=7)
    assert history["loss"][-1] < 0.1 * history["loss"][0]


def test_the_epoch_loss_is_the_mean_of_the_batch_losses():
    from mlcourse.losses import cross_entropy

    X, y = moons(10, 0.1, rng=0)
    net = MLP([2, 3, 2], rng=0)
    # with one full batch and lr tiny, the recorded loss is the loss before the step
    first = float(cross_entropy(net.forward(X), y))
    history = train(net, X, y, "cross_entropy", lr=1e-12, epochs=1, batch_size=None)
    assert history["loss"][0] == pytest.approx(first, rel=1e-12)


def test_same_training_as_pytorch_from_the_same_initial_weights():
    import torch

    X, y = moons(64, 0.2, rng=8)
    net = MLP([2, 8, 8, 2], "tanh", rng=9)
    model = net.to_torch()
    opt = torch.optim.SGD(model.parameters(), lr=0.2)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    torch_losses = []
    for _ in range(25):  # full-batch gradient descent
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(Xt), yt)
        loss.backward()
        opt.step()
        torch_losses.append(loss.item())
    history = train(net, X, y, "cross_entropy", lr=0.2, epochs=25, batch_size=None)
    np.testing.assert_allclose(history["loss"], torch_losses, rtol=1e-10)
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    for (W, b), linear in zip(net.params, linears, strict=True):
        np.testing.assert_allclose(W, linear.weight.detach().numpy().T, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(b, linear.bias.detach().numpy(), rtol=1e-9, atol=1e-12)


def test_train_bad_input():
    X, y = moons(10, 0.1, rng=0)
    net = MLP([2, 3, 2], rng=0)
    with pytest.raises(ValueError, match=r"unknown loss 'hinge_squared'; expected one of: .*mse"):
        train(net, X, y, "hinge_squared")
    with pytest.raises(ValueError, match=r"^lr is 0; expected a positive"):
        train(net, X, y, lr=0)
    with pytest.raises(ValueError, match=r"^epochs is 0; expected a positive integer"):
        train(net, X, y, epochs=0)
    with pytest.raises(ValueError, match=r"^y has shape \(9,\) but X has shape \(10, 2\)"):
        train(net, X, y[:9])
    with pytest.raises(ValueError, match=r"^y contains class index 2"):
        train(net, X, y + 1)


def test_divergence_is_reported_with_the_learning_rate():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(32, 3)) * 100
    Y = rng.normal(size=(32, 1)) * 100
    net = MLP([3, 8, 1], "relu", rng=0)
    with (
        np.errstate(over="ignore", invalid="ignore"),
        pytest.raises(ValueError, match=r"^lr is 10: training diverged in epoch \d+"),
    ):
        train(net, X, Y, "mse", lr=10.0, epochs=50, batch_size=None)


def test_the_training_benchmark_runs_and_reports_its_ratio(run_benchmark):
    # the two loops computed the same epoch
    assert "agreement: mean loss" in run_benchmark("train_vs_torch.py", 2)
