"""Build a hall model (GLB) from a layout spec with trimesh.

The model follows the conventions every part relies on (``conventions``): metres, +Y up, north −Z.
Node names carry meaning: ``floor:<level>``, ``walls:<level>``, ``zone:<level>:<id>``,
``counter:<number>`` (its local +Z is the service side; a child ``counter:<number>/sign`` carries the
number sign), ``facility:<id>`` (child ``facility:<id>/sign``) and ``connector:<type>:<id>``.
Materials are PBR with metallic 0 (glTF's default metallic 1 renders black without an environment).
All signs share one texture atlas drawn with Pillow.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
import trimesh
from PIL import Image, ImageDraw, ImageFont
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box
from shapely.ops import unary_union

from ..conventions import rotation_y_for_bearing
from ..vocabulary import facility
from .layout import AREA_SIZE, WALL_THICKNESS_OUTER, FloorSpec, Layout

SLAB = 0.2  # floor slab thickness below each elevation
ZONE_LIFT = 0.004  # zone paint above the floor, so it never z-fights the slab
DESK_HEIGHT = 1.05  # metres: a service counter at standing-and-writing height
KIOSK_HEIGHT = 1.6  # metres: a self-service kiosk, screen at eye height
SIGN_SIZE = (1.2, 0.3)  # metres, width × height of a counter's number sign
SIGN_BOTTOM = 2.05  # above the floor: over people's heads, under the ceiling
KIOSK_SIGN_GAP = 0.25  # metres between a kiosk's top and its sign (a kiosk is taller than a desk)
FACILITY_SIGN_SIZE = (1.0, 0.25)  # metres: a facility's sign, a little smaller than a counter's
CELL = (384, 96)  # pixels of one sign in the atlas: the 4:1 of SIGN_SIZE at ~320 px per metre
ATLAS_COLUMNS = 5  # 5 × 384 = 1920 px wide: under 2048, the texture size every WebGL device takes
SIGN_FONT_PX = (58, 24)  # title and subtitle: the title fills ~60 % of a 96-px cell, the subtitle two lines
SIGN_BACKGROUND = (30, 60, 110)  # dark blue: counter signs of a zone without a colour, and the atlas ground
SIGN_SHADE = 0.8  # a counter sign is its zone colour darkened to this, so white text keeps its contrast
FACILITY_SIGN_BACKGROUND = (40, 120, 90)  # green, as public-information signs for facilities are
ZONE_PASTEL = 0.55  # share of white mixed into a zone's floor paint, so desks and signs stand out on it
ZONE_SNAP = 0.5  # metres: a counter just outside its zone's polygon (on the line) still takes its colour
ROUGHNESS = 0.85  # matte: a hall's painted and laminated surfaces, with no environment map to reflect
LIFT_HEADROOM = 3.0  # metres of lift shaft above the top floor it serves (the machine room)
LIFT_GLASS = 0.08  # metres: thickness of the shaft's glass walls
STAIR_RISER = 0.16  # metres: a comfortable step height (building codes allow ~0.15–0.175)
FONT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
)

# Facility shapes: free-standing devices (obstacles), areas of seats (obstacles), wall signs, floor mats.
DEVICE_SIZE = {
    "ticket_machine": (0.6, 1.5, 0.5),
    "self_service": (0.7, 1.6, 0.5),
    "drinking_water": (0.4, 1.2, 0.4),
    "copier": (1.0, 1.1, 0.7),
    "charging": (0.5, 1.3, 0.5),
    "help_desk": (1.8, 0.95, 0.8),
}
DEVICE_SIGN_GAP = 0.35  # metres from a device's top to its sign's centre
SEAT_ROW_PITCH = 0.9  # metres between rows of seats: a seat and room to walk past knees
SEAT_HEIGHT = 0.45  # metres: a chair's seat height
SEAT_FIRST_ROW = 0.45  # metres from an area's front edge to the centre of its first row of seats
SEAT_DEPTH = 0.5  # metres: a seat from front to back
AREA_SIGN_HEIGHT = 2.3  # metres: a seating area's sign, hung above standing heads
WALL_PLATE = (0.5, 0.5, 0.06)  # metres: a door-side plate (toilet, lift, …)
WALL_PLATE_HEIGHT = 2.45  # metres: its centre, above head height, so it is no obstacle below
MAT_SIZE = (2.0, 1.2)  # metres: a facility marked on the floor, where its layout gives no size
MAT_THICKNESS = 0.012  # metres: floor marking, thin enough to stand on (below check.THIN)
MAT_SIGN_HEIGHT = 2.4  # metres: the hanging sign above a floor marking
WALL_SIGN_TYPES = {"toilet", "accessible_toilet", "baby_room", "first_aid", "lift", "stairs", "escalator"}
AREA_TYPES = {"waiting_area", "rest_area"}

COLOURS = {
    "floor": (236, 232, 224),
    "wall": (200, 204, 210),
    "desk": (246, 244, 238),
    "kiosk": (70, 110, 160),
    "device": (90, 130, 170),
    "seat": (120, 150, 180),
    "mat": (90, 90, 96),
    "lift": (150, 175, 195),
    "stairs": (170, 170, 168),
    "escalator": (160, 160, 170),
    "zone": (210, 220, 235),
}


@dataclass
class BuildLabels:
    """What signs say and zones look like — facts from the database, not from the layout."""

    zone_colours: dict[str, str] = field(default_factory=dict)  # zone id → "#rrggbb"
    counter_text: dict[str, str] = field(default_factory=dict)  # number → department or name (second line)
    facility_text: dict[str, str] = field(default_factory=dict)  # facility id → name


class _OnceHashedMaterial(trimesh.visual.material.PBRMaterial):
    """A PBR material that hashes once. trimesh's exporter hashes the material of every mesh to share it,
    and each hash re-reads the whole texture, so hundreds of signs on one atlas would cost O(n²)."""

    def __hash__(self) -> int:
        if getattr(self, "_hash_once", None) is None:
            self._hash_once = super().__hash__()
        return self._hash_once


def _material(rgb: tuple[int, int, int], *, texture: Image.Image | None = None, alpha: int = 255):
    return _OnceHashedMaterial(
        baseColorFactor=[*rgb, alpha],
        baseColorTexture=texture,
        metallicFactor=0.0,
        roughnessFactor=ROUGHNESS,
        doubleSided=False,
    )


def _hex(colour: str | None, default: tuple[int, int, int]) -> tuple[int, int, int]:
    if not colour:
        return default
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _paint(mesh: trimesh.Trimesh, material) -> trimesh.Trimesh:
    mesh.visual = trimesh.visual.TextureVisuals(material=material)
    return mesh


def extrude_plan(area: Polygon | MultiPolygon, bottom: float, height: float) -> trimesh.Trimesh | None:
    """Extrude a plan area (x, z) upwards from *bottom* by *height* into a closed mesh; None if empty."""
    polygons = [area] if isinstance(area, Polygon) else list(getattr(area, "geoms", []))
    meshes = []
    for polygon in polygons:
        if polygon.is_empty or polygon.area < 1e-6:
            continue
        # Triangulate in a 2D plane whose second axis is −z, then turn that plane upright: a rotation of
        # −90° about X maps (u, v, w) → (u, w, −v), so v = −z lands on model z and w becomes height.
        flipped = shapely.transform(polygon, lambda c: c * np.array([1.0, -1.0]))
        triangles = shapely.constrained_delaunay_triangles(shapely.make_valid(flipped))
        coords = np.array([np.asarray(t.exterior.coords)[:3] for t in triangles.geoms if t.area > 1e-12])
        if len(coords) == 0:
            continue
        vertices, inverse = np.unique(coords.reshape(-1, 2), axis=0, return_inverse=True)
        mesh = trimesh.creation.extrude_triangulation(vertices, inverse.reshape(-1, 3), height)
        mesh.apply_transform(trimesh.transformations.rotation_matrix(-np.pi / 2, [1, 0, 0]))
        mesh.apply_translation([0, bottom, 0])
        meshes.append(mesh)
    if not meshes:
        return None
    return trimesh.util.concatenate(meshes)


def _box(size: tuple[float, float, float], centre: tuple[float, float, float]) -> trimesh.Trimesh:
    return trimesh.creation.box(extents=size, transform=trimesh.transformations.translation_matrix(centre))


def _font(size: int) -> ImageFont.ImageFont:
    for path in FONT_PATHS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


class Atlas:
    """One texture holding every sign; each sign gets a cell and the UVs of that cell."""

    def __init__(self, count: int) -> None:
        self.rows = max(1, -(-count // ATLAS_COLUMNS))
        self.image = Image.new("RGB", (CELL[0] * ATLAS_COLUMNS, CELL[1] * self.rows), SIGN_BACKGROUND)
        self.draw = ImageDraw.Draw(self.image)
        self.big, self.small = _font(SIGN_FONT_PX[0]), _font(SIGN_FONT_PX[1])
        self.used = 0

    def add(
        self, title: str, subtitle: str, background: tuple[int, int, int]
    ) -> tuple[float, float, float, float]:
        """Draw a sign; return its cell as (u0, v0, u1, v1) in glTF UV space (v down from the top)."""
        col, row = self.used % ATLAS_COLUMNS, self.used // ATLAS_COLUMNS
        self.used += 1
        x0, y0 = col * CELL[0], row * CELL[1]
        self.draw.rectangle([x0, y0, x0 + CELL[0] - 1, y0 + CELL[1] - 1], fill=background)
        self.draw.rectangle(
            [x0 + 3, y0 + 3, x0 + CELL[0] - 4, y0 + CELL[1] - 4], outline=(255, 255, 255), width=2
        )
        self.draw.text((x0 + 16, y0 + CELL[1] / 2), title, font=self.big, fill=(255, 255, 255), anchor="lm")
        title_width = self.draw.textlength(title, font=self.big)
        subtitle = _fit(self.draw, subtitle, self.small, CELL[0] - title_width - 44)
        self.draw.text(
            (x0 + 30 + title_width, y0 + CELL[1] / 2),
            subtitle,
            font=self.small,
            fill=(235, 240, 250),
            anchor="lm",
        )
        w, h = self.image.size
        return x0 / w, y0 / h, (x0 + CELL[0]) / w, (y0 + CELL[1]) / h


def _fit(draw: ImageDraw.ImageDraw, text: str, font, width: float) -> str:
    while text and draw.textlength(text, font=font) > width:
        text = text[:-2] + "…" if len(text) > 2 else ""
    return text


def _sign_quad(
    width: float, height: float, uv: tuple[float, float, float, float], material
) -> trimesh.Trimesh:
    """A sign facing local +Z (front) and −Z (back, so it reads from both sides), centred on the origin."""
    u0, v0, u1, v1 = uv
    hw, hh, t = width / 2, height / 2, 0.01
    front = [[-hw, -hh, t], [hw, -hh, t], [hw, hh, t], [-hw, hh, t]]
    back = [[hw, -hh, -t], [-hw, -hh, -t], [-hw, hh, -t], [hw, hh, -t]]
    vertices = np.array(front + back, dtype=float)
    faces = np.array([[0, 1, 2], [0, 2, 3], [4, 5, 6], [4, 6, 7]])
    # trimesh stores UV with v up; glTF export flips it, so give v measured from the bottom.
    uvs = np.array([[u0, 1 - v1], [u1, 1 - v1], [u1, 1 - v0], [u0, 1 - v0]] * 2)
    mesh = trimesh.Trimesh(vertices=vertices, faces=faces, process=False)
    mesh.visual = trimesh.visual.TextureVisuals(uv=uvs, material=material)
    return mesh


def _walls(floor: FloorSpec) -> Polygon | MultiPolygon:
    outline = Polygon(floor.outline)
    half = WALL_THICKNESS_OUTER / 2
    ring = outline.buffer(half, join_style="mitre").difference(outline.buffer(-half, join_style="mitre"))
    for (x, z), width in floor.openings:
        ring = ring.difference(Point(x, z).buffer(width / 2, cap_style="square"))
    inner = [
        LineString(w.path).buffer(w.thickness / 2, cap_style="flat", join_style="mitre") for w in floor.walls
    ]
    return unary_union([ring, *inner])


def build_scene(layout: Layout, labels: BuildLabels | None = None) -> trimesh.Scene:
    """The hall model of *layout* as a trimesh scene with meaningful node names."""
    labels = labels or BuildLabels()
    scene = trimesh.Scene()
    mats = {name: _material(rgb) for name, rgb in COLOURS.items()}
    sign_count = sum(len(f.counters) + len(f.facilities) for f in layout.floors)
    atlas = Atlas(sign_count)
    signs: list[_Sign] = []  # added once the atlas is complete
    for floor in layout.floors:
        _add_floor_shell(scene, layout, floor, labels, mats)
        signs += _add_counters(scene, floor, labels, mats, atlas)
        signs += _add_facilities(scene, floor, labels, mats, atlas)
    sign_material = _material((255, 255, 255), texture=atlas.image)
    for name, parent, (w, h), at, uv in signs:
        scene.add_geometry(
            _sign_quad(w, h, uv, sign_material),
            node_name=name,
            geom_name=name,
            parent_node_name=parent,
            transform=trimesh.transformations.translation_matrix(at),
        )
    for c in layout.connectors:
        _add_connector(scene, layout, c, mats)
    return scene


# A sign to hang once the atlas is drawn: (node, parent node, (width, height), local centre, atlas UVs).
_Sign = tuple[str, str, tuple[float, float], tuple[float, float, float], tuple[float, float, float, float]]


def _add_floor_shell(
    scene: trimesh.Scene, layout: Layout, floor: FloorSpec, labels: BuildLabels, mats
) -> None:
    """One floor's slab (with the openings connectors come up through), walls, zone paint and obstacles."""
    level, y0 = floor.level, floor.elevation
    outline = Polygon(floor.outline)
    slab = outline
    for c in layout.connectors:
        if level in c.floors and level != c.floors[0]:  # the opening the stairs or lift come up through
            slab = slab.difference(
                box(
                    c.at[0] - c.size[0] / 2,
                    c.at[1] - c.size[1] / 2,
                    c.at[0] + c.size[0] / 2,
                    c.at[1] + c.size[1] / 2,
                )
            )
    scene.add_geometry(
        _paint(extrude_plan(slab, y0 - SLAB, SLAB), mats["floor"]),
        node_name=f"floor:{level}",
        geom_name=f"floor:{level}",
    )
    above = [f.elevation for f in layout.floors if f.elevation > y0]
    wall_height = min(layout.wall_height, (min(above) - y0 - SLAB) if above else layout.wall_height)
    scene.add_geometry(
        _paint(extrude_plan(_walls(floor), y0, wall_height), mats["wall"]),
        node_name=f"walls:{level}",
        geom_name=f"walls:{level}",
    )
    for zone_id, polygon in floor.zones.items():
        area = Polygon(polygon).intersection(outline)
        mesh = extrude_plan(area, y0, ZONE_LIFT)
        if mesh is not None:
            colour = _hex(labels.zone_colours.get(zone_id), COLOURS["zone"])
            pastel = tuple(int(c + (255 - c) * ZONE_PASTEL) for c in colour)
            scene.add_geometry(
                _paint(mesh, _material(pastel)),
                node_name=f"zone:{level}:{zone_id}",
                geom_name=f"zone:{level}:{zone_id}",
            )
    for index, (polygon, height) in enumerate(floor.obstacles):
        scene.add_geometry(
            _paint(extrude_plan(Polygon(polygon), y0, height), mats["seat"]),
            node_name=f"obstacle:{level}:{index}",
            geom_name=f"obstacle:{level}:{index}",
        )


