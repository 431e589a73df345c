"""Copy downloaded submissions into ``submitted/<student>/<assignment>/``."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

__all__ = ["collect"]


def collect(root: Path | str, assignment: str, source: Path | str) -> list[str]:
    """Copy submissions into ``submitted/<student>/<assignment>/``.

    ``source`` holds either one notebook per student named ``<student>.ipynb`` (or
    ``<student>_<anything>.ipynb``), or one folder per student containing the notebook(s).
    Returns the student ids.
    """
    root, source = Path(root).resolve(), Path(source)
    released = sorted((root / "exercises" / assignment).glob("*.ipynb"))
    if not released:
        raise FileNotFoundError(f"no released notebook in exercises/{assignment}")
    students = []
    for entry in sorted(source.iterdir()):
        if entry.is_dir():
            student, files = entry.name, sorted(entry.glob("*.ipynb"))
        elif entry.suffix == ".ipynb":
            student, files = entry.stem.split("_")[0], [entry]
        else:
            continue
        student = re.sub(r"[^A-Za-z0-9.@-]", "-", student)
        dest = root / "submitted" / student / assignment
        dest.mkdir(parents=True, exist_ok=True)
        if len(files) == 1 and len(released) == 1:
            shutil.copyfile(files[0], dest / released[0].name)
        else:
            for file in files:
                shutil.copyfile(file, dest / file.name)
        students.append(student)
    return students
