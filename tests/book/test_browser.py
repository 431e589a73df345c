"""The built book in a real browser: Debian's headless Chromium driven by Playwright.

The site is served from ``_build/html`` by a local ``http.server`` on 127.0.0.1. Every
request to any other host is blocked and counted as a failure, so the test also proves
that the book works offline. For every chapter page it asserts that the math is typeset
by MathJax, every image has loaded, no JavaScript error was logged, and the page has its
title and figures, and that the practice answers of a chapter start hidden; a screenshot
of each page goes to ``_build/screenshots/``.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .book_helpers import BOOK_PAGES, BOOK_TITLE, BUILD_DIR, HTML_DIR, LESSONS, build_book

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = BUILD_DIR / "screenshots"

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


def _visit(browser, base_url: str, docname: str):
    """Open one page; return (page, report) with console errors and blocked requests."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
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


def _check_page(browser, base_url: str, docname: str, *, needs_math: bool, needs_figure: bool):
    context, page, report = _visit(browser, base_url, docname)
    try:
        mathjax = page.evaluate(_WAIT_FOR_MATHJAX_JS)
        assert mathjax != "failed", f"{docname}: MathJax is included but did not start"
        if needs_math:
            assert mathjax == "typeset", f"{docname}: MathJax is not loaded on the page"
        images = page.evaluate(_WAIT_FOR_IMAGES_JS)
        page.wait_for_load_state("networkidle")
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
