"""Publishing a hall model: checking an upload against the hall's database facts, publishing it atomically,
and the per-process cache of what is derived from it (plan geometry, walking graph, occluders).

Publishing writes the file first (``hallmodel.store``: temporary name, then renamed) and only then points
the hall at it in one transaction, so a crash never leaves a hall pointing at half a file. This module joins
the hall model, wayfinding and the database; see docs/ARCHITECTURE.md.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

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
from ..hallmodel.geometry import HallGeometry, Place
from ..hallmodel.occlusion import Occluders
from ..hallmodel.store import model_path, write_atomically
from ..models import Hall
from ..wayfinding.routing import RouteError, WalkGraph


@dataclass
class HallModel:
    """A published model and what is derived from it."""

    hall: str
    sha: str
    geometry: HallGeometry
    places: list[Place]
    graph: WalkGraph
    occluders: Occluders


def hall_facts(hall: Hall) -> dict[str, Any]:
    """What the check needs from the database: floors, counters, facilities, scenes, entrances."""
    return {
        "floors": {f.level: f.elevation for f in hall.floors},
        "counters": {c.number: c.floor.level for c in hall.counters},
        "facilities": {f.code: f.floor.level for f in hall.facilities},
        "scenes": {s.code: (s.floor.level, s.x, s.z) for s in hall.scenes},
        "entrances": {
            f.code.removeprefix("entrance-") if f.code.startswith("entrance-") else f.code: f.code
            for f in hall.facilities
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
    return report, HallModel(hall, sha, geometry, hall_places, graph, Occluders(scene, mapping=mapping))


def publish(
    app: Flask,
    session: Session,
    hall: Hall,
    data: bytes,
    *,
    mapping: dict[str, str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Report:
    """Check *data* and, when it is one-to-one with the hall, publish it as the hall's model.
    Returns the report; nothing is stored when it says the model cannot be published."""
    report, derived = analyse(data, hall_facts(hall), hall=hall.slug, mapping=mapping, limits=limits)
    if not report.publishable or derived is None:
        return report
    write_atomically(model_path(app, hall.slug, derived.sha), data)
    if mapping:
        write_atomically(
            model_path(app, hall.slug, derived.sha).with_suffix(".mapping.json"),
            json.dumps(mapping, ensure_ascii=False, indent=1).encode(),
        )
    hall.model_sha = derived.sha
    hall.model_published_at = datetime.now(UTC)
    hall.published_version += 1
    bump_revision(session)
    session.commit()
    app.extensions["hall_models"].put(derived)
    return report


class ModelCache:
    """Derived models by (hall, sha), built on first use from the stored file."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[tuple[str, str], HallModel] = {}

    def put(self, model: HallModel) -> None:
        with self._lock:
            self._items = {k: v for k, v in self._items.items() if k[0] != model.hall}
            self._items[(model.hall, model.sha)] = model

    def get(self, hall: Hall) -> HallModel | None:
        """The derived model of *hall*'s published model, or None when it has none."""
        if not hall.model_sha:
            return None
        key = (hall.slug, hall.model_sha)
        with self._lock:
            if key in self._items:
                return self._items[key]
            path = model_path(current_app._get_current_object(), hall.slug, hall.model_sha)
            if not path.exists():
                return None
            mapping_file = path.with_suffix(".mapping.json")
            mapping = json.loads(mapping_file.read_text()) if mapping_file.exists() else None
            _report, derived = analyse(path.read_bytes(), hall_facts(hall), hall=hall.slug, mapping=mapping)
            self._items = {k: v for k, v in self._items.items() if k[0] != hall.slug}
            self._items[key] = derived
            return derived
