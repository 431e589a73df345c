"""Shared helpers of tests/book/test_book.py and tests/book/test_browser.py.

The book is built once per test session, from the real tree, into ``_build`` (the same
folder ``make book`` uses, so a test run after ``make book`` is a warm rebuild and costs
seconds). Both test modules call :func:`build_book`, which memoises its result.

Set ``BOOK_PATH_OUTPUT=/some/folder`` to build into ``/some/folder/_build`` instead (the
``--path-output`` of jupyter-book): several people can then test the book from one
working tree without racing on ``_build``.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import html
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[2]
# Where the book is built: ``$BOOK_PATH_OUTPUT/_build``, by default the repository's _build.
PATH_OUTPUT = Path(os.environ.get("BOOK_PATH_OUTPUT") or ROOT).resolve()
BUILD_DIR = PATH_OUTPUT / "_build"
HTML_DIR = BUILD_DIR / "html"
BUILD_LOG = BUILD_DIR / "book-build.log"
BOOK_TITLE = "From Logistic Regression to MLPs"

LESSONS = (
    "ch01_logistic_regression",
    "ch02_cross_entropy",
    "ch03_information",
    "ch04_perceptron",
    "ch05_mlp",
    "ch06_dimensions",
    "ch07_activations",
    "ch08_backprop",
    "ch09_pytorch",
)
BOOK_PAGES = (
    "book/intro",
    "book/notation",
    "book/how_to_study",
    "book/exercises/index",
    "book/instructor_guide",
    "book/references",
)
BUILD_COMMAND = ("build", ".", "-W", "-n", "--keep-going")

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Sphinx reports "path:line: WARNING: message" or "WARNING: message" (and ERROR/CRITICAL);
# the kernel's own "[IPKernelApp] WARNING | ..." banner on stderr is not a Sphinx warning.
_SPHINX_PROBLEM = re.compile(r"(?:^|: )(WARNING|ERROR|CRITICAL|SEVERE):")


def jupyter_book_executable() -> str:
    candidate = Path(sys.executable).parent / "jupyter-book"
    return str(candidate) if candidate.exists() else "jupyter-book"


@dataclass(frozen=True)
class BuildResult:
    returncode: int
    log: str
    seconds: float

    @property
    def problems(self) -> list[str]:
        """Every Sphinx warning or error line of the build log."""
        return [line for line in self.log.splitlines() if _SPHINX_PROBLEM.search(line)]

    @property
    def executed(self) -> list[str]:
        """Notebooks that were executed during the build (inline, or not from the cache)."""
        return re.findall(
            r"(\S+\.ipynb): (?:Executing notebook|Starting inline execution client)", self.log
        )


def run_build(
    root: Path = ROOT, timeout: float = 1800, path_output: Path | None = None
) -> BuildResult:
    """Run the strict build in ``root`` and return its exit code and cleaned log.

    ``path_output`` is jupyter-book's ``--path-output`` (the build lands in
    ``path_output/_build``); ``None`` builds into ``root/_build``.
    """
    extra = [] if path_output is None else ["--path-output", str(path_output)]
    start = time.perf_counter()
    proc = subprocess.run(
        [jupyter_book_executable(), *BUILD_COMMAND, *extra],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    seconds = time.perf_counter() - start
    log = _ANSI.sub("", proc.stdout + "\n" + proc.stderr)
    return BuildResult(proc.returncode, log, seconds)


@functools.cache
def build_book() -> BuildResult:
    """Build the real book once per process; the log is kept in ``_build/book-build.log``.

    A file lock serialises concurrent builds (pytest-xdist workers, a parallel
    ``make book``): the second one waits, then finds everything cached.
    """
    import fcntl

    BUILD_DIR.mkdir(exist_ok=True)
    with open(BUILD_DIR / ".book-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            result = run_build(ROOT, path_output=None if PATH_OUTPUT == ROOT else PATH_OUTPUT)
            BUILD_LOG.write_text(result.log, encoding="utf-8")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return result


def page_path(docname: str) -> Path:
    return HTML_DIR / f"{docname}.html"


def html_pages() -> list[Path]:
    return sorted(HTML_DIR.rglob("*.html"))


# --------------------------------------------------------------------------- HTML parsing
class _PageParser(HTMLParser):
    """Collects ids, asset/link references and the visible text of one page."""

    _ASSET_ATTRS: ClassVar[dict[str, tuple[str, ...]]] = {
        "script": ("src",),
        "img": ("src",),
        "iframe": ("src",),
        "source": ("src",),
        "video": ("src", "poster"),
        "audio": ("src",),
        "embed": ("src",),
        "object": ("data",),
        "input": ("src",),
        "track": ("src",),
    }

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, str]] = []  # (tag, url): every href/src
        self.assets: list[tuple[str, str]] = []  # (tag, url): things the browser fetches
        self.text_parts: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for key in ("id", "name"):
            if attributes.get(key):
                self.ids.add(attributes[key])
        for key in ("href", "src", "data", "poster"):
            value = attributes.get(key)
            if value:
                self.links.append((tag, value))
        for key in self._ASSET_ATTRS.get(tag, ()):
            if attributes.get(key):
                self.assets.append((tag, attributes[key]))
        if tag == "link" and attributes.get("href"):
            rel = (attributes.get("rel") or "").lower()
            if rel != "canonical" and rel != "alternate":
                self.assets.append(("link", attributes["href"]))
        if attributes.get("style"):
            self.styles.append(attributes["style"])
        if tag == "style":
            self._in_style = True

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)
        else:
            self.text_parts.append(data)


@functools.cache
def parse_page(path: Path) -> _PageParser:
    parser = _PageParser()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    parser.close()
    return parser


# The inline expression a lesson quotes a number with: {eval}`f"{kl_pq:.3f}"`.
EVAL_ROLE = re.compile(r"\{eval\}`([^`]+)`")


def quoted_expressions(markdown: str) -> list[str]:
    """The ``{eval}`` expressions of some lesson markdown, in order."""
    return EVAL_ROLE.findall(markdown)


def quoted_names(markdown: str) -> set[str]:
    """The variables the ``{eval}`` expressions of some lesson markdown read (parsed, so the
    ``f`` of a format spec such as ``:.3f`` is not taken for a name)."""
    return {
        node.id
        for expression in quoted_expressions(markdown)
        for node in ast.walk(ast.parse(expression, mode="eval"))
        if isinstance(node, ast.Name)
    }


def normalise(text: str) -> str:
    """Collapse all whitespace to single spaces (code in HTML is split into spans)."""
    return " ".join(html.unescape(text).split())


def page_text(path: Path) -> str:
    return normalise("".join(parse_page(path).text_parts))


def is_remote(url: str) -> bool:
    url = url.strip().lower()
    return url.startswith(("http://", "https://", "//", "ftp://", "ws://", "wss://"))


_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)|@import\s+['"]([^'"]+)""", re.IGNORECASE)


