"""A hall's editable administrative data as one canonical JSON snapshot, written back into the live tables,
and checked field by field — the per-scope part of drafts for the scope ``hall:<slug>``.

Snapshot form (JSON, no ORM rows)::

    {"facts": {"name": {zh, en}, "short_name": {zh, en} | null, "address": {zh, en}, "phone",
               "hours", "time_zone", "calendar", "access", "hour_presets"},
     "counters": {"<number>": {"number", "name": {zh, en}, "type", "department": code | null, "zone": code,
                               "floor": level, "status", "notice": {zh, en} | null, "hours", "phone",
                               "low_counter", "node", "services": [slug, …] (sorted)}},
     "scenes": {"<code>": {"code", "name": {zh, en}, "floor": level, "position": [x, y, z], "heading",
                           "initial_view": {yaw, pitch} | null,
                           "links": {"<code>": {"arrival": {yaw, pitch} | null}},
                           "overrides": {"<target>": {"yaw", "pitch", "hidden"}},
                           "panorama": tiles config | null (set in the draft by uploads only)}},
     "model": {"sha", "file": upload name | null, "mapping": {node: name} | null} | null}

The ``model`` entry is the hall model the version publishes (``hallmodels``: a staff upload is put into the
draft's entry by ``jobs.modelcheck.put_into_draft``); a version recorded before models joined the drafts has
none, and publishing or restoring it leaves the model as it is (``drafts.complete`` fills it from the live one).

``apply(session, hall, snapshot(session, hall))`` changes nothing, and ``snapshot`` after ``apply(s)`` equals
*s*. Problems are ``{"field", "zh", "en"}`` with ``field`` a dotted path inside the object (``hours.mon``).
Hours are checked by the same rule as ``catalogue.hours``: ``"HH:MM"`` within 00:00–24:00, each interval
starting before it ends, none overlapping.
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import shapely
from flask import Flask, current_app, has_app_context
from shapely.geometry import Point
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from ..catalogue.hours import CALENDAR_DIR
from ..hallmodel.check import Report
from ..models import Counter, Department, Hall, HotspotOverride, Scene, ServiceItem, scene_links
from ..vocabulary import COUNTER_NUMBER_PATTERN, COUNTER_STATUSES, COUNTER_TYPES, PLACE_KEY_PATTERN, WEEKDAYS

PHONE_PATTERN = r"^[0-9][0-9-]{2,19}$"  # as the demo schema's
TIME_PATTERN = r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"
NOTICE_MAX = 200
NAME_MAX = {"zh": 100, "en": 200}
ACCESS_KINDS = ("bus", "metro", "parking")
COUNTER_FIELDS = frozenset(
    {"number", "name", "type", "department", "zone", "floor", "status", "notice", "hours", "phone"}
    | {"low_counter", "node", "services", "version"}
)
FACTS_FIELDS = frozenset(
    {"name", "short_name", "address", "phone", "hours", "time_zone", "calendar", "access", "hour_presets"}
    | {"version"}
)


def _pair(zh: str | None, en: str | None) -> dict[str, str] | None:
    return None if zh is None and en is None else {"zh": zh, "en": en}


def counter_snapshot(c: Counter) -> dict[str, Any]:
    """One counter in snapshot form."""
    return {
        "number": c.number,
        "name": {"zh": c.name_zh, "en": c.name_en},
        "type": c.type,
        "department": c.department.code if c.department else None,
        "zone": c.zone.code,
        "floor": c.floor.level,
        "status": c.status,
        "notice": _pair(c.status_notice_zh, c.status_notice_en),
        "hours": c.hours,
        "phone": c.phone,
        "low_counter": bool(c.low_counter),
        "node": c.node_name,
        "services": sorted(s.slug for s in c.services),
    }


def facts_snapshot(hall: Hall) -> dict[str, Any]:
    """The hall's own facts in snapshot form."""
    return {
        "name": {"zh": hall.name_zh, "en": hall.name_en},
        "short_name": _pair(hall.short_name_zh, hall.short_name_en),
        "address": {"zh": hall.address_zh, "en": hall.address_en},
        "phone": hall.phone,
        "hours": hall.hours,
        "time_zone": hall.time_zone,
        "calendar": hall.calendar,
        "access": hall.access,
        "hour_presets": hall.hour_presets,
    }


def _view(yaw: float | None, pitch: float | None) -> dict[str, float] | None:
    return None if yaw is None or pitch is None else {"yaw": yaw, "pitch": pitch}


def link_rows(session: Session, hall: Hall) -> dict[tuple[int, int], tuple[float | None, float | None]]:
    """The hall's scene links: (scene id, target id): (arrival yaw, arrival pitch)."""
    ids = [s.id for s in hall.scenes if s.id is not None]
    if not ids:
        return {}
    rows = session.execute(
        select(
            scene_links.c.scene_id,
            scene_links.c.target_id,
            scene_links.c.arrival_yaw,
            scene_links.c.arrival_pitch,
        ).where(scene_links.c.scene_id.in_(ids))
    )
    return {(a, b): (yaw, pitch) for a, b, yaw, pitch in rows}


