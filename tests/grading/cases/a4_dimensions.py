# ruff: noqa: E501 - the mistaken cells are quoted as students write them
"""Typical mistakes for assignment a4_dimensions (format: see a1_information.py)."""


def _m(cell, mistake, public, tests, source, targets=None):
    case = {"cell": cell, "mistake": mistake, "public": public, "tests": tests, "source": source}
    return case if targets is None else {**case, "targets": targets}


def _shapes(**change):
    shapes = {
        "X": "(N, D)",
        "W": "(D, M)",
        "b": "(M,)",
        "B": "(N, M)",
        "Z": "(N, M)",
        "torch_weight": "(M, D)",
    }
    shapes.update(change)
    body = ", ".join(f'"{k}": {v}' for k, v in shapes.items())
    return f"def forward_shapes(N, D, M):\n    return {{{body}}}\n"


MISTAKES = [
    _m(
        "a4_shapes",
        "the weight matrix the PyTorch way round",
        True,
        ["a4_shapes_test_params", "a4_shapes_test_output"],
        _shapes(W="(M, D)"),
    ),
    _m(
        "a4_shapes",
        "B written as the shape of b",
        True,
        ["a4_shapes_test_output"],
        _shapes(B="(M,)"),
    ),
    _m(
        "a4_shapes",
        "torch_weight like W",
        True,
        ["a4_shapes_test_torch"],
        _shapes(torch_weight="(D, M)"),
    ),
    _m(
        "a4_shapes",
        "b as a row matrix (1, M)",
        True,
        ["a4_shapes_test_params"],
        _shapes(b="(1, M)"),
    ),
    _m(
        "a4_shapes",
        "shapes as lists",
        True,
        ["a4_shapes_test_params", "a4_shapes_test_output", "a4_shapes_test_torch"],
        "def forward_shapes(N, D, M):\n    return {'X': [N, D], 'W': [D, M], 'b': [M], "
        "'B': [N, M], 'Z': [N, M], 'torch_weight': [M, D]}\n",
    ),
    _m(
        "a4_linear_forward",
        "the bias forgotten",
        True,
        ["a4_linear_forward_test_values"],
        "def linear_forward(X, W, b):\n    return X @ W\n",
    ),
    _m(
        "a4_linear_forward",
        "a Python loop over the points (the rule)",
        True,
        ["a4_linear_forward_test_shape", "a4_linear_forward_test_values"],
        "def linear_forward(X, W, b):\n    return np.array([x @ W + b for x in X])\n",
    ),
    _m(
        "a4_linear_forward",
        "W @ X: a shape error",
        True,
        ["a4_linear_forward_test_shape", "a4_linear_forward_test_values"],
        "def linear_forward(X, W, b):\n    return W @ X + b\n",
    ),
    _m(
        "a4_linear_forward",
        "X @ W.T",
        True,
        ["a4_linear_forward_test_shape", "a4_linear_forward_test_values"],
        "def linear_forward(X, W, b):\n    return X @ W.T + b\n",
    ),
    _m(
        "a4_perceptron",
        "a strict threshold: points on the boundary predicted 0",
        True,
        ["a4_perceptron_test_yhat"],
        "def perceptron_forward(X, w, b):\n    z = X @ w + b\n    return z, (z > 0).astype(int)\n",
    ),
    _m(
        "a4_perceptron",
        "the bias forgotten",
        True,
        ["a4_perceptron_test_z", "a4_perceptron_test_yhat"],
        "def perceptron_forward(X, w, b):\n    z = X @ w\n    return z, (z >= 0).astype(int)\n",
    ),
    _m(
        "a4_perceptron",
        "returns (y_hat, z)",
        True,
        ["a4_perceptron_test_z", "a4_perceptron_test_yhat"],
        "def perceptron_forward(X, w, b):\n    z = X @ w + b\n    return (z >= 0).astype(int), z\n",
    ),
    _m(
        "a4_count_params",
        "the biases not counted",
        True,
        ["a4_count_params_test"],
        "def count_parameters(layer_sizes):\n"
        "    return sum(i * o for i, o in zip(layer_sizes[:-1], layer_sizes[1:]))\n",
    ),
    _m(
        "a4_count_params",
        "the input counted as a layer with a bias",
        True,
        ["a4_count_params_test"],
        "def count_parameters(layer_sizes):\n"
        "    return layer_sizes[0] + sum(i * o + o for i, o in zip(layer_sizes[:-1], layer_sizes[1:]))\n",
    ),
    _m(
        "a4_two_hidden_time",
        "off by one: the bias counted as an extra input",
        True,
        ["a4_two_hidden_time_test"],
        "def two_hidden_multiply_adds(d, k1, k2):\n    return (d + 1) * k1 + k1 * k2\n",
    ),
    _m(
        "a4_two_hidden_time",
        "only the first layer",
        True,
        ["a4_two_hidden_time_test"],
        "def two_hidden_multiply_adds(d, k1, k2):\n    return d * k1\n",
    ),
    _m(
        "a4_two_hidden_time",
        "calls the counting program instead of a formula (the rule)",
        True,
        ["a4_two_hidden_time_test"],
        "def two_hidden_multiply_adds(d, k1, k2):\n    return count_forward([d, k1, k2], 1)[0]\n",
    ),
    _m(
        "a4_two_hidden_memory",
        "the input itself not counted",
        True,
        ["a4_two_hidden_memory_test"],
        "def two_hidden_stored_floats(d, k1, k2):\n    return (d * k1 + k1) + (k1 * k2 + k2) + k1 + k2\n",
    ),
    _m(
        "a4_two_hidden_memory",
        "the biases not counted",
        True,
        ["a4_two_hidden_memory_test"],
        "def two_hidden_stored_floats(d, k1, k2):\n    return d * k1 + k1 * k2 + d + k1 + k2\n",
    ),
    _m(
        "a4_deep_time",
        "off by one: M layers of k x k weights instead of M - 1",
        True,
        ["a4_deep_time_test"],
        "def deep_multiply_adds(B, M, k, d):\n    return B * (d * k + M * k * k)\n",
    ),
    _m(
        "a4_deep_time",
        "the cost of one point, not of the batch",
        True,
        ["a4_deep_time_test"],
        "def deep_multiply_adds(B, M, k, d):\n    return d * k + (M - 1) * k * k\n",
    ),
    _m(
        "a4_deep_memory",
        "the biases not counted",
        True,
        ["a4_deep_memory_test"],
        "def deep_stored_floats(B, M, k, d):\n    return d * k + (M - 1) * k * k + B * d + M * B * k\n",
    ),
    _m(
        "a4_deep_memory",
        "the activations of one point only",
        True,
        ["a4_deep_memory_test"],
        "def deep_stored_floats(B, M, k, d):\n"
        "    return (d * k + k) + (M - 1) * (k * k + k) + d + M * k\n",
    ),
    _m(
        "a4_big_o_perceptron",
        "the cost of one point, not of N points",
        False,
        ["a4_big_o_perceptron_test"],
        "def big_o_perceptron(N, d):\n    return d\n",
    ),
    _m(
        "a4_big_o_deep",
        "the first layer (d x k) dropped",
        False,
        ["a4_big_o_deep_test"],
        "def big_o_deep(B, M, k, d):\n    return B * M * k**2\n",
    ),
    _m(
        "a4_big_o_deep",
        "the batch size dropped",
        True,
        ["a4_big_o_deep_test"],
        "def big_o_deep(B, M, k, d):\n    return d * k + M * k**2 - 1e9\n",
    ),
    _m(
        "a4_collapse",
        "the hidden bias not carried through the second layer",
        True,
        ["a4_collapse_test_b"],
        "def collapse(W1, b1, W2, b2):\n    return W1 @ W2, b2\n",
    ),
    _m(
        "a4_collapse",
        "the bias b1 + b2 (cut to the output size)",
        True,
        ["a4_collapse_test_W", "a4_collapse_test_b"],
        "def collapse(W1, b1, W2, b2):\n    return W1 @ W2, b1[: len(b2)] + b2\n",
        ["a4_collapse_test_b"],
    ),
    _m(
        "a4_collapse",
        "W2 @ W1: a shape error",
        True,
        ["a4_collapse_test_W", "a4_collapse_test_b"],
        "def collapse(W1, b1, W2, b2):\n    return W2 @ W1, b1 @ W2 + b2\n",
    ),
]

# The simulated class of test_grading.py: the first mistake of every answer cell.
WRONG = {}
for _case in MISTAKES:
    WRONG.setdefault(_case["cell"], (_case["source"], _case["tests"]))
