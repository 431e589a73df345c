# nbgrader configuration of the course "From Logistic Regression to MLPs".
#
# The course root is the folder of this file (the repository root): solutions/ holds the
# source notebooks (with solutions and hidden tests), exercises/ the released student
# versions (committed), submitted/, autograded/, feedback/ and gradebook.db the grading
# working folders (never committed). Run nbgrader from this folder, or use the make targets
# of grading.mk. The preprocessors from mlgrade.preprocessors fix three unfair behaviours of
# stock nbgrader; see that module's docstring. mlgrade.execute runs each submission with a
# sandboxed student kernel and a separate judge for the test cells.
import os
from pathlib import Path

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    GetGrades,
    IgnorePattern,
    LimitOutput,
    OverwriteKernelspec,
    SaveAutoGrades,
)

from mlgrade.execute import JudgedExecute
from mlgrade.gradebook import course_url
from mlgrade.preprocessors import (
    FairGradeOutputs,
    FairOverwriteCells,
    HideHiddenTests,
    RestoreMetadata,
    SafeOutputs,
)

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file

c.CourseDirectory.root = str(Path(__file__).resolve().parent)
c.CourseDirectory.course_id = "mlcourse"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]
# The gradebook: gradebook.db in this folder, or the database of GRADEBOOK_URL (PostgreSQL,
# for several graders; see "A shared gradebook" in book/instructor_guide.md).
c.CourseDirectory.db_url = course_url(c.CourseDirectory.root)

# generate_assignment creates the assignment in the gradebook when it is missing.
c.GenerateAssignment.create_assignment = True

# Student cells run in a bubblewrap sandbox, test cells in a separate judge process
# (mlgrade.execute; see "Trustworthy grading" in book/instructor_guide.md). Every notebook
# of the course runs in seconds: a cell that takes a minute is a loop that will not end;
# it is interrupted (or its kernel stopped) and scores 0, and the tests that passed before
# keep their points. MLGRADE_SANDBOX=0 (make autograde SANDBOX=0) grades without the
# sandbox, for a machine without bubblewrap; the judge stays on.
c.JudgedExecute.timeout = 60
c.JudgedExecute.startup_timeout = 60
c.JudgedExecute.sandbox = os.environ.get("MLGRADE_SANDBOX", "1") != "0"
c.JudgedExecute.memory = 2 * 2**30
c.JudgedExecute.cpu_seconds = 300
c.JudgedExecute.processes = 64
c.JudgedExecute.file_size = 64 * 2**20
c.JudgedExecute.output_limit = 1_000_000
c.Validator.validate_all = False

# Sanitizing: a notebook whose nbgrader metadata was stripped is matched back to the release
# (the student's file is not changed); locked cells are restored silently when they are what
# was released, real edits reported as TAMPERING; deleted test cells are put back so they
# run (and score) anyway.
c.OverwriteCells.add_missing_cells = True
c.Autograde.sanitize_preprocessors = [
    RestoreMetadata,
    ClearOutput,
    DeduplicateIds,
    OverwriteKernelspec,
    FairOverwriteCells,
    CheckCellMetadata,
]
c.FairOverwriteCells.add_missing_cells = True
# Grading: only errors decide a test cell (stderr and partial-credit numbers do not).
c.Autograde.autograde_preprocessors = [
    JudgedExecute,
    SafeOutputs,
    FairGradeOutputs,
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]
# Feedback shows the student's own code, the visible tests and short failure messages,
# never the hidden test code.
c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]

# Exported CSV: one row per (assignment, student).
c.ExportApp.plugin_class = "nbgrader.plugins.export.CsvExportPlugin"
