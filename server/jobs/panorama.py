"""The ``panorama`` job: an uploaded equirect becomes a scene's panorama in the hall's draft — validate
(decode and check, ``panoramas.ingest``), tile (``panoramas.store.tile_version``: a new version folder,
referenced by nothing yet), publish into the draft (``publishing.scenepanorama.into_draft``, in one
transaction with the job marked done). Citizens see it once staff publish the draft.

A 360° camera's metadata (``panoramas.metadata``: GPano pose heading and crop, EXIF capture time and camera)
is read in the validate step: a partial panorama is padded into its full equirect, a new scene faces the
camera's pose heading, and the job's result carries what was found (``result``) — the camera's heading beside
the scene's (an existing scene keeps its own; staff may take the camera's from the page), the covered part of
a partial panorama and each warning — for the staff page to show.

The upload is kept in the published-files folder (``uploads/``, so a worker on another machine sharing that
folder reads it) from the request until the job is done; a failed job keeps it for a retry. A job changes
nothing live: the previous panorama is served until the draft is published, and a failure leaves the draft
as it was too.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from ..config import published_root
from ..models import Job
from ..panoramas.ingest import load_equirect, read_file
from ..panoramas.limits import MAX_FILE_BYTES
from ..panoramas.metadata import PanoramaMetadata, read_metadata
from ..panoramas.store import max_size, tile_version
from ..publishing.scenepanorama import into_draft
from . import queue

KIND = "panorama"
# Where each step's progress starts and ends on the job's 0–1 scale (tiling is nearly all of the time).
SPANS = {"validate": (0.0, 0.1), "tile": (0.1, 0.95), "publish": (0.95, 1.0)}
REPORT_EVERY_S = 0.5  # progress written to the database at most this often (each write is a heartbeat)
NO_USER = "(upload)"  # the draft's editor when the job's requester is unknown

Report = Callable[[str, float], None]  # (step, fraction of that step) → None; raises JobLost


def uploads_folder(app: Flask) -> Path:
    return published_root(app) / "uploads"


def keep_upload(app: Flask, data: bytes) -> str:
    """Store *data* for a job (readable by the owner only, written whole or not at all); its name."""
    folder = uploads_folder(app)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.upload"
    partial = folder / f".{name}.partial"
    with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    partial.replace(folder / name)
    return name


def discard_upload(app: Flask, name: str | None) -> None:
    if name:
        (uploads_folder(app) / name).unlink(missing_ok=True)


def run(app: Flask, session: Session, job: Job, report: Report, *, worker: str, now: Callable) -> None:
    """Do panorama job *job* (claimed by *worker*): validate, tile, put into the draft; mark it done and
    commit. A ``PanoramaError``, ``SceneGone`` (or any other exception) propagates with nothing changed."""
    delay = float(app.config.get("JOBS_TEST_TILE_DELAY", 0) or 0)  # tests only: a slow tiling to kill
    report("validate", 0.0)
    data = read_file(uploads_folder(app) / job.upload, limit=MAX_FILE_BYTES)
    metadata = read_metadata(data)  # a partial panorama (GPano crop) is padded into its full equirect
    image = load_equirect(data, max_size=max_size(app), crop=metadata.crop)
    report("validate", 1.0)

    def tiled(done: int, total: int) -> None:
        if delay:
            time.sleep(delay)
        report("tile", done / max(total, 1))

    config = tile_version(
        app,
        job.hall.slug,
        job.target,
        data,
        image,
        source={"kind": "upload", "name": job.params.get("file")},
        progress=tiled,
        metadata=metadata,
    )
    del image, data
    report("publish", 0.0)
    if not queue.still_held(session, job, worker=worker):
        raise queue.JobLost(job.id)
    moment = now()
    scene = into_draft(
        session,
        job.hall,
        job.target,
        config,
        new_scene=job.params.get("new_scene"),
        heading=metadata.heading,
        user=job.requested_by or NO_USER,
        now=moment,
    )
    job.params = {**job.params, "result": result(config, metadata, scene)}
    queue.finish(job, now=moment)
    session.commit()
    discard_upload(app, job.upload)


def result(config: dict[str, Any], metadata: PanoramaMetadata, scene: dict[str, Any]) -> dict[str, Any]:
    """What a done panorama job produced: the version and its preview's address, in the draft (citizens
    see it once the draft is published); the draft scene's heading as the job left it; and
    the camera's metadata — ``heading`` (its pose heading, our convention; None without one), ``partial``
    (the yaw/pitch a partial panorama covers; None for a full one), ``captured_at``, ``camera`` and the
    ``warnings`` ``{code, zh, en}``."""
    return {
        "version": config["version"],
        "preview": f"{config['basePath']}{config['preview']}",
        "in_draft": True,
        "scene_heading": scene["heading"],
        "heading": metadata.heading,
        "partial": metadata.partial,
        "captured_at": metadata.captured_at,
        "camera": metadata.camera,
        "warnings": list(metadata.warnings),
    }
