"""Security headers on every response, and file names that can never reach the file system
(server/security.py, server/web/pages.py, server/web/panorama_files.py)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from server import create_app
from server.security import embed_origins

from .conftest import make_app


def policy(response) -> dict[str, str]:
    """The Content-Security-Policy of *response* as directive → sources."""
    header = response.headers["Content-Security-Policy"]
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] for d in (p.strip() for p in header.split(";")) if d}


def assert_secured(response, *, framed: bool) -> None:
    """The headers every answer carries; *framed*: whether our own pages may frame it."""
    csp = policy(response)
    assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'", response.url
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert csp["object-src"] == "'none'" and csp["base-uri"] == "'none'" and csp["form-action"] == "'self'"
    assert csp["frame-ancestors"] == ("'self'" if framed else "'none'")
    assert response.headers["X-Frame-Options"] == ("SAMEORIGIN" if framed else "DENY")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    permissions = dict(item.split("=") for item in response.headers["Permissions-Policy"].split(", "))
    assert {k for k, v in permissions.items() if v != "()"} == {
        "xr-spatial-tracking",
        "gyroscope",
        "accelerometer",
    }
    assert all(permissions[k] == "()" for k in ("camera", "microphone", "geolocation", "payment", "usb"))
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP here


@pytest.fixture(scope="module")
def tile(app) -> str:
    """A published-looking tile file in the session app's panorama folder; its URL."""
    folder = Path(app.instance_path) / "panoramas" / "pingnan" / "probe" / "v1"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "preview.jpg").write_bytes(b"\xff\xd8\xff\xd9")
    return "/panoramas/pingnan/probe/v1/preview.jpg"


def test_every_kind_of_answer_carries_the_security_headers(api, tile):
    tour = api.get("/hall/pingnan")
    service = next(s for c in api.get("/api/v1/halls/pingnan").json()["counters"] for s in c["services"])
    answers = {
        "home": (api.get("/"), True),
        "tour": (tour, True),
        "tour 304": (api.get("/hall/pingnan", headers={"If-None-Match": tour.headers["ETag"]}), True),
        "page 404": (api.get("/hall/nowhere"), True),
        "api": (api.get("/api/v1/halls/pingnan"), False),
        "api 400": (api.get("/api/v1/search"), False),
        "api 404": (api.get("/api/v1/halls/nowhere"), False),
        "api 405": (api.request("POST", "/api/v1/halls"), False),
        "plan": (api.get("/api/v1/halls/pingnan/floors/1/plan.svg"), False),
        "qr": (api.get(f"/api/v1/services/{service}/qr.svg"), False),
        "model": (api.get("/api/v1/halls/pingnan/model.glb"), False),
        "tile": (api.get(tile), True),
        "tile 404": (api.get("/panoramas/pingnan/probe/v1/nothing.jpg"), True),
        "static 404": (api.get("/static/web/nothing.js"), True),
        "other 404": (api.get("/no/such/page"), True),
    }
    statuses = {name: r.status_code for name, (r, _) in answers.items()}
    assert statuses == {
        **dict.fromkeys(["home", "tour", "api", "plan", "qr", "model", "tile"], 200),
        "tour 304": 304,
        "api 400": 400,
        "api 405": 405,
        **dict.fromkeys(["page 404", "api 404", "tile 404", "static 404", "other 404"], 404),
    }
    for response, framed in answers.values():
        assert_secured(response, framed=framed)


def test_embedding_sites_come_from_a_setting_and_admin_is_never_framed(tmp_path):
    app = make_app(
        tmp_path, demo=False, EMBED_ALLOWED_ORIGINS="https://www.gxzf.gov.cn, https://gg.gov.cn:8443"
    )
    client = app.test_client()
    page = client.get("/")
    assert policy(page)["frame-ancestors"] == "'self' https://www.gxzf.gov.cn https://gg.gov.cn:8443"
    assert "X-Frame-Options" not in page.headers  # it could not name the allowed sites
    for path in ("/admin", "/admin/login", "/api/v1/halls"):
        response = client.get(path)
        assert policy(response)["frame-ancestors"] == "'none'", path
        assert response.headers["X-Frame-Options"] == "DENY", path
    assert policy(client.get("/administrators"))["frame-ancestors"] != "'none'"  # only /admin and below


@pytest.mark.parametrize(
    "value", ["http://gxzf.gov.cn", "https://gxzf.gov.cn/path", "*", "https://a b", "javascript:x", "'self'"]
)
def test_a_bad_embedding_setting_stops_the_start(tmp_path, value):
    with pytest.raises(ValueError, match="EMBED_ALLOWED_ORIGINS"):
        create_app({"EMBED_ALLOWED_ORIGINS": [value]}, instance_path=tmp_path)
    assert embed_origins(None) == embed_origins("") == ()


def test_hsts_only_over_https_and_behind_a_trusted_proxy(tmp_path):
    direct = make_app(tmp_path / "direct", demo=False).test_client()
    assert "Strict-Transport-Security" not in direct.get("/").headers
    assert direct.get("/", base_url="https://hall.example").headers["Strict-Transport-Security"] == (
        "max-age=63072000"
    )
    # A forwarded proto counts only when PROXY_FIX says a proxy is there.
    forwarded = {"X-Forwarded-Proto": "https"}
    assert "Strict-Transport-Security" not in direct.get("/", headers=forwarded).headers
    proxied = make_app(tmp_path / "proxied", demo=False, PROXY_FIX=1).test_client()
    assert "Strict-Transport-Security" in proxied.get("/", headers=forwarded).headers


HOSTILE_NAMES = [
    "a%00b",
    "%00",
    "tour.js%00.png",
    "a" * 300,
    "%C3%A9" * 200,
    "../../etc/passwd",
    "..%2f..%2fetc%2fpasswd",
    "%2e%2e/%2e%2e/etc/passwd",
    "chunks%2f..%2f..%2fpyproject.toml",
    "a/" * 3000 + "b",
    ".hidden",
    "tour.js.br",
    "%5c..%5cpyproject.toml",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_any_file_name_is_a_404_never_a_500_nor_a_traceback(app, tmp_path, monkeypatch, caplog, name):
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "tour.js").write_text("export {};")
    (dist / "tour.js.br").write_bytes(b"x")
    monkeypatch.setitem(app.config, "WEB_DIST", str(dist))
    client = app.test_client()
    with client.get("/static/web/tour.js") as served:
        assert served.status_code == 200  # the folder is served
    caplog.set_level(logging.WARNING)
    for path in (
        f"/static/web/{name}",
        f"/static/{name}",
        f"/panoramas/pingnan/entrance/v1/{name}",
        f"/panoramas/{name}/entrance/v1/preview.jpg",
        f"/api/v1/halls/{name}/model.glb",
        f"/api/v1/halls/pingnan/floors/{name}/plan.svg",
    ):
        response = client.get(path)
        assert response.status_code in (400, 404), path
        body = response.get_json() if path.startswith("/api/") else None
        assert body is None or body["error"]["status"] == response.status_code
        assert "Traceback" not in response.get_data(as_text=True)
        assert_secured(response, framed=not path.startswith("/api/"))
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_a_bad_static_name_answers_in_the_one_error_shape(app):
    response = app.test_client().get("/static/web/a%00b", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert response.get_json()["error"]["message"].startswith("找不到文件")
