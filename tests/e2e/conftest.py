"""Fixtures of the browser tests: the real server, and Debian's Chromium driven by Playwright.

Chromium is ``/usr/bin/chromium`` from Debian (``make test`` installs it on
first use); Playwright's own browser downloads are never used.  Every request
that does not go to the test server (map tiles) is aborted, so the maps are
tested as they work offline, and nothing leaves the machine.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]
HERE = Path(__file__).resolve().parent
SCREENSHOTS = HERE / "screenshots"

#: Collects uncaught errors of every frame (the maps live in iframes) on the top window.
ERROR_HOOK = """
window.addEventListener("error", function (e) {
  try { (window.top.__pageErrors = window.top.__pageErrors || []).push(String(e.message || e)); } catch (x) {}
});
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    """``routeplanner serve`` (waitress, the real solve runner) on a free localhost port and a
    fresh SQLite database with the sample scenario; its base URL."""
    port = _free_port()
    log = open(tmp_path / "server.log", "w")
    env = dict(
        os.environ,
        ROUTEPLANNER_DATABASE_URL=f"sqlite:///{tmp_path / 'e2e.sqlite'}",
        ROUTEPLANNER_LOAD_SAMPLE="1",
        ROUTEPLANNER_SECRET_KEY="browser-tests",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "routeplanner", "serve", "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=str(tmp_path),
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(base + "/", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("the server did not start:\n" + (tmp_path / "server.log").read_text())
        time.sleep(0.2)
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()


@pytest.fixture(scope="module")
def chromium():
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing: run `make browser` (make test does it on first use)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Tab:
    """A page plus everything that went wrong in it."""

    def __init__(self, page, base: str):
        self.page = page
        self.base = base
        self.errors: list[str] = []
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on("console", self._console)

    def _console(self, message) -> None:
        if message.type != "error":
            return
        url = (message.location or {}).get("url", "")
        if "Failed to load resource" in message.text and url and not url.startswith(self.base):
            return  # map tiles, aborted on purpose: the maps must work offline
        self.errors.append(f"console: {message.text} ({url})")

    def all_errors(self) -> list[str]:
        return self.errors + self.page.evaluate("window.__pageErrors || []")

    def shot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def tab(chromium, server):
    def make(width: int = 1280, height: int = 900, **options) -> Tab:
        context = chromium.new_context(viewport={"width": width, "height": height}, **options)
        context.add_init_script(ERROR_HOOK)

        def route(r):
            if r.request.url.startswith(server):
                r.continue_()
            else:
                r.abort()  # map tiles and anything else outside: offline, as in CI

        context.route("**/*", route)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        return Tab(page, server)

    contexts: list = []
    yield make
    for c in contexts:
        c.close()
