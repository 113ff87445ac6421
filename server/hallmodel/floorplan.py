"""Floor plans: one standalone SVG per floor, drawn from the plan geometry of the hall model.

Input is a ``FloorGeometry`` and the model's ``NodeInfo`` list (plan coordinates ``(x, z)`` in metres,
see ``conventions``), plus ``PlanLabels`` for what the model does not know (names, zone colours, counter
statuses, facility types). Output is SVG text whose user units are metres: plan ``x`` is SVG ``x`` and plan
``z`` is SVG ``y``, so north (−Z) is up. Presentation attributes rather than a ``<style>`` sheet, so that a
page which inlines the SVG gets no stray CSS and its own CSS can still override colours.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple, NotRequired, TypedDict
from xml.sax.saxutils import escape, quoteattr

from shapely import get_parts
from shapely.geometry import Point, box
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from ..conventions import bearing_to_vector
from ..vocabulary import COUNTER_STATUSES, FACILITIES, UNKNOWN_FACILITY, Facility
from .geometry import FloorGeometry, NodeInfo

LANGS = ("zh", "en")
STATUSES = tuple(COUNTER_STATUSES)
PX_PER_METRE = 20  # width/height attributes; the viewBox stays in metres and clients scale freely
MARGIN = 1.0  # metres of paper around the plan
HEADER = 3.6  # metres above the plan for the caption and the north arrow
ROW = 1.4  # metres per footer row (scale bar, legend)
MIN_AREA = 0.01  # m²; slivers left by subtracting walls from obstacles are not drawn
FONT_FAMILY = "'PingFang SC','Microsoft YaHei','Noto Sans CJK SC','WenQuanYi Micro Hei',sans-serif"
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
# Characters XML 1.0 forbids even when escaped; names typed into an admin form may carry them.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")

PAPER, FLOOR, FLOOR_EDGE, WALL, OBSTACLE = "#ffffff", "#f4f1ea", "#c8c2b4", "#3d4049", "#b4b8bf"
INK, HALO, MUTED, MUTED_FILL = "#1f3a5f", "#ffffff", "#8c8c8c", "#e2e2e2"
ZONE_DEFAULT = "#8a94a6"
ZONE_OPACITY = ".14"

COUNTER_SIZE = (1.2, 0.8)  # metres; drawn around the anchor when the model gives no footprint
COUNTER_TEXT = 0.6  # metres; "B03" fits a 1.6 m desk and overflows thin ones legibly thanks to the halo
FACILITY_R = 0.55  # metres; a 22 px disc at the nominal scale
LABEL_TEXT = 0.6
MIN_LABEL_TEXT = 0.4  # a long zone name shrinks to its zone's width, but not below this
WRAP_EM = 12  # zone names longer than this (in ems) break onto two lines at a space
LABEL_GRID = 8  # zone names try the points of an 8 × 8 grid over the zone when the centre is taken
SIMPLIFY = 0.02  # metres; finer detail than 0.4 px at the nominal scale only costs bytes
CAPTION_TEXT = 1.2
NICE_SCALES = (1, 2, 5, 10, 20, 50, 100, 200)


class Symbol(NamedTuple):
    """How a facility type is drawn: a glyph per language, the type's name for the legend, a colour."""

    zh: str
    en: str
    name_zh: str
    name_en: str
    color: str


def _symbol(f: Facility) -> Symbol:
    return Symbol(f.glyph_zh, f.glyph_en, f.zh, f.en, f.color)


FACILITY_SYMBOLS: dict[str, Symbol] = {kind: _symbol(f) for kind, f in FACILITIES.items()}
UNKNOWN_SYMBOL = _symbol(UNKNOWN_FACILITY)  # a type newer than the vocabulary still shows

