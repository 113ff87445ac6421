"""What an address from the data may be, the one rule for every writer and every reader: a link a page may
make clickable, and an image a page may show inline.

Data is never trusted by a page: an address stored in the database (a service's online-application or
appointment address, a scene's placeholder) is checked when it is written (ORM validators in ``models.py``,
so the demo loader and any later writer are refused alike) and again when it is rendered (the API gives
``None`` for one that fails, the browser checks the scheme once more before it makes ``<a href>``).

A *link* is ``https://`` (``http://`` only with ``LINK_ALLOW_HTTP``) to a host that is, or is a subdomain of,
a domain in ``LINK_ALLOWED_DOMAINS``: no user name or password, no control characters or white space, no
backslash, at most :data:`MAX_LINK_LENGTH` characters; an internationalised host is compared in its ASCII
(IDNA) form. An *inline image* is ``data:image/(jpeg|png|webp);base64,…`` of at most
:data:`MAX_INLINE_IMAGE_LENGTH` characters, base64 alphabet only. See docs/ARCHITECTURE.md (core layer).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from .problems import HallError

MAX_LINK_LENGTH = 500  # characters, as the URL columns hold
MAX_INLINE_IMAGE_LENGTH = 16_384  # characters of a data: URI placeholder (ours are ~1–3 KB)
DEFAULT_LINK_DOMAINS = ("gov.cn",)  # where the settings are not at hand (a script without an application)
INLINE_IMAGE = re.compile(r"data:image/(?:jpeg|png|webp);base64,[A-Za-z0-9+/]+={0,2}")
# A published tile set's folder as the API names it: /panoramas/<hall>/<scene>/<version>/
PANORAMA_PATH = re.compile(r"/panoramas/(?:[A-Za-z0-9][A-Za-z0-9._-]{0,63}/){3}")
TILE_NAME = re.compile(r"/[A-Za-z0-9%][A-Za-z0-9._/%-]{0,99}")  # preview, path and fallbackPath below it
_UNSAFE_CHARACTER = re.compile(r"[\x00-\x20\x7f-\x9f\\\u2028\u2029\ufeff]")
_HOST_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


class UnsafeAddress(HallError):
    """An address that may not be stored or shown: refused with the field and the reason."""

    def __init__(self, field: str, value: object, zh: str, en: str) -> None:
        shown = str(value)[:120]
        super().__init__(
            "unsafe_address",
            f"{field} 不是允许的地址（{zh}）：{shown}",
            f"{field} is not an allowed address ({en}): {shown}",
            status=422,
            details={"field": field},
        )


def _settings() -> tuple[tuple[str, ...], bool]:
    """The allowed link domains and whether http is allowed: the app's settings, else the defaults."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return DEFAULT_LINK_DOMAINS, False
    config = current_app.config
    domains = config.get("LINK_ALLOWED_DOMAINS", DEFAULT_LINK_DOMAINS)
    if isinstance(domains, str):
        domains = domains.replace(",", " ").split()
    return tuple(domains), bool(config.get("LINK_ALLOW_HTTP", False))


def _ascii_host(host: str) -> str | None:
    """*host* in lower-case ASCII (IDNA for an internationalised name), or None when it is not a host name."""
    try:
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    labels = host.split(".")
    if len(host) > 253 or len(labels) < 2 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
        return None
    return host


def link_problem(
    value: Any, *, domains: Iterable[str] | None = None, allow_http: bool | None = None
) -> tuple[str, str] | None:
    """Why *value* may not be a link, as ``(zh, en)``; None when it may. *domains* and *allow_http* default to
    the settings (``LINK_ALLOWED_DOMAINS``, ``LINK_ALLOW_HTTP``) of the current application."""
    if domains is None or allow_http is None:
        configured, http = _settings()
        domains = configured if domains is None else domains
        allow_http = http if allow_http is None else allow_http
    if not isinstance(value, str) or not value:
        return "不是文字", "not text"
    if len(value) > MAX_LINK_LENGTH:
        return f"超过 {MAX_LINK_LENGTH} 个字符", f"longer than {MAX_LINK_LENGTH} characters"
    if _UNSAFE_CHARACTER.search(value):
        return "含空白、控制字符或反斜杠", "white space, a control character or a backslash"
    schemes = ("https", "http") if allow_http else ("https",)
    scheme = value.split(":", 1)[0].lower() if ":" in value else ""
    if scheme not in schemes or not value[len(scheme) :].startswith("://"):
        return f"只允许 {'、'.join(schemes)}:// 开头", f"only {', '.join(s + '://' for s in schemes)} allowed"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError:
        return "格式不对", "malformed"
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return "不可含用户名或密码", "no user name or password allowed"
    host = _ascii_host(parts.hostname or "")
    if host is None:
        return "主机名无效", "not a valid host name"
    allowed = [d.strip().lower().strip(".") for d in domains]
    if not any(host == d or host.endswith("." + d) for d in allowed if d):
        return "域名不在允许的列表中", "the domain is not on the allowed list"
    return None


def safe_link(value: Any) -> str | None:
    """*value* when it may be shown as a link (see :func:`link_problem`), else None."""
    return value if value is not None and link_problem(value) is None else None


def check_link(field: str, value: Any, *, nullable: bool = False) -> Any:
    """*value* when it may be stored as a link (None too when *nullable*); :class:`UnsafeAddress` otherwise."""
    if value is None and nullable:
        return value
    problem = link_problem(value)
    if problem is not None:
        raise UnsafeAddress(field, value, *problem)
    return value


def is_inline_image(value: Any) -> bool:
    """Whether *value* is a bounded ``data:image/(jpeg|png|webp);base64,…`` URI."""
    return (
        isinstance(value, str)
        and len(value) <= MAX_INLINE_IMAGE_LENGTH
        and bool(INLINE_IMAGE.fullmatch(value))
    )


def panorama_problem(config: Any) -> tuple[str, str] | None:
    """Why a scene's tiles *config* may not be stored or shown (its placeholder, its base path); None if fine."""
    if config is None:
        return None
    if not isinstance(config, dict):
        return "不是对象", "not an object"
    placeholder = config.get("placeholder")
    if placeholder is not None and not is_inline_image(placeholder):
        return "占位图不是内嵌的 JPEG/PNG/WebP 图像", "the placeholder is not an inline JPEG/PNG/WebP image"
    base = config.get("basePath")
    if base is not None and not (isinstance(base, str) and PANORAMA_PATH.fullmatch(base + "/")):
        return "瓦片路径无效", "the tile path is not a panorama folder"
    for key in ("preview", "path", "fallbackPath"):
        name = config.get(key)
        if name is not None and not (
            isinstance(name, str) and TILE_NAME.fullmatch(name) and ".." not in name
        ):
            return f"{key} 无效", f"{key} is not a file name below the panorama folder"
    return None
