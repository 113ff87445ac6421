"""The OpenAPI document: valid 3.1, served, and covering every API route the app has."""

import re

from openapi_spec_validator import validate
from openapi_spec_validator.versions import consts, get_spec_version


def test_served_document_is_valid_openapi_3_1(api):
    response = api.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert get_spec_version(spec) == consts.OPENAPIV31
    validate(spec)  # raises on any violation


def test_every_api_route_is_documented_and_nothing_else(app, api):
    spec = api.get("/api/v1/openapi.json").json()
    documented = set(spec["paths"])
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            routes.add(re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule.removeprefix("/api/v1")))
    # Path parameter names differ between Flask views and the document only in spelling; compare shapes.
    shape = lambda p: re.sub(r"\{[^}]+\}", "{}", p)  # noqa: E731
    assert {shape(p) for p in routes} == {shape(p) for p in documented}


def test_every_operation_declares_its_error_shape(api):
    spec = api.get("/api/v1/openapi.json").json()
    for path, item in spec["paths"].items():
        if path == "/openapi.json":
            continue
        for method, operation in item.items():
            responses = operation["responses"]
            errors = [code for code in responses if code.startswith("4")]
            assert errors, (method, path)
            for code in errors:
                schema = responses[code]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}


def test_search_query_pattern_agrees_with_the_server(api):
    """The document's pattern for q says exactly which queries the server takes: blank ones (as Python's
    strip() sees blanks, U+0085 and U+3000 included) and control characters are refused, U+FEFF is text."""
    spec = api.get("/api/v1/openapi.json").json()
    (q,) = [p for p in spec["paths"]["/search"]["get"]["parameters"] if p["name"] == "q"]
    pattern = re.compile(q["schema"]["pattern"])
    for text in ["营业执照", " yyzz ", "\ufeff", "\x85", "\u3000", " \u2028 ", "a\x01", "\x7f"]:
        status = api.get("/api/v1/search", params={"q": text}).status_code
        assert status in (200, 400), text
        assert (status == 200) == bool(pattern.match(text)), (text, status)


def test_patterns_mean_the_same_in_every_regex_dialect(api):
    """A document's patterns are ECMA-262 regular expressions, the server's are Python's: their class escapes
    differ (ECMA's \\s has U+FEFF and not U+0085; \\d and \\w are Unicode-wide in Python), so none is used."""
    text = api.get("/api/v1/openapi.json").text
    patterns = re.findall(r'"pattern":"((?:[^"\\]|\\.)*)"', text)
    assert len(patterns) >= 6
    for pattern in patterns:
        assert not re.search(r"\\\\[sSdDwWbB]", pattern), pattern
