"""Kiosk heartbeats (issue 14 §4): ``POST /api/v1/kiosks/<id>/heartbeat`` records last seen, version, uptime
and errors for a registered kiosk only, bounded in size and rate, without a staff session or cookie; staff
see each kiosk online or offline (within two intervals) in the admin API and on ``/admin/kiosks``."""

from __future__ import annotations

import pytest

from tests.staff import Clock, sign_in, staff_app

KIOSK = "pn-entrance-1"
URL = f"/api/v1/kiosks/{KIOSK}/heartbeat"
BEAT = {"version": "41", "uptime": 125, "errors": ["TypeError: x is undefined"]}
INTERVAL = 60


@pytest.fixture(scope="module")
def clock():
    return Clock()


@pytest.fixture(scope="module")
def staff(tmp_path_factory, clock):
    return staff_app(tmp_path_factory.mktemp("heartbeat"), clock, KIOSK_HEARTBEAT_SECONDS=INTERVAL)


def _kiosk(staff, name: str = "looker") -> dict:
    client = staff.test_client()
    sign_in(client, name)
    return client.get(f"/api/v1/admin/kiosks/{KIOSK}").get_json()


def test_a_heartbeat_is_recorded_and_staff_see_the_kiosk_online_then_offline(staff, clock):
    clock.advance(hours=1)
    assert _kiosk(staff)["online"] is False
    answer = staff.test_client().post(URL, json=BEAT)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["recorded"] is True and answer.get_json()["version"]
    assert "Set-Cookie" not in answer.headers and answer.headers["Cache-Control"] == "no-store"
    kiosk = _kiosk(staff)
    assert kiosk["online"] is True
    assert kiosk["heartbeat"]["at"] == clock.now.isoformat()
    assert kiosk["heartbeat"]["version"] == "41" and kiosk["heartbeat"]["uptime"] == 125
    assert kiosk["heartbeat"]["errors"] == [{"at": clock.now.isoformat(), "text": BEAT["errors"][0]}]
    clock.advance(seconds=2 * INTERVAL)
    assert _kiosk(staff)["online"] is True  # two intervals: still counted online
    clock.advance(seconds=1)
    assert _kiosk(staff)["online"] is False
    listed = staff.test_client()
    sign_in(listed, "looker")
    row = next(k for k in listed.get("/api/v1/admin/kiosks").get_json()["kiosks"] if k["id"] == KIOSK)
    assert row["online"] is False and row["heartbeat"]["version"] == "41"


def test_heartbeats_are_rate_bounded_and_errors_kept_bounded(staff, clock):
    clock.advance(hours=1)
    client = staff.test_client()
    assert client.post(URL, json={**BEAT, "errors": []}).status_code == 200
    clock.advance(seconds=INTERVAL / 2 - 1)
    again = client.post(URL, json={**BEAT, "version": "42"})
    assert again.status_code == 429 and again.headers["Retry-After"] == "1"
    assert again.get_json()["error"]["code"] == "heartbeat_too_soon"
    assert _kiosk(staff)["heartbeat"]["version"] == "41"  # nothing changed
    for _ in range(3):
        clock.advance(seconds=INTERVAL / 2)
        many = {**BEAT, "errors": [f"error {i} \x1b[31m" + "x" * 300 for i in range(10)]}
        assert client.post(URL, json=many).status_code == 200
    errors = _kiosk(staff)["heartbeat"]["errors"]
    assert len(errors) == 20  # the latest kept
    assert all(len(e["text"]) == 200 and "\x1b" not in e["text"] for e in errors)


@pytest.mark.parametrize(
    ("path", "kwargs", "status", "code"),
    [
        ("/api/v1/kiosks/no-such-kiosk/heartbeat", {"json": BEAT}, 404, "no_such_kiosk"),
        ("/api/v1/kiosks/Not%20A%20Slug/heartbeat", {"json": BEAT}, 404, "no_such_kiosk"),
        (URL, {"data": "version=1", "content_type": "application/x-www-form-urlencoded"}, 415, None),
        (URL, {"data": "{", "content_type": "application/json"}, 400, "bad_json"),
        (URL, {"json": {**BEAT, "errors": ["x" * 5000]}}, 413, "too_large"),
        (URL, {"json": {**BEAT, "version": ""}}, 400, "bad_version"),
        (URL, {"json": {**BEAT, "uptime": -1}}, 400, "bad_uptime"),
        (URL, {"json": {**BEAT, "errors": [1]}}, 400, "bad_errors"),
        (URL, {"json": {**BEAT, "errors": ["e"] * 11}}, 400, "bad_errors"),
        (URL, {"json": {**BEAT, "hall": "guigang"}}, 400, "unknown_field"),
        (URL, {"json": BEAT, "headers": {"Origin": "https://evil.example"}}, 403, "cross_origin"),
        (URL, {"json": BEAT, "headers": {"Sec-Fetch-Site": "cross-site"}}, 403, "cross_origin"),
    ],
)
def test_bad_heartbeats_are_refused_in_both_languages_and_change_nothing(
    staff, clock, path, kwargs, status, code
):
    clock.advance(hours=1)
    before = _kiosk(staff)["heartbeat"]
    answer = staff.test_client().post(path, **kwargs)
    assert answer.status_code == status, answer.get_json()
    error = answer.get_json()["error"]
    assert code is None or error["code"] == code
    assert error["message"] and error["message_en"] and error["message"] != error["message_en"]
    assert _kiosk(staff)["heartbeat"] == before


def test_the_kiosk_page_says_its_version_and_heartbeat_interval(staff):
    page = staff.test_client().get(f"/kiosk/pingnan?id={KIOSK}").get_data(as_text=True)
    assert f'"heartbeat_seconds":{INTERVAL}' in page and '"version":"' in page


def test_staff_see_the_kiosks_health_on_their_page_in_chinese_first(staff, clock):
    clock.advance(hours=1)
    assert staff.test_client().post(URL, json={**BEAT, "errors": ["<b>boom</b>"]}).status_code == 200
    client = staff.test_client()
    sign_in(client, "looker")
    page = client.get("/admin/kiosks")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    row = html[html.index(f'data-kiosk="{KIOSK}"') :]
    row = row[: row.index("</tr>")]
    assert 'data-online="true">在线' in row and ">41<" in row and ">125<" in row
    assert "&lt;b&gt;boom&lt;/b&gt;" in row and "<b>" not in row  # errors are text
    assert 'data-kiosk="gg-lobby-1"' in html and "离线" in html
    assert "<script>" not in html and "style=" not in html
    english = client.get("/admin/kiosks?lang=en").get_data(as_text=True)
    assert "<h1>Kiosks</h1>" in english and ">online<" in english
    assert staff.test_client().get("/admin/kiosks").status_code in (302, 303, 401)
