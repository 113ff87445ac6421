"""Opening hours: a week of ``[start, end]`` intervals per day (``"HH:MM"`` strings, local hall time).

Schedule form: ``{"mon": [["09:00", "12:00"], ["13:00", "17:00"]], ..., "sun": [], "note": {...}}``;
a day left out is closed. Halls in this system are in China, which keeps UTC+8 all year (no daylight
saving), so local time is a fixed offset and needs no time-zone database.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from ..vocabulary import WEEKDAYS

HALL_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
LUNCH = ("12:00", "14:00")  # a counter open across this whole span serves through lunch (午间不打烊)
EVENING_AFTER = "18:00"  # an interval ending later than this is an evening extension (延时服务)


def intervals_on(schedule: dict[str, Any], day: str) -> list[list[str]]:
    """Return the intervals of *day* (``mon`` … ``sun``)."""
    if day not in WEEKDAYS:
        raise ValueError(f"day must be one of {WEEKDAYS}, not {day!r}")
    return [list(pair) for pair in schedule.get(day, [])]


def validate(schedule: dict[str, Any]) -> list[str]:
    """Return problems with *schedule*: each interval must start before it ends, and not overlap the next."""
    problems = []
    for day in WEEKDAYS:
        previous_end = "00:00"
        for start, end in sorted(schedule.get(day, [])):
            if start >= end:
                problems.append(f"{day}: {start}–{end} does not end after it starts")
            if start < previous_end:
                problems.append(f"{day}: {start}–{end} overlaps the interval before it")
            previous_end = max(previous_end, end)
    return problems


def summary(schedule: dict[str, Any]) -> dict[str, bool]:
    """Flags citizens look for: lunch-time service, evening extension, weekend opening."""
    weekdays = [pair for day in WEEKDAYS[:5] for pair in schedule.get(day, [])]
    return {
        "lunch": any(start <= LUNCH[0] and end >= LUNCH[1] for start, end in weekdays),
        "evening": any(end > EVENING_AFTER for _s, end in weekdays),
        "weekend": bool(schedule.get("sat") or schedule.get("sun")),
    }


def today(schedule: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """The day's intervals and whether the counter is open at *now* (hall time; default: the clock)."""
    local = (now or datetime.now(HALL_TZ)).astimezone(HALL_TZ)
    day = WEEKDAYS[local.weekday()]
    clock = local.strftime("%H:%M")
    intervals = intervals_on(schedule, day)
    return {
        "date": local.date().isoformat(),
        "weekday": day,
        "intervals": intervals,
        "open_now": any(start <= clock < end for start, end in intervals),
    }
