"""The kiosk registry: every field checked with a named bilingual problem, then written; rows in, plain dicts
out. Times are aware UTC datetimes passed in by the caller; the hall's plan geometry (``HallGeometry``, or
None when the hall has no published model) is passed in too, so this package reads no app state.

A position must lie on the kiosk's floor: inside the floor's outline and not inside a wall or an obstacle
(where the model has the floor); without a model only the floor's existence is checked.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import shapely
from shapely.geometry import Point
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..hallmodel.geometry import HallGeometry
from ..models import Hall, Kiosk
from ..publishing import audit
from ..vocabulary import (
    KIOSK_COUNTDOWN_DEFAULT,
    KIOSK_COUNTDOWN_RANGE,
    KIOSK_IDLE_DEFAULT,
    KIOSK_IDLE_RANGE,
    SLUG_PATTERN,
)
from . import KioskError

FIELDS = ("id", "hall", "floor", "x", "z", "facing", "idle_seconds", "countdown_seconds", "audio")
CHANGEABLE = FIELDS[2:]  # a kiosk keeps its id and hall; register a new one to move it to another hall
COORDINATE_LIMIT = 10_000.0  # metres from the origin: far beyond any hall, well inside a float's precision


def _field(field: str, zh: str, en: str) -> KioskError:
    return KioskError(f"bad_{field}", f"{field}：{zh}", f"{field}: {en}", details={"field": field})


def check_code(value: Any) -> str:
    """A kiosk id: a slug (``pn-entrance-1``)."""
    if not isinstance(value, str) or not re.match(SLUG_PATTERN, value):
        raise _field(
            "id",
            "应为 1–64 个小写字母、数字或连字符，以字母或数字开头，例如 pn-entrance-1",
            "use 1–64 lower-case letters, digits or hyphens, starting with a letter or digit, e.g. pn-entrance-1",
        )
    return value


def _number(field: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _field(field, "应为有限的数字", "must be a finite number")
    return float(value)


def _seconds(field: str, value: Any, limits: tuple[int, int]) -> int:
    low, high = limits
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _field(
            field,
            f"应为 {low} 到 {high} 之间的整数（秒）",
            f"must be a whole number of seconds from {low} to {high}",
        )
    return value


def check_fields(data: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """The known *data* fields checked one by one (all of ``FIELDS`` but the defaults unless *partial*):
    a KioskError naming the first field at fault, or the checked values."""
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise KioskError(
            "unknown_field",
            f"未知字段：{', '.join(unknown)}",
            f"Unknown field: {', '.join(unknown)}",
            details={"field": unknown[0]},
        )
    if not partial:
        missing = [f for f in ("id", "hall", "floor", "x", "z", "facing") if f not in data]
        if missing:
            raise KioskError(
                "missing_field",
                f"缺少字段：{', '.join(missing)}",
                f"Missing field: {', '.join(missing)}",
                details={"field": missing[0]},
            )
    out: dict[str, Any] = {}
    if "id" in data:
        out["id"] = check_code(data["id"])
    if "hall" in data:
        if not isinstance(data["hall"], str) or not re.match(SLUG_PATTERN, data["hall"]):
            raise _field("hall", "应为大厅编号，例如 pingnan", "must be a hall id, e.g. pingnan")
        out["hall"] = data["hall"]
    if "floor" in data:
        floor = data["floor"]
        if isinstance(floor, bool) or not isinstance(floor, int):
            raise _field("floor", "应为楼层号（整数）", "must be a floor level (a whole number)")
        out["floor"] = floor
    for axis in ("x", "z"):
        if axis in data:
            value = _number(axis, data[axis])
            if abs(value) > COORDINATE_LIMIT:
                raise _field(axis, "超出大厅范围", "is far outside any hall")
            out[axis] = value
    if "facing" in data:
        facing = _number("facing", data["facing"])
        if not 0 <= facing < 360:
            raise _field(
                "facing",
                "朝向应在 0 到 360 度之间（不含 360），0 为北",
                "must be in [0, 360) degrees, 0 north",
            )
        out["facing"] = facing
    if "idle_seconds" in data:
        out["idle_seconds"] = _seconds("idle_seconds", data["idle_seconds"], KIOSK_IDLE_RANGE)
    if "countdown_seconds" in data:
        out["countdown_seconds"] = _seconds(
            "countdown_seconds", data["countdown_seconds"], KIOSK_COUNTDOWN_RANGE
        )
    if "audio" in data:
        if not isinstance(data["audio"], bool):
            raise _field("audio", "应为 true 或 false", "must be true or false")
        out["audio"] = data["audio"]
    return out


def check_position(geometry: HallGeometry | None, level: int, x: float, z: float) -> None:
    """Refuse a position off floor *level* of *geometry*: outside its outline, or inside a wall or an
    obstacle. Nothing to check against without a published model (None)."""
    if geometry is None:
        return
    floor = geometry.floors.get(level)
    if floor is None:
        raise KioskError(
            "floor_not_in_model",
            f"楼层 {level} 不在大厅的三维模型中",
            f"Floor {level} is not in the hall's model",
            details={"field": "floor"},
        )
    point = Point(x, z)
    if not shapely.covers(floor.outline, point):
        raise KioskError(
            "outside_floor",
            f"位置 ({x:g}, {z:g}) 在 {level} 层的范围之外",
            f"The position ({x:g}, {z:g}) is outside floor {level}",
            details={"field": "x"},
        )
    if any(
        shapely.contains(shape, point) for shape in (*floor.walls, *floor.obstacles) if not shape.is_empty
    ):
        raise KioskError(
            "position_blocked",
            f"位置 ({x:g}, {z:g}) 在墙体或障碍物之中",
            f"The position ({x:g}, {z:g}) is inside a wall or an obstacle",
            details={"field": "x"},
        )


def get_hall(session: Session, slug: str) -> Hall:
    """The hall *slug*; KioskError (404) when there is none."""
    hall = session.scalar(select(Hall).where(Hall.slug == slug))
    if hall is None:
        raise KioskError(
            "no_such_hall",
            f"没有这个大厅：{slug}",
            f"No such hall: {slug}",
            status=404,
            details={"field": "hall"},
        )
    return hall


def no_such_kiosk(code: str) -> KioskError:
    return KioskError("no_such_kiosk", f"没有这台自助终端：{code}", f"No such kiosk: {code}", status=404)


def get_kiosk(session: Session, code: str) -> Kiosk:
    """The kiosk *code*; KioskError (404) when there is none."""
    kiosk = session.scalar(select(Kiosk).where(Kiosk.code == code))
    if kiosk is None:
        raise no_such_kiosk(code)
    return kiosk


def list_kiosks(session: Session, hall: str | None = None) -> list[Kiosk]:
    """Every kiosk (of *hall* only when given), by hall then id."""
    query = select(Kiosk).join(Hall).order_by(Hall.slug, Kiosk.code)
    if hall is not None:
        query = query.where(Hall.slug == hall)
    return list(session.scalars(query))


def _floor_of(hall: Hall, level: int):
    floor = next((f for f in hall.floors if f.level == level), None)
    if floor is None:
        levels = "、".join(str(f.level) for f in hall.floors)
        raise KioskError(
            "no_such_floor",
            f"大厅 {hall.slug} 没有 {level} 层（有：{levels}）",
            f"Hall {hall.slug} has no floor {level} (it has: {levels.replace('、', ', ')})",
            details={"field": "floor"},
        )
    return floor


def add_kiosk(
    session: Session, hall: Hall, fields: Mapping[str, Any], *, geometry: HallGeometry | None, now: datetime
) -> Kiosk:
    """Register a kiosk in *hall* from checked *fields* (``check_fields``); the caller commits. KioskError
    (409) when the id is taken, or for a floor or position the hall does not have."""
    if session.scalar(select(Kiosk.id).where(Kiosk.code == fields["id"])) is not None:
        raise KioskError(
            "kiosk_exists",
            f"自助终端 {fields['id']} 已存在",
            f"Kiosk {fields['id']} exists already",
            status=409,
        )
    floor = _floor_of(hall, fields["floor"])
    check_position(geometry, floor.level, fields["x"], fields["z"])
    kiosk = Kiosk(
        code=fields["id"],
        hall=hall,
        floor=floor,
        x=fields["x"],
        z=fields["z"],
        facing=fields["facing"],
        idle_seconds=fields.get("idle_seconds", KIOSK_IDLE_DEFAULT),
        countdown_seconds=fields.get("countdown_seconds", KIOSK_COUNTDOWN_DEFAULT),
        audio=fields.get("audio", False),
        created_at=now,
        updated_at=now,
    )
    session.add(kiosk)
    return kiosk


def change_kiosk(
    session: Session, kiosk: Kiosk, fields: Mapping[str, Any], *, geometry: HallGeometry | None, now: datetime
) -> Kiosk:
    """Change *kiosk* by checked *fields* (``check_fields(partial=True)``; its id and hall stay)."""
    fixed = [
        f
        for f in ("id", "hall")
        if f in fields and fields[f] != (kiosk.code if f == "id" else kiosk.hall.slug)
    ]
    if fixed:
        raise KioskError(
            "fixed_field",
            f"{fixed[0]} 不可更改：请删除后重新登记",
            f"{fixed[0]} cannot be changed: remove the kiosk and register it again",
            details={"field": fixed[0]},
        )
    floor = _floor_of(kiosk.hall, fields["floor"]) if "floor" in fields else kiosk.floor
    x, z = fields.get("x", kiosk.x), fields.get("z", kiosk.z)
    check_position(geometry, floor.level, x, z)
    kiosk.floor, kiosk.x, kiosk.z = floor, x, z
    for name in ("facing", "idle_seconds", "countdown_seconds", "audio"):
        if name in fields:
            setattr(kiosk, name, fields[name])
    kiosk.updated_at = now
    return kiosk


def remove_kiosk(session: Session, code: str) -> None:
    """Remove the kiosk *code* (404 KioskError when there is none); the caller commits."""
    session.delete(get_kiosk(session, code))


HEARTBEAT_BODY_LIMIT = 4096  # bytes of a heartbeat's JSON body
HEARTBEAT_VERSION_LIMIT = 64  # characters of the version a kiosk says it shows
HEARTBEAT_ERROR_LIMIT = 200  # characters of one error's text (longer ones are cut)
HEARTBEAT_ERRORS_SENT = 10  # errors one heartbeat may carry
HEARTBEAT_ERRORS_KEPT = 20  # the latest errors kept per kiosk, older ones dropped
UPTIME_LIMIT = 10 * 365 * 86400  # seconds


def check_heartbeat(data: Any) -> dict[str, Any]:
    """A heartbeat body ``{version, uptime, errors}`` checked: the version shown (text), the seconds since
    the page started, the texts of the errors met since the last heartbeat (control characters dropped,
    each cut to ``HEARTBEAT_ERROR_LIMIT``). KioskError (400) naming the field at fault."""
    if not isinstance(data, dict):
        raise KioskError("bad_json", "请求内容不是 JSON 对象", "The body is not a JSON object")
    unknown = sorted(set(data) - {"version", "uptime", "errors"})
    if unknown:
        raise KioskError(
            "unknown_field",
            f"未知字段：{', '.join(unknown)}",
            f"Unknown field: {', '.join(unknown)}",
            details={"field": unknown[0]},
        )
    version = data.get("version")
    if not isinstance(version, str) or not 0 < len(version) <= HEARTBEAT_VERSION_LIMIT:
        raise _field(
            "version",
            f"应为 1–{HEARTBEAT_VERSION_LIMIT} 个字符的版本号",
            f"must be a version of 1–{HEARTBEAT_VERSION_LIMIT} characters",
        )
    uptime = data.get("uptime")
    if isinstance(uptime, bool) or not isinstance(uptime, int | float) or not 0 <= uptime <= UPTIME_LIMIT:
        raise _field("uptime", "应为页面运行的秒数（非负）", "must be the seconds the page has run (≥ 0)")
    errors = data.get("errors", [])
    if (
        not isinstance(errors, list)
        or len(errors) > HEARTBEAT_ERRORS_SENT
        or not all(isinstance(e, str) for e in errors)
    ):
        raise _field(
            "errors",
            f"应为至多 {HEARTBEAT_ERRORS_SENT} 条文字",
            f"must be a list of at most {HEARTBEAT_ERRORS_SENT} texts",
        )
    texts = ["".join(c for c in e if c.isprintable())[:HEARTBEAT_ERROR_LIMIT] for e in errors]
    return {"version": version, "uptime": int(uptime), "errors": [t for t in texts if t]}


def record_heartbeat(kiosk: Kiosk, fields: Mapping[str, Any], *, now: datetime, interval: float) -> None:
    """Write checked heartbeat *fields* (``check_heartbeat``) to *kiosk*'s health row: last seen, version,
    uptime, and its errors after the kept ones. KioskError (429) when the kiosk reported less than half
    an *interval* ago: at most two heartbeats per interval are written. The caller commits."""
    last = kiosk.heartbeat_at
    if last is not None and (now - last).total_seconds() < interval / 2:
        wait = max(1, math.ceil(interval / 2 - (now - last).total_seconds()))
        raise KioskError(
            "heartbeat_too_soon",
            f"心跳过于频繁：请 {wait} 秒后再报",
            f"Heartbeat too soon: report again in {wait} s",
            status=429,
            details={"retry_after": wait},
        )
    stamp = now.isoformat()
    kept = list(kiosk.heartbeat_errors or []) + [{"at": stamp, "text": t} for t in fields["errors"]]
    kiosk.heartbeat_at = now
    kiosk.heartbeat_version = fields["version"]
    kiosk.heartbeat_uptime = fields["uptime"]
    kiosk.heartbeat_errors = kept[-HEARTBEAT_ERRORS_KEPT:]


def is_online(kiosk: Kiosk, *, now: datetime, interval: float) -> bool:
    """Whether *kiosk* was last seen within two heartbeat *interval*s of *now*."""
    last = kiosk.heartbeat_at
    return last is not None and (now - last).total_seconds() <= 2 * interval


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def kiosk_dict(kiosk: Kiosk, *, now: datetime, interval: float) -> dict[str, Any]:
    """The kiosk as the admin API and the command line give it; ``online`` says whether it was seen
    within two heartbeat *interval*s of *now*."""
    return {
        "id": kiosk.code,
        "hall": kiosk.hall.slug,
        "floor": kiosk.floor.level,
        "x": kiosk.x,
        "z": kiosk.z,
        "facing": kiosk.facing,
        "idle_seconds": kiosk.idle_seconds,
        "countdown_seconds": kiosk.countdown_seconds,
        "audio": kiosk.audio,
        "version": version_of(kiosk),
        "created_at": _time(kiosk.created_at),
        "updated_at": _time(kiosk.updated_at),
        "online": is_online(kiosk, now=now, interval=interval),
        "heartbeat": {
            "at": _time(kiosk.heartbeat_at),
            "version": kiosk.heartbeat_version,
            "uptime": kiosk.heartbeat_uptime,
            "errors": kiosk.heartbeat_errors or [],
        },
    }


def page_config(kiosk: Kiosk) -> dict[str, Any]:
    """What the kiosk page embeds: where it stands, which way it faces, its times and audio."""
    return {
        "id": kiosk.code,
        "hall": kiosk.hall.slug,
        "floor": kiosk.floor.level,
        "position": [kiosk.x, kiosk.z],
        "facing": kiosk.facing,
        "idle_seconds": kiosk.idle_seconds,
        "countdown_seconds": kiosk.countdown_seconds,
        "audio": kiosk.audio,
    }


def version_of(kiosk: Kiosk) -> str:
    """The kiosk's settings as a short hash: what a change says it was based on (``check_version``). The
    settings themselves, not a time, so two saves within one clock tick still tell each other apart."""
    text = json.dumps(page_config(kiosk), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def check_version(kiosk: Kiosk, version: Any, current: dict[str, Any]) -> None:
    """Refuse (409, with the *current* kiosk in the details) a change based on an older *version* of *kiosk*
    (``version_of``); no *version* (None) means the caller does not ask."""
    if version is None:
        return
    if not isinstance(version, str) or version != version_of(kiosk):
        raise KioskError(
            "stale_kiosk",
            f"自助终端 {kiosk.code} 已被他人修改：请查看对方的修改后再保存",
            f"Kiosk {kiosk.code} was changed by someone else: look at their change, then save again",
            status=409,
            details={"current": current},
        )


ACTION_WORDS = {
    "add": ("登记自助终端", "registered kiosk"),
    "change": ("修改自助终端", "changed kiosk"),
    "remove": ("删除自助终端", "removed kiosk"),
}


def record_change(
    session: Session,
    *,
    user: str | None,
    action: str,
    kiosk_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    now: datetime,
) -> None:
    """Record a kiosk's registration, change or removal in the staff audit log (its settings before and after,
    as ``page_config`` gives them); *user* is None at the command line. The caller commits."""
    hall = (after or before or {})["hall"]
    zh, en = ACTION_WORDS[action]
    audit.record(
        session,
        user=user,
        scope=f"hall:{hall}",
        object_type="kiosk",
        object_id=kiosk_id,
        action=action,
        before=before,
        after=after,
        summary=f"{zh} / {en} {kiosk_id}" + ("" if user else "（命令行 / command line）"),
        at=now,
    )
