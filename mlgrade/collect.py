"""Collect LMS downloads into ``submitted/<student>/<assignment>/``, one stable id per person.

``make collect ASSIGNMENT=a1_information FROM=downloads/a1_information [LMS=auto]`` reads a
folder (or a ``.zip``) downloaded from Canvas, Moodle or Blackboard, or a plain folder of
``<student>.ipynb`` files or ``<student>/`` folders, and writes, for every student::

    submitted/<student>/<assignment>/<released notebook>.ipynb
    submitted/<student>/<assignment>/timestamp.txt      (when the time or a late mark is known)
    submitted/<assignment>.lms.csv                      (the LMS id map, one row per student)

Nothing is written until the whole download has been read and checked: unknown file names,
hostile zip members, symlinks, two people who would share an id, one person with two files
for one notebook, a late mark without a due date, a Blackboard time zone that does not match
``timezone``: every problem found is listed in one :class:`CollectError`, and ``submitted/``
is left as it was.

Student ids
-----------
The id is the student's name (plain layout), name and user id (Canvas), full name (Moodle)
or user name (Blackboard), NFC-normalised and then made a safe folder name by
:func:`student_id`: Unicode letters and digits are kept (``Zoë``, ``Zoé``, ``王伟`` stay
distinct and readable), ``-`` is kept except as the first character, and every other
character, ``_`` included, becomes ``_XX`` per UTF-8 byte (upper-case hex). So ``O'Brien Zoë``
is ``O_27Brien_20Zoë``, ``--`` is ``_2D-`` and ``../x`` is ``_2E_2E_2Fx``: never empty, never
``.`` or ``..``, never a leading ``-`` (safe as a command-line argument), no path separator,
quote, space, shell or regular-expression character, at most 128 characters (nbgrader's
column width). :func:`student_name` inverts it. Ids that differ only in case (``zoë`` and
``Zoë``) count as a collision, since they would share a folder on macOS and Windows.

LMS formats (what each download looks like, and the public source it was checked against)
-----------------------------------------------------------------------------------------
* **Canvas** ("Download Submissions" zip, flat): ``<name>[_LATE]_<user id>_<file id>_<file>``,
  e.g. ``smithjohn_LATE_12345_67890_a1.ipynb``; ``<name>`` is the sortable name lower-cased
  with every non-word character removed, and anonymous grading gives
  ``[LATE_]anon_<anonymous id>_<file id>_<file>``. Source: canvas-lms ``lib/content_zipper.rb``
  (``get_filename``, ``add_upload_submission``, ``sanitize_user_name``). The Canvas user id is
  stable in a course, so the student id is ``<name>-<user id>``. The download has no time of
  submission, only the ``LATE`` mark: a late file is stamped one second after the due date
  (from ``due`` or the gradebook), a lower bound on its lateness; nbgrader's late penalty
  then applies.
* **Moodle** ("Download all submissions"): one folder per student,
  ``<full name>_<participant id>_assignsubmission_file_/<file>`` (Moodle >= 3.1, the
  default), or flat ``<full name>_<participant id>_assignsubmission_file_<file>``. Source:
  Moodle ``mod/assign/locallib.php`` (``download_submissions``: the prefix is
  ``clean_filename(fullname with "_" replaced by " " . "_" . get_uniqueid_for_user())``).
  The participant id comes from ``assign_user_mapping`` and is per assignment, so the
  student id is the full name, and ``<full name>-<participant id>`` for every student whose
  full name appears more than once in the download (two John Smiths never merge). The
  participant id is what Moodle's grading-worksheet import expects; it is in the id map.
  The download has no submission times.
* **Blackboard** (Grade Centre, "Assignment File Download"):
  ``<assignment>_<user name>_attempt_<YYYY-MM-DD-HH-MM-SS>_<file>`` plus a receipt
  ``<assignment>_<user name>_attempt_<YYYY-MM-DD-HH-MM-SS>.txt`` with ``Name: <full name>
  (<user name>)``, ``Date Submitted: Tuesday, February 20, 2024 12:35:07 AM CST`` and
  ``Original filename:`` / ``Filename:`` lines. Sources: nbgrader's ``FileNameCollectorPlugin``
  documentation (its example ``ps1_bitdiddle_attempt_2016-01-30-15-00-00_problem1.ipynb``),
  CodeGra.de ``psef/blackboard.py`` (``parse_info_file``: the receipt's layout). The time in
  the name is the server's local time: it is read in ``timezone`` (an IANA name), and the
  receipt's zone abbreviation must agree with it. The user name (from the receipt when there
  is one) is the student id; of several attempts of one student the latest is collected.
* **Plain**: ``<student>.ipynb`` or ``<student>_<anything>.ipynb`` (the part before the first
  ``_`` is the student) and ``<student>/`` folders (their notebooks, and an nbgrader
  ``timestamp.txt`` if present).

``nbgrader zip_collect`` does the same job with one regular expression
(``FileNameCollectorPlugin.named_regexp``) and writes ``timestamp.txt`` the same way; this
module adds the checks above, which zip_collect does not make.

The id map ``submitted/<assignment>.lms.csv``
---------------------------------------------
UTF-8 CSV with a header: ``student_id`` (the folder name), ``lms`` (``canvas``, ``moodle``,
``blackboard`` or ``plain``), ``lms_user_id`` (Canvas user id, ``anon_<id>`` when
anonymous, Moodle participant id, Blackboard user name, empty for plain), ``display_name``,
``late`` (``yes`` when the LMS marked the file late), ``submitted_at`` (UTC, as written to
``timestamp.txt``, or empty) and ``source`` (the file's path in the download). A
re-collect replaces the rows of the students it collects and keeps the others. Cells that a
spreadsheet would run as a formula get a leading ``'``.

Writing
-------
Every destination is built from the id, the assignment name and a released notebook name,
resolved, and checked to be inside ``submitted/``; an existing symlink on the way is an
error. Files are written through a temporary file and ``os.replace``; a file whose content
is unchanged is not rewritten, and files left from an earlier collect of the same student
and assignment are removed, so collecting twice gives the same tree.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import io
import os
import re
import stat
import sys
import tempfile
import unicodedata
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .gradebook import course_url, duedate

__all__ = [
    "CollectError",
    "collect",
    "lms_map_path",
    "read_lms_map",
    "student_id",
    "student_name",
]

LMS_CHOICES = ("auto", "canvas", "moodle", "blackboard", "plain")
MAX_ID_LENGTH = 128  # nbgrader's student id column is String(128)
MAX_FILE_BYTES = 100 * 2**20  # a notebook larger than this is not a submission
MAP_FIELDS = ("student_id", "lms", "lms_user_id", "display_name", "late", "submitted_at", "source")
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"  # nbgrader's Exchange.timestamp_format, in UTC
_ASSIGNMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_APPLEDOUBLE = b"\x00\x05\x16\x07"  # macOS resource-fork files (._name) are not notebooks

_CANVAS = re.compile(r"(?P<name>.*?)_(?P<late>LATE_)?(?P<uid>\d+)_(?P<fid>\d+)_(?P<file>.+)")
_CANVAS_ANON = re.compile(r"(?P<late>LATE_)?anon_(?P<uid>[A-Za-z0-9]+)_(?P<fid>\d+)_(?P<file>.+)")
_MOODLE_DIR = re.compile(r"(?P<name>.+)_(?P<uid>\d+)_assignsubmission_file_")
_MOODLE_FLAT = re.compile(r"(?P<name>.+)_(?P<uid>\d+)_assignsubmission_file_(?P<file>.+)")
_BB = re.compile(
    r"(?P<stem>(?P<head>.+)_attempt_(?P<when>\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d))"
    r"(?:_(?P<file>.+)|\.txt)"
)
_BB_NAME = re.compile(r"^Name: (?P<name>.*) \((?P<user>[^()\n]+)\)\s*$", re.M)
_BB_DATE = re.compile(r"^Date Submitted: (?P<when>.+?)\s*$", re.M)
_BB_FILES = re.compile(
    r"^\s*Original filename: (?P<orig>.+?)\s*\n\s*Filename: (?P<name>.+?)\s*$", re.M
)


class CollectError(ValueError):
    """Collection stopped before writing anything; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(
            f"collection stopped, nothing was written ({len(problems)} problem(s)):\n{lines}"
        )


