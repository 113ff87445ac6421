"""Tour loading benchmark: our panorama viewer against Pannellum on the same tiles, in headless Chromium.

Builds a fresh instance (demo halls, the hall model of ``--hall``, default pingnan), publishes ONE 8192×4096
panorama into scene ``entrance`` of that hall (rendered from the hall model, or ``--image synthetic`` for a
generated test image), and serves it with gunicorn. Pannellum (web/node_modules/pannellum, a development dependency) runs
in multires mode on the very same tile folder, from a page served by a route that only this benchmark
registers (a WSGI module written into the temporary folder wraps ``create_app()``; product code is not
changed); its JS and CSS are served gzip-compressed, as ours are, so bytes compare like with like. Pannellum
gets our ``preview.jpg`` too (its ``preview`` option), sized and placed in its box as our page places it
(the middle of the equirect at 240 % of the box height), so both have the same image before their viewer runs.

For each device (``desktop`` 1280×720; ``phone`` 390×844 at device pixel ratio 3, touch, mobile), viewer and
network profile (loopback; "slow 4G": 1.6 Mbps down, 150 ms RTT, cache disabled, via CDP), ``--repeat`` cold
loads, each in a fresh browser context; medians [min–max] are printed:

- references, once per viewer before the measured loads: the *final view* (a screenshot of the viewer's box
  once the tiles have settled, loopback) and the *empty state* (the page with scripts and images blocked and
  the viewer's CSS background removed: what the page shows before anything of the panorama is there);
- first recognisable view: the first screenshot (polled every ``--poll`` s) whose viewer box, downscaled to
  ``SMALL`` greyscale, has a standard deviation ≥ ``STD_FLOOR`` (not nearly uniform), differs from the empty
  state by a mean of ≥ ``EMPTY_DIFF`` grey levels, and has a normalised cross-correlation ≥ ``NCC_MIN`` with
  the final view. Screenshot time is taken when the capture returns, so it is an upper bound for both viewers
  alike; the first-frame screenshots (and the final views) are saved into ``bench-results/web/``. Each
  screenshot is told apart by whether the viewer had drawn before it was taken (ours: ``#viewer`` has a
  panorama texture and a frame number; Pannellum: ``isLoaded()``, which is when it removes its preview):
  *pre-viewer* is the first recognisable screenshot before that (ours: the server-rendered first view, the
  placeholder and preview.jpg as CSS backgrounds in the HTML; Pannellum: its preview element), *viewer* the
  first one after it. The ratios compare the viewers' own first frames;
- ours only: whether that first frame is the inline *placeholder* or *preview.jpg* (by whether preview.jpg had
  finished loading, per CDP, before the screenshot was taken), and when the first recognisable screenshot after
  preview.jpg arrived ("preview s");
- sharp: by the network: once tile requests (``/<level>/<face><row>_<col>.jpg``) have been quiet for
  ``QUIET`` s, the time the last tile of each level arrived. Each viewer picks its own top level, so the
  comparison is at the same level: the highest level both viewers reached in every run of a profile
  ("sharp@L", with the number of tiles of that level each fetched); each viewer's own top level is reported
  beside it. The final screenshot's correlation with the reference final view is checked (``final NCC``);
- interactive (ours only): the first poll at which the tour has composed its parts (``body[data-tour=ready]``:
  search bound, panel, minimap) and the hotspots of the first scene are on the page as buttons;
- bytes: ``Network.loadingFinished`` encodedDataLength of everything finished by first frame and by sharp,
  and of the scripts among them; the server compresses (brotli) as it does in production.

Run: ``.venv/bin/python scripts/bench_web.py [--image render|synthetic] [--repeat 3] [--cap 60]
[--device desktop|phone|both] [--viewers both|ours] [--hall pingnan|guigang]``.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchlib import demo_instance, free_port, start_gunicorn, wait_ready  # noqa: E402  (scripts/ is on the path when run as a script)

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
DEVICES = {  # browser context settings per device
    "desktop": {"viewport": {"width": 1280, "height": 720}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 3,
        "is_mobile": True,
        "has_touch": True,
    },
}
HALLS = ("pingnan", "guigang")  # the demo halls; each has a scene "entrance", where the tour starts
SCENE = "entrance"
WIDTH = 8192
TILE_RE = re.compile(r"/panoramas/[^?]*/(\d+)/([frblud])(\d+)_(\d+)\.jpg(?:\?|$)")
SMALL = (64, 36)  # width, height of the greyscale the frames are compared at
STD_FLOOR = 6.0  # grey levels: below this the downscaled viewer box counts as nearly uniform
EMPTY_DIFF = 6.0  # grey levels: mean absolute difference from the empty state a frame must have
NCC_MIN = 0.5  # normalised cross-correlation with the final view a frame must reach
RESULTS = ROOT / "bench-results" / "web"
QUIET = 1.5  # s without tile requests after which the initial view counts as settled
PROFILES = {
    "loopback": None,
    "slow 4G": {"latency": 150, "down_mbps": 1.6, "up_mbps": 0.75},
}
TARGETS = (
    "first recognisable view ≤ 0.8 s; sharp ≤ 4 s; interactive ≤ 2 s (issue 10 §6); "
    "JS for the first frame ≤ 200 KB compressed"
)
# Our page's placement of preview.jpg (web/src/tour.css, .viewer), given to Pannellum's preview element.
PREVIEW_CSS = (
    "background-size: auto 240% !important; background-position: 50% 50% !important; "
    "background-repeat: repeat-x !important;"
)
# Whether the viewer has drawn (a screenshot taken after this is true shows the viewer's own frame).
DRAWN = {
    "ours": "(() => { const v = document.querySelector('#viewer');"
    " return !!(v && v.dataset.panorama && Number(v.dataset.frame || 0) >= 1); })()",
    "Pannellum": "!!(window.__pano && window.__pano.isLoaded())",
}
# Whether the tour can be used: composed (search bound) and the first scene's hotspots on the page (ours only).
INTERACTIVE = (
    "document.body.dataset.tour === 'ready' && document.querySelectorAll('#hotspots button').length > 0"
)


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


def publish_panorama(env: dict[str, str], kind: str, hall_slug: str) -> dict:
    """Publish one WIDTH-wide panorama into *hall_slug*/SCENE of the instance in *env*; return its tiles
    config."""
    os.environ.update(env)
    from server import create_app
    from server.cli.support import cli_session, require_hall
    from server.hallmodel.check import load_scene
    from server.hallmodel.store import model_path
    from server.panoramas.render import flatten_scene, render_equirect
    from server.panoramas.store import add_panorama, jpeg_bytes

    app = create_app()
    with app.app_context(), cli_session() as session:
        hall = require_hall(session, hall_slug)
        scene = next(s for s in hall.scenes if s.code == SCENE)
        if kind == "render":
            model = flatten_scene(load_scene(model_path(app, hall_slug, hall.model_sha).read_bytes())[0])
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
        "preview": tiles["basePath"] + tiles["preview"],
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
    # A plain background and no loading box, as ours: the empty states compare like with like.
    return textwrap.dedent(f"""\
        <!doctype html>
        <html><head><meta charset="utf-8"><title>Pannellum</title><link rel="icon" href="data:,">
        <link rel="stylesheet" href="pannellum.css"><script src="pannellum.js"></script>
        <style>html, body {{ margin: 0; height: 100%; background: #30343a; }}
        #pano {{ position: absolute; left: {rect["x"]}px; top: {rect["y"]}px; width: {rect["width"]}px;
          height: {rect["height"]}px; }}
        .pnlm-container {{ background: #30343a !important; }} .pnlm-load-box {{ display: none !important; }}
        .pnlm-preview-img {{ {PREVIEW_CSS} }}
        </style></head>
        <body><div id="pano"></div>
        <script>window.__pano = pannellum.viewer("pano", {json.dumps(config)});</script>
        </body></html>
        """)


def small_grey(data: bytes) -> np.ndarray:
    """An encoded screenshot as a SMALL greyscale array (area-averaged)."""
    import cv2

    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    return cv2.resize(image, SMALL, interpolation=cv2.INTER_AREA).astype(np.float32)


def ncc(a: np.ndarray, b: np.ndarray) -> float:
    """Zero-mean normalised cross-correlation of two equally sized arrays (0 where either is uniform)."""
    a, b = a - a.mean(), b - b.mean()
    norm = math.sqrt(float((a * a).sum()) * float((b * b).sum()))
    return 0.0 if norm == 0 else float((a * b).sum()) / norm


def judge(data: bytes | None, final: np.ndarray, empty: np.ndarray) -> tuple[bool, float]:
    """Whether a screenshot is a recognisable view (see the module docstring), and its NCC with *final*."""
    if data is None:
        return False, 0.0
    grey = small_grey(data)
    score = ncc(grey, final)
    ok = grey.std() >= STD_FLOOR and float(np.abs(grey - empty).mean()) >= EMPTY_DIFF and score >= NCC_MIN
    return ok, score


def save_png(data: bytes, name: str) -> Path:
    import cv2

    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / name
    cv2.imwrite(str(path), cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR))
    return path


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def shoot(cdp, rect: dict, fmt: str = "jpeg") -> bytes | None:
    """A screenshot of *rect*, or None where nothing has been painted yet."""
    from playwright.sync_api import Error as PlaywrightError

    params = {"format": fmt, "clip": {**rect, "scale": 1}, "optimizeForSpeed": True}
    if fmt == "jpeg":
        params["quality"] = 80
    try:
        return base64.b64decode(cdp.send("Page.captureScreenshot", params)["data"])
    except PlaywrightError:
        return None


def empty_state(browser, device: dict, url: str, rect: dict) -> bytes:
    """The page with scripts and images blocked and the viewer's CSS background removed."""
    context = browser.new_context(**device)
    context.route(
        "**/*",
        lambda route: (
            route.abort()
            if route.request.resource_type in ("script", "image", "xhr", "fetch")
            else route.continue_()
        ),
    )
    page = context.new_page()
    page.add_init_script(
        "document.addEventListener('DOMContentLoaded', () => { const s = document.createElement('style');"
        " s.textContent = '#viewer { background-image: none !important; }'; document.head.append(s); });"
    )
    page.goto(url, wait_until="load", timeout=60_000)
    page.wait_for_timeout(500)
    cdp = context.new_cdp_session(page)
    data = shoot(cdp, rect, "png")
    context.close()
    if data is None:
        raise RuntimeError(f"no empty-state screenshot of {url}")
    return data


def measure(
    browser,
    device: dict,
    viewer: str,
    url: str,
    rect: dict,
    profile: dict | None,
    poll: float,
    cap: float,
    refs=None,
) -> dict:
    """Load *url* once in a fresh context; first frame from screenshots of *rect* judged against *refs*
    (final view, empty state: SMALL greyscale arrays; None: no polling, just the load and the final view),
    sharp from tiles. The result holds the encoded first-frame and final screenshots."""
    context = browser.new_context(**device)
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

    def preview_end() -> float | None:
        ends = [r["end"] - t0 for r in requests.values() if r["url"].endswith("/preview.jpg") and "end" in r]
        return min(ends, default=None)

    first = before = preview = stage = pre_viewer = drawn_first = None
    first_shot = first_ncc = preview_shot = drawn_shot = None
    best, shots = 0.0, 0
    has_preview = viewer == "ours"  # ours: tell the placeholder from preview.jpg

    def evaluate(expression: str) -> bool:
        from playwright.sync_api import Error as PlaywrightError

        try:
            answer = cdp.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        except PlaywrightError:  # the page is between documents
            return False
        return answer.get("result", {}).get("value") is True

    def drawn() -> bool:
        return evaluate(DRAWN[viewer])

    interactive = None
    wants_interactive = viewer == "ours"

    while refs is not None and time.monotonic() - t0 < cap:
        start = time.monotonic() - t0
        was_drawn = drawn()  # before the capture: a screenshot after this shows the viewer's frame
        if wants_interactive and interactive is None and evaluate(INTERACTIVE):
            interactive = time.monotonic() - t0
        data = shoot(cdp, rect)
        now = time.monotonic() - t0
        shots += 1
        ok, score = judge(data, *refs)
        best = max(best, score)
        if ok and not was_drawn and pre_viewer is None:
            pre_viewer = now
        if ok and was_drawn and drawn_first is None:
            drawn_first, drawn_shot = now, data
        if has_preview and ok and preview is None:
            page.wait_for_timeout(1)  # let Playwright deliver pending CDP events
            loaded = preview_end()
            if loaded is not None and loaded <= start:  # taken wholly after preview.jpg arrived
                preview, preview_shot = now, data
        if ok and first is None:
            first, first_shot, first_ncc = now, data, score
            if has_preview:
                stage = "placeholder" if preview is None else "preview"
        elif first is None:
            before = now
        if (
            drawn_first is not None
            and (not has_preview or preview is not None)
            and (not wants_interactive or interactive is not None)
        ):
            break
        time.sleep(poll)
    capped = True
    while time.monotonic() - t0 < cap:  # wait for the tile requests to settle
        page.wait_for_timeout(250)  # also lets Playwright deliver the CDP events
        tiles = [r for r in requests.values() if TILE_RE.search(r["url"])]
        if not tiles or any("end" not in r for r in tiles):
            continue
        if time.monotonic() - max(max(r.get("start", 0), r["end"]) for r in tiles) >= QUIET:
            capped = False
            break
    final_shot = shoot(cdp, rect, "png")
    tiles = []
    for r in requests.values():
        match = TILE_RE.search(r["url"])
        if match and "end" in r:
            tiles.append((int(match.group(1)), r["end"] - t0))
    level = max((lv for lv, _ in tiles), default=0)
    sharp = None if capped else max((t for lv, t in tiles if lv == level), default=None)
    # level → (time its last tile arrived, tiles of it), for the comparison at the same level
    levels = {
        lv: (
            None if capped else max(t for lv2, t in tiles if lv2 == lv),
            sum(1 for lv2, _ in tiles if lv2 == lv),
        )
        for lv in {lv for lv, _ in tiles}
    }
    done = [(r["end"] - t0, r.get("bytes", 0), r.get("type")) for r in requests.values() if "end" in r]
    doc = min((r["start"] for r in requests.values() if "start" in r), default=t0) - t0

    def kb(until, scripts=False):
        if until is None:
            return None
        return sum(b for t, b, kind in done if t <= until and (not scripts or kind == "Script")) / 1024

    result = {
        "first": first,
        "pre_viewer": pre_viewer,
        "viewer": drawn_first,
        "interactive": interactive,
        "levels": levels,
        "before": before,
        "stage": stage,
        "preview": preview,
        "preview_loaded": preview_end(),
        "first_ncc": first_ncc,
        "best_ncc": best,
        "final_ncc": None if refs is None or final_shot is None else ncc(small_grey(final_shot), refs[0]),
        "sharp": sharp,
        "level": level,
        "top_tiles": sum(1 for lv, _ in tiles if lv == level),
        "tiles": len(tiles),
        "kb_first": kb(first),
        "kb_viewer": kb(drawn_first),
        "kb_sharp": kb(sharp if sharp is not None else time.monotonic() - t0),
        "js_first": kb(first, scripts=True),
        "js_all": kb(time.monotonic() - t0, scripts=True),
        "shots": shots,
        "doc": doc,
        "capped": capped,
        "first_shot": first_shot,
        "viewer_shot": drawn_shot,
        "preview_shot": preview_shot,
        "final_shot": final_shot,
    }
    context.close()
    return result


def our_view(browser, device: dict, url: str) -> tuple[dict, dict]:
    """Our viewer's first view (yaw, pitch, vertical fov in degrees) and its box on the page, once warm."""
    context = browser.new_context(**device)
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


def spread(runs: list[dict], key: str, digits: int = 2) -> str:
    """Median [min–max] of *key* over *runs*; a trailing “(k/n)” when only k of n runs have a value."""
    values = [r[key] for r in runs if r[key] is not None]
    if not values:
        return "—"
    text = f"{statistics.median(values):.{digits}f} [{min(values):.{digits}f}–{max(values):.{digits}f}]"
    return text if len(values) == len(runs) else f"{text} ({len(values)}/{len(runs)})"


def _count(items) -> dict:
    counts: dict = {}
    for item in items:
        if item is not None:
            counts[item] = counts.get(item, 0) + 1
    return counts


def median(runs: list[dict], key: str) -> float | None:
    values = [r[key] for r in runs if r[key] is not None]
    return statistics.median(values) if values else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", choices=("render", "synthetic"), default="render")
    parser.add_argument("--poll", type=float, default=0.05, help="s between screenshots (plus capture time)")
    parser.add_argument("--cap", type=float, default=60.0, help="s at most per page load (at most 60)")
    parser.add_argument("--repeat", type=int, default=3, help="cold loads per viewer and profile")
    parser.add_argument("--device", choices=("desktop", "phone", "both"), default="both")
    parser.add_argument(
        "--hall", choices=HALLS, default=HALLS[0], help="the demo hall whose entrance is loaded"
    )
    parser.add_argument(
        "--viewers", choices=("both", "ours"), default="both", help="ours: leave Pannellum out (faster)"
    )
    args = parser.parse_args()
    args.cap = min(args.cap, 60.0)
    args.repeat = max(1, min(args.repeat, 20))
    if not (PANNELLUM / "pannellum.js").exists():
        sys.exit("web/node_modules/pannellum is missing: cd web && npm install")

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env, flask = demo_instance(tmp_name)
        subprocess.run(
            [*flask, "model", "build", args.hall], env=env, check=True, capture_output=True, timeout=300
        )
        t = time.monotonic()
        tiles = publish_panorama(env, args.image, args.hall)
        print(
            f"panorama: {args.image} {WIDTH}×{WIDTH // 2} → {args.hall}/{SCENE}, cube {tiles['cubeResolution']} px, "
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
        ours_url = f"{base}/hall/{args.hall}?scene={SCENE}"
        theirs_url = f"{base}/bench/pannellum/index.html"
        server = start_gunicorn(env, port, app="bench_app:app", pythonpath=f"{tmp},{ROOT}")
        results: dict[tuple[str, str, str], list[dict]] = {}
        viewers = (("ours", ours_url), ("Pannellum", theirs_url))[: 1 if args.viewers == "ours" else 2]
        devices = ("desktop", "phone") if args.device == "both" else (args.device,)
        try:
            wait_ready(port)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    for device_name in devices:
                        device = DEVICES[device_name]
                        view, rect = our_view(browser, device, ours_url)  # also warms the server
                        (folder / "index.html").write_text(
                            pannellum_page(tiles, view, rect), encoding="utf-8"
                        )
                        print(
                            f"{device_name}: first view: yaw {view['yaw']:.1f}°, pitch {view['pitch']:.1f}°, vertical fov "
                            f"{view['fov']:.1f}°; viewer box {rect['width']}×{rect['height']} at "
                            f"({rect['x']}, {rect['y']}); Pannellum {version} gets the same box and view"
                        )
                        refs = {}
                        for viewer, url in viewers:
                            ref = measure(browser, device, viewer, url, rect, None, args.poll, args.cap)
                            if ref["final_shot"] is None or ref["capped"]:
                                sys.exit(
                                    f"{viewer}: no settled final view within {args.cap:.0f} s for the reference"
                                )
                            empty = empty_state(browser, device, url, rect)
                            refs[viewer] = (small_grey(ref["final_shot"]), small_grey(empty))
                            final_path = save_png(
                                ref["final_shot"], f"{device_name}-{slug(viewer)}-reference-final.png"
                            )
                            save_png(empty, f"{device_name}-{slug(viewer)}-reference-empty.png")
                            print(
                                f"reference {viewer:9}: final view ({final_path.relative_to(ROOT)}, grey std "
                                f"{refs[viewer][0].std():.1f}, NCC with empty state "
                                f"{ncc(*refs[viewer]):.2f}), empty state (grey std {refs[viewer][1].std():.1f})"
                            )
                        for i in range(1, args.repeat + 1):
                            for profile_name, profile in PROFILES.items():
                                for viewer, url in viewers:
                                    r = measure(
                                        browser,
                                        device,
                                        viewer,
                                        url,
                                        rect,
                                        profile,
                                        args.poll,
                                        args.cap,
                                        refs[viewer],
                                    )
                                    results.setdefault((device_name, viewer, profile_name), []).append(r)
                                    stem = f"{device_name}-{slug(viewer)}-{slug(profile_name)}-r{i}"
                                    saved = []
                                    for key in ("first_shot", "viewer_shot", "preview_shot", "final_shot"):
                                        if (
                                            r[key] is not None
                                            and (key != "preview_shot" or r["stage"] == "placeholder")
                                            and (key != "viewer_shot" or r["viewer"] != r["first"])
                                        ):
                                            saved.append(
                                                save_png(
                                                    r[key], f"{stem}-{key.removesuffix('_shot')}.png"
                                                ).name
                                            )
                                    print(
                                        f"  run {i} {device_name:7} {viewer:9} {profile_name:8}: first {fmt(r['first'], '.2f')} s"
                                        f", interactive {fmt(r['interactive'], '.2f')} s"
                                        f" (pre-viewer {fmt(r['pre_viewer'], '.2f')} s, viewer {fmt(r['viewer'], '.2f')} s;"
                                        f" NCC {fmt(r['first_ncc'], '.2f')}, best {r['best_ncc']:.2f}"
                                        + (f", {r['stage']}" if r["stage"] else "")
                                        + f"), sharp {fmt(r['sharp'], '.2f')} s, final NCC {fmt(r['final_ncc'], '.2f')}; "
                                        f"{r['shots']} screenshots, {r['tiles']} tiles ({r['top_tiles']} at level "
                                        f"{r['level']}), document requested {r['doc'] * 1000:.0f} ms after navigation"
                                        + (
                                            f"; capped at {args.cap:.0f} s"
                                            if r["capped"] or r["first"] is None
                                            else ""
                                        )
                                        + f"; saved {', '.join(saved)}"
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
        f"\nheadless Chromium ({CHROMIUM}), devices {', '.join(devices)}, SwiftShader WebGL; gunicorn "
        f"2 workers × 8 threads on the same {os.cpu_count()} cores; {args.repeat} cold loads per cell, median "
        f"[min–max]; first = first screenshot of the viewer box whose {SMALL[0]}×{SMALL[1]} greyscale has std ≥ "
        f"{STD_FLOOR:g}, differs from the empty state by ≥ {EMPTY_DIFF:g} grey levels on average and correlates "
        f"≥ {NCC_MIN:g} (NCC) with the final sharp view (screenshots in {RESULTS.relative_to(ROOT)}/); “before” = "
        f"the last screenshot that failed, so the first frame appeared between it and “first”; stage (ours) = "
        f"placeholder or preview.jpg at first frame; preview = first passing screenshot taken after preview.jpg "
        f"arrived; pre-viewer / viewer = first passing screenshot before / after the viewer drew; sharp@L = last "
        f"tile of level L (the highest level every run of both viewers reached) before {QUIET} s without tile "
        f"requests, sharp = the same at the viewer's own top level; interactive = tour composed and hotspots on "
        f"the page; KB = encoded bytes over the "
        f"wire (headers included)\n"
    )
    for device_name in devices:
        common = {}  # profile → the highest tile level every run of both viewers reached
        for profile_name in PROFILES:
            runs = [
                r
                for viewer in ("ours", "Pannellum")
                for r in results.get((device_name, viewer, profile_name), [])
            ]
            common[profile_name] = min((max(r["levels"], default=0) for r in runs), default=None)
        pre_names = {"ours": "server-rendered first view (HTML)", "Pannellum": "its preview element"}
        for profile_name in PROFILES:
            print(f"{device_name}, {profile_name}:")
            level = common[profile_name]
            for viewer in ("ours", "Pannellum"):
                runs = results.get((device_name, viewer, profile_name), [])
                if not runs:
                    continue
                for r in runs:
                    r["sharp_common"], r["tiles_common"] = r["levels"].get(level, (None, 0))
                stages = ", ".join(f"{k} ×{v}" for k, v in sorted(_count(r["stage"] for r in runs).items()))
                print(f"  {viewer}")
                print(f"    before s     {spread(runs, 'before')}")
                print(
                    f"    first s      {spread(runs, 'first')}"
                    + (f"   stage at first: {stages}" if stages else "")
                )
                print(
                    f"    pre-viewer s {spread(runs, 'pre_viewer')}   ({pre_names[viewer]}, before the viewer drew)"
                )
                print(
                    f"    viewer s     {spread(runs, 'viewer')}   (first recognisable frame the viewer drew)"
                )
                if viewer == "ours":
                    print(
                        f"    interactive s {spread(runs, 'interactive')}   (tour composed, hotspots on the page)"
                    )
                    print(
                        f"    preview s    {spread(runs, 'preview')}   (preview.jpg loaded {spread(runs, 'preview_loaded')})"
                    )
                print(f"    first NCC    {spread(runs, 'first_ncc')}   final NCC {spread(runs, 'final_ncc')}")
                print(
                    f"    sharp@{level} s   {spread(runs, 'sharp_common')}   tiles of level {level} "
                    f"{spread(runs, 'tiles_common', 0)}"
                )
                levels = sorted({r["level"] for r in runs})
                print(
                    f"    sharp s      {spread(runs, 'sharp')}   at its own top level {'/'.join(map(str, levels))}, "
                    f"top tiles {spread(runs, 'top_tiles', 0)}"
                )
                print(
                    f"    KB@first     {spread(runs, 'kb_first', 0)}   KB@viewer {spread(runs, 'kb_viewer', 0)}"
                    f"   KB@sharp {spread(runs, 'kb_sharp', 0)}"
                )
                print(
                    f"    JS KB@first  {spread(runs, 'js_first', 0)}   JS KB all {spread(runs, 'js_all', 0)}"
                )
        if not any(key[:2] == (device_name, "Pannellum") for key in results):
            continue
        print(
            "\nratios of medians, ours / Pannellum (below 1: ours is faster or smaller); first = each viewer's"
        )
        print(
            "first recognisable frame of its own (pre-viewer images have their own rows above); sharp at level L"
        )
        print(f"{'profile':9} {'viewer':>7} {'sharp@L':>9} {'KB@viewer':>10} {'KB@sharp':>9} {'JS all':>7}")
        for profile_name in PROFILES:
            a, b = (
                results.get((device_name, "ours", profile_name)),
                results.get((device_name, "Pannellum", profile_name)),
            )
            if a and b:
                print(
                    f"{profile_name:9} {ratio(median(a, 'viewer'), median(b, 'viewer')):>7} "
                    f"{ratio(median(a, 'sharp_common'), median(b, 'sharp_common')):>7}@{common[profile_name]} "
                    f"{ratio(median(a, 'kb_viewer'), median(b, 'kb_viewer')):>10} "
                    f"{ratio(median(a, 'kb_sharp'), median(b, 'kb_sharp')):>9} "
                    f"{ratio(median(a, 'js_all'), median(b, 'js_all')):>7}"
                )
    print(f"\ntargets (slow 4G): {TARGETS}")


if __name__ == "__main__":
    main()
