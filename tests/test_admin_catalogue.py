"""The services catalogue edited through drafts (the ``catalogue`` scope; server/web/admin/services.py,
server/publishing/cataloguedata.py): citizens see an edit only after publishing, a stale save is 409, each
bad field is named, a service a counter takes is not removed, versions restore. Who may call which is in
test_admin_access."""

from __future__ import annotations

import pytest

from tests.staff import Clock, sign_in, staff_app

SERVICE = "bdc-dygh"
URL = f"/api/v1/admin/services/{SERVICE}"


@pytest.fixture
def app(tmp_path):
    return staff_app(tmp_path, Clock())


def _client(app, name: str):
    client = app.test_client()
    client.environ_base["HTTP_X_CSRF_TOKEN"] = sign_in(client, name).get_json()["csrf_token"]
    return client


@pytest.fixture
def boss(app):
    return _client(app, "boss")


@pytest.fixture
def editor(app):
    return _client(app, "editor.pn")  # an editor of another hall: the catalogue is shared


def test_an_edit_reaches_citizens_only_when_published_and_a_version_restores(app, boss, editor):
    public = app.test_client()
    before = public.get(f"/api/v1/services/{SERVICE}")
    form = editor.get(URL).get_json()
    assert form["version"] == 1 and editor.get(URL).headers["ETag"] == '"1"'
    materials = form["materials"]
    moved = [materials[1], materials[0], *materials[2:]]
    saved = editor.patch(
        URL, json={"version": 1, "name": {**form["name"], "zh": "带押过户（新）"}, "materials": moved}
    )
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["version"] == 2

    # The draft's view says what changed; citizens still see the published item, with the same ETag.
    listed = editor.get("/api/v1/admin/services", query_string={"q": "过户（新"}).get_json()
    assert listed["draft"] and [(s["slug"], s["changed"]) for s in listed["services"]] == [(SERVICE, True)]
    same = public.get(f"/api/v1/services/{SERVICE}")
    assert same.headers["ETag"] == before.headers["ETag"]
    assert same.get_json()["name"]["zh"] == before.get_json()["name"]["zh"] != "带押过户（新）"
    diff = editor.get("/api/v1/admin/catalogue/draft/diff").get_json()
    changed = diff["changes"]["services"]["changed"][SERVICE]
    assert set(changed) == {"name", "materials"} and changed["name"]["after"]["zh"] == "带押过户（新）"

    assert editor.post("/api/v1/admin/catalogue/publish", json={}).status_code == 403  # admins publish
    published = boss.post("/api/v1/admin/catalogue/publish", json={"summary": "新名称"})
    assert published.status_code == 201, published.get_json()
    assert published.get_json()["number"] == 2
    after = public.get(f"/api/v1/services/{SERVICE}")
    assert after.headers["ETag"] != before.headers["ETag"]
    doc = after.get_json()
    assert doc["name"]["zh"] == "带押过户（新）"
    assert [m["name"]["zh"] for m in doc["materials"][:2]] == [m["name"]["zh"] for m in moved[:2]]
    assert not editor.get("/api/v1/admin/catalogue/draft/diff").get_json()["draft"]

    versions = boss.get("/api/v1/admin/catalogue/versions").get_json()["versions"]
    assert [v["number"] for v in versions] == [2, 1] and versions[0]["created_by"] == "boss"
    assert boss.get("/api/v1/admin/catalogue/versions/1").get_json()["snapshot"]["services"][SERVICE]
    restored = boss.post("/api/v1/admin/catalogue/versions/1/restore", json={})
    assert restored.status_code == 201 and restored.get_json()["restored_from"] == 1
    assert (
        public.get(f"/api/v1/services/{SERVICE}").get_json()["name"]["zh"] == before.get_json()["name"]["zh"]
    )

    log = editor.get("/api/v1/admin/audit", query_string={"scope": "catalogue"}).get_json()["entries"]
    assert [(e["action"], e["object_type"], e["user"]) for e in log] == [
        ("restore", "version", "boss"),
        ("publish", "version", "boss"),
        ("update", "service", "editor.pn"),
    ]


