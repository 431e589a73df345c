"""The built book in a real browser: Debian's headless Chromium driven by Playwright.

The site is served from ``_build/html`` by a local ``http.server`` on 127.0.0.1. Every
request to any other host is blocked and counted as a failure, so the test also proves
that the book works offline. For every chapter page it asserts that the math is typeset
by MathJax, every image has loaded, no JavaScript error was logged, and the page has its
title and figures, and that the practice answers of a chapter start hidden; a screenshot
of each page goes to ``_build/screenshots/``.

Every page is also read at two widths, a desktop (1280 CSS px) and a phone (390 CSS px,
the width of a common phone held upright): the page must not scroll sideways, no display
equation may be wider than its box (a cut-off equation is unreadable on a phone, where
nobody finds the hidden scroll bar), and the smallest text of every figure must be at
least ``MIN_FIGURE_TEXT_PX`` CSS pixels high. A figure's text height on screen is
computed, not guessed: the lessons record in each PNG the smallest font size the figure
contains (a ``Min-Font-Pt`` text chunk, written by the figure setup cell of each lesson)
and its resolution (the PNG's ``pHYs`` dpi), so

    height on screen = font size (pt) * dpi / 72 * displayed width / natural width.

A figure without the metadata fails, because its text size cannot be known. Screenshots
of the phone view go to ``_build/screenshots/<page>__390.png``.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import http.server
import io
import shutil
import threading
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from ..chromium import CHROMIUM, CHROMIUM_ARGS
from .book_helpers import BOOK_PAGES, BOOK_TITLE, BUILD_DIR, HTML_DIR, LESSONS, build_book

pytestmark = pytest.mark.browser

SCREENSHOTS = BUILD_DIR / "screenshots"
DESKTOP, PHONE = 1280, 390
# The smallest text of a figure, in CSS pixels: about 9 px is where text stops being
# readable without zooming.
MIN_FIGURE_TEXT_PX = 9.0

# Text outside code, with typeset math removed, must not contain TeX delimiters.
_VISIBLE_TEXT_JS = """
() => {
  const root = (document.querySelector('main') || document.body).cloneNode(true);
  root.querySelectorAll('pre, code, script, style, mjx-container, .highlight, .output')
      .forEach((el) => el.remove());
  return root.innerText;
}
"""

_WAIT_FOR_IMAGES_JS = """
async () => {
  const images = Array.from(document.images);
  images.forEach((img) => { img.loading = 'eager'; });
  await Promise.all(images.map((img) => img.complete ? null : new Promise((resolve) => {
    img.addEventListener('load', resolve, { once: true });
    img.addEventListener('error', resolve, { once: true });
  })));
  return images.map((img) => ({ src: img.getAttribute('src'), width: img.naturalWidth }));
}
"""

_WAIT_FOR_MATHJAX_JS = """
async () => {
  const scripts = Array.from(document.scripts).map((s) => s.getAttribute('src') || '');
  if (!scripts.some((src) => src.includes('mathjax'))) { return 'absent'; }
  for (let i = 0; i < 200 && !(window.MathJax && window.MathJax.startup
        && window.MathJax.startup.promise); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (!(window.MathJax && window.MathJax.startup)) { return 'failed'; }
  await window.MathJax.startup.promise;
  return 'typeset';
}
"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def site():
    """Build the book (once per session) and serve it on 127.0.0.1; yields the base URL."""
    result = build_book()
    if not (HTML_DIR / "index.html").exists():
        pytest.fail("the book did not build:\n" + result.log[-3000:])
    handler = functools.partial(_QuietHandler, directory=str(HTML_DIR))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (apt-get)")
    from playwright import sync_api

    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module", autouse=True)
def _fresh_screenshots():
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)


def _visit(browser, base_url: str, docname: str, width: int = DESKTOP):
    """Open one page; return (page, report) with console errors and blocked requests."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    report = {"console": [], "page": [], "blocked": [], "failed": []}
    local_host = urlsplit(base_url).netloc

    def route(request_route):
        parts = urlsplit(request_route.request.url)
        if parts.scheme in ("http", "https") and parts.netloc != local_host:
            report["blocked"].append(request_route.request.url)
            request_route.abort()
        else:
            request_route.continue_()

    page.route("**/*", route)
    page.on(
        "console",
        lambda msg: report["console"].append(msg.text) if msg.type == "error" else None,
    )
    page.on("pageerror", lambda error: report["page"].append(str(error)))
    page.on(
        "requestfailed",
        lambda request: (
            report["failed"].append(request.url)
            if urlsplit(request.url).netloc == local_host
            else None
        ),
    )
    response = page.goto(f"{base_url}/{docname}.html", wait_until="load")
    assert response is not None and response.ok, f"{docname}: HTTP {response and response.status}"
    return context, page, report


def _settle(page, timeout_ms: int = 60_000) -> None:
    """Wait until the page makes no more requests, so that late failures are recorded.

    On a loaded machine one local request (a MathJax font, seen in CI) can stay pending
    for minutes in the test server although the page is complete; the checks below do not
    depend on it (images and MathJax are awaited explicitly, and every request that failed
    is still reported), so a page that does not go idle within the timeout is checked as
    it is.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_load_state("networkidle", timeout=timeout_ms)


