"""Every gradebook column of a submission that autograde or a grader writes, as plain
tuples, so that two gradebooks can be compared with ``==`` (row ids left out)."""

from __future__ import annotations


def columns_of(submission) -> dict:
    """``{"timestamp", "extension", "notebooks": {name: (late penalty, flagged,
    {grade: (auto, manual, extra credit, needs manual)}, {comment: (auto, manual)})}}``
    for an nbgrader ``SubmittedAssignment``."""
    return {
        "timestamp": submission.timestamp,
        "extension": submission.extension,
        "notebooks": {
            nb.name: (
                nb.late_submission_penalty,
                nb.flagged,
                {
                    g.name: (g.auto_score, g.manual_score, g.extra_credit, g.needs_manual_grade)
                    for g in nb.grades
                },
                {c.name: (c.auto_comment, c.manual_comment) for c in nb.comments},
            )
            for nb in submission.notebooks
        },
    }
