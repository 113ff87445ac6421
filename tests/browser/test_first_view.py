"""The tour page's first view arrives with the HTML (no JavaScript needed): placeholder, then preview, as images."""

from __future__ import annotations


def test_first_view_is_in_the_html(api, panoramas):
    scene = next(s for s in api.get("/api/v1/halls/pingnan").json()["scenes"] if s["id"] == "entrance")
    html = api.get("/hall/pingnan").text
    viewer = html[html.index('id="viewer"') : html.index('id="hotspots"')]
    # Images, not a style attribute: the Content-Security-Policy allows no inline style, and no CSS is made of data.
    assert "style=" not in viewer
    placeholder = viewer.index(f'<img class="viewer-backdrop" src="{scene["tiles"]["placeholder"]}" alt=""')
    preview = viewer.index(
        f'<img class="viewer-backdrop" src="{scene["tiles"]["basePath"]}/preview.jpg" alt=""'
    )
    assert placeholder < preview  # the preview is drawn over the placeholder
