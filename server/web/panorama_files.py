"""Published panorama tile sets as static, immutable files: ``/panoramas/<hall>/<scene>/<version>/…``."""

from __future__ import annotations

import re

from flask import Blueprint, current_app, send_from_directory

from ..errors import not_found
from ..panoramas.store import panorama_root
from ..vocabulary import IMMUTABLE_MAX_AGE

SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

bp = Blueprint("panoramas", __name__)


@bp.get("/panoramas/<hall>/<scene>/<version>/<path:name>")
def tile_file(hall: str, scene: str, version: str, name: str):
    """A file of a published tile set; its path names a version, so it may be cached for ever."""
    parts = [hall, scene, version, *name.split("/")]
    if len(parts) > 6 or not all(SEGMENT.match(p) and ".." not in p for p in parts):
        raise not_found("全景图文件", "Panorama file", name)
    response = send_from_directory(
        panorama_root(current_app._get_current_object()), "/".join(parts), max_age=IMMUTABLE_MAX_AGE
    )
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response
