"""From Logistic Regression to MLPs: the NumPy teaching package of the course.

Every public name lives in a small module of one topic and is re-exported here, so both
``from mlcourse import sigmoid`` and ``from mlcourse.activations import sigmoid`` work.
One exception: the top-level ``cross_entropy`` is the loss, ``mlcourse.losses.cross_entropy``
(as in ``torch.nn.functional``); the cross-entropy of two distributions stays
``mlcourse.info.cross_entropy``.

Importing the package loads NumPy only. PyTorch, scikit-learn and matplotlib are imported
inside the functions that need them.
"""

from types import ModuleType

from .activations import *  # noqa: F403
from .datasets import *  # noqa: F403
from .gradcheck import *  # noqa: F403
from .info import *  # noqa: F403
from .layers import *  # noqa: F403
from .likelihood import *  # noqa: F403
from .losses import *  # noqa: F403  (the loss wins the name cross_entropy)
from .mlp import *  # noqa: F403
from .optim import *  # noqa: F403
from .perceptron import *  # noqa: F403
from .plotting import *  # noqa: F403
from .shapes import *  # noqa: F403

# The public submodules: each import above also binds its module in this namespace.
_MODULES = tuple(
    module
    for name, module in sorted(globals().items())
    if isinstance(module, ModuleType)
    and module.__name__ == f"{__name__}.{name}"
    and not name.startswith("_")
)
__all__ = sorted(
    {name for module in _MODULES for name in module.__all__}
    | {m.__name__.split(".")[-1] for m in _MODULES}
)
__version__ = "0.1.0"
