"""SafeOutputs: what a submission shows reaches the grader's browser as text and images only."""

from __future__ import annotations

import base64
import re

import nbformat

from mlgrade.preprocessors import SafeOutputs, safe_bundle, safe_markdown

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 16).decode()


def test_bundles_keep_text_and_real_images_only():
    bundle = {
        "text/plain": "<b>hi</b>",
        "text/html": "<script>steal()</script>",
        "application/javascript": "steal()",
        "image/svg+xml": "<svg onload='steal()'/>",
        "image/png": PNG,
    }
    assert safe_bundle(bundle) == {"text/plain": "<b>hi</b>", "image/png": PNG}
    fake = base64.b64encode(b"<script>steal()</script>").decode()
    assert "image/png" not in safe_bundle({"image/png": fake, "text/plain": "x"})
    assert "removed for safety" in safe_bundle({"text/html": "<i>x</i>"})["text/plain"]


def test_markdown_html_and_script_links_become_inert():
    text = safe_markdown("<script>x()</script> [a](javascript:x()) [b](JavaScript :y) $a<b$")
    assert "<script" not in text
    assert re.search(r"(?<!unsafe-)javascript\s*:", text, re.IGNORECASE) is None, text
    assert "&lt;script&gt;" in text and "$a&lt;b$" in text


def test_preprocessor_cleans_outputs_and_student_markdown_but_not_locked_cells():
    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("display(HTML(...))")
    code.outputs = [
        nbformat.v4.new_output("display_data", data={"text/html": "<script>x()</script>"}),
        nbformat.v4.new_output("stream", name="stdout", text="<script>shown as text</script>"),
    ]
    answer = nbformat.v4.new_markdown_cell("<img src=x onerror=steal()>")
    answer.metadata["nbgrader"] = {"grade_id": "a", "solution": True, "grade": True}
    locked = nbformat.v4.new_markdown_cell("<b>instructions</b>")
    locked.metadata["nbgrader"] = {"grade_id": "i", "locked": True}
    nb.cells = [code, answer, locked]
    nb.metadata["widgets"] = {"state": "<script>"}
    nb, _ = SafeOutputs().preprocess(nb, {})
    assert list(code.outputs[0]["data"]) == ["text/plain"]
    assert code.outputs[1]["text"] == "<script>shown as text</script>"  # rendered as text
    assert "<img" not in answer.source and locked.source == "<b>instructions</b>"
    assert "widgets" not in nb.metadata
