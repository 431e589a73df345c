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

import base64
import binascii
import copy
import re

from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor, OverwriteCells
from traitlets import Unicode

__all__ = [
    "FairGradeOutputs",
    "FairOverwriteCells",
    "HideHiddenTests",
    "RestoreMetadata",
    "SafeOutputs",
    "released_source",
    "safe_bundle",
    "safe_markdown",
]

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


# What a student's output may keep: text, and images whose bytes are what they claim.
_SAFE_IMAGES = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}
_URL_SCHEMES = re.compile(r"(?i)\b(javascript|vbscript|data)\s*:")


def _safe_image(mime: str, data: object) -> bool:
    if not isinstance(data, str):
        return False
    try:
        raw = base64.b64decode(data.replace("\n", ""), validate=True)
    except (ValueError, binascii.Error):
        return False
    return raw.startswith(_SAFE_IMAGES[mime])


def safe_bundle(data: dict) -> dict:
    """A display bundle reduced to plain text and real PNG/JPEG images."""
    kept = {}
    for mime, value in data.items():
        if mime in _SAFE_IMAGES and _safe_image(mime, value):
            kept[mime] = value
    text = data.get("text/plain")
    if isinstance(text, list):
        text = "".join(str(t) for t in text)
    if isinstance(text, str):
        kept["text/plain"] = text
    elif not kept:
        dropped = ", ".join(sorted(str(m) for m in data)) or "nothing"
        kept["text/plain"] = f"[output removed for safety: {dropped}]"
    return kept


def safe_markdown(source: str) -> str:
    """Markdown whose raw HTML and script URLs show as text instead of running."""
    text = source.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # An entity would be decoded back in a link's URL; a different scheme name is inert.
    return _URL_SCHEMES.sub(lambda m: f"unsafe-{m.group(1)}:", text)


class SafeOutputs(NbGraderPreprocessor):
    """Nothing of a submission can run in the grader's browser.

    Run after execution, before the notebook reaches the gradebook, the formgrader and the
    feedback: every output keeps only plain text, real PNG/JPEG images, stream text and
    error text (HTML, JavaScript, SVG, Markdown, LaTeX and widget outputs are dropped, with a
    note); markdown cells that the student wrote show raw HTML as text; notebook and cell
    metadata that front ends render (widgets, attachments of unknown types) are removed.
    """

    def preprocess(self, nb, resources):
        nb.metadata.pop("widgets", None)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, cell_index):
        cell.metadata.pop("widgets", None)
        if cell.cell_type == "markdown" and not utils.is_locked(cell):
            cell.source = safe_markdown(cell.source)
            cell.pop("attachments", None)
        if cell.cell_type != "code":
            return cell, resources
        for output in cell.get("outputs", []):
            if output.get("output_type") in ("display_data", "execute_result"):
                output["data"] = safe_bundle(dict(output.get("data", {})))
                output["metadata"] = {}
        return cell, resources


class RestoreMetadata(NbGraderPreprocessor):
    """A submission whose nbgrader metadata was stripped, matched back to the release.

    First of the sanitizing steps: the notebook nbgrader grades gets the release's metadata
    (:func:`mlgrade.restore.restore_metadata`); the student's file in ``submitted/`` is not
    changed. The release is read from ``<course root>/<release_directory>``.
    """

    release_directory = Unicode("exercises", help="the released notebooks' folder").tag(
        config=True
    )

    def preprocess(self, nb, resources):
        from pathlib import Path

        from .restore import has_nbgrader_metadata, restore_metadata

        if has_nbgrader_metadata(nb):
            return nb, resources
        assignment = resources.get("nbgrader", {}).get("assignment", "")
        name = resources.get("unique_key", "")
        path = Path.cwd() / self.release_directory / assignment / f"{name}.ipynb"
        if path.exists():
            import nbformat

            restored = restore_metadata(nb, nbformat.read(str(path), as_version=4))
            if restored is not None:
                self.log.warning("%s: nbgrader metadata restored from the release", name)
                return restored, resources
        return nb, resources
