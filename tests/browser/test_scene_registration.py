"""Registering a panorama in the scene editor, in real Chromium, on its own app (it publishes): a demo scene
rendered from the model at its true heading, whose draft heading was then set 15° wrong through the API, is
registered by clicking two counters where the rendered panorama shows them (the model's directions for the
true heading, turned into screen points by the page's own projection, checked against a hotspot marker);
a point taken at the wrong place makes the residual too large and Accept stays disabled until it is
removed; accepted, published, the public hall document has the heading back within 0.5°."""

from __future__ import annotations

import math

import numpy as np
import pytest

from server.conventions import direction_to_yaw_pitch
from tests.conftest import serving
from tests.staff import Clock, staff_app

from .conftest import open_tab, sign_in_page

pytestmark = pytest.mark.browser
HALL = "guigang"
SCENE = "lobby"
API = f"/api/v1/admin/halls/{HALL}/scenes"

GET = "async (url) => (await fetch(url, {headers: {Accept: 'application/json'}})).json()"
WRITE = """async ([method, url, body, csrf]) => {
  const r = await fetch(url, {method, headers: {'X-CSRF-Token': csrf, Accept: 'application/json',
    'Content-Type': 'application/json'}, body: body === null ? undefined : JSON.stringify(body)});
  return r.status;
}"""
CSRF = "() => JSON.parse(document.getElementById('scene-data').textContent).csrf"


def _render_one_scene(app) -> dict:
    """Render SCENE's panorama from the model at its pose (small), publish it; the true directions of the
    counters seen from it: the model's anchors for its heading."""
    from server.db import get_session
    from server.hallmodel.check import load_scene
    from server.hallmodel.store import model_path
    from server.models import Hall
    from server.panoramas.render import flatten_scene, render_equirect
    from server.panoramas.store import add_panorama, jpeg_bytes
    from server.publishing.halldata import follow_live_scenes

    with app.app_context():
        session = get_session()
        hall = session.query(Hall).filter_by(slug=HALL).one()
        scene = next(s for s in hall.scenes if s.code == SCENE)
        model = flatten_scene(load_scene(model_path(app, HALL, hall.model_sha).read_bytes())[0])
        pose = (scene.x, scene.y, scene.z)
        add_panorama(app, session, scene, jpeg_bytes(render_equirect(model, pose, scene.heading, width=2048)))
        follow_live_scenes(session, hall)
        session.commit()
        geometry = app.extensions["hall_models"].get(hall).geometry
        truth = {"heading": scene.heading, "directions": {}}
        for name, info in geometry.nodes.items():
            yaw, pitch = direction_to_yaw_pitch(np.subtract(info.anchor, pose), scene.heading)
            truth["directions"][name] = (yaw, pitch)
        session.close()
        return truth


@pytest.fixture(scope="module")
def registration_server(tmp_path_factory):
    app = staff_app(tmp_path_factory.mktemp("scene-registration"), Clock(), models=True)
    truth = _render_one_scene(app)
    with serving(app) as base:
        yield base, truth


def _screen(view: dict, box: dict, yaw: float, pitch: float) -> tuple[float, float]:
    """The page's point of direction *yaw*, *pitch* for the viewer looking at view {yaw, pitch, fov}
    (a perspective camera, rotation order YXZ, as viewer/Viewer.js)."""
    y, p = math.radians(view["yaw"]), math.radians(view["pitch"])
    right = np.array([math.cos(y), 0.0, math.sin(y)])
    up = np.array([-math.sin(p) * math.sin(y), math.cos(p), math.sin(p) * math.cos(y)])
    forward = np.array([math.cos(p) * math.sin(y), math.sin(p), -math.cos(p) * math.cos(y)])
    a, b = math.radians(yaw), math.radians(pitch)
    d = np.array([math.sin(a) * math.cos(b), math.sin(b), -math.cos(a) * math.cos(b)])
    depth, half = d @ forward, math.tan(math.radians(view["fov"]) / 2)
    assert depth > 0.2
    ndc_x = (d @ right) / depth / (half * box["width"] / box["height"])
    ndc_y = (d @ up) / depth / half
    return box["x"] + (ndc_x + 1) / 2 * box["width"], box["y"] + (1 - ndc_y) / 2 * box["height"]


def _view(page) -> dict:
    viewer = page.locator("#scene-viewer")
    return {k: float(viewer.get_attribute(f"data-{k}")) for k in ("yaw", "pitch", "fov")}


def _near(a: float, b: float, tolerance: float) -> bool:
    return abs((a - b + 180) % 360 - 180) <= tolerance


