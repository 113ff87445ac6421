"""What the hall model gives the public: the model file, routes to counters, and floor plans."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import current_app, request, send_file
from sqlalchemy import select

from ...db import current_revision, get_session
from ...errors import ApiError, bad_parameter, not_found
from ...hallmodel.floorplan import PlanLabels, render_plan
from ...hallmodel.store import model_path
from ...models import Hall, Kiosk
from ...publishing.hallmodels import HallModel
from ...vocabulary import FACILITY_TYPES, IMMUTABLE_MAX_AGE, PLACE_KEY_PATTERN
from ...wayfinding.routing import RouteError, UnknownPlace, Walkable
from ...wayfinding.scenes import ScenePlanner
from . import bp
from .halls import cached_hall_doc, get_hall
from .http import cached_json, cached_text, reject_unknown_args, single_flight, slug_arg

PLACE = re.compile(rf"^(entrance|scene|counter|facility|nearest|kiosk):{PLACE_KEY_PATTERN}$")


def not_published(hall: Hall) -> ApiError:
    """The 404 for a hall that has no published model yet."""
    return ApiError(
        404,
        "model_not_published",
        f"大厅 {hall.slug} 尚未发布三维模型",
        f"hall {hall.slug} has no published model yet",
        hall=hall.slug,
    )


def get_model(hall: Hall) -> HallModel:
    """The derived model of *hall*; 404 when it has no published model."""
    model = current_app.extensions["hall_models"].get(hall)
    if model is None:
        raise not_published(hall)
    return model


@bp.get("/halls/<slug>/model.glb")
def model_glb(slug: str):
    """The published hall model (GLB); immutable when asked for by its hash (``?v=``)."""
    reject_unknown_args("v")
    hall = get_hall(slug)
    path = model_path(current_app._get_current_object(), hall.slug, hall.model_sha or "none")
    if not hall.model_sha or not path.exists():
        raise not_published(hall)
    versioned = request.args.get("v") == hall.model_sha[:16]
    response = send_file(
        path,
        mimetype="model/gltf-binary",
        etag=hall.model_sha,
        conditional=True,
        max_age=IMMUTABLE_MAX_AGE if versioned else current_app.config["API_MAX_AGE"],
    )
    response.cache_control.public = True
    if versioned:
        response.cache_control.immutable = True
    return response


def _place_arg(name: str, *, kinds: tuple[str, ...]) -> str:
    value = request.args.get(name, "")
    if not PLACE.match(value):
        raise bad_parameter(
            name,
            "应为 entrance:、scene:、counter:、facility: 或 kiosk: 加编号，例如 counter:B03",
            "use entrance:, scene:, counter:, facility: or kiosk: and an id, e.g. counter:B03",
        )
    kind, key = value.split(":", 1)
    if kind not in kinds:
        raise bad_parameter(name, f"只能是 {'、'.join(kinds)}", f"must be one of {', '.join(kinds)}")
    if kind == "nearest" and key not in FACILITY_TYPES:
        raise bad_parameter(
            name,
            f"nearest: 后应为设施类型之一：{'、'.join(FACILITY_TYPES)}",
            f"nearest: takes a facility type, one of {', '.join(FACILITY_TYPES)}",
        )
    return f"{kind}:{key.upper()}" if kind == "counter" else value


@dataclass(frozen=True)
class RouteContext:
    """What answering routes in one hall needs, kept per catalogue revision so that a route request does
    not load the whole hall from the database: the derived model, display names, the facilities of each
    type and the scene planner."""

    slug: str
    model: HallModel
    names: dict[str, dict[str, str]]
    floor_names: dict[int, dict[str, str]]
    facilities: dict[str, list[str]]
    planner: ScenePlanner
    walkables: dict[int, Walkable] = field(default_factory=dict)  # per floor, made on a kiosk's first route

    def walkable(self, level: int) -> Walkable | None:
        """The walkable area of floor *level* (None when the model lacks the floor)."""
        if level not in self.walkables:
            floor = self.model.geometry.floors.get(level)
            if floor is None:
                return None
            self.walkables[level] = Walkable.of(floor)
        return self.walkables[level]


def route_context(slug: str) -> RouteContext:
    """This process's route context of hall *slug* at the current catalogue revision (a publish or an edit
    bumps the revision, so the model, names and the scenes' hotspots are never stale)."""
    contexts = current_app.extensions.setdefault("route_contexts", {})
    key = (slug, current_revision())
    # Built by one thread per (hall, revision); requests for other halls never wait for it.
    return single_flight(
        ("route context", *key), lambda: contexts.get(key), lambda: _route_context(slug, key)
    )


