# ruff: noqa: E501 - the mistaken cells are quoted as students write them
"""Typical mistakes for assignment a6_backprop (format: see a1_information.py)."""


def _m(cell, mistake, public, tests, source, targets=None):
    case = {"cell": cell, "mistake": mistake, "public": public, "tests": tests, "source": source}
    return case if targets is None else {**case, "targets": targets}


MISTAKES = [
    _m(
        "a6_forward",
        "the hidden bias forgotten: right shape, wrong values",
        True,
        ["a6_forward_test_values"],
        "def mlp_forward(X, params):\n    W1, b1, W2, b2 = params\n    return np.tanh(X @ W1) @ W2 + b2\n",
    ),
    _m(
        "a6_backward",
        "a wrong sign in the derivative of tanh: only the hidden-layer gradients are off",
        True,
        ["a6_backward_test_hidden_grads"],
        "def mlp_loss_and_grads(X, y, params):\n    W1, b1, W2, b2 = params\n    N = X.shape[0]\n    H = np.tanh(X @ W1 + b1)\n    Z2 = H @ W2 + b2\n    shifted = Z2 - Z2.max(axis=1, keepdims=True)\n    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))\n    loss = -log_p[np.arange(N), y].mean()\n    dZ2 = np.exp(log_p)\n    dZ2[np.arange(N), y] -= 1.0\n    dZ2 /= N\n    dZ1 = (dZ2 @ W2.T) * (1.0 + H**2)\n    return float(loss), [X.T @ dZ1, dZ1.sum(axis=0), H.T @ dZ2, dZ2.sum(axis=0)]\n",
    ),
    _m(
        "a6_gradcheck",
        "forward differences: an error of order h instead of h**2",
        True,
        ["a6_gradcheck_test_values"],
        "def numerical_gradient(f, x, h=1e-5):\n    x = np.asarray(x, dtype=float)\n    grad = np.zeros_like(x)\n    f_x = f(x)\n    for i in np.ndindex(x.shape):\n        old = x[i]\n        x[i] = old + h\n        grad[i] = (f(x) - f_x) / h\n        x[i] = old\n    return grad\n",
    ),
    _m(
        "a6_train",
        "a wrong sign in the update: gradient ascent",
        True,
        ["a6_train_test_accuracy", "a6_train_test_loss"],
        "def train(X, y, params, lr=0.5, epochs=100, grad_fn=None):\n    if grad_fn is None:\n        grad_fn = mlp_loss_and_grads\n    params = [np.array(p, dtype=float) for p in params]\n    losses = []\n    for _ in range(epochs):\n        loss, grads = grad_fn(X, y, params)\n        losses.append(float(loss))\n        params = [p + lr * g for p, g in zip(params, grads)]\n    return params, losses\n",
    ),
    _m(
        "a6_forward",
        "sigmoid instead of tanh",
        True,
        ["a6_forward_test_values"],
        "def mlp_forward(X, params):\n    W1, b1, W2, b2 = params\n    return (1 / (1 + np.exp(-(X @ W1 + b1)))) @ W2 + b2\n",
    ),
    _m(
        "a6_forward",
        "softmax applied to the logits",
        True,
        ["a6_forward_test_values"],
        "def mlp_forward(X, params):\n    W1, b1, W2, b2 = params\n    Z = np.tanh(X @ W1 + b1) @ W2 + b2\n    e = np.exp(Z - Z.max(axis=1, keepdims=True))\n    return e / e.sum(axis=1, keepdims=True)\n",
    ),
    _m(
        "a6_backward",
        "the 1/N forgotten: gradients N times too large",
        True,
        ["a6_backward_test_hidden_grads", "a6_backward_test_output_grads"],
        "def mlp_loss_and_grads(X, y, params):\n    W1, b1, W2, b2 = params\n    N = X.shape[0]\n    H = np.tanh(X @ W1 + b1)\n    Z2 = H @ W2 + b2\n    shifted = Z2 - Z2.max(axis=1, keepdims=True)\n    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))\n    loss = -log_p[np.arange(N), y].mean()\n    dZ2 = np.exp(log_p)\n    dZ2[np.arange(N), y] -= 1.0\n    dZ1 = (dZ2 @ W2.T) * (1.0 - H**2)\n    return float(loss), [X.T @ dZ1, dZ1.sum(axis=0), H.T @ dZ2, dZ2.sum(axis=0)]\n",
    ),
    _m(
        "a6_backward",
        "the bias gradients not summed over the batch (the mean)",
        True,
        ["a6_backward_test_hidden_grads", "a6_backward_test_output_grads"],
        "def mlp_loss_and_grads(X, y, params):\n    W1, b1, W2, b2 = params\n    N = X.shape[0]\n    H = np.tanh(X @ W1 + b1)\n    Z2 = H @ W2 + b2\n    shifted = Z2 - Z2.max(axis=1, keepdims=True)\n    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))\n    loss = -log_p[np.arange(N), y].mean()\n    dZ2 = np.exp(log_p)\n    dZ2[np.arange(N), y] -= 1.0\n    dZ2 /= N\n    dZ1 = (dZ2 @ W2.T) * (1.0 - H**2)\n    return float(loss), [X.T @ dZ1, dZ1.mean(axis=0), H.T @ dZ2, dZ2.mean(axis=0)]\n",
    ),
    _m(
        "a6_backward",
        "the loss without the max shift: overflow for large logits",
        False,
        ["a6_backward_test_loss"],
        "def mlp_loss_and_grads(X, y, params):\n    W1, b1, W2, b2 = params\n    N = X.shape[0]\n    H = np.tanh(X @ W1 + b1)\n    Z2 = H @ W2 + b2\n    shifted = Z2\n    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))\n    loss = -log_p[np.arange(N), y].mean()\n    dZ2 = np.exp(log_p)\n    dZ2[np.arange(N), y] -= 1.0\n    dZ2 /= N\n    dZ1 = (dZ2 @ W2.T) * (1.0 - H**2)\n    return float(loss), [X.T @ dZ1, dZ1.sum(axis=0), H.T @ dZ2, dZ2.sum(axis=0)]\n",
    ),
    _m(
        "a6_gradcheck",
        "x not restored after the loop",
        True,
        ["a6_gradcheck_test_input_unchanged", "a6_gradcheck_test_values"],
        "def numerical_gradient(f, x, h=1e-5):\n    x = np.asarray(x, dtype=float)\n    grad = np.zeros_like(x)\n    for i in np.ndindex(x.shape):\n        old = x[i]\n        x[i] = old + h\n        f_plus = f(x)\n        x[i] = old - h\n        f_minus = f(x)\n        grad[i] = (f_plus - f_minus) / (2 * h)\n    return grad\n",
    ),
    _m(
        "a6_gradcheck",
        "divided by h instead of 2h",
        True,
        ["a6_gradcheck_test_values"],
        "def numerical_gradient(f, x, h=1e-5):\n    x = np.asarray(x, dtype=float)\n    grad = np.zeros_like(x)\n    for i in np.ndindex(x.shape):\n        old = x[i]\n        x[i] = old + h\n        f_plus = f(x)\n        x[i] = old - h\n        f_minus = f(x)\n        x[i] = old\n        grad[i] = (f_plus - f_minus) / h\n    return grad\n",
    ),
    _m(
        "a6_train",
        "params updated in place (the rule)",
        True,
        ["a6_train_test_loss"],
        "def train(X, y, params, lr=0.5, epochs=100, grad_fn=None):\n    if grad_fn is None:\n        grad_fn = mlp_loss_and_grads\n    losses = []\n    for _ in range(epochs):\n        loss, grads = grad_fn(X, y, params)\n        losses.append(float(loss))\n        for p, g in zip(params, grads):\n            p -= lr * g\n    return params, losses\n",
    ),
    _m(
        "a6_train",
        "the loss recorded once, not per epoch",
        True,
        ["a6_train_test_loss"],
        "def train(X, y, params, lr=0.5, epochs=100, grad_fn=None):\n    if grad_fn is None:\n        grad_fn = mlp_loss_and_grads\n    params = [np.array(p, dtype=float) for p in params]\n    for _ in range(epochs):\n        loss, grads = grad_fn(X, y, params)\n        params = [p - lr * g for p, g in zip(params, grads)]\n    return params, [float(loss)]\n",
    ),
]

# The simulated class of test_grading.py: the first mistake of every answer cell.
WRONG = {}
for _case in MISTAKES:
    WRONG.setdefault(_case["cell"], (_case["source"], _case["tests"]))
