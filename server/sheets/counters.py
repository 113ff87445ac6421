"""A hall's counters as spreadsheet rows, and rows read back into the ``hall:<slug>`` draft's counters.

One row per counter; the columns are :data:`COLUMNS` (key, header ``中文 / English``, width). The header
row is matched by the Chinese, the English or the whole header text, in any order; the department and
service *names* are written for reading and ignored when read. Values read back:

- ``floor`` a whole number; ``status`` ``open``/``paused``/``closed`` or their Chinese labels;
  ``low_counter`` 是/否 (yes/no, true/false, 1/0; empty is no);
- ``services`` service ids separated by ``,``, ``，``, ``、``, ``;`` or line breaks;
- ``hours`` the week as ``mon-fri 09:00-12:00,13:30-17:00; sat 09:00-12:00`` (days ``mon``…``sun`` or
  ``周一``…``周日``, a day range or one day, its spans after a space; ``holidays open`` and
  ``note 中文|English`` as further parts; an empty cell is a week with no hours).

Each row becomes a counter in snapshot form and is checked by ``halldata.validate_counter`` (the check the
API uses), plus what only a whole sheet shows: a number on two rows. A bad row is ``{row, field, zh, en}``
with ``field`` a column key.
"""

from __future__ import annotations

import re
from typing import Any

from ..publishing.halldata import CounterFacts, problem, validate_counter
from ..vocabulary import COUNTER_STATUSES, WEEKDAYS
from .columns import Layout, listed, no_header, yes_no

COLUMNS: list[tuple[str, str, int]] = [
    ("number", "窗口号 / Number", 10),
    ("name_zh", "名称 / Name (zh)", 22),
    ("name_en", "英文名称 / Name (en)", 28),
    ("type", "类型 / Type", 12),
    ("department", "部门代码 / Department code", 16),
    ("department_name", "部门名称 / Department", 22),
    ("zone", "区域 / Zone", 10),
    ("floor", "楼层 / Floor", 8),
    ("status", "状态 / Status", 10),
    ("notice_zh", "状态说明 / Notice (zh)", 24),
    ("notice_en", "英文状态说明 / Notice (en)", 28),
    ("hours", "办公时间 / Hours", 44),
    ("phone", "电话 / Phone", 16),
    ("low_counter", "低位窗口 / Low counter", 10),
    ("node", "模型节点 / Model node", 16),
    ("services", "事项编号 / Service ids", 36),
    ("service_names", "事项名称 / Service names", 48),
]
LAYOUT = Layout(
    COLUMNS,
    required=("number", "name_zh", "name_en", "zone", "floor"),
    informative=frozenset({"department_name", "service_names"}),  # written for people, not read back
)
SHEET_NAMES = ("窗口", "Counters", "counters")
ZH_DAYS = dict(zip(("周一", "周二", "周三", "周四", "周五", "周六", "周日"), WEEKDAYS, strict=True))
# Which column a problem of validate_counter (a snapshot field path) belongs to.
_FIELD_COLUMN = {
    "name.zh": "name_zh",
    "name.en": "name_en",
    "notice.zh": "notice_zh",
    "notice.en": "notice_en",
}


# ---- hours: week schedule ⇄ readable text ----


def hours_text(hours: dict[str, Any] | None) -> str:
    """A week schedule as ``mon-fri 09:00-12:00,13:30-17:00; sat 09:00-12:00`` (consecutive days with the
    same spans joined)."""
    hours = hours or {}
    parts, day_index = [], 0
    while day_index < len(WEEKDAYS):
        spans = hours.get(WEEKDAYS[day_index]) or []
        end = day_index
        while end + 1 < len(WEEKDAYS) and (hours.get(WEEKDAYS[end + 1]) or []) == spans:
            end += 1
        if spans:
            days = WEEKDAYS[day_index] if end == day_index else f"{WEEKDAYS[day_index]}-{WEEKDAYS[end]}"
            parts.append(f"{days} {','.join(f'{a}-{b}' for a, b in spans)}")
        day_index = end + 1
    if hours.get("holidays") == "open":
        parts.append("holidays open")
    note = hours.get("note")
    if isinstance(note, dict):
        parts.append(f"note {note.get('zh', '')}|{note.get('en', '')}")
    return "; ".join(parts)


def _day(name: str) -> int:
    name = name.strip().lower()
    name = ZH_DAYS.get(name, name)
    return WEEKDAYS.index(name)  # ValueError when it is no day


