"""Tests of mlgrade.checks: the helpers every exercise test cell relies on."""

import math
import sys
import warnings

import numpy as np
import pytest

from mlgrade import checks
from mlgrade.checks import (
    as_array,
    as_float,
    assert_close,
    assert_from_scratch,
    assert_true,
    rng_for,
    seed_for,
    warnings_as_feedback,
)


class AlwaysEqual:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = object.__hash__

    def __float__(self):
        return 0.5


class SneakyFloat(float):
    def __eq__(self, other):
        return True

    __hash__ = float.__hash__


class SneakyArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(self), dtype=bool)

    __hash__ = None


# --------------------------------------------------------------------------- as_float
@pytest.mark.parametrize(
    "value", [0.25, 1, np.float32(0.5), np.int64(3), np.array(2.0), np.array([[1.5]])]
)
def test_as_float_accepts_numbers(value):
    result = as_float(value, "x")
    assert type(result) is float
    assert result == float(np.asarray(value).reshape(-1)[0])


@pytest.mark.parametrize("value", [True, np.bool_(False)])
def test_as_float_rejects_bool(value):
    with pytest.raises(AssertionError, match="x: expected a number, got the bool"):
        as_float(value, "x")


@pytest.mark.parametrize("value", ["0.5", None, {"a": 1}, object(), [1.0, 2.0]])
def test_as_float_rejects_non_numbers(value):
    with pytest.raises(AssertionError, match=r"^x: "):
        as_float(value, "x")


@pytest.mark.parametrize("value", [AlwaysEqual(), SneakyFloat(0.5)])
def test_as_float_rejects_objects_that_redefine_comparison(value):
    with pytest.raises(AssertionError, match="redefines comparison"):
        as_float(value, "loss")


def test_as_float_nan_and_inf():
    with pytest.raises(AssertionError, match="loss: is nan"):
        as_float(float("nan"), "loss")
    with pytest.raises(AssertionError, match="loss: is inf, expected a finite"):
        as_float(np.inf, "loss")
    assert as_float(np.inf, "loss", finite=False) == math.inf
    with pytest.raises(AssertionError, match="is nan"):
        as_float(np.nan, "loss", finite=False)


def test_as_float_accepts_torch_scalar():
    import torch

    assert as_float(torch.tensor(0.75, dtype=torch.float64), "p") == 0.75


# --------------------------------------------------------------------------- as_array
def test_as_array_returns_a_copy_of_numeric_dtype():
    original = np.arange(6).reshape(2, 3)
    result = as_array(original, "Z", shape=(2, 3))
    assert result.dtype == np.float64
    result[0, 0] = 99
    assert original[0, 0] == 0
    assert as_array([[1, 2]], "Z", dtype=np.int64).dtype == np.int64


def test_as_array_shape_message():
    with pytest.raises(
        AssertionError, match=r"^Z has shape \(3, 2\); expected \(2, 3\) \(transposed\?\)"
    ):
        as_array(np.zeros((3, 2)), "Z", shape=(2, 3))
    with pytest.raises(AssertionError, match=r"has shape \(4, 1\); expected \(4,\)"):
        as_array(np.zeros((4, 1)), "b", shape=(4,))
    assert as_array(np.zeros((5, 2)), "Z", shape=(None, 2)).shape == (5, 2)


@pytest.mark.parametrize(
    "value",
    [
        [AlwaysEqual(), AlwaysEqual()],
        np.array([AlwaysEqual()], dtype=object),
        np.zeros(3).view(SneakyArray),
        ["a", "b"],
    ],
)
def test_as_array_rejects_tricks(value):
    with pytest.raises(AssertionError, match=r"^w: "):
        as_array(value, "w")


def test_as_array_accepts_lists_and_torch():
    assert as_array([0.1, 0.2], "p", shape=(2,)).tolist() == [0.1, 0.2]
    import torch

    t = torch.ones(2, 2, requires_grad=True)
    assert as_array(t, "t", shape=(2, 2)).sum() == 4


# --------------------------------------------------------------------------- assert_close
def test_assert_close_passes_within_tolerance():
    assert_close(1.0 + 1e-9, 1.0, "x")
    assert_close([1.0, 2.0], np.array([1.0, 2.0]), "v", rtol=0, atol=0)
    assert_close(np.inf, np.inf, "loss")