def scenes_snapshot(session: Session, hall: Hall) -> dict[str, Any]:
    """The hall's scenes in snapshot form, by code."""
    codes = {s.id: s.code for s in hall.scenes}
    links: dict[int, dict[str, Any]] = {}
    for (source, target), (yaw, pitch) in link_rows(session, hall).items():
        if target in codes:
            links.setdefault(source, {})[codes[target]] = {"arrival": _view(yaw, pitch)}
    return {
        s.code: {
            "code": s.code,
            "name": {"zh": s.name_zh, "en": s.name_en},
            "floor": s.floor.level,
            "position": [s.x, s.y, s.z],
            "heading": s.heading,
            "initial_view": _view(s.initial_yaw, s.initial_pitch),
            "links": dict(sorted(links.get(s.id, {}).items())),
            "overrides": {
                o.target: {"yaw": o.yaw, "pitch": o.pitch, "hidden": bool(o.hidden)}
                for o in sorted(s.overrides, key=lambda o: o.target)
            },
            "panorama": s.panorama,
        }
        for s in sorted(hall.scenes, key=lambda s: s.code)
    }


def snapshot(session: Session, hall: Hall) -> dict[str, Any]:
    """The hall's editable data as it is in the live tables."""
    return {
        "facts": facts_snapshot(hall),
        "counters": {c.number: counter_snapshot(c) for c in sorted(hall.counters, key=lambda c: c.number)},
        "scenes": scenes_snapshot(session, hall),
        "model": model_entry(hall),
    }


def model_entry(hall: Hall) -> dict[str, Any] | None:
    """The ``model`` entry of the hall's published model (None without one)."""
    from .hallmodels import model_entry as entry

    return entry(current_app._get_current_object() if has_app_context() else None, hall)


def _plain(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k != "version"}


def apply(session: Session, hall: Hall, data: dict[str, Any]) -> None:
    """Write snapshot *data* into the live tables of *hall* (the caller commits): the facts, every counter
    upserted by number, counters not in *data* deleted, service links set. Expects checked data (``problems``);
    the ORM validators still refuse a status or type outside the vocabulary (ValueError)."""
    facts = data["facts"]
    hall.name_zh, hall.name_en = facts["name"]["zh"], facts["name"]["en"]
    short = facts.get("short_name") or {}
    hall.short_name_zh, hall.short_name_en = short.get("zh"), short.get("en")
    hall.address_zh, hall.address_en = facts["address"]["zh"], facts["address"]["en"]
    hall.phone = facts["phone"]
    hall.hours = facts["hours"]
    hall.time_zone = facts["time_zone"]
    hall.calendar = facts["calendar"]
    hall.access = facts.get("access")
    hall.hour_presets = facts.get("hour_presets")

    zones = {z.code: z for z in hall.zones}
    floors = {f.level: f for f in hall.floors}
    departments = {d.code: d for d in session.scalars(select(Department))}
    wanted = {s for c in data["counters"].values() for s in c["services"]}
    services = {s.slug: s for s in session.scalars(select(ServiceItem).where(ServiceItem.slug.in_(wanted)))}
    existing = {c.number: c for c in hall.counters}
    for number, row in existing.items():
        if number not in data["counters"]:
            hall.counters.remove(row)
            session.delete(row)
    for number, c in data["counters"].items():
        row = existing.get(number) or Counter(number=number)
        row.name_zh, row.name_en = c["name"]["zh"], c["name"]["en"]
        row.type = c["type"]
        row.department = departments.get(c["department"]) if c["department"] else None
        row.zone = zones[c["zone"]]
        row.floor = floors[c["floor"]]
        row.status = c["status"]
        notice = c.get("notice") or {}
        row.status_notice_zh, row.status_notice_en = notice.get("zh"), notice.get("en")
        row.hours = c["hours"]
        row.phone = c.get("phone")
        row.low_counter = bool(c.get("low_counter"))
        row.node_name = c.get("node") or f"counter:{number}"
        row.services = sorted((services[s] for s in c["services"]), key=lambda s: s.id)
        if number not in existing:
            hall.counters.append(row)  # once, after its columns are set (autoflush may run before)
    session.flush()
    if "scenes" in data:  # a version published before scenes were in drafts leaves them as they are
        apply_scenes(session, hall, data["scenes"])
    if "model" in data:  # last: what is derived from the model depends on the scenes and counters
        from .hallmodels import apply_entry

        session.flush()
        apply_entry(current_app._get_current_object(), session, hall, data["model"])


