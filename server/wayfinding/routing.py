"""Walking routes through a hall: a visibility graph over each floor's walkable area, joined by connectors.

The walkable area of a floor is its outline minus walls and obstacles, kept ``CLEARANCE`` away from both
so that a wheelchair fits. Its nodes are the reflex corners of that area (the only places a shortest path
bends), the places people go from or to, and the connectors; its edges are the straight segments that
stay inside the area. Shortest paths from every place are precomputed for the normal and the step-free
(lifts only) graph, so answering a route only walks a predecessor array. See ``hallmodel.geometry`` for the
input and ``directions`` for the spoken steps.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from time import perf_counter
from typing import Any

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import MultiPolygon, Point, Polygon, box
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient
from shapely.ops import nearest_points, unary_union

from ..hallmodel.geometry import Connector, FloorGeometry, HallGeometry, Place
from ..problems import HallError
from . import directions
from .directions import Names, Step, floor_name, place_name, sentence

CLEARANCE = 0.45  # metres: half a wheelchair's width (about 0.7 m) plus a margin, kept from walls and desks
SNAP_DISTANCE = 1.0  # a place this close outside the walkable area is moved onto it; farther is unreachable
# Connectors are given at the centre of a lift car or stairwell, which the model may cut as an obstacle
# (a 2.4 m lift is 1.2 m + CLEARANCE from its door), so they may be moved farther.
CONNECTOR_SNAP_DISTANCE = 3.0
SNAP_INSET = 0.01  # a snapped point goes this far inside the edge so that tests on it are not knife-edge
ON_EDGE_M = 0.001  # a place nearer the edge than this counts as on it and is snapped too
SIMPLIFY_TOLERANCE = 0.02  # metres: drops buffer noise; far less than the clearance it may eat into
COLLINEAR_M = 1e-6  # a polyline point this close to the line through its neighbours is dropped
TANGENT_EPS = 1e-9  # m²: cross products this small count as collinear in the tangent test
END_TRIM = 1e-6  # metres cut off each end of a segment before testing it against the blocked region
MIN_EDGE_WEIGHT = 1e-9  # scipy's sparse graphs take an explicit 0 for "no edge", so weights stay above it

WALK_SPEED = 1.0  # m/s: an unhurried, elderly-friendly pace; costs are in metres walked at this pace
LIFT_WAIT_S = 30.0  # waiting for the car and its doors
LIFT_S_PER_M = 1.0  # a car rises about 1 m/s
ESCALATOR_BOARD_S = 5.0  # stepping on and off
ESCALATOR_S_PER_M = 4.0  # 0.5 m/s along a 30° incline rises 0.25 m/s
STAIRS_S_PER_M = 6.0  # climbing flights at an unhurried pace, landings included

UNREACHED = -9999  # scipy's predecessor value for "no path"


class RouteError(HallError):
    """A route that cannot be given, with the reason in zh-CN (``message``) and English (``message_en``)."""

    status = 422

    def __init__(self, message: str, message_en: str, *, code: str = "no_route") -> None:
        super().__init__(code, message, message_en)


class UnknownPlace(RouteError):
    """A key that is not among the graph's places (404 over the API)."""

    status = 404

    def __init__(self, key: str) -> None:
        super().__init__(f"找不到地点：{key}", f"Unknown place: {key}", code="unknown_place")
        self.key = key


class Unreachable(RouteError):
    """No path: a place outside the walkable area, parts walled apart, or no step-free way between floors.

    ``reason`` says which, as a stable code: ``outside`` (a place too far from the walkable area),
    ``no_floor`` (its floor is not in the model), ``separated`` (walled apart on one floor),
    ``no_connection`` (no connector leads there) or ``not_step_free`` (only stairs or escalators do)."""

    def __init__(self, message: str, message_en: str, reason: str) -> None:
        super().__init__(message, message_en, code="unreachable")
        self.reason = reason


@dataclass(frozen=True)
class Leg:
    """The walk on one floor: plan points ``(x, z)`` from where it starts to where it ends."""

    floor: int
    elevation: float
    points: tuple[tuple[float, float], ...]

    def length(self) -> float:
        return sum(math.dist(a, b) for a, b in pairwise(self.points))

    def to_dict(self) -> dict[str, Any]:
        y = round(self.elevation, 3)
        return {"floor": self.floor, "polyline": [[round(x, 3), y, round(z, 3)] for x, z in self.points]}


