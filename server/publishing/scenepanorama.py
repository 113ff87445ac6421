"""A scene's panorama, set by staff: the one function that puts a tiled panorama into a hall's draft
(creating the scene there when it is new), and the check of a new scene's fields that an upload sends.

``into_draft`` is the last step of a panorama upload job (``server/jobs``). It writes the tiles config into
the ``scenes`` collection of the draft of ``hall:<slug>`` (``publishing.drafts``; the draft is created from
the current version when there is none, as the admin API's saves do): the scene's ``panorama`` field only,
its object version moving, with an audit entry saying it went into the draft, inside the caller's
transaction (the caller commits). Citizens see it once the draft is published (``halldata.apply_scenes``
writes ``panorama`` from the snapshot); nothing live changes here. A new scene ``{floor, x, z, name_zh,
name_en}`` stands at eye height above its floor, facing the heading its camera recorded (``heading``, a 360°
camera's GPano pose read by ``panoramas.metadata``) or north without one, linked to nothing yet; staff place
and link it in the draft. An existing scene keeps its heading (staff may have set or registered it); the job
shows them the camera's beside it. An existing scene that the draft no longer has (removed, or its draft discarded, while the job
ran) is not brought back: the job fails with :class:`SceneGone` — removing it was a staff decision in the
draft that an upload must not silently undo — and staff upload it again as a new scene, or retry once the
scene is back.

The command line's ``panorama add``/``render-demo`` stay live (an operator's tool): they write the live tables
and ``halldata.follow_live_scenes``.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ..conventions import EYE_HEIGHT
from ..models import Hall, Scene
from ..problems import HallError
from ..vocabulary import PLACE_KEY_PATTERN
from . import drafts

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


class SceneGone(HallError):
    """The scene an upload was for is no longer in the draft (removed, or the draft discarded, while the job
    ran): 409, nothing put into the draft."""

    def __init__(self, code: str) -> None:
        super().__init__(
            "scene_gone",
            f"处理期间场景 {code} 已从草稿中删除（或草稿已被放弃），全景图没有放入草稿。"
            "请作为新场景重新上传，或恢复该场景后点击“重试”。",
            f"Scene {code} was removed from the draft (or the draft was discarded) while the upload was "
            "processed; the panorama was not put into the draft. Upload it again as a new scene, or bring the "
            "scene back and choose Retry.",
            status=409,
            details={"scene": code},
        )


def hall_scope(session: Session, hall: Hall) -> drafts.Scope:
    """The drafts scope of *hall* (``hall:<slug>``)."""
    return drafts.resolve(session, f"hall:{hall.slug}")


def draft_scenes(session: Session, hall: Hall) -> dict[str, Any]:
    """The scenes staff edit now: the draft's, else the current version's (snapshot form, by code)."""
    data, _row = drafts.current(session, hall_scope(session, hall))
    return data["scenes"]


def new_scene_object(
    hall: Hall, code: str, fields: dict[str, Any], heading: float | None = None
) -> dict[str, Any]:
    """Scene *code* in snapshot form from a new scene's *fields* (:func:`check_new_scene`): at eye height
    above its floor, facing *heading* (the camera's; None: north), no initial view, links or overrides, no
    panorama yet."""
    floor = next(f for f in hall.floors if f.level == fields["floor"])
    return {
        "code": code,
        "name": {"zh": fields["name_zh"], "en": fields["name_en"]},
        "floor": floor.level,
        "position": [fields["x"], floor.elevation + EYE_HEIGHT, fields["z"]],
        "heading": float(heading) if heading is not None else 0.0,
        "initial_view": None,
        "links": {},
        "overrides": {},
        "panorama": None,
    }


def into_draft(
    session: Session,
    hall: Hall,
    scene_code: str,
    tiles_config: dict[str, Any],
    *,
    new_scene: dict[str, Any] | None = None,
    heading: float | None = None,
    user: str,
    now: datetime,
) -> dict[str, Any]:
    """Make *tiles_config* the panorama of scene *scene_code* in the draft of *hall* — created there from
    *new_scene* (the fields of :func:`check_new_scene`), facing *heading* (the camera's pose heading, used
    for a new scene only), when the draft has no such scene — with an audit entry, in the caller's transaction; the scene as saved. SceneGone (409) when the draft has no such
    scene and no *new_scene* is given; ``drafts.Invalid`` (422) when a new scene's fields do not fit the
    hall (a position off its floor)."""
    scope = hall_scope(session, hall)
    before = drafts.current(session, scope)[0]["scenes"].get(scene_code)
    if before is None and new_scene is None:
        raise SceneGone(scene_code)
    if before is not None:
        obj = drafts.plain(before)
    else:
        obj = new_scene_object(hall, scene_code, new_scene, heading)
    old = (obj.get("panorama") or {}).get("version")
    version = tiles_config.get("version")
    return drafts.save(
        session,
        scope,
        "scenes",
        scene_code,
        {**obj, "panorama": tiles_config},
        expected=before.get("version") if before is not None else None,
        user=user,
        now=now,
        summary=f"全景图放入草稿 / panorama into the draft: {scene_code} {old or '—'} → {version}",
    )
