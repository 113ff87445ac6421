"""Hotspots that never pile up: in every scene of both demo halls, at 8 headings and at desktop and phone
sizes, no two visible hotspot buttons overlap, and every hotspot of the scene can be reached from some heading
(shown itself, or inside a group label that opens into its counters) — at one of the 8, or else facing it.
One page per hall and size."""

from __future__ import annotations

import pytest

from .conftest import HALL, open_tab
from .test_journeys import SETTLED, SIZES

pytestmark = pytest.mark.browser

HEADINGS = range(0, 360, 45)

# The visible hotspot buttons, their boxes, the pairs that overlap, and what can be reached from here.
LOOK = """() => {
  const layer = document.querySelector('#hotspots');
  const shown = [...layer.querySelectorAll('button.hotspot, button.route-edge')]
    .filter((b) => !b.hidden && !b.closest('.hs-group-list') && b.getBoundingClientRect().width > 0);
  const view = layer.getBoundingClientRect();
  const boxes = shown.map((b) => ({ b, r: b.getBoundingClientRect() }))
    .filter(({ r }) => r.right > view.left && r.left < view.right && r.bottom > view.top && r.top < view.bottom);
  const overlaps = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i].r, c = boxes[j].r;
    if (a.left < c.right - 1 && c.left < a.right - 1 && a.top < c.bottom - 1 && c.top < a.bottom - 1) {
      overlaps.push([boxes[i].b.dataset.target || boxes[i].b.dataset.group, boxes[j].b.dataset.target || boxes[j].b.dataset.group]);
    }
  }
  const reached = [];
  for (const { b } of boxes) {
    if (b.dataset.members) reached.push(...b.dataset.members.split(' '));
    else if (b.dataset.target) reached.push(b.dataset.target);
  }
  return { overlaps, reached, groups: boxes.filter(({ b }) => b.dataset.members).length };
}"""


# Turn to *view*; answers the frame count before the turn.
TURN = """view => { const before = Number(document.querySelector('#viewer').dataset.frame);
  window.__tour.viewer.setView(view); return before; }"""
# LOOK, once the view is settled after frame *after* (one round trip: the wait answers it).
LOOK_SETTLED = f"after => ({SETTLED})(after) && ({LOOK})()"


def look(page, view: dict) -> dict:
    """Turn to *view*, wait until it is drawn and settled, and LOOK."""
    before = page.evaluate(TURN, view)
    return page.wait_for_function(LOOK_SETTLED, arg=before, timeout=15000).json_value()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("hall", [HALL, "guigang"])
def test_no_hotspot_covers_another_and_every_one_is_reachable(
    browser, live_server, panoramas, guigang_panoramas, built_web, api, hall, size
):
    doc = api.get(f"/api/v1/halls/{hall}").json()
    with open_tab(browser, live_server, viewport=SIZES[size], reduced_motion="reduce") as tab:
        page = tab.page
        problems, groups_seen = [], 0
        tab.goto(f"/hall/{hall}")
        page.wait_for_selector("body[data-tour='ready']")
        for scene in doc["scenes"]:
            page.evaluate("id => window.__tour.showScene(window.__tour.scenes.get(id))", scene["id"])
            expected = {h["target"] for h in scene["hotspots"]}
            reached = set()
            for yaw in HEADINGS:
                seen = look(page, {"yaw": yaw, "pitch": 0, "fov": 75})
                problems += [f"{scene['id']} @{yaw}°: {a} overlaps {b}" for a, b in seen["overlaps"]]
                reached |= set(seen["reached"])
                groups_seen += seen["groups"]
            # Facing a hotspot not yet reached (between the 8 headings on a narrow phone screen) must reach it.
            for spot in scene["hotspots"]:
                if spot["target"] in reached:
                    continue
                seen = look(page, {"yaw": spot["yaw"], "pitch": spot["pitch"], "fov": 75})
                problems += [
                    f"{scene['id']} facing {spot['target']}: {a} overlaps {b}" for a, b in seen["overlaps"]
                ]
                reached |= set(seen["reached"])
            missing = expected - reached
            if missing:
                problems.append(f"{scene['id']}: never reachable: {sorted(missing)}")
        assert problems == [], f"{len(problems)} problems:\n" + "\n".join(problems)
        assert tab.errors == []
        if hall == "guigang":
            assert groups_seen > 0, "the larger hall's rows of counters should collapse somewhere"


def test_a_group_label_opens_into_its_counters(browser, live_server, guigang_panoramas, built_web):
    with open_tab(browser, live_server, reduced_motion="reduce") as tab:
        page = tab.page
        tab.goto("/hall/guigang?scene=entrance&yaw=0")
        page.wait_for_selector("body[data-tour='ready']")
        group = page.locator("#hotspots button.hotspot-group:not([hidden])").first
        group.wait_for()
        members = group.get_attribute("data-members").split()
        assert len(members) >= 2 and group.get_attribute("aria-expanded") == "false"
        numbers = sorted(m.split(":")[1] for m in members)
        assert group.inner_text().split()[0] == f"{numbers[0]}–{numbers[-1]}"
        last = members[-1].split(":")[1]
        group.click()
        assert group.get_attribute("aria-expanded") == "true"
        listed = page.locator(".hs-group-list:not([hidden]) button[data-target]")
        assert listed.evaluate_all("bs => bs.map((b) => b.dataset.target)") == members
        # Hover says the whole name and the floor.
        assert all(t.endswith(" · 一楼") for t in listed.evaluate_all("bs => bs.map((b) => b.title)"))
        # Each listed counter can be pressed; the last one opens its panel.
        for i in range(listed.count()):
            box = listed.nth(i).bounding_box()
            hit = page.evaluate(
                "([x, y]) => document.elementFromPoint(x, y)?.closest('button')?.dataset.target",
                [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
            )
            assert hit == members[i]
        listed.nth(len(members) - 1).click()
        page.wait_for_function(
            "n => document.querySelector('#panel-title')?.textContent.startsWith(n)", arg=last
        )
        # Keyboard: focus opens the group, Escape in its list closes it and returns to the label.
        page.keyboard.press("Escape")  # closes the panel
        group.focus()
        assert group.get_attribute("aria-expanded") == "true"
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.closest('.hs-group-list') !== null")
        page.keyboard.press("Escape")
        assert group.get_attribute("aria-expanded") == "false"
        assert page.evaluate("document.activeElement.dataset.group") == group.get_attribute("data-group")
        assert tab.errors == []