def parse_hours(text: str | None) -> dict[str, Any]:
    """The week schedule written as by :func:`hours_text`; ValueError naming what is not understood. Times
    are only split here; ``halldata.schedule_problems`` checks them."""
    hours: dict[str, Any] = {}
    for part in re.split(r"[;；\n]+", text or ""):
        part = part.strip()
        if not part:
            continue
        if part.lower() == "holidays open":
            hours["holidays"] = "open"
            continue
        if part.lower().startswith("note "):
            zh, _, en = part[5:].partition("|")
            hours["note"] = {"zh": zh.strip(), "en": en.strip()}
            continue
        days, _, spans = part.partition(" ")
        try:
            first, _, last = days.replace("–", "-").partition("-")
            a, b = _day(first), _day(last or first)
        except ValueError:
            raise ValueError(days) from None
        if a > b or not spans.strip():
            raise ValueError(part)
        parsed = []
        for span in re.split(r"[,，\s]+", spans.strip()):
            start, sep, end = span.replace("–", "-").partition("-")
            if not sep:
                raise ValueError(span)
            parsed.append([start.strip(), end.strip()])
        for day in WEEKDAYS[a : b + 1]:
            if day in hours:
                raise ValueError(day)
            hours[day] = [list(s) for s in parsed]
    return hours


# ---- export ----


def rows(counters: dict[str, dict[str, Any]], departments: dict[str, str], services: dict[str, str]):
    """The sheet's rows for *counters* (snapshot form), with department and service names from the code →
    name maps."""
    out = []
    for number in sorted(counters):
        c = counters[number]
        notice = c.get("notice") or {}
        out.append(
            [
                c["number"],
                c["name"]["zh"],
                c["name"]["en"],
                c["type"],
                c.get("department"),
                departments.get(c.get("department") or ""),
                c["zone"],
                c["floor"],
                c["status"],
                notice.get("zh"),
                notice.get("en"),
                hours_text(c.get("hours")),
                c.get("phone"),
                "是" if c.get("low_counter") else "否",
                c.get("node"),
                "、".join(c.get("services") or []),
                "、".join(services.get(s, s) for s in c.get("services") or []),
            ]
        )
    return out


def header() -> list[str]:
    """The header row."""
    return LAYOUT.header()


def widths() -> list[int]:
    """The column widths (characters)."""
    return LAYOUT.widths()


# ---- import ----


def _counter(values: dict[str, str | None]) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """One row's values as a counter in snapshot form, with the problems of reading its cells."""
    found = []
    number = values.get("number")
    counter: dict[str, Any] = {
        "number": number,
        "name": {"zh": values.get("name_zh"), "en": values.get("name_en")},
        "type": values.get("type") or "综合受理",
        "department": values.get("department"),
        "zone": values.get("zone"),
        "phone": values.get("phone"),
        "node": values.get("node") or (f"counter:{number}" if number else None),
    }
    floor = values.get("floor")
    try:
        counter["floor"] = int(floor) if floor is not None else None
    except ValueError:
        counter["floor"] = floor
    status = values.get("status") or "open"
    labels = {label.zh: key for key, label in COUNTER_STATUSES.items()}
    counter["status"] = labels.get(status, status.lower())
    zh, en = values.get("notice_zh"), values.get("notice_en")
    counter["notice"] = None if zh is None and en is None else {"zh": zh, "en": en}
    try:
        counter["hours"] = parse_hours(values.get("hours"))
    except ValueError as e:
        counter["hours"] = {}
        found.append(
            problem(
                "hours",
                f"办公时间看不懂：“{e}”（应如 mon-fri 09:00-12:00,13:30-17:00; sat 09:00-12:00）",
                f"hours not understood: '{e}' (write like mon-fri 09:00-12:00,13:30-17:00; sat 09:00-12:00)",
            )
        )
    low = yes_no(values.get("low_counter"))
    counter["low_counter"] = bool(low)
    if low is None:
        found.append(problem("low_counter", "应为 是 或 否", "must be 是/否 (yes or no)"))
    counter["services"] = sorted(listed(values.get("services")))
    return counter, found


def _column(field: str) -> str:
    return _FIELD_COLUMN.get(field) or field.split(".", 1)[0]


def read_counters(
    table_rows: list[tuple[int, list[str | None]]], facts: CounterFacts, *, sheet: str | None = None
) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """The counters of a sheet's rows (header first) by number, and every bad row ``{sheet, row, field, zh,
    en}`` (sorted by row). Each row is checked by ``validate_counter`` against *facts* (taken numbers
    ignored: the sheet is the whole list), and numbers on two rows are named at both."""
    if not table_rows:
        return {}, no_header(sheet)
    (head_row, head), *body = table_rows
    keys, bad = LAYOUT.keys(head)
    if bad:
        return {}, [{"sheet": sheet, "row": head_row, **b} for b in bad]
    counters: dict[str, dict[str, Any]] = {}
    first_row: dict[str, int] = {}
    for row_number, cells in body:
        counter, found = _counter(LAYOUT.values(keys, cells))
        unread = {p["field"] for p in found}
        found += [p for p in validate_counter(counter, facts) if p["field"].split(".")[0] not in unread]
        number = counter["number"]
        if isinstance(number, str) and number in first_row:
            found.append(
                problem(
                    "number",
                    f"窗口号 {number} 与第 {first_row[number]} 行重复",
                    f"number {number} repeats row {first_row[number]}",
                )
            )
        elif isinstance(number, str):
            first_row[number] = row_number
            counters[number] = counter
        bad += [{"sheet": sheet, "row": row_number, **p, "field": _column(p["field"])} for p in found]
    return counters, sorted(bad, key=lambda b: b["row"])
