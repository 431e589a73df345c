"""The judge: test cells run outside the student's interpreter, which attacks them here.

Each case is a small notebook (a locked setup cell, the student's answer cell, a test
cell) executed by :class:`mlgrade.execute.JudgedExecute` with the real sandbox, exactly as
``make autograde`` does. An honest answer passes; every attack from the trustworthy-grading
issue, written without doing the work, fails its test.
"""

from __future__ import annotations

import json
import textwrap

import nbformat
import pytest

from mlgrade.execute import JudgedExecute, imported, loaded_names, record_name, stored_names

pytestmark = pytest.mark.grading

SETUP = "import numpy as np\nfrom mlgrade import checks"
TEST = """\
_rng = checks.rng_for("softplus")
_z = _rng.normal(size=7) * 3
checks.assert_from_scratch(softplus, (*checks.FORBIDDEN, "torch"))
checks.assert_close(softplus(_z), np.log1p(np.exp(_z)), "softplus of random inputs")
checks.assert_true(checks.as_float(softplus(0.0), "softplus(0)") > 0.69, "softplus(0) = log 2")
"""
HONEST = """\
def softplus(z):
    z = np.asarray(z, dtype=float)
    return np.logaddexp(0.0, z)
"""

# Zero-work attacks: none of them computes softplus.
ATTACKS = {
    "custom exception handler": """\
get_ipython().set_custom_exc((BaseException,), lambda *args, **kwargs: None)
def softplus(z):
    raise ValueError("not done")
""",
    "input transformer": """\
get_ipython().input_transformers_post.append(lambda lines: ["pass\\n"])
def softplus(z):
    return 0.0
""",
    "rebinding checks through globals()": """\
class _Yes:
    def __getattr__(self, name):
        return lambda *args, **kwargs: None
globals()["checks"] = _Yes()
def softplus(z):
    return z
""",
    "sys.settrace on the comparison": """\
import sys
def _tracer(frame, event, arg):
    if "expected" in frame.f_locals:
        frame.f_locals["actual"] = frame.f_locals["expected"]
    return _tracer
sys.settrace(_tracer)
def softplus(z):
    return np.zeros_like(np.asarray(z, dtype=float))
""",
    "__array__ that reads the expected value off the stack": """\
import inspect
class Sneaky:
    def __array__(self, dtype=None, copy=None):
        for info in inspect.stack():
            for name in ("expected", "desired", "_ref", "ref"):
                if name in info.frame.f_locals:
                    return np.asarray(info.frame.f_locals[name])
        return np.zeros(7)
    def __float__(self):
        return 0.7
def softplus(z):
    return Sneaky()
""",
    "patched numpy.isclose and math.isclose": """\
import math
np.isclose = lambda *args, **kwargs: True
np.allclose = lambda *args, **kwargs: True
math.isclose = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None
def softplus(z):
    return np.zeros_like(np.asarray(z, dtype=float))
""",
    "always-equal object": """\
class Equal(float):
    def __eq__(self, other):
        return True
    __le__ = __ge__ = __lt__ = __gt__ = __eq__
    def __abs__(self):
        return 0.0
def softplus(z):
    return Equal(1.0)
""",
    "mlcourse through a dict": """\
import mlcourse as _m
_IMPL = {"f": _m.activations.softplus}
def softplus(z):
    return _IMPL["f"](z)
""",
    "mlcourse through __import__": """\
def softplus(z):
    return __import__("ml" + "course").activations.softplus(z)
""",
    "torch where NumPy only": """\
import torch
def softplus(z):
    return torch.nn.functional.softplus(torch.as_tensor(z, dtype=torch.float64)).numpy()
""",
    "torch.sigmoid-style shortcut where NumPy only": """\
import torch
def softplus(z):
    t = torch.as_tensor(np.asarray(z, dtype=float))
    return torch.log1p(torch.exp(t)).numpy()
""",
    "reads the hidden test from the history": """\
def softplus(z):
    import IPython
    cells = IPython.get_ipython().user_ns.get("In", [])
    return np.zeros(7) if not cells else np.zeros(7)
""",
}


