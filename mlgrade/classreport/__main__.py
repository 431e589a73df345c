"""``python -m mlgrade.classreport``: write reports/<assignment>.html and its CSV files."""

from __future__ import annotations

import argparse
import sys

from . import write_class_reports


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mlgrade.classreport",
        description="Write reports/<assignment>.html and its CSV files for every graded "
        "assignment (see book/instructor_guide.md, 'The class report').",
    )
    parser.add_argument("--root", default=".", help="the course directory (default: .)")
    parser.add_argument("--assignment", action="append", help="only this one (repeatable)")
    parser.add_argument(
        "--gradebook-url",
        default=None,
        help="SQLAlchemy URL of the gradebook (default: $GRADEBOOK_URL, else "
        "sqlite:///<root>/gradebook.db)",
    )
    parser.add_argument(
        "--lms-ids",
        default=None,
        help="LMS id map CSV for every assignment (default: submitted/<assignment>.lms.csv)",
    )
    args = parser.parse_args(argv)
    try:
        pages = write_class_reports(args.root, args.assignment, args.gradebook_url, args.lms_ids)
    except (FileNotFoundError, ValueError) as exc:
        print(f"class report: {exc}", file=sys.stderr)
        return 2
    for page in pages:
        print(f"wrote {page} and its CSV files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
