"""The [check] numbers of syllabus chapters 4 to 6, written out and checked against mlcourse.

Each test names the syllabus item it checks ("4.4" is chapter 4, item 4). The lessons
(lessons/ch04_perceptron.ipynb, ch05_mlp.ipynb, ch06_dimensions.ipynb) quote the same
numbers through myst-nb glue; these tests pin them down independently of the notebooks.
"""

import itertools
import math

import numpy as np
import pytest

from mlcourse.activations import sigmoid
from mlcourse.datasets import iris_versicolor, logic_gate, xor
from mlcourse.layers import linear_forward
from mlcourse.mlp import MLP
from mlcourse.perceptron import Perceptron
from mlcourse.shapes import count_parameters, forward_cost, linear_regions_lower_bound

CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


def _neuron(X, w, b):
    """One sigmoid neuron on the rows of X, thresholded at 0.5."""
    h = sigmoid(X @ np.asarray(w, dtype=float) + b)
    return h, (h >= 0.5).astype(int)


# ----------------------------------------------------------------- chapter 4
def test_4_4_and_with_w_7_7_b_minus_9_on_all_four_inputs():
    h, y_hat = _neuron(CORNERS, [7.0, 7.0], -9.0)
    # z = -9, -2, -2, 5 on (0, 0), (0, 1), (1, 0), (1, 1)
    np.testing.assert_allclose(CORNERS @ [7.0, 7.0] - 9.0, [-9.0, -2.0, -2.0, 5.0])
    assert y_hat.tolist() == [0, 0, 0, 1]
    np.testing.assert_allclose(
        h,
        [
            1 / (1 + math.exp(9)),
            1 / (1 + math.exp(2)),
            1 / (1 + math.exp(2)),
            1 / (1 + math.exp(-5)),
        ],
    )
    assert [round(float(v), 3) for v in h] == [0.0, 0.119, 0.119, 0.993]
    X, y = logic_gate("and")
    np.testing.assert_array_equal(X, CORNERS)
    assert y_hat.tolist() == y.tolist()


def test_4_4_or_with_w_7_7_b_minus_5_on_all_four_inputs():
    h, y_hat = _neuron(CORNERS, [7.0, 7.0], -5.0)
    np.testing.assert_allclose(CORNERS @ [7.0, 7.0] - 5.0, [-5.0, 2.0, 2.0, 9.0])
    assert y_hat.tolist() == [0, 1, 1, 1]
    assert [round(float(v), 4) for v in h] == [0.0067, 0.8808, 0.8808, 0.9999]
    assert y_hat.tolist() == logic_gate("or")[1].tolist()


def test_4_4_scaling_the_and_weights_keeps_the_gate_and_sharpens_it():
    h1, y1 = _neuron(CORNERS, [7.0, 7.0], -9.0)
    h10, y10 = _neuron(CORNERS, [70.0, 70.0], -90.0)
    assert y1.tolist() == y10.tolist() == [0, 0, 0, 1]
    assert np.all(np.abs(h10 - y10) < np.abs(h1 - y1))


def test_4_2_perceptron_rule_converges_on_and_and_or():
    for gate in ["and", "or"]:
        X, y = logic_gate(gate)
        model = Perceptron(lr=1.0, max_epochs=100).fit(X, y)
        assert model.converged_
        assert model.errors_[-1] == 0
        assert model.predict(X).tolist() == y.tolist()
    # the numbers the lesson quotes: AND stops after 6 epochs, OR after 4
    assert len(Perceptron().fit(*logic_gate("and")).errors_) == 6
    assert len(Perceptron().fit(*logic_gate("or")).errors_) == 4


def test_4_6_perceptron_rule_fails_to_converge_on_xor():
    X, y = xor()
    model = Perceptron(lr=1.0, max_epochs=1000).fit(X, y)
    assert not model.converged_
    assert len(model.errors_) == 1000
    assert min(model.errors_) >= 1  # no epoch without a mistake
    assert not np.array_equal(model.predict(X), y)


