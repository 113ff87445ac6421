"""Nothing a client sends crashes the server, and every answer is what the OpenAPI document says.

Two probes: schemathesis generates requests from the document itself (valid ones, starting from the
parameters' examples so real halls, counters and routes are answered, and invalid ones: malformed slugs,
counter numbers, route places, floors, odd Unicode in ``q``, unknown parameters, other methods) and checks
each answer against it: never a 5xx, only documented status codes and content types, bodies valid against
the response schemas, ETag and Cache-Control where documented, valid input accepted, invalid input
rejected, and every error in the one JSON shape (``server/errors.py``). A seeded random prober adds raw
noise in the path (slashes, ``%``, NUL, emoji) that a schema-driven generator does not send.

Both are deterministic (hypothesis derandomized, a fixed seed) and bounded (examples per operation; set
VHALL_FUZZ_EXAMPLES to probe deeper by hand, e.g. 1000).
"""

from __future__ import annotations

import os
import random
from urllib.parse import quote

import schemathesis
from hypothesis import HealthCheck, settings

from server.web.api.openapi import document

ALPHABET = "aZ09-_.~/%?&=#:;,+ 营业执照窗口\x00\x01\u200b\U0001f600'\"<>\\"
# Pieces of real keys, so the noise also comes close to valid places, counters and floors.
WORDS = (
    "counter:",
    "nearest:",
    "scene:",
    "facility:",
    "entrance:",
    "toilet",
    "B03",
    "main",
    "-1",
    "1",
    "999",
)

# The document as served (/api/v1/openapi.json is this, encoded once at import).
schema = schemathesis.openapi.from_dict(document())


@schemathesis.check
def one_error_shape(ctx, response, case):
    """Every 4xx/5xx, documented or not (405 for other methods), is {"error": {status, code, message,
    message_en}} in JSON, its status the answer's."""
    if response.status_code < 400:
        return None
    assert response.headers.get("content-type", [""])[0].startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert error["status"] == response.status_code, body
    assert error["code"] and error["message"] and error["message_en"], body
    return None


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("VHALL_FUZZ_EXAMPLES", "100")),
    derandomize=True,  # the same requests on every run
    database=None,  # nothing written to .hypothesis/
    deadline=None,  # speed is scripts/bench_*.py's business
    # The halls operation takes no parameters, and some patterns filter a lot: not problems of the API.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_answer_matches_the_openapi_document(case, live_server):
    case.call_and_validate(base_url=live_server + "/api/v1")


def noise(rng: random.Random, longest: int = 40) -> str:
    return "".join(
        rng.choice(WORDS) if rng.random() < 0.1 else rng.choice(ALPHABET)
        for _ in range(rng.randint(0, longest))
    )


def test_random_requests_never_fail_the_server(api):
    rng = random.Random(20261126)
    templates = [
        "/api/v1/halls/{}",
        "/api/v1/halls/guigang/counters/{}",
        "/api/v1/halls/{}/counters/{}",
        "/api/v1/services/{}",
        "/api/v1/search?q={}",
        "/api/v1/search?q=yyzz&hall={}",
        "/api/v1/search?q=yyzz&limit={}",
        "/api/v1/search?{}={}",
        "/api/v1/halls/guigang/route?from={}&to={}",
        "/api/v1/halls/guigang/route?from=entrance:main&to={}",
        "/api/v1/halls/guigang/route?from=entrance:main&to=counter:B03&accessible={}",
        "/api/v1/halls/guigang/floors/{}/plan.svg",
        "/api/v1/halls/guigang/floors/1/plan.svg?lang={}",
        "/api/v1/halls/{}/model.glb?v={}",
        "/api/v1/services/scjg-qykb/qr.svg?for={}",
        "/api/v1/halls/guigang/states?{}={}",
    ]
    for _ in range(400):
        template = rng.choice(templates)
        path = template.format(*(quote(noise(rng), safe="") for _ in range(template.count("{}"))))
        response = api.get(path)
        assert response.status_code < 500, path
        if response.status_code >= 400:
            error = response.json()["error"]
            assert error["status"] == response.status_code and error["message"] and error["message_en"], path
