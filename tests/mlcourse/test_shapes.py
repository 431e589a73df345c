"""mlcourse.shapes: every count is checked against a count taken another way."""

import math
import re
from itertools import pairwise, product

import numpy as np
import pytest
import torch

from mlcourse.shapes import count_parameters, forward_cost, linear_regions_lower_bound

ARCHITECTURES = [[3, 2, 1], [2, 20, 1], [2, 20, 20, 20, 1], [64, 128, 128, 10], [5, 5]]


def _torch_mlp(layer_sizes):
    layers = []
    for d, m in pairwise(layer_sizes):
        layers += [torch.nn.Linear(d, m), torch.nn.ReLU()]
    return torch.nn.Sequential(*layers[:-1])


def _count_by_hooks(layer_sizes, batch_size):
    """Run a PyTorch model and count what each nn.Linear does and produces."""
    model = _torch_mlp(layer_sizes)
    counts = {"multiply_adds": 0, "layer_outputs": 0}

    def hook(module, inputs, output):
        (x,) = inputs
        # every output entry is a dot product over in_features inputs, plus the bias
        counts["multiply_adds"] += output.numel() * module.in_features
        assert output.shape == (x.shape[0], module.out_features)
        counts["layer_outputs"] += output.numel()

    for module in model:
        if isinstance(module, torch.nn.Linear):
            module.register_forward_hook(hook)
    x = torch.zeros(batch_size, layer_sizes[0])
    with torch.no_grad():
        model(x)
    n_params = sum(p.numel() for p in model.parameters())
    stored = n_params + x.numel() + counts["layer_outputs"]
    return n_params, {"multiply_adds": counts["multiply_adds"], "stored_floats": stored}


@pytest.mark.parametrize("layer_sizes", ARCHITECTURES)
def test_count_parameters_matches_a_pytorch_model(layer_sizes):
    expected = sum(p.numel() for p in _torch_mlp(layer_sizes).parameters())
    assert count_parameters(layer_sizes) == expected


def test_count_parameters_worked_example():
    # Theta = {W1 (3x2), b1 (2), W2 (2x1), b2 (1)}: 6 + 2 + 2 + 1
    assert count_parameters([3, 2, 1]) == 11
    assert count_parameters((64, 128, 128, 10)) == 8320 + 16512 + 1290


@pytest.mark.parametrize("layer_sizes", ARCHITECTURES)
@pytest.mark.parametrize("batch_size", [1, 7, 256])
def test_forward_cost_matches_counting_hooks_on_a_pytorch_model(layer_sizes, batch_size):
    n_params, expected = _count_by_hooks(layer_sizes, batch_size)
    assert forward_cost(layer_sizes, batch_size) == expected
    assert n_params == count_parameters(layer_sizes)


def _counting_forward(X, params):
    """A forward pass written as explicit loops that counts its own multiply-adds."""
    multiply_adds = 0
    H = [list(row) for row in X]
    for W, b in params:
        D, M = W.shape
        out = []
        for row in H:
            new = []
            for m in range(M):
                acc = b[m]
                for d in range(D):
                    acc += row[d] * W[d, m]
                    multiply_adds += 1
                new.append(max(acc, 0.0))
            out.append(new)
        H = out
    return np.array(H), multiply_adds


def test_forward_cost_multiply_adds_match_an_explicit_loop():
    rng = np.random.default_rng(0)
    sizes, batch = [3, 4, 5, 2], 6
    params = [(rng.normal(size=(d, m)), rng.normal(size=m)) for d, m in pairwise(sizes)]
    X = rng.normal(size=(batch, sizes[0]))
    H, multiply_adds = _counting_forward(X, params)
    # the loops compute the same thing as the vectorised forward pass
    ref = X
    for W, b in params:
        ref = np.maximum(ref @ W + b, 0.0)
    np.testing.assert_allclose(H, ref, rtol=1e-12, atol=1e-12)
    assert forward_cost(sizes, batch)["multiply_adds"] == multiply_adds


