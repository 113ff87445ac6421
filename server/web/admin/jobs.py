"""Panorama uploads and jobs over the admin API.

``POST /api/v1/admin/halls/<hall>/scenes/<scene>/panorama`` (multipart field ``file``; for a scene the hall's
draft does not have yet, the form fields ``floor``, ``x``, ``z``, ``name_zh``, ``name_en`` too) keeps the upload
and queues a ``panorama`` job: 202 with the job and its ``Location``; the job puts the new picture into the
hall's draft (``scenepanorama.into_draft``), which citizens see once published. Nothing is decoded or tiled in the request:
the size is checked from Content-Length before the body is read (413), the type sniffed from the first bytes
(415); the rest of the checks are the job's ``validate`` step, run by the worker (``flask worker``).
``GET /api/v1/admin/jobs/<id>`` answers the job (state, progress, step, the ingest error in the one error
shape when failed), ``GET /api/v1/admin/jobs?hall=`` the recent ones, ``POST …/jobs/<id>/retry`` queues a
failed one again, ``DELETE …/jobs/<id>/upload`` discards a failed one's kept upload. Reads reap first, so a job whose worker died reads as failed.

``POST /api/v1/admin/halls/<hall>/model`` (multipart ``file``: a .glb; optional ``mapping``: the name mapping
``flask model check --mapping`` takes, as a file part or a form field) keeps the upload and queues a
``model_check`` job (202): the worker checks it safely and one-to-one against the hall, and the job shows the
``report``. ``POST …/jobs/<id>/draft-model`` puts a checked model whose report is clean (409 with the report
otherwise) into the hall's draft (``modelcheck.put_into_draft``): the model is published with the draft, by
``POST …/halls/<hall>/publish``, checked again against the draft's counters.
"""

from __future__ import annotations

from flask import current_app, jsonify, request
from sqlalchemy import select

from ...accounts.users import may_edit_hall, may_read_hall
from ...config import now
from ...db import get_session
from ...errors import ApiError, not_found
from ...hallmodel.store import parse_mapping
from ...jobs import modelcheck, queue
from ...jobs import panorama as panorama_job
from ...jobs.worker import stale_after
from ...models import Hall, Job
from ...panoramas.ingest import file_too_large, sniff_format
from ...publishing import audit, drafts
from ...publishing.scenepanorama import check_new_scene, check_scene_code, draft_scenes
from . import api_bp
from .auth import current, forbidden, require

SLACK = 64 * 1024  # multipart framing and the form fields around the file
SNIFF_BYTES = 64  # enough for every magic number ingest knows
MAPPING_READ = 1024 * 1024 + 1  # a mapping part is read at most this far (parse_mapping refuses over 1 MB)


def _upload_limit() -> int:
    if request.path.endswith("/model"):
        return modelcheck.MAX_BYTES
    return int(current_app.config["PANORAMA_UPLOAD_MAX_BYTES"])


@api_bp.before_request
def _refuse_large_uploads():
    """413 from the request's length alone, before the body (even the CSRF field) is parsed."""
    if request.method == "POST" and request.path.endswith(("/panorama", "/model")):
        length = request.content_length
        if length is not None and length > _upload_limit() + SLACK:
            raise file_too_large(_upload_limit())


def _file(what: tuple[str, str] = ("全景图", "panorama")) -> tuple[bytes, str]:
    """The uploaded file's bytes and name: 415 unless multipart, 400 without ``file``, 413 over the limit."""
    if request.mimetype != "multipart/form-data":
        raise ApiError(
            415,
            "unsupported_media_type",
            f"请以 multipart/form-data 表单上传{what[0]}（字段 file）",
            f"Upload the {what[1]} as multipart/form-data (field 'file')",
        )
    file = request.files.get("file")
    if file is None:
        raise ApiError(
            400,
            "no_file",
            f"请以表单字段 file 上传{what[0]}",
            f"Upload the {what[1]} as the multipart field 'file'",
        )
    try:
        data = file.read(_upload_limit() + 1)
    finally:
        file.close()  # a large part is a temporary file
    if len(data) > _upload_limit():
        raise file_too_large(_upload_limit())
    return data, (file.filename or "")[:200]


