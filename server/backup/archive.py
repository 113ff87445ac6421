"""Backup archives: create one from a running instance, restore one into an empty instance.

An archive is an uncompressed tar (its tiles and models are compressed already; a gzipped one is read too)
whose first member is ``manifest.json``::

    {"format": "vhall-backup", "format_version": 1, "app_version", "schema_revision", "created_at",
     "database": {"dialect"}, "row_counts": {table: n}, "members": {name: {"size", "sha256"}}}

followed by ``database.json`` (``backup.database``: every table, read in one snapshot transaction) and
``files/<path in the published-files folder>`` (``config.published_root``: the instance folder by default): each hall's published model ``models/<hall>/<sha>.*`` (the GLB and
whatever is kept beside it under that hash) and each scene's published tile version
``panoramas/<hall>/<scene>/<version>/``. Both are content-addressed and never rewritten, so copying them
after the snapshot cannot tear them, and superseded versions no row points at are left out.

Restoring verifies the manifest and every member (name, type, size, checksum) while unpacking into a hidden
folder of the published-files folder, then writes schema and rows in one transaction (at the archive's revision, then
migrated to head) and renames the files into place before it commits: a refusal or a failure halfway
leaves the instance as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

from flask import Flask
from sqlalchemy import Connection, Engine

from ..config import published_root
from ..problems import HallError
from . import database

FORMAT = "vhall-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE = "database.json"
FILES = "files"
# The subfolders of the published-files folder (hallmodel.store, panoramas.store).
PUBLISHED = ("models", "panoramas")
# What a restore accepts at most: a hostile archive cannot make it fill the disk or the memory.
MAX_MANIFEST_BYTES = 64 * 2**20
MAX_DATABASE_BYTES = 2 * 2**30
MAX_MEMBER_BYTES = 2 * 2**30
MAX_TOTAL_BYTES = 256 * 2**30
MAX_MEMBERS = 500_000
CHUNK = 1 << 20
# One component of a published path: hall slugs, scene codes, hashes, versions, tile and level names.
SAFE_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")


class BackupError(HallError):
    """A backup that cannot be made, or an archive that cannot be restored (exit 2 on the command line)."""


def app_version() -> str:
    """The installed version of the server package."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("virtual-service-hall")
    except PackageNotFoundError:
        return "unknown"


# --- create -----------------------------------------------------------------------------------------------


