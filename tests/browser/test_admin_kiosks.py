"""Registering a kiosk on /admin/kiosks in real Chromium (issue 14 §1, issue 12's roles), one page: place it
by clicking the hall's floor plan and set its facing by a second click, a bad field named at the field,
edit, a stale edit (409) shown plainly, remove with a confirmation; a viewer is offered none of it."""

from __future__ import annotations

import pytest
import requests

from tests.staff import PASSWORD, create_users

from .conftest import open_tab, sign_in_page

pytestmark = pytest.mark.browser

HALL = "pingnan"
SPOT = (1.5, 6.0)  # pn-entrance-1's place on floor 1: on the floor, clear of desks


@pytest.fixture(scope="module")
def staff(app) -> None:
    create_users(
        app, {"kiosk.ed": ("editor", (HALL,)), "kiosk.view": ("viewer", ()), "kiosk.other": ("admin", ())}
    )


def _sign_in(tab, name: str) -> None:
    sign_in_page(tab, name, "/admin/kiosks")
    tab.page.wait_for_selector("body[data-kiosks='ready']")


def _click_plan(page, x: float, z: float) -> None:
    """Click the form's plan where model point (x, z) is drawn (the plan's viewBox is in metres)."""
    point = page.evaluate(
        """([x, z]) => {
          const svg = document.querySelector('.admin-plan svg');
          const p = svg.createSVGPoint(); p.x = x; p.y = z;
          svg.scrollIntoView({ block: 'center' });
          const s = p.matrixTransform(svg.getScreenCTM());
          return [s.x, s.y];
        }""",
        [x, z],
    )
    page.mouse.click(*point)


def _value(page, name: str) -> float:
    return float(page.locator(f".admin-kiosk-form [name='{name}']").input_value())


def test_register_edit_and_remove_a_kiosk_on_the_plan(browser, live_server, built_web, staff):
    with open_tab(browser, live_server) as tab:
        page = tab.page
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.accept()))
        _sign_in(tab, "kiosk.ed")
        assert page.locator("h1").inner_text() == "自助终端"
        # An editor of pingnan edits its kiosks, not guigang's.
        assert page.locator("tr[data-kiosk='pn-entrance-1'] [data-action='edit']").count() == 1
        assert page.locator("tr[data-kiosk^='gg-'] [data-action]").count() == 0

        page.click("[data-action='add']")
        form = page.locator(".admin-kiosk-form")
        assert form.locator("h2").inner_text() == "登记自助终端"
        assert form.locator("[name='hall'] option").evaluate_all("(o) => o.map((x) => x.value)") == [HALL]
        page.wait_for_selector(".admin-plan svg")
        assert form.locator("[data-plan-hint]").inner_text() == "请点击平面图放置终端"
        form.locator("[name='id']").fill("pn-admin-1")
        _click_plan(page, *SPOT)
        assert _value(page, "x") == pytest.approx(SPOT[0], abs=0.1)
        assert _value(page, "z") == pytest.approx(SPOT[1], abs=0.1)
        assert form.locator("[data-plan-hint]").inner_text().startswith("已放置")
        _click_plan(page, SPOT[0] + 3, SPOT[1])  # east of it: the screen faces east
        assert _value(page, "facing") == pytest.approx(90, abs=1)
        assert page.locator(".admin-plan-marker line").count() == 1

        # A bad field is named at the field; nothing is registered.
        form.locator("[name='idle_seconds']").fill("5")
        page.click("[data-action='save']")
        problem = form.locator("[data-field='idle_seconds'] .admin-field-problem")
        problem.wait_for()
        assert "30" in problem.inner_text() and "3600" in problem.inner_text()
        assert form.locator("[name='idle_seconds']").get_attribute("aria-invalid") == "true"
        assert page.locator("tr[data-kiosk='pn-admin-1']").count() == 0

        form.locator("[name='idle_seconds']").fill("120")
        page.click("[data-action='save']")
        row = page.locator("tr[data-kiosk='pn-admin-1']")
        row.wait_for()
        assert page.locator("#kiosk-editor").is_hidden()
        api = requests.Session()
        token = api.post(
            f"{live_server}/api/v1/admin/session", json={"username": "kiosk.other", "password": PASSWORD}
        ).json()["csrf_token"]
        saved = api.get(f"{live_server}/api/v1/admin/kiosks/pn-admin-1").json()
        assert saved["x"] == pytest.approx(SPOT[0], abs=0.1) and saved["z"] == pytest.approx(SPOT[1], abs=0.1)
        assert saved["facing"] == pytest.approx(90, abs=1) and saved["idle_seconds"] == 120

        # Edit: the facing typed; meanwhile someone else changes it — a stale save is refused and shown.
        row.locator("[data-action='edit']").click()
        assert form.locator("h2").inner_text() == "编辑自助终端 pn-admin-1"
        assert form.locator("[name='id']").get_attribute("readonly") is not None
        changed = api.patch(
            f"{live_server}/api/v1/admin/kiosks/pn-admin-1",
            json={"facing": 200},
            headers={"X-CSRF-Token": token},
        )
        assert changed.status_code == 200
        form.locator("[name='facing']").fill("270")
        page.click("[data-action='save']")
        conflict = form.locator(".admin-conflict")
        conflict.wait_for()
        assert "已被他人修改" in conflict.inner_text() and "200°" in conflict.inner_text()
        assert api.get(f"{live_server}/api/v1/admin/kiosks/pn-admin-1").json()["facing"] == 200
        page.click("[data-action='save']")  # saved again on top of theirs
        page.locator("#kiosk-editor").wait_for(state="hidden")
        assert api.get(f"{live_server}/api/v1/admin/kiosks/pn-admin-1").json()["facing"] == 270

        # Remove, after a confirmation.
        row.locator("[data-action='remove']").click()
        row.wait_for(state="detached")
        assert dialogs and "pn-admin-1" in dialogs[-1]
        assert api.get(f"{live_server}/api/v1/admin/kiosks/pn-admin-1").status_code == 404
        # The 400 and the 409 above are the browser's resource log, nothing of ours.
        assert [e for e in tab.errors if not e.startswith("Failed to load resource")] == []

        # A viewer reads the health and is offered nothing to change.
        page.click("nav form button[type='submit']")
        _sign_in(tab, "kiosk.view")
        assert page.locator("[data-action]").count() == 0
        assert "只能查看" in page.locator("#kiosk-tools").inner_text()
        assert page.locator("tr[data-kiosk='pn-entrance-1'] [data-field='state']").inner_text() in (
            "在线",
            "离线",
        )
