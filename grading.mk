# The grading cycle (nbgrader), included from the Makefile. Run from the repository root,
# which is the nbgrader course root (nbgrader_config.py). See "Grading workflow" in
# book/instructor_guide.md.
#
#   make release                      solutions/ -> exercises/ (student versions, committed)
#   make validate                     sources pass their tests, student versions fail them
#   make collect ASSIGNMENT=a1_information [FROM=downloads/a1_information] [LMS=auto]
#                                     an LMS download (Canvas, Moodle, Blackboard, plain) -> submitted/
#   make autograde [ASSIGNMENT=...]   robust autograde of submitted/ + grading_report.{csv,md}
#   make formgrade [FORMGRADE_PORT=8890]
#                                     grade by hand in the browser, offline: nbgrader's formgrader
#                                     on 127.0.0.1 (prints its URL with the token), local MathJax,
#                                     the rubric next to each written answer, and the submissions
#                                     that could not be autograded ready to be graded by hand
#   make feedback [ASSIGNMENT=...]    feedback/<student>/<assignment>/*.html (no hidden tests)
#   make export                       grades.csv from the gradebook
#   make report [ASSIGNMENT=...]      reports/<assignment>.html + CSV: class statistics, flagged
#                                     submissions, Canvas and Moodle imports [GRADEBOOK_URL=...]
#   make grading-test                 the simulated class through real nbgrader (pytest -m grading)
#
# GRADEBOOK_URL=postgresql://... on any target puts the gradebook in PostgreSQL instead of
# gradebook.db (read by nbgrader_config.py; see "A shared gradebook" in the guide).

# nbgrader runs helpers (alembic) by name: they live in the virtual environment.
NBGRADER := PATH="$(abspath $(BIN)):$$PATH" $(BIN)/nbgrader
GRADING := PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m mlgrade
ASSIGNMENTS := $(sort $(notdir $(patsubst %/,%,$(dir $(wildcard solutions/*/*.ipynb)))))
ASSIGNMENT ?=
STUDENT_TIMEOUT ?= 600

.PHONY: release validate collect autograde feedback export report grading-test

release: $(INSTALLED)
	$(GRADING) release $(ASSIGNMENTS)

SOURCES := $(wildcard solutions/*/*.ipynb)
RELEASED := $(wildcard exercises/*/*.ipynb)

# Fails unless every source notebook passes all its tests and no student version passes any.
validate: $(INSTALLED)
	@out=$$($(NBGRADER) validate $(SOURCES) 2>&1); echo "$$out" | grep -v "INFO\|WARNING"; \
	test $$(echo "$$out" | grep -c "Success! Your notebook passes") -eq $(words $(SOURCES))
	@out=$$($(NBGRADER) validate --invert $(RELEASED) 2>&1); echo "$$out" | grep -v "INFO\|WARNING"; \
	test $$(echo "$$out" | grep -c "Success! The notebook does not pass") -eq $(words $(RELEASED))

# FROM defaults to downloads/<assignment>/ (git-ignored); LMS=auto|canvas|moodle|blackboard|plain,
# DUE= due date for Canvas LATE marks, LMS_TIMEZONE= IANA zone of Blackboard file times.
collect: $(INSTALLED)
	@test -n "$(ASSIGNMENT)" || { echo "usage: make collect ASSIGNMENT=a1_information" \
		"[FROM=downloads/a1_information] [LMS=auto] [DUE=...] [LMS_TIMEZONE=UTC]"; exit 2; }
	$(BIN)/python -m mlgrade.collect --lms "$(or $(LMS),auto)" \
		$(if $(DUE),--due "$(DUE)") --timezone "$(or $(LMS_TIMEZONE),UTC)" \
		"$(ASSIGNMENT)" "$(or $(FROM),downloads/$(ASSIGNMENT))"

# Grades what is new or changed since the last run, on every core (JOBS=N to choose);
# STUDENT=id regrades one student; SANDBOX=0 grades without bubblewrap (only where it
# cannot be installed: student code then runs with the grader's rights); CLUSTER=tcp://...
# executes the submissions on a Dask cluster's workers ("Grading on a cluster" in the guide).
SANDBOX ?= 1
CLUSTER ?=
STUDENT ?=
JOBS ?=

autograde: $(INSTALLED)
	$(GRADING) autograde --student-timeout $(STUDENT_TIMEOUT) \
		$(if $(ASSIGNMENT),--assignment $(ASSIGNMENT)) \
		$(if $(STUDENT),--student '$(STUDENT)') $(if $(JOBS),--jobs $(JOBS)) \
		$(if $(CLUSTER),--cluster '$(CLUSTER)') $(if $(filter 0,$(SANDBOX)),--no-sandbox)

# After make autograde: the formgrader for this course (mlgrade.formgrade), Ctrl-C stops it.
FORMGRADE_PORT ?=
.PHONY: formgrade
formgrade: $(INSTALLED)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m mlgrade.formgrade $(if $(FORMGRADE_PORT),--port $(FORMGRADE_PORT))

# Feedback for the assignments that have autograded submissions.
feedback: $(INSTALLED)
	@set -e; for a in $(or $(ASSIGNMENT),$(sort $(notdir $(wildcard autograded/*/*)))); do \
		echo "feedback for $$a"; $(NBGRADER) generate_feedback --force $$a; done

export: $(INSTALLED)
	$(NBGRADER) export

# The class report of every graded assignment (or ASSIGNMENT=...); GRADEBOOK_URL= any
# SQLAlchemy URL of the gradebook (default sqlite:///gradebook.db), LMS_IDS= an LMS id map
# for every assignment (default submitted/<assignment>.lms.csv, written by make collect).
report: $(INSTALLED)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m mlgrade.classreport \
		$(if $(ASSIGNMENT),--assignment $(ASSIGNMENT)) \
		$(if $(GRADEBOOK_URL),--gradebook-url '$(GRADEBOOK_URL)') \
		$(if $(LMS_IDS),--lms-ids '$(LMS_IDS)')

grading-test: $(INSTALLED)
	$(BIN)/python -m pytest -m grading tests/grading
