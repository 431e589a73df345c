# nbgrader configuration of the course "From Logistic Regression to MLPs".
#
# The course root is the folder of this file (the repository root): solutions/ holds the
# source notebooks (with solutions and hidden tests), exercises/ the released student
# versions (committed), submitted/, autograded/, feedback/ and gradebook.db the grading
# working folders (never committed). Run nbgrader from this folder, or use the make targets
# of grading.mk. The preprocessors from mlgrade.preprocessors fix three unfair behaviours of
# stock nbgrader; see that module's docstring.
from pathlib import Path

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    Execute,
    GetGrades,
    IgnorePattern,
    LimitOutput,
    OverwriteKernelspec,
    SaveAutoGrades,
)

from mlgrade.preprocessors import FairGradeOutputs, FairOverwriteCells, HideHiddenTests

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file

c.CourseDirectory.root = str(Path(__file__).resolve().parent)
c.CourseDirectory.course_id = "mlcourse"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]

# generate_assignment creates the assignment in the gradebook when it is missing.
c.GenerateAssignment.create_assignment = True

# Every notebook of the course runs in seconds: a cell that takes a minute is a loop that
# will not end. The kernel is interrupted and the cell scores 0 (a CellTimeoutError).
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True
c.Execute.startup_timeout = 60
c.Validator.validate_all = False

# Sanitizing: restore locked cells silently when they are what was released, report real
# edits as TAMPERING; put deleted test cells back so they run (and score) anyway.
c.OverwriteCells.add_missing_cells = True
c.Autograde.sanitize_preprocessors = [
    ClearOutput,
    DeduplicateIds,
    OverwriteKernelspec,
    FairOverwriteCells,
    CheckCellMetadata,
]
c.FairOverwriteCells.add_missing_cells = True
# Grading: only errors decide a test cell (stderr and partial-credit numbers do not).
c.Autograde.autograde_preprocessors = [
    Execute,
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
