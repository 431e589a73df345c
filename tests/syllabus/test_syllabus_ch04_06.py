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


def test_4_5_updates_during_an_epoch_are_not_the_errors_of_the_final_model():
    # Issue 10: iris is stored sorted by species, and the rule visits the points in order.
    # The number of updates in the last epoch then says little about the final line.
    X, y = iris_versicolor()
    assert y[:50].sum() == 0 and y[50:100].sum() == 50 and y[100:].sum() == 0  # sorted
    sorted_model = Perceptron(max_epochs=100).fit(X, y)
    wrong_sorted = int(np.sum(sorted_model.predict(X) != y))
    # the final model's errors, counted by hand from its weights
    assert wrong_sorted == int(np.sum(((X @ sorted_model.w + sorted_model.b) >= 0) != y))
    assert sorted_model.errors_[-1] == 3 and wrong_sorted == 56  # the numbers
    # shuffled as in the lesson: the two counts differ, and the final model is no better
    # than always answering "not versicolor" (50 wrong)
    order = np.random.default_rng(1).permutation(len(y))
    shuffled = Perceptron(max_epochs=100).fit(X[order], y[order])
    wrong_shuffled = int(np.sum(shuffled.predict(X) != y))
    assert not shuffled.converged_
    assert shuffled.errors_[-1] != wrong_shuffled
    assert wrong_shuffled >= 50
    # where it stops depends on the order
    wrong = {
        int(np.sum(Perceptron(max_epochs=100).fit(X[p], y[p]).predict(X) != y))
        for p in (np.random.default_rng(s).permutation(150) for s in range(10, 20))
    }
    assert len(wrong) > 3


def test_4_7_the_perceptron_on_lifted_xor_stops_with_two_corners_on_its_boundary():
    # Issue 10: "converges" on the lifted XOR only through step(0) = 1.
    X, y = xor()
    lifted = np.column_stack([X, X[:, 0] * X[:, 1]])
    model = Perceptron(max_epochs=100).fit(lifted, y)
    assert model.converged_
    z = model.decision_function(lifted)
    assert int(np.sum(z == 0)) == 2  # (0, 1) and (1, 0) lie exactly on the boundary
    assert np.array_equal(np.flatnonzero(z == 0), np.flatnonzero(y == 1))
    # a strict threshold (z > 0) would call them class 0: no margin at all
    assert not np.array_equal((z > 0).astype(int), y)
    # the hand-set neuron keeps every corner at |z| = 0.5
    z_hand = lifted @ np.array([1.0, 1.0, -2.0]) - 0.5
    assert np.min(np.abs(z_hand)) == 0.5 and np.array_equal((z_hand > 0).astype(int), y)


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


def _iris_hidden_layer():
    """The two fitted hidden units of the lesson: "not setosa" and "not virginica"."""
    from mlcourse.perceptron import LogisticRegression

    X, y = iris_versicolor()
    setosa = (y == 0) & (X[:, 0] < 2.5)
    virginica = (y == 0) & ~setosa
    not_setosa = LogisticRegression(lr=0.1, epochs=3000).fit(X, (~setosa).astype(int))
    not_virginica = LogisticRegression(lr=0.1, epochs=3000).fit(X, (~virginica).astype(int))
    W1 = np.column_stack([not_setosa.w, not_virginica.w])
    b1 = np.array([not_setosa.b, not_virginica.b])
    return X, y, W1, b1


def test_5_2_versicolor_two_lines_and_a_sharp_and():
    # Issue 10: the AND unit (7, 7, -9) fires when h1 + h2 >= 9/7, so with h1 = 1 the
    # second unit needs only h2 >= 0.29; 13 flowers wrong. A sharper AND (both units past
    # one half) gets 5 wrong, accuracy 0.967.
    X, y, W1, b1 = _iris_hidden_layer()
    soft = MLP.from_params(
        [(W1, b1), (np.array([[7.0], [7.0]]), np.array([-9.0]))], "sigmoid", "sigmoid"
    )
    sharp = MLP.from_params(
        [(W1, b1), (np.array([[20.0], [20.0]]), np.array([-30.0]))], "sigmoid", "sigmoid"
    )
    wrong_soft = soft.predict(X) != y
    wrong_sharp = sharp.predict(X) != y
    assert int(wrong_soft.sum()) == 13 and round(float(np.mean(~wrong_soft)), 3) == 0.913
    assert int(wrong_sharp.sum()) == 5 and round(float(np.mean(~wrong_sharp)), 3) == 0.967
    assert int(np.sum(wrong_soft & ~wrong_sharp)) - int(np.sum(~wrong_soft & wrong_sharp)) == 8
    # the soft AND's threshold on h2 when h1 = 1, by hand
    h2 = np.linspace(0, 1, 1001)
    fires = sigmoid(7.0 * 1.0 + 7.0 * h2 - 9.0) >= 0.5
    assert h2[fires].min() == pytest.approx(2 / 7, abs=1e-3)
    # the sharp AND agrees with thresholding both hidden units at one half
    H = sigmoid(X @ W1 + b1)
    both = ((H[:, 0] >= 0.5) & (H[:, 1] >= 0.5)).astype(int)
    assert np.array_equal(sharp.predict(X), both)


