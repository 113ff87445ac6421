"""Panorama uploads as jobs (server/jobs, server/web/admin/jobs.py): the upload API and its refusals, every
ingest error a job can end with, the job's life cycle run by ``flask worker --once`` (its picture goes into
the hall's draft; citizens see it once published), the exclusive claim, reaping and retry, the machine's
tiling lock — and a real worker process killed while it tiles."""

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

from server.config import published_root
from server.jobs import panorama as panorama_job
from server.jobs import queue, worker
from server.models import AuditEntry, Hall, Job, Scene
from server.web.api.openapi import document
from tests.staff import Clock, sign_in, staff_app
from tests.test_panorama_ingest import encode, patch_jpeg_size, png_raw, smooth
from tests.test_panorama_metadata import FULL, exif_bytes, partial_photo, photo, xmp_packet

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


def public_tiles(code: str, app) -> dict | None:
    """The tiles config citizens get for scene *code* from the public hall document (None: no such scene)."""
    hall = app.test_client().get(f"/api/v1/halls/{HALL}").get_json()
    return next((s["tiles"] for s in hall["scenes"] if s["id"] == code), None)


def drafted(client, code: str) -> dict | None:
    """Scene *code* as staff edit it (the draft's, else the current version's), or None."""
    response = client.get(f"/api/v1/admin/halls/{HALL}/scenes/{code}")
    return response.get_json() if response.status_code == 200 else None


