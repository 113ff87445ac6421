"""The services editor (/admin/services/<slug>, web/src/admin/services.js) in real Chromium: a material moved
by keyboard, an address refused at its field as staff type and then fixed, saved to the draft, published —
and the public panel shows the new order. The catalogue is restored to its first version afterwards (the app
is shared with the other browser tests)."""

from __future__ import annotations

import pytest

from tests.staff import PASSWORD

from .conftest import open_tab, sign_in_page

pytestmark = pytest.mark.browser

SERVICE = "scjg-qykb"  # handled at pingnan A02, with several materials
PANEL = f"/hall/pingnan?counter=A02&service={SERVICE}"


@pytest.fixture(scope="module")
def catalogue_admin(app) -> str:
    name = "web.catalogue"
    args = ["user", "create", name, "--role", "admin", "--password-stdin"]
    result = app.test_cli_runner().invoke(args=args, input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    return name


def test_edit_a_service_by_keyboard_publish_and_see_it_in_the_panel(
    browser, live_server, built_web, panoramas, catalogue_admin
):
    with open_tab(browser, live_server) as tab:
        page = tab.page
        sign_in_page(tab, catalogue_admin)
        try:
            tab.goto(f"/admin/services/{SERVICE}")
            names = page.locator("[data-services='materials'] .admin-material-name")
            names.first.wait_for()
            before = names.all_inner_texts()
            assert len(before) >= 2
            assert page.locator("[data-draft='summary']").inner_text().startswith("没有草稿")

            # Move the first material down with the keyboard: focus stays on the moved item's button.
            page.focus("[data-move='down-0']")
            page.keyboard.press("Enter")
            assert names.all_inner_texts()[:2] == [before[1], before[0]]
            assert page.evaluate("document.activeElement.dataset.move") == "down-1"

            # A plain-http address: the server's problem appears at the field as staff type; fixed, it goes.
            address = page.locator("[data-field='online.pc']")
            good = address.input_value()
            address.fill(good.replace("https://", "http://"))
            problem = page.locator("[data-problem='online.pc']")
            page.wait_for_function(
                "document.querySelector(\"[data-problem='online.pc']\").textContent.includes('地址不允许')"
            )
            assert "address not allowed" in problem.inner_text()
            address.fill(good)
            page.wait_for_function(
                "document.querySelector(\"[data-problem='online.pc']\").textContent === ''"
            )

            page.click("[data-services='save']")
            page.wait_for_function(
                "document.querySelector('[data-services=status]')?.textContent.includes('已保存到草稿')"
            )
            assert "修改 1" in page.locator("[data-draft='summary']").inner_text()
            page.click("[data-draft='publish']")
            page.wait_for_function(
                "document.querySelector('[data-services=status]')?.textContent.includes('已发布')"
            )

            tab.goto(PANEL)
            first = page.locator("#panel .checklist li").first
            first.wait_for()
            assert before[1].split(" / ")[0] in first.inner_text()
            assert tab.errors == []
        finally:
            csrf = page.evaluate(
                "fetch('/api/v1/admin/session').then((r) => r.json()).then((s) => s.csrf_token)"
            )
            restored = page.request.post(
                f"{live_server}/api/v1/admin/catalogue/versions/1/restore", headers={"X-CSRF-Token": csrf}
            )
            assert restored.status == 201, restored.text()
