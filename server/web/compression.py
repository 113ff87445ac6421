"""Compressed answers: brotli or gzip, chosen per request by Accept-Encoding (with q-values).

Three ways a body gets compressed, each only once where it can be:

- a cached body (``Body``: a document of the API cache, the rendered tour page) keeps its compressed variants
  beside it, made on the first request that asks for that coding, so each is compressed once per catalogue
  revision, not per request;
- the built front end (web/dist) is compressed at build time (``scripts/build_web.mjs`` writes ``.br`` and
  ``.gz`` beside each file; ``static_variant`` picks one);
- any other answer of a text type (a page rendered per request, an error, a short-lived JSON answer) is
  compressed as it leaves (``compress_response``, an ``after_request`` hook).

Every variant has its own strong ETag (``<etag>-br``, ``<etag>-gz``): a shared cache must not answer a gzip
request with brotli bytes, and ``If-None-Match`` still matches the variant a client holds. Every answer of a
compressible type says ``Vary: Accept-Encoding``.

We use the ``brotli`` package and our own ~100 lines rather than flask-compress: flask-compress compresses in
``after_request``, i.e. every response again (its optional cache needs flask-caching and a per-request key),
while our bodies are already cached per revision with their ETags — the variants belong next to them.
"""

from __future__ import annotations

import gzip
import threading
from pathlib import Path

import brotli
from flask import Flask, Response, request
from werkzeug.datastructures import Accept

CODINGS = ("br", "gzip")  # in order of preference when the client likes both equally
SUFFIX = {"br": ".br", "gzip": ".gz"}
ETAG_SUFFIX = {"br": "-br", "gzip": "-gz"}
MIN_SIZE = 512  # bytes: below this, compression saves less than a header costs
COMPRESSIBLE = frozenset(
    {
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "application/problem+json",
        "image/svg+xml",
        "text/plain",
    }
)
BROTLI_QUALITY = 11  # once per body, so the slowest, smallest setting is affordable
GZIP_LEVEL = 9
_lock = threading.Lock()


def choose(accept: Accept) -> str:
    """The coding to answer with for *accept* (``request.accept_encodings``): ``br``, ``gzip`` or ``identity``.

    The highest q-value wins; ties go to brotli, then gzip. ``identity`` is acceptable unless refused
    (``identity;q=0``); when not named it ranks below any coding the client names."""
    best, best_q = "identity", 0.0
    for coding in CODINGS:
        q = accept.quality(coding)
        if q > best_q:
            best, best_q = coding, q
    if best_q == 0.0:
        return "identity"
    named_identity = any(value.lower() == "identity" for value in accept.values())
    if named_identity and accept.quality("identity") > best_q:
        return "identity"
    return best


def compress(data: bytes, coding: str) -> bytes:
    """*data* compressed with *coding* (``br`` or ``gzip``)."""
    if coding == "br":
        return brotli.compress(data, quality=BROTLI_QUALITY)
    if coding == "gzip":
        return gzip.compress(data, GZIP_LEVEL, mtime=0)  # mtime 0: the same bytes every time
    raise ValueError(f"coding: unknown content coding {coding!r}")


class Body:
    """A serialized body with its strong ETag and, made on first demand and kept, its compressed variants."""

    __slots__ = ("_variants", "data", "etag")

    def __init__(self, data: bytes, etag: str) -> None:
        self.data = data
        self.etag = etag
        self._variants: dict[str, bytes] = {}

    def __iter__(self):  # ``data, etag = body`` as with the (bytes, etag) pairs this replaces
        return iter((self.data, self.etag))

    def variant(self, coding: str) -> tuple[bytes, str]:
        """The bytes and ETag of this body in *coding* (``identity``, ``br``, ``gzip``)."""
        if coding == "identity" or len(self.data) < MIN_SIZE:
            return self.data, self.etag
        data = self._variants.get(coding)
        if data is None:
            data = compress(self.data, coding)  # outside the lock: two racing requests may both compress once
            with _lock:
                data = self._variants.setdefault(coding, data)
        return data, self.etag + ETAG_SUFFIX[coding]

    def respond(self, response: Response) -> Response:
        """Put this body into *response* in the coding the request accepts, with its ETag and Vary."""
        coding = choose(request.accept_encodings)
        data, etag = self.variant(coding)
        response.set_data(data)
        response.set_etag(etag)
        if data is not self.data:
            response.headers["Content-Encoding"] = coding
        response.vary.add("Accept-Encoding")
        return response


def compressible(response: Response) -> bool:
    """Whether *response* has a text type worth compressing."""
    return response.mimetype in COMPRESSIBLE


def static_variant(path: Path) -> tuple[Path, str]:
    """The precompressed file beside built file *path* that the request accepts, else *path* itself."""
    coding = choose(request.accept_encodings)
    if coding != "identity":
        packed = path.with_name(path.name + SUFFIX[coding])
        if packed.is_file():
            return packed, coding
    return path, "identity"


def compress_response(response: Response) -> Response:
    """``after_request``: compress a text answer that is not compressed yet (made per request, so not cached)."""
    if not compressible(response) or response.status_code < 200 or response.status_code in (204, 304):
        return response
    response.vary.add("Accept-Encoding")
    if response.direct_passthrough or response.is_streamed or "Content-Encoding" in response.headers:
        return response
    data = response.get_data()
    coding = choose(request.accept_encodings)
    if coding == "identity" or len(data) < MIN_SIZE:
        return response
    response.set_data(compress(data, coding))
    response.headers["Content-Encoding"] = coding
    etag, weak = response.get_etag()
    if etag:
        response.set_etag(etag + ETAG_SUFFIX[coding], weak=weak)
    return response


def register(app: Flask) -> None:
    """Compress every text answer the app gives that is not compressed already."""
    app.after_request(compress_response)
