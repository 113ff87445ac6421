"""The viewer's plugin contract in real Chromium: a plugin set composed without the tour (plugin_page.js),
SCENE_CHANGE from the viewer, plugins removed with their DOM and listeners, centre-first tile requests, queued
requests dropped when they leave the view, and a preview that 404s."""

from __future__ import annotations

import io
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from .conftest import Tab

pytestmark = pytest.mark.browser

HERE = Path(__file__).resolve().parent
WEB = HERE.parents[1] / "web"
PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><link rel="icon" href="data:,">
<style>html, body { margin: 0; height: 100%; background: #000; } #viewer { position: relative; width: 100vw; height: 100vh; }
.hotspots button { position: absolute; left: 0; top: 0; } #minimap { position: absolute; right: 0; top: 0; width: 200px; }</style>
</head><body><section id="viewer" tabindex="0"><div id="hotspots"></div>
<div id="route-bar" hidden><span class="route-label"></span><span class="route-next"></span>
<button type="button" id="end-route">end</button></div></section>
<section id="minimap" hidden></section><script type="module" src="page.js"></script></body></html>"""
TILE = re.compile(r"/(\d+)/([frblud])(\d+)_(\d+)\.\w+$")
SETTLED = "after => Number(document.querySelector('#viewer').dataset.frame) > after && !window.__viewer.renderPending"


@pytest.fixture(scope="session")
def plugin_page_js(tmp_path_factory, generated_vocabulary) -> Path:
    """plugin_page.js bundled with the viewer and plugins from web/src (esbuild, about a second)."""
    out = tmp_path_factory.mktemp("plugin-page") / "page.js"
    build = (
        "require(process.argv[1]).build({ entryPoints: [process.argv[2]], outfile: process.argv[3], bundle: true,"
        " format: 'esm', nodePaths: [process.argv[4]], logLevel: 'error' }).catch(() => process.exit(1))"
    )
    esbuild = WEB / "node_modules" / "esbuild"
    assert esbuild.exists(), "esbuild is missing: npm ci in web/ (bash scripts/test) installs it"
    subprocess.run(
        [
            "node",
            "-e",
            build,
            str(esbuild),
            str(HERE / "plugin_page.js"),
            str(out),
            str(WEB / "node_modules"),
        ],
        check=True,
    )
    return out


@pytest.fixture
def page_tab(browser, live_server, panoramas, plugin_page_js) -> Iterator[Tab]:
    context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    # The composed page lives on the live server's origin (same-origin API and tiles), served by the test.
    home = f"{live_server}/__plugins/"
    page.route(
        lambda url: url.startswith(home) and not url.startswith(home + "page.js"),
        lambda route: route.fulfill(body=PAGE, content_type="text/html"),
    )
    page.route(
        home + "page.js", lambda route: route.fulfill(path=plugin_page_js, content_type="text/javascript")
    )
    yield Tab(page, live_server)
    context.close()


def frame(page) -> int:
    return int(page.locator("#viewer").get_attribute("data-frame") or 0)


def settle(page, before: int) -> None:
    page.wait_for_function(SETTLED, arg=before)


def tiles_in(page) -> None:
    page.wait_for_function(
        "(v => v.dataset.tiles === 'loaded' && window.__viewer.getPlugin('tiles').stats.pending === 0)"
        "(document.querySelector('#viewer'))",
        timeout=20000,
    )


def top_tiles(requested: list[str], top: int) -> list[tuple[str, int, int]]:
    """(face, row, col) of the requests at level *top*, in request order."""
    out = []
    for url in requested:
        m = TILE.search(url)
        if m and int(m.group(1)) == top:
            out.append((m.group(2), int(m.group(3)), int(m.group(4))))
    return out


def test_a_plugin_set_composed_without_the_tour(page_tab):
    page = page_tab.page
    page_tab.goto("/__plugins/?hold=1")
    page.wait_for_selector("body[data-ready='yes']")
    assert page.evaluate("typeof window.__tour") == "undefined"
    stats = "window.__viewer.getPlugin('tiles').stats"

    # Centre first: the view looks at yaw 90 (face r's centre). Face order would ask for f (partly in view at
    # 36.5°–45°) before r; nearest-the-centre asks first for the r tile holding the face's centre pixel.
    page.wait_for_function(f"{stats}.inFlight === 6 && window.__held.length === 6")
    top, size, step = page.evaluate(
        "(t => [t.sizes.length, t.sizes[t.sizes.length - 1], t.tiles.tileResolution])(window.__viewer.getPlugin('tiles'))"
    )
    across = -(-size // step)
    centre = (size // 2) // step  # row and column of the face's centre pixel
    before_turn = top_tiles(page.evaluate("window.__requested"), top)
    assert before_turn and before_turn[0] == ("r", centre, centre), before_turn
    queued = page.evaluate(f"{stats}.pending") - 6
    assert queued > 0  # more wanted than may run at once: the rest wait in the queue

    # Turning to yaw −90 (face l; r is wholly behind) drops r's queued tiles before they are asked for.
    before = frame(page)
    page.evaluate("window.__viewer.setView({ yaw: -90 })")
    settle(page, before)
    dropped = page.evaluate(f"{stats}.dropped")
    r_before = [t for t in before_turn if t[0] == "r"]
    assert len(r_before) < across * across  # r was wholly in view, but not all its tiles had started
    assert dropped >= across * across - len(r_before), (dropped, before_turn)
    assert page.evaluate("document.querySelector('#viewer').dataset.tiles") == "loading"
    page.evaluate("window.__release()")
    tiles_in(page)
    after_turn = top_tiles(page.evaluate("window.__requested"), top)[len(before_turn) :]
    assert after_turn and not any(t[0] == "r" for t in after_turn), after_turn
    assert after_turn[0][0] == "l", after_turn  # the new centre first
    final = page.evaluate(f"({{ ...{stats} }})")
    assert final["failed"] == 0 and final["pending"] == 0 and final["inFlight"] == 0, final

    # SCENE_CHANGE comes from the viewer, with the scene, on every change (not for the same scene again);
    # the hotspots, route guide, minimap and tiles follow it without anyone calling them.
    page.evaluate("window.__viewer.setScene(window.__hall.scenes.find((s) => s.id === 'hall-centre'))")
    page.evaluate("window.__viewer.setScene(window.__viewer.getScene())")
    tiles_in(page)
    assert page.evaluate("window.__sceneChanges") == [["entrance", None], ["hall-centre", "entrance"]]
    targets = set(
        page.eval_on_selector_all("#hotspots button[data-target]", "bs => bs.map((b) => b.dataset.target)")
    )
    spots = set(
        page.evaluate(
            "window.__hall.scenes.find((s) => s.id === 'hall-centre').hotspots.map((h) => h.target)"
        )
    )
    assert "scene:entrance" in targets and targets <= spots, (targets, spots)
    assert page.evaluate("document.querySelector('#viewer').dataset.panorama") == "preview"
    assert page.evaluate("window.__viewer.getPlugin('tiles').tiles.basePath").split("/")[3] == "hall-centre"

    # A preview that 404s: said in data-preview, and the fallback faces make the view anyway.
    page.route("**/east/**/preview.jpg", lambda route: route.fulfill(status=404, body="gone"))
    page.evaluate("window.__viewer.setScene(window.__hall.scenes.find((s) => s.id === 'east'))")
    page.wait_for_selector("#viewer[data-preview='failed']", timeout=20000)  # after its two retries
    tiles_in(page)
    assert page.evaluate("window.__sceneChanges")[-1] == ["east", "hall-centre"]
    assert page.evaluate("document.querySelector('#viewer').dataset.panorama") != "preview"
    assert page.evaluate(f"{stats}.fallback") >= 1
    before = frame(page)
    page.evaluate("window.__viewer.requestRender()")
    settle(page, before)
    pixels = np.asarray(
        Image.open(io.BytesIO(page.locator("#viewer canvas").screenshot())).convert("L"), dtype=np.float64
    )
    assert (pixels < 8).mean() < 0.01, "black where the preview should be"
    assert pixels.std() > 20

    # Plugins by id; removing one removes its buttons and listeners, and it no longer follows scene changes.
    assert page.evaluate("window.__viewer.getPlugin('hotspots').id") == "hotspots"
    assert page.evaluate("window.__viewer.getPlugin('nothing')") is None
    assert "already in use" in page.evaluate(
        "(() => { try { window.__viewer.use(new window.__HotspotsPlugin({ layer: document.body, hall: window.__hall })); }"
        " catch (e) { return e.message; } })()"
    )
    with_hotspots = page.evaluate("window.__listeners()")
    assert page.locator("#hotspots button").count() > 0
    assert page.evaluate("window.__viewer.removePlugin('hotspots')") is True
    assert page.evaluate("window.__viewer.getPlugin('hotspots')") is None
    assert page.locator("#hotspots button").count() == 0
    without = page.evaluate("window.__listeners()")
    assert without < with_hotspots
    page.evaluate("window.__viewer.setScene(window.__hall.scenes.find((s) => s.id === 'entrance'))")
    tiles_in(page)
    assert page.locator("#hotspots button").count() == 0
    page.evaluate(
        "window.__viewer.use(new window.__HotspotsPlugin({ layer: document.querySelector('#hotspots'), hall: window.__hall }))"
    )
    assert (
        page.locator("#hotspots button[data-target='scene:hall-centre']").count() == 1
    )  # the current scene's
    assert page.evaluate("window.__listeners()") == with_hotspots

    # destroy(): every plugin, last first; what they added to the page and every listener they made are gone.
    page.evaluate("window.__viewer.destroy()")
    # left: only the page's own SCENE_CHANGE recorder (the renderer's canvas listeners went with the renderer)
    assert page.evaluate("window.__listenerList()") == ["Viewer#.:scenechange"]
    assert page.locator("#viewer canvas").count() == 0
    assert page.locator("#hotspots *, #minimap *").count() == 0
    assert page.evaluate("window.__viewer.plugins.size") == 0
    errors = [e for e in page_tab.errors if "Failed to load resource" not in e]
    assert errors == []
