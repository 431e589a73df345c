"""Reading submitted notebooks and their nbgrader metadata."""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["assignments_in", "nbgrader_meta", "read_notebook"]


def read_notebook(path: Path):
    """``(notebook, None)``, or ``(None, why it is not a valid notebook)``."""
    import nbformat

    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"cannot be read ({type(exc).__name__})"
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:
        return None, f"not a valid Jupyter notebook ({type(exc).__name__}: {str(exc)[:120]})"
    return nb, None


def nbgrader_meta(cell) -> dict:
    """The ``nbgrader`` metadata of a cell (an empty dict when it has none)."""
    return dict(cell.get("metadata", {}).get("nbgrader", {}) or {})


def assignments_in(root: Path, folder: str) -> list[str]:
    """The assignments of ``root/folder``: its subfolders that hold a notebook."""
    base = Path(root) / folder
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))
