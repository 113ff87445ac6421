"""The ``model_check`` job: an uploaded hall model (.glb, with its optional name mapping) is read safely and
checked one-to-one against the hall's counters and facilities (``publishing.hallmodels.analyse``, as
``flask model check`` does) — the counters of the hall's draft when it has one, so that a refurbishment's new
counters and its new model are checked together; the report is kept with the job. A file the check refuses
(not GLB, truncated, over the limits, a node cycle …) fails the job with the ``ModelError`` itself.

Nothing is published here: a clean report lets staff put the kept upload into the hall's draft
(``put_into_draft``: the file written content-addressed into the model store, the hall NOT pointed at it, its
hash the draft's ``model`` entry); publishing the draft checks it against the draft's counters again and
applies it (``publishing.halldata``). The upload is kept from the request until it is put into the draft or
discarded (``storage clean`` removes it once the job is older than the retention period).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Flask
from sqlalchemy.orm import Session

from ..models import Hall, Job
from ..panoramas.ingest import read_file
from ..publishing import drafts, hallmodels
from . import queue
from .panorama import uploads_folder

KIND = "model_check"
TARGET = "model"  # a model job's target: the hall's model, not a scene
# The check is one step (reading and checking cannot report a fraction of themselves).
SPANS = {"validate": (0.0, 1.0), "tile": (1.0, 1.0), "publish": (1.0, 1.0)}
MAX_BYTES = hallmodels.DEFAULT_LIMITS.max_bytes


def read_upload(app: Flask, job: Job) -> bytes:
    return read_file(uploads_folder(app) / job.upload, limit=MAX_BYTES)


def run(app: Flask, session: Session, job: Job, report: Callable, *, worker: str, now: Callable) -> None:
    """Check model job *job* (claimed by *worker*); keep its report, mark it done and commit. A
    ``ModelError`` propagates (the worker fails the job with it)."""
    report("validate", 0.0)
    data = read_upload(app, job)
    checked, _derived = hallmodels.analyse(
        data, draft_facts(session, job.hall), hall=job.hall.slug, mapping=job.params.get("mapping")
    )
    del data, _derived
    if not queue.still_held(session, job, worker=worker):
        raise queue.JobLost(job.id)
    job.params = {**job.params, "report": checked.to_dict()}
    queue.finish(job, now=now())
    session.commit()


def draft_facts(session: Session, hall: Hall) -> dict:
    """The facts a model is checked against: the hall's, with the counters of the snapshot being edited."""
    data, _row = drafts.current(session, drafts.resolve(session, f"hall:{hall.slug}"))
    counters = {c["number"]: c["floor"] for c in data["counters"].values()}
    return {**hallmodels.hall_facts(hall), "counters": dict(sorted(counters.items()))}


def put_into_draft(app: Flask, session: Session, job: Job, *, user: str, at: datetime) -> tuple[dict, str]:
    """Put done model job *job*'s upload into its hall's draft: the file into the model store (the hall
    still points at its published model), ``{sha, file, mapping}`` into the draft's ``model`` entry with its
    audit entry. Answers the entry as saved and the upload's name: the caller commits, then discards it."""
    data = read_upload(app, job)
    sha = hallmodels.store(app, job.hall.slug, data)
    del data
    scope = drafts.resolve(session, f"hall:{job.hall.slug}")
    current, _row = drafts.current(session, scope)
    before = current.get("model")
    entry = {"sha": sha, "file": job.params.get("file") or None, "mapping": job.params.get("mapping") or None}
    saved = drafts.save(
        session,
        scope,
        "model",
        None,
        entry,
        expected=(before or {}).get("version"),
        user=user,
        now=at,
    )
    job.params = {**job.params, "drafted": {"by": user, "at": at.isoformat(), "sha": sha}}
    name, job.upload = job.upload, None
    return saved, name
