"""Journeys the way a person makes them: every counter and facility of both demo halls is reached by pressing 带我去
and clicking only what a person would click — the route arrow or its edge marker — until the route says we are
there; then the target must be on screen (its hotspot in the central 60 %), highlighted and clickable. At desktop
and phone sizes, one page per hall and size.

One walk, not a page or a trip back per target: the targets are taken in the order of their routes from the
entrance, each journey starting where the last one ended (most are then a turn or a click away), and every step
from one scene to the next that a route from the entrance takes is walked at least once: a step the walk does
not take is walked by a journey from the entrance. What a scene shows on the way depends only on the scene and
the next one (the view turns to the arrow on arrival), so every arrow a citizen from the entrance follows is
checked, and every target's arrival."""

from __future__ import annotations

from itertools import pairwise

import pytest

from .conftest import HALL, open_tab

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1280, "height": 720}, "phone": {"width": 390, "height": 844}}
CENTRE = 0.6  # the share of the screen, in each direction, the target must end up in
NEXT = "#hotspots [data-route='next']:not([hidden])"
TARGET = "#hotspots [data-route='target']"

# The view is settled: a frame drawn after *after* and no frame scheduled (renders are on demand).
SETTLED = """after => Number(document.querySelector('#viewer').dataset.frame) > after
  && !window.__tour.viewer.renderPending"""

# Where a button is and whether a click at its centre reaches it (nothing lies over it).
PROBE = """button => {
  const r = button.getBoundingClientRect();
  const x = r.left + r.width / 2, y = r.top + r.height / 2;
  const hit = document.elementFromPoint(x, y);
  return { x, y, hidden: button.hidden || r.width === 0, reachable: !!hit && hit.closest('button') === button };
}"""

# What the guide shows now, in one round trip: the scene, the frame count, the visible route buttons (where the
# first one is) and the target's buttons (where the first one is, and whether it is highlighted).
STATE = f"""() => {{
  const probe = {PROBE};
  const nexts = [...document.querySelectorAll("{NEXT}")];
  const targets = [...document.querySelectorAll("{TARGET}")];
  return {{
    scene: window.__tour.scene.id, frame: Number(document.querySelector('#viewer').dataset.frame),
    nexts: nexts.length, next: nexts.length ? probe(nexts[0]) : null,
    targets: targets.length,
    target: targets.length ? {{ ...probe(targets[0]), highlighted: targets[0].classList.contains('is-route-target') }} : null,
  }};
}}"""

# Start a journey to *target*: no route, no panel, then the target selected (its panel offers 带我去); at the
# entrance when asked. Answers the frame count.
START = """([target, entrance]) => { const tour = window.__tour; tour.plugin('route-guide').end();
  tour.panel.close({ silent: true }); if (entrance) tour.showScene(tour.scenes.get('entrance'));
  tour.select(target); return Number(document.querySelector('#viewer').dataset.frame); }"""

# The panel's 带我去 button for *target*, once there: scrolled into view as a person would, then where it is
# (as PROBE says) and how many such buttons there are.
TAKE_ME = f"""target => {{
  const buttons = document.querySelectorAll(`#panel [data-take-me='${{target}}']`);
  if (!buttons.length) return false;
  buttons[0].scrollIntoView({{ block: 'nearest' }});
  return {{ ...({PROBE})(buttons[0]), count: buttons.length }};
}}"""

# The route to *target* is on (bar shown, in the URL) and the view settled after frame *after*: then STATE.
ROUTED = f"""([target, after]) => {{ const bar = document.querySelector('#route-bar');
  return bar.dataset.guide && !bar.hidden && new URLSearchParams(location.search).get('route') === target
    && ({SETTLED})(after) && ({STATE})(); }}"""

# Moved on from *scene* and settled after frame *after*: then STATE.
MOVED = f"""([scene, after]) => window.__tour.scene.id !== scene && ({SETTLED})(after) && ({STATE})()"""


