"""The scene editor over every scene of both demo halls, in real Chromium, as an editor of the hall goes
through it (one tab per hall; the page saves nothing): the scene list links to each scene's editor; the editor opens
without a console error; its hotspot list has exactly the hotspots the admin API gives for the scene, each named
as a citizen reads it (a counter by its number, a facility or scene by its name, never a raw id); every hotspot,
picked from the list, turns the view to it, and then its marker and every other marker in view stand at their
yaw/pitch (projected here as the page's camera does) and every hotspot in view has its marker; the plan marker
stands at the scene's position and the wedge turns with the view; the links list is the scene's links with
their names; the scene's findings of the check are shown; every control is at least 44 px and reached with Tab
(the hotspot list in its order). Then in English (a scene per hall, and one with a panorama): no CJK anywhere
on the page. Each hall's draft has, besides the demo data, a corrected and a hidden hotspot and a scene no link
reaches (so that there is a finding to show).

The pingnan scenes have rendered panoramas (small; the registration panel is there too), the guigang ones
none (rendering all twelve is slow, and the editor is the same without a panorama)."""

from __future__ import annotations

import math
import re

import pytest

from tests.conftest import serving
from tests.staff import Clock, signed_in, staff_app

from .conftest import open_tab, sign_in_page

pytestmark = pytest.mark.browser
EDITORS = {"pingnan": "editor.pn", "guigang": "editor.gg"}
COPY = "sweep-copy"  # a scene added to each hall's draft (see _draft_changes)
GET = "async (url) => (await fetch(url, {headers: {Accept: 'application/json'}})).json()"
CJK = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]")
PX = 3  # how far (px) a marker may stand from where its direction projects
TARGET = 44  # the smallest control, px

# After a hotspot is picked from the list: the view, the viewer's box, the markers shown, focus and the wedge.
STATE = """() => {
  const v = document.getElementById('scene-viewer');
  const box = v.getBoundingClientRect();
  const plan = document.querySelector("[data-place='plan'] svg");
  return {
    view: {yaw: Number(v.dataset.yaw), pitch: Number(v.dataset.pitch), fov: Number(v.dataset.fov)},
    box: {x: box.x, y: box.y, width: box.width, height: box.height},
    shown: [...document.querySelectorAll('.hotspot-edit:not([hidden])')].map((b) => {
      const r = b.getBoundingClientRect();
      return {target: b.dataset.target, x: r.x + r.width / 2, y: r.y + r.height / 2, w: r.width, h: r.height};
    }),
    focused: document.activeElement?.dataset?.target ?? null,
    pressed: [...document.querySelectorAll("[data-pick][aria-pressed='true']")].map((b) => b.dataset.pick),
    bearing: plan ? Number(plan.dataset.bearing) : null,
    cone: document.querySelector('.admin-plan-cone')?.getAttribute('transform') ?? null,
  };
}"""

# The red dot's centre on the screen, and where the plan's point (x, z) is on the screen.
HERE = """([x, z]) => {
  const svg = document.querySelector("[data-place='plan'] svg");
  const r = document.querySelector('[data-plan-here] circle').getBoundingClientRect();
  const p = svg.createSVGPoint(); p.x = x; p.y = z;
  const s = p.matrixTransform(svg.getScreenCTM());
  return [[r.x + r.width / 2, r.y + r.height / 2], [s.x, s.y]];
}"""

# Everything a person can press or type into on the editor, each marked with its index (data-sweep) for the
# Tab walk; with its box (a checkbox by its label, which is its target).
CONTROLS = """() => {
  const all = [...document.querySelectorAll(
    '#scene-editor button, #scene-editor select, #scene-editor input, #scene-editor a[href], ' +
    "#scene-editor [tabindex='0']")];
  return all.filter((c) => c.getClientRects().length && !c.disabled).map((c, i) => {
    c.dataset.sweep = String(i);
    const r = (c.type === 'checkbox' && c.closest('label') ? c.closest('label') : c).getBoundingClientRect();
    return {i, tag: c.tagName.toLowerCase(), pick: c.dataset.pick ?? null, text: (c.innerText || c.name ||
      c.getAttribute('aria-label') || '').slice(0, 40), w: r.width, h: r.height,
      inline: c.tagName === 'A' && getComputedStyle(c).display === 'inline'};
  });
}"""

