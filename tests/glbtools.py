"""Helpers for tests that need to craft or alter GLB files byte by byte."""

from __future__ import annotations

import json
import struct
from collections.abc import Callable

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
