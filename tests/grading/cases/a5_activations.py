# ruff: noqa: E501 - the mistaken cells are quoted as students write them
"""Typical mistakes for assignment a5_activations (format: see a1_information.py)."""


def _m(cell, mistake, public, tests, source):
    return {"cell": cell, "mistake": mistake, "public": public, "tests": tests, "source": source}


MISTAKES = [
    _m(
        "a5_sigmoid_grad",
        "the textbook formula e^-z / (1 + e^-z)^2: inf / inf = nan at z = -1000",
        True,
        ["a5_sigmoid_grad_test"],
        "def sigmoid_grad(z):\n    e = np.exp(-np.asarray(z, dtype=float))\n    return e / (1.0 + e) ** 2\n",
    ),
    _m(
        "a5_tanh_grad",
        "a wrong sign: 1 + tanh^2",
        True,
        ["a5_tanh_grad_test"],
        "def tanh_grad(z):\n    return 1.0 + np.tanh(z) ** 2\n",
    ),
    _m(
        "a5_relu_grad",
        "off at the kink: relu_grad(0) = 1 instead of 0",
        True,
        ["a5_relu_grad_test"],
        "def relu_grad(z):\n    return (np.asarray(z) >= 0).astype(float)\n",
    ),
    _m(
        "a5_leaky_relu_grad",
        "a wrong sign on the negative side",
        True,
        ["a5_leaky_relu_grad_test"],
        "def leaky_relu_grad(z, alpha=0.01):\n    return np.where(np.asarray(z) > 0, 1.0, -alpha)\n",
    ),
    _m(
        "a5_elu_grad",
        "the function alpha (e^z - 1) instead of its derivative alpha e^z",
        True,
        ["a5_elu_grad_test"],
        "def elu_grad(z, alpha=1.0):\n    z = np.asarray(z, dtype=float)\n    return np.where(z > 0, 1.0, alpha * np.expm1(np.minimum(z, 0.0)))\n",
    ),
    _m(
        "a5_softplus_grad",
        "e^z / (1 + e^z) computed naively: inf / inf = nan at z = 1000",
        True,
        ["a5_softplus_grad_test"],
        "def softplus_grad(z):\n    e = np.exp(np.asarray(z, dtype=float))\n    return e / (1.0 + e)\n",
    ),
    _m(
        "a5_swish_grad",
        "the inner derivative beta forgotten (right only for beta = 1)",
        True,
        ["a5_swish_grad_test"],
        "def swish_grad(z, beta=1.0):\n    s = sigmoid(beta * np.asarray(z, dtype=float))\n    return s + z * s * (1.0 - s)\n",
    ),
    _m(
        "a5_softmax",
        "no max shift: overflows for large logits",
        True,
        ["a5_softmax_test_stable"],
        "def softmax(z, axis=-1):\n    e = np.exp(np.asarray(z, dtype=float))\n    return e / np.sum(e, axis=axis, keepdims=True)\n",
    ),
    _m(
        "a5_log_softmax",
        "no max shift inside the log-sum-exp: overflows for large logits",
        True,
        ["a5_log_softmax_test_stable"],
        "def log_softmax(z, axis=-1):\n    z = np.asarray(z, dtype=float)\n    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))\n",
    ),
    _m(
        "a5_pairings",
        "a sigmoid output trained with squared error",
        False,
        ["a5_pairings_test_classification"],
        'def output_pairings():\n    return {\n        "regression": ("identity", "mean squared error"),\n        "regression with k outputs": ("identity", "mean squared error"),\n        "binary classification": ("sigmoid", "mean squared error"),\n        "multi-class classification": ("softmax", "categorical cross-entropy"),\n    }\n',
    ),
    _m(
        "a5_categorical_ce",
        "summed over the batch instead of averaged",
        True,
        ["a5_categorical_ce_test"],
        "def categorical_cross_entropy(P, Y):\n    P, Y = np.asarray(P, dtype=float), np.asarray(Y, dtype=float)\n    return float(-np.sum(Y * np.log(np.where(Y > 0, P, 1.0))))\n",
    ),
    _m(
        "a5_to_two_class",
        "the probability columns in the wrong order",
        True,
        ["a5_to_two_class_test"],
        "def to_two_class(y_hat, y):\n    y_hat, y = np.asarray(y_hat, dtype=float), np.asarray(y, dtype=float)\n    return np.stack([y_hat, 1.0 - y_hat], axis=1), np.stack([1.0 - y, y], axis=1)\n",
    ),
    _m(
        "a5_two_class_logits",
        "the logits in the wrong columns (the sign of z flipped)",
        True,
        ["a5_two_class_logits_test"],
        "def two_class_logits(z):\n    z = np.asarray(z, dtype=float)\n    return np.stack([z, np.zeros_like(z)], axis=1)\n",
    ),
    _m(
        "a5_sigmoid_grad",
        "sigma'(z) = sigma(z) (1 + sigma(z))",
        True,
        ["a5_sigmoid_grad_test"],
        "def sigmoid_grad(z):\n    s = sigmoid(z)\n    return s * (1.0 + s)\n",
    ),
    _m(
        "a5_tanh_grad",
        "1 - tanh(z) instead of 1 - tanh(z)^2",
        True,
        ["a5_tanh_grad_test"],
        "def tanh_grad(z):\n    return 1.0 - np.tanh(z)\n",
    ),
    _m(
        "a5_relu_grad",
        "returns a bool array of the wrong shape (flattened)",
        True,
        ["a5_relu_grad_test"],
        "def relu_grad(z):\n    return (np.asarray(z) > 0).astype(float).ravel()\n",
    ),
    _m(
        "a5_leaky_relu_grad",
        "alpha ignored (always 0.01)",
        True,
        ["a5_leaky_relu_grad_test"],
        "def leaky_relu_grad(z, alpha=0.01):\n    return np.where(np.asarray(z) > 0, 1.0, 0.01)\n",
    ),
    _m(
        "a5_elu_grad",
        "the derivative e^z overflows for z = 1000",
        True,
        ["a5_elu_grad_test"],
        'def elu_grad(z, alpha=1.0):\n    z = np.asarray(z, dtype=float)\n    with np.errstate(over="ignore", invalid="ignore"):\n        return np.where(z > 0, 1.0, alpha * np.exp(z)) * (np.exp(z) * 0 + 1)\n',
    ),
    _m(
        "a5_softplus_grad",
        "the function ln(1 + e^z) instead of its derivative",
        True,
        ["a5_softplus_grad_test"],
        "def softplus_grad(z):\n    return np.logaddexp(0.0, np.asarray(z, dtype=float))\n",
    ),
    _m(
        "a5_swish_grad",
        "only sigma(beta z): the product rule forgotten",
        True,
        ["a5_swish_grad_test"],
        "def swish_grad(z, beta=1.0):\n    return sigmoid(beta * np.asarray(z, dtype=float))\n",
    ),
    _m(
        "a5_softmax",
        "normalised over every entry (axis ignored)",
        True,
        ["a5_softmax_test_stable", "a5_softmax_test_values"],
        "def softmax(z, axis=-1):\n    z = np.asarray(z, dtype=float)\n    e = np.exp(z - np.max(z))\n    return e / np.sum(e)\n",
    ),
    _m(
        "a5_softmax",
        "the max shift of the whole array: underflow for rows far apart",
        False,
        ["a5_softmax_test_stable"],
        "def softmax(z, axis=-1):\n    z = np.asarray(z, dtype=float)\n    e = np.exp(z - np.max(z))\n    return e / np.sum(e, axis=axis, keepdims=True)\n",
    ),
    _m(
        "a5_log_softmax",
        "the log of the softmax: -inf for very negative scores",
        True,
        ["a5_log_softmax_test_stable"],
        'def log_softmax(z, axis=-1):\n    z = np.asarray(z, dtype=float)\n    e = np.exp(z - np.max(z, axis=axis, keepdims=True))\n    with np.errstate(divide="ignore"):\n        return np.log(e / np.sum(e, axis=axis, keepdims=True))\n',
    ),
    _m(
        "a5_pairings",
        "binary and categorical cross-entropy swapped",
        True,
        ["a5_pairings_test_classification"],
        'def output_pairings():\n    return {\n        "regression": ("identity", "mean squared error"),\n        "regression with k outputs": ("identity", "mean squared error"),\n        "binary classification": ("sigmoid", "categorical cross-entropy"),\n        "multi-class classification": ("softmax", "binary cross-entropy"),\n    }\n',
    ),
    _m(
        "a5_pairings",
        "a sigmoid output for regression",
        False,
        ["a5_pairings_test_regression"],
        """def output_pairings():
    return {
        "regression": ("sigmoid", "mean squared error"),
        "regression with k outputs": ("sigmoid", "mean squared error"),
        "binary classification": ("sigmoid", "binary cross-entropy"),
        "multi-class classification": ("softmax", "categorical cross-entropy"),
    }
""",
    ),
    _m(
        "a5_categorical_ce",
        "nan for exact zeros in P (0 log 0)",
        True,
        ["a5_categorical_ce_test"],
        'def categorical_cross_entropy(P, Y):\n    P, Y = np.asarray(P, dtype=float), np.asarray(Y, dtype=float)\n    with np.errstate(divide="ignore", invalid="ignore"):\n        return float(-np.sum(Y * np.log(P)) / P.shape[0])\n',
    ),
    _m(
        "a5_to_two_class",
        "the targets Y not one-hot (the labels repeated)",
        True,
        ["a5_to_two_class_test"],
        "def to_two_class(y_hat, y):\n    y_hat, y = np.asarray(y_hat, dtype=float), np.asarray(y, dtype=float)\n    return np.stack([1.0 - y_hat, y_hat], axis=1), np.stack([y, y], axis=1)\n",
    ),
    _m(
        "a5_two_class_logits",
        "logits (-z, z): the softmax gives sigma(2 z)",
        True,
        ["a5_two_class_logits_test"],
        "def two_class_logits(z):\n    z = np.asarray(z, dtype=float)\n    return np.stack([-z, z], axis=1)\n",
    ),
]

# The simulated class of test_grading.py: the first mistake of every answer cell.
WRONG = {}
for _case in MISTAKES:
    WRONG.setdefault(_case["cell"], (_case["source"], _case["tests"]))
