"""The staff pages of a hall's draft in real Chromium: an edit reaches citizens only when published, an
older version restored brings the old state back, two editors saving the same counter (the second sees the
first's change in the 409 and re-applies theirs), and a viewer sees no edit control at all."""

from __future__ import annotations

import json

import pytest

from tests.staff import create_users

from .conftest import open_tab, sign_in_page

pytestmark = pytest.mark.browser

HALL = "pingnan"
NOTICE = "系统升级，暂停至 14:00"


@pytest.fixture(scope="module")
def staff(app) -> None:
    create_users(
        app,
        {"draft.ed1": ("editor", (HALL,)), "draft.ed2": ("editor", (HALL,)), "draft.view": ("viewer", ())},
    )


def _sign_in(tab, name: str, path: str) -> None:
    sign_in_page(tab, name, path)
    tab.page.wait_for_selector("body[data-admin='ready']")


def _public_counter(tab, number: str) -> tuple[str, str, dict]:
    """What citizens see of counter *number* on the tour page: its status, state label and document entry."""
    tab.goto(f"/hall/{HALL}")
    status = tab.page.locator(f".dir-status[data-counter='{number}']").first
    doc = json.loads(tab.page.locator("#hall-data").text_content())
    counter = next(c for c in doc["counters"] if c["number"] == number)
    return status.get_attribute("data-status"), status.inner_text(), counter


def _form(page):
    return page.locator(".admin-counter-form")


def test_edit_publish_restore(browser, live_server, built_web, staff):
    with open_tab(browser, live_server) as tab:
        page = tab.page
        page.on("dialog", lambda dialog: dialog.accept())
        before = _public_counter(tab, "A01")
        assert before[0] == "open"

        _sign_in(tab, "draft.ed1", f"/admin/halls/{HALL}/counters")
        assert page.locator(".admin-draft-count").inner_text() == "草稿与已发布版本一致"
        assert (
            page.locator("[data-counter]").count()
            == int(page.locator("[data-count]").get_attribute("data-count"))
            > 5
        )
        page.locator("form[role=search]").get_by_label("状态").select_option("paused")  # the filter
        page.wait_for_selector("[data-counter='A01']", state="detached")
        assert page.locator("tbody [data-counter]").all_inner_texts()[0].startswith("C03")
        page.locator("form[role=search]").get_by_label("状态").select_option("")
        page.wait_for_selector("[data-counter='A01']")

        page.click("[data-open='A01']")
        form = _form(page)
        form.get_by_label("状态", exact=True).select_option("paused")
        form.get_by_label("告知市民（中文）").fill(NOTICE)
        form.get_by_label("电话").fill("not a phone!")
        form.get_by_role("button", name="保存到草稿").click()
        problem = form.locator("[data-field='phone'] .admin-field-problem")
        problem.wait_for()
        assert "电话" in problem.inner_text()
        assert form.get_by_label("电话").get_attribute("aria-invalid") == "true"
        assert "必须填写" in form.locator("[data-field='notice.en'] .admin-field-problem").inner_text()
        assert page.locator(".admin-draft-count").inner_text() == "草稿与已发布版本一致"  # nothing saved

        form.get_by_label("电话").fill("")
        form.get_by_label("告知市民（英文）").fill("System upgrade: paused until 14:00")
        form.get_by_role("button", name="保存到草稿").click()
        page.wait_for_selector("text=已保存到草稿（尚未发布）。")
        assert page.locator(".admin-draft-count").inner_text() == "草稿有 1 处改动"
        check = page.locator("[data-draft-check]")  # the check before publishing, with the draft
        assert check.get_attribute("data-draft-check") == "ok"
        assert check.inner_text() == "发布前检查：场景中没有会误导市民的问题"
        assert page.locator("[data-counter='A01'] [data-badge='changed']").is_visible()
        assert page.locator("[data-counter='B01'] [data-badge]").count() == 0
        page.get_by_role("button", name="查看改动").click()
        change = page.locator("[data-diff='changed'][data-key='A01']")
        assert change.locator("[data-change='status'] td").all_inner_texts() == [
            "正在办公",
            "暂停服务",
        ]  # labels, not keys
        assert change.locator("[data-change='status'] th").inner_text() == "状态"
        assert NOTICE in change.locator("[data-change='notice']").inner_text()

        assert _public_counter(tab, "A01")[0] == "open"  # citizens still see the published version

        tab.goto(f"/admin/halls/{HALL}/versions")
        page.wait_for_selector("body[data-admin='ready']")
        first = page.locator("tbody [data-version]").count()
        page.fill("#draft-summary", "A01 暂停")
        page.get_by_role("button", name="发布").click()
        page.wait_for_selector(".admin-draft-result [role=status]")
        assert page.locator(".admin-draft-count").inner_text() == "草稿与已发布版本一致"
        page.wait_for_function(f"document.querySelectorAll('tbody [data-version]').length === {first + 1}")
        newest = page.locator("tbody [data-version]").first
        assert "draft.ed1" in newest.inner_text() and "A01 暂停" in newest.inner_text()
        assert newest.locator("[data-restore]").count() == 0  # the current one is not restored

        status, label, counter = _public_counter(tab, "A01")
        assert (status, label) == ("paused", "暂停服务")
        assert counter["notice"]["zh"] == NOTICE

        tab.goto(f"/admin/halls/{HALL}/versions")
        page.wait_for_selector("body[data-admin='ready']")
        previous = page.locator("tbody [data-version]").nth(1)
        number = previous.get_attribute("data-version")
        previous.locator("[data-view]").click()
        assert "正在办公" in page.locator(f"[data-snapshot='{number}'] [data-counter='A01']").inner_text()
        latest = int(page.locator("tbody [data-version]").first.get_attribute("data-version"))
        previous.locator("[data-restore]").click()
        page.wait_for_selector(f"text=已把第 {number} 版恢复为第 {latest + 1} 版。")
        assert "恢复自第" in page.locator("tbody [data-version]").first.inner_text()
        status, label, counter = _public_counter(tab, "A01")
        assert status == before[0] and counter["notice"] == before[2]["notice"]

        tab.goto("/admin/audit")
        page.wait_for_selector("body[data-admin='ready']")
        page.wait_for_selector("[data-answered]")
        table = page.locator("[data-answered]")
        answered = int(table.get_attribute("data-answered"))
        page.get_by_label("用户").fill("draft.ed1")
        page.get_by_role("button", name="查询").click()
        page.wait_for_selector(f"[data-answered='{answered + 1}']")  # the filtered answer, not the first one
        rows = page.locator("tbody [data-entry]").all_inner_texts()
        assert rows and all("draft.ed1" in r for r in rows)
        assert page.locator("[data-export='csv']").get_attribute("href").endswith("user=draft.ed1")
        assert not tab.errors or all("422" in e for e in tab.errors)


