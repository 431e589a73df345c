"""The catalogue of typical mistakes (tests/grading/cases/<assignment>.py ``MISTAKES``).

Each solution notebook is run in-process, once per mistake with the answer cell replaced by
the mistaken version, and its test cells are executed directly (no nbgrader, no kernel):

* the solution passes every test cell, public and hidden, for every student seed;
* a mistake marked ``public`` fails a test cell of its question in its *released* form
  (the hidden tests removed), with a short ``AssertionError`` whose first line is at most
  80 characters and names what is wrong;
* every mistake fails exactly the test cells it lists in autograding (all the others keep
  their points), and the listed cells fail for every one of ``SEEDS`` student ids, so no
  wrong answer earns the points of the test it targets by luck of the random inputs;
* at least 80% of the typical mistakes of every assignment are caught by a public test.

MLCOURSE_MISTAKE_SEEDS sets the number of student ids (default 200).
"""

import contextlib
import io
import linecache
import os
import runpy
import warnings
from pathlib import Path

import nbformat
import pytest

from mlgrade.preprocessors import released_source

REPO = Path(__file__).resolve().parents[2]
CASES = REPO / "tests" / "grading" / "cases"
ASSIGNMENTS = sorted(
    p.parent.name
    for p in REPO.glob("solutions/*/*.ipynb")
    if p.stem == p.parent.name and (CASES / f"{p.parent.name}.py").exists()
)
SEEDS = int(os.environ.get("MLCOURSE_MISTAKE_SEEDS", "200"))
PUBLIC_TARGET = 0.8
FIRST_LINE = 80


def _meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def _is_test(cell):
    return (
        cell.cell_type == "code" and _meta(cell).get("grade") and not _meta(cell).get("solution")
    )


_CATALOGUE = {}


def mistakes(assignment):
    if assignment not in _CATALOGUE:
        _CATALOGUE[assignment] = runpy.run_path(str(CASES / f"{assignment}.py")).get(
            "MISTAKES", []
        )
    return _CATALOGUE[assignment]


class Notebook:
    """A source notebook run in-process: answer cells may be replaced, tests run one by one."""

    def __init__(self, assignment):
        self.assignment = assignment
        path = REPO / "solutions" / assignment / f"{assignment}.ipynb"
        self.nb = nbformat.read(str(path), as_version=4)
        self.tests = {
            _meta(c)["grade_id"]: (c.source, released_source(c.source))
            for c in self.nb.cells
            if _is_test(c)
        }
        self.points = {
            _meta(c)["grade_id"]: float(_meta(c)["points"]) for c in self.nb.cells if _is_test(c)
        }
        self.answers = {
            _meta(c)["grade_id"]
            for c in self.nb.cells
            if _meta(c).get("solution") and c.cell_type == "code"
        }

    def _exec(self, source, ns, label):
        filename = f"<{self.assignment}:{label}>"
        lines = source.splitlines(keepends=True)
        linecache.cache[filename] = (len(source), None, lines, filename)
        exec(compile(source, filename, "exec"), ns)

    def run(self, replace=None, seed="local"):
        """Run every non-test cell (with ``replace = {grade_id: source}``); the namespace."""
        replace = replace or {}
        ns = {"__name__": "__main__"}
        with _context(self.assignment, seed), _quiet():
            for i, cell in enumerate(self.nb.cells):
                meta = _meta(cell)
                if cell.cell_type != "code" or _is_test(cell) or not meta:
                    continue  # cells without nbgrader metadata are the student's playground
                gid = meta.get("grade_id", f"cell{i}")
                source = replace.get(gid, cell.source)
                with contextlib.suppress(Exception):  # nbgrader runs on after an error too
                    self._exec(source, ns, gid)
        return ns

    def test(self, ns, grade_id, public=False, seed="local"):
        """None if the test cell passes, else the exception it raised."""
        full, released = self.tests[grade_id]
        with _context(self.assignment, seed), _quiet():
            try:
                self._exec(released if public else full, ns, grade_id)
            except Exception as exc:
                return exc
        return None


