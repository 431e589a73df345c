"""Typical mistakes for assignment a3_perceptron (format: see a1_information.py)."""


def _m(cell, mistake, public, tests, source):
    return {"cell": cell, "mistake": mistake, "public": public, "tests": tests, "source": source}


_FIT = ["test_fit_gates", "test_fit_hidden"]
_FIT_SRC = """def perceptron_fit(X, y, lr=1.0, max_epochs=100):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.zeros(X.shape[1])
    b = 0.0
    errors = []
    total = 0
    for _ in range(max_epochs):
        mistakes = 0
        for x_n, y_n in zip(X, y):
            h = 1.0 if x_n @ w + b >= 0 else 0.0
            if h != y_n:
{update}
                mistakes += 1
{record}
    return w, b, errors
"""
_UPDATE = """                w = w + lr * (y_n - h) * x_n
                b = b + lr * (y_n - h)"""
_RECORD = """        errors.append(mistakes)
        if mistakes == 0:
            break"""
_NET = """def sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=float)))


def two_layer_forward(X, W1, b1, w2, b2):
{body}
"""

MISTAKES = [
    _m(
        "perceptron_forward",
        "step(0) = 0 instead of 1 (> instead of >=)",
        True,
        ["test_forward_and", "test_forward_hidden"],
        """def perceptron_forward(X, w, b):
    z = np.asarray(X, dtype=float) @ np.asarray(w, dtype=float) + b
    return z, (z > 0).astype(float)
""",
    ),
    _m(
        "perceptron_forward",
        "the bias forgotten",
        True,
        ["test_forward_and", "test_forward_hidden"],
        """def perceptron_forward(X, w, b):
    z = np.asarray(X, dtype=float) @ np.asarray(w, dtype=float)
    return z, (z >= 0).astype(float)
""",
    ),
    _m(
        "perceptron_forward",
        "w @ X instead of X @ w: a shape error",
        True,
        ["test_forward_and", "test_forward_hidden"],
        """def perceptron_forward(X, w, b):
    z = np.asarray(w, dtype=float) @ np.asarray(X, dtype=float) + b
    return z, (z >= 0).astype(float)
""",
    ),
    _m(
        "perceptron_fit",
        "the bias is never updated",
        True,
        _FIT,
        _FIT_SRC.format(update="                w = w + lr * (y_n - h) * x_n", record=_RECORD),
    ),
    _m(
        "perceptron_fit",
        "the update with the wrong sign (h - y)",
        True,
        _FIT,
        _FIT_SRC.format(
            update="""                w = w + lr * (h - y_n) * x_n
                b = b + lr * (h - y_n)""",
            record=_RECORD,
        ),
    ),
    _m(
        "perceptron_fit",
        "never stops: runs max_epochs epochs",
        True,
        ["test_fit_gates"],
        _FIT_SRC.format(update=_UPDATE, record="        errors.append(mistakes)"),
    ),
    _m(
        "perceptron_fit",
        "errors counted cumulatively over the epochs",
        True,
        _FIT,
        _FIT_SRC.format(
            update=_UPDATE,
            record="""        total += mistakes
        errors.append(total)
        if mistakes == 0:
            break""",
        ),
    ),
    _m(
        "gate_weights",
        "the OR bias used for AND",
        True,
        ["test_and_weights"],
        """and_weights = (np.array([7.0, 7.0]), -5.0)
or_weights = (np.array([7.0, 7.0]), -5.0)
""",
    ),
    _m(
        "gate_weights",
        "a pre-activation exactly 0 for AND",
        True,
        ["test_and_weights"],
        """and_weights = (np.array([7.0, 7.0]), -7.0)
or_weights = (np.array([7.0, 7.0]), -5.0)
""",
    ),
    _m(
        "gate_weights",
        "OR with b = 0: z = 0 at the origin",
        True,
        ["test_or_weights"],
        """and_weights = (np.array([7.0, 7.0]), -9.0)
or_weights = (np.array([7.0, 7.0]), 0.0)
""",
    ),
    _m(
        "two_layer_forward",
        "a transposed weight matrix: X W1^T",
        True,
        ["test_two_layer_forward_hidden"],
        _NET.format(
            body="""    H = sigmoid(np.asarray(X, dtype=float) @ np.asarray(W1).T + b1)
    return sigmoid(H @ w2 + b2)"""
        ),
    ),
    _m(
        "two_layer_forward",
        "the hidden bias forgotten",
        True,
        ["test_two_layer_forward_hidden", "test_xor_network"],
        _NET.format(
            body="""    H = sigmoid(np.asarray(X, dtype=float) @ W1)
    return sigmoid(H @ w2 + b2)"""
        ),
    ),
    _m(
        "two_layer_forward",
        "no sigmoid on the output",
        True,
        ["test_two_layer_forward_hidden"],
        _NET.format(
            body="""    H = sigmoid(np.asarray(X, dtype=float) @ W1 + b1)
    return H @ w2 + b2"""
        ),
    ),
    _m(
        "xor_params",
        "the hidden biases forgotten",
        True,
        ["test_xor_network"],
        """W1 = np.array([[-7.0, 7.0], [7.0, -7.0]])
b1 = np.zeros(2)
w2 = np.array([7.0, 7.0])
b2 = -5.0
xor_params = (W1, b1, w2, b2)
""",
    ),
    _m(
        "xor_params",
        "an AND on top instead of an OR",
        True,
        ["test_xor_network"],
        """W1 = np.array([[-7.0, 7.0], [7.0, -7.0]])
b1 = np.array([-3.0, -3.0])
w2 = np.array([7.0, 7.0])
b2 = -9.0
xor_params = (W1, b1, w2, b2)
""",
    ),
    _m(
        "perceptron_cost",
        "linear in N + d instead of N d",
        False,
        ["test_perceptron_cost"],
        """def perceptron_cost(N, d):
    return N + d
""",
    ),
    _m(
        "perceptron_cost",
        "quadratic in d",
        False,
        ["test_perceptron_cost"],
        """def perceptron_cost(N, d):
    return N * d * d
""",
    ),
    _m(
        "add_product_feature",
        "a sum where a product belongs",
        True,
        ["test_product_feature", "test_product_feature_hidden"],
        """def add_product_feature(X):
    X = np.asarray(X, dtype=float)
    return np.column_stack([X, X[:, 0] + X[:, 1]])
""",
    ),
    _m(
        "add_product_feature",
        "only the product column returned",
        True,
        ["test_product_feature", "test_product_feature_hidden"],
        """def add_product_feature(X):
    X = np.asarray(X, dtype=float)
    return (X[:, 0] * X[:, 1])[:, None]
""",
    ),
]

# The simulated class of test_grading.py: the first mistake of every answer cell.
WRONG = {}
for _case in MISTAKES:
    WRONG.setdefault(_case["cell"], (_case["source"], _case["tests"]))
