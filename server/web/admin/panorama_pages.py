"""The staff panorama page ``/admin/halls/<hall>/panoramas``: each scene of the hall's draft (the current
version's without one) with the draft's panorama preview,
an upload per scene (and one for a new scene), the upload's progress, then its job's (polled from the admin
API, ``jobs.py``), and the result or the ingest error; a failed job offers Retry. A done job shows what the
360° camera recorded (``jobs.panorama.result``): capture time and camera, its heading beside the scene's with
"Use the camera's heading" (the scene's ordinary PUT in the draft, with its version) when they differ, and
each metadata warning (a partial panorama above all) in the page's language. A section below uploads a hall model (.glb, optional mapping) for its
one-to-one check and shows the report, with Publish model when it is clean. The HTML is a shell filled
by ``web/src/admin/panoramas.js`` from the JSON beside it (scenes, floors, texts), as text."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template
from sqlalchemy import select

from ...accounts.users import may_edit_hall
from ...db import get_session
from ...models import Hall
from ...publishing.scenepanorama import draft_scenes
from ..pages import json_script
from . import pages_bp
from .auth import current, require
from .pages import HALL_NAV, NAV, TEXT, _context, _lang, add_texts

PAGE_TEXT = {
    "zh": {
        "nav_panoramas": "全景图",
        "panoramas_title": "全景图上传",
        "panoramas_note": "上传后由后台进程校验并切片，然后放入大厅的草稿；草稿发布后市民才能看到新全景图，"
        "在此之前原全景图照常使用。下面显示的是草稿中的全景图。",
        "scene": "场景",
        "preview": "草稿中的全景图",
        "no_panorama": "尚无全景图",
        "panorama_file": "全景图文件（JPEG、PNG 或 WebP，宽:高 = 2:1）",
        "panorama_upload": "上传",
        "new_scene": "新场景",
        "scene_id": "场景编号",
        "floor": "楼层",
        "x": "位置 x（米）",
        "z": "位置 z（米）",
        "name_zh": "中文名称",
        "name_en": "英文名称",
        "uploading": "上传中",
        "queued": "排队等待处理",
        "validate": "校验图像",
        "tile": "切片",
        "publish": "放入草稿",
        "done": "已放入草稿，发布后市民可见",
        "failed": "处理失败：",
        "retry": "重试",
        "panorama_network": "连不上服务器，请检查网络后再试。",
        "captured": "拍摄时间：",
        "camera": "相机：",
        "camera_heading": "相机记录的朝向 {camera}°（场景朝向 {scene}°）",
        "use_camera_heading": "采用相机朝向",
        "camera_heading_used": "场景朝向已改为相机记录的 {camera}°（在草稿中，发布后生效）",
        "model_title": "大厅模型",
        "model_note": "上传新的大厅模型（.glb，可附节点名称映射表）：后台进程检查它是否与本大厅的窗口和设施一一对应，"
        "检查通过后才能发布。",
        "model_current": "当前模型：",
        "model_none": "尚无模型",
        "model_file": "模型文件（.glb）",
        "model_mapping": "节点名称映射表（可选，JSON 或 CSV）",
        "model_check": "上传并检查",
        "model_checking": "检查模型",
        "model_clean": "检查通过：模型与大厅一一对应，可以发布。",
        "model_problems": "检查发现问题，不能发布：",
        "model_publish": "放入草稿",
        "model_published": "已放入草稿，发布后生效。",
    },
    "en": {
        "nav_panoramas": "Panoramas",
        "panoramas_title": "Panorama uploads",
        "panoramas_note": "A worker checks and tiles each upload, then puts it into the hall's draft; citizens "
        "see the new panorama once the draft is published, and the previous one until then. The previews "
        "below are the draft's.",
        "scene": "Scene",
        "preview": "The draft's panorama",
        "no_panorama": "No panorama yet",
        "panorama_file": "Panorama file (JPEG, PNG or WebP, 2:1)",
        "panorama_upload": "Upload",
        "new_scene": "New scene",
        "scene_id": "Scene id",
        "floor": "Floor",
        "x": "Position x (m)",
        "z": "Position z (m)",
        "name_zh": "Name (Chinese)",
        "name_en": "Name (English)",
        "uploading": "Uploading",
        "queued": "Waiting to be processed",
        "validate": "Checking the image",
        "tile": "Tiling",
        "publish": "Putting it into the draft",
        "done": "In the draft: citizens see it once published",
        "failed": "Processing failed: ",
        "retry": "Retry",
        "panorama_network": "The server could not be reached; check the network and try again.",
        "captured": "Captured: ",
        "camera": "Camera: ",
        "camera_heading": "The camera recorded heading {camera}° (the scene's is {scene}°)",
        "use_camera_heading": "Use the camera's heading",
        "camera_heading_used": "The scene now faces the camera's {camera}° (in the draft; it takes effect once "
        "published)",
        "model_title": "Hall model",
        "model_note": "Upload a new hall model (.glb, with an optional node name mapping): a worker checks that it "
        "is one-to-one with this hall's counters and facilities; only then can it be published.",
        "model_current": "Current model: ",
        "model_none": "No model yet",
        "model_file": "Model file (.glb)",
        "model_mapping": "Node name mapping (optional, JSON or CSV)",
        "model_check": "Upload and check",
        "model_checking": "Checking the model",
        "model_clean": "Checked: the model is one-to-one with the hall and can be published.",
        "model_problems": "The check found problems; it cannot be published:",
        "model_publish": "Put into the draft",
        "model_published": "In the draft: it takes effect once published.",
    },
}
add_texts(PAGE_TEXT)
HALL_NAV.append(("admin_pages.panoramas", "nav_panoramas"))


def _scene_row(scene: dict[str, Any], lang: str) -> dict[str, Any]:
    """A draft's *scene* (snapshot form) as the page lists it."""
    panorama = scene.get("panorama") or {}
    preview = panorama.get("preview")
    return {
        "code": scene["code"],
        "name": scene["name"]["en" if lang == "en" else "zh"],
        "floor": scene["floor"],
        "preview": f"{panorama['basePath']}{preview}" if preview else None,
    }


@pages_bp.get("/halls/<hall>/panoramas")
@require("viewer", hall_from="hall")
def panoramas(hall: str):
    """Each scene's panorama in the draft, with uploads and their jobs."""
    session = get_session()
    row = session.scalar(select(Hall).where(Hall.slug == hall))
    if row is None:
        abort(404)
    scenes = draft_scenes(session, row)
    session.commit()  # a hall's first version may have been recorded
    lang = _lang()
    staff = current()
    data = {
        "hall": row.slug,
        "lang": lang,
        "csrf": staff.csrf_token,
        "may_edit": may_edit_hall(staff.user, row.slug),
        "model": row.model_sha[:12] if row.model_sha else None,
        "scenes": [_scene_row(scenes[code], lang) for code in sorted(scenes)],
        "floors": [
            {"level": f.level, "name": f.name_en if lang == "en" else f.name_zh}
            for f in sorted(row.floors, key=lambda f: f.level)
        ],
        "t": {key: TEXT[lang][key] for key in PAGE_TEXT[lang]},
    }
    context = _context(
        lang,
        hall=row.slug,
        hall_name=row.name_en if lang == "en" else row.name_zh,
        nav=NAV,
        hall_nav=HALL_NAV,
        csrf_token=staff.csrf_token,
        data_json=json_script(data),
    )
    return render_template("admin/panoramas.html", **context)
