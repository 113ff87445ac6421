"""The citizen pages: choose a hall (``/``), its tour (``/hall/<slug>``) and the kiosk page of a touch screen
standing in it (``/kiosk/<slug>?id=<kiosk>``), plus the built front end.

Pages are rendered on the server so that a first view, the hall's data and a text directory arrive with
the HTML; the ES-module bundle (web/dist, built by scripts/build_web.mjs) then takes over the viewer.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, send_file
from markupsafe import Markup
from sqlalchemy import select

from ..catalogue import hours
from ..catalogue.queries import load_hall
from ..db import current_revision, get_session
from ..errors import not_found
from ..kiosks.registry import page_config
from ..models import Hall, Kiosk
from ..problems import HallError
from ..vocabulary import COUNTER_STATES, COUNTER_STATUSES, IMMUTABLE_CACHE_CONTROL, WEEKDAYS
from .api.documents import hall_summary
from .api.halls import cached_hall_doc, hall_states
from .api.http import encode_text
from .api.services import current_index
from .compression import static_variant

WEB_DIST = Path(__file__).resolve().parents[2] / "web" / "dist"
ASSET_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")  # a built file's name, or its folder's
ASSET_DEPTH = 3  # folders and file of the deepest built file, e.g. chunks/<name>-<hash>.js
KIOSK_WORKER = "kiosk-sw.js"  # the kiosk's service worker (web/src/kiosk/sw.js), scope /kiosk/
START_SCENE = "entrance"  # the scene a tour opens at when the hall has one of that id

bp = Blueprint("pages", __name__)
_digests: dict[str, tuple[float, str]] = {}


def web_dist() -> Path:
    return Path(current_app.config.get("WEB_DIST", WEB_DIST))


def asset_url(name: str) -> str:
    """The versioned URL of built front-end file *name* (a content hash as ``?v=``)."""
    path = web_dist() / name
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        return f"/static/web/{name}"
    cached = _digests.get(str(path))
    if cached is None or cached[0] != mtime:
        cached = (mtime, hashlib.sha256(path.read_bytes()).hexdigest()[:12])
        _digests[str(path)] = cached
    return f"/static/web/{name}?v={cached[1]}"


def json_script(data: Any) -> Markup:
    """*data* as JSON safe inside ``<script type="application/json">`` (no ``</``, no ``<!--``)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def get_hall_page(slug: str) -> Hall:
    """The hall *slug* with its document's relations; a 404 page (zh/en) if there is none."""
    hall = load_hall(get_session(), slug)
    if hall is None:
        raise not_found("大厅", "Hall", slug)
    return hall