def apply_scenes(session: Session, hall: Hall, scenes: dict[str, Any]) -> None:
    """Write the scenes of a snapshot into the live tables of *hall*: scenes upserted by code (those not in
    *scenes* deleted), their overrides, and their links with the arrival views (only what differs is written)."""
    floors = {f.level: f for f in hall.floors}
    existing = {s.code: s for s in hall.scenes}
    gone = [row.id for code, row in existing.items() if code not in scenes]
    if gone:
        # By statement: the links to and from them, their overrides, then the scenes (the ORM would have to
        # untangle the self-referencing links of rows it still holds).
        link = scene_links.c
        session.execute(delete(scene_links).where(link.scene_id.in_(gone) | link.target_id.in_(gone)))
        session.execute(delete(HotspotOverride).where(HotspotOverride.scene_id.in_(gone)))
        session.execute(delete(Scene).where(Scene.id.in_(gone)))
        for row in existing.values():
            if row.id not in gone:
                session.expire(row, ["links"])
        session.expire(hall, ["scenes"])
        existing = {s.code: s for s in hall.scenes}
    rows = {}
    for code, s in scenes.items():
        row = existing.get(code) or Scene(code=code)
        row.name_zh, row.name_en = s["name"]["zh"], s["name"]["en"]
        row.floor = floors[s["floor"]]
        row.x, row.y, row.z = (float(v) for v in s["position"])
        row.heading = float(s["heading"])
        view = s.get("initial_view") or {}
        row.initial_yaw, row.initial_pitch = view.get("yaw"), view.get("pitch")
        row.panorama = s.get("panorama")
        overrides = {o.target: o for o in row.overrides}
        for target, o in overrides.items():
            if target not in s["overrides"]:
                row.overrides.remove(o)
        for target, wanted in s["overrides"].items():
            o = overrides.get(target) or HotspotOverride(target=target)
            o.yaw, o.pitch, o.hidden = wanted.get("yaw"), wanted.get("pitch"), bool(wanted.get("hidden"))
            if target not in overrides:
                row.overrides.append(o)
        if code not in existing:
            hall.scenes.append(row)
        rows[code] = row
    session.flush()
    have = link_rows(session, hall)
    want = {
        (rows[code].id, rows[target].id): (
            (link.get("arrival") or {}).get("yaw"),
            (link.get("arrival") or {}).get("pitch"),
        )
        for code, s in scenes.items()
        for target, link in s["links"].items()
        if target in rows
    }
    table = scene_links.c
    for source, target in set(have) - set(want):
        session.execute(delete(scene_links).where(table.scene_id == source, table.target_id == target))
    for (source, target), (yaw, pitch) in want.items():
        if (source, target) not in have:
            session.execute(
                insert(scene_links).values(
                    scene_id=source, target_id=target, arrival_yaw=yaw, arrival_pitch=pitch
                )
            )
        elif have[(source, target)] != (yaw, pitch):
            session.execute(
                update(scene_links)
                .where(table.scene_id == source, table.target_id == target)
                .values(arrival_yaw=yaw, arrival_pitch=pitch)
            )
    if have != want:
        for row in rows.values():
            session.expire(row, ["links"])


LIVE_SCENE_FIELDS = ("position", "heading", "panorama")


def follow_live_scenes(session: Session, hall: Hall) -> None:
    """After a scene's panorama or pose was written straight into the live tables — only by the command
    line's ``panorama add``/``render-demo``/``register``, an operator's tools (a staff upload goes into the
    draft instead, ``scenepanorama.into_draft``) —: the same in the current version's snapshot and the
    draft's (the caller commits), so that publishing a draft or restoring the current version does not take
    it back."""
    from ..models import PublishedVersion
    from .drafts import draft_row, resolve

    scope = resolve(session, f"hall:{hall.slug}")
    live = scenes_snapshot(session, hall)
    # None recorded yet: the live data become the first version on first use, nothing to follow.
    current = session.scalar(
        select(PublishedVersion)
        .where(PublishedVersion.scope == scope.name)
        .order_by(PublishedVersion.number.desc())
        .limit(1)
    )
    # A scene new to the live tables (an upload for a new scene id) joins both, unless the draft removed it.
    known = set((current.snapshot.get("scenes") or {}) if current is not None else ())
    for holder in (current, draft_row(session, scope)):
        if holder is None or "scenes" not in holder.snapshot:
            continue
        data = copy.deepcopy(holder.snapshot)
        for code, scene in data["scenes"].items():
            for name in LIVE_SCENE_FIELDS if code in live else ():
                scene[name] = live[code][name]
        for code in live.keys() - known - data["scenes"].keys():
            data["scenes"][code] = copy.deepcopy(live[code])
        if data != holder.snapshot:
            holder.snapshot = data


def follow_live_model(session: Session, hall: Hall, previous: str | None, entry: dict[str, Any]) -> None:
    """After the command line published model *entry* straight into the live tables (``hallmodels.publish``):
    the same in the current version's snapshot, and in the draft's unless the draft puts in a model of its
    own (one other than *previous*, the model published before) — so that publishing the draft or restoring
    the current version does not take it back. The caller commits."""
    from ..models import PublishedVersion
    from .drafts import draft_row, resolve

    scope = resolve(session, f"hall:{hall.slug}")
    current = session.scalar(
        select(PublishedVersion)
        .where(PublishedVersion.scope == scope.name)
        .order_by(PublishedVersion.number.desc())
        .limit(1)
    )
    draft = draft_row(session, scope)
    for holder in (current, draft):
        if holder is None:
            continue
        before = holder.snapshot.get("model")
        if holder is draft and (before or {}).get("sha") not in (None, previous):
            continue
        version = (before or {}).get("version", 0) + (0 if holder is current else 1)
        holder.snapshot = {**holder.snapshot, "model": {**entry, "version": max(version, 1)}}


# ---- checks: each problem named at its field ----


def problem(path: str, zh: str, en: str) -> dict[str, str]:
    """One problem with the field at *path*."""
    return {"field": path, "zh": zh, "en": en}


@dataclass(frozen=True)
class CounterFacts:
    """What a counter is checked against: the codes that exist and the numbers other counters hold."""

    departments: frozenset[str]
    zones: dict[str, int]  # zone code: its floor level
    floors: frozenset[int]
    services: frozenset[str]
    taken: frozenset[str] = field(default_factory=frozenset)
    presets: frozenset[str] = field(default_factory=frozenset)


