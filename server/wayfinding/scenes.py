"""Which panorama scenes a route passes, and how the last one should be looked at.

A walking route is a line through the hall; the tour moves between panoramas. This module turns one into
the other: a shortest path over the scene graph (a scene's links, each weighted by the walking time between
the two cameras) from the scene at or nearest the start to the scene that sees the target and is nearest
to it. The last scene comes with the view that puts the target in the middle of the screen — or, when no
scene sees the target, the nearest scene and a sentence saying where the target is from there.

Scenes are the hall document's scene objects (``id``, ``floor``, ``position``, ``heading``, ``links`` and
``hotspots`` as the tour gets them, staff corrections included), so "visible" here means exactly what the
citizen sees. Directions follow ``conventions``. See docs/ARCHITECTURE.md.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..conventions import vector_to_bearing, wrap_degrees
from .directions import Names, place_name, round_distance
from .routing import WalkGraph

NEAR_FOV = 75.0  # degrees: the tour's normal view; a target this close needs no zoom
FAR_FOV = 45.0  # the narrowest arrival view: narrower loses the surroundings a person orients by
ZOOM_FROM_M = 12.0  # targets farther than this are zoomed in on, in proportion to their distance
SECTOR_DEG = 45.0  # "ahead", "ahead on the right", "on your right", … each cover this much of the circle

WHERE_ZH = ("正前方", "右前方", "右侧", "右后方", "正后方", "左后方", "左侧", "左前方")
WHERE_EN = (
    "straight ahead of you",
    "ahead of you on the right",
    "on your right",
    "behind you on the right",
    "behind you",
    "behind you on the left",
    "on your left",
    "ahead of you on the left",
)


@dataclass(frozen=True)
class Arrival:
    """The view on arrival in the last scene: *visible* when the target is a hotspot of that scene (the
    view centres it), else facing the way the walk came in, with *where* saying where the target is."""

    scene: str
    yaw: float
    pitch: float
    fov: float
    visible: bool
    distance_m: float
    where: dict[str, str] | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "scene": self.scene,
            "yaw": round(self.yaw, 1),
            "pitch": round(self.pitch, 1),
            "fov": round(self.fov, 1),
            "visible": self.visible,
            "distance_m": round(self.distance_m, 1),
            "where": self.where,
        }


@dataclass(frozen=True)
class ScenePath:
    """The scenes to pass, in order, and the arrival view in the last one."""

    scenes: tuple[str, ...]
    arrival: Arrival


def arrival_fov(distance: float) -> float:
    """The field of view (degrees) that shows a target *distance* metres away large enough to read."""
    if distance <= ZOOM_FROM_M:
        return NEAR_FOV
    return max(FAR_FOV, NEAR_FOV * ZOOM_FROM_M / distance)


def where_words(name: tuple[str, str], relative_bearing: float, distance: float) -> dict[str, str]:
    """ "B05窗口在您左后方约8米" / "Counter B05 is about 8 m behind you on the left" for a target at
    *relative_bearing* degrees (positive = right) from where one looks, *distance* metres away."""
    sector = round(wrap_degrees(relative_bearing) / SECTOR_DEG) % 8
    n = round_distance(distance)
    zh, en = name
    en = en[:1].upper() + en[1:]
    if sector == 0:
        return {"zh": f"{zh}在您正前方约{n}米", "en": f"{en} is about {n} m straight ahead of you"}
    return {"zh": f"{zh}在您{WHERE_ZH[sector]}约{n}米", "en": f"{en} is about {n} m {WHERE_EN[sector]}"}


class ScenePlanner:
    """Scene paths over one hall's *scenes* (hall document objects) and its walking *graph*."""

    def __init__(self, scenes: Sequence[Mapping[str, Any]], graph: WalkGraph) -> None:
        self.graph = graph
        self.scenes = {s["id"]: s for s in scenes if f"scene:{s['id']}" in graph.places}
        self._edges: dict[bool, dict[str, list[tuple[float, str]]]] = {}
        self._walks: dict[tuple[str, str, bool], float | None] = {}

    def _walk(self, a: str, b: str, accessible: bool) -> float | None:
        """Seconds of walking from place *a* to place *b*, or None when there is no way."""
        key = (a, b, accessible)
        if key not in self._walks:
            self._walks[key] = self.graph.walk_seconds(a, b, accessible=accessible)
        return self._walks[key]

    def edges(self, accessible: bool) -> dict[str, list[tuple[float, str]]]:
        """Each scene's links with the walking time to them; a link there is no way along is left out."""
        if accessible not in self._edges:
            out: dict[str, list[tuple[float, str]]] = {}
            for code, scene in self.scenes.items():
                out[code] = []
                for other in scene.get("links", []):
                    if other == code or other not in self.scenes:
                        continue
                    seconds = self._walk(f"scene:{code}", f"scene:{other}", accessible)
                    if seconds is not None:
                        out[code].append((seconds, other))
            self._edges[accessible] = out
        return self._edges[accessible]

    def shortest(self, start: str, accessible: bool) -> tuple[dict[str, float], dict[str, str]]:
        """Dijkstra over the scene graph from *start*: cost in seconds and predecessor of every scene."""
        edges = self.edges(accessible)
        cost = {start: 0.0}
        before: dict[str, str] = {}
        queue = [(0.0, start)]
        while queue:
            c, code = heapq.heappop(queue)
            if c > cost.get(code, math.inf):
                continue
            for seconds, other in edges.get(code, []):
                if c + seconds < cost.get(other, math.inf):
                    cost[other] = c + seconds
                    before[other] = code
                    heapq.heappush(queue, (c + seconds, other))
        return cost, before

    def start_scene(self, origin: str, accessible: bool) -> str | None:
        """The scene *origin* is (``scene:X``), else the one nearest to it on foot (ties: by id)."""
        if origin.startswith("scene:") and origin[6:] in self.scenes:
            return origin[6:]
        timed = [(self._walk(origin, f"scene:{code}", accessible), code) for code in self.scenes]
        reachable = [(t, code) for t, code in timed if t is not None]
        return min(reachable)[1] if reachable else None

    def plan(
        self,
        origin: str,
        target: str,
        anchor: tuple[float, float, float],
        *,
        accessible: bool = False,
        names: Names | None = None,
    ) -> ScenePath | None:
        """The scenes from *origin* to *target* (place keys) whose model anchor is *anchor* ``(x, y, z)``;
        None when the hall has no scene the walk can start from."""
        start = self.start_scene(origin, accessible)
        if start is None:
            return None
        cost, before = self.shortest(start, accessible)
        if target.startswith("scene:") and target[6:] in cost:
            # Going to a scene: arrive there looking the way its panorama opens.
            goal = target[6:]
            return ScenePath(
                self._path(before, start, goal), Arrival(goal, 0.0, 0.0, NEAR_FOV, True, 0.0, None)
            )
        # Among the scenes the tour can reach, those that see the target, nearest to it on foot first.
        seeing = []
        for code in cost:
            spot = next((h for h in self.scenes[code].get("hotspots", []) if h["target"] == target), None)
            if spot is not None:
                walk = self._walk(f"scene:{code}", target, accessible)
                seeing.append((math.inf if walk is None else walk, spot["distance"], code, spot))
        if seeing:
            _walk, distance, goal, spot = min(seeing, key=lambda s: s[:3])
            arrival = Arrival(goal, spot["yaw"], spot["pitch"], arrival_fov(distance), True, distance, None)
            return ScenePath(self._path(before, start, goal), arrival)
        timed = [(self._walk(f"scene:{code}", target, accessible), code) for code in cost]
        goal = min(((t, c) for t, c in timed if t is not None), default=(0.0, start))[1]
        path = self._path(before, start, goal)
        return ScenePath(path, self._unseen(path, target, anchor, names))

    @staticmethod
    def _path(before: Mapping[str, str], start: str, goal: str) -> tuple[str, ...]:
        path = [goal]
        while path[-1] != start:
            path.append(before[path[-1]])
        return tuple(reversed(path))

    def _unseen(
        self, path: Sequence[str], target: str, anchor: tuple[float, float, float], names: Names | None
    ) -> Arrival:
        """The arrival in the last scene of *path* when it does not see *target*: facing the way the walk
        came in (the scene's own heading for a walk of one scene), with where the target lies from there."""
        scene = self.scenes[path[-1]]
        x, y, z = scene["position"]
        facing = float(scene.get("heading", 0.0))
        if len(path) > 1:
            px, _py, pz = self.scenes[path[-2]]["position"]
            if math.hypot(x - px, z - pz) > 0.5:  # not the other end of a lift straight above or below
                facing = vector_to_bearing(x - px, z - pz)
        dx, dz = anchor[0] - x, anchor[2] - z
        distance = math.hypot(dx, dz)
        relative = vector_to_bearing(dx, dz) - facing if distance > 0 else 0.0
        return Arrival(
            scene["id"],
            wrap_degrees(facing - float(scene.get("heading", 0.0))),
            0.0,
            NEAR_FOV,
            False,
            math.dist((x, y, z), anchor),
            where_words(place_name(target, names), relative, distance),
        )