def frame(page) -> int:
    return int(page.locator("#viewer").get_attribute("data-frame"))


def settle(page, before: int) -> None:
    page.wait_for_function(SETTLED, arg=before, timeout=15000)


def journey(page, target: str, scenes: int, steps: set, *, entrance: bool = False) -> list[str]:
    """Take the route to *target* from where the page is (from the entrance if *entrance*) by clicking only the
    route's buttons; the problems seen. Each step taken, (scene, next scene), is added to *steps*."""
    before = page.evaluate(START, [target, entrance])
    button = page.wait_for_function(TAKE_ME, arg=target).json_value()
    if button["count"] != 1 or button["hidden"] or not button["reachable"]:
        return [f"{target}: its 带我去 button cannot be pressed: {button}"]
    page.mouse.click(button["x"], button["y"])
    state = page.wait_for_function(ROUTED, arg=[target, before], timeout=15000).json_value()
    clicks = 0
    while state["targets"] == 0:
        if clicks >= 2 + scenes:
            return [f"{target}: not there after {clicks} clicks"]
        if state["nexts"] != 1:
            return [f"{target}: {state['nexts']} visible route buttons in {state['scene']}"]
        spot = state["next"]
        if not spot["reachable"]:
            return [f"{target}: the route button in {state['scene']} is covered"]
        # A real click where the button is (the probe found nothing over it), as a person's would be.
        page.mouse.click(spot["x"], spot["y"])
        clicks += 1
        moved = page.wait_for_function(
            MOVED, arg=[state["scene"], state["frame"]], timeout=15000
        ).json_value()
        steps.add((state["scene"], moved["scene"]))
        state = moved
    if state["targets"] != 1:
        return [f"{target}: {state['targets']} target buttons in {state['scene']}"]
    problems = []
    probe = state["target"]
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    margin_x, margin_y = width * (1 - CENTRE) / 2, height * (1 - CENTRE) / 2
    if probe["hidden"] or not (
        margin_x <= probe["x"] <= width - margin_x and margin_y <= probe["y"] <= height - margin_y
    ):
        problems.append(f"{target}: off the central {CENTRE:.0%} at {probe}")
    if not probe["highlighted"]:
        problems.append(f"{target}: not highlighted")
    if not probe["reachable"]:
        problems.append(f"{target}: covered, not clickable")
    return problems


def routes_from_the_entrance(api, hall: str, targets: list[str]) -> dict[str, list[str]]:
    """The scenes each target's route from the entrance passes (the route API, as the page asks it)."""
    return {
        target: api.get(f"/api/v1/halls/{hall}/route?from=scene:entrance&to={target}&accessible=0").json()[
            "scenes"
        ]
        for target in targets
    }


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("hall", [HALL, "guigang"])
def test_every_counter_and_facility_is_reached_by_following_the_route(
    browser, live_server, panoramas, guigang_panoramas, built_web, api, hall, size, tmp_path
):
    doc = api.get(f"/api/v1/halls/{hall}").json()
    targets = [f"counter:{c['number']}" for c in doc["counters"]] + [
        f"facility:{f['id']}" for f in doc["facilities"]
    ]
    passes = routes_from_the_entrance(api, hall, targets)
    routes = {target: set(pairwise(scenes)) for target, scenes in passes.items()}
    wanted = set().union(*routes.values())
    with open_tab(browser, live_server, viewport=SIZES[size], reduced_motion="reduce") as tab:
        page = tab.page
        tab.goto(f"/hall/{hall}?scene=entrance")
        page.wait_for_selector("body[data-tour='ready']")
        problems, steps = [], set()
        for target in sorted(targets, key=lambda t: (passes[t], t)):
            problems += journey(page, target, len(doc["scenes"]), steps)
        # The steps from the entrance the walk did not take: a journey from the entrance through each.
        for step in sorted(wanted - steps):
            if step not in steps:
                target = next(t for t in sorted(targets) if step in routes[t])
                problems += journey(page, target, len(doc["scenes"]), steps, entrance=True)
        page.screenshot(path=tmp_path / f"{hall}-{size}-last.png")
        assert problems == [], f"{len(problems)} problems over {len(targets)} journeys:\n" + "\n".join(
            problems
        )
        assert wanted <= steps, f"steps from the entrance never walked: {sorted(wanted - steps)}"
        assert tab.errors == []