def test_assert_close_message_says_how_far_but_not_expected():
    expected = np.array([[0.123456, 0.654321], [0.777777, 0.888888]])
    actual = expected.copy()
    actual[1, 0] += 0.5
    with pytest.raises(AssertionError) as info:
        assert_close(actual, expected, "W")
    message = str(info.value)
    assert "1 of 4 entries wrong" in message
    assert "(1, 0)" in message
    assert "0.5" in message
    for hidden in ("0.123", "0.654", "0.777", "0.888", "1.277"):
        assert hidden not in message
    with pytest.raises(AssertionError, match=r"^H: off by 0\.25") as info:
        assert_close(0.75, 0.5, "H")
    assert "0.5 " not in str(info.value).replace("0.25", "")


def test_assert_close_rejects_wrong_shape_and_tricks():
    with pytest.raises(AssertionError, match=r"has shape \(3, 2\); expected \(2, 3\)"):
        assert_close(np.zeros((3, 2)), np.zeros((2, 3)), "Z")
    with pytest.raises(AssertionError, match="redefines comparison"):
        assert_close(AlwaysEqual(), 0.5, "p")
    with pytest.raises(AssertionError, match="contains nan"):
        assert_close([0.0, np.nan], [0.0, 1.0], "p")
    with pytest.raises(AssertionError, match="off by inf"):
        assert_close(np.inf, 1.0, "loss")
    with pytest.raises(AssertionError, match="off by inf"):
        assert_close(-np.inf, np.inf, "loss")


# --------------------------------------------------------------------------- assert_true
def test_assert_true():
    assert_true(True, "fine")
    assert_true(np.bool_(True), "fine")
    with pytest.raises(AssertionError, match=r"^loss did not decrease"):
        assert_true(False, "loss did not decrease")
    with pytest.raises(AssertionError, match="not True or False"):
        assert_true(AlwaysEqual(), "sneaky")
    with pytest.raises(AssertionError, match="not True or False"):
        assert_true(np.array([True, True]), "array")


