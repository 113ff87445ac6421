"""What the rest of the system knows of a hall model: floors, obstacles and the nodes that matter.

Everything here is in plan coordinates ``(x, z)`` of model space (metres; north is −Z; see
``conventions``), with shapely polygons for areas. It is produced from a GLB by ``hallmodel.check`` (for any
model, built here or made elsewhere) and consumed by routing, floor plans and hotspots — none of which
read the GLB themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import shapely
from shapely.geometry import Polygon

from ..vocabulary import CONNECTOR_TYPES  # noqa: F401  (re-exported for check and layout)

ConnectorType = Literal["lift", "stairs", "escalator"]


@dataclass(frozen=True)
class Place:
    """A point people go from or to, on a floor: ``counter:A01`` (its standing point),
    ``facility:toilet-1``, ``scene:lobby``, ``entrance:main``."""

    key: str
    floor: int
    x: float
    z: float


@dataclass(frozen=True)
class Connector:
    """Stairs, a lift or an escalator joining *floors* (levels, ascending) at plan point ``(x, z)``."""

    id: str
    type: ConnectorType
    floors: tuple[int, ...]
    x: float
    z: float


@dataclass
class NodeInfo:
    """A counter or facility node of the model.

    ``anchor`` is the centre of the node's bounds (model space, 3 floats); ``footprint`` its plan
    outline; ``facing`` the bearing of a counter's service side (its local +Z); ``standing`` the plan
    point where a citizen stands to be served (counters) or to use it (facilities)."""

    name: str
    kind: Literal["counter", "facility"]
    key: str
    floor: int | None
    anchor: tuple[float, float, float]
    footprint: Polygon | None = None
    facing: float | None = None
    standing: tuple[float, float] | None = None


@dataclass
class FloorGeometry:
    """One floor: its outline (the extent people may walk before obstacles), the obstacles cut at
    walking heights (walls, desks, machines, seats), and the zones painted on it."""

    level: int
    elevation: float
    outline: Polygon
    obstacles: list[Polygon] = field(default_factory=list)
    walls: list[Polygon] = field(default_factory=list)
    zones: dict[str, Polygon] = field(default_factory=dict)


@dataclass
class HallGeometry:
    """A whole hall model as plan geometry."""

    floors: dict[int, FloorGeometry]
    nodes: dict[str, NodeInfo]
    connectors: list[Connector] = field(default_factory=list)

    def counters(self) -> list[NodeInfo]:
        return sorted((n for n in self.nodes.values() if n.kind == "counter"), key=lambda n: n.key)

    def facilities(self) -> list[NodeInfo]:
        return sorted((n for n in self.nodes.values() if n.kind == "facility"), key=lambda n: n.key)


# Stored form (``publishing.hallmodels`` keeps it beside the published model): plain JSON, areas as WKB hex,
# so that loading is exact and executes nothing.


def _wkb(shape) -> str | None:
    return None if shape is None else shapely.to_wkb(shape, hex=True)


def _shape(text: str | None):
    return None if text is None else shapely.from_wkb(text)


def geometry_to_json(geometry: HallGeometry) -> dict:
    """*geometry* as JSON-ready data (``geometry_from_json`` gives it back exactly)."""
    return {
        "floors": [
            {
                "level": f.level,
                "elevation": f.elevation,
                "outline": _wkb(f.outline),
                "obstacles": [_wkb(g) for g in f.obstacles],
                "walls": [_wkb(g) for g in f.walls],
                "zones": {code: _wkb(g) for code, g in f.zones.items()},
            }
            for f in geometry.floors.values()
        ],
        "nodes": [
            {
                "name": n.name,
                "kind": n.kind,
                "key": n.key,
                "floor": n.floor,
                "anchor": list(n.anchor),
                "footprint": _wkb(n.footprint),
                "facing": n.facing,
                "standing": list(n.standing) if n.standing is not None else None,
            }
            for n in geometry.nodes.values()
        ],
        "connectors": [
            {"id": c.id, "type": c.type, "floors": list(c.floors), "x": c.x, "z": c.z}
            for c in geometry.connectors
        ],
    }


def geometry_from_json(data: dict) -> HallGeometry:
    """The ``HallGeometry`` that ``geometry_to_json`` stored."""
    floors = {
        f["level"]: FloorGeometry(
            f["level"],
            f["elevation"],
            _shape(f["outline"]),
            [_shape(g) for g in f["obstacles"]],
            [_shape(g) for g in f["walls"]],
            {code: _shape(g) for code, g in f["zones"].items()},
        )
        for f in data["floors"]
    }
    nodes = {
        n["name"]: NodeInfo(
            n["name"],
            n["kind"],
            n["key"],
            n["floor"],
            tuple(n["anchor"]),
            _shape(n["footprint"]),
            n["facing"],
            tuple(n["standing"]) if n["standing"] is not None else None,
        )
        for n in data["nodes"]
    }
    connectors = [
        Connector(c["id"], c["type"], tuple(c["floors"]), c["x"], c["z"]) for c in data["connectors"]
    ]
    return HallGeometry(floors, nodes, connectors)
