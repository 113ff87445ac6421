"""Multi-resolution cube tiles in Pannellum's multires layout, from an equirectangular ``(H, W, 3) uint8`` image.

The layout is Pannellum's ``utils/multires/generate.py``, so a tile set is a standard, portable tour:

- six faces ``f r b l u d``, each ``cubeResolution = 8·⌊W/π/8⌋`` pixels square;
- ``maxLevel = ⌈log2(cubeResolution / 512)⌉ + 1`` levels (one fewer when the level below the top would
  round to exactly one tile); level ``maxLevel`` is the full face, each level below halves it
  (``size = int(size / 2)``), so level 1 is the smallest;
- tile ``<level>/<face><row>_<col>.jpg`` (Pannellum's path ``/%l/%s%y_%x``) is 512 px square, less at the
  right and bottom edges; ``fallback/<face>.jpg`` is each face at 1024 px;
- and ours: ``preview.jpg`` (the equirect at 1024 × 512) and an inline placeholder (64 × 32 JPEG data URL).

Face orientation, in the project's convention (yaw 0 at the equirect's centre column, positive right;
pitch positive up) and in Pannellum's cube (camera looking down −z, +x right, +y up): ``f`` looks at yaw
0, ``r`` at yaw 90, ``b`` at 180, ``l`` at −90, each upright; ``u`` is seen from below with its bottom edge
on ``f``'s top edge, ``d`` from above with its top edge on ``f``'s bottom edge. Face pixel ``(row, col)``
of an ``n``-pixel face sits at ``a = 2(col + ½)/n − 1``, ``b = 2(row + ½)/n − 1`` and looks along
``f (a, −b, −1)``, ``r (1, −b, a)``, ``b (−a, −b, 1)``, ``l (−1, −b, −a)``, ``u (a, 1, −b)``, ``d (a, −1, b)``.

Resampling is bilinear (OpenCV's ``remap``, maps built per strip of rows in float32, wrapping across the
±180° seam); levels below the top are box-filtered from the level above (``INTER_AREA``), the fallback
face from the smallest level of at least 1024 px. Faces are worked as BGRX (4 bytes a pixel), the layout
OpenCV resamples and encodes fastest; ingest's JPEG arrays are already views of such a buffer. The faces
run on a thread pool, one thread per core (remap, resize and JPEG encoding release the GIL).
"""

from __future__ import annotations

import base64
import ctypes
import errno
import functools
import json
import math
import os
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..files import make_folders, make_readable
from .ingest import ASPECT_TOLERANCE
from .limits import DEFAULT_QUALITY

FACES = "frblud"
TILE_SIZE = 512  # pixels, Pannellum's tileResolution
FALLBACK_SIZE = 1024  # pixels, each face of the fallback cube
PREVIEW_WIDTH = 1024  # pixels, the equirect preview (half as high)
PLACEHOLDER_WIDTH = 64  # pixels, the inline placeholder (half as high; Pannellum wants a power of two)
PLACEHOLDER_QUALITY = 60  # JPEG quality of the placeholder: ~1 KB inline
EXTENSION = "jpg"
PATH = "/%l/%s%y_%x"  # Pannellum's tile path template under basePath: level, face, row, column
FALLBACK_PATH = "/fallback/%s"
PREVIEW_PATH = "/preview.jpg"
CONFIG_NAME = "config.json"
PARTIAL_SUFFIX = ".partial"  # a folder being written; never served, removed when tiling fails
STRIP_ROWS = 32  # face rows resampled at once: their maps stay in cache
MIN_CUBE = 8  # pixels: the smallest face the cube formula can give
MAX_SOURCE_SIDE = 32767  # pixels: OpenCV's remap indexes its source with 16-bit integers

_AT_FDCWD, _RENAME_NOREPLACE = -100, 1  # renameat2's "paths relative to the working folder", "never replace"

