"""Demo panoramas rendered from a hall model on the CPU: a numpy z-buffer into six cube faces, shaded, then
resampled to an equirectangular image (yaw, pitch and heading as in ``conventions``).

No OpenGL and no display: each face keeps the nearest triangle of every pixel, found by testing the pixel's
ray against the three planes through the camera and the triangle's edges (so triangles that pass behind the
camera need no clipping), then colours it from the material's baseColorFactor × baseColorTexture (mipmapped,
perspective-correct, bilinear) under soft light from above, below and one side, screen-space ambient
occlusion and a little haze. Rays that hit nothing show a light ceiling above the horizon and a floor below.

``render_equirect`` takes a trimesh scene (as loaded from a published GLB) or a ``Model`` from
``flatten_scene``, to flatten a hall once and render many scenes of it.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import trimesh
from PIL import Image
from scipy import ndimage

from ..conventions import bearing_to_vector

MIN_WIDTH = 64  # pixels, the narrowest panorama rendered
FACE_PER_WIDTH = 0.375  # cube face pixels per panorama width: 1536 for 4096, 1.5× the equator's density
GUARD = 0.03  # extra border of each face, as a fraction of its size: room for bilinear taps and the blur
NEAR = 0.01  # metres: nothing nearer the camera than this is drawn
BATCH_PIXELS = 64 * 64  # triangles whose bounding box is at most this many pixels are drawn many at once
BATCH_ELEMENTS = 1 << 20  # pixels tested in one batch
WORKERS = 2  # threads drawing faces; numpy releases the GIL inside its array loops
ROWS_PER_CHUNK = 256  # panorama rows resampled at once

CEILING_RGB = (0.94, 0.94, 0.93)  # where no surface is hit above the horizon: the models have no ceiling
VOID_FLOOR_RGB = (0.78, 0.77, 0.74)  # where none is hit below it
AMBIENT = 0.6  # light every surface gets
UP_LIGHT = 0.3  # more on surfaces facing up (floors, desk tops): the hall's lights are above
DOWN_LIGHT = 0.32  # more on surfaces facing down (the ceiling): light bounced off the floor
SIDE_LIGHT = 0.3  # more on walls by how much they face the key direction, half-Lambert
KEY_BEARING = 150.0  # degrees: the side key light comes from the south-south-east
HAZE_RGB = (0.93, 0.94, 0.96)
HAZE_DISTANCE = 120.0  # metres at which 1 − 1/e of the colour has turned to haze
HAZE_MAX = 0.35
AO_RADIUS = 0.7  # metres: surfaces this close darken each other (floor–wall seams, desk feet)
AO_SAMPLES = 10  # neighbours looked at per pixel
AO_MAX_PIXELS = 96  # the widest look, in half-resolution pixels
AO_BIAS = 0.08  # cosine below which a neighbour does not occlude (flat surfaces stay clean)
AO_STEP = 0.03  # metres a neighbour must stand above a surface to occlude it (floor paint does not)
AO_STRENGTH = 1.8  # darkening of a fully enclosed point
AO_MAX = 0.5  # the most any point is darkened
MAX_TEXELS = 1 << 24  # larger textures are scaled down to this many pixels on loading
LOD_BIAS = -0.5  # texture detail level offset: a little sharper than the footprint says, for text

BAYER_4 = np.array([[0, 8, 2, 10], [12, 4, 14, 6], [3, 11, 1, 9], [15, 7, 13, 5]], dtype=np.float32)
GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))

# Cube faces as rows (right, up, forward) in model space; camera coordinates are (d·right, d·up, d·forward).
FACES = np.array(
    [
        [[0, 0, 1], [0, 1, 0], [1, 0, 0]],  # east (+X)
        [[0, 0, -1], [0, 1, 0], [-1, 0, 0]],  # west
        [[1, 0, 0], [0, 0, 1], [0, 1, 0]],  # up
        [[1, 0, 0], [0, 0, -1], [0, -1, 0]],  # down
        [[-1, 0, 0], [0, 1, 0], [0, 0, 1]],  # south (+Z)
        [[1, 0, 0], [0, 1, 0], [0, 0, -1]],  # north (−Z)
    ],
    dtype=np.float64,
)

Progress = Callable[[float], None]


@dataclass(frozen=True)
class Model:
    """A scene flattened to world-space triangles with their colours and texture coordinates."""

    triangles: np.ndarray  # (T, 3, 3) float64 vertices in model space
    colours: np.ndarray  # (T, 3) float32 base colour factor, 0–1
    texture: np.ndarray  # (T,) int32 index into ``textures``, −1 for none
    uv: np.ndarray  # (T, 3, 2) float32 texture coordinates, v up (trimesh's convention)
    textures: tuple[tuple[np.ndarray, ...], ...]  # mip pyramids of (H, W, 3) uint8 sRGB images


@dataclass(frozen=True)
class _Face:
    """One cube face's frame and pixel grid."""

    rotation: np.ndarray  # (3, 3) float64 rows right, up, forward
    size: int  # pixels across the face without its guard border
    xs: np.ndarray  # (S,) float32 x/z of each column's centre (S = size + 2 × guard)
    ys: np.ndarray  # (S,) float32 y/z of each row's centre


