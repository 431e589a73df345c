"""One symbol, one meaning: the retired uses of a letter do not come back.

book/notation.md fixes one meaning per symbol. The lecture decks (and earlier drafts of the
lessons and assignments) used some letters for a second thing; each pattern below matches
one such use in the markdown of a lesson or of an assignment's instructions, and in the
pages of the book around them (book/exercises/*.md; not book/notation.md, whose tables quote
the decks' letters on purpose). In code cells only what a reader reads as text is scanned:
string literals with mathtext (the `$...$` of figure labels and titles) and comments; the
code itself is not, since `L` or `sigma` can be an argument name of a library. Each pattern
comes with the old sentences it was written against (``caught``), so a pattern that stops
matching them fails here rather than silently passing every notebook.

The lessons also quote numbers in their prose; such a number is an ``{eval}`` expression of
the code that computes it, and a test checks that what is quoted is computed, not a literal
typed into the code only to be quoted.
"""

from __future__ import annotations

import io
import json
import re
import tokenize
from pathlib import Path

import pytest

from mlgrade.scratch import blank_magics

from ..book.book_helpers import quoted_names

REPO = Path(__file__).resolve().parents[2]

# name: (pattern, why, old text the pattern must catch, correct text it must leave alone)
RETIRED = {
    "K counts classes or outcomes": (
        r"\$K\$ (?:classes|outcomes|categories|symbols)"
        r"|\\sum_\{k=1\}\^\{K\}\s*[pqyY]_|\$K\s*>\s*2\$ classes"
        r"|\\mathbb\{R\}\^\{N \\times K\}|\{0, 1\\\}\^\{N \\times K\}",
        "K is the number of layers; C counts classes and outcomes",
        [
            r"&= -\sum_{k=1}^{K} p_k \log p_k",
            r"for $K$ outcomes with probabilities $p_1, \dots, p_K$",
            r"Chapter 7 uses the same identity with $K$ classes.",
            r"$$H(P) = -\sum_{k=1}^{K} p_k \log p_k .$$",
            r"`\"multi-class classification\"`: $K > 2$ classes, one unit per class.",
        ],
        [r"$$H(P) = -\sum_{c=1}^{C} p_c \log p_c .$$", r"a network of $K$ layers"],
    ),
    "p_k, q_k: the index k of a distribution's outcomes": (
        r"(?<![A-Za-z\\])[pq]_k\b",
        "k indexes layers; an outcome (a class) is c",
        [r"Term by term, $p_k \log(p_k / q_k)$ can be negative", r"`q_k = 0 < p_k`"],
        [r"$p_c \log(p_c / q_c)$"],
    ),
    "sigma as a standard deviation": (
        r"\\sigma\^2|\\hat\\sigma|\(\\mu,\s*\\sigma\)|\\mathcal\{N\}\([^)$]*\\sigma"
        r"|standard deviation \$\\sigma|\$\\sigma =\$",
        "sigma is the logistic sigmoid; a standard deviation is s",
        [
            r"let $q = \mathcal{N}(\mu, \sigma^2)$ be a single Gaussian.",
            r"$(\mu, \sigma)$ on a parameter grid",
            r'The forward fit is $\mu =$ {eval}`f"{fwd_mu:.2f}"`, $\sigma =$',
            r"maximised by $\hat\mu = \frac{1}{m}\sum_i x_i$ and $\hat\sigma^2 = \frac{1}{m}$",
        ],
        [r"$q = \mathcal{N}(\mu, s^2)$", r"$\hat y = \sigma(z)$", r"$\sigma(-3) =$"],
    ),
    "L counts layers": (
        r"\$L\$ (?:hidden )?layers|\bL\$? hidden\b|\$L\$-fold|\$L\$ layers|\\prod_\{l=1\}\^\{L"
        r"|\(L\s*-\s*1\)|\$2\^L|\$8L\$|\$L = \d",
        "L is the loss; K counts the layers with weights (K - 1 of them hidden)",
        [
            r"showed that a ReLU network with $n_0$ inputs and $L$ hidden",
            r"R(n_0, n, L) &= \left( \prod_{l=1}^{L-1} \left\lfloor \frac{n}{n_0}",
            r"so a network of $L$ layers with 2 units each computes the $L$-fold tent",
            r"$\Omega((n/n_0)^{(L-1) n_0} n^{n_0})$ linear regions",
            r"with the same total number $8L$ of hidden units",
        ],
        [r"$K - 1$ hidden layers of $M \ge D$ units", r"the loss $L(\hat Y, Y)$"],
    ),
    "n, n_0, k_1: widths and input dimension": (
        r"(?<![A-Za-z_])n_0\b|\bn_\{k-1\}|(?<![A-Za-z\\])k_[12]\b|\$n \\ge",
        "n indexes data points and k layers; widths are M_l and the input dimension D",
        [
            r"$W^{(k)}$ has shape $(n_{k-1}, n_k)$, one column per unit of layer $k$",
            r"passes through two hidden layers of $k_1$ and $k_2$ units",
        ],
        [r"$(M_{k-1}, M_k)$", r"$D M_1 + M_1 M_2$"],
    ),
    "m examples, superscript (i) for an example": (
        r"x\^\{\(i\)\}|\$m\$ (?:examples|coin flips|points)|\\frac\{1\}\{m\}|\$m = 40\$",
        "N counts data points, x_n is one of them; a superscript in parentheses is a layer",
        [
            r"Let $\mathbb{X} = \{x^{(1)}, \dots, x^{(m)}\}$ be $m$ examples drawn",
            r"For $m$ coin flips $y_i \in \{0, 1\}$",
        ],
        [r"Let $\mathbb{X} = \{x_1, \dots, x_N\}$ be $N$ examples", r"$h^{(0)} = x$"],
    ),
    "N counts hidden units, alpha_j output weights": (
        r"\\alpha_j|number of units\s+\$N\$|layer of \$N\$ sigmoid|\$N\$ hidden units",
        "N counts data points, alpha is the learning rate; M counts units",
        [
            r"there exist a number of units $N$ and parameters $\alpha_j, \theta_j$",
            r"$G$ is a network with one hidden layer of $N$ sigmoid units",
        ],
        [r"one hidden layer of $M$ sigmoid units", r"learning rate $\alpha$"],
    ),
    "B, M or K for a batch, a number of layers or a hidden width": (
        r"\$B\$ points|\$M \\ge \d\$ layers|\$M\$ layers|layers of \$k\$ units|\(D, K\)|\(K, D\)"
        r"|`\(K, [CM]\)`|hidden width \$K|\$K\$ hidden units",
        "B is the bias matrix, M a width, K the number of layers: N points, K layers of M units",
        [
            r"a batch of $B$ points of dimension $d$ goes through $M \ge 1$ layers of $k$ units",
            r"$W_1$ of shape `(D, K)`, $b_1$ `(K,)`, $W_2$ `(K, M)`, $b_2$ `(M,)`.",
            r"layout (`W: (D, K)`) and `nn.Linear`'s (`weight: (K, D)`).",
            r"Take $D = M = 2$ and a hidden width $K = 1$.",
            r"with $K$ hidden units and $C$ outputs; $Z_2$ are the logits.",
        ],
        [
            r"a batch of $N$ points goes through $K \ge 1$ layers of $M$ units",
            r"layout (`W: (D, M)`) and `nn.Linear`'s (`weight: (M, D)`).",
        ],
    ),
    "k as a class index, T as a temperature": (
        r"column \$k\$ is class|[YP]_\{nk\}|temperature \$T\b|z ?/ ?T\b",
        "a class is c (Y_nc); T is the cost of a forward pass, a temperature is tau",
        [
            r"where column $k$ is class $k$.",
            r"$L = -\frac{1}{N} \sum_{n} \sum_{k} Y_{nk} \log P_{nk}$",
            r"Use your `softmax` on $z / T$ for $z = (2, 1, 0)$ and a temperature $T > 0$.",
        ],
        [r"column $c$ is class $c$", r"$z / \tau$ for a temperature $\tau > 0$"],
    ),
    "m as a margin": (
        r"margin \$m\b|\$m = y|\(1 - m\)|\$m > 1\$|\[m \\le|e\^\{-m\}",
        "m indexes the units (or outputs) of a layer; the margin y w^T x is r",
        [
            r"the margin $m = y h$ alone (for the quadratic loss because $y^2 = 1$, so",
            r"$(h - y)^2 = (1 - m)^2$), which makes them easy to compare in one picture",
            r"The quadratic loss punishes points that are *too* right ($m > 1$), which is odd",
        ],
        [r"the margin $r = y z$ alone", r"$(1 - r)^2$", r"output weights $w^{(2)}_m$"],
    ),
    "L as the loss of one point": (
        r"L\(\\hat y, y\)|\$L = -y \\log|L &= -\\log p|\\partial L / \\partial z = \\hat y - y"
        r"|\\frac\{\\partial L\}\{\\partial z\}\s*&= -y|\\partial\^2 L\}\{\\partial z\^2\}"
        r"|\$L = -\\bigl\[y \\log|\bL &= \\tfrac12 \(\\hat y|L = -\\log \\frac\{e\^\{z_t\}\}"
        r"|\\frac\{\\partial L\}\{\\partial (?:z|a_2)(?:_j|\^\{\[\d\]\})?\}\s*=\s*\\hat y"
        r"|\\partial L\s*/\s*\\partial (?:\\hat y\b|L\b|h\^\{\[1\]\}|h\b)",
        "L is the loss of a data set (the mean over its points); the loss of one point is ell",
        [
            r"L(\hat y, y) &= -\log p_{\text{model}}(y \mid x; w) \\",
            r"- The binary cross-entropy $L = -y \log \hat y - (1 - y) \log(1 - \hat y)$ is",
            r"gradient $\partial L / \partial z = \hat y - y$, show that the loss is convex",
            "\\frac{\\partial L}{\\partial z}\n&= -y \\frac{\\sigma'(z)}{\\sigma(z)}",
            r"\frac{\partial^2 L}{\partial z^2} = \sigma(z)\big(1 - \sigma(z)\big) > 0 .",
            # chapter 8's one-point examples: the tiny network, the softmax, Cornell's letters
            r"$L = -\bigl[y \log \hat y + (1 - y)\log(1 - \hat y)\bigr]$, which is $-\log \hat y$",
            r"\delta^{[2]} = \frac{\partial L}{\partial z^{[2]}} = \hat y - y.",
            r"$\partial L/\partial \hat y = -y/\hat y + (1 - y)/(1 - \hat y)$; multiplied by",
            r"layer, $\partial L/\partial h^{[1]} = \delta^{[2]} W^{[2]\top}$.",
            r"starting from $\partial L / \partial L = 1$.",
            r"L = -\log \frac{e^{z_t}}{\sum_{c=1}^{C} e^{z_c}} = -z_t",
            r"\frac{\partial L}{\partial z} = \hat y - y.",
            r"\frac{\partial L}{\partial z_j} = \hat y_j - y_j, \\",
            r"L &= \tfrac12 (\hat y - y)^2,",
            r"\delta_2 &= \frac{\partial L}{\partial a_2} = \hat y - y, \\",
            r"$\partial L / \partial h = \delta W^\top$ the weight.",
        ],
        [
            r"\ell(\hat y, y) = -y \log \hat y - (1 - y) \log(1 - \hat y).",
            r"$\partial \ell / \partial z = \hat y - y$, so",
            r"$\nabla_w L = \frac{1}{N} X^\top (\hat y - y)$",
            r"\frac{\partial L}{\partial z_n} = \frac{1}{N}(\hat y_n - y_n).",
            r"then $\hat Y = H^{[K]}$ and the loss $L(\hat Y, Y)$.",
            r"\ell &= \tfrac12 (\hat y - y)^2,",
            r"\frac{\partial \ell}{\partial z} = \hat y - y.",
            r"$\partial L / \partial Z = (\hat Y - Y)/N$",
            r"\delta^{[K]} = \frac{\partial L}{\partial Z^{[K]}}",
            r"Its `backward` takes $\partial L/\partial \hat Y$",
            r"$\partial L / \partial W$ and one for the signal sent back",
        ],
    ),
    "n examples with index i": (
        r"\(x_i, y_i\)|\bi = 1, \\dots, n\b|\\sum_\{i=1\}\^\{n\}|\\frac\{1\}\{n\}"
        r"|\$n\$ for the number of examples",
        "N counts the data points and n numbers them: (x_n, y_n), n = 1, ..., N",
        [
            r"1. **data**: pairs $(x_i, y_i)$, $i = 1, \dots, n$;",
            r"\min_{w}\; \frac{1}{n} \sum_{i=1}^{n} \ell\big(h_w(x_i), y_i\big).",
            r"(The decks write $n$ for the number of examples; the code and the later chapters",
        ],
        [
            r"1. **data**: pairs $(x_n, y_n)$, $n = 1, \dots, N$;",
            r"\min_{w}\; \frac{1}{N} \sum_{n=1}^{N} \ell\big(h_w(x_n), y_n\big).",
            r"$\partial \ell/\partial W^{[1]}_{i1} = x_i\, \delta^{[1]}_1$",
        ],
    ),
    "s or h for the score": (
        r"(?<![A-Za-z\\])s\(x\)|raw score\s+\$h\b|\$h = w\^\\top x|\by h\b|\(h - y\)\^2",
        "the score (weighted sum, before any activation) is the pre-activation z; "
        "s is a standard deviation, h an activation",
        [
            r"s(x) = w_0 + w_1 x_1 + w_2 x_2, \\",
            r"The points where $s(x) = 0$ form the **decision boundary**",
            "the raw score\n$h = w^\\top x$, three common choices are",
            r"\ell_{\text{hinge}} &= \max(0,\ 1 - y h), \\",
            r"the margin $r = y h$ alone (for the quadratic loss because $y^2 = 1$, so",
            r"$(h - y)^2 = (1 - r)^2$)",
        ],
        [
            r"z = w_0 + w_1 x_1 + w_2 x_2, \\",
            r"The points where $z = 0$ form the **decision boundary**",
            r"the score $z = w^\top x$, three common choices are",
            r"\ell_{\text{hinge}} &= \max(0,\ 1 - y z), \\",
            r"$h_w(x) = g(w^\top x)$",
            r"$\hat y = \operatorname{sgn}(x^\top w)$",
            r"$\mathcal{N}(\mu, s^2)$",
        ],
    ),
    "eta as the learning rate": (
        r"(?<!the decks write \$)\\eta\b",
        "the learning rate is alpha",
        [r"w \leftarrow w + \eta\,(y - \hat y)\,x, \\"],
        [r"learning rate $\alpha$ (the decks write $\eta$)"],
    ),
    "J or a in the loss of a sigmoid output": (
        r"J\(w, b\)|\$J =|w\^\\top a \+ b",
        "the loss of one point is ell; what a unit receives is an activation h",
        [
            r"$z = w^\top a + b$, where $a$ is whatever the output unit receives",
            r"J(w, b) &= -\log p(y \mid x) \\",
        ],
        [r"$z = w^\top h + b$", r"\ell(w, b) &= -\log p(y \mid x)"],
    ),
    "g for a gradient": (
        r"\$g\s*(?:=\s*(?:\d|\\partial)|\\cdot)|(?:receives?|gradient) \$g\$"
        r"|(?<![A-Za-z\\])g_t\b|\|g/2",
        "g is an activation function; the gradient reaching a node v is bar v, an optimiser's"
        " gradient at step t is nabla_t",
        [
            r"gradient $g = \partial \ell / \partial(\text{output})$ in a way worth remembering:",
            r"inputs receive $g$ unchanged.",
            r"an incoming gradient $g = 2$:",
            r"the multiply gate gives $u$ the gradient $g \cdot v$",
            r"adapt the step from the history of the gradients $g_t$:",
            r"$v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2$",
            r"$|g/2 - g| / (|g/2| + |g|) = 1/3$",
        ],
        [
            r"$h = g(z)$ for an activation function $g$",
            r"activation $g$ in the hidden layers",
            r"H^{[l]} = g^{[l]}\bigl(Z^{[l]}\bigr);",
            r"\odot g'(Z^{[l-1]})",
            r"an incoming gradient $\bar f = 2$:",
            r"the gradients $\nabla_t = \nabla L(w_t)$:",
            r"$|\bar w/2 - \bar w| / (|\bar w/2| + |\bar w|) = 1/3$",
        ],
    ),
    "m_t as Adam's first moment": (
        r"(?<![A-Za-z\\])m_\{?t\b",
        "m numbers units; Adam's first-moment estimate is omega_t",
        [
            r"$m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t$,",
            r"$w_{t+1} = w_t - \alpha\, \hat m_t / (\sqrt{\hat v_t} + \epsilon)$",
        ],
        [
            r"$\omega_t = \beta_1 \omega_{t-1} + (1 - \beta_1) \nabla_t$,",
            r"$w_{t+1} = w_t - \alpha\, \hat \omega_t / (\sqrt{\hat v_t} + \epsilon)$",
            r"output weights $w^{(2)}_m$",
        ],
    ),
    "v_t as momentum's running direction": (
        r"(?<![A-Za-z\\])v_t = \\rho|\\rho\\?,?\s*v_\{t-1\}|\\alpha\\?,?\s*v_t\b",
        "v_t accumulates squared gradients (AdaGrad, RMSprop, Adam); momentum's direction is"
        " omega_t",
        [r"- **Momentum**: $v_t = \rho\, v_{t-1} + \nabla_t$, $w_{t+1} = w_t - \alpha v_t$: a"],
        [
            r"- **Momentum**: $\omega_t = \rho\, \omega_{t-1} + \nabla_t$ from $\omega_0 = 0$",
            r"$w_{t+1} = w_t - \alpha\, \omega_t$: a running direction",
            r"v_t &= \beta_2 v_{t-1} + (1 - \beta_2) \nabla_t^2, \\",
            r"$\hat v_t = v_t / (1 - \beta_2^t)$",
        ],
    ),
    "P for the number of parameters": (
        r"parameters,? \$?P\b|\$P\$ (?:parameters|weights)|\$2P\$",
        "P is a distribution; the number of parameters is |Theta|",
        [r"parameters P = 340", r"With $P$ parameters that is $2P$ forward passes"],
        [
            r"The network has $|\Theta|$ = 340 parameters",
            r"With $|\Theta|$ parameters that is $2|\Theta|$ forward passes",
            r"a discrete distribution $P = (p_1, \dots, p_C)$",
        ],
    ),
    "e as a variable next to Euler's number": (
        r"\$e\s*=|\(1 \+ e\)",
        "e is Euler's number; the overflow-safe sigmoid names e^{-|z|} u",
        [
            r"With $e = e^{-|z|}$, which lies in $(0, 1]$",
            r"it computes $1 / (1 + e)$ for $z \ge 0$ and $e / (1 + e)$ for $z < 0$",
        ],
        [
            r"With $u = e^{-|z|}$, which lies in $(0, 1]$",
            r"it computes $1 / (1 + u)$ for $z \ge 0$ and $u / (1 + u)$ for $z < 0$",
            r"$g(z) = 1/(1 + e^{-z})$",
        ],
    ),
}


