"""Hall model uploads as jobs (server/jobs/modelcheck.py, server/web/admin/jobs.py): a .glb with an optional
name mapping is kept and checked by the worker one-to-one against the hall; the report is shown with the
job; a clean one is published (the public hall document follows), anything else is refused with 409; a file
the check refuses fails the job with its own reason."""

from __future__ import annotations

import io
import json

import pytest
import yaml
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from server.hallmodel.build import build_glb
from server.hallmodel.layout import layout_path, parse
from server.jobs import panorama as panorama_job
from server.models import AuditEntry, Hall
from tests.glbtools import edit
from tests.staff import Clock, sign_in, staff_app
from tests.test_model_cli import HOSTILE_MODELS

HALL = "guigang"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return staff_app(tmp_path_factory.mktemp("models"), Clock())


@pytest.fixture(scope="module")
def model() -> bytes:
    """The guigang model as ``flask model build`` makes it (one-to-one with the demo hall)."""
    return build_glb(parse(yaml.safe_load(layout_path(HALL).read_text(encoding="utf-8"))))


@pytest.fixture
def editor(app):
    client = app.test_client()
    client.csrf = sign_in(client, "editor.gg").get_json()["csrf_token"]
    return client


def renamed(data: bytes, old: str, new: str) -> bytes:
    def change(document):
        (node,) = [n for n in document["nodes"] if n.get("name") == old]
        node["name"] = new

    return edit(data, change)


def upload(client, data: bytes, mapping=None, name: str = "hall.glb"):
    fields = {"file": FileStorage(io.BytesIO(data), name)}
    if mapping is not None:
        fields["mapping"] = mapping
    boundary, body = encode_multipart(fields)
    return client.post(
        f"/api/v1/admin/halls/{HALL}/model",
        data=body,
        headers={"X-CSRF-Token": client.csrf},
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def checked(app, client, response) -> dict:
    assert response.status_code == 202, response.get_json()
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    return client.get(response.get_json()["url"]).get_json()


def public_model_url(app) -> str | None:
    return app.test_client().get(f"/api/v1/halls/{HALL}").get_json()["model_url"]


def test_a_clean_model_with_a_mapping_is_checked_then_published(app, editor, model):
    data = renamed(model, "counter:A01", "Desk_A01")  # a modeller's name, mapped back
    response = upload(editor, data, mapping=json.dumps({"Desk_A01": "counter:A01"}))
    queued = response.get_json()
    assert (queued["kind"], queued["state"], queued["report"]) == ("model_check", "queued", None)
    assert response.headers["Location"] == queued["url"]
    before = public_model_url(app)

    job = checked(app, editor, response)
    assert (job["state"], job["progress"], job["error"]) == ("done", 1, None)
    report = job["report"]
    assert report["publishable"] is True and report["problems"] == []
    assert report["counts"]["counters_in_database"] == report["counts"]["counter_nodes"] > 0
    assert public_model_url(app) == before  # checked, not published

    url = f"{job['url']}/publish-model"
    assert editor.post(url).status_code == 403  # no CSRF token
    other = app.test_client()
    other.csrf = sign_in(other, "editor.pn").get_json()["csrf_token"]
    assert other.post(url, headers={"X-CSRF-Token": other.csrf}).status_code == 403
    published = editor.post(url, headers={"X-CSRF-Token": editor.csrf})
    assert published.status_code == 200, published.get_json()
    body = published.get_json()
    assert body["published"]["by"] == "editor.gg" and body["upload_kept"] is False
    session = app.extensions["db"]()
    sha = session.scalar(select(Hall.model_sha).where(Hall.slug == HALL))
    actions = session.execute(
        select(AuditEntry.object_type, AuditEntry.action, AuditEntry.user_name).where(
            AuditEntry.object_id.in_([str(job["id"]), HALL])
        )
    ).all()
    session.close()
    assert body["model_sha"] == sha and sha is not None
    after = public_model_url(app)
    assert after != before and after.endswith(f"?v={sha[:16]}")  # the next request sees it
    served = app.test_client().get(after)
    served.close()
    assert served.status_code == 200
    assert ("job", "create", "editor.gg") in actions and ("hall_model", "publish", "editor.gg") in actions
    again = editor.post(url, headers={"X-CSRF-Token": editor.csrf})
    assert (again.status_code, again.get_json()["error"]["code"]) == (409, "not_publishable_job")


def test_a_model_missing_a_counter_is_reported_and_not_published(app, editor, model):
    before = public_model_url(app)
    job = checked(app, editor, upload(editor, renamed(model, "counter:A02", "Desk_A02")))
    assert job["state"] == "done"
    problems = {(p["kind"], p["node"]): p for p in job["report"]["problems"]}
    assert job["report"]["publishable"] is False
    missing = problems[("missing", "counter:A02")]
    assert missing["message"] == "模型中缺少该节点" and missing["message_en"] == "no node for it in the model"
    refused = editor.post(f"{job['url']}/publish-model", headers={"X-CSRF-Token": editor.csrf})
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert error["code"] == "not_one_to_one" and error["message"] and error["message_en"]
    assert ("missing", "counter:A02") in {
        (p["kind"], p["node"]) for p in error["details"]["report"]["problems"]
    }
    assert public_model_url(app) == before
    kept = editor.delete(f"{job['url']}/upload", headers={"X-CSRF-Token": editor.csrf})
    assert kept.status_code == 200 and kept.get_json()["upload_kept"] is False


BAD = {
    "not_glb": lambda m: b"hello, this is not a model",
    "truncated": lambda m: m[: len(m) // 2],
    "too_many_nodes": lambda m: edit(m, lambda d: d["nodes"].extend({} for _ in range(20_001))),
    **{code: mutate for mutate, code, _says in HOSTILE_MODELS.values()},
}


@pytest.mark.parametrize("code", sorted(BAD))
def test_a_refused_file_fails_the_job_with_its_reason(app, editor, model, code):
    job = checked(app, editor, upload(editor, BAD[code](model)))
    assert job["state"] == "failed" and job["report"] is None
    error = job["error"]
    assert error["code"] == code and error["status"] == 422
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"]) and error["message_en"].isascii()
    refused = editor.post(f"{job['url']}/publish-model", headers={"X-CSRF-Token": editor.csrf})
    assert refused.status_code == 409
    session = app.extensions["db"]()
    from server.models import Job

    panorama_job.discard_upload(app, session.get(Job, job["id"]).upload)
    session.close()


def test_bad_requests_are_refused_at_once_and_keep_nothing(app, editor, model):
    def files():
        folder = panorama_job.uploads_folder(app)
        return set(folder.iterdir()) if folder.is_dir() else set()

    before = files()
    bad = upload(editor, model, mapping='{"Desk_1": ')
    assert bad.status_code == 422
    error = bad.get_json()["error"]
    assert error["code"] == "bad_mapping" and "映射表" in error["message"] and "JSON" in error["message_en"]
    url = f"/api/v1/admin/halls/{HALL}/model"
    headers = {"X-CSRF-Token": editor.csrf}
    assert editor.post(url, headers=headers, json={}).status_code == 415
    none = editor.post(url, headers=headers, data={"x": "1"}, content_type="multipart/form-data")
    assert (none.status_code, none.get_json()["error"]["code"]) == (400, "no_file")
    claimed = editor.post(
        url,
        content_type="multipart/form-data; boundary=x",
        environ_overrides={"CONTENT_LENGTH": str(65 * 2**20 + 2**17)},
    )
    assert claimed.status_code == 413 and claimed.get_json()["error"]["code"] == "file_too_large"
    assert files() == before
