"""Every public endpoint over real HTTP: found, not found, bad parameters, caching, CORS, error shape.
Each successful body is validated against its schema in our OpenAPI document."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from server.web.api.openapi import document

DOC = document()


def assert_matches(body: dict, schema: str) -> None:
    """Validate *body* against ``components/schemas/<schema>`` of the OpenAPI document."""
    validator = Draft202012Validator({**DOC, "$ref": f"#/components/schemas/{schema}"})
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message[:200]}" for e in errors[:5])


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert_matches(body, "Error")
    assert body["error"]["status"] == status
    assert body["error"]["message"] and body["error"]["message_en"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]


def test_list_halls(api):
    response = api.get("/api/v1/halls")
    assert response.status_code == 200
    body = response.json()
    assert_matches(body, "HallList")
    slugs = [h["slug"] for h in body["halls"]]
    assert slugs == ["guigang", "pingnan"]
    guigang = body["halls"][0]
    assert guigang["name"]["zh"] == "贵港市政务服务中心"
    assert guigang["floor_count"] >= 2 and guigang["counter_count"] >= 40


def test_hall_document(api):
    response = api.get("/api/v1/halls/guigang")
    assert response.status_code == 200
    hall = response.json()
    assert_matches(hall, "Hall")
    assert [f["level"] for f in hall["floors"]] == [1, 2]
    numbers = [c["number"] for c in hall["counters"]]
    assert len(numbers) == len(set(numbers)) >= 40
    b01 = next(c for c in hall["counters"] if c["number"] == "B01")
    assert b01["department"]["id"] == "scjg" and b01["services"], (
        "a market-regulation counter lists its services"
    )
    assert b01["node"] == "counter:B01"
    assert {f["type"] for f in hall["facilities"]} >= {
        "toilet",
        "lift",
        "ticket_machine",
        "baby_room",
        "entrance",
    }
    assert all(f["node"] == f"facility:{f['id']}" for f in hall["facilities"])
    scene_ids = {s["id"] for s in hall["scenes"]}
    assert len(scene_ids) >= 2 and any(s["links"] for s in hall["scenes"])
    assert all(set(s["links"]) <= scene_ids for s in hall["scenes"])
    assert hall["model_url"].startswith("/api/v1/halls/guigang/model.glb?v=")
    # Panoramas may or may not be tiled yet (browser tests tile some on the shared app): either none or a tile set.
    assert all(s["tiles"] is None or {"basePath", "preview"} <= set(s["tiles"]) for s in hall["scenes"])
    b01_placement = b01["placement"]
    assert b01_placement["facing"] == 180 and b01_placement["standing"][1] > b01_placement["anchor"][2]
    assert len(hall["floors"]) == 2 and all(f["plan_url"] for f in hall["floors"])
    assert {c["status"] for c in hall["counters"]} == {"open", "paused", "closed"}


def test_counter_with_services_in_full(api):
    response = api.get("/api/v1/halls/guigang/counters/b01")  # lower case is accepted
    assert response.status_code == 200
    counter = response.json()
    assert_matches(counter, "CounterDetail")
    assert counter["number"] == "B01" and counter["hall"] == "guigang"
    assert counter["services"] and all(s["guide"]["summary"]["zh"] for s in counter["services"])
    assert counter["today"]["weekday"] in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def test_service_with_guide_and_every_counter(api, db):
    from sqlalchemy import select

    from server.models import ServiceItem

    slug = db.scalar(select(ServiceItem.slug).where(ServiceItem.name_zh == "企业开办（营业执照微信快办）"))
    response = api.get(f"/api/v1/services/{slug}")
    assert response.status_code == 200
    service = response.json()
    assert_matches(service, "Service")
    assert service["online"]["pc"].startswith("https://") and service["online"]["mobile"].startswith(
        "https://"
    )
    assert service["guide"]["steps"] and service["guide"]["faq"]
    first = service["materials"][0]
    assert first["name"] == {
        "zh": "公司登记（备案）申请书",
        "en": "Company registration (filing) application form",
    }
    assert first["notes"]["en"].startswith("Filled in online")
    # Conditions and the official process: bilingual pairs, the catalogue's Chinese beside its English.
    assert service["conditions"][1] == {
        "zh": "全体股东（投资人）、法定代表人及其他需签署文件的人员已通过“登记注册身份验证”完成实名认证，能够在线完成电子签名",
        "en": "All shareholders (investors), the legal representative and everyone else who must sign have "
        "verified their real names through the registration identity check and can sign electronically online",
    }
    assert service["process"][1]["name"] == {"zh": "签名", "en": "Signatures"}
    assert service["process"][1]["description"]["en"].startswith("All shareholders, the legal representative")
    halls = {c["hall"] for c in service["counters"]}
    assert halls == {"guigang", "pingnan"}, "handled in the city and the county hall"
    assert all(c["url"].startswith("/api/v1/halls/") for c in service["counters"])


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/api/v1/halls/nowhere", 404, "not_found"),
        ("/api/v1/halls/guigang/counters/X99", 404, "not_found"),
        ("/api/v1/halls/nowhere/counters/A01", 404, "not_found"),
        ("/api/v1/services/no-such-service", 404, "not_found"),
        ("/api/v1/no/such/endpoint", 404, "not_found"),
        ("/api/v1/halls/Guigang!", 400, "bad_parameter"),
        ("/api/v1/halls/guigang/counters/1234", 400, "bad_parameter"),
        ("/api/v1/halls/guigang/counters/%E7%AA%97", 400, "bad_parameter"),
        ("/api/v1/services/../../etc/passwd", 404, "not_found"),
        ("/api/v1/services/%00", 400, "bad_parameter"),
        ("/api/v1/halls?page=2", 400, "bad_parameter"),
        ("/api/v1/search", 400, "bad_parameter"),
        ("/api/v1/search?q=", 400, "bad_parameter"),
        ("/api/v1/search?q=%20%20", 400, "bad_parameter"),
        ("/api/v1/search?q=" + "营" * 101, 400, "bad_parameter"),
        ("/api/v1/search?q=a%01b", 400, "bad_parameter"),
        ("/api/v1/search?q=yyzz&hall=nowhere", 404, "not_found"),
        ("/api/v1/search?q=yyzz&hall=BAD_SLUG", 400, "bad_parameter"),
        ("/api/v1/search?q=yyzz&hall=", 400, "bad_parameter"),
        ("/api/v1/search?q=yyzz&hall=%20guigang", 400, "bad_parameter"),
        ("/api/v1/search?q=yyzz&limit=0", 400, "bad_parameter"),
        ("/api/v1/search?q=yyzz&limit=abc", 400, "bad_parameter"),
        ("/api/v1/search?q=yyzz&limit=99999999999", 400, "bad_parameter"),
    ],
)
def test_bad_requests_get_the_one_error_shape(api, path, status, code):
    error = assert_error(api.get(path), status, code)
    assert "Traceback" not in error["message_en"]


def test_a_query_of_exactly_100_characters_is_accepted(api):
    assert api.get("/api/v1/search?q=" + "营" * 100).status_code == 200


def test_writes_are_refused_with_405_and_allow_header(api):
    response = api.request("POST", "/api/v1/halls", json={})
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]
    assert_error(api.request("DELETE", "/api/v1/halls/guigang"), 405)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/halls",
        "/api/v1/halls/guigang",
        "/api/v1/halls/pingnan/counters/B01",
        "/api/v1/search?q=%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7",
        "/api/v1/openapi.json",
    ],
)
def test_etag_and_304(api, path):
    first = api.get(path)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert "max-age=" in first.headers["Cache-Control"] and "public" in first.headers["Cache-Control"]
    again = api.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    changed = api.get(path, headers={"If-None-Match": '"something-else"'})
    assert changed.status_code == 200 and changed.content == first.content


def test_etag_differs_between_documents(api):
    a = api.get("/api/v1/halls/guigang").headers["ETag"]
    b = api.get("/api/v1/halls/pingnan").headers["ETag"]
    assert a != b


def test_cors_allows_get_from_anywhere(api):
    response = api.get("/api/v1/halls", headers={"Origin": "https://example.org"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    preflight = api.request(
        "OPTIONS",
        "/api/v1/halls/guigang",
        headers={"Origin": "https://example.org", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 200
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]


def test_non_api_404_is_a_bilingual_page(api):
    response = api.get("/no-such-page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/html")
    assert "找不到该地址" in response.text and "Not found" in response.text


def test_an_unexpected_failure_is_a_500_in_the_one_shape_without_a_trace(tmp_path):
    from tests.conftest import make_app

    app = make_app(tmp_path, demo=False)

    @app.get("/api/v1/boom")
    def boom():
        raise RuntimeError("secret internals")

    app.logger.disabled = True
    response = app.test_client().get("/api/v1/boom")
    assert response.status_code == 500
    body = response.get_json()
    assert body["error"]["code"] == "internal_error"
    assert "secret internals" not in response.text


def test_responses_are_utf8_json_with_chinese_unescaped(api):
    response = api.get("/api/v1/halls/pingnan")
    assert response.headers["Content-Type"] == "application/json"
    assert "平南县政务服务中心".encode() in response.content


def test_search_answers_match_the_document(api):
    for query in ("营业执照", "yyzz", "B03", "火星签证", "厕所"):
        body = api.get("/api/v1/search", params={"q": query, "hall": "guigang"}).json()
        assert_matches(body, "SearchResults")
    top = api.get("/api/v1/search", params={"q": "营业执照", "hall": "guigang"}).json()["services"][0]
    numbers = [c["number"] for c in top["counters"]]
    assert len(numbers) >= 2 and all(c["name"]["zh"] for c in top["counters"])
    # Best first: the department's own counters, then the one-stop counters that take it too.
    assert top["best_counter"] == f"counter:{numbers[0]}"
    general = [c["general"] for c in top["counters"]]
    assert general == sorted(general) and general[-1] and not general[0]


def test_service_qr_code(api):
    response = api.get("/api/v1/services/scjg-qykb/qr.svg")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("image/svg+xml")
    mobile = api.get("/api/v1/services/scjg-qykb").json()["online"]["mobile"]
    assert response.text.lstrip().startswith("<svg") and mobile.replace("&", "&amp;") in response.text
    assert (
        api.get(
            "/api/v1/services/scjg-qykb/qr.svg", headers={"If-None-Match": response.headers["ETag"]}
        ).status_code
        == 304
    )
    assert_error(api.get("/api/v1/services/scjg-qykb/qr.svg", params={"for": "fax"}), 400, "bad_parameter")
    assert_error(api.get("/api/v1/services/no-such/qr.svg"), 404, "not_found")
    no_booking = next(
        s
        for s in (api.get(f"/api/v1/services/{i}").json() for i in ("yb-sydyjf", "scjg-qykb", "bdc-zlcx"))
        if not s["appointment"]["supported"]
    )
    assert_error(api.get(f"/api/v1/services/{no_booking['id']}/qr.svg", params={"for": "appointment"}), 404)
