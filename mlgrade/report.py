"""The grading report: one row per (student, assignment, notebook), as CSV and Markdown.

Statuses: ``graded``, ``restored`` (its stripped nbgrader metadata matched back to the
release, then graded), ``tampered`` (graded with the original cells restored), ``timeout``,
``kernel died``, ``invalid notebook``, ``missing notebook`` and ``error``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from .notebooks import nbgrader_meta

__all__ = ["STATUSES", "Row", "classify_failure", "outcome_notes", "write_report"]

STATUSES = (
    "graded",
    "restored",
    "tampered",
    "timeout",
    "kernel died",
    "invalid notebook",
    "missing notebook",
    "error",
)
FIELDS = ("student", "assignment", "notebook", "status", "score", "max_score")
FIELDS += ("tampering", "details", "seconds")


@dataclass
class Row:
    """One line of the grading report."""

    student: str
    assignment: str
    notebook: str
    status: str = "graded"
    score: float | None = None
    max_score: float | None = None
    tampering: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    seconds: float | None = None  # time the notebook's execution took

    def as_dict(self) -> dict[str, str]:
        return {
            "student": self.student,
            "assignment": self.assignment,
            "notebook": self.notebook,
            "status": self.status,
            "score": "" if self.score is None else f"{self.score:g}",
            "max_score": "" if self.max_score is None else f"{self.max_score:g}",
            "tampering": "; ".join(self.tampering),
            "details": "; ".join(self.details),
            "seconds": "" if self.seconds is None else f"{self.seconds:.2f}",
        }


def classify_failure(text: str) -> tuple[str, str]:
    """``(status, reason)`` of a failed autograde, from nbgrader's log and error text."""
    if "Kernel died" in text or "DeadKernelError" in text:
        return "kernel died", "the kernel died while running the notebook (os._exit, crash, kill)"
    if "UnresponsiveKernel" in text or "Timeout waiting for" in text or "CellTimeout" in text:
        return "timeout", "the kernel did not answer in time"
    generic = ("There was an error", "Traceback", "Please see", "error processing")
    for line in text.splitlines():
        if line.startswith("[ERROR]") and not any(g in line for g in generic):
            return "error", line.removeprefix("[ERROR]").strip()[:200]
    last = [line for line in text.strip().splitlines() if line.strip()]
    return "error", (last[-1][:200] if last else "nbgrader failed")


def outcome_notes(nb) -> tuple[list[str], bool]:
    """Notes on errors that matter in a graded notebook; True if a cell timed out."""
    notes, timed_out = [], False
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        grade_id = nbgrader_meta(cell).get("grade_id", "(unnamed cell)")
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            if output.get("ename") == "CellTimeoutError":
                notes.append(f"cell {grade_id} timed out and was interrupted")
                timed_out = True
            elif output.get("ename") == "SystemExit":
                notes.append(f"cell {grade_id} called sys.exit()")
    return notes, timed_out


def write_report(rows: list[Row], base: Path) -> None:
    """``base.csv`` and ``base.md``: every row, and a count per status."""
    with base.with_suffix(".csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(row.as_dict() for row in rows)
    lines = ["# Grading report", "", "| " + " | ".join(FIELDS) + " |"]
    lines.append("|" + "---|" * len(FIELDS))
    for row in rows:
        values = [row.as_dict()[key].replace("|", "\\|") for key in FIELDS]
        lines.append("| " + " | ".join(values) + " |")
    counts = {s: sum(r.status == s for r in rows) for s in STATUSES}
    lines += ["", ", ".join(f"{n} {s}" for s, n in counts.items() if n)]
    base.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
