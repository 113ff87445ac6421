"""Publishing a hall model: checking an upload against the hall's database facts, publishing it atomically,
and the per-process cache of what is derived from it (plan geometry, walking graph, occluders).

Publishing writes the file first (``hallmodel.store``: temporary name, then renamed) and only then points
the hall at it in one transaction, so a crash never leaves a hall pointing at half a file. This module joins
the hall model, wayfinding and the database; see docs/ARCHITECTURE.md.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from flask import Flask, current_app
from sqlalchemy.orm import Session

from ..db import bump_revision
from ..hallmodel.check import (
    DEFAULT_LIMITS,
    Limits,
    Report,
    extract,
    load_scene,
    one_to_one,
    places,
)
from ..hallmodel.geometry import HallGeometry, Place, geometry_from_json, geometry_to_json
from ..hallmodel.occlusion import Occluders
from ..hallmodel.store import model_path, write_atomically
from ..models import Hall
from ..panoramas.hotspots import Hotspot, node_hotspots
from ..problems import HallError
from ..wayfinding.routing import RouteError, WalkGraph

FORMAT = 1  # of the stored derived data; a change makes every process derive (and store) afresh


@dataclass
class HallModel:
    """A published model and what is derived from it.

    ``facts`` is the hash of the database facts it was derived with (places come from scenes and
    entrances), so a moved scene derives afresh. ``hotspots`` holds the counter and facility hotspots of
    each scene pose computed so far (``scene_hotspots``), keyed by pose, so that they too are computed once
    and stored."""

    hall: str
    sha: str
    geometry: HallGeometry
    places: list[Place]
    graph: WalkGraph
    occluders: Occluders
    facts: str = ""
    hotspots: dict[tuple, list[Hotspot]] = field(default_factory=dict)

    def node_hotspots(self, position, heading: float, floor: int) -> list[Hotspot]:
        """The counter and facility hotspots seen from a camera at *position* with *heading* (computed
        once per pose)."""
        pose = (*(float(v) for v in position), float(heading), int(floor))
        found = self.hotspots.get(pose)
        if found is None:
            found = node_hotspots(self.geometry, self.occluders, position, heading, floor)
            self.hotspots[pose] = found
        return found

    def to_bytes(self) -> bytes:
        """Everything derived, as one ``.npz`` (arrays, plus a JSON document as bytes): no pickle, so
        reading it back executes nothing. ``from_bytes`` gives back an equal model."""
        graph_data, graph_arrays = self.graph.to_state()
        document = {
            "format": FORMAT,
            "hall": self.hall,
            "sha": self.sha,
            "facts": self.facts,
            "geometry": geometry_to_json(self.geometry),
            "places": [[p.key, p.floor, p.x, p.z] for p in self.places],
            "graph": graph_data,
            "hotspots": [
                [list(pose), [[h.target, h.kind, h.yaw, h.pitch, h.distance] for h in spots]]
                for pose, spots in self.hotspots.items()
            ],
        }
        buffer = io.BytesIO()
        np.savez(
            buffer,
            document=np.frombuffer(json.dumps(document, ensure_ascii=False).encode(), dtype=np.uint8),
            **graph_arrays,
            **self.occluders.to_arrays(),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> HallModel:
        with np.load(io.BytesIO(data), allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
        document = json.loads(arrays.pop("document").tobytes())
        if document.get("format") != FORMAT:
            raise ValueError(f"derived data of format {document.get('format')!r}, not {FORMAT}")
        return cls(
            document["hall"],
            document["sha"],
            geometry_from_json(document["geometry"]),
            [Place(key, floor, x, z) for key, floor, x, z in document["places"]],
            WalkGraph.from_state(document["graph"], arrays),
            Occluders.from_arrays(arrays),
            document["facts"],
            {tuple(pose): [Hotspot(*h) for h in spots] for pose, spots in document["hotspots"]},
        )


def hall_facts(hall: Hall) -> dict[str, Any]:
    """What the check needs from the database: floors, counters, facilities, scenes, entrances — each in id
    order, so places and graphs come out the same in every process (PostgreSQL returns a relationship's rows
    in no particular order)."""

    def by_id(rows):
        return sorted(rows, key=lambda row: row.id)

    facilities = by_id(hall.facilities)
    return {
        "floors": {f.level: f.elevation for f in by_id(hall.floors)},
        "counters": {c.number: c.floor.level for c in by_id(hall.counters)},
        "facilities": {f.code: f.floor.level for f in facilities},
        "scenes": {s.code: (s.floor.level, s.x, s.z) for s in by_id(hall.scenes)},
        "entrances": {
            f.code.removeprefix("entrance-") if f.code.startswith("entrance-") else f.code: f.code
            for f in facilities
            if f.type == "entrance"
        },
    }


def analyse(
    data: bytes,
    facts: dict[str, Any],
    *,
    hall: str,
    mapping: dict[str, str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[Report, HallModel | None]:
    """Check GLB *data* against the hall *facts*; return the one-to-one report and, when the model could
    be read, what is derived from it. Raises ModelError when the file itself is unusable."""
    scene, document = load_scene(data, limits)
    geometry = extract(scene, facts["floors"], mapping=mapping)
    hall_places = places(geometry, facts["scenes"], facts["entrances"])
    graph = WalkGraph.build(geometry, hall_places)
    entrances = [p.key for p in hall_places if p.key.startswith("entrance:")]

    def reachable(node: str):
        if not entrances:
            return ("大厅没有入口", "the hall has no entrance")
        last = None
        for entrance in entrances:
            try:
                graph.route(entrance, node)
                return None
            except RouteError as exc:
                last = (exc.message, exc.message_en)
        return last

    report = one_to_one(
        hall,
        geometry,
        document,
        counters=facts["counters"],
        facilities=facts["facilities"],
        floors=facts["floors"],
        mapping=mapping,
        reachable=reachable,
    )
    sha = hashlib.sha256(data).hexdigest()
    occluders = Occluders(scene, mapping=mapping)
    return report, HallModel(hall, sha, geometry, hall_places, graph, occluders, facts_key(facts, mapping))


def facts_key(facts: dict[str, Any], mapping: dict[str, str] | None = None) -> str:
    """A short hash of what derived data depends on besides the model file: the database *facts*
    (``hall_facts``) and the name *mapping* it was read with. The same .glb published again with a corrected
    mapping is derived anew, never read back from the first mapping's stored data."""
    value: Any = {"facts": facts, "mapping": mapping} if mapping else facts  # unmapped: the keys as before
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def derived_path(app: Flask, hall: str, sha: str, facts: str) -> Path:
    """Where what is derived from model *sha* of *hall* with the facts hashed as *facts* is stored: beside
    the model, content-addressed, so every process and machine sharing the folder loads the same."""
    return model_path(app, hall, sha).with_name(f"{sha}.derived-v{FORMAT}-{facts}.npz")