# The editor as read in English: its text, every label a screen reader reads and the plan's words (but not the
# link to the Chinese page, which says 中文 in Chinese, marked lang="zh-CN").
WORDS = """() => {
  const words = [document.title];
  const chinese = (node) => node.closest('script, style, [lang^="zh"]');
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walk.nextNode(); node; node = walk.nextNode()) {
    if (!chinese(node.parentElement)) words.push(node.textContent.trim());
  }
  for (const node of document.querySelectorAll('[aria-label], [title], [placeholder], [alt], [value]')) {
    if (chinese(node)) continue;
    for (const name of ['aria-label', 'title', 'placeholder', 'alt', 'value']) words.push(node.getAttribute(name) ?? '');
  }
  return words.filter(Boolean);
}"""


@pytest.fixture(scope="module")
def sweep_server(tmp_path_factory):
    app = staff_app(tmp_path_factory.mktemp("scene-editor-sweep"), Clock(), models=True)
    result = app.test_cli_runner().invoke(args=["panorama", "render-demo", "pingnan", "--width", "2048"])
    assert result.exit_code == 0, result.output
    for hall in EDITORS:
        _draft_changes(signed_in(app, "boss"), hall)
    with serving(app) as base:
        yield base


def _draft_changes(client, hall: str) -> None:
    """What the demo data lacks, into the hall's draft: a corrected hotspot and a hidden one in the entrance
    scene, and a new scene COPY (a copy of the entrance 1 m east, no links, no panorama), which the check finds
    unreachable."""
    api = f"/api/v1/admin/halls/{hall}/scenes"
    entrance = client.get(f"{api}/entrance").get_json()
    spots = next(s for s in client.get(api).get_json()["scenes"] if s["code"] == "entrance")["hotspots"]
    moved, hidden = spots[0], spots[1]
    for spot, body in ((moved, {"yaw": (moved["yaw"] + 183) % 360 - 180}), (hidden, {"hidden": True})):
        version = client.get(f"{api}/entrance").get_json()["version"]
        answer = client.put(f"{api}/entrance/hotspots/{spot['target']}", json={**body, "version": version})
        assert answer.status_code == 200, answer.get_json()
    x, y, z = entrance["position"]
    copy = {
        "name": {"zh": entrance["name"]["zh"] + "副本", "en": entrance["name"]["en"] + " copy"},
        **{k: entrance[k] for k in ("floor", "heading")},
        "position": [x + 1, y, z],
        "links": {},
    }
    answer = client.put(f"{api}/{COPY}", json=copy)
    assert answer.status_code == 201, answer.get_json()


def _screen(view: dict, box: dict, yaw: float, pitch: float) -> tuple[float, float] | None:
    """The page's point of direction *yaw*, *pitch* for the viewer looking at view {yaw, pitch, fov} (a
    perspective camera, rotation order YXZ, as viewer/Viewer.js); None behind the camera."""
    y, p = math.radians(view["yaw"]), math.radians(view["pitch"])
    right = (math.cos(y), 0.0, math.sin(y))
    up = (-math.sin(p) * math.sin(y), math.cos(p), math.sin(p) * math.cos(y))
    forward = (math.cos(p) * math.sin(y), math.sin(p), -math.cos(p) * math.cos(y))
    a, b = math.radians(yaw), math.radians(pitch)
    d = (math.sin(a) * math.cos(b), math.sin(b), -math.cos(a) * math.cos(b))

    def dot(u, v):
        return sum(i * j for i, j in zip(u, v, strict=True))

    depth, half = dot(d, forward), math.tan(math.radians(view["fov"]) / 2)
    if depth <= 0.1:
        return None
    ndc_x = dot(d, right) / depth / (half * box["width"] / box["height"])
    ndc_y = dot(d, up) / depth / half
    return box["x"] + (ndc_x + 1) / 2 * box["width"], box["y"] + (1 - ndc_y) / 2 * box["height"]


def _inside(point, box: dict, margin: float) -> bool:
    x, y = point
    return (
        box["x"] + margin <= x <= box["x"] + box["width"] - margin
        and box["y"] + margin <= y <= box["y"] + box["height"] - margin
    )