def _add_counters(
    scene: trimesh.Scene, floor: FloorSpec, labels: BuildLabels, mats, atlas: Atlas
) -> list[_Sign]:
    """One floor's counters and kiosks, facing their service side; returns their number signs."""
    signs = []
    for c in floor.counters:
        kiosk = c.kind == "kiosk"
        height = KIOSK_HEIGHT if kiosk else DESK_HEIGHT
        desk = _box((c.width, height, c.depth), (0, height / 2, 0))
        node = f"counter:{c.number}"
        transform = trimesh.transformations.translation_matrix(
            [c.at[0], floor.elevation, c.at[1]]
        ) @ rotation_y_for_bearing(c.facing)
        scene.add_geometry(
            _paint(desk, mats["kiosk" if kiosk else "desk"]),
            node_name=node,
            geom_name=node,
            transform=transform,
        )
        zone_colour = _hex(labels.zone_colours.get(_zone_of(floor, c.at)), SIGN_BACKGROUND)
        uv = atlas.add(
            c.number, labels.counter_text.get(c.number, ""), tuple(int(v * SIGN_SHADE) for v in zone_colour)
        )
        bottom = KIOSK_HEIGHT + KIOSK_SIGN_GAP if kiosk else SIGN_BOTTOM
        signs.append((f"{node}/sign", node, SIGN_SIZE, (0, bottom + SIGN_SIZE[1] / 2, 0), uv))
    return signs


