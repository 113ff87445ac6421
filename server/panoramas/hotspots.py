"""Hotspots of a scene, derived from the hall model: the yaw and pitch of every counter and facility
seen from the scene's camera, with an occlusion test (a node hidden behind a wall or a desk is not a
hotspot, though search and routes still find it), and arrows towards linked scenes.

Directions follow ``conventions``: yaw 0 at the panorama's centre column (the scene's heading), positive
to the right; pitch positive up. Triangles are ``(n, 3, 3) float64`` in model space.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..conventions import direction_to_yaw_pitch, wrap_degrees
from ..hallmodel.geometry import HallGeometry
from ..hallmodel.occlusion import Occluders

VISIBLE_RANGE = 45.0  # metres beyond which a counter is too small in a panorama to be a hotspot
SAMPLE_LIFT = 0.35  # metres above a node's anchor: its sign or top, seen over what is in front
TOO_CLOSE = 0.3  # metres: a node the camera stands in (a mat under the tripod) has no direction to point at
STRAIGHT_ABOVE = 0.5  # metres: a linked scene this close in plan is over or under this one (lift, stairs)
CONNECTOR_DROP = 1.0  # metres below the camera where an arrow to the connector points (towards its door)
LOOK_DOWN = -30.0  # degrees: the arrow to a scene straight above or below, with no connector to point at
STEEPEST_ARROW = -60.0  # degrees: arrows steeper than this lie under the tripod, where the nadir patch is


@dataclass(frozen=True)
class Hotspot:
    """One hotspot of a scene."""

    target: str  # "counter:B03", "facility:toilet-1", "scene:lobby"
    kind: str  # "counter" | "facility" | "scene"
    yaw: float
    pitch: float
    distance: float
    source: str = "model"  # "model" or "override"

    def to_dict(self) -> dict:
        return {
            "target": self.target,
            "kind": self.kind,
            "yaw": round(self.yaw, 2),
            "pitch": round(self.pitch, 2),
            "distance": round(self.distance, 2),
            "source": self.source,
        }


def _sample_points(anchor: tuple[float, float, float]) -> np.ndarray:
    x, y, z = anchor
    return np.array([[x, y, z], [x, y + SAMPLE_LIFT, z]])


def node_hotspots(
    geometry: HallGeometry, occluders: Occluders, position, heading: float, floor: int
) -> list[Hotspot]:
    """Visible counter and facility hotspots from a camera at *position* with *heading*."""
    origin = np.asarray(position, dtype=float)
    out = []
    for info in sorted(geometry.nodes.values(), key=lambda n: n.name):
        if info.floor is None:
            continue
        samples = _sample_points(info.anchor)
        distance = float(np.linalg.norm(samples[0] - origin))
        if distance > VISIBLE_RANGE or distance < TOO_CLOSE:
            continue
        hidden = occluders.blocked(origin, samples, [info.name] * len(samples))
        if hidden.all():
            continue
        seen = samples[int(np.argmin(hidden))]
        yaw, pitch = direction_to_yaw_pitch(seen - origin, heading)
        out.append(Hotspot(info.name, info.kind, yaw, pitch, distance))
    return out


def link_hotspot(
    code: str, position, heading: float, target_position, floor_elevation: float, geometry: HallGeometry
) -> Hotspot:
    """The arrow towards a linked scene: at the floor under the other camera, or, for a scene straight
    above or below (the other end of a lift or stairs), towards the nearest connector."""
    origin = np.asarray(position, dtype=float)
    goal = np.array([target_position[0], floor_elevation, target_position[2]], dtype=float)
    horizontal = math.hypot(goal[0] - origin[0], goal[2] - origin[2])
    if horizontal < STRAIGHT_ABOVE and geometry.connectors:
        nearest = min(geometry.connectors, key=lambda c: math.hypot(c.x - origin[0], c.z - origin[2]))
        goal = np.array([nearest.x, origin[1] - CONNECTOR_DROP, nearest.z])
        horizontal = math.hypot(goal[0] - origin[0], goal[2] - origin[2])
    if horizontal < STRAIGHT_ABOVE:
        return Hotspot(f"scene:{code}", "scene", 0.0, LOOK_DOWN, 0.0)
    yaw, pitch = direction_to_yaw_pitch(goal - origin, heading)
    return Hotspot(
        f"scene:{code}", "scene", yaw, max(pitch, STEEPEST_ARROW), float(np.linalg.norm(goal - origin))
    )


def apply_overrides(
    hotspots: list[Hotspot],
    overrides: dict[str, tuple[float | None, float | None, bool]],
    everything: dict[str, Hotspot] | None = None,
) -> list[Hotspot]:
    """Staff corrections win over the model: hide a hotspot, move it, or show one the model hides
    (*everything* holds computed hotspots including hidden ones, to know its kind and distance)."""
    by_target = {h.target: h for h in hotspots}
    for target, (yaw, pitch, hidden) in overrides.items():
        if hidden:
            by_target.pop(target, None)
            continue
        base = by_target.get(target) or (everything or {}).get(target)
        kind = target.split(":", 1)[0]
        if yaw is None and pitch is None:
            continue
        by_target[target] = Hotspot(
            target,
            base.kind if base else kind,
            wrap_degrees(yaw if yaw is not None else (base.yaw if base else 0.0)),
            pitch if pitch is not None else (base.pitch if base else 0.0),
            base.distance if base else 0.0,
            "override",
        )
    return sorted(by_target.values(), key=lambda h: (h.kind != "scene", h.target))
