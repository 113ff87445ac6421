"""Hall model uploads as jobs (server/jobs/modelcheck.py, server/web/admin/jobs.py): a .glb with an optional
name mapping is kept and checked by the worker one-to-one against the hall's draft; the report is shown with
the job; a clean one is put into the hall's draft (the public model unchanged until the draft is published,
which checks it against the draft's counters and applies it; restoring a version brings its model back),
anything else is refused with 409; a file the check refuses fails the job with its own reason."""

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
from server.hallmodel.store import model_folder
from server.jobs import panorama as panorama_job
from server.models import AuditEntry, Hall, PublishedVersion
from server.publishing import hallmodels
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


def live_sha(app) -> str | None:
    session = app.extensions["db"]()
    try:
        return session.scalar(select(Hall.model_sha).where(Hall.slug == HALL))
    finally:
        session.close()


def into_draft(client, job):
    return client.post(f"{job['url']}/draft-model", headers={"X-CSRF-Token": client.csrf})


def publish(client):
    return client.post(f"/api/v1/admin/halls/{HALL}/publish", headers={"X-CSRF-Token": client.csrf})


def test_a_clean_model_with_a_mapping_goes_into_the_draft_and_is_published_with_it(app, editor, model):
    data = renamed(model, "counter:A01", "Desk_A01")  # a modeller's name, mapped back
    response = upload(editor, data, mapping=json.dumps({"Desk_A01": "counter:A01"}))
    queued = response.get_json()
    assert (queued["kind"], queued["state"], queued["report"]) == ("model_check", "queued", None)
    assert response.headers["Location"] == queued["url"]
    before, old_sha = public_model_url(app), live_sha(app)

    job = checked(app, editor, response)
    assert (job["state"], job["progress"], job["error"]) == ("done", 1, None)
    report = job["report"]
    assert report["publishable"] is True and report["problems"] == []
    assert report["counts"]["counters_in_database"] == report["counts"]["counter_nodes"] > 0
    assert public_model_url(app) == before  # checked, not published

    url = f"{job['url']}/draft-model"
    assert editor.post(url).status_code == 403  # no CSRF token
    other = app.test_client()
    other.csrf = sign_in(other, "editor.pn").get_json()["csrf_token"]
    assert other.post(url, headers={"X-CSRF-Token": other.csrf}).status_code == 403
    drafted = into_draft(editor, job)
    assert drafted.status_code == 200, drafted.get_json()
    body = drafted.get_json()
    sha = body["draft_model"]["sha"]
    assert body["drafted"]["by"] == "editor.gg" and body["drafted"]["sha"] == sha
    assert body["upload_kept"] is False and body["draft_model"]["file"] == "hall.glb"
    assert body["draft_model"]["mapping"] == {"Desk_A01": "counter:A01"}
    assert sha != old_sha
    # In the store, in the draft — and nothing public changed.
    assert (model_folder(app, HALL) / f"{sha}.glb").is_file()
    assert public_model_url(app) == before and live_sha(app) == old_sha
    diff = editor.get(f"/api/v1/admin/halls/{HALL}/draft/diff?labels=1").get_json()
    assert diff["changes"]["model"]["changed"]["sha"] == {"before": old_sha, "after": sha}
    label = diff["labels"]["model"]["model"]["fields"]["sha"]
    assert label["label"] == {"zh": "大厅模型", "en": "Hall model"}
    assert old_sha is None and label["before"] == {"zh": "（空）", "en": "(empty)"}  # no model before
    assert label["after"] == {"zh": sha[:12], "en": sha[:12]}
    again = into_draft(editor, job)
    assert (again.status_code, again.get_json()["error"]["code"]) == (409, "not_draftable_job")

    published = publish(editor)
    assert published.status_code == 201, published.get_json()
    assert live_sha(app) == sha
    after = public_model_url(app)
    assert after != before and after.endswith(f"?v={sha[:16]}")  # the next request sees it
    served = app.test_client().get(after)
    served.close()
    assert served.status_code == 200
    mapping = model_folder(app, HALL) / f"{sha}.mapping.json"
    assert json.loads(mapping.read_text()) == {"Desk_A01": "counter:A01"}
    route = app.test_client().get(f"/api/v1/halls/{HALL}/route?from=entrance:main&to=counter:A01")
    assert route.status_code == 200, route.get_json()  # the mapped node is found: the cache was told
    session = app.extensions["db"]()
    actions = session.execute(
        select(AuditEntry.object_type, AuditEntry.action, AuditEntry.user_name).where(
            AuditEntry.scope == f"hall:{HALL}"
        )
    ).all()
    session.close()
    assert ("job", "create", "editor.gg") in actions and ("model", "create", "editor.gg") in actions
    assert ("version", "publish", "editor.gg") in actions


