"""Execute the book's lessons again when the source of the ``mlcourse`` package changes.

The lessons are executed inline (``_config.yml``), while Sphinx reads their pages, and
Sphinx reads a page again only when its file changed. It cannot see that a lesson imports
``mlcourse``: after a change to ``mlcourse/activations.py`` the pages would keep stale
numbers and figures. This module fixes that in one place, for every way the book is built:

* As a Sphinx extension (``_config.yml`` loads it through ``sphinx: local_extensions``),
  it computes a SHA-256 over ``mlcourse/**/*.py`` (paths and contents) when the
  configuration is read and stores it in the configuration value ``mlcourse_hash``, which
  Sphinx compares with the one of the last build.

  - Unchanged package: same value, nothing is re-read and nothing re-executes (a warm
    rebuild only re-checks timestamps).
  - Changed package: the value changed, so Sphinx re-reads every page and every lesson
    executes again.

* As a script, ``python tools/book_cache.py`` prints the current key.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "mlcourse"
KEY_LENGTH = 16

__all__ = ["package_hash", "setup"]


def package_hash(root: Path = ROOT, package: str = PACKAGE) -> str:
    """SHA-256 (first 16 hex digits) over every ``*.py`` file of the package.

    Relative paths are part of the hash, so renaming or adding a module changes the key;
    byte-identical trees give the same key on every machine. Caches (``__pycache__``)
    are ignored.
    """
    digest = hashlib.sha256()
    package_dir = root / package
    for path in sorted(package_dir.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:KEY_LENGTH]


def _on_config_inited(app, config) -> None:
    root = Path(app.confdir).resolve()
    if (root / PACKAGE).is_dir():
        config.mlcourse_hash = package_hash(root)


def setup(app) -> dict:
    """Sphinx entry point."""
    # "env": a different value makes Sphinx read (and so execute) every page again.
    app.add_config_value("mlcourse_hash", "", "env")
    app.connect("config-inited", _on_config_inited)
    return {"version": "2.0", "parallel_read_safe": True, "parallel_write_safe": True}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root")
    args = parser.parse_args(argv)
    print(f"mlcourse hash {package_hash(args.root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
