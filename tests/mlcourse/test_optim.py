"""mlcourse.optim: SGD steps, the optimisers, mini-batches, and training that matches
torch.optim."""

import re
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlcourse.datasets import moons
from mlcourse.losses import cross_entropy, cross_entropy_grad
from mlcourse.mlp import MLP
from mlcourse.optim import (
    AdaGrad,
    Adam,
    Momentum,
    Optimiser,
    RMSprop,
    minibatches,
    sgd_step,
    train,
)


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


# ------------------------------------------------------------------ the optimisers
class Twin(NamedTuple):
    """An optimiser of mlcourse and the torch.optim class that takes the same steps."""

    make: Callable  # hyperparameters (the course's names) -> the mlcourse optimiser
    torch_name: str  # its class in torch.optim
    torch_settings: Callable  # hyperparameters -> the torch class's arguments
    state_names: dict  # mlcourse's state (omega, v) -> PyTorch's name of the same array


TWINS = {
    "Momentum": Twin(
        lambda hp: Momentum(hp["lr"], rho=hp["rho"]),
        "SGD",
        lambda hp: {"lr": hp["lr"], "momentum": hp["rho"]},
        {"omega": "momentum_buffer"},
    ),
    "AdaGrad": Twin(
        lambda hp: AdaGrad(hp["lr"], eps=hp["eps"]),
        "Adagrad",
        lambda hp: {"lr": hp["lr"], "eps": hp["eps"]},
        {"v": "sum"},
    ),
    "RMSprop": Twin(
        lambda hp: RMSprop(hp["lr"], beta2=hp["beta2"], eps=hp["eps"]),
        "RMSprop",
        lambda hp: {"lr": hp["lr"], "alpha": hp["beta2"], "eps": hp["eps"]},
        {"v": "square_avg"},
    ),
    "Adam": Twin(
        lambda hp: Adam(hp["lr"], betas=(hp["beta1"], hp["beta2"]), eps=hp["eps"]),
        "Adam",
        lambda hp: {"lr": hp["lr"], "betas": (hp["beta1"], hp["beta2"]), "eps": hp["eps"]},
        {"omega": "exp_avg", "v": "exp_avg_sq"},
    ),
}
DEFAULTS = {"lr": 0.05, "rho": 0.9, "beta1": 0.9, "beta2": 0.99, "eps": 1e-8}


def torch_twin(name, params, hp):
    import torch

    twin = TWINS[name]
    return getattr(torch.optim, twin.torch_name)(params, **twin.torch_settings(hp))


def assert_agree(ours, theirs, tol=1e-12):
    """Equal to ``tol`` relative to the size of the numbers (rounding error, no more)."""
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape
    gap = np.abs(ours - theirs).max(initial=0.0)
    assert gap <= tol * (1 + np.abs(theirs).max(initial=0.0)), f"apart by {gap:.3g}"


hyperparameters = st.fixed_dictionaries(
    {
        "lr": st.floats(1e-4, 1.0),
        "rho": st.floats(0.0, 0.99),
        "beta1": st.floats(0.0, 0.99),
        "beta2": st.floats(0.0, 0.999),
        "eps": st.floats(1e-10, 1e-3),
    }
)
# one group of one to three arrays, each a scalar, a vector or a matrix
shapes = st.lists(
    st.lists(st.integers(1, 4), min_size=0, max_size=2).map(tuple), min_size=1, max_size=3
)


@pytest.mark.parametrize("name", sorted(TWINS))
@given(hp=hyperparameters, group_shapes=shapes, seed=st.integers(0, 2**32 - 1))
def test_an_optimiser_takes_the_steps_of_torch_optim(name, hp, group_shapes, seed):
    # random arrays with random gradients (spread over five orders of magnitude), fed to
    # both; the parameters agree after every step, the state at the end
    import torch

    rng = np.random.default_rng(seed)
    arrays = [np.array(rng.normal(size=shape)) for shape in group_shapes]
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    optimiser, torch_optimiser = TWINS[name].make(hp), torch_twin(name, tensors, hp)
    for _ in range(30):
        grads = [rng.normal(size=a.shape) * 10.0 ** rng.uniform(-3, 2) for a in arrays]
        for tensor, grad in zip(tensors, grads, strict=True):
            tensor.grad = torch.tensor(grad)
        torch_optimiser.step()
        optimiser.step([tuple(arrays)], [tuple(grads)])
        for a, tensor in zip(arrays, tensors, strict=True):
            assert_agree(a, tensor.detach().numpy())
    for a, tensor in zip(arrays, tensors, strict=True):
        state, torch_state = optimiser.state_of(a), torch_optimiser.state[tensor]
        assert state.w is a and state.t == 30
        if "step" in torch_state:
            assert state.t == int(torch_state["step"])
        for ours, theirs in TWINS[name].state_names.items():
            if theirs == "momentum_buffer" and hp["rho"] == 0:
                continue  # PyTorch keeps no buffer for plain SGD
            assert_agree(getattr(state, ours), torch_state[theirs].numpy())


