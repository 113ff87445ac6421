"""Registering a real panorama to the hall model: from correspondences (a counter clicked in the
panorama ↔ its node's anchor), solve the scene's heading — and, from three or more, its plan position —
by least squares, and report the residual in degrees.

Angles in degrees per ``conventions``; anchors are model-space ``(x, y, z)``; the camera stands at a
known eye height, so only ``(x, z)`` and the heading are unknown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

from ..conventions import wrap_degrees
from ..problems import HallError

MAX_RESIDUAL = 3.0  # degrees (RMS) above which correspondences are called inconsistent
MIN_SPREAD = 10.0  # degrees: correspondences for a position must not all lie in one direction


class RegistrationError(HallError, ValueError):
    """Correspondences that cannot give a pose, with the reason in Chinese and English (422)."""

    status = 422

    def __init__(self, message: str, message_en: str) -> None:
        super().__init__("bad_registration", message, message_en)


@dataclass(frozen=True)
class Correspondence:
    yaw: float  # where the node was clicked in the panorama
    pitch: float
    anchor: tuple[float, float, float]  # the node's anchor in the model


@dataclass(frozen=True)
class Pose:
    x: float
    y: float
    z: float
    heading: float
    residual: float  # RMS angular error of the fit, degrees
    solved_position: bool
    errors: tuple[float, ...] = ()  # each correspondence's angular error in the fit, degrees

    @property
    def acceptable(self) -> bool:
        """Whether the correspondences agree well enough (residual within MAX_RESIDUAL) to use the pose."""
        return self.residual <= MAX_RESIDUAL

    def to_dict(self) -> dict:
        return {
            "position": [round(self.x, 3), round(self.y, 3), round(self.z, 3)],
            "heading": round(self.heading, 2),
            "residual_deg": round(self.residual, 3),
            "solved_position": self.solved_position,
        }


def _bearings(points: np.ndarray, x: float, z: float) -> np.ndarray:
    return np.degrees(np.arctan2(points[:, 0] - x, -(points[:, 2] - z)))


def _residuals(
    points: np.ndarray,
    yaws: np.ndarray,
    pitches: np.ndarray,
    x: float,
    y: float,
    z: float,
    heading: float,
    *,
    with_pitch: bool,
) -> np.ndarray:
    yaw_error = (_bearings(points, x, z) - heading - yaws + 180.0) % 360.0 - 180.0
    if not with_pitch:
        return yaw_error
    horizontal = np.hypot(points[:, 0] - x, points[:, 2] - z)
    pitch_error = np.degrees(np.arctan2(points[:, 1] - y, horizontal)) - pitches
    return np.concatenate([yaw_error, pitch_error])


def spread(yaws) -> float:
    """How widely *yaws* (degrees) are spread, in degrees: the narrowest arc holding them all, which is the
    full turn less the widest gap between neighbours around the circle. A position needs MIN_SPREAD or more."""
    values = np.sort(np.mod(np.asarray(yaws, dtype=float), 360.0))
    if len(values) < 2:
        return 0.0
    gaps = np.diff(np.append(values, values[0] + 360.0))
    return float(360.0 - gaps.max())


def fit(
    correspondences: list[Correspondence],
    *,
    position: tuple[float, float, float],
    solve_position: bool | None = None,
) -> Pose:
    """The scene pose that best explains *correspondences*, however well: heading always; plan position
    too when there are three or more (or as *solve_position* says), with the residual and each
    correspondence's error for a person to judge (``Pose.acceptable``). *position* is the current (or
    surveyed) camera position, the starting point and the eye height. Raises RegistrationError for sets
    that cannot give a pose (too few, not numbers, all in one direction)."""
    if len(correspondences) < 2:
        raise RegistrationError("至少需要两个对应点", "at least two correspondences are needed")
    for c in correspondences:
        if not (math.isfinite(c.yaw) and math.isfinite(c.pitch) and all(math.isfinite(v) for v in c.anchor)):
            raise RegistrationError(
                "对应点包含无效数值", "a correspondence holds a value that is not a number"
            )
        if not -90 <= c.pitch <= 90:
            raise RegistrationError("俯仰角应在 -90 到 90 度之间", "pitch must be between -90 and 90 degrees")
    points = np.array([c.anchor for c in correspondences], dtype=float)
    yaws = np.array([c.yaw for c in correspondences], dtype=float)
    pitches = np.array([c.pitch for c in correspondences], dtype=float)
    x0, y0, z0 = (float(v) for v in position)
    if solve_position is None:
        solve_position = len(correspondences) >= 3
    if solve_position and len(correspondences) < 3:
        raise RegistrationError(
            "求解位置至少需要三个对应点", "solving the position needs at least three correspondences"
        )
    if solve_position:
        if spread(yaws) < MIN_SPREAD:
            raise RegistrationError(
                "对应点方向过于集中，无法确定位置",
                "the correspondences all lie in one direction; the position cannot be found",
            )
        heading0 = _circular_mean(_bearings(points, x0, z0) - yaws)
        result = least_squares(
            lambda p: _residuals(points, yaws, pitches, p[0], y0, p[1], p[2], with_pitch=True),
            x0=[x0, z0, heading0],
            loss="soft_l1",
            f_scale=2.0,
        )
        x, z, heading = result.x
        residuals = _residuals(points, yaws, pitches, x, y0, z, heading, with_pitch=True)
        n = len(correspondences)
        errors = np.hypot(residuals[:n], residuals[n:])
    else:
        x, z = x0, z0
        heading = _circular_mean(_bearings(points, x, z) - yaws)
        residuals = _residuals(points, yaws, pitches, x, y0, z, heading, with_pitch=False)
        errors = np.abs(residuals)
    rms = float(np.sqrt(np.mean(residuals**2)))
    return Pose(
        float(x),
        y0,
        float(z),
        wrap_degrees(float(heading)),
        rms,
        bool(solve_position),
        tuple(float(e) for e in errors),
    )


def solve(
    correspondences: list[Correspondence],
    *,
    position: tuple[float, float, float],
    solve_position: bool | None = None,
) -> Pose:
    """As :func:`fit`, refusing a pose whose residual is over MAX_RESIDUAL (naming the worst
    correspondence). Raises RegistrationError."""
    pose = fit(correspondences, position=position, solve_position=solve_position)
    if not pose.acceptable:
        worst = int(np.argmax(pose.errors))
        raise RegistrationError(
            f"对应点互相矛盾（残差 {pose.residual:.1f}°），请检查第 {worst + 1} 个点",
            f"the correspondences contradict each other (residual {pose.residual:.1f}°); "
            f"check number {worst + 1}",
        )
    return pose


def _circular_mean(angles: np.ndarray) -> float:
    rad = np.radians(angles)
    return wrap_degrees(math.degrees(math.atan2(np.sin(rad).mean(), np.cos(rad).mean())))
