"""The package as a whole: its public names, and what `import mlcourse` costs."""

import importlib
import json
import subprocess
import sys

import pytest

import mlcourse

# The public API of issue 2: lessons and exercises depend on these names.
API = {
    "info": ["entropy", "cross_entropy", "kl_divergence"],
    "activations": [
        *(
            f"{name}{suffix}"
            for name in [
                "identity",
                "step",
                "sigmoid",
                "tanh",
                "relu",
                "leaky_relu",
                "prelu",
                "elu",
                "gelu",
                "swish",
                "softplus",
            ]
            for suffix in ("", "_grad")
        ),
        "prelu_grad_a",
        "softmax",
        "log_softmax",
        "ACTIVATIONS",
    ],
    "losses": [
        *(
            f"{name}{suffix}"
            for name in [
                "binary_cross_entropy",
                "binary_cross_entropy_with_logits",
                "cross_entropy",
                "mse",
                "hinge",
            ]
            for suffix in ("", "_grad")
        )
    ],
    "layers": ["linear_forward", "linear_backward", "activation_forward", "activation_backward"],
    "mlp": ["MLP"],
    "perceptron": ["Perceptron", "LogisticRegression"],
    "optim": [
        "sgd_step",
        "minibatches",
        "train",
        "Optimiser",
        "Momentum",
        "AdaGrad",
        "RMSprop",
        "Adam",
    ],
    "gradcheck": ["numerical_gradient", "relative_error", "check_gradient"],
    "likelihood": ["bernoulli_log_likelihood", "bernoulli_mle", "gaussian_mle"],
    "shapes": ["count_parameters", "forward_cost", "linear_regions_lower_bound"],
    "datasets": ["logic_gate", "xor", "iris_versicolor", "digits", "moons", "pass_fail"],
    "plotting": ["plot_decision_boundary", "plot_activation"],
}


@pytest.mark.parametrize("module", sorted(API))
def test_public_names_exist_in_their_module_and_at_top_level(module):
    mod = importlib.import_module(f"mlcourse.{module}")
    for name in API[module]:
        assert hasattr(mod, name), f"mlcourse.{module} lacks {name}"
        assert name in mod.__all__, f"{name} missing from mlcourse.{module}.__all__"
        if not (module == "info" and name == "cross_entropy"):
            assert getattr(mlcourse, name) is getattr(mod, name), f"mlcourse.{name}"


def test_top_level_cross_entropy_is_the_loss_and_info_keeps_its_own():
    from mlcourse import info, losses

    assert mlcourse.cross_entropy is losses.cross_entropy
    assert mlcourse.info.cross_entropy is info.cross_entropy
    assert info.cross_entropy is not losses.cross_entropy


def test_every_module_is_a_submodule_attribute():
    for module in API:
        assert getattr(mlcourse, module) is importlib.import_module(f"mlcourse.{module}")


def test_all_names_at_top_level_are_unique_and_resolvable():
    assert len(mlcourse.__all__) == len(set(mlcourse.__all__))
    for name in mlcourse.__all__:
        assert hasattr(mlcourse, name), name


_PROBE = """
import json, sys
import mlcourse
heavy = sorted(m for m in ("torch", "sklearn", "matplotlib", "scipy", "sympy", "nbgrader")
               if m in sys.modules)
print(json.dumps({"heavy": heavy}))
"""


def _probe_import():
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_import_does_not_pull_in_heavy_packages():
    # Import time itself is measured by bench/import_time.py, not by a timed test.
    assert _probe_import()["heavy"] == []


# ---------------------------------------------------- the public function is the math
def _body_names(function):
    """The decorators and the names used in the body (after the docstring)."""
    import ast
    import inspect
    import textwrap

    tree = ast.parse(textwrap.dedent(inspect.getsource(function))).body[0]
    body = tree.body[1:] if isinstance(tree.body[0], ast.Expr) else tree.body
    names = set()
    for node in ast.walk(ast.Module(body=body, type_ignores=[])):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
    return tree.decorator_list, names


# The functions whose source the lessons print (ch01, ch07, ch08): checks in one line at
# the top, then the formula, with no private helper in between.
PRINTED = ["sigmoid", "softmax", "linear_backward", "sgd_step", "numerical_gradient"]


@pytest.mark.parametrize("name", PRINTED)
def test_a_printed_function_is_one_line_of_checks_then_its_formula(name):
    decorators, names = _body_names(getattr(mlcourse, name))
    assert len(decorators) == 1 and decorators[0].func.id == "checked"
    assert not sorted(n for n in names if n.startswith("_")), "a private helper in the body"


# ch08 prints the update rules of the optimisers: each is the formula, with no helper and
# no check in between (Optimiser.step checks the gradients before it calls them).
OPTIMISERS = ["Momentum", "AdaGrad", "RMSprop", "Adam"]
FORMULA_NAMES = {"self", "w", "grad", "state", "np", "sqrt", "t", "lr", "eps"}
FORMULA_NAMES |= {"rho", "beta1", "beta2", "betas", "omega", "v", "omega_hat", "v_hat"}


@pytest.mark.parametrize("name", OPTIMISERS)
def test_a_printed_update_rule_is_its_formula(name):
    decorators, names = _body_names(getattr(mlcourse, name).update)
    assert not decorators
    assert not sorted(n for n in names if n.startswith("_")), "a private helper in the body"
    assert names <= FORMULA_NAMES, sorted(names - FORMULA_NAMES)


def test_the_sigmoid_source_shows_the_stable_formula():
    import inspect

    source = inspect.getsource(mlcourse.sigmoid)
    assert "u = np.exp(-np.abs(z))" in source
    assert "return np.where(z >= 0, 1, u) / (1 + u)" in source


@pytest.mark.parametrize("module", ["activations", "layers", "losses"])
def test_every_public_function_of_the_numerics_checks_its_input(module):
    import inspect

    from mlcourse._validation import unchecked

    mod = importlib.import_module(f"mlcourse.{module}")
    functions = [
        getattr(mod, name)
        for name in mod.__all__
        if inspect.isfunction(getattr(mod, name))
        and not name.startswith(("get_", "known_"))
        and not name.endswith("_and_grad")
    ]
    assert functions
    fused = [getattr(mod, n) for n in mod.__all__ if n.endswith("_and_grad")]
    for function in functions + [f for f in fused if f.__name__ == "cross_entropy_and_grad"]:
        assert unchecked(function) is not function, f"{function.__name__} has no @checked"
