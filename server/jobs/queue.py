"""The job rows' life cycle: enqueue, claim, report progress, finish or fail, reap, retry.

A job is ``queued`` until a worker claims it with one ``UPDATE … WHERE state = 'queued'`` whose changed-row
count says whether this worker won (on PostgreSQL a second, concurrent ``UPDATE`` waits for the first and
then finds the row no longer queued; on SQLite writers are serialised), so exactly one worker runs each job.
While it runs, each progress report (``report``) is a conditional update too: it moves the heartbeat, and
finds no row once the job was taken from this worker (reaped, retried), which tells the worker to stop.
A running job whose worker is gone — its pid gone on this machine, or its heartbeat older than
``stale_after`` — is failed by ``reap`` with :func:`worker_lost`; ``retry`` queues a failed job again.

Times are aware UTC and passed in; nothing here commits except ``claim`` and ``report`` (they must be seen
by other processes at once).
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..errors import ApiError
from ..models import Hall, Job
from ..problems import HallError

STATES = ("queued", "running", "done", "failed")
STEPS = ("validate", "tile", "publish")
LIST_LIMIT = 50  # jobs listed at most (the most recent)


class JobLost(Exception):
    """The job is no longer held by this worker (reaped or retried): stop working on it."""


def worker_id(pid: int | None = None) -> str:
    """This process as a job holder: ``<host>:<pid>``."""
    return f"{socket.gethostname()}:{pid if pid is not None else os.getpid()}"


# What an unfinished job of each kind left as it was, said in its errors (zh, en).
UNCHANGED = {
    "panorama": (
        "草稿没有改变，原来的全景图仍在使用",
        "the draft is unchanged and the previous panorama is still shown",
    ),
    "model_check": ("大厅模型没有改变", "the hall's model is unchanged"),
}
NOTHING_CHANGED = ("没有任何改动", "nothing was changed")


def worker_lost(kind: str) -> HallError:
    """The error of a job of *kind* whose worker stopped before it finished."""
    zh, en = UNCHANGED.get(kind, NOTHING_CHANGED)
    return HallError(
        "worker_lost",
        f"处理此任务的后台进程已中断（被终止或重启），任务没有完成；{zh}。请点击“重试”重新处理。",
        f"The worker processing this job stopped (killed or restarted) before it finished; {en}. "
        "Choose Retry to process it again.",
        status=500,
    )


def crashed(kind: str) -> HallError:
    """The error of a job of *kind* that failed for a reason not its input's (a bug, a full disk): said
    plainly."""
    zh, en = UNCHANGED.get(kind, NOTHING_CHANGED)
    return HallError(
        "job_crashed",
        f"处理时发生内部错误，任务没有完成；{zh}。请稍后重试或联系管理员。",
        f"An internal error stopped the job; {en}. Retry later or tell an administrator.",
        status=500,
    )


def error_record(error: HallError) -> dict[str, Any]:
    """What a failed job keeps of *error*: its code, both messages, status and details."""
    return {
        "code": error.code,
        "zh": error.message,
        "en": error.message_en,
        "status": error.status,
        "details": error.details,
    }


def enqueue(
    session: Session,
    *,
    kind: str,
    hall: Hall,
    target: str,
    params: dict[str, Any],
    upload: str | None,
    user: str | None,
    now: datetime,
) -> Job:
    """Add a queued job to *session* (the caller commits)."""
    job = Job(
        kind=kind,
        hall=hall,
        target=target,
        state="queued",
        progress=0.0,
        params=params,
        upload=upload,
        requested_by=user,
        created_at=now,
        attempts=0,
    )
    session.add(job)
    return job


def get_job(session: Session, job_id: int) -> Job:
    """The job *job_id*; ApiError 404 when there is none."""
    job = session.get(Job, job_id)
    if job is None:
        raise ApiError(404, "not_found", f"找不到任务：{job_id}", f"Job not found: {job_id}", key=job_id)
    return job


def list_jobs(session: Session, *, hall: Hall | None = None, limit: int = LIST_LIMIT) -> list[Job]:
    """The most recent jobs, newest first; of *hall* only when given."""
    query = select(Job).order_by(Job.id.desc()).limit(limit)
    if hall is not None:
        query = query.where(Job.hall_id == hall.id)
    return list(session.scalars(query))


def claim(
    session: Session, *, worker: str, now: datetime, kinds: tuple[str, ...] | None = None
) -> Job | None:
    """Claim the oldest queued job for *worker* and commit; the job, or None when there is none to take."""
    for _attempt in range(10):  # each lost race means another worker took one: look again
        query = select(Job.id).where(Job.state == "queued").order_by(Job.id).limit(1)
        if kinds is not None:
            query = query.where(Job.kind.in_(kinds))
        job_id = session.scalar(query)
        if job_id is None:
            session.rollback()
            return None
        won = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == "queued")
            .values(
                state="running",
                worker=worker,
                heartbeat_at=now,
                started_at=now,
                finished_at=None,
                step=STEPS[0],
                progress=0.0,
                error=None,
                attempts=Job.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        session.commit()
        if won == 1:
            return session.get(Job, job_id, populate_existing=True)
    return None


def report(session: Session, job_id: int, *, worker: str, step: str, progress: float, now: datetime) -> None:
    """Record *worker*'s progress on job *job_id* (and its heartbeat) and commit; JobLost when the job is no
    longer running in this worker's hands."""
    if step not in STEPS:
        raise ValueError(f"step must be one of {STEPS}, not {step!r}")
    held = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == "running", Job.worker == worker)
        .values(step=step, progress=min(max(float(progress), 0.0), 1.0), heartbeat_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    if held != 1:
        raise JobLost(job_id)


def still_held(session: Session, job: Job, *, worker: str) -> bool:
    """Whether *job* (locked for update where the database can) is still running for *worker*."""
    state = session.execute(
        select(Job.state, Job.worker).where(Job.id == job.id).with_for_update()
    ).one_or_none()
    return state is not None and tuple(state) == ("running", worker)


def finish(job: Job, *, now: datetime) -> None:
    """Mark *job* done (in the caller's transaction, with what it produced)."""
    job.state, job.step, job.progress, job.finished_at, job.heartbeat_at = "done", STEPS[-1], 1.0, now, now
    job.error = None


def fail(session: Session, job_id: int, error: HallError, *, worker: str | None, now: datetime) -> bool:
    """Mark job *job_id* failed with *error* (only while *worker* holds it, when given) and commit; whether
    it was."""
    query = update(Job).where(Job.id == job_id, Job.state == "running")
    if worker is not None:
        query = query.where(Job.worker == worker)
    changed = session.execute(
        query.values(state="failed", error=error_record(error), finished_at=now).execution_options(
            synchronize_session=False
        )
    ).rowcount
    session.commit()
    return changed == 1


def _pid_gone(holder: str | None, host: str) -> bool:
    """Whether *holder* (``host:pid``) is a process of *host* (this machine) that no longer exists."""
    name, _, pid = (holder or "").rpartition(":")
    if name != host or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def reap(session: Session, *, now: datetime, stale_after: timedelta) -> list[int]:
    """Fail every running job whose worker is gone (its pid gone on this machine, or no heartbeat for
    *stale_after*) with :func:`worker_lost`, and commit; their ids."""
    host = socket.gethostname()
    running = session.execute(
        select(Job.id, Job.kind, Job.worker, Job.heartbeat_at).where(Job.state == "running")
    ).all()
    reaped = []
    for job_id, kind, holder, heartbeat in running:
        gone = _pid_gone(holder, host) or heartbeat is None or now - heartbeat > stale_after
        if gone and fail(session, job_id, worker_lost(kind), worker=holder, now=now):
            reaped.append(job_id)
    session.rollback()  # ends the read transaction when nothing was reaped
    return reaped


def retry(job: Job, *, now: datetime) -> None:
    """Queue failed *job* again (the caller commits); ApiError 409 when it is not failed."""
    if job.state != "failed":
        raise ApiError(
            409,
            "not_failed",
            "只有失败的任务可以重试",
            f"Only a failed job can be retried (this one is {job.state})",
            state=job.state,
        )
    job.state, job.progress, job.step, job.error = "queued", 0.0, None, None
    job.worker, job.heartbeat_at, job.finished_at, job.created_at = None, None, None, now


def error_body(job: Job) -> dict[str, Any] | None:
    """A failed job's error in the API's one error shape (``HallError.body()["error"]``), else None."""
    if job.error is None:
        return None
    error = job.error
    return HallError(
        error["code"], error["zh"], error["en"], status=error.get("status"), details=error.get("details")
    ).body()["error"]


def job_dict(job: Job) -> dict[str, Any]:
    """A job as the admin API shows it."""

    def iso(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment is not None else None

    return {
        "id": job.id,
        "kind": job.kind,
        "hall": job.hall.slug,
        "scene": job.target,
        "state": job.state,
        "progress": round(job.progress, 4),
        "step": job.step,
        "error": error_body(job),
        "file": job.params.get("file"),
        "upload_kept": job.upload is not None,
        "new_scene": job.params.get("new_scene"),
        "result": job.params.get("result"),
        "report": job.params.get("report"),  # a model check's one-to-one report
        "published": job.params.get("published"),  # a model published at once (before models joined drafts)
        "drafted": job.params.get("drafted"),  # when a checked model was put into the draft, by whom, its sha
        "requested_by": job.requested_by,
        "created_at": iso(job.created_at),
        "started_at": iso(job.started_at),
        "finished_at": iso(job.finished_at),
        "attempts": job.attempts,
        "worker": job.worker,
        "heartbeat_at": iso(job.heartbeat_at),
        "url": f"/api/v1/admin/jobs/{job.id}",
    }