def counter_facts(session: Session, hall: Hall, *, taken=()) -> CounterFacts:
    """The facts to check counters of *hall* against, with *taken* the numbers of the other counters."""
    return CounterFacts(
        departments=frozenset(session.scalars(select(Department.code))),
        zones={z.code: z.floor.level for z in hall.zones},
        floors=frozenset(f.level for f in hall.floors),
        services=frozenset(session.scalars(select(ServiceItem.slug))),
        taken=frozenset(taken),
        presets=frozenset((hall.hour_presets or {}).keys()),
    )


def _text(path: str, value: Any, *, limit: int, required: bool = True) -> list[dict[str, str]]:
    if value is None and not required:
        return []
    if not isinstance(value, str) or not value.strip():
        return [problem(path, "必须填写", "is required")]
    if len(value) > limit:
        return [problem(path, f"最多 {limit} 个字符", f"at most {limit} characters")]
    if any(ord(ch) < 32 for ch in value):
        return [problem(path, "不能含控制字符或换行", "must not contain control characters or line breaks")]
    return []


def _bilingual(path: str, value: Any, limits: dict[str, int], *, required: bool = True) -> list:
    if value is None and not required:
        return []
    if not isinstance(value, dict) or set(value) - {"zh", "en"}:
        return [problem(path, "应为 {zh, en} 中英文对", "must be a {zh, en} pair")]
    return [p for lang in ("zh", "en") for p in _text(f"{path}.{lang}", value.get(lang), limit=limits[lang])]


def _phone(path: str, value: Any, *, required: bool) -> list[dict[str, str]]:
    if value is None and not required:
        return []
    if not isinstance(value, str) or not re.match(PHONE_PATTERN, value):
        return [
            problem(
                path, "电话号码格式不对（数字和连字符，3–20 位）", "not a phone number (digits and '-', 3–20)"
            )
        ]
    return []


def schedule_problems(path: str, schedule: Any) -> list[dict[str, str]]:
    """Problems with a week *schedule*: HH:MM times within 00:00–24:00, each interval starting before it
    ends, none overlapping another of its day; only weekdays, ``note`` and ``holidays: open`` as keys."""
    if not isinstance(schedule, dict):
        return [problem(path, "营业时间应为按星期排列的时段", "hours must be time spans by weekday")]
    found = []
    for key in schedule:
        if key not in (*WEEKDAYS, "note", "holidays"):
            found.append(problem(f"{path}.{key}", "未知的星期或设置", "unknown weekday or setting"))
    if "holidays" in schedule and schedule["holidays"] != "open":
        found.append(problem(f"{path}.holidays", "只能为 open", "may only be 'open'"))
    if "note" in schedule:
        found += _bilingual(f"{path}.note", schedule["note"], {"zh": 200, "en": 400})
    for day in WEEKDAYS:
        spans = schedule.get(day, [])
        where = f"{path}.{day}"
        if not isinstance(spans, list) or not all(
            isinstance(s, list) and len(s) == 2 and all(isinstance(t, str) for t in s) for s in spans
        ):
            found.append(problem(where, "每个时段应为 [开始, 结束]", "each span must be [start, end]"))
            continue
        bad = [t for s in spans for t in s if not re.match(TIME_PATTERN, t)]
        if bad:
            found.append(
                problem(
                    where, f"时间 {bad[0]} 不是 00:00–24:00 的 HH:MM", f"{bad[0]} is not HH:MM in 00:00–24:00"
                )
            )
            continue
        previous_end = "00:00"
        for start, end in sorted(spans):
            if start >= end:
                found.append(
                    problem(
                        where, f"{start}–{end} 结束不晚于开始", f"{start}–{end} does not end after it starts"
                    )
                )
            elif start < previous_end:
                found.append(
                    problem(
                        where, f"{start}–{end} 与前一时段重叠", f"{start}–{end} overlaps the span before it"
                    )
                )
            previous_end = max(previous_end, end)
    return found