def css_remote_urls(css: str) -> list[str]:
    urls = [a or b for a, b in _CSS_URL.findall(css)]
    return [u for u in urls if is_remote(u)]


def broken_local_links(html_dir: Path = HTML_DIR) -> list[str]:
    """Every local href/src (and #fragment into a built page) that does not resolve."""
    problems = []
    for page in sorted(html_dir.rglob("*.html")):
        if "_static" in page.relative_to(html_dir).parts:
            continue  # theme templates copied verbatim, not pages
        parser = parse_page(page)
        for tag, url in parser.links:
            url = url.strip()
            if not url or is_remote(url):
                continue
            parts = urlsplit(url)
            if parts.scheme in ("mailto", "data", "javascript", "tel"):
                continue
            if parts.scheme:
                problems.append(f"{page.relative_to(html_dir)}: <{tag}> {url} (scheme)")
                continue
            target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
            if parts.path.endswith("/"):
                target = target / "index.html"
            if not target.exists():
                problems.append(f"{page.relative_to(html_dir)}: <{tag}> {url} (missing)")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = parse_page(target).ids
                if unquote(parts.fragment) not in ids:
                    problems.append(f"{page.relative_to(html_dir)}: <{tag}> {url} (no anchor)")
    return problems


# ---------------------------------------------------------------- solutions and hidden tests
_BLOCKS = (
    ("BEGIN SOLUTION", "END SOLUTION"),
    ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"),
    ("BEGIN MARK SCHEME", "END MARK SCHEME"),
)