def _near(a: float, b: float, tolerance: float) -> bool:
    return abs((a - b + 180) % 360 - 180) <= tolerance


def _names(page, hall: str, scenes: list[dict]) -> dict[str, str]:
    """What each hotspot target is called in Chinese: a counter by its number, a facility or scene by name."""
    public = page.evaluate(GET, f"/api/v1/halls/{hall}")
    names = {f"facility:{f['id']}": f["name"]["zh"] for f in public["facilities"]}
    names.update({f"scene:{s['code']}": s["name"]["zh"] for s in scenes})
    return names


def _label(target: str, names: dict[str, str]) -> str:
    kind, key = target.split(":", 1)
    return key if kind == "counter" else names[target]


def _check_markers(page, scene: dict, spots: list[dict]) -> int:
    """Pick each hotspot with a place from the list: the view turns to it, and then every marker shown stands
    at its direction, every hotspot in view is shown, and the wedge follows the view. The markers looked at."""
    at = {s["target"]: s for s in spots if s["yaw"] is not None}
    looked = 0
    for target, spot in at.items():
        page.click(f"[data-pick='{target}']")
        state = page.evaluate(STATE)
        view, box = state["view"], state["box"]
        where = f"{scene['code']} {target}"
        assert _near(view["yaw"], spot["yaw"], 0.06) and abs(view["pitch"] - spot["pitch"]) <= 0.06, where
        assert state["focused"] == target and state["pressed"] == [target], (where, state)
        shown = {m["target"]: m for m in state["shown"]}
        assert target in shown, (where, state["shown"])
        centre = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        assert math.dist((shown[target]["x"], shown[target]["y"]), centre) <= PX, (
            where,
            shown[target],
            centre,
        )
        for other, marker in shown.items():
            point = _screen(view, box, at[other]["yaw"], at[other]["pitch"])
            assert point is not None and math.dist((marker["x"], marker["y"]), point) <= PX, (where, other)
            assert marker["w"] >= TARGET and marker["h"] >= TARGET, (where, other, marker)
            looked += 1
        for other, s in at.items():
            point = _screen(view, box, s["yaw"], s["pitch"])
            if point is not None and _inside(point, box, PX):
                assert other in shown, (where, other, point)  # in view: its marker is there
        bearing = round((scene["heading"] + view["yaw"]) % 360, 1)
        assert _near(state["bearing"], bearing, 0.11), (where, state["bearing"], bearing)
        assert state["cone"] == f"rotate({state['bearing']:g})", state["cone"]
    return looked


def _check_plan(page, scene: dict, scenes: list[dict]) -> None:
    """The plan: this scene's marker at its position, the other scenes of its floor, its links on that floor."""
    x, _y, z = scene["position"]
    here = page.locator("[data-plan-here]")
    assert here.get_attribute("data-plan-here") == scene["code"]
    moved = re.fullmatch(r"translate\((\S+) (\S+)\)", here.get_attribute("transform"))
    assert moved and float(moved[1]) == x and float(moved[2]) == z, (scene["code"], moved, x, z)
    plan = page.locator("[data-place='plan'] svg")
    assert float(plan.get_attribute("data-x")) == x and float(plan.get_attribute("data-z")) == z
    dot, point = page.evaluate(HERE, [x, z])  # on the screen: the red dot where the plan has the position
    assert math.dist(dot, point) <= 1.5, (scene["code"], dot, point)
    floor = {s["code"]: s for s in scenes if s["floor"] == scene["floor"] and s["code"] != scene["code"]}
    dots = page.locator("[data-plan-scene]").evaluate_all("(ds) => ds.map((d) => d.dataset.planScene)")
    assert sorted(dots) == sorted(floor), (scene["code"], dots)
    lines = page.locator("[data-plan-link]").evaluate_all("(ls) => ls.map((l) => l.dataset.planLink)")
    assert sorted(lines) == sorted(c for c in scene["links"] if c in floor), (scene["code"], lines)