def derive_scenes(model: HallModel, hall: Hall) -> None:
    """Compute the counter and facility hotspots of each of *hall*'s scenes into *model*."""
    for scene in hall.scenes:
        model.node_hotspots((scene.x, scene.y, scene.z), scene.heading, scene.floor.level)


def store_derived(app: Flask, model: HallModel) -> None:
    # Content-addressed by model and facts: never rewritten (np.savez bytes differ run to run), so a backup or
    # another process reading it never sees it change.
    write_atomically(
        derived_path(app, model.hall, model.sha, model.facts), model.to_bytes(), keep_existing=True
    )


def store(app: Flask, hall: str, data: bytes) -> str:
    """Write model *data* of *hall* content-addressed into the model store (kept as it is when already
    there) without pointing the hall at it; its hash. A draft names it; publishing the draft applies it."""
    sha = hashlib.sha256(data).hexdigest()
    write_atomically(model_path(app, hall, sha), data, keep_existing=True)
    return sha


def _write_mapping(app: Flask, hall: str, sha: str, mapping: dict[str, str] | None) -> None:
    """The name mapping of model *sha* beside it (removed when the model is used without one)."""
    path = model_path(app, hall, sha).with_suffix(".mapping.json")
    if not mapping:
        path.unlink(missing_ok=True)
        return
    text = json.dumps(mapping, ensure_ascii=False, indent=1).encode()
    if not path.exists() or path.read_bytes() != text:
        write_atomically(path, text)


_read_mappings: dict[tuple[Path, int, int, int], dict[str, str]] = {}


def _stored_mapping(app: Flask, hall: str, sha: str) -> dict[str, str] | None:
    """The name mapping stored beside model *sha*, or None. Read again only when the file was replaced
    (its inode, time and size: another process may have published the same model with another mapping), so
    asking on every request costs a ``stat``."""
    path = model_path(app, hall, sha).with_suffix(".mapping.json")
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    key = (path, info.st_ino, info.st_mtime_ns, info.st_size)
    if key not in _read_mappings:
        if len(_read_mappings) > 64:  # one per hall is in use; old ones are only forgotten
            _read_mappings.clear()
        _read_mappings[key] = json.loads(path.read_text())
    return _read_mappings[key]


class MissingModel(HallError):
    """A draft or version names a model whose file is not in the store."""

    def __init__(self, sha: str) -> None:
        super().__init__(
            "model_missing",
            f"模型文件 {sha[:12]} 已不在服务器上，请重新上传模型",
            f"The model file {sha[:12]} is no longer on the server; upload the model again",
            status=409,
        )


def model_entry(app: Flask | None, hall: Hall) -> dict[str, Any] | None:
    """The ``model`` entry of *hall*'s snapshot for its published model (``{sha, file, mapping}``), or
    None without one (the mapping read from beside the model when an application is at hand)."""
    if not hall.model_sha:
        return None
    mapping = _stored_mapping(app, hall.slug, hall.model_sha) if app is not None else None
    return {"sha": hall.model_sha, "file": None, "mapping": mapping}


