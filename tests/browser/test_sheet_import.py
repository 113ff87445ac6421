"""The staff spreadsheet page in real Chromium: a counter sheet with errors (the report names the rows, the
apply button stays off), then a good one whose apply is refused because the draft changed after the preview
(409: the page says who, offers a new preview, then applies; the public API unchanged until publish); the
services section of the same page (a bad row, then a change read field by field); the labels in English."""

from __future__ import annotations

import csv
import io

import pytest

from tests.staff import PASSWORD

from .conftest import open_tab, sign_in_page

pytestmark = pytest.mark.browser
HALL = "pingnan"


@pytest.fixture(scope="module")
def sheet_editor(app) -> None:
    args = ["user", "create", "web.sheets", "--role", "editor", "--hall", HALL, "--password-stdin"]
    result = app.test_cli_runner().invoke(args=args, input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output


def _file(rows: list[list[str]], name: str = "counters.csv") -> dict:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return {"name": name, "mimeType": "text/csv", "buffer": out.getvalue().encode("utf-8")}


def _preview(page, rows: list[list[str]], section: str = "counters") -> None:
    """Upload *rows* in *section* for a dry run and wait for this upload's report (the report names the
    request it answers: an earlier sheet's report must never be read as this one's)."""
    at = f"[data-sheet-section='{section}']"
    answered = int(page.locator(f"{at} [data-sheet='report']").get_attribute("data-answered") or 0)
    page.set_input_files(f"{at} [data-sheet='file']", _file(rows, f"{section}.csv"))
    page.click(f"{at} [data-sheet='preview']")
    _answered(page, section, answered + 1)


def _answered(page, section: str, n: int) -> None:
    page.wait_for_selector(
        f"[data-sheet-section='{section}'] [data-sheet='report'][data-answered='{n}']", state="attached"
    )


def _rows(page, url: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(page.request.get(url).body().decode("utf-8-sig"))))


