from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from server.catalogue import hours

WEEK = {
    "mon": [["08:30", "12:00"], ["14:30", "17:30"]],
    "sat": [["09:00", "12:00"]],
}


def test_today_reports_intervals_and_open_now_in_hall_time():
    # 2026-11-23 is a Monday; 02:00 UTC is 10:00 in the hall (UTC+8), inside the morning interval.
    monday_ten = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    today = hours.today(WEEK, monday_ten)
    assert today == {
        "date": "2026-11-23",
        "weekday": "mon",
        "intervals": [["08:30", "12:00"], ["14:30", "17:30"]],
        "open_now": True,
    }
    # 05:00 UTC is 13:00 in the hall: the lunch break.
    assert hours.today(WEEK, datetime(2026, 11, 23, 5, 0, tzinfo=UTC))["open_now"] is False


def test_an_interval_end_is_exclusive():
    at_noon = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)  # 12:00 hall time
    assert hours.today(WEEK, at_noon)["open_now"] is False


def test_a_day_left_out_is_closed():
    sunday = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
    assert hours.today(WEEK, sunday) == {
        "date": "2026-11-29",
        "weekday": "sun",
        "intervals": [],
        "open_now": False,
    }


def test_summary_flags():
    assert hours.summary(WEEK) == {"lunch": False, "evening": False, "weekend": True}
    through_lunch = {"tue": [["08:30", "17:30"]]}
    assert hours.summary(through_lunch)["lunch"] is True
    evening = {"wed": [["14:30", "19:30"]]}
    assert hours.summary(evening)["evening"] is True


def test_validate_finds_reversed_and_overlapping_intervals():
    problems = hours.validate({"mon": [["12:00", "09:00"]], "tue": [["08:00", "12:00"], ["11:00", "13:00"]]})
    assert any("mon" in p and "does not end" in p for p in problems)
    assert any("tue" in p and "overlaps" in p for p in problems)
    assert hours.validate(WEEK) == []


def test_intervals_on_rejects_unknown_day():
    with pytest.raises(ValueError, match="day must be one of"):
        hours.intervals_on(WEEK, "monday")


# ── the state of a counter, in the hall's time zone, with the calendar ─────────────────────────────────
SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICE = {day: [["08:30", "12:00"], ["14:30", "17:30"]] for day in ("mon", "tue", "wed", "thu", "fri")}
ALLDAY = {**{day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}}
ALLDAY_HOLIDAYS = {**ALLDAY, "holidays": "open"}
WEEKEND = {**OFFICE, "sat": [["09:00", "12:00"]], "sun": [["09:00", "12:00"]]}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("moment", "schedule", "code", "zh", "en", "changes_at"),
    [
        # 2026-12-03 is a Thursday.
        (
            "2026-12-03T01:37",
            OFFICE,
            "before_hours",
            "尚未开始办公（08:30 开始）",
            "Not open yet (opens 08:30)",
            "08:30",
        ),
        ("2026-12-03T09:00", OFFICE, "open", "正在办公（至 12:00）", "Open now (until 12:00)", "12:00"),
        ("2026-12-03T12:30", OFFICE, "lunch", "午间休息（14:30 开始）", "Lunch break (opens 14:30)", "14:30"),
        (
            "2026-12-03T18:00",
            OFFICE,
            "after_hours",
            "已下班（明天 08:30 开始）",
            "Closed for the day (opens tomorrow 08:30)",
            "00:00",
        ),
        # Friday evening: the next opening is on Monday.
        (
            "2026-12-04T17:30",
            OFFICE,
            "after_hours",
            "已下班（周一 08:30 开始）",
            "Closed for the day (opens Monday 08:30)",
            "00:00",
        ),
        (
            "2026-12-06T10:00",
            OFFICE,
            "not_today",
            "今日不办公（明天 08:30 开始）",
            "Closed today (opens tomorrow 08:30)",
            "00:00",
        ),
        ("2026-12-06T10:00", WEEKEND, "open", "正在办公（至 12:00）", "Open now (until 12:00)", "12:00"),
        # National Day (10-01 … 10-07) closes even a weekend schedule; it opens again on Thursday 10-08.
        (
            "2026-10-01T10:00",
            WEEKEND,
            "not_today",
            "今日不办公（国庆节，10月8日 08:30 开始）",
            "Closed today (National Day; opens 8 Oct 08:30)",
            "00:00",
        ),
        (
            "2026-09-30T18:00",
            OFFICE,
            "after_hours",
            "已下班（10月8日 08:30 开始）",
            "Closed for the day (opens 8 Oct 08:30)",
            "00:00",
        ),
        # Saturday 10-10 is worked instead (调休): weekday hours.
        ("2026-10-10T10:00", OFFICE, "open", "正在办公（至 12:00）", "Open now (until 12:00)", "12:00"),
        (
            "2026-10-09T18:00",
            OFFICE,
            "after_hours",
            "已下班（明天 08:30 开始）",
            "Closed for the day (opens tomorrow 08:30)",
            "00:00",
        ),
        # Spring Festival 2026: 02-15 … 02-23, with Saturday 02-14 worked.
        ("2026-02-14T15:00", OFFICE, "open", "正在办公（至 17:30）", "Open now (until 17:30)", "17:30"),
        (
            "2026-02-16T10:00",
            OFFICE,
            "not_today",
            "今日不办公（春节，2月24日 08:30 开始）",
            "Closed today (Spring Festival; opens 24 Feb 08:30)",
            "00:00",
        ),
        # Around the clock: open at 01:37, on holidays too when the schedule says so.
        ("2026-12-03T01:37", ALLDAY_HOLIDAYS, "open", "正在办公（24小时）", "Open now (24 hours)", "00:00"),
        ("2026-10-01T01:37", ALLDAY_HOLIDAYS, "open", "正在办公（24小时）", "Open now (24 hours)", "00:00"),
        (
            "2026-10-01T01:37",
            ALLDAY,
            "not_today",
            "今日不办公（国庆节，10月8日 00:00 开始）",
            "Closed today (National Day; opens 8 Oct 00:00)",
            "00:00",
        ),
    ],
)
def test_state_at_moments_of_the_week_and_the_calendar(moment, schedule, code, zh, en, changes_at):
    state = hours.state(schedule, "open", at(moment))
    assert (state["code"], state["label"]) == (code, {"zh": zh, "en": en})
    assert state["changes_at"].split("T")[1].startswith(changes_at)
    assert datetime.fromisoformat(state["changes_at"]) > at(moment)