def validate_counter(counter: Any, facts: CounterFacts) -> list[dict[str, str]]:
    """Every problem with one counter in snapshot form (a draft's, or a spreadsheet row's), by field; a
    pure function of *counter* and *facts*."""
    if not isinstance(counter, dict):
        return [problem("(counter)", "窗口应为一个对象", "a counter must be an object")]
    found = [problem(k, "未知字段", "unknown field") for k in sorted(set(counter) - COUNTER_FIELDS)]
    number = counter.get("number")
    if not isinstance(number, str) or not re.match(COUNTER_NUMBER_PATTERN, number):
        found.append(
            problem(
                "number",
                f"窗口号 {number!r} 格式不对（如 A01、AB123）",
                f"number {number!r} is not like A01 or AB123",
            )
        )
    elif number in facts.taken:
        found.append(
            problem("number", f"窗口号 {number} 已被其他窗口使用", f"number {number} is already taken")
        )
    found += _bilingual("name", counter.get("name"), NAME_MAX)
    if counter.get("type") not in COUNTER_TYPES:
        found.append(problem("type", "未知的窗口类型", f"unknown type (one of {', '.join(COUNTER_TYPES)})"))
    if counter.get("status") not in COUNTER_STATUSES:
        found.append(
            problem("status", "未知的状态", f"unknown status (one of {', '.join(COUNTER_STATUSES)})")
        )
    department = counter.get("department")
    if department is not None and department not in facts.departments:
        found.append(
            problem("department", f"没有这个部门：{department}", f"no such department: {department}")
        )
    zone, floor = counter.get("zone"), counter.get("floor")
    if zone not in facts.zones:
        found.append(problem("zone", f"本大厅没有这个区域：{zone}", f"no such zone in this hall: {zone}"))
    if not isinstance(floor, int) or isinstance(floor, bool) or floor not in facts.floors:
        found.append(problem("floor", f"本大厅没有这一层：{floor}", f"no such floor in this hall: {floor}"))
    elif zone in facts.zones and facts.zones[zone] != floor:
        found.append(
            problem(
                "floor",
                f"区域 {zone} 在 {facts.zones[zone]} 层",
                f"zone {zone} is on floor {facts.zones[zone]}",
            )
        )
    found += _bilingual("notice", counter.get("notice"), {"zh": NOTICE_MAX, "en": NOTICE_MAX}, required=False)
    found += schedule_problems("hours", counter.get("hours"))
    found += _phone("phone", counter.get("phone"), required=False)
    if not isinstance(counter.get("low_counter", False), bool):
        found.append(problem("low_counter", "应为是或否", "must be true or false"))
    found += _text("node", counter.get("node"), limit=100)
    services = counter.get("services")
    if not isinstance(services, list) or not all(isinstance(s, str) for s in services):
        found.append(problem("services", "应为事项编号的列表", "must be a list of service ids"))
    else:
        unknown = [s for s in services if s not in facts.services]
        if unknown:
            found.append(
                problem(
                    "services",
                    f"没有这些事项：{'、'.join(unknown)}",
                    f"no such services: {', '.join(unknown)}",
                )
            )
        if len(set(services)) != len(services):
            found.append(problem("services", "事项重复", "a service is listed twice"))
    return found


def _calendars() -> set[str]:
    return {p.stem.rsplit("-", 1)[0] for p in CALENDAR_DIR.glob("*-*.yaml")}


def validate_facts(facts: Any) -> list[dict[str, str]]:
    """Every problem with the hall's own facts in snapshot form, by field."""
    if not isinstance(facts, dict):
        return [problem("(facts)", "大厅信息应为一个对象", "the hall's facts must be an object")]
    found = [problem(k, "未知字段", "unknown field") for k in sorted(set(facts) - FACTS_FIELDS)]
    found += _bilingual("name", facts.get("name"), {"zh": 200, "en": 200})
    found += _bilingual("short_name", facts.get("short_name"), {"zh": 100, "en": 100}, required=False)
    found += _bilingual("address", facts.get("address"), {"zh": 300, "en": 300})
    found += _phone("phone", facts.get("phone"), required=True)
    found += schedule_problems("hours", facts.get("hours"))
    zone = facts.get("time_zone")
    try:
        ZoneInfo(zone) if isinstance(zone, str) and zone else ZoneInfo("")
    except (ZoneInfoNotFoundError, ValueError):
        found.append(problem("time_zone", f"未知时区：{zone}", f"unknown time zone: {zone}"))
    if facts.get("calendar") not in _calendars():
        found.append(
            problem("calendar", f"没有这个节假日日历：{facts.get('calendar')}", "no such holiday calendar")
        )
    access = facts.get("access")
    if access is not None:
        if not isinstance(access, dict):
            found.append(problem("access", "交通信息应为对象", "access must be an object"))
        else:
            for kind, text in access.items():
                if kind not in ACCESS_KINDS:
                    found.append(problem(f"access.{kind}", "未知的交通方式", "unknown kind of access"))
                else:
                    found += _bilingual(f"access.{kind}", text, {"zh": 300, "en": 400})
    presets = facts.get("hour_presets")
    if presets is not None:
        if not isinstance(presets, dict):
            found.append(problem("hour_presets", "应为 名称: 营业时间", "must map names to hours"))
        else:
            for name, schedule in presets.items():
                found += schedule_problems(f"hour_presets.{name}", schedule)
    return found


# ---- scenes ----

# A scene's snapshot keys, in the order the admin API documents them; the draft adds its object version.
SCENE_KEYS = (
    "code",
    "name",
    "floor",
    "position",
    "heading",
    "initial_view",
    "links",
    "overrides",
    "panorama",
)
SCENE_FIELDS = frozenset({*SCENE_KEYS, "version"})
OVERRIDE_FIELDS = frozenset({"yaw", "pitch", "hidden"})
TARGET_KINDS = ("counter", "facility", "scene")
TARGET_PATTERN = rf"^(counter|facility|scene):({PLACE_KEY_PATTERN})$"
ENTRANCE_SCENE = "entrance"  # the scene the tour opens at (else the first by floor and code), as web/src


@dataclass(frozen=True)
class SceneFacts:
    """What a scene is checked against: the floors, the scenes, counters and facilities that exist (None:
    references not checked here — the check before publishing reports them), and the floors of the
    published model (None without one)."""

    floors: frozenset[int]
    scenes: frozenset[str] | None = None
    counters: frozenset[str] | None = None
    facilities: frozenset[str] | None = None
    geometry: Any = None  # hallmodel.geometry.HallGeometry