def test_4_6_no_weights_satisfy_the_four_xor_inequalities():
    # b < 0, w2 + b >= 0, w1 + b >= 0, w1 + w2 + b < 0 cannot hold together: the middle two
    # sum to w1 + w2 + 2b >= 0, so w1 + w2 + b >= -b > 0. Checked on a grid and at random.
    rng = np.random.default_rng(0)
    grid = np.linspace(-10, 10, 41)
    W1, W2, Bias = np.meshgrid(grid, grid, grid)
    candidates = np.vstack(
        [np.column_stack([W1.ravel(), W2.ravel(), Bias.ravel()]), rng.normal(0, 10, (100_000, 3))]
    )
    X, y = xor()
    z = candidates[:, :2] @ X.T + candidates[:, 2:]
    assert not np.any(np.all((z >= 0) == (y == 1), axis=1))
    # ... while AND has solutions among the same candidates
    _, y_and = logic_gate("and")
    assert np.any(np.all((z >= 0) == (y_and == 1), axis=1))


def test_4_5_versicolor_against_the_rest_is_not_linearly_separable():
    X, y = iris_versicolor()
    assert X.shape == (150, 2) and int(y.sum()) == 50
    model = Perceptron(max_epochs=100).fit(X, y)
    assert not model.converged_
    assert min(model.errors_) > 0


def test_4_7_fourteen_of_sixteen_two_input_functions_are_learnable():
    learnable = []
    for code in range(16):
        y = np.array([(code >> k) & 1 for k in range(4)])
        if Perceptron(max_epochs=100).fit(CORNERS, y).converged_:
            learnable.append(tuple(y))
    assert len(learnable) == 14
    assert (0, 1, 1, 0) not in learnable and (1, 0, 0, 1) not in learnable  # XOR, XNOR


def test_4_7_the_product_feature_makes_xor_separable():
    X, y = xor()
    lifted = np.column_stack([X, X[:, 0] * X[:, 1]])
    # XOR = x1 + x2 - 2 x1 x2: the neuron w = (1, 1, -2), b = -0.5 separates it
    z = lifted @ np.array([1.0, 1.0, -2.0]) - 0.5
    np.testing.assert_allclose(z, [-0.5, 0.5, 0.5, -0.5])
    assert Perceptron(max_epochs=100).fit(lifted, y).converged_


# ----------------------------------------------------------------- chapter 5
def _hand_built_xor():
    W1 = np.array([[-7.0, 7.0], [7.0, -7.0]])  # columns: hidden unit 1 (-7, 7), unit 2 (7, -7)
    b1 = np.array([-3.0, -3.0])
    W2 = np.array([[7.0], [7.0]])
    b2 = np.array([-5.0])
    return W1, b1, W2, b2


def test_5_2_hand_built_xor_network_computes_xor():
    W1, b1, W2, b2 = _hand_built_xor()
    net = MLP.from_params([(W1, b1), (W2, b2)], activation="sigmoid", output="sigmoid")
    X, y = xor()
    assert net.predict(X).tolist() == y.tolist() == [0, 1, 1, 0]
    # hidden unit 1 is "x2 and not x1", unit 2 "x1 and not x2"
    H = sigmoid(X @ W1 + b1)
    assert (H >= 0.5).astype(int).tolist() == [[0, 0], [1, 0], [0, 1], [0, 0]]
    np.testing.assert_allclose(H[0], [1 / (1 + math.exp(3))] * 2)  # sigma(-3) = 0.0474
    # the outputs the lesson quotes
    y_hat = net.forward(X)[:, 0]
    assert [round(float(v), 3) for v in y_hat] == [0.013, 0.867, 0.867, 0.013]
    # by hand, without the package's network
    np.testing.assert_allclose(y_hat, sigmoid(sigmoid(X @ W1 + b1) @ W2 + b2)[:, 0])


