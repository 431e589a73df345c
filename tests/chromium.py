"""Headless Chromium as every browser test launches it (Debian's build, no network calls)."""

import contextlib
from pathlib import Path

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


@contextlib.contextmanager
def launched():
    """Debian's Chromium, headless, under playwright; a missing browser fails, never skips."""
    import playwright.sync_api as playwright_api

    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: apt-get install chromium"
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
