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

from ..catalogue import hours
from ..db import bump_revision
from ..models import (
    Counter,
    Department,
    Facility,
    Floor,
    Hall,
    HotspotOverride,
    Material,
    Meta,
    Scene,
    ServiceGuide,
    ServiceItem,
    Zone,
)
from .schema import schema_errors

DEMO_DATA = Path(__file__).parent / "data"
DIGEST_KEY = "demo_digest"


class DemoDataError(ValueError):
    """The demo files are inconsistent; ``problems`` lists every one found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the demo data:\n" + "\n".join(problems))
        self.problems = problems


def read(folder: Path = DEMO_DATA) -> dict[str, Any]:
    """Read and check every demo file under *folder*; raise DemoDataError listing all problems."""
    problems: list[str] = []

    def load(path: Path, kind: str) -> Any:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            problems.append(f"{path.name}: cannot read: {exc}")
            return None
        problems.extend(f"{path.relative_to(folder)}: {m}" for m in schema_errors(kind, data))
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


def _cross_check(departments: list[dict], services: list[dict], halls: list[dict]) -> list[str]:
    problems = []
    dept_ids = {d["id"] for d in departments}
    service_ids = {s["id"] for s in services}
    problems += [f"departments: duplicate id {d}" for d in _duplicates([d["id"] for d in departments])]
    problems += [f"services: duplicate id {s}" for s in _duplicates([s["id"] for s in services])]
    problems += [f"services: duplicate code {c}" for c in _duplicates([s["code"] for s in services])]
    problems += [
        f"services/{s['id']}: unknown department {s['department']}"
        for s in services
        if s["department"] not in dept_ids
    ]
    handled: set[str] = set()
    for hall in halls:
        where = f"halls/{hall['slug']}"
        levels = {f["level"] for f in hall["floors"]}
        zones = {z["id"]: z for z in hall["zones"]}
        presets = hall.get("hour_presets", {})
        problems += [
            f"{where}: duplicate floor {v}" for v in _duplicates([f["level"] for f in hall["floors"]])
        ]
        problems += [f"{where}: duplicate zone {v}" for v in _duplicates([z["id"] for z in hall["zones"]])]
        problems += [
            f"{where}: duplicate counter {v}" for v in _duplicates([c["number"] for c in hall["counters"]])
        ]
        facilities = hall.get("facilities", [])
        scenes = hall.get("scenes", [])
        problems += [f"{where}: duplicate facility {v}" for v in _duplicates([f["id"] for f in facilities])]
        problems += [f"{where}: duplicate scene {v}" for v in _duplicates([s["id"] for s in scenes])]
        for name, schedule in [("hours", hall["hours"]), *presets.items()]:
            problems += [f"{where}: hours {name}: {p}" for p in hours.validate(schedule)]
        for z in hall["zones"]:
            if z["floor"] not in levels:
                problems.append(f"{where}: zone {z['id']} on missing floor {z['floor']}")
        for c in hall["counters"]:
            at = f"{where}: counter {c['number']}"
            if c["zone"] not in zones:
                problems.append(f"{at}: unknown zone {c['zone']}")
            if c.get("department") and c["department"] not in dept_ids:
                problems.append(f"{at}: unknown department {c['department']}")
            for sid in c.get("services", []):
                if sid not in service_ids:
                    problems.append(f"{at}: unknown service {sid}")
            for did in c.get("departments", []):
                if did not in dept_ids:
                    problems.append(f"{at}: unknown department {did} in departments")
            if isinstance(c.get("hours"), str) and c["hours"] not in presets:
                problems.append(f"{at}: unknown hours preset {c['hours']}")
            elif isinstance(c.get("hours"), dict):
                problems += [f"{at}: hours: {p}" for p in hours.validate(c["hours"])]
            handled.update(counter_service_ids(c, services))
        for f in facilities:
            if f["floor"] not in levels:
                problems.append(f"{where}: facility {f['id']} on missing floor {f['floor']}")
            if isinstance(f.get("hours"), str) and f["hours"] not in presets:
                problems.append(f"{where}: facility {f['id']}: unknown hours preset {f['hours']}")
        scene_ids = {s["id"] for s in scenes}
        for s in scenes:
            if s["floor"] not in levels:
                problems.append(f"{where}: scene {s['id']} on missing floor {s['floor']}")
            problems += [
                f"{where}: scene {s['id']} links to unknown {t}"
                for t in s.get("links", [])
                if t not in scene_ids
            ]
    problems += [
        f"services/{sid}: no counter in any hall handles it" for sid in sorted(service_ids - handled)
    ]
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
    service_slugs = [s["id"] for s in data["services"]]
    # A reload keeps each hall's version counting up and its published model (the model is checked
    # against the new content when it is next built or published).
    previous = {
        slug: (version, sha, at)
        for slug, version, sha, at in session.execute(
            select(Hall.slug, Hall.published_version, Hall.model_sha, Hall.model_published_at).where(
                Hall.slug.in_(hall_slugs)
            )
        )
    }
    # Panoramas and staff hotspot corrections belong to a scene by its code; a reload keeps them.
    kept_scenes = {
        (scene.hall.slug, scene.code): (
            scene.panorama,
            [(o.target, o.yaw, o.pitch, o.hidden) for o in scene.overrides],
        )
        for scene in session.scalars(select(Scene).join(Hall).where(Hall.slug.in_(hall_slugs)))
    }
    for obj in session.scalars(select(Hall).where(Hall.slug.in_(hall_slugs))):
        session.delete(obj)
    for obj in session.scalars(select(ServiceItem).where(ServiceItem.slug.in_(service_slugs))):
        session.delete(obj)
    session.flush()

    departments = {d.code: d for d in session.scalars(select(Department))}
    for d in data["departments"]:
        dept = departments.get(d["id"]) or Department(code=d["id"])
        dept.name_zh, dept.name_en, dept.phone = d["name"]["zh"], d["name"]["en"], d.get("phone")
        departments[d["id"]] = dept
        session.add(dept)

    services = {}
    for s in data["services"]:
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
                name=m["name"],
                required=m["required"],
                form=m["form"],
                medium=m["medium"],
                copies=m["copies"],
                notes=m.get("notes"),
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
        services[s["id"]] = item
        session.add(item)

    counts = {"departments": len(data["departments"]), "services": len(services), "halls": 0, "counters": 0}
    for h in data["halls"]:
        hall = Hall(
            slug=h["slug"],
            name_zh=h["name"]["zh"],
            name_en=h["name"]["en"],
            short_name_zh=h.get("short_name", {}).get("zh"),
            short_name_en=h.get("short_name", {}).get("en"),
            address_zh=h["address"]["zh"],
            address_en=h["address"]["en"],
            phone=h["phone"],
            hours=h["hours"],
            published_version=previous.get(h["slug"], (0, None, None))[0] + 1,
            model_sha=previous.get(h["slug"], (0, None, None))[1],
            model_published_at=previous.get(h["slug"], (0, None, None))[2],
            published_at=func.now(),
        )
        floors = {
            f["level"]: Floor(
                level=f["level"], name_zh=f["name"]["zh"], name_en=f["name"]["en"], elevation=f["elevation"]
            )
            for f in h["floors"]
        }
        hall.floors = list(floors.values())
        zones = {
            z["id"]: Zone(
                code=z["id"],
                name_zh=z["name"]["zh"],
                name_en=z["name"]["en"],
                floor=floors[z["floor"]],
                color=z.get("color"),
            )
            for z in h["zones"]
        }
        hall.zones = list(zones.values())
        for c in h["counters"]:
            zone = zones[c["zone"]]
            hall.counters.append(
                Counter(
                    number=c["number"],
                    name_zh=c["name"]["zh"],
                    name_en=c["name"]["en"],
                    type=c["type"],
                    department=departments.get(c.get("department")),
                    zone=zone,
                    floor=zone.floor,
                    status=c.get("status", "open"),
                    hours=_resolve_hours(c.get("hours"), h),
                    phone=c.get("phone"),
                    low_counter=c.get("low_counter", False),
                    node_name=f"counter:{c['number']}",
                    services=[services[sid] for sid in counter_service_ids(c, data["services"])],
                )
            )
            counts["counters"] += 1
        for f in h.get("facilities", []):
            hall.facilities.append(
                Facility(
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
            )
        scenes = {}
        for s in h.get("scenes", []):
            x, y, z = s["position"]
            scenes[s["id"]] = Scene(
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
            scenes[s["id"]].panorama = panorama
            scenes[s["id"]].overrides = [
                HotspotOverride(target=t, yaw=yaw, pitch=pitch, hidden=hidden)
                for t, yaw, pitch, hidden in overrides
            ]
        for s in h.get("scenes", []):
            scenes[s["id"]].links = [scenes[t] for t in s.get("links", [])]
        hall.scenes = list(scenes.values())
        session.add(hall)
        counts["halls"] += 1
    bump_revision(session)
    return counts


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
