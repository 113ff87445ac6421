"""Elder mode (长辈版) by the numbers of MIIT's 适老化 rules, measured in real Chromium at desktop and phone
sizes: every visible interactive element at least 60×60 CSS px, all text at least 18 px, line height at least
1.3, contrast at least 4.5:1 — on the tour (the minimap open, its markers counted one by one), a service
guide (checkboxes, FAQ rows open), search results, the text directory and a route; and the minimap of the
two-floor hall on each floor."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

# The problems in *root*: each visible target under 60×60 px (a checkbox counts by its label), each visible
# text under 18 px, with a line height under 1.3 or a contrast under 4.5:1 (a translucent layer over the
# panorama is composited over mid-grey), each plan label under 18 px high.
MEASURE = """(root) => {
  const problems = [];
  const scope = document.querySelector(root);
  const shown = (el) => {
    if (!el || el.getClientRects().length === 0) return false;
    const s = getComputedStyle(el);
    if (s.visibility === 'hidden' || parseFloat(s.opacity) === 0) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth;
  };
  const name = (el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${(el.getAttribute('class') || '').split(' ')[0]} "${(el.getAttribute('aria-label') || el.textContent || '').trim().slice(0, 24)}"`;
  // Targets: everything focusable or clickable; a checkbox counts by its label, which is what one presses.
  const interactive = scope.querySelectorAll('button, a[href], input, select, textarea, summary, [tabindex]:not([tabindex="-1"]), [role="button"]');
  for (let el of interactive) {
    if (el.matches('input[type="checkbox"], input[type="radio"]') && el.closest('label')) el = el.closest('label');
    if (!shown(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.width < 59.5 || r.height < 59.5) problems.push(`target ${name(el)} ${Math.round(r.width)}×${Math.round(r.height)}`);
  }
  const rgba = (c) => { const m = c.match(/[\\d.]+/g).map(Number); return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1]; };
  const lum = ([r, g, b]) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }; return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const background = (el) => {
    // Composite the backgrounds from the element up; what is under a translucent layer over the panorama is taken as mid-grey.
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
      if (e.id === 'viewer') { layers.push([128, 128, 128, 1]); break; }
    }
    let out = [255, 255, 255];
    for (const [r, g, b, a] of layers.reverse()) out = [r * a + out[0] * (1 - a), g * a + out[1] * (1 - a), b * a + out[2] * (1 - a)];
    return out;
  };
  const walker = document.createTreeWalker(scope, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || seen.has(el) || !shown(el) || el.closest('svg')) continue;
    seen.add(el);
    const s = getComputedStyle(el);
    const size = parseFloat(s.fontSize);
    if (size < 17.95) problems.push(`text ${name(el)} ${size}px`);
    const lh = s.lineHeight === 'normal' ? 1.2 * size : parseFloat(s.lineHeight);
    if (lh < 1.3 * size - 0.01) problems.push(`line-height ${name(el)} ${lh.toFixed(1)}/${size}`);
    const fg = rgba(s.color); const bg = background(el);
    const f = [fg[0] * fg[3] + bg[0] * (1 - fg[3]), fg[1] * fg[3] + bg[1] * (1 - fg[3]), fg[2] * fg[3] + bg[2] * (1 - fg[3])];
    const [hi, lo] = [lum(f), lum(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    if (ratio < 4.5) problems.push(`contrast ${name(el)} ${ratio.toFixed(2)}`);
  }
  for (const el of scope.querySelectorAll('svg text')) {
    if (!shown(el)) continue;
    const h = el.getBoundingClientRect().height;
    if (h < 18) problems.push(`svg text "${el.textContent.slice(0, 16)}" ${h.toFixed(1)}px high`);
  }
  return problems;
}
"""


def measure(page, view: str, root: str = "body") -> list[str]:
    return [f"{view}: {problem}" for problem in page.evaluate(MEASURE, root)]


# Each scene marker and facility disc of the minimap: its size on screen (the measure above skips what lies
# outside the window; this names every one, so a marker cannot pass by being off screen).
MARKERS = """() => [...document.querySelectorAll('#minimap .mm-scene, #minimap .mm-facility')].map((m) => {
  const r = m.getBoundingClientRect();
  return { name: m.getAttribute('aria-label'), w: r.width, h: r.height };
})"""


def open_minimap(page) -> list[str]:
    """Open the minimap if it is folded; the problems of its markers (each at least 60×60 px, and some)."""
    if page.locator(".mm-toggle[aria-expanded='false']").count():
        page.click(".mm-toggle")
    page.wait_for_selector("#minimap .mm-plan .mm-facility")
    page.wait_for_function("document.querySelector('#minimap .mm-scene') !== null")
    markers = page.evaluate(MARKERS)
    level = page.get_attribute("#minimap", "data-level")
    problems = [] if markers else [f"minimap floor {level}: no markers"]
    problems += [
        f"minimap floor {level}: marker {m['name']} {m['w']:.0f}×{m['h']:.0f}"
        for m in markers
        if m["w"] < 59.5 or m["h"] < 59.5
    ]
    return problems


@pytest.mark.parametrize("size", [(1280, 720), (390, 844)], ids=["desktop", "phone"])
def test_elder_mode_meets_the_numbers(browser, live_server, panoramas, built_web, size):
    width, height = size
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10000)
    page.add_init_script("localStorage.setItem('vhall.elder', '1')")
    page.goto(f"{live_server}/hall/pingnan")
    page.wait_for_selector("body[data-tour='ready'].elder")
    page.wait_for_selector("#viewer[data-tiles='loaded']", timeout=20000)
    problems = []
    # The tour with the minimap open (a phone starts with it folded): its markers are targets too.
    problems += open_minimap(page)
    problems += measure(page, "tour")
    page.click(".mm-toggle")  # folded again: the views below are measured with the panorama in sight

    page.evaluate("() => window.__tour.panel.openService('ga-lssfz')")
    page.wait_for_selector("#panel .checklist")
    page.evaluate("document.querySelectorAll('#panel details').forEach((d) => { d.open = true; })")
    problems += measure(page, "guide", "#panel")
    # Scrolled to the end, the lower half of the guide (counters, phones) is measured too.
    page.evaluate("document.querySelector('#panel').scrollTop = 1e6")
    problems += measure(page, "guide end", "#panel")

    page.locator("#panel .guide-take-me").click()
    page.wait_for_selector("#route-bar:not([hidden])")
    problems += measure(page, "route")
    page.evaluate("() => window.__tour.panel.close()")

    page.fill("#search-input", "身份证")
    page.wait_for_selector("#search-results .result-service")
    problems += measure(page, "search", "#search-results")
    page.keyboard.press("Escape")

    page.click("#toggle-directory")
    page.wait_for_selector("#directory:not([hidden])")
    problems += measure(page, "directory", "#directory")
    context.close()
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("size", [(1280, 720), (390, 844)], ids=["desktop", "phone"])
def test_elder_minimap_of_the_two_floor_hall(browser, live_server, guigang_panoramas, built_web, size):
    """The second demo hall's minimap in elder mode, on each floor: markers, labels and the switcher."""
    width, height = size
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10000)
    page.add_init_script("localStorage.setItem('vhall.elder', '1')")
    page.goto(f"{live_server}/hall/guigang")
    page.wait_for_selector("body[data-tour='ready'].elder")
    page.wait_for_selector("#viewer[data-tiles='loaded']", timeout=20000)
    problems = open_minimap(page) + measure(page, "minimap 1F", "#minimap")
    page.click("#minimap .mm-floors button[data-level='2']")
    page.wait_for_selector("#minimap[data-level='2'] .mm-plan .mm-facility")
    problems += open_minimap(page) + measure(page, "minimap 2F", "#minimap")
    # Leaving elder mode gives the plain minimap back: small markers, the plan's labels shown.
    page.click("#toggle-elder")
    page.wait_for_function("document.querySelector('#minimap .mm-scene')?.getBoundingClientRect().width < 30")
    assert page.locator("#minimap .mm-plan .counter text").first.is_visible()
    context.close()
    assert problems == [], "\n".join(problems)
