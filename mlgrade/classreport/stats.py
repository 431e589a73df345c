"""The numbers of a class report: pass rates, discrimination, kinds of failure.

A submission *passes* a test cell when the autograder gave it the cell's full points
(``auto_score >= max_score``; a partly scored cell is not passed). Only submissions the
autograder ran count for a cell.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .data import AutoTest, Submission

__all__ = [
    "CellStats",
    "Failure",
    "cell_statistics",
    "error_message",
    "group_failures",
    "message_pattern",
    "passed",
    "point_biserial",
]

_SEED_NOTE = re.compile(r"\s*\[random inputs:[^\]]*\]")
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?!\w)")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def point_biserial(x, y) -> float:
    r"""Point-biserial correlation between a pass/fail indicator and a score.

    For :math:`N` submissions with :math:`x_i \in \{0, 1\}` and scores :math:`y_i`,

    .. math::

        r_{pb} = \frac{M_1 - M_0}{s_y} \sqrt{p\,(1 - p)},

    where :math:`M_1` and :math:`M_0` are the means of :math:`y` where :math:`x = 1` and
    :math:`x = 0`, :math:`p` is the fraction with :math:`x = 1` and :math:`s_y` the
    standard deviation of :math:`y` with divisor :math:`N`. It is Pearson's correlation of
    :math:`x` and :math:`y` (what ``scipy.stats.pointbiserialr`` computes), in
    :math:`[-1, 1]`.

    Parameters
    ----------
    x : array_like of bool, shape (N,)
        Passed (1) or not (0).
    y : array_like of float, shape (N,)
        The scores.

    Returns
    -------
    float
        ``nan`` where it is undefined: :math:`N < 2`, all :math:`x` equal, or all
        :math:`y` equal.
    """
    x = np.asarray(x, dtype=bool)
    y = np.asarray(y, dtype=float)
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError(
            f"x and y: expected two arrays of shape (N,), got {x.shape} and {y.shape}"
        )
    n, n1 = x.size, int(x.sum())
    if n < 2 or n1 in (0, n):
        return math.nan
    s_y = float(y.std())
    if s_y <= 1e-12 * max(1.0, float(np.abs(y).max())):
        return math.nan
    p = n1 / n
    return float((y[x].mean() - y[~x].mean()) / s_y * math.sqrt(p * (1.0 - p)))


def passed(auto_score: float, max_score: float) -> bool:
    """Whether an autograder score is the cell's full points."""
    return auto_score >= max_score - 1e-9


@dataclass(frozen=True)
class CellStats:
    """Pass rate and discrimination index of one test cell over ``graded`` submissions."""

    test: AutoTest
    graded: int
    passed: int
    discrimination: float

    @property
    def pass_rate(self) -> float:
        return self.passed / self.graded if self.graded else math.nan


def cell_statistics(tests: list[AutoTest], submissions: list[Submission]) -> list[CellStats]:
    r"""Pass rate and discrimination index of every test cell.

    The discrimination index of cell :math:`j` is :func:`point_biserial` of
    :math:`x_i = [\text{submission } i \text{ passed } j]` and the *rest score*
    :math:`y_i = T_i - s_{ij}`, the submission's total :math:`T_i` without the cell's own
    points :math:`s_{ij}` (so that a cell does not correlate with itself: the corrected
    item-total correlation). Over the submissions the autograder ran that cell for.

    As a rule of thumb, 0.3 and above separates strong from weak submissions well, below
    0.2 barely, and a negative value (weaker submissions pass more often) asks for a look
    at the test.
    """
    stats = []
    for test in tests:
        x, y = [], []
        for sub in submissions:
            auto = sub.auto_scores.get(test.key)
            if auto is None or sub.score is None:
                continue
            x.append(passed(auto, test.max_score))
            y.append(sub.score - sub.cell_scores.get(test.key, 0.0))
        r = point_biserial(x, y) if x else math.nan
        stats.append(CellStats(test, len(x), int(sum(x)), r))
    return stats


def error_message(output) -> str:
    """``ename: first line of evalue`` of an error output (ANSI colours removed).

    Just ``ename`` when the message is empty; at most 300 characters.
    """
    ename = _ANSI.sub("", str(output.get("ename") or "Error")).strip()
    lines = _ANSI.sub("", str(output.get("evalue") or "")).splitlines()
    first = next((line.strip() for line in lines if line.strip()), "")
    return (f"{ename}: {first}" if first else ename)[:300]


def message_pattern(message: str) -> str:
    """A failure message without its random-input seeds and with every number as ``#``.

    Messages that differ only in numbers (an error size, a seed, an index) are one kind of
    failure: ``"x: 3 of 12 entries differ"`` and ``"x: 5 of 12 entries differ"`` both
    become ``"x: # of # entries differ"``. Digits inside names (``a1``, ``float64``) stay.
    """
    return _NUMBER.sub("#", _SEED_NOTE.sub("", message)).strip()


@dataclass(frozen=True)
class Failure:
    """One kind of failure of a test cell.

    ``count`` students failed with a message of this ``pattern``; ``example`` is its
    commonest wording and ``variants`` the number of different wordings.
    """

    pattern: str
    count: int
    example: str
    variants: int


def group_failures(messages: Counter) -> list[Failure]:
    """Messages (with their counts) grouped by :func:`message_pattern`, commonest first."""
    groups: dict[str, Counter] = {}
    for message, count in messages.items():
        groups.setdefault(message_pattern(message), Counter())[message] += count
    failures = [
        Failure(pattern, sum(c.values()), min(c, key=lambda m: (-c[m], m)), len(c))
        for pattern, c in groups.items()
    ]
    return sorted(failures, key=lambda f: (-f.count, f.pattern))
