"""Tests for mlcourse._validation: every check, its message and its no-copy promise."""

from __future__ import annotations

import re

import numpy as np
import pytest

from mlcourse._validation import (
    as_float_array,
    check_class_indices,
    check_finite,
    check_in_range,
    check_labels,
    check_ndim,
    check_probabilities,
    check_same_shape,
    format_index,
)


def test_as_float_array_keeps_float_dtypes_without_copy(float_dtype):
    x = np.arange(6, dtype=float_dtype).reshape(2, 3)
    out = as_float_array(x, "x")
    assert out is x
    assert out.dtype == float_dtype


@pytest.mark.parametrize("value", [[1, 2, 3], np.arange(3), np.array([True, False]), 7])
def test_as_float_array_converts_ints_and_bools_to_float64(value):
    out = as_float_array(value, "x")
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, np.asarray(value, dtype=np.float64))


def test_as_float_array_converts_float16_to_float64():
    assert as_float_array(np.ones(2, np.float16), "x").dtype == np.float64


@pytest.mark.parametrize(
    ("value", "pattern"),
    [
        (["a", "b"], r"^x: expected a real numeric array, got dtype <U1$"),
        (np.array([1 + 2j]), r"^x: expected a real numeric array, got dtype complex128$"),
        ([None, 1], r"^x: expected a real numeric array, got dtype object$"),
        ([[1], [1, 2]], r"^x: expected a real numeric array, got list"),
    ],
)
def test_as_float_array_rejects_non_numeric(value, pattern):
    with pytest.raises(ValueError, match=pattern):
        as_float_array(value, "x")


def test_check_finite_accepts_finite_and_integer_arrays(float_dtype):
    check_finite(np.linspace(-1e4, 1e4, 11).astype(float_dtype), "z")
    check_finite(np.arange(5), "z")
    check_finite(np.zeros((0, 3)), "z")


def test_check_finite_reports_nan_position():
    z = np.zeros(5)
    z[3] = np.nan
    with pytest.raises(ValueError, match=re.escape("z contains NaN at index (3,); expected")):
        check_finite(z, "z")


def test_check_finite_reports_inf_with_sign_and_2d_index():
    z = np.zeros((2, 3))
    z[1, 2] = -np.inf
    with pytest.raises(ValueError, match=re.escape("z contains -inf at index (1, 2)")):
        check_finite(z, "z")
    check_finite(z, "z", allow_inf=True)


def test_check_finite_nan_with_allow_inf():
    with pytest.raises(ValueError, match=r"^w contains NaN at index \(0,\); expected no NaN$"):
        check_finite(np.array([np.nan, np.inf]), "w", allow_inf=True)


def test_check_finite_large_but_finite_sum_overflow_is_not_an_error():
    # the sum overflows in float32 but every entry is finite: the slow path decides
    z = np.full(10, 3e38, dtype=np.float32)
    check_finite(z, "z")


def test_check_ndim_message():
    check_ndim(np.zeros((2, 3)), "logits", 2)
    with pytest.raises(
        ValueError, match=re.escape("logits has shape (3,); expected a 2-D array (N, C)")
    ):
        check_ndim(np.zeros(3), "logits", 2, "(N, C)")
    with pytest.raises(ValueError, match="expected a 1-D or 2-D array"):
        check_ndim(np.zeros((1, 1, 1)), "x", (1, 2))


def test_check_same_shape_message():
    check_same_shape(np.zeros(3), np.ones(3), "a", "b")
    msg = "y_hat has shape (5, 1) but y has shape (5,); expected the same shape"
    with pytest.raises(ValueError, match=re.escape(msg)):
        check_same_shape(np.zeros((5, 1)), np.zeros(5), "y_hat", "y")


def test_check_probabilities_accepts_distributions():
    check_probabilities(np.array([[0.2, 0.8], [1.0, 0.0]]), "p")
    check_probabilities(np.array([0.5, 0.5 + 5e-7]), "p")  # within the tolerance 1e-6
    check_probabilities(np.array([[0.5, 0.5], [0.1, 0.9]]).T, "p", axis=0)


def test_check_probabilities_negative_entry():
    msg = "p has a negative entry -0.1 at index (0, 2); expected probabilities >= 0"
    with pytest.raises(ValueError, match=re.escape(msg)):
        check_probabilities(np.array([[0.6, 0.5, -0.1], [0.2, 0.3, 0.5]]), "p")


