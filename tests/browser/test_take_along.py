"""Take it along (issue 10 §7): a service guide printed on one A4 page (checklist with boxes, counter, floor,
hours, QR code; nothing of the tour around it), and the share button (Web Share API where the browser has it,
else the link copied, with a message in the page's language)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

# The longest guides of the pingnan hall (most text; most materials), from counter A02 and B01.
LONG_GUIDES = (("A02", "scjg-qykb"), ("A02", "scjg-ypls"), ("B01", "bdc-dygh"))
PDF_PAGE = re.compile(rb"/Type\s*/Page\b(?!s)")
HAN = re.compile(r"[\u4e00-\u9fff]")


def open_guide(tab, counter: str, service: str) -> None:
    tab.goto(f"/hall/pingnan?counter={counter}&service={service}")
    tab.page.wait_for_selector("body[data-tour='ready']")
    tab.page.wait_for_selector("#panel .checklist input[type=checkbox]")
    tab.page.wait_for_function("document.querySelector('#panel .qr img')?.complete")


def test_a_guide_prints_on_one_a4_page_with_what_to_take_along(tab):
    page = tab.page
    for counter, service in LONG_GUIDES:
        open_guide(tab, counter, service)
        pdf = page.pdf(format="A4", print_background=True)
        assert len(PDF_PAGE.findall(pdf)) == 1, (service, len(PDF_PAGE.findall(pdf)))

    # What the printed page holds, in print media (the last guide).
    page.emulate_media(media="print")
    visible = page.evaluate(
        """() => {
        const shown = (e) => !!e && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
        const box = document.querySelector('#panel .checklist input');
        const style = getComputedStyle(box);
        return {
          bar: shown(document.querySelector('.bar')), viewer: shown(document.querySelector('#viewer')),
          tools: shown(document.querySelector('.panel-tools')), takeMe: shown(document.querySelector('#panel .take-me')),
          boxes: [...document.querySelectorAll('#panel .checklist input')].filter(shown).length,
          materials: document.querySelectorAll('#panel .checklist li').length,
          conditions: [...document.querySelectorAll('#panel .conditions li')].filter(shown).length,
          boxBorder: style.borderTopWidth, boxWidth: box.getBoundingClientRect().width,
          qr: document.querySelector('#panel .qr img').getBoundingClientRect().width,
          text: document.querySelector('#panel').innerText,
        };
    }"""
    )
    page.emulate_media(media="screen")
    assert not visible["bar"] and not visible["viewer"] and not visible["tools"] and not visible["takeMe"]
    assert visible["boxes"] == visible["materials"] >= 5  # a box to tick per material
    assert float(visible["boxBorder"].removesuffix("px")) >= 1 and visible["boxWidth"] >= 12
    assert visible["qr"] >= 100  # ≈ 32 mm: scannable from paper
    text = visible["text"]
    assert "B01" in text and "一楼" in text, text  # the counter and its floor
    assert re.search(r"办公时间：周一至周五 \d\d:\d\d–\d\d:\d\d", text), text  # its hours
    assert "打印自" in text and "全景导览" in text
    assert "需要带的材料" in text and "手机扫码办理" in text
    assert "办理条件" in text and visible["conditions"] >= 1  # who can apply, printed with the guide


def test_share_copies_the_link_or_uses_the_share_sheet(browser, live_server, panoramas, built_web):
    context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="zh-CN")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page = context.new_page()
    page.set_default_timeout(10000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        # No Web Share API (as desktop Linux Chromium): the link goes to the clipboard.
        page.add_init_script("Object.defineProperty(Navigator.prototype, 'share', { value: undefined });")
        page.goto(f"{live_server}/hall/pingnan?counter=A02&service=scjg-qykb")
        page.wait_for_selector("#panel .share-guide")
        page.click("#panel .share-guide")
        status = page.locator("#panel .share-status")
        assert status.get_attribute("role") == "status"
        page.wait_for_function("document.querySelector('#panel .share-status').textContent === '已复制链接'")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == page.url and "service=scjg-qykb" in copied

        page.click("#toggle-lang")
        page.wait_for_function("document.querySelector('#panel .share-guide')?.textContent === 'Share'")
        page.click("#panel .share-guide")
        page.wait_for_function("document.querySelector('#panel .share-status').textContent === 'Link copied'")
        assert page.locator("#panel .print-guide").text_content() == "Print this guide"
        assert not HAN.search(page.locator("#panel .counter-list").inner_text())
        page.close()

        # With the Web Share API: the share sheet gets the title and link, and no message is shown.
        page = context.new_page()
        page.add_init_script(
            "navigator.share = async (data) => { window.__shared = data; };"
            "localStorage.clear();"  # back to Chinese
        )
        page.goto(f"{live_server}/hall/pingnan?counter=A02&service=scjg-qykb")
        page.wait_for_selector("#panel .share-guide")
        page.click("#panel .share-guide")
        page.wait_for_function("window.__shared")
        shared = page.evaluate("window.__shared")
        assert shared["url"] == page.url and shared["title"].startswith("企业开办")
        assert page.locator("#panel .share-status").text_content() == ""
    finally:
        context.close()
    assert not errors, errors
