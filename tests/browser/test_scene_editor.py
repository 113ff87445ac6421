"""The scene editor page in real Chromium, on its own app (it publishes): drag a hotspot and see the admin
API's override at the view's direction; select another from the list and nudge it with the keyboard (yaw by
0.5°), reset it, hide it; set the initial view from the view; publish through the API and see it all in the
public hall document. Then the page in English."""

from __future__ import annotations

import pytest

from tests.conftest import serving
from tests.staff import Clock, staff_app

from .conftest import open_tab, sign_in_page

pytestmark = pytest.mark.browser
HALL = "guigang"
SCENE = "entrance"
API = f"/api/v1/admin/halls/{HALL}/scenes"


@pytest.fixture(scope="module")
def editor_server(tmp_path_factory):
    app = staff_app(tmp_path_factory.mktemp("scene-editor"), Clock(), models=True)
    with serving(app) as base:
        yield base


GET = "async (url) => (await fetch(url, {headers: {Accept: 'application/json'}})).json()"
CSRF = "() => JSON.parse(document.getElementById('scene-data').textContent).csrf"
PUBLISH = """async ([url, csrf]) => {
  const r = await fetch(url, {method: 'POST', headers: {'X-CSRF-Token': csrf, Accept: 'application/json'}});
  return r.status;
}"""


def _saved(page, n: int) -> None:
    page.wait_for_selector(f"#scene-editor[data-saves='{n}']")


def _centre(box: dict) -> tuple[float, float]:
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def _near(a: float, b: float, tolerance: float) -> bool:
    return abs((a - b + 180) % 360 - 180) <= tolerance


