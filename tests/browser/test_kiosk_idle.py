"""The kiosk's idle life (issue 14 §3, §4's watchdog) in real Chromium, the page's clock driven by the test:
idle → “还在使用吗？” with a countdown of at least 20 s → a touch keeps the session; idle again and no answer →
a clean slate (each trace checked) → the attract loop (captions change with time) → a touch ends it. The
watchdog reloads after an uncaught error, and not twice in a minute."""

from __future__ import annotations

import pytest

from .conftest import open_kiosk

pytestmark = pytest.mark.browser

KIOSK = "/kiosk/pingnan?id=pn-entrance-1"
IDLE_MS = 90_000  # the demo kiosk's idle time (the registry's default)
COUNTDOWN_S = 30  # and its countdown
SCENE_MS = 12_000  # web/src/kiosk/attract.js
START = "2026-12-03T10:00:00+08:00"

TRACES = """() => ({
  search: document.querySelector('#search-input').value,
  results: !document.querySelector('#search-results').hidden,
  panel: !document.querySelector('#panel').hidden,
  route: !document.querySelector('#route-bar').hidden || !!window.__tour.routeTarget
    || document.querySelectorAll('#minimap .mm-route').length > 0,
  keyboard: !document.querySelector('[data-list="keyboard"]').hidden,
  directory: !document.querySelector('#directory').hidden,
  lang: document.documentElement.lang,
  large: document.body.classList.contains('kiosk-large'),
  storage: [...Object.keys(localStorage), ...Object.keys(sessionStorage)]
    .filter((k) => k.startsWith('vhall.') && !k.startsWith('vhall.kiosk.')),
  scrolled: Object.fromEntries([...document.querySelectorAll('*')].filter((n) => n.scrollTop || n.scrollLeft)
    .map((n) => [n.id || n.className, [n.scrollTop, n.scrollLeft]])),
  windowScroll: scrollX + scrollY,
  scene: window.__tour.scene.id,
  view: window.__tour.viewer.getView(),
  history: history.length,
  search_params: location.search,
})"""
CENTRED = """() => {
  const map = document.querySelector('#minimap .mm-map');
  const before = [map.scrollTop, map.scrollLeft];
  window.__tour.plugin('minimap').centre();
  return Math.abs(map.scrollTop - before[0]) <= 1 && Math.abs(map.scrollLeft - before[1]) <= 1;
}"""


