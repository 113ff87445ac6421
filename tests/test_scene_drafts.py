"""Scenes in a hall's draft (``halldata`` scenes, ``web/admin/scenes.py``): the snapshot round trip, edits
seen by citizens only after publishing (initial view, arrival view, hotspot override), restore, each bad
value refused naming its field with nothing changed, 409/428/CSRF/roles, and the check before publishing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.models import Hall
from server.publishing import halldata
from tests.staff import Clock, signed_in, staff_app

HALL = "guigang"
BASE = f"/api/v1/admin/halls/{HALL}"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return staff_app(tmp_path_factory.mktemp("scene-drafts"), Clock(), models=True)


@pytest.fixture
def editor(app):
    return signed_in(app, "editor.gg")


@pytest.fixture(autouse=True)
def no_draft_left(app):
    yield
    signed_in(app, "boss").delete(f"{BASE}/draft")


def public_hall(app):
    response = app.test_client().get(f"/api/v1/halls/{HALL}")
    assert response.status_code == 200
    return {s["id"]: s for s in response.get_json()["scenes"]}, response.headers["ETag"]


def test_scene_snapshot_round_trip_with_views_links_and_overrides(app):
    with app.app_context():
        from server.db import get_session

        session = get_session()
        hall = session.scalar(select(Hall).where(Hall.slug == HALL))
        before = halldata.snapshot(session, hall)
        assert set(before["scenes"]["lobby"]["links"]) >= {"entrance", "zhsl"}
        halldata.apply(session, hall, before)
        assert not session.dirty and not session.new and not session.deleted
        assert halldata.snapshot(session, hall) == before
        changed = {**before, "scenes": {k: dict(v) for k, v in before["scenes"].items()}}
        lobby = changed["scenes"]["lobby"]
        lobby["initial_view"] = {"yaw": 12.5, "pitch": -4.0}
        lobby["links"] = {"entrance": {"arrival": {"yaw": -170.0, "pitch": 3.0}}, "zhsl": {"arrival": None}}
        lobby["overrides"] = {"counter:A01": {"yaw": 30.0, "pitch": None, "hidden": False}}
        lobby["position"] = [0.5, 1.6, 3.5]
        del changed["scenes"]["zizhu"]
        changed["scenes"]["zhsl"] = {**changed["scenes"]["zhsl"], "links": {"lobby": {"arrival": None}}}
        changed["scenes"]["new-one"] = {
            **before["scenes"]["sw"],
            "code": "new-one",
            "links": {"sw": {"arrival": {"yaw": 0.0, "pitch": 0.0}}},
            "overrides": {},
            "panorama": None,
        }
        halldata.apply(session, hall, changed)
        assert halldata.snapshot(session, hall) == changed
        session.rollback()


def test_scene_edits_reach_citizens_only_when_published_and_restore_brings_the_old_back(app, editor):
    before, etag = public_hall(app)
    assert before["lobby"]["initial_view"] is None and before["lobby"]["arrivals"] == {}
    first_version = editor.get(f"{BASE}/versions").get_json()["versions"][0]["number"]
    listed = editor.get(f"{BASE}/scenes").get_json()
    assert listed["entrance"] == "entrance"
    lobby = next(s for s in listed["scenes"] if s["code"] == "lobby")
    spot = next(h for h in lobby["hotspots"] if h["kind"] == "counter" and not h["overridden"])
    assert spot["computed"] == {"yaw": spot["yaw"], "pitch": spot["pitch"]}

    scene = editor.get(f"{BASE}/scenes/lobby")
    version = scene.get_json()["version"]
    assert scene.headers["ETag"] == f'"{version}"'
    links = {**scene.get_json()["links"], "zhsl": {"arrival": {"yaw": -90.0, "pitch": -5.0}}}
    saved = editor.put(
        f"{BASE}/scenes/lobby",
        json={"initial_view": {"yaw": 45.0, "pitch": -10.0}, "links": links, "version": version},
    )
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["version"] == version + 1
    moved = editor.put(
        f"{BASE}/scenes/lobby/hotspots/{spot['target']}",
        json={"yaw": -33.5, "pitch": 2.0},
        headers={"If-Match": f'"{version + 1}"'},
    )
    assert moved.status_code == 200, moved.get_json()
    listed = {s["code"]: s for s in editor.get(f"{BASE}/scenes").get_json()["scenes"]}
    (shown,) = [h for h in listed["lobby"]["hotspots"] if h["target"] == spot["target"]]
    assert shown["overridden"] and (shown["yaw"], shown["pitch"]) == (-33.5, 2.0)
    assert shown["computed"] == spot["computed"]
    assert public_hall(app) == (before, etag)  # citizens still see the published scenes

    published = editor.post(f"{BASE}/publish", json={"summary": "大厅视角"})
    assert published.status_code == 201, published.get_json()
    assert published.get_json()["check"]["errors"] == []
    after, new_etag = public_hall(app)
    assert new_etag != etag
    assert after["lobby"]["initial_view"] == {"yaw": 45.0, "pitch": -10.0}
    assert after["lobby"]["arrivals"] == {"zhsl": {"yaw": -90.0, "pitch": -5.0}}
    (public_spot,) = [h for h in after["lobby"]["hotspots"] if h["target"] == spot["target"]]
    assert (public_spot["yaw"], public_spot["pitch"], public_spot["source"]) == (-33.5, 2.0, "override")
    audit = editor.get("/api/v1/admin/audit", query_string={"hall": HALL, "object_type": "scene"}).get_json()
    assert {e["object_id"] for e in audit["entries"]} >= {"lobby"}

    restored = editor.post(f"{BASE}/versions/{first_version}/restore")
    assert restored.status_code == 201, restored.get_json()
    again, _ = public_hall(app)
    assert again["lobby"]["initial_view"] is None and again["lobby"]["arrivals"] == {}
    assert again["lobby"]["hotspots"] == before["lobby"]["hotspots"]


BAD = [
    ({"initial_view": {"yaw": 180, "pitch": 0}}, "initial_view.yaw"),
    ({"initial_view": {"yaw": 0, "pitch": 90.5}}, "initial_view.pitch"),
    ({"initial_view": {"yaw": 0}}, "initial_view"),
    ({"heading": "north"}, "heading"),
    ({"links": {"nowhere": {"arrival": None}}}, "links.nowhere"),
    ({"links": {"lobby": {"arrival": None}}}, "links.lobby"),
    ({"links": {"entrance": {"arrival": {"yaw": -181, "pitch": 0}}}}, "links.entrance.arrival.yaw"),
    ({"overrides": {"counter:ZZ99": {"hidden": True}}}, "overrides.counter:ZZ99"),
    ({"overrides": {"bench:1": {"hidden": True}}}, "overrides.bench:1"),
    ({"position": [500.0, 1.6, 3.0]}, "position"),
    ({"position": [0, 1.6]}, "position"),
    ({"floor": 7}, "floor"),
    ({"name": {"zh": "", "en": "Lobby"}}, "name.zh"),
    ({"panorama": {"path": "/panoramas/x/%l/%s%y_%x"}}, "panorama"),
    ({"colour": "red"}, "colour"),
]


@pytest.mark.parametrize(("change", "field"), BAD, ids=[f for _c, f in BAD])
def test_bad_values_are_refused_naming_the_field_and_change_nothing(app, editor, change, field):
    scene = editor.get(f"{BASE}/scenes/lobby").get_json()
    refused = editor.put(f"{BASE}/scenes/lobby", json={**change, "version": scene["version"]})
    assert refused.status_code == 422, refused.get_json()
    error = refused.get_json()["error"]
    assert field in [p["field"] for p in error["details"]], error["details"]
    assert all(p["zh"] and p["en"] for p in error["details"])
    assert editor.get(f"{BASE}/scenes/lobby").get_json() == scene
    assert editor.get(f"{BASE}/draft/diff").get_json()["draft"] is False


def test_bad_hotspot_corrections_are_refused_naming_the_field(app, editor):
    version = editor.get(f"{BASE}/scenes/lobby").get_json()["version"]
    for body, field in [
        ({"yaw": 200}, "overrides.counter:A01.yaw"),
        ({"pitch": -95}, "overrides.counter:A01.pitch"),
        ({"hidden": "yes"}, "overrides.counter:A01.hidden"),
        ({"size": 3}, "size"),
    ]:
        refused = editor.put(f"{BASE}/scenes/lobby/hotspots/counter:A01", json={**body, "version": version})
        assert refused.status_code == 422, refused.get_json()
        assert field in [p["field"] for p in refused.get_json()["error"]["details"]]
    assert editor.get(f"{BASE}/draft/diff").get_json()["draft"] is False


def test_stale_versions_missing_versions_csrf_and_roles(app, editor):
    version = editor.get(f"{BASE}/scenes/sw").get_json()["version"]
    other = signed_in(app, "boss")
    first = other.put(f"{BASE}/scenes/sw", json={"heading": 80.0, "version": version})
    assert first.status_code == 200
    stale = editor.put(f"{BASE}/scenes/sw", json={"heading": 70.0, "version": version})
    assert stale.status_code == 409
    details = stale.get_json()["error"]["details"]
    assert details["changed_by"] == "boss" and details["current"]["heading"] == 80.0
    stale_hotspot = editor.put(
        f"{BASE}/scenes/sw/hotspots/counter:A01", json={"hidden": True, "version": version}
    )
    assert stale_hotspot.status_code == 409
    assert editor.delete(f"{BASE}/scenes/sw").status_code == 428
    assert editor.put(f"{BASE}/scenes/sw/hotspots/counter:A01", json={"hidden": True}).status_code == 428
    no_csrf = signed_in(app, "editor.gg", csrf=False)
    assert no_csrf.put(f"{BASE}/scenes/sw", json={"heading": 1.0, "version": version + 1}).status_code == 403
    assert signed_in(app, "looker").put(f"{BASE}/scenes/sw", json={"heading": 1.0}).status_code == 403
    assert signed_in(app, "editor.pn").get(f"{BASE}/scenes").status_code == 403
    assert editor.get(f"{BASE}/scenes/sw").get_json()["heading"] == 80.0  # the refused saves changed nothing
    reset = editor.delete(f"{BASE}/scenes/sw/hotspots/counter:A01", headers={"If-Match": f'"{version + 1}"'})
    assert reset.status_code == 404  # no correction to reset
    assert editor.get(f"{BASE}/scenes/nowhere").status_code == 404


def test_add_a_scene_correct_and_reset_a_hotspot(app, editor):
    sw = editor.get(f"{BASE}/scenes/sw").get_json()
    added = editor.put(
        f"{BASE}/scenes/sw-2",
        json={
            "name": {"zh": "税务区二", "en": "Taxation 2"},
            "floor": 1,
            "position": [22.0, 1.6, 0.0],
            "heading": 90.0,
            "links": {"sw": {"arrival": {"yaw": 10.0, "pitch": 0.0}}},
        },
    )
    assert added.status_code == 201, added.get_json()
    assert added.headers["Location"] == f"{BASE}/scenes/sw-2"
    assert added.get_json()["panorama"] is None and added.get_json()["version"] == 1
    taken = editor.put(f"{BASE}/scenes/sw-2", json={"heading": 0.0, "version": 7})
    assert taken.status_code == 409
    hidden = editor.put(
        f"{BASE}/scenes/sw/hotspots/scene:lobby", json={"hidden": True, "version": sw["version"]}
    )
    assert hidden.get_json()["overrides"] == {"scene:lobby": {"yaw": None, "pitch": None, "hidden": True}}
    listed = {s["code"]: s for s in editor.get(f"{BASE}/scenes").get_json()["scenes"]}
    (arrow,) = [h for h in listed["sw"]["hotspots"] if h["target"] == "scene:lobby"]
    assert arrow["hidden"] and arrow["overridden"] and arrow["computed"] is not None
    moved = editor.put(
        f"{BASE}/scenes/sw/hotspots/scene:lobby",
        json={"yaw": 12.5, "pitch": -3.0, "version": sw["version"] + 1},
    )
    assert moved.get_json()["overrides"] == {"scene:lobby": {"yaw": 12.5, "pitch": -3.0, "hidden": True}}
    # Reset restores the computed position and keeps it hidden; reset again once shown drops the override.
    kept = editor.delete(f"{BASE}/scenes/sw/hotspots/scene:lobby", json={"version": sw["version"] + 2})
    assert kept.status_code == 200
    assert kept.get_json()["overrides"] == {"scene:lobby": {"yaw": None, "pitch": None, "hidden": True}}
    listed = {s["code"]: s for s in editor.get(f"{BASE}/scenes").get_json()["scenes"]}
    (arrow,) = [h for h in listed["sw"]["hotspots"] if h["target"] == "scene:lobby"]
    assert arrow["hidden"] and (arrow["yaw"], arrow["pitch"]) == (
        arrow["computed"]["yaw"],
        arrow["computed"]["pitch"],
    )
    shown = editor.put(
        f"{BASE}/scenes/sw/hotspots/scene:lobby", json={"hidden": False, "version": sw["version"] + 3}
    )
    assert shown.status_code == 200
    back = editor.delete(f"{BASE}/scenes/sw/hotspots/scene:lobby", json={"version": sw["version"] + 4})
    assert back.status_code == 200 and back.get_json()["overrides"] == {}
    check = editor.get(f"{BASE}/scenes/check").get_json()
    assert check["errors"] == []
    assert [w["scene"] for w in check["warnings"] if w["code"] == "unreachable_scene"] == ["sw-2"]


def test_the_check_refuses_links_and_overrides_to_what_no_longer_exists(app, editor):
    zhsl = editor.get(f"{BASE}/scenes/zhsl").get_json()
    lobby = editor.get(f"{BASE}/scenes/lobby").get_json()
    # A correction in the lobby of the arrow to zizhu (the model draws none: the lobby does not link there).
    corrected = editor.put(
        f"{BASE}/scenes/lobby/hotspots/scene:zizhu", json={"yaw": 1.0, "version": lobby["version"]}
    )
    assert corrected.status_code == 200, corrected.get_json()
    # zizhu removed while zhsl still links to it; scjg no longer linked from anywhere.
    zizhu = editor.get(f"{BASE}/scenes/zizhu").get_json()
    assert (
        editor.delete(f"{BASE}/scenes/zizhu", headers={"If-Match": f'"{zizhu["version"]}"'}).status_code
        == 204
    )
    for code in ("zhsl", "lobby"):
        scene = editor.get(f"{BASE}/scenes/{code}").get_json()
        links = {k: v for k, v in scene["links"].items() if k != "scjg"}
        assert (
            editor.put(
                f"{BASE}/scenes/{code}", json={"links": links, "version": scene["version"]}
            ).status_code
            == 200
        )
    check = editor.get(f"{BASE}/scenes/check").get_json()
    errors = {(e["code"], e["scene"], e["target"]) for e in check["errors"]}
    assert errors == {
        ("link_to_deleted_scene", "zhsl", "scene:zizhu"),
        ("override_of_deleted_target", "lobby", "scene:zizhu"),
    }
    assert all("zhsl" in e["zh"] + e["en"] or "lobby" in e["en"] for e in check["errors"])
    warnings = {(w["code"], w["scene"]) for w in check["warnings"]}
    assert ("unreachable_scene", "scjg") in warnings
    versions = editor.get(f"{BASE}/versions").get_json()["versions"]
    refused = editor.post(f"{BASE}/publish")
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert error["code"] == "misleading" and error["details"]["check"] == {
        k: check[k] for k in ("errors", "warnings")
    }
    assert editor.get(f"{BASE}/versions").get_json()["versions"] == versions  # nothing published
    assert "zizhu" in public_hall(app)[0]
    # Fixed: the link dropped, the correction reset; the warnings come with the publish.
    zhsl = editor.get(f"{BASE}/scenes/zhsl").get_json()
    links = {k: v for k, v in zhsl["links"].items() if k != "zizhu"}
    assert (
        editor.put(f"{BASE}/scenes/zhsl", json={"links": links, "version": zhsl["version"]}).status_code
        == 200
    )
    lobby = editor.get(f"{BASE}/scenes/lobby").get_json()
    assert (
        editor.delete(
            f"{BASE}/scenes/lobby/hotspots/scene:zizhu", json={"version": lobby["version"]}
        ).status_code
        == 200
    )
    published = editor.post(f"{BASE}/publish")
    assert published.status_code == 201, published.get_json()
    assert published.get_json()["check"]["errors"] == []
    assert ("unreachable_scene", "scjg") in {
        (w["code"], w["scene"]) for w in published.get_json()["check"]["warnings"]
    }
    assert "zizhu" not in public_hall(app)[0]
    restored = editor.post(f"{BASE}/versions/{versions[0]['number']}/restore")
    assert restored.status_code == 201, restored.get_json()
    assert "zizhu" in public_hall(app)[0]


def test_a_counter_hidden_in_every_scene_is_warned_of(app, editor):
    listed = editor.get(f"{BASE}/scenes").get_json()["scenes"]
    seen: dict[str, list[str]] = {}
    for scene in listed:
        for h in scene["hotspots"]:
            if h["kind"] == "counter" and not h["hidden"]:
                seen.setdefault(h["target"], []).append(scene["code"])
    target, codes = min(seen.items(), key=lambda item: len(item[1]))
    assert not any(w["target"] == target for w in editor.get(f"{BASE}/scenes/check").get_json()["warnings"])
    for code in codes:
        version = editor.get(f"{BASE}/scenes/{code}").get_json()["version"]
        hidden = editor.put(
            f"{BASE}/scenes/{code}/hotspots/{target}", json={"hidden": True, "version": version}
        )
        assert hidden.status_code == 200
    warnings = editor.get(f"{BASE}/scenes/check").get_json()["warnings"]
    assert ("seen_from_no_scene", target) in {(w["code"], w["target"]) for w in warnings}


def test_a_panorama_added_by_the_command_line_is_not_taken_back_by_a_publish(app, editor, tmp_path):
    from tests.test_panorama_store import equirect_file

    lobby = editor.get(f"{BASE}/scenes/lobby").get_json()
    renamed = {"zh": "中庭导办台（新）", "en": "Atrium desk"}
    assert (
        editor.put(f"{BASE}/scenes/lobby", json={"name": renamed, "version": lobby["version"]}).status_code
        == 200
    )
    image = equirect_file(tmp_path / "lobby.jpg")
    result = app.test_cli_runner().invoke(args=["panorama", "add", HALL, "lobby", str(image)])
    assert result.exit_code == 0, result.output
    tiles = public_hall(app)[0]["lobby"]["tiles"]
    assert tiles is not None and tiles["version"] != (lobby["panorama"] or {}).get("version")
    assert editor.get(f"{BASE}/scenes/lobby").get_json()["panorama"]["version"] == tiles["version"]
    published = editor.post(f"{BASE}/publish")
    assert published.status_code == 201, published.get_json()
    after = public_hall(app)[0]["lobby"]
    assert after["name"] == renamed and after["tiles"] == tiles


def test_a_version_recorded_before_scenes_were_in_drafts_keeps_the_scenes(app, editor):
    from server.db import get_session
    from server.models import PublishedVersion
    from server.publishing import drafts

    with app.app_context():
        session = get_session()
        scope = drafts.resolve(session, f"hall:{HALL}")
        current = drafts.latest(session, scope)
        old = {k: v for k, v in current.snapshot.items() if k != "scenes"}
        session.add(
            PublishedVersion(
                scope=scope.name,
                number=current.number + 1,
                snapshot=old,
                created_by=None,
                created_at=current.created_at,
                summary="before scenes",
                restored_from=None,
            )
        )
        session.commit()
        number = current.number + 1
    before, _ = public_hall(app)
    listed = editor.get(f"{BASE}/scenes").get_json()
    assert {s["code"] for s in listed["scenes"]} == set(before)  # from the live tables, each at version 1
    assert all(s["version"] == 1 for s in listed["scenes"])
    sw = editor.get(f"{BASE}/scenes/sw").get_json()
    assert editor.put(f"{BASE}/scenes/sw", json={"heading": 85.0, "version": 1}).status_code == 200
    assert editor.get(f"{BASE}/draft/diff").get_json()["changes"]["scenes"]["changed"] == {
        "sw": {"heading": {"before": sw["heading"], "after": 85.0}}
    }
    assert editor.post(f"{BASE}/publish").status_code == 201
    assert public_hall(app)[0]["sw"]["heading"] == 85.0
    restored = editor.post(f"{BASE}/versions/{number}/restore")
    assert restored.status_code == 201, restored.get_json()
    assert set(public_hall(app)[0]) == set(before)  # the scenes kept (as live when restored)
