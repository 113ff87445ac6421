"""The conventions every part shares — the one module that owns them (see docs/ARCHITECTURE.md).

Model space: metres, right-handed, +Y up; north is −Z, east is +X. Floor n stands at its elevation.

Bearing: degrees clockwise from north seen from above, so bearing 0 looks along −Z and 90 along +X.

Panorama direction: yaw in degrees, 0 at the centre column of the equirectangular image, positive to the
right (clockwise seen from above), in (−180, 180]; pitch in degrees, positive up. A scene's heading is the
model bearing of its panorama's centre column, so ``bearing = heading + yaw``.

Plan coordinates (floor plans, walkable areas): ``(x, z)`` pairs of model space; drawn with north up, a
plan's vertical axis is +Z pointing down the page.
"""

from __future__ import annotations

import math

import numpy as np

EYE_HEIGHT = 1.6  # metres above the floor of a panorama camera and of a standing person's eyes


def wrap_degrees(angle: float) -> float:
    """Wrap *angle* (degrees) into (−180, 180]."""
    wrapped = math.fmod(angle, 360.0)
    if wrapped <= -180.0:
        wrapped += 360.0
    elif wrapped > 180.0:
        wrapped -= 360.0
    return wrapped


def bearing_to_vector(bearing: float) -> tuple[float, float]:
    """The unit plan vector ``(dx, dz)`` that *bearing* (degrees) points along."""
    rad = math.radians(bearing)
    return math.sin(rad), -math.cos(rad)


def vector_to_bearing(dx: float, dz: float) -> float:
    """The bearing (degrees, in (−180, 180]) of plan vector ``(dx, dz)``; ValueError for a zero vector."""
    if dx == 0 and dz == 0:
        raise ValueError("a zero vector has no bearing")
    return wrap_degrees(math.degrees(math.atan2(dx, -dz)))


def direction_to_yaw_pitch(direction, heading: float) -> tuple[float, float]:
    """Yaw and pitch (degrees) in a panorama of *heading* of a model-space *direction* (3 numbers)."""
    dx, dy, dz = (float(v) for v in direction)
    horizontal = math.hypot(dx, dz)
    if horizontal == 0 and dy == 0:
        raise ValueError("direction must not be the zero vector")
    pitch = math.degrees(math.atan2(dy, horizontal))
    yaw = wrap_degrees(vector_to_bearing(dx, dz) - heading) if horizontal > 0 else 0.0
    return yaw, pitch


def yaw_pitch_to_direction(yaw: float, pitch: float, heading: float) -> np.ndarray:
    """The unit model-space direction (3,) float64 of *yaw*/*pitch* in a panorama of *heading*."""
    dx, dz = bearing_to_vector(heading + yaw)
    cos_p = math.cos(math.radians(pitch))
    return np.array([dx * cos_p, math.sin(math.radians(pitch)), dz * cos_p])


def rotation_y_for_bearing(bearing: float) -> np.ndarray:
    """The 4×4 rotation about +Y that turns local +Z (a counter's service side) to face *bearing*."""
    # Local +Z is bearing 180 (south). Rotating by θ about +Y maps +Z to (sin θ, 0, cos θ); facing bearing b
    # needs (sin b, 0, −cos b), i.e. θ = 180° − b.
    theta = math.radians(180.0 - bearing)
    c, s = math.cos(theta), math.sin(theta)
    return np.array([[c, 0, s, 0], [0, 1, 0, 0], [-s, 0, c, 0], [0, 0, 0, 1]], dtype=float)
