"""A simulated class graded by real nbgrader in a throwaway course directory.

Every assignment of solutions/ is released, a class of students is put in submitted/, and
the whole class is autograded by ``python -m mlgrade autograde`` (nbgrader's API,
one worker process per assignment) and exported by ``nbgrader export``. The scores are read
back from the gradebook and must be exactly as expected:

* the solution, submitted as a student: full marks on every autograded cell;
* the untouched student version: 0 everywhere, and no crash;
* every case of tests/grading/cases/<assignment>.py ``WRONG``: its listed test cells 0, all
  others full marks (cases whose listed cells do not overlap share one student, to keep the
  run short; set MLCOURSE_GRADING_SEPARATE=1 to give each case its own student);
* on one assignment only: gaming (an always-equal object, a test cell edited to ``pass``,
  deleted, or turned into markdown: no points gained, tampering reported, and the honest
  students show no tampering), a correct answer that warns and writes to stderr (full
  marks), and ``os._exit(0)``, ``sys.exit()``, a kernel crash, an endless loop, a notebook
  that is not JSON (a clear status in the report, everybody else graded normally);
* a synthetic assignment (z_fairness, made in the temporary course only) whose test cells
  stock nbgrader scores wrongly: a test cell that writes to stderr (full marks here) and a
  number displayed before a failure (0 here, not partial credit).

Also: the committed exercises/ are exactly what ``nbgrader generate_assignment`` produces,
and ``nbgrader validate`` passes every source notebook and no test of any student version.
"""

import copy
import csv
import os
import re
import runpy
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
CASES = REPO / "tests" / "grading" / "cases"
ASSIGNMENTS = sorted(
    p.parent.name for p in REPO.glob("solutions/*/*.ipynb") if p.stem == p.parent.name
)
# Gaming and crash cases run on one assignment only.
SPECIAL = "a1_information" if "a1_information" in ASSIGNMENTS else ASSIGNMENTS[0]
CELL_TIMEOUT = 20  # seconds; the endless loop waits for it (kept well above any real cell)
SEPARATE = os.environ.get("MLCOURSE_GRADING_SEPARATE") == "1"


def _env():
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.pop("MLCOURSE_STUDENT_ID", None)
    return env


def _run(args, cwd, timeout=900):
    return subprocess.run(
        args, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout, check=False
    )


def _meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def _cell(nb, grade_id):
    return next(c for c in nb.cells if _meta(c).get("grade_id") == grade_id)


def _autograded_tests(source_nb):
    """grade_id -> points of the autograded test cells."""
    return {
        _meta(c)["grade_id"]: float(_meta(c)["points"])
        for c in source_nb.cells
        if _meta(c).get("grade") and not _meta(c).get("solution")
    }


def _wrong_cases(assignment):
    path = CASES / f"{assignment}.py"
    return runpy.run_path(str(path))["WRONG"] if path.exists() else {}


def _pack(wrong):
    """Groups of WRONG cases whose listed test cells do not overlap."""
    groups = []
    for cell_id, (source, tests) in wrong.items():
        for group in groups:
            if not SEPARATE and not set(tests) & group["tests"]:
                break
        else:
            group = {"cells": {}, "tests": set(), "cases": []}
            groups.append(group)
        group["cells"][cell_id] = source
        group["tests"] |= set(tests)
        group["cases"].append(cell_id)
    return groups


class Class:
    """The simulated class: submissions, expected scores, results."""

    def __init__(self, root):
        self.root = root
        self.expected = {}  # (assignment, student) -> {test cell: expected score}
        self.sources = {}
        self.released = {}

    def submit(self, assignment, student, nb, expected=None):
        folder = self.root / "submitted" / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{assignment}.ipynb"
        if isinstance(nb, str):
            path.write_text(nb, encoding="utf-8")
        else:
            nbformat.write(nb, str(path))
        if expected is not None:
            self.expected[assignment, student] = expected

    def honest(self, assignment):
        """The released notebook with every answer cell filled in from the solution."""
        nb = copy.deepcopy(self.released[assignment])
        for cell in nb.cells:
            if _meta(cell).get("solution"):
                cell.source = _cell(self.sources[assignment], _meta(cell)["grade_id"]).source
        return nb