def markdown_of(path: Path) -> str:
    """The markdown cells of a notebook, joined (code cells are left out)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def code_texts_of(path: Path) -> str:
    """The text a reader reads in a notebook's code cells: comments and mathtext strings.

    A string literal counts when it holds a ``$`` (matplotlib typesets ``$...$`` in labels,
    titles and legends); IPython magics and shell lines are blanked before tokenizing.
    """
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    texts = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        code = blank_magics("".join(cell["source"]))
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            if token.type == tokenize.COMMENT or (
                token.type == tokenize.STRING and "$" in token.string
            ):
                texts.append(token.string)
    return "\n".join(texts)


def retired_uses(text: str) -> list[tuple[str, str]]:
    """Every retired use of a symbol in ``text``, as ``(name of the rule, matched text)``."""
    found = []
    for name, (pattern, _why, _caught, _kept) in RETIRED.items():
        found += [(name, m.group(0)) for m in re.finditer(pattern, text)]
    return found


NOTEBOOKS = sorted(
    [
        *REPO.glob("lessons/*.ipynb"),
        *REPO.glob("solutions/*/*.ipynb"),
        *REPO.glob("exercises/*/*.ipynb"),
    ]
)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(REPO)))
def test_no_retired_use_of_a_symbol(path):
    found = retired_uses(markdown_of(path) + "\n" + code_texts_of(path))
    assert not found, f"{path.relative_to(REPO)}:\n" + "\n".join(
        f"  {name}: {text!r} ({RETIRED[name][1]})" for name, text in found
    )


# The pages of the book next to the lessons: the assignments' pages and the guides. The
# notation page is left out: its tables quote the decks' letters to translate them.
BOOK_PAGES = sorted(p for p in REPO.glob("book/**/*.md") if p.name != "notation.md")


@pytest.mark.parametrize("path", BOOK_PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_no_retired_use_of_a_symbol_in_a_book_page(path):
    found = retired_uses(path.read_text(encoding="utf-8"))
    assert not found, f"{path.relative_to(REPO)}:\n" + "\n".join(
        f"  {name}: {text!r} ({RETIRED[name][1]})" for name, text in found
    )


def test_figure_labels_and_comments_of_code_cells_are_scanned(tmp_path):
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "metadata": {},
                "source": [
                    "%matplotlib inline\n",
                    "sigma = 2.0  # an argument name, not text\n",
                    'ax.set_title(r"$\\mathcal{N}(\\mu, \\sigma^2)$")\n',
                    "# the margin $m = y z$\n",
                ],
            }
        ]
    }
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(notebook), encoding="utf-8")
    found = {name for name, _text in retired_uses(code_texts_of(path))}
    assert found == {"sigma as a standard deviation", "m as a margin"}
    assert "sigma = 2.0" not in code_texts_of(path)


def test_the_book_pages_are_scanned():
    names = {p.relative_to(REPO).as_posix() for p in BOOK_PAGES}
    assert "book/exercises/a7_pytorch.md" in names and "book/notation.md" not in names


@pytest.mark.parametrize("name", list(RETIRED))
def test_each_pattern_catches_the_old_text_and_spares_the_new(name):
    pattern, _why, caught, kept = RETIRED[name]
    for old in caught:
        assert re.search(pattern, old), f"{name}: misses the old text {old!r}"
    for new in kept:
        assert not re.search(pattern, new), f"{name}: flags the correct text {new!r}"


def test_the_notation_page_lists_the_replacements():
    page = (REPO / "book" / "notation.md").read_text(encoding="utf-8")
    for symbol in (r"$C$", r"$s$", r"$K - 1$", r"$\eta$", r"$\sigma$", r"$\tau$", r"$\ell$"):
        assert symbol in page, symbol
    # the margin of chapter 1 has its own letter, not m (an index of units)
    assert re.search(r"^\| \$r\$ \| the margin", page, re.MULTILINE), "no row for the margin r"
    # chapter 8's gradients and the optimisers' running averages have letters of their own
    # (not g, not m; momentum's direction is not v_t, which accumulates squared gradients)
    for row in (
        r"| $\bar v$ | the gradient",
        r"| $\nabla_t$ | the gradient",
        r"| $\omega_t$ | an optimiser's running direction: momentum's",
        r"| $v_t$ | the running sum (AdaGrad) or moving average",
        r"| $\hat\omega_t$, $\hat v_t$ | Adam's bias-corrected estimates",
    ):
        assert row in page, f"no row {row!r}"


# A quoted number whose value is a literal typed into the code only to be quoted is a
# number typed into the prose with extra steps: ch05 once quoted the sawtooth's unit count
# as a typed `12` instead of counting the units of the network it had built. A setting
# the code uses (`lr = 0.1`, read by the training call) may be quoted: it is what ran.
LITERAL_ASSIGN = re.compile(r"^\s*(\w+)\s*=\s*[-+]?\d[\d_.eE+-]*\s*(?:#.*)?$", re.M)


def typed_quotes(code: str, markdown: str) -> list[str]:
    """Names the prose quotes whose only value is a number literal nothing else reads."""
    quoted = quoted_names(markdown)
    typed = set(LITERAL_ASSIGN.findall(code))
    body = LITERAL_ASSIGN.sub("", code)
    return sorted(n for n in quoted & typed if not re.search(rf"\b{n}\b", body))


def test_typed_quote_pattern_catches_the_old_code_and_spares_the_new():
    prose = "a network of {eval}`saw_units_6` units, trained at rate {eval}`lr`"
    assert typed_quotes("saw_units_6 = 12\nlr = 0.1\ntrain(net, lr=lr)", prose) == ["saw_units_6"]
    counted = "saw_units_6 = sum(W.shape[1] for W, _ in deepest.params[:-1])\nlr = 0.1\nf(lr)"
    assert typed_quotes(counted, prose) == []
    assert typed_quotes("x = 0.5  # typed", "{eval}`f'{x:.1f}'`") == ["x"]


LESSONS = sorted(REPO.glob("lessons/*.ipynb"))


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_quoted_numbers_are_computed_not_typed(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    markdown = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    typed = typed_quotes(code, markdown)
    assert not typed, f"{path.name}: quoted literals, compute them instead: {typed}"


# The same rules for what the code shows a reader: the labels its print calls write, and
# the docstrings of mlcourse that the lessons print with inspect.getsource.
PRINTED = re.compile(r"""print\(\s*f?(["'])(.*?)\1""")


def printed_labels(code: str) -> list[str]:
    """The string literals that start the ``print`` calls of ``code``."""
    return [m.group(2) for m in PRINTED.finditer(code)]


def test_printed_label_rules_catch_the_old_code_and_spare_the_new():
    assert retired_uses(" ".join(printed_labels('print(f"parameters P = {P_cost}")')))
    assert not retired_uses(" ".join(printed_labels('print(f"parameters |Theta| = {n_params}")')))


@pytest.mark.parametrize("path", sorted(REPO.glob("lessons/*.ipynb")), ids=lambda p: p.name)
def test_no_retired_use_of_a_symbol_in_a_printed_label(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    found = retired_uses("\n".join(printed_labels(code)))
    assert not found, f"{path.name}: {found}"


def docstring_math(source: str) -> str:
    """The docstrings of a module's ``source``, with ``:math:`x``` written as ``$x$``."""
    docs = "\n".join(re.findall(r'"""(.*?)"""', source, re.DOTALL))
    return re.sub(r":math:`([^`]*)`", r"$\1$", docs)


# modules whose functions the lessons print with inspect.getsource (perceptron.py, printed
# in ch04, still writes the learning rate eta in its docstrings)
PRINTED_MODULES = ["activations.py", "gradcheck.py", "layers.py", "mlp.py", "optim.py"]


@pytest.mark.parametrize("module", PRINTED_MODULES)
def test_no_retired_use_of_a_symbol_in_the_printed_docstrings(module):
    old = 'r"""Stability: with :math:`e = e^{-|z|} \\in (0, 1]`, the function is computed as"""'
    assert retired_uses(docstring_math(old)), "the rules miss the old docstring"
    source = (REPO / "mlcourse" / module).read_text(encoding="utf-8")
    found = retired_uses(docstring_math(source))
    assert not found, f"mlcourse/{module}: {found}"
