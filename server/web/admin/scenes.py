"""The admin API of a hall's scenes in its draft: list them with their hotspots as the draft would show them,
read, add or change one (name, floor, position, heading, initial view, links with arrival views), remove one,
correct or reset one hotspot, and the check before publishing.

Everything changes only the draft (``publishing.drafts``, the ``scenes`` collection of ``hall:<slug>``,
checked by ``halldata.validate_scene``); citizens see it once published. Every change names the version of
the scene it started from (``If-Match`` or ``version``): another one answers 409 with the other change. A
scene's panorama (its tiles config) is read-only here: uploads set it.
"""

from __future__ import annotations

import copy
from typing import Any

from flask import Response, request
from werkzeug.routing import BaseConverter

from ...config import now
from ...db import get_session
from ...errors import ApiError
from ...publishing import drafts, halldata
from ...publishing.scenes import draft_scene_hotspots
from . import api_bp
from .auth import require
from .drafts import _body, _expected, _object, _scope, _user


class SceneCode(BaseConverter):
    """A scene code in an admin path, never ``check``: so ``/scenes/check`` is only the check (GET), and its
    ``Allow`` header says so (as ``services.ServiceSlug``)."""

    regex = r"(?!check$)[^/]+"


api_bp.record_once(lambda state: state.app.url_map.converters.setdefault("scene_code", SceneCode))

SCENE_EDITABLE = ("name", "floor", "position", "heading", "initial_view", "links")
NEW_SCENE = {"initial_view": None, "links": {}, "overrides": {}, "panorama": None}


def _hotspots(scope: drafts.Scope, scenes: dict[str, Any], code: str) -> list[dict[str, Any]]:
    hall = scope.target
    model = halldata.hall_model(hall)
    elevations = {f.level: f.elevation for f in hall.floors}
    return draft_scene_hotspots(model, {k: drafts.plain(v) for k, v in scenes.items()}, code, elevations)


@api_bp.get("/halls/<hall>/scenes")
@require("viewer", hall_from="hall")
def draft_scenes(hall: str):
    """The draft's scenes (the published ones without a draft), each with its hotspots as the draft would
    show them: computed from the published model and the scene's pose, overridden ones marked."""
    session = get_session()
    scope = _scope(hall)
    data, row = drafts.current(session, scope)
    session.commit()
    scenes = data["scenes"]
    return {
        "hall": hall,
        "draft": row is not None,
        "base_version": row.base_version if row else drafts.latest(session, scope).number,
        "entrance": halldata.entrance_scene(scenes),
        "scenes": [{**scenes[code], "hotspots": _hotspots(scope, scenes, code)} for code in sorted(scenes)],
    }


@api_bp.get("/halls/<hall>/scenes/check")
@require("viewer", hall_from="hall")
def check_scenes(hall: str):
    """What in the draft's scenes would mislead a citizen: errors (publishing is refused) and warnings."""
    session = get_session()
    scope = _scope(hall)
    data, _row = drafts.current(session, scope)
    session.commit()
    return {"hall": hall, **halldata.scene_check(scope.target, drafts.strip(scope.kind, data))}


@api_bp.get("/halls/<hall>/scenes/<scene_code:scene>")
@require("viewer", hall_from="hall")
def draft_scene(hall: str, scene: str):
    """One scene of the draft, with its version (also as ETag)."""
    session = get_session()
    obj = drafts.get_object(session, _scope(hall), "scenes", scene)
    session.commit()
    return _object(obj)


def _refuse(field: str, zh: str, en: str) -> drafts.Invalid:
    return drafts.invalid([{"field": field, "zh": zh, "en": en}])