def apply_entry(app: Flask, session: Session, hall: Hall, entry: dict[str, Any] | None) -> None:
    """Make the model of snapshot entry *entry* (None: no model) *hall*'s published model, in the caller's
    transaction, after the rest of the snapshot was applied: its name mapping beside it, what is derived
    from it stored and the process's cache told, as ``publish`` does. Nothing when it is already the one."""
    sha = (entry or {}).get("sha")
    mapping = (entry or {}).get("mapping") or None
    if sha == hall.model_sha and (sha is None or mapping == _stored_mapping(app, hall.slug, sha)):
        return
    if sha is None:
        hall.model_sha, hall.model_published_at = None, None
        return
    path = model_path(app, hall.slug, sha)
    if not path.is_file():
        raise MissingModel(sha)
    _write_mapping(app, hall.slug, sha, mapping)
    _report, derived = analyse(path.read_bytes(), hall_facts(hall), hall=hall.slug, mapping=mapping)
    derive_scenes(derived, hall)
    store_derived(app, derived)
    hall.model_sha, hall.model_published_at = sha, datetime.now(UTC)
    app.extensions["hall_models"].put(derived)


def publish(
    app: Flask,
    session: Session,
    hall: Hall,
    data: bytes,
    *,
    mapping: dict[str, str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Report:
    """Check *data* and, when it is one-to-one with the hall, publish it as the hall's model at once (the
    command line's ``model publish``; staff uploads go through the hall's draft instead), the current version
    and the draft following it (``halldata.follow_live_model``). Returns the report; nothing is stored when it
    says the model cannot be published."""
    from .halldata import follow_live_model

    report, derived = analyse(data, hall_facts(hall), hall=hall.slug, mapping=mapping, limits=limits)
    if not report.publishable or derived is None:
        return report
    write_atomically(model_path(app, hall.slug, derived.sha), data)
    _write_mapping(app, hall.slug, derived.sha, mapping)
    derive_scenes(derived, hall)
    store_derived(app, derived)
    previous = hall.model_sha
    hall.model_sha = derived.sha
    hall.model_published_at = datetime.now(UTC)
    hall.published_version += 1
    follow_live_model(session, hall, previous, {"sha": derived.sha, "file": None, "mapping": mapping})
    bump_revision(session, searchable=False)  # search reads no model
    session.commit()
    app.extensions["hall_models"].put(derived)
    return report


class ModelCache:
    """Derived models by (hall, sha, facts): loaded from the stored derived data on first use, or, when a
    published model lacks it (published before it existed, or its facts changed), derived once from the
    stored file and stored for every other process.

    No lock is held while a model is loaded or derived: a request for another hall, or for one already
    here, never waits behind it; requests for the same model wait for the one thread deriving it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[tuple[str, str, str], HallModel] = {}
        self._building: dict[tuple[str, str, str], threading.Lock] = {}

    def put(self, model: HallModel) -> None:
        with self._lock:
            self._items = {k: v for k, v in self._items.items() if k[0] != model.hall}
            self._items[(model.hall, model.sha, model.facts)] = model

    def get(self, hall: Hall) -> HallModel | None:
        """The derived model of *hall*'s published model, or None when it has none."""
        if not hall.model_sha:
            return None
        facts = hall_facts(hall)
        mapping = _stored_mapping(current_app._get_current_object(), hall.slug, hall.model_sha)
        key = (hall.slug, hall.model_sha, facts_key(facts, mapping))
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                return found
            building = self._building.setdefault(key, threading.Lock())
        with building:
            with self._lock:
                found = self._items.get(key)
            if found is None:
                found = self._load(hall, facts, mapping, key[2])
                if found is not None:
                    self.put(found)
        with self._lock:
            self._building.pop(key, None)
        return found

    def _load(
        self, hall: Hall, facts: dict[str, Any], mapping: dict[str, str] | None, key: str
    ) -> HallModel | None:
        app = current_app._get_current_object()
        stored = derived_path(app, hall.slug, hall.model_sha, key)
        if stored.exists():
            try:
                return HallModel.from_bytes(stored.read_bytes())
            except (OSError, ValueError, KeyError, TypeError):
                pass  # unreadable (another format, a damaged file): derive it again below
        path = model_path(app, hall.slug, hall.model_sha)
        if not path.exists():
            return None
        _report, derived = analyse(path.read_bytes(), facts, hall=hall.slug, mapping=mapping)
        derive_scenes(derived, hall)
        store_derived(app, derived)
        return derived


def recheck(
    app: Flask, hall: Hall, *, counters: dict[str, int], model: dict[str, Any] | bool | None = True
) -> Report | None:
    """The one-to-one report of a hall model against *hall*'s facts with *counters* (number: floor level)
    in place of the live ones — a draft checked before it is published. *model* is the draft's ``model``
    entry (``{sha, mapping}``; None: no model), True for the hall's published model. None without a model;
    MissingModel when its file is not in the store."""
    if model is True:
        model = model_entry(app, hall)
    if not model or not model.get("sha"):
        return None
    path = model_path(app, hall.slug, model["sha"])
    if not path.exists():
        if model["sha"] == hall.model_sha:
            return None  # the published model's file is gone: nothing to check against, as before
        raise MissingModel(model["sha"])
    facts = {**hall_facts(hall), "counters": dict(sorted(counters.items()))}
    report, _derived = analyse(path.read_bytes(), facts, hall=hall.slug, mapping=model.get("mapping") or None)
    return report
