"""Subtly wrong answers for assignment a1_information (see tests/grading/test_grading.py).

WRONG maps a solution cell's grade_id to (replacement source of that cell, the autograded
test cells that must then score 0); every other test cell must keep full marks.
"""

WRONG = {
    # 0 log 0 not handled: nan for distributions with zeros.
    "entropy": (
        """def entropy(p, base=None):
    p = np.asarray(p, dtype=float)
    h = -np.sum(p * np.log(p), axis=-1)
    if base is not None:
        h = h / np.log(base)
    return h
""",
        ["test_entropy_values", "test_entropy_hidden"],
    ),
    # Arguments swapped: H(Q, P) instead of H(P, Q).
    "cross_entropy": (
        """def cross_entropy(p, q, base=None):
    p, q = np.asarray(q, dtype=float), np.asarray(p, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(q), 0.0)
    h = -np.sum(terms, axis=-1)
    if base is not None:
        h = h / np.log(base)
    return h
""",
        [
            "test_cross_entropy_values",
            "test_cross_entropy_hidden",
            "test_bce_via_cross_entropy",
            "test_ml_curves_hidden",
        ],
    ),
    # Sign error: sum p log(q / p).
    "kl_divergence": (
        """def kl_divergence(p, q, base=None):
    p = np.asarray(p, dtype=float)
    q = np.asarray(q, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * (np.log(q) - np.log(np.where(p > 0, p, 1.0))), 0.0)
    d = np.sum(terms, axis=-1)
    if base is not None:
        d = d / np.log(base)
    return d
""",
        ["test_kl_values", "test_kl_hidden", "test_ml_curves_hidden"],
    ),
    # Sum instead of mean: right for one point, wrong for a data set.
    "mean_bce": (
        """def mean_bce(y_hat, y):
    y_hat = np.asarray(y_hat, dtype=float)
    y = np.asarray(y, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        pos = np.where(y > 0, y * np.log(y_hat), 0.0)
        neg = np.where(y < 1, (1 - y) * np.log(1 - y_hat), 0.0)
    return -np.sum(pos + neg)
""",
        ["test_mean_bce_hidden", "test_preference"],
    ),
    # The wrong choice.
    "preference": (
        """y_data = np.array([0, 1])
loss_1 = mean_bce(np.array([1.0, 1.0]), y_data)
loss_2 = mean_bce(np.array([0.5, 0.5]), y_data)
preferred = 1
""",
        ["test_preference"],
    ),
    # The two classes swapped in P.
    "bce_via_cross_entropy": (
        """def bce_via_cross_entropy(y_hat, y):
    y_hat = np.asarray(y_hat, dtype=float)
    y = np.asarray(y, dtype=float)
    P = np.stack([y, 1 - y], axis=-1)
    Q = np.stack([1 - y_hat, y_hat], axis=-1)
    return np.mean(cross_entropy(P, Q))
""",
        ["test_bce_via_cross_entropy"],
    ),
    # The average NLL in bits while the rest is in nats.
    "ml_curves": (
        """def ml_curves(y, thetas):
    y = np.asarray(y, dtype=float)
    thetas = np.asarray(thetas, dtype=float)
    t = thetas[..., None]
    nll = -np.mean(y * np.log2(t) + (1 - y) * np.log2(1 - t), axis=-1)
    p_data = np.array([1 - y.mean(), y.mean()])
    models = np.stack([1 - thetas, thetas], axis=-1)
    return nll, cross_entropy(p_data, models), kl_divergence(p_data, models)
""",
        ["test_ml_curves_hidden"],
    ),
}
