"""The admin API and staff pages: sign-in and sign-out, session rotation, idle and absolute timeouts,
lock-out per user name and per address, no user enumeration, CSRF, CORS, caching and the OpenAPI part."""

from __future__ import annotations

import re

import pytest

from server.models import StaffSession
from tests.conftest import make_app
from tests.staff import PASSWORD, Clock, sign_in, staff_app


@pytest.fixture(scope="module")
def clock():
    return Clock()


@pytest.fixture(scope="module")
def app(tmp_path_factory, clock):
    return staff_app(
        tmp_path_factory.mktemp("staff"),
        clock,
        LOGIN_MAX_FAILURES=3,
        LOGIN_MAX_FAILURES_ADDRESS=6,
        LOGIN_LOCK_MINUTES=10,
    )


@pytest.fixture
def client(app):
    return app.test_client()


def test_sign_in_answers_the_session_and_sets_a_strict_cookie(client):
    response = sign_in(client, "editor.gg")
    assert response.status_code == 201
    assert response.headers["Location"] == "/api/v1/admin/session"
    body = response.get_json()
    assert body["user"] == {"name": "editor.gg", "role": "editor", "halls": ["guigang"], "all_halls": False}
    assert len(body["csrf_token"]) >= 40
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("vhall_admin=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP here
    assert response.headers["Cache-Control"] == "no-store"
    again = client.get("/api/v1/admin/session")
    assert again.status_code == 200 and again.get_json()["csrf_token"] == body["csrf_token"]


def test_over_https_the_cookie_is_secure_and_host_prefixed(app):
    client = app.test_client()
    response = client.post(
        "/api/v1/admin/session",
        json={"username": "looker", "password": PASSWORD},
        base_url="https://localhost",
    )
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-vhall_admin=") and "Secure" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie
    assert client.get("/api/v1/admin/session", base_url="https://localhost").status_code == 200


def test_the_session_and_the_cookie_are_the_only_way_in(client):
    assert client.get("/api/v1/admin/session").status_code == 401
    client.set_cookie("vhall_admin", "made-up-token")
    response = client.get("/api/v1/admin/session")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "not_signed_in"
    assert response.headers["Cache-Control"] == "no-store"


def test_sign_in_rotates_the_session(app):
    client = app.test_client()
    client.set_cookie("vhall_admin", "planted-by-someone-else")
    sign_in(client, "boss")
    first = client.get_cookie("vhall_admin").value
    assert first != "planted-by-someone-else"
    sign_in(client, "boss")
    second = client.get_cookie("vhall_admin").value
    assert second != first
    old = app.test_client()
    old.set_cookie("vhall_admin", first)
    assert old.get("/api/v1/admin/session").status_code == 401  # the earlier session ended
    assert client.get("/api/v1/admin/session").status_code == 200


def test_sign_out_ends_the_session_with_the_csrf_token(app):
    client = app.test_client()
    token = sign_in(client, "looker").get_json()["csrf_token"]
    cookie = client.get_cookie("vhall_admin").value
    refused = client.delete("/api/v1/admin/session")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "csrf"
    wrong = client.delete("/api/v1/admin/session", headers={"X-CSRF-Token": token[:-1] + "x"})
    assert wrong.status_code == 403
    assert client.get("/api/v1/admin/session").status_code == 200  # the refused requests changed nothing
    assert client.delete("/api/v1/admin/session", headers={"X-CSRF-Token": token}).status_code == 204
    assert client.get("/api/v1/admin/session").status_code == 401
    replay = app.test_client()
    replay.set_cookie("vhall_admin", cookie)
    assert replay.get("/api/v1/admin/session").status_code == 401  # ended on the server, not only forgotten


def test_another_sessions_csrf_token_does_not_do(app):
    mine, theirs = app.test_client(), app.test_client()
    sign_in(mine, "looker")
    their_token = sign_in(theirs, "looker").get_json()["csrf_token"]
    assert mine.delete("/api/v1/admin/session", headers={"X-CSRF-Token": their_token}).status_code == 403


def test_idle_timeout(app, clock):
    client = app.test_client()
    sign_in(client, "looker")
    clock.advance(minutes=29)
    assert client.get("/api/v1/admin/session").status_code == 200  # and that use restarts the idle time
    clock.advance(minutes=29)
    assert client.get("/api/v1/admin/session").status_code == 200
    clock.advance(minutes=31)
    assert client.get("/api/v1/admin/session").status_code == 401
    clock.advance(minutes=-29)  # the ended session stays ended
    assert client.get("/api/v1/admin/session").status_code == 401


def test_absolute_timeout(app, clock):
    client = app.test_client()
    sign_in(client, "looker")
    for _ in range(11 * 3 + 2):  # used every 20 minutes: never idle, 11 h 40 min
        clock.advance(minutes=20)
        assert client.get("/api/v1/admin/session").status_code == 200
    clock.advance(minutes=21)  # 12 h 01 min after sign-in
    assert client.get("/api/v1/admin/session").status_code == 401


def _failures(client, name, address, count, password="wrong-password-1"):
    return [sign_in(client, name, password, address) for _ in range(count)]


def test_lock_out_per_user_name(app, clock):
    client = app.test_client()
    first, second = _failures(client, "editor.pn", "10.0.1.1", 2)
    assert first.status_code == second.status_code == 401
    assert first.get_json()["error"]["message"] == "用户名或密码不正确"
    third = sign_in(client, "editor.pn", "wrong-password-1", "10.0.1.2")  # another address: same name
    assert third.status_code == 429
    assert third.headers["Retry-After"] == "600"
    error = third.get_json()["error"]
    assert (
        error["code"] == "locked"
        and "10 分钟后再试" in error["message"]
        and "10 minutes" in error["message_en"]
    )
    # Locked: even the right password, from anywhere, waits.
    assert sign_in(client, "editor.pn", PASSWORD, "10.0.1.3").status_code == 429
    clock.advance(minutes=6)
    assert sign_in(client, "editor.pn", PASSWORD, "10.0.1.3").headers["Retry-After"] == "240"
    clock.advance(minutes=5)
    assert sign_in(client, "editor.pn", PASSWORD, "10.0.1.3").status_code == 201


def test_lock_out_per_address(app, clock):
    client = app.test_client()
    for index, response in enumerate(_failures(client, "nobody-1", "10.0.2.1", 1)):
        assert response.status_code == 401, index
    # Different names, one address: the address locks at its own limit (6) though no name reached 3.
    names = ["nobody-2", "nobody-3", "nobody-4", "nobody-5", "nobody-6"]
    answers = [sign_in(client, name, "wrong-password-1", "10.0.2.1").status_code for name in names]
    assert answers == [401, 401, 401, 401, 429]
    assert sign_in(client, "boss", PASSWORD, "10.0.2.1").status_code == 429  # this address, any name
    assert sign_in(client, "boss", PASSWORD, "10.0.2.2").status_code == 201  # the name is fine elsewhere
    clock.advance(minutes=11)
    assert sign_in(client, "boss", PASSWORD, "10.0.2.1").status_code == 201


def _answer(response):
    headers = {k: v for k, v in response.headers.items() if k not in ("Date",)}
    return response.status_code, response.get_data(as_text=True), headers


def test_unknown_names_and_wrong_passwords_answer_alike(app, clock):
    client = app.test_client()
    unknown = sign_in(client, "no-such-user", "wrong-password-1", "10.0.3.1")
    wrong = sign_in(client, "looker", "wrong-password-1", "10.0.3.2")
    assert _answer(unknown) == _answer(wrong)
    assert unknown.status_code == 401
    # …and the lock-out comes after as many failures for a name that does not exist.
    _failures(client, "no-such-user", "10.0.3.1", 1)
    _failures(client, "looker", "10.0.3.2", 1)
    locked_unknown = sign_in(client, "no-such-user", "wrong-password-1", "10.0.3.1")
    locked_known = sign_in(client, "looker", "wrong-password-1", "10.0.3.2")
    assert _answer(locked_unknown) == _answer(locked_known)
    assert locked_unknown.status_code == 429
    clock.advance(minutes=11)  # the lock ends, for the tests after


def test_a_disabled_account_cannot_sign_in_and_its_sessions_end(app):
    runner = app.test_cli_runner()
    client = app.test_client()
    sign_in(client, "editor.gg", address="10.0.4.1")
    assert runner.invoke(args=["user", "disable", "editor.gg"]).exit_code == 0
    assert client.get("/api/v1/admin/session").status_code == 401
    refused = sign_in(client, "editor.gg", address="10.0.4.1")
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "bad_credentials"
    assert runner.invoke(args=["user", "enable", "editor.gg"]).exit_code == 0
    assert sign_in(client, "editor.gg", address="10.0.4.1").status_code == 201


def test_sign_in_rehashes_when_the_cost_changes(app):
    from server.accounts.users import get_user

    app.config["PASSWORD_SCRYPT_N"] = 2**11
    try:
        assert sign_in(app.test_client(), "looker", address="10.0.5.1").status_code == 201
    finally:
        app.config["PASSWORD_SCRYPT_N"] = 2**10
    session = app.extensions["db"]()
    try:
        assert get_user(session, "looker").password_hash.startswith("scrypt$n=2048,")
    finally:
        session.close()
    assert sign_in(app.test_client(), "looker", address="10.0.5.1").status_code == 201


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"data": "username=boss", "content_type": "application/x-www-form-urlencoded"}, 415, None),
        ({"json": ["boss"]}, 400, "bad_json"),
        ({"json": {"username": "boss"}}, 400, "missing_credentials"),
        ({"json": {"username": 3, "password": PASSWORD}}, 400, "missing_credentials"),
    ],
)
def test_bad_sign_in_requests(client, kwargs, status, code):
    response = client.post("/api/v1/admin/session", **kwargs)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["message"] and error["message_en"]
    if code:
        assert error["code"] == code


