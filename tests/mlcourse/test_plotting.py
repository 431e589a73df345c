"""Tests of mlcourse.plotting: every helper draws, returns its Axes and never shows."""

import importlib
import subprocess
import sys

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt

from mlcourse import plotting


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def no_show(monkeypatch):
    """Fail if any helper calls plt.show()."""

    def _fail(*args, **kwargs):
        raise AssertionError("plotting helpers must never call plt.show()")

    monkeypatch.setattr(plt, "show", _fail)


def _xor_like(rng):
    X = rng.normal(size=(40, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    return X, y


def test_import_does_not_import_matplotlib():
    code = (
        "import sys; import mlcourse.plotting; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported at import time'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_decision_boundary_labels(no_show):
    rng = np.random.default_rng(0)
    X, y = _xor_like(rng)
    ax = plotting.plot_decision_boundary(lambda P: (P[:, 0] > 0).astype(int), X, y)
    assert isinstance(ax, matplotlib.axes.Axes)
    # Two scatter layers (one per class) with every point drawn.
    offsets = [c.get_offsets() for c in ax.collections if hasattr(c, "get_offsets")]
    drawn = sum(len(o) for o in offsets if len(o) and np.asarray(o).shape[1] == 2)
    assert drawn >= len(X)
    labels = {t.get_text() for t in ax.legend().get_texts()}
    assert labels == {"y = 0", "y = 1"}
    x_lo, x_hi = ax.get_xlim()
    assert x_lo < X[:, 0].min() and x_hi > X[:, 0].max()


def test_decision_boundary_probabilities_and_given_axes(no_show):
    rng = np.random.default_rng(1)
    X, y = _xor_like(rng)
    fig, ax = plt.subplots()
    out = plotting.plot_decision_boundary(lambda P: 1 / (1 + np.exp(-P[:, 0])), X, y, ax=ax)
    assert out is ax
    assert len(fig.axes) == 1


def test_decision_boundary_accepts_column_output_and_pm1_labels(no_show):
    X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.5]])
    y = np.array([-1, 1, 1])
    ax = plotting.plot_decision_boundary(
        lambda P: np.where(P.sum(axis=1, keepdims=True) > 1, 1, -1), X, y
    )
    assert {t.get_text() for t in ax.legend().get_texts()} == {"y = -1", "y = 1"}


@pytest.mark.parametrize(
    ("X", "y", "message"),
    [
        (np.zeros((5, 3)), np.zeros(5), r"X: expected shape \(N, 2\)"),
        (np.zeros((5, 2)), np.zeros(4), r"y: expected shape \(5,\)"),
    ],
)
def test_decision_boundary_bad_input(X, y, message):
    with pytest.raises(ValueError, match=message):
        plotting.plot_decision_boundary(lambda P: P[:, 0] > 0, X, y)


def test_decision_boundary_bad_predict():
    X = np.zeros((3, 2))
    with pytest.raises(ValueError, match="predict: expected one output per point"):
        plotting.plot_decision_boundary(lambda P: np.zeros(7), X, np.array([0, 1, 0]))


def _activations():
    import mlcourse.activations

    return mlcourse.activations


def test_plot_activation_draws_function_and_derivative(no_show):
    activations = _activations()
    registry = activations.ACTIVATIONS
    name = "sigmoid" if "sigmoid" in registry else next(iter(registry))
    f, f_grad = registry[name]
    z = np.linspace(-3, 3, 61)
    ax = plotting.plot_activation(name, z=z)
    lines = [line for line in ax.get_lines() if len(line.get_xdata()) == len(z)]
    assert len(lines) == 2
    np.testing.assert_allclose(lines[0].get_ydata(), f(z))
    np.testing.assert_allclose(lines[1].get_ydata(), f_grad(z))
    assert ax.get_title() == name


def test_plot_activation_unknown_name_lists_known():
    _activations()
    with pytest.raises(ValueError, match=r"^name: unknown activation 'nope'; expected one of: "):
        plotting.plot_activation("nope")


def test_plot_activation_grid_covers_every_parameter_free_activation(no_show):
    activations = _activations()
    axes = plotting.plot_activation_grid(ncols=4)
    titles = [ax.get_title() for ax in axes.flat if ax.get_title()]
    assert len(titles) == len(set(titles)) >= 1
    assert set(titles) <= set(activations.ACTIVATIONS)
    assert axes.shape[1] == 4


def test_sigmoid_family(no_show):
    ax = plotting.plot_sigmoid_family((1.0, 3.0))
    curves = [line for line in ax.get_lines() if len(line.get_xdata()) > 2]
    assert len(curves) == 2
    u = curves[1].get_xdata()
    np.testing.assert_allclose(curves[1].get_ydata(), 1 / (1 + np.exp(-3.0 * u)), atol=1e-12)
    # Every member passes through (0, 0.5).
    for line in curves:
        assert np.interp(0.0, line.get_xdata(), line.get_ydata()) == pytest.approx(0.5)


