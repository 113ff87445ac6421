"""The scenes a route passes (issue: wayfinding that arrives), checked the way a citizen would meet them:
every counter and facility of both demo halls as the target, from the entrance and from every scene, with
and without the step-free switch, over real HTTP."""

from __future__ import annotations

from itertools import pairwise

import pytest

from server.hallmodel.geometry import Place
from server.wayfinding.scenes import ScenePlanner, arrival_fov, where_words
from tests.test_api import assert_error, assert_matches

HALLS = ("guigang", "pingnan")


def route(api, slug, origin, target, accessible):
    response = api.get(
        f"/api/v1/halls/{slug}/route", params={"from": origin, "to": target, "accessible": accessible}
    )
    assert response.status_code == 200, (slug, origin, target, accessible, response.text)
    return response.json()


@pytest.fixture(scope="module", params=HALLS)
def hall(request, api):
    return api.get(f"/api/v1/halls/{request.param}").json()


def targets(doc):
    return [f"counter:{c['number']}" for c in doc["counters"]] + [
        f"facility:{f['id']}" for f in doc["facilities"]
    ]


@pytest.mark.parametrize("accessible", ["0", "1"])
def test_every_target_from_the_entrance_and_every_scene(api, hall, accessible):
    slug = hall["slug"]
    scenes = {s["id"]: s for s in hall["scenes"]}
    seeing = {
        t: [s for s in scenes.values() if any(h["target"] == t for h in s["hotspots"])] for t in targets(hall)
    }
    # How long each scene is from each target on foot: the last scene must be the nearest that sees it.
    walk = {
        (s["id"], t): route(api, slug, f"scene:{s['id']}", t, accessible)["time_s"]
        for t, ss in seeing.items()
        for s in ss
    }
    entrance_scene = min(
        scenes,
        key=lambda code: (route(api, slug, "entrance:main", f"scene:{code}", accessible)["time_s"], code),
    )
    checked = 0
    for target in targets(hall):
        for origin in ["entrance:main", *(f"scene:{code}" for code in scenes)]:
            answer = route(api, slug, origin, target, accessible)
            path, arrival = answer["scenes"], answer["arrival"]
            where = (origin, target)
            assert path, where
            assert path[0] == (origin[6:] if origin.startswith("scene:") else entrance_scene), where
            assert len(set(path)) == len(path), (where, path)
            for a, b in pairwise(path):
                assert b in scenes[a]["links"], (where, path, a, b)
            assert arrival["scene"] == path[-1], where
            last = scenes[path[-1]]
            if seeing[target]:
                spot = next(h for h in last["hotspots"] if h["target"] == target)
                assert arrival["visible"] and arrival["where"] is None, where
                assert (arrival["yaw"], arrival["pitch"]) == (
                    round(spot["yaw"], 1),
                    round(spot["pitch"], 1),
                ), where
                nearest = min(walk[s["id"], target] for s in seeing[target])
                assert walk[last["id"], target] == nearest, (where, path)
            else:
                assert not arrival["visible"], where
                assert arrival["where"]["zh"].endswith("米") and arrival["where"]["en"].endswith("m"), where
            assert 30 <= arrival["fov"] <= 90, where
            # Floor changes appear in the scenes: the floors passed are the walk's floors, in order.
            floors = [scenes[code]["floor"] for code in path]
            passed = [f for i, f in enumerate(floors) if i == 0 or floors[i - 1] != f]
            walked = [leg["floor"] for leg in answer["legs"]]
            assert passed == walked, (where, path, walked)
            checked += 1
    assert checked == len(targets(hall)) * (len(scenes) + 1)


def test_every_target_is_seen_from_some_scene(hall):
    """A demo hall is photographed so that every counter and facility is on screen somewhere."""
    seen = {h["target"] for s in hall["scenes"] for h in s["hotspots"]}
    assert set(targets(hall)) - seen == set()


def test_the_nearest_facility_of_a_type(api):
    doc = api.get("/api/v1/halls/guigang").json()
    toilets = [f for f in doc["facilities"] if f["type"] == "toilet"]
    assert len(toilets) >= 2
    for origin in ("entrance:main", "scene:ga-jt", "scene:lift-2f", "scene:zizhu"):
        answer = route(api, "guigang", origin, "nearest:toilet", "0")
        times = {
            f"facility:{t['id']}": route(api, "guigang", origin, f"facility:{t['id']}", "0")["time_s"]
            for t in toilets
        }
        assert_matches(answer, "Route")
        assert answer["to"] in times and answer["asked"] == "nearest:toilet"
        assert times[answer["to"]] == min(times.values()), (origin, answer["to"], times)
        assert answer["scenes"] and answer["arrival"]["visible"]
    # The nearest toilet from the first floor is on the first floor, and from the second on the second.
    floor = {f"facility:{f['id']}": f["floor"] for f in doc["facilities"]}
    assert floor[route(api, "guigang", "scene:lobby", "nearest:toilet", "0")["to"]] == 1
    assert floor[route(api, "guigang", "scene:ga-jt", "nearest:toilet", "0")["to"]] == 2