@dataclass(frozen=True)
class _Setup:
    """The triangles that can show in one face, ready to rasterise and texture."""

    keep: np.ndarray  # (K,) int64 indices into the model's triangles
    edges: np.ndarray  # (K, 3, 3) float32 edge planes: ray d = (x, y, 1) hits iff d·plane ≥ 0 for all three
    inverse_depth: np.ndarray  # (K, 3) float32 plane p with 1/z = d·p at the hit
    boxes: np.ndarray  # (K, 4) int64 pixel box column0, row0, column1, row1 (exclusive)
    uv_row: np.ndarray  # (K,) int64 row of a textured triangle in the next two arrays, −1 for none
    uv_planes: np.ndarray  # (Q, 3, 2) float64 U with uv = (d·U) / (d·p)
    inverse_depth64: np.ndarray  # (Q, 3) float64 p of the textured triangles


def flatten_scene(scene: trimesh.Scene | trimesh.Trimesh) -> Model:
    """The triangles of every mesh in *scene*, placed by its node transforms, with their materials."""
    if isinstance(scene, trimesh.Trimesh):
        scene = trimesh.Scene(scene)
    tris, colours, texture, uvs = [], [], [], []
    by_object: dict[int, int] = {}  # id(image) → index in textures
    by_content: dict[bytes, int] = {}  # digest → index, for exporters that copy one image per material
    textures: list[tuple[np.ndarray, ...]] = []
    for node in scene.graph.nodes_geometry:
        transform, name = scene.graph[node]
        mesh = scene.geometry.get(name)
        if not isinstance(mesh, trimesh.Trimesh) or len(mesh.faces) == 0:
            continue
        vertices = trimesh.transform_points(np.asarray(mesh.vertices, dtype=np.float64), transform)
        faces = np.asarray(mesh.faces)
        count = len(faces)
        rgb, image, uv = _material(mesh)
        tris.append(vertices[faces])
        colours.append(np.broadcast_to(rgb, (count, 3)) if rgb.ndim == 1 else rgb)
        if image is not None and uv is not None and len(uv) == len(vertices):
            if id(image) not in by_object:
                hasher = hashlib.blake2b(repr((image.mode, image.size)).encode(), digest_size=16)
                hasher.update(image.tobytes())
                digest = hasher.digest()
                if digest not in by_content:
                    by_content[digest] = len(textures)
                    textures.append(_pyramid(image))
                by_object[id(image)] = by_content[digest]
            texture.append(np.full(count, by_object[id(image)], dtype=np.int32))
            uvs.append(uv[faces].astype(np.float32))
        else:
            texture.append(np.full(count, -1, dtype=np.int32))
            uvs.append(np.zeros((count, 3, 2), dtype=np.float32))
    if not tris:
        return Model(
            np.zeros((0, 3, 3)),
            np.zeros((0, 3), np.float32),
            np.zeros(0, np.int32),
            np.zeros((0, 3, 2), np.float32),
            (),
        )
    return Model(
        np.concatenate(tris),
        np.concatenate(colours).astype(np.float32),
        np.concatenate(texture),
        np.concatenate(uvs),
        tuple(textures),
    )