def _check_links(page, scene: dict, names: dict[str, str]) -> None:
    links = page.locator("[data-place='links'] [data-link]")
    codes = links.evaluate_all("(ls) => ls.map((l) => l.dataset.link)")
    assert codes == sorted(scene["links"]), (scene["code"], codes)
    for code in codes:
        name = names[f"scene:{code}"]
        item = page.locator(f"[data-place='links'] [data-link='{code}']")
        assert item.locator("strong").inner_text() == f"{name} ({code})"
        assert item.get_by_role("button", name=f"删除连接：{name}").count() == 1
        assert item.get_by_role("button", name=f"在视图中查看：{name}").count() == 1
    if not codes:
        assert page.locator("[data-place='links']").inner_text() == "没有连接"


def _check_findings(page, scene: dict, check: dict) -> None:
    def text(kind, f):
        return f"{'错误' if kind == 'error' else '提醒'}: {f['zh']} / {f['en']}"

    wanted = [text("error", f) for f in check["errors"] if f["scene"] == scene["code"]]
    wanted += [text("warning", f) for f in check["warnings"] if f["scene"] == scene["code"]]
    shown = page.locator("[data-editor='check'] li").all_inner_texts()
    assert shown == (wanted or ["本场景没有问题"]), (scene["code"], shown, wanted)


def _check_controls(page, scene: dict) -> int:
    """Every control ≥ 44 px; Tab from the page's start reaches every one, the hotspot list in its order."""
    controls = page.evaluate(CONTROLS)
    small = [c for c in controls if not c["inline"] and (c["w"] < TARGET or c["h"] < TARGET)]
    assert not small, (scene["code"], small)
    page.focus(".admin-tabs a[aria-current=page]")  # just before the editor: the hall's tab 场景
    reached = []
    for _ in range(len(controls) + 80):
        page.keyboard.press("Tab")
        index = page.evaluate("document.activeElement?.dataset?.sweep ?? null")
        if index is not None:
            if reached and int(index) == reached[0]:
                break
            reached.append(int(index))
        elif reached and page.evaluate(
            "!document.querySelector('#scene-editor').contains(document.activeElement)"
        ):
            break  # past the editor
    missing = [c for c in controls if c["i"] not in reached]
    assert not missing, (scene["code"], missing)
    picks = [c["pick"] for c in sorted(controls, key=lambda c: reached.index(c["i"])) if c["pick"]]
    assert picks == [c["pick"] for c in controls if c["pick"]], scene["code"]
    return len(controls)


