"""Browser fixtures: Debian's Chromium through Playwright, the tour bundle built from web/src, and small
demo panoramas rendered for the pingnan hall once per session."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright import sync_api as playwright_api

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
HALL = "pingnan"
# Console messages that are the GPU driver's, not ours.
NOISE = ("GL Driver Message", "GPU stall", "Performance", "WebGL")


@pytest.fixture(scope="session")
def panoramas(app) -> None:
    """Small rendered panoramas for every scene of the pingnan hall (≈15 s, once)."""
    result = app.test_cli_runner().invoke(args=["panorama", "render-demo", HALL, "--width", "2048"])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="session")
def guigang_panoramas(app) -> None:
    """Small panoramas for every scene of the two-floor hall too (≈30 s, once; for journeys and floors)."""
    result = app.test_cli_runner().invoke(args=["panorama", "render-demo", "guigang", "--width", "2048"])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="session")
def browser() -> Iterator:
    assert Path(CHROMIUM).exists(), "Debian's Chromium is missing: bash scripts/test installs it"
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield CspTolerant(browser)
        browser.close()


class CspTolerant:
    """The browser, whose new contexts bypass the pages' Content-Security-Policy unless told otherwise:
    Playwright polls a ``wait_for_function`` expression through eval, which the policy (rightly) refuses.
    tests/browser/test_security.py runs with the policy (``bypass_csp=False``)."""

    def __init__(self, browser) -> None:
        self._browser = browser

    def new_context(self, **options):
        return self._browser.new_context(**{"bypass_csp": True, **options})

    def __getattr__(self, name: str):
        return getattr(self._browser, name)


class Tab:
    """A fresh browser page on the live server that records console errors."""

    def __init__(self, page, base: str) -> None:
        self.page = page
        self.base = base
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))

    def _console(self, message) -> None:
        if message.type == "error" and not any(word in message.text for word in NOISE):
            self.errors.append(message.text)

    def goto(self, path: str):
        return self.page.goto(self.base + path)

    def tour(self, query: str = "") -> None:
        """Open the pingnan tour and wait until the preview and the visible tiles are in."""
        self.goto(f"/hall/{HALL}{query}")
        self.page.wait_for_selector("body[data-tour='ready']")
        self.page.wait_for_selector("#viewer[data-panorama='preview'][data-tiles='loaded']", timeout=20000)


@contextmanager
def open_tab(browser, base: str, **options) -> Iterator[Tab]:
    """A fresh browser context (desktop 1280×720, zh-CN unless *options* say otherwise) with one Tab; closed after."""
    context = browser.new_context(
        **{"viewport": {"width": 1280, "height": 720}, "locale": "zh-CN", **options}
    )
    page = context.new_page()
    page.set_default_timeout(10000)
    try:
        yield Tab(page, base)
    finally:
        context.close()


@pytest.fixture
def tab(browser, live_server, panoramas, built_web) -> Iterator[Tab]:
    with open_tab(browser, live_server) as opened:
        yield opened


def open_kiosk(page, url: str) -> None:
    """Open the kiosk page and wait until its service worker keeps the version the page shows: were the page
    older than the version published now (a test before this one changed data), the page reloads once, and a
    reload in the middle of this test would lose the state it checks."""
    page.goto(url, timeout=60000)  # a page load: slow on a busy machine (other processes using the CPU)
    page.wait_for_selector("body[data-offline='ready']", timeout=60000)
    page.wait_for_selector("body[data-kiosk='ready'][data-tour='ready']")


def sign_in_page(tab: Tab, name: str, path: str | None = None) -> None:
    """Sign *name* in on the staff sign-in page with the tests' password (Enter in the password field), then
    open *path* if given."""
    from tests.staff import PASSWORD

    tab.goto("/admin/login")
    tab.page.fill("#username", name)
    tab.page.fill("#password", PASSWORD)
    with tab.page.expect_navigation():
        tab.page.press("#password", "Enter")
    if path:
        tab.goto(path)
