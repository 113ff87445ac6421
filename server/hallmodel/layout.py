"""Hall layout specs (``models/<hall>.layout.yaml``): a readable description of a hall's floors, walls,
zones, counters, facilities and connectors, from which ``hallmodel.build`` makes the hall model.

Plan points are ``[x, z]`` in metres of model space (north is −Z); ``facing`` is the bearing of the side
where citizens stand. The format is documented in ``models/README.md``; ``load`` checks it against a JSON
Schema and for sense (counters inside the floor, no duplicate numbers) and raises ``LayoutError``
listing every problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from shapely.geometry import Point, Polygon

from ..problems import ProblemsError, problem, schema_problems
from ..vocabulary import CONNECTOR_TYPES, COUNTER_NUMBER_PATTERN, FACILITY_TYPES, SLUG_PATTERN

LAYOUTS = Path(__file__).resolve().parents[2] / "models"

# Sizes (metres) used where a spec says nothing.
COUNTER_WIDTH = 1.6
COUNTER_DEPTH = 0.8
KIOSK_WIDTH = 0.8
KIOSK_DEPTH = 0.6
WALL_THICKNESS_OUTER = 0.3
WALL_THICKNESS_INNER = 0.2
FACILITY_MARGIN = 0.5  # metres a facility may stand outside the outline: doors and signs sit on the wall line
AREA_SIZE = (4.0, 2.0)

POINT = {
    "type": "array",
    "prefixItems": [{"type": "number"}, {"type": "number"}],
    "minItems": 2,
    "maxItems": 2,
}
POLYGON = {"type": "array", "items": POINT, "minItems": 3}
ID = {"type": "string", "pattern": SLUG_PATTERN}
NUMBER = {"type": "string", "pattern": COUNTER_NUMBER_PATTERN}
BEARING = {"type": "number", "minimum": -180, "maximum": 360}
SIZE = {
    "type": "array",
    "prefixItems": [{"type": "number", "exclusiveMinimum": 0}] * 2,
    "minItems": 2,
    "maxItems": 2,
}
COUNTER_KIND = {"enum": ["desk", "kiosk"]}

SCHEMA = {
    "type": "object",
    "required": ["hall", "floors"],
    "additionalProperties": False,
    "properties": {
        "hall": ID,
        "wall_height": {"type": "number", "minimum": 2.2, "maximum": 20},
        "floors": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["level", "elevation", "outline"],
                "additionalProperties": False,
                "properties": {
                    "level": {"type": "integer"},
                    "elevation": {"type": "number"},
                    "outline": POLYGON,
                    "openings": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["at", "width"],
                            "additionalProperties": False,
                            "properties": {"at": POINT, "width": {"type": "number", "exclusiveMinimum": 0}},
                        },
                    },
                    "walls": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["path"],
                            "additionalProperties": False,
                            "properties": {
                                "path": {"type": "array", "items": POINT, "minItems": 2},
                                "thickness": {"type": "number", "exclusiveMinimum": 0, "maximum": 2},
                                "height": {"type": "number", "exclusiveMinimum": 0},
                            },
                        },
                    },
                    "zones": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["id", "polygon"],
                            "additionalProperties": False,
                            "properties": {"id": ID, "polygon": POLYGON},
                        },
                    },
                    "counters": {
                        "type": "array",
                        "items": {
                            "oneOf": [
                                {
                                    "type": "object",
                                    "required": ["number", "at", "facing"],
                                    "additionalProperties": False,
                                    "properties": {
                                        "number": NUMBER,
                                        "at": POINT,
                                        "facing": BEARING,
                                        "width": {"type": "number", "exclusiveMinimum": 0},
                                        "depth": {"type": "number", "exclusiveMinimum": 0},
                                        "kind": COUNTER_KIND,
                                    },
                                },
                                {
                                    "type": "object",
                                    "required": ["row", "from", "step", "facing"],
                                    "additionalProperties": False,
                                    "properties": {
                                        "row": {"type": "array", "items": NUMBER, "minItems": 1},
                                        "from": POINT,
                                        "step": POINT,
                                        "facing": BEARING,
                                        "width": {"type": "number", "exclusiveMinimum": 0},
                                        "depth": {"type": "number", "exclusiveMinimum": 0},
                                        "kind": COUNTER_KIND,
                                    },
                                },
                            ]
                        },
                    },
                    "facilities": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["id", "type", "at"],
                            "additionalProperties": False,
                            "properties": {
                                "id": ID,
                                "type": {"enum": FACILITY_TYPES},
                                "at": POINT,
                                "size": SIZE,
                            },
                        },
                    },
                    "obstacles": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["polygon", "height"],
                            "additionalProperties": False,
                            "properties": {
                                "polygon": POLYGON,
                                "height": {"type": "number", "exclusiveMinimum": 0},
                            },
                        },
                    },
                },
            },
        },
        "connectors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "type", "floors", "at", "size"],
                "additionalProperties": False,
                "properties": {
                    "id": ID,
                    "type": {"enum": list(CONNECTOR_TYPES)},
                    "floors": {"type": "array", "items": {"type": "integer"}, "minItems": 2},
                    "at": POINT,
                    "size": SIZE,
                },
            },
        },
    },
}


class LayoutError(ProblemsError, ValueError):
    """A layout spec that cannot be built; ``problems`` lists each one as ``{where, zh, en}`` (400)."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        n = len(problems)
        super().__init__("bad_layout", f"布局文件有 {n} 处问题", f"layout problems ({n})", problems)