FAIRNESS = "z_fairness"  # a synthetic assignment that exercises the nbgrader configuration


def _fairness_source():
    """Test cells that stock nbgrader scores wrongly: stderr output, a displayed number."""
    nb = nbformat.v4.new_notebook()
    cells = [
        ("setup", "import sys\nimport warnings", False, True, None),
        (
            "answer",
            "def answer():\n    ### BEGIN SOLUTION\n    return 42\n    ### END SOLUTION",
            True,
            False,
            None,
        ),
        (
            "test_stderr",
            'warnings.warn("a warning in a test cell", UserWarning)\n'
            'print("a note on stderr", file=sys.stderr)\nassert answer() == 42',
            False,
            True,
            1,
        ),
        ("test_answer", "assert answer() == 42, 'wrong answer'", False, True, 2),
    ]
    for grade_id, source, solution, locked, points in cells:
        cell = nbformat.v4.new_code_cell(source)
        cell.id = grade_id
        meta = {"grade_id": grade_id, "solution": solution, "locked": locked}
        meta.update(grade=points is not None, schema_version=3)
        if points is not None:
            meta["points"] = points
        cell.metadata["nbgrader"] = meta
        nb.cells.append(cell)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def _build_class(root):
    klass = Class(root)
    a = FAIRNESS
    klass.sources[a] = nbformat.read(str(root / "solutions" / a / f"{a}.ipynb"), as_version=4)
    klass.released[a] = nbformat.read(str(root / "exercises" / a / f"{a}.ipynb"), as_version=4)
    # A correct answer whose test cell writes to stderr: full marks (stock nbgrader: 0).
    klass.submit(a, "solution", klass.honest(a), {"test_stderr": 1.0, "test_answer": 2.0})
    # A wrong answer that displays a number before failing: 0 (stock nbgrader: partial
    # credit read from the displayed number).
    nb = klass.honest(a)
    _cell(nb, "answer").source = "def answer():\n    sys.displayhook(2)\n    return 41"
    klass.submit(a, "displays-points", nb, {"test_stderr": 0.0, "test_answer": 0.0})
    for assignment in ASSIGNMENTS:
        klass.sources[assignment] = nbformat.read(
            str(root / "solutions" / assignment / f"{assignment}.ipynb"), as_version=4
        )
        klass.released[assignment] = nbformat.read(
            str(root / "exercises" / assignment / f"{assignment}.ipynb"), as_version=4
        )
        tests = _autograded_tests(klass.sources[assignment])
        full = dict(tests)
        klass.submit(assignment, "solution", klass.honest(assignment), full)
        klass.submit(
            assignment, "untouched", klass.released[assignment], dict.fromkeys(tests, 0.0)
        )
        for i, group in enumerate(_pack(_wrong_cases(assignment)), start=1):
            nb = klass.honest(assignment)
            for cell_id, source in group["cells"].items():
                _cell(nb, cell_id).source = source
            expected = {t: (0.0 if t in group["tests"] else p) for t, p in tests.items()}
            klass.submit(assignment, f"wrong{i}", nb, expected)
    _special_cases(klass)
    return klass


