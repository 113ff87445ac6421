"""Load the demo content (``demo/data/``) into the database: ``flask --app server demo``.

Every file is checked against its schema and every cross-reference (departments, zones, services,
floors, scene links, hour presets) before anything is written; the load is one transaction, so a
failed load leaves the database as it was. Loading again replaces the demo halls and services.
"""

from __future__ import annotations

import hashlib
from collections import Counter as Tally
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..catalogue import hours, markdown
from ..db import bump_revision
from ..models import (
    Counter,
    Department,
    Facility,
    Floor,
    Hall,
    HotspotOverride,
    Kiosk,
    Material,
    Meta,
    Scene,
    ServiceGuide,
    ServiceItem,
    Zone,
)
from ..problems import ProblemsError, problem, within
from ..urls import link_problem
from ..vocabulary import KIOSK_COUNTDOWN_DEFAULT, KIOSK_IDLE_DEFAULT
from .schema import file_problems

DEMO_DATA = Path(__file__).parent / "data"
DIGEST_KEY = "demo_digest"


class DemoDataError(ProblemsError, ValueError):
    """The demo files are inconsistent; ``problems`` lists every one found as ``{where, zh, en}``."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        n = len(problems)
        super().__init__(
            "bad_demo_data", f"演示数据有 {n} 处问题", f"{n} problem(s) in the demo data", problems
        )


def read(folder: Path = DEMO_DATA) -> dict[str, Any]:
    """Read and check every demo file under *folder*; raise DemoDataError listing all problems."""
    problems: list[dict[str, str]] = []

    def load(path: Path, kind: str) -> Any:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            problems.append(problem(path.name, "无法读取文件", f"cannot read: {exc}"))
            return None
        problems.extend(within(path.relative_to(folder).as_posix(), file_problems(kind, data)))
        return data

    departments = load(folder / "departments.yaml", "departments") or []
    services = []
    for path in sorted((folder / "services").glob("*.yaml")):
        services.extend(load(path, "services") or [])
    halls = [h for h in (load(p, "hall") for p in sorted((folder / "halls").glob("*.yaml"))) if h]
    if problems:  # cross-checks assume well-formed files
        raise DemoDataError(problems)
    problems.extend(_cross_check(departments, services, halls))
    if problems:
        raise DemoDataError(problems)
    return {"departments": departments, "services": services, "halls": halls}


def _duplicates(values: list[str]) -> list[str]:
    return sorted(v for v, n in Tally(values).items() if n > 1)


# What each kind of duplicate is called: (where it is listed, zh, en).
_DUPLICATE_WORDS = {
    "floor": ("楼层", "floor"),
    "zone": ("区域", "zone"),
    "counter": ("窗口", "counter"),
    "facility": ("设施", "facility"),
    "scene": ("场景", "scene"),
    "kiosk": ("自助终端", "kiosk"),
}


def _cross_check(departments: list[dict], services: list[dict], halls: list[dict]) -> list[dict[str, str]]:
    """Every reference between the files that the schemas cannot see, as problems."""
    dept_ids = {d["id"] for d in departments}
    service_ids = {s["id"] for s in services}
    problems = [
        problem("departments", f"部门编号 {d} 重复", f"duplicate id {d}")
        for d in _duplicates([d["id"] for d in departments])
    ]
    problems += [
        problem("services", f"事项编号 {s} 重复", f"duplicate id {s}")
        for s in _duplicates([s["id"] for s in services])
    ]
    problems += [
        problem("services", f"事项代码 {c} 重复", f"duplicate code {c}")
        for c in _duplicates([s["code"] for s in services])
    ]
    problems += [
        problem(f"services/{s['id']}", f"未知部门 {s['department']}", f"unknown department {s['department']}")
        for s in services
        if s["department"] not in dept_ids
    ]
    problems += _link_problems(services)
    handled: set[str] = set()
    for hall in halls:
        problems += _hall_problems(hall, dept_ids, service_ids)
        for c in hall["counters"]:
            handled.update(counter_service_ids(c, services))
    problems += [
        problem(f"services/{sid}", "没有任何大厅的窗口办理该事项", "no counter in any hall handles it")
        for sid in sorted(service_ids - handled)
    ]
    return problems


def _link_problems(services: list[dict]) -> list[dict[str, str]]:
    """Each online or appointment address, or guide link, that a page may not link to (server/urls.py), and
    each guide text outside the Markdown subset's bounds, as a problem."""
    found = []
    for s in services:
        addresses = {"online/pc": s["online"]["pc"], "online/mobile": s["online"]["mobile"]}
        addresses["appointment/url"] = s.get("appointment", {}).get("url")
        for where, value in addresses.items():
            reason = link_problem(value) if value is not None else None
            if reason is not None:
                found.append(
                    problem(
                        f"services/{s['id']}/{where}",
                        f"地址不允许：{reason[0]}",
                        f"address not allowed: {reason[1]}",
                    )
                )
        for lang in (
            "zh",
            "en",
        ):  # the guide's Markdown: its links pass the same rule, its nesting is bounded
            found += [
                problem(f"services/{s['id']}/guide/summary/{lang}", zh, en)
                for zh, en in markdown.problems(s["guide"]["summary"][lang])
            ]
    return found


