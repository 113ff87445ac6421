"""``POST /api/v1/kiosks/<kiosk>/heartbeat``: a kiosk page reports that it runs, the version it shows, its
uptime and the errors it met since the last report (issue 14 §4). Staff read the result in the admin API
(``/api/v1/admin/kiosks``) and on ``/admin/kiosks``.

No staff session is asked for (a kiosk has none), so the endpoint is kept narrow: only a registered kiosk's
id, a small JSON body (a form or a cross-site page cannot send ``application/json`` without a CORS preflight,
which we never answer, and a cross-site ``Origin`` / ``Sec-Fetch-Site`` is refused outright), at most two
writes per heartbeat interval per kiosk (429 with ``Retry-After``), and all it changes is that kiosk's health
row: no cookie is read or set. The answer tells the kiosk the catalogue revision now published, so a kiosk
learns of a new version at its next heartbeat.
"""

from __future__ import annotations

import json
import re

from flask import Response, current_app, jsonify, request

from ...config import now
from ...db import current_revision, get_session
from ...errors import ApiError
from ...kiosks import KioskError
from ...kiosks.registry import HEARTBEAT_BODY_LIMIT, check_heartbeat, get_kiosk, record_heartbeat
from ...vocabulary import SLUG_PATTERN
from . import bp
from .http import reject_unknown_args


def _same_origin() -> None:
    """Refuse a request a browser marks as sent from another site."""
    origin = request.headers.get("Origin")
    site = request.headers.get("Sec-Fetch-Site")
    if (origin is not None and origin != request.host_url.rstrip("/")) or site not in (None, "same-origin"):
        raise ApiError(403, "cross_origin", "只接受本站页面的心跳", "Heartbeats come from our own pages only")


def _body() -> object:
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "请以 JSON 提交", "Send the heartbeat as JSON")
    length = request.content_length
    if length is None or length > HEARTBEAT_BODY_LIMIT:
        raise ApiError(
            413,
            "too_large",
            f"心跳内容应不超过 {HEARTBEAT_BODY_LIMIT} 字节",
            f"A heartbeat is at most {HEARTBEAT_BODY_LIMIT} bytes",
        )
    try:
        return json.loads(request.get_data(cache=False))
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "bad_json", "请求内容不是有效的 JSON", "The body is not valid JSON") from None


@bp.post("/kiosks/<kiosk>/heartbeat")
def kiosk_heartbeat(kiosk: str):
    """Record a registered kiosk's heartbeat; answer the version now published."""
    reject_unknown_args()
    _same_origin()
    if not re.match(SLUG_PATTERN, kiosk):
        raise ApiError(
            404, "no_such_kiosk", f"没有这台自助终端：{kiosk[:64]}", f"No such kiosk: {kiosk[:64]}"
        )
    session = get_session()
    row = get_kiosk(session, kiosk)
    fields = check_heartbeat(_body())
    try:
        record_heartbeat(row, fields, now=now(), interval=current_app.config["KIOSK_HEARTBEAT_SECONDS"])
    except KioskError as exc:
        session.rollback()
        if exc.status == 429:
            response: Response = current_app.handle_user_exception(exc)
            response.headers["Retry-After"] = str(exc.details["retry_after"])
            response.headers["Cache-Control"] = "no-store"
            return response
        raise
    session.commit()
    response = jsonify({"recorded": True, "version": current_revision()})
    response.headers["Cache-Control"] = "no-store"
    return response
