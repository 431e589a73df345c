"""The HTML page of a class report: one file that works offline.

The figures are drawn with Matplotlib (its Agg renderer, no display) and embedded as base64
PNG; the style sheet is inline; there is no script and no remote asset. Every text that
comes from a submission (a failure message, a student id, a detail) is HTML-escaped, so a
hostile message cannot run in the instructor's browser.
"""

from __future__ import annotations

import base64
import html
import io
import math
import statistics
from datetime import UTC, datetime

import numpy as np

from .data import GRADING_REPORT, AssignmentData, seconds_of
from .lms import exported, lms_user_id, number
from .stats import CellStats
from .tables import failure_table, flagged_table, time_table

__all__ = ["FILE_LABELS", "pass_rate_chart", "render_html", "score_histogram"]

#: What each CSV file next to the page holds (keys of ``files`` in :func:`render_html`).
FILE_LABELS = {
    "students": "one row per student, with a pass column per test cell",
    "tests": "pass rate and discrimination of each test cell",
    "failures": "every kind of failure of each test cell",
    "flagged": "flagged and failed submissions",
    "canvas": "Canvas gradebook import",
    "moodle": "Moodle grade import",
}

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; font-size: 16px;
  line-height: 1.5; color: #1b1b1b; max-width: 72rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.9rem; }
h2 { font-size: 1.4rem; margin-top: 2.2rem; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.95rem; }
th, td { border: 1px solid #d0d0d0; padding: 0.3rem 0.6rem; text-align: left;
  vertical-align: top; }