def _hall_problems(hall: dict, dept_ids: set[str], service_ids: set[str]) -> list[dict[str, str]]:
    """The cross-reference problems of one hall file: duplicates, floors, zones, presets, scene links."""
    where = f"halls/{hall['slug']}"
    levels = {f["level"] for f in hall["floors"]}
    presets = hall.get("hour_presets", {})
    facilities = hall.get("facilities", [])
    scenes = hall.get("scenes", [])
    problems = []
    listed = {
        "floor": [f["level"] for f in hall["floors"]],
        "zone": [z["id"] for z in hall["zones"]],
        "counter": [c["number"] for c in hall["counters"]],
        "facility": [f["id"] for f in facilities],
        "scene": [s["id"] for s in scenes],
        "kiosk": [k["id"] for k in hall.get("kiosks", [])],
    }
    for kind, values in listed.items():
        zh, en = _DUPLICATE_WORDS[kind]
        problems += [problem(where, f"{zh} {v} 重复", f"duplicate {en} {v}") for v in _duplicates(values)]
    for name, schedule in [("hours", hall["hours"]), *presets.items()]:
        problems += [
            problem(where, f"营业时间 {name} 有误：{p}", f"hours {name}: {p}")
            for p in hours.validate(schedule)
        ]
    try:
        hours.time_zone(hall.get("time_zone"))
    except ValueError:
        problems.append(
            problem(where, f"未知时区 {hall['time_zone']}", f"unknown time zone {hall['time_zone']}")
        )
    if not hours.calendar_years(hall.get("calendar", hours.DEFAULT_CALENDAR)):
        problems.append(
            problem(where, f"没有节假日日历 {hall['calendar']}", f"no holiday calendar {hall['calendar']}")
        )
    for z in hall["zones"]:
        if z["floor"] not in levels:
            problems.append(
                problem(
                    where,
                    f"区域 {z['id']} 所在楼层 {z['floor']} 不存在",
                    f"zone {z['id']} on missing floor {z['floor']}",
                )
            )
    zones = {z["id"] for z in hall["zones"]}
    for c in hall["counters"]:
        problems += _counter_problems(
            f"{where}/counters/{c['number']}", c, zones, presets, dept_ids, service_ids
        )
    for f in facilities:
        if f["floor"] not in levels:
            problems.append(
                problem(
                    where,
                    f"设施 {f['id']} 所在楼层 {f['floor']} 不存在",
                    f"facility {f['id']} on missing floor {f['floor']}",
                )
            )
        if isinstance(f.get("hours"), str) and f["hours"] not in presets:
            problems.append(
                problem(
                    where,
                    f"设施 {f['id']}：未知的营业时间预设 {f['hours']}",
                    f"facility {f['id']}: unknown hours preset {f['hours']}",
                )
            )
    for k in hall.get("kiosks", []):
        if k["floor"] not in levels:
            problems.append(
                problem(
                    where,
                    f"自助终端 {k['id']} 所在楼层 {k['floor']} 不存在",
                    f"kiosk {k['id']} on missing floor {k['floor']}",
                )
            )
    scene_ids = {s["id"] for s in scenes}
    for s in scenes:
        if s["floor"] not in levels:
            problems.append(
                problem(
                    where,
                    f"场景 {s['id']} 所在楼层 {s['floor']} 不存在",
                    f"scene {s['id']} on missing floor {s['floor']}",
                )
            )
        problems += [
            problem(where, f"场景 {s['id']} 链接到未知场景 {t}", f"scene {s['id']} links to unknown {t}")
            for t in s.get("links", [])
            if t not in scene_ids
        ]
    return problems


