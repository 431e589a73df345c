"""mlgrade.collect: LMS downloads (Canvas, Moodle, Blackboard, plain) into submitted/.

Fabricated downloads in each LMS's format (see the module docstring for the sources of
each format), with hostile names: every person keeps a distinct id, every collision is
listed before anything is written, late marks and times reach nbgrader's timestamp.txt,
nothing is written outside submitted/ (a full listing of the temporary folder is compared
before and after), zip-slip members are refused, and collecting twice changes nothing.
The last test collects ids such as ``--`` and ``O'Brien Zoë`` and grades them through real
nbgrader (autograde, late penalty, feedback, export) in a tiny course.
"""

import csv
import datetime as dt
import os
import subprocess
import sys
import unicodedata
import zipfile
from pathlib import Path

import nbformat
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlgrade.collect import (
    CollectError,
    collect,
    gradebook_duedate,
    read_lms_map,
    student_id,
    student_name,
)

REPO = Path(__file__).resolve().parents[2]
UTC = dt.UTC


def _notebook(tag="x"):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(f"answer = {tag!r}")]
    nb.cells[0].id = "answer"  # deterministic bytes
    return nbformat.writes(nb).encode()


def _course(tmp_path, notebooks=("a9.ipynb",)):
    root = tmp_path / "course"
    (root / "exercises" / "a9").mkdir(parents=True)
    for name in notebooks:
        (root / "exercises" / "a9" / name).write_bytes(_notebook("released"))
    return root


def _listing(top):
    """Every path below ``top``: kind, bytes and modification time (symlinks not followed)."""
    out = {}
    for folder, dirs, files in os.walk(top):
        for name in dirs + files:
            path = Path(folder) / name
            rel = path.relative_to(top).as_posix()
            if path.is_symlink():
                out[rel] = ("link", os.readlink(path))
            elif path.is_file():
                out[rel] = ("file", path.read_bytes(), path.stat().st_mtime_ns)
            else:
                out[rel] = ("dir",)
    return out


