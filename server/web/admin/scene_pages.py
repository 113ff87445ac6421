"""The staff scene pages: ``/admin/halls/<hall>/scenes`` (the draft's scenes, each a link to its editor) and
``/admin/halls/<hall>/scenes/<scene>``, the scene editor: the tour's viewer showing the scene's panorama (the
draft's tiles config) with the editing plugin (``web/src/plugins/hotspotEditor.js``) composed by
``web/src/admin/scenes.js``. Hotspots are moved, reset, hidden and shown, and the initial view set, through
the admin API of ``scenes.py``; everything goes into the draft. Beside them (``web/src/admin/scenePlace.js``):
the scene's links with their arrival views (looked at in the viewer), its heading, and the hall's floor plan
showing where it stands and which way the view looks, where it is placed by a click. A scene with a
panorama has the registration panel (``templates/admin/scene_registration.html``,
``web/src/admin/registration.js``, the API of ``registration.py``): counters clicked in the panorama give its
heading with the residual. The page passes its modules what they need (hall, scene, role, CSRF token, floors with their plan URLs, texts) as JSON."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, render_template

from ...accounts.users import may_edit_hall
from ...db import get_session
from ...publishing import drafts
from ..pages import json_script
from . import pages_bp
from .auth import current, require
from .drafts import _scope
from .pages import HALL_NAV, NAV, TEXT, _context, _lang

PAGE_TEXT = {
    "zh": {
        "nav_scenes": "场景",
        "scenes_title": "场景与热点",
        "scenes_note": "选择一个场景，校正热点位置、隐藏或显示热点、设置初始视角。修改保存在草稿中，发布后市民可见。",
        "scene_floor": "楼层",
        "scene_hotspots": "热点",
        "scene_no_panorama": "尚无全景图",
        "no_scenes": "草稿中没有场景",
        "editor_title": "场景编辑",
        "back": "返回场景列表",
        "hotspot_list": "热点",
        "yaw": "水平角（度）",
        "pitch": "俯仰角（度）",
        "apply": "应用",
        "centre": "放到视野中心",
        "reset": "恢复计算位置",
        "hide": "隐藏",
        "show": "显示",
        "hidden": "已隐藏",
        "overridden": "已校正",
        "initial_view": "初始视角",
        "set_initial": "把当前视角设为初始视角",
        "no_initial": "未设置",
        "check": "发布前检查",
        "check_ok": "本场景没有问题",
        "error": "错误",
        "warning": "提醒",
        "saved": "已保存到草稿",
        "conflict": "其他人刚修改了这个场景。",
        "reload": "重新加载",
        "network": "连不上服务器，请检查网络后再试。",
        "select_hint": "选中热点后可拖动，或用方向键微调（0.5°，按住 Shift 为 5°）。",
        "view_label": "全景视图",
        "links": "连接的场景",
        "links_note": "连接是单向的：从本场景走到目标场景。到达视角是市民经这条连接到达时看到的方向。",
        "no_links": "没有连接",
        "arrival": "到达视角",
        "arrival_none": "未设置（保持原视角）",
        "link_target": "目标场景",
        "add_link": "添加连接",
        "also_back": "同时添加返回连接",
        "add_back": "添加返回连接",
        "has_back": "已有返回连接",
        "remove_link": "删除连接",
        "look_at": "在视图中查看",
        "looking": "正在查看场景（设置到达视角）：",
        "arrival_here": "到达视角 = 当前视角",
        "back_to_scene": "返回本场景",
        "no_target_panorama": "目标场景尚无全景图",
        "heading": "北向（朝向）",
        "heading_note": "全景图正中一列在平面图上的方向（度，顺时针，北为 0）。保存后热点按新朝向重新计算。",
        "heading_field": "朝向（度）",
        "plan": "平面图",
        "plan_label": "楼层平面图：本场景的位置和视线方向",
        "plan_note": "红点是本场景，扇形是当前视线方向；蓝点是其他场景，线是连接。",
        "plan_keys": "平面图获得焦点后，方向键移动本场景 0.1 米（按住 Shift 为 1 米）。",
        "move_here": "移到这里：点击平面图放置本场景",
        "move_here_on": "请点击平面图上的新位置",
        "position_x": "x（米）",
        "position_z": "z（米）",
        "save_position": "保存位置",
        "no_plan": "尚无平面图（大厅模型未发布）",
    },
    "en": {
        "nav_scenes": "Scenes",
        "scenes_title": "Scenes and hotspots",
        "scenes_note": "Choose a scene to correct its hotspots, hide or show them and set its initial view. "
        "Changes go into the draft; citizens see them once published.",
        "scene_floor": "Floor",
        "scene_hotspots": "Hotspots",
        "scene_no_panorama": "No panorama yet",
        "no_scenes": "The draft has no scene",
        "editor_title": "Scene editor",
        "back": "Back to the scenes",
        "hotspot_list": "Hotspots",
        "yaw": "Yaw (°)",
        "pitch": "Pitch (°)",
        "apply": "Apply",
        "centre": "Place at view centre",
        "reset": "Reset to computed position",
        "hide": "Hide",
        "show": "Show",
        "hidden": "hidden",
        "overridden": "corrected",
        "initial_view": "Initial view",
        "set_initial": "Set the current view as initial view",
        "no_initial": "not set",
        "check": "Check before publishing",
        "check_ok": "No problem in this scene",
        "error": "Error",
        "warning": "Warning",
        "saved": "Saved to the draft",
        "conflict": "Someone else has just changed this scene.",
        "reload": "Reload",
        "network": "The server could not be reached; check the network and try again.",
        "select_hint": "Drag a selected hotspot, or nudge it with the arrow keys (0.5°, with Shift 5°).",
        "view_label": "Panorama view",
        "links": "Linked scenes",
        "links_note": "A link is one-way: from this scene to its target. The arrival view is the way a citizen "
        "looks on arriving through it.",
        "no_links": "No links",
        "arrival": "Arrival view",
        "arrival_none": "not set (the view is kept)",
        "link_target": "Target scene",
        "add_link": "Add link",
        "also_back": "Also add the way back",
        "add_back": "Add the way back",
        "has_back": "Links back",
        "remove_link": "Remove link",
        "look_at": "Look in the viewer",
        "looking": "Looking at scene (to set the arrival view):",
        "arrival_here": "Arrival view = this view",
        "back_to_scene": "Back to this scene",
        "no_target_panorama": "The target scene has no panorama yet",
        "heading": "North / heading",
        "heading_note": "The plan bearing of the panorama's centre column (degrees clockwise, north 0). "
        "The hotspots are computed again after a save.",
        "heading_field": "Heading (°)",
        "plan": "Floor plan",
        "plan_label": "Floor plan: where this scene stands and which way it looks",
        "plan_note": "The red dot is this scene, the wedge the way the view looks; blue dots are other scenes, "
        "lines its links.",
        "plan_keys": "With the plan focused, the arrow keys move this scene by 0.1 m (with Shift 1 m).",
        "move_here": "Move here: click the plan to place this scene",
        "move_here_on": "Click the new place on the plan",
        "position_x": "x (m)",
        "position_z": "z (m)",
        "save_position": "Save position",
        "no_plan": "No floor plan yet (no published hall model)",
    },
}
# The registration panel's texts (templates/admin/scene_registration.html, web/src/admin/registration.js).
REGISTER_TEXT = {
    "zh": {
        "register_title": "注册全景图",
        "register_note": "新拍的全景图朝向不准时：选一个柜台，在全景图中点击它所在的位置（或把视野中心对准它，"
        "按“在视野中心取点”）。两个点求出朝向，三个以上方向分散的点还能求出位置。",
        "register_start": "注册全景图",
        "register_stop": "结束注册",
        "register_counter": "柜台",
        "register_click": "在全景图中点击所选柜台的位置。",
        "register_centre": "在视野中心取点",
        "register_points": "已取的点",
        "register_remove": "删除",
        "register_need": "至少需要两个点。",
        "register_heading": "朝向",
        "register_position": "位置",
        "register_residual": "残差",
        "register_error": "误差",
        "register_good": "各点一致，可以接受。",
        "register_bad": "各点互相矛盾，请检查误差大的点。",
        "register_accept": "接受",
        "register_accepted": "朝向已保存到草稿，热点已按新朝向更新。",
    },
    "en": {
        "register_title": "Register the panorama",
        "register_note": "When a newly photographed panorama is turned wrongly: choose a counter and click where it "
        "is in the panorama (or turn the view's centre onto it and press “Take the point at the view centre”). "
        "Two points give the heading; three or more spread out give the position too.",
        "register_start": "Register the panorama",
        "register_stop": "Stop registering",
        "register_counter": "Counter",
        "register_click": "Click where the chosen counter is in the panorama.",
        "register_centre": "Take the point at the view centre",
        "register_points": "Points taken",
        "register_remove": "Remove",
        "register_need": "At least two points are needed.",
        "register_heading": "Heading",
        "register_position": "Position",
        "register_residual": "Residual",
        "register_error": "error",
        "register_good": "The points agree: this may be accepted.",
        "register_bad": "The points contradict each other: check the ones with a large error.",
        "register_accept": "Accept",
        "register_accepted": "The heading was saved to the draft; the hotspots follow it.",
    },
}
for _lang_code, _texts in REGISTER_TEXT.items():
    PAGE_TEXT[_lang_code].update(_texts)
for _lang_code, _texts in PAGE_TEXT.items():
    TEXT[_lang_code].update(_texts)
HALL_NAV.append(("admin_pages.scenes", "nav_scenes"))


def _hall_context(hall: str, lang: str, **extra: Any) -> dict[str, Any]:
    row = _scope(hall).target
    return _context(
        lang,
        hall=row.slug,
        hall_name=row.name_en if lang == "en" else row.name_zh,
        nav=NAV,
        hall_nav=HALL_NAV,
        csrf_token=current().csrf_token,
        **extra,
    )


@pages_bp.get("/halls/<hall>/scenes")
@require("viewer", hall_from="hall")
def scenes(hall: str):
    """The draft's scenes, each a link to its editor."""
    lang = _lang()
    session = get_session()
    data, _row = drafts.current(session, _scope(hall))
    session.commit()
    rows = [
        {
            "code": s["code"],
            "name": s["name"]["en" if lang == "en" else "zh"],
            "floor": s["floor"],
            "panorama": s.get("panorama") is not None,
        }
        for s in sorted(data["scenes"].values(), key=lambda s: (s["floor"], s["code"]))
    ]
    return render_template("admin/scenes.html", **_hall_context(hall, lang, scenes=rows))