def _counter_problems(
    where: str, c: dict, zones: set[str], presets: dict, dept_ids: set[str], service_ids: set[str]
) -> list[dict[str, str]]:
    """The cross-reference problems of one counter entry: zone, departments, services, hours."""
    problems = []
    if c["zone"] not in zones:
        problems.append(problem(where, f"未知区域 {c['zone']}", f"unknown zone {c['zone']}"))
    if c.get("department") and c["department"] not in dept_ids:
        problems.append(
            problem(where, f"未知部门 {c['department']}", f"unknown department {c['department']}")
        )
    problems += [
        problem(where, f"未知事项 {sid}", f"unknown service {sid}")
        for sid in c.get("services", [])
        if sid not in service_ids
    ]
    problems += [
        problem(where, f"departments 中有未知部门 {did}", f"unknown department {did} in departments")
        for did in c.get("departments", [])
        if did not in dept_ids
    ]
    if isinstance(c.get("hours"), str) and c["hours"] not in presets:
        problems.append(
            problem(where, f"未知的营业时间预设 {c['hours']}", f"unknown hours preset {c['hours']}")
        )
    elif isinstance(c.get("hours"), dict):
        problems += [problem(where, f"营业时间有误：{p}", f"hours: {p}") for p in hours.validate(c["hours"])]
    return problems


def counter_service_ids(counter: dict, services: list[dict]) -> list[str]:
    """The services a counter entry handles: those it lists plus all of the departments it names."""
    ids = list(counter.get("services", []))
    departments = set(counter.get("departments", []))
    ids += [s["id"] for s in services if s["department"] in departments and s["id"] not in ids]
    return ids


def _resolve_hours(value: Any, hall: dict) -> dict:
    if value is None:
        return hall["hours"]
    if isinstance(value, str):
        return hall["hour_presets"][value]
    return value


def write(session: Session, data: dict[str, Any]) -> dict[str, int]:
    """Replace the demo halls, services and departments in *session* (the caller commits)."""
    hall_slugs = [h["slug"] for h in data["halls"]]
    previous, kept_scenes = _kept(session, hall_slugs)
    for obj in session.scalars(select(Hall).where(Hall.slug.in_(hall_slugs))):
        session.delete(obj)
    service_slugs = [s["id"] for s in data["services"]]
    for obj in session.scalars(select(ServiceItem).where(ServiceItem.slug.in_(service_slugs))):
        session.delete(obj)
    session.flush()

    departments = {d.code: d for d in session.scalars(select(Department))}
    for d in data["departments"]:
        departments[d["id"]] = _department(departments.get(d["id"]), d)
        session.add(departments[d["id"]])
    services = {s["id"]: _service(s, departments) for s in data["services"]}
    session.add_all(services.values())

    counts = {"departments": len(data["departments"]), "services": len(services), "halls": 0, "counters": 0}
    for h in data["halls"]:
        hall = _hall(h, previous.get(h["slug"], (0, None, None)))
        floors = {f["level"]: _floor(f) for f in h["floors"]}
        hall.floors = list(floors.values())
        zones = {z["id"]: _zone(z, floors) for z in h["zones"]}
        hall.zones = list(zones.values())
        hall.counters = [
            _counter(
                c, h, zones, departments, [services[sid] for sid in counter_service_ids(c, data["services"])]
            )
            for c in h["counters"]
        ]
        hall.facilities = [_facility(f, h, floors) for f in h.get("facilities", [])]
        hall.scenes = _scenes(h, floors, kept_scenes)
        hall.kiosks = [_kiosk(k, floors) for k in h.get("kiosks", [])]
        session.add(hall)
        counts["halls"] += 1
        counts["counters"] += len(hall.counters)
    problems = _too_long(session)
    if problems:
        raise DemoDataError(problems)
    bump_revision(session)
    return counts