def _special_cases(klass):
    a = SPECIAL
    tests = _autograded_tests(klass.sources[a])
    wrong = _wrong_cases(a)
    # The target: the first solution cell with a WRONG case (else the first solution cell).
    if wrong:
        target, (_, target_tests) = next(iter(wrong.items()))
    else:  # pragma: no cover - only before the cases file exists
        target = next(
            _meta(c)["grade_id"] for c in klass.released[a].cells if _meta(c).get("solution")
        )
        target_tests = list(tests)
    func = re.search(r"^def (\w+)\(", _cell(klass.sources[a], target).source, re.M)
    unanswered = {t: (0.0 if t in target_tests else p) for t, p in tests.items()}

    def stub():
        """An honest student who did everything except the target cell."""
        nb = klass.honest(a)
        _cell(nb, target).source = _cell(klass.released[a], target).source
        return nb

    if func:
        nb = klass.honest(a)
        _cell(nb, target).source = (
            "class AlwaysEqual:\n"
            "    def __eq__(self, other):\n        return True\n\n"
            "    def __ne__(self, other):\n        return False\n\n"
            "    def __float__(self):\n        return 0.0\n\n"
            "    __hash__ = object.__hash__\n\n\n"
            f"def {func.group(1)}(*args, **kwargs):\n    return AlwaysEqual()\n"
        )
        klass.submit(a, "always-equal", nb, unanswered)
    nb = stub()
    _cell(nb, target_tests[0]).source = "pass"
    klass.submit(a, "test-pass", nb, unanswered)
    nb = stub()
    nb.cells = [c for c in nb.cells if _meta(c).get("grade_id") != target_tests[-1]]
    klass.submit(a, "test-deleted", nb, unanswered)
    nb = stub()
    cell = _cell(nb, target_tests[0])
    cell.cell_type = "markdown"
    cell.pop("outputs", None)
    cell.pop("execution_count", None)
    klass.submit(a, "test-retyped", nb, unanswered)
    if func:
        name = func.group(1)
        nb = klass.honest(a)
        _cell(nb, target).source += (
            f"\n\n_honest_{name} = {name}\n\n\n"
            f"def {name}(*args, **kwargs):\n"
            "    import sys\n    import warnings\n\n"
            '    warnings.warn("a harmless warning", UserWarning, stacklevel=2)\n'
            '    print("a harmless note on stderr", file=sys.stderr)\n'
            f"    return _honest_{name}(*args, **kwargs)\n"
        )
        klass.submit(a, "warns", nb, dict(tests))
    endings = {
        "os-exit": "import os\nos._exit(0)",
        "sys-exit": "import sys\nsys.exit()",
        "crash": "import os\nimport signal\nos.kill(os.getpid(), signal.SIGKILL)",
        "loop": "while True:\n    pass",
    }
    for student, code in endings.items():
        nb = klass.honest(a)
        _cell(nb, target).source += "\n\n" + code + "\n"
        expected = dict(tests) if student in ("sys-exit", "loop") else None
        klass.submit(a, student, nb, expected)
    klass.submit(a, "not-json", '{"cells": [{"cell_type": "code", "source": ')


@pytest.fixture(scope="module")
def course():
    # Not tmp_path: pytest prunes old base temp folders, and other test runs on the same
    # machine could remove this one while nbgrader works in it.
    root = Path(tempfile.mkdtemp(prefix="mlcourse-grading-"))
    try:
        yield _grade_class(root)
    finally:
        if os.environ.get("MLCOURSE_GRADING_KEEP") != "1":
            shutil.rmtree(root, ignore_errors=True)


def _grade_class(root):
    shutil.copytree(REPO / "solutions", root / "solutions")
    (root / "solutions" / FAIRNESS).mkdir()
    nbformat.write(_fairness_source(), str(root / "solutions" / FAIRNESS / f"{FAIRNESS}.ipynb"))
    config = (REPO / "nbgrader_config.py").read_text(encoding="utf-8")
    config += "\n# Test run: a short cell timeout (the endless loop waits for it).\n"
    config += f"c.JudgedExecute.timeout = {CELL_TIMEOUT}\n"
    (root / "nbgrader_config.py").write_text(config, encoding="utf-8")
    py = sys.executable
    release = [py, "-m", "mlgrade", "release", "--root", str(root)]
    done = _run([*release, *ASSIGNMENTS, FAIRNESS], root)
    assert done.returncode == 0, done.stdout + done.stderr
    klass = _build_class(root)
    done = _run(
        [
            py,
            "-m",
            "mlgrade",
            "autograde",
            "--root",
            str(root),
            "--student-timeout",
            "300",
        ],
        root,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    klass.autograde_output = done.stdout
    with (root / "grading_report.csv").open(encoding="utf-8") as f:
        klass.report = {(r["assignment"], r["student"]): r for r in csv.DictReader(f)}
    done = _run([str(Path(py).parent / "nbgrader"), "export"], root)
    assert done.returncode == 0, done.stdout + done.stderr
    with (root / "grades.csv").open(encoding="utf-8") as f:
        klass.export = {(r["assignment"], r["student_id"]): r for r in csv.DictReader(f)}
    return klass


def _cell_scores(root, assignment, student):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        nb = gb.find_submission_notebook(assignment, assignment, student)
        return {g.name: float(g.score) for g in nb.grades}


# --------------------------------------------------------------------------- the release
@pytest.mark.grading
@pytest.mark.slow
def test_committed_exercises_are_generated(course):
    committed = sorted(p.relative_to(REPO) for p in REPO.glob("exercises/*/*") if p.is_file())
    wanted = sorted(
        p.relative_to(course.root)
        for p in course.root.glob("exercises/*/*")
        if p.parent.name != FAIRNESS
    )
    assert committed == wanted, "exercises/ is out of date: run `make release`"
    for rel in wanted:
        ours = nbformat.read(str(course.root / rel), as_version=4)
        theirs = nbformat.read(str(REPO / rel), as_version=4)
        assert ours == theirs, f"{rel} differs from the generated version: run `make release`"
        text = (REPO / rel).read_text(encoding="utf-8")
        for secret in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "Rubric"):
            assert secret not in text, f"{rel} contains {secret!r}"