def protected_lines(source: str) -> list[str]:
    """Lines strictly between nbgrader's BEGIN/END SOLUTION, HIDDEN TESTS or MARK SCHEME."""
    lines, inside = [], None
    for line in source.splitlines():
        marker = None
        for begin, end in _BLOCKS:
            if begin in line:
                marker = ("begin", end)
            elif end in line:
                marker = ("end", end)
        if marker and marker[0] == "begin":
            inside = marker[1]
            continue
        if marker and marker[0] == "end" and inside == marker[1]:
            inside = None
            continue
        if inside:
            lines.append(line)
    return lines


def distinctive(line: str, min_length: int = 24) -> bool:
    """A line long and specific enough that finding it in the site means a leak."""
    stripped = line.strip()
    if len(stripped) < min_length:
        return False
    if stripped.startswith(("#", "import ", "from ")) and len(stripped) < 40:
        return False
    return sum(ch.isalnum() for ch in stripped) >= 12


def notebook_sources(path: Path) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(cell.get("source", [])) for cell in nb.get("cells", [])]


def public_text(path: Path) -> str:
    """The text of a public file; for a notebook, its cell sources (not the JSON)."""
    if path.suffix == ".ipynb":
        return "\n".join(notebook_sources(path))
    return path.read_text(encoding="utf-8", errors="replace")


def unprotected_text(source: str) -> str:
    """The lines of a cell outside every protected block (what students see anyway)."""
    hidden = protected_lines(source)
    kept, skip = [], list(hidden)
    for line in source.splitlines():
        if skip and line == skip[0]:
            skip.pop(0)
            continue
        kept.append(line)
    return "\n".join(kept)


def secret_lines(solution_notebooks, public_texts=()) -> set[str]:
    """Distinctive protected lines of the solution notebooks, minus lines that are public.

    ``public_texts`` are texts that may legitimately appear in the book (lesson sources,
    the mlcourse package, the released student notebooks); the unprotected parts of the
    solution notebooks are public too. A solution line found inside public text is not a
    leak.
    """
    sources = {path: notebook_sources(path) for path in solution_notebooks}
    texts = [*public_texts, *(unprotected_text(s) for v in sources.values() for s in v)]
    public = "\n".join(normalise(line) for text in texts for line in text.splitlines())
    secrets = set()
    for cells in sources.values():
        for source in cells:
            for line in protected_lines(source):
                if distinctive(line) and normalise(line) not in public:
                    secrets.add(normalise(line))
    return secrets


def site_texts(html_dir: Path = HTML_DIR):
    """(relative path, normalised text) of every text file of the built site."""
    text_suffixes = {".html", ".txt", ".md", ".ipynb", ".py", ".json", ".js", ".csv", ".xml"}
    for path in sorted(html_dir.rglob("*")):
        if not path.is_file() or path.suffix not in text_suffixes:
            continue
        if "_static" in path.relative_to(html_dir).parts:
            continue  # theme and MathJax files, not content
        if path.suffix == ".html":
            text = page_text(path)
        else:
            raw = path.read_text(encoding="utf-8", errors="replace")
            if path.suffix == ".ipynb":
                with contextlib.suppress(ValueError):
                    raw = "\n".join(notebook_sources(path))
            text = normalise(raw)
        yield path.relative_to(html_dir).as_posix(), text


def find_leaks(secrets, html_dir: Path = HTML_DIR) -> list[str]:
    leaks = []
    for name, text in site_texts(html_dir):
        for secret in secrets:
            if secret in text:
                leaks.append(f"{name}: {secret[:80]}")
    return leaks