def publish(client) -> dict:
    response = client.post(
        f"/api/v1/admin/halls/{HALL}/publish",
        json={"summary": "全景图"},
        headers={"X-CSRF-Token": client.csrf},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def uploads(app) -> set[str]:
    folder = panorama_job.uploads_folder(app)
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def test_an_upload_is_queued_then_a_worker_puts_it_into_the_draft(app, editor):
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
    assert scene_row(app, "entrance").panorama is None  # nothing live changed
    assert public_tiles("entrance", app) is None
    draft = drafted(editor, "entrance")
    panorama = draft["panorama"]
    assert done["result"] == {
        "version": panorama["version"],
        "preview": f"{panorama['basePath']}/preview.jpg",
        "in_draft": True,
        "scene_heading": 0.0,
        "heading": None,  # no camera metadata in this file
        "partial": None,
        "captured_at": None,
        "camera": None,
        "warnings": [],
    }
    assert served(editor, done["result"]["preview"]) == 200  # the staff pages show it before publishing
    diff = editor.get(f"/api/v1/admin/halls/{HALL}/draft/diff").get_json()
    assert set(diff["changes"]["scenes"]["changed"]["entrance"]) == {"panorama"}  # that field only
    label = diff["labels"]["scenes"]["entrance"]["fields"]["panorama"]
    assert label["label"] == {"zh": "全景图", "en": "Panorama"}
    assert label["after"] == {
        "zh": f"新版本 {panorama['version']}",
        "en": f"new version {panorama['version']}",
    }
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
    session = app.extensions["db"]()
    summary = session.scalar(
        select(AuditEntry.summary).where(
            AuditEntry.object_type == "scene", AuditEntry.object_id == "entrance"
        )
    )
    session.close()
    assert summary == f"全景图放入草稿 / panorama into the draft: entrance — → {panorama['version']}"
    assert "没有等待的任务 / no job waiting" in work_once(app)

    publish(editor)
    assert public_tiles("entrance", app)["version"] == panorama["version"]
    assert scene_row(app, "entrance").panorama["version"] == panorama["version"]


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
    version = editor.get(job["url"]).get_json()["result"]["version"]
    assert scene_row(app, "new-desk") is None and public_tiles("new-desk", app) is None  # the draft only
    draft = drafted(editor, "new-desk")
    assert (draft["name"], draft["floor"], draft["heading"], draft["links"], draft["version"]) == (
        {"zh": "新窗口区", "en": "New desks"},
        2,
        0.0,
        {},
        1,
    )
    assert draft["position"] == pytest.approx([4.5, 6.6, -3])  # eye height above the second floor (5 m)
    assert draft["panorama"]["version"] == version
    diff = editor.get(f"/api/v1/admin/halls/{HALL}/draft/diff").get_json()
    assert "new-desk" in diff["changes"]["scenes"]["added"]

    publish(editor)
    scene = scene_row(app, "new-desk")
    assert (scene.name_zh, scene.name_en, scene.x, scene.z, scene.heading) == (
        "新窗口区",
        "New desks",
        4.5,
        -3.0,
        0.0,
    )
    assert scene.y == pytest.approx(6.6)
    assert scene.panorama["version"] == version == public_tiles("new-desk", app)["version"]


def test_an_upload_joins_a_draft_begun_before_it_which_keeps_its_edits(app, editor):
    base = f"/api/v1/admin/halls/{HALL}"
    entrance = drafted(editor, "entrance")
    renamed = {"name": {**entrance["name"], "zh": "大门（草稿）"}, "version": entrance["version"]}
    csrf = {"X-CSRF-Token": editor.csrf}
    assert editor.put(f"{base}/scenes/entrance", json=renamed, headers=csrf).status_code == 200
    fields = {"floor": "1", "x": "2", "z": "3", "name_zh": "新大堂", "name_en": "New lobby"}
    job = upload(editor, "new-lobby", jpeg(seed=4), **fields).get_json()
    work_once(app)
    version = editor.get(job["url"]).get_json()["result"]["version"]
    listed = editor.get(f"{base}/scenes").get_json()
    assert listed["draft"] is True
    drafts = {s["code"]: s for s in listed["scenes"]}
    assert drafts["new-lobby"]["panorama"]["version"] == version
    assert drafts["entrance"]["name"]["zh"] == "大门（草稿）"
    assert public_tiles("new-lobby", app) is None

    publish(editor)
    scenes = {s["id"]: s for s in editor.get(f"/api/v1/halls/{HALL}").get_json()["scenes"]}
    assert scenes["new-lobby"]["tiles"]["version"] == version
    assert scenes["entrance"]["name"]["zh"] == "大门（草稿）"


def test_a_new_scene_faces_the_heading_its_camera_recorded(app, editor):
    data = photo(
        2048,
        1024,
        xmp=xmp_packet(**FULL, PoseHeadingDegrees="350.5"),
        exif=exif_bytes(taken="2026:11:20 10:31:05", offset="+08:00"),
    )
    fields = {"floor": "1", "x": "1", "z": "2", "name_zh": "相机点", "name_en": "Camera spot"}
    job = upload(editor, "camera-spot", data, **fields).get_json()
    work_once(app)
    done = editor.get(job["url"]).get_json()
    assert done["state"] == "done", done["error"]
    # A compass heading of 350.5° is our −9.5°: the new scene faces it in the draft.
    assert drafted(editor, "camera-spot")["heading"] == pytest.approx(-9.5)
    result = done["result"]
    assert (result["heading"], result["scene_heading"]) == (pytest.approx(-9.5), pytest.approx(-9.5))
    assert result["captured_at"] == "2026-11-20T10:31:05+08:00"
    assert result["camera"] == {"make": "RICOH", "model": "THETA Z1"}
    assert (result["partial"], result["warnings"]) == (None, [])
    documented = document()["components"]["schemas"]["AdminJob"]["properties"]["result"]["properties"]
    assert set(result) == set(documented)  # the OpenAPI description names every field of the result


def test_a_replacement_keeps_the_scenes_heading_and_tells_of_a_partial_panorama(app, editor):
    assert drafted(editor, "ga-jt")["heading"] == 90.0
    # 2048×512 cut from a 2048×1024 sphere 256 rows from the top, its camera facing 30°.
    data = partial_photo(30)
    job = upload(editor, "ga-jt", data).get_json()
    work_once(app)
    done = editor.get(job["url"]).get_json()
    assert done["state"] == "done", done["error"]
    draft = drafted(editor, "ga-jt")
    assert draft["heading"] == 90.0  # staff's heading stays; the camera's is offered beside it
    assert draft["panorama"]["version"] == done["result"]["version"]
    result = done["result"]
    assert (result["heading"], result["scene_heading"]) == (30.0, 90.0)
    assert result["partial"] == {"yaw": [-180.0, 180.0], "pitch": [-45.0, 45.0]}
    assert [w["code"] for w in result["warnings"]] == ["partial"]
    warning = result["warnings"][0]
    assert warning["zh"].startswith("局部全景图：只覆盖水平 360°（") and "垂直 90°（" in warning["zh"]
    assert warning["zh"].endswith("其余部分显示为黑色")
    assert warning["en"].startswith("A partial panorama: it covers 360° across")
    assert warning["en"].endswith("; the rest shows black")
    # Taking the camera's heading is the scene's ordinary save, with its version.
    taken = editor.put(
        f"/api/v1/admin/halls/{HALL}/scenes/ga-jt",
        json={"heading": result["heading"], "version": draft["version"]},
        headers={"X-CSRF-Token": editor.csrf},
    )
    assert taken.status_code == 200, taken.get_json()
    assert drafted(editor, "ga-jt")["heading"] == 30.0


def test_the_draft_changing_while_a_job_runs(app, editor):
    """Each change happens between the upload and the job's last step (the job reads the draft only then)."""
    base = f"/api/v1/admin/halls/{HALL}"
    csrf = {"X-CSRF-Token": editor.csrf}
    live = public_tiles("zizhu", app)

    # Two uploads to one scene: both into the draft in turn, the later one's picture kept.
    first = upload(editor, "zizhu", jpeg(seed=11)).get_json()
    second = upload(editor, "zizhu", jpeg(seed=12)).get_json()
    start = drafted(editor, "zizhu")["version"]
    work_once(app)
    work_once(app)
    versions = [editor.get(j["url"]).get_json()["result"]["version"] for j in (first, second)]
    draft = drafted(editor, "zizhu")
    assert versions[0] != versions[1] and draft["panorama"]["version"] == versions[1]
    assert draft["version"] == start + 2
    assert public_tiles("zizhu", app) == live

    # The draft discarded meanwhile: a new one from the current version takes the picture.
    job = upload(editor, "zizhu", jpeg(seed=13)).get_json()
    assert editor.delete(f"{base}/draft", headers=csrf).status_code == 204
    work_once(app)
    version = editor.get(job["url"]).get_json()["result"]["version"]
    assert editor.get(f"{base}/scenes").get_json()["draft"] is True
    assert drafted(editor, "zizhu")["panorama"]["version"] == version
    assert public_tiles("zizhu", app) == live

    # The draft published meanwhile: the picture goes into the next draft, not live.
    job = upload(editor, "zizhu", jpeg(seed=14)).get_json()
    publish(editor)
    published = public_tiles("zizhu", app)
    assert published["version"] == version
    work_once(app)
    newest = editor.get(job["url"]).get_json()["result"]["version"]
    assert drafted(editor, "zizhu")["panorama"]["version"] == newest
    assert public_tiles("zizhu", app) == published

    # The scene removed from the draft meanwhile: the job fails and does not bring it back.
    job = upload(editor, "zizhu", jpeg(seed=15)).get_json()
    current = drafted(editor, "zizhu")
    gone = editor.delete(f"{base}/scenes/zizhu", json={"version": current["version"]}, headers=csrf)
    assert gone.status_code == 204
    before = editor.get(f"{base}/draft/diff").get_json()["changes"]
    work_once(app)
    failed = editor.get(job["url"]).get_json()
    assert (failed["state"], failed["step"], failed["upload_kept"]) == ("failed", "publish", True)
    error = failed["error"]
    assert (error["code"], error["status"]) == ("scene_gone", 409)
    assert error["message"].startswith("处理期间场景 zizhu 已从草稿中删除")
    assert "Scene zizhu was removed from the draft" in error["message_en"]
    assert drafted(editor, "zizhu") is None
    assert editor.get(f"{base}/draft/diff").get_json()["changes"] == before  # nothing changed
    assert public_tiles("zizhu", app) == published

    # Brought back (the draft discarded), a retry puts it in.
    assert editor.delete(f"{base}/draft", headers=csrf).status_code == 204
    assert editor.post(f"{job['url']}/retry", headers=csrf).status_code == 202
    work_once(app)
    done = editor.get(job["url"]).get_json()
    assert done["state"] == "done"
    assert drafted(editor, "zizhu")["panorama"]["version"] == done["result"]["version"]
    assert editor.delete(f"{base}/draft", headers=csrf).status_code == 204


def test_storage_keeps_the_tiles_only_a_draft_names(app, editor):
    job = upload(editor, "scjg", jpeg(seed=16)).get_json()
    work_once(app)
    version = editor.get(job["url"]).get_json()["result"]["version"]
    folder = published_root(app) / "panoramas" / HALL / "scjg" / version
    runner = app.test_cli_runner()
    app.config["STORAGE_RETENTION_DAYS"] = 0
    try:
        kept = runner.invoke(args=["storage", "clean", "--hall", HALL])
        assert kept.exit_code == 0, kept.output
        assert folder.is_dir()  # named by the draft alone: neither live nor in any version
        headers = {"X-CSRF-Token": editor.csrf}
        assert editor.delete(f"/api/v1/admin/halls/{HALL}/draft", headers=headers).status_code == 204
        freed = runner.invoke(args=["storage", "clean", "--hall", HALL])
        assert freed.exit_code == 0, freed.output
        assert not folder.exists()  # nothing names it once the draft is discarded
    finally:
        app.config["STORAGE_RETENTION_DAYS"] = 30


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
    assert "nothing was changed" in row.error["en"] and "没有任何改动" in row.error["zh"]
    assert "panorama" not in row.error["en"]  # a job of no known kind: nothing said about pictures
    with pytest.raises(queue.JobLost):
        queue.report(session, job_id, worker="elsewhere:1", step="tile", progress=0.6, now=moment)
    session.close()


@pytest.mark.parametrize(
    ("kind", "zh", "en"),
    [
        (
            "panorama",
            "草稿没有改变，原来的全景图仍在使用",
            "the draft is unchanged and the previous panorama",
        ),
        ("model_check", "大厅模型没有改变", "the hall's model is unchanged"),
    ],
)
def test_an_unfinished_job_says_what_its_kind_left_unchanged(kind, zh, en):
    for error in (queue.worker_lost(kind), queue.crashed(kind)):
        assert zh in error.message and en in error.message_en
        if kind != "panorama":
            assert "全景图" not in error.message and "panorama" not in error.message_en


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
    assert editor.get(first["url"]).get_json()["state"] == "done"
    publish(editor)
    old = scene_row(app, "zhsl").panorama
    assert old["version"] == editor.get(first["url"]).get_json()["result"]["version"]

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
    assert "草稿没有改变，原来的全景图仍在使用" in failed["error"]["message"]
    assert "the draft is unchanged and the previous panorama is still shown" in failed["error"]["message_en"]
    assert scene_row(app, "zhsl").panorama == old
    assert drafted(editor, "zhsl")["panorama"] == old
    public = app.test_client()
    assert served(public, f"{old['basePath']}/preview.jpg") == 200
    hall = public.get(f"/api/v1/halls/{HALL}").get_json()
    assert next(s for s in hall["scenes"] if s["id"] == "zhsl")["tiles"]["version"] == old["version"]

    retried = editor.post(f"{job['url']}/retry", headers={"X-CSRF-Token": editor.csrf})
    assert retried.status_code == 202 and retried.get_json()["state"] == "queued"
    work_once(app)
    done = editor.get(job["url"]).get_json()
    assert (done["state"], done["attempts"]) == ("done", 2)
    new = drafted(editor, "zhsl")["panorama"]
    assert new["version"] != old["version"] and done["result"]["version"] == new["version"]
    assert served(public, done["result"]["preview"]) == 200
    assert public_tiles("zhsl", app) == old  # citizens get it once the draft is published
    publish(editor)
    assert public_tiles("zhsl", app) == new