@dataclass(frozen=True)
class FloorChange:
    """Riding or climbing *connector* from one floor to another."""

    connector: str
    type: str
    from_floor: int
    to_floor: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "connector": self.connector,
            "type": self.type,
            "from_floor": self.from_floor,
            "to_floor": self.to_floor,
        }


@dataclass(frozen=True)
class Route:
    """A route between two places: walked length, time, per-floor polylines, floor changes and steps."""

    from_key: str
    to_key: str
    accessible: bool
    length_m: float
    time_s: float
    legs: tuple[Leg, ...]
    floor_changes: tuple[FloorChange, ...]
    steps: tuple[Step, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.from_key,
            "to": self.to_key,
            "accessible": self.accessible,
            "length_m": round(self.length_m, 1),
            "time_s": round(self.time_s),
            "legs": [leg.to_dict() for leg in self.legs],
            "floor_changes": [change.to_dict() for change in self.floor_changes],
            "steps": [step.to_dict() for step in self.steps],
        }


def free_space(floor: FloorGeometry) -> BaseGeometry:
    """Where the centre of a wheelchair may be on *floor*: the outline shrunk and the obstacles grown."""
    # Mitred joins keep corners sharp: fewer vertices than round ones, hence fewer graph nodes.
    area = floor.outline.buffer(-CLEARANCE, join_style="mitre")
    blocked = [g for g in (*floor.obstacles, *floor.walls) if not g.is_empty]
    if blocked:
        area = area.difference(unary_union(blocked).buffer(CLEARANCE, join_style="mitre"))
    return area.simplify(SIMPLIFY_TOLERANCE).buffer(0)


def polygons(area: BaseGeometry) -> list[Polygon]:
    """The polygons of *area*, whatever kind of geometry it is."""
    if isinstance(area, Polygon):
        return [] if area.is_empty else [area]
    if isinstance(area, MultiPolygon):
        return list(area.geoms)
    return [g for part in getattr(area, "geoms", []) for g in polygons(part)]


def reflex_corners(area: BaseGeometry) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The corners where *area* turns away from itself, with each one's previous and next vertex, (k, 2) each."""
    corners, before, after = [], [], []
    for polygon in polygons(area):
        # Exterior counter-clockwise, holes clockwise: the area is always on the left of the ring, so a
        # right turn (negative cross product) is a corner a path can bend around.
        polygon = orient(polygon, 1.0)
        for ring in (polygon.exterior, *polygon.interiors):
            c = np.asarray(ring.coords)[:-1, :2]
            if len(c) < 3:
                continue
            prev, nxt = np.roll(c, 1, axis=0), np.roll(c, -1, axis=0)
            a, b = c - prev, nxt - c
            reflex = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0] < -TANGENT_EPS
            corners.append(c[reflex])
            before.append(prev[reflex])
            after.append(nxt[reflex])
    if not corners:
        empty = np.empty((0, 2))
        return empty, empty, empty
    return np.concatenate(corners), np.concatenate(before), np.concatenate(after)


@dataclass(frozen=True)
class Walkable:
    """A floor's walkable area with the slightly shrunk copies that placing points on it needs."""

    area: BaseGeometry
    core: BaseGeometry  # points in here stay where they are given
    inner: BaseGeometry  # points moved onto the area land on the edge of this

    @classmethod
    def of(cls, floor: FloorGeometry) -> Walkable:
        area = free_space(floor)
        walkable = cls(
            area,
            area.buffer(-ON_EDGE_M, join_style="mitre"),
            area.buffer(-SNAP_INSET, join_style="mitre"),
        )
        for geometry in (walkable.area, walkable.core, walkable.inner):
            shapely.prepare(geometry)
        return walkable

    def snap(self, x: float, z: float, limit: float) -> tuple[float, float] | None:
        """``(x, z)`` if it is well inside the area, else the nearest point just inside it when the area is
        within *limit*, else None."""
        point = Point(x, z)
        if shapely.covers(self.core, point):
            return x, z
        # Measured to where the point would land, so that nothing moves farther than *limit* (and the inset).
        if self.inner.is_empty or self.inner.distance(point) > limit + SNAP_INSET:
            return None
        # A node on the very edge would see along it only by the grace of rounding, and every segment
        # from it along the edge would be refused (see ``visible_pairs``): land a little inside instead.
        q = nearest_points(self.inner, point)[0]
        return q.x, q.y