_SIDE_YAW = {"f": 0.0, "r": 90.0, "b": 180.0, "l": -90.0}  # degrees: the yaw each side face looks at

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Layout:
    """The tile set of a *width* × *height* equirect: sizes per level (level 1 first), counts and names."""

    width: int
    height: int
    cube_resolution: int
    tile_resolution: int  # TILE_SIZE, or the whole face when that is smaller (as generate.py)
    max_level: int
    level_sizes: tuple[int, ...]

    def tiles_across(self, level: int) -> int:
        """Tiles along one side of a face at *level* (1 … max_level)."""
        return -(-self.level_sizes[level - 1] // self.tile_resolution)

    def tile_boxes(self, level: int) -> Iterator[tuple[int, int, int, int, int, int]]:
        """``(row, col, top, left, bottom, right)`` of each tile of one face at *level*, row by row."""
        size, n, tile = self.level_sizes[level - 1], self.tiles_across(level), self.tile_resolution
        for row in range(n):
            for col in range(n):
                top, left = row * tile, col * tile
                yield row, col, top, left, min(top + tile, size), min(left + tile, size)

    def files(self) -> list[str]:
        """Every file of the tile set, relative to its folder, in the order they are written per face."""
        names = [PREVIEW_PATH[1:]]
        for face in FACES:
            for level in range(self.max_level, 0, -1):
                names += [f"{level}/{face}{row}_{col}.{EXTENSION}" for row, col, *_ in self.tile_boxes(level)]
            names.append(f"fallback/{face}.{EXTENSION}")
        return [*names, CONFIG_NAME]


def cube_resolution(width: int) -> int:
    """Pannellum's face size for a *width*-pixel equirect: ``8·⌊width/π/8⌋``."""
    return 8 * int(width / math.pi / 8)


def level_count(cube: int, tile: int = TILE_SIZE) -> int:
    """Pannellum's maxLevel for a *cube*-pixel face and *tile*-pixel tiles (generate.py, edge case included)."""
    tile = min(tile, cube)
    levels = math.ceil(math.log(cube / tile, 2)) + 1  # float log as generate.py, for the same answers
    if round(cube / 2 ** (levels - 2)) == tile:
        levels -= 1
    return levels


def layout(width: int, height: int) -> Layout:
    """The Pannellum multires layout of a *width* × *height* equirect."""
    cube = cube_resolution(width)
    if cube < MIN_CUBE:
        raise ValueError(f"width must give a cube of at least {MIN_CUBE} px, got width {width}")
    levels = level_count(cube)
    sizes, size = [], cube
    for _ in range(levels):
        sizes.append(size)
        size = int(size / 2)
    return Layout(width, height, cube, min(TILE_SIZE, cube), levels, tuple(reversed(sizes)))


def face_maps(
    face: str, size: int, width: int, height: int, *, top: int = 0, bottom: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Equirect pixel coordinates ``(map_x, map_y)``, each ``(bottom − top, size) float32``, of face rows.

    Coordinates are OpenCV's (pixel centres on integers): ``x = (yaw/360 + ½)·W − ½`` in ``[−½, W − ½]``
    (wrapping), ``y = (½ − pitch/180)·H − ½`` clamped to ``[0, H − 1]``.
    """
    bottom = size if bottom is None else bottom
    if not 0 <= top < bottom <= size:
        raise ValueError(f"rows must satisfy 0 <= top < bottom <= size, got {top}, {bottom}, {size}")
    map_x, map_y = _FaceMaps(face, size, width, height, bottom - top).strip(top, bottom)
    return map_x.copy(), map_y.copy()


def render_face(equirect: np.ndarray, face: str, size: int) -> np.ndarray:
    """Face *face* of the cube, ``(size, size, 3) uint8`` RGB, resampled bilinearly from ``(H, W, 3) uint8``."""
    _check_equirect(equirect)
    source = _bgrx(equirect)
    pixels = _render(source, face, size, np.empty((size, size, 4), np.uint8))
    return cv2.cvtColor(pixels, cv2.COLOR_BGRA2RGB)


def _render(
    source: np.ndarray,
    face: str,
    size: int,
    out: np.ndarray,
    *,
    side_rows: dict[int, np.ndarray] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> np.ndarray:
    """Resample face *face* of BGRX ``(H, W, 4) uint8`` *source* into *out*, ``(size, size, 4) uint8``."""
    height, width = source.shape[:2]
    maps = _FaceMaps(face, size, width, height, STRIP_ROWS, side_rows)
    for top in range(0, size, STRIP_ROWS):
        if cancelled is not None and cancelled():
            raise _Cancelled
        bottom = min(top + STRIP_ROWS, size)
        map_x, map_y = maps.strip(top, bottom)
        strip = out[top:bottom]
        result = cv2.remap(source, map_x, map_y, cv2.INTER_LINEAR, dst=strip, borderMode=cv2.BORDER_WRAP)
        if not np.shares_memory(result, strip):
            strip[...] = result
    return out


class _FaceMaps:
    """Remap coordinates of one face, strip by strip, in reused ``(rows, size) float32`` buffers.

    The four side faces share their map_y (pitch depends on the row and the column within the face, not on
    the face): given a *side_rows* dict, strips computed for one side face are kept there for the others.
    """

    def __init__(
        self,
        face: str,
        size: int,
        width: int,
        height: int,
        rows: int,
        side_rows: dict[int, np.ndarray] | None = None,
    ) -> None:
        if face not in FACES:
            raise ValueError(f"face must be one of {FACES!r}, got {face!r}")
        coords = (np.arange(size, dtype=np.float64) + 0.5) * (2.0 / size) - 1.0  # a (columns) and b (rows)
        self.face, self.size, self.height, self.side_rows = face, size, height, side_rows
        self.b = coords.astype(np.float32)[:, None]
        self.map_x = np.empty((rows, size), np.float32)
        self.map_y = np.empty((rows, size), np.float32)
        self.ky = np.float32(height / math.pi)
        if face in _SIDE_YAW:
            # yaw = face yaw + atan(a), the same down every column; pitch = −atan(b / √(1 + a²)).
            yaw = math.radians(_SIDE_YAW[face]) + np.arctan(coords)
            self.map_x[:] = (np.mod(yaw * (width / (2 * math.pi)) + width / 2, width) - 0.5).astype(
                np.float32
            )
            self.inv_r = (1.0 / np.sqrt(1.0 + coords * coords)).astype(np.float32)
        else:
            self.a = coords.astype(np.float32)
            self.a2 = self.a * self.a
            self.sign = np.float32(1.0 if face == "u" else -1.0)
            self.kx = np.float32(width / (2 * math.pi))

    def strip(self, top: int, bottom: int) -> tuple[np.ndarray, np.ndarray]:
        """``(map_x, map_y)`` of face rows *top* … *bottom* − 1 (views of buffers: use before the next call)."""
        rows = bottom - top
        map_x, map_y, b = self.map_x[:rows], self.map_y[:rows], self.b[top:bottom]
        if self.face in _SIDE_YAW:
            shared = None if self.side_rows is None else self.side_rows.get(top)
            if shared is not None:
                return map_x, shared
            if self.side_rows is not None:
                map_y = np.empty((rows, self.size), np.float32)  # kept: not the reused buffer
            # y = H/2 − ½ + (H/π)·atan(b / √(1 + a²))
            np.multiply(b, self.inv_r, out=map_y)
            np.arctan(map_y, out=map_y)
            map_y *= self.ky
            map_y += np.float32(self.height / 2 - 0.5)
        else:
            # u looks along (a, 1, −b): yaw = atan2(a, b); d along (a, −1, b): yaw = atan2(a, −b).
            np.arctan2(self.a, self.sign * b, out=map_x)
            map_x *= self.kx
            map_x += np.float32(self.kx * math.pi - 0.5)
            # |pitch| = 90° − atan(ρ), ρ = √(a² + b²): y = (H/π)·atan(ρ) − ½ on u, mirrored on d.
            np.add(self.a2, b * b, out=map_y)
            np.sqrt(map_y, out=map_y)
            np.arctan(map_y, out=map_y)
            map_y *= self.sign * self.ky
            map_y += np.float32(-0.5 if self.face == "u" else self.height - 0.5)
        np.clip(map_y, 0, self.height - 1, out=map_y)
        if self.face in _SIDE_YAW and self.side_rows is not None:
            self.side_rows[top] = map_y
        return map_x, map_y


def tile_panorama(
    image: np.ndarray,
    out_dir: str | os.PathLike,
    *,
    quality: int = DEFAULT_QUALITY,
    progress: Progress | None = None,
    workers: int | None = None,
) -> dict:
    """Write the tile set of equirect ``(H, W, 3) uint8`` *image* to the new folder *out_dir*; its config.

    Everything is written into a hidden ``.<name>.*.partial`` folder beside *out_dir* and renamed into place
    only when complete, so *out_dir* appears whole or not at all; an existing *out_dir* is refused
    (FileExistsError). ``progress(done, total)`` is called on the calling thread as files are written;
    an exception it raises stops the work (nothing is published) and propagates. *workers* threads (default
    one per core) render the faces. Returns the config written to ``config.json``: Pannellum's multiRes
    fields (``path, fallbackPath, extension, tileResolution, maxLevel, cubeResolution``; paths relative to
    a basePath the caller adds) and ours: ``width``, ``height`` of the source, ``preview`` (path of the
    1024 × 512 JPEG) and ``placeholder`` (a 64 × 32 JPEG ``data:`` URL, ~1–2 KB).
    """
    height, width = _check_equirect(image)
    if not 1 <= quality <= 100:
        raise ValueError(f"quality must be 1–100, got {quality}")
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    plan = layout(width, height)
    target = Path(out_dir)
    if target.exists():
        raise FileExistsError(f"out_dir already exists: {target}")
    make_folders(target.parent)
    partial = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=PARTIAL_SUFFIX, dir=target.parent))
    try:
        for level in range(1, plan.max_level + 1):
            (partial / str(level)).mkdir()
        (partial / "fallback").mkdir()
        total = len(plan.files())
        placeholder = _run_jobs(image, plan, partial, quality, progress, total, workers)
        config = {
            "path": PATH,
            "fallbackPath": FALLBACK_PATH,
            "extension": EXTENSION,
            "tileResolution": plan.tile_resolution,
            "maxLevel": plan.max_level,
            "cubeResolution": plan.cube_resolution,
            "width": width,
            "height": height,
            "preview": PREVIEW_PATH,
            "placeholder": placeholder,
        }
        (partial / CONFIG_NAME).write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
        if progress is not None:
            progress(total, total)
        make_readable(partial)  # mkdtemp makes it private, the umask may too: the folder is served as files
        _publish(partial, target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return config


def remove_stale_partials(parent: str | os.PathLike, *, older_than_s: float = 3600.0) -> list[Path]:
    """Delete ``.*.partial`` folders in *parent* left by a killed run and untouched for *older_than_s*."""
    folder, removed = Path(parent), []
    if not folder.is_dir():
        return removed
    cutoff = time.time() - older_than_s
    for path in folder.glob(f".*{PARTIAL_SUFFIX}"):
        if path.is_dir() and path.stat().st_mtime < cutoff:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _publish(partial: Path, target: Path) -> None:
    """Rename *partial* to *target*; FileExistsError if *target* exists (atomically so on Linux)."""
    renameat2 = _renameat2()
    if renameat2 is not None:
        if renameat2(_AT_FDCWD, os.fsencode(partial), _AT_FDCWD, os.fsencode(target), _RENAME_NOREPLACE) == 0:
            return
        error = ctypes.get_errno()
        if error == errno.EEXIST:
            raise FileExistsError(f"out_dir already exists: {target}")
        if error not in (errno.ENOSYS, errno.EINVAL):  # not: this kernel or file system cannot do it
            raise OSError(error, os.strerror(error), str(target))
    if target.exists():  # elsewhere: check, then rename (which would replace an empty folder)
        raise FileExistsError(f"out_dir already exists: {target}")
    os.rename(partial, target)


@functools.cache
def _renameat2() -> Callable[..., int] | None:
    """glibc's renameat2, which can refuse to replace the target, or None where there is none."""
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


class _Cancelled(Exception):
    """Raised inside a worker when the run was stopped."""


def _cores() -> int:
    """CPU cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def _check_equirect(image: np.ndarray) -> tuple[int, int]:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError("image must be an (H, W, 3) uint8 array")
    height, width = image.shape[:2]
    if height == 0 or abs(width / height / 2 - 1) > ASPECT_TOLERANCE:
        raise ValueError(f"image must be 2:1 (equirectangular), got {width}×{height}")
    if width > MAX_SOURCE_SIDE:
        raise ValueError(f"image must be at most {MAX_SOURCE_SIDE} px wide, got {width}")
    return height, width


def _bgrx(image: np.ndarray) -> np.ndarray:
    """The BGRX ``(H, W, 4) uint8`` buffer behind *image* when it is ingest's RGB view of one, else a copy."""
    base = image.base
    if (
        isinstance(base, np.ndarray)
        and base.dtype == np.uint8
        and base.shape == (*image.shape[:2], 4)
        and base.flags.c_contiguous
        and image.strides == (base.strides[0], 4, -1)
        and image.__array_interface__["data"][0] == base.__array_interface__["data"][0] + 2
    ):
        return base
    return cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2BGRA)


def _jpeg(bgr: np.ndarray, quality: int, *, tiny: bool = False) -> np.ndarray:
    """JPEG bytes of ``(h, w, 3|4) uint8`` BGR(X) pixels (any strides): baseline 4:2:0 as Pillow's defaults, or
    for a *tiny* image full-resolution colour (4:4:4, a 32 × 16 chroma plane smears) and optimised tables."""
    sampling = cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444 if tiny else cv2.IMWRITE_JPEG_SAMPLING_FACTOR_420
    params = [cv2.IMWRITE_JPEG_QUALITY, quality, cv2.IMWRITE_JPEG_OPTIMIZE, int(tiny)]
    params += [cv2.IMWRITE_JPEG_SAMPLING_FACTOR, sampling]
    ok, encoded = cv2.imencode(".jpg", bgr, params)
    if not ok:
        raise OSError("JPEG encoding failed")
    return encoded


def _write(path: Path, data: np.ndarray) -> None:
    with open(path, "wb") as file:
        file.write(data)


class _Run:
    """What the worker threads share: the BGRX source, the plan, shared maps, the stop flag, the events.

    Faces are rendered, shrunk and encoded as BGRX, the layout OpenCV resamples and encodes fastest.
    """

    def __init__(self, image: np.ndarray, plan: Layout, folder: Path, quality: int) -> None:
        self.source, self.plan, self.folder, self.quality = _bgrx(image), plan, folder, quality
        self.side_rows: dict[int, np.ndarray] = {}  # map_y strips the four side faces share
        self.stop = threading.Event()
        self.events: queue.SimpleQueue[int | None] = queue.SimpleQueue()
        self.local = threading.local()
        self.placeholder = ""

    def check(self) -> None:
        """Raise _Cancelled once the run is stopped."""
        if self.stop.is_set():
            raise _Cancelled

    def scratch(self) -> list[np.ndarray]:
        """This thread's face buffers, one per level (level 1 first), reused for every face it renders."""
        buffers = getattr(self.local, "buffers", None)
        if buffers is None:
            buffers = [np.empty((s, s, 4), np.uint8) for s in self.plan.level_sizes]
            self.local.buffers = buffers
        return buffers

    def face(self, face: str) -> None:
        """Render one face, cut and write its tiles level by level, then its fallback face."""
        plan, levels = self.plan, self.scratch()
        _render(
            self.source,
            face,
            plan.cube_resolution,
            levels[-1],
            side_rows=self.side_rows,
            cancelled=self.stop.is_set,
        )
        fallback_source = levels[-1]
        for level in range(plan.max_level, 0, -1):
            pixels = levels[level - 1]
            if level < plan.max_level:
                cv2.resize(levels[level], pixels.shape[1::-1], dst=pixels, interpolation=cv2.INTER_AREA)
            if pixels.shape[0] >= FALLBACK_SIZE:
                fallback_source = pixels
            for row, col, top, left, bottom, right in plan.tile_boxes(level):
                self.check()
                name = self.folder / str(level) / f"{face}{row}_{col}.{EXTENSION}"
                _write(name, _jpeg(pixels[top:bottom, left:right], self.quality))
                self.events.put(1)
        self.check()
        shrink = fallback_source.shape[0] >= FALLBACK_SIZE
        fallback = cv2.resize(
            fallback_source,
            (FALLBACK_SIZE, FALLBACK_SIZE),
            interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR,
        )
        _write(self.folder / "fallback" / f"{face}.{EXTENSION}", _jpeg(fallback, self.quality))
        self.events.put(1)

    def preview(self) -> None:
        """Write the equirect preview and keep the inline placeholder made from it."""
        width = min(PREVIEW_WIDTH, self.plan.width)
        small = cv2.resize(self.source, (width, width // 2), interpolation=cv2.INTER_AREA)
        _write(self.folder / PREVIEW_PATH[1:], _jpeg(small, self.quality))
        tiny = cv2.resize(small, (PLACEHOLDER_WIDTH, PLACEHOLDER_WIDTH // 2), interpolation=cv2.INTER_AREA)
        self.placeholder = "data:image/jpeg;base64," + base64.b64encode(
            _jpeg(tiny, PLACEHOLDER_QUALITY, tiny=True)
        ).decode("ascii")
        self.events.put(1)


def _run_jobs(
    image: np.ndarray,
    plan: Layout,
    folder: Path,
    quality: int,
    progress: Progress | None,
    total: int,
    workers: int | None,
) -> str:
    """Run the preview and the six faces on a thread pool, reporting progress here; the placeholder."""
    run = _Run(image, plan, folder, quality)
    count = workers or _cores()
    pool = ThreadPoolExecutor(max_workers=min(count, len(FACES) + 1), thread_name_prefix="tiles")
    futures: list[Future] = [pool.submit(run.preview)] + [pool.submit(run.face, face) for face in FACES]
    for future in futures:
        future.add_done_callback(lambda _: run.events.put(None))
    try:
        done, finished = 0, 0
        while finished < len(futures):
            event = run.events.get()
            if event is None:
                finished += 1
                if any(f.done() and f.exception() is not None for f in futures):
                    run.stop.set()
                continue
            done += event
            if progress is not None:
                progress(done, total)
    except BaseException:
        run.stop.set()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    errors = [f.exception() for f in futures if f.exception() is not None]
    real = [e for e in errors if not isinstance(e, _Cancelled)]
    if real or errors:
        raise (real or errors)[0]
    return run.placeholder