# --------------------------------------------------------------------------- seeds
def test_seeds_depend_on_student_assignment_and_tag(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLCOURSE_STUDENT_ID", "alice")
    monkeypatch.setenv("MLCOURSE_ASSIGNMENT", "a1_information")
    a = seed_for("entropy")
    assert a == seed_for("entropy")
    assert a != seed_for("kl")
    assert rng_for("entropy").random() == np.random.default_rng(a).random()
    monkeypatch.setenv("MLCOURSE_STUDENT_ID", "bob")
    assert seed_for("entropy") != a
    monkeypatch.setenv("MLCOURSE_ASSIGNMENT", "a2_logistic_regression")
    assert checks.grading_context() == ("bob", "a2_logistic_regression")


def test_seed_read_from_autograde_directory(monkeypatch, tmp_path):
    folder = tmp_path / "course" / "autograded" / "carol" / "a3_perceptron"
    folder.mkdir(parents=True)
    monkeypatch.chdir(folder)
    monkeypatch.setenv("MLCOURSE_STUDENT_ID", "ignored")
    assert checks.grading_context() == ("carol", "a3_perceptron")


def test_default_student_is_local(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLCOURSE_STUDENT_ID", raising=False)
    monkeypatch.delenv("MLCOURSE_ASSIGNMENT", raising=False)
    assert checks.grading_context() == ("local", tmp_path.name)


def test_failure_message_names_the_seed(monkeypatch):
    monkeypatch.setenv("MLCOURSE_STUDENT_ID", "dave")
    rng_for("softmax")
    seed = seed_for("softmax")
    with pytest.raises(AssertionError, match=f"rng_for\\('softmax'\\) seed {seed}"):
        assert_close(1.0, 2.0, "y")


# --------------------------------------------------------------------------- from scratch
def _exec(source, namespace=None):
    namespace = {"__name__": "__main__", **(namespace or {})}
    exec(compile(source, "<cell>", "exec"), namespace)
    return namespace


def test_from_scratch_accepts_numpy_code():
    ns = _exec(
        "import numpy as np\n"
        "def helper(z):\n    return 1 / (1 + np.exp(-z))\n"
        "def f(x):\n    return helper(x) * np.log(2)\n"
    )
    assert_from_scratch(ns["f"])


@pytest.mark.parametrize(
    "source",
    [
        "import mlcourse.info\ndef f(p):\n    return mlcourse.info.entropy(p)\n",
        "from mlcourse.info import entropy\ndef f(p):\n    return entropy(p)\n",
        "import mlcourse as mc\ndef g(p):\n    return mc.info.entropy(p)\ndef f(p):\n"
        "    return g(p)\n",
        "def f(p):\n    from mlcourse.info import entropy\n    return entropy(p)\n",
        "def f(p):\n    import importlib\n"
        "    return importlib.import_module('mlcourse').info.entropy(p)\n",
        "import torch\ndef f(z):\n    return torch.nn.functional.relu(z)\n",
        "import torch\ndef f(z):\n    return torch.autograd.grad(z, z)\n",
        "from sklearn.linear_model import LogisticRegression\n"
        "class Model:\n    def fit(self, X, y):\n        return LogisticRegression().fit(X, y)\n"
        "def f(X, y):\n    return Model().fit(X, y)\n",
        "import mlcourse.activations as A\ndef f(z, act=A.sigmoid):\n    return act(z)\n",
        "def make():\n    from mlcourse.activations import sigmoid\n"
        "    def f(z):\n        return sigmoid(z)\n    return f\nf = make()\n",
        "import functools\nimport mlcourse.info\nf = functools.partial(mlcourse.info.entropy)\n",
        "import mlcourse.info\nclass F:\n    def __call__(self, p):\n"
        "        return mlcourse.info.entropy(p)\nf = F()\n",
        "import scipy.special\ndef f(z):\n    return scipy.special.expit(z)\n",
    ],
)
def test_from_scratch_detects_forbidden_use(source):
    _install_fake_reference()
    ns = _exec(source)
    with pytest.raises(AssertionError, match="must not use"):
        assert_from_scratch(ns["f"], (*checks.FORBIDDEN, "scipy"))
    if "scipy" not in source:
        with pytest.raises(AssertionError, match="must not use"):
            assert_from_scratch(ns["f"])


def test_from_scratch_allows_torch_tensors_when_only_nn_forbidden():
    ns = _exec("import torch\ndef f(z):\n    return torch.tanh(torch.as_tensor(z))\n")
    assert_from_scratch(ns["f"])


def _install_fake_reference():
    """Make sure mlcourse.info.entropy and mlcourse.activations.sigmoid resolve."""
    import types

    import mlcourse

    for sub, fn in (("info", "entropy"), ("activations", "sigmoid")):
        name = f"mlcourse.{sub}"
        if name not in sys.modules:
            module = types.ModuleType(name)
            sys.modules[name] = module
            setattr(mlcourse, sub, module)
        module = sys.modules[name]
        if not hasattr(module, fn):
            code = f"def {fn}(x):\n    return x\n"
            exec(compile(code, name, "exec"), vars(module))


# --------------------------------------------------------------------------- warnings
def test_warnings_as_feedback_prints_to_stdout(capsys):
    with warnings_as_feedback() as caught:
        warnings.warn("divide by zero in log", RuntimeWarning, stacklevel=1)
        with np.errstate(divide="warn"):
            np.log(np.zeros(1))
    out = capsys.readouterr()
    assert len(caught) == 2
    assert "divide by zero in log" in out.out
    assert "RuntimeWarning" in out.out
    assert out.err == ""


def test_warnings_as_feedback_reraises_errors(capsys):
    with pytest.raises(AssertionError, match=r"ValueError: boom"), warnings_as_feedback():
        warnings.warn("first", UserWarning, stacklevel=1)
        raise ValueError("boom")
    assert "first" in capsys.readouterr().out


def test_warnings_as_feedback_sends_stderr_to_stdout(capsys):
    with warnings_as_feedback():
        print("careful: slow", file=sys.stderr)
    out = capsys.readouterr()
    assert "careful: slow" in out.out
    assert out.err == ""


# --------------------------------------------------------------------------- how it is written
def _looping(X, W):
    out = []
    for row in X:
        out.append(row @ W)
    return np.array(out)


def _vectorised(X, W):
    return X @ W


def _calls_a_looping_helper(X, W):
    return _looping(X, W)


def test_loops_in_source_finds_every_kind_of_loop():
    from mlgrade.checks import loops_in_source

    assert loops_in_source("def f(x):\n    return x @ x") == []
    source = (
        "def f(x):\n    while x:\n        x -= 1\n    a = [v for v in x]\n"
        "    return sum(v for v in x), list(map(abs, x)), np.vectorize(abs)(x)\n"
    )
    found = loops_in_source(source)
    assert found[0] == "a while loop (line 2)"
    assert "a list comprehension (line 4)" in found
    assert {"a generator expression (line 5)", "a call of map (line 5)"} <= set(found)
    assert "a call of vectorize (line 5)" in found
    # Only the named function is read.
    assert loops_in_source("def g():\n    for i in x: pass\ndef f():\n    pass", "f") == []


def test_assert_no_loop():
    from mlgrade.checks import assert_no_loop

    assert_no_loop(_vectorised)
    with pytest.raises(AssertionError, match=r"^_looping: no Python loop allowed; found a for"):
        assert_no_loop(_looping)
    with pytest.raises(AssertionError, match=r"for loop .* in _looping"):
        assert_no_loop(_calls_a_looping_helper)


def test_inplace_changes_in_source():
    from mlgrade.checks import inplace_changes_in_source

    def changes(body):
        return inplace_changes_in_source("def f(params, g):\n" + body)

    assert changes("    return [p - g for p in params]") == []
    assert changes("    params = [p.copy() for p in params]\n    params[0] -= g\n") == []
    assert changes("    params[0] -= g\n") == ["params[0] -= ... (line 2)"]
    assert changes("    for p in params:\n        p -= g\n") == ["p -= ... (line 3)"]
    assert changes("    W, b = params\n    W[0, 0] = 1\n") == ["W[0, 0] = ... (line 3)"]
    assert changes("    for p, q in zip(params, g):\n        p *= q\n") == ["p *= ... (line 3)"]
    assert changes("    np.subtract(params[0], g, out=params[0])\n") == ["out=params[0] (line 2)"]
    assert changes("    params.append(g)\n") == ["params.append(...) (line 2)"]
    assert changes("    x = params[0] * 2\n    x -= g\n") == []
    assert inplace_changes_in_source("def f(a, b):\n    b[0] = 1", ("a",)) == []


def _update_in_place(params, grads):
    for p, g in zip(params, grads, strict=True):
        p -= g
    return params


def _update_copy(params, grads):
    return [p - g for p, g in zip(params, grads, strict=True)]


def test_assert_does_not_modify():
    from mlgrade.checks import assert_does_not_modify

    params, grads = [np.ones(2), np.ones((2, 2))], [np.ones(2), np.ones((2, 2))]
    out = assert_does_not_modify(_update_copy, params, grads)
    assert np.array_equal(out[0], np.zeros(2)) and np.array_equal(params[0], np.ones(2))
    with pytest.raises(
        AssertionError, match=r"^_update_in_place changed its argument params\[0\]"
    ):
        assert_does_not_modify(_update_in_place, params, grads)


def _shape_mistake(X, W, b):
    return W @ X + b


def test_call_reports_shape_errors_briefly():
    from mlgrade.checks import call, student_errors

    X, W, b = np.ones((5, 3)), np.ones((3, 2)), np.ones(2)
    assert call(_vectorised, X, W).shape == (5, 2)
    with pytest.raises(AssertionError) as info:
        call(_shape_mistake, X, W, b)
    first, second = str(info.value).splitlines()
    assert first == "_shape_mistake: matrix product: inner sizes 3 and 2 differ" or (
        first.startswith("_shape_mistake: matrix product") and "gufunc" not in first
    )
    assert "return W @ X + b" in second
    with pytest.raises(AssertionError, match=r"shapes .* do not broadcast"), student_errors():
        np.ones((5, 2)) + np.ones(3)
    with pytest.raises(AssertionError, match="not implemented yet"), student_errors("f"):
        raise NotImplementedError()


def test_helpers_hide_their_frames():
    import mlgrade.checks as checks_module

    for name in (
        "as_float",
        "as_array",
        "assert_true",
        "assert_close",
        "assert_no_loop",
        "assert_does_not_modify",
        "assert_from_scratch",
        "call",
        "assert_type",
    ):
        func = getattr(checks_module, name)
        assert "__tracebackhide__" in func.__code__.co_varnames, name


def _naive_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _stable_sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def test_assert_no_overflow():
    from mlgrade.checks import assert_no_overflow

    z = np.array([-1000.0, 0.0, 1000.0])
    assert np.allclose(assert_no_overflow(_stable_sigmoid, z), [0.0, 0.5, 1.0])
    with pytest.raises(AssertionError, match=r"^_naive_sigmoid overflowed"):
        assert_no_overflow(_naive_sigmoid, z)


def _uses_helper(p, q):
    return _vectorised(p, q).sum()


def test_assert_calls():
    from mlgrade.checks import assert_calls, calls_in_source

    assert "_vectorised" in calls_in_source("def f(p):\n    return _vectorised(p, p)")
    assert_calls(_uses_helper, "_vectorised")
    with pytest.raises(AssertionError, match="must call your _looping"):
        assert_calls(_uses_helper, "_looping")