@contextlib.contextmanager
def _context(assignment, student):
    old = {k: os.environ.get(k) for k in ("MLCOURSE_STUDENT_ID", "MLCOURSE_ASSIGNMENT")}
    os.environ["MLCOURSE_STUDENT_ID"] = str(student)
    os.environ["MLCOURSE_ASSIGNMENT"] = assignment
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextlib.contextmanager
def _quiet():
    with (
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        yield


def _students():
    return [f"student{i:03d}" for i in range(SEEDS)]


_NOTEBOOKS = {}


def notebook(assignment):
    if assignment not in _NOTEBOOKS:
        # Agg for this process only: an environment variable would leak into every
        # process this test session starts later (a JupyterLab would draw no figures).
        import matplotlib

        matplotlib.use("Agg")
        _NOTEBOOKS[assignment] = Notebook(assignment)
    return _NOTEBOOKS[assignment]


CASE_IDS = [
    pytest.param(a, i, id=f"{a}-{m['cell']}-{i}")
    for a in ASSIGNMENTS
    for i, m in enumerate(mistakes(a))
]


# --------------------------------------------------------------------------- the catalogue
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_catalogue_is_well_formed(assignment):
    nb = notebook(assignment)
    cases = mistakes(assignment)
    assert cases, f"{assignment}: no MISTAKES"
    for m in cases:
        assert set(m) >= {"cell", "mistake", "public", "tests", "source"}, m
        assert set(m.get("targets", m["tests"])) <= set(m["tests"]), m["targets"]
        assert m["cell"] in nb.answers, f"{m['cell']} is not an answer cell of {assignment}"
        assert m["tests"] and set(m["tests"]) <= set(nb.tests), m["tests"]
        assert isinstance(m["public"], bool) and m["mistake"].strip()
    covered = {m["cell"] for m in cases}
    assert nb.answers <= covered, f"no typical mistake for {sorted(nb.answers - covered)}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_public_tests_catch_most_typical_mistakes(assignment):
    cases = mistakes(assignment)
    share = sum(m["public"] for m in cases) / len(cases)
    assert share >= PUBLIC_TARGET, f"{assignment}: public tests catch {share:.0%} of the mistakes"


# --------------------------------------------------------------------------- the solution
@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_passes_every_test_for_every_student(assignment):
    nb = notebook(assignment)
    problems = []
    ns = nb.run()
    for student in ["local", *_students()]:
        for gid in nb.tests:
            exc = nb.test(ns, gid, seed=student)
            if exc is not None:
                problems.append(f"{student} {gid}: {type(exc).__name__}: {exc}")
        if problems:
            break
    assert not problems, "\n".join(problems[:5])


# --------------------------------------------------------------------------- the mistakes
def _first_line(exc):
    return (str(exc).splitlines() or [""])[0]


@pytest.mark.parametrize(("assignment", "index"), CASE_IDS)
def test_public_tests_catch_the_marked_mistake(assignment, index):
    m = mistakes(assignment)[index]
    nb = notebook(assignment)
    ns = nb.run({m["cell"]: m["source"]})
    caught = {}
    for gid in m["tests"]:
        exc = nb.test(ns, gid, public=True)
        if exc is not None:
            caught[gid] = exc
    if not m["public"]:
        return
    assert caught, f"{m['mistake']}: no public test of {m['cell']} fails"
    # A later cell may fail with a NameError because this answer broke a cell it needs;
    # what matters is a readable failure where the mistake is.
    readable = {g: e for g, e in caught.items() if isinstance(e, AssertionError)}
    assert readable, f"{m['mistake']}: only raw errors: {caught}"
    for gid, exc in readable.items():
        text = _first_line(exc)
        assert 0 < len(text) <= FIRST_LINE, f"{gid}: first line of {len(text)} chars: {text}"


@pytest.mark.parametrize(("assignment", "index"), CASE_IDS)
def test_mistake_loses_exactly_its_points(assignment, index):
    m = mistakes(assignment)[index]
    nb = notebook(assignment)
    ns = nb.run({m["cell"]: m["source"]})
    failed = sorted(gid for gid in nb.tests if nb.test(ns, gid) is not None)
    assert failed == sorted(m["tests"]), f"{m['mistake']}: failing test cells {failed}"


@pytest.mark.slow
@pytest.mark.parametrize(("assignment", "index"), CASE_IDS)
def test_mistake_never_earns_the_points_it_targets(assignment, index):
    m = mistakes(assignment)[index]
    nb = notebook(assignment)
    ns = nb.run({m["cell"]: m["source"]})
    # "targets": the tests of the mistake's own question, when later questions that use
    # the answer may pass for some inputs by luck (they still fail for the default id).
    for student in _students():
        for gid in m.get("targets", m["tests"]):
            exc = nb.test(ns, gid, seed=student)
            assert exc is not None, f"{m['mistake']}: {gid} passes for student id {student}"
