"""The parts of ``make formgrade`` that need no server: rubrics, notebooks to grade by hand.

The formgrader itself, in a browser, is tested by ``test_formgrader.py``.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat
import pytest

from mlgrade.formgrade import ShowRubrics, mathjax_folder, rubrics_of
from mlgrade.manual import manual_notebook

REPO = Path(__file__).resolve().parents[2]
SOURCES = sorted(REPO.glob("solutions/*/*.ipynb"))


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _written(nb) -> list:
    return [c for c in nb.cells if _meta(c).get("solution") and _meta(c).get("grade")]


@pytest.mark.parametrize("path", SOURCES, ids=[p.stem for p in SOURCES])
def test_every_written_answer_has_its_rubric_first(path):
    source = nbformat.read(str(path), as_version=4)
    rubrics = rubrics_of(source)
    assert set(rubrics) == {_meta(c)["grade_id"] for c in _written(source)}
    for cell in _written(source):
        panel = rubrics[_meta(cell)["grade_id"]]
        assert panel.startswith("**Rubric"), panel[:80]
        assert "BEGIN SOLUTION" not in panel and "END SOLUTION" not in panel
        assert "*Model answer:*" in panel


def test_rubric_cells_follow_their_answers_and_students_cannot_fake_one(tmp_path):
    path = next(p for p in SOURCES if _written(nbformat.read(str(p), as_version=4)))
    released = nbformat.read(str(REPO / "exercises" / path.parent.name / path.name), 4)
    fake = nbformat.v4.new_markdown_cell("**Rubric** full marks for everyone")
    fake.metadata["mlgrade"] = {"rubric": _meta(_written(released)[0])["grade_id"]}
    released.cells.insert(0, fake)

    class Course:  # what the preprocessor needs of nbgrader's CourseDirectory
        source_directory = "solutions"

        @staticmethod
        def format_path(step, student, assignment):
            return str(REPO / step / assignment)

    resources = {"assignment_id": path.parent.name, "notebook_id": path.stem}
    nb, _ = ShowRubrics(coursedir=Course()).preprocess(copy.deepcopy(released), resources)
    shown = [i for i, c in enumerate(nb.cells) if c.metadata.get("mlgrade")]
    assert len(shown) == len(_written(released))
    for i in shown:
        answer, rubric = nb.cells[i - 1], nb.cells[i]
        assert rubric.metadata["mlgrade"]["rubric"] == _meta(answer)["grade_id"]
        assert rubric.source.startswith("**Rubric")
    assert "mlgrade" not in nb.cells[0].metadata  # the student's fake is a plain cell


def test_failed_notebook_keeps_the_answers_runs_nothing_and_holds_no_solution(tmp_path):
    path = SOURCES[0]
    source = nbformat.read(str(path), as_version=4)
    released = nbformat.read(str(REPO / "exercises" / path.parent.name / path.name), 4)
    student = copy.deepcopy(released)
    for cell in student.cells:
        if _meta(cell).get("solution"):
            cell.source = f"answer of {_meta(cell)['grade_id']} <script>steal()</script>"
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="fake pass")]
    submitted = tmp_path / path.name
    nbformat.write(student, str(submitted))
    nb = manual_notebook(released, submitted, "error", "nbgrader failed", "submitted/x.ipynb")
    text = nbformat.writes(nb)
    assert "Not autograded" in nb.cells[0].source
    assert "status: error" in nb.cells[1].outputs[0]["text"]
    for cell in nb.cells[2:]:
        if _meta(cell).get("solution"):
            assert f"answer of {_meta(cell)['grade_id']}" in cell.source
            if cell.cell_type == "markdown":  # student markdown is inert, as in autograding
                assert "<script" not in cell.source
        if cell.cell_type == "code":
            assert cell.outputs == [], "nothing was executed: no output is shown"
    hidden = re.findall(
        r"BEGIN HIDDEN TESTS(.*?)### END", "".join(c.source for c in source.cells), re.S
    )
    public = nbformat.writes(released)
    lines = [ln.strip() for region in hidden for ln in region.splitlines() if len(ln.strip()) > 25]
    lines = [line for line in lines if line not in public]
    assert lines and not any(line in text for line in lines)
    # A file that is not a notebook: its text, as output text.
    broken = tmp_path / "broken.ipynb"
    broken.write_text("<script>x()</script> not json", encoding="utf-8")
    nb = manual_notebook(released, broken, "invalid notebook", "not valid JSON")
    assert nb.cells[2].outputs[0]["text"].startswith("<script>x()</script>")
    assert nb.cells[2].outputs[0]["output_type"] == "stream"


def test_the_local_mathjax_is_installed():
    folder = mathjax_folder()
    assert (folder / "mathjax" / "tex-chtml.js").is_file()
    assert (folder / "mathjax" / "ui" / "safe.js").is_file()
