"""The services editor (/admin/services/<slug>, web/src/admin/services.js) in real Chromium: a material moved
by keyboard, an address refused at its field as staff type and then fixed, saved to the draft, published —
and the public panel shows the new order; a new service made on the page with its lists edited (conditions,
steps, materials, questions), saved to the draft and read back, and the labels in English with ?lang=en. The catalogue is restored to its first version afterwards (the app
is shared with the other browser tests)."""

from __future__ import annotations

import pytest

from server import vocabulary as V
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
            names = page.locator("[data-list='materials'] .admin-item-title")
            names.first.wait_for()
            before = names.all_inner_texts()
            assert len(before) >= 2
            assert page.locator("[data-draft='summary']").inner_text().startswith("没有草稿")

            # Move the first material down with the keyboard: focus stays on the moved item's button.
            page.focus("[data-list='materials'] [data-move='down-0']")
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
            assert "address not allowed" not in problem.inner_text()  # the page's language alone
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


NEW = "test-new-service"


def test_create_a_service_with_its_lists_and_read_it_in_english(
    browser, live_server, built_web, catalogue_admin
):
    with open_tab(browser, live_server) as tab:
        page = tab.page
        sign_in_page(tab, catalogue_admin)
        csrf = page.evaluate("fetch('/api/v1/admin/session').then((r) => r.json()).then((s) => s.csrf_token)")
        try:
            model = page.evaluate(f"fetch('/api/v1/admin/services/{SERVICE}').then((r) => r.json())")
            tab.goto("/admin/services")
            page.click("[data-services='new']")
            fill = page.fill
            fill("[data-field='slug']", NEW)
            fill("[data-field='code']", "TEST00000001")
            fill("[data-field='name.zh']", "测试事项")
            fill("[data-field='name.en']", "Test service")
            fill("[data-field='department']", model["department"])
            fill("[data-field='promised_limit_days']", "5")
            fill("[data-field='online.pc']", model["online"]["pc"])
            fill("[data-field='online.mobile']", model["online"]["mobile"])
            fill("[data-field='fees.description']", "不收费")
            fill("[data-field='phones.complaint']", "0591-12345")
            # A bad phone: the server's problem at its field, in the page's language alone.
            fill("[data-field='phones.enquiry']", "call us")
            page.wait_for_function(
                "document.querySelector(\"[data-problem='phones.enquiry']\").textContent !== ''"
            )
            assert " / " not in page.inner_text("[data-problem='phones.enquiry']")
            fill("[data-field='phones.enquiry']", "0591-12333")

            # Conditions: two, the first removed by its named button; focus goes to the one left.
            fill("[data-field='conditions[0].zh']", "旧条件")
            fill("[data-field='conditions[0].en']", "Old condition")
            page.click("[data-add='conditions']")
            assert page.evaluate("document.activeElement.dataset.field") == "conditions[1].zh"
            page.keyboard.type("保留的条件")
            fill("[data-field='conditions[1].en']", "Kept condition")
            remove = page.locator("[data-list='conditions'] [data-move='remove-0']")
            assert remove.get_attribute("aria-label") == "删除：旧条件"
            remove.focus()
            page.keyboard.press("Enter")
            assert page.locator("[data-list='conditions'] li").count() == 1
            assert page.evaluate("document.activeElement.dataset.move") == "remove-0"
            assert "旧条件" in page.inner_text("[data-services=status]")

            # A process step, a material and a question added.
            for lang, value in (("zh", "受理"), ("en", "Accept")):
                fill(f"[data-field='process[0].name.{lang}']", value)
                fill(f"[data-field='process[0].description.{lang}']", value)
            page.click("[data-add='process']")
            for lang, value in (("zh", "办结"), ("en", "Done")):
                fill(f"[data-field='process[1].name.{lang}']", value)
                fill(f"[data-field='process[1].description.{lang}']", value)
            page.click("[data-add='materials']")
            fill("[data-field='materials[0].name.zh']", "身份证")
            fill("[data-field='materials[0].name.en']", "Identity card")
            page.click("[data-add='guide.faq']")
            for path, value in (
                ("q.zh", "要钱吗"),
                ("q.en", "Is it free?"),
                ("a.zh", "不要"),
                ("a.en", "Yes"),
            ):
                fill(f"[data-field='guide.faq[0].{path}']", value)
            page.click("[data-add='fees.items']")
            fill("[data-field='fees.items[0].name.zh']", "工本费")
            fill("[data-field='fees.items[0].name.en']", "Certificate fee")
            fill("[data-field='fees.items[0].amount']", "10.5")
            fill("[data-field='fees.items[0].basis']", "桂价费〔2020〕1号")
            fill("[data-field='guide.summary_zh']", "**带上**身份证")
            fill("[data-field='guide.summary_en']", "Bring your **identity card**")
            # The step moved up by keyboard: the two swap.
            page.focus("[data-list='process'] [data-move='up-1']")
            page.keyboard.press("Enter")
            assert page.locator("[data-list='process'] .admin-item-title").all_inner_texts() == [
                "办结",
                "受理",
            ]

            page.click("[data-services='save']")
            page.wait_for_function(
                "document.querySelector('[data-services=status]')?.textContent.includes('已新增事项')"
            )
            assert page.url.endswith(f"/admin/services/{NEW}")
            saved = page.evaluate(f"fetch('/api/v1/admin/services/{NEW}').then((r) => r.json())")
            assert saved["conditions"] == [{"zh": "保留的条件", "en": "Kept condition"}]
            assert [p["name"]["en"] for p in saved["process"]] == ["Done", "Accept"]
            assert [m["name"] for m in saved["materials"]] == [{"zh": "身份证", "en": "Identity card"}]
            assert saved["guide"]["faq"] == [
                {"q": {"zh": "要钱吗", "en": "Is it free?"}, "a": {"zh": "不要", "en": "Yes"}}
            ]
            assert saved["fees"]["items"] == [
                {
                    "name": {"zh": "工本费", "en": "Certificate fee"},
                    "amount": 10.5,
                    "unit": {"zh": "元", "en": "yuan"},
                    "basis": "桂价费〔2020〕1号",
                }
            ]
            assert saved["phones"] == {"enquiry": "0591-12333", "complaint": "0591-12345"}
            assert "新增 1" in page.inner_text("[data-draft='summary']")

            # English labels with ?lang=en, nothing Chinese among them.
            tab.goto(f"/admin/services/{NEW}?lang=en")
            page.locator("[data-list='materials'] li").first.wait_for()
            assert page.inner_text("[data-add='materials']") == "Add a material"
            assert page.inner_text("label:has([data-field='phones.enquiry']) > span") == "Enquiry phone"
            labels = page.locator("label.admin-field > span:first-child").all_inner_texts()
            assert len(labels) > 20
            assert not [label for label in labels if any("\u4e00" <= ch <= "\u9fff" for ch in label)]
            # The service's type and audiences are words of the page's language too (the values stay Chinese).
            types = page.locator("select[data-field='type'] option").all_inner_texts()
            assert "Administrative licence" in types and not [
                t for t in types if any("\u4e00" <= ch <= "\u9fff" for ch in t)
            ]
            audiences = page.locator("[data-field='audience'] label span").all_inner_texts()
            assert audiences == ["Individuals", "Legal persons", "Other organisations"]
            assert page.input_value("select[data-field='type']") in V.SERVICE_TYPES
            assert page.inner_text("[data-draft='summary']").startswith("Draft: 1 added")
            assert tab.errors == []
        finally:
            page.request.delete(f"{live_server}/api/v1/admin/catalogue/draft", headers={"X-CSRF-Token": csrf})