def test_check_probabilities_sum_not_one():
    msg = "q sums to 0.9 along axis -1 at index (1,); expected sums of 1 (tolerance 1e-06)"
    with pytest.raises(ValueError, match=re.escape(msg)):
        check_probabilities(np.array([[0.5, 0.5], [0.2, 0.7]]), "q")
    with pytest.raises(ValueError, match=re.escape("sums to 1.000002")):
        check_probabilities(np.array([0.5, 0.500002]), "q")


def test_check_probabilities_nan_and_scalar():
    with pytest.raises(ValueError, match=re.escape("p contains NaN at index (1,)")):
        check_probabilities(np.array([0.5, np.nan]), "p")
    with pytest.raises(ValueError, match=r"p has shape \(\); expected at least a 1-D"):
        check_probabilities(np.array(1.0), "p")


def test_check_labels():
    check_labels(np.array([0, 1, 1.0]), "y", (0, 1))
    check_labels(np.array([-1, 1]), "y", (-1, 1))
    check_labels(np.array([0, 2, 5]), "y", (0, 2, 5))
    with pytest.raises(
        ValueError, match=re.escape("y contains 2 at index (3,); expected labels in {0, 1}")
    ):
        check_labels(np.array([0, 1, 1, 2]), "y", (0, 1))
    with pytest.raises(
        ValueError, match=re.escape("y contains 0 at index (1,); expected labels in {-1, 1}")
    ):
        check_labels(np.array([1, 0]), "y", (-1, 1))
    with pytest.raises(
        ValueError, match=re.escape("y contains 0.5 at index (0,); expected labels in {0, 2, 5}")
    ):
        check_labels(np.array([0.5]), "y", (0, 2, 5))
    with pytest.raises(ValueError, match="y: expected numeric labels, got dtype <U1"):
        check_labels(np.array(["a"]), "y", (0, 1))


def test_check_class_indices():
    check_class_indices(np.array([0, 4, 2]), "y", 5)
    check_class_indices(np.array([], dtype=int), "y", 5)
    msg = "y contains class index 5 at index (1,); expected integers in [0, 4] for 5 classes"
    with pytest.raises(ValueError, match=re.escape(msg)):
        check_class_indices(np.array([0, 5, 1]), "y", 5)
    with pytest.raises(ValueError, match=re.escape("y contains class index -1 at index (2,)")):
        check_class_indices(np.array([0, 1, -1]), "y", 5)
    with pytest.raises(ValueError, match="y: expected integer class indices, got dtype float64"):
        check_class_indices(np.array([0.0, 1.0]), "y", 5)


def test_check_in_range():
    check_in_range(np.array([0.0, 0.5, 1.0]), "y_hat", 0, 1)
    msg = "y_hat contains 1.2 at index (3,); expected probabilities in [0, 1]"
    with pytest.raises(ValueError, match=re.escape(msg)):
        check_in_range(np.array([0.0, 0.5, 1.0, 1.2]), "y_hat", 0, 1, "probabilities")
    with pytest.raises(ValueError, match=re.escape("contains -0.5 at index (0,)")):
        check_in_range(np.array([-0.5]), "y_hat", 0, 1)


def test_format_index():
    assert format_index(5, (2, 3)) == "(1, 2)"
    assert format_index((0, 1), (2, 3)) == "(0, 1)"
    assert format_index(0, ()) == "()"


def test_name_registry_lists_the_known_names_in_a_value_and_key_error():
    from mlcourse._validation import NameRegistry, UnknownNameError

    registry = NameRegistry("loss", "loss", mse=1, hinge=2)
    assert registry["mse"] == 1
    with pytest.raises(
        ValueError, match=r"^loss: unknown loss 'mae'; expected one of: hinge, mse$"
    ):
        registry["mae"]
    with pytest.raises(KeyError):
        registry["mae"]
    assert issubclass(UnknownNameError, ValueError)
    assert "mae" not in registry and registry.get("mae") is None
    assert registry.lookup("hinge") == 2
    with pytest.raises(ValueError, match=r"^loss: expected a loss name \(str\), got 3$"):
        registry.lookup(3)


@pytest.mark.parametrize(
    ("value", "minimum", "message"),
    [
        (0, 1, "epochs is 0; expected a positive integer"),
        (2.5, 1, "epochs is 2.5; expected a positive integer"),
        (2.0, 1, "epochs is 2.0; expected a positive integer"),
        (True, 1, "epochs is True; expected a positive integer"),
        (1, 2, "epochs is 1; expected an integer >= 2"),
    ],
)
def test_check_int_rejects_non_counts(value, minimum, message):
    from mlcourse._validation import check_int

    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        check_int(value, "epochs", minimum)


def test_check_int_accepts_numpy_integers():
    from mlcourse._validation import check_int

    value = check_int(np.int64(3), "n")
    assert value == 3 and type(value) is int