def start_scene(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The scene a tour opens at: the entrance, else the first scene with a panorama."""
    scenes = [s for s in doc["scenes"] if s.get("tiles")]
    return next((s for s in scenes if s["id"] == START_SCENE), scenes[0] if scenes else None)


def directory(hall: Hall, doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Floor → zone → counters (with service names), and floor → facilities, for the server-rendered text
    directory."""
    services = {c.number: [(s.slug, s.name_zh, s.name_en) for s in c.services] for c in hall.counters}
    floors = []
    for floor in doc["floors"]:
        zones = []
        for zone in doc["zones"]:
            if zone["floor"] != floor["level"]:
                continue
            counters = [
                {**c, "service_names": services.get(c["number"], [])}
                for c in doc["counters"]
                if c["zone"] == zone["id"] and c["floor"] == floor["level"]
            ]
            if counters:
                zones.append({**zone, "counters": sorted(counters, key=lambda c: c["number"])})
        facilities = [f for f in doc["facilities"] if f["floor"] == floor["level"]]
        floors.append({**floor, "zones": zones, "facilities": facilities})
    return floors


@bp.get("/")
def index():
    """Choose a hall."""
    halls = get_session().scalars(select(Hall).order_by(Hall.id)).all()
    return render_template("index.html", halls=[hall_summary(h) for h in halls], asset_url=asset_url)


@bp.get("/hall/<slug>")
def tour(slug: str):
    """The tour of hall *slug*: first view, hall data and text directory in the HTML.

    The page is rendered and compressed once per catalogue revision and front-end build (its cache key holds
    both), and answered with an ETag, so a reload that has it costs a 304."""
    hall = get_hall_page(slug)
    assets = (asset_url("tour.js"), asset_url("tour.css"))

    def render() -> str:
        doc = cached_hall_doc(hall.slug)  # the API's cached document: hotspots are computed once per revision
        return render_template(
            "tour.html",
            hall=doc,
            scene=start_scene(doc),
            hall_json=json_script(doc),
            floors=directory(hall, doc),
            asset_url=asset_url,
            statuses=COUNTER_STATUSES,
            states=COUNTER_STATES,
            week=week_rows(doc["hours"]),
            access_kinds=ACCESS_KINDS,
        )

    body = current_app.extensions["api_cache"].get(
        # …and per window of the counters' opening states: the directory says them.
        ("tour page", hall.slug, current_revision(), assets, hall_states(hall.slug)["changes_at"]),
        render,
        encode_text,
    )
    response = body.respond(Response(mimetype="text/html"))
    response.cache_control.no_cache = True  # always revalidated: a publish shows on the next visit
    return response.make_conditional(request)


class KioskPageError(HallError):
    """A kiosk page that cannot be shown: no id, an unknown one, or a kiosk of another hall."""

    status = 404


@bp.get("/kiosk/<slug>")
def kiosk(slug: str):
    """The kiosk page of hall *slug* for the kiosk ``?id=``: the tour composed with the kiosk's plugins, its
    configuration (position, facing, floor, idle times, audio) embedded beside the hall document."""
    hall = get_hall_page(slug)
    code = request.args.get("id", "")
    if not code:
        raise KioskPageError(
            "kiosk_id_missing",
            "请在地址中注明自助终端编号：/kiosk/<大厅>?id=<终端编号>",
            "Name the kiosk in the address: /kiosk/<hall>?id=<kiosk id>",
            status=400,
        )
    row = get_session().scalar(select(Kiosk).where(Kiosk.code == code)) if len(code) <= 64 else None
    if row is None or row.hall_id != hall.id:
        shown = code[:64]
        raise KioskPageError(
            "no_such_kiosk",
            f"大厅 {hall.slug} 没有登记编号为 {shown} 的自助终端",
            f"Hall {hall.slug} has no kiosk registered as {shown}",
        )
    doc = cached_hall_doc(hall.slug)
    response = Response(
        render_template(
            "kiosk.html",
            entry="kiosk.js",
            hall=doc,
            scene=start_scene(doc),
            hall_json=json_script(doc),
            kiosk_json=json_script(
                {
                    **page_config(row),
                    "picks": kiosk_picks(hall.slug, doc),
                    # The version the page shows (the heartbeat says it; a newer one is fetched whole by the
                    # kiosk's service worker) and how often it reports.
                    "version": current_revision(),
                    "heartbeat_seconds": current_app.config["KIOSK_HEARTBEAT_SECONDS"],
                }
            ),
            floors=directory(hall, doc),
            asset_url=asset_url,
            statuses=COUNTER_STATUSES,
            states=COUNTER_STATES,
            week=week_rows(doc["hours"]),
            access_kinds=ACCESS_KINDS,
        ),
        mimetype="text/html",
    )
    response.cache_control.no_cache = True
    return response


KIOSK_POPULAR = 8  # popular services offered as a pick-list on a kiosk


def kiosk_picks(slug: str, doc: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The kiosk's pick-lists: popular services of the hall, and its departments with their counters."""
    services = [
        {"id": s["id"], "name": {"zh": s["name_zh"], "en": s["name_en"]}}
        for s in current_index().suggestions(hall=slug, count=KIOSK_POPULAR)
    ]
    departments: dict[str, dict[str, Any]] = {}
    for counter in sorted(doc["counters"], key=lambda c: c["number"]):
        dept = counter.get("department")
        if dept:
            entry = departments.setdefault(
                dept["id"], {"id": dept["id"], "name": dept["name"], "counters": []}
            )
            entry["counters"].append(counter["number"])
    return {"services": services, "departments": list(departments.values())}


ACCESS_KINDS = [("bus", "公交", "Bus"), ("metro", "地铁", "Metro"), ("parking", "停车", "Parking")]


def week_rows(schedule: dict[str, Any]) -> list[dict[str, str]]:
    """The hall's week for the page: weekday names (zh, en) and the day's intervals as text."""
    return [
        {"key": day, "zh": zh, "en": en, "hours": "  ".join("–".join(span) for span in schedule.get(day, []))}
        for day, zh, en in zip(WEEKDAYS, hours.WEEKDAY_NAMES["zh"], hours.WEEKDAY_NAMES["en"], strict=True)
    ]


@bp.get("/static/web/<path:name>")
def web_asset(name: str):
    """A built front-end file; cached for a year when asked for with its content hash. Any other name (a NUL
    byte, ``..``, a name too long for the file system) is a 404 decided before the file system is asked."""
    parts = name.split("/")
    if len(parts) > ASSET_DEPTH or not all(ASSET_SEGMENT.match(p) and ".." not in p for p in parts):
        raise not_found("文件", "File", name[:100])
    root = web_dist().resolve()
    path = root.joinpath(*parts)
    if not path.is_file() or path.suffix in (".gz", ".br"):
        raise not_found("文件", "File", name)
    # Compressed at build time; each variant is its own file, so send_file gives each its own ETag.
    sent, coding = static_variant(path)
    response: Response = send_file(sent, mimetype=_mimetype(path), conditional=True)
    if coding != "identity":
        response.headers["Content-Encoding"] = coding
    response.vary.add("Accept-Encoding")
    # Chunks carry a content hash in their names; the entry files are versioned by ?v=.
    hashed = name.startswith("chunks/") or request.args.get("v")
    response.headers["Cache-Control"] = IMMUTABLE_CACHE_CONTROL if hashed else "no-cache"
    if name == KIOSK_WORKER:
        # Served from here, the kiosk's worker may control the kiosk pages (and only them).
        response.headers["Service-Worker-Allowed"] = "/kiosk/"
        response.headers["Cache-Control"] = "no-cache"
    return response


def _mimetype(path: Path) -> str:
    return {".js": "text/javascript", ".css": "text/css", ".map": "application/json"}.get(
        path.suffix, "application/octet-stream"
    )
