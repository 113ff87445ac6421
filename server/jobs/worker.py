"""The worker process's loop (``flask --app server worker``): reap jobs of dead workers, claim one, run it,
repeat. One job at a time; a tiling job only while holding the machine's tiling lock (``jobs-tiling.lock``
in the instance folder, ``flock``: released by the kernel when the process dies), so however many workers
run on a machine, at most one tiles there, and claiming happens only with the lock held.
"""

from __future__ import annotations

import fcntl
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from flask import Flask

from ..config import now
from ..problems import HallError
from . import modelcheck, panorama, queue

log = logging.getLogger(__name__)
KINDS = {panorama.KIND: panorama, modelcheck.KIND: modelcheck}  # kind → its module (run, SPANS)
LOCK_NAME = "jobs-tiling.lock"


@contextmanager
def machine_lock(app: Flask, *, wait: bool) -> Iterator[bool]:
    """Hold this machine's tiling lock for the block; yields False (held by another process) unless *wait*."""
    path = Path(app.instance_path) / LOCK_NAME
    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def stale_after(app: Flask) -> timedelta:
    return timedelta(seconds=float(app.config["JOBS_STALE_SECONDS"]))


def run_one(app: Flask, *, worker: str | None = None) -> int | None:
    """Reap, then claim and run one job (under the machine lock); the job's id, or None when none was
    waiting or another process on this machine is tiling."""
    worker = worker or queue.worker_id()
    session = app.extensions["db"]()
    try:
        with app.app_context():
            queue.reap(session, now=now(), stale_after=stale_after(app))
            with machine_lock(app, wait=False) as held:
                if not held:
                    return None
                job = queue.claim(session, worker=worker, now=now(), kinds=tuple(KINDS))
                if job is None:
                    return None
                _run(app, session, job, worker)
                return job.id
    finally:
        session.close()


def _run(app: Flask, session, job, worker: str) -> None:
    last = [0.0]

    def report(step: str, fraction: float) -> None:
        start, end = KINDS[job.kind].SPANS[step]
        moment = time.monotonic()
        if fraction in (0.0, 1.0) or moment - last[0] >= panorama.REPORT_EVERY_S:
            last[0] = moment
            queue.report(
                session,
                job.id,
                worker=worker,
                step=step,
                progress=start + (end - start) * fraction,
                now=now(),
            )

    try:
        KINDS[job.kind].run(app, session, job, report, worker=worker, now=now)
        log.info("job %s done", job.id)
    except queue.JobLost:
        session.rollback()
        log.warning("job %s was taken from this worker; stopped", job.id)
    except HallError as exc:
        session.rollback()
        queue.fail(session, job.id, exc, worker=worker, now=now())
        log.info("job %s failed: %s", job.id, exc.code)
    except Exception:
        session.rollback()
        log.exception("job %s crashed", job.id)
        queue.fail(session, job.id, queue.crashed(job.kind), worker=worker, now=now())


def run_forever(app: Flask, *, poll_s: float, stop: Callable[[], bool] = lambda: False) -> None:
    """Run jobs until *stop* says so, polling every *poll_s* seconds while there is nothing to do."""
    while not stop():
        if run_one(app) is None:
            time.sleep(poll_s)
