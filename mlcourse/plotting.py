"""Figures the lessons need, so that plotting code which teaches nothing stays out of them.

Every function draws into a Matplotlib ``Axes`` and returns it (or an array of them);
pass ``ax=`` to draw into a figure of your own, or leave it out and a new figure is made.
Nothing is ever shown: in a notebook the inline backend displays the figure at the end of
the cell; in a script call ``plt.show()`` or ``fig.savefig`` yourself.

Matplotlib is imported inside the functions, so ``import mlcourse`` stays fast and does not
need a display.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from mlcourse._validation import check_int
from mlcourse.activations import ACTIVATIONS, sigmoid

__all__ = [
    "CLASS_COLORS",
    "plot_activation",
    "plot_activation_grid",
    "plot_bce_loss",
    "plot_decision_boundary",
    "plot_loss_curves",
    "plot_matmul_shapes",
    "plot_matrix_equation",
    "plot_network",
    "plot_sigmoid_family",
    "plot_sigmoid_surface",
]

#: Colours of class 0 and class 1 in every figure of the book (colour-blind safe).
CLASS_COLORS = ("#1f77b4", "#d62728")


def _new_axes(ax=None, figsize=(5.0, 4.0), projection=None):
    """Return ``ax`` or a fresh Axes on a new figure."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=figsize)
    return fig.add_subplot(projection=projection)


def _as_points(X, name="X"):
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"{name}: expected shape (N, 2) of 2-D points, got {X.shape}")
    if X.shape[0] == 0:
        raise ValueError(f"{name}: expected at least one point, got shape {X.shape}")
    return X