# --------------------------------------------------------------------------- ids


def student_id(name: str) -> str:
    """The safe, reversible folder name of a student name (see the module docstring).

    Letters, digits and combining marks (after NFC) are kept, ``-`` too unless it comes
    first; every other character becomes ``_XX`` for each byte of its UTF-8 encoding.
    """
    name = unicodedata.normalize("NFC", name)
    if not name:
        raise ValueError("student name: expected a non-empty string")
    out = []
    for i, ch in enumerate(name):
        kind = unicodedata.category(ch)
        if kind[0] in "LN" or (i > 0 and (kind[0] == "M" or ch == "-")):
            out.append(ch)
        else:
            raw = ch.encode(
                "utf-8", "surrogateescape" if "\udc80" <= ch <= "\udcff" else "surrogatepass"
            )
            out.append("".join(f"_{b:02X}" for b in raw))
    return "".join(out)


def student_name(sid: str) -> str:
    """The name a :func:`student_id` was made from (its exact inverse)."""
    raw, i = bytearray(), 0
    while i < len(sid):
        if sid[i] == "_":
            digits = sid[i + 1 : i + 3]
            if not re.fullmatch(r"[0-9A-F]{2}", digits):
                raise ValueError(f"student id {sid!r}: '_' must be followed by two hex digits")
            raw.append(int(digits, 16))
            i += 3
        else:
            raw += sid[i].encode("utf-8")
            i += 1
    return raw.decode("utf-8", "surrogateescape")