def test_state_is_computed_in_the_halls_time_zone_whatever_the_clocks_zone():
    # 17:37 UTC on Wednesday is 01:37 on Thursday in Shanghai: not open, whatever the server's zone.
    state = hours.state(OFFICE, "open", datetime(2026, 12, 2, 17, 37, tzinfo=UTC))
    assert state["code"] == "before_hours"
    # The same moment in a hall in London is 17:37 on Wednesday: after its 17:30 close.
    london = hours.state(OFFICE, "open", datetime(2026, 12, 2, 17, 37, tzinfo=UTC), tz="Europe/London")
    assert london["code"] == "after_hours"
    with pytest.raises(ValueError, match="time_zone"):
        hours.state(OFFICE, "open", datetime(2026, 12, 2, tzinfo=UTC), tz="Mars/Olympus")
    with pytest.raises(ValueError, match="aware"):
        hours.state(OFFICE, "open", datetime(2026, 12, 2))


def test_staff_status_wins_over_the_hours():
    for status, zh in [("paused", "暂停服务"), ("closed", "已关闭")]:
        state = hours.state(OFFICE, status, at("2026-12-03T09:00"))
        assert (state["code"], state["label"]["zh"], state["changes_at"]) == (status, zh, None)


def test_the_calendar_is_data_with_the_official_2026_arrangement():
    days = hours.calendar("cn")
    holidays_2026 = sorted(d for d, e in days.items() if d.year == 2026 and e.kind == "holiday")
    workdays_2026 = sorted(d.isoformat() for d, e in days.items() if d.year == 2026 and e.kind == "workday")
    assert len(holidays_2026) == 3 + 9 + 3 + 5 + 3 + 3 + 7
    assert workdays_2026 == [
        "2026-01-04",
        "2026-02-14",
        "2026-02-28",
        "2026-05-09",
        "2026-09-20",
        "2026-10-10",
    ]
    assert all(datetime.fromisoformat(w).weekday() >= 5 for w in workdays_2026)
    assert hours.calendar_years("cn") == [2026, 2027]
    assert days[date(2027, 2, 6)].name["zh"] == "春节"  # 2027's statutory days (provisional file)
    assert hours.calendar("xx") == {}
