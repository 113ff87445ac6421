"""Walking the pingnan tour: the route in the panoramas, scene transitions, memory over 50 scene changes,
and a keyboard-only walk."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

ROUTE_ARROW = "#hotspots button.hotspot-route"
HEAP_BOUND = 8 * 1024 * 1024  # bytes the JS heap may grow between change 10 and change 50 (generous)
HEAP_FLOOR = 1024 * 1024  # a tour page's JS heap is larger than this (three.js alone): a real measure


# The view is settled: frame *after* (or later) drawn, and no frame scheduled (renders are on demand).
SETTLED = "after => Number(document.querySelector('#viewer').dataset.frame) > after && !window.__tour.viewer.renderPending"


def frame(tab) -> int:
    return int(tab.page.locator("#viewer").get_attribute("data-frame"))


def wait_scene(tab, name: str) -> None:
    tab.page.wait_for_function(
        """name => document.querySelector('#scene-name').textContent === name
        && document.querySelector('#viewer').dataset.tiles === 'loaded'
        && document.querySelector('#viewer').dataset.panorama === 'preview'""",
        arg=name,
        timeout=15000,
    )


def test_route_points_to_the_next_scene_then_highlights_the_counter(tab, tmp_path):
    tab.tour("?counter=D02")
    tab.page.locator("#panel .take-me").first.click()
    tab.page.locator("#panel ol.route-steps li").first.wait_for()
    arrow = tab.page.locator(ROUTE_ARROW)
    arrow.wait_for()
    assert arrow.inner_text().split() == ["⬆", "路线：前往", "大厅中央"]
    assert arrow.get_attribute("data-target") == "scene:hall-centre"
    link = tab.page.locator("button.hotspot-scene[data-target='scene:hall-centre']")
    for elder in (False, True):
        before = frame(tab) - 1  # the arrow may still be measuring itself: wait until no frame is scheduled
        if elder:
            before = frame(tab)
            tab.page.click("#toggle-elder")  # asks for a frame: the arrow re-stacks under the resized link
        tab.page.wait_for_function(SETTLED, arg=before)
        a, b = arrow.bounding_box(), link.bounding_box()
        assert b["y"] + b["height"] + 4 <= a["y"], (elder, a, b)  # under the link, with a gap
        assert abs((a["x"] + a["width"] / 2) - (b["x"] + b["width"] / 2)) < 2
    tab.page.click("#toggle-elder")
    assert tab.page.locator("#route-bar").is_visible()
    tab.page.screenshot(path=tmp_path / "route-arrow.png")  # kept with the test's files for a look
    tab.page.evaluate(
        """() => { window.__sawTransition = false;
        new MutationObserver(() => { if (document.querySelector('#viewer').dataset.transition) window.__sawTransition = true; })
          .observe(document.querySelector('#viewer'), { attributes: true }); }"""
    )
    arrow.click()
    wait_scene(tab, "大厅中央")
    assert tab.page.evaluate("window.__sawTransition"), "no turn-and-zoom before the scene change"
    target = tab.page.locator("button.hotspot[data-target='counter:D02']")
    assert "is-route-target" in target.get_attribute("class")
    assert (
        target.get_attribute("aria-current") == "location" and target.get_attribute("data-route") == "target"
    )
    assert tab.page.locator(ROUTE_ARROW).count() == 0
    assert tab.page.locator("#panel ol.route-steps li").count() >= 2  # the numbered steps stay
    tab.page.click("#end-route")
    assert tab.page.locator("#route-bar").is_hidden()
    assert tab.page.locator("#hotspots .is-route-target, #hotspots [aria-current]").count() == 0
    assert tab.errors == []


def test_fifty_scene_changes_release_textures_buttons_and_memory(tab):
    tab.page.emulate_media(reduced_motion="reduce")
    tab.tour()
    cdp = tab.page.context.new_cdp_session(tab.page)
    tab.page.evaluate(
        """() => { window.__sawTransition = false;
        new MutationObserver(() => { if (document.querySelector('#viewer').dataset.transition) window.__sawTransition = true; })
          .observe(document.querySelector('#viewer'), { attributes: true }); }"""
    )

    def measure() -> dict:
        cdp.send("HeapProfiler.collectGarbage")
        # The page's JS heap from the DevTools protocol: exact, unlike performance.memory (rounded, and
        # absent outside Chromium), and never a stand-in 0 that makes the growth check pass unmeasured.
        heap = cdp.send("Runtime.getHeapUsage")["usedSize"]
        return {
            **tab.page.evaluate(
                """() => ({
                textures: window.__tour.viewer.renderer.info.memory.textures,
                geometries: window.__tour.viewer.renderer.info.memory.geometries,
                buttons: document.querySelectorAll('#hotspots button').length })"""
            ),
            "heap": heap,
        }

    names = {"hall-centre": "大厅中央", "entrance": "入口"}
    samples = {}
    for change in range(1, 51):
        target = "hall-centre" if change % 2 else "entrance"
        tab.page.evaluate(
            f"document.querySelector(\"#hotspots button[data-target='scene:{target}']\").click()"
        )
        wait_scene(tab, names[target])
        if change in (10, 50):
            samples[change] = measure()
    first, last = samples[10], samples[50]
    assert all(s["heap"] > HEAP_FLOOR for s in (first, last)), f"the heap was not measured: {samples}"
    assert first["textures"] > 0 and first["buttons"] > 0, samples
    assert last["textures"] <= first["textures"], samples
    assert last["geometries"] <= first["geometries"], samples
    assert last["buttons"] == first["buttons"], samples
    assert last["heap"] - first["heap"] <= HEAP_BOUND, samples
    assert not tab.page.evaluate("window.__sawTransition"), "reduced motion still animated"
    assert tab.errors == []


def tab_until(tab, predicate: str, limit: int = 60, key: str = "Tab") -> None:
    for _ in range(limit):
        tab.page.keyboard.press(key)
        if tab.page.evaluate(f"(() => {{ const a = document.activeElement; return {predicate}; }})()"):
            return
    pytest.fail(f"{key} never reached: {predicate}")


def test_keyboard_only_walk(tab):
    tab.tour()
    tab_until(tab, "a.id === 'viewer'")
    tab.page.keyboard.press("ArrowLeft")
    tab.page.keyboard.press("ArrowRight")
    tab.page.keyboard.press("Tab")  # focus is not trapped in the view
    assert tab.page.evaluate(
        "document.activeElement.id !== 'viewer' && document.activeElement.tagName !== 'CANVAS'"
    )
    tab_until(tab, "a.id === 'viewer'", key="Shift+Tab")
    tab_until(tab, "a.dataset.target === 'scene:hall-centre'")
    tab.page.keyboard.press("Enter")
    wait_scene(tab, "大厅中央")
    assert tab.page.evaluate("document.activeElement.id") == "viewer"
    tab_until(tab, "a.dataset.target === 'counter:B01'")
    tab.page.keyboard.press("Enter")
    tab.page.wait_for_selector("#panel .service-link")
    tab_until(tab, "a.classList.contains('service-link')")
    tab.page.keyboard.press("Space")
    tab.page.wait_for_selector("#panel a.apply-online")
    tab_until(tab, "a.classList.contains('apply-online')")
    assert tab.page.evaluate("document.activeElement.href").startswith("https://")
    tab.page.keyboard.press("Escape")
    tab.page.wait_for_selector("#panel", state="hidden")
    assert tab.page.evaluate("document.activeElement.id") == "viewer"
    tab.page.keyboard.press("Tab")
    assert tab.page.evaluate(
        "document.activeElement.id !== 'viewer' && document.activeElement !== document.body"
    )
    assert tab.errors == []
