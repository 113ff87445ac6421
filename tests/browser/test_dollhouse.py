"""The 3D hall (dollhouse) of both demo halls in real Chromium: on every floor, every counter and facility is
picked by a click where its anchor projects and by the keyboard list, with its label on hover and focus; the
other floors are hidden; the route band lies on each leg's floor; the browser's Back closes the 3D view and
its own button steps back off the history entry it made. One page per hall. The 3D hall needs no panoramas:
pingnan's come with the session, guigang's only if another test rendered them, and either way must work."""

from __future__ import annotations

import pytest

from .conftest import HALL, Tab

pytestmark = pytest.mark.browser

DH = "#dollhouse"
# Drawn at least once after *after* frames and nothing more scheduled (the 3D view renders on demand).
SETTLED = """after => (d => d.dataset.state === 'ready' && Number(d.dataset.frame) > after
  && !d.dollhouse.renderPending)(document.querySelector('#dollhouse'))"""
# Every HOTSPOT_SELECT, wherever the page hears it (on the viewer, or on the plugin used without one).
RECORD_PICKS = """() => { const tour = window.__tour; const d = tour.plugin('dollhouse');
  window.__picks = []; (tour.viewer ?? d).addEventListener('hotspotselect', e => window.__picks.push(e.detail.target)); }"""
# What the shown floor hides: parts, places and route bands of other floors that are still drawn.
LEAKS = """level => { const d = document.querySelector('#dollhouse').dollhouse;
  const shown = o => { for (let n = o; n; n = n.parent) if (!n.visible) return false; return true; };
  return [
    ...d.parts.filter(p => !p.floors.has(level) && shown(p.node)).map(p => 'part ' + (p.node.userData.name || p.node.name)),
    ...d.parts.filter(p => p.floors.has(level) && !shown(p.node)).map(p => 'missing ' + (p.node.userData.name || p.node.name)),
    ...d.places.filter(p => (p.floor === level) !== shown(p.node)).map(p => 'place ' + p.target),
    ...(d.routeGroup?.children || []).filter(b => (b.userData.floor === level) !== b.visible).map(() => 'band'),
  ]; }"""
# Whether a click at (x, y) reaches the 3D canvas (no button or panel over it).
ON_CANVAS = "([x, y]) => (e => e?.classList.contains('dollhouse-canvas') || e?.outerHTML.slice(0, 80))(document.elementFromPoint(x, y))"

# Where *anchor* projects on screen, with the panel closed first, and what a click there would reach (ON_CANVAS).
AIM = f"""anchor => {{ window.__tour.panel.close({{ silent: true }});
  const point = document.querySelector('#dollhouse').dollhouse.project(anchor);
  return {{ point, cover: ({ON_CANVAS})([point.x, point.y]) }}; }}"""
# What the 3D hall says now: the place it marks active, its label (shown? the text), what has focus, the picks.
SAYS = """() => { const d = document.querySelector('#dollhouse'); const label = d.querySelector('.dh-label');
  const r = label?.getBoundingClientRect();
  return { active: d.dataset.active ?? null, picks: window.__picks.length,
    focused: document.activeElement?.dataset.target ?? null, label: label ? label.innerText : '',
    shown: !!r && r.width > 0 && r.height > 0 && getComputedStyle(label).visibility !== 'hidden' }; }"""


def frame(page) -> int:
    return int(page.locator(DH).get_attribute("data-frame") or 0)


def entry(page) -> int:
    return page.evaluate("navigation.currentEntry.index")


def title_of(place: dict) -> str:
    return f"{place['number']} {place['name']['zh']}" if place["number"] else place["name"]["zh"]


def expect_pick(page, target: str, title: str, count: int) -> list[str]:
    """The *count*-th pick was *target* and the panel shows it; the problems seen."""
    # dispatched while the click or key press is handled, so already recorded when Playwright returns
    picks = page.evaluate("window.__picks")
    if len(picks) < count:
        return [f"{target}: nothing picked"]
    picked = picks[-1]
    if picked != target:
        return [f"{target}: picked {picked}"]
    page.wait_for_function(
        "title => document.querySelector('#panel-title')?.textContent === title", arg=title, timeout=5000
    )
    return []


def open_3d(page) -> None:
    page.click("#toggle-3d")
    page.wait_for_function(SETTLED, arg=0, timeout=20000)


def check_floor(page, level: int, places: list[dict], floor_name: str, shot) -> list[str]:
    """Pick every place of the shown floor by a click at its anchor and by the keyboard list (the list with
    the last label is saved to *shot*)."""
    problems = [f"level {level}: {leak}" for leak in page.evaluate(LEAKS, level)]
    listed = page.locator(f"{DH} .dh-place").evaluate_all("bs => bs.map(b => b.dataset.target)")
    if sorted(listed) != sorted(p["target"] for p in places):
        problems.append(f"level {level}: the list holds {listed}")
    for place in places:
        target = place["target"]
        aim = page.evaluate(AIM, place["anchor"])
        point, cover = aim["point"], aim["cover"]
        if cover is not True:
            problems.append(f"{target}: its anchor at {point} is covered by {cover}")
            continue
        page.mouse.move(point["x"], point["y"])
        says = page.evaluate(SAYS)
        if says["active"] != target or not says["shown"]:
            problems.append(f"{target}: no label on hover ({says['active']})")
        elif floor_name not in says["label"] or title_of(place) not in says["label"]:
            problems.append(f"{target}: hover label says {says['label']!r}")
        count = says["picks"] + 1
        page.mouse.click(point["x"], point["y"])
        problems += expect_pick(page, target, title_of(place), count)
    # The keyboard: the list's toggle, then Tab from place to place; focus labels it, Enter picks it.
    page.evaluate("window.__tour.panel.close({ silent: true })")
    toggle = page.locator(f"{DH} .dh-places-toggle")
    toggle.focus()
    if toggle.get_attribute("aria-expanded") != "true":
        page.keyboard.press("Enter")
    for place in places:
        page.keyboard.press("Tab")
        says = page.evaluate(SAYS)
        if says["focused"] != place["target"]:
            problems.append(f"{place['target']}: Tab reached {says['focused']}")
            break
        if says["active"] != place["target"] or floor_name not in says["label"]:
            problems.append(f"{place['target']}: focus label says {says['label']!r}")
        count = says["picks"] + 1
        page.keyboard.press("Enter")
        problems += expect_pick(page, place["target"], title_of(place), count)
    page.evaluate("window.__tour.panel.close({ silent: true })")
    page.locator(DH).screenshot(path=shot)
    toggle.click()  # fold the list away again
    return problems


