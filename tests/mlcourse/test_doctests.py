"""The examples in the docstrings of mlcourse run, and print what they say they print.

Every module of the package is searched, so an example added anywhere is run here (and
so by ``make test``) without a list to keep up to date.
"""

import doctest
import importlib
import pkgutil

import pytest

import mlcourse

MODULES = sorted(info.name for info in pkgutil.iter_modules(mlcourse.__path__, prefix="mlcourse."))


@pytest.mark.parametrize("name", MODULES)
def test_the_examples_of_a_module_run(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in finder.find(module, name):  # each runs in a copy of its module's namespace
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


def test_the_package_has_examples():
    finder = doctest.DocTestFinder(exclude_empty=True)
    count = sum(
        len(test.examples)
        for name in MODULES
        for test in finder.find(importlib.import_module(name), name)
    )
    assert count >= 8  # the examples of the foundation issue, and those added since