@pages_bp.get("/halls/<hall>/scenes/<scene>")
@require("viewer", hall_from="hall")
def scene_editor(hall: str, scene: str):
    """One scene of the draft in the viewer, with its hotspots to correct and its initial view to set."""
    lang = _lang()
    session = get_session()
    data, _row = drafts.current(session, _scope(hall))
    session.commit()
    obj = data["scenes"].get(scene)
    if obj is None:
        abort(404)
    staff = current()
    hall_row = _scope(hall).target
    published = current_app.extensions["hall_models"].get(hall_row) is not None
    page = {
        "hall": hall,
        "scene": scene,
        "lang": lang,
        # The tour's own plans (model metres in their viewBox); none without a published model.
        "floors": [
            {
                "level": f.level,
                "name": {"zh": f.name_zh, "en": f.name_en},
                "plan_url": f"/api/v1/halls/{hall}/floors/{f.level}/plan.svg" if published else None,
            }
            for f in sorted(hall_row.floors, key=lambda f: f.level)
        ],
        "csrf": staff.csrf_token,
        "may_edit": may_edit_hall(staff.user, hall),
        # What a hotspot is called in the list and on the view: a counter by its number (as on its sign), a
        # facility and a scene by name, in the page's language.
        "names": {
            **{f"facility:{f.code}": f.name_en if lang == "en" else f.name_zh for f in hall_row.facilities},
            **{f"scene:{c}": s["name"]["en" if lang == "en" else "zh"] for c, s in data["scenes"].items()},
        },
        "t": {key: TEXT[lang][key] for key in PAGE_TEXT[lang]},
    }
    name = obj["name"]["en" if lang == "en" else "zh"]
    may_register = page["may_edit"] and obj.get("panorama") is not None
    return render_template(
        "admin/scene_editor.html",
        **_hall_context(
            hall,
            lang,
            scene=scene,
            scene_name=name,
            data_json=json_script(page),
            hall_tab="admin_pages.scenes",
            may_register=may_register,
        ),
    )