def _add_facilities(
    scene: trimesh.Scene, floor: FloorSpec, labels: BuildLabels, mats, atlas: Atlas
) -> list[_Sign]:
    """One floor's facilities, each in its shape; returns their signs."""
    signs = []
    for x in floor.facilities:
        node = f"facility:{x.id}"
        mesh, sign_at = _facility_mesh(x.type, x.size)
        scene.add_geometry(
            _paint(mesh, mats[_facility_material(x.type)]),
            node_name=node,
            geom_name=node,
            transform=trimesh.transformations.translation_matrix([x.at[0], floor.elevation, x.at[1]]),
        )
        uv = atlas.add(
            facility(x.type).glyph_zh, labels.facility_text.get(x.id, ""), FACILITY_SIGN_BACKGROUND
        )
        signs.append((f"{node}/sign", node, FACILITY_SIGN_SIZE, sign_at, uv))
    return signs


def _zone_of(floor: FloorSpec, at: tuple[float, float]) -> str | None:
    point = Point(at)
    for zone_id, polygon in floor.zones.items():
        if Polygon(polygon).buffer(ZONE_SNAP).contains(point):
            return zone_id
    return None


def _facility_material(kind: str) -> str:
    if kind in DEVICE_SIZE:
        return "device"
    if kind in AREA_TYPES:
        return "seat"
    if kind in WALL_SIGN_TYPES:
        return "wall"
    return "mat"


