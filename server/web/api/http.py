"""HTTP plumbing for the read-only API: JSON bodies with ETags, caching headers, 304s, parameter checks.

Bodies are ``compression.Body`` objects: the cache keeps each one's brotli and gzip variants beside it, so a
document is compressed once per catalogue revision and coding, not per request."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from flask import Response, current_app, request

from ...db import current_revision
from ...errors import bad_parameter
from ...vocabulary import COUNTER_NUMBER_PATTERN, SLUG_PATTERN
from ..compression import Body

SLUG = re.compile(SLUG_PATTERN)
COUNTER_NUMBER = re.compile(COUNTER_NUMBER_PATTERN, re.IGNORECASE)  # answered in capitals


class SingleFlight:
    """Builds by key, one at a time per key: the first caller builds while later callers for that key wait
    for its result; callers for other keys never wait. No lock is held across keys while building, so a
    rebuild of one hall's answers after a publish does not hold up another's, or anything already cached."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._locks: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable, lookup: Callable[[], Any], build: Callable[[], Any]) -> Any:
        """``lookup()`` when it has the answer (not None), else ``build()`` (which stores it where *lookup*
        finds it) in one caller only."""
        found = lookup()
        if found is not None:
            return found
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        try:
            with lock:
                found = lookup()
                return found if found is not None else build()
        finally:
            with self._lock:
                self._locks.pop(key, None)


def single_flight(key: Hashable, lookup: Callable[[], Any], build: Callable[[], Any]) -> Any:
    """``SingleFlight.get`` with this app's instance."""
    flights = current_app.extensions.get("single_flight") or current_app.extensions.setdefault(
        "single_flight", SingleFlight()
    )
    return flights.get(key, lookup, build)


class BodyCache:
    """A bounded LRU of serialized bodies (with their ETags and compressed variants), keyed by (what, catalogue
    revision)."""

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, Body] = OrderedDict()
        self._lock = threading.Lock()
        self._flights = SingleFlight()  # one build per key at a time; other keys never wait

    def get(
        self,
        key: Hashable,
        build: Callable[[], Any],
        encoder: Callable[[Any], Body] | None = None,
    ) -> Body:
        """The cached body for *key*, or ``build()`` serialized (JSON unless *encoder* says) and remembered."""
        return self._flights.get(key, lambda: self._find(key), lambda: self._build(key, build, encoder))

    def _find(self, key: Hashable) -> Body | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def _build(self, key: Hashable, build: Callable[[], Any], encoder: Callable[[Any], Body] | None) -> Body:
        body = (encoder or encode)(build())
        with self._lock:
            self._items[key] = body
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return body


def encode(payload: Any) -> Body:
    """Serialize *payload* as compact UTF-8 JSON and derive its strong ETag."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return Body(body, hashlib.blake2b(body, digest_size=12).hexdigest())


def cached_json(key: tuple, build: Callable[[], Any]) -> Response:
    """The JSON answer for *key* at the current catalogue revision, built by ``build()`` on a miss."""
    body = current_app.extensions["api_cache"].get((*key, current_revision()), build)
    return json_response(body)


def cached_text(key: tuple, build: Callable[[], str], mimetype: str) -> Response:
    """Like ``cached_json`` for a text body (SVG and the like)."""
    body = current_app.extensions["api_cache"].get((*key, current_revision()), build, encode_text)
    return json_response(body, mimetype=mimetype)


def encode_text(text: str) -> Body:
    """UTF-8 bytes of *text* and their strong ETag."""
    data = text.encode()
    return Body(data, hashlib.blake2b(data, digest_size=12).hexdigest())


def json_response(
    body: Body, *, max_age: int | None = None, status: int = 200, mimetype: str = "application/json"
) -> Response:
    """A JSON (or *mimetype*) response in the coding the client accepts, with the ETag of that variant and
    Cache-Control, that answers 304 to a matching If-None-Match."""
    response = body.respond(Response(status=status, mimetype=mimetype))
    response.cache_control.public = True
    response.cache_control.max_age = current_app.config["API_MAX_AGE"] if max_age is None else max_age
    return response.make_conditional(request)


def slug_arg(value: str, name: str) -> str:
    """Check a hall or service id from the path; a malformed one is a 400, not a 404."""
    if not SLUG.match(value):
        raise bad_parameter(
            name, "只能包含小写字母、数字和连字符", "use lowercase letters, digits and hyphens"
        )
    return value


def counter_number_arg(value: str) -> str:
    """Check a printed counter number (``B03``), returning it in capitals."""
    if not COUNTER_NUMBER.match(value):
        raise bad_parameter("number", "窗口编号应为字母加数字，例如 B03", "a counter number looks like B03")
    return value.upper()


def query_text(name: str, *, required: bool) -> str | None:
    """A free-text query parameter, checked for length and control characters."""
    value = request.args.get(name)
    if value is None or not value.strip():
        if required:
            raise bad_parameter(name, "不能为空", "must not be empty")
        return None
    limit = current_app.config["MAX_QUERY_LENGTH"]
    if len(value) > limit:
        raise bad_parameter(name, f"不能超过 {limit} 个字符", f"must be at most {limit} characters")
    if any(ord(ch) < 32 for ch in value):
        raise bad_parameter(name, "包含控制字符", "contains control characters")
    return value.strip()


def int_arg(name: str, *, default: int, low: int, high: int) -> int:
    """An integer query parameter within [low, high]."""
    raw = request.args.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]{1,6}", raw) or not low <= int(raw) <= high:
        raise bad_parameter(
            name, f"应为 {low} 到 {high} 之间的整数", f"must be an integer from {low} to {high}"
        )
    return int(raw)


def reject_unknown_args(*allowed: str) -> None:
    """A 400 for query parameters this endpoint does not take (a typo should not pass silently)."""
    unknown = sorted(set(request.args) - set(allowed))
    if unknown:
        raise bad_parameter(unknown[0], "该接口不接受此参数", "this endpoint does not take it")
