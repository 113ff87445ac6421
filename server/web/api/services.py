"""Service items and search."""

from __future__ import annotations

import io
import re
from datetime import datetime

import segno
from flask import current_app, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...catalogue import search as search_module
from ...db import current_revision, get_session, search_revision
from ...errors import ApiError, bad_parameter, not_found
from ...models import Counter, Hall, ServiceItem
from ...urls import safe_link
from . import bp
from .documents import search_sources, service_doc
from .halls import hall_states, max_age_until
from .http import (
    BodyCache,
    cached_json,
    cached_text,
    int_arg,
    json_response,
    query_text,
    reject_unknown_args,
    slug_arg,
)


def get_service(slug: str) -> ServiceItem:
    """The service item *slug* with its guide, materials and counters; 404 if there is none."""
    service = get_session().scalar(
        select(ServiceItem)
        .where(ServiceItem.slug == slug_arg(slug, "id"))
        .options(
            selectinload(ServiceItem.materials),
            selectinload(ServiceItem.guide),
            selectinload(ServiceItem.department),
            selectinload(ServiceItem.counters).joinedload(Counter.hall),
            selectinload(ServiceItem.counters).joinedload(Counter.floor),
            selectinload(ServiceItem.counters).joinedload(Counter.zone),
        )
    )
    if service is None:
        raise not_found("事项", "Service item", slug)
    return service


@bp.get("/services/<slug>")
def service(slug: str):
    """One service item in full, with every counter (and its hall) that handles it."""
    reject_unknown_args()
    slug_arg(slug, "id")
    return cached_json(("service", slug), lambda: service_doc(get_service(slug)))


@bp.get("/search")
def search():
    """Ranked services, counters and facilities for ``q``; with ``hall``, counters and facilities of that hall."""
    reject_unknown_args("q", "hall", "limit")
    q = query_text("q", required=True)
    hall = request_hall()
    limit = int_arg("limit", default=current_app.config["SEARCH_LIMIT"], low=1, high=50)
    revision = current_revision()
    # The ranking moves only with the catalogue; the counters' states move with the clock. So the ranked
    # answer is kept per revision, and the states (halls.hall_states: the one rule, itself cached until it
    # may change) are laid in per request; the body is kept per revision and state window, compressed once.
    ranked = _ranked_answers().get(
        ("search", q, hall, limit, revision), lambda: _results(current_index(), q, hall, limit), _keep
    )
    states = {slug: hall_states(slug) for slug in _halls_of(ranked)}
    windows = tuple((slug, answer["changes_at"]) for slug, answer in states.items())
    body = current_app.extensions["api_cache"].get(
        ("search", q, hall, limit, windows, revision), lambda: with_states(ranked, states)
    )
    changes = [answer["changes_at"] for answer in states.values() if answer["changes_at"]]
    return json_response(body, max_age=max_age_until(min(changes) if changes else None))


def _ranked_answers() -> BodyCache:
    """This process's ranked search answers without states (a bounded LRU, like the bodies)."""
    return current_app.extensions["search_answers"]


def _keep(answer: dict) -> dict:
    return answer


def _halls_of(answer: dict) -> list[str]:
    """The halls whose counters *answer* names, in order."""
    named = {c["hall"] for s in answer["services"] for c in s["counters"]}
    named.update(c["hall"] for c in answer["counters"])
    return sorted(named)


def with_states(answer: dict, states: dict[str, dict]) -> dict:
    """The ranked *answer* with each counter's opening state now (``hall_states`` of its hall) laid in, and
    ``changes_at``, the earliest moment one of them may change."""

    def state(c: dict) -> dict | None:
        return states[c["hall"]]["counters"].get(c["number"])

    changes = [s["changes_at"] for s in states.values() if s["changes_at"]]
    return {
        **answer,
        "services": [
            {**s, "counters": [{**c, "state": state(c)} for c in s["counters"]]} for s in answer["services"]
        ],
        "counters": [{**c, "state": state(c)} for c in answer["counters"]],
        "changes_at": min(changes, key=datetime.fromisoformat) if changes else None,
    }


def current_index() -> search_module.Index:
    """This process's search index for the current revision of what search reads (built on first use; a
    model publish does not change it)."""
    return current_app.extensions["search_index"].get(
        search_revision(), lambda: search_module.Index.build(*search_sources(get_session()))
    )


def request_hall() -> str | None:
    """The optional ``hall`` parameter, which must name an existing hall (404 otherwise, as in a path)."""
    hall = request.args.get("hall")
    if hall is None:
        return None
    slug_arg(hall, "hall")  # an empty or blank one is malformed too, as the document says
    if get_session().scalar(select(Hall.id).where(Hall.slug == hall)) is None:
        raise not_found("大厅", "Hall", hall)
    return hall


def _service_result(p: dict, hall: str | None) -> dict:
    """A service item as a search result (without its score): its counters, of *hall* when given, best first."""
    counters = search_module.rank_counters(p, [c for c in p["counters"] if hall is None or c["hall"] == hall])
    return {
        "id": p["id"],
        "name": {"zh": p["name_zh"], "en": p["name_en"]},
        "department": p["department"],
        "available_here": None if hall is None else bool(counters),
        "counters": counters,  # the best place to go first
        "best_counter": f"counter:{counters[0]['number']}" if hall and counters else None,
        "url": f"/api/v1/services/{p['id']}",
    }