TEXT = {
    "zh": {
        "counter": "{number} 窗口",
        **{status: label.zh for status, label in COUNTER_STATUSES.items()},
        "plan": "{caption}平面图",
        "desc": "本层共 {counters} 个窗口、{facilities} 处设施。北在上方。",
        "north": "北",
        "metres": "{n} 米",
        "join": " · ",
        "status": "（{status}）",
    },
    "en": {
        "counter": "Counter {number}",
        **{status: label.en for status, label in COUNTER_STATUSES.items()},
        "plan": "Floor plan: {caption}",
        "desc": "{counters} counters and {facilities} facilities on this floor. North is up.",
        "north": "N",
        "metres": "{n} m",
        "join": " · ",
        "status": " ({status})",
    },
}


class ZoneLabel(TypedDict):
    name: dict[str, str]
    color: NotRequired[str | None]


class CounterLabel(TypedDict):
    name: dict[str, str]
    department: NotRequired[dict[str, str] | None]
    status: NotRequired[str]


class FacilityLabel(TypedDict):
    type: str
    name: dict[str, str]


@dataclass(frozen=True)
class PlanLabels:
    """What a plan shows that the model does not know, keyed by zone id, counter number and facility id."""

    hall_name: dict[str, str]
    floor_name: dict[str, str]
    zones: dict[str, ZoneLabel] = field(default_factory=dict)
    counters: dict[str, CounterLabel] = field(default_factory=dict)
    facilities: dict[str, FacilityLabel] = field(default_factory=dict)