def _route_context(slug: str, key: tuple[str, str]) -> RouteContext:
    """Build the route context of *slug* and keep it under *key* (dropping the hall's older ones)."""
    contexts = current_app.extensions["route_contexts"]
    hall = get_hall(slug)
    model = get_model(hall)
    facilities: dict[str, list[str]] = {}
    for f in sorted(hall.facilities, key=lambda f: f.code):
        facilities.setdefault(f.type, []).append(f"facility:{f.code}")
    context = RouteContext(
        hall.slug,
        model,
        _names(hall),
        {f.level: {"zh": f.name_zh, "en": f.name_en} for f in hall.floors},
        facilities,
        ScenePlanner(cached_hall_doc(hall.slug)["scenes"], model.graph),
    )
    # One context per hall: older revisions are dropped.
    for old in [k for k in list(contexts) if k[0] == slug]:
        contexts.pop(old, None)
    contexts[key] = context
    return context


def _nearest(context: RouteContext, origin: str, kind: str, accessible: bool) -> str:
    """The facility of type *kind* nearest to *origin* on foot; 404 when the hall has none it can reach."""
    candidates = context.facilities.get(kind, [])
    found = context.model.graph.nearest(origin, candidates, accessible=accessible) if candidates else None
    if found is None:
        raise ApiError(
            404,
            "no_such_facility",
            f"本大厅没有可到达的此类设施：{kind}",
            f"this hall has no reachable facility of type {kind}",
            type=kind,
        )
    return found


def _names(hall: Hall) -> dict[str, dict[str, str]]:
    names = {
        f"counter:{c.number}": {"zh": f"{c.number}窗口", "en": f"counter {c.number}"} for c in hall.counters
    }
    for f in hall.facilities:
        names[f"facility:{f.code}"] = {"zh": f.name_zh, "en": f.name_en}
        if f.type == "entrance":
            names[f"entrance:{f.code.removeprefix('entrance-')}"] = {"zh": f.name_zh, "en": f.name_en}
    for s in hall.scenes:
        names[f"scene:{s.code}"] = {"zh": s.name_zh, "en": s.name_en}
    return names


@bp.get("/halls/<slug>/route")
def route(slug: str):
    """A walking route inside the hall, with step-by-step directions in Chinese and English, the
    panorama scenes it passes and the view on arrival."""
    reject_unknown_args("from", "to", "accessible")
    origin = _place_arg("from", kinds=("entrance", "scene", "counter", "facility", "kiosk"))
    target = _place_arg("to", kinds=("counter", "facility", "scene", "nearest"))
    accessible_raw = request.args.get("accessible", "0")
    if accessible_raw not in ("0", "1", "true", "false"):
        raise bad_parameter("accessible", "应为 0 或 1", "must be 0 or 1")
    accessible = accessible_raw in ("1", "true")
    context = route_context(slug_arg(slug, "hall"))
    return cached_json(
        ("route", context.slug, context.model.sha, origin, target, accessible),
        lambda: route_answer(context, origin, target, accessible),
    )


