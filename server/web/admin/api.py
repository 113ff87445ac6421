"""The admin JSON API, ``/api/v1/admin``: the session (who, role, halls, CSRF token; sign in and out),
users (admins only) and the halls the caller may see. Described in the OpenAPI document (tag ``admin``)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from sqlalchemy import select

from ...accounts.users import list_users, may_edit_hall, may_read_hall
from ...db import get_session
from ...errors import ApiError, not_found
from ...models import Hall
from ...vocabulary import ROLES
from . import api_bp
from .auth import current, public, require, session_body, set_cookie, sign_in, sign_out, staff_headers

# Every answer under /admin and /api/v1/admin, errors of unknown paths and methods included.
api_bp.after_app_request(staff_headers)


@api_bp.get("/session")
@require("viewer")
def get_session_info():
    """Who is signed in, with role, halls and the CSRF token to send on writes."""
    return session_body(current())


@api_bp.post("/session")
@public
def create_session():
    """Sign in with JSON ``{"username", "password"}``: a new session cookie (201).

    No CSRF token exists yet: the JSON content type is the guard (a cross-site form cannot send it, and a
    cross-site script would need a CORS preflight, which the admin API never grants)."""
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "请以 JSON 提交", "Send the sign-in as JSON")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "bad_json", "请求内容不是有效的 JSON 对象", "The body is not a JSON object")
    token, row = sign_in(data.get("username"), data.get("password"))
    response = jsonify(session_body(row))
    response.status_code = 201
    response.headers["Location"] = "/api/v1/admin/session"
    set_cookie(response, "vhall_admin", token)
    return response


@api_bp.delete("/session")
@require("viewer")
def delete_session():
    """Sign out: end the session (204)."""
    response = Response(status=204)
    sign_out(response)
    return response


def _user_row(user) -> dict[str, Any]:
    return {
        "name": user.name,
        "role": user.role,
        "role_label": ROLES[user.role]._asdict(),
        "halls": [h.slug for h in user.halls],
        "disabled": user.disabled,
        "created_at": user.created_at.isoformat(),
        "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
    }


@api_bp.get("/users")
@require("admin")
def users():
    """Every staff account (admins only)."""
    return {"users": [_user_row(u) for u in list_users(get_session())]}


def _hall_row(hall: Hall, user) -> dict[str, Any]:
    return {
        "slug": hall.slug,
        "name": {"zh": hall.name_zh, "en": hall.name_en},
        "may_edit": may_edit_hall(user, hall.slug),
    }


@api_bp.get("/halls")
@require("viewer")
def halls():
    """The halls the caller may see, each saying whether the caller may change it."""
    user = current().user
    rows = get_session().scalars(select(Hall).order_by(Hall.slug))
    return {"halls": [_hall_row(h, user) for h in rows if may_read_hall(user, h.slug)]}


@api_bp.get("/halls/<hall>")
@require("viewer", hall_from="hall")
def hall(hall: str):
    """One hall the caller may see."""
    row = get_session().scalar(select(Hall).where(Hall.slug == hall))
    if row is None:
        raise not_found("大厅", "Hall", hall)
    return _hall_row(row, current().user)