def _zip(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _submitted(root):
    return sorted(p.parent.name for p in (root / "submitted").glob("*/a9"))


def _stamp(root, sid):
    path = root / "submitted" / sid / "a9" / "timestamp.txt"
    return path.read_text().strip() if path.exists() else None


def _refused(tmp_path, root, download, **kwargs):
    """Collect must fail, listing problems, and leave every file of tmp_path as it was."""
    before = _listing(tmp_path)
    with pytest.raises(CollectError) as info:
        collect(root, "a9", download, **kwargs)
    assert _listing(tmp_path) == before
    return info.value.problems


# --------------------------------------------------------------------------- ids
@given(st.text(min_size=1, max_size=40))
def test_student_id_is_safe_and_reversible(name):
    sid = student_id(name)
    assert student_name(sid) == unicodedata.normalize("NFC", name)
    assert sid and sid not in (".", "..") and not sid.startswith(("-", "."))
    assert not set(sid) & set("/\\'\" \t\n\r\x00$*?[]{}()<>|&;`~!#%^=+,:@.")
    assert all(unicodedata.category(c)[0] in "LMN" or c in "_-" for c in sid)


def test_student_ids_keep_people_apart():
    names = ["Zoë", "Zoé", "Zoe", "王伟", "李娜", "--", "-x", "O'Brien Zoë", "a/b", "a b"]
    ids = [student_id(n) for n in names]
    assert len(set(ids)) == len(names)
    assert ids[:5] == ["Zoë", "Zoé", "Zoe", "王伟", "李娜"]  # readable, not transliterated
    assert student_id("--") == "_2D-" and student_id("O'Brien Zoë") == "O_27Brien_20Zoë"
    assert student_id("Zoe\u0308") == "Zoë"  # NFD (macOS file names) is the same person
    with pytest.raises(ValueError, match="student id"):
        student_name("bad_zz")


# --------------------------------------------------------------------------- Canvas
def test_canvas_zip_ids_late_marks_and_id_map(tmp_path):
    root = _course(tmp_path)
    download = _zip(
        tmp_path / "submissions.zip",
        {
            "smithjohn_12345_67890_a9.ipynb": _notebook("john"),
            "smithjohn_LATE_22222_67891_a9-1.ipynb": _notebook("other john"),
            "obrienzoë_333_444_a9.ipynb": _notebook("zoe"),
            "LATE_anon_Xy7pQ_555_a9.ipynb": _notebook("anonymous"),
            "smithjohn_12345_67892_notes_text.html": b"<p>ignored</p>",
        },
    )
    ids = collect(root, "a9", download, due="2026-11-30 23:59:00 UTC")
    assert ids == ["anon_5FXy7pQ", "obrienzoë-333", "smithjohn-12345", "smithjohn-22222"]
    assert _submitted(root) == ids
    assert (root / "submitted" / "smithjohn-22222" / "a9" / "a9.ipynb").read_bytes() == (
        _notebook("other john")
    )
    late = "2026-11-30 23:59:01.000000 UTC"  # one second after the due date
    assert _stamp(root, "smithjohn-22222") == late and _stamp(root, "anon_5FXy7pQ") == late
    assert _stamp(root, "smithjohn-12345") is None
    rows = {r["student_id"]: r for r in read_lms_map(root, "a9")}
    assert rows["smithjohn-12345"]["lms"] == "canvas"
    assert rows["smithjohn-12345"]["lms_user_id"] == "12345"
    assert rows["smithjohn-22222"]["late"] == "yes" and rows["smithjohn-22222"]["submitted_at"]
    assert rows["anon_5FXy7pQ"]["lms_user_id"] == "anon_Xy7pQ"
    assert rows["obrienzoë-333"]["source"] == "submissions.zip:obrienzoë_333_444_a9.ipynb"


def test_zips_in_a_folder_lms_downloads_opened_student_zips_left_alone(tmp_path):
    root = _course(tmp_path)
    download = tmp_path / "dl"
    download.mkdir()
    # Canvas names its zip after the course: digits and "_" like a student's file name.
    _zip(download / "CS_101_2026-a9_submissions.zip", {"kay_5_6_a9.ipynb": _notebook("kay")})
    (download / "lee_7_8_a9.ipynb").write_bytes(_notebook("lee"))  # already extracted
    _zip(download / "lee_7_9_work.zip", {"a9.ipynb": _notebook("lee's own zip")})
    said = []
    assert collect(root, "a9", download, log=said.append) == ["kay-5", "lee-7"]
    assert (root / "submitted" / "lee-7" / "a9" / "a9.ipynb").read_bytes() == _notebook("lee")
    assert "ignored 1 file(s) that are not notebooks: lee_7_9_work.zip" in said


def test_canvas_late_needs_a_due_date_and_reads_the_gradebook(tmp_path, monkeypatch):
    from nbgrader.api import Gradebook

    monkeypatch.setenv("PATH", _env()["PATH"])  # nbgrader runs alembic by name

    root = _course(tmp_path)
    download = tmp_path / "dl"
    download.mkdir()
    (download / "doejane_LATE_7_8_a9.ipynb").write_bytes(_notebook())
    problems = _refused(tmp_path, root, download)
    assert len(problems) == 1 and "LATE" in problems[0] and "doejane_LATE_7_8" in problems[0]
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        gb.update_or_create_assignment("a9", duedate=dt.datetime(2026, 11, 30, 12, 0, 0))
    assert gradebook_duedate(root, "a9") == dt.datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert collect(root, "a9", download) == ["doejane-7"]
    assert _stamp(root, "doejane-7") == "2026-11-30 12:00:01.000000 UTC"


# --------------------------------------------------------------------------- Moodle
def test_moodle_same_names_never_merge_and_accents_stay_distinct(tmp_path):
    root = _course(tmp_path)
    members = {
        "John Smith_101_assignsubmission_file_/a9.ipynb": _notebook("first john"),
        "John Smith_202_assignsubmission_file_/sub/a9.ipynb": _notebook("second john"),
        "Zoë Martin_303_assignsubmission_file_/a9.ipynb": _notebook("zoë"),
        "Zoé Martin_404_assignsubmission_file_/a9.ipynb": _notebook("zoé"),
        "王伟_505_assignsubmission_file_/a9.ipynb": _notebook("wang"),
        "李娜_606_assignsubmission_file_a9.ipynb": _notebook("li"),  # flat layout
        "John Smith_101_assignsubmission_onlinetext_/onlinetext.html": b"<p>hi</p>",
        "__MACOSX/John Smith_101_assignsubmission_file_/._a9.ipynb": b"\x00\x05\x16\x07junk",
    }
    ids = collect(root, "a9", _zip(tmp_path / "moodle.zip", members), lms="moodle")
    assert ids == sorted(
        ["John_20Smith-101", "John_20Smith-202", "Zoë_20Martin", "Zoé_20Martin", "王伟", "李娜"]
    )
    read = {sid: (root / "submitted" / sid / "a9" / "a9.ipynb").read_bytes() for sid in ids}
    assert read["John_20Smith-101"] == _notebook("first john")
    assert read["John_20Smith-202"] == _notebook("second john")
    assert read["Zoë_20Martin"] != read["Zoé_20Martin"]
    rows = {r["student_id"]: r for r in read_lms_map(root, "a9")}
    assert rows["John_20Smith-202"]["lms_user_id"] == "202"
    assert rows["John_20Smith-202"]["display_name"] == "John Smith"
    assert all(_stamp(root, sid) is None for sid in ids)  # Moodle gives no times


# --------------------------------------------------------------------------- Blackboard
def _receipt(name, user, when, files):
    lines = [
        f"Name: {name} ({user})",
        "Assignment: Assignment 1",
        f"Date Submitted: {when}",
        "Current Grade: Needs Grading",
        "",
        "Submission Field:",
        "There is no student submission text data for this assignment.",
        "",
        "Comments:",
        "There are no student comments for this assignment.",
        "",
        "Files:",
    ]
    for original, stored in files:
        lines += [f"\tOriginal filename: {original}", f"\tFilename: {stored}"]
    return ("\n".join(lines) + "\n").encode()


def test_blackboard_attempts_receipts_and_time_zone(tmp_path):
    root = _course(tmp_path)
    download = tmp_path / "bb"
    download.mkdir()
    first = "Assignment 1_jsmith_attempt_2026-11-30-14-05-12"
    second = "Assignment 1_jsmith_attempt_2026-12-01-09-00-00"
    under = "Assignment 1_mary_jo_attempt_2026-11-29-08-00-00"  # a user name with "_"
    files = {
        f"{first}_a9.ipynb": _notebook("first attempt"),
        f"{first}.txt": _receipt(
            "John Smith",
            "jsmith",
            "Monday, November 30, 2026 2:05:12 PM CST",
            [("a9.ipynb", f"{first}_a9.ipynb")],
        ),
        f"{second}_a9.ipynb": _notebook("second attempt"),
        f"{second}.txt": _receipt(
            "John Smith",
            "jsmith",
            "Tuesday, December 1, 2026 9:00:00 AM CST",
            [("a9.ipynb", f"{second}_a9.ipynb")],
        ),
        f"{under}_a9.ipynb": _notebook("mary jo"),
        f"{under}_notes.txt": b"a file the student uploaded too: not a receipt, not a notebook",
        f"{under}.txt": _receipt(
            "Mary Jo",
            "mary_jo",
            "Sunday, November 29, 2026 8:00:00 AM CST",
            [("a9.ipynb", f"{under}_a9.ipynb")],
        ),
    }
    for name, data in files.items():
        (download / name).write_bytes(data)
    problems = _refused(tmp_path, root, download)  # read as UTC, but the receipts say CST
    assert len(problems) == 3 and all("CST" in p and "LMS_TIMEZONE" in p for p in problems)
    ids = collect(root, "a9", download, timezone="America/Chicago")
    assert ids == ["jsmith", "mary_5Fjo"]
    sub = root / "submitted" / "jsmith" / "a9" / "a9.ipynb"
    assert sub.read_bytes() == _notebook("second attempt")  # the latest attempt
    assert _stamp(root, "jsmith") == "2026-12-01 15:00:00.000000 UTC"
    assert _stamp(root, "mary_5Fjo") == "2026-11-29 14:00:00.000000 UTC"
    rows = {r["student_id"]: r for r in read_lms_map(root, "a9")}
    assert rows["mary_5Fjo"]["lms_user_id"] == "mary_jo"
    assert rows["mary_5Fjo"]["display_name"] == "Mary Jo"


def test_blackboard_receipt_offsets_and_unreadable_dates(tmp_path):
    root = _course(tmp_path)
    download = tmp_path / "bb"
    download.mkdir()
    stem = "A_kim_attempt_2026-07-01-10-00-00"
    (download / f"{stem}_a9.ipynb").write_bytes(_notebook())
    (download / f"{stem}.txt").write_bytes(
        _receipt("Kim", "kim", "1 July 2026 10:00:00 +0200", [])
    )
    assert _refused(tmp_path, root, download)[0].startswith(f"{stem}_a9.ipynb: Blackboard gives")
    assert collect(root, "a9", download, timezone="Europe/Berlin") == ["kim"]
    (download / f"{stem}.txt").write_bytes(_receipt("Kim", "kim", "sometime in July", []))
    assert collect(root, "a9", download, timezone="Europe/Berlin") == ["kim"]
    assert _stamp(root, "kim") == "2026-07-01 08:00:00.000000 UTC"
    (download / f"{stem}.txt").write_bytes(_receipt("Kim", "kim", "2 July 2026 10:00:00", []))
    problems = _refused(tmp_path, root, download, timezone="Europe/Berlin")
    assert problems == [
        f"{stem}_a9.ipynb: the receipt says '2 July 2026 10:00:00', "
        "the file name 2026-07-01-10-00-00"
    ]


def test_timestamps_are_what_nbgrader_reads(tmp_path):
    from nbgrader.coursedir import CourseDirectory

    root = _course(tmp_path)
    download = tmp_path / "bb"
    download.mkdir()
    (download / "A_kim_attempt_2026-07-01-10-00-00_a9.ipynb").write_bytes(_notebook())
    collect(root, "a9", download, timezone="Europe/Paris")
    folder = root / "submitted" / "kim" / "a9"
    # Paris is UTC+2 in July; nbgrader stores naive UTC.
    read = CourseDirectory(root=str(root)).get_existing_timestamp(str(folder))
    assert read == dt.datetime(2026, 7, 1, 8, 0, 0)


# --------------------------------------------------------------------------- plain
def test_plain_layout_and_hostile_names(tmp_path):
    root = _course(tmp_path)
    download = tmp_path / "plain"
    (download / "carol").mkdir(parents=True)
    (download / "carol" / "whatever.ipynb").write_bytes(_notebook("carol"))
    (download / "carol" / "timestamp.txt").write_text("2026-11-30 10:00:00 UTC\n")
    (download / "carol" / ".ipynb_checkpoints").mkdir()
    (download / "carol" / ".ipynb_checkpoints" / "whatever-checkpoint.ipynb").write_bytes(b"{}")
    hostile = ["--", "-x", "O'Brien Zoë", '"quoted"', ".._evil", "back\\slash", "$(rm -rf ~)"]
    for name in hostile:
        (download / f"{name}.ipynb").write_bytes(_notebook(name))
    (download / "alice_attempt2.ipynb").write_bytes(_notebook("alice"))
    (download / "readme.pdf").write_bytes(b"%PDF")
    before = _listing(tmp_path)
    ids = collect(root, "a9", download)
    expected = {student_id(n.split("_")[0]) for n in hostile} | {"alice", "carol"}
    assert set(ids) == expected and "_2D-" in ids and "O_27Brien_20Zoë" in ids
    assert student_id("..") == "_2E_2E" in ids  # '.._evil' is the student '..', inside
    after = _listing(tmp_path)
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    assert changed and all(k.startswith("course/submitted") for k in changed)
    for sid in ids:
        folder = root / "submitted" / sid / "a9"
        assert folder.resolve().parent.parent == (root / "submitted").resolve()
    assert (root / "submitted" / "_2E_2E" / "a9" / "a9.ipynb").read_bytes() == _notebook(".._evil")
    assert _stamp(root, "carol") == "2026-11-30 10:00:00.000000 UTC"


def test_every_collision_is_listed_and_nothing_is_written(tmp_path):
    root = _course(tmp_path)
    download = tmp_path / "dl"
    download.mkdir()
    (download / "Zoë.ipynb").write_bytes(_notebook())  # NFC
    (download / "Zoe\u0308").mkdir()  # NFD: the same name, so one id twice
    (download / "Zoe\u0308" / "a9.ipynb").write_bytes(_notebook())
    (download / "ana.ipynb").write_bytes(_notebook())
    (download / "Ana.ipynb").write_bytes(_notebook())  # one folder on macOS/Windows
    (download / "bob").mkdir()
    (download / "bob" / "a9.ipynb").write_bytes(_notebook())
    (download / "bob" / "scratch.ipynb").write_bytes(_notebook())
    (download / "fine.ipynb").write_bytes(_notebook())
    problems = _refused(tmp_path, root, download)
    assert len(problems) == 3, problems
    assert all(p.startswith("collision") for p in problems)
    text = "\n".join(problems)
    assert "'Zoë' has 2 files" in text and "'bob' has 2 files" in text
    assert "2 people would share the id 'Ana'" in text or "share the id 'ana'" in text
    assert "fine" not in text


def test_multiple_notebooks_match_by_name(tmp_path):
    root = _course(tmp_path, notebooks=("part1.ipynb", "part2.ipynb"))
    download = tmp_path / "dl"
    download.mkdir()
    (download / "doe_1_2_part1.ipynb").write_bytes(_notebook("1"))
    (download / "doe_1_3_part2-1.ipynb").write_bytes(_notebook("2"))  # a Canvas re-upload
    (download / "doe_1_4_notes.ipynb").write_bytes(_notebook("?"))
    problems = _refused(tmp_path, root, download)
    assert len(problems) == 1 and "'notes.ipynb' is none of the released" in problems[0]
    (download / "doe_1_4_notes.ipynb").unlink()
    assert collect(root, "a9", download) == ["doe-1"]
    folder = root / "submitted" / "doe-1" / "a9"
    assert sorted(p.name for p in folder.iterdir()) == ["part1.ipynb", "part2.ipynb"]


def test_mixed_or_unknown_names_are_not_guessed(tmp_path):
    root = _course(tmp_path)
    download = tmp_path / "dl"
    download.mkdir()
    (download / "smithjohn_12345_67890_a9.ipynb").write_bytes(_notebook())
    (download / "john.ipynb").write_bytes(_notebook())
    problems = _refused(tmp_path, root, download)
    assert len(problems) == 1 and "john.ipynb: not a canvas file name" in problems[0]
    problems = _refused(tmp_path, root, download, lms="moodle")
    assert len(problems) == 2 and all("not a moodle file name" in p for p in problems)


# --------------------------------------------------------------------------- paths
def test_zip_slip_and_symlinks_are_refused(tmp_path):
    root = _course(tmp_path)
    (tmp_path / "outside").mkdir()
    secret = tmp_path / "outside" / "secret.ipynb"
    secret.write_bytes(_notebook("secret"))
    download = tmp_path / "dl"
    download.mkdir()
    _zip(
        download / "evil.zip",
        {
            "../x.ipynb": _notebook(),
            "/abs.ipynb": _notebook(),
            "ok/../../y.ipynb": _notebook(),
            "C:/win.ipynb": _notebook(),
            "..\\dos.ipynb": _notebook(),
        },
    )
    link = zipfile.ZipInfo("linked.ipynb")
    link.external_attr = (0o120777) << 16  # a symlink member
    with zipfile.ZipFile(download / "evil.zip", "a") as archive:
        archive.writestr(link, "/etc/passwd")
    (download / "mallory.ipynb").symlink_to(secret)
    (download / "trudy").symlink_to(tmp_path / "outside", target_is_directory=True)
    problems = _refused(tmp_path, root, download)
    assert len(problems) == 8, problems
    assert sum("zip-slip" in p for p in problems) == 6
    assert sum("a symlink, refused" in p for p in problems) == 2


def test_symlinks_in_submitted_are_never_followed(tmp_path):
    root = _course(tmp_path)
    (tmp_path / "outside").mkdir()
    download = tmp_path / "dl"
    download.mkdir()
    (download / "eve.ipynb").write_bytes(_notebook("eve"))
    (root / "submitted").mkdir()
    (root / "submitted" / "eve").symlink_to(tmp_path / "outside", target_is_directory=True)
    problems = _refused(tmp_path, root, download)
    assert any("eve is a symlink: refused" in p for p in problems)
    (root / "submitted" / "eve").unlink()
    (root / "submitted" / "eve" / "a9").mkdir(parents=True)
    target = tmp_path / "outside" / "target.ipynb"
    (root / "submitted" / "eve" / "a9" / "a9.ipynb").symlink_to(target)
    problems = _refused(tmp_path, root, download)
    assert any("a9.ipynb is a symlink: refused" in p for p in problems)
    assert not target.exists()
    (root / "submitted" / "eve" / "a9" / "a9.ipynb").unlink()
    (root / "submitted" / "eve" / "a9").rmdir()
    (root / "submitted" / "eve" / "a9").write_text("a file where a folder goes")
    problems = _refused(tmp_path, root, download)
    assert any("exists and is not a folder" in p for p in problems)


def test_recollect_is_idempotent_and_replaces_stale_files(tmp_path):
    root = _course(tmp_path)
    download = tmp_path / "dl"
    download.mkdir()
    (download / "doejane_LATE_7_8_a9.ipynb").write_bytes(_notebook("late"))
    (download / "roe_9_10_a9.ipynb").write_bytes(_notebook("roe"))
    collect(root, "a9", download, due="2026-11-30 12:00:00")
    first = _listing(tmp_path)
    collect(root, "a9", download, due="2026-11-30 12:00:00")
    assert _listing(tmp_path) == first  # same bytes, and nothing rewritten
    (download / "doejane_LATE_7_8_a9.ipynb").unlink()  # a regrade: on time after all
    (download / "doejane_7_11_a9.ipynb").write_bytes(_notebook("on time"))
    (download / "roe_9_10_a9.ipynb").unlink()
    collect(root, "a9", download)
    assert _stamp(root, "doejane-7") is None  # the late stamp is gone
    assert _submitted(root) == ["doejane-7", "roe-9"]  # roe is kept, not in this download
    rows = {r["student_id"]: r for r in read_lms_map(root, "a9")}
    assert rows["doejane-7"]["late"] == "" and rows["roe-9"]["lms_user_id"] == "9"


def test_bad_arguments_name_what_was_expected(tmp_path):
    root = _course(tmp_path)
    with pytest.raises(ValueError, match="lms: expected one of auto"):
        collect(root, "a9", tmp_path, lms="sakai")
    with pytest.raises(ValueError, match="assignment: expected"):
        collect(root, "../a9", tmp_path)
    with pytest.raises(ValueError, match="timezone: expected an IANA"):
        collect(root, "a9", tmp_path, timezone="Mars/Olympus")
    with pytest.raises(FileNotFoundError, match="exercises/a8"):
        collect(root, "a8", tmp_path)


def test_command_line_and_make_target(tmp_path):
    root = _course(tmp_path)
    download = tmp_path / "dl"
    download.mkdir()
    (download / "a.ipynb").write_bytes(_notebook())
    (download / "A.ipynb").write_bytes(_notebook())
    cmd = [sys.executable, "-m", "mlgrade.collect", "--root", str(root), "a9", str(download)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert (
        done.returncode == 2
        and "collision" in done.stderr
        and "nothing was written" in done.stderr
    )
    (download / "A.ipynb").unlink()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "collected 1 student(s)" in done.stdout
    dry = subprocess.run(
        ["make", "-n", "collect", "ASSIGNMENT=a9", "LMS=canvas", "DUE=2026-11-30 12:00 UTC"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert dry.returncode == 0, dry.stderr
    assert "-m mlgrade.collect" in dry.stdout and '--lms "canvas"' in dry.stdout
    assert "downloads/a9" in dry.stdout  # the default download folder, git-ignored
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "downloads/a9/x.ipynb"], cwd=REPO, check=False
    )
    assert ignored.returncode == 0


# --------------------------------------------------------------------------- downstream
def _tiny_source():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"
        ),
        nbformat.v4.new_code_cell("assert double(2) == 4"),
    ]
    metas = [
        {"grade": False, "solution": True, "locked": False, "grade_id": "double"},
        {"grade": True, "solution": False, "locked": True, "grade_id": "test", "points": 2},
    ]
    for cell, meta in zip(nb.cells, metas, strict=True):
        cell.metadata["nbgrader"] = {**meta, "schema_version": 3}
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def _env():
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.pop("MLCOURSE_STUDENT_ID", None)
    return env


