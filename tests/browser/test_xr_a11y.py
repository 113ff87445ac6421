"""VR with an emulated headset (the npm package iwer), the plain message without one, axe-core on the tour's
states, and a phone-sized viewport."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import HALL, Tab

pytestmark = pytest.mark.browser

NODE_MODULES = Path(__file__).resolve().parents[2] / "web" / "node_modules"
IWER = NODE_MODULES / "iwer" / "build" / "iwer.min.js"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
# Runs before the page's own scripts, so the tour sees the emulated headset's navigator.xr.
INSTALL_IWER = """
window.__xrDevice = new IWER.XRDevice(IWER.metaQuest3);
window.__xrDevice.installRuntime({ forceInstall: true });
"""
# Point both emulated controllers at the named hotspot (or the floating panel) (three's world space is the local reference space
# while the view starts at yaw 0) and pull the right trigger.
AIM_AT = """
(target) => {
  const xr = window.__tour.xr;
  const mesh = target === 'panel' ? xr.panel : xr.spots.children.find((m) => m.userData.target === target);
  const to = mesh.getWorldPosition(mesh.position.clone());
  const from = xr.controllers[0].getWorldPosition(mesh.position.clone());
  const d = to.sub(from).normalize();
  // the rotation taking −Z onto d: axis (0,0,−1)×d, angle from −d.z
  const q = [d.y, -d.x, 0, 1 - d.z];
  const n = Math.hypot(...q);
  for (const hand of ['left', 'right']) window.__xrDevice.controllers[hand].quaternion.set(...q.map((v) => v / n));
}
"""
# Turn the emulated headset towards the named hotspot (gaze).
LOOK_AT = """
(target) => {
  const xr = window.__tour.xr;
  const mesh = xr.spots.children.find((m) => m.userData.target === target);
  const d = mesh.getWorldPosition(mesh.position.clone()).sub(xr.viewer.camera.getWorldPosition(mesh.position.clone())).normalize();
  const q = [d.y, -d.x, 0, 1 - d.z];
  const n = Math.hypot(...q);
  window.__xrDevice.quaternion.set(...q.map((v) => v / n));
}
"""
VIOLATIONS = """
async () => {
  // label-content-name-mismatch (WCAG 2.5.3) is experimental in axe, off unless named
  const rules = { 'label-content-name-mismatch': { enabled: true } };
  const result = await axe.run(document, { resultTypes: ['violations'], rules });
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}
"""


@pytest.fixture
def vr_tab(browser, live_server, panoramas, built_web) -> Iterator[Tab]:
    assert IWER.exists(), "iwer is missing: npm ci in web/ (bash scripts/test) installs it"
    context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="zh-CN")
    context.add_init_script(path=str(IWER))
    context.add_init_script(script=INSTALL_IWER)
    page = context.new_page()
    page.set_default_timeout(10000)
    yield Tab(page, live_server)
    context.close()


XR_FRAMES = 3  # frames the emulated headset must draw after a change before the next step


def wait_xr_frames(page) -> None:
    """Wait until the XR loop has drawn XR_FRAMES more frames (the new pose or button state is seen)."""
    start = page.evaluate("window.__tour.xr.frames")
    page.wait_for_function(f"window.__tour.xr.frames >= {start + XR_FRAMES}")


def select_by_ray(page, target: str) -> None:
    """Aim the emulated controllers at *target* and click the right trigger (iwer sends 'select')."""
    page.evaluate(AIM_AT, target)
    wait_xr_frames(page)
    page.evaluate("window.__xrDevice.controllers.right.updateButtonValue('trigger', 1)")
    wait_xr_frames(page)
    page.evaluate("window.__xrDevice.controllers.right.updateButtonValue('trigger', 0)")


def test_vr_session_renders_and_a_controller_ray_opens_a_counter_panel(vr_tab):
    page = vr_tab.page
    vr_tab.tour()
    button = page.locator("#enter-vr")
    page.wait_for_selector("#enter-vr[data-vr='supported']")
    assert button.inner_text() == "进入VR"
    button.click()
    page.wait_for_function("window.__tour.xr?.session && window.__tour.xr.frames > 5")
    assert button.inner_text() == "退出VR"
    assert page.evaluate("window.__tour.viewer.renderer.xr.isPresenting")
    select_by_ray(page, "counter:B01")
    page.wait_for_function("window.__tour.xr.panel?.userData.counter === 'B01'")
    assert page.evaluate("window.__tour.xr.lastSelected") == "counter:B01"
    select_by_ray(page, "panel")  # selecting the panel closes it
    page.wait_for_function("!window.__tour.xr.panel")
    link = page.evaluate(
        "window.__tour.xr.spots.children.find((m) => m.userData.target.startsWith('scene:')).userData.target"
    )
    select_by_ray(page, link)
    page.wait_for_function(f"new URLSearchParams(location.search).get('scene') === '{link.split(':')[1]}'")
    # Without controllers the reticle selects what the user looks at for 1.5 s.
    page.evaluate(
        "for (const hand of ['left', 'right']) window.__xrDevice.controllers[hand].connected = false"
    )
    page.wait_for_function("window.__tour.xr.reticle.visible")
    counter = page.evaluate(
        "window.__tour.xr.spots.children.find((m) => m.userData.target.startsWith('counter:')).userData.target"
    )
    page.evaluate(LOOK_AT, counter)
    page.wait_for_function(f"window.__tour.xr.lastSelected === '{counter}' && window.__tour.xr.panel")
    page.evaluate("window.__tour.viewer.renderer.xr.getSession().end()")
    page.wait_for_function("!window.__tour.xr.session")
    assert not page.evaluate("window.__tour.viewer.renderer.xr.enabled")
    assert button.inner_text() == "进入VR"
    page.locator("#viewer").focus()
    page.keyboard.press("ArrowRight")  # on-demand rendering again
    page.wait_for_function("document.querySelector('#viewer').dataset.yaw === '10.0'")
    assert vr_tab.errors == []


def test_vr_button_says_plainly_when_vr_is_unavailable(tab):
    tab.tour()
    button = tab.page.locator("#enter-vr[data-vr='unavailable']")
    button.wait_for()
    assert button.inner_text() == "本设备不支持VR"
    assert tab.page.evaluate("window.__tour.xr") is None  # the VR chunk was never loaded
    tab.page.click("#toggle-lang")
    assert button.inner_text() == "VR is not available on this device"


def assert_no_serious_violations(tab, state: str) -> None:
    found = tab.page.evaluate(VIOLATIONS)
    assert found == [], f"{state}: {found}"


def test_axe_finds_no_serious_violations_in_each_state(tab):
    tab.tour()
    tab.page.add_script_tag(path=str(AXE))
    tab.page.wait_for_selector("#enter-vr[data-vr]")
    assert_no_serious_violations(tab, "initial")
    tab.page.locator("button.hotspot[data-target='counter:A02']").click()
    tab.page.wait_for_selector("#panel .service-link")
    assert_no_serious_violations(tab, "counter panel")
    tab.page.locator("#panel .service-link", has_text="企业开办").first.click()
    tab.page.wait_for_selector("#panel a.apply-online")
    assert_no_serious_violations(tab, "service guide")
    tab.page.click("#toggle-lang")
    assert_no_serious_violations(tab, "English")
    tab.page.click("#toggle-elder")
    assert_no_serious_violations(tab, "elder mode")
    tab.page.click("#toggle-directory")
    assert_no_serious_violations(tab, "text directory")


def test_phone_portrait_layout_fits_and_offers_turning_the_phone(browser, live_server, panoramas, built_web):
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=1,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
    )
    page = context.new_page()
    page.set_default_timeout(10000)
    tab = Tab(page, live_server)
    try:
        tab.goto(f"/hall/{HALL}?counter=B01")
        page.wait_for_selector("body[data-tour='ready']")
        page.wait_for_selector("#panel .service-link")
        width = page.evaluate("[document.documentElement.scrollWidth, document.body.scrollWidth, innerWidth]")
        assert max(width[:2]) <= width[2], width
        page.click("#toggle-elder")  # elder mode's 60-px targets still fit the width
        right = page.evaluate(
            "Math.max(...[...document.querySelectorAll('.view-buttons button, .xr-buttons button')]"
            ".filter((b) => !b.hidden).map((b) => b.getBoundingClientRect().right))"
        )
        assert right <= 390
        page.click("#toggle-elder")
        assert page.locator("#look-by-phone").is_visible()
        assert page.locator("#look-by-phone").inner_text() == "转动手机看"
        box = page.locator("#panel").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["height"] >= 300
        page.locator("#panel .service-link").first.click()  # the panel's controls are reachable
        page.wait_for_selector("#panel .panel-back")
        page.locator("#panel .panel-close").click()
        phone = page.locator("#look-by-phone")
        phone.click()
        page.wait_for_selector("#look-by-phone[aria-pressed='true']")  # after the permission prompt's answer
        start = float(page.locator("#viewer").get_attribute("data-yaw"))
        turn = "([a, b, g]) => dispatchEvent(new DeviceOrientationEvent('deviceorientation', {alpha: a, beta: b, gamma: g}))"
        page.evaluate(turn, [0, 90, 0])  # upright, looking at the horizon: the start
        page.wait_for_function("Math.abs(parseFloat(document.querySelector('#viewer').dataset.pitch)) < 0.5")
        page.evaluate(turn, [30, 90, 0])  # turned 30° to the left (alpha counts anticlockwise)
        expected = (start - 30 + 180) % 360 - 180
        page.wait_for_function(
            f"Math.abs(parseFloat(document.querySelector('#viewer').dataset.yaw) - {expected}) < 0.5"
        )
        # A drag on the view takes over: started where the view itself is under the finger (hotspots and
        # labels move with the view, so a fixed point may land on one on a slow machine).
        x, y = page.evaluate(
            "() => { const canvas = document.querySelector('#viewer canvas');"
            " for (let y = 100; y < 700; y += 20) for (let x = 40; x < 340; x += 20)"
            " if (document.elementFromPoint(x, y) === canvas) return [x, y]; return null; }"
        )
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 20, y)
        page.mouse.up()
        assert phone.get_attribute("aria-pressed") == "false"
        assert tab.errors == []
    finally:
        context.close()
