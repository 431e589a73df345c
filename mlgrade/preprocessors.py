"""nbgrader preprocessors that make autograding fair; used by ``nbgrader_config.py`` only.

This module imports nbgrader; nothing else in ``mlgrade`` that a student kernel loads
imports it. Three problems of stock nbgrader 0.9 are fixed here.

* :class:`FairOverwriteCells` (autograde, sanitizing step): nbgrader compares each locked
  cell of a submission with the *source* notebook, which still holds the hidden tests, so
  "Checksum for grade cell ... has changed!" fires for every honest submission. This
  subclass first compares the cell with what was *released* (the source without its hidden
  tests): an unchanged cell is restored silently, and only a real edit of a locked cell (or
  a changed cell type) is logged, with the word ``TAMPERING``. Restoring is what nbgrader
  does anyway, so scores are unaffected; the log is what changes.
* :class:`FairGradeOutputs` (autograde, right after execution): nbgrader scores a test cell
  0 when it has any stderr output, so a correct answer that warns lost its points; stderr
  in a test cell becomes stdout (the text stays visible as feedback, errors still score 0).
  An ``execute_result`` in a test cell would be read as a partial-credit number even before
  a later error; it becomes ``display_data`` so that only errors decide a test cell.
* :class:`HideHiddenTests` (feedback): removes the hidden-test regions from test cells and
  shortens tracebacks of test cells to ``ErrorName: message``, so feedback never shows
  hidden test code.
"""

from __future__ import annotations

import copy

from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor, OverwriteCells

__all__ = ["FairGradeOutputs", "FairOverwriteCells", "HideHiddenTests", "released_source"]

TAMPERING = "TAMPERING"


def released_source(source: str, cell_type: str = "code") -> str:
    """The source of a cell as ``nbgrader generate_assignment`` releases it."""
    cell = NotebookNode({"cell_type": cell_type, "source": source, "metadata": {}, "outputs": []})
    ClearHiddenTests()._remove_hidden_test_region(cell)
    return cell.source


class FairOverwriteCells(OverwriteCells):
    """OverwriteCells that tells the released version of a locked cell from an edited one."""

    def report_change(self, name, attr, old, new) -> None:
        if attr == "checksum":
            self.log.warning(
                "%s: locked cell %s was edited; restored from the source", TAMPERING, name
            )
        else:
            self.log.warning(
                "%s: attribute '%s' of cell %s was changed (should be: %s, got: %s); restored",
                TAMPERING,
                attr,
                name,
                old,
                new,
            )

    def preprocess_cell(self, cell, resources, cell_index):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is not None and utils.is_locked(cell):
            try:
                source_cell = self.gradebook.find_source_cell(
                    grade_id, self.notebook_id, self.assignment_id
                )
            except Exception:  # unknown cell: nbgrader's own handling below
                source_cell = None
            if (
                source_cell is not None
                and source_cell.locked
                and cell.cell_type == source_cell.cell_type
                and cell.source == released_source(source_cell.source, source_cell.cell_type)
            ):
                # The cell is exactly what students received: put the hidden tests back.
                cell.source = source_cell.source
                self.log.debug("Restored the hidden tests of cell %s", grade_id)
        return super().preprocess_cell(cell, resources, cell_index)


class FairGradeOutputs(NbGraderPreprocessor):
    """Make only errors count in test cells: stderr -> stdout, execute_result -> display."""

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code" or not utils.is_grade(cell) or utils.is_solution(cell):
            return cell, resources
        for output in cell.get("outputs", []):
            if output.output_type == "stream" and output.name == "stderr":
                output.name = "stdout"
            elif output.output_type == "execute_result":
                output.output_type = "display_data"
                output.pop("execution_count", None)
        return cell, resources


class HideHiddenTests(NbGraderPreprocessor):
    """Feedback without hidden test code: strip the regions, shorten the tracebacks."""

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code" or not utils.is_grade(cell) or utils.is_solution(cell):
            return cell, resources
        hidden = "BEGIN HIDDEN TESTS" in cell.source
        stripped = copy.deepcopy(cell)
        ClearHiddenTests()._remove_hidden_test_region(stripped)
        cell.source = stripped.source
        if hidden:
            cell.source = cell.source.rstrip() + "\n# (hidden tests ran here)"
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources
