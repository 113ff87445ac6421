"""Opening hours: a week of ``[start, end]`` intervals per day (``"HH:MM"`` strings, local hall time), a
calendar of public holidays and adjusted working days, and what a counter is doing at a given moment.

Schedule form: ``{"mon": [["09:00", "12:00"], ["13:00", "17:00"]], ..., "sun": [], "note": {...},
"holidays": "open"}``; a day left out is closed; ``"24:00"`` ends a day. A schedule is closed on public
holidays unless it says ``holidays: open`` (a 24-hour self-service area), and on an adjusted working day
(调休上班, a Saturday or Sunday worked instead) it keeps its ``ADJUSTED_WORKDAY_AS`` hours.

Calendars are data: ``data/calendar/<name>-<year>.yaml`` (holiday spans and worked weekend days, see
cn-2026.yaml). Each hall names its time zone (IANA, default Asia/Shanghai) and calendar (default ``cn``).

``state(schedule, status, now, ...)`` is the one rule the API, the tour page and the text directory all
show: a state code of ``vocabulary.COUNTER_STATES``, its full bilingual label (with when it next opens), the
next opening and ``changes_at``, the moment the answer may next change (a boundary of the day's intervals or
midnight), so that callers can cache it until then and the browser can ask again then.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from ..vocabulary import COUNTER_STATES, WEEKDAYS

DEFAULT_TIME_ZONE = "Asia/Shanghai"
DEFAULT_CALENDAR = "cn"
CALENDAR_DIR = Path(__file__).resolve().parent / "data" / "calendar"
LUNCH = ("12:00", "14:00")  # a counter open across this whole span serves through lunch (午间不打烊)
EVENING_AFTER = "18:00"  # an interval ending later than this is an evening extension (延时服务)
ADJUSTED_WORKDAY_AS = "mon"  # an adjusted working day keeps a regular working day's hours
LOOK_AHEAD_DAYS = 21  # how far ahead the next opening is looked for (the longest holiday is 9 days)
WEEKDAY_NAMES = {
    "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Day:
    """What the calendar says of one date: ``holiday`` (a day off) or ``workday`` (a weekend day worked)."""

    kind: str
    name: dict[str, str]


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


def time_zone(name: str | None) -> ZoneInfo:
    """The IANA time zone *name* (default Asia/Shanghai); ValueError naming it when there is none."""
    try:
        return ZoneInfo(name or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"time_zone: {name!r} is not an IANA time zone") from error


@functools.cache
def calendar(name: str = DEFAULT_CALENDAR) -> dict[date, Day]:
    """Every dated entry of calendar *name* (all its year files); an unknown name has none."""
    days: dict[date, Day] = {}
    for path in sorted(CALENDAR_DIR.glob(f"{name}-*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for span in data.get("holidays", []):
            if span["to"] < span["from"]:
                raise ValueError(f"{path.name}: holiday {span['name']['zh']} ends before it starts")
            for offset in range((span["to"] - span["from"]).days + 1):
                days[span["from"] + timedelta(days=offset)] = Day("holiday", span["name"])
        for entry in data.get("workdays", []):
            if entry["date"].weekday() < 5:
                raise ValueError(f"{path.name}: adjusted working day {entry['date']} is not a weekend day")
            days[entry["date"]] = Day("workday", entry["for"])
    return days


def calendar_years(name: str = DEFAULT_CALENDAR) -> list[int]:
    """The years calendar *name* has a file for."""
    return sorted(int(p.stem.rsplit("-", 1)[1]) for p in CALENDAR_DIR.glob(f"{name}-*.yaml"))


def intervals_for(
    schedule: dict[str, Any], day: date, calendar_name: str = DEFAULT_CALENDAR
) -> list[list[str]]:
    """The intervals a counter with *schedule* keeps on the date *day*, holidays and adjusted days counted."""
    entry = calendar(calendar_name).get(day)
    if entry is not None and entry.kind == "holiday" and schedule.get("holidays") != "open":
        return []
    weekday = WEEKDAYS[day.weekday()]
    if entry is not None and entry.kind == "workday":
        own = intervals_on(schedule, weekday)
        return (
            own if own and schedule.get("holidays") == "open" else intervals_on(schedule, ADJUSTED_WORKDAY_AS)
        )
    return intervals_on(schedule, weekday)


def _at(day: date, hhmm: str, zone: ZoneInfo) -> datetime:
    """The moment *hhmm* (``24:00`` is the next midnight) of *day* in *zone*."""
    if hhmm == "24:00":
        return datetime.combine(day + timedelta(days=1), time(0, 0), zone)
    return datetime.combine(day, time.fromisoformat(hhmm), zone)


def next_opening(
    schedule: dict[str, Any], local: datetime, calendar_name: str = DEFAULT_CALENDAR
) -> datetime | None:
    """The next start of an interval after *local* (an aware hall-time moment), or None within three weeks."""
    for offset in range(LOOK_AHEAD_DAYS + 1):
        day = local.date() + timedelta(days=offset)
        for start, _end in sorted(intervals_for(schedule, day, calendar_name)):
            moment = _at(day, start, local.tzinfo)
            if moment > local:
                return moment
    return None


def when(moment: datetime, local: datetime) -> dict[str, str]:
    """*moment* said from *local*'s day: ``08:30`` today, ``明天 08:30``, ``周一 08:30``, ``10月8日 08:30``."""
    clock = moment.strftime("%H:%M")
    days = (moment.date() - local.date()).days
    if days == 0:
        return {"zh": clock, "en": clock}
    if days == 1:
        return {"zh": f"明天 {clock}", "en": f"tomorrow {clock}"}
    if days < 7:
        wd = moment.weekday()
        return {"zh": f"{WEEKDAY_NAMES['zh'][wd]} {clock}", "en": f"{WEEKDAY_NAMES['en'][wd]} {clock}"}
    return {
        "zh": f"{moment.month}月{moment.day}日 {clock}",
        "en": f"{moment.day} {MONTHS_EN[moment.month - 1]} {clock}",
    }


def state(
    schedule: dict[str, Any],
    status: str,
    now: datetime,
    *,
    tz: str | None = DEFAULT_TIME_ZONE,
    calendar_name: str = DEFAULT_CALENDAR,
) -> dict[str, Any]:
    """What a counter with *schedule* and *status* is doing at *now* (aware) in the hall's zone *tz*.

    Returns ``{"code", "label": {zh, en}, "until", "next_open", "changes_at", "day"}``: *until* is when an
    open counter stops (hall-time ISO), *next_open* when a closed one opens, *changes_at* when this answer
    may next change, *day* the calendar's word on today (``{"kind", "name"}``) or None.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    zone = time_zone(tz)
    local = now.astimezone(zone)
    today = local.date()
    midnight = datetime.combine(today + timedelta(days=1), time(0, 0), zone)
    entry = calendar(calendar_name).get(today)
    answer: dict[str, Any] = {
        "code": None,
        "label": None,
        "until": None,
        "next_open": None,
        "changes_at": midnight.isoformat(),
        "day": None if entry is None else {"kind": entry.kind, "name": entry.name},
    }
    if status != "open":  # paused or closed by the staff: no hours apply
        code = status if status in COUNTER_STATES else "closed"
        label = COUNTER_STATES[code]
        return {**answer, "code": code, "label": {"zh": label.zh, "en": label.en}, "changes_at": None}
    spans = sorted(
        (_at(today, s, zone), _at(today, e, zone)) for s, e in intervals_for(schedule, today, calendar_name)
    )
    current = next(((s, e) for s, e in spans if s <= local < e), None)
    if current is not None:
        end = current[1]
        # An interval that runs to midnight and on into the next day (24-hour service) is one stretch.
        for _ in range(LOOK_AHEAD_DAYS):
            onward = [e for s, e in _spans_of(schedule, end.date(), zone, calendar_name) if s == end]
            if not onward:
                break
            end = onward[0]
        else:  # open round the clock as far as we look
            return {
                **answer,
                "code": "open",
                "label": {"zh": "正在办公（24小时）", "en": "Open now (24 hours)"},
                "changes_at": min(current[1], midnight).isoformat(),
            }
        until = when(end, local)
        return {
            **answer,
            "code": "open",
            "label": {"zh": f"正在办公（至 {until['zh']}）", "en": f"Open now (until {until['en']})"},
            "until": end.isoformat(),
            "changes_at": min(current[1], midnight).isoformat(),
        }
    opening = next_opening(schedule, local, calendar_name)
    if not spans:
        code = "not_today"
    elif local < spans[0][0]:
        code = "before_hours"
    elif local >= spans[-1][1]:
        code = "after_hours"
    else:
        code = "lunch"
    boundaries = [m for s, e in spans for m in (s, e) if m > local]
    label = COUNTER_STATES[code]
    zh, en = label.zh, label.en
    reason_zh = reason_en = ""
    if code == "not_today" and entry is not None and entry.kind == "holiday":
        reason_zh, reason_en = f"{entry.name['zh']}，", f"{entry.name['en']}; "
    if opening is not None:
        at = when(opening, local)
        zh += f"（{reason_zh}{at['zh']} 开始）"
        en += f" ({reason_en}opens {at['en']})"
    elif reason_zh:
        zh += f"（{reason_zh.rstrip('，')}）"
        en += f" ({reason_en.rstrip('; ')})"
    return {
        **answer,
        "code": code,
        "label": {"zh": zh, "en": en},
        "next_open": opening.isoformat() if opening else None,
        "changes_at": min([midnight, *boundaries]).isoformat(),
    }


def _spans_of(
    schedule: dict[str, Any], day: date, zone: ZoneInfo, calendar_name: str
) -> list[tuple[datetime, datetime]]:
    return sorted(
        (_at(day, s, zone), _at(day, e, zone)) for s, e in intervals_for(schedule, day, calendar_name)
    )


def today(
    schedule: dict[str, Any],
    now: datetime,
    *,
    tz: str | None = DEFAULT_TIME_ZONE,
    calendar_name: str = DEFAULT_CALENDAR,
) -> dict[str, Any]:
    """The day's intervals at *now* in hall time (holidays and adjusted days counted), and whether open."""
    local = now.astimezone(time_zone(tz))
    clock = local.strftime("%H:%M")
    intervals = intervals_for(schedule, local.date(), calendar_name)
    return {
        "date": local.date().isoformat(),
        "weekday": WEEKDAYS[local.weekday()],
        "intervals": intervals,
        "open_now": any(start <= clock < end for start, end in intervals),
    }
