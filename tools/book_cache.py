"""Key the book's jupyter-cache by the source of the ``mlcourse`` package.

jupyter-cache decides whether a notebook must run again by hashing the notebook's own
code cells. It cannot see that a lesson imports ``mlcourse``: after a change to
``mlcourse/activations.py`` the cached outputs would be stale, and the book would show
numbers and figures that the package no longer produces.

This module fixes that in one place, for every way the book is built:

* As a Sphinx extension (``_config.yml`` loads it through ``sphinx: local_extensions``),
  it computes a SHA-256 over ``mlcourse/**/*.py`` (paths and contents) when the
  configuration is read, and points ``nb_execution_cache_path`` at
  ``_build/.jupyter_cache/<hash>``.

  - Unchanged package: same folder, same Sphinx configuration, nothing is re-read and
    nothing re-executes (a warm rebuild only re-checks timestamps).
  - Changed package: a new, empty folder. The configuration value changed, so Sphinx
    re-reads every page, and every lesson executes again into the new cache. Cache
    folders of older hashes are deleted.

* As a script, ``python tools/book_cache.py`` prints the current key and the cache folder;
  ``--prune`` deletes the stale folders; ``--clear`` deletes the whole cache.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "mlcourse"
CACHE_PARENT = Path("_build") / ".jupyter_cache"
KEY_LENGTH = 16

__all__ = ["cache_folder", "package_hash", "prune", "setup"]


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


def cache_folder(root: Path = ROOT, key: str | None = None) -> Path:
    """The jupyter-cache folder for the given key (default: the current package hash)."""
    return root / CACHE_PARENT / (key or package_hash(root))


def prune(cache_parent: Path, keep: str | None = None) -> list[Path]:
    """Delete every keyed folder in ``cache_parent`` except ``keep``; return them."""
    removed = []
    if cache_parent.is_dir():
        for child in sorted(cache_parent.iterdir()):
            if child.is_dir() and child.name != keep and len(child.name) == KEY_LENGTH:
                shutil.rmtree(child, ignore_errors=True)
                removed.append(child)
    return removed


def _on_config_inited(app, config) -> None:
    root = Path(app.confdir).resolve()
    if not (root / PACKAGE).is_dir():
        return
    key = package_hash(root)
    cache_parent = Path(app.outdir).resolve().parent / ".jupyter_cache"
    config.nb_execution_cache_path = str(cache_parent / key)
    prune(cache_parent, keep=key)


def setup(app) -> dict:
    """Sphinx entry point."""
    # Run after myst_nb registered ``nb_execution_cache_path``; priority > 500 = late.
    app.connect("config-inited", _on_config_inited, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--prune", action="store_true", help="delete stale cache folders")
    group.add_argument("--clear", action="store_true", help="delete the whole cache")
    args = parser.parse_args(argv)
    key = package_hash(args.root)
    if args.clear:
        shutil.rmtree(args.root / CACHE_PARENT, ignore_errors=True)
        print(f"cleared {args.root / CACHE_PARENT}")
    elif args.prune:
        for folder in prune(args.root / CACHE_PARENT, keep=key):
            print(f"removed {folder}")
    print(f"mlcourse hash {key}; cache folder {cache_folder(args.root, key)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
