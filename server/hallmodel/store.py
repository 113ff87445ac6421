"""Published hall model files in the instance folder: ``models/<hall>/<sha256>.glb`` (content-addressed,
so a URL with the hash may be cached for ever) with an optional ``<sha256>.mapping.json`` beside it, and
the mapping tables that translate a modeller's node names into ours. Files are written to a temporary
name and renamed into place, so a crash never leaves half a file under a published name."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from flask import Flask

from .check import ModelError


def model_folder(app: Flask, hall: str) -> Path:
    return Path(app.instance_path) / "models" / hall


def model_path(app: Flask, hall: str, sha: str) -> Path:
    """Where the published model *sha* of *hall* is stored."""
    return model_folder(app, hall) / f"{sha}.glb"


def write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load_mapping(path: Path) -> dict[str, str]:
    """A mapping table from a modeller's node names to ours: JSON object, or CSV/TSV with two columns."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".json":
        data = json.loads(text)
        if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in data.items()
        ):
            raise ModelError(
                "bad_mapping",
                "映射表应为 {原节点名: 目标名} 的 JSON 对象",
                "the mapping must be a JSON object {node name: target name}",
            )
        return data
    mapping = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.replace("\t", ",").split(",")]
        if len(parts) != 2 or not all(parts):
            raise ModelError(
                "bad_mapping",
                f"映射表第 {number} 行应为“原节点名,目标名”",
                f"line {number} of the mapping must be 'node name,target name'",
            )
        if number == 1 and parts[1] in ("target", "目标"):
            continue
        mapping[parts[0]] = parts[1]
    return mapping