def _counter_result(p: dict) -> dict:
    return {
        "hall": p["hall"],
        "number": p["number"],
        "name": {"zh": p["name_zh"], "en": p["name_en"]},
        "department": p["department"],
        "floor": p["floor"],
        "floor_name": p["floor_name"],
        "status": p["status"],
        "url": f"/api/v1/halls/{p['hall']}/counters/{p['number']}",
    }


def _facility_result(p: dict) -> dict:
    return {
        "hall": p["hall"],
        "id": p["id"],
        "type": p["type"],
        "name": {"zh": p["name_zh"], "en": p["name_en"]},
        "floor": p["floor"],
        "floor_name": p["floor_name"],
        "target": f"facility:{p['id']}",
    }


def result(kind: str, payload: dict, hall: str | None) -> dict:
    """An index entry's payload as the search answers it (without score and match); *hall* as asked."""
    if kind == "service":
        return _service_result(payload, hall)
    return _counter_result(payload) if kind == "counter" else _facility_result(payload)


def _results(index: search_module.Index, q: str, hall: str | None, limit: int) -> dict:
    ranked = index.search(q, hall=hall, limit=limit)
    services, counters, facilities = (
        [
            {**result(e.kind, e.payload, hall), "score": round(score, 2), "match": how}
            for score, how, e in ranked[plural]
        ]
        for plural in ("services", "counters", "facilities")
    )
    suggestions = []
    if not services and not counters and not facilities:
        suggestions = [
            {
                "id": s["id"],
                "name": {"zh": s["name_zh"], "en": s["name_en"]},
                "url": f"/api/v1/services/{s['id']}",
            }
            for s in index.suggestions(hall=hall)
        ]
    return {
        "query": q,
        "hall": hall,
        "services": services,
        "counters": counters,
        "facilities": facilities,
        "suggestions": suggestions,
    }


@bp.get("/halls/<slug>/search-index")
def search_index(slug: str):
    """A hall's search for a kiosk without the server: its services, counters and facilities with the search
    index's strings (pinyin and initials worked out) and each one's result as ``/search?hall=`` gives it.
    Kept by the kiosk's service worker with the rest of a version (``web/src/kiosk/offlineSet.js``)."""
    reject_unknown_args()
    hall = slug_arg(slug, "hall")
    if get_session().scalar(select(Hall.id).where(Hall.slug == hall)) is None:
        raise not_found("大厅", "Hall", hall)

    def build() -> dict:
        index = current_index()
        payloads = {e.key: e for e in index.entries}
        entries = index.offline(hall)
        for entry in entries:
            entry["result"] = result(entry["kind"], payloads[entry["key"]].payload, hall)
        return {"hall": hall, "entries": entries}

    return cached_json(("search-index", hall), build)


QR_TARGETS = ("mobile", "pc", "appointment")


@bp.get("/services/<slug>/qr.svg")
def service_qr(slug: str):
    """A QR code (SVG) of the service's online-application address, so a kiosk or desktop hands off to a phone."""
    reject_unknown_args("for")
    target = request.args.get("for", "mobile")
    if target not in QR_TARGETS:
        raise bad_parameter("for", "应为 mobile、pc 或 appointment", "must be mobile, pc or appointment")
    slug_arg(slug, "id")

    def build() -> str:
        service = get_service(slug)
        url = {
            "mobile": service.online_mobile_url,
            "pc": service.online_pc_url,
            "appointment": service.appointment_url if service.appointment_supported else None,
        }[target]
        if not url:
            raise not_found("预约地址", "Appointment address", slug)
        if safe_link(url) is None:  # stored past the write check: never handed to a phone as a code
            raise not_found("可用的办理地址", "Usable address", slug)
        return qr_svg(url)

    return cached_text(("qr", slug, target), build, "image/svg+xml")


def qr_svg(url: str) -> str:
    """The QR code of *url* as an SVG document (the address is its title)."""
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(
        out, kind="svg", scale=4, border=2, xmldecl=False, svgns=True, title=url, dark="#1a1a1a"
    )
    return out.getvalue().decode()


ADDRESS = re.compile(r"^https?://[!-~]{1,490}$")  # printable ASCII, as the OpenAPI pattern says


def own_link(url: str) -> bool:
    """Whether *url* is an address of this site (the scheme and host the request came by) below ``/``."""
    base = request.host_url  # scheme://host[:port]/ (ProxyFix makes a proxied one true)
    return url.startswith(base) and len(url) <= 500 and url.isprintable() and " " not in url


@bp.get("/qr.svg")
def address_qr():
    """A QR code (SVG) of an address a kiosk hands to a phone instead of a link: an allowed outside address
    (``LINK_ALLOWED_DOMAINS``, the rule of server/urls.py) or an address of this site (a route to take along)."""
    reject_unknown_args("url")
    url = request.args.get("url", "")
    if not ADDRESS.match(url):
        raise bad_parameter(
            "url",
            "应为 http:// 或 https:// 开头、不含空白的 ASCII 地址",
            "must be an http:// or https:// address in ASCII, without spaces",
        )
    if safe_link(url) is None and not own_link(url):
        # Not malformed, but no code is made of it here (as for a service's unusable stored address).
        raise ApiError(
            404,
            "address_not_allowed",
            "此地址不是本站或允许的政务网站地址，不生成二维码",
            "No QR code: the address is neither of this site nor of an allowed government site",
        )
    return cached_text(("qr address", url), lambda: qr_svg(url), "image/svg+xml")