@dataclass
class CounterSpec:
    number: str
    at: tuple[float, float]
    facing: float
    width: float
    depth: float
    kind: str = "desk"


@dataclass
class FacilitySpec:
    id: str
    type: str
    at: tuple[float, float]
    size: tuple[float, float] | None = None


@dataclass
class WallSpec:
    path: list[tuple[float, float]]
    thickness: float
    height: float | None = None


@dataclass
class FloorSpec:
    level: int
    elevation: float
    outline: list[tuple[float, float]]
    openings: list[tuple[tuple[float, float], float]] = field(default_factory=list)
    walls: list[WallSpec] = field(default_factory=list)
    zones: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    counters: list[CounterSpec] = field(default_factory=list)
    facilities: list[FacilitySpec] = field(default_factory=list)
    obstacles: list[tuple[list[tuple[float, float]], float]] = field(default_factory=list)


@dataclass
class ConnectorSpec:
    id: str
    type: str
    floors: tuple[int, ...]
    at: tuple[float, float]
    size: tuple[float, float]


@dataclass
class Layout:
    hall: str
    wall_height: float
    floors: list[FloorSpec]
    connectors: list[ConnectorSpec]


def _pt(value: list[float]) -> tuple[float, float]:
    return float(value[0]), float(value[1])


def _counters(entries: list[dict[str, Any]]) -> list[CounterSpec]:
    counters = []
    for entry in entries:
        kind = entry.get("kind", "desk")
        width = entry.get("width", KIOSK_WIDTH if kind == "kiosk" else COUNTER_WIDTH)
        depth = entry.get("depth", KIOSK_DEPTH if kind == "kiosk" else COUNTER_DEPTH)
        if "row" in entry:
            (x, z), (dx, dz) = _pt(entry["from"]), _pt(entry["step"])
            for i, number in enumerate(entry["row"]):
                counters.append(
                    CounterSpec(number, (x + i * dx, z + i * dz), entry["facing"], width, depth, kind)
                )
        else:
            counters.append(
                CounterSpec(entry["number"], _pt(entry["at"]), entry["facing"], width, depth, kind)
            )
    return counters


