"""Published panoramas: each scene's tile set lives in the published-files folder (``config.published_root``)
under a version-specific path, ``panoramas/<hall>/<scene>/<version>/`` (the version is a hash of the source),
served as static files that never change; a scene points at its current version in the database."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from flask import Flask
from PIL import Image
from sqlalchemy.orm import Session

from ..config import published_root
from ..db import bump_revision
from ..models import Scene
from .ingest import MAX_SIZE, load_equirect
from .metadata import PanoramaMetadata, read_metadata
from .tiles import remove_stale_partials, tile_panorama

RENDER_QUALITY = 92  # JPEG quality of a rendered demo panorama before it is tiled


def panorama_root(app: Flask) -> Path:
    return published_root(app) / "panoramas"


def add_panorama(
    app: Flask,
    session: Session,
    scene: Scene,
    data: bytes,
    *,
    source: dict[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
    metadata: PanoramaMetadata | None = None,
) -> dict[str, Any]:
    """Validate, tile and publish *data* (an equirect JPEG/PNG/WebP) as *scene*'s panorama; return the
    scene's new tiles config. A failure (PanoramaError, a crash) leaves the previous panorama published.

    The camera's metadata (*metadata*, else read from *data*) goes into the config's ``source`` under
    ``metadata``; a partial panorama is padded into its full equirect (``ingest.pad``)."""
    metadata = metadata if metadata is not None else read_metadata(data)
    image = load_equirect(data, max_size=max_size(app), crop=metadata.crop)
    scene.panorama = tile_version(
        app, scene.hall.slug, scene.code, data, image, source=source, progress=progress, metadata=metadata
    )
    bump_revision(session)
    session.commit()
    return scene.panorama


def max_size(app: Flask) -> tuple[int, int]:
    """The largest (width, height) of a panorama this app accepts (``PANORAMA_MAX_SIZE``)."""
    return app.config.get("PANORAMA_MAX_SIZE", MAX_SIZE)


def tile_version(
    app: Flask,
    hall: str,
    scene: str,
    data: bytes,
    image: np.ndarray,
    *,
    source: dict[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
    metadata: PanoramaMetadata | None = None,
) -> dict[str, Any]:
    """Tile *image* (decoded from *data*, whose hash names the version) into the published-files folder of
    scene *scene* of hall *hall*; the scene's tiles config, ready to be set on it (the camera's *metadata*
    in its ``source``). Nothing points at the new version yet: until a caller sets it, the previous panorama
    stays published."""
    version = hashlib.sha256(data).hexdigest()[:16]
    folder = panorama_root(app) / hall / scene / version
    remove_stale_partials(folder.parent)  # what a killed run left behind
    try:
        config = tile_panorama(image, folder, progress=progress) if not folder.exists() else None
    except FileExistsError:  # the same source tiled by a concurrent request: use its result
        config = None
    if config is None:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    found = metadata.to_dict() if metadata is not None else {}
    return {
        **config,
        "basePath": f"/panoramas/{hall}/{scene}/{version}",
        "version": version,
        "source": {**(source or {"kind": "upload"}), **({"metadata": found} if found else {})},
    }


def jpeg_bytes(image: np.ndarray, quality: int = RENDER_QUALITY) -> bytes:
    """An ``(H, W, 3) uint8`` image as JPEG bytes."""
    out = io.BytesIO()
    Image.fromarray(image).save(out, format="JPEG", quality=quality, subsampling=0)
    return out.getvalue()
