# The two commands: `make book` and `make test`. Each creates .venv when it is missing,
# installs the project into it (only when pyproject.toml changed since the last install),
# and then does its job. book.mk and grading.mk use the same VENV, BIN and INSTALLED.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The stamp records that .venv holds exactly what pyproject.toml asks for.
INSTALLED := $(VENV)/.installed

.PHONY: help install test lint format bench clean

help:
	@echo "make book    build the Jupyter Book (every lesson executed) into _build/html"
	@echo "make test    lint, then run the whole test suite (package, book, browser, grading)"
	@echo "make lint    ruff lint (Python files and notebooks) and format check only"
	@echo "make format  apply ruff's formatter and fixable lint rules"
	@echo "make bench   the benchmarks: MLP step and training epoch against PyTorch, import time,"
	@echo "             book build times, grading throughput against stock nbgrader (~10 min)"
	@echo "make clean   remove .venv and every build product"
	@echo "book.mk:     book-clean, book-cache, book-serve, book-test"
	@echo "grading.mk:  release, validate, collect, autograde, formgrade, feedback, export, report,"
	@echo "             (the grading cycle: see book/instructor_guide.md)"
	@echo "student.mk:  student (a light .venv-student for lessons and exercises), lab"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --upgrade "pip>=24"
	$(BIN)/python -m pip install -e ".[course,dev]"
	touch $@

install: $(INSTALLED)

# Every Python file of the project: the packages, tests, benchmarks, tools, the nbgrader
# configuration.
LINTED := mlcourse mlgrade tests bench tools nbgrader_config.py
# The notebooks, whose code cells ruff lints like any Python file (the per-file settings for
# the generated exercises/ are in pyproject.toml). They are not run through the formatter
# (see [tool.ruff.format] there); fix a finding in solutions/ by hand, then `make release`.
NOTEBOOKS := lessons solutions exercises

lint: $(INSTALLED)
	$(BIN)/ruff check $(LINTED) $(NOTEBOOKS)
	$(BIN)/ruff format --check $(LINTED)

format: $(INSTALLED)
	$(BIN)/ruff check --fix $(LINTED)
	$(BIN)/ruff format $(LINTED)

# The suite runs on TEST_JOBS pytest-xdist workers; --dist loadfile keeps each test module
# (and its module-scoped class of graded notebooks) on one worker.
TEST_JOBS ?= 2

test: lint
	$(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadfile

bench: $(INSTALLED)
	$(BIN)/python bench/mlp_vs_torch.py
	$(BIN)/python bench/train_vs_torch.py
	$(BIN)/python bench/import_time.py
	$(BIN)/python bench/book_build.py
	$(BIN)/python bench/grading_throughput.py

clean:
	rm -rf $(VENV) _build .pytest_cache .hypothesis .ruff_cache

include book.mk
include grading.mk
include student.mk
