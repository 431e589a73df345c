"""``python -m mlgrade``: the grading cycle's commands (driven by ``grading.mk``).

* ``release [ASSIGNMENT ...]``: ``nbgrader generate_assignment`` for every assignment of
  ``solutions/``, in one process;
* ``collect ASSIGNMENT FOLDER``: copy downloaded notebooks into ``submitted/``;
* ``autograde [--assignment A] [--student S] [--jobs N | --cluster ADDRESS] [--no-sandbox]``:
  grade what is new or changed (or the students named, again) on N cores or on a Dask
  cluster, and write the report;
* ``check SUBMITTED RELEASED``: the tampering check of one notebook.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import _startup  # noqa: F401  (first: see mlgrade/_startup.py)
from .cluster import ClusterUnavailable
from .collect import collect
from .course import release
from .driver import AlreadyRunning, grade_class
from .notebooks import read_notebook
from .sandbox import SandboxUnavailable
from .tamper import check_submission


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mlgrade", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("release", help="generate_assignment for every assignment")
    p.add_argument("--root", default=".")
    p.add_argument("assignments", nargs="*")
    p = sub.add_parser("autograde", help="autograde every submission and write the report")
    p.add_argument("--root", default=".")
    p.add_argument("--assignment", action="append")
    p.add_argument("--student", action="append")
    p.add_argument("--student-timeout", type=float, default=600.0)
    p.add_argument("--report", default=None)
    p.add_argument("--jobs", type=int, default=None, help="submissions at once (default: cores)")
    p.add_argument(
        "--cluster",
        default=None,
        metavar="ADDRESS",
        help="a Dask scheduler (tcp://host:8786) whose workers execute the submissions",
    )
    p.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run student kernels without bubblewrap (the judge stays separate)",
    )
    p = sub.add_parser("collect", help="copy submissions into submitted/")
    p.add_argument("--root", default=".")
    p.add_argument("assignment")
    p.add_argument("source")
    p = sub.add_parser("check", help="tampering check of one submitted notebook")
    p.add_argument("submitted")
    p.add_argument("released")
    return parser


def _check(submitted: str, released: str) -> int:
    sub_nb, why = read_notebook(Path(submitted))
    if sub_nb is None:
        print(f"invalid notebook: {why}")
        return 1
    rel_nb, _ = read_notebook(Path(released))
    tampering, notes = check_submission(sub_nb, rel_nb)
    print("tampering:", "; ".join(tampering) or "none")
    print("notes:", "; ".join(notes) or "none")
    return 1 if tampering else 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "release":
        release(args.root, args.assignments or None)
    elif args.command == "autograde":
        try:
            rows = grade_class(
                args.root,
                args.assignment,
                args.student,
                args.student_timeout,
                args.report,
                sandbox=not args.no_sandbox,
                jobs=args.jobs,
                cluster=args.cluster,
            )
        except (SandboxUnavailable, AlreadyRunning, ClusterUnavailable) as exc:
            print(f"grading stopped: {exc}", file=sys.stderr)
            return 2
        bad = [r for r in rows if r.status != "graded"]
        print(f"{len(rows)} notebook(s), {len(bad)} need attention: see grading_report.md")
    elif args.command == "collect":
        students = collect(args.root, args.assignment, args.source)
        print(f"collected {len(students)} submission(s): {', '.join(students)}")
    elif args.command == "check":
        return _check(args.submitted, args.released)
    return 0


if __name__ == "__main__":
    sys.exit(main())