# --------------------------------------------------------------------------- scores
@pytest.mark.grading
@pytest.mark.slow
@pytest.mark.parametrize("assignment", [*ASSIGNMENTS, FAIRNESS])
def test_every_student_scores_exactly_as_expected(course, assignment):
    students = [s for (a, s) in course.expected if a == assignment]
    assert {"solution", "untouched"} <= set(students) or assignment == FAIRNESS
    problems = []
    for student in students:
        expected = course.expected[assignment, student]
        got = _cell_scores(course.root, assignment, student)
        wrong = {t: (got.get(t), e) for t, e in expected.items() if got.get(t) != e}
        if wrong:
            problems.append(f"{student}: cell: (score, expected) {wrong}")
        row = course.export[assignment, student]
        assert float(row["score"]) == pytest.approx(sum(expected.values())), student
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_wrong_cases_each_fail_some_test(assignment):
    wrong = _wrong_cases(assignment)
    assert wrong, f"tests/grading/cases/{assignment}.py must give a wrong answer per code cell"
    source = nbformat.read(
        str(REPO / "solutions" / assignment / f"{assignment}.ipynb"), as_version=4
    )
    tests = _autograded_tests(source)
    solution_cells = {_meta(c)["grade_id"] for c in source.cells if _meta(c).get("solution")}
    covered = set()
    for cell_id, (_, listed) in wrong.items():
        assert cell_id in solution_cells, f"{cell_id} is not a solution cell"
        assert listed and set(listed) <= set(tests), f"{cell_id}: unknown test cells {listed}"
        covered.add(cell_id)
    code_solutions = {
        _meta(c)["grade_id"]
        for c in source.cells
        if _meta(c).get("solution") and not _meta(c).get("grade") and c.cell_type == "code"
    }
    assert code_solutions <= covered, f"no WRONG case for {sorted(code_solutions - covered)}"


@pytest.mark.grading
@pytest.mark.slow
def test_honest_students_show_no_tampering(course):
    for (assignment, student), row in course.report.items():
        if student in ("solution", "untouched", "warns") or student.startswith("wrong"):
            assert row["status"] == "graded", (assignment, student, row)
            assert row["tampering"] == "", (assignment, student, row)
            log = course.root / "grading_report.logs" / assignment / f"{student}.log"
            text = log.read_text(encoding="utf-8")
            assert "TAMPERING" not in text and "has changed" not in text, (student, text)


@pytest.mark.grading
@pytest.mark.slow
@pytest.mark.parametrize(
    ("student", "what"),
    [
        ("always-equal", "comparison method"),
        ("test-pass", "edited locked cell"),
        ("test-deleted", "deleted cell"),
        ("test-retyped", "changed cell type"),
    ],
)
def test_gaming_is_reported(course, student, what):
    row = course.report[SPECIAL, student]
    assert row["status"] == "tampered", row
    assert what in row["tampering"], row
    expected = course.expected[SPECIAL, student]
    assert float(row["score"]) == pytest.approx(sum(expected.values()))
    if student != "always-equal":
        log = course.root / "grading_report.logs" / SPECIAL / f"{student}.log"
        assert "TAMPERING" in log.read_text(encoding="utf-8") or student == "test-deleted"


