"""Every admin route, as every kind of caller: anonymous, viewer, editor of another hall, editor of the
hall, admin. The routes come from the app's URL map, so a route added without an entry here (and without
``auth.require`` or ``auth.public``) fails."""

from __future__ import annotations

import pytest

from tests.staff import Clock, sign_in, staff_app

HALL = "guigang"  # what a <hall> in a route is filled with; editor.gg edits it, editor.pn does not
SERVICE = "bdc-dygh"  # what a <slug> is filled with
CALLERS = {"viewer": "looker", "other_editor": "editor.pn", "editor": "editor.gg", "admin": "boss"}
OK, DENIED = "ok", 403

# (method, rule): what each caller gets. "public" routes are open to anyone and check their own input.
ALL = {c: OK for c in CALLERS}
EDITORS_UP = {"viewer": DENIED, "other_editor": OK, "editor": OK, "admin": OK}
ADMIN_ONLY = {"viewer": DENIED, "other_editor": DENIED, "editor": DENIED, "admin": OK}
READ_HALL = {"viewer": OK, "other_editor": DENIED, "editor": OK, "admin": OK}
EDIT_HALL = {"viewer": DENIED, "other_editor": DENIED, "editor": OK, "admin": OK}
H = "/api/v1/admin/halls/<hall>"
EXPECTED: dict[tuple[str, str], dict[str, object] | str] = {
    ("GET", "/admin/login"): "public",
    ("POST", "/admin/login"): "public",
    ("GET", "/admin/"): ALL,
    ("GET", "/admin/kiosks"): ALL,
    ("GET", "/admin/services"): ALL,
    ("GET", "/admin/services/<service:slug>"): ALL,
    ("GET", "/admin/import"): ALL,
    ("GET", "/admin/halls/<hall>/import"): READ_HALL,
    ("POST", "/admin/logout"): ALL,
    ("GET", "/admin/audit"): ALL,
    ("GET", "/admin/halls/<hall>"): READ_HALL,
    ("GET", "/admin/halls/<hall>/counters"): READ_HALL,
    ("GET", "/admin/halls/<hall>/versions"): READ_HALL,
    ("GET", "/api/v1/admin/session"): ALL,
    ("POST", "/api/v1/admin/session"): "public",
    ("DELETE", "/api/v1/admin/session"): ALL,
    ("GET", "/api/v1/admin/users"): ADMIN_ONLY,
    ("GET", "/api/v1/admin/halls"): ALL,
    ("GET", "/api/v1/admin/halls/<hall>"): READ_HALL,
    ("GET", "/api/v1/admin/services"): ALL,
    ("GET", "/api/v1/admin/services/<service:slug>"): ALL,
    ("POST", "/api/v1/admin/services/check"): EDITORS_UP,
    ("POST", "/api/v1/admin/services"): EDITORS_UP,
    ("PATCH", "/api/v1/admin/services/<service:slug>"): EDITORS_UP,
    ("DELETE", "/api/v1/admin/services/<service:slug>"): EDITORS_UP,
    ("GET", "/api/v1/admin/catalogue/draft/diff"): ALL,
    ("DELETE", "/api/v1/admin/catalogue/draft"): ADMIN_ONLY,
    ("POST", "/api/v1/admin/catalogue/publish"): ADMIN_ONLY,
    ("GET", "/api/v1/admin/catalogue/versions"): ALL,
    ("GET", "/api/v1/admin/catalogue/versions/<int:number>"): ALL,
    ("POST", "/api/v1/admin/catalogue/versions/<int:number>/restore"): ADMIN_ONLY,
    ("GET", "/api/v1/admin/kiosks"): ALL,
    ("POST", "/api/v1/admin/kiosks"): EDIT_HALL,
    ("GET", "/api/v1/admin/kiosks/<kiosk>"): READ_HALL,
    ("PATCH", "/api/v1/admin/kiosks/<kiosk>"): EDIT_HALL,
    ("DELETE", "/api/v1/admin/kiosks/<kiosk>"): EDIT_HALL,
    ("GET", f"{H}/counters"): READ_HALL,
    ("POST", f"{H}/counters"): EDIT_HALL,
    ("GET", f"{H}/counters/<number>"): READ_HALL,
    ("PATCH", f"{H}/counters/<number>"): EDIT_HALL,
    ("DELETE", f"{H}/counters/<number>"): EDIT_HALL,
    ("GET", f"{H}/facts"): READ_HALL,
    ("PATCH", f"{H}/facts"): EDIT_HALL,
    ("GET", f"{H}/draft/diff"): READ_HALL,
    ("DELETE", f"{H}/draft"): EDIT_HALL,
    ("POST", f"{H}/publish"): EDIT_HALL,
    ("GET", f"{H}/versions"): READ_HALL,
    ("GET", f"{H}/versions/<int:number>"): READ_HALL,
    ("POST", f"{H}/versions/<int:number>/restore"): EDIT_HALL,
    ("GET", "/api/v1/admin/audit"): ALL,
    ("GET", "/api/v1/admin/audit.csv"): ALL,
    ("GET", "/api/v1/admin/audit.xlsx"): ALL,
    ("GET", f"{H}/counters.<ext>"): READ_HALL,
    ("POST", f"{H}/counters.<ext>"): EDIT_HALL,
    ("POST", f"{H}/scenes/<scene>/panorama"): EDIT_HALL,
    ("GET", "/api/v1/admin/jobs"): ALL,
    ("GET", "/api/v1/admin/jobs/<int:job_id>"): READ_HALL,
    ("POST", "/api/v1/admin/jobs/<int:job_id>/retry"): EDIT_HALL,
    ("DELETE", "/api/v1/admin/jobs/<int:job_id>/upload"): EDIT_HALL,
    ("POST", f"{H}/model"): EDIT_HALL,
    ("POST", "/api/v1/admin/jobs/<int:job_id>/draft-model"): EDIT_HALL,
    ("GET", "/admin/halls/<hall>/panoramas"): READ_HALL,
    ("GET", "/admin/halls/<hall>/scenes"): READ_HALL,
    ("GET", "/admin/halls/<hall>/scenes/<scene>"): READ_HALL,
    ("GET", "/api/v1/admin/services.<ext>"): ALL,
    ("POST", "/api/v1/admin/services.<ext>"): EDITORS_UP,
    ("GET", f"{H}/scenes"): READ_HALL,
    ("GET", f"{H}/scenes/check"): READ_HALL,
    ("GET", f"{H}/scenes/<scene_code:scene>"): READ_HALL,
    ("PUT", f"{H}/scenes/<scene_code:scene>"): EDIT_HALL,
    ("DELETE", f"{H}/scenes/<scene_code:scene>"): EDIT_HALL,
    ("PUT", f"{H}/scenes/<scene_code:scene>/hotspots/<target>"): EDIT_HALL,
    ("DELETE", f"{H}/scenes/<scene_code:scene>/hotspots/<target>"): EDIT_HALL,
    ("POST", f"{H}/scenes/<scene>/registration"): EDIT_HALL,
}
# Writes allowed by role may still refuse what they are sent (no body here, a draft another caller
# already published or discarded): anything but 401 and 403 (and never a 500) passes the access check.
REFUSED_CONTENT = (404, 409, 415, 422, 428)
_kiosks = iter(range(10_000))


