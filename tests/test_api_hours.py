"""Opening states in the API at set moments: the hall document, the states answer and a counter agree."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from .test_api import assert_matches

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def clock(app):
    """Set the server's clock: ``clock("2026-12-03T10:00")`` (hall time); restored after the test."""

    def set_clock(text: str) -> None:
        moment = datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)
        app.config["CLOCK"] = lambda: moment

    yield set_clock
    app.config.pop("CLOCK", None)


def codes(api, hall: str = "guigang") -> dict[str, str]:
    body = api.get(f"/api/v1/halls/{hall}/states").json()
    assert_matches(body, "HallStates")
    return {number: state["code"] for number, state in body["counters"].items()}


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # Thursday morning: regular (B01), through-lunch (A01), paused (D08), closed (K04), 24 hours (Z01).
        ("2026-12-03T10:00", {"B01": "open", "A01": "open", "D08": "paused", "K04": "closed", "Z01": "open"}),
        # Lunch: the regular counter rests, the 午间不打烊 one serves.
        ("2026-12-03T12:30", {"B01": "lunch", "A01": "open", "C01": "lunch", "Z01": "open"}),
        # Evening: the regular counter has gone home, the 延时服务 one serves until 19:30.
        ("2026-12-03T18:30", {"B01": "after_hours", "B06": "open", "A01": "after_hours"}),
        # Sunday: only weekend counters and the self-service area.
        ("2026-12-06T10:00", {"B01": "not_today", "C01": "open", "G01": "open", "Z02": "open"}),
        # National Day: even the weekend counters are closed; the self-service area is open.
        ("2026-10-02T10:00", {"B01": "not_today", "C01": "not_today", "Z01": "open"}),
        # Saturday 2026-10-10 is an adjusted working day: regular counters serve.
        ("2026-10-10T10:00", {"B01": "open", "A01": "open", "D08": "paused"}),
    ],
)
def test_states_at_set_moments(api, clock, moment, expected):
    clock(moment)
    answer = codes(api)
    assert {number: answer[number] for number in expected} == expected


def test_at_01_37_only_the_24_hour_self_service_area_is_open(api, clock):
    clock("2026-12-03T01:37")
    body = api.get("/api/v1/halls/guigang").json()
    assert_matches(body, "Hall")
    open_now = sorted(c["number"] for c in body["counters"] if c["state"]["code"] == "open")
    assert open_now == ["Z01", "Z02", "Z03", "Z04"]
    assert all(
        c["state"]["label"]["zh"] == "正在办公（24小时）" for c in body["counters"] if c["number"] in open_now
    )
    b01 = next(c for c in body["counters"] if c["number"] == "B01")
    assert b01["state"]["label"] == {"zh": "尚未开始办公（08:30 开始）", "en": "Not open yet (opens 08:30)"}
    assert body["opening"]["changes_at"] == "2026-12-03T08:30:00+08:00"
    assert body["time_zone"] == "Asia/Shanghai" and body["access"]["bus"]["zh"].startswith("乘")


def test_hall_document_states_change_with_the_clock_and_are_cached_until_then(api, clock):
    clock("2026-12-03T17:00")
    first = api.get("/api/v1/halls/guigang")
    b01 = next(c for c in first.json()["counters"] if c["number"] == "B01")
    assert b01["state"]["code"] == "open"
    assert first.json()["opening"]["changes_at"] == "2026-12-03T17:30:00+08:00"
    assert "max-age=60" in first.headers["Cache-Control"]
    clock("2026-12-03T17:29:30")  # 30 s before B01 closes: proxies may keep it no longer than that
    near = api.get("/api/v1/halls/guigang")
    assert near.headers["ETag"] == first.headers["ETag"] and "max-age=30" in near.headers["Cache-Control"]
    clock("2026-12-03T17:31")
    later = api.get("/api/v1/halls/guigang")
    assert later.headers["ETag"] != first.headers["ETag"]
    b01 = next(c for c in later.json()["counters"] if c["number"] == "B01")
    assert b01["state"]["label"]["zh"] == "已下班（明天 08:30 开始）"