def test_5_2_versicolor_with_hand_set_weights():
    # The lesson's hand-set network (as in ELTE's lecture): "petal length > 2.5" and
    # "length + 2 width < 8", each times 10, and the sharp AND.
    X, y = iris_versicolor()
    W1 = np.array([[10.0, -10.0], [0.0, -20.0]])
    b1 = np.array([-25.0, 80.0])
    net = MLP.from_params(
        [(W1, b1), (np.array([[20.0], [20.0]]), np.array([-30.0]))], "sigmoid", "sigmoid"
    )
    by_rule = ((X[:, 0] > 2.5) & (X[:, 0] + 2 * X[:, 1] < 8)).astype(int)
    assert np.array_equal(net.predict(X), by_rule)
    assert round(float(np.mean(net.predict(X) == y)), 3) == 0.973


def test_5_6_depth_a_sawtooth_of_2_to_the_L_pieces_from_2L_relu_units():
    # L layers of the tent t(x) = 2 relu(x) - 4 relu(x - 1/2): 2^L linear pieces on [0, 1].
    first = (np.array([[1.0, 1.0]]), np.array([0.0, -0.5]))
    fold = (np.array([[2.0, 2.0], [-4.0, -4.0]]), np.array([0.0, -0.5]))
    out = (np.array([[2.0], [-4.0]]), np.array([0.0]))
    x = np.linspace(0.0, 1.0, 2**12 + 1)
    for L in range(1, 7):
        net = MLP.from_params([first] + [fold] * (L - 1) + [out], "relu", "identity")
        values = net.forward(x[:, None])[:, 0]
        # the L-fold tent, written out
        expected = x.copy()
        for _ in range(L):
            expected = np.where(expected < 0.5, 2 * expected, 2 - 2 * expected)
        np.testing.assert_allclose(values, expected, atol=1e-12)
        slopes = np.diff(values) / np.diff(x)
        pieces = 1 + int(np.sum(np.abs(np.diff(slopes)) > 1e-6))
        assert pieces == 2**L
        assert sum(W.shape[1] for W, _ in net.params[:-1]) == 2 * L
    # one hidden layer of m ReLU units on a 1-D input: at most m + 1 pieces
    rng = np.random.default_rng(0)
    m = 10
    shallow = MLP([1, m, 1], activation="relu", output="identity", rng=rng)
    values = shallow.forward(np.linspace(-3, 3, 20001)[:, None])[:, 0]
    slopes = np.diff(values) / np.diff(np.linspace(-3, 3, 20001))
    assert 1 + int(np.sum(np.abs(np.diff(slopes)) > 1e-6)) <= m + 1


def test_5_7_training_and_test_loss_on_the_same_weights():
    # Issue 10: train()'s per-epoch loss is the mean of the mini-batch losses during the
    # epoch; the loss of the final weights on the same points is a different number.
    from mlcourse.datasets import moons
    from mlcourse.losses import binary_cross_entropy
    from mlcourse.optim import train

    X, y = moons(60, noise=0.4, rng=0)
    net = MLP([2, 20, 20, 20, 1], activation="relu", output="sigmoid", rng=0)
    history = train(net, X, y, loss="binary_cross_entropy", lr=0.2, epochs=1, batch_size=20, rng=0)
    end_of_epoch = float(binary_cross_entropy(net.forward(X)[:, 0], y))
    assert abs(history["loss"][-1] - end_of_epoch) > 1e-3


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
    ("N", "D", "M", "K"), [(1, 2, 3, 1), (5, 3, 4, 3), (8, 10, 16, 3), (2, 7, 5, 4)]
)
def test_6_5_forward_cost_matches_the_formulas_and_a_loop(N, D, M, K):
    # the book's letters: N points of dimension D through K layers of M units
    sizes = [D] + [M] * K
    cost = forward_cost(sizes, batch_size=N)
    # T = N (D M + (K - 1) M^2), F = D M + (K - 1) M^2 + K M + N (D + K M)
    assert cost["multiply_adds"] == N * (D * M + (K - 1) * M**2)
    assert cost["stored_floats"] == D * M + (K - 1) * M**2 + K * M + N * (D + K * M)
    assert (cost["multiply_adds"], cost["stored_floats"]) == _loop_count(sizes, N)


def test_6_2_column_bias_broadcasts_silently_for_one_point_and_square_batches():
    # Issue 10: "(N, M) + (M, 1) raises when N != M" is false for N = 1.
    M = 3
    b_col = np.arange(1.0, M + 1).reshape(M, 1)
    assert (np.zeros((1, M)) + b_col).shape == (M, M)  # one point: an (M, M) matrix
    assert (np.zeros((M, M)) + b_col).shape == (M, M)  # square batch: bias added per row
    np.testing.assert_allclose((np.zeros((M, M)) + b_col)[:, 0], [1.0, 2.0, 3.0])
    for N in (2, 4, 5):  # any other batch size raises
        with pytest.raises(ValueError):
            np.zeros((N, M)) + b_col
    # the package refuses the column-shaped bias whatever N is
    for N in (1, 2, M):
        with pytest.raises(ValueError, match="b"):
            linear_forward(np.zeros((N, M)), np.zeros((M, M)), b_col)


def test_6_5_worked_numbers_of_the_lessons():
    # chapter 6: [3, 4, 4, 2] with a batch of 5, counted by the lesson's loops
    assert forward_cost([3, 4, 4, 2], 5) == {"multiply_adds": 180, "stored_floats": 111}
    # chapter 6 question: D = 10, M = 16, K = 3, N = 8
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
