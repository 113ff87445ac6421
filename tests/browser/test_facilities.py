"""Facilities as places and the floor everywhere, in real Chromium on the two-floor guigang hall: search
finds toilets by 厕所 and "toilet" with their symbol and floor, 带我去 starts the route, a counter upstairs
opened downstairs says it is on another floor, and the text directory and the minimap list facilities."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

RESULTS = "#search-results .result-facilities li"


def search(page, query: str) -> None:
    """Type *query* and wait for the answer to it (the list is replaced when it arrives)."""
    page.evaluate("document.querySelector('#search-results').replaceChildren()")
    page.fill("#search-input", query)
    page.wait_for_selector("#search-results:not([hidden]) > *")


def test_facilities_and_floors_across_search_panel_directory_and_minimap(tab, guigang_panoramas, tmp_path):
    page = tab.page
    tab.goto("/hall/guigang")
    page.wait_for_selector("body[data-tour='ready']")
    page.wait_for_selector("#viewer[data-tiles='loaded']", timeout=20000)
    assert page.evaluate("window.__tour.scene.floor") == 1  # the entrance, downstairs

    # 厕所: facilities first (the everyday word for them), each with its symbol, floor and 带我去.
    search(page, "厕所")
    assert page.locator("#search-results h3").first.inner_text() == "设施"
    rows = page.locator(RESULTS)
    assert rows.count() >= 3
    first, second = rows.nth(0), rows.nth(1)
    assert (
        first.get_attribute("data-type") == "toilet" and first.locator(".result-symbol").inner_text() == "WC"
    )
    assert first.locator(".result-facility").inner_text() == "一楼卫生间"
    assert first.locator(".result-floor").inner_text() == "一楼"
    assert second.locator(".result-floor").inner_text() == "二楼"
    assert first.locator("[data-take-me='facility:toilet-1']").inner_text() == "带我去"
    page.screenshot(path=tmp_path / "search-toilet.png")

    # "toilet" in English finds the same; the upstairs one opens its panel, which says it is on another floor.
    search(page, "toilet")
    assert [r.get_attribute("data-type") for r in page.locator(RESULTS).all()[:2]] == ["toilet", "toilet"]
    page.locator(f"{RESULTS} [data-facility='toilet-2']").click()
    page.wait_for_selector("#panel:not([hidden]) .panel-type")
    assert page.locator("#panel-title").inner_text() == "二楼卫生间"
    assert page.locator("#panel .panel-floor.is-away").inner_text() == "楼层：在二楼（您现在在一楼）"
    # Its symbol and type name, as on its hotspot.
    assert page.locator("#panel .panel-type").inner_text() == "WC 卫生间"
    assert page.locator("#panel [data-take-me='facility:toilet-2']").count() == 1
    page.wait_for_function("new URLSearchParams(location.search).get('facility') === 'toilet-2'")

    # 带我去 from the search results: the route bar appears with the facility as the route.
    search(page, "厕所")
    page.locator(f"{RESULTS} [data-take-me='facility:toilet-1']").click()
    page.wait_for_function(
        "!document.querySelector('#route-bar').hidden"
        " && new URLSearchParams(location.search).get('route') === 'facility:toilet-1'"
    )
    assert page.locator("#panel ol.route-steps li").count() >= 2

    # A counter upstairs, opened from downstairs: its panel names the floor and says it is not this one.
    search(page, "E03")
    page.locator("#search-results .result-counter-list [data-counter='E03']").click()
    page.wait_for_selector("#panel .panel-floor")
    assert page.locator("#panel .panel-floor").inner_text() == "楼层：在二楼（您现在在一楼）"
    page.click("#toggle-lang")
    page.wait_for_function("document.querySelector('#panel .panel-floor')?.textContent.startsWith('Floor')")
    assert (
        page.locator("#panel .panel-floor").inner_text()
        == "Floor: First floor, another floor (you are on Ground floor)"
    )
    page.click("#toggle-lang")
    # A counter downstairs just names its floor.
    page.evaluate("window.__tour.panel.openCounter('B03')")
    page.wait_for_selector("#panel-title:has-text('B03')")
    assert page.locator("#panel .panel-floor").inner_text() == "楼层：一楼"
    assert page.locator("#panel .panel-floor.is-away").count() == 0

    # The text directory lists facilities under their floors; a link opens the facility's panel.
    hall = page.evaluate("window.__tour.hall")
    page.click("#toggle-directory")
    floors = page.locator("#directory .dir-floor")
    for level, section in zip((1, 2), floors.all(), strict=True):
        listed = [li.get_attribute("data-type") for li in section.locator(".dir-facilities li").all()]
        assert len(listed) == sum(1 for f in hall["facilities"] if f["floor"] == level)
    page.locator("#directory a[data-facility='baby-room']").click()
    page.wait_for_selector("#panel .panel-type")
    assert page.locator("#panel-title").inner_text() == "母婴室"
    assert page.locator("#panel .panel-floor").inner_text() == "楼层：一楼"

    # The minimap draws this floor's facilities as named buttons; one opens its panel.
    marks = page.locator("#minimap .mm-facility")
    marks.first.wait_for()
    assert marks.count() == sum(1 for f in hall["facilities"] if f["floor"] == 1)
    # Its name starts with the glyph its disc shows (厕) unless the name already holds it (WCAG 2.5.3).
    assert (
        page.locator("#minimap .mm-facility[data-facility='toilet-1']").get_attribute("aria-label")
        == "厕 一楼卫生间"
    )
    page.locator("#minimap .mm-facility[data-facility='first-aid-1']").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#panel-title:has-text('急救箱与AED')")
    page.screenshot(path=tmp_path / "minimap-facility.png")
    assert tab.errors == []