def hall_model(hall: Hall):
    """The derived published model of *hall* (``publishing.hallmodels.HallModel``), or None."""
    if not has_app_context() or not hall.model_sha:
        return None
    return current_app.extensions["hall_models"].get(hall)


def scene_facts(session: Session, hall: Hall, data: dict[str, Any], *, references: bool = True) -> SceneFacts:
    """The facts to check the scenes of snapshot *data* of *hall* against."""
    model = hall_model(hall)
    return SceneFacts(
        floors=frozenset(f.level for f in hall.floors),
        scenes=frozenset(data["scenes"]) if references else None,
        counters=frozenset(data["counters"]) if references else None,
        facilities=frozenset(f.code for f in hall.facilities) if references else None,
        geometry=model.geometry if model is not None else None,
    )


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _yaw(path: str, value: Any) -> list[dict[str, str]]:
    if not _number(value) or not -180 <= value < 180:
        return [
            problem(
                path, "水平角应为 -180（含）到 180（不含）之间的度数", "yaw must be degrees in [-180, 180)"
            )
        ]
    return []


def _pitch(path: str, value: Any) -> list[dict[str, str]]:
    if not _number(value) or not -90 <= value <= 90:
        return [problem(path, "俯仰角应为 -90 到 90 之间的度数", "pitch must be degrees in [-90, 90]")]
    return []


def _view_problems(path: str, value: Any) -> list[dict[str, str]]:
    if value is None:
        return []
    if not isinstance(value, dict) or set(value) != {"yaw", "pitch"}:
        return [problem(path, "视角应为 {yaw, pitch} 或 null", "a view must be {yaw, pitch} or null")]
    return _yaw(f"{path}.yaw", value["yaw"]) + _pitch(f"{path}.pitch", value["pitch"])


def _position_problems(position: Any, floor: Any, facts: SceneFacts) -> list[dict[str, str]]:
    if not isinstance(position, list) or len(position) != 3 or not all(_number(v) for v in position):
        return [
            problem("position", "位置应为 [x, y, z] 三个数（米）", "position must be [x, y, z] in metres")
        ]
    geometry = facts.geometry
    if geometry is None or floor not in facts.floors:
        return []
    shape = geometry.floors.get(floor)
    x, _y, z = position
    if shape is None:
        return [
            problem(
                "floor", f"楼层 {floor} 不在大厅的三维模型中", f"floor {floor} is not in the hall's model"
            )
        ]
    point = Point(x, z)
    if not shapely.covers(shape.outline, point):
        return [
            problem(
                "position",
                f"位置 ({x:g}, {z:g}) 在 {floor} 层的范围之外",
                f"({x:g}, {z:g}) is off floor {floor}",
            )
        ]
    if any(shapely.contains(p, point) for p in (*shape.walls, *shape.obstacles) if not p.is_empty):
        return [
            problem(
                "position",
                f"位置 ({x:g}, {z:g}) 在墙体或障碍物之中",
                f"({x:g}, {z:g}) is inside a wall or an obstacle",
            )
        ]
    return []


def _target_exists(target: str, facts: SceneFacts) -> bool:
    kind, _, key = target.partition(":")
    known = {"counter": facts.counters, "facility": facts.facilities, "scene": facts.scenes}[kind]
    return known is None or key in known