def _check_page(browser, base_url: str, docname: str, *, needs_math: bool, needs_figure: bool):
    context, page, report = _visit(browser, base_url, docname)
    try:
        mathjax = page.evaluate(_WAIT_FOR_MATHJAX_JS)
        assert mathjax != "failed", f"{docname}: MathJax is included but did not start"
        if needs_math:
            assert mathjax == "typeset", f"{docname}: MathJax is not loaded on the page"
        images = page.evaluate(_WAIT_FOR_IMAGES_JS)
        _settle(page)
        math_count = page.locator("mjx-container").count()
        visible = page.evaluate(_VISIBLE_TEXT_JS)
        title = page.title()
        h1 = page.locator("main h1").first.inner_text() if page.locator("main h1").count() else ""
        figures = page.locator("main img").count()
        toggles = page.locator("main details.dropdown, main .toggle-hidden").count()
        open_toggles = page.locator("main details.dropdown[open]").count()
        page.screenshot(
            path=str(SCREENSHOTS / f"{docname.replace('/', '__')}.png"), full_page=True
        )
    finally:
        context.close()

    assert BOOK_TITLE in title and h1.strip(), f"{docname}: title {title!r}, h1 {h1!r}"
    assert h1.strip().rstrip("#").strip() in title, f"{docname}: <title> lacks the heading"
    if needs_math:
        assert math_count > 0, f"{docname}: no MathJax output (mjx-container) on the page"
    assert "$$" not in visible, f"{docname}: raw $$ left in the visible text"
    for delimiter in ("\\(", "\\[", "\\begin{"):
        assert delimiter not in visible, f"{docname}: untypeset {delimiter} in the visible text"
    broken = [img["src"] for img in images if not img["width"]]
    assert not broken, f"{docname}: images that did not load: {broken}"
    if needs_figure:
        assert figures > 0, f"{docname}: a chapter page shows at least one figure"
        # Practice answers sit behind toggles that start closed.
        assert toggles > 0, f"{docname}: no hidden practice answers found"
        assert open_toggles == 0, f"{docname}: {open_toggles} answer toggles start open"
    assert not report["blocked"], f"{docname}: requests to remote hosts: {report['blocked']}"
    assert not report["failed"], f"{docname}: failed local requests: {report['failed']}"
    assert not report["page"], f"{docname}: uncaught JavaScript errors: {report['page']}"
    assert not report["console"], f"{docname}: console errors: {report['console']}"


@pytest.mark.parametrize("name", LESSONS)
def test_chapter_page_in_chromium(site, browser, name):
    _check_page(browser, site, f"lessons/{name}", needs_math=True, needs_figure=True)


@pytest.mark.parametrize("docname", BOOK_PAGES)
def test_book_page_in_chromium(site, browser, docname):
    needs_math = docname in ("book/notation", "book/intro")
    _check_page(browser, site, docname, needs_math=needs_math, needs_figure=False)


