"""What the published files take on disk, what still needs them, and freeing what nothing needs.

Items, per hall, in the published-files folder (``config.published_root``): **tile sets**
(``panoramas/<hall>/<scene>/<version>/``), **models** (``models/<hall>/<sha>.glb`` with its mapping and derived
data beside it, one item per hash), **partials** (a tile folder ``.<version>.….partial`` or a model file
``.incoming-…`` that a killed process left) and **uploads** (``uploads/<name>``: the file an upload job keeps
from the request until it is done — a panorama tiled, a model put into the draft — or discarded; an upload
being written, ``.<name>.partial``, is a partial).

An item is *referenced* by the live tables (a scene's panorama version, the hall's model hash), by any
published version's snapshot (``published_versions``: every one of them can be restored) or by a draft
(``drafts``). Snapshots are searched whatever shape a scope gives them: any run of hex digits in one that
equals a tile-set version (16 digits) or a model hash (64) counts, so a scene or model that a draft or a
version names in any field is kept. ``clean`` removes an unreferenced tile set or model only once it has
been out of use longer than the retention period (``STORAGE_RETENTION_DAYS``, default 30): out of use since
the next newer item of its scene (or hall's models) was written, else since it was written itself, so a
superseded set gets the full period after its successor came. An upload is referenced by its job while the
job is queued or running (never removed then); of a done or failed job — a model checked but never put into
the draft, a failed upload not retried — it goes once the job finished longer than the retention period ago
(a retry then says the upload is gone, 410), and one no job names once written that long ago; ``clean``
forgets the removed uploads in their jobs (``forget_uploads``). Partials go once untouched for an hour
(``STALE_PARTIAL_SECONDS``; a running tiling job touches its folder), also at application start-up
(``sweep_partials``).

Times are aware UTC; *now* is ``config.now()`` (the ``CLOCK`` setting in tests).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..config import published_root
from ..hallmodel.store import INCOMING_PREFIX
from ..models import Draft, Hall, Job, PublishedVersion
from ..panoramas.tiles import PARTIAL_SUFFIX
from ..problems import HallError

DEFAULT_RETENTION_DAYS = 30
STALE_PARTIAL_SECONDS = 3600  # an unfinished folder or file untouched this long belongs to a killed process
UPLOADS = "uploads"  # the upload jobs' folder of kept uploads, in the published-files folder
_HEX = re.compile(r"[0-9a-f]{16,}")
_VERSION = re.compile(r"^[0-9a-f]{16}$")
_SHA = re.compile(r"^[0-9a-f]{64}$")


class StorageError(HallError):
    """A storage report or clean that cannot be done as asked (a bad setting, an unknown hall)."""


@dataclass
class Item:
    """One thing on disk: *kind* ``tiles``, ``model``, ``partial`` or ``upload``; *name* within the hall
    (``east/0123456789abcdef``, a model hash, an upload's file name; an upload no job names is under hall
    ``*``); its files, size, when written and since when out of use."""

    hall: str
    kind: str
    name: str
    paths: list[Path]
    size: int
    written: datetime
    references: list[str] = field(default_factory=list)
    unused_since: datetime | None = None
    removable: bool = False

    def to_dict(self, root: Path) -> dict[str, Any]:
        return {
            "hall": self.hall,
            "kind": self.kind,
            "name": self.name,
            "paths": [_relative(p, root) for p in self.paths],
            "bytes": self.size,
            "written": self.written.isoformat(),
            "references": self.references,
            "unused_since": self.unused_since.isoformat() if self.unused_since else None,
            "removable": self.removable,
        }


@dataclass
class Report:
    """Every item found, with the retention it was judged by."""

    root: Path
    retention_days: int
    now: datetime
    items: list[Item]

    def halls(self) -> list[str]:
        return sorted({item.hall for item in self.items})

    def to_dict(self) -> dict[str, Any]:
        halls = []
        for hall in self.halls():
            items = [i for i in self.items if i.hall == hall]
            halls.append(
                {
                    "hall": hall,
                    "bytes": sum(i.size for i in items),
                    "removable_bytes": sum(i.size for i in items if i.removable),
                    "items": [i.to_dict(self.root) for i in items],
                }
            )
        return {
            "root": str(self.root),
            "retention_days": self.retention_days,
            "now": self.now.isoformat(),
            "bytes": sum(i.size for i in self.items),
            "removable_bytes": sum(i.size for i in self.items if i.removable),
            "halls": halls,
        }


def retention_days(app: Flask) -> int:
    """The ``STORAGE_RETENTION_DAYS`` setting, checked: a whole number of days, 0 or more."""
    value = app.config.get("STORAGE_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise StorageError(
            "bad_retention",
            f"设置 STORAGE_RETENTION_DAYS 应为不小于 0 的整数天数，而不是 {value!r}",
            f"The STORAGE_RETENTION_DAYS setting must be a whole number of days, 0 or more, not {value!r}",
            status=400,
        )
    return value


def survey(app: Flask, session: Session, *, now: datetime, hall: str | None = None) -> Report:
    """Every published item (of *hall*, else of all halls), its references and whether ``clean`` may remove
    it now. StorageError for a bad retention setting or a hall neither in the database nor on disk."""
    days = retention_days(app)
    root = published_root(app)
    halls = {
        h.slug: h
        for h in session.scalars(select(Hall).options(selectinload(Hall.scenes)).order_by(Hall.slug))
    }
    jobs = _upload_jobs(session)
    items = _tile_items(root) + _model_items(root) + _upload_items(root, jobs)
    if hall is not None:
        if hall not in halls and not any(i.hall == hall for i in items):
            raise StorageError("unknown_hall", f"没有这个大厅：{hall}", f"No such hall: {hall}", status=404)
        items = [i for i in items if i.hall == hall]
    live = _live_references(halls)
    saved = _snapshot_references(session)
    cutoff = now - timedelta(days=days)
    partial_cutoff = now - timedelta(seconds=STALE_PARTIAL_SECONDS)
    for item in items:
        if item.kind == "partial":
            item.removable = item.written < partial_cutoff
            continue
        if item.kind == "upload":
            _judge_upload(item, jobs.get(item.name), cutoff)
            continue
        key = item.name.rsplit("/", 1)[-1]
        item.references = [*live.get((item.hall, item.kind, key), []), *saved.get(key, [])]
        if not item.references:
            item.unused_since = _unused_since(item, items)
            item.removable = item.unused_since < cutoff
    items.sort(key=lambda i: (i.hall, i.kind, i.name))
    return Report(root, days, now, items)


def clean(report: Report, *, dry_run: bool = False) -> list[Item]:
    """Remove every removable item of *report* (nothing when *dry_run*); the items (to be) removed."""
    removed = [i for i in report.items if i.removable]
    if not dry_run:
        for item in removed:
            for path in item.paths:
                _remove(path)
    return removed


def sweep_partials(app: Flask) -> list[Path]:
    """Remove what killed processes left in the published-files folder (unfinished tile folders, model files
    being written) untouched for ``STALE_PARTIAL_SECONDS``: run at start-up, never fails it."""
    cutoff = datetime.now(UTC) - timedelta(seconds=STALE_PARTIAL_SECONDS)
    removed = []
    try:
        root = published_root(app)
        for item in _tile_items(root) + _model_items(root) + _upload_items(root, {}):
            if item.kind == "partial" and item.written < cutoff:
                for path in item.paths:
                    _remove(path)
                removed.extend(item.paths)
    except OSError as exc:  # a read-only or missing shared folder: the site still serves
        app.logger.warning("storage: cannot sweep partial files: %s", exc)
    return removed


# ---- what is on disk ----


def _tile_items(root: Path) -> list[Item]:
    items = []
    for hall in _folders(root / "panoramas"):
        for scene in _folders(hall):
            for entry in sorted(os.scandir(scene), key=lambda e: e.name):
                path = Path(entry.path)
                if not entry.is_dir(follow_symlinks=False):
                    continue
                if entry.name.startswith(".") and entry.name.endswith(PARTIAL_SUFFIX):
                    items.append(_item(hall.name, "partial", f"{scene.name}/{entry.name}", [path]))
                elif _VERSION.match(entry.name):
                    items.append(_item(hall.name, "tiles", f"{scene.name}/{entry.name}", [path]))
    return items


def _model_items(root: Path) -> list[Item]:
    items = []
    for hall in _folders(root / "models"):
        groups: dict[str, list[Path]] = defaultdict(list)
        for entry in sorted(os.scandir(hall), key=lambda e: e.name):
            if not entry.is_file(follow_symlinks=False):
                continue
            if entry.name.startswith(INCOMING_PREFIX):
                items.append(_item(hall.name, "partial", entry.name, [Path(entry.path)]))
                continue
            sha = entry.name.split(".", 1)[0]
            if _SHA.match(sha):
                groups[sha].append(Path(entry.path))
        for sha, paths in groups.items():
            glb = [p for p in paths if p.name == f"{sha}.glb"]
            items.append(_item(hall.name, "model", sha, paths, written_by=glb[0] if glb else None))
    return items


@dataclass
class _UploadJob:
    id: int
    hall: str
    state: str
    finished: datetime | None


def _upload_jobs(session: Session) -> dict[str, _UploadJob]:
    """The jobs that keep an upload, by the upload's file name."""
    rows = session.execute(
        select(Job.upload, Job.id, Hall.slug, Job.state, Job.finished_at)
        .join(Hall, Job.hall_id == Hall.id)
        .where(Job.upload.is_not(None))
    )
    return {upload: _UploadJob(id, slug, state, finished) for upload, id, slug, state, finished in rows}


