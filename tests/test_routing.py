"""Walking routes: known geometry answers, floor changes, errors, directions, and seeded random halls."""

from __future__ import annotations

import json
import math
import random
from itertools import pairwise

import numpy as np
import pytest
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from shapely.affinity import rotate
from shapely.geometry import LineString, Point, Polygon, box
from shapely.ops import unary_union

from server.hallmodel.geometry import Connector, FloorGeometry, HallGeometry, NodeInfo, Place
from server.wayfinding import directions
from server.wayfinding.routing import (
    CLEARANCE,
    LIFT_S_PER_M,
    LIFT_WAIT_S,
    SNAP_DISTANCE,
    STAIRS_S_PER_M,
    RouteError,
    UnknownPlace,
    Unreachable,
    WalkGraph,
    free_space,
    polygons,
)

MAIN = {"zh": "正门", "en": "the main entrance"}


def hall(*floors: FloorGeometry, connectors=(), nodes=None) -> HallGeometry:
    """A hall of *floors* built by hand."""
    return HallGeometry({f.level: f for f in floors}, nodes or {}, list(connectors))


def segments(route):
    """Every polyline segment of *route* as (floor, LineString)."""
    for leg in route.legs:
        for a, b in pairwise(leg.points):
            yield leg.floor, LineString([a, b])


def assert_clear_of(route, geometry: HallGeometry, margin: float) -> None:
    """No segment of *route* comes nearer than *margin* to a wall, an obstacle or the outline."""
    for level, segment in segments(route):
        floor = geometry.floors[level]
        blocked = unary_union([*floor.obstacles, *floor.walls]).buffer(margin)
        assert not segment.intersects(blocked), (level, segment.wkt)
        assert floor.outline.buffer(-margin).covers(segment), (level, segment.wkt)


def wall_room() -> tuple[HallGeometry, list[Place]]:
    """A 20 × 10 room split by a wall along x = 10 from z = 0 to z = 7, leaving a 3 m gap at z 7–10."""
    floor = FloorGeometry(1, 0.0, box(0, 0, 20, 10), walls=[box(9.9, 0, 10.1, 7)])
    return hall(floor), [Place("entrance:main", 1, 2, 2), Place("counter:B03", 1, 18, 2)]


def test_route_goes_through_the_gap_and_never_crosses_the_wall():
    geometry, places = wall_room()
    route = WalkGraph.build(geometry, places).route("entrance:main", "counter:B03")
    wall = geometry.floors[1].walls[0]
    area = free_space(geometry.floors[1])
    for _level, segment in segments(route):
        assert not segment.intersects(wall)
        assert area.buffer(1e-6).covers(segment)
    # The wall grown by the clearance (mitred) spans x 9.45–10.55 up to z = 7.45; the shortest path bends
    # at its two corners: (2, 2) → (9.45, 7.45) → (10.55, 7.45) → (18, 2), i.e.
    # 2·√(7.45² + 5.45²) + 1.1 = 2·9.2307 + 1.1 = 19.561 m.
    expected = 2 * math.hypot(7.45, 5.45) + 1.1
    assert route.length_m == pytest.approx(expected, abs=1e-3)
    assert route.legs[0].points == (
        (2, 2),
        pytest.approx((9.45, 7.45)),
        pytest.approx((10.55, 7.45)),
        (18, 2),
    )
    assert route.time_s == pytest.approx(expected)  # 1 m/s and no connector


def test_open_route_is_a_straight_line_with_two_points():
    geometry = hall(FloorGeometry(1, 0.0, box(0, 0, 20, 10)))
    places = [Place("scene:a", 1, 2, 5), Place("counter:A01", 1, 17, 5), Place("scene:b", 1, 10, 5)]
    route = WalkGraph.build(geometry, places).route("scene:a", "counter:A01")
    # scene:b lies on the way: a node the path may pass, but never a point of the polyline.
    assert route.legs[0].points == ((2, 5), (17, 5))
    assert route.length_m == pytest.approx(15)
    assert route.floor_changes == ()