def test_a_draft_whose_counters_do_not_match_its_model_is_refused_and_a_refurbishment_goes_together(
    app, editor, model
):
    sha = live_sha(app)
    missing = renamed(model, "counter:A02", "Desk_A02")  # as if counter A02 were taken out
    job = checked(app, editor, upload(editor, missing))
    problems = {(p["kind"], p["node"]): p for p in job["report"]["problems"]}
    assert job["report"]["publishable"] is False
    lacking = problems[("missing", "counter:A02")]
    assert lacking["message"] == "模型中缺少该节点" and lacking["message_en"] == "no node for it in the model"
    refused = into_draft(editor, job)
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert error["code"] == "not_one_to_one" and "草稿" in error["message"] and "draft" in error["message_en"]
    assert ("missing", "counter:A02") in {
        (p["kind"], p["node"]) for p in error["details"]["report"]["problems"]
    }
    kept = editor.delete(f"{job['url']}/upload", headers={"X-CSRF-Token": editor.csrf})
    assert kept.status_code == 200 and kept.get_json()["upload_kept"] is False

    # The refurbishment: A02 leaves the draft, then the model without it is checked against the draft.
    counter = editor.get(f"/api/v1/admin/halls/{HALL}/counters/A02").get_json()
    removed = editor.delete(
        f"/api/v1/admin/halls/{HALL}/counters/A02",
        headers={"X-CSRF-Token": editor.csrf, "If-Match": str(counter["version"])},
    )
    assert removed.status_code == 204
    job = checked(app, editor, upload(editor, missing, name="refurbished.glb"))
    assert job["report"]["publishable"] is True, job["report"]["problems"]
    assert into_draft(editor, job).status_code == 200
    new_sha = editor.get(f"/api/v1/admin/halls/{HALL}/draft/diff").get_json()["changes"]["model"]["changed"]
    new_sha = new_sha["sha"]["after"]

    # A02 back in the draft: its counters no longer match its model, and the publish is refused whole.
    added = editor.post(
        f"/api/v1/admin/halls/{HALL}/counters",
        json={k: v for k, v in counter.items() if k != "version"},
        headers={"X-CSRF-Token": editor.csrf},
    )
    assert added.status_code == 201, added.get_json()
    refused = publish(editor)
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert error["code"] == "not_one_to_one"
    assert ("missing", "counter:A02") in {
        (p["kind"], p["node"]) for p in error["details"]["report"]["problems"]
    }
    assert live_sha(app) == sha

    again = editor.get(f"/api/v1/admin/halls/{HALL}/counters/A02").get_json()
    editor.delete(
        f"/api/v1/admin/halls/{HALL}/counters/A02",
        headers={"X-CSRF-Token": editor.csrf, "If-Match": str(again["version"])},
    )
    published = publish(editor)
    assert published.status_code == 201, published.get_json()
    assert live_sha(app) == new_sha
    document = app.test_client().get(f"/api/v1/halls/{HALL}").get_json()
    assert "A02" not in {c["number"] for c in document["counters"]}


def test_restoring_a_version_brings_back_its_model_and_an_old_version_keeps_the_model(app, editor):
    versions = editor.get(f"/api/v1/admin/halls/{HALL}/versions").get_json()["versions"]
    newest = versions[0]["number"]
    before = newest - 1  # the version the refurbishment replaced: the mapped model, A02 present
    snapshot = editor.get(f"/api/v1/admin/halls/{HALL}/versions/{before}").get_json()["snapshot"]
    restored = editor.post(
        f"/api/v1/admin/halls/{HALL}/versions/{before}/restore", headers={"X-CSRF-Token": editor.csrf}
    )
    assert restored.status_code == 201, restored.get_json()
    assert live_sha(app) == snapshot["model"]["sha"]
    document = app.test_client().get(f"/api/v1/halls/{HALL}").get_json()
    assert "A02" in {c["number"] for c in document["counters"]}
    assert document["model_url"].endswith(f"?v={snapshot['model']['sha'][:16]}")

    # A version recorded before models joined the drafts carries none: restoring it leaves the model.
    session = app.extensions["db"]()
    first = session.scalar(
        select(PublishedVersion)
        .where(PublishedVersion.scope == f"hall:{HALL}")
        .order_by(PublishedVersion.number)
    )
    first.snapshot = {k: v for k, v in first.snapshot.items() if k != "model"}
    number = first.number
    session.commit()
    session.close()
    kept = live_sha(app)
    restored = editor.post(
        f"/api/v1/admin/halls/{HALL}/versions/{number}/restore", headers={"X-CSRF-Token": editor.csrf}
    )
    assert restored.status_code == 201, restored.get_json()
    assert live_sha(app) == kept


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
    assert into_draft(editor, job).status_code == 409
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


