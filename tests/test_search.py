"""Search: known-answer checks of the text functions, and the search-quality table over the real API."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
import yaml

from server.catalogue.search import Blob, Index, normalize, pinyin_full, pinyin_initials, synonyms

QUALITY = yaml.safe_load((Path(__file__).parent / "data" / "search_quality.yaml").read_text(encoding="utf-8"))


def test_normalize_folds_width_case_and_punctuation():
    assert normalize("（营业 执照）") == "营业执照"
    assert normalize("Ｂ０３") == "b03"  # full-width letters and digits
    assert normalize("“带押过户”") == "带押过户"


def test_pinyin_full_and_initials():
    assert pinyin_full("营业执照") == "yingyezhizhao"
    assert pinyin_initials("营业执照") == "yyzz"
    assert pinyin_initials("B03窗口") == "b03ck"


def test_blob_finds_owners_and_whether_the_match_starts_the_value():
    blob = Blob([(0, "营业执照"), (1, "执照补领"), (2, "护照")])
    assert blob.find("执照") == {0: False, 1: True}
    assert blob.find("照") == {0: False, 1: False, 2: False}
    assert blob.find("税") == {}
    # The separator never joins two values into a false match.
    assert blob.find("照执") == {}


def test_synonym_file_is_well_formed():
    phrases, fillers = synonyms()
    assert "开公司" in phrases and all(phrases.values())
    assert "我要" in fillers


def test_ranking_prefers_exact_then_prefix_then_substring():
    service = lambda slug, name: {  # noqa: E731
        "id": slug,
        "name_zh": name,
        "name_en": slug,
        "department_zh": "部门",
        "department": None,
        "keywords": [],
        "reform_2023": False,
        "counters": [],
    }
    index = Index.build(
        [service("c", "营业执照遗失补领"), service("b", "补办营业执照"), service("a", "营业执照")], []
    )
    ranked = [e.key for _s, _m, e in index.search("营业执照")["services"]]
    assert ranked == ["a", "c", "b"]


@pytest.mark.parametrize(
    "case", QUALITY, ids=[c["q"] + (f"@{c['hall']}" if "hall" in c else "") for c in QUALITY]
)
def test_search_quality(api, case):
    url = "/api/v1/search?q=" + quote(case["q"]) + (f"&hall={case['hall']}" if "hall" in case else "")
    response = api.get(url)
    assert response.status_code == 200
    body = response.json()
    if "service" in case:
        got = [s["id"] for s in body["services"][:3]]
        assert got and got[0] == case["service"], f"{case['q']!r}: first results {got}"
    if "counter" in case:
        got = [f"{c['hall']}/{c['number']}" for c in body["counters"][:3]]
        assert got and got[0] == case["counter"], f"{case['q']!r}: first counters {got}"


def test_quality_table_is_large_enough():
    assert len(QUALITY) >= 30


def test_results_with_hall_name_that_halls_counters(api):
    body = api.get("/api/v1/search?q=" + quote("营业执照") + "&hall=pingnan").json()
    top = body["services"][0]
    assert top["available_here"] is True
    assert top["counters"] and {c["hall"] for c in top["counters"]} == {"pingnan"}
    # No counter itself matches 营业执照 (body["counters"] is empty): check the hall filter on counters
    # with a department both halls have.
    everywhere = api.get("/api/v1/search?q=" + quote("市场监管")).json()["counters"]
    here = api.get("/api/v1/search?q=" + quote("市场监管") + "&hall=pingnan").json()["counters"]
    assert {c["hall"] for c in everywhere} == {"guigang", "pingnan"}
    assert here and {c["hall"] for c in here} == {"pingnan"}


def test_a_service_not_offered_in_the_hall_is_marked(api):
    # The county hall has no transport counter.
    body = api.get("/api/v1/search?q=" + quote("网约车") + "&hall=pingnan").json()
    assert body["services"] and body["services"][0]["available_here"] is False


def test_no_match_gives_an_empty_list_and_suggestions(api):
    body = api.get("/api/v1/search?q=" + quote("火星签证")).json()
    assert body["services"] == [] and body["counters"] == []
    assert len(body["suggestions"]) >= 3
    assert all(s["url"].startswith("/api/v1/services/") for s in body["suggestions"])


def test_department_name_finds_its_services(api):
    body = api.get("/api/v1/search?q=" + quote("住房公积金管理中心") + "&limit=50").json()
    ids = [s["id"] for s in body["services"]]
    assert sum(1 for i in ids if i.startswith("gjj-")) >= 10


def test_limit_caps_the_results(api):
    body = api.get("/api/v1/search?q=" + quote("登记") + "&limit=3").json()
    assert len(body["services"]) == 3