@pytest.mark.grading
@pytest.mark.slow
@pytest.mark.parametrize(
    ("student", "status", "detail"),
    [
        ("os-exit", "kernel died", "os._exit"),
        ("crash", "kernel died", "kernel died"),
        ("sys-exit", "graded", "sys.exit()"),
        ("loop", "timeout", "timed out"),
        ("not-json", "invalid notebook", "not valid JSON"),
    ],
)
def test_crashes_get_a_clear_status(course, student, status, detail):
    row = course.report[SPECIAL, student]
    assert row["status"] == status, row
    assert detail in row["details"], row
    assert row["notebook"] == SPECIAL


@pytest.mark.grading
@pytest.mark.slow
def test_nothing_is_lost_in_the_gradebook(course):
    """Every student graded before and after the broken ones is in the export."""
    for key, expected in course.expected.items():
        assert key in course.export, key
        assert float(course.export[key]["score"]) == pytest.approx(sum(expected.values()))
    statuses = {row["status"] for row in course.report.values()}
    assert {"graded", "tampered", "timeout", "kernel died", "invalid notebook"} <= statuses


# --------------------------------------------------------------------------- validate
@pytest.mark.grading
@pytest.mark.slow
def test_validate_sources_pass_and_student_versions_fail(course):
    nbgrader = str(Path(sys.executable).parent / "nbgrader")
    sources = [f"solutions/{a}/{a}.ipynb" for a in ASSIGNMENTS]
    released = [f"exercises/{a}/{a}.ipynb" for a in ASSIGNMENTS]
    done = _run([nbgrader, "validate", *sources], course.root)
    out = done.stdout + done.stderr
    assert out.count("Success! Your notebook passes all the tests.") == len(sources), out
    done = _run([nbgrader, "validate", "--invert", *released], course.root)
    out = done.stdout + done.stderr
    assert out.count("Success! The notebook does not pass any tests.") == len(released), out


# --------------------------------------------------------------------------- fast unit tests
def _tiny_released():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import numpy as np"),
        nbformat.v4.new_code_cell(
            "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
        ),
        nbformat.v4.new_code_cell("assert f(1) == 2"),
    ]
    metas = [
        {"grade": False, "solution": False, "locked": True, "grade_id": "setup"},
        {"grade": False, "solution": True, "locked": False, "grade_id": "f"},
        {"grade": True, "solution": False, "locked": True, "grade_id": "test_f", "points": 1},
    ]
    for cell, meta in zip(nb.cells, metas, strict=True):
        cell.metadata["nbgrader"] = {**meta, "schema_version": 3}
    return nb


def test_check_submission_honest_and_tampered():
    from mlgrade.tamper import check_submission

    released = _tiny_released()
    honest = copy.deepcopy(released)
    honest.cells[1].source = "def f(x):\n    return 2 * x"
    assert check_submission(honest, released) == ([], [])

    edited = copy.deepcopy(honest)
    edited.cells[2].source = "pass"
    assert check_submission(edited, released)[0] == ["edited locked cell test_f"]

    deleted = copy.deepcopy(honest)
    del deleted.cells[2]
    assert check_submission(deleted, released)[0] == ["deleted cell test_f"]

    retyped = copy.deepcopy(honest)
    retyped.cells[2] = nbformat.v4.new_markdown_cell("assert f(1) == 2")
    retyped.cells[2].metadata = copy.deepcopy(released.cells[2].metadata)
    assert check_submission(retyped, released)[0] == [
        "changed cell type of test_f (code -> markdown)"
    ]

    points = copy.deepcopy(honest)
    points.cells[2].metadata["nbgrader"]["points"] = 100
    assert check_submission(points, released)[0] == [
        "changed nbgrader metadata of test_f (points)"
    ]

    gaming = copy.deepcopy(released)
    gaming.cells[1].source = (
        "class A:\n    def __eq__(self, o):\n        return True\n\n"
        "def f(x):\n    return A()\nimport os\nos._exit(0)"
    )
    tampering, notes = check_submission(gaming, released)
    assert tampering == ["f defines a comparison method (always-equal object?)"]
    assert notes == ["calls os._exit"]

    for trick in (
        "checks.assert_close = lambda *a, **k: None",
        "checks = None",
        "from math import isclose as assert_close",
        "class F(float):\n    __eq__ = lambda self, other: True",
        "import sys\nsys.modules['mlgrade.checks'] = None",
    ):
        sneaky = copy.deepcopy(honest)
        sneaky.cells[1].source += "\n" + trick
        assert check_submission(sneaky, released)[0], trick