def test_a_save_from_an_old_version_is_409_with_the_other_change(boss, editor):
    form = editor.get(URL).get_json()
    assert form["promised_limit_days"] not in (2, 3)
    assert boss.patch(URL, json={"version": form["version"], "promised_limit_days": 2}).status_code == 200
    stale = editor.patch(URL, json={"version": form["version"], "promised_limit_days": 3})
    assert stale.status_code == 409
    details = stale.get_json()["error"]["details"]
    assert details["changed_by"] == "boss" and details["current"]["promised_limit_days"] == 2
    assert editor.get(URL).get_json()["promised_limit_days"] == 2  # nothing overwritten
    assert editor.patch(URL, json={"promised_limit_days": 3}).status_code == 428


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"online": {"pc": "http://zwfw.gxzf.gov.cn/x", "mobile": "https://zwfw.gxzf.gov.cn/m"}},
            "online.pc",
        ),
        (
            {"online": {"pc": "https://zwfw.gxzf.gov.cn/x", "mobile": "https://evil.example/m"}},
            "online.mobile",
        ),
        ({"promised_limit_days": 45}, "promised_limit_days"),
    ],
)
def test_each_bad_field_is_named_and_nothing_is_saved(editor, change, field):
    form = editor.get(URL).get_json()
    response = editor.patch(URL, json={"version": form["version"], **change})
    assert response.status_code == 422
    details = response.get_json()["error"]["details"]
    assert [p["field"] for p in details] == [field]
    assert details[0]["zh"] and details[0]["en"]
    assert editor.get(URL).get_json() == form
    assert not editor.get("/api/v1/admin/catalogue/draft/diff").get_json()["draft"]


def test_copies_and_the_guide_are_checked_where_they_are(editor):
    form = editor.get(URL).get_json()
    materials = [dict(m) for m in form["materials"]]
    materials[1]["copies"] = -1
    guide = {**form["guide"], "summary_en": "See [the form](https://evil.example/form)."}
    response = editor.patch(URL, json={"version": form["version"], "materials": materials, "guide": guide})
    assert response.status_code == 422
    fields = sorted(p["field"] for p in response.get_json()["error"]["details"])
    assert fields == ["guide.summary_en", "materials[1].copies"]


def test_adding_and_removing_in_the_draft(app, boss, editor):
    form = editor.get(URL).get_json()
    new = {k: v for k, v in form.items() if k != "version"} | {
        "slug": "bdc-new",
        "code": "1245080000000000NEW1",
    }
    assert editor.post("/api/v1/admin/services", json=new).status_code == 201
    again = editor.post("/api/v1/admin/services", json=new)
    assert again.status_code == 409
    taken = editor.post("/api/v1/admin/services", json={**new, "slug": "bdc-other"})
    assert taken.status_code == 422 and taken.get_json()["error"]["details"][0]["field"] == "code"

    # bdc-dygh is handled by counters: removing it is refused, naming them.
    refused = editor.delete(URL, json={"version": form["version"]})
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert error["code"] == "service_in_use" and error["details"]["counters"]
    assert all("/" in c for c in error["details"]["counters"])
    assert editor.delete("/api/v1/admin/services/bdc-new", json={"version": 1}).status_code == 204
    assert editor.get("/api/v1/admin/services/bdc-new").status_code == 404
    diff = editor.get("/api/v1/admin/catalogue/draft/diff").get_json()["changes"]["services"]
    assert diff == {"added": {}, "changed": {}, "removed": {}}
    assert boss.delete("/api/v1/admin/catalogue/draft").status_code == 204
    assert boss.delete("/api/v1/admin/catalogue/draft").status_code == 404
