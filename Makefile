# The two commands: `make book` and `make test`. Each creates .venv when it is missing,
# installs the project into it (only when pyproject.toml changed since the last install),
# and then does its job.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The stamp records that .venv holds exactly what pyproject.toml asks for.
INSTALLED := $(VENV)/.installed

.PHONY: help install test lint format bench clean

help:
	@echo "make book    build the Jupyter Book (every lesson executed) into _build/html"
	@echo "make test    lint, then run the whole test suite (package, book, browser, grading)"
	@echo "make lint    ruff lint and format check only"
	@echo "make format  apply ruff's formatter and fixable lint rules"
	@echo "make bench   the benchmarks: MLP against PyTorch, import time, book build times"
	@echo "make clean   remove .venv and every build product"
	@echo "book.mk:     book-clean, book-cache, book-serve, book-test"
	@echo "grading.mk:  release, validate, collect, autograde, feedback, export, grading-test"
	@echo "             (the grading cycle: see book/instructor_guide.md)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --upgrade "pip>=24"
	$(BIN)/python -m pip install -e ".[course,dev]"
	touch $@

install: $(INSTALLED)

lint: $(INSTALLED)
	$(BIN)/ruff check mlcourse tests bench
	$(BIN)/ruff format --check mlcourse tests bench

format: $(INSTALLED)
	$(BIN)/ruff check --fix mlcourse tests bench
	$(BIN)/ruff format mlcourse tests bench

test: lint
	$(BIN)/python -m pytest

bench: $(INSTALLED)
	$(BIN)/python bench/mlp_vs_torch.py
	$(BIN)/python bench/import_time.py
	$(BIN)/python bench/book_build.py

clean:
	rm -rf $(VENV) _build .pytest_cache .hypothesis .ruff_cache

include book.mk
include grading.mk
