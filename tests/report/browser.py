"""Open a local HTML file in Debian's headless Chromium through Playwright."""
from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import pytest

CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-default-apps", "--disable-extensions", "--metrics-recording-only",
                 "--no-default-browser-check", "--disable-domain-reliability"]


def chromium_path() -> str:
    for cand in ("/usr/bin/chromium", shutil.which("chromium") or ""):
        if cand and Path(cand).exists():
            return cand
    pytest.fail("Debian's chromium is not installed (`make browser` or `apt-get install chromium`); "
                "the browser tests never skip")


@contextlib.contextmanager
def open_page(path: Path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 800})
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto(path.resolve().as_uri())
            page.wait_for_selector("body[data-ready='1']", timeout=15000)
            yield page, errors, requests
        finally:
            browser.close()