def test_two_editors_and_a_viewer(browser, live_server, built_web, staff):
    with open_tab(browser, live_server) as first, open_tab(browser, live_server) as second:
        for tab, name in ((first, "draft.ed1"), (second, "draft.ed2")):
            tab.page.on("dialog", lambda dialog: dialog.accept())
            _sign_in(tab, name, f"/admin/halls/{HALL}/counters")
            tab.page.click("[data-open='B02']")
        _form(first.page).get_by_label("名称（中文）").fill("不动产登记窗口（二）")
        _form(first.page).get_by_role("button", name="保存到草稿").click()
        first.page.wait_for_selector("text=已保存到草稿（尚未发布）。")

        form = _form(second.page)
        form.get_by_label("电话").fill("0775-1234567")
        form.get_by_role("button", name="保存到草稿").click()
        conflict = second.page.locator(".admin-conflict")
        conflict.wait_for()
        assert conflict.get_attribute("data-conflict-by") == "draft.ed1"
        assert "draft.ed1" in conflict.inner_text() and "已被他人修改" in conflict.inner_text()
        assert conflict.locator("[data-change='name'] td").nth(1).inner_text() == "不动产登记窗口（二）"
        conflict.locator("[data-conflict='reapply']").click()
        second.page.wait_for_selector("text=已保存到草稿（尚未发布）。")
        saved = _form(second.page)
        assert saved.get_by_label("名称（中文）").input_value() == "不动产登记窗口（二）"  # theirs kept
        assert saved.get_by_label("电话").input_value() == "0775-1234567"  # mine on top
        assert second.page.locator(".admin-draft-count").inner_text() == "草稿有 1 处改动"
        second.page.get_by_role("button", name="放弃草稿").click()
        second.page.wait_for_selector("text=草稿已放弃。")

    with open_tab(browser, live_server) as viewer:
        page = viewer.page
        _sign_in(viewer, "draft.view", f"/admin/halls/{HALL}/counters")
        assert page.locator("[data-readonly]").inner_text() == "您的账号只能查看，不能修改。"
        assert page.locator("[data-new]").count() == 0
        assert page.locator("[data-open='A01']").inner_text() == "查看"
        page.click("[data-open='A01']")
        page.locator("[data-counter-view='A01']").wait_for()
        assert page.locator("form.admin-counter-form, #draft-summary").count() == 0
        assert page.get_by_role("button", name="发布").count() == 0
        viewer.goto(f"/admin/halls/{HALL}/versions")
        page.wait_for_selector("body[data-admin='ready']")
        assert page.locator("[data-restore]").count() == 0 and page.locator("[data-view]").count() >= 1
        viewer.goto(f"/admin/halls/{HALL}")
        page.wait_for_selector("body[data-admin='ready']")
        assert page.locator("form[data-facts]").count() == 0 and page.locator("dl[data-facts]").is_visible()
        assert not viewer.errors
