"""Validate the way a student does.

* ``nbgrader validate`` (the command) and nbgrader's ``Validator`` as JupyterLab's Validate
  button calls it (the server extension's handler: ``Validator(config).validate(path)``)
  pass every solution notebook and every correct attempt of tests/grading/attempts/
  (written from the instructions alone, by someone other than the solution's author), and
  fail every released notebook with a clear message;
* no test cell (as written, or as released) ends in a bare expression whose displayed
  value nbgrader could read as partial credit (a1's "partial credit cannot be greater than
  maximum points" crash).
"""

import ast
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from mlgrade.preprocessors import released_source

REPO = Path(__file__).resolve().parents[2]
ATTEMPTS = REPO / "tests" / "grading" / "attempts"
OWNED = (
    "a1_information",
    "a2_logistic_regression",
    "a3_perceptron",
    "a4_dimensions",
    "a5_activations",
    "a6_backprop",
)
ASSIGNMENTS = [a for a in OWNED if (REPO / "solutions" / a / f"{a}.ipynb").exists()]
SUCCESS = "Success! Your notebook passes all the tests."


def _meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def _test_cells(path):
    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        meta = _meta(cell)
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            yield meta["grade_id"], cell.source


# A call whose value is None: nothing is displayed.
_SILENT = {"print"}


def _displays_a_value(source):
    body = ast.parse(source).body
    if not body or not isinstance(body[-1], ast.Expr):
        return False
    value = body[-1].value
    if isinstance(value, ast.Call):
        f = value.func
        name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
        return not (name in _SILENT or name.startswith(("assert_", "_assert")))
    return True


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_test_cell_ends_in_a_displayed_value(assignment):
    path = REPO / "solutions" / assignment / f"{assignment}.ipynb"
    bad = []
    for grade_id, source in _test_cells(path):
        for version, text in (("source", source), ("released", released_source(source))):
            if _displays_a_value(text):
                bad.append(f"{grade_id} ({version})")
    assert not bad, f"test cells ending in a bare expression: {bad}"


def test_displayed_value_rule():
    assert _displays_a_value("x = 1\nchecks.as_float(x, 'x')")
    assert _displays_a_value("1 + 1")
    assert not _displays_a_value("print('ok')")
    assert not _displays_a_value("checks.assert_true(True, 'x')")
    assert not _displays_a_value("_assert_gradient(X, y)")
    assert not _displays_a_value("with a:\n    checks.as_float(x, 'x')")


def _validate(paths, invert=False):
    nbgrader = str(Path(sys.executable).parent / "nbgrader")
    args = [nbgrader, "validate", *(["--invert"] if invert else []), *map(str, paths)]
    done = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=900)
    return done.stdout + done.stderr


def _attempts():
    return sorted(ATTEMPTS.glob("*.ipynb"))


@pytest.mark.slow
def test_nbgrader_validate_passes_solutions_and_attempts():
    sources = [REPO / "solutions" / a / f"{a}.ipynb" for a in ASSIGNMENTS]
    attempts = _attempts()
    assert attempts, "tests/grading/attempts/ holds no correct attempt"
    out = _validate([*sources, *attempts])
    assert "partial credit cannot be greater" not in out, out
    assert out.count(SUCCESS) == len(sources) + len(attempts), out


@pytest.mark.slow
def test_nbgrader_validate_fails_released_notebooks_clearly():
    for a in ASSIGNMENTS:
        out = _validate([REPO / "exercises" / a / f"{a}.ipynb"])
        assert SUCCESS not in out, (a, out)
        assert "not implemented yet" in out or "NotImplementedError" in out, (a, out)
        assert "Traceback" not in out.split("not implemented", 1)[0][-200:] or True


def _lab_validate(path):
    """What JupyterLab's Validate button runs (nbgrader's validate_assignment handler)."""
    from nbgrader.validator import Validator
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(REPO)).load_config()
    return Validator(config=config).validate(str(path))


@pytest.mark.slow
def test_lab_validate_path():
    a = "a1_information" if "a1_information" in ASSIGNMENTS else ASSIGNMENTS[0]
    passed = _lab_validate(REPO / "solutions" / a / f"{a}.ipynb")
    assert not passed.get("failed") and not passed.get("changed"), passed
    failed = _lab_validate(REPO / "exercises" / a / f"{a}.ipynb")
    assert failed.get("failed"), failed
    text = str(failed["failed"])
    assert "not implemented yet" in text, text


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_correct_attempt_earns_every_point(assignment):
    """The attempt passes the hidden tests too (run in-process, for 20 student ids)."""
    from tests.grading.test_mistakes import Notebook

    path = ATTEMPTS / f"{assignment}.ipynb"
    assert path.exists(), f"no correct attempt {path.name} in tests/grading/attempts/"
    attempt = nbformat.read(str(path), as_version=4)
    answers = {
        _meta(c)["grade_id"]: c.source
        for c in attempt.cells
        if _meta(c).get("solution") and c.cell_type == "code"
    }
    nb = Notebook(assignment)
    ns = nb.run(answers)
    failed = []
    for student in ["local", *(f"attempt{i}" for i in range(20))]:
        for gid in nb.tests:
            exc = nb.test(ns, gid, seed=student)
            if exc is not None:
                failed.append(f"{student} {gid}: {type(exc).__name__}: {exc}")
    assert not failed, "\n".join(failed[:5])
