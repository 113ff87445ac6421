"""Halls and their counters."""

from __future__ import annotations

import json

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...catalogue import hours
from ...catalogue.queries import load_hall
from ...db import current_revision, get_session
from ...errors import not_found
from ...models import Counter, Hall, ServiceItem
from . import bp
from .documents import counter_doc, hall_doc, hall_summary
from .http import cached_json, counter_number_arg, encode, json_response, reject_unknown_args, slug_arg


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
    """The whole hall document."""
    reject_unknown_args()
    slug_arg(slug, "hall")
    return cached_json(("hall", slug), lambda: build_hall_doc(slug))


def build_hall_doc(slug: str) -> dict:
    """The hall document of *slug* (404 when there is none); callers cache it per catalogue revision."""
    record = get_hall(slug)
    return hall_doc(record, current_app.extensions["hall_models"].get(record))


def cached_hall_doc(slug: str) -> dict:
    """The hall document from this process's cache (the same bytes the API serves), parsed."""
    body = current_app.extensions["api_cache"].get(
        ("hall", slug, current_revision()), lambda: build_hall_doc(slug)
    )
    return json.loads(body.data)


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
    doc = counter_doc(item, full_services=True)
    doc["hall"] = slug
    doc["today"] = hours.today(item.hours)
    # "today" moves with the clock, so this answer is kept briefly.
    return json_response(encode(doc), max_age=min(30, current_app.config["API_MAX_AGE"]))
