# book.mk: the book's targets, included by the Makefile (which defines VENV, BIN and the
# INSTALLED stamp, so `make book` on a fresh clone creates .venv first).
#
# `make book` is strict: nitpicky, every warning an error, every page built even after a
# failure (--keep-going) so that one run reports every problem. Lessons run inline while
# Sphinx reads them; Sphinx reads a lesson again when it changed, or when mlcourse/**/*.py
# did (the Sphinx extension tools/book_cache.py, loaded from _config.yml), so an unchanged
# tree executes nothing. No extra step is needed here for that; `make book-cache` only
# reports the key.

.PHONY: book book-clean clean-book book-cache book-serve book-test

book: $(INSTALLED)
	$(BIN)/jupyter-book build . -W -n --keep-going

# Delete the whole build (the next `make book` executes every lesson).
book-clean clean-book:
	rm -rf _build

# Print the current mlcourse hash (a change re-executes every lesson).
book-cache: $(INSTALLED)
	$(BIN)/python tools/book_cache.py

# Read the built book at http://127.0.0.1:8000 (works without a network).
book-serve:
	$(BIN)/python -m http.server --bind 127.0.0.1 --directory _build/html 8000

# The book's own tests: static lesson checks, strict build, links, leaks, browser.
book-test: $(INSTALLED)
	$(BIN)/python -m pytest tests/mlcourse/test_plotting.py tests/book -q
