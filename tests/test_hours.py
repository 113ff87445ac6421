from datetime import UTC, datetime

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
