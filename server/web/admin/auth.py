"""Who is signed in, and one way for every admin view to say what it needs: ``@require(role, hall_from=…)``.

``require`` checks, in order: a live session (else 401, or the sign-in page for pages), the role (403),
the hall named by the view argument *hall_from* (403 unless the user may read it, or change it when
``edit``), and for any state-changing method the session's CSRF token sent as ``X-CSRF-Token`` or the form
field ``csrf_token`` (403). ``public`` marks the few views open to anyone (sign-in). Each view carries its
``Access`` as ``view.access``, which the route test reads.

The session cookie is ``vhall_admin`` (``__Host-vhall_admin`` over HTTPS: Secure, Path=/, no Domain),
HttpOnly and SameSite=Lax. Sign-in goes through :func:`sign_in` for the form and the JSON API alike.
"""

from __future__ import annotations

import hmac
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import Response, current_app, g, redirect, request, url_for
from sqlalchemy.exc import IntegrityError

from ...accounts import sessions
from ...accounts.passwords import dummy_hash, hash_password, needs_rehash, verify_password
from ...accounts.users import at_least, get_user, may_edit_hall, may_read_hall
from ...config import now
from ...db import get_session
from ...errors import ApiError
from ...models import StaffSession

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
COOKIE = "vhall_admin"
LOGIN_CSRF_COOKIE = "vhall_login_csrf"  # the sign-in form's token before there is a session (double submit)


@dataclass(frozen=True)
class Access:
    """What a view needs: a minimum *role* (None: anyone), the view argument naming a hall, and whether it
    changes that hall (``edit``) or only reads it."""

    role: str | None
    hall_from: str | None = None
    edit: bool = False


def cookie_name(base: str = COOKIE) -> str:
    """The cookie's name: ``__Host-`` prefixed over HTTPS (ProxyFix makes a proxied request's scheme true)."""
    return f"__Host-{base}" if request.is_secure else base


def set_cookie(response: Response, base: str, value: str) -> None:
    """Set a staff cookie: HttpOnly, SameSite=Lax, Path=/, Secure over HTTPS; ends with the browser."""
    response.set_cookie(
        cookie_name(base), value, httponly=True, samesite="Lax", secure=request.is_secure, path="/"
    )


def clear_cookie(response: Response, base: str = COOKIE) -> None:
    response.delete_cookie(
        cookie_name(base), path="/", secure=request.is_secure, httponly=True, samesite="Lax"
    )


def _timeouts() -> tuple[timedelta, timedelta]:
    config = current_app.config
    return timedelta(minutes=config["SESSION_IDLE_MINUTES"]), timedelta(hours=config["SESSION_MAX_HOURS"])


def current() -> StaffSession | None:
    """This request's live staff session (checked against both timeouts and marked used), or None."""
    if "staff" not in g:
        idle, absolute = _timeouts()
        db = get_session()
        g.staff = sessions.find(
            db, request.cookies.get(cookie_name()), now=now(), idle=idle, absolute=absolute
        )
        db.commit()
    return g.staff


def unauthenticated() -> ApiError:
    return ApiError(401, "not_signed_in", "请先登录", "Please sign in first")


def forbidden(zh: str = "您的账号没有此权限", en: str = "Your account may not do this") -> ApiError:
    return ApiError(403, "forbidden", zh, en)


def check_csrf(expected: str) -> None:
    """Refuse (403) a request whose CSRF token (header or form field) is missing or not *expected*."""
    sent = request.headers.get("X-CSRF-Token")
    if sent is None and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        sent = request.form.get("csrf_token")
    if not sent or not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise ApiError(
            403,
            "csrf",
            "安全校验失败：请刷新页面后重试",
            "Security check failed (CSRF token missing or wrong): reload the page and try again",
        )


def require(role: str = "viewer", *, hall_from: str | None = None, edit: bool = False) -> Callable:
    """Decorate an admin view: it needs a session of at least *role*, access to the hall in the view
    argument *hall_from* (to change it when *edit*), and a CSRF token on state-changing methods."""
    access = Access(role, hall_from, edit)

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            staff = current()
            if staff is None:
                if request.blueprint == "admin_pages":
                    return redirect(url_for("admin_pages.login", **_lang_arg()))
                raise unauthenticated()
            user = staff.user
            if not at_least(user, role):
                raise forbidden()
            if hall_from is not None:
                slug = kwargs[hall_from]
                allowed = may_edit_hall(user, slug) if edit else may_read_hall(user, slug)
                if not allowed:
                    raise forbidden(
                        f"您的账号不能管理大厅 {slug}", f"Your account may not manage hall {slug}"
                    )
            if request.method not in SAFE_METHODS:
                check_csrf(staff.csrf_token)
            return view(*args, **kwargs)

        wrapper.access = access  # type: ignore[attr-defined]
        return wrapper

    return decorate