def _material(mesh: trimesh.Trimesh) -> tuple[np.ndarray, Image.Image | None, np.ndarray | None]:
    """A mesh's base colour ((3,) or per face (F, 3), 0–1), texture image and per-vertex UV (V, 2)."""
    visual = mesh.visual
    if isinstance(visual, trimesh.visual.ColorVisuals):
        if visual.kind == "face":
            return np.asarray(visual.face_colors, dtype=np.float32)[:, :3] / 255.0, None, None
        if visual.kind == "vertex":
            vc = np.asarray(visual.vertex_colors, dtype=np.float32)[:, :3] / 255.0
            return vc[mesh.faces].mean(axis=1), None, None
        return np.array([0.8, 0.8, 0.8], np.float32), None, None
    material = getattr(visual, "material", None)
    uv = getattr(visual, "uv", None)
    uv = None if uv is None else np.asarray(uv, dtype=np.float64)
    if isinstance(material, trimesh.visual.material.PBRMaterial):
        factor, image = material.baseColorFactor, material.baseColorTexture
    elif isinstance(material, trimesh.visual.material.SimpleMaterial):
        factor, image = material.diffuse, material.image
    else:
        factor, image = None, None
    if factor is None:
        rgb = np.ones(3, dtype=np.float32)
    else:
        factor = np.asarray(factor)
        rgb = factor[:3].astype(np.float32) / (255.0 if factor.dtype.kind in "iu" else 1.0)
    return rgb, image if isinstance(image, Image.Image) else None, uv


