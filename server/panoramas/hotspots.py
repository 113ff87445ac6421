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
import trimesh

from ..conventions import direction_to_yaw_pitch, wrap_degrees
from ..hallgeometry import HallGeometry

EPSILON = 1e-9
CLEARANCE = 0.05  # metres short of a target where a hit still counts as reaching it
VISIBLE_RANGE = 45.0  # metres beyond which a counter is too small in a panorama to be a hotspot
SAMPLE_LIFT = 0.35  # metres above a node's anchor: its sign or top, seen over what is in front


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


class Occluders:
    """Every triangle of a model with the top-level node it belongs to, for ray tests."""

    def __init__(self, scene: trimesh.Scene) -> None:
        triangles, owners = [], []
        for node in scene.graph.nodes_geometry:
            transform, name = scene.graph[node]
            geometry = scene.geometry.get(name)
            if not isinstance(geometry, trimesh.Trimesh) or len(geometry.faces) == 0:
                continue
            if node.startswith("zone:"):
                continue  # floor paint lies on the floor; it hides nothing
            vertices = trimesh.transform_points(geometry.vertices, transform)
            triangles.append(vertices[geometry.faces])
            owners.extend([node.split("/", 1)[0]] * len(geometry.faces))
        self.triangles = np.concatenate(triangles) if triangles else np.empty((0, 3, 3))
        self.owners = np.array(owners, dtype=object)

    def blocked(self, origin: np.ndarray, targets: np.ndarray, own: list[str]) -> np.ndarray:
        """For rays from *origin* (3,) to each of *targets* (m, 3): whether something other than the
        target's own node (``own[i]``) lies in between. Returns (m,) bool."""
        result = np.zeros(len(targets), dtype=bool)
        if len(self.triangles) == 0:
            return result
        v0, v1, v2 = self.triangles[:, 0], self.triangles[:, 1], self.triangles[:, 2]
        e1, e2 = v1 - v0, v2 - v0
        s = origin - v0  # (n, 3)
        for i, target in enumerate(targets):
            d = target - origin
            length = float(np.linalg.norm(d))
            if length < EPSILON:
                continue
            d = d / length
            # Möller–Trumbore, vectorised over all triangles.
            p = np.cross(d, e2)
            det = np.einsum("ij,ij->i", e1, p)
            ok = np.abs(det) > EPSILON
            inv = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)
            u = np.einsum("ij,ij->i", s, p) * inv
            q = np.cross(s, e1)
            v = (q @ d) * inv
            t = np.einsum("ij,ij->i", e2, q) * inv
            hit = ok & (u >= 0) & (v >= 0) & (u + v <= 1) & (t > EPSILON) & (t < length - CLEARANCE)
            hit &= self.owners != own[i]
            result[i] = bool(hit.any())
        return result


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
        if distance > VISIBLE_RANGE or distance < 0.3:
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
    if horizontal < 0.5 and geometry.connectors:
        nearest = min(geometry.connectors, key=lambda c: math.hypot(c.x - origin[0], c.z - origin[2]))
        goal = np.array([nearest.x, origin[1] - 1.0, nearest.z])
        horizontal = math.hypot(goal[0] - origin[0], goal[2] - origin[2])
    if horizontal < 0.5:
        return Hotspot(f"scene:{code}", "scene", 0.0, -30.0, 0.0)
    yaw, pitch = direction_to_yaw_pitch(goal - origin, heading)
    return Hotspot(f"scene:{code}", "scene", yaw, max(pitch, -60.0), float(np.linalg.norm(goal - origin)))


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