def _notebook(answer: str, extra: str | None = None, test: str = TEST):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    cells = [
        nbformat.v4.new_code_cell(
            SETUP, metadata={"nbgrader": {"grade_id": "setup", "locked": True}}
        ),
        nbformat.v4.new_code_cell(
            answer, metadata={"nbgrader": {"grade_id": "answer", "solution": True}}
        ),
        nbformat.v4.new_code_cell(
            test,
            metadata={
                "nbgrader": {"grade_id": "test", "grade": True, "locked": True, "points": 1}
            },
        ),
    ]
    if extra is not None:
        cells.append(nbformat.v4.new_code_cell(extra))
    nb.cells = cells
    return nb


def _execute(tmp_path, nb, **traits):
    folder = tmp_path / "autograded" / "mallory" / "a0"
    folder.mkdir(parents=True, exist_ok=True)
    resources = {"metadata": {"path": str(folder)}, "unique_key": "a0"}
    traits.setdefault("timeout", 20)
    nb, _ = JudgedExecute(**traits).preprocess(nb, resources)
    record = json.loads((folder / record_name("a0")).read_text())
    return nb, record


def _errors(cell) -> list[str]:
    return [f"{o.ename}: {o.evalue}" for o in cell.outputs if o.output_type == "error"]


def test_names_a_cell_reads_and_binds():
    source = "x = f(y)\nimport numpy as np\ndef g(a):\n    return a + z\n"
    assert loaded_names(source) == ["f", "y", "a", "z"]
    assert set(stored_names(source)) == {"x", "np", "g"}
    assert loaded_names("def (") == []
    # a magic line is left out, not a reason to read nothing
    assert loaded_names("%matplotlib inline\ncheck(y)") == ["check", "y"]
    assert imported("%time x = 1\nimport torch.nn as nn\nfrom mlcourse import layers") == [
        "torch.nn",
        "mlcourse",
    ]


def test_honest_answer_passes(tmp_path):
    nb, record = _execute(tmp_path, _notebook(HONEST))
    assert _errors(nb.cells[2]) == []
    assert record["sandbox"] is True and record["student_kernel"] == "ran to the end"


@pytest.mark.slow
@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_zero_work_attacks_fail(tmp_path, attack):
    nb, _ = _execute(tmp_path, _notebook(ATTACKS[attack]))
    errors = _errors(nb.cells[2])
    assert errors, f"{attack}: the test cell passed"
    assert all("grader code" not in e for e in errors)


def test_test_cells_never_reach_the_student_kernel(tmp_path):
    spy = """\
def softplus(z):
    return np.logaddexp(0.0, np.asarray(z, dtype=float))
"""
    probe = "print('HISTORY', [c for c in In if 'assert' + '_close' in c])"
    nb, _ = _execute(tmp_path, _notebook(spy, extra=probe))
    assert _errors(nb.cells[2]) == []
    printed = "".join(o.get("text", "") for o in nb.cells[3].outputs)
    assert "HISTORY []" in printed


def test_a_kernel_that_dies_after_the_tests_keeps_their_points(tmp_path):
    nb, record = _execute(tmp_path, _notebook(HONEST, extra="import os\nos._exit(0)"))
    assert _errors(nb.cells[2]) == []
    assert record["student_kernel"].startswith("the kernel died")


def test_a_kernel_that_ignores_interrupts_after_the_tests_keeps_their_points(tmp_path):
    loop = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"
    nb, record = _execute(tmp_path, _notebook(HONEST, extra=loop), timeout=5)
    assert _errors(nb.cells[2]) == []
    assert record["student_kernel"].startswith("stopped after")