def test_bce_loss_branches(no_show):
    ax = plotting.plot_bce_loss()
    one, zero = ax.get_lines()[:2]
    p = one.get_xdata()
    np.testing.assert_allclose(one.get_ydata(), -np.log(p))
    np.testing.assert_allclose(zero.get_ydata(), -np.log(1 - p))


def test_loss_curves_named_and_plain(no_show):
    ax = plotting.plot_loss_curves({"GD": [3.0, 2.0, 1.0], "SGD": [3.0, 2.5, 0.5, 0.4]})
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["GD", "SGD"]
    assert list(ax.get_lines()[1].get_xdata()) == [1, 2, 3, 4]
    ax = plotting.plot_loss_curves([1.0, 0.1, 0.01], logy=True)
    assert ax.get_yscale() == "log"
    assert ax.get_legend() is None


def test_sigmoid_surface_3d_and_contour(no_show):
    ax = plotting.plot_sigmoid_surface([7.0, 7.0], -9.0)
    assert ax.name == "3d"
    ax = plotting.plot_sigmoid_surface([7.0, 7.0], -9.0, kind="contour")
    assert ax.name == "rectilinear"
    assert "x_1" in ax.get_title()
    with pytest.raises(ValueError, match=r"w: expected shape \(2,\)"):
        plotting.plot_sigmoid_surface([1.0, 2.0, 3.0], 0.0)
    with pytest.raises(ValueError, match="kind"):
        plotting.plot_sigmoid_surface([1.0, 2.0], 0.0, kind="wireframe")


def test_matmul_shapes_writes_every_shape(no_show):
    ax = plotting.plot_matmul_shapes(2, 3, 4)
    texts = {t.get_text() for t in ax.texts}
    assert {"(2, 3)", "(3, 4)", "(2, 4)", "(1, 4) → (2, 4)"} <= texts
    assert {"$X$", "$W$", "$b$", "$Z$"} <= texts
    cells = [p for p in ax.patches if p.get_fill()]
    assert len(cells) == 2 * 4 + 2 * 3 + 3 * 4 + 2 * 4  # Z, X, W and b drawn at (2, 4)
    ax = plotting.plot_matmul_shapes(1, 3, 1, broadcast=False)
    assert "(1, 1)" in {t.get_text() for t in ax.texts}
    with pytest.raises(ValueError, match=r"^d is 0; expected a positive integer$"):
        plotting.plot_matmul_shapes(2, 0, 4)


def test_matrix_equation_draws_every_cell_and_shape(no_show):
    terms = [("$Z$", (2, 2)), "=", ("$W^T$", (2, 3)), "@", ("$X$", (3, 2)), "+"]
    ax = plotting.plot_matrix_equation([*terms, ("$b$", (2, 1), (2, 2))])
    texts = {t.get_text() for t in ax.texts}
    assert {"(2, 2)", "(2, 3)", "(3, 2)", "(2, 1) → (2, 2)", "=", "@", "+"} <= texts
    assert {"$Z$", "$W^T$", "$X$", "$b$"} <= texts
    cells = [p for p in ax.patches if p.get_fill()]
    assert len(cells) == 4 + 6 + 6 + 4  # the broadcast b is drawn at its full (2, 2)
    # Coloured by symbol like plot_matmul_shapes: Z purple first, then W orange.
    assert matplotlib.colors.to_hex(cells[0].get_facecolor()) == "#bcbddc"
    assert matplotlib.colors.to_hex(cells[4].get_facecolor()) == "#fdae6b"
    with pytest.raises(ValueError, match=r"terms\[0\]: shape \(2, 3\) cannot be broadcast"):
        plotting.plot_matrix_equation([("$b$", (2, 3), (2, 2))])
    with pytest.raises(ValueError, match="at least one operand"):
        plotting.plot_matrix_equation(["="])


def test_network_diagram(no_show):
    W1 = np.array([[-7.0, 7.0], [7.0, -7.0]])
    W2 = np.array([[7.0], [7.0]])
    ax = plotting.plot_network([2, 2, 1], weights=[W1, W2])
    circles = [p for p in ax.patches if type(p).__name__ == "Circle"]
    assert len(circles) == 5
    edges = [line for line in ax.get_lines()]
    assert len(edges) == 2 * 2 + 2 * 1
    texts = {t.get_text() for t in ax.texts}
    assert {"-7", "7", "input", "hidden 1", "output"} <= texts
    with pytest.raises(ValueError, match=r"weights\[1\]: expected shape \(2, 1\)"):
        plotting.plot_network([2, 2, 1], weights=[W1, W2.T])


def test_module_lists_its_public_names():
    module = importlib.import_module("mlcourse.plotting")
    for name in module.__all__:
        assert hasattr(module, name), name