def _upload_items(root: Path, jobs: dict[str, _UploadJob]) -> list[Item]:
    folder = root / UPLOADS
    if not folder.is_dir():
        return []
    items = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if not entry.is_file(follow_symlinks=False):
            continue
        path = Path(entry.path)
        if entry.name.startswith("."):
            items.append(_item("*", "partial", f"{UPLOADS}/{entry.name}", [path]))
            continue
        job = jobs.get(entry.name)
        items.append(_item(job.hall if job else "*", "upload", entry.name, [path]))
    return items


def _judge_upload(item: Item, job: _UploadJob | None, cutoff: datetime) -> None:
    """An upload is kept while its job is queued or running; else once out of use past the retention."""
    if job is not None and job.state in ("queued", "running"):
        item.references = [f"job {job.id} ({job.state})"]
        return
    finished = job.finished if job is not None else None
    if finished is not None and finished.tzinfo is None:
        finished = finished.replace(tzinfo=UTC)
    item.unused_since = finished or item.written
    item.removable = item.unused_since < cutoff


def forget_uploads(session: Session, removed: list[Item]) -> None:
    """After ``clean`` removed *removed*: the jobs that kept those uploads keep them no more (the caller
    commits), so their pages say the upload is gone."""
    names = [item.name for item in removed if item.kind == "upload"]
    if names:
        for job in session.scalars(select(Job).where(Job.upload.in_(names))):
            job.upload = None