def validate_scene(scene: Any, facts: SceneFacts) -> list[dict[str, str]]:
    """Every problem with one scene in snapshot form, by field (``links.<code>.arrival.yaw``,
    ``overrides.<target>.pitch``); a pure function of *scene* and *facts*."""
    if not isinstance(scene, dict):
        return [problem("(scene)", "场景应为一个对象", "a scene must be an object")]
    found = [problem(k, "未知字段", "unknown field") for k in sorted(set(scene) - SCENE_FIELDS)]
    code = scene.get("code")
    if not isinstance(code, str) or not re.fullmatch(PLACE_KEY_PATTERN, code):
        found.append(
            problem(
                "code",
                f"场景编号 {code!r} 格式不对（字母、数字、- 和 _）",
                f"code {code!r}: letters, digits, - and _",
            )
        )
    found += _bilingual("name", scene.get("name"), NAME_MAX)
    floor = scene.get("floor")
    if not isinstance(floor, int) or isinstance(floor, bool) or floor not in facts.floors:
        found.append(problem("floor", f"本大厅没有这一层：{floor}", f"no such floor in this hall: {floor}"))
    found += _position_problems(scene.get("position"), floor, facts)
    heading = scene.get("heading")
    if not _number(heading) or not -180 <= heading <= 180:
        found.append(
            problem("heading", "朝向应为 -180 到 180 之间的度数", "heading must be degrees in [-180, 180]")
        )
    found += _view_problems("initial_view", scene.get("initial_view"))
    links = scene.get("links")
    if not isinstance(links, dict):
        found.append(
            problem("links", "连接应为 {场景编号: {arrival}}", "links must map scene codes to {arrival}")
        )
        links = {}
    for target, link in links.items():
        where = f"links.{target}"
        if target == code:
            found.append(problem(where, "场景不能连接到自己", "a scene cannot link to itself"))
        elif facts.scenes is not None and target not in facts.scenes:
            found.append(problem(where, f"本大厅没有场景 {target}", f"no scene {target} in this hall"))
        if not isinstance(link, dict) or set(link) != {"arrival"}:
            found.append(
                problem(where, "连接应为 {arrival: 视角或 null}", "a link must be {arrival: view or null}")
            )
        else:
            found += _view_problems(f"{where}.arrival", link["arrival"])
    overrides = scene.get("overrides")
    if not isinstance(overrides, dict):
        found.append(
            problem("overrides", "修正应为 {目标: {yaw, pitch, hidden}}", "overrides must map targets")
        )
        overrides = {}
    for target, o in overrides.items():
        where = f"overrides.{target}"
        if not isinstance(target, str) or not re.fullmatch(TARGET_PATTERN, target):
            found.append(
                problem(
                    where,
                    "目标应为 counter:<窗口号>、facility:<编号> 或 scene:<编号>",
                    "target must be counter:, facility: or scene: and an id",
                )
            )
        elif not _target_exists(target, facts):
            found.append(problem(where, f"草稿中没有 {target}", f"{target} is not in the draft"))
        elif target == f"scene:{code}":
            found.append(problem(where, "场景不能指向自己", "a scene cannot point at itself"))
        if not isinstance(o, dict) or set(o) - OVERRIDE_FIELDS:
            found.append(
                problem(where, "修正只有 yaw、pitch、hidden", "an override has only yaw, pitch, hidden")
            )
            continue
        if o.get("yaw") is not None:
            found += _yaw(f"{where}.yaw", o["yaw"])
        if o.get("pitch") is not None:
            found += _pitch(f"{where}.pitch", o["pitch"])
        if not isinstance(o.get("hidden", False), bool):
            found.append(problem(f"{where}.hidden", "应为是或否", "must be true or false"))
    panorama = scene.get("panorama")
    if panorama is not None and not isinstance(panorama, dict):
        found.append(problem("panorama", "全景配置应为对象", "the panorama must be an object"))
    return found


def entrance_scene(scenes: dict[str, Any]) -> str | None:
    """The code of the scene a citizen starts in: ``entrance``, else the first by floor and code."""
    if ENTRANCE_SCENE in scenes:
        return ENTRANCE_SCENE
    first = sorted(scenes.values(), key=lambda s: (s["floor"], s["code"]))
    return first[0]["code"] if first else None


def _finding(scene: str | None, target: str | None, code: str, zh: str, en: str) -> dict[str, Any]:
    return {"scene": scene, "target": target, "code": code, "zh": zh, "en": en}


