"""The kiosk without a network (issue 14 §4, §6), in real Chromium with its service worker, against this
test's own server (stopped and started again on the same port; the shared session server is not touched):
after the first load the kiosk keeps its version; with the server gone a reload still shows the hall (tiles
drawn, search over the cached document); a newly published version is picked up whole once the server is
back; the heartbeat reaches staff (API and page); the public tour registers no service worker."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from server.db import bump_revision
from server.models import Counter, Hall, Kiosk
from tests.conftest import make_app
from tests.staff import PASSWORD, sign_in

pytestmark = pytest.mark.browser

KIOSK_PAGE = "/kiosk/pingnan?id=pn-entrance-1"


class Server:
    """The app on one loopback port that stays the same across stop() and start() (a service worker is bound
    to its origin)."""

    def __init__(self, app) -> None:
        self.app, self.port, self.server = app, 0, None

    def start(self) -> None:
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def own(tmp_path_factory, built_web) -> Iterator[Server]:
    app = make_app(tmp_path_factory.mktemp("offline"), models=True, KIOSK_HEARTBEAT_SECONDS=2)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["panorama", "render-demo", "pingnan", "--width", "2048"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=["user", "create", "looker", "--role", "viewer", "--password-stdin"], input=PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    server = Server(app)
    server.start()
    yield server
    server.stop()


def _shown(page) -> dict:
    return page.evaluate(
        "() => ({version: JSON.parse(document.getElementById('kiosk-data').textContent).version,"
        " status: JSON.parse(document.getElementById('hall-data').textContent)"
        ".counters.find((c) => c.number === 'A01').status})"
    )


def _ready(page) -> None:
    page.wait_for_selector("body[data-kiosk='ready'][data-tour='ready']")
    page.wait_for_selector("#viewer[data-tiles='loaded']", timeout=30000)
    page.wait_for_function("() => document.querySelector('#viewer canvas') !== null")


def test_the_kiosk_works_offline_and_switches_to_a_new_version_whole(browser, own):
    app = own.app
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN", has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(own.base + KIOSK_PAGE)
    _ready(page)
    page.wait_for_selector("body[data-offline='ready']", timeout=60000)  # the whole version is kept
    first = _shown(page)
    assert first["status"] == "open"
    assert page.evaluate("navigator.serviceWorker.controller?.scriptURL").endswith("/static/web/kiosk-sw.js")

    # The heartbeat reached the server; staff see the kiosk online with the version it shows.
    with app.app_context():
        session = app.extensions["db"]()
        kiosk = session.scalar(select(Kiosk).where(Kiosk.code == "pn-entrance-1"))
        assert kiosk.heartbeat_at is not None and kiosk.heartbeat_version == first["version"]
        assert kiosk.heartbeat_uptime is not None
        session.close()
    staff = app.test_client()
    sign_in(staff, "looker")
    row = next(
        k for k in staff.get("/api/v1/admin/kiosks").get_json()["kiosks"] if k["id"] == "pn-entrance-1"
    )
    assert row["online"] is True and row["heartbeat"]["version"] == first["version"]
    html = staff.get("/admin/kiosks").get_data(as_text=True)
    cells = html[html.index('data-kiosk="pn-entrance-1"') :]
    assert 'data-online="true">在线' in cells[: cells.index("</tr>")]

    # Server gone: a reload still shows the hall, tiles drawn, and the search answers from the cached document.
    own.stop()
    tiles_from_worker: list[str] = []
    page.on(
        "response",
        lambda r: (
            tiles_from_worker.append(r.url) if "/panoramas/" in r.url and r.from_service_worker else None
        ),
    )
    page.reload()
    _ready(page)
    assert _shown(page) == first
    stats = page.evaluate("() => window.__tour.tiles.stats")
    assert stats["loaded"] > 0 and stats["failed"] == 0, stats
    assert tiles_from_worker, "no tile came from the service worker"
    page.fill("#search-input", "导办台")
    page.wait_for_selector("#search-results .counter-chip[data-counter='A01']")
    page.fill("#search-input", "")
    # Services too, typed on the on-screen keyboard as pinyin initials and pinyin: the version's search index
    # (pinyin worked out on the server) answers as the search does online.
    page.click("[data-pick='keyboard']")
    for query, service in (("yyzz", "scjg-qykb"), ("shebao", "rs-sbksl")):
        page.click(".kiosk-key[data-key='clear']")
        for key in query:
            page.click(f".kiosk-key[data-key='{key}']")
        page.wait_for_selector(f"#search-results .result-service[data-service='{service}']")
        assert page.locator("#search-results .result-service").count() >= 1
    page.click(".kiosk-key[data-key='clear']")
    for key in "a01":
        page.click(f".kiosk-key[data-key='{key}']")
    page.wait_for_selector("#search-results .counter-chip[data-counter='A01']")
    page.click(".kiosk-key[data-key='clear']")
    page.wait_for_selector("#minimap .mm-here")  # the floor plan, from the cache
    page.click("#toggle-3d")
    page.wait_for_selector("#dollhouse[data-state='ready']", timeout=30000)  # the model, from the cache

    # A new version published while the kiosk was cut off: once the server is back, the kiosk fetches the
    # new set whole, then reloads once into it.
    with app.app_context():
        session = app.extensions["db"]()
        hall = session.scalar(select(Hall).where(Hall.slug == "pingnan"))
        counter = session.scalar(select(Counter).where(Counter.hall_id == hall.id, Counter.number == "A01"))
        counter.status = "paused"
        new_version = bump_revision(session)
        session.commit()
        session.close()
    own.start()
    page.wait_for_function(
        f"() => JSON.parse(document.getElementById('kiosk-data').textContent).version === '{new_version}'",
        timeout=60000,
    )
    _ready(page)
    assert _shown(page) == {"version": new_version, "status": "paused"}
    assert errors == []
    context.close()


def test_the_public_tour_registers_no_service_worker(browser, own):
    context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="zh-CN")
    page = context.new_page()
    page.goto(own.base + "/hall/pingnan")
    page.wait_for_selector("body[data-tour='ready']")
    assert page.evaluate("navigator.serviceWorker.getRegistrations().then((r) => r.length)") == 0
    assert page.evaluate("navigator.serviceWorker.controller") is None
    context.close()