def test_to_dict_is_json_ready_with_elevations_and_rounding():
    geometry, places = wall_room()
    geometry.floors[1].elevation = 4.5
    data = WalkGraph.build(geometry, places).route("entrance:main", "counter:B03").to_dict()
    json.dumps(data)
    assert data["from"] == "entrance:main" and data["to"] == "counter:B03" and data["accessible"] is False
    assert data["length_m"] == 19.6 and data["time_s"] == 20 and isinstance(data["time_s"], int)
    polyline = data["legs"][0]["polyline"]
    assert polyline[0] == [2.0, 4.5, 2.0] and polyline[-1] == [18.0, 4.5, 2.0]
    assert polyline[1] == [9.45, 4.5, 7.45]
    assert data["floor_changes"] == []
    assert data["steps"] and all(set(step) == {"zh", "en"} for step in data["steps"])


def two_floors(*connectors: Connector) -> tuple[HallGeometry, list[Place]]:
    """Two 30 × 20 floors 5 m apart, an entrance on floor 1 and a counter on floor 2."""
    floors = [FloorGeometry(level, 5.0 * (level - 1), box(0, 0, 30, 20)) for level in (1, 2)]
    return hall(*floors, connectors=connectors), [
        Place("entrance:main", 1, 2, 18),
        Place("counter:B03", 2, 28, 2),
    ]


STAIRS = Connector("stairs-a", "stairs", (1, 2), 15, 10)
LIFT = Connector("lift-a", "lift", (1, 2), 15, 12)


def test_stairs_only_gives_no_step_free_route():
    geometry, places = two_floors(STAIRS)
    graph = WalkGraph.build(geometry, places)
    with pytest.raises(Unreachable) as caught:
        graph.route("entrance:main", "counter:B03", accessible=True)
    assert caught.value.message == "没有无障碍路线：2楼只能经楼梯到达"
    assert caught.value.message_en == "No step-free route: floor 2 is reached only by stairs"
    assert caught.value.reason == "not_step_free"
    named = {2: {"zh": "二楼", "en": "the first floor"}}
    with pytest.raises(Unreachable) as caught:
        graph.route("entrance:main", "counter:B03", accessible=True, floor_names=named)
    assert caught.value.message == "没有无障碍路线：二楼只能经楼梯到达"
    assert caught.value.message_en == "No step-free route: the first floor is reached only by stairs"

    route = graph.route("entrance:main", "counter:B03")
    assert [c.to_dict() for c in route.floor_changes] == [
        {"connector": "stairs-a", "type": "stairs", "from_floor": 1, "to_floor": 2}
    ]
    assert [leg.floor for leg in route.legs] == [1, 2]
    assert route.legs[0].points[-1] == (15, 10) and route.legs[1].points[0] == (15, 10)
    walked = math.hypot(13, 8) + math.hypot(13, 8)
    assert route.length_m == pytest.approx(walked)
    assert route.time_s == pytest.approx(walked + STAIRS_S_PER_M * 5)
    assert ("走楼梯上到2楼", "Take the stairs up to floor 2") in [(s.zh, s.en) for s in route.steps]
    back = graph.route("counter:B03", "entrance:main")
    assert ("走楼梯下到1楼", "Take the stairs down to floor 1") in [(s.zh, s.en) for s in back.steps]
    # Having changed floors, the arrival says on which: the stair lobbies of the two look alike.
    assert route.steps[-1].zh.startswith("2楼：") and route.steps[-1].en.startswith("Floor 2: ")
    assert back.steps[-1].zh.startswith("1楼：") and back.steps[-1].en.startswith("Floor 1: ")


def test_step_free_route_takes_the_lift():
    geometry, places = two_floors(STAIRS, LIFT)
    graph = WalkGraph.build(geometry, places)
    # Stairs (30 s for 5 m) beat the lift (30 s waiting + 5 s riding) for everyone who can take them.
    assert [c.type for c in graph.route("entrance:main", "counter:B03").floor_changes] == ["stairs"]
    route = graph.route("entrance:main", "counter:B03", accessible=True)
    assert [c.connector for c in route.floor_changes] == ["lift-a"]
    assert route.accessible and route.to_dict()["accessible"] is True
    walked = math.hypot(13, 6) + math.hypot(13, 10)
    assert route.time_s == pytest.approx(walked + LIFT_WAIT_S + LIFT_S_PER_M * 5)
    assert ("乘电梯到2楼", "Take the lift to floor 2") in [(s.zh, s.en) for s in route.steps]


def test_one_connector_through_a_middle_floor_is_one_change():
    floors = [FloorGeometry(level, 4.0 * (level - 1), box(0, 0, 20, 20)) for level in (1, 2, 3)]
    geometry = hall(*floors, connectors=[Connector("stairs-a", "stairs", (1, 2, 3), 10, 10)])
    places = [Place("entrance:main", 1, 2, 2), Place("counter:C01", 3, 18, 18)]
    route = WalkGraph.build(geometry, places).route("entrance:main", "counter:C01")
    assert [(c.from_floor, c.to_floor) for c in route.floor_changes] == [(1, 3)]
    assert [leg.floor for leg in route.legs] == [1, 3]
    assert ("走楼梯上到3楼", "Take the stairs up to floor 3") in [(s.zh, s.en) for s in route.steps]


def test_a_floor_without_connectors_is_unreachable_even_on_foot():
    geometry, places = two_floors()
    with pytest.raises(Unreachable) as caught:
        WalkGraph.build(geometry, places).route("entrance:main", "counter:B03")
    assert "没有楼梯或电梯" in caught.value.message and "no stairs or lift" in caught.value.message_en
    assert caught.value.reason == "no_connection"


def test_unknown_key_raises_unknown_place():
    geometry, places = wall_room()
    graph = WalkGraph.build(geometry, places)
    with pytest.raises(UnknownPlace) as caught:
        graph.route("entrance:main", "counter:Z99")
    assert caught.value.key == "counter:Z99"
    assert isinstance(caught.value, RouteError)
    assert (
        caught.value.message == "找不到地点：counter:Z99"
        and caught.value.message_en == "Unknown place: counter:Z99"
    )


def test_place_deep_inside_an_obstacle_is_unreachable_and_near_one_is_snapped():
    desk = box(8, 4, 12, 6)  # grown by the clearance it spans x 7.55–12.45, z 3.55–6.45
    geometry = hall(FloorGeometry(1, 0.0, box(0, 0, 20, 10), obstacles=[desk]))
    places = [
        Place("entrance:main", 1, 2, 5),
        Place("counter:A01", 1, 10, 5),  # 1.45 m from the walkable area: farther than SNAP_DISTANCE
        Place("counter:A02", 1, 10, 6.2),  # 0.25 m from it: moved onto it
    ]
    graph = WalkGraph.build(geometry, places)
    assert graph.stranded == {"counter:A01": "outside"}
    with pytest.raises(Unreachable) as caught:
        graph.route("entrance:main", "counter:A01")
    assert (
        "不在可通行区域内" in caught.value.message and "outside the walkable area" in caught.value.message_en
    )
    assert f"{SNAP_DISTANCE:g}" in caught.value.message_en
    assert caught.value.reason == "outside"
    route = graph.route("entrance:main", "counter:A02")
    end = route.legs[-1].points[-1]
    assert end == pytest.approx((10, 6.46), abs=1e-6)  # just inside the edge at z = 6.45
    assert_clear_of(route, geometry, CLEARANCE * 0.9)
    assert route.legs[0].points[0] == (
        2,
        5,
    )  # a place inside the walkable area is the polyline's end as given


def test_walled_apart_places_are_unreachable_on_one_floor():
    floor = FloorGeometry(1, 0.0, box(0, 0, 20, 10), walls=[box(9.9, 0, 10.1, 10)])
    graph = WalkGraph.build(hall(floor), [Place("entrance:main", 1, 2, 5), Place("counter:A01", 1, 18, 5)])
    with pytest.raises(Unreachable) as caught:
        graph.route("entrance:main", "counter:A01")
    assert caught.value.message == "从入口到A01窗口没有可通行的路线：两处被墙或障碍物隔开"
    assert (
        caught.value.message_en
        == "No walkable route from the entrance to counter A01: walls or obstacles separate them"
    )
    assert caught.value.reason == "separated"


def test_a_gap_too_narrow_for_a_wheelchair_is_closed():
    # Two walls leave a 0.8 m gap: less than twice the clearance, so no route goes through it.
    walls = [box(9.9, 0, 10.1, 4.6), box(9.9, 5.4, 10.1, 10)]
    floor = FloorGeometry(1, 0.0, box(0, 0, 20, 10), walls=walls)
    graph = WalkGraph.build(hall(floor), [Place("scene:a", 1, 2, 5), Place("scene:b", 1, 18, 5)])
    with pytest.raises(Unreachable):
        graph.route("scene:a", "scene:b")


def l_corridor() -> HallGeometry:
    """A corridor north from (9, 19) to the top of the plan, then west along z 0–2 to x = 0."""
    outline = unary_union([box(8, 0, 10, 20), box(0, 0, 10, 2)])
    return hall(FloorGeometry(1, 0.0, outline))


