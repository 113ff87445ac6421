"""English everywhere, and the keyboard: one page walks every view of the pingnan tour in English and fails on
any Han character (or full-width punctuation) that a person sees or hears, outside a tiny allow-list of
proper names that have no English form; the text directory and deep links by keyboard and history."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

HAN = re.compile(r"[\u3400-\u9fff]")

# Proper names with no English form that may stay in Chinese in English mode. Keep it tiny and explicit.
ALLOWED: tuple[str, ...] = ()

# Every visible text node, and the names and hints of visible elements (aria-label, title, placeholder, alt),
# inside *root*, that hold a Han character or full-width punctuation (the toggle naming 中文 is the language
# switch itself, marked lang=zh-CN).
HAN_LEAKS = """([root, allowed]) => {
  const han = /[\\u3000-\\u303f\\u3400-\\u9fff\\uff00-\\uffef]/;
  const shown = (el) => el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const strip = (text) => allowed.reduce((s, name) => s.split(name).join(''), text);
  const leaks = [];
  const scope = document.querySelector(root);
  const walker = document.createTreeWalker(scope, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!shown(el) || el.closest('[lang="zh-CN"]:not(html)') || el.closest('script')) continue;
    if (han.test(strip(node.textContent))) leaks.push(`${el.tagName.toLowerCase()}.${el.className}: ${node.textContent.trim()}`);
  }
  for (const el of scope.querySelectorAll('[aria-label], [title], [placeholder], [alt], [aria-roledescription]')) {
    if (!shown(el) && el.id !== 'viewer') continue;
    if (el.closest('[lang="zh-CN"]:not(html)')) continue;
    for (const name of ['aria-label', 'title', 'placeholder', 'alt', 'aria-roledescription']) {
      const value = el.getAttribute(name);
      if (value && han.test(strip(value))) leaks.push(`${el.tagName.toLowerCase()}#${el.id}[${name}]: ${value}`);
    }
  }
  return leaks;
}"""

SERVICES_OF_HALL = """async (slug) => {
  const hall = await (await fetch(`/api/v1/halls/${slug}`)).json();
  const ids = new Set();
  for (const c of hall.counters) {
    const counter = await (await fetch(`/api/v1/halls/${slug}/counters/${c.number}`)).json();
    for (const s of counter.services) ids.add(s.id);
  }
  return [...ids].sort();
}"""


def leaks(page, root: str = "body") -> list[str]:
    return page.evaluate(HAN_LEAKS, [root, list(ALLOWED)])


def wait_title(page, text: str) -> None:
    page.wait_for_function("t => document.querySelector('#panel-title')?.textContent === t", arg=text)


def test_every_view_is_english_in_english_mode(tab):
    page = tab.page
    tab.tour("?lang=en")
    problems: list[str] = []
    assert page.title().endswith("· Panorama tour") and "全景" not in page.title()
    assert page.locator("#viewer").get_attribute("aria-label").startswith("Panorama: ")
    problems += [f"tour: {leak}" for leak in leaks(page)]

    # A counter panel.
    page.evaluate("() => window.__tour.panel.openCounter('B01')")
    page.wait_for_selector("#panel .service-link")
    problems += [f"counter B01: {leak}" for leak in leaks(page, "#panel")]

    # Every service guide of the hall, each opened in the panel.
    ids = page.evaluate(SERVICES_OF_HALL, "pingnan")
    assert len(ids) >= 20
    for service_id in ids:
        page.evaluate("id => window.__tour.panel.openService(id)", service_id)
        page.wait_for_selector("#panel .panel-body h3")  # openService resolves once the guide is shown
        # Who can apply: the catalogue's conditions, each an item of their own (in English, checked below).
        if page.locator("#panel .conditions li").count() == 0:
            problems.append(f"service {service_id}: no conditions shown")
        problems += [f"service {service_id}: {leak}" for leak in leaks(page, "#panel")]
    # Plurals: a one-day limit says "1 working day", a one-copy material "1 copy".
    page.evaluate("id => window.__tour.panel.openService(id)", ids[0])
    page.wait_for_selector("#panel .checklist")
    body = page.locator("#panel .panel-body").inner_text()
    assert "1 copies" not in body and "1 working days" not in body
    assert "Who can apply" in body
    # The same conditions in Chinese mode: the catalogue's own words under 办理条件.
    english_conditions = page.locator("#panel .conditions li").all_inner_texts()
    page.click("#toggle-lang")
    page.wait_for_function(
        "() => document.querySelector('#panel .conditions')?.previousElementSibling.textContent === '办理条件'"
    )
    chinese_conditions = page.locator("#panel .conditions li").all_inner_texts()
    assert len(chinese_conditions) == len(english_conditions) >= 1
    assert all(HAN.search(c) for c in chinese_conditions) and not any(
        HAN.search(c) for c in english_conditions
    )
    page.click("#toggle-lang")
    page.wait_for_function(
        "() => document.querySelector('#panel .conditions')?.previousElementSibling.textContent === 'Who can apply'"
    )

    # Where a guide has no plain-language steps of its own, the catalogue's official process is shown instead
    # (name: description), never both lists.
    def without_guide_steps(route):
        response = route.fetch()
        body = response.json()
        body["guide"]["steps"] = []
        route.fulfill(response=response, json=body)

    page.route("**/api/v1/services/zwfw-dzzzlz", without_guide_steps)
    page.evaluate("id => window.__tour.panel.openService(id)", "zwfw-dzzzlz")
    page.wait_for_selector("#panel .process li")
    process = page.locator("#panel .process li").all_inner_texts()
    assert len(process) == 4 and process[0].startswith("Log in: Log in to the Zhiguitong app"), process
    assert page.locator("#panel ol.steps").count() == 1
    problems += [f"process of zwfw-dzzzlz: {leak}" for leak in leaks(page, "#panel")]
    page.unroute("**/api/v1/services/zwfw-dzzzlz")
    page.evaluate("id => window.__tour.panel.openService(id)", ids[0])
    page.wait_for_selector("#panel .checklist")

    # Route steps, from the guide's 带我去.
    page.locator("#panel .take-me").first.click()
    page.wait_for_selector("#panel .route-steps li")
    problems += [f"route: {leak}" for leak in leaks(page, "#panel")]
    problems += [f"route bar: {leak}" for leak in leaks(page, "#route-bar")]

    # Search results for an English query.
    page.fill("#search-input", "passport")
    page.wait_for_selector("#search-results .result-service")
    problems += [f"search: {leak}" for leak in leaks(page, "#search-results")]
    page.keyboard.press("Escape")

    # The text directory.
    page.click("#toggle-directory")
    page.wait_for_selector("#directory:not([hidden])")
    problems += [f"directory: {leak}" for leak in leaks(page, "#directory")]
    page.click("#close-directory")

    # The 3D hall's buttons and labels.
    page.click("#toggle-3d")
    page.wait_for_selector("#dollhouse .dh-place", state="attached", timeout=20000)
    page.wait_for_selector("#dollhouse:not([hidden])")
    problems += [f"3D hall: {leak}" for leak in leaks(page, "#dollhouse")]
    assert problems == [], "\n".join(problems)
    assert tab.errors == []


def test_text_directory_by_keyboard_and_history(tab):
    page = tab.page
    tab.tour()
    # The skip link is the first stop and opens the directory with the focus in it.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    page.wait_for_selector("#directory:not([hidden])")
    assert page.evaluate("document.activeElement.id") == "directory"
    page.wait_for_function("location.search.includes('directory=1')")
    # Esc closes it and hands the focus to its button, not to the page's start.
    page.keyboard.press("Escape")
    assert page.locator("#directory").is_hidden()
    assert page.evaluate("document.activeElement.id") == "toggle-directory"
    assert "directory=1" not in page.evaluate("location.search")
    # It is a history entry: Back reopens it, Forward closes it; its close button closes it too.
    page.go_back()
    page.wait_for_selector("#directory:not([hidden])")
    page.go_forward()
    page.wait_for_selector("#directory", state="hidden")
    page.click("#toggle-directory")
    page.click("#close-directory")
    assert page.locator("#directory").is_hidden()
    assert page.evaluate("document.activeElement.id") == "toggle-directory"


@pytest.mark.parametrize(
    ("query", "zh", "en"),
    [
        ("counter=ZZ99", "找不到窗口 ZZ99", "Counter ZZ99 not found"),
        ("service=no-such-service", "找不到事项 no-such-service", "Service no-such-service not found"),
        ("facility=no-such-place", "找不到设施 no-such-place", "Facility no-such-place not found"),
    ],
)
def test_an_unknown_place_in_a_deep_link_says_so(tab, query, zh, en):
    tab.tour(f"?{query}")
    wait_title(tab.page, zh)
    tab.page.click("#toggle-lang")
    wait_title(tab.page, en)
    assert "加载失败" not in tab.page.locator("#panel").inner_text()


def test_a_keyboard_user_reaches_a_guide_in_ten_keys_and_its_route_in_two_more(tab):
    page = tab.page
    tab.tour()
    page.evaluate("document.activeElement.blur()")  # the page's start
    to_guide = [
        "Tab",
        "Tab",
        "Tab",
        "s",
        "f",
        "z",
    ]  # skip link, hall name, search box; pinyin initials of 身份证
    for key in to_guide:
        page.keyboard.press(key)
    page.wait_for_selector("#search-results .result-service")
    to_guide += ["ArrowDown", "Enter"]  # the first result (the combobox's first row), open it
    for key in to_guide[-2:]:
        page.keyboard.press(key)
    wait_title(page, "临时居民身份证申领")
    assert len(to_guide) <= 10
    to_route = ["Tab", "Enter"]  # the guide's first stop is 带我去 its best counter
    for key in to_route:
        page.keyboard.press(key)
    page.wait_for_function("() => document.querySelector('#panel-title')?.textContent.startsWith('路线')")
    assert len(to_route) <= 2
    # Closing the panel with Esc leaves the focus on the view, not lost on the page.
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.id") == "viewer"


FAKE_SPEECH = """() => {
  window.__spoken = [];
  window.__cancelled = 0;
  window.SpeechSynthesisUtterance = class { constructor(text) { this.text = text; } };
  Object.defineProperty(window, 'speechSynthesis', { value: {
    speaking: false,
    speak(u) { window.__spoken.push(u.text); this.speaking = true; window.__utterance = u; },
    cancel() { window.__cancelled += 1; this.speaking = false; },
  } });
}"""


def test_read_aloud_reads_the_content_and_can_be_stopped(tab):
    page = tab.page
    page.add_init_script(f"({FAKE_SPEECH})()")
    tab.tour("?service=ga-lssfz")
    wait_title(page, "临时居民身份证申领")
    button = page.locator("#panel .read-aloud")
    assert button.inner_text() == "朗读"
    button.click()
    spoken = page.evaluate("window.__spoken")
    assert len(spoken) == 1
    text = spoken[0]
    assert text.startswith("临时居民身份证申领") and "居民户口簿" in text  # the title and a material
    for label in ("带我去", "网上申办", "朗读", "关闭", "咨询电话"):
        assert label not in text, label
    assert button.inner_text() == "停止朗读"
    button.click()
    assert page.evaluate("window.__cancelled") >= 1
    assert button.inner_text() == "朗读"
    # When the speech ends by itself, the button says so too.
    button.click()
    page.evaluate("window.__utterance.onend()")
    assert button.inner_text() == "朗读"
