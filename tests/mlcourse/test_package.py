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
    "optim": ["sgd_step", "minibatches", "train"],
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
