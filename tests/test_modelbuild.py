"""The model builder: a valid, small glTF whose nodes say what they are and where they face."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from shapely.geometry import Polygon

from server.cli.model import labels_for
from server.conventions import bearing_to_vector, wrap_degrees
from server.hallmodel.build import build_glb, extrude_plan
from server.hallmodel.check import extract, load_scene
from server.hallmodel.layout import layout_path, load, parse
from tests.glbtools import unpack

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def guigang_glb(app) -> bytes:
    from server.catalogue.queries import load_hall

    session = app.extensions["db"]()
    try:
        labels = labels_for(load_hall(session, "guigang"))
    finally:
        session.close()
    return build_glb(load(layout_path("guigang")), labels)


def test_city_model_is_under_2_mb(guigang_glb):
    assert len(guigang_glb) < 2 * 1024 * 1024


def test_khronos_validator_reports_no_errors(guigang_glb, tmp_path):
    node = shutil.which("node")
    assert node, "Node.js is installed by the test command"
    path = tmp_path / "guigang.glb"
    path.write_bytes(guigang_glb)
    result = subprocess.run(
        [node, str(ROOT / "scripts" / "gltf_validate.mjs"), str(path)], capture_output=True, text=True
    )
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["numErrors"] == 0, report["errors"]
    assert result.returncode == 0


def test_every_counter_and_facility_is_a_named_node(guigang_glb):
    document, _binary = unpack(guigang_glb)
    names = {n.get("name") for n in document["nodes"]}
    layout = load(layout_path("guigang"))
    for floor in layout.floors:
        assert f"floor:{floor.level}" in names and f"walls:{floor.level}" in names
        for c in floor.counters:
            assert f"counter:{c.number}" in names and f"counter:{c.number}/sign" in names
        for x in floor.facilities:
            assert f"facility:{x.id}" in names
    assert "connector:lift:lift-a" in names and "connector:stairs:stairs-a" in names


def test_materials_are_pbr_and_not_metallic(guigang_glb):
    document, _binary = unpack(guigang_glb)
    assert document["materials"]
    for material in document["materials"]:
        assert material["pbrMetallicRoughness"].get("metallicFactor", 1.0) == 0.0
    assert len(document.get("images", [])) == 1, "all signs share one atlas"


def test_geometry_is_metres_y_up_and_counters_face_their_bearing(guigang_glb):
    scene, _document = load_scene(guigang_glb)
    low, high = scene.bounds
    assert high[0] - low[0] == pytest.approx(60.3, abs=0.05)  # 60 m floor plus half the outer wall each side
    assert high[2] - low[2] == pytest.approx(30.3, abs=0.05)
    assert high[1] > 5.0 + 2.0, "the first floor stands 5 m above the ground floor"


def other_way_round(bearing: float) -> float:
    """The same bearing written the other way round, where the layout format allows it (−180 … 360)."""
    turned = bearing + 360 if bearing <= 0 else bearing - 360
    return turned if -180 <= turned <= 360 else bearing


def test_counters_face_their_bearing_however_it_is_written():
    # Every other counter of the city hall has its bearing written the other way round (−90 as 270,
    # 0 as 360, 180 as −180): the model must face the same way, read back in (−180, 180].
    spec = yaml.safe_load(layout_path("guigang").read_text(encoding="utf-8"))
    entries = [entry for floor in spec["floors"] for entry in floor.get("counters", [])]
    for entry in entries[1::2]:
        entry["facing"] = other_way_round(entry["facing"])
    layout = parse(spec)
    geometry = extract(load_scene(build_glb(layout))[0], {1: 0.0, 2: 5.0})
    written_otherwise = set()
    for floor in layout.floors:
        for c in floor.counters:
            info = geometry.nodes[f"counter:{c.number}"]
            assert info.floor == floor.level
            assert -180 < info.facing <= 180
            assert wrap_degrees(info.facing - c.facing) == pytest.approx(0, abs=1e-6)
            if abs(info.facing - c.facing) > 1:
                written_otherwise.add(c.facing)
            dx, dz = bearing_to_vector(c.facing)
            # The standing point lies in front of the service side.
            assert (info.standing[0] - c.at[0]) * dx + (info.standing[1] - c.at[1]) * dz > 0.5
    assert written_otherwise == {270, 360, -180}, "bearings outside (−180, 180] were compared wrapped"


def test_extrude_plan_makes_a_closed_solid_of_the_right_volume():
    # A 4 × 2 rectangle with a 1 × 1 hole, 3 m tall: (8 − 1) × 3 = 21 m³.
    area = Polygon([(0, 0), (4, 0), (4, 2), (0, 2)], [[(1, 0.5), (2, 0.5), (2, 1.5), (1, 1.5)]])
    mesh = extrude_plan(area, 1.0, 3.0)
    assert mesh.is_volume
    assert mesh.volume == pytest.approx(21.0)
    assert mesh.bounds[0][1] == pytest.approx(1.0) and mesh.bounds[1][1] == pytest.approx(4.0)
    # Plan z maps to model z (not mirrored).
    assert mesh.bounds[0][2] == pytest.approx(0.0) and mesh.bounds[1][2] == pytest.approx(2.0)