# --------------------------------------------------------------------------- reading


@dataclass
class Entry:
    """One file of the download: its path there (POSIX, NFC) and its bytes."""

    path: str
    origin: str
    read: Callable[[], bytes]


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _zip_name(info: zipfile.ZipInfo) -> str:
    """A member's name; names stored as UTF-8 without the UTF-8 flag are repaired."""
    name = info.filename
    if not info.flag_bits & 0x800:
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            name = name.encode("cp437").decode("utf-8")
    return _nfc(name)


def _unsafe_member(name: str, info: zipfile.ZipInfo) -> str | None:
    """Why a zip member must not be used (zip-slip, links, devices), or None."""
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", name):
        return "an absolute path"
    if any(p in ("..", ".") for p in parts):
        return "a '..' or '.' component"
    if "\x00" in name:
        return "a NUL character"
    kind = stat.S_IFMT(info.external_attr >> 16)  # 0 when the zip records no Unix mode
    if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
        return "a symlink or special file"
    return None


def _read_zip(path: Path, label: str, problems: list[str]) -> list[Entry]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        problems.append(f"{label}: not a readable zip file ({exc})")
        return []
    entries = []
    for info in archive.infolist():
        name = _zip_name(info)
        why = _unsafe_member(name, info)
        if why:
            problems.append(f"{label}: member {name!r} has {why}: refused (zip-slip)")
            continue
        if info.is_dir():
            continue
        if info.file_size > MAX_FILE_BYTES:
            problems.append(f"{label}: member {name!r} is larger than {MAX_FILE_BYTES} bytes")
            continue
        path = name.replace("\\", "/")  # a backslash in a zip name is a Windows separator
        entries.append(Entry(path, f"{label}:{name}", lambda info=info: archive.read(info)))
    return entries


def _lms_name(path: str) -> bool:
    """Whether a path is named the way an LMS names one student's file."""
    parts = PurePosixPath(path).parts
    patterns = (_CANVAS, _CANVAS_ANON, _MOODLE_FLAT, _BB)
    return any(p.fullmatch(parts[-1]) for p in patterns) or any(
        _MOODLE_DIR.fullmatch(part) for part in parts[:-1]
    )


def _top_zip(path: Path, label: str, problems: list[str]) -> list[Entry]:
    """A zip at the top of the download folder: an LMS download, or one student's own zip
    from an extracted download (named like a student's file, holding no LMS names), which
    is left alone like any file that is not a notebook."""
    found: list[str] = []
    entries = _read_zip(path, label, found)
    if _lms_name(PurePosixPath(label).name) and not any(_lms_name(e.path) for e in entries):
        return [Entry(label, label, path.read_bytes)]
    problems += found
    return entries


def read_download(source: Path, problems: list[str]) -> list[Entry]:
    """Every file of a download folder or zip (zips at its top level are opened).

    Symlinks are refused: following one could copy any file of the instructor's into a
    submission. Zip members are read into memory, never extracted by their own names.
    """
    if source.is_file():
        return _read_zip(source, source.name, problems)
    if not source.is_dir():
        problems.append(f"FROM: {source} is neither a folder nor a zip file")
        return []
    entries = []
    for folder, dirs, files in os.walk(source):
        here = Path(folder)
        for name in list(dirs):
            if (here / name).is_symlink():
                problems.append(f"{(here / name).relative_to(source)}: a symlink, refused")
                dirs.remove(name)
        for name in files:
            path = here / name
            rel = _nfc(path.relative_to(source).as_posix())
            if path.is_symlink():
                problems.append(f"{rel}: a symlink, refused")
            elif not path.is_file():
                problems.append(f"{rel}: not a regular file, refused")
            elif here == source and name.lower().endswith(".zip"):
                entries += _top_zip(path, rel, problems)
            elif path.stat().st_size > MAX_FILE_BYTES:
                problems.append(f"{rel}: larger than {MAX_FILE_BYTES} bytes")
            else:
                entries.append(Entry(rel, rel, path.read_bytes))
    return entries


def _junk(parts: tuple[str, ...]) -> bool:
    return any(p in ("__MACOSX", ".ipynb_checkpoints", ".git") for p in parts[:-1])