def render_plan(
    floor: FloorGeometry, nodes: Iterable[NodeInfo], *, labels: PlanLabels, lang: str = "zh"
) -> str:
    """Return the SVG document (text) of *floor* with the counters and facilities of *nodes* on it."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    if floor.outline.is_empty:
        raise ValueError(f"floor {floor.level}: outline is empty")
    text = TEXT[lang]
    nodes = list(nodes)  # walked twice; a generator would be spent after the counters
    counters = sorted(
        ((_node_id(n, "counter"), n) for n in nodes if n.kind == "counter" and n.floor == floor.level),
        key=lambda pair: pair[0],
    )
    facilities = sorted(
        ((_node_id(n, "facility"), n) for n in nodes if n.kind == "facility" and n.floor == floor.level),
        key=lambda pair: pair[0],
    )
    for zone_id, zone in labels.zones.items():
        if zone.get("color") is not None and not COLOR.match(zone["color"]):
            raise ValueError(f"labels.zones[{zone_id!r}].color must be #rrggbb, not {zone['color']!r}")
    for number, counter in labels.counters.items():
        if counter.get("status", "open") not in STATUSES:
            raise ValueError(f"labels.counters[{number!r}].status must be one of {STATUSES}")

    minx, minz, maxx, maxz = _extent(floor, [n for _, n in counters], [n for _, n in facilities])
    caption = text["join"].join(s for s in (_t(labels.hall_name, lang), _t(labels.floor_name, lang)) if s)
    x0, y0 = minx - MARGIN, minz - HEADER
    x1 = max(maxx + MARGIN, minx + _em(caption) * CAPTION_TEXT + 3.0)  # a long caption widens the paper
    scale = _nice_scale(maxx - minx)
    statuses = {_counter_label(labels, number).get("status", "open") for number, _ in counters}
    legend, rows = _legend(
        [t for t in FACILITY_SYMBOLS if any(_facility_type(labels, i) == t for i, _ in facilities)],
        [s for s in STATUSES[1:] if s in statuses],
        lang,
        x=minx + scale + 2.5,
        y=maxz + MARGIN,
        left=minx,
        right=x1 - MARGIN,
    )
    y1 = maxz + MARGIN + rows * ROW + MARGIN / 2
    title = text["plan"].format(caption=caption).strip()

    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        _open(
            "svg",
            xmlns="http://www.w3.org/2000/svg",
            viewBox=" ".join(_n(v) for v in (x0, y0, x1 - x0, y1 - y0)),
            width=str(round((x1 - x0) * PX_PER_METRE)),
            height=str(round((y1 - y0) * PX_PER_METRE)),
            role="img",
            **{
                "aria-label": title,
                "xml:lang": "zh-CN" if lang == "zh" else "en",
                "font-family": FONT_FAMILY,
                # The drawn plan without caption, scale bar and legend, for a minimap that crops to it.
                "data-plan-bounds": " ".join(_n(v) for v in (minx, minz, maxx, maxz)),
            },
        ),
        _el("title", text=title),
        _el("desc", text=text["desc"].format(counters=len(counters), facilities=len(facilities))),
        _el(
            "rect",
            **{"class": "background"},
            x=_n(x0),
            y=_n(y0),
            width=_n(x1 - x0),
            height=_n(y1 - y0),
            fill=PAPER,
        ),
        _floor(floor),
        _zones(floor, labels, lang, _occupied([n for _, n in counters], [n for _, n in facilities])),
        _open(
            "g",
            **{"class": "counters", "stroke-width": ".08", "stroke-linejoin": "round"},
            **{"font-size": _n(COUNTER_TEXT), "font-weight": "bold", "text-anchor": "middle"},
        ),
        *(_counter(number, node, _counter_label(labels, number), lang) for number, node in counters),
        "</g>",
        '<g class="facilities" text-anchor="middle" font-weight="bold">',
        *(_facility(fid, node, labels.facilities.get(fid), lang) for fid, node in facilities),
        "</g>",
        _el(
            "text",
            text=caption,
            **{"class": "caption", "font-size": _n(CAPTION_TEXT), "font-weight": "bold"},
            x=_n(minx),
            y=_n(y0 + 2.2),
            fill=INK,
        ),
        _north_arrow(x1 - MARGIN - 0.6, y0 + 0.3, text["north"]),
        _scale_bar(minx, maxz + MARGIN, scale, text["metres"]),
        legend,
        "</svg>\n",
    ]
    return "".join(parts)


def _node_id(node: NodeInfo, kind: str) -> str:
    """The counter number or facility id of *node*: its key (or name) without the ``kind:`` prefix."""
    for candidate in (node.key, node.name):
        if candidate.startswith(kind + ":"):
            return candidate[len(kind) + 1 :]
    return node.key


def _counter_label(labels: PlanLabels, number: str) -> CounterLabel:
    return labels.counters.get(number) or {"name": {}}


def _facility_type(labels: PlanLabels, facility_id: str) -> str | None:
    label = labels.facilities.get(facility_id)
    return label.get("type") if label else None


def _extent(
    floor: FloorGeometry, counters: list[NodeInfo], facilities: list[NodeInfo]
) -> tuple[float, float, float, float]:
    """Plan bounds of everything drawn: the outline, counter footprints and facility discs."""
    minx, minz, maxx, maxz = floor.outline.bounds
    boxes = []
    for node in counters:
        x, z = _anchor(node)
        if node.footprint is not None and not node.footprint.is_empty:
            boxes.append(node.footprint.bounds)
        boxes.append((x - 1.0, z - 1.0, x + 1.0, z + 1.0))  # the number and the service-side mark
    for node in facilities:
        x, z = _anchor(node)
        boxes.append((x - FACILITY_R, z - FACILITY_R, x + FACILITY_R, z + FACILITY_R))
    for bx0, bz0, bx1, bz1 in boxes:
        minx, minz, maxx, maxz = min(minx, bx0), min(minz, bz0), max(maxx, bx1), max(maxz, bz1)
    if not all(math.isfinite(v) for v in (minx, minz, maxx, maxz)):
        raise ValueError(f"floor {floor.level}: geometry has non-finite coordinates")
    return minx, minz, maxx, maxz


def _anchor(node: NodeInfo) -> tuple[float, float]:
    x, _y, z = node.anchor
    if not (math.isfinite(x) and math.isfinite(z)):
        raise ValueError(f"node {node.key!r}: anchor must be finite, not {node.anchor!r}")
    return float(x), float(z)


def _floor(floor: FloorGeometry) -> str:
    """Outline, then obstacles that are not walls, then walls on top."""
    walls = unary_union(floor.walls) if floor.walls else None
    obstacles = unary_union(floor.obstacles) if floor.obstacles else None
    if obstacles is not None and walls is not None:
        obstacles = obstacles.difference(walls)
    out = ['<g class="floor" fill-rule="evenodd">']
    out.append(_el("path", d=_path(floor.outline), fill=FLOOR, stroke=FLOOR_EDGE, **{"stroke-width": ".1"}))
    for geometry, colour, name in ((obstacles, OBSTACLE, "obstacles"), (walls, WALL, "walls")):
        d = _path(geometry) if geometry is not None else ""
        if d:
            out.append(_el("path", **{"class": name}, d=d, fill=colour))
    out.append("</g>")
    return "".join(out)


def _zones(floor: FloorGeometry, labels: PlanLabels, lang: str, occupied: BaseGeometry) -> str:
    """Zone tints with their names, each name shrunk to the zone's width and kept off counters."""
    out = ['<g class="zones" text-anchor="middle">']
    for zone_id in sorted(floor.zones):
        polygon = floor.zones[zone_id]
        d = _path(polygon)
        if not d:
            continue
        label = labels.zones.get(zone_id)
        colour = (label.get("color") if label else None) or ZONE_DEFAULT
        name = (_t(label.get("name"), lang) if label else "") or _clean(zone_id)
        lines = _wrap(name)
        longest = max(_em(line) for line in lines)
        width = polygon.bounds[2] - polygon.bounds[0]
        size = max(MIN_LABEL_TEXT, min(LABEL_TEXT, 0.9 * width / max(longest, 1.0)))
        x, z = _label_point(polygon, longest * size + 0.2, 1.2 * size * len(lines), occupied)
        out.append(_open("g", **{"class": "zone", "data-zone": zone_id}))
        out.append(
            _el(
                "path",
                d=d,
                fill=colour,
                stroke=colour,
                **{"fill-opacity": ZONE_OPACITY, "stroke-opacity": ".5", "stroke-width": ".06"},
            )
        )
        attrs = {"font-size": _n(size), **_halo(_darken(colour))}
        top = z + 0.35 * size - 0.6 * size * (len(lines) - 1)
        if len(lines) == 1:
            out.append(_el("text", text=name, x=_n(x), y=_n(top), **attrs))
        else:
            spans = "".join(
                _el("tspan", text=line, x=_n(x), dy="1.2em" if i else None) for i, line in enumerate(lines)
            )
            out.append(_open("text", x=_n(x), y=_n(top), **attrs) + spans + "</text>")
        out.append("</g>")
    out.append("</g>")
    return "".join(out)