def scene_check(hall: Hall, data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """What would mislead a citizen in the scenes of snapshot *data*: ``errors`` (a link or an override to
    something that no longer exists — publishing is refused) and ``warnings`` (counters and facilities seen
    from no scene, with a published model to see them by; scenes not reachable from the entrance scene)."""
    from .scenes import visible_targets

    scenes = data.get("scenes") or {}
    facts = SceneFacts(
        floors=frozenset(),
        scenes=frozenset(scenes),
        counters=frozenset(data["counters"]),
        facilities=frozenset(f.code for f in hall.facilities),
    )
    errors, warnings = [], []
    for code, scene in sorted(scenes.items()):
        for target in sorted(scene["links"]):
            if target not in scenes:
                errors.append(
                    _finding(
                        code,
                        f"scene:{target}",
                        "link_to_deleted_scene",
                        f"场景 {code} 连接到已删除的场景 {target}",
                        f"scene {code} links to the deleted scene {target}",
                    )
                )
        for target in sorted(scene["overrides"]):
            if not _target_exists(target, facts):
                errors.append(
                    _finding(
                        code,
                        target,
                        "override_of_deleted_target",
                        f"场景 {code} 修正了已不存在的 {target} 的热点",
                        f"scene {code} corrects the hotspot of {target}, which no longer exists",
                    )
                )
    entrance = entrance_scene(scenes)
    reached, queue = ({entrance}, [entrance]) if entrance else (set(), [])
    while queue:
        for target in scenes[queue.pop()]["links"]:
            if target in scenes and target not in reached:
                reached.add(target)
                queue.append(target)
    for code in sorted(set(scenes) - reached):
        warnings.append(
            _finding(
                code,
                None,
                "unreachable_scene",
                f"从入口场景 {entrance} 沿连接到不了场景 {code}",
                f"scene {code} cannot be reached by links from the entrance scene {entrance}",
            )
        )
    model = hall_model(hall)
    if model is not None and scenes:
        elevations = {f.level: f.elevation for f in hall.floors}
        seen = visible_targets(model, scenes, elevations)
        nodes = [
            (f"counter:{n}", c.get("node") or f"counter:{n}") for n, c in sorted(data["counters"].items())
        ]
        nodes += [(f"facility:{f.code}", f.node_name) for f in sorted(hall.facilities, key=lambda f: f.code)]
        for target, node in nodes:
            if node in model.geometry.nodes and node not in seen and target not in seen:
                warnings.append(
                    _finding(
                        None,
                        target,
                        "seen_from_no_scene",
                        f"{target} 在任何场景中都看不到",
                        f"{target} is seen from no scene",
                    )
                )
    return {"errors": errors, "warnings": warnings}


def problems(session: Session, hall: Hall, data: dict[str, Any]) -> list[dict[str, str]]:
    """Every problem of a whole hall snapshot; each counter's fields as ``counters.<number>.<field>``."""
    found = [{**p, "field": f"facts.{p['field']}"} for p in validate_facts(_plain(data["facts"]))]
    facts = counter_facts(session, hall)
    for number, counter in data["counters"].items():
        plain = _plain(counter)
        if plain.get("number") != number:
            found.append(
                problem(f"counters.{number}.number", "窗口号与键不一致", "number differs from its key")
            )
        found += [{**p, "field": f"counters.{number}.{p['field']}"} for p in validate_counter(plain, facts)]
    if "scenes" in data:
        # References to what no longer exists are the check's to report (scene_check), not a field's.
        facts = scene_facts(session, hall, data, references=False)
        for code, scene in data["scenes"].items():
            plain = _plain(scene)
            if plain.get("code") != code:
                found.append(
                    problem(f"scenes.{code}.code", "场景编号与键不一致", "code differs from its key")
                )
            found += [{**p, "field": f"scenes.{code}.{p['field']}"} for p in validate_scene(plain, facts)]
    if data.get("model") is not None:
        found += [{**p, "field": f"model.{p['field']}"} for p in validate_model(_plain(data["model"]))]
    return found


def model_report(app: Flask, hall: Hall, data: dict[str, Any]) -> Report | None:
    """The one-to-one report of the model *data* publishes (its ``model`` entry; the hall's published model
    when it has none) against the counters of *data* (the rest of the facts as they are), or None without a
    model."""
    from .hallmodels import recheck

    floors = {c["number"]: c["floor"] for c in data["counters"].values()}
    return recheck(app, hall, counters=floors, model=data.get("model", True))


def validate_model(entry: Any) -> list[dict[str, str]]:
    """Problems of a ``model`` entry: a model hash whose file is in the store, a mapping of names."""
    if entry is None:
        return []
    if not isinstance(entry, dict) or set(entry) - {"sha", "file", "mapping"}:
        return [problem("model", "模型条目格式不对", "the model entry is malformed")]
    sha = entry.get("sha")
    if not isinstance(sha, str) or not re.fullmatch(r"[0-9a-f]{64}", sha):
        return [problem("sha", "模型哈希应为 64 位十六进制", "the model hash must be 64 hex digits")]
    mapping = entry.get("mapping")
    if mapping is not None and not (
        isinstance(mapping, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items())
    ):
        return [problem("mapping", "名称映射应为 名称→名称", "the name mapping must map names to names")]
    return []


# ---- the ``hall:<slug>`` scope of drafts ----


def _target(session: Session, slug: str | None) -> Hall:
    from .drafts import DraftError

    hall = session.scalar(select(Hall).where(Hall.slug == (slug or "")))
    if hall is None:
        raise DraftError(
            "not_found", f"找不到大厅：{slug}", f"Hall not found: {slug}", status=404, details={"key": slug}
        )
    return hall


def _check_object(
    session: Session, hall: Hall, collection: str, key: str | None, obj: dict[str, Any], data: dict[str, Any]
) -> list[dict[str, str]]:
    if collection == "facts":
        return validate_facts(obj)
    if collection == "model":
        found = validate_model(obj)
        if not found and has_app_context():
            from ..hallmodel.store import model_path

            if not model_path(current_app, hall.slug, obj["sha"]).is_file():
                found = [problem("sha", "模型文件不在服务器上", "the model file is not on the server")]
        return found
    if collection == "scenes":
        facts = scene_facts(session, hall, {**data, "scenes": {**data["scenes"], key: obj}})
        # References the scene already had stay saveable though their target is gone since: the check before
        # publishing lists them (and refuses the publish); only new ones are refused here.
        before = data["scenes"].get(key) or {"links": {}, "overrides": {}}
        had = [f"scene:{c}" for c in before["links"]] + list(before["overrides"])
        kept = {kind: {t.partition(":")[2] for t in had if t.startswith(f"{kind}:")} for kind in TARGET_KINDS}
        facts = replace(
            facts,
            scenes=facts.scenes | kept["scene"],
            counters=facts.counters | kept["counter"],
            facilities=facts.facilities | kept["facility"],
        )
        found = validate_scene(obj, facts)
        if obj.get("code") != key and not any(p["field"] == "code" for p in found):
            found.append(problem("code", "场景编号不能在编辑中修改", "the code cannot be changed by an edit"))
        return found
    taken = set(data["counters"]) - {key}
    found = validate_counter(obj, counter_facts(session, hall, taken=taken))
    if obj.get("number") != key and not any(p["field"] == "number" for p in found):
        found.append(problem("number", "窗口号不能在编辑中修改", "the number cannot be changed by an edit"))
    return found


def _published(hall: Hall, number: int, now) -> None:
    hall.published_version = number
    hall.published_at = now


def _register() -> None:
    from .drafts import ScopeKind, register

    register(
        ScopeKind(
            name="hall",
            collections={"counters": "counter", "scenes": "scene"},
            singles={"facts": "facts", "model": "model"},
            target=_target,
            snapshot=snapshot,
            apply=apply,
            check_object=_check_object,
            problems=problems,
            model_report=model_report,
            publish_check=scene_check,
            live_number=lambda hall: hall.published_version,
            published=_published,
        )
    )


_register()