def test_the_admin_api_is_not_open_to_other_origins(client):
    origin = {"Origin": "https://elsewhere.example"}
    public = client.get("/api/v1/halls", headers=origin)
    assert public.headers.get("Access-Control-Allow-Origin") == "*"
    for path in ("/api/v1/admin/session", "/api/v1/admin/halls"):
        assert "Access-Control-Allow-Origin" not in client.get(path, headers=origin).headers
        preflight = client.options(path, headers={**origin, "Access-Control-Request-Method": "DELETE"})
        assert "Access-Control-Allow-Origin" not in preflight.headers


def test_unknown_admin_paths_and_methods_answer_the_one_shape_uncached(client):
    for method, path, status in [
        ("GET", "/api/v1/admin/nothing", 404),
        ("PUT", "/api/v1/admin/session", 405),
        ("GET", "/admin/nothing", 404),
    ]:
        response = client.open(path, method=method, headers={"Origin": "https://elsewhere.example"})
        assert response.status_code == status
        assert response.headers["Cache-Control"] == "no-store"
        assert "Access-Control-Allow-Origin" not in response.headers
        if path.startswith("/api/"):
            assert set(response.get_json()["error"]) == {"status", "code", "message", "message_en"}
    assert "no-store" not in client.get("/api/v1/halls").headers.get("Cache-Control", "")