def _rows(table: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for row in table["rows"]:
        yield dict(zip(table["columns"], row, strict=True))


def _safe(*parts: Any) -> bool:
    return all(isinstance(p, str) and SAFE_PART.match(p) for p in parts)


def _regular_files(root: Path, folder: Path) -> Iterator[Path]:
    """Every file below *folder* (itself included when it is a file), refusing links and special files."""
    paths = [folder] if not folder.is_dir() or folder.is_symlink() else sorted(folder.rglob("*"))
    for path in paths:
        if path.is_symlink() or not (path.is_file() or path.is_dir()):
            raise BackupError(
                "backup_odd_file",
                f"发布目录中有链接或特殊文件：{path.relative_to(root)}",
                f"a link or special file in the published files: {path.relative_to(root)}",
                status=500,
            )
        if path.is_file():
            yield path


def referenced_files(instance: Path, dumped: dict[str, Any]) -> list[Path]:
    """The published files the dumped rows point at: each hall's model (every file named by its hash) and
    each scene's tile version, as paths inside *instance*."""
    tables = {t["name"]: t for t in dumped["tables"]}
    halls = {row["id"]: row for row in _rows(tables["halls"])} if "halls" in tables else {}
    wanted: list[tuple[Path, str]] = []
    for hall in halls.values():
        sha = hall.get("model_sha")
        if sha:
            if not _safe(hall["slug"]) or not SHA256.match(sha):
                raise BackupError("backup_bad_row", "大厅模型记录异常", f"odd model row for {hall['slug']!r}")
            folder = instance / "models" / hall["slug"]
            names = sorted(folder.iterdir()) if folder.is_dir() else []
            wanted.append((folder / f"{sha}.glb", f"{hall['slug']} 模型 / model {sha[:12]}"))
            wanted += [(p, "") for p in names if p.name == sha or p.name.startswith(f"{sha}.")]
    for scene in _rows(tables.get("scenes", {"columns": [], "rows": []})):
        panorama = json.loads(scene["panorama"]) if scene.get("panorama") else None
        if not isinstance(panorama, dict) or "version" not in panorama:
            continue
        slug, code, version = halls[scene["hall_id"]]["slug"], scene["code"], panorama["version"]
        if not _safe(slug, code, version):
            raise BackupError("backup_bad_row", "场景全景记录异常", f"odd panorama row for scene {code!r}")
        wanted.append((instance / "panoramas" / slug / code / version, f"{slug}/{code} 全景 / panorama"))
    files: dict[Path, None] = {}
    for path, what in wanted:
        if what and not path.exists():
            raise BackupError(
                "backup_missing_file",
                f"已发布的文件不见了：{what}（{path.relative_to(instance)}）",
                f"a published file is missing: {what} ({path.relative_to(instance)})",
                status=500,
            )
        files.update(dict.fromkeys(_regular_files(instance, path)))
    return list(files)


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            sha.update(chunk)
    return sha.hexdigest()


def _add(tar: tarfile.TarFile, name: str, size: int, handle: IO[bytes], mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o644, int(mtime)
    tar.addfile(info, handle)


def create(app: Flask, target: str | os.PathLike, *, force: bool = False) -> dict[str, Any]:
    """Write a backup of *app*'s instance to *target* (atomically; an existing file only with *force*);
    return its manifest."""
    import io

    target = Path(target)
    if target.exists() and not force:
        raise BackupError(
            "backup_exists",
            f"文件已存在：{target}（覆盖请加 --force）",
            f"the file exists: {target} (use --force to overwrite)",
        )
    engine: Engine = app.extensions["db_engine"]
    with database.snapshot(engine) as connection:
        dumped = database.dump(connection)
    if dumped["revision"] is None:
        raise BackupError("backup_no_schema", "数据库尚未建立结构", "the database has no schema yet")
    instance = published_root(app)
    # Copied after the snapshot: the files it points at are immutable versions, so they are still there.
    files = referenced_files(instance, dumped)
    data = json.dumps(dumped, ensure_ascii=False, separators=(",", ":")).encode()
    members = {DATABASE: {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}}
    for path in files:
        members[f"{FILES}/{path.relative_to(instance).as_posix()}"] = {
            "size": path.stat().st_size,
            "sha256": _digest(path),
        }
    now = datetime.now(UTC)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "app_version": app_version(),
        "schema_revision": dumped["revision"],
        "created_at": now.isoformat(),
        "database": {"dialect": engine.dialect.name},
        "row_counts": {t["name"]: len(t["rows"]) for t in dumped["tables"]},
        "members": members,
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    try:
        with os.fdopen(fd, "wb") as handle:
            with tarfile.open(fileobj=handle, mode="w", format=tarfile.PAX_FORMAT) as tar:
                text = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
                _add(tar, MANIFEST, len(text), io.BytesIO(text), now.timestamp())
                _add(tar, DATABASE, len(data), io.BytesIO(data), now.timestamp())
                for path in files:
                    with path.open("rb") as source:
                        name = f"{FILES}/{path.relative_to(instance).as_posix()}"
                        _add(tar, name, members[name]["size"], source, path.stat().st_mtime)
            handle.flush()
            os.fsync(handle.fileno())
        if force:
            os.replace(temporary, target)
        else:
            try:
                os.link(temporary, target)  # fails, rather than replaces, if the file appeared meanwhile
            except FileExistsError:
                raise BackupError(
                    "backup_exists", f"文件已存在：{target}", f"the file exists: {target}"
                ) from None
            os.unlink(temporary)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return manifest


# --- restore ----------------------------------------------------------------------------------------------


def _corrupt(zh: str, en: str) -> BackupError:
    return BackupError(
        "backup_corrupt", f"备份文件损坏或不可信：{zh}", f"the backup is corrupt or unsafe: {en}"
    )


def _allowed_name(name: str) -> bool:
    """Whether *name* may be a member: the dump, or a published file under files/ with plain parts."""
    parts = PurePosixPath(name).parts
    if name == DATABASE:
        return True
    return (
        name == PurePosixPath(name).as_posix()
        and len(parts) >= 3
        and parts[0] == FILES
        and parts[1] in PUBLISHED
        and _safe(*parts[2:])
    )


def _check_manifest(manifest: Any) -> dict[str, Any]:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _corrupt("不是本系统的备份", "not a backup of this system")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            "backup_newer_format",
            f"备份格式版本 {manifest.get('format_version')!r} 不受支持（本程序为 {FORMAT_VERSION}）",
            f"backup format version {manifest.get('format_version')!r} is not supported (this is {FORMAT_VERSION})",
        )
    members = manifest.get("members")
    if (
        not isinstance(members, dict)
        or not isinstance(manifest.get("schema_revision"), str)
        or not isinstance(manifest.get("row_counts"), dict)
        or DATABASE not in members
        or len(members) > MAX_MEMBERS
    ):
        raise _corrupt("清单不完整", "the manifest is incomplete")
    total = 0
    for name, entry in members.items():
        if not _allowed_name(name):
            raise _corrupt(f"不允许的成员名 {name!r}", f"member name not allowed: {name!r}")
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("size"), int)
            or not 0 <= entry["size"] <= (MAX_DATABASE_BYTES if name == DATABASE else MAX_MEMBER_BYTES)
            or not isinstance(entry.get("sha256"), str)
            or not SHA256.match(entry["sha256"])
        ):
            raise _corrupt(f"成员 {name} 的大小或校验和无效", f"size or checksum of {name} is not valid")
        total += entry["size"]
    if total > MAX_TOTAL_BYTES:
        raise _corrupt("总大小超过上限", "the members are larger than the limit")
    return manifest