def test_directions_known_answers_for_a_left_turn_and_a_target_on_the_right():
    places = [Place("scene:south", 1, 9, 19), Place("counter:B03", 1, 1, 1)]
    graph = WalkGraph.build(l_corridor(), places)
    names = {"counter:B03": {"zh": "B03窗口", "en": "counter B03"}}
    # Walking north then west: facing north, west is on the left. At the end, walking west, the anchor
    # (1, −0.3) lies to the north — facing west, north is on the right.
    route = graph.route("scene:south", "counter:B03", names=names, targets={"counter:B03": (1, -0.3)})
    steps = [(s.zh, s.en) for s in route.steps]
    assert steps[0] == ("从当前位置出发", "Start from where you are")
    # The path bends at the inner corner of the walkable area, (8.45, 1.55): first √(0.55² + 17.45²) =
    # 17.46 m, said to 5 m, then √(7.45² + 0.55²) = 7.47 m to (1, 1).
    assert steps[1] == ("向北走约15米", "Head north for about 15 m")
    assert steps[2] == ("左转", "Turn left")
    assert steps[3] == ("直行约7米", "Go straight for about 7 m")
    assert steps[-1] == ("B03窗口在右手边", "Counter B03 is on your right")
    # The same walk with the anchor to the south: on the left.
    route = graph.route("scene:south", "counter:B03", names=names, targets={"counter:B03": (1, 2.5)})
    assert (route.steps[-1].zh, route.steps[-1].en) == ("B03窗口在左手边", "Counter B03 is on your left")
    # Back the other way: east, then a right turn to go south.
    back = graph.route("counter:B03", "scene:south")
    assert ("右转", "Turn right") in [(s.zh, s.en) for s in back.steps]
    # "scene:south" has no name here: the neutral word, never the raw key in the other language.
    assert (back.steps[0].zh, back.steps[-1].zh) == ("从B03窗口出发", "目的地在正前方")
    assert back.steps[-1].en == "Your destination is straight ahead"


def test_arrival_hand_defaults_to_the_model_node_anchor():
    node = NodeInfo("B03", "counter", "counter:B03", 1, (1.0, 0.0, -0.3))
    geometry = l_corridor()
    geometry.nodes["B03"] = node
    places = [Place("entrance:main", 1, 9, 19), Place("counter:B03", 1, 1, 1)]
    route = WalkGraph.build(geometry, places).route(
        "entrance:main", "counter:B03", names={"entrance:main": MAIN}
    )
    steps = [(s.zh, s.en) for s in route.steps]
    assert steps[0] == ("从正门进入", "Enter through the main entrance")
    assert steps[1] == ("直行约15米", "Go straight for about 15 m")  # no compass after an entrance
    assert steps[-1] == ("B03窗口在右手边", "Counter B03 is on your right")


def test_same_place_and_default_names():
    geometry, places = wall_room()
    route = WalkGraph.build(geometry, places).route("counter:B03", "counter:B03")
    assert route.length_m == 0 and [(s.zh, s.en) for s in route.steps] == [
        ("您已在B03窗口", "You are already at counter B03")
    ]


@pytest.mark.parametrize(
    ("heading", "target", "expected"),
    [
        ((0, -1), (1, 0), "right"),  # walking north, a point to the east
        ((0, -1), (-1, 0), "left"),
        ((1, 0), (0, 1), "right"),  # walking east, a point to the south (+Z)
        ((1, 0), (0, -1), "left"),
        ((0, -1), (0.1, -1), "ahead"),
        ((0, -1), (0, 1), "behind"),
    ],
)
def test_hand_known_answers(heading, target, expected):
    assert directions.hand((0, 0), heading, target) == expected


@pytest.mark.parametrize(
    ("metres", "said"), [(0.2, 1), (3.4, 3), (3.6, 4), (9.4, 9), (9.6, 10), (12.4, 10), (12.6, 15), (47, 45)]
)
def test_round_distance(metres, said):
    assert directions.round_distance(metres) == said


@pytest.mark.parametrize(
    ("angle", "en"),
    [
        (10, None),
        (-19, None),
        (30, "Bear right"),
        (-45, "Bear left"),
        (90, "Turn right"),
        (-90, "Turn left"),
        (170, "Turn around"),
    ],
)
def test_turn_classes(angle, en):
    step = directions.turn_step(angle)
    assert (step.en if step else None) == en