# --------------------------------------------------------------------------- parsing


@dataclass
class Submission:
    """One notebook of one student, as the LMS describes it."""

    entry: Entry
    lms: str
    lms_user_id: str
    name: str  # what the student id is made from
    display_name: str
    file: str  # the file's own name (matched against the released notebooks)
    late: bool = False
    when: dt.datetime | None = None  # aware, UTC
    attempt: dt.datetime | None = None  # Blackboard attempt time (the latest one wins)
    sid: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def person(self) -> tuple[str, str]:
        return (self.lms, self.lms_user_id or self.name)

    def describe(self) -> str:
        who = f"{self.lms} user {self.lms_user_id}" if self.lms_user_id else self.lms
        return f"{self.entry.origin} ({who}, {self.display_name!r})"


def _canvas(entry: Entry) -> Submission | None:
    base = PurePosixPath(entry.path).name
    match = _CANVAS_ANON.fullmatch(base)
    if match:
        uid = "anon_" + match["uid"]
        name = display = uid
    else:
        match = _CANVAS.fullmatch(base)
        if not match:
            return None
        uid, display = match["uid"], match["name"]
        name = f"{match['name']}-{uid}" if match["name"] else uid
    return Submission(entry, "canvas", uid, name, display, match["file"], late=bool(match["late"]))


def _moodle(entry: Entry) -> Submission | None:
    parts = PurePosixPath(entry.path).parts
    for part in parts[:-1]:
        match = _MOODLE_DIR.fullmatch(part)
        if match:
            return Submission(
                entry, "moodle", match["uid"], match["name"], match["name"], parts[-1]
            )
    match = _MOODLE_FLAT.fullmatch(parts[-1])
    if match:
        return Submission(
            entry, "moodle", match["uid"], match["name"], match["name"], match["file"]
        )
    return None


@dataclass
class _Receipt:
    user: str
    name: str
    date: str | None
    originals: dict[str, str]


def _receipt(data: bytes) -> _Receipt | None:
    text = data.decode("utf-8-sig", "replace").replace("\r\n", "\n")
    who = _BB_NAME.search(text)
    if not who:
        return None
    date = _BB_DATE.search(text)
    files = {_nfc(m["name"]): _nfc(m["orig"]) for m in _BB_FILES.finditer(text)}
    return _Receipt(who["user"].strip(), who["name"].strip(), date and date["when"], files)


def _receipt_time(text: str) -> tuple[dt.datetime | None, str | None]:
    """The local time and the zone (abbreviation or offset) of a receipt's date."""
    from dateutil import parser

    words = text.replace(" o'clock", "").split()
    zone = words[-1] if words and re.fullmatch(r"[A-Z]{2,5}|[+-]\d{4}", words[-1]) else None
    try:
        return parser.parse(" ".join(words[:-1] if zone else words)), zone
    except (ValueError, OverflowError):
        return None, zone


def _bb_time(
    stamp: str, receipt: _Receipt | None, zone: ZoneInfo, origin: str, problems: list[str]
) -> dt.datetime:
    """The attempt's time in UTC: the file name's local time in ``zone``, checked against
    the receipt's ``Date Submitted`` (same local time, same zone) when it can be read."""
    local = dt.datetime.strptime(stamp, "%Y-%m-%d-%H-%M-%S").replace(tzinfo=zone)
    said, abbr = _receipt_time(receipt.date) if receipt and receipt.date else (None, None)
    if said is not None and said != local.replace(tzinfo=None):
        problems.append(f"{origin}: the receipt says {receipt.date!r}, the file name {stamp}")
    elif abbr is not None:
        if abbr[0] in "+-":
            hours, minutes = int(abbr[1:3]), int(abbr[3:])
            sign = 1 if abbr[0] == "+" else -1
            same = local.utcoffset() == sign * dt.timedelta(hours=hours, minutes=minutes)
        else:
            utc_like = abbr in ("UTC", "GMT") and local.utcoffset() == dt.timedelta(0)
            same = utc_like or abbr == local.tzname()
        if not same:
            problems.append(
                f"{origin}: Blackboard gives the time in {abbr}, but the time zone "
                f"{zone.key} gives {local.tzname()}: set LMS_TIMEZONE (--timezone) to the "
                "Blackboard server's zone, e.g. America/Chicago"
            )
    return local.astimezone(dt.UTC)


