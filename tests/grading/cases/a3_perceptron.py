"""Subtly wrong answers for assignment a3_perceptron (see tests/grading/test_grading.py).

WRONG maps a solution cell's grade_id to (replacement source of that cell, the autograded
test cells that must then score 0); every other test cell must keep full marks.
"""

WRONG = {
    # step(0) = 0 instead of 1 (> instead of >=).
    "perceptron_forward": (
        """def perceptron_forward(X, w, b):
    z = np.asarray(X, dtype=float) @ np.asarray(w, dtype=float) + b
    return z, (z > 0).astype(float)
""",
        ["test_forward_hidden"],
    ),
    # The bias is never updated.
    "perceptron_fit": (
        """def perceptron_fit(X, y, lr=1.0, max_epochs=100):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.zeros(X.shape[1])
    b = 0.0
    errors = []
    for _ in range(max_epochs):
        mistakes = 0
        for x_n, y_n in zip(X, y):
            h = 1.0 if x_n @ w + b >= 0 else 0.0
            if h != y_n:
                w = w + lr * (y_n - h) * x_n
                mistakes += 1
        errors.append(mistakes)
        if mistakes == 0:
            break
    return w, b, errors
""",
        ["test_fit_gates", "test_fit_hidden"],
    ),
    # The OR bias used for AND.
    "gate_weights": (
        """and_weights = (np.array([7.0, 7.0]), -5.0)
or_weights = (np.array([7.0, 7.0]), -5.0)
""",
        ["test_and_weights"],
    ),
    # A transposed weight matrix: X W1^T (invisible for a symmetric 2 x 2 W1).
    "two_layer_forward": (
        """def sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=float)))


def two_layer_forward(X, W1, b1, w2, b2):
    H = sigmoid(np.asarray(X, dtype=float) @ np.asarray(W1).T + b1)
    return sigmoid(H @ w2 + b2)
""",
        ["test_two_layer_forward_hidden"],
    ),
    # A missing bias in the hidden layer.
    "xor_params": (
        """W1 = np.array([[-7.0, 7.0], [7.0, -7.0]])
b1 = np.zeros(2)
w2 = np.array([7.0, 7.0])
b2 = -5.0
xor_params = (W1, b1, w2, b2)
""",
        ["test_xor_network"],
    ),
    # Linear in N + d instead of N d.
    "perceptron_cost": (
        """def perceptron_cost(N, d):
    return N + d
""",
        ["test_perceptron_cost"],
    ),
    # A sum where a product belongs.
    "add_product_feature": (
        """def add_product_feature(X):
    X = np.asarray(X, dtype=float)
    return np.column_stack([X, X[:, 0] + X[:, 1]])
""",
        ["test_product_feature_hidden"],
    ),
}
