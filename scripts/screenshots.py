"""Remake the staff-workflow screenshots of the README (``docs/images/staff-*.png|jpg``, each under 150 KB).

Builds a throwaway instance with the demo halls (no panoramas or models needed), creates one editor of the
pingnan hall, serves the app on a free local port, and drives Debian's Chromium (Playwright) through the
staff pages: sign in, the counters list, an edit refused with its problem at the field, the draft's changes
with publish, the versions after publishing, a kiosk registered on the hall's floor plan (the pingnan
model is built for its plan, a few seconds), a counter sheet previewed, and the panorama uploads. Needs the built front end (``node scripts/build_web.mjs``).

    python scripts/screenshots.py [--out docs/images]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from server import create_app  # noqa: E402
from server.db import upgrade  # noqa: E402
from server.demo.loader import load  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
HALL = "pingnan"
USER, PASSWORD = "wang.li", "Screenshot-counter-2026"
LIMIT = 150 * 1024
VIEWPORT = {"width": 1180, "height": 760}  # a laptop, and a landscape tablet's width


def demo_app(folder: Path):
    app = create_app({"DATABASE_URL": f"sqlite:///{folder / 'hall.sqlite3'}"}, instance_path=folder)
    upgrade(app.extensions["db_engine"])
    session = app.extensions["db"]()
    try:
        load(session)
    finally:
        session.close()
    args = ["user", "create", USER, "--role", "editor", "--hall", HALL, "--password-stdin"]
    result = app.test_cli_runner().invoke(args=args, input=PASSWORD + "\n")
    if result.exit_code != 0:
        raise SystemExit(result.output)
    for step in (["model", "build", HALL], ["panorama", "render-demo", HALL, "--width", "2048"]):
        result = app.test_cli_runner().invoke(args=step)  # the plans and the panoramas the pages show
        if result.exit_code != 0:
            raise SystemExit(result.output)
    return app


def shoot(page, out: Path, name: str, *, photo: bool = False) -> None:
    """Save the page as ``staff-<name>.png``, or as a JPEG when it shows a panorama (*photo*: a PNG of one is
    over the limit)."""
    path = out / f"staff-{name}.{'jpg' if photo else 'png'}"
    page.screenshot(path=str(path), **({"type": "jpeg", "quality": 80} if photo else {}))
    size = path.stat().st_size
    print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {size / 1024:.0f} KB")
    if size > LIMIT:
        raise SystemExit(f"{path} is over 150 KB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    out = parser.parse_args().out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        server = make_server("127.0.0.1", 0, demo_app(Path(folder)), threaded=True)
        base = f"http://127.0.0.1:{server.server_port}"
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
                page = browser.new_page(viewport=VIEWPORT, locale="zh-CN")
                page.on("dialog", lambda dialog: dialog.accept())
                page.goto(f"{base}/admin/login")
                page.fill("#username", USER)
                page.fill("#password", PASSWORD)
                shoot(page, out, "1-sign-in")
                with page.expect_navigation():
                    page.press("#password", "Enter")

                page.goto(f"{base}/admin/halls/{HALL}/counters")
                page.wait_for_selector("body[data-admin='ready']")
                shoot(page, out, "2-counters")

                page.click("[data-open='C01']")
                form = page.locator(".admin-counter-form")
                form.get_by_label("状态", exact=True).select_option("paused")
                form.get_by_label("告知市民（中文）").fill("系统升级，暂停至 14:00")
                form.get_by_role("button", name="保存到草稿").click()
                form.locator("[data-field='notice.en'] .admin-field-problem").wait_for()
                form.get_by_label("告知市民（中文）").scroll_into_view_if_needed()
                page.mouse.wheel(0, -200)
                shoot(page, out, "3-edit-problem")

                form.get_by_label("告知市民（英文）").fill("System upgrade: paused until 14:00")
                form.get_by_role("button", name="保存到草稿").click()
                page.wait_for_selector("text=已保存到草稿（尚未发布）。")
                page.evaluate("window.scrollTo(0, 0)")
                page.get_by_role("button", name="查看改动").click()
                page.fill("#draft-summary", "C01 系统升级暂停")
                shoot(page, out, "4-draft-publish")

                page.get_by_role("button", name="发布").click()
                page.wait_for_selector(".admin-draft-result [role=status]")
                page.goto(f"{base}/admin/halls/{HALL}/versions")
                page.wait_for_selector("body[data-admin='ready']")
                page.locator("[data-view]").nth(1).click()
                page.evaluate("window.scrollTo(0, 0)")
                shoot(page, out, "5-versions")

                # A kiosk placed on the floor plan: a click where it stands, a second the way it faces.
                page.goto(f"{base}/admin/kiosks")
                page.wait_for_selector("body[data-kiosks='ready']")
                page.click("[data-action='add']")
                page.wait_for_selector(".admin-plan svg")
                page.fill(".admin-kiosk-form [name='id']", "pn-hall-2")
                for x, z in ((1.5, 6.0), (1.5, 9.0)):
                    point = page.evaluate(
                        """([x, z]) => {
                          const svg = document.querySelector('.admin-plan svg');
                          svg.scrollIntoView({ block: 'center' });
                          const p = svg.createSVGPoint(); p.x = x; p.y = z;
                          const s = p.matrixTransform(svg.getScreenCTM());
                          return [s.x, s.y];
                        }""",
                        [x, z],
                    )
                    page.mouse.click(*point)
                page.evaluate("document.querySelector('.admin-kiosk-form').scrollIntoView()")
                shoot(page, out, "6-kiosk")

                # The spreadsheet page: the counter sheet as exported, one name changed, previewed.
                page.goto(f"{base}/admin/halls/{HALL}/import")
                sheet = (
                    page.request.get(f"{base}/api/v1/admin/halls/{HALL}/counters.csv")
                    .body()
                    .decode("utf-8-sig")
                )
                lines = sheet.splitlines()
                first = lines[1].split(",")
                first[1] = "综合受理（一号）"
                lines[1] = ",".join(first)
                counters = page.locator("[data-sheet-section='counters']")
                counters.locator("[data-sheet='file']").set_input_files(
                    {
                        "name": "counters.csv",
                        "mimeType": "text/csv",
                        "buffer": "\n".join(lines).encode("utf-8"),
                    }
                )
                counters.locator("[data-sheet='preview']").click()
                counters.locator("[data-sheet='report'][data-answered='1']").wait_for(state="attached")
                shoot(page, out, "7-import")

                # The panorama page: each scene with its upload, and a new scene's form.
                page.goto(f"{base}/admin/halls/{HALL}/panoramas")
                page.wait_for_selector("#panoramas[aria-busy='false']")
                shoot(page, out, "8-panoramas")

                # The scene editor: the panorama with its hotspots and the list, then the plan, heading and links.
                page.goto(f"{base}/admin/halls/{HALL}/scenes/hall-centre")
                page.wait_for_selector("#scene-editor[aria-busy='false']")
                page.wait_for_selector("#scene-viewer canvas")
                page.wait_for_timeout(1500)  # the visible tiles drawn
                shoot(page, out, "9-scene-editor", photo=True)
                page.locator("#scene-place").scroll_into_view_if_needed()
                shoot(page, out, "10-scene-place", photo=True)
                browser.close()
        finally:
            server.shutdown()


if __name__ == "__main__":
    main()