def _blackboard(
    entries: list[Entry], zone: ZoneInfo, problems: list[str]
) -> tuple[list[Submission], set[int]]:
    """Blackboard notebooks (with their receipts) and the indices of the entries used."""
    receipts, used = {}, set()
    for i, entry in enumerate(entries):
        base = PurePosixPath(entry.path).name
        match = _BB.fullmatch(base)
        if match and match["file"] is None:
            receipts[(str(PurePosixPath(entry.path).parent), match["stem"])] = _receipt(
                entry.read()
            )
            used.add(i)
    subs = []
    for i, entry in enumerate(entries):
        path = PurePosixPath(entry.path)
        match = _BB.fullmatch(path.name)
        if not match or match["file"] is None or not path.name.lower().endswith(".ipynb"):
            continue
        used.add(i)
        receipt = receipts.get((str(path.parent), match["stem"]))
        if receipt and match["head"].endswith("_" + receipt.user):
            user, display = receipt.user, receipt.name
        else:
            user = match["head"].rsplit("_", 1)[-1]
            display = user
        original = receipt.originals.get(path.name, match["file"]) if receipt else match["file"]
        when = _bb_time(match["when"], receipt, zone, entry.origin, problems)
        sub = Submission(
            entry, "blackboard", user, user, display, original, when=when, attempt=when
        )
        subs.append(sub)
    return subs, used


def _plain(entry: Entry) -> Submission | None:
    parts = PurePosixPath(entry.path).parts
    name = PurePosixPath(parts[0]).stem.split("_")[0] if len(parts) == 1 else parts[0]
    if not name:
        return None
    return Submission(entry, "plain", "", name, name, parts[-1])


def parse_entries(
    entries: list[Entry], lms: str, zone: ZoneInfo, problems: list[str]
) -> tuple[list[Submission], list[Entry]]:
    """The notebooks of the download as submissions, and the entries ignored."""
    candidates, ignored = [], []
    for entry in entries:
        parts = PurePosixPath(entry.path).parts
        notebook = parts[-1].lower().endswith(".ipynb")
        receipt = parts[-1].lower().endswith(".txt") and _BB.fullmatch(parts[-1])
        if (
            _junk(parts)
            or not (notebook or receipt)
            or (notebook and entry.read()[:4] == _APPLEDOUBLE)
        ):
            ignored.append(entry)
        else:
            candidates.append(entry)
    subs: list[Submission] = []
    used: set[int] = set()
    if lms in ("auto", "blackboard"):
        subs, used = _blackboard(candidates, zone, problems)
    rest = [e for i, e in enumerate(candidates) if i not in used]
    rest = [e for e in rest if e.path.lower().endswith(".ipynb")]
    parsers = {"canvas": [_canvas], "moodle": [_moodle], "blackboard": [], "plain": [_plain]}
    order = parsers.get(lms, [_moodle, _canvas])
    unknown = []
    for entry in rest:
        sub = next((s for p in order if (s := p(entry)) is not None), None)
        if sub:
            subs.append(sub)
        else:
            unknown.append(entry)
    if lms == "auto" and unknown:
        if subs:
            found = sorted({s.lms for s in subs})
            for entry in unknown:
                problems.append(
                    f"{entry.origin}: not a {'/'.join(found)} file name, and the rest of the "
                    "download is (rename it, or pass LMS=plain)"
                )
            unknown = []
        else:
            for entry in unknown:
                sub = _plain(entry)
                if sub:
                    subs.append(sub)
                else:
                    problems.append(f"{entry.origin}: no student id can be made from this name")
            unknown = []
    for entry in unknown:
        problems.append(f"{entry.origin}: not a {lms} file name")
    return subs, ignored


# --------------------------------------------------------------------------- planning


def _name_ids(subs: list[Submission], problems: list[str]) -> None:
    """Set every submission's student id; Moodle names shared by several participants get
    the participant id appended, so that two people never share an id."""
    moodle = defaultdict(set)
    for sub in subs:
        if sub.lms == "moodle":
            moodle[_nfc(sub.name)].add(sub.lms_user_id)
    for sub in subs:
        name = sub.name
        if sub.lms == "moodle" and len(moodle[_nfc(name)]) > 1:
            name = f"{name}-{sub.lms_user_id}"
            sub.notes.append("name shared with another Moodle participant: id includes it")
        sub.sid = student_id(name)
        if len(sub.sid) > MAX_ID_LENGTH:
            problems.append(f"{sub.describe()}: id {sub.sid!r} is longer than {MAX_ID_LENGTH}")


def _notebook_for(sub: Submission, released: list[str], problems: list[str]) -> str | None:
    """The released notebook a submitted file stands for."""
    if len(released) == 1:
        return released[0]
    name = _nfc(PurePosixPath(sub.file).name)
    for candidate in (name, re.sub(r"-\d+(\.ipynb)$", r"\1", name)):
        if candidate in released:
            return candidate
    problems.append(f"{sub.describe()}: {name!r} is none of the released {', '.join(released)}")
    return None


