"""Read a hall model (GLB) safely and turn it into plan geometry; check it one-to-one against the hall.

Works for models built here and made elsewhere. A model is accepted as ``.glb`` bytes only, with every
buffer and image inside the file (no external URIs), within size, vertex, triangle and node limits, its
JSON's shape checked against a subset of the glTF schema and every index and accessor range checked before
anything is loaded (so a hostile file is refused with what is wrong, never a traceback). Counter and
facility nodes are found by name (``counter:<number>``, ``facility:<id>``) or through a mapping table
from the modeller's names. Conventions for models made elsewhere (``models/README.md``): metres, +Y up,
north −Z; a counter node's local +Z points to the side where citizens stand.
"""

from __future__ import annotations

import io
import json
import math
import struct
from dataclasses import dataclass, field
from typing import Any

import jsonschema
import numpy as np
import shapely
import trimesh
from shapely.geometry import MultiPoint, Point, Polygon, box
from shapely.ops import unary_union

from ..conventions import vector_to_bearing
from ..problems import HallError, problem, schema_problems
from .geometry import CONNECTOR_TYPES, Connector, FloorGeometry, HallGeometry, NodeInfo, Place

GLB_MAGIC = 0x46546C67  # "glTF"
CHUNK_JSON = 0x4E4F534A
CHUNK_BIN = 0x004E4942
SUPPORTED_REQUIRED_EXTENSIONS = {
    "KHR_materials_unlit",
    "KHR_texture_transform",
    "KHR_materials_emissive_strength",
}
SECTION_HEIGHTS = (0.3, 1.2)  # metres above a floor where obstacles are cut (ankle and hip height)
FLOOR_SECTION_DEPTH = 0.05  # below a floor's elevation, where its slab is cut for the outline
FLOOR_BAND = (-0.3, 3.0)  # a node stands on the floor whose elevation is within this of its lowest point
STAND_OFF = 0.6  # metres in front of a counter's service side, or outside a facility, where people stand
NOT_OBSTACLES = ("floor:", "zone:", "connector:")
THIN = 0.1  # metres: a node this flat (a floor mat) or hung this high is no obstacle to stand beside
CONNECTOR_REACH = 0.3  # metres: a connector serves a floor its extent reaches within this (slab thickness)
CONNECTOR_LANDING = 1.5  # metres (half side): where a connector arrives is walkable floor, even over a hole
ZONE_SECTION_LIFT = 0.002  # metres above the floor where a zone's (floor-thin) tile is cut


@dataclass(frozen=True)
class Limits:
    """What a model may not exceed."""

    max_bytes: int = 64 * 1024 * 1024
    max_triangles: int = 2_000_000
    max_nodes: int = 20_000
    # Vertices drawn, counted once per node that draws them (a mesh used by many nodes is copied into
    # world space for each): 3 × max_triangles, an unindexed mesh at the triangle limit. Without it a
    # small file could name one large mesh from thousands of nodes and need gigabytes to check.
    max_vertices: int = 6_000_000


DEFAULT_LIMITS = Limits()


class ModelError(HallError, ValueError):
    """A model that cannot be used, with the reason in Chinese and English (422 over the API)."""

    status = 422

    def __init__(
        self, code: str, message: str, message_en: str, *, problems: list[dict[str, str]] | None = None
    ) -> None:
        super().__init__(code, message, message_en, details={"problems": problems} if problems else None)


@dataclass
class Problem:
    kind: str  # missing | extra | duplicate | wrong_floor | no_floor | unreachable | no_entrance
    node: str
    message: str
    message_en: str


@dataclass
class Report:
    """The one-to-one report of a model against a hall's database."""

    hall: str
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def publishable(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "hall": self.hall,
            "publishable": self.publishable,
            "counts": self.counts,
            "problems": [p.__dict__ for p in self.problems],
        }

    def to_text(self) -> str:
        lines = [f"大厅 / hall: {self.hall}"]
        lines += [f"  {k}: {v}" for k, v in self.counts.items()]
        if self.publishable:
            lines.append("结果：一一对应，可以发布 / result: one-to-one, can be published")
        else:
            lines.append(
                f"结果：发现 {len(self.problems)} 个问题，不能发布 / result: {len(self.problems)} problem(s), cannot be published"
            )
            lines += [f"  [{p.kind}] {p.node}: {p.message} / {p.message_en}" for p in self.problems]
        return "\n".join(lines)


_INDEX = {"type": "integer", "minimum": 0}
_INDICES = {"type": "array", "items": _INDEX}
_NAMES = {"type": "array", "items": {"type": "string"}}