def test_the_kernel_socket_folder_on_the_host_is_sealed(tmp_path):
    # The folder of the kernel's sockets is the one place outside the sandbox's own memory
    # that it shares with the host: once the kernel is ready, the student creates nothing
    # there (else many files under the size limit each would fill the host's /tmp).
    fill = (
        "import os\nfrom ipykernel import get_connection_file\n"
        "folder = os.path.dirname(get_connection_file())\n"
        "with open(os.path.join(folder, 'filler.bin'), 'wb') as f:\n"
        "    f.write(b'x' * 1000)\n"
    )
    nb, record = _execute(tmp_path, _notebook(HONEST, extra=fill))
    assert _errors(nb.cells[2]) == []
    assert [e.split(":")[0] for e in _errors(nb.cells[3])] == ["PermissionError"]
    assert record["student_kernel"] == "ran to the end"


def test_a_kernel_that_dies_before_the_tests_scores_nothing(tmp_path):
    answer = HONEST + "import os\nos._exit(1)\n"
    nb, _ = _execute(tmp_path, _notebook(answer))
    assert _errors(nb.cells[2]), "the test passed although the student's kernel was gone"
    assert "not running" in " ".join(_errors(nb.cells[2]))


def test_output_flood_is_cut(tmp_path):
    flood = "for i in range(200000):\n    print('x' * 100)"
    nb, _ = _execute(tmp_path, _notebook(HONEST, extra=flood), output_limit=100_000)
    text = "".join(o.get("text", "") for o in nb.cells[3].outputs)
    assert len(text) < 200_000 and "output limit" in text


def test_memory_hog_gets_a_memory_error_not_the_machine(tmp_path):
    hog = "block = bytearray(30 * 2**30)"
    nb, record = _execute(tmp_path, _notebook(HONEST, extra=hog), memory=2 * 2**30)
    assert "MemoryError" in " ".join(_errors(nb.cells[3]))
    assert record["student_kernel"] == "ran to the end"


# The judge's requests travel on the student kernel's input channel (mlgrade.agent.serve):
# the student's code can write on it, break the agent, print or hang while it is open.
CHANNEL_ATTACKS = {
    "forges an answer prompt": """\
def softplus(z):
    input('mlgrade-serve:{"ok": 0.7}')
    return np.zeros(7)
""",
    "replaces the agent's loop": """\
import mlgrade.agent
mlgrade.agent.serve = lambda: None
def softplus(z):
    return np.zeros(7)
""",
    "breaks the agent's answers": """\
import mlgrade.agent
def _broken(text):
    raise SystemExit
mlgrade.agent.answer = _broken
def softplus(z):
    return np.zeros(7)
""",
    "asks for input itself": """\
def softplus(z):
    return np.full(7, float(input("a number, please")))
""",
}


@pytest.mark.parametrize("attack", sorted(CHANNEL_ATTACKS))
def test_attacks_on_the_request_channel_fail_and_leave_the_kernel_usable(tmp_path, attack):
    after = "print('after', 6 * 7)"
    nb, record = _execute(tmp_path, _notebook(CHANNEL_ATTACKS[attack], extra=after), timeout=10)
    errors = _errors(nb.cells[2])
    assert errors, f"{attack}: the test cell passed"
    assert all("grader code" not in e for e in errors)
    # the student's next cell runs at once in a kernel that is idle again
    printed = "".join(o.get("text", "") for o in nb.cells[3].outputs)
    assert "after 42" in printed and _errors(nb.cells[3]) == []
    assert record["student_kernel"] == "ran to the end"


def test_what_the_students_code_prints_during_a_test_is_shown_in_the_test(tmp_path):
    report = "    print('computing', len(np.atleast_1d(z)))\n"
    chatty = HONEST.replace("    return", report + "    return")
    nb, _ = _execute(tmp_path, _notebook(chatty, extra="print('next cell')"))
    assert _errors(nb.cells[2]) == []
    shown = "".join(o.get("text", "") for o in nb.cells[2].outputs)
    assert shown.count("computing 7") == 1 and "computing 1" in shown
    assert "next cell" in "".join(o.get("text", "") for o in nb.cells[3].outputs)


