"""Where the course's gradebook lives, and the few things the driver does to it directly.

nbgrader keeps its gradebook in any database SQLAlchemy reaches. This course supports two:

* **SQLite** (the default, one instructor): the file ``gradebook.db`` in the course root;
* **PostgreSQL** (several graders on a hub): ``GRADEBOOK_URL=postgresql://...`` in the
  environment, read by ``nbgrader_config.py`` through :func:`course_url`, so that every
  nbgrader command and every make target of the course uses the same server.

Everything else of the grading tools goes through this module rather than assuming a file:
whether an assignment is known (:func:`has_assignment`), its due date (:func:`duedate`),
the integrity check (:func:`healthy`), and copies. A copy is always an SQLite file:
:func:`copy_to_file` writes the backups taken before and after each assignment and the
private snapshot each grading worker executes against; :func:`restore_from_file` puts a
backup back. The copy is made table by table from nbgrader's own schema, so it is the same
for both databases (nbgrader's ids are strings, there are no sequences to carry over).

SQLAlchemy and nbgrader are imported inside the functions: importing this module is cheap
(``nbgrader_config.py`` does it for every nbgrader command).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

__all__ = [
    "ENV",
    "copy_to_file",
    "course_url",
    "describe",
    "duedate",
    "has_assignment",
    "healthy",
    "restore_from_file",
    "sqlite_file",
]

ENV = "GRADEBOOK_URL"
_SCHEMES = ("sqlite", "postgresql")


def course_url(root: Path | str, environ: dict | None = None) -> str:
    """The gradebook of the course in ``root``: ``$GRADEBOOK_URL``, else ``root/gradebook.db``.

    Raises ValueError naming ``GRADEBOOK_URL`` when it is set to something other than an
    ``sqlite:///`` or ``postgresql://`` URL (``postgresql+psycopg2://`` is accepted too).
    """
    environ = os.environ if environ is None else environ
    url = environ.get(ENV, "").strip()
    if not url:
        return f"sqlite:///{Path(root).resolve() / 'gradebook.db'}"
    scheme = urlsplit(url).scheme.split("+")[0]
    if scheme not in _SCHEMES:
        raise ValueError(
            f"{ENV}={url!r}: expected an sqlite:/// or postgresql:// URL, "
            "e.g. postgresql://grader@db.example.edu/mlcourse"
        )
    return url


def sqlite_file(url: str) -> Path | None:
    """The file of an ``sqlite:///`` URL; None for a server database or ``:memory:``."""
    if not url.startswith("sqlite:///") or url in ("sqlite:///", "sqlite:///:memory:"):
        return None
    return Path(url.removeprefix("sqlite:///").split("?")[0])


def describe(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return parts._replace(netloc=netloc).geturl()


def _engine(url: str):
    from sqlalchemy import create_engine

    return create_engine(url, future=True)


def _exists(url: str) -> bool:
    """An SQLite gradebook exists when its file does (never create one by asking)."""
    path = sqlite_file(url)
    return path is None or path.exists()


def has_assignment(url: str, assignment: str) -> bool:
    """Whether the gradebook knows ``assignment`` with its notebooks (needed to grade it)."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    if not _exists(url):
        return False
    query = text(
        "SELECT 1 FROM assignment a JOIN notebook n ON n.assignment_id = a.id WHERE a.name = :name"
    )
    try:
        with _engine(url).connect() as conn:
            return conn.execute(query, {"name": assignment}).first() is not None
    except SQLAlchemyError:
        return False


def duedate(url: str, assignment: str):
    """The assignment's due date as stored by nbgrader (naive, UTC), or None."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    if not _exists(url):
        return None
    query = text("SELECT duedate FROM assignment WHERE name = :name")
    try:
        with _engine(url).connect() as conn:
            row = conn.execute(query, {"name": assignment}).first()
    except SQLAlchemyError:
        return None
    if row is None or row[0] is None:
        return None
    value = row[0]
    if isinstance(value, str):  # SQLite returns the text it stored
        import datetime as dt

        value = dt.datetime.fromisoformat(value)
    return value


def healthy(url: str) -> bool:
    """The gradebook can be read: SQLite's integrity check, or a query on the server."""
    path = sqlite_file(url)
    if path is not None:
        try:
            with sqlite3.connect(path) as conn:
                return conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        except sqlite3.Error:
            return False
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with _engine(url).connect() as conn:
            conn.execute(text("SELECT count(*) FROM assignment")).first()
            conn.execute(text("SELECT count(*) FROM grade")).first()
    except SQLAlchemyError:
        return False
    return True


def _tables():
    """nbgrader's tables, parents before children."""
    from nbgrader.api import Base

    return Base.metadata.sorted_tables


def _copy_rows(source, target, tables) -> None:
    for table in tables:
        rows = [dict(row) for row in source.execute(table.select()).mappings()]
        if rows:
            target.execute(table.insert(), rows)


def _alembic_version(conn) -> str | None:
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    try:
        row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
    except SQLAlchemyError:
        return None
    return None if row is None else row[0]


def copy_to_file(url: str, path: Path) -> Path:
    """Copy the whole gradebook at ``url`` into a new SQLite file ``path``.

    From an SQLite file this is SQLite's online backup (consistent even while nbgrader
    writes); from a server, nbgrader's schema is created in the file and every table is
    copied in one read transaction. The file is a complete gradebook: nbgrader opens it as
    ``sqlite:///path`` (a grading worker executes against such a copy).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    source_file = sqlite_file(url)
    if source_file is not None:
        if not source_file.exists():
            raise FileNotFoundError(f"no gradebook at {source_file}")
        with sqlite3.connect(source_file) as src, sqlite3.connect(path) as dst:
            src.backup(dst)
        return path
    from nbgrader.api import Base
    from sqlalchemy import text

    target_engine = _engine(f"sqlite:///{path}")
    Base.metadata.create_all(bind=target_engine)
    with _engine(url).connect() as src, target_engine.begin() as dst:
        _copy_rows(src, dst, _tables())
        version = _alembic_version(src)
        dst.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        if version:
            dst.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": version})
    target_engine.dispose()
    return path


def restore_from_file(path: Path, url: str) -> None:
    """Put the backup ``path`` (a file from :func:`copy_to_file`) back as the gradebook.

    SQLite: the file is copied back with SQLite's backup. A server: in one transaction,
    every row of nbgrader's tables is deleted and the backup's rows inserted.
    """
    target_file = sqlite_file(url)
    if target_file is not None:
        with sqlite3.connect(path) as src, sqlite3.connect(target_file) as dst:
            src.backup(dst)
        return
    from nbgrader.api import Base

    tables = _tables()
    source_engine, target_engine = _engine(f"sqlite:///{path}"), _engine(url)
    Base.metadata.create_all(bind=target_engine)  # tables that were dropped come back
    with source_engine.connect() as src, target_engine.begin() as dst:
        for table in reversed(tables):
            dst.execute(table.delete())
        _copy_rows(src, dst, tables)
    source_engine.dispose()
    target_engine.dispose()