@pytest.mark.parametrize("hall", ["pingnan", "guigang"])
def test_every_scene_in_the_editor(browser, built_web, sweep_server, hall):
    with open_tab(browser, sweep_server) as tab:
        page = tab.page
        sign_in_page(tab, EDITORS[hall], f"/admin/halls/{hall}/scenes")
        api = f"/api/v1/admin/halls/{hall}/scenes"
        scenes = page.evaluate(GET, api)["scenes"]
        check = page.evaluate(GET, f"{api}/check")
        names = _names(page, hall, scenes)
        assert len(scenes) >= 3
        links = page.locator("[data-scene] a").evaluate_all(
            "(as) => as.map((a) => [a.closest('[data-scene]').dataset.scene, a.getAttribute('href')])"
        )
        assert sorted(code for code, _ in links) == sorted(s["code"] for s in scenes)
        href = dict(links)
        assert tab.errors == []
        looked = controls = 0
        for scene in scenes:
            code = scene["code"]
            assert href[code] == f"/admin/halls/{hall}/scenes/{code}"
            tab.goto(href[code])
            page.wait_for_selector("#scene-editor[aria-busy=false]")
            page.locator("#scene-viewer").scroll_into_view_if_needed()
            page.wait_for_function("Number(document.getElementById('scene-viewer').dataset.frame) > 0")
            page.wait_for_selector("[data-plan-here]", state="attached")  # the plan comes after the page
            assert page.locator("h1").inner_text() == f"{scene['name']['zh']} · {code}"
            spots = scene["hotspots"]
            assert spots, code

            # The list: exactly the API's hotspots, in its order, each by its name; the markers named alike.
            listed = page.locator("[data-pick]").evaluate_all(
                "(bs) => bs.map((b) => [b.dataset.pick, b.innerText])"
            )
            assert [t for t, _ in listed] == [s["target"] for s in spots], code
            for (target, text), spot in zip(listed, spots, strict=True):
                notes = " · ".join(
                    n for n, on in (("已校正", spot["overridden"]), ("已隐藏", spot["hidden"])) if on
                )
                assert text == _label(target, names) + (f" ({notes})" if notes else ""), (code, target, text)
            marked = page.locator(".hotspot-edit").evaluate_all(
                "(bs) => bs.map((b) => [b.dataset.target, b.getAttribute('aria-label')])"
            )
            assert sorted(map(tuple, marked)) == sorted(
                (s["target"], _label(s["target"], names)) for s in spots if s["yaw"] is not None
            ), code

            _check_plan(page, scene, scenes)
            looked += _check_markers(page, scene, spots)
            _check_links(page, scene, names)
            _check_findings(page, scene, check)
            controls += _check_controls(page, scene)
            assert page.locator("[data-editor='error']").count() == 0, code
            assert tab.errors == [], (code, tab.errors)
        assert looked >= len(scenes) * 2 and controls >= len(scenes) * 20, (looked, controls)

        assert any(s["code"] == COPY for s in scenes) and any(f["scene"] == COPY for f in check["warnings"])

        # In English: no Chinese left on the page: the copy (with a finding), and a scene with a panorama
        # where there is one (the registration panel too).
        pictured = [s["code"] for s in scenes if s["panorama"]][:1]
        (finding,) = [f for f in check["warnings"] if f["scene"] == COPY]
        for code in [COPY, *pictured]:
            tab.goto(f"/admin/halls/{hall}/scenes/{code}?lang=en")
            page.wait_for_selector("#scene-editor[aria-busy=false]")
            page.wait_for_selector("[data-plan-here]", state="attached")
            assert page.locator("html").get_attribute("lang") == "en"
            page.locator("[data-pick]").first.click()  # its form too
            shown = page.locator("[data-check]").all_inner_texts()
            assert shown == ([f"Warning: {finding['en']}"] if code == COPY else ["No problem in this scene"])
            assert (page.locator("[data-register='panel']").count() == 1) == (code != COPY), code
            words = page.evaluate(WORDS)
            chinese = sorted({w for w in words if CJK.search(w)})
            assert not chinese, (code, chinese)
            assert tab.errors == [], (code, tab.errors)
        assert bool(pictured) == (hall == "pingnan")

        # The draft bar on the hall's pages shows the same check before publishing, in the page's language,
        # each finding of a scene linked to that scene's editor — Chinese, then English, then the link followed.
        findings = [("error", f) for f in check["errors"]] + [("warning", f) for f in check["warnings"]]
        for lang, query, kinds in (("zh", "", ("错误", "提醒")), ("en", "?lang=en", ("Error", "Warning"))):
            tab.goto(f"/admin/halls/{hall}{query}")
            page.wait_for_selector("body[data-admin='ready']")
            bar = page.locator("[data-draft-check]")
            assert not check["errors"] and bar.get_attribute("data-draft-check") == "warning"
            items = bar.locator("li").evaluate_all(
                """(ls) => ls.map((l) => [l.dataset.check, l.dataset.code, l.innerText,
                    l.querySelector('a') && l.querySelector('a').getAttribute('href')])"""
            )
            expected = []
            for kind, f in findings:
                link = f"/admin/halls/{hall}/scenes/{f['scene']}{query}" if f["scene"] else None
                opener = (
                    (f" 打开场景 {f['scene']}" if lang == "zh" else f" Open scene {f['scene']}")
                    if link
                    else ""
                )
                label = kinds[0] if kind == "error" else kinds[1]
                expected.append([kind, f["code"], f"{label}: {f[lang]}{opener}", link])
            assert items == expected, (lang, items)
            head = bar.locator(".admin-draft-check-head").inner_text()
            n = len(check["warnings"])
            assert head == (
                f"发布前检查：{n} 项提醒（可以发布，但市民可能会被误导）"
                if lang == "zh"
                else f"Check before publishing: {n} warning(s) (the draft can be published, but citizens may be misled)"
            )
        bar.locator(f"li[data-code='unreachable_scene'] a[href*='/scenes/{COPY}']").click()
        page.wait_for_selector("#scene-editor[aria-busy=false]")
        copy_name = next(s["name"]["en"] for s in scenes if s["code"] == COPY)
        assert page.locator("h1").inner_text() == f"{copy_name} · {COPY}"
        assert tab.errors == []