def test_counter_answer_has_the_same_state_and_todays_hours_by_the_calendar(api, clock):
    clock("2026-10-10T12:30")  # an adjusted working Saturday, at lunch
    counter = api.get("/api/v1/halls/guigang/counters/B01").json()
    assert_matches(counter, "CounterDetail")
    assert counter["state"] == api.get("/api/v1/halls/guigang/states").json()["counters"]["B01"]
    assert counter["state"]["code"] == "lunch" and counter["state"]["day"]["kind"] == "workday"
    assert counter["today"]["weekday"] == "sat" and counter["today"]["intervals"] == [
        ["08:30", "12:00"],
        ["14:30", "17:30"],
    ]


def test_unknown_hall_states_is_a_bilingual_404(api):
    response = api.get("/api/v1/halls/nowhere/states")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["message"] and error["message_en"]


def search(api, q: str, hall: str | None = "guigang"):
    response = api.get("/api/v1/search", params={"q": q, **({"hall": hall} if hall else {})})
    assert response.status_code == 200
    assert_matches(response.json(), "SearchResults")
    return response


@pytest.mark.parametrize(
    ("moment", "code", "zh"),
    [
        ("2026-12-03T10:00", "open", "正在办公（至 12:00）"),  # a Thursday morning
        ("2026-12-03T12:30", "lunch", "午间休息（14:30 开始）"),
        ("2026-12-03T18:30", "after_hours", "已下班（明天 08:30 开始）"),
        ("2026-12-06T10:00", "not_today", "今日不办公（明天 08:30 开始）"),  # a Sunday
        ("2026-10-02T10:00", "not_today", "今日不办公（国庆节，周四 08:30 开始）"),  # National Day
    ],
)
def test_search_results_say_each_counters_state_now_as_the_states_answer_does(api, clock, moment, code, zh):
    clock(moment)
    body = search(api, "食品经营许可").json()
    states = api.get("/api/v1/halls/guigang/states").json()
    top = body["services"][0]
    best = top["counters"][0]
    assert (top["id"], best["number"], best["floor"]) == ("scjg-spjy", "B04", 1)
    assert (best["state"]["code"], best["state"]["label"]["zh"]) == (code, zh)
    # Every counter of every result, and every counter found by itself: the one rule's answer.
    for service in body["services"]:
        for counter in service["counters"]:
            assert counter["state"] == states["counters"][counter["number"]], counter["number"]
    assert body["changes_at"] == states["changes_at"]
    paused = search(api, "D08").json()["counters"][0]
    assert (paused["number"], paused["state"]["code"], paused["state"]["label"]["zh"]) == (
        "D08",
        "paused",
        "暂停服务",
    )


def test_search_states_follow_the_clock_while_the_ranking_is_kept(api, clock):
    clock("2026-12-03T11:59:30")
    before = search(api, "食品经营许可")
    assert before.json()["services"][0]["counters"][0]["state"]["code"] == "open"
    assert "max-age=30" in before.headers["Cache-Control"]  # never kept past the change at 12:00
    clock("2026-12-03T12:00:30")
    after = search(api, "食品经营许可")
    assert after.json()["services"][0]["counters"][0]["state"]["code"] == "lunch"
    assert after.headers["ETag"] != before.headers["ETag"]
    strip = [
        [(c["number"], c["status"]) for s in r.json()["services"] for c in s["counters"]]
        for r in (before, after)
    ]
    assert strip[0] == strip[1]  # the same results, only the states moved
    clock("2026-12-03T12:10")
    assert search(api, "食品经营许可").headers["ETag"] == after.headers["ETag"]  # same window, same body


def test_search_without_a_hall_gives_each_halls_counters_their_own_state(api, clock):
    clock("2026-12-03T12:30")  # guigang rests 12:00–14:30, pingnan 12:00–15:00
    body = search(api, "营业执照", hall=None).json()
    halls = {"guigang", "pingnan"}
    states = {h: api.get(f"/api/v1/halls/{h}/states").json()["counters"] for h in halls}
    seen = set()
    for service in body["services"]:
        for counter in service["counters"]:
            assert counter["state"] == states[counter["hall"]][counter["number"]]
            seen.add(counter["hall"])
    assert seen == halls