def test_register_a_panorama_by_clicking_counters_then_publish(browser, built_web, registration_server):
    base, truth = registration_server
    with open_tab(browser, base) as tab:
        page = tab.page
        sign_in_page(tab, "editor.gg", f"/admin/halls/{HALL}/scenes/{SCENE}")
        page.wait_for_selector("#scene-editor[aria-busy=false]")
        csrf = page.evaluate(CSRF)
        scene = page.evaluate(GET, f"{API}/{SCENE}")
        assert scene["panorama"] is not None and _near(scene["heading"], truth["heading"], 0.01)
        wrong = (truth["heading"] + 15 + 180) % 360 - 180
        body = {"heading": wrong, "version": scene["version"]}
        assert page.evaluate(WRITE, ["PUT", f"{API}/{SCENE}", body, csrf]) == 200
        tab.goto(f"/admin/halls/{HALL}/scenes/{SCENE}")
        page.wait_for_selector("#scene-editor[aria-busy=false]")
        page.locator("#scene-viewer").scroll_into_view_if_needed()
        page.wait_for_function("Number(document.getElementById('scene-viewer').dataset.frame) > 0")
        listed = next(s for s in page.evaluate(GET, API)["scenes"] if s["code"] == SCENE)["hotspots"]
        spots = {s["target"]: s for s in listed if s["kind"] == "counter" and not s["hidden"]}
        # Two counters well apart, whose draft markers are 15° off their true place in the panorama.
        by_yaw = sorted(spots, key=lambda t: spots[t]["yaw"])
        first, second = by_yaw[len(by_yaw) // 4], by_yaw[3 * len(by_yaw) // 4]
        for target in (first, second):
            assert _near(spots[target]["yaw"], truth["directions"][target][0] - 15, 0.05)

        panel = page.locator("[data-register='panel']")
        mode = page.locator("[data-register='mode']")
        assert mode.inner_text() == "注册全景图"
        mode.click()
        assert mode.get_attribute("aria-pressed") == "true"
        assert page.get_by_role("button", name="结束注册").is_visible()
        assert page.locator("#scene-viewer").get_attribute("data-registering") == ""

        def viewer() -> dict:
            page.locator("#scene-viewer").scroll_into_view_if_needed()
            return page.locator("#scene-viewer").bounding_box()

        def choose(target: str) -> None:
            page.get_by_label("柜台", exact=True).select_option(target)
            view = _view(page)  # the view turned to where the draft expects it
            assert _near(view["yaw"], spots[target]["yaw"], 0.06), (view, spots[target])

        def click_true(target: str) -> None:
            view = {**_view(page), "yaw": spots[target]["yaw"], "pitch": spots[target]["pitch"]}
            box = viewer()
            # The projection is the page's: the (dimmed) marker of the draft's direction sits where it says.
            marker = page.locator(f".hotspot-edit[data-target='{target}']").bounding_box()
            x, y = _screen(view, box, spots[target]["yaw"], spots[target]["pitch"])
            assert (
                abs(marker["x"] + marker["width"] / 2 - x) < 2
                and abs(marker["y"] + marker["height"] / 2 - y) < 2
            )
            page.mouse.click(*_screen(view, box, *truth["directions"][target]))

        choose(first)
        click_true(first)
        page.wait_for_selector("[data-register='panel'][data-points='1']")
        assert "至少需要两个点" in panel.inner_text()
        assert page.get_by_role("button", name="接受").is_disabled()

        # The second taken at the view's centre (the keyboard way), where the draft wrongly puts it: too large.
        choose(second)
        page.get_by_role("button", name="在视野中心取点").click()
        page.wait_for_selector("[data-register='panel'][data-state='solved'][data-points='2']")
        assert panel.get_attribute("data-acceptable") == "false"
        assert float(panel.get_attribute("data-residual")) > 3
        assert "互相矛盾" in page.locator("[data-register='judgement']").inner_text()
        assert page.get_by_role("button", name="接受").is_disabled()

        # Removed, then clicked where the panorama shows it: the residual is small, the heading the true one.
        page.locator(f"[data-remove='{second}']").click()
        page.wait_for_selector("[data-register='panel'][data-points='1']")
        choose(second)
        click_true(second)
        page.wait_for_selector("[data-register='panel'][data-state='solved'][data-points='2']")
        assert panel.get_attribute("data-acceptable") == "true", panel.inner_text()
        residual = float(panel.get_attribute("data-residual"))
        assert residual < 0.5
        assert page.locator("[data-register='residual']").inner_text() == f"残差: {residual:.2f}°"
        assert "可以接受" in page.locator("[data-register='judgement']").inner_text()
        assert _near(float(panel.get_attribute("data-heading")), truth["heading"], 0.5)
        assert page.locator("[data-register='points'] li").count() == 2
        mark = page.locator(f"[data-mark='{second}']").bounding_box()  # where it was taken, in the panorama
        x, y = _screen(_view(page), viewer(), *truth["directions"][second])
        assert mark is not None and math.hypot(mark["x"] + 2 - x, mark["y"] + 2 - y) < 2, (mark, x, y)
        assert (
            page.locator(".hotspot-edit").first.evaluate("b => getComputedStyle(b).pointerEvents") == "none"
        )

        page.get_by_role("button", name="接受").click()
        page.wait_for_selector("[data-register='panel'][data-state='accepted']")
        assert page.locator("[data-editor='error']").count() == 0
        saved = page.evaluate(GET, f"{API}/{SCENE}")
        assert _near(saved["heading"], truth["heading"], 0.5), (saved["heading"], truth["heading"])
        assert page.locator("[data-register='points'] li").count() == 0
        # The hotspots reloaded: the (dimmed) marker is where the panorama shows the counter now.
        x, y = _screen(_view(page), viewer(), *truth["directions"][second])
        box = page.locator(f".hotspot-edit[data-target='{second}']").bounding_box()
        assert (
            box is not None
            and math.hypot(box["x"] + box["width"] / 2 - x, box["y"] + box["height"] / 2 - y) < 12
        )

        status = page.evaluate(WRITE, ["POST", f"/api/v1/admin/halls/{HALL}/publish", None, csrf])
        assert status == 201
        public = page.evaluate(GET, f"/api/v1/halls/{HALL}")
        lobby = next(s for s in public["scenes"] if s["id"] == SCENE)
        assert _near(lobby["heading"], truth["heading"], 0.5), (lobby["heading"], truth["heading"])

        # In English.
        tab.goto(f"/admin/halls/{HALL}/scenes/{SCENE}?lang=en")
        page.wait_for_selector("#scene-editor[aria-busy=false]")
        page.get_by_role("button", name="Register the panorama").click()
        assert page.get_by_label("Counter", exact=True).is_visible()
        assert page.get_by_role("button", name="Take the point at the view centre").is_visible()
        assert "Two points give the heading" in panel.inner_text()
        assert not tab.errors, tab.errors
