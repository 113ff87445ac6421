"""The tour page's first view arrives with the HTML (no JavaScript needed): placeholder, then preview."""

from __future__ import annotations


def test_first_view_is_in_the_html(api, panoramas):
    scene = next(s for s in api.get("/api/v1/halls/pingnan").json()["scenes"] if s["id"] == "entrance")
    html = api.get("/hall/pingnan").text
    style = html[html.index('id="viewer"') :].split(">", 1)[0]
    assert f"url('{scene['tiles']['basePath']}/preview.jpg'), url('{scene['tiles']['placeholder']}')" in style
