"""The JSON documents the public API serves, built from the database.

Bilingual fields come out as ``{"zh": …, "en": …}``. Service items are named by their stable slug
(``"id"``), counters by hall and printed number.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session, selectinload

from ...catalogue import hours, markdown
from ...models import Counter, Department, Facility, Floor, Hall, Scene, ServiceItem, counter_services
from ...publishing.halldata import link_rows
from ...publishing.scenes import scene_hotspots
from ...urls import panorama_problem, safe_link


def pair(zh: str | None, en: str | None) -> dict[str, str] | None:
    """A bilingual value, or None when there is none."""
    return None if zh is None else {"zh": zh, "en": en or zh}


def links(addresses: dict[str, str | None]) -> dict[str, Any]:
    """*addresses* with each one a page may not link to replaced by None; the refused ones, as text to show
    as text, under ``unlinked`` (present only when some were refused)."""
    shown = {key: safe_link(value) for key, value in addresses.items()}
    refused = {key: value for key, value in addresses.items() if value and shown[key] is None}
    return {**shown, "unlinked": refused} if refused else shown


def department_doc(department: Department | None) -> dict[str, Any] | None:
    if department is None:
        return None
    return {
        "id": department.code,
        "name": pair(department.name_zh, department.name_en),
        "phone": department.phone,
    }


def hall_summary(hall: Hall) -> dict[str, Any]:
    """The short form of a hall, as listed by ``GET /halls``."""
    return {
        "slug": hall.slug,
        "name": pair(hall.name_zh, hall.name_en),
        "short_name": pair(hall.short_name_zh, hall.short_name_en),
        "address": pair(hall.address_zh, hall.address_en),
        "phone": hall.phone,
        "hours": hall.hours,
        "time_zone": hall.time_zone,
        "calendar": hall.calendar,
        "access": hall.access,
        "floor_count": len(hall.floors),
        "counter_count": len(hall.counters),
        "published_version": hall.published_version,
        "url": f"/api/v1/halls/{hall.slug}",
    }


def counter_doc(counter: Counter, *, full_services: bool = False) -> dict[str, Any]:
    """A counter; with *full_services* its services in full, otherwise their ids."""
    doc = {
        "number": counter.number,
        "name": pair(counter.name_zh, counter.name_en),
        "type": counter.type,
        "department": department_doc(counter.department),
        "zone": counter.zone.code,
        "floor": counter.floor.level,
        "status": counter.status,
        "notice": pair(counter.status_notice_zh, counter.status_notice_en),
        "hours": counter.hours,
        "hours_summary": hours.summary(counter.hours),
        "phone": counter.phone,
        "low_counter": counter.low_counter,
        "node": counter.node_name,
    }
    if full_services:
        doc["services"] = [service_doc(s, with_counters=False) for s in counter.services]
    else:
        doc["services"] = [s.slug for s in counter.services]
    return doc


def with_states(doc: dict[str, Any], states: dict[str, Any]) -> dict[str, Any]:
    """The hall document *doc* with each counter's opening *states* (``halls.hall_states``) laid in."""
    counters = states["counters"]
    return {
        **doc,
        "counters": [{**c, "state": counters.get(c["number"])} for c in doc["counters"]],
        "opening": {
            "time_zone": states["time_zone"],
            "changes_at": states["changes_at"],
            "hall": states["hall_state"],
            "url": f"/api/v1/halls/{doc['slug']}/states",
        },
    }


def placement(model, name: str) -> dict[str, Any] | None:
    """Where the model puts node *name*: anchor (x, y, z), standing point (x, z), facing bearing."""
    info = model.geometry.nodes.get(name) if model is not None else None
    if info is None:
        return None
    return {
        "anchor": [round(v, 3) for v in info.anchor],
        "standing": [round(v, 3) for v in info.standing] if info.standing else None,
        "facing": round(info.facing, 1) if info.facing is not None else None,
    }


