"""The staff spreadsheet page in real Chromium: a counter sheet with errors (the report names the rows, the
apply button stays off), then a good one (applied to the draft; the public API unchanged until publish)."""

from __future__ import annotations

import csv
import io

import pytest

from tests.staff import PASSWORD

from .conftest import open_tab

pytestmark = pytest.mark.browser
HALL = "pingnan"


@pytest.fixture(scope="module")
def sheet_editor(app) -> None:
    args = ["user", "create", "web.sheets", "--role", "editor", "--hall", HALL, "--password-stdin"]
    result = app.test_cli_runner().invoke(args=args, input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output


def _file(rows: list[list[str]]) -> dict:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return {"name": "counters.csv", "mimeType": "text/csv", "buffer": out.getvalue().encode("utf-8")}


def _preview(page, rows: list[list[str]]) -> None:
    """Upload *rows* for a dry run and wait for this upload's report (the report names the request it
    answers: an earlier sheet's report must never be read as this one's)."""
    answered = int(page.locator("[data-sheet='report']").get_attribute("data-answered") or 0)
    page.set_input_files("[data-sheet='file']", _file(rows))
    page.click("[data-sheet='preview']")
    page.wait_for_selector(f"[data-sheet='report'][data-answered='{answered + 1}']", state="attached")


def test_import_with_errors_then_a_good_sheet(browser, live_server, built_web, sheet_editor):
    with open_tab(browser, live_server) as tab:
        page = tab.page
        tab.goto("/admin/login")
        page.fill("#username", "web.sheets")
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.get_by_role("link", name="表格导入导出").click()
        page.wait_for_url(f"**/admin/halls/{HALL}/import")
        exported = page.request.get(f"{live_server}/api/v1/admin/halls/{HALL}/counters.csv")
        rows = list(csv.reader(io.StringIO(exported.body().decode("utf-8-sig"))))
        head, first = rows[0], rows[1]
        department = head.index("部门代码 / Department code")

        bad = [list(r) for r in rows]
        bad[2][department] = "no-such-department"
        bad.append(list(first))  # its number again
        _preview(page, bad)
        assert page.locator("[data-sheet='bad'] li").evaluate_all("els => els.map(e => e.dataset.row)") == [
            "3",
            str(len(bad)),
        ]
        assert "第 3 行" in page.locator("[data-sheet='bad']").inner_text()
        assert page.locator("[data-sheet='apply']").is_disabled()

        good = [list(r) for r in rows]
        good[1][1] = "表格改名窗口"
        _preview(page, good)
        assert page.locator("[data-sheet='bad']").count() == 0
        assert page.locator("[data-sheet='changed'] li").all_inner_texts() == [f"{first[0]}: name"]
        assert page.locator("[data-sheet='apply']").is_enabled()
        page.click("[data-sheet='apply']")
        page.wait_for_selector("[data-sheet='applied']")
        assert page.locator("[data-sheet='apply']").is_disabled()

        draft = page.request.get(f"{live_server}/api/v1/admin/halls/{HALL}/counters/{first[0]}").json()
        assert draft["name"]["zh"] == "表格改名窗口"
        public = page.request.get(f"{live_server}/api/v1/halls/{HALL}").text()
        assert "表格改名窗口" not in public
        assert tab.errors == []