def _folders(path: Path) -> list[Path]:
    if not path.is_dir():
        return []
    return sorted(
        Path(e.path)
        for e in os.scandir(path)
        if e.is_dir(follow_symlinks=False) and not e.name.startswith(".")
    )


def _item(hall: str, kind: str, name: str, paths: list[Path], *, written_by: Path | None = None) -> Item:
    size = sum(_size(p) for p in paths)
    stamp = (written_by or paths[0]).stat().st_mtime
    return Item(hall, kind, name, paths, size, datetime.fromtimestamp(stamp, UTC))


def _size(path: Path) -> int:
    if not path.is_dir():
        return path.stat().st_size
    total = 0
    for folder, _, names in os.walk(path):
        for name in names:
            with contextlib.suppress(FileNotFoundError):  # removed meanwhile
                total += os.lstat(os.path.join(folder, name)).st_size
    return total


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


# ---- what refers to it ----


def _live_references(halls: dict[str, Hall]) -> dict[tuple[str, str, str], list[str]]:
    found: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for slug, hall in halls.items():
        if hall.model_sha:
            found[(slug, "model", hall.model_sha)].append("live")
        for scene in hall.scenes:
            version = (scene.panorama or {}).get("version")
            if isinstance(version, str):
                found[(slug, "tiles", version)].append("live")
    return found


def _snapshot_references(session: Session) -> dict[str, list[str]]:
    """Every hex run of 16 or more digits in any published version's or draft's snapshot → who holds it."""
    found: dict[str, list[str]] = defaultdict(list)
    rows = session.execute(
        select(PublishedVersion.scope, PublishedVersion.number, PublishedVersion.snapshot).order_by(
            PublishedVersion.scope, PublishedVersion.number
        )
    )
    for scope, number, snapshot in rows:
        for token in set(_HEX.findall(json.dumps(snapshot))):
            found[token].append(f"version {scope}#{number}")
    for scope, snapshot in session.execute(select(Draft.scope, Draft.snapshot).order_by(Draft.scope)):
        for token in set(_HEX.findall(json.dumps(snapshot))):
            found[token].append(f"draft {scope}")
    return found


def _unused_since(item: Item, items: list[Item]) -> datetime:
    """When *item* went out of use at the earliest: when the next newer item of its scene (tile sets) or
    hall (models) was written; when it was written itself if none is newer."""
    group = item.name.rsplit("/", 1)[0] if item.kind == "tiles" else None
    newer = [
        other.written
        for other in items
        if other.hall == item.hall
        and other.kind == item.kind
        and other is not item
        and (group is None or other.name.rsplit("/", 1)[0] == group)
        and other.written > item.written
    ]
    return min(newer, default=item.written)
