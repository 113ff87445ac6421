"""Tour loading benchmark: our panorama viewer against Pannellum on the same tiles, in headless Chromium.

Builds a fresh instance (demo halls, the pingnan hall model), publishes ONE 8192×4096 panorama into scene
``entrance`` of ``pingnan`` (rendered from the hall model, or ``--image synthetic`` for a generated test
image), and serves it with gunicorn. Pannellum (web/node_modules/pannellum, a development dependency) runs
in multires mode on the very same tile folder, from a page served by a route that only this benchmark
registers (a WSGI module written into the temporary folder wraps ``create_app()``; product code is not
changed); its JS and CSS are served gzip-compressed, as ours are, so bytes compare like with like.

For each viewer and network profile (loopback; "slow 4G": 1.6 Mbps down, 150 ms RTT, cache disabled, via
CDP), in a fresh browser context at 1280×720:

- first frame: the first screenshot (polled every ``--poll`` s) in which the viewer's area is no longer
  blank: at least ``COVERED`` of a 16×9 grid of cells show a pixel standard deviation ≥ ``CELL_STD``
  (a few cells may hold buttons or a loading box; a blank background scores ~0); screenshot time is taken
  when the capture returns, so it is an upper bound for both viewers alike;
- sharp: by the network: once tile requests (``/<level>/<face><row>_<col>.jpg``) have been quiet for
  ``QUIET`` s, the time the last tile of the highest level requested arrived; that level is reported;
- bytes: ``Network.loadingFinished`` encodedDataLength of everything finished by first frame and by sharp,
  and of the scripts among them.

Run: ``.venv/bin/python scripts/bench_web.py [--image render|synthetic] [--cap 60]``.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
PANNELLUM = ROOT / "web" / "node_modules" / "pannellum" / "build"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 720}
HALL, SCENE = "pingnan", "entrance"
WIDTH = 8192
TILE_RE = re.compile(r"/panoramas/[^?]*/(\d+)/([frblud])(\d+)_(\d+)\.jpg(?:\?|$)")
GRID = (16, 9)  # cells across and down the viewer area
CELL_STD = 2.0  # grey levels: a cell with at least this standard deviation shows something
BACKGROUND = np.array(
    [0x30, 0x34, 0x3A], np.float32
)  # our viewer's blank colour; the Pannellum page uses it too
BACKGROUND_DISTANCE = 8.0  # RGB units
COVERED = 0.6  # share of cells that must show something for a first frame
QUIET = 1.5  # s without tile requests after which the initial view counts as settled
PROFILES = {
    "loopback": None,
    "slow 4G": {"latency": 150, "down_mbps": 1.6, "up_mbps": 0.75},
}
TARGETS = "first recognisable view ≤ 1.0 s; sharp ≤ 6 s; JS for the first frame ≤ 200 KB compressed"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def synthetic_equirect(width: int, seed: int = 2026) -> np.ndarray:
    """A photo-like test panorama: smooth colour fields, edges and fine noise (compresses like a photo)."""
    import cv2

    rng = np.random.default_rng(seed)
    height = width // 2
    image = np.zeros((height, width, 3), np.float32)
    for cells, weight in ((8, 90.0), (64, 40.0), (512, 20.0)):
        small = rng.random((cells // 2, cells, 3), dtype=np.float32)
        image += cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC) * weight
    image += rng.normal(0, 6, (height, width, 1)).astype(np.float32)
    return np.clip(image, 0, 255).astype(np.uint8)


def publish_panorama(env: dict[str, str], kind: str) -> dict:
    """Publish one WIDTH-wide panorama into HALL/SCENE of the instance in *env*; return its tiles config."""
    os.environ.update(env)
    from server import create_app
    from server.cli_support import cli_session, require_hall
    from server.modelcheck import load_scene
    from server.modelstore import model_path
    from server.panoramas.render import flatten_scene, render_equirect
    from server.panoramas.store import add_panorama, jpeg_bytes

    app = create_app()
    with app.app_context(), cli_session() as session:
        hall = require_hall(session, HALL)
        scene = next(s for s in hall.scenes if s.code == SCENE)
        if kind == "render":
            model = flatten_scene(load_scene(model_path(app, HALL, hall.model_sha).read_bytes())[0])
            image = render_equirect(model, (scene.x, scene.y, scene.z), scene.heading, width=WIDTH)
        else:
            image = synthetic_equirect(WIDTH)
        return dict(add_panorama(app, session, scene, jpeg_bytes(image), source={"kind": "bench"}))


BENCH_APP = '''\
"""The product app plus one route serving the Pannellum page; exists only inside bench_web.py."""
import gzip
from pathlib import Path

from flask import request, send_file

from server import create_app

FOLDER = Path(__file__).parent / "pannellum"
app = create_app()


@app.get("/bench/pannellum/<name>")
def bench_pannellum(name):
    path = FOLDER / name
    if name.endswith((".js", ".css")) and "gzip" in request.headers.get("Accept-Encoding", ""):
        response = send_file(path.with_name(name + ".gz"), mimetype="text/css" if name.endswith(".css") else "text/javascript")
        response.headers["Content-Encoding"] = "gzip"
        response.headers["Vary"] = "Accept-Encoding"
        return response
    return send_file(path)
'''


def pannellum_page(tiles: dict, view: dict, rect: dict) -> str:
    """Pannellum in multires mode on our tile folder, at our first view, in a box the size of our viewer."""
    aspect = rect["width"] / rect["height"]
    hfov = math.degrees(2 * math.atan(math.tan(math.radians(view["fov"]) / 2) * aspect))
    config = {
        "type": "multires",
        "autoLoad": True,
        "showControls": False,
        "yaw": view["yaw"],
        "pitch": view["pitch"],
        "hfov": hfov,
        "minHfov": 30,
        "maxHfov": max(120, math.ceil(hfov)),
        "multiRes": {
            key: tiles[key]
            for key in (
                "basePath",
                "path",
                "fallbackPath",
                "extension",
                "tileResolution",
                "maxLevel",
                "cubeResolution",
            )
        },
    }
    # A plain background and no loading box: "blank" must look blank to the screenshot test, as ours does.
    return textwrap.dedent(f"""\
        <!doctype html>
        <html><head><meta charset="utf-8"><title>Pannellum</title><link rel="icon" href="data:,">
        <link rel="stylesheet" href="pannellum.css"><script src="pannellum.js"></script>
        <style>html, body {{ margin: 0; height: 100%; background: #30343a; }}
        #pano {{ position: absolute; left: {rect["x"]}px; top: {rect["y"]}px; width: {rect["width"]}px;
          height: {rect["height"]}px; }}
        .pnlm-container {{ background: #30343a !important; }} .pnlm-load-box {{ display: none !important; }}
        </style></head>
        <body><div id="pano"></div>
        <script>pannellum.viewer("pano", {json.dumps(config)});</script>
        </body></html>
        """)


def blank_score(jpeg: bytes) -> float:
    """Share of the GRID cells of a screenshot that show something: a grey-level standard deviation of at
    least CELL_STD, or a mean colour at least BACKGROUND_DISTANCE from the blank background (flat-shaded
    renders have large uniform walls)."""
    import cv2

    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)[:, :, ::-1].astype(np.float32)
    cols, rows = GRID
    h, w = image.shape[0] // rows, image.shape[1] // cols
    cells = image[: h * rows, : w * cols].reshape(rows, h, cols, w, 3)
    std = cells.mean(axis=4).std(axis=(1, 3))
    mean = cells.mean(axis=(1, 3))
    distance = np.minimum(  # blank is our background colour or an unstyled (white) page
        np.linalg.norm(mean - BACKGROUND, axis=-1), np.linalg.norm(mean - 255.0, axis=-1)
    )
    return float(((std >= CELL_STD) | (distance >= BACKGROUND_DISTANCE)).mean())


def measure(browser, url: str, rect: dict, profile: dict | None, poll: float, cap: float) -> dict:
    """Load *url* once in a fresh context; first frame from screenshots of *rect*, sharp from tiles."""
    from playwright.sync_api import Error as PlaywrightError

    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    requests: dict[str, dict] = {}

    def sent(event):
        requests.setdefault(event["requestId"], {"url": event["request"]["url"], "start": event["timestamp"]})

    def received(event):
        requests.setdefault(event["requestId"], {"url": event["response"]["url"]})["type"] = event["type"]

    def finished(event):
        entry = requests.setdefault(event["requestId"], {"url": ""})
        entry.update(end=event["timestamp"], bytes=event["encodedDataLength"])

    def failed(event):
        requests.setdefault(event["requestId"], {"url": ""})["end"] = event["timestamp"]

    cdp.on("Network.requestWillBeSent", sent)
    cdp.on("Network.responseReceived", received)
    cdp.on("Network.loadingFinished", finished)
    cdp.on("Network.loadingFailed", failed)
    cdp.send("Network.enable")
    if profile:
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": profile["latency"],
                "downloadThroughput": profile["down_mbps"] * 1e6 / 8,
                "uploadThroughput": profile["up_mbps"] * 1e6 / 8,
            },
        )
    # CDP's timestamps are Chromium's monotonic clock, which on Linux is CLOCK_MONOTONIC, as time.monotonic().
    t0 = time.monotonic()
    page.goto(url, wait_until="commit", timeout=cap * 1000)
    clip = {**rect, "scale": 1}  # the viewer's box, known from the warm-up: polling starts at once
    first, blank, score, shots = None, 0.0, 0.0, 0
    while time.monotonic() - t0 < cap:
        try:
            shot = cdp.send(
                "Page.captureScreenshot",
                {"format": "jpeg", "quality": 80, "clip": clip, "optimizeForSpeed": True},
            )
        except PlaywrightError:  # nothing painted yet
            shot = None
        now = time.monotonic() - t0
        shots += 1
        score = 0.0 if shot is None else blank_score(base64.b64decode(shot["data"]))
        if score >= COVERED:
            first = now
            break
        blank = now
        time.sleep(poll)
    capped = True
    while first is not None and time.monotonic() - t0 < cap:  # wait for the tile requests to settle
        page.wait_for_timeout(250)  # also lets Playwright deliver the CDP events
        tiles = [r for r in requests.values() if TILE_RE.search(r["url"])]
        if not tiles or any("end" not in r for r in tiles):
            continue
        if time.monotonic() - max(max(r.get("start", 0), r["end"]) for r in tiles) >= QUIET:
            capped = False
            break
    tiles = []
    for r in requests.values():
        match = TILE_RE.search(r["url"])
        if match and "end" in r:
            tiles.append((int(match.group(1)), r["end"] - t0))
    level = max((lv for lv, _ in tiles), default=0)
    sharp = None if capped else max((t for lv, t in tiles if lv == level), default=None)
    done = [(r["end"] - t0, r.get("bytes", 0), r.get("type")) for r in requests.values() if "end" in r]
    doc = min((r["start"] for r in requests.values() if "start" in r), default=t0) - t0

    def kb(until, scripts=False):
        if until is None:
            return None
        return sum(b for t, b, kind in done if t <= until and (not scripts or kind == "Script")) / 1024

    result = {
        "first": first,
        "blank": blank,
        "sharp": sharp,
        "level": level,
        "top_tiles": sum(1 for lv, _ in tiles if lv == level),
        "tiles": len(tiles),
        "kb_first": kb(first),
        "kb_sharp": kb(sharp if sharp is not None else time.monotonic() - t0),
        "js_first": kb(first, scripts=True),
        "js_all": kb(time.monotonic() - t0, scripts=True),
        "shots": shots,
        "doc": doc,
        "capped": capped,
    }
    context.close()
    return result


def run_server(env: dict[str, str], tmp: Path, port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "8",
            "--worker-class",
            "gthread",
            "--keep-alive",
            "30",
            "--pythonpath",
            f"{tmp},{ROOT}",
            "bench_app:app",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_ready(port: int, timeout: float = 60.0) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/static/robots.txt", timeout=5)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def our_view(browser, url: str) -> tuple[dict, dict]:
    """Our viewer's first view (yaw, pitch, vertical fov in degrees) and its box on the page, once warm."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(url, timeout=60_000)
    page.wait_for_function("document.querySelector('#viewer').dataset.fov", timeout=60_000)
    data = page.eval_on_selector("#viewer", "e => ({...e.dataset})")
    rect = page.locator("#viewer").bounding_box()
    context.close()
    view = {key: float(data[key]) for key in ("yaw", "pitch", "fov")}
    return view, {key: round(value) for key, value in rect.items()}


def fmt(value, spec: str) -> str:
    return format("—", ">" + spec.split(".")[0]) if value is None else format(value, spec)


def ratio(a, b) -> str:
    return "—" if a is None or b is None or b == 0 else f"{a / b:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", choices=("render", "synthetic"), default="render")
    parser.add_argument("--poll", type=float, default=0.05, help="s between screenshots (plus capture time)")
    parser.add_argument("--cap", type=float, default=60.0, help="s at most per page load")
    args = parser.parse_args()
    if not (PANNELLUM / "pannellum.js").exists():
        sys.exit("web/node_modules/pannellum is missing: cd web && npm install")

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env = {
            **os.environ,
            "VHALL_INSTANCE_PATH": tmp_name,
            "VHALL_DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
            "VHALL_SECRET_KEY": "bench",
        }
        flask = [str(BIN / "flask"), "--app", "server"]
        subprocess.run([*flask, "demo"], env=env, check=True, capture_output=True, timeout=300)
        subprocess.run(
            [*flask, "model", "build", HALL], env=env, check=True, capture_output=True, timeout=300
        )
        t = time.monotonic()
        tiles = publish_panorama(env, args.image)
        print(
            f"panorama: {args.image} {WIDTH}×{WIDTH // 2} → {HALL}/{SCENE}, cube {tiles['cubeResolution']} px, "
            f"maxLevel {tiles['maxLevel']} ({time.monotonic() - t:.1f} s to make and tile)"
        )

        (tmp / "bench_app.py").write_text(BENCH_APP, encoding="utf-8")
        folder = tmp / "pannellum"
        folder.mkdir()
        for name in ("pannellum.js", "pannellum.css"):
            shutil.copy(PANNELLUM / name, folder / name)
            subprocess.run(["gzip", "-9", "-k", str(folder / name)], check=True, timeout=60)
        version = json.loads((PANNELLUM.parent / "package.json").read_text(encoding="utf-8"))["version"]

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        ours_url = f"{base}/hall/{HALL}?scene={SCENE}"
        theirs_url = f"{base}/bench/pannellum/index.html"
        server = run_server(env, tmp, port)
        results: dict[tuple[str, str], dict] = {}
        try:
            wait_ready(port)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    view, rect = our_view(browser, ours_url)  # also warms the server
                    (folder / "index.html").write_text(pannellum_page(tiles, view, rect), encoding="utf-8")
                    print(
                        f"first view: yaw {view['yaw']:.1f}°, pitch {view['pitch']:.1f}°, vertical fov "
                        f"{view['fov']:.1f}°; viewer box {rect['width']}×{rect['height']} at "
                        f"({rect['x']}, {rect['y']}); Pannellum {version} gets the same box and view"
                    )
                    for profile_name, profile in PROFILES.items():
                        for viewer, url in (("ours", ours_url), ("Pannellum", theirs_url)):
                            r = measure(browser, url, rect, profile, args.poll, args.cap)
                            results[(viewer, profile_name)] = r
                            print(
                                f"  measured {viewer:9} {profile_name:8}: {r['shots']} screenshots, "
                                f"{r['tiles']} tiles ({r['top_tiles']} at level {r['level']}), "
                                f"document requested {r['doc'] * 1000:.0f} ms after navigation"
                                + (f"; capped at {args.cap:.0f} s" if r["capped"] else "")
                            )
                finally:
                    browser.close()
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)

    print(
        f"\nheadless Chromium ({CHROMIUM}), {VIEWPORT['width']}×{VIEWPORT['height']}, SwiftShader WebGL; gunicorn "
        f"2 workers × 8 threads on the same {os.cpu_count()} cores; one cold load per cell; first frame from "
        f"screenshots (≥ {COVERED:.0%} of a {GRID[0]}×{GRID[1]} grid non-uniform or off the background colour), sharp = last top-level tile "
        f"before {QUIET} s without tile requests; KB = encoded bytes over the wire (headers included); “blank s” is the last blank screenshot, so the first frame "
        "appeared between it and “first s”\n"
    )
    head = (
        f"{'viewer':10} {'profile':9} {'blank s':>7} {'first s':>7} {'sharp s':>7} {'level':>5} {'tiles':>5} "
        f"{'KB@first':>9} {'KB@sharp':>9} {'JS KB@first':>11} {'JS KB all':>9}"
    )
    print(head)
    for (viewer, profile_name), r in results.items():
        print(
            f"{viewer:10} {profile_name:9} {r['blank']:7.2f} {fmt(r['first'], '7.2f')} {fmt(r['sharp'], '7.2f')} {r['level']:5d} "
            f"{r['top_tiles']:5d} {fmt(r['kb_first'], '9.0f')} {fmt(r['kb_sharp'], '9.0f')} "
            f"{fmt(r['js_first'], '11.0f')} {fmt(r['js_all'], '9.0f')}"
        )
    print("\nratios ours / Pannellum (below 1: ours is faster or smaller)")
    print(f"{'profile':9} {'first':>7} {'sharp':>7} {'KB@first':>9} {'KB@sharp':>9} {'JS all':>7}")
    for profile_name in PROFILES:
        a, b = results.get(("ours", profile_name)), results.get(("Pannellum", profile_name))
        if a and b:
            print(
                f"{profile_name:9} {ratio(a['first'], b['first']):>7} {ratio(a['sharp'], b['sharp']):>7} "
                f"{ratio(a['kb_first'], b['kb_first']):>9} {ratio(a['kb_sharp'], b['kb_sharp']):>9} "
                f"{ratio(a['js_all'], b['js_all']):>7}"
            )
    print(f"\ntargets (slow 4G): {TARGETS}")


if __name__ == "__main__":
    main()
