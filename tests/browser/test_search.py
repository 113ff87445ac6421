"""Search as a WAI-ARIA combobox, in real Chromium on the pingnan hall (one page): a service result says
where to go (its best counter with floor, state and the one-stop mark, one 带我去, the others named), the
list is capped with “更多…” that expands in place, ↑/↓/←/→/Enter walk it with focus kept in the input, and
Esc and a click outside close it."""

from __future__ import annotations

import pytest

from .test_xr_a11y import AXE, VIOLATIONS

pytestmark = pytest.mark.browser

INPUT = "#search-input"
RESULTS = "#search-results"


def search(page, query: str) -> None:
    """Type *query* and wait for the answer to it (the list is replaced when it arrives)."""
    page.evaluate("document.querySelector('#search-results').replaceChildren()")
    page.fill(INPUT, query)
    page.wait_for_selector(f"{RESULTS}:not([hidden]) [role=row]")


def active(page) -> dict:
    """The cell aria-activedescendant names: its id, text, whether it is marked selected, and its row."""
    return page.evaluate(
        """() => {
        const input = document.querySelector('#search-input');
        const id = input.getAttribute('aria-activedescendant');
        const cell = id && document.getElementById(id);
        const rows = [...document.querySelectorAll('#search-results [role=row]')];
        return cell ? { id, text: cell.innerText, selected: cell.getAttribute('aria-selected'),
                        row: rows.indexOf(cell.closest('[role=row]')), focus: document.activeElement === input }
                    : { id: null, focus: document.activeElement === input };
    }"""
    )


def test_search_combobox_best_counter_more_and_keyboard(tab, tmp_path):
    page = tab.page
    tab.tour()
    box = page.locator(INPUT)
    assert (box.get_attribute("role"), box.get_attribute("aria-expanded")) == ("combobox", "false")
    assert box.get_attribute("aria-controls") == "search-results"
    assert page.locator(RESULTS).get_attribute("role") == "grid"

    # A service says where: the best counter here, its floor and state, the one-stop mark, one 带我去.
    search(page, "营业执照")
    assert box.get_attribute("aria-expanded") == "true"
    first = page.locator(".result-services > li").first
    assert "企业开办" in first.locator(".result-service").inner_text()
    where = first.locator(".result-where")
    assert where.get_attribute("data-best-counter") == "A02"
    assert "A02" in where.inner_text() and "一楼" in where.inner_text()
    # The counter's opening state now, the same answer as everywhere on the page (it depends on the clock).
    assert first.locator(".status").inner_text() == page.evaluate(
        "window.__tour.opening.state('A02').label.zh"
    )
    assert first.locator(".one-stop").inner_text() == "综合受理"
    assert first.locator(".result-also").inner_text() == "也可到：A03（综合受理）"
    for row in page.locator(".result-services > li").all():
        takes = row.locator(".take-me")
        assert takes.count() == 1 and takes.get_attribute("data-take-me").startswith("counter:")
    assert first.locator(".take-me").get_attribute("data-take-me") == "counter:A02"
    page.screenshot(path=tmp_path / "search-best-counter.png")

    # ↓ activates the first row's service cell, → its 带我去, ← back, ↓/↑ between rows; focus stays put.
    page.keyboard.press("ArrowDown")
    now = active(page)
    assert now["row"] == 0 and "企业开办" in now["text"] and now["selected"] == "true" and now["focus"]
    page.keyboard.press("ArrowRight")
    assert active(page)["text"] == "带我去" and active(page)["row"] == 0
    page.keyboard.press("ArrowLeft")
    assert "企业开办" in active(page)["text"]
    page.keyboard.press("ArrowDown")
    assert active(page)["row"] == 1
    page.keyboard.press("ArrowUp")
    assert active(page)["row"] == 0
    assert page.locator("#search-results [aria-selected=true]").count() == 1
    # axe-core, with the list open and a cell active: the combobox and grid roles fit together.
    page.add_script_tag(path=str(AXE))
    assert page.evaluate(VIOLATIONS) == []

    # Esc closes the list and forgets the active cell; the text and the focus stay.
    page.keyboard.press("Escape")
    assert page.locator(RESULTS).is_hidden()
    assert box.get_attribute("aria-expanded") == "false" and active(page) == {"id": None, "focus": True}
    assert box.input_value() == "营业执照"

    # Many results: the first five, then “更多…” that shows the rest in place, the list still open.
    search(page, "登记")
    assert page.locator(".result-services > li:not(.result-more)").count() == 5
    more = page.locator(".result-more button")
    assert more.inner_text().startswith("更多…")
    more.click()
    assert page.locator(".result-services > li:not(.result-more)").count() > 5
    assert page.locator(".result-more").count() == 0 and page.locator(RESULTS).is_visible()
    assert active(page)["row"] == 5  # the first row that was hidden

    # A click outside closes it.
    page.mouse.click(5, page.viewport_size["height"] - 5)
    assert page.locator(RESULTS).is_hidden() and box.get_attribute("aria-expanded") == "false"

    # Enter on a 带我去 cell starts the route to the best counter.
    search(page, "营业执照")
    box.focus()
    for key in ("ArrowDown", "ArrowRight", "Enter"):
        page.keyboard.press(key)
    page.locator("#panel ol.route-steps li").first.wait_for()
    assert "A02" in page.locator("#panel-title").inner_text()
    assert page.locator(RESULTS).is_hidden()
    assert tab.errors == []
