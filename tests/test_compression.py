"""Compressed answers (server/web/compression.py): every text type in brotli and gzip by Accept-Encoding with
q-values, identity when neither is accepted, an ETag per variant, 304s, cached bodies compressed once, and the
first view's size."""

from __future__ import annotations

import gzip

import brotli
import pytest
from werkzeug.datastructures import Accept
from werkzeug.http import parse_accept_header

from server.web import compression
from server.web.compression import choose

DECODE = {"br": brotli.decompress, "gzip": gzip.decompress}
FIRST_VIEW_BUDGET = 60 * 1000  # issue 10 §6: the tour page's HTML, compressed


class Client:
    """The app's test client, reading each answer whole and closing it (built files are open file objects)."""

    def __init__(self, app) -> None:
        self.test_client = app.test_client()

    def get(self, url: str, headers: dict | None = None):
        response = self.test_client.get(url, headers=headers or {})
        response.get_data()
        response.close()
        return response


@pytest.fixture(scope="module")
def client(app, built_web):
    return Client(app)


def text_urls(client) -> dict[str, str]:
    """One URL per content type the server answers with (and per way it is compressed)."""
    html = client.get("/hall/pingnan").text
    script = html.split('<script type="module" src="', 1)[1].split('"', 1)[0]
    style = html.split('<link rel="stylesheet" href="', 1)[1].split('"', 1)[0]
    return {
        "tour page (cached HTML)": "/hall/pingnan",
        "hall chooser (HTML per request)": "/",
        "hall document (cached JSON)": "/api/v1/halls/pingnan",
        "counter (JSON per request)": "/api/v1/halls/pingnan/counters/A01",
        "search (cached JSON)": "/api/v1/search?q=%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7",
        "floor plan (cached SVG)": "/api/v1/halls/pingnan/floors/1/plan.svg",
        "QR code (cached SVG)": "/api/v1/services/scjg-qykb/qr.svg?for=mobile",
        "script (built)": script,
        "style sheet (built)": style,
    }


@pytest.mark.parametrize("coding", ["br", "gzip"])
def test_every_text_type_is_compressed(client, coding):
    for name, url in text_urls(client).items():
        plain = client.get(url, headers={"Accept-Encoding": "identity"})
        packed = client.get(url, headers={"Accept-Encoding": coding})
        assert plain.status_code == packed.status_code == 200, name
        assert "Content-Encoding" not in plain.headers, name
        assert packed.headers["Content-Encoding"] == coding, name
        assert "Accept-Encoding" in packed.headers["Vary"] and "Accept-Encoding" in plain.headers["Vary"], (
            name
        )
        assert packed.mimetype == plain.mimetype, name
        assert DECODE[coding](packed.get_data()) == plain.get_data(), name
        assert len(packed.get_data()) < len(plain.get_data()), name
        if plain.headers.get("ETag"):  # each variant its own strong ETag
            assert packed.headers["ETag"] != plain.headers["ETag"], name


def test_identity_when_no_coding_is_accepted(client):
    url = "/api/v1/halls/pingnan"
    for header in (None, "identity", "br;q=0, gzip;q=0", "deflate", "gzip;q=0.5, identity;q=1, br;q=0"):
        response = client.get(url, headers={"Accept-Encoding": header} if header else {})
        assert "Content-Encoding" not in response.headers, header
        assert response.get_data()[:1] == b"{", header


def test_q_values_choose_the_coding():
    def pick(header: str) -> str:
        return choose(parse_accept_header(header, Accept))

    assert pick("gzip, deflate, br, zstd") == "br"  # a browser's header: a tie goes to brotli
    assert pick("gzip;q=1, br;q=0.5") == "gzip"
    assert pick("br;q=0.2, gzip;q=0.1") == "br"
    assert pick("*") == "br"
    assert pick("*;q=0.5, br;q=0") == "gzip"
    assert pick("gzip;q=0.4") == "gzip"  # identity, not named, ranks below a named coding
    assert pick("identity;q=1, gzip;q=0.4") == "identity"
    assert pick("br;q=0, gzip;q=0") == pick("") == pick("compress") == "identity"


@pytest.mark.parametrize(
    "url", ["/hall/pingnan", "/api/v1/halls/pingnan", "/api/v1/halls/pingnan/floors/1/plan.svg"]
)
def test_304_for_the_variant_the_client_holds(client, url):
    for coding in ("br", "gzip", "identity"):
        first = client.get(url, headers={"Accept-Encoding": coding})
        etag = first.headers["ETag"]
        again = client.get(url, headers={"Accept-Encoding": coding, "If-None-Match": etag})
        assert again.status_code == 304, (url, coding)
        assert again.get_data() == b""
    br = client.get(url, headers={"Accept-Encoding": "br"}).headers["ETag"]
    # A gzip client holding the brotli variant's ETag gets the gzip bytes, not a 304.
    assert client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": br}).status_code == 200


def test_built_files_are_served_precompressed(app, client):
    from server.web.pages import web_dist

    with app.app_context():
        dist = web_dist()
    script = text_urls(client)["script (built)"]
    name = script.removeprefix("/static/web/").split("?")[0]
    for coding, suffix in (("br", ".br"), ("gzip", ".gz")):  # the files written at build time, as they are
        response = client.get(script, headers={"Accept-Encoding": coding})
        assert response.get_data() == (dist / (name + suffix)).read_bytes()
    etags = {
        client.get(script, headers={"Accept-Encoding": c}).headers["ETag"] for c in ("br", "gzip", "identity")
    }
    assert len(etags) == 3
    # The variants are not URLs of their own.
    assert client.get(script.split("?")[0] + ".br").status_code == 404


def test_cached_documents_are_compressed_once(client, monkeypatch):
    calls = []
    real = compression.compress
    monkeypatch.setattr(
        compression, "compress", lambda data, coding: calls.append(coding) or real(data, coding)
    )
    for url in ("/hall/guigang", "/api/v1/halls/guigang", "/api/v1/halls/guigang/floors/1/plan.svg"):
        for coding in ("br", "gzip"):
            client.get(url, headers={"Accept-Encoding": coding})
            before = len(calls)
            for _ in range(3):
                assert (
                    client.get(url, headers={"Accept-Encoding": coding}).headers["Content-Encoding"] == coding
                )
            assert len(calls) == before, (url, coding)
    # A page made per request is compressed per request (the check above would see it).
    before = len(calls)
    client.get("/", headers={"Accept-Encoding": "br"})
    assert len(calls) == before + 1


@pytest.mark.parametrize("hall", ["pingnan", "guigang"])
def test_first_view_html_fits_the_budget(client, hall):
    for coding in ("br", "gzip"):
        response = client.get(f"/hall/{hall}", headers={"Accept-Encoding": coding})
        assert response.headers["Content-Encoding"] == coding
        size = len(response.get_data())
        assert size <= FIRST_VIEW_BUDGET, (hall, coding, size)
        # The text directory stays in the HTML (reachable without JavaScript).
        assert 'id="directory"' in DECODE[coding](response.get_data()).decode()
