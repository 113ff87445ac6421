"""The scene editor page in real Chromium, on its own app (it publishes): drag a hotspot and see the admin
API's override at the view's direction; select another from the list and nudge it with the keyboard (yaw by
0.5°), reset it, hide it; set the initial view from the view; publish through the API and see it all in the
public hall document. Then the page in English."""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from tests.conftest import _ClosingHandler, _remember_body
from tests.staff import Clock, staff_app

from .conftest import open_tab, sign_in_page

pytestmark = pytest.mark.browser
HALL = "guigang"
SCENE = "entrance"
API = f"/api/v1/admin/halls/{HALL}/scenes"


@pytest.fixture(scope="module")
def editor_server(tmp_path_factory):
    app = staff_app(tmp_path_factory.mktemp("scene-editor"), Clock(), models=True)
    server = make_server("127.0.0.1", 0, _remember_body(app), threaded=True, request_handler=_ClosingHandler)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    serving.join(timeout=5)


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
        assert page.locator("[data-editor='form'] h3").inner_text() == target.split(":", 1)[1]

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
        assert page.get_by_label("水平角（度）").input_value() == str(nudged["yaw"]).rstrip("0").rstrip(".")

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

        # Publish through the API: citizens see the override, not the hidden one, and the initial view.
        status = page.evaluate(PUBLISH, [f"/api/v1/admin/halls/{HALL}/publish", page.evaluate(CSRF)])
        assert status == 201
        public = page.evaluate(GET, f"/api/v1/halls/{HALL}")
        entrance = next(s for s in public["scenes"] if s["id"] == SCENE)
        spots = {s["target"]: s for s in entrance["hotspots"]}
        assert spots[target]["yaw"] == pytest.approx(moved["yaw"], abs=0.01)
        assert other not in spots
        assert entrance["initial_view"] == initial

        # In English.
        tab.goto(f"/admin/halls/{HALL}/scenes/{SCENE}?lang=en")
        page.wait_for_selector("#scene-editor[aria-busy=false]")
        page.click(f"[data-pick='{target}']")
        assert page.get_by_role("button", name="Place at view centre").is_visible()
        assert page.locator(".admin-tabs").get_by_role("link", name="Scenes").is_visible()
        assert page.get_by_role("button", name="Set the current view as initial view").is_visible()
        assert page.locator("html").get_attribute("lang") == "en"
