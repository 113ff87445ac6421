"""Nothing a client sends crashes the server: seeded random paths and parameters, always < 500 and,
for errors, always the one JSON shape."""

from __future__ import annotations

import random
from urllib.parse import quote

ALPHABET = "aZ09-_.~/%?&=#:;,+ 营业执照窗口\x00\x01\u200b\U0001f600'\"<>\\"


def noise(rng: random.Random, longest: int = 40) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, longest)))


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
    ]
    for _ in range(300):
        template = rng.choice(templates)
        path = template.format(*(quote(noise(rng), safe="") for _ in range(template.count("{}"))))
        response = api.get(path)
        assert response.status_code < 500, path
        if response.status_code >= 400:
            error = response.json()["error"]
            assert error["status"] == response.status_code and error["message"] and error["message_en"], path
