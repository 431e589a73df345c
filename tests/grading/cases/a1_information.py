# ruff: noqa: E501 - the mistaken cells are quoted as students write them
"""Typical mistakes for assignment a1_information (the catalogue of tests/grading/).

MISTAKES lists, for every answer cell, the mistakes students typically make: ``cell`` the
answer cell's grade_id, ``mistake`` what was done wrong, ``public`` whether a public test
of the question must catch it, ``tests`` exactly the autograded test cells that must then
score 0 (every other test cell keeps its points), ``source`` the mistaken cell.
tests/grading/test_mistakes.py checks all of that in-process for 200 student ids;
WRONG (the first mistake of every cell) is the simulated class of test_grading.py.
"""


def _m(cell, mistake, public, tests, source):
    return {"cell": cell, "mistake": mistake, "public": public, "tests": tests, "source": source}


_ENTROPY = ["test_entropy_values", "test_entropy_hidden"]
_CE = ["test_cross_entropy_values", "test_cross_entropy_hidden"]
_KL = ["test_kl_values", "test_kl_hidden"]

MISTAKES = [
    _m(
        "entropy",
        "0 log 0 not handled: nan for distributions with zeros",
        True,
        _ENTROPY,
        """def entropy(p, base=None):
    p = np.asarray(p, dtype=float)
    h = -np.sum(p * np.log(p), axis=-1)
    if base is not None:
        h = h / np.log(base)
    return h
""",
    ),
    _m(
        "entropy",
        "log base 2 always (base ignored)",
        True,
        _ENTROPY,
        """def entropy(p, base=None):
    p = np.asarray(p, dtype=float)
    return -np.sum(np.where(p > 0, p * np.log2(np.where(p > 0, p, 1.0)), 0.0), axis=-1)
""",
    ),
    _m(
        "entropy",
        "multiplies by log(base) instead of dividing",
        True,
        _ENTROPY,
        """def entropy(p, base=None):
    p = np.asarray(p, dtype=float)
    h = -np.sum(p * np.log(np.where(p > 0, p, 1.0)), axis=-1)
    return h if base is None else h * np.log(base)
""",
    ),
    _m(
        "entropy",
        "sums over the first axis instead of the last",
        True,
        ["test_entropy_hidden"],
        """def entropy(p, base=None):
    p = np.asarray(p, dtype=float)
    h = -np.sum(p * np.log(np.where(p > 0, p, 1.0)), axis=0)
    return h if base is None else h / np.log(base)
""",
    ),
    _m(
        "entropy",
        "the minus sign forgotten",
        True,
        _ENTROPY,
        """def entropy(p, base=None):
    p = np.asarray(p, dtype=float)
    h = np.sum(p * np.log(np.where(p > 0, p, 1.0)), axis=-1)
    return h if base is None else h / np.log(base)
""",
    ),
    _m(
        "entropy",
        "uses scipy.stats.entropy",
        True,
        ["test_entropy_hidden"],
        """def entropy(p, base=None):
    import scipy.stats
    return scipy.stats.entropy(np.asarray(p, dtype=float), base=base, axis=-1)
""",
    ),
    _m(
        "cross_entropy",
        "arguments swapped: H(Q, P) instead of H(P, Q)",
        True,
        [*_CE, "test_bce_via_cross_entropy", "test_ml_curves_hidden"],
        """def cross_entropy(p, q, base=None):
    p, q = np.asarray(q, dtype=float), np.asarray(p, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(q), 0.0)
    h = -np.sum(terms, axis=-1)
    if base is not None:
        h = h / np.log(base)
    return h
""",
    ),
    _m(
        "cross_entropy",
        "no guard for p = 0: 0 * log 0 is nan",
        True,
        _CE,
        """def cross_entropy(p, q, base=None):
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -np.sum(p * np.log(q), axis=-1)
    return h if base is None else h / np.log(base)
""",
    ),
    _m(
        "cross_entropy",
        "q clipped with an eps: finite where it must be inf",
        True,
        _CE,
        """def cross_entropy(p, q, base=None):
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    h = -np.sum(p * np.log(np.clip(q, 1e-12, 1.0)), axis=-1)
    return h if base is None else h / np.log(base)
""",
    ),
    _m(
        "cross_entropy",
        "sums over every axis: one number for a batch",
        True,
        [
            "test_cross_entropy_hidden",
            "test_bce_via_cross_entropy",
            "test_ml_curves_shapes",
            "test_ml_curves_hidden",
        ],
        """def cross_entropy(p, q, base=None):
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -np.sum(np.where(p > 0, p * np.log(q), 0.0))
    return h if base is None else h / np.log(base)
""",
    ),
    _m(
        "kl_divergence",
        "sign error: sum p log(q / p)",
        True,
        [*_KL, "test_ml_curves_hidden"],
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
    ),
    _m(
        "kl_divergence",
        "no guard for p = 0: nan",
        True,
        ["test_kl_values"],
        """def kl_divergence(p, q, base=None):
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.sum(p * np.log(p / q), axis=-1)
    return d if base is None else d / np.log(base)
""",
    ),
    _m(
        "kl_divergence",
        "base ignored",
        True,
        _KL,
        """def kl_divergence(p, q, base=None):
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sum(np.where(p > 0, p * (np.log(np.where(p > 0, p, 1.0)) - np.log(q)), 0.0), axis=-1)
""",
    ),
    _m(
        "mean_bce",
        "sum instead of mean: right for one point only",
        True,
        ["test_mean_bce_values", "test_mean_bce_hidden", "test_preference"],
        """def mean_bce(y_hat, y):
    y_hat = np.asarray(y_hat, dtype=float)
    y = np.asarray(y, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        pos = np.where(y > 0, y * np.log(y_hat), 0.0)
        neg = np.where(y < 1, (1 - y) * np.log(1 - y_hat), 0.0)
    return -np.sum(pos + neg)
""",
    ),
    _m(
        "mean_bce",
        "eps clipping: a confident mistake costs a finite loss",
        True,
        ["test_mean_bce_values", "test_mean_bce_hidden", "test_preference"],
        """def mean_bce(y_hat, y):
    y_hat = np.clip(np.asarray(y_hat, dtype=float), 1e-12, 1 - 1e-12)
    y = np.asarray(y, dtype=float)
    return -np.mean(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))
""",
    ),
    _m(
        "mean_bce",
        "no guard: nan for a confident right prediction",
        True,
        ["test_mean_bce_values", "test_mean_bce_hidden", "test_preference"],
        """def mean_bce(y_hat, y):
    y_hat, y = np.asarray(y_hat, dtype=float), np.asarray(y, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.mean(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))
""",
    ),
    _m(
        "mean_bce",
        "log base 2",
        True,
        ["test_mean_bce_values", "test_mean_bce_hidden", "test_preference"],
        """def mean_bce(y_hat, y):
    y_hat, y = np.asarray(y_hat, dtype=float), np.asarray(y, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        pos = np.where(y > 0, y * np.log2(y_hat), 0.0)
        neg = np.where(y < 1, (1 - y) * np.log2(1 - y_hat), 0.0)
    return -np.mean(pos + neg)
""",
    ),
    _m(
        "preference",
        "the wrong choice",
        True,
        ["test_preference"],
        """y_data = np.array([0, 1])
loss_1 = mean_bce(np.array([1.0, 1.0]), y_data)
loss_2 = mean_bce(np.array([0.5, 0.5]), y_data)
preferred = 1
""",
    ),
    _m(
        "preference",
        "the predictions swapped",
        True,
        ["test_preference"],
        """y_data = np.array([0, 1])
loss_1 = mean_bce(np.array([0.5, 0.5]), y_data)
loss_2 = mean_bce(np.array([1.0, 1.0]), y_data)
preferred = 1
""",
    ),
    _m(
        "bce_via_cross_entropy",
        "the two classes swapped in P",
        True,
        ["test_bce_via_cross_entropy"],
        """def bce_via_cross_entropy(y_hat, y):
    y_hat = np.asarray(y_hat, dtype=float)
    y = np.asarray(y, dtype=float)
    P = np.stack([y, 1 - y], axis=-1)
    Q = np.stack([1 - y_hat, y_hat], axis=-1)
    return np.mean(cross_entropy(P, Q))
""",
    ),
    _m(
        "bce_via_cross_entropy",
        "sum over the data set instead of the mean",
        True,
        ["test_bce_via_cross_entropy"],
        """def bce_via_cross_entropy(y_hat, y):
    y_hat, y = np.asarray(y_hat, dtype=float), np.asarray(y, dtype=float)
    return np.sum(cross_entropy(np.stack([1 - y, y], -1), np.stack([1 - y_hat, y_hat], -1)))
""",
    ),
    _m(
        "bce_via_cross_entropy",
        "the BCE formula instead of cross_entropy (rule)",
        True,
        ["test_bce_via_cross_entropy"],
        """def bce_via_cross_entropy(y_hat, y):
    y_hat, y = np.asarray(y_hat, dtype=float), np.asarray(y, dtype=float)
    return -np.mean(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))
""",
    ),
    _m(
        "ml_curves",
        "the average NLL in bits while the rest is in nats",
        True,
        ["test_ml_curves_hidden"],
        """def ml_curves(y, thetas):
    y = np.asarray(y, dtype=float)
    thetas = np.asarray(thetas, dtype=float)
    t = thetas[..., None]
    nll = -np.mean(y * np.log2(t) + (1 - y) * np.log2(1 - t), axis=-1)
    p_data = np.array([1 - y.mean(), y.mean()])
    models = np.stack([1 - thetas, thetas], axis=-1)
    return nll, cross_entropy(p_data, models), kl_divergence(p_data, models)
""",
    ),
    _m(
        "ml_curves",
        "the NLL summed over the flips",
        True,
        ["test_ml_curves_hidden"],
        """def ml_curves(y, thetas):
    y, thetas = np.asarray(y, dtype=float), np.asarray(thetas, dtype=float)
    t = thetas[..., None]
    nll = -np.sum(y * np.log(t) + (1 - y) * np.log(1 - t), axis=-1)
    p_data = np.array([1 - y.mean(), y.mean()])
    models = np.stack([1 - thetas, thetas], axis=-1)
    return nll, cross_entropy(p_data, models), kl_divergence(p_data, models)
""",
    ),
    _m(
        "ml_curves",
        "the empirical distribution the wrong way round",
        True,
        ["test_ml_curves_hidden"],
        """def ml_curves(y, thetas):
    y, thetas = np.asarray(y, dtype=float), np.asarray(thetas, dtype=float)
    t = thetas[..., None]
    nll = -np.mean(y * np.log(t) + (1 - y) * np.log(1 - t), axis=-1)
    p_data = np.array([y.mean(), 1 - y.mean()])
    models = np.stack([1 - thetas, thetas], axis=-1)
    return nll, cross_entropy(p_data, models), kl_divergence(p_data, models)
""",
    ),
    _m(
        "ml_curves",
        "arguments of the cross-entropy and the KL swapped",
        True,
        ["test_ml_curves_hidden"],
        """def ml_curves(y, thetas):
    y, thetas = np.asarray(y, dtype=float), np.asarray(thetas, dtype=float)
    t = thetas[..., None]
    nll = -np.mean(y * np.log(t) + (1 - y) * np.log(1 - t), axis=-1)
    p_data = np.array([1 - y.mean(), y.mean()])
    models = np.stack([1 - thetas, thetas], axis=-1)
    return nll, cross_entropy(models, p_data), kl_divergence(models, p_data)
""",
    ),
]

# The simulated class of test_grading.py: the first mistake of every answer cell.
WRONG = {}
for _case in MISTAKES:
    WRONG.setdefault(_case["cell"], (_case["source"], _case["tests"]))
