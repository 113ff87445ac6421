"""Changes (``drafts.compare``'s form) as staff read them: each changed object's name, each field's label and
its values before and after as text, in Chinese and in English, so a page shows them in its language.

``labels(session, kind, changes)`` answers, per collection (or single) of *changes*,
``{key: {"name": {zh, en}, "fields": {field: {"label": {zh, en}, "before": {zh, en}, "after": {zh, en}}}}}``
(a single's key is its own name). Values: vocabulary labels for statuses, counter types and weekdays;
department and service names beside their codes; a week's hours as text (``周一至周五 09:00-12:00``);
pairs in their language; yes/no; lists joined; materials and other nested lists counted and named; a
scene's panorama as its tile-set version (``新版本 <version>`` after a change).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Department, ServiceItem
from ..vocabulary import (
    AUDIENCE_LABELS,
    COUNTER_STATUSES,
    COUNTER_TYPES,
    SERVICE_TYPE_LABELS,
    WEEKDAY_LABELS,
    WEEKDAYS,
)

Pair = dict[str, str]

FIELDS: dict[str, tuple[str, str]] = {
    # counters
    "number": ("窗口号", "Number"),
    "name": ("名称", "Name"),
    "type": ("类型", "Type"),
    "department": ("部门", "Department"),
    "zone": ("区域", "Zone"),
    "floor": ("楼层", "Floor"),
    "status": ("状态", "Status"),
    "notice": ("告知市民", "Notice to citizens"),
    "hours": ("办公时间", "Hours"),
    "phone": ("电话", "Phone"),
    "low_counter": ("低位窗口", "Low counter"),
    "node": ("模型节点", "Model node"),
    "services": ("办理事项", "Services"),
    # scenes
    "panorama": ("全景图", "Panorama"),
    # hall facts
    "short_name": ("简称", "Short name"),
    "address": ("地址", "Address"),
    "time_zone": ("时区", "Time zone"),
    "calendar": ("节假日日历", "Holiday calendar"),
    "access": ("交通", "Getting there"),
    "hour_presets": ("时间预设", "Hour presets"),
    # services
    "slug": ("事项标识", "Id"),
    "code": ("实施编码", "Code"),
    "audience": ("服务对象", "Audience"),
    "legal_limit_days": ("法定时限（天）", "Legal limit (days)"),
    "promised_limit_days": ("承诺时限（天）", "Promised limit (days)"),
    "conditions": ("受理条件", "Conditions"),
    "process": ("办理流程", "Process"),
    "fees": ("收费", "Fees"),
    "online": ("网上办理", "Online"),
    "appointment": ("预约", "Appointments"),
    "phones": ("咨询/投诉电话", "Enquiry / complaint phones"),
    "keywords": ("关键词", "Keywords"),
    "visits": ("跑动次数", "Visits"),
    "reform_2023": ("2023 年改革", "Reform 2023"),
    "materials": ("申请材料", "Materials"),
    "guide": ("办事指南", "Guide"),
    # the hall model (a hall snapshot's ``model`` entry)
    "model": ("大厅模型", "Hall model"),
    "sha": ("大厅模型", "Hall model"),
    "file": ("模型文件", "Model file"),
    "mapping": ("名称映射", "Name mapping"),
}
SHORT_SHA = 12  # a model hash as staff read it


def _pair(zh: str, en: str | None = None) -> Pair:
    return {"zh": zh, "en": zh if en is None else en}


EMPTY = _pair("（空）", "(empty)")


def hours(week: Any) -> Pair:
    """A week schedule as ``周一至周五 09:00-12:00、13:30-17:00；周六 …`` and ``Mon–Fri 09:00-12:00, …``."""
    if not isinstance(week, dict):
        return EMPTY
    zh, en, i = [], [], 0
    while i < len(WEEKDAYS):
        spans = week.get(WEEKDAYS[i]) or []
        end = i
        while end + 1 < len(WEEKDAYS) and (week.get(WEEKDAYS[end + 1]) or []) == spans:
            end += 1
        if spans:
            first, last = WEEKDAY_LABELS[WEEKDAYS[i]], WEEKDAY_LABELS[WEEKDAYS[end]]
            times = [f"{a}-{b}" for a, b in spans]
            zh.append((first.zh if end == i else f"{first.zh}至{last.zh}") + " " + "、".join(times))
            en.append((first.en if end == i else f"{first.en}–{last.en}") + " " + ", ".join(times))
        i = end + 1
    if week.get("holidays") == "open":
        zh.append("节假日照常")
        en.append("open on holidays")
    note = week.get("note")
    if isinstance(note, dict):
        zh.append(str(note.get("zh") or ""))
        en.append(str(note.get("en") or ""))
    return _pair("；".join(zh), "; ".join(en)) if zh else _pair("不办公", "no hours")


def panorama(config: dict[str, Any], *, new: bool = False) -> Pair:
    """A scene's panorama (its tiles config) as its version: ``版本 <version>`` / ``version <version>``, or
    ``新版本 <version>`` / ``new version <version>`` for the one a change brings."""
    version = config.get("version") or "?"
    return (
        _pair(f"新版本 {version}", f"new version {version}")
        if new
        else _pair(f"版本 {version}", f"version {version}")
    )


class _Names:
    """Department and service names by code, read once per answer."""

    def __init__(self, session: Session) -> None:
        self.departments = {
            code: _pair(zh, en)
            for code, zh, en in session.execute(
                select(Department.code, Department.name_zh, Department.name_en)
            )
        }
        self.services = {
            slug: _pair(zh, en or zh)
            for slug, zh, en in session.execute(
                select(ServiceItem.slug, ServiceItem.name_zh, ServiceItem.name_en)
            )
        }

    def named(self, table: dict[str, Pair], code: str) -> Pair:
        name = table.get(code)
        return _pair(f"{name['zh']}（{code}）", f"{name['en']} ({code})") if name else _pair(code)


def _join(values: list[Pair], zh_sep: str = "、", en_sep: str = ", ") -> Pair:
    if not values:
        return EMPTY
    return _pair(zh_sep.join(v["zh"] for v in values), en_sep.join(v["en"] for v in values))


def _generic(value: Any) -> Pair:
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, bool):
        return _pair("是", "yes") if value else _pair("否", "no")
    if isinstance(value, dict):
        if set(value) <= {"zh", "en"}:
            return _pair(str(value.get("zh") or ""), str(value.get("en") or value.get("zh") or ""))
        name = value.get("name")
        if isinstance(name, dict):
            return _generic(name)
        parts = [(k, _generic(v)) for k, v in value.items()]
        return _pair(
            "；".join(f"{k}: {v['zh']}" for k, v in parts), "; ".join(f"{k}: {v['en']}" for k, v in parts)
        )
    if isinstance(value, list):
        return _join([_generic(v) for v in value], "\n", "\n") if len(value) > 1 else _generic(value[0])
    return _pair(str(value))


def value(field: str, raw: Any, names: _Names, *, service: bool = False) -> Pair:
    """Field *field*'s value *raw* as text in both languages."""
    if raw is None or raw == [] or raw == "":
        return EMPTY
    if field == "status" and raw in COUNTER_STATUSES:
        label = COUNTER_STATUSES[raw]
        return _pair(label.zh, label.en)
    if field == "type" and raw in (labels := SERVICE_TYPE_LABELS if service else COUNTER_TYPES):
        return _pair(raw, labels[raw])
    if field == "audience" and isinstance(raw, list) and all(a in AUDIENCE_LABELS for a in raw):
        return _join([_pair(a, AUDIENCE_LABELS[a]) for a in raw])
    if field == "department" and isinstance(raw, str):
        return names.named(names.departments, raw)
    if field == "services" and isinstance(raw, list):
        return _join([names.named(names.services, s) for s in raw])
    if field == "hours":
        return hours(raw)
    if field == "panorama" and isinstance(raw, dict):
        return panorama(raw)
    if field == "sha" and isinstance(raw, str):
        return _pair(raw[:SHORT_SHA])
    if field == "mapping" and isinstance(raw, dict):
        return _pair(f"{len(raw)} 个名称", f"{len(raw)} name(s)")
    if field == "materials" and isinstance(raw, list):
        listed = [_generic(m.get("name")) for m in raw if isinstance(m, dict)]
        return _pair(
            f"{len(raw)} 项：" + "、".join(m["zh"] for m in listed),
            f"{len(raw)}: " + "; ".join(m["en"] for m in listed),
        )
    return _generic(raw)