def test_import_with_errors_then_a_good_sheet(browser, live_server, built_web, sheet_editor):
    with open_tab(browser, live_server) as tab:
        page = tab.page
        sign_in_page(tab, "web.sheets")
        page.get_by_role("link", name="表格导入导出").click()
        page.wait_for_url(f"**/admin/halls/{HALL}/import")
        # a hall page like the others: the hall's name and tabs, the nav's entry current, a way to sign out
        assert page.inner_text(".admin-tabs-hall") == page.evaluate(
            "async (u) => (await (await fetch(u)).json()).name.zh", f"/api/v1/halls/{HALL}"
        )
        assert page.inner_text(".admin-nav a[aria-current=page]") == "表格导入导出"
        assert page.inner_text(".admin-tabs a[aria-current=page]") == "表格导入导出"
        assert page.locator(".admin-logout button").is_visible()
        counters = page.locator("[data-sheet-section='counters']")
        rows = _rows(page, f"{live_server}/api/v1/admin/halls/{HALL}/counters.csv")
        head, first = rows[0], rows[1]
        department = head.index("部门代码 / Department code")

        bad = [list(r) for r in rows]
        bad[2][department] = "no-such-department"
        bad.append(list(first))  # its number again
        _preview(page, bad)
        assert counters.locator("[data-sheet='bad'] li").evaluate_all(
            "els => els.map(e => e.dataset.row)"
        ) == [
            "3",
            str(len(bad)),
        ]
        assert "第 3 行" in counters.locator("[data-sheet='bad']").inner_text()
        assert counters.locator("[data-sheet='apply']").is_disabled()

        good = [list(r) for r in rows]
        good[1][1] = "表格改名窗口"
        _preview(page, good)
        assert counters.locator("[data-sheet='bad']").count() == 0
        changed = counters.locator("[data-sheet='changed'] > li")
        assert changed.evaluate_all("els => els.map(e => e.dataset.key)") == [first[0]]
        assert changed.locator("[data-field='name']").inner_text() == f"名称: {first[1]} → 表格改名窗口"
        assert counters.locator("[data-sheet='apply']").is_enabled()

        # someone changes the draft after the preview: applying is refused (409), a new preview is offered
        csrf = page.request.get(f"{live_server}/api/v1/admin/session").json()["csrf_token"]
        other = first[0] if len(rows) < 3 else rows[2][0]
        url = f"{live_server}/api/v1/admin/halls/{HALL}/counters/{other}"
        version = page.request.get(url).json()["version"]
        patched = page.request.patch(
            url, data={"phone": "0775-7654321"}, headers={"X-CSRF-Token": csrf, "If-Match": f'"{version}"'}
        )
        assert patched.ok, patched.text()
        answered = int(counters.locator("[data-sheet='report']").get_attribute("data-answered"))
        counters.locator("[data-sheet='apply']").click()
        _answered(page, "counters", answered + 1)
        assert "web.sheets" in counters.locator("[data-sheet='stale']").inner_text()
        assert counters.locator("[data-sheet='apply']").is_disabled()
        counters.locator("[data-sheet='preview-again']").click()
        _answered(page, "counters", answered + 2)
        assert set(
            counters.locator("[data-sheet='changed'] > li").evaluate_all("els => els.map(e => e.dataset.key)")
        ) == {
            first[0],
            other,
        }  # the sheet would also undo the other change: the new preview says so
        counters.locator("[data-sheet='apply']").click()
        page.wait_for_selector("[data-sheet-section='counters'] [data-sheet='applied']")
        assert counters.locator("[data-sheet='apply']").is_disabled()

        draft = page.request.get(f"{live_server}/api/v1/admin/halls/{HALL}/counters/{first[0]}").json()
        assert draft["name"]["zh"] == "表格改名窗口"
        public = page.request.get(f"{live_server}/api/v1/halls/{HALL}").text()
        assert "表格改名窗口" not in public

        # the services sheet, in the second section of the same page: a bad row, then a good change
        services = page.locator("[data-sheet-section='services']")
        assert "materials" not in services.locator("[data-sheet='note']").inner_text()  # Chinese page
        srows = _rows(page, f"{live_server}/api/v1/admin/services.csv")
        kind = srows[0].index("事项类型 / Type")
        wrong = [list(r) for r in srows]
        wrong[1][kind] = "没有这种类型"
        _preview(page, wrong, "services")
        assert services.locator("[data-sheet='bad'] li").evaluate_all(
            "els => els.map(e => e.dataset.row)"
        ) == ["2"]
        assert services.locator("[data-sheet='apply']").is_disabled()
        renamed = [list(r) for r in srows]
        renamed[1][2] = "表格改名事项"
        _preview(page, renamed, "services")
        assert services.locator("[data-sheet='changed'] > li").evaluate_all(
            "els => els.map(e => e.dataset.key)"
        ) == [srows[1][0]]
        assert "→ 表格改名事项" in services.locator("[data-field='name']").inner_text()
        assert counters.locator("[data-sheet='applied']").count() == 1  # the other section kept its report

        # the labels in English
        tab.goto(f"/admin/halls/{HALL}/import?lang=en")
        status = head.index("状态 / Status")
        paused = [list(r) for r in _rows(page, f"{live_server}/api/v1/admin/halls/{HALL}/counters.csv")]
        paused[1][status] = "paused"
        _preview(page, paused)
        assert page.locator("[data-sheet-section='counters'] [data-field='status']").inner_text() == (
            "Status: Open → Paused"
        )
        assert tab.errors == ["Failed to load resource: the server responded with a status of 409 (CONFLICT)"]

        # leave the hall's draft as it was found: the browser tests share one server
        csrf = page.request.get(f"{live_server}/api/v1/admin/session").json()["csrf_token"]
        gone = page.request.delete(
            f"{live_server}/api/v1/admin/halls/{HALL}/draft", headers={"X-CSRF-Token": csrf}
        )
        assert gone.status == 204
