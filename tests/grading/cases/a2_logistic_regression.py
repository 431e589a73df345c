"""Typical mistakes for assignment a2_logistic_regression (format: see a1_information.py)."""


def _m(cell, mistake, public, tests, source, targets=None):
    case = {"cell": cell, "mistake": mistake, "public": public, "tests": tests, "source": source}
    return case if targets is None else {**case, "targets": targets}


_FIT = """def fit_logistic_regression(X, y, lr=0.5, epochs=300):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.zeros(X.shape[1])
    b = 0.0
    losses = []
    for _ in range(epochs):
{body}
    return w, b, np.array(losses)
"""

MISTAKES = [
    _m(
        "sigmoid",
        "the naive formula: np.exp overflows for z = -1000",
        True,
        ["test_sigmoid_hidden"],
        """def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))
""",
    ),
    _m(
        "sigmoid",
        "e^z / (1 + e^z) for every z: nan for z = 1000",
        True,
        ["test_sigmoid_hidden"],
        """def sigmoid(z):
    e = np.exp(np.asarray(z, dtype=float))
    return e / (1.0 + e)
""",
    ),
    _m(
        "sigmoid",
        "the sign of z forgotten: 1 / (1 + e^z)",
        True,
        [
            "test_sigmoid_values",
            "test_sigmoid_hidden",
            "test_bce_grad_hidden",
            "test_fit_pass_fail",
            "test_fit_hidden",
        ],
        """def sigmoid(z):
    z = np.asarray(z, dtype=float)
    return 0.5 * (1 - np.tanh(0.5 * z))
""",
    ),
    _m(
        "bce",
        "sum instead of mean: right for one point only",
        True,
        ["test_bce_values", "test_bce_hidden"],
        """def bce(y_hat, y):
    y_hat = np.asarray(y_hat, dtype=float)
    y = np.asarray(y, dtype=float)
    return -np.sum(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))
""",
    ),
    _m(
        "bce",
        "the minus sign forgotten",
        True,
        ["test_bce_values", "test_bce_hidden"],
        """def bce(y_hat, y):
    y_hat, y = np.asarray(y_hat, dtype=float), np.asarray(y, dtype=float)
    return np.mean(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))
""",
    ),
    _m(
        "bce",
        "log base 10",
        True,
        ["test_bce_values", "test_bce_hidden"],
        """def bce(y_hat, y):
    y_hat, y = np.asarray(y_hat, dtype=float), np.asarray(y, dtype=float)
    return -np.mean(y * np.log10(y_hat) + (1 - y) * np.log10(1 - y_hat))
""",
    ),
    _m(
        "bce_with_logits",
        "through probabilities: inf for z = -1000",
        True,
        ["test_bce_with_logits_hidden"],
        """def bce_with_logits(z, y):
    p = sigmoid(z)
    y = np.asarray(y, dtype=float)
    with np.errstate(divide="ignore"):
        return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
""",
    ),
    _m(
        "bce_with_logits",
        "log(1 + e^z) computed naively: inf for z = 1000",
        False,
        ["test_bce_with_logits_hidden"],
        """def bce_with_logits(z, y):
    z, y = np.asarray(z, dtype=float), np.asarray(y, dtype=float)
    with np.errstate(over="ignore"):
        return np.mean(np.log(1 + np.exp(z)) - y * z)
""",
    ),
    _m(
        "bce_with_logits",
        "the sign of y z flipped",
        True,
        [
            "test_bce_with_logits_values",
            "test_bce_with_logits_hidden",
            "test_fit_pass_fail",
            "test_fit_hidden",
        ],
        """def bce_with_logits(z, y):
    z, y = np.asarray(z, dtype=float), np.asarray(y, dtype=float)
    return np.mean(np.logaddexp(0.0, z) + y * z)
""",
    ),
    _m(
        "bce_with_logits",
        "sum instead of mean",
        True,
        [
            "test_bce_with_logits_values",
            "test_bce_with_logits_hidden",
            "test_fit_pass_fail",
            "test_fit_hidden",
        ],
        """def bce_with_logits(z, y):
    z, y = np.asarray(z, dtype=float), np.asarray(y, dtype=float)
    return np.sum(np.logaddexp(0.0, z) - y * z)
""",
    ),
    _m(
        "bce_grad",
        "sign error (y - y_hat): gradient descent climbs the loss",
        True,
        ["test_bce_grad_hidden", "test_fit_pass_fail", "test_fit_hidden"],
        """def bce_grad(X, y, w, b):
    X = np.asarray(X, dtype=float)
    r = np.asarray(y, dtype=float) - sigmoid(X @ w + b)
    return X.T @ r / len(r), float(np.mean(r))
""",
    ),
    _m(
        "bce_grad",
        "the 1/N forgotten: N times too large",
        True,
        ["test_bce_grad_hidden", "test_fit_pass_fail", "test_fit_hidden"],
        """def bce_grad(X, y, w, b):
    X = np.asarray(X, dtype=float)
    r = sigmoid(X @ w + b) - np.asarray(y, dtype=float)
    return X.T @ r, float(np.sum(r))
""",
        ["test_bce_grad_hidden"],
    ),
    _m(
        "bce_grad",
        "db is the sum, dw the mean",
        True,
        ["test_bce_grad_hidden", "test_fit_pass_fail", "test_fit_hidden"],
        """def bce_grad(X, y, w, b):
    X = np.asarray(X, dtype=float)
    r = sigmoid(X @ w + b) - np.asarray(y, dtype=float)
    return X.T @ r / len(r), float(np.sum(r))
""",
        ["test_bce_grad_hidden"],
    ),
    _m(
        "bce_grad",
        "X r instead of X^T r: wrong shape",
        True,
        ["test_bce_grad_shapes", "test_bce_grad_hidden", "test_fit_pass_fail", "test_fit_hidden"],
        """def bce_grad(X, y, w, b):
    X = np.asarray(X, dtype=float)
    r = sigmoid(X @ w + b) - np.asarray(y, dtype=float)
    return X @ r / len(r), float(np.mean(r))
""",
    ),
    _m(
        "fit_logistic_regression",
        "records the loss after each step instead of before it",
        True,
        ["test_fit_pass_fail", "test_fit_hidden"],
        _FIT.format(
            body="""        dw, db = bce_grad(X, y, w, b)
        w = w - lr * dw
        b = b - lr * db
        losses.append(bce_with_logits(X @ w + b, y))"""
        ),
    ),
    _m(
        "fit_logistic_regression",
        "b never updated",
        True,
        ["test_fit_pass_fail", "test_fit_hidden"],
        _FIT.format(
            body="""        losses.append(bce_with_logits(X @ w + b, y))
        dw, db = bce_grad(X, y, w, b)
        w = w - lr * dw"""
        ),
    ),
    _m(
        "fit_logistic_regression",
        "starts from w = 1 instead of 0",
        True,
        ["test_fit_pass_fail", "test_fit_hidden"],
        _FIT.format(
            body="""        if not losses:
            w = np.ones(X.shape[1])
        losses.append(bce_with_logits(X @ w + b, y))
        dw, db = bce_grad(X, y, w, b)
        w = w - lr * dw
        b = b - lr * db"""
        ),
    ),
    _m(
        "loss_cost",
        "quadratic in d",
        False,
        ["test_loss_cost"],
        """def loss_cost(N, d):
    return N * d * d
""",
    ),
    _m(
        "loss_cost",
        "N + d instead of N d",
        False,
        ["test_loss_cost"],
        """def loss_cost(N, d):
    return N + d
""",
    ),
]

# The simulated class of test_grading.py: the first mistake of every answer cell.
WRONG = {}
for _case in MISTAKES:
    WRONG.setdefault(_case["cell"], (_case["source"], _case["tests"]))
