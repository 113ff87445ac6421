"""The staff panorama page in real Chromium, with a worker running beside the server: a new scene's panorama
uploaded on the page (upload progress, then the job's steps, to the end; the new preview shown, in the
draft), a 360° camera's partial panorama for an existing scene (its capture time, camera, heading beside the
scene's and partial warning shown; the camera's heading taken into the draft by the button), then a file that
fails its check (the error in plain words with a Retry button, still there after a
reload), then the draft published from the draft bar and the new scene's picture in the public tour; and a
hall model: one missing a counter (its report, no button), then a clean one put into the draft, published with
it."""

from __future__ import annotations

import threading

import pytest
import yaml

from server.hallmodel.build import build_glb
from server.hallmodel.layout import layout_path, parse
from server.jobs import worker
from tests.conftest import serving
from tests.staff import Clock, staff_app
from tests.test_model_upload import renamed
from tests.test_panorama_ingest import encode, smooth
from tests.test_panorama_metadata import exif_bytes, partial_photo

from .conftest import open_tab, sign_in_page

pytestmark = pytest.mark.browser
HALL = "guigang"


@pytest.fixture(scope="module")
def upload_server(tmp_path_factory):
    """Its own app (its uploads change scenes), served, with a worker thread that tiles slowly enough for
    the page to see each step."""
    app = staff_app(tmp_path_factory.mktemp("uploads"), Clock(), JOBS_TEST_TILE_DELAY=0.05)
    stop = threading.Event()
    working = threading.Thread(
        target=worker.run_forever, args=(app,), kwargs={"poll_s": 0.1, "stop": stop.is_set}
    )
    working.start()
    with serving(app) as base:
        yield base
        stop.set()
        working.join(timeout=30)


# 2048×512 cut from a 2048×1024 sphere 256 rows from the top (pitch 45° … −45°), its camera facing 30°.
CAMERA_PHOTO = partial_photo(30, exif=exif_bytes(taken="2026:11:20 10:31:05", offset="+08:00"))

RECORD_STEPS = """() => {
  window.stepsSeen = [];
  new MutationObserver(() => {
    for (const node of document.querySelectorAll('[data-panorama="step"]')) {
      const text = node.textContent;
      if (window.stepsSeen.at(-1) !== text) window.stepsSeen.push(text);
    }
  }).observe(document.getElementById('panoramas'), { subtree: true, childList: true, characterData: true });
}"""


