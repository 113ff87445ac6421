"""The guide's Markdown subset in the panel (web/src/ui/guideText.js): bold, a list and a link rendered as
elements, in Chinese and in English, and nothing in the summary outside the allowed set of elements."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

# yb-sydyjf's demo guide uses bold, a bullet list and a link (server/demo/data/services/yb.yaml).
GUIDE = "/hall/pingnan?counter=C02&service=yb-sydyjf"
ALLOWED = ["DIV", "P", "STRONG", "EM", "UL", "OL", "LI", "A", "BR"]

SUMMARY = """(allowed) => {
  const root = document.querySelector('#panel .summary');
  const all = [root, ...root.querySelectorAll('*')];
  return {
    tags: [...new Set(all.map((e) => e.tagName))].filter((t) => !allowed.includes(t)),
    attrs: all.flatMap((e) => [...e.attributes].map((a) => a.name)).filter((n) => !['class', 'href', 'target', 'rel'].includes(n)),
    bold: [...root.querySelectorAll('strong')].map((e) => e.textContent),
    items: [...root.querySelectorAll('ul > li')].map((e) => e.textContent),
    links: [...root.querySelectorAll('a')].map((a) => [a.textContent, a.getAttribute('href'), a.target, a.rel]),
    paragraphs: root.querySelectorAll(':scope > p').length,
  };
}"""


@pytest.mark.parametrize(
    ("lang", "bold", "first_item", "link_text"),
    [
        ("", "不用申请、不用交材料", "系统会自动算好", "广西数字政务一体化平台"),
        ("&lang=en", "you don't need to apply or hand in any papers", "the system works it out", "Guangxi"),
    ],
)
def test_bold_list_and_link_render_as_elements_and_nothing_else(tab, lang, bold, first_item, link_text):
    tab.goto(GUIDE + lang)
    tab.page.wait_for_selector("#panel .summary ul li")
    seen = tab.page.evaluate(SUMMARY, ALLOWED)
    assert seen["tags"] == [] and seen["attrs"] == [], seen
    assert seen["bold"] == [bold]
    assert len(seen["items"]) == 3 and seen["items"][0] == first_item
    ((text, href, target, rel),) = seen["links"]
    assert link_text in text
    assert href.startswith("https://zwfw.gxzf.gov.cn/") and target == "_blank" and rel == "noopener"
    assert seen["paragraphs"] == 2
    assert "**" not in tab.page.inner_text("#panel .summary")
    assert tab.errors == []
