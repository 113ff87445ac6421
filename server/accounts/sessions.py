"""Server-side staff sessions and failed sign-in throttling, both in the database.

A session is a random token in the browser's cookie; the database keeps only its SHA-256, with the user,
when it began, when it was last used, the client address and its CSRF token. :func:`find` ends a session
that has been idle or alive too long, on every request. Signing in always starts a new session (the old
cookie, if any, is ended), so a token planted before sign-in is worthless after it.

Throttling counts failures per key — the typed user name (whether it exists or not, so the answers reveal
nothing) and the client address — within a window; at the limit the key is locked for a while.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from ..models import LoginThrottle, StaffSession, User


def token_hash(token: str) -> str:
    """What the database keeps of a session token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start(session: Session, user: User, *, address: str | None, now: datetime) -> tuple[str, StaffSession]:
    """A new session for *user* (the caller commits): the cookie's token and the row."""
    token = secrets.token_urlsafe(32)
    row = StaffSession(
        token_hash=token_hash(token),
        user=user,
        created_at=now,
        last_seen_at=now,
        client_address=(address or "")[:64] or None,
        csrf_token=secrets.token_urlsafe(32),
    )
    session.add(row)
    return token, row


def find(
    session: Session, token: str | None, *, now: datetime, idle: timedelta, absolute: timedelta
) -> StaffSession | None:
    """The live session whose cookie carries *token*, marked as used now; an expired one (idle or too
    old) or a disabled user's is ended, and None answered. The caller commits."""
    if not token or len(token) > 200:
        return None
    row = session.scalar(
        select(StaffSession)
        .where(StaffSession.token_hash == token_hash(token))
        .options(selectinload(StaffSession.user).selectinload(User.halls))
    )
    if row is None:
        return None
    if now - row.last_seen_at > idle or now - row.created_at > absolute or row.user.disabled:
        session.delete(row)
        return None
    row.last_seen_at = now
    return row


def end(session: Session, token: str | None) -> None:
    """End the session of *token*, if there is one (the caller commits)."""
    if token:
        session.execute(delete(StaffSession).where(StaffSession.token_hash == token_hash(token)))


@dataclass(frozen=True)
class Limits:
    """Failures allowed per user name and per address within *window*, and how long a key stays locked."""

    per_user: int
    per_address: int
    window: timedelta
    lock: timedelta


def throttle_keys(name: str, address: str | None) -> dict[str, str]:
    """The throttle keys of one sign-in attempt: ``user`` and ``address``."""
    return {"user": f"user:{name.strip().lower()[:100]}", "address": f"address:{address or '-'}"}


def locked_for(session: Session, keys: dict[str, str], *, now: datetime) -> timedelta | None:
    """How long the longer-locked of *keys* stays locked, or None when none is."""
    rows = session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(list(keys.values()))))
    waits = [row.locked_until - now for row in rows if row.locked_until and row.locked_until > now]
    return max(waits) if waits else None


def record_failure(session: Session, keys: dict[str, str], limits: Limits, *, now: datetime) -> None:
    """Count a failed sign-in against *keys*; lock a key that reaches its limit (the caller commits)."""
    for kind, key in keys.items():
        row = session.get(LoginThrottle, key)
        if row is None:
            row = LoginThrottle(key=key, failures=0, window_start=now)
            session.add(row)
        if now - row.window_start > limits.window:
            row.failures, row.window_start = 0, now
        row.failures += 1
        limit = limits.per_user if kind == "user" else limits.per_address
        if row.failures >= limit:
            row.locked_until = now + limits.lock
            row.failures, row.window_start = 0, now


def record_success(session: Session, keys: dict[str, str]) -> None:
    """Forget the failures of the user name that just signed in (the address keeps its count)."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == keys["user"]))
