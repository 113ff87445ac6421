"""Hotspots from the hall model: directions by the shared conventions, occlusion, links, overrides."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from sqlalchemy import select

from server.catalogue.queries import load_hall
from server.conventions import direction_to_yaw_pitch
from server.hallmodel.occlusion import Occluders
from server.models import Hall, HotspotOverride, Scene
from tests.conftest import make_app


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


def test_hall_document_without_a_model_has_no_hotspots(tmp_path):
    app = make_app(tmp_path)
    hall = app.test_client().get("/api/v1/halls/pingnan").get_json()
    assert all(s["hotspots"] == [] for s in hall["scenes"])
    with app.app_context():
        session = app.extensions["db"]()
        assert load_hall(session, "pingnan").model_sha is None
        session.close()