def _mapping() -> dict[str, str] | None:
    """The optional name mapping sent with a model (file part or form field ``mapping``), checked now: a
    bad one is refused (422 ``bad_mapping``) before anything is kept."""
    part = request.files.get("mapping")
    if part is not None:
        try:
            data = part.read(MAPPING_READ)
        finally:
            part.close()
        name = part.filename or "mapping.json"
    else:
        data, name = request.form.get("mapping", "").encode(), "mapping.json"
    if not data.strip():
        return None
    return parse_mapping(data, name=name) or None


def _hall(slug: str) -> Hall:
    row = get_session().scalar(select(Hall).where(Hall.slug == slug))
    if row is None:
        raise not_found("大厅", "Hall", slug)
    return row


def _reap() -> None:
    queue.reap(get_session(), now=now(), stale_after=stale_after(current_app))


def _readable(job: Job) -> Job:
    if not may_read_hall(current().user, job.hall.slug):
        raise forbidden(
            f"您的账号不能查看大厅 {job.hall.slug}", f"Your account may not see hall {job.hall.slug}"
        )
    return job


def _accepted(session, job: Job, upload: str | None = None):
    """Commit the queued *job* and answer 202 with it and where to follow it; a kept *upload* is removed
    when the commit fails (nothing refers to it then)."""
    try:
        session.commit()
    except Exception:
        if upload is not None:
            panorama_job.discard_upload(current_app, upload)
        raise
    response = jsonify(queue.job_dict(job))
    response.status_code = 202
    response.headers["Location"] = f"/api/v1/admin/jobs/{job.id}"
    return response


def _queue_upload(row: Hall, kind: str, target: str, data: bytes, *, params: dict, after: dict, summary: str):
    """Keep an uploaded file, queue a *kind* job for it with its audit entry, and answer 202 (the upload is
    removed again when nothing could be committed)."""
    session = get_session()
    upload = panorama_job.keep_upload(current_app, data)
    user = current().user.name
    job = queue.enqueue(
        session, kind=kind, hall=row, target=target, params=params, upload=upload, user=user, now=now()
    )
    session.flush()
    audit.record(
        session,
        user=user,
        scope=f"hall:{row.slug}",
        object_type="job",
        object_id=str(job.id),
        action="create",
        after={"kind": kind, "file": params["file"], "size": params["size"], **after},
        summary=summary,
        at=now(),
    )
    return _accepted(session, job, upload)


@api_bp.post("/halls/<hall>/scenes/<scene>/panorama")
@require("editor", hall_from="hall", edit=True)
def upload_panorama(hall: str, scene: str):
    """Queue a panorama upload for *scene* (one the draft lacks: a new scene with its fields): 202 with the
    job, which puts the panorama into the hall's draft."""
    check_scene_code(scene)
    row = _hall(hall)
    data, name = _file()
    sniff_format(data[:SNIFF_BYTES])  # empty, not an image, or a format we do not take: said now
    known = scene in draft_scenes(get_session(), row)
    new_scene = None if known else check_new_scene(row, request.form.to_dict())
    return _queue_upload(
        row,
        panorama_job.KIND,
        scene,
        data,
        params={"file": name, "size": len(data), "new_scene": new_scene},
        after={"scene": scene, "new_scene": new_scene},
        summary=f"上传全景图 / panorama uploaded for {scene} ({name}, {len(data)} bytes)",
    )


@api_bp.post("/halls/<hall>/model")
@require("editor", hall_from="hall", edit=True)
def upload_model(hall: str):
    """Queue a hall model (.glb, optional name mapping) for its one-to-one check: 202 with the job."""
    row = _hall(hall)
    data, name = _file(("模型文件（.glb）", "model (.glb)"))
    mapping = _mapping()
    return _queue_upload(
        row,
        modelcheck.KIND,
        modelcheck.TARGET,
        data,
        params={"file": name, "size": len(data), "mapping": mapping},
        after={"mapping": bool(mapping)},
        summary=f"上传模型 / model uploaded ({name}, {len(data)} bytes)",
    )


