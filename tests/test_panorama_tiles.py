"""Multires cube tiles: Pannellum's layout, face orientation, resampling accuracy, atomic publishing, CLI."""

from __future__ import annotations

import base64
import io
import json
import math
import os
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from server.cli.panorama_tile import panorama_cli
from server.panoramas import tiles
from server.panoramas.tiles import (
    FACES,
    layout,
    level_count,
    remove_stale_partials,
    render_face,
    tile_panorama,
)

from .test_panorama_ingest import smooth

W, H = 2048, 1024  # cube 648: two levels, 648 (2 × 2 tiles, edge tiles 136 px) and 324 (one tile)

# Pannellum's cube (libpannellum.js, createCube): each face's corners top-left, top-right, bottom-right,
# bottom-left, in its frame (the camera looks down −z, +x is right, +y up); a face image's top-left pixel
# is at the top-left corner. Pannellum's yaw, like ours, is 0 ahead (−z) and positive to the right.
CORNERS = {
    "f": ((-1, 1, -1), (1, 1, -1), (1, -1, -1), (-1, -1, -1)),
    "b": ((1, 1, 1), (-1, 1, 1), (-1, -1, 1), (1, -1, 1)),
    "u": ((-1, 1, 1), (1, 1, 1), (1, 1, -1), (-1, 1, -1)),
    "d": ((-1, -1, -1), (1, -1, -1), (1, -1, 1), (-1, -1, 1)),
    "l": ((-1, 1, 1), (-1, 1, -1), (-1, -1, -1), (-1, -1, 1)),
    "r": ((1, 1, -1), (1, 1, 1), (1, -1, 1), (1, -1, -1)),
}


def pannellum_generate(width: int, tile_size: int = 512) -> tuple[int, int, int, dict[int, tuple[int, int]]]:
    """Transcribed from Pannellum's utils/multires/generate.py: cube size, tile size, levels and
    ``{level: (size, tiles across)}``."""
    cube_size = 8 * int(width / math.pi / 8)
    tile_size = min(tile_size, cube_size)
    levels = int(math.ceil(math.log(float(cube_size) / tile_size, 2))) + 1  # noqa: RUF046 (as written there)
    if round(cube_size / 2 ** (levels - 2)) == tile_size:
        levels -= 1  # Handle edge case
    per_level, size = {}, cube_size
    for level in range(levels, 0, -1):
        per_level[level] = (size, int(math.ceil(float(size) / tile_size)))  # noqa: RUF046
        size = int(size / 2)
    return cube_size, tile_size, levels, per_level


def face_directions(face: str, n: int) -> np.ndarray:
    """``(n, n, 3)`` directions of the pixel centres of an *n*-pixel face, from Pannellum's corners."""
    top_left, top_right, _, bottom_left = (np.array(c, float) for c in CORNERS[face])
    u = (np.arange(n) + 0.5) / n
    return top_left + u[None, :, None] * (top_right - top_left) + u[:, None, None] * (bottom_left - top_left)


