"""Hotspots from the hall model: directions by the shared conventions, occlusion, links, overrides."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
import yaml
from sqlalchemy import select

from server.catalogue.queries import load_hall
from server.conventions import direction_to_yaw_pitch
from server.hallmodel.build import build_glb
from server.hallmodel.layout import layout_path, parse
from server.hallmodel.occlusion import Occluders
from server.models import Hall, HotspotOverride, Scene
from server.publishing.hallmodels import publish
from tests.conftest import make_app
from tests.glbtools import edit


def scene_of(hall_doc, code):
    return next(s for s in hall_doc["scenes"] if s["id"] == code)


def by_target(scene):
    return {h["target"]: h for h in scene["hotspots"]}


def test_a_counter_hotspot_is_where_the_model_puts_the_counter(api):
    hall = api.get("/api/v1/halls/guigang").json()
    scene = scene_of(hall, "scjg")
    b03 = next(c for c in hall["counters"] if c["number"] == "B03")
    yaw, pitch = direction_to_yaw_pitch(
        np.subtract(b03["placement"]["anchor"], scene["position"]), scene["heading"]
    )
    hotspot = by_target(scene)["counter:B03"]
    assert hotspot["yaw"] == pytest.approx(yaw, abs=0.01) and hotspot["pitch"] == pytest.approx(
        pitch, abs=0.01
    )
    assert hotspot["kind"] == "counter" and hotspot["source"] == "model"


def test_hidden_counters_are_not_hotspots_but_are_still_found(api):
    hall = api.get("/api/v1/halls/guigang").json()
    from_bdc = by_target(scene_of(hall, "bdc"))
    assert "counter:C01" in from_bdc
    assert "counter:B03" not in from_bdc, "the partition at x = −18 hides the market-regulation row"
    assert not any(t.startswith("counter:E") for t in from_bdc), "the first floor is above the ceiling slab"
    assert (
        api.get("/api/v1/search", params={"q": "B03", "hall": "guigang"}).json()["counters"][0]["number"]
        == "B03"
    )
    assert (
        api.get("/api/v1/halls/guigang/route", params={"from": "scene:bdc", "to": "counter:B03"}).status_code
        == 200
    )


def test_links_point_towards_the_linked_scene(api):
    hall = api.get("/api/v1/halls/guigang").json()
    lobby = by_target(scene_of(hall, "lobby"))
    # The entrance scene is due south of the lobby, whose panorama faces north: straight behind, below.
    assert abs(abs(lobby["scene:entrance"]["yaw"]) - 180) < 1 and lobby["scene:entrance"]["pitch"] < 0
    upstairs = by_target(scene_of(hall, "lift-1f"))["scene:lift-2f"]
    assert upstairs["kind"] == "scene" and upstairs["distance"] > 0, "the lift lobby above points at the lift"


def test_overrides_win_and_survive_recomputation_and_demo_reload(tmp_path):
    app = make_app(tmp_path, models=True)
    client = app.test_client()
    session = app.extensions["db"]()
    scene = session.scalar(select(Scene).join(Hall).where(Hall.slug == "guigang", Scene.code == "bdc"))
    scene.overrides = [
        HotspotOverride(target="counter:C01", hidden=True),
        HotspotOverride(target="counter:C02", yaw=12.5, pitch=-4.0),
        HotspotOverride(target="counter:B03", yaw=-100.0, pitch=0.0),  # shown although the model hides it
    ]
    from server.db import bump_revision

    bump_revision(session)
    session.commit()
    session.close()

    def hotspots():
        return by_target(scene_of(client.get("/api/v1/halls/guigang").get_json(), "bdc"))

    first = hotspots()
    assert "counter:C01" not in first
    assert first["counter:C02"]["yaw"] == 12.5 and first["counter:C02"]["source"] == "override"
    assert first["counter:B03"]["yaw"] == -100.0
    # Recompute: rebuild and republish the model, then reload the demo content.
    assert app.test_cli_runner().invoke(args=["model", "build", "guigang"]).exit_code == 0
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    again = hotspots()
    assert (
        "counter:C01" not in again
        and again["counter:C02"]["yaw"] == 12.5
        and again["counter:B03"]["yaw"] == -100.0
    )


def test_occluders_known_answer():
    wall = trimesh.creation.box(
        extents=(4, 3, 0.2), transform=trimesh.transformations.translation_matrix((0, 1.5, -5))
    )
    target = trimesh.creation.box(
        extents=(1, 1, 1), transform=trimesh.transformations.translation_matrix((0, 1, -10))
    )
    scene = trimesh.Scene()
    scene.add_geometry(wall, node_name="walls:1")
    scene.add_geometry(target, node_name="counter:A01")
    occluders = Occluders(scene)
    origin = np.array([0.0, 1.6, 0.0])
    # Straight ahead the wall is in the way; far to the side it is not; the target never hides itself.
    hidden = occluders.blocked(origin, np.array([[0, 1, -10], [6, 1, -10]]), ["counter:A01", "counter:A01"])
    assert hidden.tolist() == [True, False]


def test_occluders_own_triangles_by_mapped_names():
    wall = trimesh.creation.box(
        extents=(4, 3, 0.2), transform=trimesh.transformations.translation_matrix((0, 1.5, -5))
    )
    desk = trimesh.creation.box(
        extents=(1, 1, 1), transform=trimesh.transformations.translation_matrix((6, 1, -10))
    )
    # The desk's sign hangs in front of it, in the node tree below it, with a modeller's own name. The ray
    # from the origin to the desk's centre crosses z = −9 at x = 5.4, y ≈ 1.06: through the sign.
    sign = trimesh.creation.box(
        extents=(1, 1, 0.05), transform=trimesh.transformations.translation_matrix((5.4, 1, -9))
    )
    scene = trimesh.Scene()
    scene.add_geometry(wall, node_name="Object_001")
    scene.add_geometry(desk, node_name="Object_002")
    scene.add_geometry(sign, node_name="Object_003", parent_node_name="Object_002")
    mapping = {"Object_001": "walls:1", "Object_002": "counter:A01"}
    origin = np.array([0.0, 1.6, 0.0])
    targets = np.array([[0, 1, -10], [6, 1, -10]])  # behind the wall; the desk's centre, beside the wall
    own = ["counter:A01", "counter:A01"]
    # Unmapped, the desk and its sign belong to names no hotspot asks with, so they hide the desk itself.
    assert Occluders(scene).blocked(origin, targets, own).tolist() == [True, True]
    mapped = Occluders(scene, mapping=mapping)
    assert set(mapped.owners) == {"walls:1", "counter:A01"}
    # Mapped, the wall still hides what is behind it; the desk and its sign never hide the desk.
    assert mapped.blocked(origin, targets, own).tolist() == [True, False]


def _pingnan_glb() -> bytes:
    return build_glb(parse(yaml.safe_load(layout_path("pingnan").read_text(encoding="utf-8"))))


@pytest.mark.parametrize("signs_mapped", [True, False], ids=["every-node-mapped", "signs-unmapped"])
def test_a_model_published_with_a_name_mapping_has_the_same_hotspots(tmp_path, signs_mapped):
    """A model made elsewhere names its nodes its own way (here every node becomes ``Object_NNN``) and is
    published with a mapping table; its scenes must see exactly what the same model with our names sees
    (counter D02 was hidden by its own desk in the county hall's centre scene)."""
    app = make_app(tmp_path)
    original = _pingnan_glb()
    mapping: dict[str, str] = {}

    def rename(document):
        for index, node in enumerate(document["nodes"]):
            name = node.get("name", "")
            node["name"] = f"Object_{index:03d}"
            if signs_mapped or not name.endswith("/sign"):
                mapping[node["name"]] = name

    renamed = edit(original, rename)
    assert any(n.endswith("/sign") for n in mapping.values()) == signs_mapped

    def publish_and_read(data, mapping=None):
        with app.app_context():
            session = app.extensions["db"]()
            try:
                report = publish(app, session, load_hall(session, "pingnan"), data, mapping=mapping)
            finally:
                session.close()
        assert report.publishable, report.to_text()
        hall = app.test_client().get("/api/v1/halls/pingnan").get_json()
        return hall["model_url"], {s["id"]: s["hotspots"] for s in hall["scenes"]}

    first_url, expected = publish_and_read(original)
    second_url, got = publish_and_read(renamed, mapping)
    assert first_url != second_url, "the hall document must come from the renamed model"
    assert "counter:D02" in {h["target"] for h in expected["hall-centre"]}
    assert got == expected


def test_hall_document_without_a_model_has_no_hotspots(tmp_path):
    app = make_app(tmp_path)
    hall = app.test_client().get("/api/v1/halls/pingnan").get_json()
    assert hall["scenes"] and all(s["hotspots"] == [] for s in hall["scenes"])
    with app.app_context():
        session = app.extensions["db"]()
        assert load_hall(session, "pingnan").model_sha is None
        session.close()