def test_slight_bends_merge_into_one_stretch():
    # A 1° wobble every 5 m over 30 m is still straight on; a zig-zag of 0.3 m sidesteps too.
    wobble = [(0.0, 0.0), (0.0, -5.0), (0.1, -10.0), (0.1, -15.0), (0.0, -20.0), (0.0, -30.0)]
    assert len(directions.runs(wobble)) == 1
    zigzag = [(0.0, 0.0), (0.3, -1.0), (0.0, -2.0), (0.3, -3.0), (0.0, -4.0)]
    assert len(directions.runs(zigzag)) == 1


def random_hall(seed: int) -> tuple[HallGeometry, list[Place]]:
    """A 30 × 20 room with random rectangular obstacles, some turned, and random places (some inside them)."""
    rng = random.Random(seed)
    obstacles = []
    for _ in range(rng.randint(3, 12)):
        x, z = rng.uniform(1, 27), rng.uniform(1, 17)
        rectangle = box(x, z, x + rng.uniform(0.3, 5), z + rng.uniform(0.3, 4))
        obstacles.append(rotate(rectangle, rng.choice([0, 0, rng.uniform(0, 180)])))
    floor = FloorGeometry(1, 0.0, box(0, 0, 30, 20), obstacles=obstacles)
    places = [Place(f"scene:p{n}", 1, rng.uniform(0, 30), rng.uniform(0, 20)) for n in range(10)]
    return hall(floor), places


@pytest.mark.parametrize("seed", [*range(16), 106, 260, 387])  # the last found bugs once
def test_random_routes_never_cross_an_obstacle(seed):
    geometry, places = random_hall(seed)
    graph = WalkGraph.build(geometry, places)
    found = 0
    for a in places:
        for b in places:
            try:
                route = graph.route(a.key, b.key)
            except Unreachable:
                continue
            found += 1
            assert_clear_of(route, geometry, CLEARANCE * 0.9)
            for end, place in ((route.legs[0].points[0], a), (route.legs[-1].points[-1], b)):
                assert math.dist(end, (place.x, place.z)) <= SNAP_DISTANCE + 0.02
            if a.key < b.key:
                assert graph.route(b.key, a.key).length_m == pytest.approx(route.length_m, abs=1e-6)
    assert found >= len(places) - len(graph.stranded)  # at least each reachable place to itself


def brute_force_length(area, a, b) -> float:
    """The shortest walk from *a* to *b* over the full visibility graph of every vertex of *area*."""
    corners = [
        c for poly in polygons(area) for ring in (poly.exterior, *poly.interiors) for c in ring.coords[:-1]
    ]
    pts = np.array([a, b, *corners])
    i, j = np.triu_indices(len(pts), 1)
    # A hair of tolerance so that segments along an edge count as inside, as they are.
    tolerant = area.buffer(1e-7, join_style="mitre")
    ok = shapely.covers(tolerant, shapely.linestrings(np.stack([pts[i], pts[j]], axis=1)))
    length = np.hypot(*(pts[j] - pts[i]).T)
    graph = coo_matrix((np.maximum(length[ok], 1e-12), (i[ok], j[ok])), shape=(len(pts), len(pts)))
    return float(dijkstra(graph, directed=False, indices=0)[1])


@pytest.mark.parametrize("seed", [*range(16), 106, 260, 387])  # the last found bugs once
def test_random_routes_are_as_short_as_over_the_full_visibility_graph(seed):
    # The graph keeps only reflex corners and tangent segments; no route may be longer for it.
    geometry, places = random_hall(seed)
    graph = WalkGraph.build(geometry, places)
    area = free_space(geometry.floors[1])
    for a in places:
        for b in places:
            if a.key >= b.key:
                continue
            try:
                route = graph.route(a.key, b.key)
            except Unreachable:
                continue
            start, end = route.legs[0].points[0], route.legs[-1].points[-1]
            assert route.length_m == pytest.approx(brute_force_length(area, start, end), abs=1e-5)


def test_routes_are_symmetric_in_length():
    geometry, places = two_floors(STAIRS, LIFT)
    geometry.floors[1].obstacles.append(box(5, 5, 12, 15))
    geometry.floors[2].walls.append(box(20, 0, 20.2, 14))
    places += [Place("facility:toilet-1", 1, 25, 3), Place("facility:toilet-2", 2, 3, 17)]
    graph = WalkGraph.build(geometry, places)
    for accessible in (False, True):
        for a in places:
            for b in places:
                there = graph.route(a.key, b.key, accessible=accessible)
                back = graph.route(b.key, a.key, accessible=accessible)
                assert there.length_m == pytest.approx(back.length_m, abs=1e-6)
                assert there.time_s == pytest.approx(back.time_s, abs=1e-6)


