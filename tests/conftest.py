"""Shared test configuration: hypothesis profiles and common fixtures.

Hypothesis profiles (select with ``HYPOTHESIS_PROFILE=<name>``):

* ``mlcourse`` (default): 40 examples per property, no deadline (the machine is shared,
  so timings are noisy), no example database written to the repository;
* ``ci``: the same with ``derandomize=True`` for reproducible CI runs;
* ``thorough``: 500 examples, for a local deep run.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

_COMMON = {
    "deadline": None,
    "database": None,
    "suppress_health_check": [HealthCheck.too_slow],
}
settings.register_profile("mlcourse", max_examples=40, **_COMMON)
settings.register_profile("ci", max_examples=40, derandomize=True, **_COMMON)
settings.register_profile("thorough", max_examples=500, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "mlcourse"))


@pytest.fixture
def rng() -> np.random.Generator:
    """A freshly seeded NumPy generator (the same numbers in every test)."""
    return np.random.default_rng(20260124)


@pytest.fixture(params=[np.float32, np.float64], ids=["float32", "float64"])
def float_dtype(request):
    """Runs a test once per floating dtype the package supports."""
    return request.param