def _kiosk_route(context: RouteContext, origin: str, target: str, accessible: bool):
    """The route from the registered point of kiosk ``kiosk:<id>`` of this hall to *target* (for
    ``nearest:<type>``, to the facility of that type quickest from the kiosk), and the place it joins."""
    kiosk = get_session().scalar(select(Kiosk).where(Kiosk.code == origin[6:]))
    walkable = context.walkable(kiosk.floor.level) if kiosk is not None else None
    if kiosk is None or kiosk.hall.slug != context.slug or walkable is None:
        raise UnknownPlace(origin)
    graph = context.model.graph

    def plan(goal: str):
        return graph.route_from_point(
            origin,
            kiosk.floor.level,
            (kiosk.x, kiosk.z),
            walkable,
            goal,
            accessible=accessible,
            names=context.names,
            floor_names=context.floor_names,
        )

    if not target.startswith("nearest:"):
        return plan(target)
    found = []
    for goal in context.facilities.get(target[8:], []):
        try:
            found.append(plan(goal))
        except RouteError:
            continue
    if not found:
        _nearest(context, origin, target[8:], accessible)  # raises the 404 of "none reachable"
    return min(found, key=lambda f: f[0].time_s)


def route_answer(context: RouteContext, origin: str, target: str, accessible: bool) -> dict:
    """The route document from *origin* to *target* (a place key or ``nearest:<facility type>``); a
    ``kiosk:<id>`` origin starts at the kiosk's registered point."""
    graph = context.model.graph
    # UnknownPlace (404) and Unreachable (422) are HallErrors: the error handler gives them the one shape.
    if origin.startswith("kiosk:"):
        found, joined = _kiosk_route(context, origin, target, accessible)
        goal = found.to_key
    else:
        if origin not in graph.places:
            raise UnknownPlace(origin)
        goal = _nearest(context, origin, target[8:], accessible) if target.startswith("nearest:") else target
        found = graph.route(
            origin, goal, accessible=accessible, names=context.names, floor_names=context.floor_names
        )
        joined = origin
    answer = {"hall": context.slug, "model": context.model.sha[:16], **found.to_dict()}
    if goal != target:
        answer["asked"] = target
    node = context.model.geometry.nodes.get(goal)
    place = graph.places[goal]
    anchor = node.anchor if node is not None else (place.x, 0.0, place.z)
    scenes = context.planner.plan(joined, goal, anchor, accessible=accessible, names=context.names)
    answer["scenes"] = list(scenes.scenes) if scenes else []
    answer["arrival"] = scenes.arrival.to_dict() if scenes else None
    return answer


def plan_labels(hall: Hall, level: int) -> PlanLabels:
    """What a floor plan of *hall* says that the model does not know."""
    floor = next(f for f in hall.floors if f.level == level)
    return PlanLabels(
        hall_name={"zh": hall.name_zh, "en": hall.name_en},
        floor_name={"zh": floor.name_zh, "en": floor.name_en},
        zones={z.code: {"name": {"zh": z.name_zh, "en": z.name_en}, "color": z.color} for z in hall.zones},
        counters={
            c.number: {
                "name": {"zh": c.name_zh, "en": c.name_en},
                "department": {"zh": c.department.name_zh, "en": c.department.name_en}
                if c.department
                else None,
                "status": c.status,
            }
            for c in hall.counters
        },
        facilities={
            f.code: {"type": f.type, "name": {"zh": f.name_zh, "en": f.name_en}} for f in hall.facilities
        },
    )


@bp.get("/halls/<slug>/floors/<level>/plan.svg")
def floor_plan(slug: str, level: str):
    """The floor plan of one floor, drawn from the model (SVG)."""
    reject_unknown_args("lang")
    lang = request.args.get("lang", "zh")
    if lang not in ("zh", "en"):
        raise bad_parameter("lang", "应为 zh 或 en", "must be zh or en")
    if not re.fullmatch(r"-?[0-9]{1,3}", level):
        raise bad_parameter("level", "楼层应为整数", "a floor level is an integer")
    hall = get_hall(slug)
    model = get_model(hall)
    floor = model.geometry.floors.get(int(level))
    if floor is None or int(level) not in {f.level for f in hall.floors}:
        raise not_found("楼层", "Floor", f"{slug}/{level}")
    return cached_text(
        ("plan", slug, model.sha, int(level), lang),
        lambda: render_plan(
            floor, model.geometry.nodes.values(), labels=plan_labels(hall, int(level)), lang=lang
        ),
        "image/svg+xml",
    )
