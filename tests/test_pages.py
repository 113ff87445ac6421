"""The citizen pages: hall choice, tour page (first view, embedded hall data, text directory), bundle."""

from __future__ import annotations

import gzip
import json
import re

from server.web.pages import json_script


def test_home_lists_every_hall_chinese_first(api):
    response = api.get("/")
    assert response.status_code == 200
    html = response.text
    assert '<html lang="zh-CN">' in html and '<link rel="icon" href="data:,">' in html
    assert html.index("贵港市政务服务中心") < html.index("Guigang Municipal Government Service Centre")
    assert 'href="/hall/guigang"' in html and 'href="/hall/pingnan"' in html


def test_tour_page_embeds_the_hall_document(api):
    html = api.get("/hall/pingnan").text
    match = re.search(r'<script type="application/json" id="hall-data">(.*?)</script>', html, re.S)
    assert match
    assert json.loads(match.group(1)) == api.get("/api/v1/halls/pingnan").json()


def test_tour_page_has_a_text_directory_linking_counters(api):
    html = api.get("/hall/pingnan").text
    assert 'id="directory"' in html and 'id="toggle-directory"' in html
    assert 'href="?counter=B03"' in html
    # Every name carries both languages; the tour shows the page's one (Chinese first, in the HTML too).
    assert (
        '<h3><span data-i18n-zh="一楼" data-i18n-en="Ground floor">一楼</span></h3>' in html
        and "<h4>" in html
    )


def test_text_directory_lists_facilities_under_their_floor(api):
    html = api.get("/hall/guigang").text
    directory = html[html.index('id="directory"') : html.index('id="hall-data"')]
    ground, first = directory.split('<h3><span data-i18n-zh="二楼"')
    # Each floor's facilities under its own heading, linked so the tour opens the facility's panel.
    assert 'href="?facility=toilet-1"' in ground and 'href="?facility=toilet-2"' not in ground
    assert 'href="?facility=toilet-2"' in first and 'data-facility="baby-room"' in ground
    assert "母婴室" in ground and "二楼卫生间" in first
    assert directory.count('<h4><span data-i18n-zh="设施" data-i18n-en="Facilities">') == 2


def test_json_script_cannot_close_the_script_element():
    text = json_script({"name": "</script><!-- & \u2028"})
    assert "</" not in text and "<!--" not in text and "\u2028" not in text
    assert json.loads(text) == {"name": "</script><!-- & \u2028"}


def test_unknown_hall_is_a_404_page(api):
    response = api.get("/hall/nowhere")
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/html")
    assert "找不到大厅：nowhere" in response.text and "Hall not found: nowhere" in response.text


def test_bundle_is_served_versioned_immutable_and_gzipped(api, app, built_web):
    from server.web.pages import web_dist

    with app.app_context():
        dist = web_dist()
    assert (dist / "tour.js").is_file()
    html = api.get("/hall/pingnan").text
    url = re.search(r'src="(/static/web/tour\.js\?v=[0-9a-f]{12})"', html).group(1)
    response = api.get(url, headers={"Accept-Encoding": "gzip"}, stream=True)
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "immutable" in response.headers["Cache-Control"]
    assert response.headers["Content-Type"].startswith("text/javascript")
    assert gzip.decompress(response.raw.read()) == (dist / "tour.js").read_bytes()
    plain = api.get("/static/web/tour.js", headers={"Accept-Encoding": "identity"})
    assert plain.headers["Cache-Control"] == "no-cache" and "Content-Encoding" not in plain.headers


def test_bundle_paths_cannot_escape_dist(api):
    assert api.get("/static/web/../pyproject.toml").status_code == 404
    assert api.get("/static/web/%2e%2e/pyproject.toml").status_code == 404
    assert api.get("/static/web/tour.js.gz").status_code == 404


def test_the_kiosk_service_worker_may_control_kiosk_pages_only(api, built_web):
    worker = api.get("/static/web/kiosk-sw.js")
    assert worker.status_code == 200 and worker.headers["Content-Type"].startswith("text/javascript")
    assert worker.headers["Service-Worker-Allowed"] == "/kiosk/"
    assert worker.headers["Cache-Control"] == "no-cache"  # a new build's worker is seen at once
    assert '"/static/web/kiosk.js"' in worker.text and "__WB_MANIFEST" not in worker.text  # manifest injected
    assert "kiosk-sw.js" in api.get("/static/web/kiosk.js").text
    assert "serviceWorker" not in api.get("/static/web/tour.js").text  # the public tour registers none
    assert "Service-Worker-Allowed" not in api.get("/static/web/tour.js").headers