def _wrap(name: str) -> list[str]:
    """*name* on one line, or two when it is long and has a space to break at (English zone names)."""
    if _em(name) <= WRAP_EM or " " not in name.strip():
        return [name]
    middle = len(name) / 2
    cut = min((i for i, ch in enumerate(name) if ch == " "), key=lambda i: (abs(i - middle), i))
    return [name[:cut].strip(), name[cut + 1 :].strip()]


def _label_point(
    polygon: BaseGeometry, width: float, height: float, occupied: BaseGeometry
) -> tuple[float, float]:
    """A centre for a *width* × *height* label inside *polygon*, nearest its representative point, clear
    of *occupied*; the representative point itself when no point of a coarse grid is clear."""
    home = polygon.representative_point()
    minx, minz, maxx, maxz = polygon.bounds
    steps = range(1, LABEL_GRID)
    candidates = [(home.x, home.y)]  # shapely's y is plan z
    candidates += sorted(
        (
            (minx + (maxx - minx) * i / LABEL_GRID, minz + (maxz - minz) * j / LABEL_GRID)
            for i in steps
            for j in steps
        ),
        key=lambda p: ((p[0] - home.x) ** 2 + (p[1] - home.y) ** 2, p),
    )
    room = polygon.buffer(0.1)
    areas = [(x, z, box(x - width / 2, z - height / 2, x + width / 2, z + height / 2)) for x, z in candidates]
    # Best inside the zone; else spilling over its edge (the halo keeps it legible) rather than over a counter.
    for x, z, area in areas:
        if room.contains(area) and not area.intersects(occupied):
            return x, z
    for x, z, area in areas:
        if polygon.contains(Point(x, z)) and not area.intersects(occupied):
            return x, z
    return home.x, home.y


def _occupied(counters: list[NodeInfo], facilities: list[NodeInfo]) -> BaseGeometry:
    """Where counters (with their numbers and marks) and facility symbols are drawn; labels avoid it."""
    shapes = []
    for node in counters:
        x, z = _anchor(node)
        shapes.append(box(x - 1.0, z - 0.7, x + 1.0, z + 0.7))
        if node.footprint is not None and not node.footprint.is_empty:
            shapes.append(node.footprint.buffer(0.45))
    for node in facilities:
        x, z = _anchor(node)
        shapes.append(Point(x, z).buffer(FACILITY_R + 0.1))
    return unary_union(shapes) if shapes else Point()


def _counter(number: str, node: NodeInfo, label: CounterLabel, lang: str) -> str:
    """One counter: footprint, service-side triangle, number, and a title naming it."""
    text = TEXT[lang]
    status = label.get("status", "open")
    x, z = _anchor(node)
    name = _t(label.get("name"), lang)
    title = f"{number} {name}" if name else text["counter"].format(number=number)
    department = _t(label.get("department"), lang)
    if department:
        title += text["join"] + department
    if status != "open":
        title += text["status"].format(status=text[status])
    ink = INK if status == "open" else MUTED
    footprint = node.footprint
    d = _path(footprint) if footprint is not None and not footprint.is_empty else ""
    if not d:  # no usable footprint: a stand-in desk, so the counter still shows as one
        footprint = None
        w, h = COUNTER_SIZE
        d = _ring(
            [(x - w / 2, z - h / 2), (x + w / 2, z - h / 2), (x + w / 2, z + h / 2), (x - w / 2, z + h / 2)]
        )
    desk = {"fill": MUTED_FILL if status == "closed" else PAPER, "stroke": ink}
    if status == "paused":
        desk["stroke-dasharray"] = ".2 .12"
    out = [
        _open(
            "g", id=f"counter-{number}", **{"class": "counter", "data-number": number, "data-status": status}
        ),
        _el("title", text=title),
        _el("path", d=d, **desk),
    ]
    if node.facing is not None and math.isfinite(node.facing):
        out.append(
            _el("path", d=_service_mark(x, z, node.facing, footprint, number), fill=ink, stroke="none")
        )
    out.append(_el("text", text=number, x=_n(x), y=_n(z + 0.35 * COUNTER_TEXT), **_halo(ink)))
    if status == "closed":  # struck through, so "closed" reads without colour
        half = _em(number) * COUNTER_TEXT * 0.55 + 0.1
        out.append(
            _el("path", d=f"M{_n(x - half)} {_n(z)}H{_n(x + half)}", stroke=ink, **{"stroke-width": ".1"})
        )
    out.append("</g>")
    return "".join(out)


def _service_mark(x: float, z: float, facing: float, footprint: BaseGeometry | None, number: str) -> str:
    """A small triangle just outside the desk edge on the service side, pointing at the citizen."""
    dx, dz = bearing_to_vector(facing)
    if footprint is None or footprint.is_empty:  # the stand-in box is axis-aligned
        reach = abs(dx) * COUNTER_SIZE[0] / 2 + abs(dz) * COUNTER_SIZE[1] / 2
    else:  # how far the desk extends from the anchor towards the citizen
        reach = max((px - x) * dx + (pz - z) * dz for px, pz in _coords(footprint))
    # Numbers are wider than a desk seen end-on; keep the mark clear of the number too.
    text = abs(dx) * _em(number) * COUNTER_TEXT * 0.55 + abs(dz) * 0.4 * COUNTER_TEXT
    reach = max(reach, text)
    px, pz = -dz, dx  # perpendicular
    base, tip, half = reach + 0.08, reach + 0.4, 0.28
    points = [
        (x + dx * base + px * half, z + dz * base + pz * half),
        (x + dx * tip, z + dz * tip),
        (x + dx * base - px * half, z + dz * base - pz * half),
    ]
    return _ring(points)


