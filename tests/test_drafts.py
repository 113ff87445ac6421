"""Drafts → publish → versions → restore for a hall (``publishing.drafts`` with ``halldata``), through the
admin API: edits invisible to citizens until published, the diff field by field, 409 for two editors,
restore as a new version, per-field checks, the audit log; and the snapshot round trip."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from server.models import Hall
from server.publishing import halldata
from tests.staff import Clock, signed_in, staff_app

HALL = "guigang"
BASE = f"/api/v1/admin/halls/{HALL}"


@pytest.fixture(scope="module")
def clock():
    return Clock()


@pytest.fixture(scope="module")
def app(tmp_path_factory, clock):
    return staff_app(tmp_path_factory.mktemp("drafts"), clock)


@pytest.fixture
def editor(app):
    return signed_in(app, "editor.gg")


@pytest.fixture
def admin(app):
    return signed_in(app, "boss")


@pytest.fixture(autouse=True)
def no_draft_left(app):
    yield
    client = signed_in(app, "boss")
    client.delete(f"{BASE}/draft")


def public_counter(app, number: str):
    response = app.test_client().get(f"/api/v1/halls/{HALL}/counters/{number}")
    assert response.status_code == 200
    return response.get_json(), response.headers["ETag"]


def test_snapshot_round_trip_changes_nothing(app):
    with app.app_context():
        from server.db import get_session

        session = get_session()
        hall = session.scalar(select(Hall).where(Hall.slug == HALL))
        before = halldata.snapshot(session, hall)
        assert "A01" in before["counters"] and before["facts"]["hour_presets"]
        halldata.apply(session, hall, before)
        assert not session.dirty and not session.new and not session.deleted
        assert halldata.snapshot(session, hall) == before
        changed = {**before, "counters": dict(before["counters"])}
        changed["counters"]["A01"] = {**before["counters"]["A01"], "status": "paused", "services": []}
        del changed["counters"]["A02"]
        halldata.apply(session, hall, changed)
        assert halldata.snapshot(session, hall) == changed
        session.rollback()


def test_an_edit_is_seen_by_citizens_only_after_publishing(app, editor):
    before, etag = public_counter(app, "A01")
    assert before["status"] == "open" and before["notice"] is None
    current = editor.get(f"{BASE}/counters/A01")
    version = current.get_json()["version"]
    assert current.headers["ETag"] == f'"{version}"'
    notice = {"zh": "系统升级，暂停至 14:00", "en": "System upgrade: paused until 14:00"}
    saved = editor.patch(
        f"{BASE}/counters/A01",
        json={"status": "paused", "notice": notice},
        headers={"If-Match": f'"{version}"'},
    )
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["version"] == version + 1 and saved.get_json()["status"] == "paused"
    assert public_counter(app, "A01") == (before, etag)  # citizens still see the published one

    diff = editor.get(f"{BASE}/draft/diff").get_json()
    assert diff["draft"] is True
    assert diff["changes"]["counters"]["changed"] == {
        "A01": {"notice": {"before": None, "after": notice}, "status": {"before": "open", "after": "paused"}}
    }
    assert diff["changes"]["counters"]["added"] == {} and diff["changes"]["counters"]["removed"] == {}

    published = editor.post(f"{BASE}/publish", json={"summary": "A01 暂停"})
    assert published.status_code == 201, published.get_json()
    after, new_etag = public_counter(app, "A01")
    assert after["status"] == "paused" and after["notice"] == notice and new_etag != etag
    assert after["state"]["code"] == "paused"
    versions = editor.get(f"{BASE}/versions").get_json()["versions"]
    assert versions[0]["number"] == published.get_json()["number"]
    assert versions[0]["created_by"] == "editor.gg" and versions[0]["summary"] == "A01 暂停"
    assert editor.get(f"{BASE}/draft/diff").get_json()["draft"] is False


def test_two_editors_saving_the_same_counter_the_second_gets_409_with_the_firsts_change(app, editor, admin):
    version = editor.get(f"{BASE}/counters/B01").get_json()["version"]
    first = editor.patch(f"{BASE}/counters/B01", json={"phone": "0775-1234567", "version": version})
    assert first.status_code == 200
    second = admin.patch(f"{BASE}/counters/B01", json={"phone": "0775-7654321", "version": version})
    assert second.status_code == 409
    error = second.get_json()["error"]
    assert error["code"] == "conflict" and error["message"] and error["message_en"]
    assert error["details"]["changed_by"] == "editor.gg"
    assert error["details"]["current"]["phone"] == "0775-1234567"
    assert error["details"]["current"]["version"] == version + 1
    assert error["details"]["change"]["before"]["phone"] != "0775-1234567"
    assert admin.get(f"{BASE}/counters/B01").get_json()["phone"] == "0775-1234567"  # not overwritten
    # Without saying which version: refused, not overwritten either.
    assert admin.patch(f"{BASE}/counters/B01", json={"phone": "0775-7654321"}).status_code == 428


def test_bad_input_is_refused_per_field_and_changes_nothing(app, editor):
    version = editor.get(f"{BASE}/counters/B02").get_json()["version"]
    bad = {
        "zone": "nowhere",
        "department": "nope",
        "services": ["no-such-service"],
        "hours": {
            "mon": [["09:00", "08:00"]],
            "tue": [["09:00", "12:00"], ["11:00", "13:00"]],
            "wed": [["25:00", "26:00"]],
        },
        "notice": {"zh": "停" * 201, "en": "x"},
        "phone": "call me",
        "status": "asleep",
        "colour": "red",
    }
    response = editor.patch(f"{BASE}/counters/B02", json={**bad, "version": version})
    assert response.status_code == 422
    fields = {d["field"] for d in response.get_json()["error"]["details"]}
    assert {"zone", "department", "services", "hours.mon", "hours.tue", "hours.wed", "notice.zh"} <= fields
    assert {"phone", "status", "colour"} <= fields
    assert all(d["zh"] and d["en"] for d in response.get_json()["error"]["details"])
    assert editor.get(f"{BASE}/counters/B02").get_json()["version"] == version
    assert editor.get(f"{BASE}/draft/diff").get_json()["draft"] is False
    taken = editor.post(f"{BASE}/counters", json={"number": "B02", "name": {"zh": "重", "en": "Dup"}})
    assert taken.status_code == 409
    malformed = editor.post(f"{BASE}/counters", json={"number": "b-2"})
    assert malformed.status_code == 422 and malformed.get_json()["error"]["details"][0]["field"] == "number"
    facts = editor.get(f"{BASE}/facts").get_json()
    wrong = editor.patch(
        f"{BASE}/facts", json={"phone": "x", "time_zone": "Mars/Base", "version": facts["version"]}
    )
    assert wrong.status_code == 422
    assert {d["field"] for d in wrong.get_json()["error"]["details"]} == {"phone", "time_zone"}


def test_add_and_remove_counters_then_restore_an_older_version(app, editor):
    first_public = app.test_client().get(f"/api/v1/halls/{HALL}").get_json()
    start = editor.get(f"{BASE}/versions").get_json()["versions"][0]["number"]
    zone = editor.get(f"{BASE}/counters/B01").get_json()
    new = {
        "number": "B99",
        "name": {"zh": "新窗口", "en": "New counter"},
        "type": zone["type"],
        "zone": zone["zone"],
        "floor": zone["floor"],
        "hours": zone["hours"],
    }
    added = editor.post(f"{BASE}/counters", json=new)
    assert added.status_code == 201, added.get_json()
    assert added.headers["Location"].endswith("/counters/B99") and added.get_json()["version"] == 1
    a02 = editor.get(f"{BASE}/counters/A02").get_json()
    assert editor.delete(f"{BASE}/counters/A02", headers={"If-Match": str(a02["version"])}).status_code == 204
    diff = editor.get(f"{BASE}/draft/diff").get_json()["changes"]["counters"]
    assert list(diff["added"]) == ["B99"] and list(diff["removed"]) == ["A02"]
    assert editor.post(f"{BASE}/publish").status_code == 201
    numbers = {c["number"] for c in app.test_client().get(f"/api/v1/halls/{HALL}").get_json()["counters"]}
    assert "B99" in numbers and "A02" not in numbers

    restored = editor.post(f"{BASE}/versions/{start}/restore")
    assert restored.status_code == 201, restored.get_json()
    assert restored.get_json()["restored_from"] == start and restored.get_json()["number"] > start + 1
    again = app.test_client().get(f"/api/v1/halls/{HALL}").get_json()
    assert again["counters"] == first_public["counters"]
    old = editor.get(f"{BASE}/versions/{start}").get_json()
    assert "B99" not in old["snapshot"]["counters"]


def test_publishing_a_draft_begun_before_the_current_version_is_refused(app, editor, admin):
    version = editor.get(f"{BASE}/counters/C01").get_json()["version"]
    assert (
        editor.patch(f"{BASE}/counters/C01", json={"low_counter": True, "version": version}).status_code
        == 200
    )
    start = editor.get(f"{BASE}/versions").get_json()["versions"][-1]["number"]
    assert admin.post(f"{BASE}/versions/{start}/restore").status_code == 201
    refused = editor.post(f"{BASE}/publish")
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "stale_draft"
    assert admin.delete(f"{BASE}/draft").status_code == 204
    assert admin.post(f"{BASE}/publish").get_json()["error"]["code"] == "no_draft"


def test_viewers_read_and_do_not_write(app):
    viewer = signed_in(app, "looker")
    assert viewer.get(f"{BASE}/counters?floor=1&sort=-number").status_code == 200
    version = viewer.get(f"{BASE}/counters/A01").get_json()["version"]
    response = viewer.patch(f"{BASE}/counters/A01", json={"phone": "0775-1", "version": version})
    assert response.status_code == 403
    other = signed_in(app, "editor.pn")
    assert other.get(f"{BASE}/counters").status_code == 403
    assert other.get("/api/v1/admin/halls/pingnan/counters").status_code == 200


def test_the_counter_list_filters_and_sorts(app, editor):
    everything = editor.get(f"{BASE}/counters").get_json()["counters"]
    numbers = [c["number"] for c in everything]
    assert numbers == sorted(numbers)
    paused = editor.get(f"{BASE}/counters?status=open&zone=zhsl").get_json()["counters"]
    assert paused and all(c["zone"] == "zhsl" and c["status"] == "open" for c in paused)
    found = editor.get(f"{BASE}/counters", query_string={"q": "不动产"}).get_json()["counters"]
    assert found and all("不动产" in c["name"]["zh"] for c in found)
    backwards = [c["number"] for c in editor.get(f"{BASE}/counters?sort=-number").get_json()["counters"]]
    assert backwards == numbers[::-1]
    assert editor.get(f"{BASE}/counters?sort=colour").status_code == 400
    assert editor.get(f"{BASE}/counters?status=asleep").status_code == 400


def test_the_audit_log_records_every_change_and_exports_csv(app, editor, admin):
    version = editor.get(f"{BASE}/counters/D01").get_json()["version"]
    editor.patch(f"{BASE}/counters/D01", json={"phone": "0775-2222222", "version": version})
    admin.delete(f"{BASE}/draft")
    entries = admin.get("/api/v1/admin/audit", query_string={"hall": HALL, "object_id": "D01"}).get_json()
    assert entries["total"] >= 1
    change = entries["entries"][0]
    assert change["user"] == "editor.gg" and change["action"] == "update"
    assert change["before"]["phone"] != change["after"]["phone"] == "0775-2222222"
    discards = admin.get("/api/v1/admin/audit?object_type=draft&user=boss").get_json()["entries"]
    assert discards and discards[0]["action"] == "discard"
    page = admin.get("/api/v1/admin/audit?per_page=1&page=2").get_json()
    assert page["per_page"] == 1 and len(page["entries"]) == 1
    assert admin.get("/api/v1/admin/audit?since=yesterday").status_code == 400
    assert admin.get("/api/v1/admin/audit?since=2099-01-01").get_json()["total"] == 0
    # An editor sees only their own hall's entries.
    mine = editor.get("/api/v1/admin/audit?per_page=200").get_json()["entries"]
    assert mine and {e["scope"] for e in mine} == {f"hall:{HALL}"}
    assert editor.get("/api/v1/admin/audit?hall=pingnan").status_code == 403
    assert editor.get(f"/api/v1/admin/audit?hall={HALL}").status_code == 200
    exported = admin.get(f"/api/v1/admin/audit.csv?hall={HALL}&object_id=D01")
    assert exported.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["at", "user", "scope"] and rows[1][1] == "editor.gg"


@pytest.fixture(scope="module")
def modelled_app(tmp_path_factory):
    return staff_app(tmp_path_factory.mktemp("drafts-model"), Clock(), models=True)


def test_publishing_is_refused_with_the_report_while_counters_and_model_disagree(modelled_app):
    editor = signed_in(modelled_app, "editor.gg")
    versions = editor.get(f"{BASE}/versions").get_json()["versions"]
    b01 = editor.get(f"{BASE}/counters/B01").get_json()
    new = {k: b01[k] for k in ("type", "zone", "floor", "hours")}
    added = editor.post(
        f"{BASE}/counters", json={**new, "number": "B98", "name": {"zh": "无模型", "en": "No node"}}
    )
    assert added.status_code == 201
    refused = editor.post(f"{BASE}/publish")
    assert refused.status_code == 409, refused.get_json()
    error = refused.get_json()["error"]
    assert error["code"] == "not_one_to_one"
    report = error["details"]["report"]
    assert report["publishable"] is False
    assert any("B98" in (p["node"] + p["message_en"]) for p in report["problems"]), report["problems"]
    # Nothing applied: no new version, citizens see no B98.
    assert editor.get(f"{BASE}/versions").get_json()["versions"] == versions
    public = modelled_app.test_client().get(f"/api/v1/halls/{HALL}/counters/B98")
    assert public.status_code == 404
    # Without the unmodelled counter (and with a change the model does not care about) it publishes.
    assert editor.delete(f"{BASE}/counters/B98", headers={"If-Match": "1"}).status_code == 204
    assert (
        editor.patch(
            f"{BASE}/counters/B01", json={"phone": "0775-3333333", "version": b01["version"]}
        ).status_code
        == 200
    )
    assert editor.post(f"{BASE}/publish").status_code == 201
    assert (
        modelled_app.test_client().get(f"/api/v1/halls/{HALL}/counters/B01").get_json()["phone"]
        == "0775-3333333"
    )


def test_two_first_drafts_at_the_same_moment_the_second_is_told_to_try_again(app, clock):
    from server.publishing import drafts

    with app.app_context():
        first, second = app.extensions["db"](), app.extensions["db"]()
        try:
            edits = []
            for session in (first, second):
                scope = drafts.resolve(session, f"hall:{HALL}")
                counter = drafts.get_object(session, scope, "counters", "E01")
                edits.append((session, scope, counter))
            for (session, scope, counter), phone in zip(edits, ("0775-1111111", "0775-2222222"), strict=True):
                drafts.save(
                    session,
                    scope,
                    "counters",
                    "E01",
                    {**counter, "phone": phone},
                    expected=counter["version"],
                    user="editor.gg",
                    now=clock.now,
                )
            drafts.commit(second)  # the second made its draft first
            with pytest.raises(drafts.Conflict) as refused:
                drafts.commit(first)
            assert refused.value.status == 409 and refused.value.code == "busy"
        finally:
            first.close()
            second.close()
    assert signed_in(app, "boss").get(f"{BASE}/counters/E01").get_json()["phone"] == "0775-2222222"
