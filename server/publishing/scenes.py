"""What a scene's panorama shows: its hotspots (computed from the hall model and the scene's pose, then
corrected by staff overrides) — for the hall document (live rows) and for the staff editor (a draft's scenes
in snapshot form, ``halldata``), with the same rule."""

from __future__ import annotations

from typing import Any

from ..models import Hall, Scene
from ..panoramas.hotspots import Hotspot, apply_overrides, link_hotspot

Overrides = dict[str, tuple[float | None, float | None, bool]]


def computed_hotspots(model, position, heading: float, floor: int, links) -> list[Hotspot]:
    """The hotspots of a camera at *position* with *heading* on *floor* as the model computes them: visible
    counters and facilities, and an arrow for each of *links* (``(code, position, floor_elevation)``)."""
    if model is None:
        return []
    found = [*model.node_hotspots(position, heading, floor)]
    found += [
        link_hotspot(code, position, heading, other, elevation, model.geometry)
        for code, other, elevation in links
    ]
    return found


def scene_hotspots(model, hall: Hall, scene: Scene) -> list[dict[str, Any]]:
    """The hotspots of *scene*: visible counters and facilities, arrows to linked scenes, overrides applied."""
    links = [(o.code, (o.x, o.y, o.z), o.floor.elevation) for o in scene.links]
    computed = computed_hotspots(model, (scene.x, scene.y, scene.z), scene.heading, scene.floor.level, links)
    overrides = {o.target: (o.yaw, o.pitch, o.hidden) for o in scene.overrides}
    return [h.to_dict() for h in apply_overrides(computed, overrides)] if model is not None else []


def _links(scene: dict[str, Any], scenes: dict[str, Any], elevations: dict[int, float]):
    return [
        (code, tuple(scenes[code]["position"]), elevations.get(scenes[code]["floor"], 0.0))
        for code in sorted(scene["links"])
        if code in scenes
    ]


def _overrides(scene: dict[str, Any]) -> Overrides:
    return {t: (o.get("yaw"), o.get("pitch"), bool(o.get("hidden"))) for t, o in scene["overrides"].items()}


def draft_scene_hotspots(
    model, scenes: dict[str, Any], code: str, elevations: dict[int, float]
) -> list[dict[str, Any]]:
    """The hotspots of scene *code* of a draft's *scenes* (snapshot form) for the staff editor: every
    computed one and every overridden one, each with ``computed`` (the model's ``{yaw, pitch}`` or None),
    ``overridden`` and ``hidden`` — hidden ones included, so they can be shown again."""
    scene = scenes[code]
    computed = computed_hotspots(
        model, tuple(scene["position"]), scene["heading"], scene["floor"], _links(scene, scenes, elevations)
    )
    overrides = _overrides(scene)
    shown = {h.target: h for h in apply_overrides(computed, overrides, {h.target: h for h in computed})}
    by_target = {h.target: h for h in computed}
    out = []
    for target in sorted(set(by_target) | set(overrides), key=lambda t: (not t.startswith("scene:"), t)):
        base, final = by_target.get(target), shown.get(target)
        hidden = bool(overrides.get(target, (None, None, False))[2])
        spot = final or base
        out.append(
            {
                "target": target,
                "kind": target.split(":", 1)[0],
                "yaw": round(spot.yaw, 2) if spot else None,
                "pitch": round(spot.pitch, 2) if spot else None,
                "computed": {"yaw": round(base.yaw, 2), "pitch": round(base.pitch, 2)} if base else None,
                "overridden": target in overrides,
                "hidden": hidden,
            }
        )
    return out


def visible_targets(model, scenes: dict[str, Any], elevations: dict[int, float]) -> dict[str, set[str]]:
    """For each hotspot target shown in some scene of *scenes* (overrides applied), the codes of those
    scenes."""
    seen: dict[str, set[str]] = {}
    for code, scene in scenes.items():
        computed = computed_hotspots(
            model,
            tuple(scene["position"]),
            scene["heading"],
            scene["floor"],
            _links(scene, scenes, elevations),
        )
        everything = {h.target: h for h in computed}
        for spot in apply_overrides(computed, _overrides(scene), everything):
            seen.setdefault(spot.target, set()).add(code)
    return seen