def test_the_route_survives_a_reload_a_detour_a_turn_away_and_the_step_free_switch(
    browser, live_server, guigang_panoramas, built_web
):
    with open_tab(browser, live_server, reduced_motion="reduce") as tab:
        page = tab.page
        bar = page.locator("#route-bar")
        # A shared link resumes the route, planned from the scene it opens in.
        tab.goto("/hall/guigang?scene=lobby&route=counter:L01")
        page.wait_for_selector("body[data-tour='ready']")
        page.wait_for_function("document.querySelector('#route-bar').dataset.step === '1'")
        assert bar.is_visible()
        assert page.evaluate("window.__tour.routeData.scenes[0]") == "lobby"
        assert "前往L01窗口" in bar.inner_text() and "第 1/" in bar.inner_text()
        assert page.locator(NEXT).count() == 1

        # A detour off the route's scenes re-plans from where the citizen is.
        detour = page.evaluate(
            "() => { const t = window.__tour; const on = new Set(t.routeData.scenes);"
            " return t.scene.links.find((id) => !on.has(id)) || null; }"
        )
        assert detour, "this scene should link somewhere off the route"
        page.locator(f"#hotspots button.hotspot-scene[data-target='scene:{detour}']").first.evaluate(
            "b => b.click()"
        )
        page.wait_for_function("scene => window.__tour.routeData.scenes[0] === scene", arg=detour)
        assert bar.get_attribute("data-step") == "1"
        assert page.locator(NEXT).count() == 1

        # Turned away from the arrow, an edge marker points the way; pressing it goes on along the route.
        before = frame(page)
        page.evaluate("window.__tour.viewer.setView({ yaw: window.__tour.viewer.getView().yaw + 180 })")
        settle(page, before)
        edge = page.locator("#hotspots .route-edge[data-route='next']")
        assert edge.is_visible() and page.locator("#hotspots .hotspot-route").is_hidden()
        assert edge.get_attribute("data-side") in ("left", "right")
        nxt = page.evaluate("window.__tour.routeData.scenes[1]")
        edge.click()
        page.wait_for_function("scene => window.__tour.scene.id === scene", arg=nxt)
        assert bar.get_attribute("data-step") == "2"

        # The step-free switch: remembered, in the URL, and the route takes the lift.
        page.click("#route-stepfree")
        page.wait_for_function("window.__tour.routeData.accessible === true")
        assert page.locator("#route-stepfree").get_attribute("aria-pressed") == "true"
        assert page.evaluate("localStorage.getItem('vhall.stepfree')") == "1"
        assert "stepfree=1" in page.url and "route=counter%3AL01" in page.url
        changes = page.evaluate("window.__tour.routeData.floor_changes.map((c) => c.type)")
        assert changes == ["lift"], changes
        assert any("电梯" in s for s in page.evaluate("window.__tour.routeData.steps.map((s) => s.zh)"))

        # In English the bar speaks English.
        page.click("#toggle-lang")
        page.wait_for_function(
            "document.querySelector('#route-bar .route-label').textContent.startsWith('To counter L01')"
        )
        assert "step 1 of" in bar.inner_text() and "m to go" in bar.inner_text()

        # Ending the route clears it from the screen and the URL.
        page.click("#end-route")
        assert bar.is_hidden() and "route=" not in page.url
        assert page.locator("#hotspots [data-route]").count() == 0
        assert tab.errors == []
