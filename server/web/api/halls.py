"""Halls and their counters."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...catalogue import hours
from ...catalogue.queries import load_hall
from ...config import now as clock_now
from ...db import current_revision, get_session
from ...errors import not_found
from ...models import Counter, Hall, ServiceItem
from ..compression import Body
from . import bp
from .documents import counter_doc, hall_doc, hall_summary, with_states
from .http import (
    cached_json,
    counter_number_arg,
    encode,
    json_response,
    reject_unknown_args,
    single_flight,
    slug_arg,
)


def get_hall(slug: str) -> Hall:
    """The hall *slug* with its document's relations loaded; 404 if there is none."""
    hall = load_hall(get_session(), slug_arg(slug, "hall"))
    if hall is None:
        raise not_found("大厅", "Hall", slug)
    return hall


@bp.get("/halls")
def list_halls():
    """Every hall, in a short form."""
    reject_unknown_args()
    session = get_session()

    def build():
        halls = session.scalars(
            select(Hall).options(selectinload(Hall.floors), selectinload(Hall.counters)).order_by(Hall.id)
        ).all()
        return {"halls": [hall_summary(h) for h in halls]}

    return cached_json(("halls",), build)


@bp.get("/halls/<slug>")
def hall(slug: str):
    """The whole hall document, with each counter's opening state now."""
    reject_unknown_args()
    body, changes_at = hall_doc_body(slug_arg(slug, "hall"))
    return json_response(body, max_age=max_age_until(changes_at))


@bp.get("/halls/<slug>/states")
def states(slug: str):
    """Each counter's opening state now and when it may next change: the tour asks again then."""
    reject_unknown_args()
    answer = hall_states(slug_arg(slug, "hall"))
    return json_response(encode(answer), max_age=max_age_until(answer["changes_at"]))


def build_hall_doc(slug: str) -> dict:
    """The hall document of *slug* without opening states (404 when there is none)."""
    record = get_hall(slug)
    return hall_doc(record, current_app.extensions["hall_models"].get(record))


def base_hall_doc(slug: str) -> dict:
    """The hall document of *slug* without states, built once per catalogue revision in this process."""
    cache = current_app.extensions.setdefault("hall_docs", {})
    revision = current_revision()

    def lookup():
        hit = cache.get(slug)
        return hit[1] if hit is not None and hit[0] == revision else None

    def build():
        doc = build_hall_doc(slug)
        cache[slug] = (revision, doc)
        return doc

    # Built once per revision in this process, by one thread; other halls' requests never wait for it.
    return single_flight(("hall doc", slug, revision), lookup, build)


def hall_states(slug: str) -> dict[str, Any]:
    """``{"hall", "time_zone", "now", "changes_at", "hall_state", "counters": {number: state}}`` at the clock's
    now (``hall_state``: the hall's own hours).

    States hold until ``changes_at`` (the earliest change of any counter), so one computation serves every
    request of that window; a clock that moved back (tests) computes afresh.
    """
    doc = base_hall_doc(slug)
    now = clock_now()
    cache = current_app.extensions.setdefault("hall_states", {})
    key = (slug, current_revision())
    hit = cache.get(key)
    if hit is not None and hit[0] <= now and (hit[1] is None or now < hit[1]):
        return {**hit[2], "now": now.astimezone(hours.time_zone(doc["time_zone"])).isoformat()}
    counters = {
        c["number"]: hours.state(
            c["hours"], c["status"], now, tz=doc["time_zone"], calendar_name=doc["calendar"]
        )
        for c in doc["counters"]
    }
    # The hall's own doors (its hours, the same rule): open, lunch break, closed for the day, a holiday.
    building = hours.state(doc["hours"], "open", now, tz=doc["time_zone"], calendar_name=doc["calendar"])
    changes = [
        datetime.fromisoformat(s["changes_at"]) for s in [*counters.values(), building] if s["changes_at"]
    ]
    until = min(changes) if changes else None
    answer = {
        "hall": slug,
        "time_zone": doc["time_zone"],
        "changes_at": until.isoformat() if until else None,
        "hall_state": building,
        "counters": counters,
    }
    if len(cache) > 64:  # old revisions
        cache.clear()
    cache[key] = (now, until, answer)
    return {**answer, "now": now.astimezone(hours.time_zone(doc["time_zone"])).isoformat()}


def hall_doc_body(slug: str) -> tuple[Body, str | None]:
    """The hall document's bytes and ETag with the states now, cached until they change; and that moment."""
    answer = hall_states(slug)
    body = current_app.extensions["api_cache"].get(
        ("hall", slug, current_revision(), answer["changes_at"]),
        lambda: with_states(base_hall_doc(slug), answer),
    )
    return body, answer["changes_at"]


def cached_hall_doc(slug: str) -> dict:
    """The hall document with its states now (the same bytes the API serves), parsed."""
    body, _changes_at = hall_doc_body(slug)
    return json.loads(body.data)


def max_age_until(changes_at: str | None) -> int:
    """Seconds an answer that holds until *changes_at* may be reused: the API's usual, never past it."""
    usual = current_app.config["API_MAX_AGE"]
    if changes_at is None:
        return usual
    left = (datetime.fromisoformat(changes_at) - clock_now()).total_seconds()
    return max(0, min(usual, int(left)))


@bp.get("/halls/<slug>/counters/<number>")
def counter(slug: str, number: str):
    """One counter with its services in full and today's opening."""
    reject_unknown_args()
    session = get_session()
    hall_id = session.scalar(select(Hall.id).where(Hall.slug == slug_arg(slug, "hall")))
    if hall_id is None:
        raise not_found("大厅", "Hall", slug)
    number = counter_number_arg(number)
    item = session.scalar(
        select(Counter)
        .where(Counter.hall_id == hall_id, Counter.number == number)
        .options(
            selectinload(Counter.services).selectinload(ServiceItem.materials),
            selectinload(Counter.services).selectinload(ServiceItem.guide),
            selectinload(Counter.services).joinedload(ServiceItem.department),
        )
    )
    if item is None:
        raise not_found("窗口", "Counter", f"{slug}/{number}")
    hall_row = session.get(Hall, hall_id)
    now = clock_now()
    doc = counter_doc(item, full_services=True)
    doc["hall"] = slug
    doc["today"] = hours.today(item.hours, now, tz=hall_row.time_zone, calendar_name=hall_row.calendar)
    doc["state"] = hours.state(
        item.hours, item.status, now, tz=hall_row.time_zone, calendar_name=hall_row.calendar
    )
    # "today" and "state" move with the clock, so this answer is kept briefly.
    return json_response(encode(doc), max_age=min(30, max_age_until(doc["state"]["changes_at"])))