def _field_label(field: str) -> Pair:
    zh, en = FIELDS.get(field, (field, field))
    return _pair(zh, en)


def _after(field: str, raw: Any, names: _Names, service: bool) -> Pair:
    if field == "panorama" and isinstance(raw, dict):
        return panorama(raw, new=True)
    return value(field, raw, names, service=service)


def _object(fields: dict[str, dict[str, Any]], names: _Names, service: bool) -> dict[str, Any]:
    return {
        f: {
            "label": _field_label(f),
            "before": value(f, change.get("before"), names, service=service),
            "after": _after(f, change.get("after"), names, service),
        }
        for f, change in fields.items()
    }


def labels(
    session: Session, kind: str, changes: dict[str, Any], after: dict[str, Any] | None = None
) -> dict[str, Any]:
    """*changes* (per collection or single, as ``drafts.compare`` answers) as staff read them (see the
    module docstring); *kind* is the scope kind (``hall``, ``catalogue``), *after* the snapshot changed to
    (for the names of objects whose name did not change)."""
    names = _Names(session)
    service = kind == "catalogue"
    out: dict[str, Any] = {}
    for part_name, part in changes.items():
        if "added" not in part:
            out[part_name] = {
                part_name: {
                    "name": _field_label(part_name),
                    "fields": _object(part["changed"], names, service),
                }
            }
            continue
        described: dict[str, Any] = {}
        for how in ("added", "removed"):
            for key, obj in part[how].items():
                described[key] = {"name": _generic((obj or {}).get("name")), "fields": {}}
        for key, fields in part["changed"].items():
            obj = ((after or {}).get(part_name) or {}).get(key) or {}
            name = obj.get("name") or (names.services.get(key) if service else None)
            described[key] = {
                "name": _generic(name) if name else _pair(key),
                "fields": _object(fields, names, service),
            }
        out[part_name] = described
    return out
