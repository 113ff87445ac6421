"""The staff pages in English on a tablet (issue 12 §1: "Chinese first, English too … usable on a laptop and
a tablet"), one tab: signed in with ?lang=en at 1024×768 with touch, every page of the nav and a hall's tabs
is checked for English headings, labels and buttons (no CJK in them), targets of at least 44 px, and no
horizontal scroll."""

from __future__ import annotations

import re

import pytest

from tests.staff import PASSWORD

from .conftest import open_tab

pytestmark = pytest.mark.browser

HALL = "pingnan"
TARGET = 44  # px, the staff pages' --target
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")

# The page's main words (headings, labels, buttons, column heads, nav and tabs) and every visible control's
# target: a check box's or radio's is its label; links inside running text are exempt (WCAG 2.5.8).
MEASURE = """(target) => {
  const shown = (n) => { const r = n.getBoundingClientRect(); return r.width > 0 && r.height > 0
    && getComputedStyle(n).visibility !== 'hidden'; };
  const words = [...document.querySelectorAll(
      'h1, h2, h3, label, legend, button, thead th, nav a, .admin-tabs a, .admin-help, option')]
    .filter((n) => !n.closest('.admin-lang') && (n.tagName === 'OPTION' ? n.value === '' : shown(n)))
    .map((n) => n.textContent.trim()).filter(Boolean);
  const small = [];
  for (const n of document.querySelectorAll('a[href], button, input, select, textarea, summary')) {
    if (n.type === 'hidden' || !shown(n)) continue;
    if (n.tagName === 'A' && n.closest('p, td, li:not(nav li)') && !n.closest('nav')) continue;
    const box = (n.type === 'checkbox' || n.type === 'radio') && n.closest('label') ? n.closest('label') : n;
    const r = box.getBoundingClientRect();
    if (r.height < target - 0.5 || r.width < target - 0.5) {
      small.push(`${n.tagName.toLowerCase()}[${n.name || n.textContent.trim().slice(0, 20)}] ${Math.round(r.width)}x${Math.round(r.height)}`);
    }
  }
  const root = document.documentElement;
  return { words, small, overflow: root.scrollWidth - root.clientWidth, lang: root.lang };
}"""


@pytest.fixture(scope="module")
def staff(app) -> None:
    args = ["user", "create", "tablet.admin", "--role", "admin", "--password-stdin"]
    result = app.test_cli_runner().invoke(args=args, input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output


def test_every_staff_page_in_english_on_a_touch_tablet(browser, live_server, built_web, staff):
    options = {"viewport": {"width": 1024, "height": 768}, "has_touch": True, "locale": "en-GB"}
    with open_tab(browser, live_server, **options) as tab:
        page = tab.page
        tab.goto("/admin/login?lang=en")
        assert page.locator("h1").inner_text() == "Staff sign-in"
        login = page.evaluate(MEASURE, TARGET)
        page.fill("#username", "tablet.admin")
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.tap("form.admin-form button[type='submit']")
        assert page.url.endswith("/admin/?lang=en")
        nav = page.eval_on_selector_all(
            ".admin-nav ul a", "(links) => links.map((a) => a.getAttribute('href'))"
        )
        paths = [p for p in nav if p.startswith("/admin")]
        assert len(paths) >= 4, nav  # overview, kiosks, audit, import, services …
        paths += [f"/admin/halls/{HALL}{tab}?lang=en" for tab in ("", "/counters", "/versions")]
        found = {"/admin/login?lang=en": login}
        for path in paths:
            assert "lang=en" in path, path  # the nav keeps the language
            tab.goto(path)
            page.wait_for_load_state("networkidle")
            page.wait_for_function("!document.querySelector('[aria-busy=\"true\"]')")
            if path.startswith("/admin/kiosks"):  # the register form and its plan too
                page.tap("[data-action='add']")
                page.wait_for_selector(".admin-plan svg")
                assert page.locator("[data-plan-hint]").inner_text() == "Click the plan to place the kiosk"
            found[path] = page.evaluate(MEASURE, TARGET)
        problems = []
        for path, got in found.items():
            if got["lang"] != "en":
                problems.append(f"{path}: lang={got['lang']}")
            chinese = [w for w in got["words"] if CJK.search(w)]
            if chinese:
                problems.append(f"{path}: Chinese words {chinese[:6]}")
            if got["small"]:
                problems.append(f"{path}: targets under {TARGET} px {got['small'][:6]}")
            if got["overflow"] > 0:
                problems.append(f"{path}: scrolls sideways by {got['overflow']} px")
            if not got["words"]:
                problems.append(f"{path}: no words found")
        assert problems == [], "\n".join(problems)
        assert [e for e in tab.errors if not e.startswith("Failed to load resource")] == []