def yaw_pitch(directions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Yaw and pitch (radians) of directions in Pannellum's frame."""
    x, y, z = directions[..., 0], directions[..., 1], directions[..., 2]
    return np.arctan2(x, -z), np.arctan2(y, np.hypot(x, z))


def reference_face(equirect: np.ndarray, face: str, n: int) -> np.ndarray:
    """The obvious way, slowly: each face pixel's direction → equirect position → bilinear, wrapping in yaw."""
    height, width = equirect.shape[:2]
    yaw, pitch = yaw_pitch(face_directions(face, n))
    x = (yaw / (2 * np.pi) + 0.5) * width - 0.5
    y = np.clip((0.5 - pitch / np.pi) * height - 0.5, 0, height - 1)
    x0, y0 = np.floor(x).astype(int), np.floor(y).astype(int)
    fx, fy = (x - x0)[..., None], (y - y0)[..., None]
    x1, y1 = (x0 + 1) % width, np.minimum(y0 + 1, height - 1)
    x0 %= width
    src = equirect.astype(np.float64)
    top = src[y0, x0] * (1 - fx) + src[y0, x1] * fx
    bottom = src[y1, x0] * (1 - fx) + src[y1, x1] * fx
    return top * (1 - fy) + bottom * fy


def project(yaw_deg: float, pitch_deg: float, n: int) -> tuple[str, float, float]:
    """The face a direction hits and its pixel ``(col, row)`` there (pixel centres on integers)."""
    yaw, pitch = math.radians(yaw_deg), math.radians(pitch_deg)
    d = np.array([math.cos(pitch) * math.sin(yaw), math.sin(pitch), -math.cos(pitch) * math.cos(yaw)])
    for face, corners in CORNERS.items():
        top_left, top_right, _, bottom_left = (np.array(c, float) for c in corners)
        normal = (top_right + bottom_left) / 2  # the face centre is its outward normal on the unit cube
        if d @ normal <= 0:
            continue
        hit = d / (d @ normal)
        u = (hit - top_left) @ (top_right - top_left) / 4
        v = (hit - top_left) @ (bottom_left - top_left) / 4
        if 0 <= u <= 1 and 0 <= v <= 1:
            return face, u * n - 0.5, v * n - 0.5
    raise AssertionError("a direction always hits a face")


def size_of(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        return image.size


def read(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        assert image.format == "JPEG" and image.mode == "RGB"
        return np.asarray(image)


def stitch(folder: Path, level: int, face: str, across: int) -> np.ndarray:
    """A face at *level* put back together from its tiles."""
    rows = [
        np.concatenate([read(folder / str(level) / f"{face}{r}_{c}.jpg") for c in range(across)], axis=1)
        for r in range(across)
    ]
    return np.concatenate(rows, axis=0)


@pytest.fixture(scope="module")
def equirect() -> np.ndarray:
    return smooth(H, W, seed=7)


@pytest.fixture(scope="module")
def tiled(tmp_path_factory, equirect) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("tiles") / "pano-v1"
    return folder, tile_panorama(equirect, folder)


# --- layout ---


def test_layout_is_pannellums():
    for width in [*range(64, 20000, 6), 8192, 16384, 25770]:
        cube, tile, levels, per_level = pannellum_generate(width)
        plan = layout(width, width // 2)
        assert (plan.cube_resolution, plan.tile_resolution, plan.max_level) == (cube, tile, levels), width
        for level, (size, across) in per_level.items():
            assert plan.level_sizes[level - 1] == size
            assert plan.tiles_across(level) == across


def test_layout_known_answers():
    # 8192 wide: 8·⌊8192/π/8⌋ = 8·⌊325.9⌋ = 2600; ⌈log2(2600/512)⌉ + 1 = ⌈2.34⌉ + 1 = 4 levels.
    plan = layout(8192, 4096)
    assert plan.cube_resolution == 2600 and plan.max_level == 4
    assert plan.level_sizes == (325, 650, 1300, 2600)
    assert [plan.tiles_across(level) for level in (1, 2, 3, 4)] == [1, 2, 3, 6]
    assert len(plan.files()) == 1 + 6 * (1 + 4 + 9 + 36) + 6 + 1
    # A face of 8200 px: ⌈log2(8200/512)⌉ + 1 = 6, but 8200/2⁴ rounds to 512, so Pannellum makes it 5.
    assert level_count(8200) == 5
    assert layout(25770, 12885).level_sizes == (512, 1025, 2050, 4100, 8200)


def test_tile_set_files_and_config(tiled):
    folder, config = tiled
    expected = {"config.json", "preview.jpg"}
    for face in FACES:
        expected |= {f"2/{face}{r}_{c}.jpg" for r in range(2) for c in range(2)}
        expected |= {f"1/{face}0_0.jpg", f"fallback/{face}.jpg"}
    assert {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()} == expected
    assert set(layout(W, H).files()) == expected
    assert json.loads((folder / "config.json").read_text(encoding="utf-8")) == config
    assert {k: v for k, v in config.items() if k != "placeholder"} == {
        "path": "/%l/%s%y_%x",
        "fallbackPath": "/fallback/%s",
        "extension": "jpg",
        "tileResolution": 512,
        "maxLevel": 2,
        "cubeResolution": 648,
        "width": W,
        "height": H,
        "preview": "/preview.jpg",
    }
    # Edge tiles are the remainder: 648 = 512 + 136.
    sizes = {(r, c): size_of(folder / "2" / f"f{r}_{c}.jpg") for r in range(2) for c in range(2)}
    assert sizes == {(0, 0): (512, 512), (0, 1): (136, 512), (1, 0): (512, 136), (1, 1): (136, 136)}
    assert size_of(folder / "1" / "u0_0.jpg") == (324, 324)
    for face in FACES:
        assert size_of(folder / "fallback" / f"{face}.jpg") == (1024, 1024)
    assert size_of(folder / "preview.jpg") == (1024, 512)


def test_placeholder_is_a_tiny_inline_jpeg(tiled, equirect):
    placeholder = tiled[1]["placeholder"]
    prefix = "data:image/jpeg;base64,"
    assert placeholder.startswith(prefix) and len(placeholder) < 2800
    small = read(io.BytesIO(base64.b64decode(placeholder[len(prefix) :])))
    assert small.shape == (32, 64, 3)
    expected = cv2.resize(equirect, (64, 32), interpolation=cv2.INTER_AREA)
    assert np.abs(small.astype(int) - expected).mean() < 6


def test_preview_and_fallback_show_the_same_picture(tiled, equirect):
    folder, _ = tiled
    preview = read(folder / "preview.jpg")
    assert (
        np.abs(preview.astype(int) - cv2.resize(equirect, (1024, 512), interpolation=cv2.INTER_AREA)).mean()
        < 2
    )
    for face in FACES:
        fallback = cv2.resize(
            read(folder / "fallback" / f"{face}.jpg"), (648, 648), interpolation=cv2.INTER_AREA
        )
        assert np.abs(fallback.astype(int) - stitch(folder, 2, face, 2)).mean() < 2


def test_lower_level_is_the_box_filtered_upper_level(tiled):
    folder, _ = tiled
    for face in FACES:
        upper = stitch(folder, 2, face, 2)
        lower = read(folder / "1" / f"{face}0_0.jpg")
        assert (
            np.abs(lower.astype(int) - cv2.resize(upper, (324, 324), interpolation=cv2.INTER_AREA)).mean()
            < 1.5
        )


# --- orientation and accuracy ---

MARKERS = [  # yaw, pitch (degrees), colour: each a 4° disc on the sphere
    (0, 0, (255, 0, 0)),
    (90, 0, (0, 255, 0)),
    (180, 0, (0, 0, 255)),
    (-90, 0, (255, 255, 0)),
    (25, 15, (255, 0, 255)),
    (0, 65, (0, 255, 255)),
    (90, 62, (255, 128, 0)),
    (0, -65, (255, 255, 255)),
    (-90, -62, (128, 0, 255)),
]


def test_faces_agree_with_the_yaw_pitch_convention(tmp_path):
    # Yaw 0 is the centre column of the equirect and the centre of face f; r is yaw +90 (to the right).
    rows, cols = np.mgrid[0:H, 0:W]
    yaw = np.radians((cols + 0.5) / W * 360 - 180)
    pitch = np.radians(90 - (rows + 0.5) / H * 180)
    sphere = np.stack([np.cos(pitch) * np.sin(yaw), np.sin(pitch), -np.cos(pitch) * np.cos(yaw)], axis=-1)
    equirect = np.full((H, W, 3), 40, np.uint8)
    for marker_yaw, marker_pitch, colour in MARKERS:
        centre = np.array(
            [
                math.cos(math.radians(marker_pitch)) * math.sin(math.radians(marker_yaw)),
                math.sin(math.radians(marker_pitch)),
                -math.cos(math.radians(marker_pitch)) * math.cos(math.radians(marker_yaw)),
            ]
        )
        equirect[sphere @ centre > math.cos(math.radians(4))] = colour
    folder = tmp_path / "markers"
    tile_panorama(equirect, folder, quality=95)
    faces = {face: stitch(folder, 2, face, 2).astype(int) for face in FACES}
    for marker_yaw, marker_pitch, colour in MARKERS:
        face, col, row = project(marker_yaw, marker_pitch, 648)
        found = {f: np.argwhere(np.abs(pixels - colour).sum(axis=2) < 90) for f, pixels in faces.items()}
        assert {f for f, where in found.items() if len(where)} == {face}, (marker_yaw, marker_pitch)
        centroid_row, centroid_col = found[face].mean(axis=0)
        assert (centroid_col, centroid_row) == pytest.approx((col, row), abs=2.0), (marker_yaw, marker_pitch)
    assert project(0, 0, 648) == ("f", 323.5, 323.5)
    assert project(90, 0, 648)[0] == "r"


def test_render_face_matches_the_reference(equirect):
    for face in FACES:
        ours = render_face(equirect, face, 648).astype(np.float64)
        reference = reference_face(equirect, face, 648)
        difference = np.abs(ours - reference)
        assert difference.mean() < 1.0, face
        assert difference.max() <= 1, face


def test_render_face_wraps_across_the_seam():
    # Only column 0 is lit. A 601-px face b samples the seam at x = −½, halfway between the last column
    # and the first: 128 when the lookup wraps (255 were the edge replicated, 0 were it black).
    equirect = np.zeros((H, W, 3), np.uint8)
    equirect[:, 0] = 255
    ours = render_face(equirect, "b", 601)
    reference = reference_face(equirect, "b", 601)
    assert reference[300, 300, 0] == pytest.approx(128, abs=1)
    assert np.abs(ours - reference).max() <= 1


def test_face_maps_rows_are_consistent():
    full_x, full_y = tiles.face_maps("u", 100, W, H)
    part_x, part_y = tiles.face_maps("u", 100, W, H, top=40, bottom=57)
    np.testing.assert_array_equal(part_x, full_x[40:57])
    np.testing.assert_array_equal(part_y, full_y[40:57])
    assert full_y.min() >= 0 and full_y.max() <= H - 1
    assert full_x.min() >= -0.5 and full_x.max() <= W - 0.5


# --- publishing: atomic, never over an existing folder ---


def test_progress_runs_on_the_calling_thread_and_counts_every_file(tmp_path, equirect):
    calls, caller = [], threading.get_ident()

    def progress(done, total):
        calls.append((done, total, threading.get_ident()))

    folder = tmp_path / "v1"
    tile_panorama(equirect, folder, progress=progress)
    total = len(layout(W, H).files())
    assert [c[:2] for c in calls] == [(i, total) for i in range(1, total + 1)]
    assert {c[2] for c in calls} == {caller}
    assert sum(1 for p in folder.rglob("*") if p.is_file()) == total


def test_a_crash_midway_leaves_nothing(tmp_path, equirect):
    parent = tmp_path / "scene-7"
    tile_panorama(equirect, parent / "v1")  # the published version
    before = sorted(p.relative_to(parent / "v1") for p in (parent / "v1").rglob("*"))

    def crash(done, total):
        if done >= total // 2:
            raise RuntimeError("simulated crash")

    with pytest.raises(RuntimeError, match="simulated crash"):
        tile_panorama(equirect, parent / "v2", progress=crash)
    assert [p.name for p in parent.iterdir()] == ["v1"]  # no v2, no partial folder
    assert sorted(p.relative_to(parent / "v1") for p in (parent / "v1").rglob("*")) == before


def test_a_failing_worker_leaves_nothing(tmp_path, equirect, monkeypatch):
    encode, count = tiles._jpeg, [0]

    def failing(*args, **kwargs):
        count[0] += 1
        if count[0] == 20:
            raise OSError("disk full")
        return encode(*args, **kwargs)

    monkeypatch.setattr(tiles, "_jpeg", failing)
    with pytest.raises(OSError, match="disk full"):
        tile_panorama(equirect, tmp_path / "v1")
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_is_refused(tmp_path, equirect):
    folder = tmp_path / "v1"
    folder.mkdir()
    (folder / "keep.txt").write_text("published", encoding="utf-8")
    with pytest.raises(FileExistsError):
        tile_panorama(equirect, folder)
    assert [p.name for p in tmp_path.iterdir()] == ["v1"]
    assert [p.name for p in folder.iterdir()] == ["keep.txt"]


def test_a_folder_appearing_meanwhile_is_not_replaced(tmp_path, equirect):
    folder = tmp_path / "v1"

    def squatter(done, total):
        if done == total:  # the last call comes just before the rename
            folder.mkdir()

    with pytest.raises(FileExistsError):
        tile_panorama(equirect, folder, progress=squatter)
    assert [p.name for p in tmp_path.iterdir()] == ["v1"] and list(folder.iterdir()) == []


def test_stale_partials_are_removed(tmp_path):
    stale, fresh = tmp_path / ".v1.abc.partial", tmp_path / ".v2.def.partial"
    for folder in (stale, fresh):
        (folder / "4").mkdir(parents=True)
    (tmp_path / "v0").mkdir()
    old = stale.stat().st_mtime - 7200
    os.utime(stale, (old, old))
    assert remove_stale_partials(tmp_path) == [stale]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".v2.def.partial", "v0"]


def test_bad_arguments(tmp_path, equirect):
    with pytest.raises(ValueError, match="image"):
        tile_panorama(equirect.astype(np.float32), tmp_path / "a")
    with pytest.raises(ValueError, match="image"):
        tile_panorama(equirect[:, :, 0], tmp_path / "a")
    with pytest.raises(ValueError, match="2:1"):
        tile_panorama(equirect[:, :1500], tmp_path / "a")
    with pytest.raises(ValueError, match="quality"):
        tile_panorama(equirect, tmp_path / "a", quality=0)
    with pytest.raises(ValueError, match="workers"):
        tile_panorama(equirect, tmp_path / "a", workers=0)
    with pytest.raises(ValueError, match="face"):
        tiles.face_maps("x", 10, W, H)
    assert list(tmp_path.iterdir()) == []


# --- command line ---


def test_cli_tiles_a_file(tmp_path, equirect):
    source = tmp_path / "hall.jpg"
    Image.fromarray(equirect).save(source, quality=92)
    out = tmp_path / "tiles" / "v1"
    result = CliRunner().invoke(panorama_cli, ["tile", str(source), str(out)])
    assert result.exit_code == 0, result.output
    assert "cubeResolution 648" in result.output
    assert json.loads((out / "config.json").read_text(encoding="utf-8"))["maxLevel"] == 2
    again = CliRunner().invoke(panorama_cli, ["tile", str(source), str(out)])
    assert again.exit_code == 1 and "already exists" in again.output


def test_cli_refuses_a_non_image(tmp_path):
    source = tmp_path / "hall.jpg"
    source.write_text("这不是图像", encoding="utf-8")
    result = CliRunner().invoke(panorama_cli, ["tile", str(source), str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "not_an_image" in result.output and "文件不是图像" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_one_worker_gives_the_same_tiles(tmp_path, tiled, equirect):
    folder, config = tiled
    assert tile_panorama(equirect, tmp_path / "v1", workers=1) == config
    for name in layout(W, H).files():
        assert (tmp_path / "v1" / name).read_bytes() == (folder / name).read_bytes(), name


def test_cli_refuses_a_small_panorama(tmp_path):
    source = tmp_path / "small.png"
    Image.new("RGB", (1024, 512)).save(source)
    result = CliRunner().invoke(panorama_cli, ["tile", str(source), str(tmp_path / "out")])
    assert result.exit_code == 2 and "too_small" in result.output


def test_cli_refuses_hostile_sources_and_an_unwritable_folder(tmp_path, equirect):
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    link = tmp_path / "zero.jpg"
    link.symlink_to("/dev/zero")
    for source in (fifo, link, Path("/dev/zero")):
        result = CliRunner().invoke(panorama_cli, ["tile", str(source), str(tmp_path / "out")])
        assert result.exit_code == 2, (source, result.output)
        assert "[not_a_file]" in result.output and "不是普通文件" in result.output
    too_wide = CliRunner().invoke(
        panorama_cli, ["tile", str(fifo), str(tmp_path / "out"), "--max-width", "60000"]
    )
    assert too_wide.exit_code == 2 and "16384" in too_wide.output
    good = tmp_path / "hall.jpg"
    Image.fromarray(equirect).save(good, quality=92)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    for out in (blocker / "tiles", Path("/proc/vhall-tiles")):
        result = CliRunner().invoke(panorama_cli, ["tile", str(good), str(out)])
        assert result.exit_code == 2, (out, result.output, result.exception)
        assert "[cannot_write]" in result.output and "无法写入" in result.output
        assert "Traceback" not in result.output
    assert not list(tmp_path.glob("**/*.partial"))