def test_5_2_replacing_the_or_output_by_nor_gives_xnor():
    W1, b1, _, _ = _hand_built_xor()
    net = MLP.from_params(
        [(W1, b1), (np.array([[-7.0], [-7.0]]), np.array([5.0]))], "sigmoid", "sigmoid"
    )
    assert net.predict(CORNERS).tolist() == [1, 0, 0, 1]


def test_5_4_collapse_without_nonlinearity():
    # Column form of the decks: W2 (W1 x + b1) + b2 = (W2 W1) x + (W2 b1 + b2).
    rng = np.random.default_rng(42)
    W1, b1 = rng.normal(size=(4, 3)), rng.normal(size=(4, 1))
    W2, b2 = rng.normal(size=(2, 4)), rng.normal(size=(2, 1))
    x = rng.normal(size=(3, 7))  # seven column vectors
    np.testing.assert_allclose(W2 @ (W1 @ x + b1) + b2, (W2 @ W1) @ x + (W2 @ b1 + b2), atol=1e-12)
    # Row form of the code, through the package: an identity-activation MLP is one layer.
    W1r, b1r, W2r, b2r = W1.T, b1.ravel(), W2.T, b2.ravel()
    net = MLP.from_params([(W1r, b1r), (W2r, b2r)], activation="identity", output="identity")
    X = x.T
    collapsed, _ = linear_forward(X, W1r @ W2r, b1r @ W2r + b2r)
    np.testing.assert_allclose(net.forward(X), collapsed, atol=1e-12)
    np.testing.assert_allclose(net.forward(X), (W2 @ (W1 @ x + b1) + b2).T, atol=1e-12)


def test_5_6_montufar_bound_numbers_of_the_lesson():
    # n0 = 2 inputs, L hidden layers of n = 8: (floor(8/2)^2)^(L-1) * (1 + 8 + 28)
    assert [linear_regions_lower_bound(2, 8, L) for L in range(1, 7)] == [
        37,
        592,
        9_472,
        151_552,
        2_424_832,
        38_797_312,
    ]
    # one layer of 48 units: at most 1 + 48 + 1128 regions
    assert linear_regions_lower_bound(2, 48, 1) == 1 + 48 + math.comb(48, 2) == 1_177


# ----------------------------------------------------------------- chapter 6
@pytest.mark.parametrize(
    ("layer_sizes", "expected"),
    [
        ([3, 2], 3 * 2 + 2),
        ([2, 2, 1], (2 * 2 + 2) + (2 * 1 + 1)),
        ([2, 20, 1], (2 * 20 + 20) + (20 + 1)),
        ([2, 20, 20, 20, 1], 60 + 420 + 420 + 21),
        ([64, 128, 128, 10], 8_320 + 16_512 + 1_290),
        ([784, 128, 10], 100_480 + 1_290),
        ([784, 256, 256, 10], 200_960 + 65_792 + 2_570),
    ],
)
def test_6_4_parameter_counts(layer_sizes, expected):
    assert count_parameters(layer_sizes) == expected
    net = MLP(layer_sizes, rng=0)
    assert sum(W.size + b.size for W, b in net.params) == expected
    # written out for the lesson's examples
    assert {
        (3, 2): 8,
        (2, 2, 1): 9,
        (2, 20, 1): 81,
        (2, 20, 20, 20, 1): 921,
        (64, 128, 128, 10): 26_122,
        (784, 128, 10): 101_770,
        (784, 256, 256, 10): 269_322,
    }[tuple(layer_sizes)] == expected


def test_6_1_and_6_2_shapes_of_the_worked_examples():
    # one neuron, one input: (1x1) = (1x3)(3x1) + (1x1)
    w, x, b = np.ones((3, 1)), np.ones((3, 1)), np.ones((1, 1))
    assert (w.T @ x + b).shape == (1, 1)
    # two neurons and a batch of two: Z (2x2) = W^T (2x3) X (3x2) + b (2x1 broadcast)
    W, X, b2 = np.ones((3, 2)), np.ones((3, 2)), np.array([[1.0], [2.0]])
    Z = W.T @ X + b2
    assert Z.shape == (2, 2)
    np.testing.assert_allclose(Z, [[4.0, 4.0], [5.0, 5.0]])
    # the code's convention gives the transpose: X (N, D) W (D, M) + b (M,)
    Z_rows, _ = linear_forward(X.T, W, b2.ravel())
    np.testing.assert_allclose(Z_rows, Z.T)