th { background: #f0f3f7; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.note { background: #fff8e1; border-left: 4px solid #f0b400; padding: 0.5rem 0.8rem; }
.low { color: #b00020; font-weight: 600; }
.muted { color: #555; }
img { max-width: 100%; height: auto; }
"""


# --------------------------------------------------------------------------- figures
def _figure(width: float, height: float):
    from matplotlib.figure import Figure  # a Figure without pyplot renders with Agg

    fig = Figure(figsize=(width, height), layout="constrained")
    ax = fig.add_subplot()
    ax.tick_params(labelsize=12)
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def score_histogram(scores: list[float], max_score: float, title: str) -> str:
    """The score distribution as a base64 PNG, with its mean and median.

    One bar per point when the scores are whole numbers up to 40, else 20 equal bins.
    """
    fig, ax = _figure(8.0, 4.2)
    top = max([max_score, *scores, 1.0])
    if top <= 40 and all(float(s).is_integer() for s in [*scores, max_score]):
        edges = np.arange(-0.5, top + 1.0, 1.0)
    else:
        edges = np.linspace(0.0, top, 21)
    ax.hist(scores, bins=edges, color="#1f77b4", edgecolor="white", linewidth=1.5)
    if scores:
        mean, median = statistics.fmean(scores), statistics.median(scores)
        ax.axvline(mean, color="#d62728", lw=2, label=f"mean {mean:.2f}")
        ax.axvline(median, color="#2ca02c", lw=2, ls="--", label=f"median {median:.2f}")
        ax.legend(fontsize=12, frameon=False)
    ax.set_xlim(edges[0], edges[-1])
    ax.set_xlabel(f"score (out of {number(max_score)})", fontsize=13)
    ax.set_ylabel("submissions", fontsize=13)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(title, fontsize=14)
    return _png(fig)


def pass_rate_chart(stats: list[CellStats], labels: dict[str, str] | None = None) -> str:
    """The pass rate of each test cell as a base64 PNG (bars, first cell on top).

    ``labels`` maps a cell's key to its name on the chart (default: the key).
    """
    shown = [s for s in stats if s.graded][::-1]
    fig, ax = _figure(8.0, 1.2 + 0.4 * max(len(shown), 1))
    rates = [100 * s.pass_rate for s in shown]
    names = [(labels or {}).get(s.test.key, s.test.key) for s in shown]
    ax.barh(names, rates, color="#1f77b4")
    for y, rate in enumerate(rates):
        ax.text(min(rate + 1.5, 90), y, f"{rate:.0f}%", va="center", fontsize=11)
    ax.set_xlim(0, 100)
    ax.set_xlabel("submissions that pass (%)", fontsize=13)
    ax.tick_params(axis="y", labelsize=11)
    return _png(fig)


# --------------------------------------------------------------------------- html
def _e(value) -> str:
    return html.escape(str(value))


def _table(header: list[str], rows: list[list[str]], numeric: frozenset[int] = frozenset()) -> str:
    """An HTML table; ``rows`` hold HTML already escaped."""
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{v}</td>' if i in numeric else f"<td>{v}</td>"
            for i, v in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _labels(data: AssignmentData) -> dict[str, str]:
    """How a test cell is named on the page: its name, prefixed by its notebook if several."""
    keys = {t.key for t in data.tests} | set(data.failures)
    several = len({key.partition("/")[0] for key in keys}) > 1
    return {key: key if several else key.partition("/")[2] for key in keys}


def _img(name: str, alt: str, png: str) -> str:
    return f'<img id="{name}" alt="{_e(alt)}" src="data:image/png;base64,{png}">'


def _scores_section(data: AssignmentData) -> list[str]:
    graded = [s for s in data.submissions.values() if s.score is not None]
    scores = [s.score for s in graded]
    out = ["<h2>Score distribution</h2>"]
    if not scores:
        return [*out, "<p>No submission has a score yet.</p>"]
    title = f"{data.name}: {len(scores)} submission(s)"
    png = score_histogram(scores, data.max_score, title)
    out.append(_img("score-histogram", f"Histogram of the scores of {data.name}", png))
    summary = [
        ("submissions with a score", str(len(scores))),
        ("mean", number(statistics.fmean(scores))),
        ("median", number(statistics.median(scores))),
        ("standard deviation", number(statistics.pstdev(scores))),
        ("lowest / highest", f"{number(min(scores))} / {number(max(scores))}"),
        ("maximum possible", number(data.max_score)),
    ]
    manual = sum(s.needs_manual_grade for s in graded)
    if manual:
        summary.append(("still need manual grading (counted as 0)", str(manual)))
    out.append(_table(["", "value"], [[_e(k), _e(v)] for k, v in summary], frozenset({1})))
    return out


def _tests_section(data: AssignmentData, stats: list[CellStats]) -> list[str]:
    out = [
        "<h2>Test cells</h2>",
        "<p>A submission <em>passes</em> a test cell when the autograder gave it the cell's "
        "full points. The <em>discrimination index</em> is the point-biserial correlation "
        "between passing the cell and the score on the rest of the assignment (the total "
        "without this cell): r = (M<sub>1</sub> − M<sub>0</sub>) / s · √(p (1 − p)), where "
        "M<sub>1</sub> and M<sub>0</sub> are the mean rest scores of the submissions that "
        "passed and failed, p the fraction that passed and s the standard deviation of the "
        "rest scores. About 0.3 or more separates strong from weak submissions well; below "
        "0.2 (in red) it barely does, and a negative value asks for a look at the test. "
        "n/a: everybody passed, nobody passed, or all rest scores are equal.</p>",
    ]
    if not stats:
        return [*out, "<p>The gradebook has no autograded test cell for this assignment.</p>"]
    rows, labels = [], _labels(data)
    for s in stats:
        top = data.failures.get(s.test.key, [])
        r = s.discrimination
        shown = (
            "n/a"
            if math.isnan(r)
            else (f'<span class="low">{r:.2f}</span>' if r < 0.2 else f"{r:.2f}")
        )
        rows.append(
            [
                f"<code>{_e(labels[s.test.key])}</code>",
                _e(number(s.test.max_score)),
                str(s.graded),
                f"{100 * s.pass_rate:.0f}%" if s.graded else "n/a",
                shown,
                _e(top[0].example) if top else "",
            ]
        )
    header = ["test cell", "points", "graded", "pass rate", "discrimination", "commonest failure"]
    out.append(_table(header, rows, frozenset({1, 2, 3, 4})))
    if any(s.graded for s in stats):
        alt = f"Pass rate of each test cell of {data.name}"
        out.append(_img("pass-rates", alt, pass_rate_chart(stats, labels)))
    return out


def _failures_section(data: AssignmentData) -> list[str]:
    out = [
        "<h2>Most common failure messages</h2>",
        "<p>The error outputs of the test cells in the autograded notebooks "
        "(<code>error: first line of its message</code>), one per student and cell. "
        "Messages that differ only in numbers are counted together; the commonest wording "
        "is shown. At most five kinds per test cell here, all of them in the CSV file.</p>",
    ]
    rows, per_cell, labels = [], {}, _labels(data)
    for f in failure_table(data):
        key = f"{f['notebook']}/{f['cell']}"
        per_cell[key] = per_cell.get(key, 0) + 1
        if per_cell[key] <= 5:
            more = f" ({f['variants']} wordings)" if f["variants"] != "1" else ""
            rows.append(
                [
                    f"<code>{_e(labels.get(key, key))}</code>",
                    _e(f["students"]),
                    _e(f["example"]) + _e(more),
                ]
            )
    if not rows:
        return [*out, "<p>No test cell failed.</p>"]
    return [*out, _table(["test cell", "students", "message"], rows, frozenset({1}))]


def _time_section(data: AssignmentData) -> list[str]:
    out = ["<h2>Time per notebook</h2>"]
    times = time_table(data)
    if not times:
        note = f"n/a: {GRADING_REPORT} records no time (its <code>seconds</code> column)"
        return [*out, f'<p id="time-na">{note}.</p>']
    keys = ["notebook", "graded", "median", "mean", "max", "total"]
    header = ["notebook", "notebooks timed", "median (s)", "mean (s)", "max (s)", "total (s)"]
    rows = [[_e(t[k]) for k in keys] for t in times]
    timed = [(seconds_of(r), r["student"], r["notebook"]) for r in data.rows]
    slowest = sorted((t for t in timed if t[0] is not None), key=lambda t: (-t[0], t[1]))[:5]
    listed = ", ".join(f"{_e(s)} ({_e(nb)}, {number(t, 1)} s)" for t, s, nb in slowest)
    return [*out, _table(header, rows, frozenset({1, 2, 3, 4, 5})), f"<p>Slowest: {listed}.</p>"]


def _flagged_section(data: AssignmentData) -> list[str]:
    out = ["<h2>Flagged and failed submissions</h2>"]
    flagged = flagged_table(data)
    if not flagged:
        return [*out, "<p>None: every notebook was graded normally.</p>"]
    keys = ["student", "notebook", "status", "score", "reason", "action"]
    rows = [[_e(f[k]) for k in keys] for f in flagged]
    return [*out, _table(keys, rows, frozenset({3}))]


def _lms_section(data: AssignmentData, files: dict[str, str], moodle_kind: str) -> list[str]:
    subs = exported(data)
    out = [
        "<h2>LMS export</h2>",
        f"<p>{len(subs)} score(s), after the late penalty (as <code>make export</code>). "
        f"Canvas: <em>Grades &gt; Import</em>, file <code>{_e(files['canvas'])}</code>. ",
    ]
    if moodle_kind == "worksheet":
        out[-1] += (
            "Moodle: in the assignment, <em>Submissions &gt; Upload grading worksheet</em> "
            f"(the offline grading worksheet), file <code>{_e(files['moodle'])}</code>.</p>"
        )
    else:
        out[-1] += (
            "Moodle: <em>Grade administration &gt; Import &gt; CSV file</em>, file "
            f"<code>{_e(files['moodle'])}</code>; map <em>Username</em> to username and the "
            f"column {_e(data.name)} to the grade item (no Moodle ids were collected).</p>"
        )
    if not data.lms_ids:
        out.append(
            '<p class="note">No LMS id map (collection writes '
            f"<code>submitted/{_e(data.name)}.lms.csv</code>): students are identified by "
            "their course ids (Canvas: SIS Login ID).</p>"
        )
    else:
        lms = {known.lms for known in data.lms_ids.values()}
        without = [
            s.student for s in subs if not any(lms_user_id(data, s.student, x) for x in lms)
        ]
        if without:
            out.append(
                f'<p class="note">No usable LMS user id for {len(without)} student(s), '
                f"matched by course id or name instead: {_e(', '.join(without))}.</p>"
            )
    flagged = sorted({row["student"] for row in flagged_table(data)} & {s.student for s in subs})
    if flagged:
        out.append(
            f"<p>Flagged above and exported with their score: {_e(', '.join(flagged))}; "
            "review them before importing.</p>"
        )
    missing = sorted(set(data.students) - {s.student for s in subs})
    if missing:
        out.append(f"<p>Not exported (no score): {_e(', '.join(missing))}.</p>")
    return out


def render_html(
    data: AssignmentData, stats: list[CellStats], files: dict[str, str], moodle_kind: str
) -> str:
    """The whole page of one assignment.

    ``files`` maps each key of :data:`FILE_LABELS` to the name of that CSV file (next to
    the page); ``moodle_kind`` is what :func:`~.lms.moodle_rows` wrote.
    """
    flagged = flagged_table(data)
    graded = sum(s.score is not None for s in data.submissions.values())
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        f"<h1>Class report: {_e(data.name)}</h1>",
        f'<p class="muted">Written {stamp} from the gradebook, {GRADING_REPORT} and the '
        f"autograded notebooks: {len(data.students)} student(s), {graded} with a score, "
        f"{len(flagged)} notebook(s) flagged.</p>",
        *(f'<p class="note">{_e(note)}</p>' for note in data.notes),
        *_scores_section(data),
        *_tests_section(data, stats),
        *_failures_section(data),
        *_time_section(data),
        *_flagged_section(data),
        *_lms_section(data, files, moodle_kind),
        "<h2>Files</h2>",
        "<ul>",
        *(
            f'<li><a href="{_e(name)}">{_e(name)}</a>: {_e(FILE_LABELS.get(key, key))}</li>'
            for key, name in files.items()
        ),
        "</ul>",
    ]
    body = "\n".join(parts)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>Class report: {_e(data.name)}</title>\n<style>{_CSS}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )
