"""The model, route and floor-plan endpoints over real HTTP, on the demo halls' published models."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from itertools import pairwise

import pytest
import yaml
from shapely.geometry import LineString
from shapely.ops import unary_union

from server.catalogue.queries import load_hall
from server.cli.model import labels_for
from server.hallmodel.build import build_glb
from server.hallmodel.layout import layout_path, parse
from server.publishing.hallmodels import publish
from tests.conftest import make_app
from tests.test_api import assert_error, assert_matches


def derived_model(app, slug):
    with app.app_context():
        session = app.extensions["db"]()
        try:
            return app.extensions["hall_models"].get(load_hall(session, slug))
        finally:
            session.close()


def test_model_file_is_served_with_etag_and_immutable_when_versioned(api):
    url = api.get("/api/v1/halls/guigang").json()["model_url"]
    response = api.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "model/gltf-binary"
    assert response.content[:4] == b"glTF"
    assert (
        "immutable" in response.headers["Cache-Control"]
        and "max-age=31536000" in response.headers["Cache-Control"]
    )
    again = api.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    plain = api.get("/api/v1/halls/guigang/model.glb")
    assert plain.status_code == 200 and "immutable" not in plain.headers["Cache-Control"]


def test_model_file_answers_byte_ranges_as_documented(api):
    """A viewer may resume a large model with Range: 206 with the bytes asked for, 416 in the one error
    shape past the end; both are in the OpenAPI document."""
    whole = api.get("/api/v1/halls/guigang/model.glb")
    part = api.get("/api/v1/halls/guigang/model.glb", headers={"Range": "bytes=0-11"})
    assert part.status_code == 206 and part.content == whole.content[:12]
    assert part.headers["Content-Range"] == f"bytes 0-11/{len(whole.content)}"
    past = api.get("/api/v1/halls/guigang/model.glb", headers={"Range": f"bytes={len(whole.content) + 5}-"})
    assert_error(past, 416, "range_not_satisfiable")
    spec = api.get("/api/v1/openapi.json").json()["paths"]["/halls/{hall}/model.glb"]["get"]
    assert {"206", "416"} <= set(spec["responses"])


def test_route_from_the_entrance_to_a_counter(api):
    response = api.get("/api/v1/halls/guigang/route", params={"from": "entrance:main", "to": "counter:b03"})
    assert response.status_code == 200
    route = response.json()
    assert_matches(route, "Route")
    assert route["to"] == "counter:B03" and route["floor_changes"] == []
    assert 20 < route["length_m"] < 45 and route["time_s"] >= route["length_m"] * 0.9
    assert route["steps"][0]["zh"] == "从正门进入" and "main entrance" in route["steps"][0]["en"].lower()
    assert "B03窗口" in route["steps"][-1]["zh"] and "B03" in route["steps"][-1]["en"]


def test_every_counter_is_reached_without_crossing_walls_or_desks(app, api):
    model = derived_model(app, "guigang")
    hall = api.get("/api/v1/halls/guigang").json()
    blocked = {level: unary_union(floor.obstacles) for level, floor in model.geometry.floors.items()}
    for counter in hall["counters"]:
        route = api.get(
            "/api/v1/halls/guigang/route",
            params={"from": "entrance:main", "to": f"counter:{counter['number']}"},
        ).json()
        assert route["legs"], counter["number"]
        for leg in route["legs"]:
            points = [(x, z) for x, _y, z in leg["polyline"]]
            assert len(points) <= 8, f"{counter['number']}: a natural route has few bends"
            for a, b in pairwise(points):
                assert not LineString([a, b]).intersects(blocked[leg["floor"]]), counter["number"]
        if not route["floor_changes"]:
            start, end = route["legs"][0]["polyline"][0], route["legs"][-1]["polyline"][-1]
            straight = ((start[0] - end[0]) ** 2 + (start[2] - end[2]) ** 2) ** 0.5
            assert route["length_m"] <= straight * 1.6 + 3, counter["number"]


def test_upstairs_by_stairs_or_by_lift_when_accessible(api):
    normal = api.get(
        "/api/v1/halls/guigang/route", params={"from": "entrance:main", "to": "counter:E03"}
    ).json()
    step_free = api.get(
        "/api/v1/halls/guigang/route",
        params={"from": "entrance:main", "to": "counter:E03", "accessible": "1"},
    ).json()
    assert [c["type"] for c in normal["floor_changes"]] == ["stairs"]
    assert [c["type"] for c in step_free["floor_changes"]] == ["lift"]
    assert [leg["floor"] for leg in step_free["legs"]] == [1, 2]
    assert any("电梯" in s["zh"] and "lift" in s["en"] for s in step_free["steps"])
    # Upstairs, the arrival names the hall's floor; a route on one floor does not.
    for route in (normal, step_free):
        assert route["steps"][-1]["zh"].startswith("二楼：E03") and route["steps"][-1]["en"].startswith(
            "First floor: "
        )
    same_floor = api.get("/api/v1/halls/guigang/route", params={"from": "entrance:main", "to": "counter:B03"})
    assert "：" not in same_floor.json()["steps"][-1]["zh"]


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"to": "counter:B03"}, 400, "bad_parameter"),
        ({"from": "entrance:main"}, 400, "bad_parameter"),
        ({"from": "entrance:main", "to": "entrance:main"}, 400, "bad_parameter"),
        ({"from": "lobby", "to": "counter:B03"}, 400, "bad_parameter"),
        ({"from": "entrance:main", "to": "counter:B03", "accessible": "yes"}, 400, "bad_parameter"),
        ({"from": "entrance:main", "to": "counter:X99"}, 404, "unknown_place"),
        ({"from": "scene:nowhere", "to": "counter:B03"}, 404, "unknown_place"),
        ({"from": "entrance:main", "to": "counter:B03", "via": "x"}, 400, "bad_parameter"),
    ],
)
def test_bad_route_requests(api, params, status, code):
    assert_error(api.get("/api/v1/halls/guigang/route", params=params), status, code)


def test_no_step_free_way_is_a_422_that_says_why(tmp_path):
    app = make_app(tmp_path)
    spec = yaml.safe_load(layout_path("guigang").read_text(encoding="utf-8"))
    spec["connectors"] = [c for c in spec["connectors"] if c["type"] != "lift"]
    with app.app_context():
        session = app.extensions["db"]()
        hall = load_hall(session, "guigang")
        report = publish(app, session, hall, build_glb(parse(spec), labels_for(hall)))
        assert report.publishable, report.to_text()
        session.close()
    client = app.test_client()
    response = client.get("/api/v1/halls/guigang/route?from=entrance:main&to=counter:E03&accessible=1")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert (
        error["code"] == "unreachable" and "无障碍" in error["message"] and "step-free" in error["message_en"]
    )
    assert client.get("/api/v1/halls/guigang/route?from=entrance:main&to=counter:E03").status_code == 200


def test_without_a_published_model_the_model_endpoints_say_so(tmp_path):
    client = make_app(tmp_path).test_client()
    for path in (
        "/api/v1/halls/pingnan/model.glb",
        "/api/v1/halls/pingnan/route?from=entrance:main&to=counter:A01",
        "/api/v1/halls/pingnan/floors/1/plan.svg",
    ):
        response = client.get(path)
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "model_not_published"
    assert client.get("/api/v1/halls/pingnan").get_json()["model_url"] is None


def test_floor_plan_svg(api):
    response = api.get("/api/v1/halls/guigang/floors/1/plan.svg")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("image/svg+xml")
    root = ET.fromstring(response.content)
    ids = {g.get("id") for g in root.iter("{http://www.w3.org/2000/svg}g")}
    assert {"counter-B03", "counter-A01", "facility-toilet-1"} <= ids
    assert "counter-E01" not in ids, "a first-floor counter is not on the ground-floor plan"
    assert "贵港市政务服务中心" in response.text
    english = api.get("/api/v1/halls/guigang/floors/2/plan.svg", params={"lang": "en"})
    assert "Guigang" in english.text and "counter-E01" in english.text
    assert (
        api.get(
            "/api/v1/halls/guigang/floors/1/plan.svg", headers={"If-None-Match": response.headers["ETag"]}
        ).status_code
        == 304
    )


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/halls/guigang/floors/3/plan.svg", 404),
        ("/api/v1/halls/guigang/floors/one/plan.svg", 400),
        ("/api/v1/halls/guigang/floors/1/plan.svg?lang=fr", 400),
        ("/api/v1/halls/nowhere/floors/1/plan.svg", 404),
    ],
)
def test_bad_plan_requests(api, path, status):
    assert_error(api.get(path), status)