def _facility(facility_id: str, node: NodeInfo, label: FacilityLabel | None, lang: str) -> str:
    """One facility: a coloured disc with its glyph, and a title naming it."""
    kind = (label.get("type") if label else None) or "facility"
    symbol = FACILITY_SYMBOLS.get(kind, UNKNOWN_SYMBOL)
    name = _t(label.get("name"), lang) if label else ""
    title = name or (symbol.name_zh if lang == "zh" else symbol.name_en)
    x, z = _anchor(node)
    return "".join(
        [
            _open("g", id=f"facility-{facility_id}", **{"class": "facility", "data-type": kind}),
            _el("title", text=title),
            _disc(x, z, FACILITY_R, symbol, lang),
            "</g>",
        ]
    )


def _disc(x: float, z: float, r: float, symbol: Symbol, lang: str) -> str:
    """A facility symbol: disc and glyph, the glyph shrunk to fit."""
    glyph = symbol.zh if lang == "zh" else symbol.en
    size = min(1.25 * r, 1.6 * r / max(_em(glyph, latin=0.7), 1.0))
    return _el(
        "circle", cx=_n(x), cy=_n(z), r=_n(r), fill=symbol.color, stroke=HALO, **{"stroke-width": ".08"}
    ) + _el("text", text=glyph, x=_n(x), y=_n(z + 0.35 * size), fill=HALO, **{"font-size": _n(size)})


def _north_arrow(cx: float, top: float, letter: str) -> str:
    """北 over an arrow pointing up the page (−Z), 2.8 m tall."""
    arrow = _ring([(cx, top + 1.1), (cx + 0.55, top + 2.9), (cx, top + 2.45), (cx - 0.55, top + 2.9)])
    return (
        f'<g class="north-arrow" fill="{INK}" text-anchor="middle">'
        + _el("text", text=letter, x=_n(cx), y=_n(top + 0.85), **{"font-size": ".8", "font-weight": "bold"})
        + _el("path", d=arrow)
        + "</g>"
    )


def _nice_scale(width: float) -> int:
    """The longest round length (metres) no more than a fifth of the plan's width."""
    fitting = [s for s in NICE_SCALES if s <= width / 5]
    return fitting[-1] if fitting else NICE_SCALES[0]


def _scale_bar(x: float, y: float, length: int, unit: str) -> str:
    """Two alternating half bars with 0 and the length written under their ends."""
    half, top, h = length / 2, y + 0.3, 0.3
    return (
        f'<g class="scale-bar" stroke="{INK}" stroke-width=".06" font-size=".55" text-anchor="middle">'
        + _el("rect", x=_n(x), y=_n(top), width=_n(half), height=_n(h), fill=INK)
        + _el("rect", x=_n(x + half), y=_n(top), width=_n(half), height=_n(h), fill=PAPER)
        + _el("text", text="0", x=_n(x), y=_n(y + 1.25), fill=INK, stroke="none")
        + _el("text", text=unit.format(n=length), x=_n(x + length), y=_n(y + 1.25), fill=INK, stroke="none")
        + "</g>"
    )


def _legend(
    types: list[str], statuses: list[str], lang: str, *, x: float, y: float, left: float, right: float
) -> tuple[str, int]:
    """The symbols used on this floor with their names, flowing in rows; returns (svg, rows used)."""
    size, r = 0.55, 0.42
    entries = []
    for kind in types:
        symbol = FACILITY_SYMBOLS[kind]
        entries.append((symbol.name_zh if lang == "zh" else symbol.name_en, symbol, None))
    for status in statuses:
        entries.append((TEXT[lang][status], None, status))
    if not entries:
        return "", 1
    out = [f'<g class="legend" font-size="{_n(size)}">']
    row = 0
    for name, symbol, status in entries:
        width = 2 * r + 0.3 + _em(name) * size + 0.9
        if x + width > right and x > left:
            row, x = row + 1, left
        cy = y + row * ROW + 0.7
        if symbol is not None:
            out.append(f'<g text-anchor="middle" font-weight="bold">{_disc(x + r, cy, r, symbol, lang)}</g>')
        else:
            desk = {
                "fill": MUTED_FILL if status == "closed" else PAPER,
                "stroke": MUTED,
                "stroke-width": ".08",
            }
            if status == "paused":
                desk["stroke-dasharray"] = ".2 .12"
            out.append(_el("rect", x=_n(x), y=_n(cy - r * 0.6), width=_n(2 * r), height=_n(1.2 * r), **desk))
            if status == "closed":
                out.append(
                    _el(
                        "path", d=f"M{_n(x)} {_n(cy)}H{_n(x + 2 * r)}", stroke=MUTED, **{"stroke-width": ".1"}
                    )
                )
        out.append(_el("text", text=name, x=_n(x + 2 * r + 0.3), y=_n(cy + 0.35 * size), fill=INK))
        x += width
    out.append("</g>")
    return "".join(out), row + 1


