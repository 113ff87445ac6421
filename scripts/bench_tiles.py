"""Panorama tiling benchmark: an 8192 × 4096 JPEG to Pannellum's multires tile set (2600-px faces, 4 levels).

Each run is a fresh subprocess (so each pays for its own imports' first use, allocation and maps, as a
server worker tiling its first upload would) and reports its wall time, its CPU time (user + system, all
threads: ``time.process_time``) and peak RSS (``VmHWM``):

- ours: ``load_equirect`` (JPEG decode, checks) then ``tile_panorama`` into a new folder;
- the peer: the same decode, py360convert's ``e2c`` (bilinear; it uses OpenCV's remap when OpenCV is
  installed, as here), then the same tiling and JPEG encoding as ours (same pyramid, encoder, threads);
- the floor: what no tiler can avoid, with the same codecs and the same thread count as ours, so that it is
  a true lower bound of the same work in wall time as well as in CPU time: reading and decoding the input
  with libjpeg-turbo through simplejpeg (as ``load_equirect``, BGRX) on one thread, then encoding exactly
  the set of images ours wrote (tiles, fallback faces, preview; decoded beforehand as BGRX, untimed) with
  ours' encoder (``tiles._jpeg``: OpenCV, same parameters) on as many threads as ``tile_panorama`` uses,
  in memory (no files written).

Runs alternate (ours, peer, floor, ours, …) so that noise from other work on the machine spreads evenly;
the best and the median of ``--repeat`` runs are printed with the ratios. Then ours alone on a
16384 × 8192 input for peak memory. The inputs are generated (seeded, photo-like detail) into
``bench-results/`` unless given. Run: ``.venv/bin/python scripts/bench_tiles.py [--repeat 3] [--width 8192]
[--skip-16k]`` (``--width 4096 --repeat 1 --skip-16k`` is a quick check that it works).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server.panoramas.ingest import load_equirect  # noqa: E402
from server.panoramas.tiles import (  # noqa: E402
    DEFAULT_QUALITY,
    EXTENSION,
    FACES,
    FALLBACK_SIZE,
    Layout,
    _cores,
    _jpeg,
    _write,
    layout,
    tile_panorama,
)

RESULTS = ROOT / "bench-results"
TARGET_FLOOR_RATIO = 2.0  # ours at most this many times the floor
TARGET_PEER_RATIO = 4.0  # ours at least this many times faster than the peer
TARGET_PEAK_8K_MB = 1024
TARGET_PEAK_16K_MB = 3072


def make_input(path: Path, width: int, seed: int = 2026) -> None:
    """A seeded photo-like equirect JPEG: smooth light, texture at every scale, hard-edged signs."""
    pixels = photo_like(min(width, 8192), seed)
    if width > pixels.shape[1]:  # larger inputs: the 8K picture enlarged, with fresh grain
        pixels = cv2.resize(pixels, (width, width // 2), interpolation=cv2.INTER_CUBIC)
        rng = np.random.default_rng(seed + 1)
        for top in range(0, pixels.shape[0], 512):
            band = pixels[top : top + 512].astype(np.int16)
            band += rng.integers(-4, 5, size=(*band.shape[:2], 1), dtype=np.int16)
            pixels[top : top + 512] = np.clip(band, 0, 255)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), pixels, [cv2.IMWRITE_JPEG_QUALITY, 92])


def photo_like(width: int, seed: int) -> np.ndarray:
    """``(width/2, width, 3) uint8``: noise octaves from 8 cells to single pixels, grain, signs with strokes."""
    rng = np.random.default_rng(seed)
    height = width // 2
    image = np.zeros((height, width, 3), np.float32)
    for cells, amplitude in ((8, 70), (32, 40), (128, 22), (512, 12), (2048, 7), (width // 2, 5)):
        coarse = rng.normal(size=(max(2, cells // 2), cells, 3)).astype(np.float32)
        image += amplitude * cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    image += rng.normal(scale=3.0, size=(height, width, 1)).astype(np.float32)  # sensor grain
    image += 120
    for _ in range(width // 20):  # signs and counters: flat colour, sharp edges, a few strokes
        w, h = rng.integers(width // 80, width // 20), rng.integers(height // 60, height // 20)
        x, y = rng.integers(0, width - w), rng.integers(height // 4, 3 * height // 4 - h)
        image[y : y + h, x : x + w] = rng.integers(0, 256, 3)
        for _ in range(6):
            sx = rng.integers(x, x + w)
            image[y + h // 4 : y + 3 * h // 4, sx : sx + max(1, w // 60)] = 255 - rng.integers(0, 256, 3)
    return np.clip(image, 0, 255).astype(np.uint8)


def tile_faces(faces: list[np.ndarray], folder: Path, plan: Layout, quality: int) -> None:
    """The peer's tiling: six RGB faces cut and encoded exactly as ours does (pyramid, encoder, threads)."""
    for level in range(1, plan.max_level + 1):
        (folder / str(level)).mkdir(parents=True)
    (folder / "fallback").mkdir()

    def one(args: tuple[str, np.ndarray]) -> None:
        letter, face = args
        pixels = cv2.cvtColor(face, cv2.COLOR_RGB2BGR)
        fallback = pixels
        for level in range(plan.max_level, 0, -1):
            side = plan.level_sizes[level - 1]
            if side != pixels.shape[0]:
                pixels = cv2.resize(pixels, (side, side), interpolation=cv2.INTER_AREA)
            if side >= FALLBACK_SIZE:
                fallback = pixels
            for row, col, top, left, bottom, right in plan.tile_boxes(level):
                tile = pixels[top:bottom, left:right]
                _write(folder / str(level) / f"{letter}{row}_{col}.{EXTENSION}", _jpeg(tile, quality))
        small = cv2.resize(fallback, (FALLBACK_SIZE, FALLBACK_SIZE), interpolation=cv2.INTER_AREA)
        _write(folder / "fallback" / f"{letter}.{EXTENSION}", _jpeg(small, quality))

    with ThreadPoolExecutor(len(os.sched_getaffinity(0))) as pool:
        list(pool.map(one, zip("frblud", faces, strict=True)))