def _find_collisions(chosen: dict, subs: list[Submission]) -> list[str]:
    """Two people on one id (case-insensitively), or one person under two ids."""
    problems = []
    by_id = defaultdict(list)
    for sub in subs:
        by_id[sub.sid.casefold()].append(sub)
    for group in by_id.values():
        people = {s.person for s in group}
        if len(people) > 1:
            shown = "; ".join(s.describe() for s in group)
            problems.append(
                f"collision: {len(people)} people would share the id {group[0].sid!r}: {shown}"
            )
    by_person = defaultdict(set)
    for sub in subs:
        by_person[sub.person].add(sub.sid)
    for person, sids in by_person.items():
        if len(sids) > 1:
            problems.append(f"collision: {person[0]} user {person[1]} appears as {sorted(sids)}")
    for (sid, notebook), group in chosen.items():
        if len(group) > 1:
            shown = "; ".join(s.describe() for s in group)
            problems.append(f"collision: {sid!r} has {len(group)} files for {notebook}: {shown}")
    return problems


def _latest_attempts(groups: dict) -> dict:
    """Of several Blackboard attempts at one notebook, keep the latest (distinct times)."""
    out = {}
    for key, group in groups.items():
        times = [s.attempt for s in group]
        if len(group) > 1 and all(times) and len(set(times)) == len(times):
            latest = max(group, key=lambda s: s.attempt)
            latest.notes.append(f"latest of {len(group)} attempts")
            group = [latest]
        out[key] = group
    return out


def gradebook_duedate(root: Path, assignment: str) -> dt.datetime | None:
    """The assignment's due date in the course's gradebook, in UTC, or None.

    The gradebook is ``$GRADEBOOK_URL`` or ``root/gradebook.db`` (:mod:`mlgrade.gradebook`);
    it is only read.
    """
    value = duedate(course_url(root), assignment)
    return None if value is None else value.replace(tzinfo=dt.UTC)


def _parse_due(due: str | dt.datetime | None) -> dt.datetime | None:
    """A due date as nbgrader reads one (``parse_utc``: no zone means UTC), aware UTC."""
    if due is None or isinstance(due, dt.datetime):
        if due is not None and due.tzinfo is None:
            due = due.replace(tzinfo=dt.UTC)
        return due.astimezone(dt.UTC) if due is not None else None
    from nbgrader.utils import parse_utc

    try:
        return parse_utc(due).replace(tzinfo=dt.UTC)
    except (ValueError, OverflowError) as exc:
        raise ValueError(
            f"due: expected a date such as '2026-11-30 23:59:00 UTC', got {due!r}"
        ) from exc


def _plain_timestamps(subs: list[Submission], entries: list[Entry], problems: list[str]) -> None:
    """A plain ``<student>/timestamp.txt`` (nbgrader's own format) dates that student."""
    from nbgrader.utils import parse_utc

    stamps = {}
    for entry in entries:
        parts = PurePosixPath(entry.path).parts
        if len(parts) == 2 and parts[1] == "timestamp.txt":
            text = entry.read().decode("utf-8", "replace").strip()
            try:
                stamps[parts[0]] = parse_utc(text).replace(tzinfo=dt.UTC)
            except (ValueError, OverflowError):
                problems.append(
                    f"{entry.origin}: not a timestamp nbgrader can read: {text[:60]!r}"
                )
    for sub in subs:
        parts = PurePosixPath(sub.entry.path).parts
        if sub.lms == "plain" and len(parts) > 1 and parts[0] in stamps:
            sub.when = stamps[parts[0]]


@dataclass
class Plan:
    """What collection will write: per student, the notebooks and the timestamp."""

    files: dict[str, dict[str, Submission]]
    stamps: dict[str, dt.datetime]
    rows: dict[str, dict[str, str]]


def _stamp(group: list[Submission], due: dt.datetime | None) -> dt.datetime | None:
    times = [s.when for s in group if s.when]
    if times:
        return max(times)
    if any(s.late for s in group) and due is not None:
        return due + dt.timedelta(seconds=1)
    return None


