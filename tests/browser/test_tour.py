"""The citizen tour in real Chromium with real WebGL, against the pingnan demo hall."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image

from server.vocabulary import FACILITIES, UNKNOWN_FACILITY

pytestmark = pytest.mark.browser


def view_pixels(tab) -> np.ndarray:
    png = tab.page.locator("#viewer canvas").screenshot()
    return np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=np.float64)


def test_home_lists_both_halls(tab):
    tab.goto("/")
    links = tab.page.locator(".hall-card a")
    assert links.count() == 2
    text = tab.page.locator(".hall-list").inner_text()
    assert "贵港市政务服务中心" in text and "平南县政务服务中心" in text
    assert tab.page.locator("a[href='/hall/pingnan']").count() == 1
    assert tab.errors == []


def test_tour_shows_a_panorama_without_console_errors(tab):
    tab.tour()
    pixels = view_pixels(tab)
    assert pixels.std() > 20, "the panorama looks blank"
    assert tab.page.locator("#scene-name").inner_text() == "入口"
    # Facility hotspots show their type's symbol from the vocabulary, never the generic "i" (issue 8 §1).
    shown = tab.page.eval_on_selector_all(
        "button.hotspot-facility",
        "bs => bs.map(b => [b.dataset.type, b.querySelector('.hs-symbol').textContent])",
    )
    assert shown, "the entrance scene shows no facility hotspot"
    for kind, symbol in shown:
        assert symbol != UNKNOWN_FACILITY.symbol and symbol == FACILITIES[kind].symbol, kind
    assert tab.errors == []


def test_counter_hotspot_is_a_named_focusable_button_that_opens_services(tab):
    tab.tour()
    # A counter shown on its own (not inside a group label) at the opening view.
    hotspot = tab.page.locator("#hotspots button.hotspot-counter:not([hidden])").first
    target = hotspot.get_attribute("data-target")
    number = target.split(":")[1]
    assert hotspot.is_visible()
    assert re.fullmatch(rf"{number} .+ 窗口", hotspot.get_attribute("aria-label"))
    assert hotspot.get_attribute("aria-label").startswith(" ".join(hotspot.inner_text().split()))
    tab.page.locator("#viewer").focus()
    for _ in range(40):
        tab.page.keyboard.press("Tab")
        if tab.page.evaluate("document.activeElement.dataset.target") == target:
            break
    else:
        pytest.fail(f"Tab never reached the {number} hotspot")
    tab.page.keyboard.press("Enter")
    tab.page.wait_for_selector("#panel .service-link")
    assert number in tab.page.locator("#panel-title").inner_text()
    assert tab.page.locator("#panel .service-link").count() >= 1
    assert f"counter={number}" in tab.page.url
    tab.page.go_back()
    tab.page.wait_for_selector("#panel", state="hidden")
    assert tab.errors == []


def test_service_opens_its_guide_with_the_online_application(tab):
    tab.tour("?counter=A02")
    tab.page.locator("#panel .service-link", has_text="企业开办").first.click()
    apply = tab.page.locator("#panel a.apply-online")
    apply.wait_for()
    assert apply.get_attribute("href").startswith("https://")
    body = tab.page.locator("#panel").inner_text()
    for heading in ("办理步骤", "需要带的材料", "办理时限", "收费", "常见问题", "12345"):
        assert heading in body
    assert tab.page.locator("#panel .checklist input[type=checkbox]").count() >= 1
    assert "service=scjg-qykb" in tab.page.url


def test_search_shows_services_and_counters_and_takes_me_there(tab):
    tab.tour()
    tab.page.fill("#search-input", "营业执照")
    first = tab.page.locator(".result-service").first
    first.wait_for()
    assert "企业开办" in first.inner_text()
    where = tab.page.locator(".result-services > li").first.locator(".result-where")
    assert where.get_attribute("data-best-counter") == "A02" and "A02" in where.inner_text()
    tab.page.locator(".result-services > li").first.locator(".take-me").first.click()
    steps = tab.page.locator("#panel ol.route-steps li")
    steps.first.wait_for()
    assert steps.count() >= 2
    assert "A02" in tab.page.locator("#panel-title").inner_text()
    assert tab.errors == []


def test_deep_link_restores_scene_view_and_panel(tab):
    tab.tour("?scene=east&yaw=30&counter=B01")
    assert tab.page.locator("#scene-name").inner_text() == "东侧窗口区"
    assert tab.page.locator("#viewer").get_attribute("data-yaw") == "30.0"
    tab.page.wait_for_selector("#panel .service-link")
    assert "B01" in tab.page.locator("#panel-title").inner_text()


def test_arrow_keys_turn_the_view_and_update_the_url(tab):
    tab.tour()
    tab.page.locator("#viewer").focus()
    tab.page.keyboard.press("ArrowRight")
    tab.page.keyboard.press("ArrowRight")
    tab.page.wait_for_function("location.search.includes('yaw=20.0')")
    tab.page.locator(".view-buttons button[data-view='left']").click()
    tab.page.wait_for_function("location.search.includes('yaw=10.0')")


def test_english_switch(tab):
    tab.tour()
    tab.page.click("#toggle-lang")
    assert tab.page.locator("#toggle-directory").inner_text() == "Text directory"
    assert tab.page.evaluate("document.documentElement.lang") == "en"
    assert tab.page.locator("#scene-name").inner_text() == "Entrance"
    label = tab.page.locator("button.hotspot[data-target='counter:B01']").get_attribute("aria-label")
    assert re.fullmatch(r"B01 .+ Counter", label)
    tab.page.wait_for_function("location.search.includes('lang=en')")


def test_elder_mode_enlarges_text_and_targets(tab):
    tab.tour()
    tab.page.click("#toggle-elder")
    size = tab.page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert size >= 18
    height = tab.page.evaluate("document.querySelector('#toggle-elder').getBoundingClientRect().height")
    assert height >= 60


def test_text_directory_lists_counters_and_opens_one(tab):
    tab.tour()
    directory = tab.page.locator("#directory")
    assert directory.is_hidden()
    tab.page.click("#toggle-directory")
    assert directory.is_visible()
    tab.page.locator("#directory a[data-counter='B03']").first.click()
    tab.page.wait_for_selector("#panel .service-link")
    assert directory.is_hidden()


def test_unknown_hall_is_a_404_page_in_chinese(tab):
    response = tab.goto("/hall/nowhere")
    assert response.status == 404
    assert "找不到大厅" in tab.page.locator("h1").inner_text()
    assert tab.page.evaluate("document.documentElement.lang") == "zh-CN"


def test_scene_link_name_starts_with_its_visible_text(tab):
    tab.tour()
    link = tab.page.locator("button.hotspot[data-target='scene:hall-centre']")
    assert link.inner_text().split()[-1] == "大厅中央"
    assert link.get_attribute("aria-label") == "大厅中央（前往该场景）"
    tab.page.click("#toggle-lang")
    assert link.get_attribute("aria-label") == "Hall centre (go there)"


def tile_stats(tab) -> dict:
    return tab.page.evaluate("({ ...window.__tour.tiles.stats })")


def test_a_failed_tile_is_retried_and_the_fallback_cube_fills_in(tab):
    tries: dict[str, int] = {}

    def flaky(route):
        url = route.request.url
        tries[url] = tries.get(url, 0) + 1
        if tries[url] == 1:
            route.abort()
        else:
            route.continue_()

    fallback: list[str] = []
    tab.page.on("request", lambda r: "/fallback/" in r.url and fallback.append(r.url))
    tab.page.route("**/2/*.jpg", flaky)  # the 1280×720 view needs level 2 of the demo's two
    tab.tour()
    stats = tile_stats(tab)
    assert tries and all(n == 2 for n in tries.values()), tries
    assert stats["retried"] == len(tries) and stats["failed"] == 0 and stats["loaded"] >= len(tries), stats
    assert fallback and stats["fallback"] == len(fallback), (fallback, stats)
    errors = [e for e in tab.errors if "Failed to load resource" not in e]
    assert errors == []


def test_a_tile_that_keeps_failing_leaves_no_hole(tab):
    tab.page.route("**/2/f*.jpg", lambda route: route.abort())
    tab.tour()
    stats = tile_stats(tab)
    assert stats["failed"] >= 1 and stats["retried"] == 2 * stats["failed"], stats
    assert stats["pending"] == 0 and stats["fallback"] >= 1, stats
    pixels = view_pixels(tab)
    assert (pixels < 8).mean() < 0.01, "black where the tile failed"
    assert pixels.std() > 20
    errors = [e for e in tab.errors if "Failed to load resource" not in e]
    assert errors == []


def test_service_guide_shows_a_scannable_qr_code_of_the_mobile_address(tab, api):
    import cv2

    tab.tour("?counter=A02&service=scjg-qykb")
    image = tab.page.locator("#panel .qr img")
    image.wait_for()
    tab.page.wait_for_function("document.querySelector('#panel .qr img').naturalWidth > 0")
    png = np.frombuffer(image.screenshot(), dtype=np.uint8)
    decoded, _points, _raw = cv2.QRCodeDetector().detectAndDecode(cv2.imdecode(png, cv2.IMREAD_GRAYSCALE))
    assert decoded == api.get("/api/v1/services/scjg-qykb").json()["online"]["mobile"]
