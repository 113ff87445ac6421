"""Panorama uploads as jobs (server/jobs, server/web/admin/jobs.py): the upload API and its refusals, every
ingest error a job can end with, the job's life cycle run by ``flask worker --once``, the exclusive claim,
reaping and retry, the machine's tiling lock — and a real worker process killed while it tiles."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from server.jobs import panorama as panorama_job
from server.jobs import queue, worker
from server.models import AuditEntry, Hall, Job, Scene
from tests.staff import Clock, sign_in, staff_app
from tests.test_panorama_ingest import encode, patch_jpeg_size, png_raw, smooth

ROOT = Path(__file__).resolve().parents[1]
HALL = "guigang"
W, H = 2048, 1024


@pytest.fixture(scope="module")
def clock():
    return Clock()


@pytest.fixture(scope="module")
def app(tmp_path_factory, clock):
    return staff_app(tmp_path_factory.mktemp("jobs"), clock, PANORAMA_UPLOAD_MAX_BYTES=3 * 2**20)


@pytest.fixture
def editor(app):
    client = app.test_client()
    client.csrf = sign_in(client, "editor.gg").get_json()["csrf_token"]
    return client


def jpeg(seed: int = 1, width: int = W) -> bytes:
    return encode(smooth(width // 2, width, seed=seed), "JPEG", quality=90)


def upload(client, scene: str, data: bytes, name: str = "pano.jpg", **fields):
    # Encoded here: the test client spools a large multipart body to a temporary file it never closes.
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), name), **fields})
    return client.post(
        f"/api/v1/admin/halls/{HALL}/scenes/{scene}/panorama",
        data=body,
        headers={"X-CSRF-Token": client.csrf},
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def work_once(app) -> str:
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    return result.output


def scene_row(app, code: str) -> Scene | None:
    session = app.extensions["db"]()
    try:
        hall = session.scalar(select(Hall).where(Hall.slug == HALL))
        scene = session.scalar(select(Scene).where(Scene.hall_id == hall.id, Scene.code == code))
        if scene is not None:
            session.expunge(scene)
        return scene
    finally:
        session.close()


def served(client, url: str) -> int:
    """The status of GET *url* (a file: the response is closed)."""
    response = client.get(url)
    response.close()
    return response.status_code


def uploads(app) -> set[str]:
    folder = panorama_job.uploads_folder(app)
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def test_an_upload_is_queued_then_a_worker_publishes_it(app, editor):
    response = upload(editor, "entrance", jpeg(seed=2))
    assert response.status_code == 202
    job = response.get_json()
    assert response.headers["Location"] == f"/api/v1/admin/jobs/{job['id']}" == job["url"]
    assert (job["state"], job["progress"], job["scene"], job["requested_by"]) == (
        "queued",
        0,
        "entrance",
        "editor.gg",
    )
    assert scene_row(app, "entrance").panorama is None  # nothing tiled in the request
    assert len(uploads(app)) == 1

    assert f"{job['id']}" in work_once(app)
    done = editor.get(job["url"]).get_json()
    assert (done["state"], done["progress"], done["step"], done["error"], done["attempts"]) == (
        "done",
        1,
        "publish",
        None,
        1,
    )
    panorama = scene_row(app, "entrance").panorama
    assert done["result"] == {
        "version": panorama["version"],
        "preview": f"{panorama['basePath']}/preview.jpg",
    }
    assert served(editor, done["result"]["preview"]) == 200
    public = app.test_client().get(f"/api/v1/halls/{HALL}").get_json()
    assert (
        next(s for s in public["scenes"] if s["id"] == "entrance")["tiles"]["version"] == panorama["version"]
    )
    assert uploads(app) == set()  # the upload is kept only until the job is done
    listed = editor.get(f"/api/v1/admin/jobs?hall={HALL}").get_json()["jobs"]
    assert listed[0]["id"] == job["id"]
    session = app.extensions["db"]()
    actions = session.execute(
        select(AuditEntry.object_type, AuditEntry.action, AuditEntry.user_name).where(
            AuditEntry.object_id.in_([str(job["id"]), "entrance"])
        )
    ).all()
    session.close()
    assert ("job", "create", "editor.gg") in actions and ("scene", "update", "editor.gg") in actions
    assert "没有等待的任务 / no job waiting" in work_once(app)


def test_a_new_scene_needs_its_fields_and_is_created_by_the_job(app, editor):
    response = upload(editor, "new-desk", jpeg(seed=3), floor="2", x="4.5")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "bad_scene" and "z, name_zh, name_en" in error["message_en"]
    assert [p["field"] for p in error["details"]["problems"]] == ["z", "name_zh", "name_en"]
    wrong = upload(editor, "new-desk", jpeg(seed=3), floor="9", x="a", z="1", name_zh="新", name_en="New")
    assert [p["field"] for p in wrong.get_json()["error"]["details"]["problems"]] == ["x", "floor"]
    assert upload(editor, "bad code!", jpeg(seed=3)).status_code == 422
    assert uploads(app) == set()

    fields = {"floor": "2", "x": "4.5", "z": "-3", "name_zh": "新窗口区", "name_en": "New desks"}
    job = upload(editor, "new-desk", jpeg(seed=3), **fields).get_json()
    assert scene_row(app, "new-desk") is None
    work_once(app)
    assert editor.get(job["url"]).get_json()["state"] == "done"
    scene = scene_row(app, "new-desk")
    assert (scene.name_zh, scene.name_en, scene.x, scene.z, scene.heading) == (
        "新窗口区",
        "New desks",
        4.5,
        -3.0,
        0.0,
    )
    assert scene.y == pytest.approx(6.6)  # eye height above the second floor (elevation 5 m)
    assert scene.panorama["version"] == editor.get(job["url"]).get_json()["result"]["version"]


def test_an_uploaded_new_scene_survives_publishing_a_draft_made_before_it(app, editor):
    """The upload publishes its picture at once; the draft and the current version follow it, so publishing
    a draft started before the upload neither drops the new scene nor takes the picture back."""
    base = f"/api/v1/admin/halls/{HALL}"
    entrance = editor.get(f"{base}/scenes/entrance").get_json()
    renamed = {"name": {**entrance["name"], "zh": "大门（草稿）"}, "version": entrance["version"]}
    csrf = {"X-CSRF-Token": editor.csrf}
    assert editor.put(f"{base}/scenes/entrance", json=renamed, headers=csrf).status_code == 200
    fields = {"floor": "1", "x": "2", "z": "3", "name_zh": "新大堂", "name_en": "New lobby"}
    job = upload(editor, "new-lobby", jpeg(seed=4), **fields).get_json()
    work_once(app)
    version = editor.get(job["url"]).get_json()["result"]["version"]
    listed = editor.get(f"{base}/scenes").get_json()
    assert listed["draft"] is True
    drafted = {s["code"]: s for s in listed["scenes"]}
    assert drafted["new-lobby"]["panorama"]["version"] == version
    assert drafted["entrance"]["name"]["zh"] == "大门（草稿）"

    published = editor.post(f"{base}/publish", json={"summary": "改名"}, headers=csrf)
    assert published.status_code == 201, published.get_json()
    scenes = {s["id"]: s for s in editor.get(f"/api/v1/halls/{HALL}").get_json()["scenes"]}
    assert scenes["new-lobby"]["tiles"]["version"] == version
    assert scenes["entrance"]["name"]["zh"] == "大门（草稿）"
    assert scene_row(app, "new-lobby").panorama["version"] == version


def _gif() -> bytes:
    return encode(Image.new("RGB", (W, H)), "GIF")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"", 400, "empty_file"),
        (b"hello, this is text", 415, "not_an_image"),
        ("gif", 415, "unsupported_format"),
    ],
)
def test_a_file_of_the_wrong_type_is_refused_at_once(app, editor, body, status, code):
    response = upload(editor, "lobby", _gif() if body == "gif" else body)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    assert uploads(app) == set()


def test_requests_without_a_file_or_too_large_are_refused(app, editor):
    url = f"/api/v1/admin/halls/{HALL}/scenes/lobby/panorama"
    headers = {"X-CSRF-Token": editor.csrf}
    assert editor.post(url, headers=headers, json={}).status_code == 415
    none = editor.post(url, headers=headers, data={"x": "1"}, content_type="multipart/form-data")
    assert (none.status_code, none.get_json()["error"]["code"]) == (400, "no_file")
    big = upload(editor, "lobby", b"\xff\xd8\xff" + bytes(4 * 2**20))
    assert big.status_code == 413
    error = big.get_json()["error"]
    assert (error["code"], error["message_en"]) == ("file_too_large", "The file is too large: at most 3 MB")
    # Refused from Content-Length alone: the body is never read (not even the CSRF field).
    claimed = editor.post(
        url,
        content_type="multipart/form-data; boundary=x",
        environ_overrides={"CONTENT_LENGTH": str(5 * 2**20)},
    )
    assert claimed.status_code == 413 and claimed.get_json()["error"]["code"] == "file_too_large"
    assert uploads(app) == set()
    session = app.extensions["db"]()
    assert session.scalar(select(Job).where(Job.target == "lobby")) is None
    session.close()


def _noise_jpeg(rows: int, declared: int) -> bytes:
    noise = np.random.default_rng(5).integers(0, 256, (rows, W, 3), dtype=np.uint8)
    return patch_jpeg_size(encode(noise, "JPEG"), W, declared)


def _animated() -> bytes:
    frames = [Image.new("RGB", (W, H), c) for c in ((255, 0, 0), (0, 0, 255))]
    return encode(frames[0], "PNG", save_all=True, append_images=frames[1:])


# Every refusal the validate step can reach from an uploaded file. (unsupported_mode is not reachable from a
# JPEG, PNG or WebP that Pillow opens; not_a_file, unreadable and cannot_write concern paths, not uploads.)
BAD = {
    "truncated": lambda: jpeg(seed=4)[: len(jpeg(seed=4)) // 2],
    "size_mismatch": lambda: _noise_jpeg(1000, 1024),
    "corrupt": lambda: jpeg(seed=4)[:20] + b"\xff\xdb\x00\x05zz" + jpeg(seed=4)[20:],
    "animated": _animated,
    "not_equirectangular": lambda: encode(smooth(1536, W), "JPEG"),
    "too_small": lambda: encode(smooth(512, 1024), "JPEG"),
    "too_large": lambda: png_raw(16384 * 2, 16384, 8, 0, b""),
}


@pytest.mark.parametrize("code", sorted(BAD))
def test_every_ingest_error_fails_the_job_and_keeps_the_panorama(app, editor, code):
    before = scene_row(app, "entrance").panorama
    job = upload(editor, "entrance", BAD[code]()).get_json()
    work_once(app)
    failed = editor.get(job["url"]).get_json()
    assert failed["state"] == "failed" and failed["step"] == "validate"
    error = failed["error"]
    assert error["code"] == code and error["message"] and error["message_en"]
    assert error["status"] == (413 if code == "too_large" else 422)
    assert set(error) <= {"status", "code", "message", "message_en", "details"}  # the one error shape
    assert scene_row(app, "entrance").panorama == before
    name = app.extensions["db"]().get(Job, job["id"]).upload
    assert name in uploads(app)  # kept for a retry
    panorama_job.discard_upload(app, name)


def test_retry_only_a_failed_job_whose_upload_is_kept(app, editor):
    job = upload(editor, "lobby", jpeg(seed=5)).get_json()
    retry = editor.post(f"{job['url']}/retry", headers={"X-CSRF-Token": editor.csrf})
    assert (retry.status_code, retry.get_json()["error"]["code"]) == (409, "not_failed")
    work_once(app)
    done = editor.post(f"{job['url']}/retry", headers={"X-CSRF-Token": editor.csrf})
    assert done.status_code == 409
    bad = upload(editor, "lobby", BAD["truncated"]()).get_json()
    work_once(app)
    kept = app.extensions["db"]().get(Job, bad["id"]).upload
    assert editor.get(bad["url"]).get_json()["upload_kept"] and kept in uploads(app)
    url = f"{bad['url']}/upload"
    assert editor.delete(url).status_code == 403  # no CSRF token
    assert editor.delete(f"{job['url']}/upload", headers={"X-CSRF-Token": editor.csrf}).status_code == 409
    discarded = editor.delete(url, headers={"X-CSRF-Token": editor.csrf})
    assert discarded.status_code == 200 and discarded.get_json()["upload_kept"] is False
    assert kept not in uploads(app)
    gone = editor.post(f"{bad['url']}/retry", headers={"X-CSRF-Token": editor.csrf})
    assert (gone.status_code, gone.get_json()["error"]["code"]) == (410, "upload_gone")
    assert editor.get(bad["url"]).get_json()["state"] == "failed"  # nothing changed
    other = app.test_client()
    other.csrf = sign_in(other, "editor.pn").get_json()["csrf_token"]
    assert other.get(bad["url"]).status_code == 403
    assert other.get(f"/api/v1/admin/jobs?hall={HALL}").status_code == 403
    assert all(j["hall"] != HALL for j in other.get("/api/v1/admin/jobs").get_json()["jobs"])
    assert editor.get("/api/v1/admin/jobs/999999").status_code == 404


def _queued_job(app, session) -> int:
    hall = session.scalar(select(Hall).where(Hall.slug == HALL))
    job = queue.enqueue(
        session, kind="test", hall=hall, target="x", params={}, upload=None, user=None, now=datetime.now(UTC)
    )
    session.commit()
    return job.id


def test_two_workers_racing_for_one_job_claim_it_once(app):
    for _round in range(8):
        session = app.extensions["db"]()
        job_id = _queued_job(app, session)
        session.close()
        start, won = threading.Barrier(2), []

        def race(name: str, start: threading.Barrier = start, won: list = won) -> None:
            mine = app.extensions["db"]()
            try:
                start.wait()
                job = queue.claim(mine, worker=name, now=datetime.now(UTC), kinds=("test",))
                if job is not None:
                    won.append((name, job.id))
            finally:
                mine.close()

        threads = [threading.Thread(target=race, args=(f"host:{n}",)) for n in (1, 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [job for _name, job in won] == [job_id]
        session = app.extensions["db"]()
        row = session.get(Job, job_id)
        assert (row.state, row.worker, row.attempts) == ("running", won[0][0], 1)
        row.state = "done"  # out of the way of the next round
        session.commit()
        session.close()


def test_a_worker_that_lost_its_job_is_told_and_reaping_needs_a_dead_worker(app):
    session = app.extensions["db"]()
    job_id = _queued_job(app, session)
    moment = datetime.now(UTC)
    queue.claim(session, worker="elsewhere:1", now=moment, kinds=("test",))
    stale = timedelta(seconds=120)
    assert queue.reap(session, now=moment + timedelta(seconds=119), stale_after=stale) == []
    queue.report(
        session, job_id, worker="elsewhere:1", step="tile", progress=0.5, now=moment + timedelta(seconds=60)
    )
    assert queue.reap(session, now=moment + timedelta(seconds=179), stale_after=stale) == []
    assert queue.reap(session, now=moment + timedelta(seconds=181), stale_after=stale) == [job_id]
    row = session.get(Job, job_id, populate_existing=True)
    assert (row.state, row.error["code"], row.progress) == ("failed", "worker_lost", 0.5)
    with pytest.raises(queue.JobLost):
        queue.report(session, job_id, worker="elsewhere:1", step="tile", progress=0.6, now=moment)
    session.close()


def test_one_tiling_job_at_a_time_per_machine(app, editor):
    job = upload(editor, "sw", jpeg(seed=6)).get_json()
    with worker.machine_lock(app, wait=False) as held:
        assert held
        assert worker.run_one(app) is None  # another process of this machine is tiling
        assert editor.get(job["url"]).get_json()["state"] == "queued"
    assert worker.run_one(app) == job["id"]
    assert editor.get(job["url"]).get_json()["state"] == "done"


def _worker_process(app, folder: Path, delay: float, log) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VHALL_") and k != "DATABASE_URL"}
    env.update(
        VHALL_INSTANCE_PATH=str(folder),
        DATABASE_URL=app.config["DATABASE_URL"],
        VHALL_JOBS_TEST_TILE_DELAY=str(delay),
        VHALL_JOBS_POLL_SECONDS="0.1",
    )
    command = [sys.executable, "-m", "flask", "--app", "server", "worker"]
    return subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)


def _wait_for(read, until, what: str, process: subprocess.Popen, log: Path, limit_s: float = 120):
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        value = read()
        if until(value):
            return value
        if process.poll() is not None:
            raise AssertionError(
                f"the worker exited ({process.returncode}): {process.stderr.read().decode()}"
            )
        time.sleep(0.05)
    raise AssertionError(f"never {what}: {value}")


def test_a_worker_killed_while_tiling_leaves_the_old_panorama_and_a_failed_job_to_retry(app, editor, clock):
    clock.now = datetime.now(UTC)  # the in-process reaper's clock: never ahead of the worker's heartbeats
    first = upload(editor, "zhsl", jpeg(seed=7)).get_json()
    work_once(app)
    old = scene_row(app, "zhsl").panorama
    assert editor.get(first["url"]).get_json()["state"] == "done"

    job = upload(editor, "zhsl", jpeg(seed=8)).get_json()
    log = Path(app.instance_path) / "worker.log"
    with open(log, "wb") as output:
        process = _worker_process(app, Path(app.instance_path), 0.2, output)
    try:
        running = _wait_for(
            lambda: editor.get(job["url"]).get_json(),
            lambda j: j["state"] == "running" and j["step"] == "tile" and j["progress"] > 0.1,
            "tiling",
            process,
            log,
        )
        assert running["worker"].endswith(f":{process.pid}")
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    failed = editor.get(job["url"]).get_json()  # read: the worker's pid is gone from this machine
    assert failed["state"] == "failed" and failed["step"] == "tile"
    assert failed["error"]["code"] == "worker_lost"
    assert "原来的全景图仍在使用" in failed["error"]["message"]
    assert "previous panorama is still shown" in failed["error"]["message_en"]
    assert scene_row(app, "zhsl").panorama == old
    public = app.test_client()
    assert served(public, f"{old['basePath']}/preview.jpg") == 200
    hall = public.get(f"/api/v1/halls/{HALL}").get_json()
    assert next(s for s in hall["scenes"] if s["id"] == "zhsl")["tiles"]["version"] == old["version"]

    retried = editor.post(f"{job['url']}/retry", headers={"X-CSRF-Token": editor.csrf})
    assert retried.status_code == 202 and retried.get_json()["state"] == "queued"
    work_once(app)
    done = editor.get(job["url"]).get_json()
    assert (done["state"], done["attempts"]) == ("done", 2)
    new = scene_row(app, "zhsl").panorama
    assert new["version"] != old["version"] and done["result"]["version"] == new["version"]
    assert served(public, done["result"]["preview"]) == 200