def parse(data: Any) -> Layout:
    """Check and convert a loaded spec; raise LayoutError listing every problem."""
    problems = schema_problems(Draft202012Validator(SCHEMA).iter_errors(data))
    if problems:
        raise LayoutError(problems)
    floors = []
    for f in data["floors"]:
        floors.append(
            FloorSpec(
                level=f["level"],
                elevation=float(f["elevation"]),
                outline=[_pt(p) for p in f["outline"]],
                openings=[(_pt(o["at"]), float(o["width"])) for o in f.get("openings", [])],
                walls=[
                    WallSpec(
                        [_pt(p) for p in w["path"]], w.get("thickness", WALL_THICKNESS_INNER), w.get("height")
                    )
                    for w in f.get("walls", [])
                ],
                zones={z["id"]: [_pt(p) for p in z["polygon"]] for z in f.get("zones", [])},
                counters=_counters(f.get("counters", [])),
                facilities=[
                    FacilitySpec(x["id"], x["type"], _pt(x["at"]), _pt(x["size"]) if "size" in x else None)
                    for x in f.get("facilities", [])
                ],
                obstacles=[
                    ([_pt(p) for p in o["polygon"]], float(o["height"])) for o in f.get("obstacles", [])
                ],
            )
        )
    layout = Layout(
        hall=data["hall"],
        wall_height=float(data.get("wall_height", 4.5)),
        floors=floors,
        connectors=[
            ConnectorSpec(c["id"], c["type"], tuple(sorted(c["floors"])), _pt(c["at"]), _pt(c["size"]))
            for c in data.get("connectors", [])
        ],
    )
    problems = _sense_problems(layout)
    if problems:
        raise LayoutError(problems)
    return layout


def _sense_problems(layout: Layout) -> list[dict[str, str]]:
    problems = []
    levels = [f.level for f in layout.floors]
    if len(set(levels)) != len(levels):
        problems.append(problem("floors", "楼层编号重复", "duplicate level"))
    numbers: list[str] = []
    ids: list[str] = []
    for i, floor in enumerate(layout.floors):
        where = f"floors/{i}"
        outline = Polygon(floor.outline)
        if not outline.is_valid or outline.area <= 0:
            problems.append(
                problem(
                    f"{where}/outline",
                    f"{floor.level} 层的轮廓不是有面积的简单多边形",
                    f"floor {floor.level}: outline is not a simple polygon with an area",
                )
            )
            continue
        for c in floor.counters:
            numbers.append(c.number)
            if not outline.contains(Point(c.at)):
                problems.append(
                    problem(
                        f"{where}/counters",
                        f"窗口 {c.number} 位于 {c.at}，在 {floor.level} 层之外",
                        f"floor {floor.level}: counter {c.number} at {c.at} is outside the floor",
                    )
                )
        for x in floor.facilities:
            ids.append(x.id)
            if not outline.buffer(FACILITY_MARGIN).contains(Point(x.at)):
                problems.append(
                    problem(
                        f"{where}/facilities",
                        f"设施 {x.id} 位于 {x.at}，在 {floor.level} 层之外",
                        f"floor {floor.level}: facility {x.id} at {x.at} is outside the floor",
                    )
                )
        for zone_id, polygon in floor.zones.items():
            if not Polygon(polygon).is_valid:
                problems.append(
                    problem(
                        f"{where}/zones",
                        f"区域 {zone_id} 不是简单多边形",
                        f"floor {floor.level}: zone {zone_id} is not a simple polygon",
                    )
                )
    problems += [
        problem("counters", f"窗口编号 {n} 重复", f"duplicate number {n}")
        for n in sorted({n for n in numbers if numbers.count(n) > 1})
    ]
    problems += [
        problem("facilities", f"设施编号 {i} 重复", f"duplicate id {i}")
        for i in sorted({i for i in ids if ids.count(i) > 1})
    ]
    for n, c in enumerate(layout.connectors):
        missing = [lv for lv in c.floors if lv not in levels]
        if missing:
            problems.append(
                problem(
                    f"connectors/{n}/floors",
                    f"连接 {c.id} 通往不存在的楼层 {missing}",
                    f"connector {c.id}: no floor {missing}",
                )
            )
    return problems


def load(path: Path) -> Layout:
    """Read and check the layout spec at *path*."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise LayoutError([problem(str(path), "无法读取文件", f"cannot read: {exc}")]) from exc
    return parse(data)


def layout_path(hall: str) -> Path:
    """Where the layout spec of *hall* lives."""
    return LAYOUTS / f"{hall}.layout.yaml"
