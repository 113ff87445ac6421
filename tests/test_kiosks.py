"""The kiosk registry (issue 14): checks per field, the command line, the admin API, the demo kiosks, and
routes that start at a kiosk's registered point (``from=kiosk:<id>``)."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import select

from server.kiosks import KioskError
from server.kiosks.registry import check_fields, check_position
from server.models import AuditEntry, Hall
from tests.staff import Clock, sign_in, staff_app

GOOD = {"id": "gg-test-1", "hall": "guigang", "floor": 1, "x": 0.0, "z": 3.0, "facing": 180}
# field, bad value, the error code that names it
BAD_FIELDS = [
    ("id", "Has Capitals", "bad_id"),
    ("id", "", "bad_id"),
    ("id", 7, "bad_id"),
    ("hall", "../etc", "bad_hall"),
    ("floor", "1", "bad_floor"),
    ("floor", True, "bad_floor"),
    ("x", "nan", "bad_x"),
    ("x", math.inf, "bad_x"),
    ("z", 1e9, "bad_z"),
    ("facing", 360, "bad_facing"),
    ("facing", -1, "bad_facing"),
    ("idle_seconds", 5, "bad_idle_seconds"),
    ("idle_seconds", 90.5, "bad_idle_seconds"),
    ("countdown_seconds", 19, "bad_countdown_seconds"),
    ("audio", "yes", "bad_audio"),
    ("colour", "red", "unknown_field"),
]


@pytest.mark.parametrize(("field", "value", "code"), BAD_FIELDS)
def test_each_field_is_checked_with_a_named_bilingual_problem(field, value, code):
    with pytest.raises(KioskError) as caught:
        check_fields({**GOOD, field: value})
    assert caught.value.code == code
    assert caught.value.details["field"] == field
    assert caught.value.message != caught.value.message_en and caught.value.message_en


def test_good_fields_pass_and_missing_ones_are_named():
    assert check_fields(GOOD)["facing"] == 180.0
    assert check_fields({"facing": 0}, partial=True) == {"facing": 0.0}
    with pytest.raises(KioskError) as caught:
        check_fields({k: v for k, v in GOOD.items() if k != "facing"})
    assert caught.value.code == "missing_field" and caught.value.details["field"] == "facing"


def _geometry(app, slug: str):
    with app.app_context():
        session = app.extensions["db"]()
        try:
            hall = session.query(Hall).filter_by(slug=slug).one()
            return app.extensions["hall_models"].get(hall).geometry
        finally:
            session.close()


def test_the_demo_kiosks_stand_on_their_floors(app):
    client = app.test_client()
    seen = 0
    for slug in ("guigang", "pingnan"):
        geometry = _geometry(app, slug)
        with app.app_context():
            session = app.extensions["db"]()
            hall = session.query(Hall).filter_by(slug=slug).one()
            kiosks = [(k.code, k.floor.level, k.x, k.z) for k in hall.kiosks]
            session.close()
        assert kiosks, f"the demo hall {slug} ships no kiosk"
        for code, level, x, z in kiosks:
            check_position(geometry, level, x, z)
            assert client.get(f"/kiosk/{slug}?id={code}").status_code == 200
            seen += 1
    assert seen >= 2


def test_positions_off_the_floor_or_in_a_desk_are_refused(app):
    geometry = _geometry(app, "guigang")
    with pytest.raises(KioskError) as caught:
        check_position(geometry, 1, 500.0, 0.0)
    assert caught.value.code == "outside_floor"
    desk = geometry.nodes["counter:B03"].anchor
    with pytest.raises(KioskError) as caught:
        check_position(geometry, 1, desk[0], desk[2])
    assert caught.value.code == "position_blocked"
    with pytest.raises(KioskError) as caught:
        check_position(geometry, 9, 0.0, 0.0)
    assert caught.value.code == "floor_not_in_model"
    check_position(None, 9, 500.0, 0.0)  # no model: nothing to check against


def test_the_command_line_adds_lists_and_removes_kiosks(app):
    runner = app.test_cli_runner()
    add = ["kiosk", "add", "gg-cli-1", "--hall", "guigang", "--floor", "1", "--at", "-2,9", "--facing", "90"]
    result = runner.invoke(args=[*add, "--idle", "120", "--audio"])
    assert result.exit_code == 0, result.output
    assert "/kiosk/guigang?id=gg-cli-1" in result.output
    listed = runner.invoke(args=["kiosk", "list", "--hall", "guigang"]).output
    line = next(x for x in listed.splitlines() if x.startswith("gg-cli-1"))
    assert "-2,9" in line and "120s/30s" in line and " on " in line
    again = runner.invoke(args=add)
    assert again.exit_code == 2 and "已存在" in again.output and "exists already" in again.output
    assert runner.invoke(args=["kiosk", "remove", "gg-cli-1"]).exit_code == 0
    assert "gg-cli-1" not in runner.invoke(args=["kiosk", "list"]).output
    session = app.extensions["db"]()
    try:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.object_id == "gg-cli-1").order_by(AuditEntry.id)
        ).all()
        assert [(r.action, r.user_name, r.scope) for r in rows] == [
            ("add", None, "hall:guigang"),
            ("remove", None, "hall:guigang"),
        ]
        assert rows[0].after["idle_seconds"] == 120 and rows[1].before["position"] == [-2.0, 9.0]
    finally:
        session.close()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--at", "1;2"], ("--at 应为", "--at takes")),
        (["--at", "500,0"], ("范围之外", "outside floor")),
        (["--facing", "360"], ("朝向", "[0, 360)")),
        (["--floor", "7"], ("没有 7 层", "no floor 7")),
        (["--hall", "nowhere"], ("没有这个大厅", "No such hall")),
        (["--countdown", "10"], ("countdown_seconds", "from 20 to 300")),
    ],
)
def test_the_command_line_refuses_bad_input_in_both_languages(app, args, words):
    base = {"--hall": "guigang", "--floor": "1", "--at": "0,3", "--facing": "0"}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    flat = [x for pair in base.items() for x in pair]
    result = app.test_cli_runner().invoke(args=["kiosk", "add", "gg-bad-1", *flat])
    assert result.exit_code == 2, result.output
    for word in words:
        assert word in result.output
    assert "gg-bad-1" not in app.test_cli_runner().invoke(args=["kiosk", "list"]).output


def test_removing_an_unknown_kiosk_is_a_bilingual_error(app):
    result = app.test_cli_runner().invoke(args=["kiosk", "remove", "no-such-kiosk"])
    assert result.exit_code == 2 and "没有这台自助终端" in result.output and "No such kiosk" in result.output


def test_a_route_from_a_kiosk_starts_at_its_registered_point(app):
    client = app.test_client()
    route = client.get("/api/v1/halls/pingnan/route?from=kiosk:pn-entrance-1&to=counter:A02").get_json()
    assert route["from"] == "kiosk:pn-entrance-1" and route["to"] == "counter:A02"
    x, _, z = route["legs"][0]["polyline"][0]
    assert math.dist((x, z), (1.5, 6.0)) < 0.05  # the demo kiosk's point (pingnan.yaml)
    assert route["steps"][0]["zh"].startswith("从当前位置") or "当前位置" in route["steps"][0]["zh"]
    assert route["scenes"], "the panorama scenes of the way are planned too"
    plain = client.get("/api/v1/halls/pingnan/route?from=entrance:main&to=counter:A02").get_json()
    assert plain["legs"][0]["polyline"][0] != route["legs"][0]["polyline"][0]
    nearest = client.get("/api/v1/halls/pingnan/route?from=kiosk:pn-entrance-1&to=nearest:toilet")
    assert nearest.status_code == 200 and nearest.get_json()["to"].startswith("facility:")


@pytest.mark.parametrize("origin", ["kiosk:gg-lobby-1", "kiosk:no-such-kiosk"])
def test_a_kiosk_of_another_hall_or_none_is_an_unknown_place(app, origin):
    response = app.test_client().get(f"/api/v1/halls/pingnan/route?from={origin}&to=counter:A02")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "unknown_place"


# ---- the admin API (a demo app without models: positions are checked against the floors only) ----


@pytest.fixture(scope="module")
def staff(tmp_path_factory):
    return staff_app(tmp_path_factory.mktemp("kiosks"), Clock())


def _admin(staff):
    client = staff.test_client()
    csrf = sign_in(client, "boss").get_json()["csrf_token"]
    return client, {"X-CSRF-Token": csrf}


def test_admins_register_change_and_remove_kiosks_over_the_api(staff):
    client, headers = _admin(staff)
    body = {**GOOD, "id": "gg-api-1", "idle_seconds": 60, "audio": True}
    created = client.post("/api/v1/admin/kiosks", json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    assert created.headers["Location"] == "/api/v1/admin/kiosks/gg-api-1"
    kiosk = created.get_json()
    assert kiosk["idle_seconds"] == 60 and kiosk["countdown_seconds"] == 30 and kiosk["audio"] is True
    assert kiosk["heartbeat"] == {"at": None, "version": None, "uptime": None, "errors": []}
    assert kiosk["online"] is False
    assert client.post("/api/v1/admin/kiosks", json=body, headers=headers).status_code == 409
    changed = client.patch(
        "/api/v1/admin/kiosks/gg-api-1", json={"facing": 270, "audio": False}, headers=headers
    )
    assert (
        changed.status_code == 200 and changed.get_json()["facing"] == 270 and not changed.get_json()["audio"]
    )
    moved = client.patch("/api/v1/admin/kiosks/gg-api-1", json={"hall": "pingnan"}, headers=headers)
    assert moved.status_code == 400 and moved.get_json()["error"]["code"] == "fixed_field"
    listed = client.get("/api/v1/admin/kiosks").get_json()["kiosks"]
    assert "gg-api-1" in {k["id"] for k in listed} and "pn-entrance-1" in {k["id"] for k in listed}
    assert client.delete("/api/v1/admin/kiosks/gg-api-1", headers=headers).status_code == 204
    gone = client.get("/api/v1/admin/kiosks/gg-api-1")
    assert gone.status_code == 404 and gone.get_json()["error"]["code"] == "no_such_kiosk"
    log = client.get("/api/v1/admin/audit?object_type=kiosk&object_id=gg-api-1").get_json()
    entries = sorted(log["entries"], key=lambda e: e["id"])
    assert [(e["action"], e["user"], e["scope"]) for e in entries] == [
        ("add", "boss", "hall:guigang"),
        ("change", "boss", "hall:guigang"),
        ("remove", "boss", "hall:guigang"),
    ]
    assert entries[0]["before"] is None and entries[0]["after"]["idle_seconds"] == 60
    assert entries[1]["before"]["facing"] == 180 and entries[1]["before"]["audio"] is True
    assert entries[1]["after"]["facing"] == 270 and entries[1]["after"]["audio"] is False
    assert entries[2]["before"]["id"] == "gg-api-1" and entries[2]["after"] is None


def test_a_change_based_on_an_older_version_is_refused_with_the_current_kiosk(staff):
    client, headers = _admin(staff)
    created = client.post("/api/v1/admin/kiosks", json={**GOOD, "id": "gg-api-v"}, headers=headers)
    old = created.get_json()["version"]
    first = client.patch(
        "/api/v1/admin/kiosks/gg-api-v", json={"facing": 90, "version": old}, headers=headers
    )
    assert first.status_code == 200 and first.get_json()["version"] != old
    stale = client.patch(
        "/api/v1/admin/kiosks/gg-api-v", json={"facing": 45, "version": old}, headers=headers
    )
    assert stale.status_code == 409, stale.get_json()
    error = stale.get_json()["error"]
    assert error["code"] == "stale_kiosk" and "gg-api-v" in error["message"] and error["message_en"]
    assert error["details"]["current"]["facing"] == 90
    assert client.get("/api/v1/admin/kiosks/gg-api-v").get_json()["facing"] == 90  # nothing overwritten
    assert client.delete("/api/v1/admin/kiosks/gg-api-v", headers=headers).status_code == 204


def test_editors_manage_the_kiosks_of_their_own_halls_only(staff):
    client = staff.test_client()
    headers = {"X-CSRF-Token": sign_in(client, "editor.gg").get_json()["csrf_token"]}
    own = client.post("/api/v1/admin/kiosks", json={**GOOD, "id": "gg-api-e"}, headers=headers)
    assert own.status_code == 201, own.get_json()
    other = client.post(
        "/api/v1/admin/kiosks", json={**GOOD, "id": "pn-api-e", "hall": "pingnan"}, headers=headers
    )
    assert other.status_code == 403 and other.get_json()["error"]["message_en"]
    assert (
        client.patch("/api/v1/admin/kiosks/pn-entrance-1", json={"facing": 1}, headers=headers).status_code
        == 403
    )
    assert client.delete("/api/v1/admin/kiosks/gg-api-e", headers=headers).status_code == 204


@pytest.mark.parametrize(("field", "value", "code"), BAD_FIELDS)
def test_the_api_refuses_each_bad_field_and_changes_nothing(staff, field, value, code):
    client, headers = _admin(staff)
    if isinstance(value, float) and not math.isfinite(value):
        value = "inf"  # JSON has no infinity: a string is as wrong
        code = f"bad_{field}"
    body = {**GOOD, "id": "gg-api-bad", field: value}
    response = client.post("/api/v1/admin/kiosks", json=body, headers=headers)
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"] and error["message_en"]
    assert client.get("/api/v1/admin/kiosks/gg-api-bad").status_code == 404


def test_the_api_wants_json_and_a_floor_the_hall_has(staff):
    client, headers = _admin(staff)
    form = client.post("/api/v1/admin/kiosks", data={"id": "x"}, headers=headers)
    assert form.status_code == 415
    floor = client.post("/api/v1/admin/kiosks", json={**GOOD, "id": "gg-api-2", "floor": 9}, headers=headers)
    assert floor.status_code == 400 and floor.get_json()["error"]["code"] == "no_such_floor"
    hall = client.post(
        "/api/v1/admin/kiosks", json={**GOOD, "id": "gg-api-2", "hall": "nowhere"}, headers=headers
    )
    assert hall.status_code == 404 and hall.get_json()["error"]["code"] == "no_such_hall"


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ("", 400, ("请在地址中注明自助终端编号", "Name the kiosk")),
        ("?id=nope", 404, ("没有登记编号为 nope", "no kiosk registered as nope")),
        ("?id=gg-lobby-1", 404, ("没有登记编号为 gg-lobby-1", "no kiosk registered as gg-lobby-1")),
    ],
)
def test_a_kiosk_page_without_a_kiosk_of_this_hall_says_so_in_both_languages(app, query, status, words):
    response = app.test_client().get(f"/kiosk/pingnan{query}")
    assert response.status_code == status
    text = response.get_data(as_text=True)
    assert all(word in text for word in words) and "<script" not in text


def test_the_kiosk_page_embeds_its_kiosk_and_is_never_framed(app):
    response = app.test_client().get("/kiosk/pingnan?id=pn-entrance-1")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<script type="application/json" id="kiosk-data">' in html and '"facing":180.0' in html
    assert '"position":[1.5,6.0]' in html and '"idle_seconds":90' in html
    assert "kiosk.js" in html and "tour.js" not in html
    assert 'href="/"' not in html and "跳到文字版目录" not in html
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("https://zwfw.gxzf.gov.cn/apply", 200),  # an allowed government site
        ("http://localhost/hall/pingnan?route=counter:A02", 200),  # this site (the test client's origin)
        ("https://evil.example/apply", 404),
        ("http://localhost.evil.example/", 404),
        ("https://zwfw.gxzf.gov.cn.evil.example/", 404),
        ("javascript:alert(1)", 400),
        ("https://with space.gov.cn/", 400),
        ("", 400),
    ],
)
def test_a_qr_code_is_made_only_of_our_own_or_allowed_addresses(app, url, status):
    response = app.test_client().get("/api/v1/qr.svg", query_string={"url": url})
    assert response.status_code == status
    if status == 200:
        assert response.mimetype == "image/svg+xml" and "<svg" in response.get_data(as_text=True)
    else:
        code = "bad_parameter" if status == 400 else "address_not_allowed"
        assert response.get_json()["error"]["code"] == code


def test_the_offline_search_index_holds_the_halls_entries_with_pinyin_worked_out(app):
    client = app.test_client()
    response = client.get("/api/v1/halls/pingnan/search-index")
    assert response.status_code == 200 and response.headers["ETag"]
    body = response.get_json()
    entries = {e["key"]: e for e in body["entries"]}
    assert body["hall"] == "pingnan"
    # Only this hall's counters and facilities; services taken at one of its counters.
    assert all(e["result"]["hall"] == "pingnan" for e in body["entries"] if e["kind"] != "service")
    assert "pingnan/A01" in entries and not any(k.startswith("guigang/") for k in entries)
    licence = entries["scjg-qykb"]
    assert "yyzz" in licence["fields"]["initials"] and "qiyekaiban" in licence["fields"]["pinyin"]
    assert entries["pingnan/A01"]["fields"]["number"] == "a01"
    # Each entry's result is what the online search gives for it in this hall (but score and match).
    online = client.get("/api/v1/search?q=yyzz&hall=pingnan").get_json()["services"][0]
    assert online["id"] == "scjg-qykb"
    kept = {k: v for k, v in online.items() if k not in ("score", "match")}
    kept["counters"] = [{k: v for k, v in c.items() if k != "state"} for c in kept["counters"]]
    assert licence["result"] == kept
    assert client.get("/api/v1/halls/nowhere/search-index").status_code == 404
    assert client.get("/api/v1/halls/pingnan/search-index?x=1").status_code == 400