def _safe_cell(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def plan_collection(
    subs: list[Submission], released: list[str], due: dt.datetime | None, problems: list[str]
) -> Plan:
    """Assign ids, map files to released notebooks, find every collision, date each student."""
    _name_ids(subs, problems)
    chosen = defaultdict(list)
    for sub in subs:
        notebook = _notebook_for(sub, released, problems)
        if notebook:
            chosen[(sub.sid, notebook)].append(sub)
    chosen = _latest_attempts(chosen)
    problems += _find_collisions(chosen, [s for g in chosen.values() for s in g])
    late_undated = sorted(
        {s.describe() for g in chosen.values() for s in g if s.late and not s.when}
    )
    if late_undated and due is None:
        problems.append(
            "these files are marked LATE but the download has no time of submission and no due "
            "date is known: pass DUE='YYYY-MM-DD HH:MM:SS <zone>' (--due) or set the "
            "assignment's due date in the gradebook: " + "; ".join(late_undated)
        )
    plan = Plan(defaultdict(dict), {}, {})
    by_student = defaultdict(list)
    for (sid, notebook), group in chosen.items():
        plan.files[sid][notebook] = group[0]
        by_student[sid].append(group[0])
    for sid, group in by_student.items():
        when = _stamp(group, due)
        if when is not None:
            plan.stamps[sid] = when
        first = group[0]
        plan.rows[sid] = {
            "student_id": sid,
            "lms": first.lms,
            "lms_user_id": _safe_cell(first.lms_user_id),
            "display_name": _safe_cell(first.display_name),
            "late": "yes" if any(s.late for s in group) else "",
            "submitted_at": when.strftime(TIMESTAMP_FORMAT) if when else "",
            "source": _safe_cell("; ".join(sorted(s.entry.origin for s in group))),
        }
    return plan


# --------------------------------------------------------------------------- writing


def _inside(path: Path, top: Path) -> bool:
    real = Path(os.path.realpath(path))
    return real == top or top in real.parents


def _check_destinations(submitted: Path, assignment: str, plan: Plan) -> list[str]:
    """Every folder and file collection will write, checked before anything is written."""
    problems = []
    if submitted.is_symlink() or (submitted.exists() and not submitted.is_dir()):
        return [f"{submitted} is a symlink or not a folder: refused"]
    top = Path(os.path.realpath(submitted))
    targets = [submitted / lms_map_path_name(assignment)]
    for sid, notebooks in plan.files.items():
        folder = submitted / sid / assignment
        for part in (submitted / sid, folder):
            if part.is_symlink():
                problems.append(f"{part} is a symlink: refused")
            elif part.exists() and not part.is_dir():
                problems.append(f"{part} exists and is not a folder: refused")
        targets += [folder / name for name in notebooks] + [folder / "timestamp.txt"]
    for target in targets:
        if target.is_symlink():
            problems.append(f"{target} is a symlink: refused")
        elif not _inside(target, top) or target.name in ("", ".", ".."):
            problems.append(f"{target} resolves outside {submitted}: refused")
    return problems


def _write(path: Path, data: bytes, top: Path) -> None:
    """Write ``data`` to ``path`` atomically unless it already holds exactly that."""
    if not _inside(path.parent, top) or path.is_symlink():
        raise CollectError([f"{path} resolves outside {top}: refused"])
    if path.is_file() and path.read_bytes() == data:
        return
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=".collect-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def lms_map_path_name(assignment: str) -> str:
    return f"{assignment}.lms.csv"


def lms_map_path(root: Path | str, assignment: str) -> Path:
    """Where the LMS id map of ``assignment`` is written."""
    return Path(root) / "submitted" / lms_map_path_name(assignment)


def read_lms_map(root: Path | str, assignment: str) -> list[dict[str, str]]:
    """The rows of ``submitted/<assignment>.lms.csv`` (empty when nothing was collected)."""
    path = lms_map_path(root, assignment)
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _map_bytes(rows: Iterable[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=MAP_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in sorted(rows, key=lambda r: r["student_id"]):
        writer.writerow({k: row.get(k, "") for k in MAP_FIELDS})
    return out.getvalue().encode("utf-8")


def write_plan(root: Path, assignment: str, plan: Plan) -> None:
    submitted = root / "submitted"
    submitted.mkdir(exist_ok=True)
    top = Path(os.path.realpath(submitted))
    for sid, notebooks in sorted(plan.files.items()):
        folder = submitted / sid / assignment
        folder.mkdir(parents=True, exist_ok=True)
        if not _inside(folder, top):
            raise CollectError([f"{folder} resolves outside {submitted}: refused"])
        keep = set(notebooks) | ({"timestamp.txt"} if sid in plan.stamps else set())
        for name, sub in notebooks.items():
            _write(folder / name, sub.entry.read(), top)
        if sid in plan.stamps:
            stamp = plan.stamps[sid].strftime(TIMESTAMP_FORMAT) + "\n"
            _write(folder / "timestamp.txt", stamp.encode(), top)
        for old in folder.iterdir():  # left from an earlier collect of this student
            if old.name not in keep and (old.is_file() or old.is_symlink()):
                old.unlink()
    rows = {r["student_id"]: r for r in read_lms_map(root, assignment)}
    rows.update(plan.rows)
    _write(submitted / lms_map_path_name(assignment), _map_bytes(rows.values()), top)


# --------------------------------------------------------------------------- entry point


def collect(
    root: Path | str,
    assignment: str,
    source: Path | str,
    lms: str = "auto",
    due: str | dt.datetime | None = None,
    timezone: str = "UTC",
    log: Callable[[str], None] | None = None,
) -> list[str]:
    """Collect a download into ``submitted/``; the student ids collected, sorted.

    Parameters
    ----------
    root : path
        The course directory (``exercises/<assignment>/`` must hold the release).
    assignment : str
        The nbgrader assignment name.
    source : path
        The download: a folder, or a ``.zip`` (zips at the top of a folder are read too).
    lms : {"auto", "canvas", "moodle", "blackboard", "plain"}
        The download's format; ``auto`` recognises each from its file names.
    due : str or datetime, optional
        Due date for files marked late without a time (Canvas); default: the gradebook's.
    timezone : str
        IANA zone of LMS times that carry none (Blackboard file names).

    Raises
    ------
    CollectError
        With every problem found; nothing has been written then.
    """
    log = log or (lambda message: None)
    root, source = Path(root).resolve(), Path(source)
    if lms not in LMS_CHOICES:
        raise ValueError(f"lms: expected one of {', '.join(LMS_CHOICES)}, got {lms!r}")
    if not _ASSIGNMENT.fullmatch(assignment or ""):
        raise ValueError(f"assignment: expected a name like a1_information, got {assignment!r}")
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"timezone: expected an IANA zone name such as UTC, got {timezone!r}"
        ) from exc
    released = sorted(p.name for p in (root / "exercises" / assignment).glob("*.ipynb"))
    if not released:
        raise FileNotFoundError(f"assignment: no released notebook in exercises/{assignment}")
    due_at = _parse_due(due) if due else gradebook_duedate(root, assignment)

    problems: list[str] = []
    entries = read_download(source, problems)
    subs, ignored = parse_entries(entries, lms, zone, problems)
    _plain_timestamps(subs, entries, problems)
    if not subs and not problems:
        problems.append(f"FROM: no notebook found in {source}")
    plan = plan_collection(subs, released, due_at, problems)
    problems += _check_destinations(root / "submitted", assignment, plan)
    if problems:
        raise CollectError(problems)
    write_plan(root, assignment, plan)
    if (
        any(row["late"] for row in plan.rows.values())
        and gradebook_duedate(root, assignment) is None
    ):
        log(
            f"warning: {assignment} has no due date in the gradebook, so nbgrader applies no "
            f"late penalty: nbgrader db assignment add {assignment} --duedate='...'"
        )
    skipped = [e for e in ignored if PurePosixPath(e.path).name != "timestamp.txt"]
    if skipped:
        names = ", ".join(e.origin for e in skipped[:10]) + (", ..." if len(skipped) > 10 else "")
        log(f"ignored {len(skipped)} file(s) that are not notebooks: {names}")
    for sid in sorted(plan.files):
        notes = sorted({n for s in plan.files[sid].values() for n in s.notes})
        late = " LATE" if plan.rows[sid]["late"] else ""
        log(f"  {sid}{late} {plan.rows[sid]['submitted_at']} {'; '.join(notes)}".rstrip())
    return sorted(plan.files)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mlgrade.collect",
        description=__doc__.split("\n")[0],
        epilog="Formats, ids and the id map: see the docstring of mlgrade/collect.py "
        "and the instructor guide.",
    )
    parser.add_argument("--root", default=".", help="the course directory (default: .)")
    parser.add_argument(
        "--lms", default="auto", choices=LMS_CHOICES, help="the download's format (default: auto)"
    )
    parser.add_argument(
        "--due",
        default=None,
        help="due date for Canvas LATE marks, e.g. '2026-11-30 23:59:00 Europe/Berlin' "
        "(default: the gradebook's)",
    )
    parser.add_argument(
        "--timezone", default="UTC", help="IANA zone of Blackboard file times (default: UTC)"
    )
    parser.add_argument("assignment", help="the assignment, e.g. a1_information")
    parser.add_argument("source", help="the download: a folder or a .zip")
    args = parser.parse_args(argv)
    try:
        students = collect(
            args.root,
            args.assignment,
            args.source,
            args.lms,
            args.due or None,
            args.timezone or "UTC",
            log=print,
        )
    except (CollectError, ValueError, FileNotFoundError) as exc:
        print(exc, file=sys.stderr)
        return 2
    print(
        f"collected {len(students)} student(s) into submitted/*/{args.assignment}/ "
        f"and the id map {lms_map_path_name(args.assignment)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
