"""The minimap and the 3D hall (dollhouse) in real Chromium, against the pingnan demo hall."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.browser

CONE = "#minimap .mm-cone"


def cone_bearing(tab) -> float:
    return float(tab.page.locator(CONE).get_attribute("data-bearing"))


def test_minimap_shows_the_plan_position_and_a_cone_that_turns(tab, tmp_path):
    tab.tour()
    minimap = tab.page.locator("#minimap")
    assert minimap.get_attribute("aria-label") == "小地图"  # in the page's language (English: Minimap)
    assert tab.page.locator("#minimap-title").inner_text() == "小地图"
    tab.page.wait_for_selector("#minimap svg.mm-plan[data-plan-bounds] .mm-dot")
    assert tab.page.locator("#minimap svg .counter").count() >= 10
    assert cone_bearing(tab) == 0.0  # entrance: heading 0, yaw 0 → looking north
    tab.page.locator("#viewer").focus()
    for _ in range(3):
        tab.page.keyboard.press("ArrowRight")
    tab.page.wait_for_function(f"document.querySelector('{CONE}').dataset.bearing === '30.0'")
    assert "rotate(30.0)" in tab.page.locator(CONE).get_attribute("transform")
    # keyboard reachable: the hide button and the scene markers take focus; Hide hides the map
    toggle = tab.page.locator("#minimap .mm-toggle")
    toggle.focus()
    tab.page.keyboard.press("Enter")
    assert tab.page.locator("#minimap .mm-map").is_hidden()
    assert toggle.get_attribute("aria-expanded") == "false"
    tab.page.keyboard.press("Enter")
    assert tab.page.locator("#minimap .mm-map").is_visible()
    minimap.screenshot(path=tmp_path / "minimap.png")
    assert tab.errors == []


def test_minimap_scene_marker_goes_there(tab):
    tab.tour()
    marker = tab.page.locator("#minimap .mm-scene[data-scene='east']")
    marker.focus()
    tab.page.keyboard.press("Enter")
    tab.page.wait_for_function("location.search.includes('scene=east')")
    assert tab.page.locator("#scene-name").inner_text() == "东侧窗口区"
    tab.page.wait_for_function(f"document.querySelector('{CONE}').dataset.bearing === '90.0'")
    tab.page.locator("#minimap .mm-scene[data-scene='entrance']").click()
    tab.page.wait_for_function("location.search.includes('scene=entrance')")
    # a route ("take me there") is drawn on the minimap from here to the counter
    tab.page.locator("#toggle-directory").click()
    tab.page.locator("#directory a[data-counter='B03']").first.click()
    tab.page.locator("#panel .take-me").first.click()
    route = tab.page.locator("#minimap polyline.mm-route")
    route.wait_for()
    assert route.get_attribute("points").startswith("0,8 ")
    assert tab.errors == []


def test_dollhouse_loads_lazily_picks_a_counter_and_flies_into_a_scene(tab, tmp_path):
    requests: list[str] = []
    tab.page.on("request", lambda r: requests.append(r.url))
    tab.tour()
    assert not any("/chunks/dollhouse-" in url for url in requests), "3D code loaded before it was asked for"
    assert not any("model.glb" in url for url in requests)
    tab.page.click("#toggle-3d")
    tab.page.wait_for_selector("#dollhouse[data-state='ready']", timeout=20000)
    assert any("/chunks/dollhouse-" in url for url in requests)
    assert int(tab.page.locator("#dollhouse").get_attribute("data-meshes")) > 10
    assert int(tab.page.locator("#dollhouse").get_attribute("data-markers")) == 3
    # drawn at least once since ready, and nothing more scheduled
    tab.page.wait_for_function(
        "(d => d.dataset.frame >= 1 && !d.dollhouse.renderPending)(document.querySelector('#dollhouse'))"
    )
    png = tab.page.locator("#dollhouse canvas").screenshot(path=tmp_path / "dollhouse.png")
    assert np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=np.float64).std() > 15

    # pick a counter: click where its anchor projects; the raycast walks up to counter:<n>
    anchor = tab.page.evaluate(
        "JSON.parse(document.getElementById('hall-data').textContent)"
        ".counters.find(c => c.number === 'B03').placement.anchor"
    )
    point = tab.page.evaluate("a => document.getElementById('dollhouse').dollhouse.project(a)", anchor)
    tab.page.mouse.click(point["x"], point["y"])
    tab.page.wait_for_selector("#panel .service-link")
    assert "B03" in tab.page.locator("#panel-title").inner_text()
    tab.page.locator("#panel .panel-close").click()

    # a scene marker flies into that panorama and closes the 3D view
    tab.page.locator("#dollhouse .dh-scene[data-scene='east']").click()
    tab.page.wait_for_selector("#dollhouse", state="hidden")
    tab.page.wait_for_function("location.search.includes('scene=east')")
    assert tab.page.locator("#scene-name").inner_text() == "东侧窗口区"
    assert tab.page.locator("#dollhouse canvas").count() == 0  # released
    assert tab.errors == []


def test_minimap_starts_collapsed_on_a_narrow_portrait_screen(tab):
    tab.page.set_viewport_size({"width": 390, "height": 844})
    tab.tour()
    toggle = tab.page.locator("#minimap .mm-toggle")
    assert tab.page.locator("#minimap .mm-body").is_hidden()
    assert toggle.inner_text() == "小地图"
    assert toggle.get_attribute("aria-expanded") == "false"
    box = tab.page.locator("#minimap").bounding_box()
    assert box["width"] <= 120 and box["height"] <= 60, box
    toggle.click()
    assert tab.page.locator("#minimap .mm-map").is_visible()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert toggle.inner_text() == "隐藏"
    assert tab.errors == []


def test_minimap_starts_open_on_a_desktop(tab):
    tab.tour()
    assert tab.page.locator("#minimap .mm-map").is_visible()
    assert tab.page.locator("#minimap .mm-toggle").get_attribute("aria-expanded") == "true"