def plot_decision_boundary(
    predict: Callable[[np.ndarray], np.ndarray],
    X,
    y,
    ax=None,
    *,
    resolution: int = 200,
    padding: float = 0.1,
    proba: bool | None = None,
    cmap: str = "RdBu_r",
    alpha: float = 0.25,
    markersize: float = 30.0,
):
    """Shade the plane by a classifier's output and draw labelled points on top.

    Parameters
    ----------
    predict : callable
        Maps points ``P: (K, 2)`` to ``(K,)`` (or ``(K, 1)``) outputs: class labels in
        {0, 1} (or {-1, +1}), or probabilities of class 1.
    X : array of shape (N, 2)
        The data points.
    y : array of shape (N,)
        Their labels, two classes (any two values; the smaller one is class 0).
    ax : matplotlib Axes, optional
    resolution : int
        Grid points per axis.
    padding : float
        Margin around the data, as a fraction of the data range (at least 0.5 units).
    proba : bool, optional
        Draw the output as a probability (a colour ramp with the 0.5 contour) or as hard
        labels. By default, decided from the output: any value strictly between 0 and 1
        means probabilities.

    Returns
    -------
    matplotlib Axes

    Notes
    -----
    The background is computed on a grid wider than the visible area, so widening the
    limits afterwards (``ax.set_xlim``) still shows a shaded plane.
    """
    X = _as_points(X)
    y = np.asarray(y).reshape(-1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y: expected shape ({X.shape[0]},) to match X {X.shape}, got {y.shape}")
    ax = _new_axes(ax)

    lo, hi = X.min(axis=0), X.max(axis=0)
    span = np.maximum(hi - lo, 1e-9)
    view_pad = np.maximum(padding * span, 0.5)
    grid_pad = np.maximum(0.6 * span, 2.0)
    g0 = np.linspace(lo[0] - grid_pad[0], hi[0] + grid_pad[0], resolution)
    g1 = np.linspace(lo[1] - grid_pad[1], hi[1] + grid_pad[1], resolution)
    G0, G1 = np.meshgrid(g0, g1)
    grid = np.column_stack([G0.ravel(), G1.ravel()])
    raw = np.asarray(predict(grid), dtype=float)
    if raw.size != grid.shape[0]:
        raise ValueError(
            f"predict: expected one output per point, shape ({grid.shape[0]},), got {raw.shape}"
        )
    out = raw.reshape(G0.shape)
    if proba is None:
        proba = bool(np.any((out > 0) & (out < 1)))

    if proba:
        levels = np.linspace(0.0, 1.0, 11)
        ax.contourf(G0, G1, np.clip(out, 0, 1), levels=levels, cmap=cmap, alpha=alpha + 0.15)
        ax.contour(G0, G1, out, levels=[0.5], colors="k", linewidths=1.2)
    else:
        classes_out = np.unique(out)
        threshold = 0.5 if classes_out.min() >= 0 else 0.0
        binary = (out > threshold).astype(float)
        ax.contourf(G0, G1, binary, levels=[-0.5, 0.5, 1.5], colors=CLASS_COLORS, alpha=alpha)
        if 0 < binary.mean() < 1:
            ax.contour(G0, G1, binary, levels=[0.5], colors="k", linewidths=1.0)

    classes = np.unique(y)
    for k, cls in enumerate(classes[:2]):
        mask = y == cls
        ax.scatter(
            X[mask, 0],
            X[mask, 1],
            s=markersize,
            color=CLASS_COLORS[k],
            edgecolors="k",
            linewidths=0.5,
            marker="o" if k == 0 else "s",
            label=f"y = {cls:g}" if np.issubdtype(classes.dtype, np.number) else f"y = {cls}",
            zorder=3,
        )
    ax.set_xlim(lo[0] - view_pad[0], hi[0] + view_pad[0])
    ax.set_ylim(lo[1] - view_pad[1], hi[1] + view_pad[1])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return ax


def plot_activation(name: str, ax=None, *, z=None, derivative: bool = True, **params):
    """Draw an activation function ``g`` and its derivative ``g'``.

    Parameters
    ----------
    name : str
        A key of ``mlcourse.activations.ACTIVATIONS`` ("sigmoid", "relu", ...).
    ax : matplotlib Axes, optional
    z : array, optional
        Where to evaluate; default ``linspace(-4, 4, 401)``.
    derivative : bool
        Also draw the derivative (dashed).
    **params
        Extra arguments of the activation, e.g. ``alpha=0.1`` for leaky ReLU.

    Returns
    -------
    matplotlib Axes
    """
    f, f_grad = ACTIVATIONS.lookup(name)
    ax = _new_axes(ax, figsize=(4.0, 3.0))
    z = np.linspace(-4.0, 4.0, 401) if z is None else np.asarray(z, dtype=float)
    ax.axhline(0.0, color="0.6", lw=0.6)
    ax.axvline(0.0, color="0.6", lw=0.6)
    ax.plot(z, f(z, **params), lw=2.0, color="C0", label="$g(z)$")
    if derivative:
        ax.plot(z, f_grad(z, **params), lw=1.5, ls="--", color="C1", label="$g'(z)$")
    ax.set_title(name)
    ax.set_xlabel("$z$")
    ax.legend(loc="upper left", fontsize="small", frameon=False)
    return ax


def plot_activation_grid(names: Sequence[str] | None = None, *, ncols: int = 4, z=None):
    """A grid of :func:`plot_activation` panels, one per activation.

    Parameters
    ----------
    names : sequence of str, optional
        Default: every activation in ``ACTIVATIONS`` that needs no extra parameter.
    ncols : int
        Panels per row.

    Returns
    -------
    numpy array of Axes, shape (nrows, ncols); unused panels are switched off.
    """
    import matplotlib.pyplot as plt

    if names is None:
        import inspect

        names = []
        for key, (f, _) in ACTIVATIONS.items():
            required = [
                p
                for p in list(inspect.signature(f).parameters.values())[1:]
                if p.default is inspect.Parameter.empty
            ]
            if not required:
                names.append(key)
    names = list(names)
    nrows = max(1, -(-len(names) // ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(3.0 * ncols, 2.5 * nrows), squeeze=False, sharex=True
    )
    for k, ax in enumerate(axes.flat):
        if k < len(names):
            plot_activation(names[k], ax=ax, z=z)
            if k:
                legend = ax.get_legend()
                if legend is not None:
                    legend.remove()
        else:
            ax.set_axis_off()
    fig.tight_layout()
    return axes


def plot_sigmoid_family(cs: Sequence[float] = (0.5, 1.0, 2.0, 5.0), ax=None, *, u=None):
    """The curves ``sigma(c u)`` for several steepnesses ``c > 0``.

    Returns
    -------
    matplotlib Axes
    """
    ax = _new_axes(ax, figsize=(5.5, 3.5))
    u = np.linspace(-6.0, 6.0, 401) if u is None else np.asarray(u, dtype=float)
    for c in cs:
        ax.plot(u, sigmoid(c * u), label=f"$c = {c:g}$")
    ax.axhline(0.5, color="0.6", lw=0.6, ls=":")
    ax.axvline(0.0, color="0.6", lw=0.6, ls=":")
    ax.set_xlabel("$u$")
    ax.set_ylabel(r"$\sigma(c\,u)$")
    ax.set_ylim(-0.05, 1.05)
    ax.legend(frameon=False)
    return ax


def plot_bce_loss(ax=None, *, eps: float = 1e-3):
    """The two branches of the binary cross-entropy: ``-log(y_hat)`` and ``-log(1 - y_hat)``.

    Returns
    -------
    matplotlib Axes
    """
    ax = _new_axes(ax, figsize=(5.0, 3.5))
    p = np.linspace(eps, 1.0 - eps, 400)
    ax.plot(p, -np.log(p), lw=2, color=CLASS_COLORS[1], label=r"$y = 1$: $-\log \hat y$")
    ax.plot(p, -np.log1p(-p), lw=2, color=CLASS_COLORS[0], label=r"$y = 0$: $-\log(1 - \hat y)$")
    ax.set_xlabel(r"predicted probability $\hat y$")
    ax.set_ylabel("loss")
    ax.set_ylim(0, min(7.0, -np.log(eps)))
    ax.legend(frameon=False, loc="upper center")
    return ax


def plot_loss_curves(
    histories: Mapping[str, Sequence[float]] | Sequence[float],
    ax=None,
    *,
    xlabel: str = "epoch",
    ylabel: str = "loss",
    logy: bool = False,
):
    """Training curves: one line per named history (e.g. ``{"GD": [...], "SGD": [...]}``).

    A plain sequence of numbers is drawn as a single unnamed curve.

    Returns
    -------
    matplotlib Axes
    """
    ax = _new_axes(ax, figsize=(5.5, 3.5))
    named = isinstance(histories, Mapping)
    items = list(histories.items()) if named else [(None, histories)]
    for label, values in items:
        values = np.asarray(values, dtype=float).reshape(-1)
        ax.plot(np.arange(1, values.size + 1), values, lw=1.5, label=label)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if any(label is not None for label, _ in items):
        ax.legend(frameon=False)
    return ax


def plot_sigmoid_surface(w, b: float, ax=None, *, kind: str = "surface", lim: float = 4.0):
    """The output ``sigma(w1 x1 + w2 x2 + b)`` of one neuron over the plane.

    Parameters
    ----------
    w : array of shape (2,)
        The neuron's weights.
    b : float
        Its bias.
    ax : matplotlib Axes, optional
        For ``kind="surface"`` a 3-D Axes (``projection="3d"``) is created if omitted.
    kind : {"surface", "contour"}
        A 3-D surface, or the same function seen from above as filled contours with the
        decision line ``sigma = 0.5``.
    lim : float
        The square ``[-lim, lim]^2`` is drawn.

    Returns
    -------
    matplotlib Axes
    """
    w = np.asarray(w, dtype=float).reshape(-1)
    if w.shape != (2,):
        raise ValueError(f"w: expected shape (2,), got {w.shape}")
    if kind not in ("surface", "contour"):
        raise ValueError(f"kind: expected 'surface' or 'contour', got {kind!r}")
    g = np.linspace(-lim, lim, 121)
    G0, G1 = np.meshgrid(g, g)
    S = sigmoid(w[0] * G0 + w[1] * G1 + b)
    title = rf"$\sigma({w[0]:g}\,x_1 {w[1]:+g}\,x_2 {float(b):+g})$"
    if kind == "surface":
        ax = _new_axes(ax, figsize=(5.5, 4.5), projection="3d")
        ax.plot_surface(G0, G1, S, cmap="RdBu_r", linewidth=0, antialiased=True, alpha=0.9)
        ax.set_zlim(0, 1)
        ax.set_zlabel(r"$\hat y$")
    else:
        ax = _new_axes(ax, figsize=(4.5, 4.0))
        filled = ax.contourf(G0, G1, S, levels=np.linspace(0, 1, 11), cmap="RdBu_r")
        ax.contour(G0, G1, S, levels=[0.5], colors="k", linewidths=1.5)
        ax.figure.colorbar(filled, ax=ax, label=r"$\hat y$")
        ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title)
    return ax


def plot_matmul_shapes(
    n: int,
    d: int,
    m: int,
    ax=None,
    *,
    names: Sequence[str] = ("X", "W", "b", "Z"),
    broadcast: bool = True,
):
    """Draw ``Z = X W + b`` as blocks of cells with every shape written under its block.

    Parameters
    ----------
    n, d, m : int
        Batch size ``N``, input width ``D`` and output width ``M``: ``X (N, D)``,
        ``W (D, M)``, ``b (M,)``, ``Z (N, M)``.
    names : four str
        Labels of X, W, b and Z (e.g. ``("H^{(1)}", "W^{(2)}", "b^{(2)}", "Z^{(2)}")``).
    broadcast : bool
        Draw ``b`` (stored as one row) expanded to ``(N, M)``, the way NumPy broadcasts it.

    Returns
    -------
    matplotlib Axes
    """
    n, d, m = check_int(n, "n"), check_int(d, "d"), check_int(m, "m")
    x_name, w_name, b_name, z_name = (f"${s}$" for s in names)
    bias = (b_name, (1, m), (n, m)) if broadcast else (b_name, (1, m))
    return plot_matrix_equation(
        [(z_name, (n, m)), "=", (x_name, (n, d)), "@", (w_name, (d, m)), "+", bias], ax=ax
    )


def plot_matrix_equation(terms, ax=None, *, cell: float = 1.0):
    """Draw any matrix equation as blocks of cells, each labelled with its shape.

    Where :func:`plot_matmul_shapes` draws the code's ``Z = X W + b``, this draws any
    sequence of operands and operators, e.g. the decks' column convention
    ``Z = W^T X + b`` with ``b (2, 1)`` broadcast to ``(2, 2)``.

    Parameters
    ----------
    terms : sequence
        From left to right. A str is an operator (``"="``, ``"+"``, ``r"$\\times$"``).
        An operand is ``(label, (rows, cols))``, or ``(label, (rows, cols), (R, C))`` for an
        array stored as ``(rows, cols)`` and broadcast to ``(R, C)``: the stored entries
        are drawn solid, the broadcast copies faded inside a dashed outline.
    ax : matplotlib Axes, optional
    cell : float
        Side of one cell in data units.

    Returns
    -------
    matplotlib Axes

    Notes
    -----
    Operands are coloured by the first letter of their label, as in
    :func:`plot_matmul_shapes`: inputs (x, X, h, H) blue, weights (w, W) orange, biases (b)
    green, pre-activations (z, Z) purple; any other label gets grey.
    """
    import re

    from matplotlib.patches import Rectangle

    operands = []
    for k, term in enumerate(terms):
        if isinstance(term, str):
            continue
        if len(term) not in (2, 3):
            raise ValueError(
                f"terms[{k}]: expected (label, shape) or (label, shape, broadcast_shape), "
                f"got {term!r}"
            )
        shapes = [tuple(int(s) for s in shape) for shape in term[1:]]
        for shape in shapes:
            if len(shape) != 2 or min(shape) < 1:
                raise ValueError(
                    f"terms[{k}]: expected a shape of two positive sizes, got {term!r}"
                )
        if len(shapes) == 2 and any(
            s != b and s != 1 for s, b in zip(shapes[0], shapes[1], strict=True)
        ):
            raise ValueError(f"terms[{k}]: shape {shapes[0]} cannot be broadcast to {shapes[1]}")
        operands.append(shapes[-1])
    if not operands:
        raise ValueError("terms: expected at least one operand (label, (rows, cols))")

    colors = {"x": "#9ecae1", "h": "#9ecae1", "w": "#fdae6b", "b": "#a1d99b", "z": "#bcbddc"}
    tallest = max(rows for rows, _ in operands)
    ax = _new_axes(
        ax, figsize=(min(12.0, 1.0 + 0.5 * sum(c for _, c in operands) + 0.6 * len(terms)), 2.8)
    )
    x = 0.0
    for term in terms:
        if isinstance(term, str):
            ax.text(x + 0.6 * cell, 0, term, ha="center", va="center", fontsize=14)
            x += 1.2 * cell
            continue
        label, stored = term[0], tuple(int(s) for s in term[1])
        shown = tuple(int(s) for s in term[2]) if len(term) == 3 else stored
        letters = re.sub(r"\\[A-Za-z]+|[^A-Za-z]", "", str(label))
        color = colors.get(letters[:1].lower(), "#d9d9d9")
        rows, cols = shown
        top = rows * cell / 2
        for i in range(rows):  # row 0 at the top, like a printed matrix
            for j in range(cols):
                is_stored = i < stored[0] and j < stored[1]
                ax.add_patch(
                    Rectangle(
                        (x + j * cell, top - (i + 1) * cell),
                        cell,
                        cell,
                        facecolor=color,
                        edgecolor="white",
                        linewidth=1.0,
                        alpha=0.9 if is_stored else 0.35,
                    )
                )
        ax.add_patch(
            Rectangle(
                (x, -top),
                cols * cell,
                rows * cell,
                fill=False,
                edgecolor="k",
                lw=1.2,
                linestyle="-" if shown == stored else "--",
            )
        )
        if shown != stored:
            ax.add_patch(
                Rectangle(
                    (x, top - stored[0] * cell),
                    stored[1] * cell,
                    stored[0] * cell,
                    fill=False,
                    edgecolor="k",
                    lw=1.2,
                )
            )
        caption = f"({rows}, {cols})" if shown == stored else f"{stored} → {shown}"
        ax.text(x + cols * cell / 2, top + 0.25 * cell, label, ha="center", va="bottom")
        ax.text(x + cols * cell / 2, -top - 0.25 * cell, caption, ha="center", va="top")
        x += cols * cell
    half = tallest * cell / 2 + 1.4 * cell
    ax.set_xlim(-0.3 * cell, x + 0.3 * cell)
    ax.set_ylim(-half, half)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return ax


def plot_network(
    layer_sizes: Sequence[int],
    ax=None,
    *,
    layer_names: Sequence[str] | None = None,
    weights: Sequence[np.ndarray] | None = None,
):
    """Draw a fully connected network: one column of circles per layer, every edge drawn.

    Parameters
    ----------
    layer_sizes : sequence of int
        Units per layer, inputs first, e.g. ``[2, 2, 1]`` for the XOR network.
    layer_names : sequence of str, optional
        Captions under the columns (default "input", "hidden 1", ..., "output").
    weights : sequence of arrays, optional
        ``W`` of each layer, shape ``(layer_sizes[l], layer_sizes[l + 1])``; edges are then
        labelled with their weights.

    Returns
    -------
    matplotlib Axes
    """
    from matplotlib.patches import Circle

    sizes = [int(s) for s in layer_sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"layer_sizes: expected at least two positive sizes, got {layer_sizes}")
    if weights is not None:
        if len(weights) != len(sizes) - 1:
            raise ValueError(f"weights: expected {len(sizes) - 1} matrices, got {len(weights)}")
        for k, W in enumerate(weights):
            if np.shape(W) != (sizes[k], sizes[k + 1]):
                raise ValueError(
                    f"weights[{k}]: expected shape ({sizes[k]}, {sizes[k + 1]}), got {np.shape(W)}"
                )
    if layer_names is None:
        layer_names = ["input"] + [f"hidden {k}" for k in range(1, len(sizes) - 1)] + ["output"]
    ax = _new_axes(ax, figsize=(1.8 * len(sizes) + 1, 0.8 * max(sizes) + 1.5))
    radius = 0.22
    pos = [[(float(k), (s - 1) / 2 - i) for i in range(s)] for k, s in enumerate(sizes)]
    for k in range(len(sizes) - 1):
        for i, (x0, y0) in enumerate(pos[k]):
            for j, (x1, y1) in enumerate(pos[k + 1]):
                ax.plot([x0, x1], [y0, y1], color="0.55", lw=0.8, zorder=1)
                if weights is not None:
                    t = 0.3
                    ax.text(
                        x0 + t * (x1 - x0),
                        y0 + t * (y1 - y0),
                        f"{np.asarray(weights[k])[i, j]:g}",
                        fontsize=8,
                        ha="center",
                        va="center",
                        bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none"},
                        zorder=3,
                    )
    colors = ["#9ecae1"] + ["#fdae6b"] * (len(sizes) - 2) + ["#bcbddc"]
    for k, column in enumerate(pos):
        for x, y in column:
            ax.add_patch(Circle((x, y), radius, facecolor=colors[k], edgecolor="k", zorder=2))
        ax.text(k, -(max(sizes) - 1) / 2 - 0.7, layer_names[k], ha="center", va="top")
    ax.set_xlim(-0.6, len(sizes) - 0.4)
    ax.set_ylim(-(max(sizes) - 1) / 2 - 1.2, (max(sizes) - 1) / 2 + 0.6)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return ax