def hall_doc(hall: Hall, model=None) -> dict[str, Any]:
    """The whole hall: what the tour, the minimap and the kiosk need in one document. With the hall's
    derived *model*, counters and facilities carry their placement and floors their plan URLs."""
    doc = hall_summary(hall)
    doc["floors"] = [
        {
            "level": f.level,
            "name": pair(f.name_zh, f.name_en),
            "elevation": f.elevation,
            "plan_url": f"/api/v1/halls/{hall.slug}/floors/{f.level}/plan.svg" if model is not None else None,
        }
        for f in hall.floors
    ]
    doc["zones"] = [
        {"id": z.code, "name": pair(z.name_zh, z.name_en), "floor": z.floor.level, "color": z.color}
        for z in sorted(hall.zones, key=lambda z: (z.floor.level, z.code))
    ]
    doc["counters"] = [{**counter_doc(c), "placement": placement(model, c.node_name)} for c in hall.counters]
    doc["facilities"] = [
        {
            "id": f.code,
            "type": f.type,
            "name": pair(f.name_zh, f.name_en),
            "floor": f.floor.level,
            "description": pair(f.description_zh, f.description_en),
            "hours": f.hours,
            "node": f.node_name,
            "placement": placement(model, f.node_name),
        }
        for f in sorted(hall.facilities, key=lambda f: (f.floor.level, f.code))
    ]
    codes = {s.id: s.code for s in hall.scenes}
    arrivals: dict[int, dict[str, Any]] = {}
    for (source, target), (yaw, pitch) in link_rows(object_session(hall), hall).items():
        if target in codes and yaw is not None and pitch is not None:
            arrivals.setdefault(source, {})[codes[target]] = {"yaw": yaw, "pitch": pitch}
    doc["scenes"] = [
        {**scene_doc(s, arrivals.get(s.id, {})), "hotspots": scene_hotspots(model, hall, s)}
        for s in sorted(hall.scenes, key=lambda s: (s.floor.level, s.code))
    ]
    doc["model_url"] = (
        f"/api/v1/halls/{hall.slug}/model.glb?v={hall.model_sha[:16]}"
        if hall.model_sha and model is not None
        else None
    )
    return doc


def scene_doc(scene: Scene, arrivals: dict[str, Any] | None = None) -> dict[str, Any]:
    """A scene for the tour: ``initial_view`` the view it opens at (or null), ``arrivals`` the view on
    arriving through each of its links that has one (link target code: {yaw, pitch})."""
    initial = (
        {"yaw": scene.initial_yaw, "pitch": scene.initial_pitch}
        if scene.initial_yaw is not None and scene.initial_pitch is not None
        else None
    )
    return {
        "id": scene.code,
        "name": pair(scene.name_zh, scene.name_en),
        "floor": scene.floor.level,
        "position": [scene.x, scene.y, scene.z],
        "heading": scene.heading,
        "links": [s.code for s in scene.links],
        "initial_view": initial,
        "arrivals": dict(sorted((arrivals or {}).items())),
        # A stored config whose placeholder or path fails the rule (written past the ORM) is not shown.
        "tiles": dict(scene.panorama)
        if scene.panorama and panorama_problem(scene.panorama) is None
        else None,
    }


def service_doc(service: ServiceItem, *, with_counters: bool = True) -> dict[str, Any]:
    """A service item in full: catalogue fields, plain-language guide, online and appointment addresses."""
    guide = service.guide
    doc = {
        "id": service.slug,
        "code": service.code,
        "name": pair(service.name_zh, service.name_en),
        "department": department_doc(service.department),
        "audience": service.audience,
        "type": service.item_type,
        "time_limit": {"legal_days": service.legal_limit_days, "promised_days": service.promised_limit_days},
        "conditions": service.conditions,
        "process": service.process,
        "materials": [
            {
                "name": pair(m.name, m.name_en),
                "required": m.required,
                "form": m.form,
                "medium": m.medium,
                "copies": m.copies,
                "notes": pair(m.notes, m.notes_en),
            }
            for m in service.materials
        ],
        "fees": service.fees,
        # Links only where the rule allows them (server/urls.py); a refused address is given as text only.
        "online": links({"pc": service.online_pc_url, "mobile": service.online_mobile_url}),
        "visits": service.visits,
        "appointment": {
            "supported": service.appointment_supported,
            **links({"url": service.appointment_url}),
        },
        "phones": {"enquiry": service.enquiry_phone, "complaint": service.complaint_phone},
        "keywords": service.keywords,
        "reform_2023": service.reform_2023,
        "guide": None
        if guide is None
        else {
            "summary": pair(guide.summary_zh, guide.summary_en),
            # The Markdown subset as a token tree (catalogue.markdown): what the panel renders, as text nodes.
            "summary_doc": {"zh": markdown.tree(guide.summary_zh), "en": markdown.tree(guide.summary_en)},
            "steps": guide.steps,
            "faq": guide.faq,
        },
    }
    if with_counters:
        doc["counters"] = [
            counter_ref(c) for c in sorted(service.counters, key=lambda c: (c.hall.slug, c.number))
        ]
    return doc


