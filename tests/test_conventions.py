"""Round trips and known answers for the shared conventions."""

import math
import random

import numpy as np
import pytest
from numpy.testing import assert_allclose

from server import conventions as cv


@pytest.mark.parametrize(
    ("bearing", "vector"),
    # north is −Z, east +X, south +Z, west −X
    [(0, (0, -1)), (90, (1, 0)), (180, (0, 1)), (-90, (-1, 0)), (45, (math.sqrt(0.5), -math.sqrt(0.5)))],
)
def test_bearing_known_answers(bearing, vector):
    assert_allclose(cv.bearing_to_vector(bearing), vector, atol=1e-12)
    assert cv.vector_to_bearing(*vector) == pytest.approx(cv.wrap_degrees(bearing))


def test_wrap_range_is_half_open():
    assert cv.wrap_degrees(180) == 180
    assert cv.wrap_degrees(-180) == 180
    assert cv.wrap_degrees(540) == 180
    assert cv.wrap_degrees(-190) == pytest.approx(170)


def test_bearing_round_trip_seeded():
    rng = random.Random(1)
    for _ in range(200):
        b = rng.uniform(-179.999, 180)
        assert cv.vector_to_bearing(*cv.bearing_to_vector(b)) == pytest.approx(b, abs=1e-9)


def test_yaw_pitch_round_trip_seeded():
    rng = np.random.default_rng(2)
    for _ in range(200):
        heading = rng.uniform(-180, 180)
        yaw, pitch = rng.uniform(-179.9, 180), rng.uniform(-89, 89)
        direction = cv.yaw_pitch_to_direction(yaw, pitch, heading)
        assert np.linalg.norm(direction) == pytest.approx(1.0)
        got = cv.direction_to_yaw_pitch(direction, heading)
        assert_allclose(got, (yaw, pitch), atol=1e-9)


def test_yaw_known_answer():
    # A panorama facing east (heading 90): a point due north is 90° to the left, i.e. yaw −90.
    assert cv.direction_to_yaw_pitch((0, 0, -5), 90) == pytest.approx((-90, 0))
    # Straight up has pitch 90 whatever the yaw.
    assert cv.direction_to_yaw_pitch((0, 1, 0), 0)[1] == pytest.approx(90)


@pytest.mark.parametrize("bearing", [0, 90, 180, -90, 30])
def test_rotation_turns_local_plus_z_to_the_bearing(bearing):
    m = cv.rotation_y_for_bearing(bearing)
    facing = m[:3, :3] @ np.array([0.0, 0.0, 1.0])
    assert_allclose((facing[0], facing[2]), cv.bearing_to_vector(bearing), atol=1e-12)
    assert_allclose(m[:3, :3] @ m[:3, :3].T, np.eye(3), atol=1e-12)


def test_zero_vectors_are_rejected():
    with pytest.raises(ValueError):
        cv.vector_to_bearing(0, 0)
    with pytest.raises(ValueError):
        cv.direction_to_yaw_pitch((0, 0, 0), 0)