def _pyramid(image: Image.Image) -> tuple[np.ndarray, ...]:
    """Mip levels (H, W, 3) uint8 of *image*, each a 2×2 box average of the one before, down to 1 px."""
    image = image.convert("RGB")
    if image.width * image.height > MAX_TEXELS:
        scale = math.sqrt(MAX_TEXELS / (image.width * image.height))
        image = image.resize((max(1, int(image.width * scale)), max(1, int(image.height * scale))), Image.BOX)
    level = np.asarray(image, dtype=np.uint8)
    levels = [level]
    while max(level.shape[:2]) > 1:
        h, w = level.shape[:2]
        padded = np.pad(level, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge").astype(np.float32)
        halved = padded.reshape(padded.shape[0] // 2, 2, padded.shape[1] // 2, 2, 3).mean(axis=(1, 3))
        level = np.rint(halved).astype(np.uint8)
        levels.append(level)
    return tuple(levels)


def render_equirect(
    scene: trimesh.Scene | trimesh.Trimesh | Model,
    position: Sequence[float],
    heading: float,
    *,
    width: int = 4096,
    progress: Progress | None = None,
) -> np.ndarray:
    """The (width/2, width, 3) uint8 RGB panorama of *scene* from *position* (model metres) at *heading*.

    Column c, row r looks along yaw (c + 0.5) / width · 360 − 180 and pitch 90 − (r + 0.5) / height · 180, so
    model bearing = heading + yaw. *progress*, if given, is called with the fraction done (0–1], ending at 1.
    """
    if isinstance(width, bool) or not isinstance(width, int | np.integer):
        raise ValueError(f"width must be an integer, not {width!r}")
    if width < MIN_WIDTH or width % 2:
        raise ValueError(f"width must be even and at least {MIN_WIDTH}, not {width}")
    width = int(width)
    try:
        camera = np.array([float(v) for v in position], dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"position must be three numbers, not {position!r}") from None
    if camera.shape != (3,) or not np.isfinite(camera).all():
        raise ValueError(f"position must be three finite numbers, not {position!r}")
    try:
        heading = float(heading)
    except (TypeError, ValueError):
        raise ValueError(f"heading must be a number, not {heading!r}") from None
    if not math.isfinite(heading):
        raise ValueError(f"heading must be finite, not {heading!r}")
    model = scene if isinstance(scene, Model) else flatten_scene(scene)
    size = max(16, round(width * FACE_PER_WIDTH / 8) * 8)
    guard = max(2, math.ceil(size * GUARD))
    faces = [_face(rotation, size, guard) for rotation in FACES]
    normals = _facing_normals(model.triangles, camera)
    steps = len(faces) + 1
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = [pool.submit(_draw_face, model, normals, camera, face) for face in faces]
        images = []
        for done, future in enumerate(futures, start=1):
            images.append(future.result())
            if progress is not None:
                progress(done / steps)
    cube = np.stack(images)
    panorama = _resample(cube, faces, heading, width)
    if progress is not None:
        progress(1.0)
    return panorama


def _face(rotation: np.ndarray, size: int, guard: int) -> _Face:
    """The face of *rotation* with *size* pixels across its 90° and *guard* more on each side."""
    total = size + 2 * guard
    centres = (np.arange(total, dtype=np.float64) + 0.5 - total / 2) * (2.0 / size)
    return _Face(rotation, size, centres.astype(np.float32), (-centres).astype(np.float32))


def _facing_normals(triangles: np.ndarray, camera: np.ndarray) -> np.ndarray:
    """Unit normals (T, 3) float32 of *triangles* (T, 3, 3), each turned towards *camera* (3,)."""
    normal = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    length = np.linalg.norm(normal, axis=1, keepdims=True)
    normal = np.divide(normal, length, out=np.zeros_like(normal), where=length > 0)
    away = np.einsum("ij,ij->i", normal, triangles[:, 0] - camera) > 0
    normal[away] *= -1
    return normal.astype(np.float32)


def _draw_face(model: Model, normals: np.ndarray, camera: np.ndarray, face: _Face) -> np.ndarray:
    """The shaded (S, S, 3) float32 image of one cube face, guard border included."""
    setup = _setup(model, camera, face)
    ids, depth = _rasterise(setup, face)
    return _shade(model, normals, face, setup, ids, depth)


def _setup(model: Model, camera: np.ndarray, face: _Face) -> _Setup:
    """Cull *model*'s triangles to *face* seen from *camera* (3,) and compute their planes and boxes."""
    v = (model.triangles - camera) @ face.rotation.T  # (T, 3, 3) camera coordinates
    total = len(face.xs)
    extent = total / face.size  # x/z (and y/z) at the outer edge of the guard border
    z = v[..., 2]
    outside = (z <= NEAR).all(axis=1)
    for axis in (0, 1):
        outside |= (v[..., axis] > extent * z).all(axis=1) | (v[..., axis] < -extent * z).all(axis=1)
    c = np.stack([np.cross(v[:, 1], v[:, 2]), np.cross(v[:, 2], v[:, 0]), np.cross(v[:, 0], v[:, 1])], axis=1)
    det = np.einsum("ij,ij->i", v[:, 0], c[:, 0])
    scale = np.prod(np.linalg.norm(v, axis=2), axis=1)
    outside |= np.abs(det) <= 1e-9 * scale  # edge-on or degenerate
    keep = np.flatnonzero(~outside)
    v, c, det = v[keep], c[keep], det[keep]
    edges = (c * np.sign(det)[:, None, None]).astype(np.float32)  # exact negation keeps shared edges closed
    inverse64 = c.sum(axis=1) / det[:, None]
    textured = np.flatnonzero(model.texture[keep] >= 0)
    uv_row = np.full(len(keep), -1, dtype=np.int64)
    uv_row[textured] = np.arange(len(textured))
    uv_planes = np.einsum("kij,kil->kjl", c[textured], model.uv[keep[textured]].astype(np.float64))
    uv_planes /= det[textured, None, None]
    # Bounding box of the part in front of the near plane: vertices there and edge crossings of it.
    points, valid = [], []
    for i, j in ((0, 1), (1, 2), (2, 0)):
        zi, zj = v[:, i, 2], v[:, j, 2]
        points.append(v[:, i])
        valid.append(zi >= NEAR)
        crosses = (zi - NEAR) * (zj - NEAR) < 0
        t = np.divide(NEAR - zi, zj - zi, out=np.zeros_like(zi), where=crosses)
        points.append(v[:, i] + t[:, None] * (v[:, j] - v[:, i]))
        valid.append(crosses)
    p = np.stack(points, axis=1)  # (K, 6, 3)
    ok = np.stack(valid, axis=1)
    pz = np.where(ok, np.maximum(p[..., 2], NEAR), 1.0)
    px = np.clip(p[..., 0] / pz, -extent, extent)
    py = np.clip(p[..., 1] / pz, -extent, extent)
    half = face.size / 2
    x0 = np.where(ok, px, np.inf).min(axis=1)
    x1 = np.where(ok, px, -np.inf).max(axis=1)
    y0 = np.where(ok, py, np.inf).min(axis=1)
    y1 = np.where(ok, py, -np.inf).max(axis=1)
    boxes = np.stack(
        [
            np.floor(x0 * half + total / 2 - 0.5) - 1,
            np.floor(-y1 * half + total / 2 - 0.5) - 1,
            np.ceil(x1 * half + total / 2 - 0.5) + 2,
            np.ceil(-y0 * half + total / 2 - 0.5) + 2,
        ],
        axis=1,
    )
    boxes = np.clip(boxes, 0, total).astype(np.int64)
    return _Setup(keep, edges, inverse64.astype(np.float32), boxes, uv_row, uv_planes, inverse64[textured])


def _rasterise(setup: _Setup, face: _Face) -> tuple[np.ndarray, np.ndarray]:
    """The nearest triangle (S, S) int32 (index into setup.keep, −1 for none) and its 1/z (S, S) float32."""
    edges, inverse_depth, boxes = setup.edges, setup.inverse_depth, setup.boxes
    total = len(face.xs)
    ids = np.full((total, total), -1, dtype=np.int32)
    depth = np.zeros((total, total), dtype=np.float32)  # 1/z: larger is nearer, 0 is nothing
    far_limit = np.float32(1.0 / NEAR)
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    area = w * h
    big = np.flatnonzero(area > BATCH_PIXELS)
    for k in big:
        c0, r0, c1, r1 = boxes[k]
        x = face.xs[None, c0:c1]
        y = face.ys[r0:r1, None]
        e = edges[k]
        inside = (x * e[0, 0] + y * e[0, 1] + e[0, 2]) >= 0
        inside &= (x * e[1, 0] + y * e[1, 1] + e[1, 2]) >= 0
        inside &= (x * e[2, 0] + y * e[2, 1] + e[2, 2]) >= 0
        p = inverse_depth[k]
        z = x * p[0] + y * p[1] + p[2]
        window = depth[r0:r1, c0:c1]
        nearer = inside & (z > window) & (z < far_limit)
        window[nearer] = z[nearer]
        ids[r0:r1, c0:c1][nearer] = k
    small = np.flatnonzero((area > 0) & (area <= BATCH_PIXELS))
    if len(small):
        # Group by the power-of-two size of the box so each group is one dense (B, h, w) array.
        bw = np.maximum(4, 1 << np.ceil(np.log2(np.maximum(w[small], 1))).astype(np.int64))
        bh = np.maximum(4, 1 << np.ceil(np.log2(np.maximum(h[small], 1))).astype(np.int64))
        xs = np.append(face.xs, np.float32(np.nan))  # past the edge: never inside
        ys = np.append(face.ys, np.float32(np.nan))
        for sw, sh in sorted(set(zip(bw.tolist(), bh.tolist(), strict=True))):
            group = small[(bw == sw) & (bh == sh)]
            step = max(1, BATCH_ELEMENTS // (sw * sh))
            for start in range(0, len(group), step):
                _rasterise_batch(
                    group[start : start + step], sw, sh, edges, inverse_depth, boxes, xs, ys, ids, depth
                )
    return ids, depth


def _rasterise_batch(
    batch: np.ndarray,
    sw: int,
    sh: int,
    edges: np.ndarray,
    inverse_depth: np.ndarray,
    boxes: np.ndarray,
    xs: np.ndarray,
    ys: np.ndarray,
    ids: np.ndarray,
    depth: np.ndarray,
) -> None:
    """Draw the triangles *batch* (B,), each tested over a *sw* × *sh* window from its box corner."""
    total = ids.shape[0]
    cols = boxes[batch, 0][:, None, None] + np.arange(sw)[None, None, :]  # (B, 1, sw)
    rows = boxes[batch, 1][:, None, None] + np.arange(sh)[None, :, None]  # (B, sh, 1)
    x, y = xs[np.minimum(cols, total)], ys[np.minimum(rows, total)]
    e = edges[batch][:, :, :, None, None]  # (B, 3, 3, 1, 1)
    inside = (x * e[:, 0, 0] + y * e[:, 0, 1] + e[:, 0, 2]) >= 0
    inside &= (x * e[:, 1, 0] + y * e[:, 1, 1] + e[:, 1, 2]) >= 0
    inside &= (x * e[:, 2, 0] + y * e[:, 2, 1] + e[:, 2, 2]) >= 0
    p = inverse_depth[batch][:, :, None, None]
    z = x * p[:, 0] + y * p[:, 1] + p[:, 2]
    pixel = np.minimum(rows, total - 1) * total + np.minimum(cols, total - 1)
    pixel = np.broadcast_to(pixel, inside.shape)
    flat_depth = depth.reshape(-1)
    inside &= (z > flat_depth[pixel]) & (z < np.float32(1.0 / NEAR))
    where = np.nonzero(inside)
    if len(where[0]) == 0:
        return
    pix, zz, tri = pixel[where], z[where], batch[where[0]]
    order = np.lexsort((-zz, pix))  # by pixel, nearest first
    pix, zz, tri = pix[order], zz[order], tri[order]
    first = np.ones(len(pix), dtype=bool)
    first[1:] = pix[1:] != pix[:-1]
    flat_depth[pix[first]] = zz[first]
    ids.reshape(-1)[pix[first]] = tri[first]


def _shade(
    model: Model, normals: np.ndarray, face: _Face, setup: _Setup, ids: np.ndarray, depth: np.ndarray
) -> np.ndarray:
    """Colour (S, S, 3) float32 0–1 of every pixel of a rasterised face."""
    right, up, forward = face.rotation
    x = face.xs[None, :]
    y = face.ys[:, None]
    hit = ids >= 0
    count = len(setup.keep)
    # Per-triangle values with one extra row that the pixels hitting nothing point at.
    slot = np.where(hit, ids, count)
    world_normal = np.vstack([normals[setup.keep], np.zeros((1, 3), np.float32)])
    light = np.append(_light(world_normal[:count]), np.float32(0))[slot]
    camera_normal = world_normal @ face.rotation.T.astype(np.float32)
    z = np.where(hit, 1.0 / np.where(hit, depth, 1), 0).astype(np.float32)  # metres along forward
    points = (x * z, y * z, z)
    occlusion = _occlusion(points, tuple(camera_normal[:, i][slot] for i in range(3)), hit, face.size)
    colour = np.vstack([model.colours[setup.keep], np.zeros((1, 3), np.float32)])[slot]
    textured = np.append(model.texture[setup.keep] >= 0, False)[slot]
    if textured.any():
        rows, cols = np.nonzero(textured)
        colour[rows, cols] *= _texture_samples(model, face, setup, ids[rows, cols], rows, cols)
    colour *= (light * (1 - occlusion))[..., None]
    distance = z * np.sqrt(x * x + y * y + 1)
    haze = (HAZE_MAX * (1 - np.exp(-distance / HAZE_DISTANCE)))[..., None]
    colour += haze * (np.array(HAZE_RGB, np.float32) - colour)
    rising = (x * right[1] + y * up[1] + forward[1]) >= 0  # rays above the horizon
    background = np.where(
        rising[..., None], np.array(CEILING_RGB, np.float32), np.array(VOID_FLOOR_RGB, np.float32)
    )
    return np.where(hit[..., None], colour, background).astype(np.float32)


def _light(normal: np.ndarray) -> np.ndarray:
    """Light (P,) float32 on surfaces of unit *normal* (P, 3) facing the camera."""
    kx, kz = bearing_to_vector(KEY_BEARING)
    horizontal = np.sqrt(np.maximum(0, 1 - normal[:, 1] ** 2))
    side = 0.5 + 0.5 * (normal[:, 0] * kx + normal[:, 2] * kz)  # of the horizontal part
    return (
        AMBIENT
        + UP_LIGHT * np.maximum(normal[:, 1], 0)
        + DOWN_LIGHT * np.maximum(-normal[:, 1], 0)
        + SIDE_LIGHT * side * horizontal
    ).astype(np.float32)


def _occlusion(
    points: tuple[np.ndarray, np.ndarray, np.ndarray],
    normals: tuple[np.ndarray, np.ndarray, np.ndarray],
    hit: np.ndarray,
    size: int,
) -> np.ndarray:
    """Darkening (S, S) float32 0–AO_MAX from nearby surfaces in front of each point: screen-space ambient
    occlusion at half resolution over camera-space *points* and *normals* (x, y, z planes, each (S, S)
    float32) of the *hit* pixels."""
    p = [np.ascontiguousarray(a[::2, ::2]) for a in points]
    n = [np.ascontiguousarray(a[::2, ::2]) for a in normals]
    h = np.ascontiguousarray(hit[::2, ::2]).astype(np.float32)
    rows, cols = h.shape
    flat = [a.reshape(-1) for a in p]
    flat_hit = h.reshape(-1)
    # Look within AO_RADIUS metres: at depth z that is AO_RADIUS / z in x/z, size/4 half-res pixels per unit.
    radius = np.clip(AO_RADIUS * (size / 4) / np.maximum(p[2], NEAR), 1.0, AO_MAX_PIXELS)
    base = np.arange(rows, dtype=np.float32)[:, None] * cols + np.arange(cols, dtype=np.float32)[None, :]
    rr = np.arange(rows, dtype=np.float32)[:, None]
    cc = np.arange(cols, dtype=np.float32)[None, :]
    spin = np.tile(BAYER_4 * (2 * np.pi / 16), (-(-rows // 4), -(-cols // 4)))[:rows, :cols]
    occluded = np.zeros((rows, cols), dtype=np.float32)
    for k in range(AO_SAMPLES):
        angle = spin + k * GOLDEN_ANGLE
        reach = radius * math.sqrt((k + 0.5) / AO_SAMPLES)
        dr = np.clip(np.rint(reach * np.sin(angle)), -rr, rows - 1 - rr)
        dc = np.clip(np.rint(reach * np.cos(angle)), -cc, cols - 1 - cc)
        index = (base + dr * cols + dc).astype(np.int64)
        vx = flat[0].take(index) - p[0]
        vy = flat[1].take(index) - p[1]
        vz = flat[2].take(index) - p[2]
        d2 = vx * vx + vy * vy + vz * vz
        dot = vx * n[0] + vy * n[1] + vz * n[2]
        cosine = (dot - AO_STEP) / np.sqrt(d2 + 1e-6)
        falloff = np.clip(1 - d2 / AO_RADIUS**2, 0, 1)
        occluded += np.maximum(cosine - AO_BIAS, 0) * falloff * flat_hit.take(index)
    occluded = ndimage.uniform_filter(occluded * (AO_STRENGTH / AO_SAMPLES), size=4, mode="nearest")
    full = np.repeat(np.repeat(occluded, 2, axis=0), 2, axis=1)[: hit.shape[0], : hit.shape[1]]
    return np.clip(full, 0, AO_MAX) * hit


def _texture_samples(
    model: Model, face: _Face, setup: _Setup, local: np.ndarray, rows: np.ndarray, cols: np.ndarray
) -> np.ndarray:
    """Texture colours (P, 3) float32 at pixels (*rows*, *cols*) of triangles *local* (indices into keep)."""
    # uv(d) = (d·U) / (d·P) with U = Σ edge_i ⊗ uv_i / det, P the inverse-depth plane: perspective-correct.
    row = setup.uv_row[local]
    planes, inverse = setup.uv_planes[row], setup.inverse_depth64[row]  # (P, 3, 2), (P, 3)
    x = face.xs[cols].astype(np.float64)[:, None]
    y = face.ys[rows].astype(np.float64)[:, None]
    w = x[:, 0] * inverse[:, 0] + y[:, 0] * inverse[:, 1] + inverse[:, 2]
    uv = (x * planes[:, 0] + y * planes[:, 1] + planes[:, 2]) / w[:, None]
    step = 2.0 / face.size  # x/z per pixel
    du_dx = (planes[:, 0] - uv * inverse[:, 0:1]) / w[:, None] * step
    du_dy = (planes[:, 1] - uv * inverse[:, 1:2]) / w[:, None] * step
    texture = model.texture[setup.keep[local]]
    out = np.empty((len(local), 3), dtype=np.float32)
    for index in np.unique(texture):
        sel = np.flatnonzero(texture == index)
        levels = model.textures[index]
        texels = np.array(levels[0].shape[1::-1], dtype=np.float64)  # (W, H)
        footprint = np.maximum(
            np.linalg.norm(du_dx[sel] * texels, axis=1), np.linalg.norm(du_dy[sel] * texels, axis=1)
        )
        lod = np.clip(np.log2(np.maximum(footprint, 1e-9)) + LOD_BIAS, 0, len(levels) - 1)
        out[sel] = _trilinear(levels, uv[sel], lod)
    return out


def _trilinear(levels: tuple[np.ndarray, ...], uv: np.ndarray, lod: np.ndarray) -> np.ndarray:
    """Samples (P, 3) float32 of mip *levels* at *uv* (P, 2) (v up, repeating) and detail level *lod* (P,)."""
    base = np.floor(lod).astype(np.int64)
    frac = (lod - base).astype(np.float32)[:, None]
    out = np.zeros((len(uv), 3), dtype=np.float32)
    for level in np.unique(base):
        sel = np.flatnonzero(base == level)
        lower = _bilinear(levels[level], uv[sel])
        if level + 1 < len(levels):
            upper = _bilinear(levels[level + 1], uv[sel])
            lower += frac[sel] * (upper - lower)
        out[sel] = lower
    return out


def _bilinear(image: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """Bilinear samples (P, 3) float32 0–1 of *image* (H, W, 3) uint8 at *uv* (P, 2), v up, repeating."""
    h, w = image.shape[:2]
    tx = uv[:, 0] * w - 0.5
    ty = (1.0 - uv[:, 1]) * h - 0.5
    x0, y0 = np.floor(tx), np.floor(ty)
    fx = (tx - x0).astype(np.float32)[:, None]
    fy = (ty - y0).astype(np.float32)[:, None]
    x0 = x0.astype(np.int64) % w
    y0 = y0.astype(np.int64) % h
    x1, y1 = (x0 + 1) % w, (y0 + 1) % h
    flat = image.reshape(-1, 3)
    a, b = flat.take(y0 * w + x0, axis=0), flat.take(y0 * w + x1, axis=0)
    c, d = flat.take(y1 * w + x0, axis=0), flat.take(y1 * w + x1, axis=0)
    top = a + fx * (b.astype(np.float32) - a)
    bottom = c + fx * (d.astype(np.float32) - c)
    return (top + fy * (bottom - top)) * np.float32(1 / 255)


def _resample(cube: np.ndarray, faces: list[_Face], heading: float, width: int) -> np.ndarray:
    """The (width/2, width, 3) uint8 equirectangular image of *cube* (6, S, S, 3) float32 for *heading*."""
    height = width // 2
    total = cube.shape[1]
    size = faces[0].size
    flat = cube.reshape(6, total * total, 3)
    bearing = np.radians(heading + (np.arange(width) + 0.5) / width * 360.0 - 180.0)
    sin_b, cos_b = np.sin(bearing).astype(np.float32), np.cos(bearing).astype(np.float32)
    out = np.empty((height, width, 3), dtype=np.uint8)

    def chunk(r0: int) -> None:
        r1 = min(height, r0 + ROWS_PER_CHUNK)
        pitch = np.radians(90.0 - (np.arange(r0, r1) + 0.5) / height * 180.0)
        cos_p = np.cos(pitch).astype(np.float32)[:, None]
        d = np.stack(
            [
                sin_b[None, :] * cos_p,
                np.broadcast_to(np.sin(pitch).astype(np.float32)[:, None], (r1 - r0, width)),
                -cos_b[None, :] * cos_p,
            ],
            axis=-1,
        ).reshape(-1, 3)
        major = np.abs(d).argmax(axis=1)
        sign = np.take_along_axis(d, major[:, None], axis=1)[:, 0] >= 0
        which = np.array([[1, 0], [3, 2], [5, 4]])[major, sign.astype(np.int64)]  # FACES order
        rgb = np.empty((len(d), 3), dtype=np.float32)
        for f, face in enumerate(faces):
            sel = np.flatnonzero(which == f)
            if len(sel) == 0:
                continue
            camera = d[sel] @ face.rotation.T.astype(np.float32)
            col = camera[:, 0] / camera[:, 2] * (size / 2) + (total / 2 - 0.5)
            row = -camera[:, 1] / camera[:, 2] * (size / 2) + (total / 2 - 0.5)
            c0 = np.clip(np.floor(col), 0, total - 2)
            r0_ = np.clip(np.floor(row), 0, total - 2)
            fc = (col - c0)[:, None]
            fr = (row - r0_)[:, None]
            base = r0_.astype(np.int64) * total + c0.astype(np.int64)
            img = flat[f]
            a, b = img.take(base, axis=0), img.take(base + 1, axis=0)  # take: 3× faster than img[base]
            c, e = img.take(base + total, axis=0), img.take(base + total + 1, axis=0)
            top = a + fc * (b - a)
            bottom = c + fc * (e - c)
            rgb[sel] = top + fr * (bottom - top)
        out[r0:r1] = np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8).reshape(r1 - r0, width, 3)

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        list(pool.map(chunk, range(0, height, ROWS_PER_CHUNK)))
    return out
