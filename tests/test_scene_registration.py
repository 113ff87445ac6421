"""Registering a scene's panorama by clicked counters (``POST …/scenes/<scene>/registration``): a demo
scene's counters seen where the model puts them for its true heading recover that heading (and, from three
spread ones, the position) after the draft's heading was set 15° wrong; contradicting points answer a
residual that may not be accepted; bad points are 422 by field; nothing is changed by any of it."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from server.conventions import direction_to_yaw_pitch
from tests.staff import Clock, signed_in, staff_app

HALL = "guigang"
SCENE = "lobby"
BASE = f"/api/v1/admin/halls/{HALL}"
URL = f"{BASE}/scenes/{SCENE}/registration"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return staff_app(tmp_path_factory.mktemp("scene-registration"), Clock(), models=True)


@pytest.fixture
def editor(app):
    return signed_in(app, "editor.gg")


@pytest.fixture(autouse=True)
def no_draft_left(app):
    yield
    signed_in(app, "boss").delete(f"{BASE}/draft")


def draft_scene(client) -> dict:
    scenes = client.get(f"{BASE}/scenes").get_json()["scenes"]
    return next(s for s in scenes if s["code"] == SCENE)


def anchors(app) -> dict[str, tuple[float, float, float]]:
    with app.app_context():
        from server.db import get_session
        from server.models import Hall

        hall = get_session().query(Hall).filter_by(slug=HALL).one()
        model = app.extensions["hall_models"].get(hall)
        return {name: tuple(info.anchor) for name, info in model.geometry.nodes.items()}


def _near(a: float, b: float, tolerance: float) -> bool:
    return abs((a - b + 180) % 360 - 180) <= tolerance


@pytest.fixture
def truth(app, editor):
    """The scene as published (its true pose and the counters' directions seen from it), then its draft
    heading set 15° wrong."""
    scene = draft_scene(editor)
    seen = {h["target"]: h for h in scene["hotspots"] if h["kind"] == "counter"}
    nodes = anchors(app)
    position, heading = scene["position"], scene["heading"]
    directions = {}
    for target, spot in seen.items():
        yaw, pitch = direction_to_yaw_pitch(np.subtract(nodes[target], position), heading)
        directions[target] = {"yaw": round(yaw, 2), "pitch": round(pitch, 2)}
        if abs(spot["computed"]["pitch"] - pitch) < 0.05:  # not lifted over something in front
            # The hotspots the API lists are at the model's directions for the scene's heading.
            assert _near(spot["computed"]["yaw"], yaw, 0.02), (target, spot, yaw)
    assert len(directions) >= 3
    wrong = (heading + 15 + 180) % 360 - 180
    saved = editor.put(f"{BASE}/scenes/{SCENE}", json={"heading": wrong, "version": scene["version"]})
    assert saved.status_code == 200, saved.get_json()
    moved = {h["target"]: h for h in draft_scene(editor)["hotspots"]}
    some = next(iter(directions))
    assert _near(moved[some]["yaw"], seen[some]["yaw"] - 15, 0.05)  # the draft's hotspots are 15° off now
    return {"position": position, "heading": heading, "wrong": wrong, "directions": directions}


def _spread_three(directions: dict[str, dict]) -> list[str]:
    """Three targets whose yaws are far apart (a position needs them spread)."""
    by_yaw = sorted(directions, key=lambda t: directions[t]["yaw"])
    return [by_yaw[0], by_yaw[len(by_yaw) // 2], by_yaw[-1]]


def test_two_counters_recover_the_heading_and_change_nothing(editor, truth):
    before = editor.get(f"{BASE}/scenes/{SCENE}").get_json()
    targets = list(truth["directions"])[:2]
    points = [{"target": t, **truth["directions"][t]} for t in targets]
    answer = editor.post(URL, json={"points": points})
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert _near(body["heading"], truth["heading"], 0.05), (body, truth["heading"])
    assert body["position"] is None  # two points: the heading only
    assert body["residual"] < 0.05 and body["acceptable"] is True and body["max_residual"] == 3.0
    assert [p["target"] for p in body["points"]] == targets
    assert all(p["error"] < 0.05 for p in body["points"])
    assert body["version"] == before["version"]
    after = editor.get(f"{BASE}/scenes/{SCENE}").get_json()
    assert after == before and after["heading"] == pytest.approx(truth["wrong"])


def test_three_spread_counters_solve_the_position_too(editor, truth):
    targets = _spread_three(truth["directions"])
    points = [{"target": t, **truth["directions"][t]} for t in targets]
    body = editor.post(URL, json={"points": points}).get_json()
    assert body["position"] is not None, body
    assert _near(body["heading"], truth["heading"], 0.3), (body, truth["heading"])
    x, y, z = truth["position"]
    assert math.hypot(body["position"][0] - x, body["position"][2] - z) < 0.1
    assert body["position"][1] == pytest.approx(y)
    assert body["acceptable"] and body["residual"] < 0.3

    # Accepting is the ordinary PUT of heading and position: the hotspots are back where the panorama shows them.
    version = editor.get(f"{BASE}/scenes/{SCENE}").get_json()["version"]
    saved = editor.put(
        f"{BASE}/scenes/{SCENE}",
        json={"heading": body["heading"], "position": body["position"], "version": version},
    )
    assert saved.status_code == 200, saved.get_json()
    spots = {h["target"]: h for h in draft_scene(editor)["hotspots"]}
    for target in targets:
        assert _near(spots[target]["computed"]["yaw"], truth["directions"][target]["yaw"], 0.5)


def test_contradicting_points_answer_a_residual_that_may_not_be_accepted(editor, truth):
    first, second, third = _spread_three(truth["directions"])
    directions = truth["directions"]
    swapped = [
        {"target": first, **directions[second]},
        {"target": second, **directions[first]},
        {"target": third, **directions[third]},
    ]
    body = editor.post(URL, json={"points": swapped}).get_json()
    assert body["acceptable"] is False and body["residual"] > body["max_residual"], body
    assert max(p["error"] for p in body["points"]) > 3.0
    # The same points in one direction only: no position, the heading alone.
    crowded = [{"target": t, "yaw": 10.0 + i, "pitch": 0.0} for i, t in enumerate(list(directions)[:3])]
    assert editor.post(URL, json={"points": crowded}).get_json()["position"] is None


@pytest.mark.parametrize(
    ("points", "field"),
    [
        ([{"target": "counter:A01", "yaw": 10.0, "pitch": 0.0}], "points"),
        ("counter:A01", "points"),
        ([{"target": "counter:ZZ99", "yaw": 1.0, "pitch": 0.0}, "SECOND"], "points[0].target"),
        ([{"target": "scene:entrance", "yaw": 1.0, "pitch": 0.0}, "SECOND"], "points[0].target"),
        ([{"target": "SECOND", "yaw": 1.0, "pitch": 0.0}, "SECOND"], "points[1].target"),
        ([{"target": "SECOND", "yaw": "1", "pitch": 0.0}, "THIRD"], "points[0].yaw"),
        ([{"target": "SECOND", "yaw": 190.0, "pitch": 0.0}, "THIRD"], "points[0].yaw"),
        ([{"target": "SECOND", "yaw": 1.0, "pitch": 95.0}, "THIRD"], "points[0].pitch"),
        ([{"target": "SECOND", "yaw": 1.0, "pitch": True}, "THIRD"], "points[0].pitch"),
        ([{"target": "SECOND", "yaw": 1.0, "pitch": 0.0, "roll": 3}, "THIRD"], "points[0].roll"),
        ([["SECOND", 1.0, 0.0], "THIRD"], "points[0]"),
    ],
)
def test_bad_points_are_refused_by_field_and_change_nothing(editor, truth, points, field):
    targets = list(truth["directions"])
    good = {
        name: {"target": t, **truth["directions"][t]}
        for name, t in zip(("SECOND", "THIRD"), targets[:2], strict=True)
    }
    if isinstance(points, list):
        points = [good.get(p, p) if isinstance(p, str) else p for p in points]
        points = [
            {**p, "target": good["SECOND"]["target"]}
            if isinstance(p, dict) and p.get("target") == "SECOND"
            else p
            for p in points
        ]
    before = editor.get(f"{BASE}/scenes/{SCENE}").get_json()
    answer = editor.post(URL, json={"points": points})
    assert answer.status_code == 422, answer.get_json()
    error = answer.get_json()["error"]
    assert error["code"] == "invalid" and error["message"] and error["message_en"]
    assert field in [p["field"] for p in error["details"]], error["details"]
    assert all(p["zh"] and p["en"] for p in error["details"])
    assert editor.get(f"{BASE}/scenes/{SCENE}").get_json() == before


def test_not_a_number_unknown_fields_scenes_roles_and_csrf(app, editor, truth):
    targets = list(truth["directions"])[:2]
    text = json.dumps({"points": [{"target": t, **truth["directions"][t]} for t in targets]})
    nan = editor.post(
        URL,
        data=text.replace(str(truth["directions"][targets[0]]["yaw"]), "NaN", 1),
        content_type="application/json",
    )
    assert nan.status_code == 422 and nan.get_json()["error"]["details"][0]["field"] == "points[0].yaw"
    extra = editor.post(URL, json={"points": json.loads(text)["points"], "apply": True})
    assert extra.status_code == 422 and extra.get_json()["error"]["details"][0]["field"] == "apply"
    assert editor.post(URL, data=text).status_code == 415
    assert editor.post(f"{BASE}/scenes/nowhere/registration", json=json.loads(text)).status_code == 404
    for name in ("looker", "editor.pn"):
        assert signed_in(app, name).post(URL, json=json.loads(text)).status_code == 403
    assert signed_in(app, "editor.gg", csrf=False).post(URL, json=json.loads(text)).status_code == 403
    assert signed_in(app, "boss").post(URL, json=json.loads(text)).status_code == 200


def test_the_openapi_document_describes_the_answer(app, editor, truth):
    import jsonschema

    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/admin/halls/{hall}/scenes/{scene}/registration"]["post"]
    assert {"200", "409", "422"} <= set(operation["responses"])
    schemas = spec["components"]["schemas"]
    targets = list(truth["directions"])[:3]
    sent = {"points": [{"target": t, **truth["directions"][t]} for t in targets]}
    jsonschema.validate(sent, schemas["AdminRegistrationInput"])
    jsonschema.validate(editor.post(URL, json=sent).get_json(), schemas["AdminRegistration"])