@pytest.mark.parametrize("hall", [HALL, "guigang"])
def test_every_place_on_every_floor_is_picked_and_back_closes_the_3d_hall(
    browser, live_server, panoramas, built_web, api, hall, tmp_path
):
    doc = api.get(f"/api/v1/halls/{hall}").json()
    places = [
        {
            "target": f"counter:{c['number']}",
            "number": c["number"],
            "name": c["name"],
            "floor": c["floor"],
            "anchor": c["placement"]["anchor"],
        }
        for c in doc["counters"]
    ] + [
        {
            "target": f"facility:{f['id']}",
            "number": None,
            "name": f["name"],
            "floor": f["floor"],
            "anchor": f["placement"]["anchor"],
        }
        for f in doc["facilities"]
    ]
    top = max(doc["floors"], key=lambda f: f["elevation"])["level"]
    far = next(p["target"] for p in reversed(places) if p["floor"] == top)
    context = browser.new_context(
        viewport={"width": 1280, "height": 720}, locale="zh-CN", reduced_motion="reduce"
    )
    page = context.new_page()
    page.set_default_timeout(10000)
    tab = Tab(page, live_server)
    try:
        tab.goto(f"/hall/{hall}")
        page.wait_for_selector("body[data-tour='ready']")
        url, before = page.url, entry(page)
        open_3d(page)
        assert entry(page) == before + 1 and page.url == url  # its own history entry, the same address
        page.evaluate(RECORD_PICKS)
        # a route to the top floor's last place: its band lies on each leg's floor
        page.evaluate("target => window.__tour.route(target, { quiet: true })", far)
        page.wait_for_function(
            "() => document.querySelector('#dollhouse').dollhouse.routeGroup?.children.length > 0"
        )
        legs = {
            leg["floor"]
            for leg in api.get(f"/api/v1/halls/{hall}/route?from=entrance:main&to={far}").json()["legs"]
        }
        problems = []
        for floor in sorted(doc["floors"], key=lambda f: f["elevation"]):
            level = floor["level"]
            if len(doc["floors"]) > 1:
                before_frame = frame(page)
                page.select_option(f"{DH} .dh-floor", str(level))
                page.wait_for_function(SETTLED, arg=before_frame)
            assert page.locator(DH).get_attribute("data-floor") == (
                str(level) if len(doc["floors"]) > 1 else "all"
            )
            bands = page.evaluate(
                "() => document.querySelector('#dollhouse').dollhouse.routeGroup.children.filter(b => b.visible).length"
            )
            assert (bands > 0) == (level in legs), (level, bands, legs)
            page.evaluate("window.__tour.panel.close({ silent: true })")
            page.locator(DH).screenshot(path=tmp_path / f"{hall}-{level}.png")
            shown = [p for p in places if p["floor"] == level]
            shot = tmp_path / f"{hall}-{level}-list.png"
            problems += check_floor(page, level, shown, floor["name"]["zh"], shot)
        assert problems == [], f"{len(problems)} problems over {len(places)} places:\n" + "\n".join(problems)

        # the 3D hall relabels itself in the other language
        page.click("#toggle-lang")
        assert page.locator(f"{DH} .dh-places-toggle").inner_text().startswith("Counters and facilities")
        assert page.locator(f"{DH} .dh-back").inner_text() == "Back to panorama"
        page.click("#toggle-lang")
        assert page.locator(f"{DH} .dh-places-toggle").inner_text().startswith("窗口与设施")

        # Back closes the 3D view and the page stays on the tour, as it was before
        page.evaluate("window.__tour.panel.close({ silent: true }); window.__tour.endRoute()")
        page.go_back()
        page.wait_for_selector(DH, state="hidden")
        assert page.url == url and entry(page) == before
        assert page.locator("body[data-tour='ready']").count() == 1
        assert page.locator(f"{DH} canvas").count() == 0  # released
        # its own button steps back off the entry it made
        open_3d(page)
        assert entry(page) == before + 1
        page.click(f"{DH} .dh-back")
        page.wait_for_function("n => navigation.currentEntry.index === n", arg=before)
        assert page.locator(DH).is_hidden() and page.url == url
        # a place picked in 3D keeps its panel when the button closes the view; Back then closes the panel
        open_3d(page)
        page.evaluate(RECORD_PICKS)
        page.locator(f"{DH} .dh-places-toggle").click()
        page.locator(f"{DH} .dh-place").first.click()
        page.wait_for_function("() => new URLSearchParams(location.search).has('counter')")
        page.click(f"{DH} .dh-back")
        assert page.locator(DH).is_hidden() and page.locator("#panel").is_visible()
        assert entry(page) == before + 1 and page.evaluate("history.state") is None
        page.go_back()
        page.wait_for_selector("#panel", state="hidden")
        assert entry(page) == before
        assert tab.errors == []
    finally:
        context.close()