def our_threads() -> int:
    """The threads ``tile_panorama`` renders and encodes on by default (one per core, at most a job each)."""
    return min(_cores(), len(FACES) + 1)


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM, MB): unlike ru_maxrss it starts afresh at exec."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(kind: str, source: Path, out: Path, extra: Path | None) -> dict:
    """One timed run in this (fresh) process."""
    rss_start = peak_rss_mb()
    result: dict = {}
    if kind == "ours":
        start, cpu = time.perf_counter(), time.process_time()
        image = load_equirect(source)
        tile_panorama(image, out, quality=DEFAULT_QUALITY)
        result["seconds"], result["cpu_seconds"] = time.perf_counter() - start, time.process_time() - cpu
    elif kind in ("peer", "peer-warm"):
        import py360convert  # the benchmark's peer only; product code never imports it

        start, cpu = time.perf_counter(), time.process_time()
        image = load_equirect(source)
        plan = layout(image.shape[1], image.shape[0])
        size = plan.cube_resolution
        if kind == "peer-warm":  # its maps are lru-cached: a second image of the same size skips them
            py360convert.e2c(image, face_w=size, mode="bilinear", cube_format="list")
            start, cpu = time.perf_counter(), time.process_time()
            image = load_equirect(source)
        faces = py360convert.e2c(image, face_w=size, mode="bilinear", cube_format="list")
        tile_faces(faces, out, plan, DEFAULT_QUALITY)
        result["seconds"], result["cpu_seconds"] = time.perf_counter() - start, time.process_time() - cpu
    elif kind == "floor":
        import simplejpeg

        names = sorted(extra.rglob(f"*.{EXTENSION}"))
        # Our output images, decoded beforehand into the layout ours encodes from (BGRX): the floor
        # re-encodes exactly these, with our encoder, on our number of threads.
        outputs = [simplejpeg.decode_jpeg(path.read_bytes(), colorspace="BGRX") for path in names]
        result["images"] = len(outputs)
        threads = our_threads()
        pool = ThreadPoolExecutor(threads)  # started untimed, as ours' pool is part of its own run
        list(pool.map(lambda _: None, range(threads)))
        start, cpu = time.perf_counter(), time.process_time()
        data = source.read_bytes()
        height, width, *_ = simplejpeg.decode_jpeg_header(data)
        pixels = np.empty((height, width, 4), np.uint8)  # fresh memory, as ingest decodes into
        simplejpeg.decode_jpeg(data, colorspace="BGRX", strict=True, buffer=pixels)
        decode = time.perf_counter() - start
        list(pool.map(lambda image: _jpeg(image, DEFAULT_QUALITY), outputs))
        result["seconds"], result["cpu_seconds"] = time.perf_counter() - start, time.process_time() - cpu
        result["decode"] = decode
        result["threads"] = threads
        pool.shutdown()
    else:
        raise SystemExit(f"unknown run {kind}")
    result["peak_mb"] = peak_rss_mb()
    result["start_mb"] = rss_start
    return result