def public(view: Callable) -> Callable:
    """Mark a view open to anyone (sign-in); it checks what it needs itself."""
    view.access = Access(None)  # type: ignore[attr-defined]
    return view


def _lang_arg() -> dict[str, str]:
    return {"lang": "en"} if request.args.get("lang") == "en" else {}


class SignInError(ApiError):
    """Sign-in refused: wrong name or password (401), or locked after too many failures (429)."""


def wrong_credentials() -> SignInError:
    # The same words for an unknown name, a wrong password and a disabled account: nothing to enumerate.
    return SignInError(401, "bad_credentials", "用户名或密码不正确", "The user name or password is wrong")


def locked(wait: timedelta) -> SignInError:
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    error = SignInError(
        429,
        "locked",
        f"登录失败次数过多，已暂时锁定，请 {minutes} 分钟后再试",
        f"Too many failed sign-ins: locked for now, try again in {minutes} minute{'s' if minutes != 1 else ''}",
        retry_after=math.ceil(wait.total_seconds()),
    )
    g.retry_after = math.ceil(wait.total_seconds())
    return error


def _limits() -> sessions.Limits:
    config = current_app.config
    return sessions.Limits(
        per_user=config["LOGIN_MAX_FAILURES"],
        per_address=config["LOGIN_MAX_FAILURES_ADDRESS"],
        window=timedelta(minutes=config["LOGIN_WINDOW_MINUTES"]),
        lock=timedelta(minutes=config["LOGIN_LOCK_MINUTES"]),
    )


def sign_in(name: Any, password: Any) -> tuple[str, StaffSession]:
    """Check *name* and *password* and start a new session (ending the request's old one): the cookie
    token and the row. SignInError (401, or 429 while the name or the address is locked) otherwise."""
    if not isinstance(name, str) or not isinstance(password, str) or not name or not password:
        raise ApiError(400, "missing_credentials", "请填写用户名和密码", "Enter your user name and password")
    db = get_session()
    moment = now()
    keys = sessions.throttle_keys(name, request.remote_addr)
    wait = sessions.locked_for(db, keys, now=moment)
    if wait is not None:
        raise locked(wait)
    cost = current_app.config["PASSWORD_SCRYPT_N"]
    user = get_user(db, name.strip()) if len(name) <= 100 else None
    # An unknown name costs one hash too, so timing tells nothing either.
    good = verify_password(password, user.password_hash if user else dummy_hash(cost))
    if not good or user is None or user.disabled:
        try:
            sessions.record_failure(db, keys, _limits(), now=moment)
            db.commit()
        except IntegrityError:  # another process counted the first failure of a key at the same moment
            db.rollback()
            sessions.record_failure(db, keys, _limits(), now=moment)
            db.commit()
        wait = sessions.locked_for(db, keys, now=moment)
        raise locked(wait) if wait is not None else wrong_credentials()
    sessions.record_success(db, keys)
    if needs_rehash(user.password_hash, n=cost):
        user.password_hash = hash_password(password, n=cost)
    sessions.end(db, request.cookies.get(cookie_name()))  # rotation: the old cookie is dead from now on
    user.last_login_at = moment
    token, row = sessions.start(db, user, address=request.remote_addr, now=moment)
    db.commit()
    g.staff = row
    return token, row


def sign_out(response: Response) -> None:
    """End this request's session and clear its cookie."""
    db = get_session()
    sessions.end(db, request.cookies.get(cookie_name()))
    db.commit()
    clear_cookie(response)


STAFF_PATHS = ("/admin/", "/api/v1/admin/")


def staff_headers(response: Response) -> Response:
    """After every answer on the staff side: never cached; ``Retry-After`` on a lock-out."""
    if not (request.path + "/").startswith(STAFF_PATHS):
        return response
    response.headers["Cache-Control"] = "no-store"
    retry = g.get("retry_after")
    if retry and response.status_code == 429:
        response.headers["Retry-After"] = str(retry)
    return response


def session_body(row: StaffSession) -> dict[str, Any]:
    """The API's answer about a session: who, role, halls, CSRF token and when it ends."""
    idle, absolute = _timeouts()
    user = row.user
    return {
        "user": {
            "name": user.name,
            "role": user.role,
            "halls": [h.slug for h in user.halls],
            "all_halls": user.role != "editor",
        },
        "csrf_token": row.csrf_token,
        "idle_expires_at": (row.last_seen_at + idle).isoformat(),
        "expires_at": (row.created_at + absolute).isoformat(),
    }
