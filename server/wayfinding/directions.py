"""Step-by-step walking directions in zh-CN and English, read off a route's per-floor polylines.

Turns and hands follow ``conventions``: bearings are clockwise from north seen from above, so a positive
change of bearing is a turn to the right and a point whose bearing from you is larger than your heading
lies on your right.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

from shapely.geometry import LineString

from ..conventions import vector_to_bearing, wrap_degrees

TURN_MIN_DEG = 20.0  # smaller bends read as going straight on
BEAR_MAX_DEG = 50.0  # bends up to this are "bear left/right"
TURN_AROUND_DEG = 150.0  # bends beyond this are a U-turn
AHEAD_DEG = 30.0  # a target within this of the walking direction is straight ahead (or behind)
AT_TARGET_M = 0.3  # a target point this close to where the walk ends gives no hand to name
DIRECTION_SIMPLIFY_M = 0.5  # sidesteps smaller than this around a corner are not worth a word
MIN_RUN_M = 1.0  # straight stretches shorter than this are folded into the turns around them
FINE_ROUNDING_BELOW_M = 10.0  # under this distances are said to the metre, above to 5 m
COARSE_ROUNDING_M = 5

Names = Mapping[str, Mapping[str, str]]
Hand = Literal["left", "right", "ahead", "behind"]

COMPASS_ZH = ("北", "东北", "东", "东南", "南", "西南", "西", "西北")
COMPASS_EN = ("north", "northeast", "east", "southeast", "south", "southwest", "west", "northwest")
CONNECTOR_ZH = {"lift": "电梯", "stairs": "楼梯", "escalator": "自动扶梯"}
CONNECTOR_EN = {"lift": "lift", "stairs": "stairs", "escalator": "escalator"}


@dataclass(frozen=True)
class Step:
    """One instruction in both languages."""

    zh: str
    en: str

    def to_dict(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}


@dataclass(frozen=True)
class Change:
    """A floor change as the directions need it: how, to which floor, and whether going up."""

    type: str
    to_floor: int
    up: bool


def sentence(text: str) -> str:
    """*text* with its first letter capitalised, for English names that open a sentence."""
    return text[:1].upper() + text[1:]


def place_name(key: str, names: Names | None = None, *, start: bool = False) -> tuple[str, str]:
    """The display name (zh, en) of place *key*: each language from *names*, else a plain one made from
    the key. Neither ever shows the raw key or the other language: a place with no name of its own is
    "目的地" / "your destination" (where the walk starts: "当前位置" / "where you are")."""
    given = names.get(key, {}) if names else {}
    zh, en = _plain_name(key, start=start)
    return given.get("zh") or zh, given.get("en") or en


def _plain_name(key: str, *, start: bool) -> tuple[str, str]:
    kind, _, ident = key.partition(":")
    if kind == "counter" and ident:
        return f"{ident}窗口", f"counter {ident}"
    if kind == "entrance":
        return "入口", "the entrance"
    if start:
        return "当前位置", "where you are"
    return "目的地", "your destination"


def floor_name(level: int, floor_names: Mapping[int, Mapping[str, str]] | None = None) -> tuple[str, str]:
    """The display name (zh, en) of floor *level*: from *floor_names*, else "2楼" / "floor 2"."""
    if floor_names and level in floor_names:
        given = floor_names[level]
        return given.get("zh") or f"{level}楼", given.get("en") or f"floor {level}"
    if level < 0:
        return f"地下{-level}层", f"basement level {-level}"
    return f"{level}楼", f"floor {level}"


def round_distance(metres: float) -> int:
    """A walking distance as said aloud: to the metre under 10 m, to 5 m above, never 0."""
    if metres < FINE_ROUNDING_BELOW_M - 0.5:
        return max(1, math.floor(metres + 0.5))
    return COARSE_ROUNDING_M * math.floor(metres / COARSE_ROUNDING_M + 0.5)


def turn_angle(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The signed change of bearing (degrees, positive = right) from direction *a* to direction *b*."""
    return wrap_degrees(vector_to_bearing(*b) - vector_to_bearing(*a))


def hand(position: Sequence[float], heading: Sequence[float], target: Sequence[float]) -> Hand:
    """On which hand *target* lies for someone at *position* walking along *heading* (plan vectors)."""
    # Known answer: walking north, heading (0, −1) (bearing 0), a target due east at offset (1, 0) has
    # bearing 90, so the relative bearing is +90: on the right — facing north, east is on your right.
    # The cross product agrees: dx·vz − dz·vx = 0·0 − (−1)·1 = +1 > 0 means right in (x, z) with north −Z.
    offset = (target[0] - position[0], target[1] - position[1])
    relative = turn_angle((heading[0], heading[1]), offset)
    if abs(relative) <= AHEAD_DEG:
        return "ahead"
    if abs(relative) >= 180.0 - AHEAD_DEG:
        return "behind"
    return "right" if relative > 0 else "left"


def runs(points: Sequence[tuple[float, float]]) -> list[tuple[float, float, float]]:
    """The straight stretches ``(dx, dz, walked length)`` of a polyline as a person would tell them."""
    pts = list(points)
    if len(pts) > 2:
        pts = list(LineString(pts).simplify(DIRECTION_SIMPLIFY_M, preserve_topology=False).coords)
    segments = []
    for (x0, z0), (x1, z1) in pairwise(pts):
        length = math.hypot(x1 - x0, z1 - z0)
        if length > 0:
            segments.append((x1 - x0, z1 - z0, length))
    merged = _merge(segments)
    kept: list[list[float]] = []
    carry = 0.0
    for dx, dz, length in merged:
        if length >= MIN_RUN_M:
            kept.append([dx, dz, length + carry])
            carry = 0.0
        elif kept:
            kept[-1][2] += length
        else:
            carry += length
    return _merge([(dx, dz, length) for dx, dz, length in kept])


