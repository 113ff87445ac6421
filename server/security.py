"""Security headers on every response the application gives: pages, API answers (errors and 304s too),
floor plans, QR codes, tiles, models, static files and 404s.

One ``after_request`` hook, registered by ``create_app`` before any blueprint, owns them, so a new blueprint
or error handler cannot forget them. The policy is the one the tour needs and no more:

- ``Content-Security-Policy``: everything from our own origin; no inline script and no inline style (the
  browser code sets styles through the CSSOM, which CSP allows); ``data:`` images for the inline scene
  placeholder and the favicon, ``blob:`` for the textures three.js's GLTFLoader unpacks from a model;
  no plugins, no ``<base>``, forms post only to us.
- framing by path: the API, ``/admin`` and the kiosk pages never (``frame-ancestors 'none'`` + ``X-Frame-Options: DENY``); the
  tour may be embedded by the sites listed in ``EMBED_ALLOWED_ORIGINS`` (none by default: only ourselves).
- ``Permissions-Policy``: only the motion sensors and WebXR the tour uses, for our own origin.
- ``Strict-Transport-Security`` only on requests that came over HTTPS (behind a proxy, ``PROXY_FIX`` makes
  ``X-Forwarded-Proto`` count).
Core, not web: every response needs it, and a command line that never answers one imports only Flask.
See docs/ARCHITECTURE.md (data is never trusted by a page).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask import Flask, Response, current_app, request

NEVER_FRAMED = ("/api", "/admin", "/kiosk")  # these paths and below: no site, not even ours, may frame them
ORIGIN = re.compile(r"^https://[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?(:[0-9]{1,5})?$")

BASE_POLICY = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "connect-src 'self' blob:",  # GLTFLoader fetches the blob: URLs of a model's embedded images
    "worker-src 'self' blob:",
    "font-src 'self'",
    "media-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
)
SENSORS = ("xr-spatial-tracking", "gyroscope", "accelerometer")
DENIED_FEATURES = (
    "camera",
    "microphone",
    "geolocation",
    "payment",
    "usb",
    "serial",
    "bluetooth",
    "hid",
    "midi",
    "magnetometer",
    "display-capture",
    "publickey-credentials-get",
    "browsing-topics",
)
PERMISSIONS_POLICY = ", ".join([*(f"{f}=(self)" for f in SENSORS), *(f"{f}=()" for f in DENIED_FEATURES)])
STATIC_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
}


def embed_origins(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """The ``EMBED_ALLOWED_ORIGINS`` setting as a tuple of ``https://host[:port]`` origins (a list, or a
    string separated by commas or spaces); ValueError naming the setting for anything else."""
    if not value:
        return ()
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    origins = tuple(str(item).strip().lower().rstrip("/") for item in items)
    bad = [o for o in origins if not ORIGIN.match(o)]
    if bad:
        raise ValueError(f"EMBED_ALLOWED_ORIGINS: not an https://host[:port] origin: {', '.join(bad)}")
    return origins


def framing(path: str, origins: tuple[str, ...]) -> tuple[str, str | None]:
    """The ``frame-ancestors`` directive and the matching ``X-Frame-Options`` (None: not sent) for *path*."""
    if any(path == root or path.startswith(root + "/") for root in NEVER_FRAMED):
        return "frame-ancestors 'none'", "DENY"
    if origins:
        # X-Frame-Options cannot name other sites; browsers that know frame-ancestors ignore it anyway.
        return "frame-ancestors " + " ".join(("'self'", *origins)), None
    return "frame-ancestors 'self'", "SAMEORIGIN"


def content_security_policy(path: str, origins: tuple[str, ...]) -> str:
    """The whole Content-Security-Policy for a response to *path*."""
    return "; ".join((*BASE_POLICY, framing(path, origins)[0]))


def add_headers(response: Response) -> Response:
    """Set the security headers on *response* (an ``after_request`` hook: every response passes here)."""
    origins = current_app.config["_EMBED_ORIGINS"]
    ancestors, frame_options = framing(request.path, origins)
    headers = response.headers
    headers["Content-Security-Policy"] = "; ".join((*BASE_POLICY, ancestors))
    if frame_options:
        headers["X-Frame-Options"] = frame_options
    for name, value in STATIC_HEADERS.items():
        headers[name] = value
    if request.is_secure:
        headers["Strict-Transport-Security"] = f"max-age={int(current_app.config['HSTS_MAX_AGE'])}"
    return response


def register(app: Flask) -> None:
    """Check the embedding setting now (a bad one stops the start, not a request) and add the hook."""
    app.config["_EMBED_ORIGINS"] = embed_origins(app.config.get("EMBED_ALLOWED_ORIGINS"))
    app.after_request(add_headers)
