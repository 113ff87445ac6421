"""Helpers for tests that need to craft or alter GLB files byte by byte."""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Callable

import numpy as np

GLB_MAGIC = 0x46546C67
CHUNK_JSON = 0x4E4F534A
CHUNK_BIN = 0x004E4942


def _pad(data: bytes, filler: bytes) -> bytes:
    return data + filler * (-len(data) % 4)


def pack(document: dict, binary: bytes | None = None) -> bytes:
    """A GLB container around *document* (and an optional binary chunk)."""
    return pack_json(json.dumps(document).encode(), binary)


def pack_json(text: bytes, binary: bytes | None = None) -> bytes:
    """A GLB container around the JSON chunk *text* as given (which may be anything)."""
    body = _pad(text, b" ")
    chunks = struct.pack("<II", len(body), CHUNK_JSON) + body
    if binary is not None:
        binary = _pad(binary, b"\0")
        chunks += struct.pack("<II", len(binary), CHUNK_BIN) + binary
    return struct.pack("<III", GLB_MAGIC, 2, 12 + len(chunks)) + chunks


def unpack(data: bytes) -> tuple[dict, bytes | None]:
    """The JSON document and binary chunk of a GLB."""
    length, _kind = struct.unpack_from("<II", data, 12)
    document = json.loads(data[20 : 20 + length])
    rest = data[20 + length :]
    binary = None
    if rest:
        bin_length, _bin_kind = struct.unpack_from("<II", rest, 0)
        binary = rest[8 : 8 + bin_length]
    return document, binary


def edit(data: bytes, change: Callable[[dict], None]) -> bytes:
    """A copy of GLB *data* whose JSON document *change* has edited in place."""
    document, binary = unpack(data)
    change(document)
    return pack(document, binary)


def poison_positions(data: bytes, value: float = float("nan")) -> bytes:
    """A copy of GLB *data* whose first vertex (of the first POSITION accessor) has *value* for x."""
    document, binary = unpack(data)
    accessor = document["accessors"][document["meshes"][0]["primitives"][0]["attributes"]["POSITION"]]
    view = document["bufferViews"][accessor["bufferView"]]
    at = view.get("byteOffset", 0) + accessor.get("byteOffset", 0)
    changed = bytearray(binary)
    struct.pack_into("<f", changed, at, value)
    return pack(document, bytes(changed))


def column(
    triangles: int, *, at: tuple[float, float], radius: float = 0.3, height: float = 3.0
) -> np.ndarray:
    """A finely tessellated upright cylinder (open at both ends) at plan point *at*, as the positions of
    about *triangles* unindexed triangles: ``(3 * n, 3) float32``. Fast to build at millions of triangles."""
    around = max(8, int(math.sqrt(triangles / 2)))
    rows = max(1, triangles // (2 * around))
    angles = np.linspace(0.0, 2 * math.pi, around + 1, dtype=np.float32)
    levels = np.linspace(0.0, height, rows + 1, dtype=np.float32)
    x = at[0] + radius * np.cos(angles)
    z = at[1] + radius * np.sin(angles)
    grid = np.empty((rows + 1, around + 1, 3), np.float32)
    grid[..., 0], grid[..., 1], grid[..., 2] = x[None, :], levels[:, None], z[None, :]
    a, b = grid[:-1, :-1], grid[:-1, 1:]
    c, d = grid[1:, :-1], grid[1:, 1:]
    quads = np.stack([a, c, b, b, c, d], axis=2)  # two triangles a quad, outward
    return quads.reshape(-1, 3)


def add_mesh_node(
    data: bytes, positions: np.ndarray, name: str, *, indices: np.ndarray | None = None, nodes: int = 1
) -> bytes:
    """A copy of GLB *data* with one more mesh, the triangles *positions* (unindexed, or by *indices*),
    drawn by *nodes* more top-level nodes."""
    document, binary = unpack(data)
    binary = binary or b""
    views = document.setdefault("bufferViews", [])
    accessors = document.setdefault("accessors", [])
    position_bytes = np.ascontiguousarray(positions, dtype="<f4").tobytes()
    primitive = {"attributes": {"POSITION": len(accessors)}}
    views.append({"buffer": 0, "byteOffset": len(binary), "byteLength": len(position_bytes)})
    accessors.append(
        {
            "bufferView": len(views) - 1,
            "componentType": 5126,
            "count": len(positions),
            "type": "VEC3",
            "min": [float(v) for v in positions.min(axis=0)],
            "max": [float(v) for v in positions.max(axis=0)],
        }
    )
    binary += position_bytes
    if indices is not None:
        index_bytes = np.ascontiguousarray(indices, dtype="<u4").tobytes()
        views.append({"buffer": 0, "byteOffset": len(binary), "byteLength": len(index_bytes)})
        primitive["indices"] = len(accessors)
        accessors.append(
            {"bufferView": len(views) - 1, "componentType": 5125, "count": len(indices), "type": "SCALAR"}
        )
        binary += index_bytes
    document.setdefault("buffers", [{"byteLength": 0}])[0]["byteLength"] = len(binary)
    meshes = document.setdefault("meshes", [])
    meshes.append({"name": name, "primitives": [primitive]})
    roots = document["scenes"][document.get("scene", 0)]["nodes"]
    for i in range(nodes):
        roots.append(len(document["nodes"]))
        document["nodes"].append({"name": f"{name}-{i}" if nodes > 1 else name, "mesh": len(meshes) - 1})
    return pack(document, binary)