def counter_ref(counter: Counter) -> dict[str, Any]:
    """A counter as named from elsewhere: enough to show it in a list and to go there."""
    return {
        "hall": counter.hall.slug,
        "hall_name": pair(counter.hall.name_zh, counter.hall.name_en),
        "number": counter.number,
        "name": pair(counter.name_zh, counter.name_en),
        "floor": counter.floor.level,
        "zone": counter.zone.code,
        "status": counter.status,
        "hours_summary": hours.summary(counter.hours),
        "url": f"/api/v1/halls/{counter.hall.slug}/counters/{counter.number}",
    }


def floor_label(floor: Floor) -> dict[str, str]:
    """The hall's name of *floor*: 一楼 / Ground floor."""
    return {"zh": floor.name_zh, "en": floor.name_en}


def search_sources(session: Session) -> tuple[list[dict], list[dict], list[dict]]:
    """Every service item, counter and facility as the plain dicts that ``search.Index.build`` takes.

    In id order: equal scores keep this order, and without ORDER BY PostgreSQL answers rows in the order they
    sit on disk, which an update changes."""
    services = session.scalars(
        select(ServiceItem)
        .options(
            selectinload(ServiceItem.department),
            selectinload(ServiceItem.counters).joinedload(Counter.hall),
            selectinload(ServiceItem.counters).joinedload(Counter.floor),
        )
        .order_by(ServiceItem.id)
    ).all()
    counters = session.scalars(
        select(Counter)
        .options(
            selectinload(Counter.hall),
            selectinload(Counter.department),
            selectinload(Counter.zone),
            selectinload(Counter.floor),
        )
        .order_by(Counter.id)
    ).all()
    # How many services each counter takes: a counter with fewer is the more specific place to go.
    taken = dict(
        session.execute(
            select(counter_services.c.counter_id, func.count()).group_by(counter_services.c.counter_id)
        ).all()
    )
    service_rows = [
        {
            "id": s.slug,
            "name_zh": s.name_zh,
            "name_en": s.name_en,
            "department_zh": s.department.name_zh,
            "department": department_doc(s.department),
            "keywords": s.keywords,
            "reform_2023": s.reform_2023,
            "counters": [
                {
                    "hall": c.hall.slug,
                    "number": c.number,
                    "name": pair(c.name_zh, c.name_en),
                    "type": c.type,
                    "floor": c.floor.level,
                    "floor_name": floor_label(c.floor),
                    "status": c.status,
                    "services_count": taken.get(c.id, 0),
                }
                for c in sorted(s.counters, key=lambda c: (c.hall.slug, c.number))
            ],
        }
        for s in services
    ]
    counter_rows = [
        {
            "hall": c.hall.slug,
            "number": c.number,
            "name_zh": c.name_zh,
            "name_en": c.name_en,
            "department_zh": c.department.name_zh if c.department else None,
            "department": department_doc(c.department),
            "zone_zh": c.zone.name_zh,
            "type": c.type,
            "floor": c.floor.level,
            "floor_name": floor_label(c.floor),
            "status": c.status,
        }
        for c in counters
    ]
    facilities = session.scalars(
        select(Facility)
        .options(selectinload(Facility.hall), selectinload(Facility.floor))
        .order_by(Facility.id)
    ).all()
    facility_rows = [
        {
            "hall": f.hall.slug,
            "id": f.code,
            "type": f.type,
            "name_zh": f.name_zh,
            "name_en": f.name_en,
            "description_zh": f.description_zh,
            "description_en": f.description_en,
            "floor": f.floor.level,
            "floor_name": floor_label(f.floor),
        }
        for f in facilities
    ]
    return service_rows, counter_rows, facility_rows