def large_hall(levels: int = 4, desks_per_floor: int = 100) -> tuple[HallGeometry, list[Place]]:
    """A generated large hall: *levels* 80 × 50 m floors with desks in rows, partitions, lifts and stairs."""
    floors, nodes, places = [], {}, []
    per_row = 20
    for level in range(1, levels + 1):
        obstacles: list[Polygon] = []
        for n in range(desks_per_floor):
            row, col = divmod(n, per_row)
            cx, cz = 8 + col * 3.2, 6 + row * 8.0
            obstacles.append(box(cx - 0.8, cz - 0.4, cx + 0.8, cz + 0.4))
            number = f"{chr(65 + level - 1)}{n + 1:03d}"
            key = f"counter:{number}"
            nodes[f"{level}-{number}"] = NodeInfo(
                number, "counter", key, level, (cx, 0.4, cz), obstacles[-1], 180.0
            )
            places.append(Place(key, level, cx, cz + 0.8))  # standing point 0.4 m in front of the desk
        walls = [box(0, 44, 30, 44.2), box(34, 44, 80, 44.2)]  # a partition with a 4 m doorway
        floors.append(FloorGeometry(level, 5.0 * (level - 1), box(0, 0, 80, 50), obstacles, walls))
        places.append(Place(f"facility:toilet-{level}", level, 75, 47))
    places.append(Place("entrance:main", 1, 40, 49))
    connectors = [
        Connector("lift-a", "lift", tuple(range(1, levels + 1)), 2, 25),
        Connector("lift-b", "lift", tuple(range(1, levels + 1)), 78, 25),
        Connector("stairs-a", "stairs", tuple(range(1, levels + 1)), 40, 2),
        Connector("escalator-a", "escalator", (1, 2), 60, 47),
    ]
    return hall(*floors, connectors=connectors, nodes=nodes), places


def test_large_generated_hall_builds_and_routes():
    geometry, places = large_hall()
    graph = WalkGraph.build(geometry, places)
    assert graph.stranded == {}
    top = f"counter:D{100:03d}"
    route = graph.route("entrance:main", top)
    assert route.legs[0].floor == 1 and route.legs[-1].floor == 4
    assert_clear_of(route, geometry, CLEARANCE * 0.9)
    step_free = graph.route("entrance:main", top, accessible=True)
    assert {c.type for c in step_free.floor_changes} == {"lift"}
    assert step_free.steps[-1].zh.startswith("4楼：D100窗口在")


def test_a_connector_far_inside_an_obstacle_is_noted_and_not_used():
    geometry, places = two_floors(STAIRS)
    geometry.floors[2].obstacles.append(box(10, 5, 20, 15))  # the stairs' point is 5 m inside it
    graph = WalkGraph.build(geometry, places)
    assert graph.stranded == {"connector:stairs-a@2": "outside"}
    with pytest.raises(Unreachable):
        graph.route("entrance:main", "counter:B03")


def test_places_on_a_missing_floor_are_unreachable():
    geometry, places = wall_room()
    geometry.connectors.append(Connector("lift-a", "lift", (1, 9), 5, 5))
    graph = WalkGraph.build(geometry, [*places, Place("counter:Z01", 9, 1, 1)])
    with pytest.raises(Unreachable) as caught:
        graph.route("entrance:main", "counter:Z01")
    assert caught.value.message == "无法到达Z01窗口：模型中没有9楼"
    assert caught.value.reason == "no_floor"
    assert graph.stranded == {"counter:Z01": "no_floor", "connector:lift-a@9": "no_floor"}


def test_duplicate_place_keys_are_refused():
    geometry, places = wall_room()
    with pytest.raises(ValueError, match="duplicate"):
        WalkGraph.build(geometry, [*places, places[0]])


def test_free_space_keeps_the_clearance_from_walls_and_the_outline():
    geometry, _ = wall_room()
    area = free_space(geometry.floors[1])
    assert area.covers(Point(9.44, 3)) and not area.covers(Point(9.46, 3))  # wall face at x = 9.9
    assert area.covers(Point(2, 0.46)) and not area.covers(Point(2, 0.44))  # outline at z = 0