def _halo(colour: str) -> dict[str, str]:
    """Text attributes for *colour* with a white outline under it, legible over walls and zone tints."""
    return {"fill": colour, "stroke": HALO, "stroke-width": ".14", "paint-order": "stroke"}


def _darken(colour: str, keep: float = 0.6) -> str:
    """*colour* mixed towards black, so zone names in light zone colours stay readable."""
    r, g, b = (round(int(colour[i : i + 2], 16) * keep) for i in (1, 3, 5))
    return f"#{r:02x}{g:02x}{b:02x}"


def _t(names: dict[str, str] | None, lang: str) -> str:
    """The *lang* text of a ``{"zh", "en"}`` pair, falling back to the other language, cleaned for XML."""
    if not names:
        return ""
    return _clean(names.get(lang) or names.get("zh") or names.get("en") or "")


def _clean(value: str) -> str:
    return NOT_XML.sub("", str(value))


def _em(value: str, latin: float = 0.6) -> float:
    """Approximate width of *value* in ems: wide (CJK) characters 1, others *latin*."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else latin for ch in value)


def _n(value: float) -> str:
    """A number in at most 2 decimals, trailing zeros and a leading zero dropped (``-.5``, ``12``)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    if text in ("-0", ""):
        return "0"
    if text.startswith("0."):
        return text[1:]
    if text.startswith("-0."):
        return "-" + text[2:]
    return text


def _coords(geometry: BaseGeometry) -> Iterable[tuple[float, float]]:
    for part in get_parts(geometry):
        if part.geom_type == "Polygon":
            yield from part.exterior.coords


def _path(geometry: BaseGeometry) -> str:
    """SVG path data of the polygons in *geometry* (holes included; fill with evenodd)."""
    rings = []
    for part in get_parts(geometry.simplify(SIMPLIFY)):
        if part.geom_type != "Polygon" or part.area < MIN_AREA:
            continue
        rings.append(_ring(part.exterior.coords))
        rings.extend(_ring(hole.coords) for hole in part.interiors)
    return "".join(rings)


def _ring(coords: Iterable[tuple[float, ...]]) -> str:
    """``M x z x z … Z`` for a closed ring, points repeated after rounding dropped."""
    points: list[str] = []
    for x, z, *_ in coords:
        point = f"{_n(x)} {_n(z)}"
        if not points or points[-1] != point:
            points.append(point)
    if len(points) > 1 and points[0] == points[-1]:
        points.pop()
    return "M" + " ".join(points) + "Z"


def _open(tag: str, **attrs: str | None) -> str:
    return f"<{tag}{_attrs(attrs)}>"


def _el(tag: str, text: str | None = None, **attrs: str | None) -> str:
    """An element with escaped attributes and, if *text*, escaped text content."""
    if text is None:
        return f"<{tag}{_attrs(attrs)}/>"
    return f"<{tag}{_attrs(attrs)}>{escape(_clean(text))}</{tag}>"


def _attrs(attrs: dict[str, str | None]) -> str:
    return "".join(f" {key}={quoteattr(_clean(value))}" for key, value in attrs.items() if value is not None)