@pytest.mark.parametrize(("B", "d", "k", "M"), list(product([1, 32], [2, 10], [3, 16], [1, 2, 5])))
def test_forward_cost_matches_the_big_o_formulas_of_the_course(B, d, k, M):
    # M layers of k units on d-dimensional inputs (chapter 6, question 5)
    cost = forward_cost([d] + [k] * M, B)
    assert cost["multiply_adds"] == B * (d * k + (M - 1) * k * k)
    assert cost["stored_floats"] == d * k + (M - 1) * k * k + M * k + B * (d + M * k)


def test_forward_cost_of_one_point_through_two_hidden_layers():
    # chapter 5, question 8: one point of dimension d, hidden layers of k1 and k2 units, 1 output
    d, k1, k2 = 10, 20, 30
    cost = forward_cost([d, k1, k2, 1], batch_size=1)
    assert cost["multiply_adds"] == d * k1 + k1 * k2 + k2
    assert cost["stored_floats"] == count_parameters([d, k1, k2, 1]) + d + k1 + k2 + 1


def _montufar(n0, n, L):
    """Theorem 4 of Montúfar et al. (2014), written out independently."""
    product_term = 1
    for _ in range(1, L):
        product_term *= math.floor(n / n0) ** n0
    return product_term * sum(math.comb(n, j) for j in range(n0 + 1))


@pytest.mark.parametrize(("n0", "n", "L"), list(product([1, 2, 3], [3, 4, 7, 10], [1, 2, 5])))
def test_linear_regions_lower_bound_is_the_montufar_formula(n0, n, L):
    assert linear_regions_lower_bound(n0, n, L) == _montufar(n0, n, L)


def test_linear_regions_lower_bound_worked_numbers():
    assert linear_regions_lower_bound(2, 4, 1) == 1 + 4 + 6  # 4 lines cut the plane into 11
    assert linear_regions_lower_bound(2, 4, 3) == (2**2) ** 2 * 11
    assert linear_regions_lower_bound(1, 2, 10) == 2**9 * 3  # exact integers, no overflow
    big = linear_regions_lower_bound(2, 100, 30)
    assert isinstance(big, int)
    assert big == 50 ** (2 * 29) * (1 + 100 + 4950)


def test_depth_beats_width_for_the_same_number_of_units():
    # 2 inputs, 24 hidden units as one wide layer or as 3 layers of 8
    assert linear_regions_lower_bound(2, 8, 3) > linear_regions_lower_bound(2, 24, 1)


@pytest.mark.parametrize("n", [1, 3, 8])
def test_a_random_shallow_relu_net_in_1d_has_the_bound_n_plus_1_regions(n):
    # One input, one hidden layer: n kinks, n + 1 affine pieces (generic weights).
    rng = np.random.default_rng(n)
    w, b = rng.normal(size=n), rng.normal(size=n)
    kinks = -b / w
    x = np.linspace(kinks.min() - 1, kinks.max() + 1, 200_001)
    patterns = (x[:, None] * w + b) > 0  # which units are active, for each x
    changes = np.any(patterns[1:] != patterns[:-1], axis=1).sum()
    assert changes + 1 == linear_regions_lower_bound(1, n, 1) == n + 1


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: count_parameters([3]), "layer_sizes"),
        (lambda: count_parameters("32"), "layer_sizes"),
        (lambda: count_parameters([3, 0, 1]), "layer_sizes[1]"),
        (lambda: count_parameters([3, 2.5]), "layer_sizes[1]"),
        (lambda: forward_cost([3, 2], 0), "batch_size"),
        (lambda: linear_regions_lower_bound(0, 3, 1), "n0"),
        (lambda: linear_regions_lower_bound(3, 2, 1), "n"),
        (lambda: linear_regions_lower_bound(2, 3, 0), "L"),
    ],
)
def test_bad_input_names_the_argument(call, argument):
    # Either form names the argument, what it received and what it expected.
    received_and_expected = r"(: expected .* got | is .*; expected )"
    with pytest.raises(ValueError, match=rf"^{re.escape(argument)}{received_and_expected}"):
        call()