def test_read_notebook_reports_invalid_files(tmp_path):
    from mlgrade.notebooks import read_notebook

    bad = tmp_path / "bad.ipynb"
    bad.write_text('{"cells": [', encoding="utf-8")
    nb, why = read_notebook(bad)
    assert nb is None and why.startswith("not valid JSON (line 1")
    bad.write_text('{"cells": 3}', encoding="utf-8")
    nb, why = read_notebook(bad)
    assert nb is None and why.startswith("not a valid Jupyter notebook")
    good = tmp_path / "good.ipynb"
    nbformat.write(_tiny_released(), str(good))
    nb, why = read_notebook(good)
    assert why is None and len(nb.cells) == 3


def test_failure_classification():
    from mlgrade.report import classify_failure

    assert classify_failure("RuntimeError: Kernel died while waiting")[0] == "kernel died"
    assert classify_failure("Timeout waiting for execute reply (30s).")[0] == "timeout"
    assert classify_failure("x\nValueError: boom\n") == ("error", "ValueError: boom")


def test_collect_copies_submissions(tmp_path):
    from mlgrade.collect import collect

    (tmp_path / "exercises" / "a9").mkdir(parents=True)
    nbformat.write(_tiny_released(), str(tmp_path / "exercises" / "a9" / "a9.ipynb"))
    downloads = tmp_path / "downloads"
    (downloads / "carol").mkdir(parents=True)
    nbformat.write(_tiny_released(), str(downloads / "alice_attempt2.ipynb"))
    nbformat.write(_tiny_released(), str(downloads / "carol" / "whatever.ipynb"))
    assert collect(tmp_path, "a9", downloads) == ["alice", "carol"]
    assert (tmp_path / "submitted" / "alice" / "a9" / "a9.ipynb").exists()
    assert (tmp_path / "submitted" / "carol" / "a9" / "a9.ipynb").exists()


def test_fair_grade_outputs_and_feedback():
    from mlgrade.preprocessors import FairGradeOutputs, HideHiddenTests, released_source

    nb = _tiny_released()
    test = nb.cells[2]
    test.source = "visible()\n### BEGIN HIDDEN TESTS\nsecret()\n### END HIDDEN TESTS"
    test.outputs = [
        nbformat.v4.new_output("stream", name="stderr", text="UserWarning: careful\n"),
        nbformat.v4.new_output("execute_result", data={"text/plain": "1"}, execution_count=3),
    ]
    nb, _ = FairGradeOutputs().preprocess(nb, {})
    assert [o.output_type for o in test.outputs] == ["stream", "display_data"]
    assert test.outputs[0].name == "stdout"
    test.outputs.append(
        nbformat.v4.new_output(
            "error", ename="AssertionError", evalue="y: off by 1", traceback=["secret()", "..."]
        )
    )
    nb, _ = HideHiddenTests().preprocess(nb, {})
    assert "secret" not in test.source and "visible()" in test.source
    assert test.outputs[-1].traceback == ["AssertionError: y: off by 1"]
    assert released_source("a\n### BEGIN HIDDEN TESTS\nb\n### END HIDDEN TESTS") == "a"


def test_package_boundary():
    """mlcourse never loads mlgrade or nbgrader; what a kernel of the student's or the
    judge's imports (checks, the judge, the agent) does not load nbgrader either."""
    code = (
        "import sys, mlcourse\n"
        "assert not [m for m in sys.modules if m.split('.')[0] in ('mlgrade', 'nbgrader')]\n"
        "import mlgrade, mlgrade.checks, mlgrade.torch_checks, mlgrade.agent, mlgrade.judge\n"
        "import mlgrade.wire, mlgrade.scratch, mlgrade.tamper, mlgrade.report\n"
        "assert 'nbgrader' not in sys.modules, 'nbgrader imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    sources = [p.read_text(encoding="utf-8") for p in (REPO / "mlcourse").rglob("*.py")]
    assert not [s for s in sources if re.search(r"^\s*(from|import)\s+mlgrade", s, re.M)]
