"""mlgrade: the grading tools of the course "From Logistic Regression to MLPs".

``mlcourse`` is the course's math, imported by lessons and students; ``mlgrade`` grades
the exercises built on it, and imports ``mlcourse`` where it needs to (never the other way
round). Its modules, one job each:

* :mod:`mlgrade.checks`: the helpers every exercise test cell calls (conversion of an
  answer to plain numbers, tolerant comparison, seeded inputs, "written from scratch");
* :mod:`mlgrade.preprocessors`: the nbgrader preprocessors wired in by
  ``nbgrader_config.py`` (fair scoring of test cells, feedback without hidden tests);
* :mod:`mlgrade.notebooks`: reading a submitted notebook and its nbgrader metadata;
* :mod:`mlgrade.tamper`: comparing a submission with the released notebook;
* :mod:`mlgrade.course`: the nbgrader course directory (API, release, scores);
* :mod:`mlgrade.gradebook`: where the gradebook lives (``gradebook.db`` or PostgreSQL via
  ``GRADEBOOK_URL``), its integrity check, backups and the workers' snapshots;
* :mod:`mlgrade.collect`: LMS downloads (Canvas, Moodle, Blackboard) into ``submitted/``;
* :mod:`mlgrade.sandbox`: the bubblewrap sandbox of every student kernel;
* :mod:`mlgrade.execute`: running a submission with the sandboxed student kernel and the
  judge (:mod:`mlgrade.judge`, :mod:`mlgrade.agent`, :mod:`mlgrade.wire`); rules on how
  code is written read from the source (:mod:`mlgrade.scratch`);
* :mod:`mlgrade.worker`: executing a list of students in a watched worker process;
* :mod:`mlgrade.cluster`: the same jobs on a Dask cluster (``make autograde CLUSTER=...``);
* :mod:`mlgrade.report`: the rows of the grading report and how they are written;
* :mod:`mlgrade.classreport`: the class report (score distribution, test cells, LMS files);
* :mod:`mlgrade.driver`: grading a whole class on every core, resumably
  (``python -m mlgrade autograde``), with :mod:`mlgrade.progress`;
* :mod:`mlgrade.formgrade`: nbgrader's formgrader offline with the rubrics (``make
  formgrade``), and :mod:`mlgrade.manual` for the submissions that could not be autograded.

Importing ``mlgrade`` or ``mlgrade.checks`` does not import nbgrader: a student's
JupyterLab runs the test cells with ``mlgrade.checks`` alone.
"""

__version__ = "0.1.0"
