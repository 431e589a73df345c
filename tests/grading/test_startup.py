"""Start-up of the grading processes: what they skip, and that nothing else changes."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.grading


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_grading_processes_skip_the_iri_grammars_and_still_validate_notebooks():
    out = _run(
        "import mlgrade._startup, sys, nbformat\n"
        "nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1')])\n"
        "nbformat.validate(nb)\n"
        "bad = nbformat.from_dict({'nbformat': 4, 'nbformat_minor': 5, 'metadata': {},"
        " 'cells': [{'cell_type': 'code'}]})\n"
        "try:\n    nbformat.validate(bad)\n"
        "except nbformat.ValidationError:\n    print('rejected')\n"
        "print(sys.modules.get('rfc3987_syntax'))"
    )
    assert out.splitlines() == ["rejected", "None"]


def test_the_class_report_imports_the_start_up_before_nbformat():
    out = _run(
        "import sys\nimport mlgrade.classreport\nimport nbformat\n"
        "print(sys.modules.get('rfc3987_syntax', 'missing'))"
    )
    assert out.splitlines()[-1] == "None"


def test_the_worker_entry_point_imports_the_start_up_first():
    out = _run(
        "import sys, runpy\nsys.argv = ['x', '--help']\n"
        "try:\n    runpy.run_module('mlgrade.worker', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print('rfc3987_syntax' in sys.modules and sys.modules['rfc3987_syntax'] is None)"
    )
    assert out.splitlines()[-1] == "True"


def test_a_worker_does_not_wait_for_the_disk_on_its_private_copy(tmp_path):
    out = _run(
        "from mlgrade.worker import _throwaway_sqlite\n"
        "from sqlalchemy import create_engine, text\n"
        "_throwaway_sqlite()\n"
        f"engine = create_engine('sqlite:///{tmp_path / 'private.db'}')\n"
        "with engine.connect() as c:\n"
        "    print(c.execute(text('PRAGMA synchronous')).scalar(),"
        " c.execute(text('PRAGMA journal_mode')).scalar())"
    )
    assert out == "0 memory"


def test_nbgrader_cell_validation_checks_the_schema_once_and_judges_as_jsonschema(monkeypatch):
    """mlgrade.course makes nbgrader's per-cell jsonschema.validate reuse one validator."""
    import jsonschema
    from nbformat import v4

    from mlgrade.course import _check_schemas_once, _SchemaOnce

    _check_schemas_once()
    from nbgrader.nbgraderformat import MetadataValidator, common

    assert isinstance(common.jsonschema, _SchemaOnce)
    checked = []
    original = jsonschema.Draft4Validator.check_schema.__func__
    monkeypatch.setattr(
        jsonschema.Draft4Validator,
        "check_schema",
        classmethod(lambda cls, schema: (checked.append(1), original(cls, schema))[1]),
    )
    common.jsonschema._validators.clear()
    validator = MetadataValidator()
    good = v4.new_code_cell("x = 1")
    good.metadata["nbgrader"] = {
        "grade": True,
        "solution": False,
        "locked": True,
        "points": 2,
        "grade_id": "t1",
        "schema_version": 3,
    }
    for _ in range(5):
        validator.validate_cell(good)
    bad = v4.new_code_cell("x = 1")
    bad.metadata["nbgrader"] = {**good.metadata["nbgrader"], "points": "two"}
    with pytest.raises(jsonschema.ValidationError) as ours:
        validator.validate_cell(bad)
    with pytest.raises(jsonschema.ValidationError) as theirs:
        jsonschema.validate(bad.metadata["nbgrader"], validator.schema)
    assert ours.value.message == theirs.value.message
    assert len(checked) == 2  # once for the cells above, once for jsonschema's own call