def _numbers(n: int) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "number"}, "minItems": n, "maxItems": n}


def _list_of(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "array",
        "items": {"type": "object", "properties": properties, "required": list(required)},
    }


# The part of the glTF 2.0 schema this module and trimesh rely on: the shape of everything that is indexed
# or sized. Checked before any of it is used, so a hostile document is refused with where it is wrong.
GLTF_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "asset": {"type": "object"},
        "extensionsUsed": _NAMES,
        "extensionsRequired": _NAMES,
        "scene": _INDEX,
        "scenes": _list_of({"nodes": _INDICES, "name": {"type": "string"}}),
        "nodes": _list_of(
            {
                "name": {"type": "string"},
                "children": _INDICES,
                "mesh": _INDEX,
                "matrix": _numbers(16),
                "translation": _numbers(3),
                "rotation": _numbers(4),
                "scale": _numbers(3),
            }
        ),
        "meshes": _list_of(
            {
                "primitives": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["attributes"],
                        "properties": {
                            "attributes": {"type": "object", "additionalProperties": _INDEX},
                            "indices": _INDEX,
                            "material": _INDEX,
                            "mode": {"type": "integer", "minimum": 0, "maximum": 6},
                        },
                    },
                },
                "name": {"type": "string"},
            },
            ("primitives",),
        ),
        "accessors": _list_of(
            {
                "bufferView": _INDEX,
                "byteOffset": _INDEX,
                "componentType": {"enum": [5120, 5121, 5122, 5123, 5125, 5126]},
                "count": {"type": "integer", "minimum": 1},
                "type": {"enum": ["SCALAR", "VEC2", "VEC3", "VEC4", "MAT2", "MAT3", "MAT4"]},
            },
            ("componentType", "count", "type"),
        ),
        "bufferViews": _list_of(
            {
                "buffer": _INDEX,
                "byteOffset": _INDEX,
                "byteLength": {"type": "integer", "minimum": 1},
                "byteStride": {"type": "integer", "minimum": 4, "maximum": 252},
            },
            ("buffer", "byteLength"),
        ),
        "buffers": _list_of(
            {"uri": {"type": "string"}, "byteLength": {"type": "integer", "minimum": 1}}, ("byteLength",)
        ),
        "images": _list_of({"uri": {"type": "string"}, "bufferView": _INDEX, "mimeType": {"type": "string"}}),
        "textures": _list_of({"source": _INDEX, "sampler": _INDEX}),
        "materials": {"type": "array", "items": {"type": "object"}},
        "samplers": {"type": "array", "items": {"type": "object"}},
    },
}
# JSON integers only: 1.0 and true are not indices.
_GLTF_VALIDATOR = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _checker, value: isinstance(value, int) and not isinstance(value, bool)
    ),
)(GLTF_SCHEMA)
_COMPONENT_BYTES = {5120: 1, 5121: 1, 5122: 2, 5123: 2, 5125: 4, 5126: 4}
_TYPE_COMPONENTS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}
MAX_REPORTED = 20  # structure problems listed in one error


def _bad_structure(problems: list[dict[str, str]]) -> ModelError:
    first = problems[0]
    return ModelError(
        "bad_structure",
        f"GLB 中的 glTF 结构无效：{first['where']}：{first['zh']}",
        f"the glTF structure inside the GLB is invalid: {first['where']}: {first['en']}",
        problems=problems if len(problems) > 1 else None,
    )


def _check_structure(document: dict[str, Any]) -> None:
    """Refuse a document whose indexed or sized parts have the wrong type (``"nodes": 5``)."""
    errors = []
    for error in _GLTF_VALIDATOR.iter_errors(document):
        errors.append(error)
        if len(errors) >= MAX_REPORTED:
            break
    if errors:
        raise _bad_structure(schema_problems(errors))