def _facility_mesh(
    kind: str, size: tuple[float, float] | None
) -> tuple[trimesh.Trimesh, tuple[float, float, float]]:
    """The facility's own shape (local, on the floor at the origin) and where its sign hangs."""
    if kind in DEVICE_SIZE:
        w, h, d = DEVICE_SIZE[kind]
        return _box((w, h, d), (0, h / 2, 0)), (0, h + DEVICE_SIGN_GAP, 0)
    if kind in AREA_TYPES:
        w, d = size or AREA_SIZE
        rows = max(1, int(d // SEAT_ROW_PITCH))
        seats = [
            _box(
                (w, SEAT_HEIGHT, SEAT_DEPTH),
                (0, SEAT_HEIGHT / 2, -d / 2 + SEAT_FIRST_ROW + i * (d - SEAT_DEPTH) / max(rows - 1, 1)),
            )
            for i in range(rows)
        ]
        return trimesh.util.concatenate(seats), (0, AREA_SIGN_HEIGHT, 0)
    if kind in WALL_SIGN_TYPES:
        # A door-side plate on the wall, above head height: not an obstacle at walking height.
        return _box(WALL_PLATE, (0, WALL_PLATE_HEIGHT, 0)), (0, 2.0, 0.1)
    w, d = size or MAT_SIZE
    return _box((w, MAT_THICKNESS, d), (0, MAT_THICKNESS / 2, 0)), (0, MAT_SIGN_HEIGHT, 0)


def _add_connector(scene: trimesh.Scene, layout: Layout, c, mats) -> None:
    elevations = {f.level: f.elevation for f in layout.floors}
    bottom, top = elevations[c.floors[0]], elevations[c.floors[-1]]
    (x, z), (w, d) = c.at, c.size
    name = f"connector:{c.type}:{c.id}"
    if c.type == "lift":
        height = top - bottom + LIFT_HEADROOM
        t = LIFT_GLASS
        # A glass shaft with its door side (south, +Z) open, so people walk in where they are routed.
        parts = [
            _box((w, height, t), (0, height / 2, -d / 2)),
            _box((t, height, d), (-w / 2, height / 2, 0)),
            _box((t, height, d), (w / 2, height / 2, 0)),
        ]
        mesh = trimesh.util.concatenate(parts)
    else:
        steps = max(2, int((top - bottom) / STAIR_RISER))
        run = d / steps
        parts = [
            _box(
                (w, (i + 1) * (top - bottom) / steps, run),
                (0, (i + 1) * (top - bottom) / steps / 2, d / 2 - (i + 0.5) * run),
            )
            for i in range(steps)
        ]
        mesh = trimesh.util.concatenate(parts)
    scene.add_geometry(
        _paint(mesh, mats[c.type]),
        node_name=name,
        geom_name=name,
        transform=trimesh.transformations.translation_matrix([x, bottom, z]),
    )


def build_glb(layout: Layout, labels: BuildLabels | None = None) -> bytes:
    """The GLB bytes of *layout*'s model."""
    return build_scene(layout, labels).export(file_type="glb")


def atlas_png(layout: Layout, labels: BuildLabels | None = None) -> bytes:
    """The sign atlas alone, as PNG (for looking at it)."""
    scene = build_scene(layout, labels)
    for geometry in scene.geometry.values():
        material = getattr(geometry.visual, "material", None)
        if material is not None and getattr(material, "baseColorTexture", None) is not None:
            out = io.BytesIO()
            material.baseColorTexture.save(out, format="PNG")
            return out.getvalue()
    raise LookupError("the model has no sign atlas")