# ------------------------------------------------------------------ desktop and phone widths
_LAYOUT_JS = """
async () => {
  if (window.MathJax && window.MathJax.startup && window.MathJax.startup.promise) {
    await window.MathJax.startup.promise;
  }
  const root = document.documentElement;
  const width = root.clientWidth;
  const describe = (el) => {
    const text = (el.textContent || '').replace(/\\s+/g, ' ').trim().slice(0, 70);
    return `<${el.tagName.toLowerCase()} class="${el.className}"> "${text}"`;
  };
  const scrolls = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const overflow = getComputedStyle(a).overflowX;
      if (overflow !== 'visible') { return true; }
    }
    return false;
  };
  // What sticks out of the page: leaf elements past the right edge that no scrolling or
  // clipping box (a code cell, a table wrapper, MathJax's hidden speech copy) contains.
  const sticking = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.children.length || !el.getClientRects().length) { continue; }
    const box = el.getBoundingClientRect();
    if (box.right > width + 1 && box.width > 0 && !scrolls(el)) {
      sticking.push(`${describe(el)} ends at ${Math.round(box.right)} px`);
    }
  }
  const equations = [];
  for (const m of document.querySelectorAll('mjx-container[display="true"]')) {
    const box = m.getBoundingClientRect();
    const parent = m.parentElement.getBoundingClientRect();
    if (m.scrollWidth > m.clientWidth + 1 || box.right > parent.right + 1) {
      const tex = (m.parentElement.textContent || '').replace(/\\s+/g, ' ').trim();
      const size = `${m.scrollWidth} px wide in a ${m.clientWidth} px box`;
      equations.push(`${size}: "${tex.slice(0, 60)}"`);
    }
  }
  const column = document.querySelector('main article') || document.querySelector('main');
  const columnWidth = column.getBoundingClientRect().width;
  const images = Array.from(document.querySelectorAll('main img')).map((img) => ({
    src: img.currentSrc || img.src,
    natural: img.naturalWidth,
    shown: img.getBoundingClientRect().width,
  }));
  return {width, scrollWidth: root.scrollWidth, sticking, equations, columnWidth, images};
}
"""


def _png_text_metadata(data: bytes) -> tuple[float | None, float | None]:
    """(Min-Font-Pt, dpi) recorded in a PNG, either None when absent."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        if image.format != "PNG":
            return None, None
        font = image.info.get("Min-Font-Pt")
        dpi = image.info.get("dpi")
    return (float(font) if font else None), (float(dpi[0]) if dpi else None)


def _image_bytes(src: str, page_url: str) -> bytes | None:
    """The bytes of an image: a data: URI, or a file of the built site."""
    if src.startswith("data:"):
        header, _, payload = src.partition(",")
        return base64.b64decode(payload) if header.endswith(";base64") else None
    path = urlsplit(urljoin(page_url, src)).path
    file = HTML_DIR / unquote(path).lstrip("/")
    return file.read_bytes() if file.is_file() else None


def figure_text_problems(images, column_width: float, page_url: str) -> list[str]:
    """Figures whose smallest text is below MIN_FIGURE_TEXT_PX CSS pixels on screen.

    An image inside a closed toggle has no size on screen; it would be shown at its natural
    width or the column width, whichever is smaller.
    """
    problems = []
    for image in images:
        name = image["src"][:60] + ("..." if len(image["src"]) > 60 else "")
        data = _image_bytes(image["src"], page_url)
        if data is None:
            problems.append(f"{name}: image not found")
            continue
        font_pt, dpi = _png_text_metadata(data)
        if font_pt is None or dpi is None:
            problems.append(f"{name}: no Min-Font-Pt/dpi metadata, text size unknown")
            continue
        if font_pt == 0:
            continue  # a figure without any text
        shown = image["shown"] or min(image["natural"], column_width)
        height = font_pt * dpi / 72 * shown / image["natural"]
        if height < MIN_FIGURE_TEXT_PX:
            problems.append(
                f"{name}: smallest text {height:.1f} CSS px ({font_pt:g} pt at {dpi:g} dpi, "
                f"{image['natural']} px wide shown at {shown:.0f} px)"
            )
    return problems


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
@pytest.mark.parametrize("docname", [f"lessons/{name}" for name in LESSONS] + list(BOOK_PAGES))
def test_page_reads_at_desktop_and_phone_width(site, browser, docname, width):
    """No sideways scrolling, no cut-off display equation, figure text of 9 px or more."""
    context, page, _ = _visit(browser, site, docname, width=width)
    try:
        page.evaluate(_WAIT_FOR_IMAGES_JS)  # every image loaded (and MathJax, below)
        layout = page.evaluate(_LAYOUT_JS)
        page_url = page.url
        if width == PHONE:
            page.screenshot(
                path=str(SCREENSHOTS / f"{docname.replace('/', '__')}__{width}.png"),
                full_page=True,
            )
    finally:
        context.close()
    problems = []
    if layout["scrollWidth"] > layout["width"] + 1:
        problems.append(
            f"the page scrolls sideways: {layout['scrollWidth']} px wide in a "
            f"{layout['width']} px viewport"
        )
        problems += [f"  sticks out: {item}" for item in layout["sticking"][:10]]
    problems += [f"display equation cut off: {item}" for item in layout["equations"]]
    problems += [
        f"figure text too small: {item}"
        for item in figure_text_problems(layout["images"], layout["columnWidth"], page_url)
    ]
    assert not problems, f"{docname} at {width} px:\n" + "\n".join(problems)
