"""A submission whose nbgrader metadata was stripped is matched back to the release."""

from __future__ import annotations

from pathlib import Path

import nbformat

from mlgrade.notebooks import nbgrader_meta
from mlgrade.restore import has_nbgrader_metadata, restore_metadata

REPO = Path(__file__).resolve().parents[2]


def _released(name: str):
    return nbformat.read(str(REPO / "exercises" / name / f"{name}.ipynb"), as_version=4)


def _strip(nb):
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        cell.metadata = {}
    return nb


def test_every_cell_gets_its_metadata_back():
    for name in ("a1_information", "a4_dimensions"):
        released = _released(name)
        answered = nbformat.from_dict(released)
        for cell in answered.cells:
            if nbgrader_meta(cell).get("solution"):
                cell.source = "# my answer\n" + cell.source
        stripped = _strip(answered)
        assert not has_nbgrader_metadata(stripped)
        restored = restore_metadata(stripped, released)
        assert [nbgrader_meta(c).get("grade_id") for c in restored.cells] == [
            nbgrader_meta(c).get("grade_id") for c in released.cells
        ]
        assert [c.source for c in restored.cells] == [c.source for c in answered.cells]


def test_extra_and_missing_cells_do_not_shift_the_answers():
    released = _released("a1_information")
    nb = _strip(released)
    nb.cells.insert(3, nbformat.v4.new_code_cell("print('a cell of my own')"))
    nb.cells = [c for i, c in enumerate(nb.cells) if i != 30]  # one cell deleted
    restored = restore_metadata(nb, released)
    ids = [nbgrader_meta(c).get("grade_id") for c in restored.cells]
    want = [
        nbgrader_meta(c).get("grade_id") for c in released.cells if nbgrader_meta(c).get("locked")
    ]
    assert [i for i in ids if i in want] == [i for i in want if i in ids]
    assert "entropy" in ids


def test_nothing_to_match_gives_none():
    released = _released("a1_information")
    alien = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    assert restore_metadata(alien, released) is None
