"""mlgrade.torch_checks: the module and code checks of the PyTorch assignment."""

import numpy as np
import pytest
import torch
from torch import nn

from mlgrade import torch_checks


class Net(nn.Module):
    def __init__(self, n_in, n_hidden, n_out, bias=True):
        super().__init__()
        self.hidden = nn.Linear(n_in, n_hidden, bias=bias)
        self.output = nn.Linear(n_hidden, n_out, bias=bias)

    def forward(self, X):
        return self.output(torch.tanh(self.hidden(X)))


class NoSuper(nn.Module):
    def __init__(self, n_in, n_hidden, n_out):
        self.hidden = nn.Linear(n_in, n_hidden)


def _params(rng, D=3, K=4, C=2):
    return [
        rng.normal(size=(D, K)),
        rng.normal(size=K),
        rng.normal(size=(K, C)),
        rng.normal(size=C),
    ]


def test_build_module_names_the_usual_slips():
    assert isinstance(torch_checks.build_module(Net, "Net", 3, 4, 2), Net)
    with pytest.raises(AssertionError, match=r"call super\(\)\.__init__\(\) first"):
        torch_checks.build_module(NoSuper, "NoSuper", 3, 4, 2)
    with pytest.raises(AssertionError, match=r"must be a subclass of nn\.Module"):
        torch_checks.build_module(dict, "dict")
    with pytest.raises(AssertionError, match="must be a class"):
        torch_checks.build_module(len, "len")


def test_load_two_layer_params_transposes_and_checks(rng):
    params = _params(rng)
    net = Net(3, 4, 2).double()
    torch_checks.load_two_layer_params(net, params)
    X = rng.normal(size=(5, 3))
    W1, b1, W2, b2 = params
    got = net(torch.tensor(X)).detach().numpy()
    np.testing.assert_allclose(got, np.tanh(X @ W1 + b1) @ W2 + b2, rtol=1e-12)
    with pytest.raises(AssertionError, match="has no bias"):
        torch_checks.load_two_layer_params(Net(3, 4, 2, bias=False), params)
    with pytest.raises(AssertionError, match=r"weight \(3, 4\), expected \(4, 3\)"):
        torch_checks.load_two_layer_params(Net(4, 3, 2), params)


def test_head_loss_evaluates_and_explains(rng):
    H = torch.tensor(rng.normal(size=(6, 4)))
    weight, bias = rng.normal(size=(3, 4)), rng.normal(size=3)
    y = torch.tensor(rng.integers(0, 3, size=6))
    out, loss = torch_checks.head_loss(
        (nn.Linear(4, 3).double(), nn.CrossEntropyLoss()), "head", weight, bias, H, y
    )
    Z = H.numpy() @ weight.T + bias
    assert out.shape == (6, 3)
    expected = np.mean(np.log(np.exp(Z).sum(axis=1)) - Z[np.arange(6), y.numpy()])
    assert loss == pytest.approx(expected, rel=1e-12)
    with pytest.raises(AssertionError, match=r"nn.Linear\(4, 2\); expected nn.Linear\(4, 3\)"):
        torch_checks.head_loss(
            (nn.Linear(4, 2), nn.CrossEntropyLoss()), "head", weight, bias, H, y
        )
    with pytest.raises(AssertionError, match="the loss raised"):
        target = torch.tensor(rng.integers(0, 2, size=(6, 1)).astype(float))
        torch_checks.head_loss(
            (nn.Linear(4, 1).double(), nn.BCELoss()),
            "binary head",
            10 * weight[:1],
            bias[:1],
            H,
            target,
        )
    with pytest.raises(AssertionError, match="must return a tuple"):
        torch_checks.head_loss(nn.Linear(4, 3), "head", weight, bias, H, y)


def test_tensor_checks():
    x = torch.ones(2, requires_grad=True)
    torch_checks.assert_differentiable(x * 2, "y")
    with pytest.raises(AssertionError, match="no grad_fn"):
        torch_checks.assert_differentiable((x * 2).detach(), "y")
    torch_checks.assert_float64(np.zeros(2), "a")
    with pytest.raises(AssertionError, match="float32; compute in float64"):
        torch_checks.assert_float64(torch.zeros(2, dtype=torch.float32), "a")


def _uses_attribute():
    return torch.optim.SGD


def _uses_import_from():
    from torch.optim import SGD

    return SGD


def _uses_helper():
    return _uses_attribute()


def _by_hand(params, lr):
    for p in params:
        p.data -= lr * p.grad


def test_assert_uses_resolves_names():
    for func in (_uses_attribute, _uses_import_from, _uses_helper):
        torch_checks.assert_uses(func, "torch.optim.SGD")
    with pytest.raises(AssertionError, match=r"_by_hand must use torch\.optim\.SGD"):
        torch_checks.assert_uses(_by_hand, "torch.optim.SGD")
