"""Subtly wrong answers for assignment a6_backprop (used by the simulated class).

WRONG maps a solution cell's grade_id to (replacement source of that cell, the test cells
that must then score 0). Every other test cell must keep full marks.
"""

WRONG = {
    # the hidden bias forgotten: right shape, wrong values
    "a6_forward": (
        """def mlp_forward(X, params):
    W1, b1, W2, b2 = params
    return np.tanh(X @ W1) @ W2 + b2
""",
        ["a6_forward_test_values"],
    ),
    # a wrong sign in the derivative of tanh: only the hidden-layer gradients are off
    "a6_backward": (
        """def mlp_loss_and_grads(X, y, params):
    W1, b1, W2, b2 = params
    N = X.shape[0]
    H = np.tanh(X @ W1 + b1)
    Z2 = H @ W2 + b2
    shifted = Z2 - Z2.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_p[np.arange(N), y].mean()
    dZ2 = np.exp(log_p)
    dZ2[np.arange(N), y] -= 1.0
    dZ2 /= N
    dZ1 = (dZ2 @ W2.T) * (1.0 + H**2)
    return float(loss), [X.T @ dZ1, dZ1.sum(axis=0), H.T @ dZ2, dZ2.sum(axis=0)]
""",
        ["a6_backward_test_hidden_grads"],
    ),
    # forward differences: an error of order h instead of h**2
    "a6_gradcheck": (
        """def numerical_gradient(f, x, h=1e-5):
    x = np.asarray(x, dtype=float)
    grad = np.zeros_like(x)
    f_x = f(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        grad[i] = (f(x) - f_x) / h
        x[i] = old
    return grad
""",
        ["a6_gradcheck_test_values"],
    ),
    # a wrong sign in the update: gradient ascent
    "a6_train": (
        """def train(X, y, params, lr=0.5, epochs=100, grad_fn=None):
    if grad_fn is None:
        grad_fn = mlp_loss_and_grads
    params = [np.array(p, dtype=float) for p in params]
    losses = []
    for _ in range(epochs):
        loss, grads = grad_fn(X, y, params)
        losses.append(float(loss))
        params = [p + lr * g for p, g in zip(params, grads)]
    return params, losses
""",
        ["a6_train_test_loss", "a6_train_test_accuracy"],
    ),
}