@pytest.mark.parametrize(
    ("to", "status", "code"),
    [
        ("nearest:nonsense", 400, "bad_parameter"),
        ("nearest:", 400, "bad_parameter"),
        ("nearest:escalator", 404, "no_such_facility"),
    ],
)
def test_bad_nearest_requests(api, to, status, code):
    response = api.get("/api/v1/halls/pingnan/route", params={"from": "entrance:main", "to": to})
    assert_error(response, status, code)


def test_an_unknown_origin_is_404_even_for_nearest(api):
    response = api.get(
        "/api/v1/halls/guigang/route", params={"from": "scene:nowhere", "to": "nearest:toilet"}
    )
    assert_error(response, 404, "unknown_place")


@pytest.mark.parametrize(
    ("bearing", "zh", "en"),
    [
        (0, "B05窗口在您正前方约8米", "Counter B05 is about 8 m straight ahead of you"),
        (44, "B05窗口在您右前方约8米", "Counter B05 is about 8 m ahead of you on the right"),
        (90, "B05窗口在您右侧约8米", "Counter B05 is about 8 m on your right"),
        (-135, "B05窗口在您左后方约8米", "Counter B05 is about 8 m behind you on the left"),
        (180, "B05窗口在您正后方约8米", "Counter B05 is about 8 m behind you"),
        (-180, "B05窗口在您正后方约8米", "Counter B05 is about 8 m behind you"),
        (-75, "B05窗口在您左侧约8米", "Counter B05 is about 8 m on your left"),
        (340, "B05窗口在您正前方约8米", "Counter B05 is about 8 m straight ahead of you"),
    ],
)
def test_where_words(bearing, zh, en):
    assert where_words(("B05窗口", "counter B05"), bearing, 7.8) == {"zh": zh, "en": en}


def test_arrival_fov_zooms_only_on_far_targets():
    assert arrival_fov(3) == arrival_fov(12) == 75
    assert 45 <= arrival_fov(20) < arrival_fov(15) < 75
    assert arrival_fov(200) == 45


class StraightGraph:
    """A stand-in walking graph for the fallback: every place on one floor, walking time = straight distance."""

    def __init__(self, points: dict[str, tuple[float, float]]) -> None:
        self.places = {k: Place(k, 1, x, z) for k, (x, z) in points.items()}

    def walk_seconds(self, a, b, *, accessible=False):
        (ax, az), (bx, bz) = (self.places[a].x, self.places[a].z), (self.places[b].x, self.places[b].z)
        return ((ax - bx) ** 2 + (az - bz) ** 2) ** 0.5


def test_a_target_no_scene_sees_ends_at_the_nearest_scene_with_words():
    # Three scenes in a row going north (−Z); the counter stands east of the last one, seen by none.
    scenes = [
        {"id": "a", "floor": 1, "position": [0, 1.6, 0], "heading": 0, "links": ["b"], "hotspots": []},
        {"id": "b", "floor": 1, "position": [0, 1.6, -10], "heading": 0, "links": ["a", "c"], "hotspots": []},
        {"id": "c", "floor": 1, "position": [0, 1.6, -20], "heading": 90, "links": ["b"], "hotspots": []},
    ]
    graph = StraightGraph(
        {"scene:a": (0, 0), "scene:b": (0, -10), "scene:c": (0, -20), "counter:B05": (6, -20)}
    )
    plan = ScenePlanner(scenes, graph).plan("scene:a", "counter:B05", (6.0, 1.2, -20.0))
    assert plan.scenes == ("a", "b", "c")
    arrival = plan.arrival
    # Arriving in c walking north: its panorama's centre looks east (heading 90), so north is yaw −90,
    # and the counter due east is on the right.
    assert arrival.scene == "c" and not arrival.visible and arrival.yaw == -90
    assert arrival.where == {"zh": "B05窗口在您右侧约6米", "en": "Counter B05 is about 6 m on your right"}
    # Once a scene sees it, that scene is the end and the view centres the counter.
    scenes[1]["hotspots"] = [{"target": "counter:B05", "yaw": 40.0, "pitch": -5.0, "distance": 11.7}]
    plan = ScenePlanner(scenes, graph).plan("scene:a", "counter:B05", (6.0, 1.2, -20.0))
    assert plan.scenes == ("a", "b") and plan.arrival.visible
    assert (plan.arrival.yaw, plan.arrival.pitch) == (40.0, -5.0)
