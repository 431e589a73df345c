"""Subtly wrong answers for assignment a5_activations (used by the simulated class).

WRONG maps a solution cell's grade_id to (replacement source of that cell, the test cells
that must then score 0). Every other test cell must keep full marks.
"""

WRONG = {
    # the textbook formula e^-z / (1 + e^-z)^2: inf / inf = nan at z = -1000
    "a5_sigmoid_grad": (
        """def sigmoid_grad(z):
    e = np.exp(-np.asarray(z, dtype=float))
    return e / (1.0 + e) ** 2
""",
        ["a5_sigmoid_grad_test"],
    ),
    # a wrong sign: 1 + tanh^2
    "a5_tanh_grad": (
        """def tanh_grad(z):
    return 1.0 + np.tanh(z) ** 2
""",
        ["a5_tanh_grad_test"],
    ),
    # off at the kink: relu_grad(0) = 1 instead of 0
    "a5_relu_grad": (
        """def relu_grad(z):
    return (np.asarray(z) >= 0).astype(float)
""",
        ["a5_relu_grad_test"],
    ),
    # a wrong sign on the negative side
    "a5_leaky_relu_grad": (
        """def leaky_relu_grad(z, alpha=0.01):
    return np.where(np.asarray(z) > 0, 1.0, -alpha)
""",
        ["a5_leaky_relu_grad_test"],
    ),
    # the function alpha (e^z - 1) instead of its derivative alpha e^z
    "a5_elu_grad": (
        """def elu_grad(z, alpha=1.0):
    z = np.asarray(z, dtype=float)
    return np.where(z > 0, 1.0, alpha * np.expm1(np.minimum(z, 0.0)))
""",
        ["a5_elu_grad_test"],
    ),
    # e^z / (1 + e^z) computed naively: inf / inf = nan at z = 1000
    "a5_softplus_grad": (
        """def softplus_grad(z):
    e = np.exp(np.asarray(z, dtype=float))
    return e / (1.0 + e)
""",
        ["a5_softplus_grad_test"],
    ),
    # the inner derivative beta forgotten (right only for beta = 1)
    "a5_swish_grad": (
        """def swish_grad(z, beta=1.0):
    s = sigmoid(beta * np.asarray(z, dtype=float))
    return s + z * s * (1.0 - s)
""",
        ["a5_swish_grad_test"],
    ),
    # no max shift: overflows for large logits
    "a5_softmax": (
        """def softmax(z, axis=-1):
    e = np.exp(np.asarray(z, dtype=float))
    return e / np.sum(e, axis=axis, keepdims=True)
""",
        ["a5_softmax_test_stable"],
    ),
    # no max shift inside the log-sum-exp: overflows for large logits
    "a5_log_softmax": (
        """def log_softmax(z, axis=-1):
    z = np.asarray(z, dtype=float)
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))
""",
        ["a5_log_softmax_test_stable"],
    ),
    # a sigmoid output trained with squared error
    "a5_pairings": (
        """def output_pairings():
    return {
        "regression": ("identity", "mean squared error"),
        "regression with k outputs": ("identity", "mean squared error"),
        "binary classification": ("sigmoid", "mean squared error"),
        "multi-class classification": ("softmax", "categorical cross-entropy"),
    }
""",
        ["a5_pairings_test_classification"],
    ),
    # summed over the batch instead of averaged
    "a5_categorical_ce": (
        """def categorical_cross_entropy(P, Y):
    P, Y = np.asarray(P, dtype=float), np.asarray(Y, dtype=float)
    return float(-np.sum(Y * np.log(np.where(Y > 0, P, 1.0))))
""",
        ["a5_categorical_ce_test"],
    ),
    # the probability columns in the wrong order
    "a5_to_two_class": (
        """def to_two_class(y_hat, y):
    y_hat, y = np.asarray(y_hat, dtype=float), np.asarray(y, dtype=float)
    return np.stack([y_hat, 1.0 - y_hat], axis=1), np.stack([1.0 - y, y], axis=1)
""",
        ["a5_to_two_class_test"],
    ),
    # the logits in the wrong columns (the sign of z flipped)
    "a5_two_class_logits": (
        """def two_class_logits(z):
    z = np.asarray(z, dtype=float)
    return np.stack([z, np.zeros_like(z)], axis=1)
""",
        ["a5_two_class_logits_test"],
    ),
}
