"""Subtly wrong answers for assignment a2_logistic_regression (see tests/grading/test_grading.py).

WRONG maps a solution cell's grade_id to (replacement source of that cell, the autograded
test cells that must then score 0); every other test cell must keep full marks.
"""

WRONG = {
    # The naive formula: right values, but np.exp overflows for z = -1000.
    "sigmoid": (
        """def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))
""",
        ["test_sigmoid_hidden"],
    ),
    # Sum instead of mean: right for one point only.
    "bce": (
        """def bce(y_hat, y):
    y_hat = np.asarray(y_hat, dtype=float)
    y = np.asarray(y, dtype=float)
    return -np.sum(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))
""",
        ["test_bce_hidden"],
    ),
    # Through probabilities: fine for moderate logits, inf for z = -1000.
    "bce_with_logits": (
        """def bce_with_logits(z, y):
    p = sigmoid(z)
    y = np.asarray(y, dtype=float)
    with np.errstate(divide="ignore"):
        return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
""",
        ["test_bce_with_logits_hidden"],
    ),
    # Sign error (y - y_hat): gradient descent then climbs the loss.
    "bce_grad": (
        """def bce_grad(X, y, w, b):
    X = np.asarray(X, dtype=float)
    r = np.asarray(y, dtype=float) - sigmoid(X @ w + b)
    return X.T @ r / len(r), float(np.mean(r))
""",
        ["test_bce_grad_hidden", "test_fit_pass_fail", "test_fit_hidden"],
    ),
    # Off by one: records the loss after each step instead of before it.
    "fit_logistic_regression": (
        """def fit_logistic_regression(X, y, lr=0.5, epochs=300):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.zeros(X.shape[1])
    b = 0.0
    losses = []
    for _ in range(epochs):
        dw, db = bce_grad(X, y, w, b)
        w = w - lr * dw
        b = b - lr * db
        losses.append(bce_with_logits(X @ w + b, y))
    return w, b, np.array(losses)
""",
        ["test_fit_hidden"],
    ),
    # Quadratic in d.
    "loss_cost": (
        """def loss_cost(N, d):
    return N * d * d
""",
        ["test_loss_cost"],
    ),
}
