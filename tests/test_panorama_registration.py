"""Registering panoramas: poses recovered from correspondences, and bad sets refused."""

from __future__ import annotations

import numpy as np
import pytest

from server.conventions import direction_to_yaw_pitch
from server.panoramas.registration import Correspondence, RegistrationError, solve, spread

ANCHORS = [
    (-24.4, 1.2, -13.0),
    (-20.8, 1.2, -13.0),
    (-28.0, 1.2, -4.5),
    (-28.0, 1.2, 2.1),
    (-16.0, 2.3, -14.7),
]


def observe(anchors, position, heading, *, noise=0.0, seed=0):
    """What a panorama taken at *position* with *heading* shows: the yaw/pitch of each anchor."""
    rng = np.random.default_rng(seed)
    out = []
    for anchor in anchors:
        yaw, pitch = direction_to_yaw_pitch(np.subtract(anchor, position), heading)
        out.append(Correspondence(yaw + rng.normal(0, noise), pitch + rng.normal(0, noise), anchor))
    return out


def test_heading_from_two_points():
    truth = (-23.0, 1.6, -8.5)
    pose = solve(observe(ANCHORS[:2], truth, 37.0), position=truth)
    assert pose.heading == pytest.approx(37.0, abs=1e-6)
    assert not pose.solved_position and pose.residual < 1e-6


def test_heading_and_position_from_several_noisy_points():
    truth, heading = (-22.0, 1.6, -7.0), -120.0
    observed = observe(ANCHORS, truth, heading, noise=0.2, seed=3)
    pose = solve(observed, position=(-20.0, 1.6, -5.0))  # a rough guess 2.8 m off
    assert pose.solved_position
    assert pose.heading == pytest.approx(heading, abs=0.5)
    assert np.hypot(pose.x - truth[0], pose.z - truth[2]) < 0.25
    assert 0 < pose.residual < 1.0


def test_inconsistent_correspondences_are_refused():
    truth = (-23.0, 1.6, -8.5)
    observed = observe(ANCHORS, truth, 0.0)
    swapped = [Correspondence(observed[0].yaw, observed[0].pitch, observed[2].anchor), *observed[1:]]
    with pytest.raises(RegistrationError) as caught:
        solve(swapped, position=truth)
    assert "残差" in caught.value.message and "residual" in caught.value.message_en


@pytest.mark.parametrize(
    ("correspondences", "text"),
    [
        ([Correspondence(0, 0, (0, 0, -5))], "at least two"),
        ([Correspondence(float("nan"), 0, (0, 0, -5)), Correspondence(1, 0, (1, 0, -5))], "not a number"),
        ([Correspondence(0, 95, (0, 0, -5)), Correspondence(1, 0, (1, 0, -5))], "pitch"),
        (
            [
                Correspondence(0, 0, (0, 1.6, -5)),
                Correspondence(1, 0, (0.1, 1.6, -6)),
                Correspondence(2, 0, (0.2, 1.6, -7)),
            ],
            "one direction",
        ),
    ],
)
def test_unusable_sets_are_refused(correspondences, text):
    with pytest.raises(RegistrationError, match=text):
        solve(correspondences, position=(0, 1.6, 0))


def test_pose_recovered_from_a_panorama_rendered_at_a_known_pose():
    import trimesh

    from server.panoramas.render import render_equirect

    boxes = {  # colour → centre of a 0.6 m box standing around the camera
        (255, 0, 0): (6.0, 1.2, -2.0),
        (0, 200, 0): (-3.0, 1.0, -7.0),
        (0, 0, 255): (-6.0, 1.4, 4.0),
        (255, 200, 0): (4.0, 0.8, 6.0),
    }
    scene = trimesh.Scene()
    for index, (colour, centre) in enumerate(boxes.items()):
        mesh = trimesh.creation.box(
            extents=(0.6, 0.6, 0.6), transform=trimesh.transformations.translation_matrix(centre)
        )
        mesh.visual = trimesh.visual.TextureVisuals(
            material=trimesh.visual.material.PBRMaterial(baseColorFactor=[*colour, 255], metallicFactor=0.0)
        )
        scene.add_geometry(mesh, node_name=f"counter:T0{index}")
    truth, heading, width = (0.5, 1.6, -0.5), 33.0, 1024
    image = render_equirect(scene, truth, heading, width=width).astype(int)
    correspondences = []
    for colour, centre in boxes.items():
        # The box's pixels by chromaticity: lighting and haze change brightness, not hue much.
        chroma = image / (image.sum(axis=2, keepdims=True) + 1)
        target = np.array(colour) / (sum(colour) + 1)
        distance = np.abs(chroma - target).sum(axis=2)
        rows, cols = np.nonzero((distance < 0.15) & (image.sum(axis=2) > 90))
        assert len(rows) > 20, colour
        yaw = (cols.mean() + 0.5) / width * 360 - 180
        pitch = 90 - (rows.mean() + 0.5) / (width / 2) * 180
        correspondences.append(Correspondence(yaw, pitch, centre))
    pose = solve(correspondences, position=(0.0, 1.6, 0.0))
    assert pose.heading == pytest.approx(heading, abs=1.0)
    assert np.hypot(pose.x - truth[0], pose.z - truth[2]) < 0.3


def test_register_command_solves_and_applies_a_pose(tmp_path):
    from sqlalchemy import select

    from server.catalogue.queries import load_hall
    from server.models import Hall, Scene
    from tests.conftest import make_app

    app = make_app(tmp_path, models=True)
    with app.app_context():
        session = app.extensions["db"]()
        hall = load_hall(session, "guigang")
        nodes = app.extensions["hall_models"].get(hall).geometry.nodes
        session.close()
    truth, heading = (-22.0, 1.6, -7.5), 10.0
    args = ["panorama", "register", "guigang", "scjg", "--apply"]
    for name in ("counter:B01", "counter:B04", "counter:B06", "counter:A01", "counter:A03"):
        yaw, pitch = direction_to_yaw_pitch(np.subtract(nodes[name].anchor, truth), heading)
        args += ["-p", f"{name}@{yaw:.3f},{pitch:.3f}"]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    session = app.extensions["db"]()
    scene = session.scalar(select(Scene).join(Hall).where(Hall.slug == "guigang", Scene.code == "scjg"))
    assert scene.heading == pytest.approx(heading, abs=0.05)
    assert (scene.x, scene.z) == pytest.approx((truth[0], truth[2]), abs=0.05)
    session.close()
    bad = app.test_cli_runner().invoke(
        args=["panorama", "register", "guigang", "scjg", "-p", "counter:ZZ9@1,2", "-p", "x"]
    )
    assert bad.exit_code != 0


@pytest.mark.parametrize(
    "yaws, expected",
    [
        ([10.0], 0.0),
        ([10.0, 40.0], 30.0),
        ([-170.0, 170.0], 20.0),  # across the back, not 340°
        ([-170.0, 0.0, 170.0], 190.0),  # 170° → ±180° → 0°, not 340°
        ([-179.0, -90.0, 90.0, 179.0], 180.0),  # the widest gap (180° at the front) is left out, once
        ([0.0, 90.0, 180.0, 270.0], 270.0),
        ([350.0, 5.0, -5.0], 15.0),  # 350° and -5° are one direction apart by 5°
    ],
)
def test_the_spread_of_clicked_directions_is_the_narrowest_arc_holding_them(yaws, expected):
    assert spread(yaws) == pytest.approx(expected)
