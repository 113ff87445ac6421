"""A scene's panorama, set by staff: the one function that attaches a tiled panorama to a scene of a hall
(creating the scene when it is new), and the check of a new scene's fields that an upload sends.

``attach`` is the last step of a panorama upload job (``server/jobs``). It sets the live scene's tiles config
— a new picture is published at once, as the command line's ``panorama add`` does — and the same in the
current version's and the draft's snapshots (``halldata.follow_live_scenes``: no later publish or restore
takes it back), moving the catalogue revision, with an audit entry, inside the caller's transaction (the
caller commits). A new scene ``{floor, x, z, name_zh, name_en}`` stands at eye height above its floor, facing
north, linked to nothing yet; staff place and link it in the draft.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ..conventions import EYE_HEIGHT
from ..db import bump_revision
from ..models import Hall, Scene
from ..problems import HallError
from ..vocabulary import PLACE_KEY_PATTERN
from . import audit
from .halldata import follow_live_scenes

NEW_SCENE_FIELDS = ("floor", "x", "z", "name_zh", "name_en")
NAME_LIMITS = {"name_zh": 100, "name_en": 200}
COORDINATE_LIMIT = 10_000.0  # metres from the model's origin: anything farther is a typing error
_SCENE_CODE = re.compile(rf"^{PLACE_KEY_PATTERN}$")


class SceneFieldsError(HallError):
    """A new scene's fields that are missing or wrong (422); ``details.problems`` names each field."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        fields = ", ".join(p["field"] for p in problems)
        super().__init__(
            "bad_scene",
            f"新场景的信息不完整或有误：{fields}",
            f"The new scene's fields are missing or wrong: {fields}",
            status=422,
            details={"problems": problems},
        )


def _problem(field: str, zh: str, en: str) -> dict[str, str]:
    return {"field": field, "zh": zh, "en": en}


def _missing(field: str) -> dict[str, str]:
    return _problem(field, f"缺少 {field}", f"{field} is missing")


def check_scene_code(code: str) -> None:
    """Refuse (422) a scene id that is not a place key (letters, digits, ``-``, ``_``; at most 64)."""
    if not _SCENE_CODE.match(code):
        raise SceneFieldsError(
            [
                _problem(
                    "scene", "场景编号只能由字母、数字、- 和 _ 组成", "A scene id is letters, digits, - and _"
                )
            ]
        )


def find_scene(hall: Hall, code: str) -> Scene | None:
    """The scene *code* of *hall*, or None."""
    return next((s for s in hall.scenes if s.code == code), None)


def check_new_scene(hall: Hall, form: dict[str, Any]) -> dict[str, Any]:
    """A new scene's fields from *form* (text values, as a form sends them), checked: ``{floor (level), x, z,
    name_zh, name_en}``. SceneFieldsError (422) naming each missing or wrong field otherwise."""
    problems, fields = [], {}
    for name in NEW_SCENE_FIELDS:
        value = form.get(name)
        value = value.strip() if isinstance(value, str) else value
        if value in (None, ""):
            problems.append(_missing(name))
            continue
        if name in NAME_LIMITS:
            if len(value) > NAME_LIMITS[name]:
                problems.append(
                    _problem(name, f"{name} 最多 {NAME_LIMITS[name]} 个字符", f"{name} is too long")
                )
            fields[name] = value
            continue
        try:
            number = int(value) if name == "floor" else float(value)
        except (TypeError, ValueError):
            problems.append(_problem(name, f"{name} 应为数字", f"{name} must be a number"))
            continue
        if name != "floor" and not (math.isfinite(number) and abs(number) <= COORDINATE_LIMIT):
            problems.append(_problem(name, f"{name} 超出范围", f"{name} is out of range"))
            continue
        fields[name] = number
    if "floor" in fields and not any(f.level == fields["floor"] for f in hall.floors):
        problems.append(
            _problem("floor", f"大厅没有 {fields['floor']} 层", f"The hall has no floor {fields['floor']}")
        )
    if problems:
        raise SceneFieldsError(problems)
    return fields


def attach(
    session: Session,
    hall: Hall,
    scene_code: str,
    tiles_config: dict[str, Any],
    *,
    new_scene: dict[str, Any] | None = None,
    user: str | None,
    now: datetime,
) -> Scene:
    """Make *tiles_config* the panorama of scene *scene_code* of *hall* — created from *new_scene* (the
    fields of :func:`check_new_scene`) when the hall has no such scene — with an audit entry and a new
    catalogue revision, in the caller's transaction. SceneFieldsError when the scene is missing and no
    *new_scene* is given."""
    scene = find_scene(hall, scene_code)
    before = dict(scene.panorama) if scene is not None and scene.panorama else None
    created = scene is None
    if created:
        if new_scene is None:
            raise SceneFieldsError([_missing(name) for name in NEW_SCENE_FIELDS])
        floor = next(f for f in hall.floors if f.level == new_scene["floor"])
        scene = Scene(
            hall=hall,
            floor=floor,
            code=scene_code,
            name_zh=new_scene["name_zh"],
            name_en=new_scene["name_en"],
            x=new_scene["x"],
            y=floor.elevation + EYE_HEIGHT,
            z=new_scene["z"],
            heading=0.0,
        )
        session.add(scene)
    scene.panorama = tiles_config
    audit.record(
        session,
        user=user,
        scope=f"hall:{hall.slug}",
        object_type="scene",
        object_id=scene_code,
        action="create" if created else "update",
        before={"panorama": before and before.get("version")},
        after={"panorama": tiles_config.get("version")},
        summary=f"全景图 / panorama {scene_code}: {tiles_config.get('version')}",
        at=now,
    )
    session.flush()  # a new scene's id, for its snapshot
    follow_live_scenes(session, hall)
    bump_revision(session)
    return scene