def _too_long(session: Session) -> list[dict[str, str]]:
    """Text longer than its column, as problems: PostgreSQL refuses it (SQLite would keep it), and the
    schemas bound text only loosely. Where: ``<table>/<slug, code or number>/<column>``."""
    from sqlalchemy import inspect

    problems = []
    for obj in [*session.new, *session.dirty]:
        mapper = inspect(obj).mapper
        name = next((str(getattr(obj, key)) for key in ("slug", "code", "number") if hasattr(obj, key)), "")
        for attr in mapper.column_attrs:
            length = getattr(attr.columns[0].type, "length", None)
            value = getattr(obj, attr.key)
            if length and isinstance(value, str) and len(value) > length:
                problems.append(
                    problem(
                        "/".join(p for p in (mapper.local_table.name, name, attr.key) if p),
                        f"文字过长：{len(value)} 个字符，最多 {length} 个",
                        f"text too long: {len(value)} characters, at most {length}",
                    )
                )
    return sorted(problems, key=lambda p: p["where"])


# What a reload keeps of a hall: (published version, model sha, model published at).
_Previous = tuple[int, str | None, Any]


def _kept(
    session: Session, hall_slugs: list[str]
) -> tuple[dict[str, _Previous], dict[tuple[str, str], tuple]]:
    """What a reload of *hall_slugs* keeps: each hall's version counting up and its published model (the
    model is checked against the new content when it is next built or published), and each scene's panorama
    and staff hotspot corrections, by hall slug and scene code."""
    previous = {
        slug: (version, sha, at)
        for slug, version, sha, at in session.execute(
            select(Hall.slug, Hall.published_version, Hall.model_sha, Hall.model_published_at).where(
                Hall.slug.in_(hall_slugs)
            )
        )
    }
    kept_scenes = {
        (scene.hall.slug, scene.code): (
            scene.panorama,
            [(o.target, o.yaw, o.pitch, o.hidden) for o in scene.overrides],
        )
        for scene in session.scalars(select(Scene).join(Hall).where(Hall.slug.in_(hall_slugs)))
    }
    return previous, kept_scenes


def _department(dept: Department | None, d: dict) -> Department:
    """Department entry *d* written onto the existing row *dept* (departments are kept across reloads)."""
    dept = dept or Department(code=d["id"])
    dept.name_zh, dept.name_en, dept.phone = d["name"]["zh"], d["name"]["en"], d.get("phone")
    return dept


def _service(s: dict, departments: dict[str, Department]) -> ServiceItem:
    """A service item with its materials and guide, from services entry *s*."""
    item = ServiceItem(
        slug=s["id"],
        code=s["code"],
        name_zh=s["name"]["zh"],
        name_en=s["name"]["en"],
        department=departments[s["department"]],
        audience=s["audience"],
        item_type=s["type"],
        legal_limit_days=s["legal_limit_days"],
        promised_limit_days=s["promised_limit_days"],
        conditions=s["conditions"],
        process=s["process"],
        fees={"items": [], **s["fees"]},
        online_pc_url=s["online"]["pc"],
        online_mobile_url=s["online"]["mobile"],
        visits=s["visits"],
        appointment_supported=s["appointment"]["supported"],
        appointment_url=s["appointment"].get("url"),
        enquiry_phone=s["phones"]["enquiry"],
        complaint_phone=s["phones"]["complaint"],
        keywords=s.get("keywords", []),
        reform_2023=s.get("reform_2023", False),
    )
    item.materials = [
        Material(
            position=i,
            name=m["name"]["zh"],
            name_en=m["name"]["en"],
            required=m["required"],
            form=m["form"],
            medium=m["medium"],
            copies=m["copies"],
            notes=m["notes"]["zh"] if "notes" in m else None,
            notes_en=m["notes"]["en"] if "notes" in m else None,
        )
        for i, m in enumerate(s["materials"])
    ]
    guide = s["guide"]
    item.guide = ServiceGuide(
        summary_zh=guide["summary"]["zh"],
        summary_en=guide["summary"]["en"],
        steps=guide["steps"],
        faq=guide["faq"],
    )
    return item


def _hall(h: dict, previous: _Previous) -> Hall:
    """The hall row of hall file *h*, its version one past *previous* and its published model kept."""
    version, model_sha, model_published_at = previous
    return Hall(
        slug=h["slug"],
        name_zh=h["name"]["zh"],
        name_en=h["name"]["en"],
        short_name_zh=h.get("short_name", {}).get("zh"),
        short_name_en=h.get("short_name", {}).get("en"),
        address_zh=h["address"]["zh"],
        address_en=h["address"]["en"],
        phone=h["phone"],
        hours=h["hours"],
        time_zone=h.get("time_zone", "Asia/Shanghai"),
        calendar=h.get("calendar", "cn"),
        access=h.get("access"),
        hour_presets=h.get("hour_presets"),
        published_version=version + 1,
        model_sha=model_sha,
        model_published_at=model_published_at,
        published_at=func.now(),
    )


