"""Subtly wrong answers for assignment a4_dimensions (used by the simulated class).

WRONG maps a solution cell's grade_id to (replacement source of that cell, the test cells
that must then score 0). Every other test cell must keep full marks.
"""

WRONG = {
    # the weight matrix written the other way round (the PyTorch storage order)
    "a4_shapes": (
        """def forward_shapes(N, D, M):
    return {"X": (N, D), "W": (M, D), "b": (M,), "B": (N, M), "Z": (N, M),
            "torch_weight": (M, D)}
""",
        ["a4_shapes_test_params"],
    ),
    # the bias forgotten
    "a4_linear_forward": (
        """def linear_forward(X, W, b):
    return X @ W
""",
        ["a4_linear_forward_test_values"],
    ),
    # a strict threshold: points on the boundary are predicted 0
    "a4_perceptron": (
        """def perceptron_forward(X, w, b):
    z = X @ w + b
    return z, (z > 0).astype(int)
""",
        ["a4_perceptron_test_yhat"],
    ),
    # the biases not counted
    "a4_count_params": (
        """def count_parameters(layer_sizes):
    return sum(i * o for i, o in zip(layer_sizes[:-1], layer_sizes[1:]))
""",
        ["a4_count_params_test"],
    ),
    # off by one: the bias counted as an extra input
    "a4_two_hidden_time": (
        """def two_hidden_multiply_adds(d, k1, k2):
    return (d + 1) * k1 + k1 * k2
""",
        ["a4_two_hidden_time_test"],
    ),
    # the input itself not counted
    "a4_two_hidden_memory": (
        """def two_hidden_stored_floats(d, k1, k2):
    return (d * k1 + k1) + (k1 * k2 + k2) + k1 + k2
""",
        ["a4_two_hidden_memory_test"],
    ),
    # off by one: M layers of k x k weights instead of M - 1
    "a4_deep_time": (
        """def deep_multiply_adds(B, M, k, d):
    return B * (d * k + M * k * k)
""",
        ["a4_deep_time_test"],
    ),
    # the biases not counted
    "a4_deep_memory": (
        """def deep_stored_floats(B, M, k, d):
    return d * k + (M - 1) * k * k + B * d + M * B * k
""",
        ["a4_deep_memory_test"],
    ),
    # the cost of one point, not of N points
    "a4_big_o_perceptron": (
        """def big_o_perceptron(N, d):
    return d
""",
        ["a4_big_o_perceptron_test"],
    ),
    # the first layer (d x k) dropped: wrong when the input dimension dominates
    "a4_big_o_deep": (
        """def big_o_deep(B, M, k, d):
    return B * M * k**2
""",
        ["a4_big_o_deep_test"],
    ),
    # the hidden bias not carried through the second layer
    "a4_collapse": (
        """def collapse(W1, b1, W2, b2):
    return W1 @ W2, b2
""",
        ["a4_collapse_test_b"],
    ),
}
