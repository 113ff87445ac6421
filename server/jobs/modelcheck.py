"""The ``model_check`` job: an uploaded hall model (.glb, with its optional name mapping) is read safely and
checked one-to-one against the hall's counters and facilities (``publishing.hallmodels.analyse``, as
``flask model check`` does); the report is kept with the job. A file the check refuses (not GLB, truncated,
over the limits, a node cycle …) fails the job with the ``ModelError`` itself.

Nothing is published here: a clean report lets staff publish the kept upload (``publish``, which checks it
again against the facts of that moment and stores it with ``hallmodels.publish``, as the CLI does). The upload
is kept from the request until it is published or discarded.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from sqlalchemy.orm import Session

from ..models import Job
from ..panoramas.ingest import read_file
from ..publishing import hallmodels
from . import queue
from .panorama import discard_upload, uploads_folder

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
        data, hallmodels.hall_facts(job.hall), hall=job.hall.slug, mapping=job.params.get("mapping")
    )
    del data, _derived
    if not queue.still_held(session, job, worker=worker):
        raise queue.JobLost(job.id)
    job.params = {**job.params, "report": checked.to_dict()}
    queue.finish(job, now=now())
    session.commit()


def publish(app: Flask, session: Session, job: Job, *, published: dict) -> hallmodels.Report:
    """Publish done model job *job*'s upload as its hall's model when it is (still) one-to-one with the hall;
    the report, fresh. Commits what the caller added to *session* with the hall's change; nothing is stored
    and nothing committed when the report says it cannot be published (the caller rolls back). *published*
    (by whom, when) is kept with the job."""
    data = read_upload(app, job)
    mapping = job.params.get("mapping")
    job.params = {**job.params, "published": published}
    name, job.upload = job.upload, None
    report = hallmodels.publish(app, session, job.hall, data, mapping=mapping)
    if report.publishable:
        discard_upload(app, name)
    return report
