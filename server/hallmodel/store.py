"""Published hall model files in the published-files folder (``config.published_root``: the instance folder
unless ``PUBLISHED_PATH`` names a shared one): ``models/<hall>/<sha256>.glb`` (content-addressed,
so a URL with the hash may be cached for ever) with an optional ``<sha256>.mapping.json`` beside it, and
the mapping tables that translate a modeller's node names into ours. Files are written to a temporary
name and renamed into place, so a crash never leaves half a file under a published name; they are readable by
everyone (``server/files.py``), whatever the umask."""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from pathlib import Path

from flask import Flask

from ..config import published_root
from ..files import FILE_MODE, make_folders
from .check import ModelError

INCOMING_PREFIX = ".incoming-"  # a file being written; one a killed process left is removed by storage clean


def model_folder(app: Flask, hall: str) -> Path:
    return published_root(app) / "models" / hall


def model_path(app: Flask, hall: str, sha: str) -> Path:
    """Where the published model *sha* of *hall* is stored."""
    return model_folder(app, hall) / f"{sha}.glb"


def write_atomically(path: Path, data: bytes, *, keep_existing: bool = False) -> None:
    """Write *data* to *path* whole or not at all (a temporary file, fsynced, then moved into place).

    *keep_existing*: a content-addressed file that is already there stays as it is (linked into place, so
    of several writers at once the first wins): readers and backups never see it replaced under them."""
    make_folders(path.parent)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=INCOMING_PREFIX)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), FILE_MODE)  # mkstemp makes it 0600: the file is served to everyone
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if keep_existing:
            with contextlib.suppress(FileExistsError):  # another writer was first: its file stays
                os.link(temporary, path)
            Path(temporary).unlink(missing_ok=True)
        else:
            os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


MAX_MAPPING_BYTES = 1024 * 1024  # a mapping names at most every node of a model (20,000 names)


def _mapping_error(zh: str, en: str) -> ModelError:
    return ModelError("bad_mapping", f"映射表{zh}", f"the mapping {en}")


def _read_mapping(path: Path) -> str:
    """The text of a mapping file: a regular file (never a device or a pipe), bounded, UTF-8."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise _mapping_error(f"无法读取：{exc.strerror}", f"cannot be read: {exc.strerror}") from exc
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise _mapping_error("不是普通文件", "is not a regular file")
    with os.fdopen(fd, "rb") as handle:
        return _mapping_text(handle.read(MAX_MAPPING_BYTES + 1))


def _mapping_text(data: bytes) -> str:
    """*data* of a mapping table as text: bounded, UTF-8."""
    if len(data) > MAX_MAPPING_BYTES:
        raise _mapping_error(
            f"超过 {MAX_MAPPING_BYTES // 1024} KB 上限", f"is over the {MAX_MAPPING_BYTES // 1024} KB limit"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _mapping_error(
            f"不是 UTF-8 编码的文本（第 {exc.start} 字节）", f"is not UTF-8 text (at byte {exc.start})"
        ) from exc


def load_mapping(path: Path) -> dict[str, str]:
    """A mapping table from a modeller's node names to ours: JSON object, or CSV/TSV with two columns."""
    return _parse_mapping(_read_mapping(path), json_text=path.suffix.lower() == ".json")


def parse_mapping(data: bytes, *, name: str = "mapping.json") -> dict[str, str]:
    """The mapping table in *data* (an upload named *name*: CSV/TSV when it ends so, JSON otherwise),
    checked as ``load_mapping`` checks a file."""
    csv = name.lower().endswith((".csv", ".tsv", ".txt"))
    return _parse_mapping(_mapping_text(data), json_text=not csv)


def _parse_mapping(text: str, *, json_text: bool) -> dict[str, str]:
    if json_text:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise _mapping_error(
                f"不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列）",
                f"is not valid JSON (line {exc.lineno}, column {exc.colno})",
            ) from exc
        except RecursionError as exc:
            raise _mapping_error("的 JSON 嵌套层数过多", "JSON is nested too deeply") from exc
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