def test_6_3_torch_linear_stores_the_transposed_weight():
    import torch

    torch.manual_seed(0)
    layer = torch.nn.Linear(3, 2, dtype=torch.float64)
    assert tuple(layer.weight.shape) == (2, 3)  # (M, D)
    X = np.random.default_rng(1).normal(size=(4, 3))
    expected = layer(torch.from_numpy(X)).detach().numpy()
    Z, _ = linear_forward(X, layer.weight.detach().numpy().T, layer.bias.detach().numpy())
    np.testing.assert_allclose(Z, expected, rtol=1e-12, atol=1e-12)


def _loop_count(layer_sizes, batch):
    """Run a forward pass with explicit loops; count multiply-adds and the floats it keeps."""
    net = MLP(layer_sizes, activation="relu", rng=0)
    X = np.random.default_rng(0).normal(size=(batch, layer_sizes[0]))
    multiply_adds = 0
    kept = [X] + [array for pair in net.params for array in pair]
    H = X
    for layer, (W, b) in enumerate(net.params):
        Z = np.empty((H.shape[0], W.shape[1]))
        for n, m in itertools.product(range(H.shape[0]), range(W.shape[1])):
            total = b[m]
            for d in range(H.shape[1]):
                total += H[n, d] * W[d, m]
                multiply_adds += 1
            Z[n, m] = total
        H = np.maximum(Z, 0.0) if layer < len(net.params) - 1 else Z  # ReLU, identity output
        kept.append(H)
    np.testing.assert_allclose(H, net.forward(X), atol=1e-12)  # the loops are the network
    return multiply_adds, sum(array.size for array in kept)


@pytest.mark.parametrize(
    ("B", "d", "k", "M"), [(1, 2, 3, 1), (5, 3, 4, 3), (8, 10, 16, 3), (2, 7, 5, 4)]
)
def test_6_5_forward_cost_matches_the_formulas_and_a_loop(B, d, k, M):
    sizes = [d] + [k] * M
    cost = forward_cost(sizes, batch_size=B)
    # T = B (d k + (M - 1) k^2), S = d k + (M - 1) k^2 + M k + B (d + M k)
    assert cost["multiply_adds"] == B * (d * k + (M - 1) * k**2)
    assert cost["stored_floats"] == d * k + (M - 1) * k**2 + M * k + B * (d + M * k)
    assert (cost["multiply_adds"], cost["stored_floats"]) == _loop_count(sizes, B)


def test_6_5_worked_numbers_of_the_lessons():
    # chapter 6: [3, 4, 4, 2] with a batch of 5, counted by the lesson's loops
    assert forward_cost([3, 4, 4, 2], 5) == {"multiply_adds": 180, "stored_floats": 111}
    # chapter 6 question: d = 10, k = 16, M = 3, B = 8
    assert forward_cost([10, 16, 16, 16], 8) == {
        "multiply_adds": 8 * (160 + 2 * 256),
        "stored_floats": 160 + 512 + 48 + 8 * 58,
    }
    # chapter 5 question: one point, d = 10, hidden k1 = 32, k2 = 16, one output
    cost = forward_cost([10, 32, 16, 1], 1)
    assert cost["multiply_adds"] == 10 * 32 + 32 * 16 + 16 == 848
    assert cost["stored_floats"] == (11 * 32 + 33 * 16 + 17) + 10 + (32 + 16 + 1) == 956
    # the benchmark-sized example: 256 points of dimension 64 through 3 layers of 128
    assert forward_cost([64, 128, 128, 128], 256)["multiply_adds"] == 256 * (64 * 128 + 2 * 128**2)