def _fresh_kiosk(app) -> str:
    """A kiosk of HALL registered for one call (a DELETE or PATCH leaves the others alone)."""
    code = f"gg-access-{next(_kiosks)}"
    result = app.test_cli_runner().invoke(
        args=["kiosk", "add", code, "--hall", HALL, "--floor", "1", "--at", "0,3", "--facing", "180"]
    )
    assert result.exit_code == 0, result.output
    return code


def _job(app) -> str:
    """A queued panorama job of HALL (a retry or a discard is refused with 409: it has not failed)."""
    if "access_job" not in app.config:
        from server.jobs import queue
        from server.models import Hall

        session = app.extensions["db"]()
        try:
            hall = session.query(Hall).filter_by(slug=HALL).one()
            job = queue.enqueue(
                session,
                kind="panorama",
                hall=hall,
                target="entrance",
                params={},
                upload=None,
                user=None,
                now=Clock().now,
            )
            session.commit()
            app.config["access_job"] = str(job.id)
        finally:
            session.close()
    return app.config["access_job"]


def _path(app, rule: str) -> str:
    """*rule* with its variables filled (a fresh kiosk for <kiosk>)."""
    path = (
        rule.replace("<hall>", HALL)
        .replace("<service:slug>", SERVICE)
        .replace("<number>", "A01")
        .replace("<int:number>", "1")
        .replace("<ext>", "csv")
        .replace("<scene>", "entrance")
        .replace("<scene_code:scene>", "lobby")
        .replace("<target>", "counter:A01")
    )
    if "<int:job_id>" in rule:
        path = path.replace("<int:job_id>", _job(app))
    if "<kiosk>" in rule:
        path = path.replace("<kiosk>", _fresh_kiosk(app))
    return path


