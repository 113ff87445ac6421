"""Registering a scene's panorama in the staff editor: ``POST …/scenes/<scene>/registration`` with the
directions where counters (or facilities) were clicked in the panorama solves the scene's heading — and,
from three or more spread points, its plan position — against the published hall model's anchors
(``panoramas.registration.fit``, the solver ``flask panorama register`` uses), and answers the pose with
its residual in degrees, each point's error and whether it is acceptable (residual ≤ ``MAX_RESIDUAL``).

It changes nothing: accepting is the page's ordinary ``PUT …/scenes/<scene>`` of heading (and position)
with the scene's version, into the draft like every other edit. Bad points are 422 naming each
(``points[1].target``), nothing solved.
"""

from __future__ import annotations

import math
from typing import Any

from ...db import get_session
from ...errors import ApiError
from ...panoramas.registration import MAX_RESIDUAL, MIN_SPREAD, Correspondence, fit, spread
from ...publishing import drafts, halldata
from . import api_bp
from .auth import require
from .drafts import _body, _scope

MAX_POINTS = 50
TARGET_KINDS = ("counter", "facility")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _points(
    data: dict[str, Any], anchors: dict[str, tuple[float, float, float]]
) -> list[tuple[str, Correspondence]]:
    """The request's points as (target, correspondence); every problem named by field, else 422."""
    unknown = sorted(set(data) - {"points"})
    problems = [{"field": k, "zh": "未知字段", "en": "unknown field"} for k in unknown]
    points = data.get("points")
    if not isinstance(points, list) or not 2 <= len(points) <= MAX_POINTS:
        problems.append(
            {
                "field": "points",
                "zh": f"请给出 2 到 {MAX_POINTS} 个点击的柜台",
                "en": f"give between 2 and {MAX_POINTS} clicked counters",
            }
        )
        raise drafts.invalid(problems)
    found: list[tuple[str, Correspondence]] = []
    seen: set[str] = set()
    for i, point in enumerate(points):
        where = f"points[{i}]"
        if not isinstance(point, dict):
            problems.append({"field": where, "zh": "应为一个对象", "en": "must be an object"})
            continue
        extra = sorted(set(point) - {"target", "yaw", "pitch"})
        problems += [{"field": f"{where}.{k}", "zh": "未知字段", "en": "unknown field"} for k in extra]
        target = point.get("target")
        if (
            not isinstance(target, str)
            or target.split(":", 1)[0] not in TARGET_KINDS
            or target not in anchors
        ):
            problems.append(
                {
                    "field": f"{where}.target",
                    "zh": f"已发布的模型中没有 {target!s:.60}",
                    "en": f"the published model has no {target!s:.60}",
                }
            )
        elif target in seen:
            problems.append(
                {"field": f"{where}.target", "zh": f"{target} 重复了", "en": f"{target} is given twice"}
            )
        yaw, pitch = point.get("yaw"), point.get("pitch")
        if not _number(yaw) or not -180 <= yaw <= 180:
            problems.append(
                {
                    "field": f"{where}.yaw",
                    "zh": "应为 -180 到 180 之间的数",
                    "en": "a number from -180 to 180",
                }
            )
        if not _number(pitch) or not -90 <= pitch <= 90:
            problems.append(
                {"field": f"{where}.pitch", "zh": "应为 -90 到 90 之间的数", "en": "a number from -90 to 90"}
            )
        if isinstance(target, str):
            seen.add(target)
        if not problems:
            found.append((target, Correspondence(float(yaw), float(pitch), anchors[target])))
    if problems:
        raise drafts.invalid(problems)
    return found


@api_bp.post("/halls/<hall>/scenes/<scene>/registration")
@require("editor", hall_from="hall", edit=True)
def register_scene(hall: str, scene: str):
    """Solve the scene's heading (and position) from clicked counters; answers the pose, its residual,
    each point's error and whether it may be accepted. Changes nothing."""
    data = _body()
    session = get_session()
    scope = _scope(hall)
    obj = drafts.get_object(session, scope, "scenes", scene)
    session.commit()
    model = halldata.hall_model(scope.target)
    if model is None:
        raise ApiError(
            409,
            "no_model",
            f"大厅 {hall} 还没有发布的模型，无法注册全景图",
            f"Hall {hall} has no published model to register the panorama against",
        )
    anchors = {name: tuple(info.anchor) for name, info in model.geometry.nodes.items()}
    points = _points(data, anchors)
    correspondences = [c for _target, c in points]
    with_position = len(points) >= 3 and spread([c.yaw for c in correspondences]) >= MIN_SPREAD
    pose = fit(correspondences, position=tuple(obj["position"]), solve_position=with_position)
    return {
        "scene": scene,
        "heading": round(pose.heading, 2),
        "position": [round(pose.x, 3), round(pose.y, 3), round(pose.z, 3)] if with_position else None,
        "residual": round(pose.residual, 3),
        "max_residual": MAX_RESIDUAL,
        "acceptable": pose.acceptable,
        "points": [
            {"target": target, "error": round(error, 3)}
            for (target, _c), error in zip(points, pose.errors, strict=True)
        ],
        "version": obj["version"],
    }