def _floor(f: dict) -> Floor:
    return Floor(level=f["level"], name_zh=f["name"]["zh"], name_en=f["name"]["en"], elevation=f["elevation"])


def _zone(z: dict, floors: dict[int, Floor]) -> Zone:
    return Zone(
        code=z["id"],
        name_zh=z["name"]["zh"],
        name_en=z["name"]["en"],
        floor=floors[z["floor"]],
        color=z.get("color"),
    )


def _counter(
    c: dict, h: dict, zones: dict[str, Zone], departments: dict[str, Department], services: list[ServiceItem]
) -> Counter:
    """Counter entry *c* of hall file *h*, on its zone's floor, handling *services*."""
    zone = zones[c["zone"]]
    return Counter(
        number=c["number"],
        name_zh=c["name"]["zh"],
        name_en=c["name"]["en"],
        type=c["type"],
        department=departments.get(c.get("department")),
        zone=zone,
        floor=zone.floor,
        status=c.get("status", "open"),
        status_notice_zh=c.get("notice", {}).get("zh"),
        status_notice_en=c.get("notice", {}).get("en"),
        hours=_resolve_hours(c.get("hours"), h),
        phone=c.get("phone"),
        low_counter=c.get("low_counter", False),
        node_name=f"counter:{c['number']}",
        services=services,
    )


def _facility(f: dict, h: dict, floors: dict[int, Floor]) -> Facility:
    return Facility(
        code=f["id"],
        type=f["type"],
        name_zh=f["name"]["zh"],
        name_en=f["name"]["en"],
        floor=floors[f["floor"]],
        description_zh=f.get("description", {}).get("zh"),
        description_en=f.get("description", {}).get("en"),
        hours=_resolve_hours(f["hours"], h) if "hours" in f else None,
        node_name=f"facility:{f['id']}",
    )


def _kiosk(k: dict, floors: dict[int, Floor]) -> Kiosk:
    """A demo kiosk (its position checked against the built model by tests/test_kiosks.py)."""
    return Kiosk(
        code=k["id"],
        floor=floors[k["floor"]],
        x=float(k["at"][0]),
        z=float(k["at"][1]),
        facing=float(k["facing"]),
        idle_seconds=k.get("idle_seconds", KIOSK_IDLE_DEFAULT),
        countdown_seconds=k.get("countdown_seconds", KIOSK_COUNTDOWN_DEFAULT),
        audio=k.get("audio", False),
    )


def _scenes(h: dict, floors: dict[int, Floor], kept_scenes: dict[tuple[str, str], tuple]) -> list[Scene]:
    """The scenes of hall file *h*, linked, each with the panorama and hotspot corrections it had before."""
    scenes = {}
    for s in h.get("scenes", []):
        x, y, z = s["position"]
        scene = Scene(
            code=s["id"],
            name_zh=s["name"]["zh"],
            name_en=s["name"]["en"],
            floor=floors[s["floor"]],
            x=x,
            y=y,
            z=z,
            heading=s["heading"],
        )
        panorama, overrides = kept_scenes.get((h["slug"], s["id"]), (None, []))
        scene.panorama = panorama
        scene.overrides = [
            HotspotOverride(target=t, yaw=yaw, pitch=pitch, hidden=hidden)
            for t, yaw, pitch, hidden in overrides
        ]
        scenes[s["id"]] = scene
    for s in h.get("scenes", []):
        scenes[s["id"]].links = [scenes[t] for t in s.get("links", [])]
    return list(scenes.values())


def load(session: Session, folder: Path = DEMO_DATA, *, fingerprint: str | None = None) -> dict[str, int]:
    """Check the demo files, then replace the demo content in one transaction; return what was written."""
    data = read(folder)
    with session.begin():
        counts = write(session, data)
        row = session.get(Meta, DIGEST_KEY) or Meta(key=DIGEST_KEY)
        row.value = fingerprint or digest(folder)
        session.add(row)
    return counts


def digest(folder: Path = DEMO_DATA) -> str:
    """A fingerprint of every demo file, to tell whether the loaded demo is current."""
    hasher = hashlib.sha256()
    for path in sorted(folder.rglob("*.yaml")):
        hasher.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return hasher.hexdigest()
