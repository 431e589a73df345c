# student.mk: the light set-up for students, included by the Makefile.
#
#   make student                  .venv-student with only what lessons and exercises need
#   make lab                      JupyterLab for students (lessons render their MyST)
#   make lab EXCHANGE=/srv/ex     the same, with the Assignment List of an nbgrader exchange
#
# .venv-student is separate from .venv (`make book` and `make test` never use it). Its
# stamp is written only after a complete install, so an interrupted `make student` simply
# runs again; a venv without a working pip (creation interrupted) is deleted and recreated.

STUDENT_VENV ?= .venv-student
STUDENT_BIN := $(STUDENT_VENV)/bin
STUDENT_INSTALLED := $(STUDENT_VENV)/.installed
# Lab's own state (settings, workspaces) stays out of the repository's config folders;
# student/lab-settings/overrides.json sets the defaults (every cell rendered, no windowing,
# so that a lesson's inline expressions show everywhere after Run All).
STUDENT_STATE := $(abspath $(STUDENT_VENV))/lab-state
EXCHANGE ?=
# Extra pip arguments, e.g. the CPU-only PyTorch index on Linux (see README, For students).
STUDENT_PIP_ARGS ?=
# Extra arguments for jupyter lab, e.g. LAB_ARGS="--port=8890 --no-browser".
LAB_ARGS ?=

.PHONY: student lab

$(STUDENT_INSTALLED): pyproject.toml
	@$(STUDENT_BIN)/python -m pip --version >/dev/null 2>&1 || { \
		echo "creating $(STUDENT_VENV)"; rm -rf $(STUDENT_VENV); $(PYTHON) -m venv $(STUDENT_VENV); }
	$(STUDENT_BIN)/python -m pip install --upgrade "pip>=24"
	$(STUDENT_BIN)/python -m pip install $(STUDENT_PIP_ARGS) -e ".[student]"
	$(STUDENT_BIN)/python -c "import mlcourse, mlgrade.checks, torch, matplotlib, sklearn, jupyterlab_myst"
	touch $@

student: $(STUDENT_INSTALLED)
	@echo "ready: make lab"

lab: $(STUDENT_INSTALLED)
	JUPYTER_CONFIG_DIR="$(CURDIR)/student/$(if $(EXCHANGE),jupyter-exchange,jupyter)" \
	$(if $(EXCHANGE),MLCOURSE_EXCHANGE="$(abspath $(EXCHANGE))") \
	PATH="$(abspath $(STUDENT_BIN)):$$PATH" \
	$(STUDENT_BIN)/jupyter lab \
		--LabApp.user_settings_dir="$(STUDENT_STATE)/settings" \
		--LabApp.workspaces_dir="$(STUDENT_STATE)/workspaces" \
		--LabApp.app_settings_dir="$(CURDIR)/student/lab-settings" $(LAB_ARGS)
