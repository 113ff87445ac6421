"""The admin API's services catalogue (server/web/admin/services.py): the list with its filters and pages,
one item's canonical form, and the check an editor page calls as staff type. Who may call which is in
test_admin_access; here, what they answer."""

from __future__ import annotations

import pytest

from tests.staff import Clock, sign_in, staff_app


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return staff_app(tmp_path_factory.mktemp("services"), Clock())


@pytest.fixture(scope="module")
def editor(app):
    client = app.test_client()
    csrf = sign_in(client, "editor.gg").get_json()["csrf_token"]
    client.environ_base["HTTP_X_CSRF_TOKEN"] = csrf
    return client


def test_the_list_filters_by_text_and_department_and_pages(editor):
    everything = editor.get("/api/v1/admin/services?per_page=100").get_json()
    assert everything["total"] > len(everything["services"]) == 100
    rest = editor.get("/api/v1/admin/services?per_page=100&page=2").get_json()["services"]
    assert len(rest) == everything["total"] - 100
    slugs = [s["slug"] for s in everything["services"] + rest]
    assert slugs == sorted(slugs)
    first = everything["services"][0]
    assert set(first) == {"slug", "code", "name", "department", "type", "version", "changed", "url"}
    assert not first["changed"] and not everything["draft"] and everything["removed"] == []

    pages = [editor.get(f"/api/v1/admin/services?per_page=7&page={n}").get_json() for n in (1, 2)]
    assert [s["slug"] for s in pages[0]["services"] + pages[1]["services"]] == slugs[:14]
    assert pages[1]["page"] == 2 and pages[1]["total"] == everything["total"]

    bdc = editor.get("/api/v1/admin/services?department=bdc").get_json()["services"]
    assert bdc and all(s["department"] == "bdc" for s in bdc)
    assert len(bdc) < everything["total"]
    found = editor.get("/api/v1/admin/services", query_string={"q": "带押"}).get_json()["services"]
    assert [s["slug"] for s in found] == ["bdc-dygh"]
    found = editor.get("/api/v1/admin/services", query_string={"q": "MORTGAGE", "department": "bdc"})
    assert "bdc-dygh" in [s["slug"] for s in found.get_json()["services"]]
    wildcard = editor.get("/api/v1/admin/services", query_string={"q": "%"}).get_json()
    assert wildcard["total"] == 0  # taken literally, not as a LIKE wildcard


def test_bad_list_parameters_are_named(editor):
    for query, name in (("page=0", "page"), ("per_page=101", "per_page"), ("department=BDC!", "department")):
        response = editor.get(f"/api/v1/admin/services?{query}")
        assert response.status_code == 400, query
        assert response.get_json()["error"]["details"]["parameter"] == name
    assert editor.get("/api/v1/admin/services?sort=name").status_code == 400


def test_one_item_is_its_form_and_a_missing_one_is_404(editor):
    form = editor.get("/api/v1/admin/services/bdc-dygh").get_json()
    assert form["slug"] == "bdc-dygh" and form["department"] == "bdc"
    assert form["materials"][0]["name"]["zh"] and "summary_zh" in form["guide"]
    response = editor.get("/api/v1/admin/services/no-such-item")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    assert response.headers["Cache-Control"] == "no-store"


def test_check_answers_every_problem_at_its_field_and_saves_nothing(editor):
    form = editor.get("/api/v1/admin/services/bdc-dygh").get_json()
    checked = editor.post("/api/v1/admin/services/check", json=form).get_json()
    assert checked["problems"] == [] and set(checked["preview"]) == {"summary_zh", "summary_en"}
    assert checked["preview"]["summary_zh"][0]  # the token tree the panel renders
    form["materials"][1]["copies"] = -2
    form["guide"]["summary_en"] = "[click](javascript:alert(1))"
    form["online"]["pc"] = "https://evil.example.com/"
    problems = editor.post("/api/v1/admin/services/check", json=form).get_json()["problems"]
    assert sorted(p["field"] for p in problems) == ["guide.summary_en", "materials[1].copies", "online.pc"]
    assert all(p["zh"] and p["en"] for p in problems)
    again = editor.get("/api/v1/admin/services/bdc-dygh").get_json()
    assert again["materials"][1]["copies"] != -2


def test_check_refuses_what_is_not_a_json_form(editor, app):
    response = editor.post("/api/v1/admin/services/check", data="slug=x")
    assert response.status_code == 415
    response = editor.post(
        "/api/v1/admin/services/check", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and response.get_json()["error"]["message_en"]
    assert (
        editor.post("/api/v1/admin/services/check", json=[1]).get_json()["problems"][0]["field"] == "(form)"
    )
    big = {"slug": "x" * (600 * 1024)}
    assert editor.post("/api/v1/admin/services/check", json=big).status_code == 413
    viewer = app.test_client()
    csrf = sign_in(viewer, "looker").get_json()["csrf_token"]
    response = viewer.post("/api/v1/admin/services/check", json={}, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 403


def test_the_check_path_is_the_check_alone(editor):
    assert editor.get("/api/v1/admin/services/check").status_code == 405
    allowed = editor.open("/api/v1/admin/services/check", method="OPTIONS").headers["Allow"]
    assert "GET" not in allowed and "POST" in allowed
    assert editor.get("/api/v1/admin/services/checks").status_code == 404  # another slug: looked up
