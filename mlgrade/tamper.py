"""Compare a submission with the released notebook: what a student changed that is locked.

The hidden tests are not in the released notebook, so an honest submission shows no
tampering here, although nbgrader's checksums of its test cells differ.
"""

from __future__ import annotations

import re

from .notebooks import nbgrader_meta

__all__ = ["check_submission"]

# Code in a student's cell that games the tests: reported as tampering (the tests resist it).
_COMPARE = r"__(eq|ne|lt|le|gt|ge|bool)__"
_HELPERS = r"(checks|assert_close|assert_true|as_float|as_array|assert_from_scratch|rng_for)"
_GAMING = {
    rf"def\s+{_COMPARE}|\b{_COMPARE}\s*=": "defines a comparison method (always-equal object?)",
    rf"\bchecks\.\w+\s*=[^=]|setattr\(|^\s*{_HELPERS}\s*=[^=]|\bas\s+{_HELPERS}\b": (
        "rebinds a test helper (mlgrade.checks)"
    ),
    r"\bsys\.modules\b|\bimport\s+builtins\b|__builtins__": "touches sys.modules or builtins",
    r"\bglobals\(\)\s*\[|\bglobals\(\)\.update": "rebinds names through globals()",
    r"\bset_custom_exc\b|\binput_transformers|\bast_transformers\b|\bevents\.register\b": (
        "changes how IPython runs or reports cells"
    ),
    r"\bsys\.(settrace|setprofile)\b|\b_getframe\b|\binspect\.(stack|currentframe)\b": (
        "inspects or traces the running code"
    ),
    r"^\s*(np|numpy|math|torch)\.[\w.]+\s*=[^=]": "replaces a library function",
    r"def\s+__array__": "defines __array__ (an object posing as an array)",
}
# Code in a submission that an instructor should look at (reported, never scored).
_SUSPICIOUS = {
    r"\bos\._exit\b": "calls os._exit",
    r"\bsys\.exit\b|\bexit\(\)|\bquit\(\)": "calls sys.exit/exit/quit",
    r"\bos\.kill\b|\bsignal\.": "sends signals",
}

_COMPARED_METADATA = ("grade", "solution", "locked", "points")


def _by_grade_id(nb) -> dict[str, list]:
    found: dict[str, list] = {}
    for cell in nb.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if grade_id:
            found.setdefault(grade_id, []).append(cell)
    return found


def _locked_cell_changes(grade_id: str, released, found: list) -> list[str]:
    """How the submitted copies ``found`` of a locked released cell differ from it."""
    if not found:
        return [f"deleted cell {grade_id}"]
    changes = []
    if len(found) > 1:
        changes.append(f"duplicated cell {grade_id}")
    sub = found[0]
    if sub.cell_type != released.cell_type:
        changes.append(
            f"changed cell type of {grade_id} ({released.cell_type} -> {sub.cell_type})"
        )
    if sub.source != released.source:
        changes.append(f"edited locked cell {grade_id}")
    return changes


def _metadata_changes(grade_id: str, released, sub) -> list[str]:
    meta, sub_meta = nbgrader_meta(released), nbgrader_meta(sub)
    changed = [key for key in _COMPARED_METADATA if sub_meta.get(key) != meta.get(key)]
    if not changed:
        return []
    return [f"changed nbgrader metadata of {grade_id} ({', '.join(changed)})"]


def _code_remarks(submitted) -> tuple[list[str], list[str]]:
    """Gaming patterns (tampering) and suspicious calls (notes) in the student's cells."""
    tampering, notes = [], []
    for cell in submitted.cells:
        if cell.cell_type != "code" or nbgrader_meta(cell).get("locked"):
            continue
        grade_id = nbgrader_meta(cell).get("grade_id", "an unnamed cell")
        for pattern, what in _GAMING.items():
            if re.search(pattern, cell.source, re.MULTILINE):
                tampering.append(f"{grade_id} {what}")
        for pattern, what in _SUSPICIOUS.items():
            if re.search(pattern, cell.source) and what not in notes:
                notes.append(what)
    return tampering, notes


def check_submission(submitted, released) -> tuple[list[str], list[str]]:
    """Compare a submitted notebook with the released one.

    Returns ``(tampering, notes)``: the changes to locked cells (edited, deleted, retyped,
    duplicated, metadata changed) and remarks on suspicious code in the student's cells.
    """
    tampering: list[str] = []
    notes: list[str] = []
    by_id = _by_grade_id(submitted)
    for cell in released.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if not grade_id:
            continue
        found = by_id.get(grade_id, [])
        if nbgrader_meta(cell).get("locked"):
            tampering += _locked_cell_changes(grade_id, cell, found)
        elif not found:
            notes.append(f"answer cell {grade_id} deleted")
        if found:
            tampering += _metadata_changes(grade_id, cell, found[0])
    released_ids = set(_by_grade_id(released))
    tampering += [f"unknown cell id {g}" for g in by_id if g not in released_ids]
    gaming, remarks = _code_remarks(submitted)
    return tampering + gaming, notes + remarks