def _check_references(document: dict[str, Any], binary_length: int) -> None:
    """Refuse indices that point at nothing and accessors or buffer views that reach past their data."""
    problems: list[dict[str, str]] = []
    count = {kind: len(document.get(kind, [])) for kind in GLTF_SCHEMA["properties"] if kind.endswith("s")}

    def refer(where: str, index: Any, kind: str) -> None:
        if index is not None and index >= count[kind]:
            problems.append(
                problem(
                    where,
                    f"引用的 {kind}[{index}] 不存在（共 {count[kind]} 个）",
                    f"refers to {kind}[{index}], which does not exist ({count[kind]} in all)",
                )
            )

    refer("scene", document.get("scene"), "scenes")
    for i, scene in enumerate(document.get("scenes", [])):
        for j, node in enumerate(scene.get("nodes", [])):
            refer(f"scenes/{i}/nodes/{j}", node, "nodes")
    for i, node in enumerate(document.get("nodes", [])):
        refer(f"nodes/{i}/mesh", node.get("mesh"), "meshes")
        for j, child in enumerate(node.get("children", [])):
            refer(f"nodes/{i}/children/{j}", child, "nodes")
    for i, mesh in enumerate(document.get("meshes", [])):
        for j, primitive in enumerate(mesh["primitives"]):
            for name, accessor in primitive["attributes"].items():
                refer(f"meshes/{i}/primitives/{j}/attributes/{name}", accessor, "accessors")
            refer(f"meshes/{i}/primitives/{j}/indices", primitive.get("indices"), "accessors")
            refer(f"meshes/{i}/primitives/{j}/material", primitive.get("material"), "materials")
    for i, texture in enumerate(document.get("textures", [])):
        refer(f"textures/{i}/source", texture.get("source"), "images")
        refer(f"textures/{i}/sampler", texture.get("sampler"), "samplers")
    for i, image in enumerate(document.get("images", [])):
        refer(f"images/{i}/bufferView", image.get("bufferView"), "bufferViews")
    for i, view in enumerate(document.get("bufferViews", [])):
        refer(f"bufferViews/{i}/buffer", view["buffer"], "buffers")
    for i, accessor in enumerate(document.get("accessors", [])):
        refer(f"accessors/{i}/bufferView", accessor.get("bufferView"), "bufferViews")
    if not problems:
        problems = _out_of_range(document, binary_length)
    if problems:
        raise ModelError(
            "bad_reference",
            f"GLB 中的引用无效：{problems[0]['where']}：{problems[0]['zh']}",
            f"a reference inside the GLB is invalid: {problems[0]['where']}: {problems[0]['en']}",
            problems=problems[:MAX_REPORTED] if len(problems) > 1 else None,
        )
    _check_node_tree(document.get("nodes", []))


def _out_of_range(document: dict[str, Any], binary_length: int) -> list[dict[str, str]]:
    """Buffer views past their buffer (the GLB's binary chunk for the first one) and accessors past
    their buffer view, as problems."""
    problems = []
    buffers = document.get("buffers", [])
    views = document.get("bufferViews", [])
    for i, buffer in enumerate(buffers):
        if i == 0 and "uri" not in buffer and buffer["byteLength"] > binary_length:
            problems.append(
                problem(
                    f"buffers/{i}/byteLength",
                    f"声明 {buffer['byteLength']} 字节，文件中只有 {binary_length} 字节",
                    f"declares {buffer['byteLength']} bytes; the file holds {binary_length}",
                )
            )
    for i, view in enumerate(views):
        end = view.get("byteOffset", 0) + view["byteLength"]
        if end > buffers[view["buffer"]]["byteLength"]:
            problems.append(
                problem(
                    f"bufferViews/{i}",
                    f"超出缓冲区范围（到第 {end} 字节）",
                    f"reaches past its buffer (to byte {end})",
                )
            )
    for i, accessor in enumerate(document.get("accessors", [])):
        if "bufferView" not in accessor:
            continue
        view = views[accessor["bufferView"]]
        element = _COMPONENT_BYTES[accessor["componentType"]] * _TYPE_COMPONENTS[accessor["type"]]
        stride = view.get("byteStride", element)
        end = accessor.get("byteOffset", 0) + (accessor["count"] - 1) * stride + element
        if end > view["byteLength"]:
            problems.append(
                problem(
                    f"accessors/{i}",
                    f"{accessor['count']} 个元素超出缓冲视图范围（需要 {end} 字节，只有 {view['byteLength']} 字节）",
                    f"{accessor['count']} elements reach past its buffer view"
                    f" ({end} bytes needed, {view['byteLength']} there)",
                )
            )
    return problems