@api_bp.post("/jobs/<int:job_id>/draft-model")
@require("editor")
def draft_model(job_id: int):
    """Put a checked model whose one-to-one report is clean into the hall's draft: the job, with the draft's
    ``model`` entry. The published model changes only when the draft is published."""
    session = get_session()
    job, user = _editable(session, job_id)
    if job.kind != modelcheck.KIND or job.state != "done" or job.params.get("drafted"):
        raise ApiError(
            409,
            "not_draftable_job",
            "只有检查完成且尚未放入草稿的模型任务可以放入草稿",
            "Only a model job that was checked and not yet put into the draft can be put into the draft",
            state=job.state,
            kind=job.kind,
        )
    if not job.params.get("report", {}).get("publishable"):
        raise _not_one_to_one(job.params.get("report"))
    if not job.upload or not (panorama_job.uploads_folder(current_app) / job.upload).is_file():
        raise ApiError(
            410,
            "upload_gone",
            "上传的文件已不在服务器上，请重新上传",
            "The uploaded file is no longer on the server; upload it again",
        )
    entry, upload = modelcheck.put_into_draft(
        current_app._get_current_object(), session, job, user=user.name, at=now()
    )
    drafts.commit(session)
    panorama_job.discard_upload(current_app, upload)
    return {**queue.job_dict(job), "report": job.params.get("report"), "draft_model": entry}


def _not_one_to_one(report) -> ApiError:
    return ApiError(
        409,
        "not_one_to_one",
        "模型与大厅的窗口和设施不是一一对应，不能放入草稿",
        "The model is not one-to-one with the hall's counters and facilities; it cannot be put into the draft",
        report=report,
    )


@api_bp.get("/jobs")
@require("viewer")
def list_jobs():
    """The recent jobs (of ``?hall=`` only) of the halls the caller may see, newest first."""
    _reap()
    session, user = get_session(), current().user
    slug = request.args.get("hall")
    hall = None
    if slug:
        hall = _hall(slug)
        if not may_read_hall(user, slug):
            raise forbidden(f"您的账号不能查看大厅 {slug}", f"Your account may not see hall {slug}")
    rows = queue.list_jobs(session, hall=hall)
    return {"jobs": [queue.job_dict(j) for j in rows if may_read_hall(user, j.hall.slug)]}


@api_bp.get("/jobs/<int:job_id>")
@require("viewer")
def get_job(job_id: int):
    """One job: state, progress, step, and the error when failed."""
    _reap()
    return queue.job_dict(_readable(queue.get_job(get_session(), job_id)))


def _editable(session, job_id: int):
    """The job *job_id* and the caller, who must be allowed to change its hall (403 otherwise)."""
    job = _readable(queue.get_job(session, job_id))
    user = current().user
    if not may_edit_hall(user, job.hall.slug):
        raise forbidden(
            f"您的账号不能管理大厅 {job.hall.slug}", f"Your account may not manage hall {job.hall.slug}"
        )
    return job, user


def _record(session, job, user, action: str, summary: str) -> None:
    """The audit entry of a staff action on *job*."""
    audit.record(
        session,
        user=user.name,
        scope=f"hall:{job.hall.slug}",
        object_type="job",
        object_id=str(job.id),
        action=action,
        summary=summary,
        at=now(),
    )


@api_bp.post("/jobs/<int:job_id>/retry")
@require("editor")
def retry_job(job_id: int):
    """Queue a failed job again (its upload was kept): 202 with the job."""
    _reap()
    session = get_session()
    job, user = _editable(session, job_id)
    queue.retry(job, now=now())  # 409 unless failed; nothing is committed when a check below refuses
    if not job.upload or not (panorama_job.uploads_folder(current_app) / job.upload).is_file():
        raise ApiError(
            410,
            "upload_gone",
            "上传的文件已不在服务器上，请重新上传",
            "The uploaded file is no longer on the server; upload it again",
        )
    _record(session, job, user, "retry", f"重试任务 / job retried: {job.id}")
    return _accepted(session, job)


@api_bp.delete("/jobs/<int:job_id>/upload")
@require("editor")
def discard_job_upload(job_id: int):
    """Discard a failed job's kept upload (it can no longer be retried): the job, without its upload."""
    session = get_session()
    job, user = _editable(session, job_id)
    if job.state != "failed" and not (job.kind == modelcheck.KIND and job.state == "done"):
        raise ApiError(
            409,
            "not_failed",
            "只有失败任务（或已检查的模型）的上传文件可以丢弃",
            f"Only a failed job's upload can be discarded (this one is {job.state})",
            state=job.state,
        )
    name, job.upload = job.upload, None
    _record(session, job, user, "discard", f"丢弃上传文件 / upload discarded: job {job.id}")
    session.commit()
    panorama_job.discard_upload(current_app, name)
    return queue.job_dict(job)