@api_bp.put("/halls/<hall>/scenes/<scene_code:scene>")
@require("editor", hall_from="hall", edit=True)
def put_scene(hall: str, scene: str):
    """Add a scene to the draft (201; no version sent) or change one (200; its version sent): name, floor,
    position, heading, initial view, links with arrival views. 409 on a stale version, 422 per field."""
    data = _body()
    session = get_session()
    scope = _scope(hall)
    current, _row = drafts.current(session, scope)
    before = current["scenes"].get(scene)
    sent_version = "version" in data or request.headers.get("If-Match")
    expected = _expected(data) if before is not None or sent_version else None
    unknown = sorted(set(data) - {*SCENE_EDITABLE, "code", "overrides", "panorama", "version"})
    if unknown:
        raise drafts.invalid([{"field": k, "zh": "未知字段", "en": "unknown field"} for k in unknown])
    if "panorama" in data and data["panorama"] != (before or {}).get("panorama"):
        raise _refuse(
            "panorama", "全景图由上传设置，不能在这里修改", "the panorama is set by an upload, not here"
        )
    changes = {k: v for k, v in data.items() if k != "version"}
    obj = {**(drafts.plain(before) if before else {**NEW_SCENE, "code": scene}), **changes}
    saved = drafts.save(session, scope, "scenes", scene, obj, expected=expected, user=_user(), now=now())
    drafts.commit(session)
    response = _object(saved, 200 if before is not None else 201)
    if before is None:
        response.headers["Location"] = f"/api/v1/admin/halls/{hall}/scenes/{scene}"
    return response


@api_bp.delete("/halls/<hall>/scenes/<scene_code:scene>")
@require("editor", hall_from="hall", edit=True)
def delete_scene(hall: str, scene: str):
    """Remove a scene from the draft (204); links to it are then listed by the check (and refuse publishing)."""
    expected = _expected(request.get_json(silent=True) if request.is_json else None)
    session = get_session()
    scope = _scope(hall)
    drafts.get_object(session, scope, "scenes", scene)
    drafts.save(session, scope, "scenes", scene, None, expected=expected, user=_user(), now=now())
    drafts.commit(session)
    return Response(status=204)


@api_bp.put("/halls/<hall>/scenes/<scene_code:scene>/hotspots/<target>")
@require("editor", hall_from="hall", edit=True)
def put_hotspot(hall: str, scene: str, target: str):
    """Correct one hotspot of a scene in the draft: ``yaw``, ``pitch`` and/or ``hidden`` (the rest kept);
    answers the scene with its new version. 409 on a stale version, 422 per field."""
    data = _body()
    expected = _expected(data)
    unknown = sorted(set(data) - {"yaw", "pitch", "hidden", "version"})
    if unknown:
        raise drafts.invalid([{"field": k, "zh": "未知字段", "en": "unknown field"} for k in unknown])
    session = get_session()
    scope = _scope(hall)
    before = copy.deepcopy(drafts.get_object(session, scope, "scenes", scene))
    override = before["overrides"].get(target) or {"yaw": None, "pitch": None, "hidden": False}
    override = {**override, **{k: v for k, v in data.items() if k != "version"}}
    obj = {**drafts.plain(before), "overrides": {**before["overrides"], target: override}}
    saved = drafts.save(session, scope, "scenes", scene, obj, expected=expected, user=_user(), now=now())
    drafts.commit(session)
    return _object(saved)


@api_bp.delete("/halls/<hall>/scenes/<scene_code:scene>/hotspots/<target>")
@require("editor", hall_from="hall", edit=True)
def reset_hotspot(hall: str, scene: str, target: str):
    """Reset one hotspot to its computed position: its corrected yaw and pitch are dropped, and so is the whole
    override unless it hides the hotspot (hiding is kept: resetting a place does not show what staff hid);
    answers the scene. 404 when the hotspot has no override."""
    expected = _expected(request.get_json(silent=True) if request.is_json else None)
    session = get_session()
    scope = _scope(hall)
    before = drafts.get_object(session, scope, "scenes", scene)
    if target not in before["overrides"]:
        raise ApiError(
            404,
            "not_found",
            f"场景 {scene} 没有对 {target} 的修正",
            f"Scene {scene} has no correction of {target}",
        )
    overrides = {t: o for t, o in before["overrides"].items() if t != target}
    if before["overrides"][target].get("hidden"):
        overrides[target] = {"yaw": None, "pitch": None, "hidden": True}
    obj = {**drafts.plain(before), "overrides": overrides}
    saved = drafts.save(session, scope, "scenes", scene, obj, expected=expected, user=_user(), now=now())
    drafts.commit(session)
    return _object(saved)