def _run(args, cwd):
    done = subprocess.run(
        args, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.mark.grading
@pytest.mark.slow
def test_collected_weird_ids_survive_autograde_feedback_and_export(tmp_path):
    root = tmp_path / "course"
    (root / "solutions" / "t1").mkdir(parents=True)
    nbformat.write(_tiny_source(), str(root / "solutions" / "t1" / "t1.ipynb"))
    config = (REPO / "nbgrader_config.py").read_text(encoding="utf-8")
    config += "\nc.LateSubmissionPlugin.penalty_method = 'zero'\n"
    (root / "nbgrader_config.py").write_text(config, encoding="utf-8")
    py, nbgrader = sys.executable, str(Path(sys.executable).parent / "nbgrader")
    _run([py, "-m", "mlgrade", "release", "--root", str(root), "t1"], root)
    _run([nbgrader, "db", "assignment", "add", "t1", "--duedate=2026-11-30 12:00:00 UTC"], root)
    honest = nbformat.read(str(root / "exercises" / "t1" / "t1.ipynb"), as_version=4)
    honest.cells[0].source = "def double(x):\n    return 2 * x"
    good = nbformat.writes(honest).encode()
    plain = tmp_path / "plain"
    plain.mkdir()
    for name in ("--", "O'Brien Zoë", "王伟"):
        (plain / f"{name}.ipynb").write_bytes(good)
    canvas = _zip(
        tmp_path / "canvas.zip",
        {"ontimeann_1_2_t1.ipynb": good, "latebob_LATE_3_4_t1.ipynb": good},
    )
    weird = collect(root, "t1", plain)
    assert weird == sorted(["_2D-", "O_27Brien_20Zoë", "王伟"])
    assert collect(root, "t1", canvas) == ["latebob-3", "ontimeann-1"]

    _run([py, "-m", "mlgrade", "autograde", "--root", str(root)], root)
    _run([nbgrader, "generate_feedback", "--force", "t1"], root)
    _run([nbgrader, "export"], root)
    with (root / "grades.csv").open(encoding="utf-8") as handle:
        grades = {r["student_id"]: r for r in csv.DictReader(handle)}
    for sid in [*weird, "ontimeann-1"]:
        assert float(grades[sid]["raw_score"]) == 2.0 and float(grades[sid]["score"]) == 2.0
        assert (root / "feedback" / sid / "t1" / "t1.html").is_file(), sid
    assert float(grades["latebob-3"]["raw_score"]) == 2.0
    assert float(grades["latebob-3"]["late_submission_penalty"]) == 2.0  # late: zero
    assert float(grades["latebob-3"]["score"]) == 0.0