def _copy_checked(source: IO[bytes], dest: Path, size: int, sha256: str, name: str) -> None:
    sha, written = hashlib.sha256(), 0
    dest.parent.mkdir(parents=True, exist_ok=True)
    with dest.open("xb") as out:
        while chunk := source.read(min(CHUNK, size - written + 1)):
            written += len(chunk)
            if written > size:
                break
            sha.update(chunk)
            out.write(chunk)
    if written != size or sha.hexdigest() != sha256:
        raise _corrupt(f"{name} 的校验和不符", f"checksum mismatch for {name}")


def unpack(source: Path, staging: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Verify the archive *source* member by member while writing its contents below *staging*; return its
    manifest and database dump. Anything unexpected is a BackupError."""
    try:
        tar = tarfile.open(source, "r:*")  # noqa: SIM115 (closed by the with below)
    except FileNotFoundError:
        raise BackupError("backup_unreadable", f"找不到文件：{source}", f"no such file: {source}") from None
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise _corrupt("不是可读的 tar 归档", f"not a readable tar archive ({exc})") from None
    try:
        with tar:
            first = tar.next()
            if (
                first is None
                or first.name != MANIFEST
                or not first.isreg()
                or first.size > MAX_MANIFEST_BYTES
            ):
                raise _corrupt("第一个成员应为 manifest.json", "the first member must be manifest.json")
            try:
                manifest = _check_manifest(json.loads(tar.extractfile(first).read()))
            except (ValueError, UnicodeDecodeError):
                raise _corrupt("清单不是 JSON", "the manifest is not JSON") from None
            members, seen = manifest["members"], set()
            while (member := tar.next()) is not None:
                try:
                    tarfile.data_filter(member, str(staging))  # absolute, .., links, devices, odd modes
                except tarfile.FilterError as exc:
                    raise _corrupt(
                        f"不安全的成员 {member.name!r}", f"unsafe member {member.name!r} ({exc})"
                    ) from None
                name = member.name
                if not member.isreg() or name not in members or name in seen:
                    raise _corrupt(f"清单之外的成员 {name!r}", f"member not in the manifest: {name!r}")
                if member.size != members[name]["size"]:
                    raise _corrupt(f"{name} 的大小不符", f"size mismatch for {name}")
                seen.add(name)
                _copy_checked(
                    tar.extractfile(member), staging / name, member.size, members[name]["sha256"], name
                )
                if len(seen) > MAX_MEMBERS:
                    raise _corrupt("成员过多", "too many members")
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        if isinstance(exc, BackupError):
            raise
        raise _corrupt("归档被截断或已损坏", f"the archive is truncated or damaged ({exc})") from None
    missing = set(members) - seen
    if missing:
        raise _corrupt(
            f"缺少 {len(missing)} 个成员（文件被截断？）", f"{len(missing)} members missing (truncated?)"
        )
    return manifest, _check_dump(json.loads((staging / DATABASE).read_text(encoding="utf-8")), manifest)


def _check_dump(dumped: Any, manifest: dict[str, Any]) -> dict[str, Any]:
    kinds = {"plain", "json", "datetime", "date", "time", "binary", "decimal"}
    try:
        assert dumped["revision"] == manifest["schema_revision"]
        assert {t["name"]: len(t["rows"]) for t in dumped["tables"]} == manifest["row_counts"]
        for table in dumped["tables"]:
            assert isinstance(table["name"], str) and set(table["kinds"]) <= kinds
            assert len(table["columns"]) == len(table["kinds"])
            assert all(isinstance(r, list) and len(r) == len(table["columns"]) for r in table["rows"])
    except (AssertionError, KeyError, TypeError):
        raise _corrupt("数据库内容与清单不符", "the database dump does not match the manifest") from None
    return dumped


def _refuse(zh: str, en: str) -> BackupError:
    return BackupError(
        "restore_not_empty",
        f"只能恢复到空实例：{zh}",
        f"restores only into an empty instance: {en}",
        status=409,
    )


def _check_files_empty(instance: Path) -> None:
    for name in PUBLISHED:
        folder = instance / name
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise _refuse(f"{folder} 中已有发布的文件", f"{folder} already holds published files")


def _migrate(connection: Connection, revision: str) -> None:
    from alembic import command

    from ..db import alembic_config

    config = alembic_config(connection.engine)
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _check_revision(engine: Engine, revision: str) -> None:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from ..db import alembic_config

    try:
        ScriptDirectory.from_config(alembic_config(engine)).get_revision(revision)
    except CommandError:
        raise BackupError(
            "backup_newer_schema",
            f"备份来自更新的数据库结构 {revision}，请先升级本程序",
            f"the backup is from a newer database schema ({revision}); upgrade this server first",
        ) from None


def _prepare_schema(connection: Connection, revision: str) -> None:
    """Refuse a database holding any rows; bring its (empty) schema to *revision*."""
    metadata = database.reflect(connection)
    filled = {n: c for n, c in database.row_counts(connection, metadata).items() if c}
    if filled:
        names = ", ".join(sorted(filled))
        raise _refuse(f"数据库中已有数据（{names}）", f"the database holds rows ({names})")
    if metadata.tables and database.schema_revision(connection, metadata) != revision:
        metadata.drop_all(connection)  # empty tables at another revision: rebuilt at the archive's
    _migrate(connection, revision)


def restore(app: Flask, source: str | os.PathLike) -> dict[str, Any]:
    """Restore the archive *source* into *app*'s empty instance; return its manifest. Nothing changes
    when it is refused or fails."""
    instance, engine = published_root(app), app.extensions["db_engine"]
    instance.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=instance, prefix=".restore-"))
    moved: list[Path] = []
    try:
        manifest, dumped = unpack(Path(source), staging)
        _check_revision(engine, manifest["schema_revision"])
        _check_files_empty(instance)
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                connection.exec_driver_sql("BEGIN IMMEDIATE")  # schema and rows in one transaction
            try:
                _prepare_schema(connection, manifest["schema_revision"])
                database.load(connection, dumped)
                _migrate(connection, "head")
                for name in PUBLISHED:
                    unpacked = staging / FILES / name
                    if unpacked.is_dir():
                        if (instance / name).is_dir():
                            (instance / name).rmdir()  # empty (checked); fails if filled meanwhile
                        os.rename(unpacked, instance / name)
                        moved.append(instance / name)
                connection.commit()
            except BaseException:
                connection.rollback()
                for path in moved:
                    shutil.rmtree(path, ignore_errors=True)
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest
