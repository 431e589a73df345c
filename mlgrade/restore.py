"""A notebook whose nbgrader metadata was stripped, matched back to the release.

Some editors (and some students) drop the cell metadata: the notebook is valid and all the
work is there, but nbgrader no longer knows which cell is an answer and which is a test.
:func:`restore_metadata` walks the submission and the released notebook side by side: every
locked cell of the release is found again by its exact source (in order), and the cells the
student wrote between two such anchors take the metadata of the answer cells the release has
there, in order and by cell type (cells left exactly as released, such as instructions,
are skipped). What cannot be matched keeps no metadata (it still runs);
a test cell that is missing is added back by nbgrader from the gradebook.
"""

from __future__ import annotations

import copy
import itertools

from .notebooks import nbgrader_meta

__all__ = ["has_nbgrader_metadata", "restore_metadata"]


def has_nbgrader_metadata(nb) -> bool:
    """Whether any cell still carries nbgrader metadata with a grade id."""
    return any(nbgrader_meta(c).get("grade_id") for c in nb.cells)


def restore_metadata(submitted, released):
    """A copy of ``submitted`` with the release's nbgrader metadata put back; None if no
    locked cell of the release can be found in it (then nothing is matched safely)."""
    nb = copy.deepcopy(submitted)
    pairs, start = [], 0
    for rel in released.cells:
        if not nbgrader_meta(rel).get("locked"):
            continue
        for j in range(start, len(nb.cells)):
            sub = nb.cells[j]
            if sub.cell_type == rel.cell_type and sub.source.strip() == rel.source.strip():
                pairs.append((rel, j))
                start = j + 1
                break
    if not pairs:
        return None
    for rel, j in pairs:
        nb.cells[j].metadata["nbgrader"] = copy.deepcopy(rel.metadata["nbgrader"])
    # Answer cells between consecutive anchors, in order and by type.
    rel_index = {id(c): i for i, c in enumerate(released.cells)}
    bounds = [
        (-1, -1),
        *[(rel_index[id(r)], j) for r, j in pairs],
        (len(released.cells), len(nb.cells)),
    ]
    for (r0, s0), (r1, s1) in itertools.pairwise(bounds):
        between = released.cells[r0 + 1 : r1]
        answers = [c for c in between if nbgrader_meta(c).get("grade_id")]
        # Cells the student left as released (instructions, say) are not answers.
        plain = {(c.cell_type, c.source.strip()) for c in between if c not in answers}
        mine = [c for c in nb.cells[s0 + 1 : s1] if (c.cell_type, c.source.strip()) not in plain]
        for answer in answers:
            match = next((c for c in mine if c.cell_type == answer.cell_type), None)
            if match is None:
                continue
            mine = mine[mine.index(match) + 1 :]
            match.metadata["nbgrader"] = copy.deepcopy(answer.metadata["nbgrader"])
    return nb