def test_edit_hotspots_and_initial_view_then_publish(browser, built_web, editor_server):
    with open_tab(browser, editor_server) as tab:
        page = tab.page
        sign_in_page(tab, "editor.gg", f"/admin/halls/{HALL}/scenes")
        assert page.locator(".admin-tabs a[aria-current=page]").inner_text() == "场景"
        page.click(f"[data-scene='{SCENE}'] a")
        page.wait_for_selector("#scene-editor[aria-busy=false]")
        assert (
            page.locator(".admin-tabs a[aria-current=page]").inner_text() == "场景"
        )  # the editor is below 场景
        view = page.locator("#scene-viewer")
        view.scroll_into_view_if_needed()
        page.wait_for_function("Number(document.getElementById('scene-viewer').dataset.frame) > 0")
        before = {
            s["target"]: s
            for s in next(s for s in page.evaluate(GET, API)["scenes"] if s["code"] == SCENE)["hotspots"]
        }
        markers = page.locator(".hotspot-edit:not([hidden])")
        assert markers.count() >= 2
        for i in range(markers.count()):
            box = markers.nth(i).bounding_box()
            assert box["width"] >= 44 and box["height"] >= 44  # targets ≥ 44 px

        # Drag one to the view's centre: the override is the direction seen there.
        frame = view.bounding_box()
        first = next(
            markers.nth(i)
            for i in range(markers.count())
            if abs(_centre(markers.nth(i).bounding_box())[0] - frame["x"] - frame["width"] / 2) > 60
        )
        target = first.get_attribute("data-target")
        first = page.locator(f".hotspot-edit[data-target='{target}']")
        box = first.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(frame["x"] + frame["width"] / 2, frame["y"] + frame["height"] / 2, steps=8)
        page.mouse.up()
        _saved(page, 1)
        scene = page.evaluate(GET, f"{API}/{SCENE}")
        moved = scene["overrides"][target]
        yaw, pitch = float(view.get_attribute("data-yaw")), float(view.get_attribute("data-pitch"))
        assert _near(moved["yaw"], yaw, 1.0) and abs(moved["pitch"] - pitch) <= 1.0, (moved, yaw, pitch)
        assert (
            not _near(moved["yaw"], before[target]["yaw"], 1.0)
            or abs(moved["pitch"] - before[target]["pitch"]) > 1
        )
        assert first.get_attribute("aria-pressed") == "true"
        # named as a citizen reads it: a counter by its number, a facility or a scene by its name
        hall_doc = (
            page.evaluate(  # not kept in the browser's cache: the check after publishing reads it again
                "async (u) => (await fetch(u, {cache: 'no-store'})).json()", f"/api/v1/halls/{HALL}"
            )
        )
        names = {
            **{f"facility:{f['id']}": f["name"]["zh"] for f in hall_doc["facilities"]},
            **{f"scene:{x['id']}": x["name"]["zh"] for x in hall_doc["scenes"]},
        }
        kind, key = target.split(":", 1)
        assert page.locator("[data-editor='form'] h3").inner_text() == (
            key if kind == "counter" else names[target]
        )
        labels = page.locator(".admin-hotspot-list button").all_inner_texts()
        ids = {t.split(":", 1)[1] for t in names}  # raw ids of facilities and scenes: never shown as labels
        assert len(labels) > 5 and not [x for x in labels if x.split(" (")[0] in ids], labels

        # Another one from the list, nudged with the keyboard: yaw by 0.5 (Shift: 5).
        other = next(t for t, s in before.items() if t != target and s["yaw"] is not None and not s["hidden"])
        page.click(f"[data-pick='{other}']")
        assert page.evaluate("document.activeElement.dataset.target") == other
        page.keyboard.press("ArrowRight")
        _saved(page, 2)
        nudged = page.evaluate(GET, f"{API}/{SCENE}")["overrides"][other]
        assert _near(nudged["yaw"], before[other]["yaw"] + 0.5, 0.011), (nudged, before[other])
        assert nudged["pitch"] == before[other]["pitch"]
        page.keyboard.press("Shift+ArrowUp")
        _saved(page, 3)
        assert page.evaluate(GET, f"{API}/{SCENE}")["overrides"][other]["pitch"] == pytest.approx(
            before[other]["pitch"] + 5
        )
        assert page.locator("[data-editor='form']").get_by_label("水平角（度）").input_value() == str(
            nudged["yaw"]
        ).rstrip("0").rstrip(".")

        # Reset it to the computed position, then hide it.
        page.get_by_role("button", name="恢复计算位置").click()
        _saved(page, 4)
        assert other not in page.evaluate(GET, f"{API}/{SCENE}")["overrides"]
        assert page.get_by_role("button", name="恢复计算位置").is_disabled()
        page.get_by_role("button", name="隐藏").click()
        _saved(page, 5)
        assert page.evaluate(GET, f"{API}/{SCENE}")["overrides"][other]["hidden"] is True
        assert page.locator(f".hotspot-edit[data-target='{other}']").get_attribute("data-hidden") == ""
        assert page.get_by_role("button", name="显示", exact=True).is_visible()

        # Turn the view with the keyboard, then make it the initial view.
        view.focus()
        page.keyboard.press("ArrowLeft")
        page.get_by_role("button", name="把当前视角设为初始视角").click()
        _saved(page, 6)
        yaw = float(view.get_attribute("data-yaw"))
        initial = page.evaluate(GET, f"{API}/{SCENE}")["initial_view"]
        assert initial is not None and _near(initial["yaw"], yaw, 0.06) and -180 <= initial["yaw"] < 180
        assert page.locator("[data-editor='initial']").get_attribute("data-yaw") == str(initial["yaw"])
        assert page.locator("[data-check]").count() >= 1  # this scene's findings, or "no problem"
        assert page.locator("[data-editor='error']").count() == 0

        # Reset keeps a hidden hotspot hidden (the computed place back, the hiding kept).
        page.get_by_role("button", name="恢复计算位置").click()
        _saved(page, 7)
        assert page.evaluate(GET, f"{API}/{SCENE}")["overrides"][other] == {
            "yaw": None,
            "pitch": None,
            "hidden": True,
        }
        assert page.get_by_role("button", name="显示", exact=True).is_visible()

        # Links: add one to zizhu with the way back (two saves), look at zizhu and take the view as arrival.
        links = page.locator("[data-place='links'] [data-link]")
        assert [links.nth(i).get_attribute("data-link") for i in range(links.count())] == ["lobby"]
        assert page.get_by_role("button", name="删除连接：中庭导办台").is_visible()  # named in its button
        assert page.locator("[data-link='lobby'] [data-action='add-back']").count() == 0  # lobby links back
        page.select_option("[data-place='add-link-form'] select", "zizhu")
        assert page.get_by_label("同时添加返回连接").is_checked()
        page.get_by_role("button", name="添加连接").click()
        _saved(page, 9)
        assert page.evaluate(GET, f"{API}/{SCENE}")["links"]["zizhu"] == {"arrival": None}
        assert SCENE in page.evaluate(GET, f"{API}/zizhu")["links"]  # the way back
        assert page.locator("[data-plan-link='zizhu']").count() == 1  # drawn on the plan
        page.get_by_role("button", name="在视图中查看：24小时自助区").click()
        assert page.locator("[data-place='looking']").get_attribute("data-looking") == "zizhu"
        assert page.locator(".hotspot-edit:not([hidden])").count() == 0  # not this scene's hotspots
        view.focus()
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        # The wedge follows the view as it turns (the keys animate it), from zizhu (heading 180).
        page.wait_for_function(
            """() => {
              const yaw = Number(document.getElementById('scene-viewer').dataset.yaw);
              const wedge = Number(document.querySelector("[data-place='plan'] svg").dataset.bearing);
              return yaw > 15 && Math.abs(((180 + yaw) % 360) - wedge) < 0.06;
            }"""
        )
        look_yaw = float(view.get_attribute("data-yaw"))
        page.get_by_role("button", name="到达视角 = 当前视角").click()
        _saved(page, 10)
        arrival = page.evaluate(GET, f"{API}/{SCENE}")["links"]["zizhu"]["arrival"]
        assert _near(arrival["yaw"], look_yaw, 0.06) and arrival["yaw"] != 0, arrival
        page.get_by_role("button", name="返回本场景").click()
        assert page.locator("[data-place='looking']").get_attribute("data-looking") == ""
        page.wait_for_function("document.querySelectorAll('.hotspot-edit').length >= 2")  # read again
        # …and a typed arrival view for the lobby.
        page.fill("[data-arrival-form='lobby'] [name=yaw]", "30")
        page.fill("[data-arrival-form='lobby'] [name=pitch]", "-5")
        page.locator("[data-arrival-form='lobby'] [data-action='arrival-typed']").click()
        _saved(page, 11)
        assert page.evaluate(GET, f"{API}/{SCENE}")["links"]["lobby"] == {"arrival": {"yaw": 30, "pitch": -5}}

        # Heading: nudged by +10°, then typed; the hotspots are computed again from it.
        computed = next(s for s in page.evaluate(GET, API)["scenes"] if s["code"] == SCENE)["hotspots"]
        page.get_by_role("button", name="朝向（度） +10°").click()
        _saved(page, 12)
        assert page.evaluate(GET, f"{API}/{SCENE}")["heading"] == 10
        page.fill("[data-place='heading-form'] [name=heading]", "-170.5")
        page.locator("[data-place='heading-form'] [data-action='heading']").click()
        _saved(page, 13)
        assert page.evaluate(GET, f"{API}/{SCENE}")["heading"] == -170.5
        assert page.locator("[data-place='heading']").get_attribute("data-heading") == "-170.5"
        again = {
            h["target"]: h
            for h in next(s for s in page.evaluate(GET, API)["scenes"] if s["code"] == SCENE)["hotspots"]
        }
        turned = [h for h in computed if h["computed"] and again[h["target"]]["computed"]]
        assert turned and all(
            _near(again[h["target"]]["computed"]["yaw"], h["computed"]["yaw"] + 170.5, 0.05) for h in turned
        )
        bearing = float(page.locator("[data-place='plan'] svg").get_attribute("data-bearing"))
        assert _near(bearing, -170.5 + float(view.get_attribute("data-yaw")), 0.11)

        controls = page.locator("#scene-place button, #scene-place select, #scene-place input[type=number]")
        assert controls.count() >= 12
        for i in range(controls.count()):
            assert controls.nth(i).bounding_box()["height"] >= 44  # targets ≥ 44 px

        # The plan: the other scenes of the floor; "move here" and a click places the scene there.
        plan = page.locator("[data-place='plan'] svg")
        assert (
            page.locator("[data-plan-scene]").count() >= 6
            and page.locator("[data-plan-scene='sw']").count() == 1
        )
        page.get_by_role("button", name="移到这里：点击平面图放置本场景").click()
        assert page.locator("[data-action='move-here']").get_attribute("aria-pressed") == "true"
        to_screen = """([x, z]) => {
          const svg = document.querySelector("[data-place='plan'] svg");
          const p = svg.createSVGPoint(); p.x = x; p.y = z;
          const s = p.matrixTransform(svg.getScreenCTM()); return [s.x, s.y];
        }"""
        page.mouse.click(*page.evaluate(to_screen, [2.0, 8.0]))
        _saved(page, 14)
        x, y, z = page.evaluate(GET, f"{API}/{SCENE}")["position"]
        assert abs(x - 2.0) < 0.2 and abs(z - 8.0) < 0.2 and y == 1.6, (x, z)
        assert page.locator("[data-action='move-here']").get_attribute("aria-pressed") == "false"
        assert float(plan.get_attribute("data-x")) == x
        plan.focus()
        page.keyboard.press("ArrowRight")  # 0.1 m east, twice at once: the second builds on the first
        page.keyboard.press("ArrowRight")
        _saved(page, 16)
        moved_x, _, moved_z = page.evaluate(GET, f"{API}/{SCENE}")["position"]
        assert moved_x == pytest.approx(x + 0.2, abs=0.011) and moved_z == z
        assert page.locator("[data-place='position-form'] [name=x]").input_value() == str(moved_x)
        assert page.locator("[data-editor='error']").count() == 0

        # Publish through the API: citizens see the override, not the hidden one, and the initial view.
        status = page.evaluate(PUBLISH, [f"/api/v1/admin/halls/{HALL}/publish", page.evaluate(CSRF)])
        assert status == 201
        public = page.evaluate(GET, f"/api/v1/halls/{HALL}")
        entrance = next(s for s in public["scenes"] if s["id"] == SCENE)
        spots = {s["target"]: s for s in entrance["hotspots"]}
        assert spots[target]["yaw"] == pytest.approx(moved["yaw"], abs=0.01)
        assert other not in spots
        assert entrance["initial_view"] == initial
        assert sorted(entrance["links"]) == ["lobby", "zizhu"] and entrance["heading"] == -170.5
        assert entrance["arrivals"]["zizhu"] == arrival and entrance["arrivals"]["lobby"] == {
            "yaw": 30,
            "pitch": -5,
        }
        assert entrance["position"] == [moved_x, 1.6, moved_z]
        zizhu = next(s for s in public["scenes"] if s["id"] == "zizhu")
        assert SCENE in zizhu["links"]

        # In English.
        tab.goto(f"/admin/halls/{HALL}/scenes/{SCENE}?lang=en")
        page.wait_for_selector("#scene-editor[aria-busy=false]")
        page.click(f"[data-pick='{target}']")
        assert page.get_by_role("button", name="Place at view centre").is_visible()
        assert page.locator(".admin-tabs").get_by_role("link", name="Scenes").is_visible()
        assert page.get_by_role("button", name="Set the current view as initial view").is_visible()
        assert page.get_by_role("button", name="Remove link: 24-hour self-service").is_visible()
        assert page.get_by_role("button", name="Heading (°) −10°").is_visible()
        assert page.locator(".admin-tabs a[aria-current=page]").inner_text() == "Scenes"
        assert page.locator("html").get_attribute("lang") == "en"