def _check_node_tree(nodes: list[dict[str, Any]]) -> None:
    """The nodes must form trees: no node its own child, none with two parents, no cycle."""
    parent: dict[int, int] = {}
    for i, node in enumerate(nodes):
        for child in node.get("children", []):
            if child == i:
                raise ModelError(
                    "node_own_child",
                    f"节点 nodes/{i} 是它自己的子节点",
                    f"node nodes/{i} is its own child",
                )
            if child in parent:
                raise ModelError(
                    "node_two_parents",
                    f"节点 nodes/{child} 有两个父节点（nodes/{parent[child]} 和 nodes/{i}）",
                    f"node nodes/{child} has two parents (nodes/{parent[child]} and nodes/{i})",
                )
            parent[child] = i
    settled: set[int] = set()  # nodes known to lead up to a root
    for start in parent:
        path, node = [], start
        while node in parent and node not in settled:
            if node in path:
                cycle = path[path.index(node) :]
                chain = " -> ".join(str(n) for n in [*cycle, node])
                raise ModelError(
                    "node_cycle",
                    f"节点构成循环：{chain}",
                    f"the nodes form a cycle: {chain}",
                )
            path.append(node)
            node = parent[node]
        settled.update(path)


def _reject_constant(name: str) -> None:
    raise ModelError(
        "bad_number",
        f"GLB 中的 JSON 含有非法数值 {name}",
        f"the JSON inside the GLB holds the invalid number {name}",
    )