def spawn(kind: str, source: Path, out: Path, extra: Path | None = None) -> dict:
    """Run *kind* in a fresh interpreter and return what it measured."""
    if out.exists():
        shutil.rmtree(out)
    command = [sys.executable, __file__, "--child", kind, str(source), str(out)]
    if extra is not None:
        command.append(str(extra))
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--input", type=Path, help="an equirect JPEG (default: generated, --width wide)")
    parser.add_argument("--width", type=int, default=8192, help="width of the generated input (default 8192)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-16k", action="store_true")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, source, out, *extra = args.child
        print(json.dumps(child(kind, Path(source), Path(out), Path(extra[0]) if extra else None)))
        return

    source = args.input or RESULTS / f"pano-{args.width}.jpg"
    if not source.exists():
        print(f"generating {source} …", flush=True)
        make_input(source, args.width)
    with tempfile.TemporaryDirectory(prefix="bench-tiles-") as scratch:
        work = Path(scratch)
        probe = spawn("ours", source, work / "ours")  # also the output the floor re-encodes
        files = sum(1 for p in (work / "ours").rglob("*") if p.is_file())
        config = json.loads((work / "ours" / "config.json").read_text(encoding="utf-8"))
        print(
            f"input {source.name}: {config['width']}×{config['height']}, {source.stat().st_size / 1e6:.1f} MB; "
            f"output: cube {config['cubeResolution']}, {config['maxLevel']} levels, {files} files, "
            f"JPEG quality {DEFAULT_QUALITY}; {len(os.sched_getaffinity(0))} cores, ours on {our_threads()} "
            f"threads; OpenCV {cv2.__version__}"
        )
        runs: dict[str, list[dict]] = {"ours": [probe], "peer": [], "floor": []}
        for _ in range(args.repeat):
            runs["ours"].append(spawn("ours", source, work / "ours-again"))
            runs["peer"].append(spawn("peer", source, work / "peer"))
            runs["floor"].append(spawn("floor", source, work / "floor", work / "ours"))
        runs["ours"] = runs["ours"][1:]  # the probe warmed the disk cache; compare like with like
        warm = spawn("peer-warm", source, work / "peer-warm")

        best = {kind: min(r["seconds"] for r in results) for kind, results in runs.items()}
        best_cpu = {kind: min(r["cpu_seconds"] for r in results) for kind, results in runs.items()}
        print(f"{'run':<38}{'best s':>8}{'median s':>10}{'best CPU s':>12}{'peak RSS MB':>13}")
        labels = {
            "ours": "ours (decode + tile)",
            "peer": "py360convert e2c + same tiling",
            "floor": "floor (same codecs, same threads)",
        }
        for kind, results in runs.items():
            seconds = [r["seconds"] for r in results]
            peak = max(r["peak_mb"] for r in results)
            print(
                f"{labels[kind]:<38}{min(seconds):>8.3f}{statistics.median(seconds):>10.3f}"
                f"{best_cpu[kind]:>12.3f}{peak:>13.0f}"
            )
        decode = min(r["decode"] for r in runs["floor"])
        print(
            f"  floor = simplejpeg decode (1 thread) {decode:.3f} s + OpenCV encode of the "
            f"{runs['floor'][0]['images']} images ours wrote, on {runs['floor'][0]['threads']} threads as ours, "
            f"{best['floor'] - decode:.3f} s; no file writes; interpreter at start "
            f"~{runs['ours'][0]['start_mb']:.0f} MB RSS"
        )
        print(
            f"  py360convert with its maps already cached (same size seen before): {warm['seconds']:.3f} s, "
            f"{warm['cpu_seconds']:.3f} CPU s"
        )
        floor_ratio, peer_ratio = best["ours"] / best["floor"], best["peer"] / best["ours"]
        peak_8k = max(r["peak_mb"] for r in runs["ours"])
        print(
            f"ours / floor = {floor_ratio:.2f} wall (target ≤ {TARGET_FLOOR_RATIO:g}), "
            f"{best_cpu['ours'] / best_cpu['floor']:.2f} CPU; "
            f"py360convert / ours = {peer_ratio:.1f} wall (target ≥ {TARGET_PEER_RATIO:g}), "
            f"{best_cpu['peer'] / best_cpu['ours']:.1f} CPU; "
            f"warm py360convert / ours = {warm['seconds'] / best['ours']:.1f}; "
            f"peak {peak_8k:.0f} MB (target ≤ {TARGET_PEAK_8K_MB})"
        )

        if not args.skip_16k:
            big = RESULTS / "pano-16384.jpg"
            if not big.exists():
                print(f"generating {big} …", flush=True)
                make_input(big, 16384)
            result = spawn("ours", big, work / "ours-16k")
            big_config = json.loads((work / "ours-16k" / "config.json").read_text(encoding="utf-8"))
            print(
                f"16384×8192 ({big.stat().st_size / 1e6:.1f} MB, cube {big_config['cubeResolution']}, "
                f"{big_config['maxLevel']} levels): ours {result['seconds']:.3f} s, "
                f"peak {result['peak_mb']:.0f} MB RSS (target ≤ {TARGET_PEAK_16K_MB})"
            )


if __name__ == "__main__":
    main()