def kiosk_page(browser, live_server, viewport=None, **options):
    context = browser.new_context(
        viewport=viewport or {"width": 1920, "height": 1080},
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        has_touch=True,
        **options,
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    page.clock.install(time=START)
    return context, page


def test_still_there_then_a_clean_slate_then_the_attract_loop(browser, live_server, panoramas, built_web):
    context, page = kiosk_page(browser, live_server, reduced_motion="reduce")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    open_kiosk(page, live_server + KIOSK)
    page.wait_for_selector("#viewer[data-tiles='loaded']", timeout=20000)
    start = page.evaluate(TRACES)
    assert start["lang"] == "zh-CN" and start["scene"] == "entrance" and not start["panel"]

    # Someone uses the kiosk: types, opens a service, takes a route (step-free, remembered by the tour),
    # reads English at large text, scrolls the panel.
    page.click("[data-pick='keyboard']")
    for key in "yyzz":
        page.tap(f".kiosk-key[data-key='{key}']")
    page.clock.run_for(1000)
    page.wait_for_selector("#search-results .result-service")
    page.click("[data-pick='services']")
    page.click(".kiosk-pick-list[data-list='services'] [data-service='scjg-qykb']")
    page.click("#panel .guide-take-me")
    page.wait_for_selector("#route-bar:not([hidden])")
    page.click("#route-stepfree")
    page.wait_for_function("window.__tour.stepFree && window.__tour.routeData")
    page.click("#toggle-elder")
    page.click("#toggle-lang")
    page.evaluate("document.querySelector('#panel').scrollTop = 200")
    page.click("[data-pick='keyboard']")
    used = page.evaluate(TRACES)
    assert used["search"] == "yyzz" and used["panel"] and used["route"] and used["keyboard"]
    assert used["lang"] == "en" and used["large"] and "vhall.stepfree" in used["storage"]
    assert used["scrolled"]["panel"][0] > 0, used["scrolled"]

    # Idle for the kiosk's idle time: the question, in both languages, with its countdown and 继续 focused.
    page.clock.run_for(IDLE_MS - 5000)
    assert page.is_hidden(".kiosk-idle")
    page.clock.run_for(5000)
    dialog = page.wait_for_selector(".kiosk-idle[role='alertdialog']:not([hidden])")
    assert "还在使用吗？" in dialog.text_content() and "Still there?" in dialog.text_content()
    # The page's clock also runs on by itself between the test's steps: counts are within a second.
    first = int(dialog.get_attribute("data-seconds"))
    assert 20 <= COUNTDOWN_S - 1 <= first <= COUNTDOWN_S, first
    assert page.evaluate("document.activeElement.dataset.idle") == "continue"
    box = page.locator(".idle-continue").bounding_box()
    assert box["width"] >= 60 and box["height"] >= 60, box
    assert page.text_content(".idle-continue").replace(" ", "") == "继续Continue"
    assert (
        page.evaluate("document.querySelector('.kiosk-idle').getAttribute('aria-labelledby')")
        == "kiosk-idle-title"
    )
    page.clock.run_for(10_000)
    later = int(page.get_attribute(".kiosk-idle", "data-seconds"))
    assert first - 11 <= later <= first - 10, (first, later)
    assert page.text_content(".idle-count") == str(later)
    assert f"{later} 秒后" in page.text_content(".idle-note")

    # A touch anywhere during the countdown keeps the session as it was.
    page.touchscreen.tap(200, 500)
    assert page.is_hidden(".kiosk-idle")
    kept = page.evaluate(TRACES)
    assert (
        kept["search"] == "yyzz"
        and kept["panel"]
        and kept["route"]
        and kept["lang"] == "en"
        and kept["large"]
    )

    # Idle again, and nobody answers: every trace of that person is cleared, then the attract loop runs.
    page.clock.run_for(IDLE_MS + 1000)
    page.wait_for_selector(".kiosk-idle:not([hidden])")
    page.clock.run_for(COUNTDOWN_S * 1000 + 500)
    page.wait_for_selector(".kiosk-attract[data-kiosk-attract='on']")
    assert page.is_hidden(".kiosk-idle")
    clean = page.evaluate(TRACES)
    assert clean["search"] == "" and not clean["results"], clean
    assert not clean["panel"] and not clean["directory"] and not clean["keyboard"], clean
    assert not clean["route"], clean
    assert clean["lang"] == "zh-CN" and not clean["large"], clean
    assert clean["storage"] == [], clean
    # Nothing scrolled but the minimap's plan, which keeps the kiosk's position in its middle (centring it
    # again moves nothing).
    assert set(clean["scrolled"]) <= {"mm-map"} and clean["windowScroll"] == 0, clean
    assert page.evaluate(CENTRED), "the minimap's plan is not centred on the kiosk"
    assert clean["history"] == start["history"], clean
    for word in ("service=", "route=", "lang=", "counter=", "stepfree="):
        assert word not in clean["search_params"], clean
    assert page.evaluate("window.__tour.stepFree") is False
    assert page.evaluate("document.activeElement === document.body")

    # The attract loop: captions (scene, the hall's line, touch to start; Chinese then English) change as the
    # scenes go by; reduced motion: nothing turns.
    caption = page.text_content(".attract-caption")
    assert (
        "入口" in caption
        and "Entrance" in caption
        and "触摸屏幕" in caption
        and "Touch the screen" in caption
    )
    assert page.text_content(".attract-line").startswith("平南")
    yaw = page.evaluate("window.__tour.viewer.getView().yaw")
    page.clock.run_for(SCENE_MS)
    page.wait_for_function("document.querySelector('.kiosk-attract').dataset.scene !== 'entrance'")
    second = page.get_attribute(".kiosk-attract", "data-scene")
    names = {"east": ("东侧窗口区", "East counters"), "hall-centre": ("大厅中央", "Hall centre")}
    assert all(name in page.text_content(".attract-caption") for name in names[second])
    assert page.evaluate("window.__tour.scene.id") == second
    assert page.evaluate("window.__tour.viewer.getView().yaw") == yaw
    page.clock.run_for(SCENE_MS)
    assert page.get_attribute(".kiosk-attract", "data-scene") not in ("entrance", second)

    # A touch during the loop ends it: the start state shows, and the touch reached nothing under the layer.
    page.touchscreen.tap(960, 300)
    assert page.get_attribute(".kiosk-attract", "data-kiosk-attract") == "off"
    assert page.is_hidden(".kiosk-attract")
    after = page.evaluate(TRACES)
    assert after["scene"] == "entrance" and not after["panel"], after
    assert abs(after["view"]["yaw"] - start["view"]["yaw"]) < 0.1, after
    assert after["history"] == start["history"]

    # Nobody touched it since: idle again, the loop comes back without a question.
    page.clock.run_for(IDLE_MS + 1000)
    page.wait_for_selector(".kiosk-attract[data-kiosk-attract='on']")
    assert page.is_hidden(".kiosk-idle")
    assert errors == []
    context.close()


def test_the_attract_loop_turns_slowly(browser, live_server, panoramas, built_web):
    # A small screen: while the view turns, the page's running clock asks for a frame every 16 ms of its time,
    # and full-HD frames drawn by software WebGL on a busy machine fell behind until the page stopped answering.
    context, page = kiosk_page(browser, live_server, viewport={"width": 800, "height": 600})
    open_kiosk(page, live_server + KIOSK)
    # Audio on (as the registry would say): the captions are spoken in Chinese (speech recorded, not played).
    page.evaluate(
        "() => { window.__spoken = []; speechSynthesis.speak = (u) => window.__spoken.push([u.lang, u.text]);"
        " window.__tour.plugin('kiosk-attract').audio = true; }"
    )
    page.clock.run_for(IDLE_MS + 1000)
    page.wait_for_selector(".kiosk-attract[data-kiosk-attract='on']")
    spoken = page.evaluate("window.__spoken")
    assert spoken and spoken[0][0] == "zh-CN" and spoken[0][1].startswith("入口"), spoken
    yaw = page.evaluate("window.__tour.viewer.getView().yaw")
    page.clock.run_for(1000)  # each frame of the turn is drawn: kept short
    turned = page.evaluate("window.__tour.viewer.getView().yaw") - yaw
    assert 0 < (turned % 360) < 40, turned
    page.keyboard.press("a")
    assert page.get_attribute(".kiosk-attract", "data-kiosk-attract") == "off"
    context.close()


def test_the_watchdog_reloads_after_an_error_but_not_twice_in_a_minute(
    browser, live_server, panoramas, built_web
):
    context, page = kiosk_page(browser, live_server)
    open_kiosk(page, live_server + KIOSK)
    loads: list[str] = [page.url]
    page.on("load", lambda p: loads.append(p.url))
    # Rendering on demand, an idle view draws nothing for long: that is not frozen.
    page.clock.run_for(40_000)
    assert page.get_attribute("body", "data-kiosk-watchdog") is None

    # An uncaught error in a script of the page (the test's fake timers would catch one thrown in a timer).
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = \"throw new Error('kiosk test: boom')\"; document.head.append(s); }"
    )
    page.clock.run_for(1000)
    assert page.get_attribute("body", "data-kiosk-watchdog") == "error"
    assert len(loads) == 1  # not at once: a short delay first
    with page.expect_event("load"):
        page.clock.run_for(3000)
    page.wait_for_selector("body[data-kiosk='ready']")
    assert len(loads) == 2

    # A rejection soon after the reload: the next reload waits for the minute to pass.
    page.evaluate("() => { Promise.reject(new Error('kiosk test: again')); }")
    page.clock.run_for(30_000)
    assert page.get_attribute("body", "data-kiosk-watchdog") == "unhandledrejection"
    assert len(loads) == 2
    with page.expect_event("load"):
        page.clock.run_for(31_000)
    page.wait_for_selector("body[data-kiosk='ready']")
    assert len(loads) == 3

    # A frozen view: a frame is wanted and none comes (the browser stops calling the viewer back).
    page.clock.run_for(1000)
    page.evaluate(
        "() => { window.requestAnimationFrame = () => 1; window.__tour.viewer.setView({ yaw: 10 }); }"
    )
    page.clock.run_for(10_000)
    assert page.get_attribute("body", "data-kiosk-watchdog") is None  # not yet: FROZEN_MS is 15 s
    page.clock.run_for(11_000)
    assert page.get_attribute("body", "data-kiosk-watchdog") == "frozen"
    assert len(loads) == 3  # a minute after the last reload, not sooner
    with page.expect_event("load"):
        page.clock.run_for(40_000)
    assert len(loads) == 4
    context.close()