def test_a_model_published_from_the_command_line_is_followed_by_the_version_and_the_draft(
    app, editor, model, tmp_path
):
    """``flask model publish`` points the hall at a model at once: the current version and a draft that put
    in no model of its own follow it, so publishing the draft or restoring the version does not take it back."""
    note = editor.get(f"/api/v1/admin/halls/{HALL}/facts").get_json()
    changed = editor.patch(
        f"/api/v1/admin/halls/{HALL}/facts",
        json={"phone": "0775-1234567", "version": note["version"]},
        headers={"X-CSRF-Token": editor.csrf},
    )
    assert changed.status_code == 200, changed.get_json()  # a draft without a model of its own
    source = tmp_path / "cli.glb"
    source.write_bytes(model)
    result = app.test_cli_runner().invoke(args=["model", "publish", HALL, str(source)])
    assert result.exit_code == 0, result.output
    sha = live_sha(app)
    diff = editor.get(f"/api/v1/admin/halls/{HALL}/draft/diff").get_json()
    assert diff["changes"]["model"] == {"changed": {}}  # the draft follows the live model
    current = editor.get(f"/api/v1/admin/halls/{HALL}/versions/{diff['published_version']}").get_json()
    assert current["snapshot"]["model"]["sha"] == sha
    published = publish(editor)
    assert published.status_code == 201, published.get_json()
    assert live_sha(app) == sha  # the draft's publish kept it
    restored = editor.post(
        f"/api/v1/admin/halls/{HALL}/versions/{diff['published_version']}/restore",
        headers={"X-CSRF-Token": editor.csrf},
    )
    assert restored.status_code == 201, restored.get_json()
    assert live_sha(app) == sha


def test_the_same_model_with_a_corrected_mapping_is_published_with_it_in_every_process(app, editor, model):
    """A modeller's names mapped wrongly (two desks swapped), then the same .glb sent again with the mapping
    corrected: publishing applies the new mapping, though the model's hash is the one already published, and
    what is derived from it is not read back from the first mapping's stored data by a fresh process."""
    first, second = (c["number"] for c in public_counters(app)[:2])
    data = renamed(renamed(model, f"counter:{first}", "Desk_X"), f"counter:{second}", "Desk_Y")
    right = {"Desk_X": f"counter:{first}", "Desk_Y": f"counter:{second}"}
    swapped = {"Desk_X": f"counter:{second}", "Desk_Y": f"counter:{first}"}

    def publish_with(mapping):
        job = checked(app, editor, upload(editor, data, mapping=json.dumps(mapping)))
        assert job["report"]["publishable"] is True, job["report"]["problems"]
        assert into_draft(editor, job).status_code == 200
        published = publish(editor)
        assert published.status_code == 201, published.get_json()

    def anchors():
        return {c["number"]: c["placement"]["anchor"] for c in public_counters(app)}

    publish_with(swapped)
    sha, wrong = live_sha(app), anchors()
    publish_with(right)
    assert live_sha(app) == sha  # the same file ...
    fixed = anchors()
    assert (fixed[first], fixed[second]) == (wrong[second], wrong[first])  # ... with the mapping corrected
    stored = model_folder(app, HALL) / f"{sha}.mapping.json"
    assert json.loads(stored.read_text()) == right

    # Another process (a fresh cache) derives or loads the model with the corrected mapping, not the first.
    with app.app_context():
        session = app.extensions["db"]()
        fresh = hallmodels.ModelCache().get(session.scalar(select(Hall).where(Hall.slug == HALL)))
        session.close()
    assert fresh.geometry.nodes[f"counter:{first}"].anchor == pytest.approx(fixed[first], abs=1e-3)
    assert fresh.geometry.nodes[f"counter:{second}"].anchor == pytest.approx(fixed[second], abs=1e-3)


def public_counters(app) -> list[dict]:
    document = app.test_client().get(f"/api/v1/halls/{HALL}").get_json()
    return sorted(document["counters"], key=lambda c: c["number"])