def test_upload_a_new_scene_then_a_bad_file(browser, built_web, upload_server):
    picture = {
        "name": "new.jpg",
        "mimeType": "image/jpeg",
        "buffer": encode(smooth(1024, 2048, seed=9), "JPEG"),
    }
    with open_tab(browser, upload_server) as tab:
        page = tab.page
        sign_in_page(tab, "editor.gg")
        tab.goto(f"/admin/halls/{HALL}")
        page.get_by_role("link", name="全景图").click()
        page.wait_for_url(f"**/admin/halls/{HALL}/panoramas")
        page.wait_for_selector("#panoramas[aria-busy='false']")
        assert page.locator("[data-scene='entrance'] [data-panorama='none']").inner_text() == "尚无全景图"

        page.evaluate(RECORD_STEPS)
        form = page.locator("li[data-scene=''] form")
        form.locator("input[name='scene']").fill("web-new")
        form.locator("select[name='floor']").select_option("2")
        form.locator("input[name='x']").fill("3.5")
        form.locator("input[name='z']").fill("-2")
        form.locator("input[name='name_zh']").fill("新拍摄点")
        form.locator("input[name='name_en']").fill("New spot")
        form.locator("[data-panorama='file']").set_input_files(picture)
        form.locator("[data-panorama='upload']").click()
        page.wait_for_selector("[data-scene='web-new'] [data-panorama='done']", timeout=60000)

        row = page.locator("[data-scene='web-new']")
        assert row.locator("h2").inner_text() == "新拍摄点 · web-new"
        assert row.locator("[data-panorama='done']").inner_text() == "已放入草稿，发布后市民可见"
        preview = row.locator("img[data-panorama='preview']")
        assert f"/panoramas/{HALL}/web-new/" in preview.get_attribute("src")
        page.wait_for_function(
            "img => img.complete && img.naturalWidth === 1024", arg=preview.element_handle()
        )
        steps = page.evaluate("window.stepsSeen")
        kinds = [s.rsplit(" ", 1)[0] for s in steps]
        assert kinds[0] == "上传中" and "切片" in kinds, steps
        version = preview.get_attribute("src").split("/")[-2]
        public = page.evaluate(f"fetch('/api/v1/halls/{HALL}').then(r => r.json())")
        assert "web-new" not in {s["id"] for s in public["scenes"]}  # in the draft only
        assert kinds.index("切片") > kinds.index("上传中")
        job = [int(s.rsplit(" ", 1)[1].rstrip("%")) for s in steps[kinds.index("排队等待处理") :]]
        assert job == sorted(job) and job[-1] > 10, steps  # the job's progress only goes forward
        assert row.locator("[data-panorama='metadata'] > *").count() == 0  # that file carried no metadata

        # A 360° camera's partial panorama for an existing scene (heading 90°): what it recorded is shown,
        # and its heading (30°) becomes the draft scene's by the button.
        camera = page.locator("[data-scene='ga-jt']")
        camera.locator("[data-panorama='file']").set_input_files(
            {"name": "theta.jpg", "mimeType": "image/jpeg", "buffer": CAMERA_PHOTO}
        )
        camera.locator("[data-panorama='upload']").click()
        camera.locator("[data-panorama='done']").wait_for(timeout=60000)
        meta = camera.locator("[data-panorama='metadata']")
        assert meta.locator("[data-panorama='captured']").inner_text() == (
            "拍摄时间：2026-11-20T10:31:05+08:00 · 相机：RICOH THETA Z1"
        )
        heading = meta.locator("[data-panorama='heading']")
        assert heading.inner_text() == "相机记录的朝向 30°（场景朝向 90°）"
        warning = meta.locator("[data-panorama='warning']")
        assert warning.get_attribute("data-code") == "partial"
        assert warning.inner_text() == (
            "局部全景图：只覆盖水平 360°（偏航 -180°…180°）、垂直 90°（俯仰 -45°…45°），其余部分显示为黑色"
        )
        meta.get_by_role("button", name="采用相机朝向").click()
        meta.locator("[data-panorama='heading-used']").wait_for()
        assert heading.inner_text() == "相机记录的朝向 30°（场景朝向 30°）"
        assert meta.locator("[data-panorama='use-heading']").count() == 0
        scene = page.evaluate(f"fetch('/api/v1/admin/halls/{HALL}/scenes/ga-jt').then(r => r.json())")
        assert scene["heading"] == 30 and scene["panorama"]["source"]["metadata"]["heading"] == 30

        broken = {**picture, "buffer": picture["buffer"][: len(picture["buffer"]) // 2]}
        entrance = page.locator("[data-scene='entrance']")
        entrance.locator("[data-panorama='file']").set_input_files(broken)
        entrance.locator("[data-panorama='upload']").click()
        error = entrance.locator("[data-panorama='error']")
        error.wait_for(timeout=60000)
        assert error.inner_text() == "处理失败：图像文件不完整（可能上传中断），请重新上传"
        assert entrance.locator("[data-panorama='retry']").inner_text() == "重试"

        page.reload()  # the failed job is read back from the API
        page.wait_for_selector("[data-scene='entrance'] [data-panorama='retry']")
        assert "图像文件不完整" in entrance.locator("[data-panorama='error']").inner_text()
        assert entrance.locator("[data-panorama='none']").is_visible()  # nothing was published
        assert page.locator("[data-scene='web-new'] [data-panorama='error']").count() == 0
        shown = page.locator("[data-scene='web-new'] img[data-panorama='preview']")  # the draft's picture
        assert f"/web-new/{version}/" in shown.get_attribute("src")

        tab.goto(f"/admin/halls/{HALL}")  # publish from the draft bar
        page.wait_for_selector("body[data-admin='ready']")
        bar = page.locator("#draft-bar")
        bar.get_by_role("button", name="查看改动").click()
        added = bar.locator("[data-diff='added'][data-key='web-new']")
        assert added.locator("h3").inner_text() == "新增 · 场景 web-new"
        assert added.locator("p").inner_text() == "新拍摄点"
        bar.get_by_role("button", name="发布", exact=True).click()
        page.wait_for_selector("#draft-bar .admin-draft-result :text('已发布第')")

        # What the public tour reads (this app has no hall model, so no tour page: its plans need one); not
        # the browser's copy of the document read above.
        public = page.evaluate(f"fetch('/api/v1/halls/{HALL}', {{cache: 'no-store'}}).then(r => r.json())")
        tiles = next(s["tiles"] for s in public["scenes"] if s["id"] == "web-new")
        assert tiles["version"] == version and f"/web-new/{version}" in tiles["basePath"]
        # …and the public tour opens the new scene with its new picture. This hall has no model, so no plans:
        # the minimap says so rather than "could not load, try again".
        tab.goto(f"/hall/{HALL}?scene=web-new")
        page.wait_for_function(
            """() => document.querySelector('#scene-name').textContent === '新拍摄点'
            && document.querySelector('#viewer').dataset.tiles === 'loaded'"""
        )
        assert page.evaluate("window.__tour.viewer.getScene().tiles.version") == version
        assert page.inner_text("[data-minimap='no-plan']") == "这一层暂无平面图"
        assert tab.errors == []


def test_upload_a_model_see_its_report_put_it_into_the_draft_and_publish_it(
    browser, built_web, upload_server
):
    model = build_glb(parse(yaml.safe_load(layout_path(HALL).read_text(encoding="utf-8"))))
    with open_tab(browser, upload_server) as tab:
        page = tab.page
        sign_in_page(tab, "editor.gg")
        tab.goto(f"/admin/halls/{HALL}/panoramas")
        page.wait_for_selector("#panoramas[aria-busy='false']")
        section = page.locator("[data-model='section']")
        assert section.locator("h2").inner_text() == "大厅模型"
        assert section.locator("[data-model='current']").inner_text() == "尚无模型"

        def send(data: bytes) -> None:
            section.locator("[data-model='file']").set_input_files(
                {"name": "hall.glb", "mimeType": "model/gltf-binary", "buffer": data}
            )
            section.locator("[data-model='upload']").click()

        send(renamed(model, "counter:A02", "Desk_A02"))
        section.locator("[data-model='refused']").wait_for(timeout=60000)
        problems = section.locator("[data-model='problems'] li").all_inner_texts()
        assert "[missing] counter:A02: 模型中缺少该节点" in problems
        assert section.locator("[data-model='publish']").count() == 0

        send(model)
        section.locator("[data-model='clean']").wait_for(timeout=60000)
        assert section.locator("[data-model='clean']").inner_text().startswith("检查通过")
        section.get_by_role("button", name="放入草稿").click()
        drafted = section.locator("[data-model='drafted']")
        drafted.wait_for()
        assert drafted.inner_text().startswith("已放入草稿，发布后生效。")
        short = drafted.inner_text().rsplit("(", 1)[1].rstrip(")")
        assert len(short) == 12
        assert section.locator("[data-model='current']").inner_text() == "尚无模型"  # not published yet
        published = page.evaluate(
            """async (hall) => {
              const session = await (await fetch('/api/v1/admin/session')).json();
              const before = (await (await fetch(`/api/v1/halls/${hall}`)).json()).model_url;
              const answer = await fetch(`/api/v1/admin/halls/${hall}/publish`, {
                method: 'POST', headers: { 'X-CSRF-Token': session.csrf_token } });
              const after = (await (await fetch(`/api/v1/halls/${hall}`, { cache: 'no-cache' })).json()).model_url;
              return { before, status: answer.status, after };
            }""",
            HALL,
        )
        assert published["before"] is None and published["status"] == 201, published
        page.reload()
        page.wait_for_selector("#panoramas[aria-busy='false']")
        current = section.locator("[data-model='current']").inner_text()
        assert current == f"当前模型：{short}"
        assert f"?v={short}" in published["after"]  # the next request sees it
        assert tab.errors == []