def test_the_openapi_document_describes_the_admin_api(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {"admin", "public"} <= {tag["name"] for tag in spec["tags"]}
    schemes = spec["components"]["securitySchemes"]
    assert schemes["staffSession"]["in"] == "cookie" and schemes["csrfToken"]["name"] == "X-CSRF-Token"
    session = spec["paths"]["/admin/session"]
    assert set(session) == {"get", "post", "delete"}
    assert session["delete"]["security"] == [{"staffSession": [], "csrfToken": []}]
    assert "429" in session["post"]["responses"]
    for item in (v for k, v in spec["paths"].items() if k.startswith("/admin")):
        for operation in item.values():
            assert operation["tags"] == ["admin"]


# ---- the pages ----


def _form_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_the_sign_in_form_signs_in_and_out(app):
    client = app.test_client()
    anonymous = client.get("/admin/")
    assert anonymous.status_code == 302 and anonymous.headers["Location"].endswith("/admin/login")
    page = client.get("/admin/login")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="username"' in html and 'name="password"' in html
    assert "<script" not in html and "style=" not in html  # everything in files (CSP)
    token = _form_token(html)
    form = {"username": "editor.pn", "password": "wrong-password-1", "csrf_token": token}
    wrong = client.post("/admin/login", data=form, environ_base={"REMOTE_ADDR": "10.0.6.1"})
    assert wrong.status_code == 401 and "用户名或密码不正确" in wrong.get_data(as_text=True)
    english = client.post(
        "/admin/login", data={**form, "lang": "en"}, environ_base={"REMOTE_ADDR": "10.0.6.1"}
    )
    assert "The user name or password is wrong" in english.get_data(as_text=True)
    good = client.post(
        "/admin/login", data={**form, "password": PASSWORD}, environ_base={"REMOTE_ADDR": "10.0.6.1"}
    )
    assert good.status_code == 303 and good.headers["Location"].endswith("/admin/")
    home = client.get("/admin/").get_data(as_text=True)
    assert 'data-who="name">editor.pn<' in home and "编辑" in home and "平南县政务服务中心" in home
    english_home = client.get("/admin/?lang=en").get_data(as_text=True)
    assert english_home.count("Pingnan County") == 2  # the account's halls, and the link to manage it
    assert 'href="/admin/halls/pingnan/counters?lang=en"' in english_home
    logout_token = _form_token(home)
    assert client.post("/admin/logout", data={}).status_code == 403  # no CSRF token
    out = client.post("/admin/logout", data={"csrf_token": logout_token})
    assert out.status_code == 303 and out.headers["Location"].endswith("/admin/login")
    assert client.get("/admin/").status_code == 302


def test_the_form_needs_its_own_csrf_token(app):
    client = app.test_client()
    refused = client.post("/admin/login", data={"username": "boss", "password": PASSWORD, "csrf_token": "x"})
    assert refused.status_code == 403
    assert client.get_cookie("vhall_admin") is None


def test_behind_a_proxy_the_forwarded_scheme_makes_the_cookie_secure(tmp_path):
    app = make_app(tmp_path, demo=False, PROXY_FIX=1, PASSWORD_SCRYPT_N=2**10)
    args = ["user", "create", "boss", "--role", "admin", "--password-stdin"]
    assert app.test_cli_runner().invoke(args=args, input=PASSWORD + "\n").exit_code == 0
    client = app.test_client()
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    response = client.post(
        "/api/v1/admin/session", json={"username": "boss", "password": PASSWORD}, headers=forwarded
    )
    assert response.status_code == 201
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-vhall_admin=") and "Secure" in cookie
    session = app.extensions["db"]()
    try:
        assert session.query(StaffSession).one().client_address == "203.0.113.9"
    finally:
        session.close()