@pytest.mark.parametrize("name", sorted(TWINS))
def test_an_optimiser_trains_an_mlp_like_torch_optim(name):
    # full-batch training: the gradients depend on the weights, so a wrong step would
    # take the two runs apart within a few steps
    import torch

    X, y = moons(64, 0.2, rng=10)
    net = MLP([2, 8, 8, 2], "tanh", rng=11)
    model = net.to_torch()
    optimiser = TWINS[name].make(DEFAULTS)
    torch_optimiser = torch_twin(name, model.parameters(), DEFAULTS)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    first = None
    for _ in range(50):
        torch_optimiser.zero_grad()
        torch_loss = torch.nn.functional.cross_entropy(model(Xt), yt)
        torch_loss.backward()
        torch_optimiser.step()
        out = net.forward(X)  # the model computes with the previous step's update
        loss = float(cross_entropy(out, y))
        first = loss if first is None else first
        assert_agree(loss, torch_loss.item())
        optimiser.step(net.params, net.backward(cross_entropy_grad(out, y)))
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    for (W, b), linear in zip(net.params, linears, strict=True):
        assert_agree(W, linear.weight.detach().numpy().T)
        assert_agree(b, linear.bias.detach().numpy())
    assert loss < 0.9 * first  # it trained


@pytest.mark.parametrize("name", sorted(TWINS))
def test_an_optimiser_updates_the_models_arrays_in_place(name, rng):
    net = MLP([3, 4, 2], rng=rng)
    arrays = [a for pair in net.params for a in pair]
    before = [a.copy() for a in arrays]
    X = rng.normal(size=(5, 3))
    out_before = net.forward(X)
    TWINS[name].make(DEFAULTS).step(net.params, net.backward(np.ones_like(out_before)))
    after = [a for pair in net.params for a in pair]
    assert all(a is b for a, b in zip(arrays, after, strict=True))  # the same arrays
    assert all(not np.array_equal(a, old) for a, old in zip(after, before, strict=True))
    assert not np.allclose(net.forward(X), out_before)  # the model computes with them


@pytest.mark.parametrize("name", sorted(TWINS))
def test_each_array_has_a_state_of_its_own(name, rng):
    # a matrix and a vector: each state has the shape of its array, and each array counts
    # its own steps; an array stepped alone follows the path it takes beside the other
    W, b = rng.normal(size=(3, 2)), rng.normal(size=2)
    alone = b.copy()
    optimiser, optimiser_alone = TWINS[name].make(DEFAULTS), TWINS[name].make(DEFAULTS)
    grads = [(rng.normal(size=W.shape), rng.normal(size=b.shape)) for _ in range(4)]
    optimiser.step([(W, b)], [grads[0]])
    optimiser_alone.step([(alone,)], [(grads[0][1],)])
    for dW, db in grads[1:]:
        optimiser.step([(W,)], [(dW,)])  # W takes steps that b does not
        optimiser.step([(b,)], [(db,)])
        optimiser_alone.step([(alone,)], [(db,)])
    np.testing.assert_array_equal(b, alone)
    state_W, state_b = optimiser.state_of(W), optimiser.state_of(b)
    assert (state_W.t, state_b.t) == (4, 4)
    assert len(optimiser.state) == 2
    for moment in type(optimiser).moments:
        assert getattr(state_W, moment).shape == (3, 2)
        assert getattr(state_b, moment).shape == (2,)


@pytest.mark.parametrize("name", sorted(TWINS))
def test_an_optimiser_keeps_float32(name):
    W = np.ones((2, 2), dtype=np.float32)
    optimiser = TWINS[name].make(DEFAULTS)
    for _ in range(3):
        optimiser.step([(W,)], [(np.full((2, 2), 0.5),)])  # float64 gradients
    assert W.dtype == np.float32 and np.all(W < 1)
    assert all(getattr(optimiser.state_of(W), m).dtype == np.float32 for m in optimiser.moments)


