"""Opening states in real Chromium with the clocks set (server and page, Asia/Shanghai): the panel, search,
hotspots and the text directory say what the server says, the panel shows the whole week, the directory the
hall's address, phone and how to get there, and at 12:00 the page (the open search list too) turns to 午间休息 without a reload; an adjusted working Saturday and a public holiday say so."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from .conftest import HALL, open_tab

pytestmark = pytest.mark.browser

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_states_agree_everywhere_and_follow_the_clock(browser, live_server, panoramas, built_web, app):
    def server_clock(text: str) -> None:
        moment = datetime.fromisoformat(text)
        app.config["CLOCK"] = lambda: moment

    with open_tab(browser, live_server, timezone_id="Asia/Shanghai") as tab:
        page = tab.page
        try:
            # Thursday 2026-12-03, one minute before the pingnan hall's lunch break (12:00–15:00).
            server_clock("2026-12-03T11:59:00+08:00")
            page.clock.install(time="2026-12-03T11:59:00+08:00")
            tab.tour("?counter=B02")
            page.wait_for_selector("#panel .panel-state")
            states = page.evaluate(f"fetch('/api/v1/halls/{HALL}/states').then(r => r.json())")["counters"]
            assert states["B02"]["label"]["zh"] == "正在办公（至 12:00）"

            # Panel: the state now and the whole week, today (Thursday) marked.
            assert page.inner_text("#panel .panel-state") == "正在办公（至 12:00）"
            rows = page.locator("#panel .week-table tbody tr")
            assert rows.count() == 7
            assert page.locator("#panel .week-table tr.is-today").get_attribute("data-day") == "thu"
            assert page.inner_text("#panel .week-table tr[data-day='sun'] td") == "不办公"
            assert page.text_content("#panel .week-table tr[data-day='mon'] td") == "08:00–12:00  15:00–18:00"

            # Text directory: every counter's state as the server says it; the hall's facts.
            for number, state in states.items():
                line = page.locator(f"#directory .dir-status[data-counter='{number}']")
                assert line.get_attribute("data-state") == state["code"], number
                assert line.locator(".dir-state").text_content() == state["label"]["zh"], number
                assert line.locator(".dir-state").get_attribute("data-i18n-en") == state["label"]["en"], (
                    number
                )
            assert (
                page.locator("#directory .dir-status[data-counter='C03']").get_attribute("data-state")
                == "paused"
            )
            assert "平南县" in page.locator("#directory .hall-address").text_content()
            assert page.locator("#directory .hall-phone a").get_attribute("href") == "tel:0775-7821234"
            assert (
                page.locator("#directory .hall-access[data-access='bus']").text_content().startswith("乘县城")
            )
            assert page.locator("#directory .hall-hours li").count() == 7

            # The header says the hall's own state; 大厅信息 opens the hall's card: state, address, phone, week, how
            # to get there — on the tour itself, not only in the text directory.
            word = page.locator("#hall-info .hall-state-word")
            assert word.is_visible() and word.get_attribute("data-state") == "open"
            assert word.text_content() == "正在办公"
            hall_state = page.evaluate(f"fetch('/api/v1/halls/{HALL}/states').then(r => r.json())")[
                "hall_state"
            ]
            assert hall_state["label"]["zh"] == "正在办公（至 12:00）"
            page.click("#hall-info")
            page.wait_for_selector("#panel .hall-facts")
            assert page.inner_text("#panel-title") == "平南县政务服务中心"
            assert page.inner_text("#panel .hall-state-line .panel-state") == "正在办公（至 12:00）"
            assert "平南县" in page.inner_text("#panel .hall-address")
            assert page.locator("#panel .hall-phone a").get_attribute("href") == "tel:0775-7821234"
            assert page.locator("#panel .week-table tbody tr").count() == 7
            assert page.locator("#panel .week-table tr.is-today").get_attribute("data-day") == "thu"
            assert page.inner_text("#panel .week-table tr[data-day='sat'] td") == "不办公"
            assert page.inner_text("#panel .hall-access [data-access='bus']").startswith("乘县城")
            assert page.inner_text("#panel .hall-access [data-access='parking']").startswith("中心前广场")
            assert page.locator("#panel .hall-access [data-access='metro']").count() == 0  # none in the data
            assert "info=1" in page.url
            page.click("#toggle-lang")
            page.wait_for_function(
                "document.querySelector('#panel-title')?.textContent.startsWith('Pingnan')"
            )
            assert word.text_content() == "Open now"
            assert page.inner_text("#panel .hall-access [data-access='bus']").startswith("County bus")
            assert page.inner_text("#panel .hall-state-line .panel-state") == hall_state["label"]["en"]
            page.click("#toggle-lang")
            page.wait_for_function(
                "document.querySelector('#panel-title')?.textContent === '平南县政务服务中心'"
            )
            page.click("#hall-info")  # a second press closes it
            page.wait_for_selector("#panel", state="hidden")
            tab.tour("?counter=B02")
            page.wait_for_selector("#panel .panel-state")

            # Hotspots: each counter's button carries its state; only serving ones are not greyed.
            spots = page.locator("#hotspots .hotspot-counter")
            assert spots.count() >= 3
            for i in range(spots.count()):
                spot = spots.nth(i)
                number = spot.get_attribute("data-target").split(":")[1]
                assert spot.get_attribute("data-state") == states[number]["code"], number
                assert states[number]["label"]["zh"] in spot.get_attribute("title"), number
                assert ("is-closed" in spot.get_attribute("class")) == (states[number]["code"] != "open"), (
                    number
                )

            # Search: the counters of a service show the same badge.
            page.fill("#search-input", "不动产")
            page.wait_for_selector("#search-results .result-where .state")
            places = page.locator("#search-results .result-where")
            assert places.count() >= 1
            for i in range(places.count()):
                best = places.nth(i).get_attribute("data-best-counter")
                assert places.nth(i).locator(".state").inner_text() == states[best]["label"]["zh"], best
            first = places.first.get_attribute("data-best-counter")
            assert places.first.locator(".state").get_attribute("data-state") == "open"
            assert places.first.locator(".state").inner_text().startswith("正在办公")
            # The answer itself carries the same state (for a client without the hall's states).
            answer = page.evaluate(
                f"fetch('/api/v1/search?q=' + encodeURIComponent('不动产') + '&hall={HALL}').then(r => r.json())"
            )
            assert answer["services"][0]["counters"][0]["state"] == states[first]

            # 12:01: the server's clock and the page's pass the change; the page asks again by itself, and the
            # search list, still open, says 午间休息 in place (no reload, no new search).
            server_clock("2026-12-03T12:01:00+08:00")
            page.evaluate("window.__searchRows = document.querySelector('#search-results li[role=row]')")
            page.clock.fast_forward("02:00")
            page.wait_for_function(
                "document.querySelector('#panel .panel-state')?.textContent === '午间休息（15:00 开始）'"
            )
            page.wait_for_function(
                "[...document.querySelectorAll('#search-results .result-where .state')]"
                ".every((s) => s.dataset.state === 'lunch')"
            )
            assert page.locator("#search-results").is_visible()
            assert page.input_value("#search-input") == "不动产"
            assert page.evaluate("window.__searchRows !== undefined")  # the same document: not reloaded
            assert places.count() >= 1
            for i in range(places.count()):
                badge = places.nth(i).locator(".state")
                assert badge.inner_text().startswith("午间休息（"), places.nth(i).get_attribute(
                    "data-best-counter"
                )
            assert places.first.locator(".state").inner_text() == "午间休息（15:00 开始）"
            page.keyboard.press("Escape")
            assert page.locator("#panel .panel-state").get_attribute("data-state") == "lunch"
            directory = page.locator("#directory .dir-status[data-counter='B02']")
            assert directory.get_attribute("data-state") == "lunch"
            assert directory.locator(".dir-state").text_content() == "午间休息（15:00 开始）"
            assert (
                directory.locator(".dir-state").get_attribute("data-i18n-en") == "Lunch break (opens 15:00)"
            )
            b02 = page.locator("#hotspots [data-target='counter:B02']")
            if b02.count():
                assert b02.get_attribute("data-state") == "lunch" and "is-closed" in b02.get_attribute(
                    "class"
                )
            assert (
                page.locator("#directory .dir-status[data-state='open']").count() == 0
            )  # no counter serves at lunch
            assert page.locator("#hall-info .hall-state-word").get_attribute("data-state") == "lunch"
            assert page.locator("#hall-info .hall-state-word").text_content() == "午间休息"

            # An adjusted working Saturday (调休, for National Day) and a public holiday, each on a fresh load.
            for moment, label, note, today in [
                (
                    "2026-10-10T10:00:00+08:00",
                    "正在办公（至 12:00）",
                    "今天调休上班（国庆节），按工作日时间办公",
                    "sat",
                ),
                (
                    "2026-10-01T10:00:00+08:00",
                    "今日不办公（国庆节，10月8日 08:00 开始）",
                    "今天是法定节假日（国庆节），不办公",
                    "thu",
                ),
            ]:
                server_clock(moment)
                page.clock.set_system_time(moment)
                tab.tour("?counter=B02")
                page.wait_for_selector("#panel .panel-state")
                assert page.inner_text("#panel .panel-state") == label, moment
                assert page.inner_text("#panel .calendar-note") == note, moment
                assert page.locator("#panel .week-table tr.is-today").get_attribute("data-day") == today, (
                    moment
                )
                assert (
                    page.locator("#directory .dir-status[data-counter='B02'] .dir-state").text_content()
                    == label
                )
                hall_word = "正在办公" if today == "sat" else "今日不办公"
                assert page.locator("#hall-info .hall-state-word").text_content() == hall_word, moment
            # The holiday's hall card says so too (opened from the URL, as a shared link would).
            tab.tour("?info=1")
            page.wait_for_selector("#panel .hall-facts")
            assert page.inner_text("#panel .calendar-note") == "今天是法定节假日（国庆节），不办公"
            assert page.inner_text("#panel .hall-state-line .panel-state").startswith("今日不办公")
            # A paused counter says the staff's notice beside its state, as text.
            tab.tour("?counter=C03")
            page.wait_for_selector("#panel .status-notice")
            assert page.inner_text("#panel .panel-state") == "暂停服务"
            assert page.inner_text("#panel .status-notice") == "系统升级，暂停至 14:00"
            assert not tab.errors, tab.errors
        finally:
            app.config.pop("CLOCK", None)


HAN = re.compile(r"[\u3400-\u9fff]")


@pytest.mark.parametrize("hall", [HALL, "guigang"])
@pytest.mark.parametrize("size", [(1280, 720), (390, 844)], ids=["desktop", "phone"])
def test_hall_card_on_each_hall_and_size_in_both_languages(
    browser, live_server, panoramas, guigang_panoramas, built_web, app, hall, size
):
    """大厅信息 on each demo hall, desktop and phone, one page each: the card says what the hall's data says —
    its state now, address, phone, the whole week (today marked), how to get there — and fits the screen; in
    English every word of it is English."""
    moment = "2026-12-03T10:00:00+08:00"  # a Thursday morning
    app.config["CLOCK"] = lambda: datetime.fromisoformat(moment)
    width, height = size
    try:
        with open_tab(
            browser, live_server, timezone_id="Asia/Shanghai", viewport={"width": width, "height": height}
        ) as tab:
            page = tab.page
            page.clock.install(time=moment)
            tab.goto(f"/hall/{hall}")
            page.wait_for_selector("body[data-tour='ready']")
            doc = page.evaluate(f"fetch('/api/v1/halls/{hall}').then(r => r.json())")
            state = doc["opening"]["hall"]
            assert state["code"] == "open"
            page.click("#hall-info")
            page.wait_for_selector("#panel .hall-facts")
            panel = page.locator("#panel")
            box = panel.bounding_box()
            assert box["x"] >= -0.5 and box["x"] + box["width"] <= width + 0.5, box  # no sideways overflow
            assert "info=1" in page.url

            def card(lang: str) -> None:
                assert page.inner_text("#panel-title") == doc["name"][lang]
                assert page.inner_text("#panel .hall-state-line .panel-state") == state["label"][lang]
                assert page.inner_text("#panel .hall-address") == doc["address"][lang]
                assert page.locator("#panel .hall-phone a").get_attribute("href") == f"tel:{doc['phone']}"
                rows = page.locator("#panel .week-table tbody tr")
                assert rows.count() == 7
                assert page.locator("#panel .week-table tr.is-today").get_attribute("data-day") == "thu"
                closed = {"zh": "不办公", "en": "Closed"}[lang]
                for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
                    spans = doc["hours"].get(day) or []
                    expected = "  ".join(f"{a}–{b}" for a, b in spans) or closed
                    assert page.text_content(f"#panel .week-table tr[data-day='{day}'] td") == expected, day
                kinds = [k for k in ("bus", "metro", "parking") if doc["access"].get(k)]
                assert len(kinds) >= 2, doc["access"]
                for kind in ("bus", "metro", "parking"):
                    shown = page.locator(f"#panel .hall-access [data-access='{kind}']")
                    if kind in kinds:
                        assert shown.inner_text() == doc["access"][kind][lang], kind
                    else:
                        assert shown.count() == 0, kind

            card("zh")
            page.click("#toggle-lang")
            page.wait_for_function(
                f"document.querySelector('#panel-title')?.textContent === {doc['name']['en']!r}"
            )
            card("en")
            assert not HAN.search(page.inner_text("#panel")), page.inner_text("#panel")
            assert page.locator("#hall-info .hall-state-word").text_content() == "Open now"
            page.click("#hall-info")  # a second press closes it
            page.wait_for_selector("#panel", state="hidden")
            assert not tab.errors, tab.errors
    finally:
        app.config.pop("CLOCK", None)