def read_gltf_json(data: bytes, limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
    """Check the GLB container and return its JSON chunk; ModelError says what is wrong."""
    if len(data) > limits.max_bytes:
        raise ModelError(
            "too_large",
            f"模型文件超过 {limits.max_bytes // 2**20} MB 上限",
            f"the model file is over the {limits.max_bytes // 2**20} MB limit",
        )
    if len(data) < 20 or struct.unpack_from("<I", data, 0)[0] != GLB_MAGIC:
        raise ModelError(
            "not_glb",
            "不是 GLB 文件（只接受二进制 glTF .glb）",
            "not a GLB file (only binary glTF .glb is accepted)",
        )
    _magic, version, length = struct.unpack_from("<III", data, 0)
    if version != 2:
        raise ModelError(
            "bad_version",
            f"不支持 glTF 版本 {version}，需要 2.0",
            f"glTF version {version} is not supported; 2.0 is",
        )
    if length != len(data):
        raise ModelError(
            "truncated",
            "GLB 文件长度不符，可能已损坏或不完整",
            "the GLB length does not match: the file is damaged or incomplete",
        )
    chunk_length, chunk_type = struct.unpack_from("<II", data, 12)
    if chunk_type != CHUNK_JSON or 20 + chunk_length > len(data):
        raise ModelError("bad_glb", "GLB 文件结构无效", "the GLB structure is invalid")
    try:
        document = json.loads(data[20 : 20 + chunk_length], parse_constant=_reject_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(
            "bad_glb", "GLB 中的 JSON 无法解析", "the JSON inside the GLB cannot be parsed"
        ) from exc
    except RecursionError as exc:
        raise ModelError(
            "too_deep",
            "GLB 中的 JSON 嵌套层数过多",
            "the JSON inside the GLB is nested too deeply",
        ) from exc
    if not isinstance(document, dict):
        raise ModelError("bad_glb", "GLB 中的 JSON 无效", "the JSON inside the GLB is invalid")
    _check_structure(document)
    for kind in ("buffers", "images"):
        for item in document.get(kind, []):
            uri = item.get("uri") if isinstance(item, dict) else None
            if uri is not None and not str(uri).startswith("data:"):
                raise ModelError(
                    "external_resource",
                    f"模型引用了外部文件 {uri!s:.80}，请把所有数据打包进 .glb",
                    f"the model refers to an external file {uri!s:.80}; pack everything into the .glb",
                )
    unsupported = sorted(set(document.get("extensionsRequired", [])) - SUPPORTED_REQUIRED_EXTENSIONS)
    if unsupported:
        raise ModelError(
            "unsupported_extension",
            f"模型需要不支持的扩展：{', '.join(unsupported)}",
            f"the model requires unsupported extensions: {', '.join(unsupported)}",
        )
    if len(document.get("nodes", [])) > limits.max_nodes:
        raise ModelError(
            "too_many_nodes", f"节点数超过上限 {limits.max_nodes}", f"more than {limits.max_nodes} nodes"
        )
    _check_references(document, _binary_length(data, 20 + chunk_length))
    _check_drawn(document, limits)
    return document


def _check_drawn(document: dict[str, Any], limits: Limits) -> None:
    """Refuse, before any geometry is loaded, a model whose nodes draw more vertices or triangles than
    the limits allow (each counted once per node that draws it, as the check copies them)."""
    accessors, meshes = document.get("accessors", []), document.get("meshes", [])
    per_mesh = []
    for mesh in meshes:
        vertices = triangles = 0
        for primitive in mesh["primitives"]:
            position = primitive["attributes"].get("POSITION")
            count = accessors[position]["count"] if position is not None else 0
            drawn = accessors[primitive["indices"]]["count"] if "indices" in primitive else count
            mode = primitive.get("mode", 4)
            vertices += count
            triangles += drawn // 3 if mode == 4 else max(drawn - 2, 0) if mode in (5, 6) else 0
        per_mesh.append((vertices, triangles))
    vertices = triangles = 0
    for node in document.get("nodes", []):
        if "mesh" in node:
            vertices += per_mesh[node["mesh"]][0]
            triangles += per_mesh[node["mesh"]][1]
    if vertices > limits.max_vertices:
        raise ModelError(
            "too_many_vertices",
            f"顶点数 {vertices} 超过上限 {limits.max_vertices}（每个使用网格的节点分别计数）",
            f"{vertices} vertices is over the limit of {limits.max_vertices}"
            " (counted for every node that draws a mesh)",
        )
    if triangles > limits.max_triangles:
        raise _too_many_triangles(triangles, limits)


def _too_many_triangles(triangles: int, limits: Limits) -> ModelError:
    return ModelError(
        "too_many_triangles",
        f"三角面数 {triangles} 超过上限 {limits.max_triangles}",
        f"{triangles} triangles is over the limit of {limits.max_triangles}",
    )


def _binary_length(data: bytes, offset: int) -> int:
    """The length of the GLB's binary chunk after the JSON chunk ending at *offset* (0 when none)."""
    if offset + 8 > len(data):
        return 0
    length, kind = struct.unpack_from("<II", data, offset)
    if kind != CHUNK_BIN or offset + 8 + length > len(data):
        raise ModelError("bad_glb", "GLB 文件结构无效", "the GLB structure is invalid")
    return length


def load_scene(data: bytes, limits: Limits = DEFAULT_LIMITS) -> tuple[trimesh.Scene, dict[str, Any]]:
    """Load GLB bytes into a trimesh scene after the container checks; enforce the triangle limit."""
    document = read_gltf_json(data, limits)
    try:
        scene = trimesh.load(io.BytesIO(data), file_type="glb", force="scene")
    except Exception as exc:  # trimesh raises many kinds on malformed input; all mean the same to the user
        raise ModelError(
            "unreadable", "模型无法读取，文件可能已损坏", "the model cannot be read; the file may be damaged"
        ) from exc
    triangles = sum(
        len(scene.geometry[g].faces) for _n, g in _instances(scene) if hasattr(scene.geometry[g], "faces")
    )
    if triangles > limits.max_triangles:
        raise _too_many_triangles(triangles, limits)
    for name, geometry in scene.geometry.items():
        vertices = getattr(geometry, "vertices", None)
        if vertices is not None and not np.isfinite(vertices).all():
            raise ModelError(
                "non_finite",
                f"几何体 {name!s:.80} 的顶点坐标含有 NaN 或无穷大",
                f"the geometry {name!s:.80} has vertices that are NaN or infinite",
            )
    if triangles == 0 or scene.bounds is None or not np.all(np.isfinite(scene.bounds)):
        raise ModelError("empty", "模型是空的，没有任何几何体", "the model is empty: it has no geometry")
    extents = scene.bounds[1] - scene.bounds[0]
    if np.count_nonzero(extents > 1e-3) < 2:
        raise ModelError(
            "degenerate", "模型几何体退化（没有面积）", "the model is degenerate: it has no area"
        )
    return scene, document


def _instances(scene: trimesh.Scene) -> list[tuple[str, str]]:
    """(node, geometry) for every node that draws something."""
    return [(node, scene.graph[node][1]) for node in scene.graph.nodes_geometry]


def _world_mesh(scene: trimesh.Scene, node: str) -> trimesh.Trimesh | None:
    transform, geometry_name = scene.graph[node]
    geometry = scene.geometry.get(geometry_name)
    if not isinstance(geometry, trimesh.Trimesh) or len(geometry.faces) == 0:
        return None
    # Geometry only: copying the visual would copy every texture image once per node.
    vertices = trimesh.transform_points(geometry.vertices, transform)
    return trimesh.Trimesh(vertices=vertices, faces=geometry.faces, process=False)


def _section(mesh: trimesh.Trimesh, height: float) -> list[Polygon]:
    """The plan polygons where the horizontal plane at *height* cuts *mesh* (solid where an odd
    number of the section's closed loops enclose a point, so a ring of walls stays a ring)."""
    lo, hi = mesh.bounds[0][1], mesh.bounds[1][1]
    if not lo < height < hi:
        return []
    lines = trimesh.intersections.mesh_plane(mesh, plane_normal=[0, 1, 0], plane_origin=[0, height, 0])
    if len(lines) == 0:
        return []
    segments = shapely.multilinestrings(shapely.linestrings(np.round(lines[:, :, [0, 2]], 6)))
    solid = None
    for loop in shapely.get_parts(shapely.line_merge(shapely.node(segments))):
        if not loop.is_closed or len(loop.coords) < 4:
            continue
        filled = shapely.make_valid(Polygon(loop.coords))
        if filled.area <= 1e-6:
            continue
        solid = filled if solid is None else solid.symmetric_difference(filled)
    return _polygons(solid)


def _cut(meshes: list[trimesh.Trimesh], heights: list[float]) -> Polygon | None:
    parts = [p for mesh in meshes for h in heights for p in _section(mesh, h)]
    return unary_union(parts) if parts else None


def _polygons(area) -> list[Polygon]:
    if area is None or area.is_empty:
        return []
    return [p for p in shapely.get_parts(area) if isinstance(p, Polygon) and p.area > 1e-4]


def _floor_of(lowest: float, floors: dict[int, float]) -> int | None:
    candidates = [
        (elev, lv) for lv, elev in floors.items() if FLOOR_BAND[0] <= lowest - elev <= FLOOR_BAND[1]
    ]
    return max(candidates)[1] if candidates else None


class _ModelView:
    """A scene read for extraction: each node's mapped name, its world-space mesh, its subtree."""

    def __init__(self, scene: trimesh.Scene, mapping: dict[str, str] | None) -> None:
        rename = mapping or {}
        self.scene = scene
        self.names = {node: rename.get(node, node) for node in scene.graph.nodes}
        self.children = scene.graph.transforms.children
        self.world: dict[str, trimesh.Trimesh] = {}
        for node, _g in _instances(scene):
            mesh = _world_mesh(scene, node)
            if mesh is not None:
                self.world[node] = mesh

    def subtree(self, node: str) -> list[str]:
        out, stack = [], [node]
        while stack:
            current = stack.pop()
            out.append(current)
            stack.extend(self.children.get(current, []))
        return out

    def meshes_under(self, node: str) -> list[trimesh.Trimesh]:
        return [self.world[n] for n in self.subtree(node) if n in self.world]

    def is_kind(self, node: str, *prefixes: str) -> bool:
        # A node counts under the nearest ancestor that names its kind (signs belong to their counter).
        path = self.scene.graph.transforms.shortest_path("world", node) if node != "world" else []
        return any(self.names.get(p, p).startswith(prefixes) for p in path)


def extract(
    scene: trimesh.Scene, floors: dict[int, float], *, mapping: dict[str, str] | None = None
) -> HallGeometry:
    """Plan geometry of *scene* for the hall's *floors* (level → elevation). *mapping* renames nodes
    (modeller's name → ``counter:<number>`` / ``facility:<id>``)."""
    view = _ModelView(scene, mapping)
    nodes = _extract_nodes(view, floors)
    connectors = _extract_connectors(view, floors)
    floor_geometry = {}
    for level, elevation in sorted(floors.items()):
        geometry = _extract_floor(view, level, elevation, connectors)
        if geometry is not None:
            floor_geometry[level] = geometry
    return HallGeometry(floor_geometry, nodes, connectors)


def _extract_nodes(view: _ModelView, floors: dict[int, float]) -> dict[str, NodeInfo]:
    """Every counter and facility node that draws something: anchor, footprint, floor, facing, standing."""
    nodes: dict[str, NodeInfo] = {}
    for node in view.scene.graph.nodes:
        name = view.names[node]
        kind = (
            "counter" if name.startswith("counter:") else "facility" if name.startswith("facility:") else None
        )
        if kind is None or "/" in name or name in nodes:
            # the same name twice: keep the first; the report counts duplicates from the JSON
            continue
        meshes = view.meshes_under(node)
        if not meshes:
            continue
        vertices = np.vstack([m.vertices for m in meshes])
        lo, hi = vertices.min(axis=0), vertices.max(axis=0)
        anchor = tuple(float(v) for v in (lo + hi) / 2)
        own = view.world.get(node)
        footprint_points = (own.vertices if own is not None else vertices)[:, [0, 2]]
        footprint = MultiPoint(footprint_points).convex_hull
        facing = None
        if kind == "counter":
            matrix = view.scene.graph.get(node)[0]
            fx, _fy, fz = matrix[:3, :3] @ np.array([0.0, 0.0, 1.0])
            facing = vector_to_bearing(fx, fz) if math.hypot(fx, fz) > 1e-6 else None
        info = NodeInfo(
            name=name,
            kind=kind,
            key=name.split(":", 1)[1],
            floor=_floor_of(float(lo[1]), floors),
            anchor=anchor,
            footprint=footprint if isinstance(footprint, Polygon) else None,
            facing=facing,
        )
        own_height = float(np.ptp(own.vertices[:, 1])) if own is not None else 0.0
        # Floor mats and signs hung on walls are not in the way: people stand where they are.
        standable = kind == "facility" and own_height <= THIN
        info.standing = (anchor[0], anchor[2]) if standable else standing_point(info)
        nodes[name] = info
    return nodes


def _extract_connectors(view: _ModelView, floors: dict[int, float]) -> list[Connector]:
    """Lifts, stairs and escalators (``connector:<type>:<id>``) with the floors their extent reaches."""
    connectors = []
    for node in view.scene.graph.nodes:
        name = view.names[node]
        if not name.startswith("connector:"):
            continue
        parts = name.split(":")
        meshes = view.meshes_under(node)
        if len(parts) != 3 or parts[1] not in CONNECTOR_TYPES or not meshes:
            continue
        vertices = np.vstack([m.vertices for m in meshes])
        lo, hi = vertices.min(axis=0), vertices.max(axis=0)
        served = tuple(
            sorted(
                lv
                for lv, elev in floors.items()
                if lo[1] - CONNECTOR_REACH <= elev <= hi[1] + CONNECTOR_REACH
            )
        )
        if len(served) >= 2:
            connectors.append(
                Connector(parts[2], parts[1], served, float((lo[0] + hi[0]) / 2), float((lo[2] + hi[2]) / 2))
            )
    return connectors


def _extract_floor(
    view: _ModelView, level: int, elevation: float, connectors: list[Connector]
) -> FloorGeometry | None:
    """One floor's plan: outline (its slab, or what stands on it), obstacles, walls and zones; None when
    nothing in the model lies on it."""
    world, names = view.world, view.names
    slabs = [
        world[n] for n in world if names[n] == f"floor:{level}" or names[n].startswith(f"floor:{level}/")
    ]
    outline = _cut(slabs, [elevation - FLOOR_SECTION_DEPTH])
    obstacle_meshes = [
        m
        for n, m in world.items()
        if not view.is_kind(n, *NOT_OBSTACLES)
        and m.bounds[0][1] < elevation + max(SECTION_HEIGHTS)
        and m.bounds[1][1] > elevation
    ]
    obstacles = _cut(obstacle_meshes, [elevation + h for h in SECTION_HEIGHTS])
    if outline is None:  # a model without named floor slabs: the extent of what stands on the floor
        outline = obstacles.convex_hull if obstacles is not None else None
    if outline is None:
        return None
    for c in connectors:
        if level in c.floors:  # where stairs or a lift arrive is part of the floor, even over a hole
            outline = outline.union(Point(c.x, c.z).buffer(CONNECTOR_LANDING, cap_style="square"))
    walls = _cut(
        [m for n, m in world.items() if names[n] == f"walls:{level}"], [elevation + SECTION_HEIGHTS[1]]
    )
    zones = {}
    for n, m in world.items():
        parts = names[n].split(":")
        if parts[0] == "zone" and len(parts) == 3 and parts[1] == str(level):
            area = unary_union(
                _section(m, elevation + ZONE_SECTION_LIFT) or [MultiPoint(m.vertices[:, [0, 2]]).convex_hull]
            )
            zones[parts[2]] = area
    main = max(_polygons(outline), key=lambda p: p.area, default=None)
    if main is None:
        return None
    return FloorGeometry(level, elevation, main, _polygons(obstacles), _polygons(walls), zones)


def standing_point(info: NodeInfo) -> tuple[float, float]:
    """Where a citizen stands: in front of a counter's service side, or just outside a facility."""
    x, _y, z = info.anchor
    if info.kind == "counter" and info.facing is not None and info.footprint is not None:
        dx, dz = math.sin(math.radians(info.facing)), -math.cos(math.radians(info.facing))
        coords = np.asarray(info.footprint.exterior.coords)
        reach = float(np.max((coords[:, 0] - x) * dx + (coords[:, 1] - z) * dz))
        return x + dx * (reach + STAND_OFF), z + dz * (reach + STAND_OFF)
    if info.footprint is not None and info.footprint.area > 0.05 and info.footprint.contains(Point(x, z)):
        edge = info.footprint.exterior.interpolate(info.footprint.exterior.project(Point(x, z)))
        dx, dz = edge.x - x, edge.y - z
        norm = math.hypot(dx, dz) or 1.0
        return edge.x + dx / norm * STAND_OFF, edge.y + dz / norm * STAND_OFF
    return x, z


def places(
    geometry: HallGeometry, scenes: dict[str, tuple[int, float, float]], entrances: dict[str, str]
) -> list[Place]:
    """Every place a route may start or end at: counters, facilities, scenes, and entrances
    (*entrances* maps an entrance key like ``main`` to its facility id)."""
    out = []
    for info in geometry.nodes.values():
        if info.floor is not None and info.standing is not None:
            out.append(Place(info.name, info.floor, *info.standing))
    for code, (level, x, z) in scenes.items():
        out.append(Place(f"scene:{code}", level, x, z))
    for key, facility in entrances.items():
        info = geometry.nodes.get(f"facility:{facility}")
        if info is not None and info.floor is not None and info.standing is not None:
            out.append(Place(f"entrance:{key}", info.floor, *info.standing))
    return out


def duplicate_names(document: dict[str, Any], mapping: dict[str, str] | None = None) -> list[str]:
    """Counter and facility names that more than one node of the glTF carries."""
    seen: dict[str, int] = {}
    for node in document.get("nodes", []):
        name = (mapping or {}).get(node.get("name", ""), node.get("name", ""))
        if name.startswith(("counter:", "facility:")) and "/" not in name:
            seen[name] = seen.get(name, 0) + 1
    return sorted(n for n, count in seen.items() if count > 1)


def one_to_one(
    hall: str,
    geometry: HallGeometry,
    document: dict[str, Any],
    *,
    counters: dict[str, int],
    facilities: dict[str, int],
    floors: dict[int, float],
    mapping: dict[str, str] | None = None,
    reachable=None,
) -> Report:
    """Compare the model's nodes with the database's *counters* and *facilities* (key → floor level).
    *reachable(node_name)* returns a reason pair (zh, en) when a counter's standing point cannot be
    reached from an entrance, or None."""
    report = Report(hall)
    expected = {f"counter:{k}": lv for k, lv in counters.items()} | {
        f"facility:{k}": lv for k, lv in facilities.items()
    }
    found = geometry.nodes
    for name in sorted(set(expected) - set(found)):
        report.problems.append(Problem("missing", name, "模型中缺少该节点", "no node for it in the model"))
    for name in sorted(set(found) - set(expected)):
        report.problems.append(
            Problem(
                "extra", name, "数据库中没有对应的窗口或设施", "nothing in the database matches this node"
            )
        )
    for name in duplicate_names(document, mapping):
        report.problems.append(
            Problem("duplicate", name, "多个节点使用了同一名称", "several nodes carry this name")
        )
    for name in sorted(set(expected) & set(found)):
        info = found[name]
        if info.floor is None:
            report.problems.append(
                Problem(
                    "no_floor", name, "节点不在任何已知楼层上", "the node stands on no floor of this hall"
                )
            )
        elif info.floor != expected[name]:
            report.problems.append(
                Problem(
                    "wrong_floor",
                    name,
                    f"节点在{info.floor}楼，数据库记录为{expected[name]}楼",
                    f"the node is on floor {info.floor}, the database says floor {expected[name]}",
                )
            )
        elif reachable is not None and info.kind == "counter":
            reason = reachable(name)
            if reason is not None:
                report.problems.append(
                    Problem(
                        "unreachable",
                        name,
                        f"办事人站立点无法到达：{reason[0]}",
                        f"the standing point cannot be reached: {reason[1]}",
                    )
                )
    missing_floors = sorted(set(floors) - set(geometry.floors))
    for level in missing_floors:
        report.problems.append(
            Problem(
                "no_floor",
                f"floor:{level}",
                "模型中找不到该楼层的地面",
                "the model has no floor at this level",
            )
        )
    report.counts = {
        "counters_in_database": len(counters),
        "facilities_in_database": len(facilities),
        "counter_nodes": sum(1 for n in found.values() if n.kind == "counter"),
        "facility_nodes": sum(1 for n in found.values() if n.kind == "facility"),
        "floors": len(geometry.floors),
        "connectors": len(geometry.connectors),
    }
    return report


def bounds_box(geometry: HallGeometry) -> Polygon:
    """The plan rectangle around every floor outline."""
    return box(*unary_union([f.outline for f in geometry.floors.values()]).bounds)