def visible_pairs(
    area: BaseGeometry, points: np.ndarray, prev: np.ndarray, nxt: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Pairs ``(i, j, length)`` of *points* whose segment lies in *area*; the first ``len(prev)`` points are
    corners with their ring neighbours, joined only where the segment is tangent to them."""
    n, k = len(points), len(prev)
    i, j = np.triu_indices(n, 1)
    d = points[j] - points[i]
    keep = np.ones(len(i), dtype=bool)
    # A shortest path bends at a corner only along lines that leave both of its ring neighbours on one
    # side; other segments through a corner are never used, and skipping them keeps building fast.
    for end in (i, j):
        at_corner = end < k
        e = end[at_corner]
        v = d[at_corner]
        p, q = prev[e] - points[e], nxt[e] - points[e]
        s1 = v[:, 0] * p[:, 1] - v[:, 1] * p[:, 0]
        s2 = v[:, 0] * q[:, 1] - v[:, 1] * q[:, 0]
        crossing = ((s1 > TANGENT_EPS) & (s2 < -TANGENT_EPS)) | ((s1 < -TANGENT_EPS) & (s2 > TANGENT_EPS))
        keep[np.flatnonzero(at_corner)[crossing]] = False
    i, j, d = i[keep], j[keep], d[keep]
    length = np.hypot(d[:, 0], d[:, 1])
    visible = length < MIN_EDGE_WEIGHT  # two nodes at one point: both are inside already
    # Neighbouring corners of one ring are joined along the edge between them.
    both = np.flatnonzero((i < k) & (j < k))
    ib, jb = i[both], j[both]
    visible[both] |= (nxt[ib] == points[jb]).all(axis=1) | (nxt[jb] == points[ib]).all(axis=1)
    test = np.flatnonzero(~visible)
    if len(test):
        # Trimmed at both ends, a segment inside the walkable area never meets the closed blocked region;
        # prepared ``intersects`` is many times faster than ``covers``. It also refuses segments that run
        # along an edge or graze a corner, which no path needs: going through that corner (a node) is as
        # short.
        minx, minz, maxx, maxz = area.bounds
        blocked = box(minx - 1, minz - 1, maxx + 1, maxz + 1).difference(area)
        shapely.prepare(blocked)
        trim = d[test] / length[test, None] * END_TRIM
        ends = np.stack([points[i[test]] + trim, points[j[test]] - trim], axis=1)
        visible[test] = ~shapely.intersects(blocked, shapely.linestrings(ends))
    return i[visible], j[visible], length[visible]


def connector_seconds(kind: str, rise: float) -> float:
    """The time (s) riding or climbing a connector of *kind* over *rise* metres takes, waiting included."""
    rise = abs(rise)
    if kind == "lift":
        return LIFT_WAIT_S + LIFT_S_PER_M * rise
    if kind == "escalator":
        return ESCALATOR_BOARD_S + ESCALATOR_S_PER_M * rise
    return STAIRS_S_PER_M * rise


@dataclass(frozen=True)
class _Stranded:
    """Why a place has no node: its floor is not in the model, or it is too far from the walkable area."""

    floor: int
    reason: str  # "no_floor" or "outside"


class WalkGraph:
    """The walking graph of a hall with shortest paths precomputed from every place. Build with ``build``."""

    def __init__(self) -> None:
        self.places: dict[str, Place] = {}
        self.build_seconds = 0.0
        self.node_count = 0
        self.edge_count = 0
        self.stranded: dict[str, str] = {}  # place key or "connector:<id>@<level>" → why it has no node
        self._xz = np.empty((0, 2))
        self._floor = np.empty(0, dtype=int)
        self._elevation: dict[int, float] = {}
        self._place_node: dict[str, int] = {}
        self._place_point: dict[str, tuple[float, float]] = {}
        self._stranded: dict[str, _Stranded] = {}
        self._anchors: dict[str, tuple[float, float]] = {}
        self._row: dict[int, int] = {}
        self._pred = np.empty((0, 0), dtype=np.int32)
        self._pred_step_free = self._pred
        self._links: dict[tuple[int, int], tuple[str, str, float]] = {}
        self._lift_floors: set[int] = set()
        self._floor_ways: dict[int, set[str]] = {}

    @classmethod
    def build(cls, geometry: HallGeometry, places: Sequence[Place]) -> WalkGraph:
        """The graph of *geometry* with *places* as its ends; places it cannot reach are noted, not fatal."""
        started = perf_counter()
        graph = cls()
        for place in places:
            if place.key in graph.places:
                raise ValueError(f"duplicate place key {place.key!r}")
            graph.places[place.key] = place
        graph._elevation = {level: floor.elevation for level, floor in geometry.floors.items()}
        graph._anchors = {n.key: (n.anchor[0], n.anchor[2]) for n in geometry.nodes.values()}

        xz: list[np.ndarray] = []
        floor_of: list[np.ndarray] = []
        rows_i, rows_j, weights = [], [], []
        connector_node: dict[tuple[str, int], int] = {}
        offset = 0
        for level, floor in sorted(geometry.floors.items()):
            points, (i, j, length) = graph._add_floor(
                level, floor, places, geometry.connectors, offset, connector_node
            )
            rows_i.append(i + offset)
            rows_j.append(j + offset)
            weights.append(np.maximum(length, MIN_EDGE_WEIGHT))
            xz.append(points)
            floor_of.append(np.full(len(points), level))
            offset += len(points)
        graph._note_missing_floors(geometry, places)
        links = graph._link_floors(geometry.connectors, connector_node)

        graph._xz = np.concatenate(xz) if xz else np.empty((0, 2))
        graph._floor = np.concatenate(floor_of) if floor_of else np.empty(0, dtype=int)
        graph.node_count = offset
        walk = tuple(np.concatenate(a) if a else np.empty(0) for a in (rows_i, rows_j, weights))
        graph._solve(walk, links)
        graph.build_seconds = perf_counter() - started
        return graph

    def _add_floor(
        self,
        level: int,
        floor: FloorGeometry,
        places: Sequence[Place],
        connectors: Sequence[Connector],
        offset: int,
        connector_node: dict[tuple[str, int], int],
    ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """One floor's nodes (numbered from *offset*: its reflex corners, then its places and connector
        ends, snapped onto the walkable area) and the pairs of them that see each other, with lengths."""
        walkable = Walkable.of(floor)
        area = walkable.area
        corners, prev, nxt = reflex_corners(area)
        extra: list[tuple[float, float]] = []
        for place in places:
            if place.floor != level:
                continue
            point = walkable.snap(place.x, place.z, SNAP_DISTANCE)
            if point is None:
                self._stranded[place.key] = _Stranded(level, "outside")
                continue
            self._place_node[place.key] = offset + len(corners) + len(extra)
            self._place_point[place.key] = point
            extra.append(point)
        for connector in connectors:
            if level not in connector.floors:
                continue
            point = walkable.snap(connector.x, connector.z, CONNECTOR_SNAP_DISTANCE)
            if point is None:
                self.stranded[f"connector:{connector.id}@{level}"] = "outside"
                continue
            connector_node[connector.id, level] = offset + len(corners) + len(extra)
            extra.append(point)
        points = np.concatenate([corners, np.asarray(extra, dtype=float).reshape(-1, 2)])
        return points, visible_pairs(area, points, prev, nxt)

    def _note_missing_floors(self, geometry: HallGeometry, places: Sequence[Place]) -> None:
        """Strand the places and connector ends on floors the model does not have."""
        for place in places:
            if place.floor not in geometry.floors:
                self._stranded[place.key] = _Stranded(place.floor, "no_floor")
        for connector in geometry.connectors:
            for level in connector.floors:
                if level not in geometry.floors:
                    self.stranded[f"connector:{connector.id}@{level}"] = "no_floor"
        self.stranded.update({key: s.reason for key, s in self._stranded.items()})

    def _link_floors(
        self, connectors: Sequence[Connector], connector_node: dict[tuple[str, int], int]
    ) -> tuple[list[int], list[int], list[float], list[bool]]:
        """Edges between floors joined by connectors: every pair of a connector's floors, so a lift is
        boarded once. Returns (from nodes, to nodes, weights, step-free or not)."""
        link_i, link_j, link_w, step_free = [], [], [], []
        for connector in connectors:
            levels = [lv for lv in connector.floors if (connector.id, lv) in connector_node]
            for a_index, a in enumerate(levels):
                self._floor_ways.setdefault(a, set()).add(connector.type)
                if connector.type == "lift" and len(levels) > 1:
                    self._lift_floors.add(a)
                for b in levels[a_index + 1 :]:
                    u, v = connector_node[connector.id, a], connector_node[connector.id, b]
                    seconds = connector_seconds(connector.type, self._elevation[b] - self._elevation[a])
                    self._links[u, v] = self._links[v, u] = (connector.id, connector.type, seconds)
                    link_i.append(u)
                    link_j.append(v)
                    link_w.append(max(seconds * WALK_SPEED, MIN_EDGE_WEIGHT))
                    step_free.append(connector.type == "lift")
        return link_i, link_j, link_w, step_free

    def _solve(self, walk: tuple[np.ndarray, ...], links: tuple[list, list, list, list[bool]]) -> None:
        """All shortest paths from every place node, once over every edge and once step-free."""
        walk_i, walk_j, walk_w = walk
        link_i, link_j, link_w, step_free = links
        offset = self.node_count
        sources = sorted(set(self._place_node.values()))
        self._row = {node: row for row, node in enumerate(sources)}
        step_free_mask = np.asarray(step_free, dtype=bool)

        def shortest(mask: np.ndarray) -> np.ndarray:
            i = np.concatenate([walk_i, np.asarray(link_i, dtype=int)[mask]]).astype(np.int64)
            j = np.concatenate([walk_j, np.asarray(link_j, dtype=int)[mask]]).astype(np.int64)
            w = np.concatenate([walk_w, np.asarray(link_w, dtype=float)[mask]])
            matrix = coo_matrix((w, (i, j)), shape=(offset, offset)).tocsr()
            if not sources:
                return np.empty((0, offset), dtype=np.int32)
            _, pred = dijkstra(matrix, directed=False, indices=sources, return_predecessors=True)
            return pred.astype(np.int32)

        self.edge_count = len(walk_i) + len(link_i)
        self._pred = shortest(np.ones(len(link_i), dtype=bool))
        # The step-free graph differs only where stairs or escalators join floors.
        self._pred_step_free = self._pred if step_free_mask.all() else shortest(step_free_mask)

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """The built graph as JSON-ready data and plain arrays (node points and floors, the predecessor
        matrices), for storing beside the published model; ``from_state`` gives back an equal graph."""
        data = {
            "places": [[p.key, p.floor, p.x, p.z] for p in self.places.values()],
            "build_seconds": self.build_seconds,
            "node_count": self.node_count,
            "edge_count": self.edge_count,
            "stranded": self.stranded,
            "elevation": [[level, e] for level, e in self._elevation.items()],
            "place_node": self._place_node,
            "place_point": {k: list(p) for k, p in self._place_point.items()},
            "stranded_places": {k: [s.floor, s.reason] for k, s in self._stranded.items()},
            "anchors": {k: list(p) for k, p in self._anchors.items()},
            "rows": [[node, row] for node, row in self._row.items()],
            "links": [[u, v, *link] for (u, v), link in self._links.items()],
            "lift_floors": sorted(self._lift_floors),
            "floor_ways": [[level, sorted(ways)] for level, ways in self._floor_ways.items()],
            "step_free_shared": self._pred_step_free is self._pred,
        }
        arrays = {"graph_xz": self._xz, "graph_floor": self._floor, "graph_pred": self._pred}
        if self._pred_step_free is not self._pred:
            arrays["graph_pred_step_free"] = self._pred_step_free
        return data, arrays

    @classmethod
    def from_state(cls, data: dict[str, Any], arrays: Mapping[str, np.ndarray]) -> WalkGraph:
        """The graph that ``to_state`` stored."""
        graph = cls()
        graph.places = {key: Place(key, floor, x, z) for key, floor, x, z in data["places"]}
        graph.build_seconds = data["build_seconds"]
        graph.node_count = data["node_count"]
        graph.edge_count = data["edge_count"]
        graph.stranded = dict(data["stranded"])
        graph._elevation = {level: e for level, e in data["elevation"]}
        graph._place_node = dict(data["place_node"])
        graph._place_point = {k: tuple(p) for k, p in data["place_point"].items()}
        graph._stranded = {
            k: _Stranded(floor, reason) for k, (floor, reason) in data["stranded_places"].items()
        }
        graph._anchors = {k: tuple(p) for k, p in data["anchors"].items()}
        graph._row = {node: row for node, row in data["rows"]}
        graph._links = {(u, v): (cid, kind, seconds) for u, v, cid, kind, seconds in data["links"]}
        graph._lift_floors = set(data["lift_floors"])
        graph._floor_ways = {level: set(ways) for level, ways in data["floor_ways"]}
        graph._xz = np.asarray(arrays["graph_xz"], dtype=float).reshape(-1, 2)
        graph._floor = np.asarray(arrays["graph_floor"])
        graph._pred = np.asarray(arrays["graph_pred"], dtype=np.int32)
        graph._pred_step_free = (
            graph._pred
            if data["step_free_shared"]
            else np.asarray(arrays["graph_pred_step_free"], dtype=np.int32)
        )
        return graph

    def route(
        self,
        from_key: str,
        to_key: str,
        *,
        accessible: bool = False,
        names: Names | None = None,
        targets: Mapping[str, tuple[float, float]] | None = None,
        floor_names: Mapping[int, Mapping[str, str]] | None = None,
        with_steps: bool = True,
    ) -> Route:
        """The shortest route from place *from_key* to *to_key*, step-free (lifts only) when *accessible*.

        *names* gives display names ``{key: {"zh", "en"}}`` (English in running-text form, e.g. "counter
        B03"), *targets* plan anchors ``{key: (x, z)}`` the arrival step names a hand for (default: the
        model's node anchors), *floor_names* ``{level: {"zh", "en"}}``. Raises ``UnknownPlace`` or
        ``Unreachable``."""
        for key in (from_key, to_key):
            if key not in self.places:
                raise UnknownPlace(key)
        for key in (from_key, to_key):
            if key in self._stranded:
                raise self._stranded_error(key, names, floor_names)
        source, target = self._place_node[from_key], self._place_node[to_key]
        pred = (self._pred_step_free if accessible else self._pred)[self._row[source]]
        if source != target and pred[target] == UNREACHED:
            raise self._unreachable_error(from_key, to_key, accessible, names, floor_names)
        path = [target]
        while path[-1] != source:
            path.append(int(pred[path[-1]]))
        path.reverse()

        legs, changes, seconds = self._legs(path)
        length = sum(leg.length() for leg in legs)
        steps = (
            self._steps(legs, changes, from_key, to_key, targets, names, floor_names) if with_steps else []
        )
        return Route(
            from_key=from_key,
            to_key=to_key,
            accessible=accessible,
            length_m=length,
            time_s=length / WALK_SPEED + seconds,
            legs=tuple(legs),
            floor_changes=tuple(changes),
            steps=tuple(steps),
        )

    def _steps(
        self,
        legs: list[Leg],
        changes: list[FloorChange],
        from_key: str,
        to_key: str,
        targets: Mapping[str, tuple[float, float]] | None,
        names: Names | None,
        floor_names: Mapping[int, Mapping[str, str]] | None,
    ) -> list[Step]:
        """The spoken steps of a route made of *legs* and *changes*."""
        end = self._place_point[to_key]
        anchor = (targets or {}).get(to_key) or self._anchors.get(to_key)
        place = self.places[to_key]
        aim = anchor if anchor is not None else (place.x, place.z)
        return directions.route_steps(
            [leg.points for leg in legs],
            [
                directions.Change(
                    c.type, c.to_floor, self._elevation[c.to_floor] > self._elevation[c.from_floor]
                )
                for c in changes
            ],
            from_key,
            to_key,
            target=aim if aim != end else None,
            names=names,
            floor_names=floor_names,
        )

    def route_from_point(
        self,
        key: str,
        level: int,
        point: tuple[float, float],
        walkable: Walkable,
        to_key: str,
        *,
        accessible: bool = False,
        names: Names | None = None,
        floor_names: Mapping[int, Mapping[str, str]] | None = None,
    ) -> tuple[Route, str]:
        """The route from a point that is not a place (a kiosk, named *key*) on floor *level* to *to_key*,
        and the place it joins the graph at. The point is snapped onto *walkable* (the floor's area, from
        ``Walkable.of``); the walk goes straight to the place on that floor in plain sight of it that makes
        the whole route quickest, then on as from that place. Raises ``UnknownPlace`` or ``Unreachable``."""
        if to_key not in self.places:
            raise UnknownPlace(to_key)
        start = walkable.snap(point[0], point[1], SNAP_DISTANCE)
        if start is None:
            zh, en = place_name(key, names, start=True)
            raise Unreachable(
                f"{zh}不在可通行区域内（离通道超过{SNAP_DISTANCE:g}米）",
                f"{sentence(en)} is outside the walkable area (more than {SNAP_DISTANCE:g} m from any walkway)",
                "outside",
            )
        candidates = [
            k
            for k, p in self.places.items()
            if p.floor == level and k in self._place_point and k not in self._stranded
        ]
        ends = np.array([self._place_point[k] for k in candidates], dtype=float).reshape(-1, 2)
        minx, minz, maxx, maxz = walkable.area.bounds
        blocked = box(minx - 1, minz - 1, maxx + 1, maxz + 1).difference(walkable.area)
        lines = shapely.linestrings([[start, tuple(e)] for e in ends]) if len(ends) else []
        seen = ~shapely.intersects(blocked, lines) if len(ends) else np.zeros(0, dtype=bool)
        best: tuple[float, str] | None = None
        for k, end, visible in zip(candidates, ends, seen, strict=True):
            if not visible:
                continue
            onward = 0.0 if k == to_key else self.walk_seconds(k, to_key, accessible=accessible)
            if onward is None:
                continue
            total = math.dist(start, tuple(end)) / WALK_SPEED + onward
            if best is None or total < best[0]:
                best = (total, k)
        if best is None:
            zh, en = place_name(key, names, start=True)
            b_zh, b_en = place_name(to_key, names)
            raise Unreachable(
                f"从{zh}到{b_zh}没有可通行的路线", f"No walkable route from {en} to {b_en}", "separated"
            )
        via = best[1]
        if via == to_key:
            legs: list[Leg] = [Leg(level, self._elevation[level], (start, self._place_point[to_key]))]
            changes: list[FloorChange] = []
            seconds = 0.0
        else:
            joined = self.route(via, to_key, accessible=accessible, with_steps=False)
            first = joined.legs[0]
            legs = [
                Leg(first.floor, first.elevation, _clean(np.array([start, *first.points]))),
                *joined.legs[1:],
            ]
            changes = list(joined.floor_changes)
            seconds = joined.time_s - joined.length_m / WALK_SPEED
        length = sum(leg.length() for leg in legs)
        steps = self._steps(legs, changes, key, to_key, None, names, floor_names)
        route = Route(
            from_key=key,
            to_key=to_key,
            accessible=accessible,
            length_m=length,
            time_s=length / WALK_SPEED + seconds,
            legs=tuple(legs),
            floor_changes=tuple(changes),
            steps=tuple(steps),
        )
        return route, via

    def walk_seconds(self, from_key: str, to_key: str, *, accessible: bool = False) -> float | None:
        """The time (s) the route from *from_key* to *to_key* takes, or None when there is none; cheaper
        than ``route`` (no directions), for choosing among many candidates."""
        try:
            return self.route(from_key, to_key, accessible=accessible, with_steps=False).time_s
        except RouteError:
            return None

    def nearest(self, from_key: str, candidates: Sequence[str], *, accessible: bool = False) -> str | None:
        """The candidate place nearest to *from_key* on foot (ties: the first in order), or None."""
        timed = [
            (self.walk_seconds(from_key, key, accessible=accessible), n, key)
            for n, key in enumerate(candidates)
        ]
        reachable = [t for t in timed if t[0] is not None]
        return min(reachable)[2] if reachable else None

    def _legs(self, path: list[int]) -> tuple[list[Leg], list[FloorChange], float]:
        """Split a node path into per-floor legs and the floor changes between them, with connector time."""
        groups: list[list[int]] = [[path[0]]]
        links: list[tuple[str, str, float]] = []
        for u, v in pairwise(path):
            if self._floor[u] == self._floor[v]:
                groups[-1].append(v)
            else:
                links.append(self._links[u, v])
                groups.append([v])
        # Riding one connector through a floor (1 → 2 → 3 on the same stairs) is one change, not two.
        k = 1
        while k < len(groups) - 1:
            if len(groups[k]) == 1 and links[k - 1][0] == links[k][0]:
                a, b = links[k - 1], links[k]
                links[k - 1 : k + 1] = [(a[0], a[1], a[2] + b[2])]
                del groups[k]
            else:
                k += 1
        legs = [
            Leg(int(self._floor[g[0]]), self._elevation[int(self._floor[g[0]])], _clean(self._xz[g]))
            for g in groups
        ]
        changes = [
            FloorChange(link[0], link[1], legs[n].floor, legs[n + 1].floor) for n, link in enumerate(links)
        ]
        return legs, changes, sum(link[2] for link in links)

    def _stranded_error(
        self, key: str, names: Names | None, floor_names: Mapping[int, Mapping[str, str]] | None
    ) -> Unreachable:
        zh, en = place_name(key, names)
        why = self._stranded[key]
        if why.reason == "no_floor":
            fzh, fen = floor_name(why.floor, floor_names)
            return Unreachable(
                f"无法到达{zh}：模型中没有{fzh}",
                f"{sentence(en)} cannot be reached: the model has no {fen}",
                "no_floor",
            )
        return Unreachable(
            f"无法到达{zh}：它不在可通行区域内（离通道超过{SNAP_DISTANCE:g}米）",
            f"{sentence(en)} cannot be reached: it is outside the walkable area "
            f"(more than {SNAP_DISTANCE:g} m from any walkway)",
            "outside",
        )

    def _unreachable_error(
        self,
        from_key: str,
        to_key: str,
        accessible: bool,
        names: Names | None,
        floor_names: Mapping[int, Mapping[str, str]] | None,
    ) -> Unreachable:
        a_zh, a_en = place_name(from_key, names, start=True)
        b_zh, b_en = place_name(to_key, names)
        source, target = self._place_node[from_key], self._place_node[to_key]
        if accessible and self._pred[self._row[source]][target] != UNREACHED:
            # There is a way, but only by stairs or escalators: name the floor that has no lift.
            for level in (self.places[to_key].floor, self.places[from_key].floor):
                if level not in self._lift_floors:
                    ways = sorted(self._floor_ways.get(level, set()) - {"lift"})
                    fzh, fen = floor_name(level, floor_names)
                    return Unreachable(
                        f"没有无障碍路线：{fzh}只能经{_ways_zh(ways)}到达",
                        f"No step-free route: {fen} is reached only by {_ways_en(ways)}",
                        "not_step_free",
                    )
            path = [target]
            pred = self._pred[self._row[source]]
            while path[-1] != source:
                path.append(int(pred[path[-1]]))
            _, changes, _ = self._legs(path[::-1])
            ways = sorted({c.type for c in changes} - {"lift"})
            return Unreachable(
                f"没有无障碍路线：从{a_zh}到{b_zh}必须经过{_ways_zh(ways)}，电梯无法到达",
                f"No step-free route: the way from {a_en} to {b_en} needs the {_ways_en(ways)}; no lift reaches it",
                "not_step_free",
            )
        if self.places[from_key].floor == self.places[to_key].floor:
            return Unreachable(
                f"从{a_zh}到{b_zh}没有可通行的路线：两处被墙或障碍物隔开",
                f"No walkable route from {a_en} to {b_en}: walls or obstacles separate them",
                "separated",
            )
        fzh, fen = floor_name(self.places[to_key].floor, floor_names)
        return Unreachable(
            f"从{a_zh}到{b_zh}没有可通行的路线：没有楼梯或电梯从这里通往{fzh}的这一区域",
            f"No walkable route from {a_en} to {b_en}: no stairs or lift lead from here to that part of {fen}",
            "no_connection",
        )


def _ways_zh(ways: Sequence[str]) -> str:
    return "或".join(directions.CONNECTOR_ZH[w] for w in ways) or "楼梯"


def _ways_en(ways: Sequence[str]) -> str:
    return " or ".join(directions.CONNECTOR_EN[w] for w in ways) or "stairs"


def _clean(points: np.ndarray) -> tuple[tuple[float, float], ...]:
    """*points* without repeats and without points on the straight line through their neighbours."""
    out: list[tuple[float, float]] = []
    for x, z in points.tolist():
        if out and math.dist(out[-1], (x, z)) < COLLINEAR_M:
            continue
        if len(out) >= 2:
            (ax, az), (bx, bz) = out[-2], out[-1]
            chord = math.hypot(x - ax, z - az)
            off = abs((bx - ax) * (z - az) - (bz - az) * (x - ax)) / chord if chord else 0.0
            onward = (bx - ax) * (x - bx) + (bz - az) * (z - bz) > 0  # not a turn back along the line
            if off < COLLINEAR_M and onward:
                out[-1] = (x, z)
                continue
        out.append((x, z))
    return tuple(out)