def admin_routes(app) -> dict[tuple[str, str], str]:
    """Every (method, rule) of the staff side, with its endpoint."""
    routes = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/admin", "/api/v1/admin")):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                routes[(method, rule.rule)] = rule.endpoint
    return routes


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return staff_app(tmp_path_factory.mktemp("access"), Clock())


def test_every_admin_route_is_in_the_table_and_declares_its_access(app):
    routes = admin_routes(app)
    assert set(routes) == set(EXPECTED), "an admin route without an entry in EXPECTED (or a stale entry)"
    for (method, rule), endpoint in routes.items():
        access = getattr(app.view_functions[endpoint], "access", None)
        assert access is not None, f"{method} {rule} has neither auth.require nor auth.public"
        assert (access.role is None) == (EXPECTED[(method, rule)] == "public"), (method, rule)


def _call(client, method: str, rule: str, csrf: str | None):
    path = _path(client.application, rule)
    # JSON errors from pages too (they answer HTML to a browser), so the code can be read.
    headers = {"Accept": "application/json", **({"X-CSRF-Token": csrf} if csrf else {})}
    if method == "POST" and rule.startswith("/api/v1/admin/services"):  # a JSON API: an (empty) form
        return client.open(path, method=method, headers=headers, json={})
    if rule.startswith("/api/v1/admin/kiosks") and method in ("POST", "PATCH"):
        body = {"facing": 90.0}
        if method == "POST":
            body = {
                "id": f"gg-new-{next(_kiosks)}",
                "hall": HALL,
                "floor": 1,
                "x": 0.0,
                "z": 3.0,
                "facing": 0,
            }
        return client.open(path, method=method, headers=headers, json=body)
    return client.open(path, method=method, headers=headers, data={"csrf_token": csrf} if csrf else None)


@pytest.mark.parametrize(("method", "rule"), sorted(EXPECTED))
def test_anonymous_callers_are_sent_to_sign_in(app, method, rule):
    response = _call(app.test_client(), method, rule, None)
    if EXPECTED[(method, rule)] == "public":
        assert response.status_code not in (401, 302), response.status_code
    elif rule.startswith("/admin"):
        assert response.status_code == 302 and response.headers["Location"].endswith("/admin/login")
    else:
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "not_signed_in"


@pytest.mark.parametrize("caller", sorted(CALLERS))
@pytest.mark.parametrize(("method", "rule"), sorted(k for k, v in EXPECTED.items() if v != "public"))
def test_each_role_gets_what_its_role_allows(app, method, rule, caller):
    client = app.test_client()
    csrf = sign_in(client, CALLERS[caller]).get_json()["csrf_token"]
    response = _call(client, method, rule, csrf)
    expected = EXPECTED[(method, rule)][caller]
    if expected == OK:
        refused = method != "GET" and response.status_code in REFUSED_CONTENT
        assert response.status_code < 400 or refused, (response.status_code, response.get_data(as_text=True))
    else:
        assert response.status_code == expected
        assert response.get_json()["error"]["code"] == "forbidden"
    assert response.headers["Cache-Control"] == "no-store"


# Sign-in (public) is checked in test_admin_api: the form's own token, the JSON content type.
WRITES = sorted(k for k, v in EXPECTED.items() if k[0] != "GET" and v != "public")


@pytest.mark.parametrize(("method", "rule"), WRITES)
def test_every_write_needs_the_csrf_token(app, method, rule):
    client = app.test_client()
    sign_in(client, "boss")
    path = _path(app, rule)
    response = client.open(path, method=method, headers={"Accept": "application/json"})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "csrf"


def test_the_hall_list_shows_each_caller_its_halls(app):
    seen = {}
    for caller, name in CALLERS.items():
        client = app.test_client()
        sign_in(client, name)
        seen[caller] = {
            h["slug"]: h["may_edit"] for h in client.get("/api/v1/admin/halls").get_json()["halls"]
        }
    assert seen["admin"] == {"guigang": True, "pingnan": True}
    assert seen["viewer"] == {"guigang": False, "pingnan": False}
    assert seen["editor"] == {"guigang": True}
    assert seen["other_editor"] == {"pingnan": True}


def test_users_are_listed_for_admins(app):
    client = app.test_client()
    sign_in(client, "boss")
    users = {u["name"]: u for u in client.get("/api/v1/admin/users").get_json()["users"]}
    assert set(users) == {"boss", "editor.gg", "editor.pn", "looker"}
    assert users["editor.gg"]["halls"] == ["guigang"]
    assert users["looker"]["role_label"] == {"zh": "只读查看", "en": "Viewer"}
    assert users["boss"]["last_login_at"] is not None
    assert "password_hash" not in users["boss"]