def _merge(segments: Sequence[tuple[float, float, float]]) -> list[tuple[float, float, float]]:
    # Compare each segment with the chord of the stretch so far, so that many slight bends that add up
    # to a real turn are still told as one.
    out: list[tuple[float, float, float]] = []
    for dx, dz, length in segments:
        if out and abs(turn_angle(out[-1][:2], (dx, dz))) < TURN_MIN_DEG:
            px, pz, plength = out[-1]
            out[-1] = (px + dx, pz + dz, plength + length)
        else:
            out.append((dx, dz, length))
    return out


def turn_step(angle: float) -> Step | None:
    """The instruction for a bend of *angle* degrees (positive = right), or None when it is no turn."""
    size = abs(angle)
    if size < TURN_MIN_DEG:
        return None
    if size > TURN_AROUND_DEG:
        return Step("掉头", "Turn around")
    if size <= BEAR_MAX_DEG:
        return Step("稍向右", "Bear right") if angle > 0 else Step("稍向左", "Bear left")
    return Step("右转", "Turn right") if angle > 0 else Step("左转", "Turn left")


def run_step(dx: float, dz: float, length: float, *, compass: bool) -> Step:
    """ "Go straight for about N m", or with a compass direction where the walker's heading is unknown."""
    n = round_distance(length)
    if not compass:
        return Step(f"直行约{n}米", f"Go straight for about {n} m")
    sector = round(vector_to_bearing(dx, dz) / 45.0) % 8
    return Step(f"向{COMPASS_ZH[sector]}走约{n}米", f"Head {COMPASS_EN[sector]} for about {n} m")


def change_step(change: Change, floor_names: Mapping[int, Mapping[str, str]] | None = None) -> Step:
    """ "Take the lift to floor 2" and the like."""
    zh, en = floor_name(change.to_floor, floor_names)
    if change.type == "lift":
        return Step(f"乘电梯到{zh}", f"Take the lift to {en}")
    way_zh, way_en = ("上", "up") if change.up else ("下", "down")
    verb = "走" if change.type == "stairs" else "乘"
    return Step(
        f"{verb}{CONNECTOR_ZH[change.type]}{way_zh}到{zh}",
        f"Take the {CONNECTOR_EN[change.type]} {way_en} to {en}",
    )


def arrival_step(name: tuple[str, str], side: Hand | None, floor: tuple[str, str] | None = None) -> Step:
    """Where the target is at the end of the walk; after a floor change, on which floor ("二楼：…")."""
    zh, en = name
    if side is None:
        step = Step(f"{zh}就在这里", f"{sentence(en)} is right here")
    else:
        step = {
            "right": Step(f"{zh}在右手边", f"{sentence(en)} is on your right"),
            "left": Step(f"{zh}在左手边", f"{sentence(en)} is on your left"),
            "ahead": Step(f"{zh}在正前方", f"{sentence(en)} is straight ahead"),
            "behind": Step(f"{zh}在身后", f"{sentence(en)} is behind you"),
        }[side]
    if floor is None:
        return step
    return Step(f"{floor[0]}：{step.zh}", f"{sentence(floor[1])}: {step.en}")


def route_steps(
    legs: Sequence[Sequence[tuple[float, float]]],
    changes: Sequence[Change],
    from_key: str,
    to_key: str,
    *,
    target: tuple[float, float] | None = None,
    names: Names | None = None,
    floor_names: Mapping[int, Mapping[str, str]] | None = None,
) -> list[Step]:
    """All steps of a route: start, straight stretches and turns per floor, floor changes, arrival.

    *legs* are the plan polylines per floor in order, *changes* the floor changes between them (one fewer),
    *target* the plan point the arrival step names a hand for (a node's anchor; else the route's end)."""
    from_zh, from_en = place_name(from_key, names, start=True)
    to_name = place_name(to_key, names)
    if from_key == to_key:
        return [Step(f"您已在{to_name[0]}", f"You are already at {to_name[1]}")]
    entering = from_key.startswith("entrance:")
    steps = [
        Step(f"从{from_zh}进入", f"Enter through {from_en}")
        if entering
        else Step(f"从{from_zh}出发", f"Start from {from_en}")
    ]
    heading: tuple[float, float] | None = None
    for index, leg in enumerate(legs):
        if index > 0:
            steps.append(change_step(changes[index - 1], floor_names))
        stretches = runs(leg)
        for i, (dx, dz, length) in enumerate(stretches):
            if i > 0:
                turn = turn_step(turn_angle(stretches[i - 1][:2], (dx, dz)))
                if turn is not None:
                    steps.append(turn)
            # Only someone coming in through an entrance already faces the way to go.
            steps.append(run_step(dx, dz, length, compass=i == 0 and not (index == 0 and entering)))
        if stretches:
            heading = stretches[-1][:2]
        elif len(leg) >= 2 and leg[-1] != leg[-2]:
            heading = (leg[-1][0] - leg[-2][0], leg[-1][1] - leg[-2][1])
    end = legs[-1][-1]
    side: Hand | None = None
    if heading is not None:
        if target is None or math.dist(target, end) < AT_TARGET_M:
            side = "ahead"
        else:
            side = hand(end, heading, target)
    # A route that changed floors says on which floor it arrives (the lift lobby looks alike on each).
    arrived_on = floor_name(changes[-1].to_floor, floor_names) if changes else None
    steps.append(arrival_step(to_name, side, arrived_on))
    return steps