@pytest.mark.parametrize("value", [0, -0.1, float("nan"), float("inf"), True, "a", [0.1], None])
def test_check_positive_rejects(value):
    from mlcourse._validation import check_positive

    with pytest.raises(ValueError, match=r"^lr is .*; expected a positive finite learning rate$"):
        check_positive(value, "lr", "learning rate")


def test_check_positive_returns_a_float():
    from mlcourse._validation import check_positive

    assert check_positive(np.float32(0.5), "lr") == 0.5
    assert type(check_positive(1, "lr")) is float


def test_lookup_names_the_callers_argument():
    from mlcourse._validation import NameRegistry

    registry = NameRegistry("name", "activation", relu=1)
    with pytest.raises(ValueError, match=r"^output: unknown activation 'soft'; expected one of"):
        registry.lookup("soft", "output")
    with pytest.raises(ValueError, match=r"^output: expected an activation name \(str\)"):
        registry.lookup(None, "output")


# ------------------------------------------------------------ checked / unchecked
def test_checked_converts_then_relates_then_runs_the_body():
    from mlcourse._validation import checked, finite_array, real_number, unchecked

    seen = []

    def same_length(z, w):
        seen.append("relation")
        if len(z) != len(w):
            raise ValueError("w: expected the length of z")
        return {"w": w * 2}

    @checked(same_length, z=finite_array, w=finite_array, alpha=real_number)
    def body(z, w, alpha=1, *, scale=3):
        """The docstring."""
        seen.append("body")
        return z * alpha * scale + w

    np.testing.assert_array_equal(body([1, 2], [0, 1]), [3.0, 8.0])
    np.testing.assert_array_equal(body([1, 2], w=[0, 1], alpha=2.0, scale=1), [2.0, 6.0])
    assert seen == ["relation", "body", "relation", "body"]
    assert body.__name__ == "body" and body.__doc__ == "The docstring."
    assert str(inspect_signature(body)) == "(z, w, alpha=1, *, scale=3)"
    assert unchecked(body) is body.__wrapped__
    with pytest.raises(ValueError, match=r"^z contains NaN at index \(0,\)"):
        body([np.nan], [0])
    with pytest.raises(ValueError, match=r"^w: expected the length of z"):
        body([1, 2], [0])
    with pytest.raises(ValueError, match=r"^alpha: expected a real number, got 'x'"):
        body([1], [0], "x")
    # Python's own errors for calls that do not bind
    for bad in (lambda: body([1]), lambda: body(1, 2, 3, 4), lambda: body(1, 2, z=1)):
        with pytest.raises(TypeError):
            bad()
    with pytest.raises(TypeError, match="unexpected keyword argument 'beta'"):
        body([1], [0], beta=1)


def test_checked_refuses_what_it_cannot_bind():
    from mlcourse._validation import checked, finite_array, unchecked

    with pytest.raises(TypeError, match="has no argument 'x'"):
        checked(x=finite_array)(lambda z: z)
    with pytest.raises(TypeError, match=r"takes \*args"):
        checked()(lambda *z: z)

    def plain(z):
        return z

    assert unchecked(plain) is plain  # an undecorated function is its own body


def test_real_number_float_dtype_and_learning_rate():
    from mlcourse._validation import check_float_dtype, learning_rate, real_number

    assert real_number(np.float32(0.5), "alpha") == 0.5
    with pytest.raises(ValueError, match=r"^alpha is inf; expected a finite number$"):
        real_number(float("inf"), "alpha")
    assert check_float_dtype("float32") == np.float32
    with pytest.raises(ValueError, match=r"^dtype is int64; expected float32 or float64$"):
        check_float_dtype(np.int64)
    assert learning_rate(0.1) == 0.1
    with pytest.raises(ValueError, match=r"^lr is 0; expected a positive finite learning rate$"):
        learning_rate(0)


@pytest.mark.parametrize("value", [1, 1.0, -0.1, float("nan"), True, "a", [0.5], None])
def test_decay_rate_rejects_what_is_not_in_0_1(value):
    from mlcourse._validation import decay_rate

    with pytest.raises(ValueError, match=r"^rho is .*; expected a decay rate in \[0, 1\)$"):
        decay_rate(value, "rho")


def test_decay_rate_returns_a_float_and_accepts_0():
    from mlcourse._validation import decay_rate

    assert decay_rate(0, "rho") == 0.0 and type(decay_rate(0, "rho")) is float
    assert decay_rate(np.float32(0.5), "beta2") == 0.5
    assert decay_rate(0.999, "beta2") == 0.999


def inspect_signature(function):
    import inspect

    return inspect.signature(function)