def test_the_first_steps_of_the_rules_by_hand():
    # one coordinate, gradient 2 then 4, worked out on paper from the formulas
    def path(optimiser):
        w = np.array([1.0])
        steps = []
        for grad in (2.0, 4.0):
            optimiser.step([(w,)], [(np.array([grad]),)])
            steps.append(float(w[0]))
        return steps

    assert path(Momentum(0.1, rho=0.5)) == pytest.approx([0.8, 0.8 - 0.1 * (0.5 * 2 + 4)])
    v2 = 4 + 16
    assert path(AdaGrad(0.1, eps=1e-10)) == pytest.approx([0.9, 0.9 - 0.4 / np.sqrt(v2)])
    v1, v2 = 0.5 * 4, 0.5 * 0.5 * 4 + 0.5 * 16
    expected = [1 - 0.2 / np.sqrt(v1), 1 - 0.2 / np.sqrt(v1) - 0.4 / np.sqrt(v2)]
    assert path(RMSprop(0.1, beta2=0.5)) == pytest.approx(expected)
    # Adam's bias correction: the first step has the size lr whatever the gradient
    omega2, v2 = (0.5 * 0.5 * 2 + 0.5 * 4) / 0.75, (0.5 * 0.5 * 4 + 0.5 * 16) / 0.75
    expected = [0.9, 0.9 - 0.1 * omega2 / np.sqrt(v2)]
    assert path(Adam(0.1, betas=(0.5, 0.5), eps=1e-12)) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Momentum(0.0), "lr is 0.0; expected a positive finite learning rate"),
        (lambda: Momentum(0.1, rho=1.0), "rho is 1.0; expected a decay rate in [0, 1)"),
        (lambda: Momentum(0.1, rho=-0.5), "rho is -0.5; expected a decay rate in [0, 1)"),
        (lambda: AdaGrad(lr=-1), "lr is -1; expected a positive finite learning rate"),
        (lambda: AdaGrad(eps=0), "eps is 0; expected a positive finite number"),
        (lambda: RMSprop(beta2=1.5), "beta2 is 1.5; expected a decay rate in [0, 1)"),
        (lambda: RMSprop(eps=float("nan")), "eps is nan; expected a positive finite number"),
        (lambda: Adam(lr="fast"), "lr is 'fast'; expected a positive finite learning rate"),
        (lambda: Adam(betas=(0.9, 1.0)), "betas[1] is 1.0; expected a decay rate in [0, 1)"),
        (lambda: Adam(betas=(True, 0.9)), "betas[0] is True; expected a decay rate in [0, 1)"),
        (
            lambda: Adam(betas=0.9),
            "betas is 0.9; expected a pair (beta1, beta2) of decay rates in [0, 1)",
        ),
    ],
)
def test_bad_hyperparameters_are_named(make, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        make()


@pytest.mark.parametrize("name", sorted(TWINS))
def test_an_optimiser_checks_that_the_grads_fit_the_params(name):
    optimiser = TWINS[name].make(DEFAULTS)
    W, b = np.zeros((2, 3)), np.zeros(3)
    with pytest.raises(ValueError, match=r"^grads\[0\]\[1\] has shape \(2,\); expected \(3,\)"):
        optimiser.step([(W, b)], [(np.zeros((2, 3)), np.zeros(2))])
    with pytest.raises(ValueError, match=r"^grads\[0\] has 1 arrays; expected 2"):
        optimiser.step([(W, b)], [(np.zeros((2, 3)),)])
    assert not optimiser.state and not W.any()  # nothing was stepped


def test_the_optimisers_show_their_settings_and_are_optimisers():
    assert repr(Adam(0.2)) == "Adam(lr=0.2, betas=(0.9, 0.999), eps=1e-08)"
    assert repr(RMSprop()) == "RMSprop(lr=0.01, beta2=0.99, eps=1e-08)"
    assert repr(Momentum(0.1, rho=0)) == "Momentum(lr=0.1, rho=0.0)"
    assert all(issubclass(cls, Optimiser) for cls in (Momentum, AdaGrad, RMSprop, Adam))
    with pytest.raises(NotImplementedError, match="Optimiser defines no update rule"):
        Optimiser().step([(np.zeros(1),)], [(np.zeros(1),)])
