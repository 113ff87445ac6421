"""What a scene's panorama shows in the hall document: its tiles and its hotspots (computed from the
hall model and the scene's pose, then corrected by staff overrides)."""

from __future__ import annotations

from typing import Any

from ..models import Hall, Scene
from ..panoramas.hotspots import apply_overrides, link_hotspot


def scene_hotspots(model, hall: Hall, scene: Scene) -> list[dict[str, Any]]:
    """The hotspots of *scene*: visible counters and facilities, arrows to linked scenes, overrides applied."""
    if model is None:
        return []
    position = (scene.x, scene.y, scene.z)
    computed = [*model.node_hotspots(position, scene.heading, scene.floor.level)]
    computed += [
        link_hotspot(
            other.code,
            position,
            scene.heading,
            (other.x, other.y, other.z),
            other.floor.elevation,
            model.geometry,
        )
        for other in scene.links
    ]
    overrides = {o.target: (o.yaw, o.pitch, o.hidden) for o in scene.overrides}
    return [h.to_dict() for h in apply_overrides(computed, overrides)]