def test_a_call_that_hangs_and_ignores_the_interrupt_fails_only_its_test(tmp_path):
    hang = """\
import time
def softplus(z):
    while True:
        try:
            time.sleep(1)
        except KeyboardInterrupt:
            pass
"""
    nb, record = _execute(tmp_path, _notebook(hang, extra="print('after')"), timeout=3)
    assert any("did not answer" in e for e in _errors(nb.cells[2]))
    # the grader stops the kernel, and the run goes on to the end of the notebook
    assert record["student_kernel"].startswith("stopped after")


def test_student_source_rules_read_the_submitted_text():
    from mlgrade.scratch import definition_source, reachable_definitions

    cells = [
        (SETUP, True),
        (textwrap.dedent(HONEST) + "def helper(x):\n    return softplus(x)\n", False),
    ]
    assert definition_source(cells, "softplus").startswith("def softplus(z):")
    assert reachable_definitions(cells, "helper") == ["helper", "softplus"]


def test_a_function_of_the_test_is_called_back_in_the_judge(tmp_path):
    answer = "def apply_twice(f, x):\n    return f(f(x))\n"
    test = (
        "calls = []\n"
        "def _double_plus_one(v):\n    calls.append(v)\n    return 2 * v + 1\n"
        "checks.assert_close(apply_twice(_double_plus_one, 3.0), 15.0, 'apply_twice')\n"
        "checks.assert_true(calls == [3.0, 7.0], 'the test function ran in the judge')\n"
    )
    nb, _ = _execute(tmp_path, _notebook(answer, test=test))
    assert _errors(nb.cells[2]) == []


def test_numpy_error_state_and_warnings_cross_to_the_student_and_back(tmp_path):
    naive = "def softplus(z):\n    return np.log(1 + np.exp(np.asarray(z, dtype=float)))\n"
    test = """\
import warnings
try:
    with np.errstate(over="raise"):
        softplus(np.array([1000.0]))
    raise AssertionError("the overflow was not raised in the student's code")
except FloatingPointError:
    pass
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    softplus(np.array([1000.0]))
checks.assert_true(
    any(issubclass(w.category, RuntimeWarning) for w in caught), "the warning did not come back"
)
"""
    nb, _ = _execute(tmp_path, _notebook(naive, test=test))
    assert _errors(nb.cells[2]) == []


def _raised_in_cell(source: str, number: int, namespace: dict):
    import linecache

    name = f"<judge-cell-{number}>"
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    try:
        exec(compile(source, name, "exec"), namespace)
    except Exception as exc:
        return type(exc), exc, exc.__traceback__, {name: number}
    raise AssertionError("the cell did not raise")


def test_a_failed_test_reads_message_first_then_the_test_lines():
    from mlgrade.checks import CheckFailure
    from mlgrade.judge import short_traceback

    source = "def helper():\n    raise CheckFailure('y: off by 1')\nhelper()\n"
    etype, value, tb, names = _raised_in_cell(source, 7, {"CheckFailure": CheckFailure})
    assert short_traceback(etype, value, tb, names) == [
        "CheckFailure: y: off by 1",
        "Cell In[7], line 3",
        "Cell In[7], line 2",
    ]  # where, never the test's code (a hidden test's source must reach no output)


def test_an_error_of_the_judge_itself_says_where_it_was_raised():
    import json

    from mlgrade.judge import short_traceback

    etype, value, tb, names = _raised_in_cell("json.loads('{')\n", 3, {"json": json})
    lines = short_traceback(etype, value, tb, names)
    assert lines[0].startswith("JSONDecodeError: Expecting property name")
    assert lines[1] == "Cell In[3], line 1"
    assert lines[-1].startswith("raised in ") and "json" in lines[-1]
