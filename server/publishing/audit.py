"""The audit log: every change staff make, recorded by one function that any writer calls (drafts,
publishing, the kiosk registry, the spreadsheet import), and read back filtered and paged.

An entry is ``at`` (aware UTC), ``user`` (a user name; None for the system), ``scope`` (``hall:<slug>``,
``catalogue``, or None for what belongs to no scope), ``object_type`` and ``object_id`` (``counter`` /
``A01``), ``action`` (``create``, ``update``, ``delete``, ``discard``, ``publish``, ``restore`` …), the object
``before`` and ``after`` as JSON (None where it did not exist) and a one-line ``summary``. Entries are added
inside the caller's transaction, so a change and its record commit (or roll back) together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import AuditEntry

SUMMARY_MAX = 500


def record(
    session: Session,
    *,
    user: str | None,
    scope: str | None,
    object_type: str,
    object_id: str | None,
    action: str,
    before: Any = None,
    after: Any = None,
    summary: str = "",
    at: datetime | None = None,
) -> AuditEntry:
    """Add one audit entry to *session* (the caller commits it with the change it records)."""
    entry = AuditEntry(
        at=at or datetime.now(UTC),
        user_name=user,
        scope=scope,
        object_type=object_type,
        object_id=object_id,
        action=action,
        before=before,
        after=after,
        summary=summary[:SUMMARY_MAX],
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class Filter:
    """What to look for: any of scope, user, object type and id, and a half-open time range [since, until)."""

    scope: str | None = None
    user: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    within: tuple[str, ...] | None = None  # only these scopes (an editor's halls); None: any


def _where(query, f: Filter):
    if f.scope is not None:
        query = query.where(AuditEntry.scope == f.scope)
    if f.user is not None:
        query = query.where(AuditEntry.user_name == f.user)
    if f.object_type is not None:
        query = query.where(AuditEntry.object_type == f.object_type)
    if f.object_id is not None:
        query = query.where(AuditEntry.object_id == f.object_id)
    if f.within is not None:
        query = query.where(AuditEntry.scope.in_(f.within))
    if f.since is not None:
        query = query.where(AuditEntry.at >= f.since)
    if f.until is not None:
        query = query.where(AuditEntry.at < f.until)
    return query


def search(
    session: Session, f: Filter = Filter(), *, offset: int = 0, limit: int | None = 50
) -> tuple[int, list[AuditEntry]]:
    """The entries matching *f*, newest first: the total count and the page [offset, offset + limit)."""
    total = session.scalar(_where(select(func.count()).select_from(AuditEntry), f)) or 0
    query = _where(select(AuditEntry), f).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return total, list(session.scalars(query))


def last_change(session: Session, scope: str, object_type: str, object_id: str) -> AuditEntry | None:
    """The newest entry about one object of *scope* (who changed it last, and when), or None."""
    found = search(session, Filter(scope=scope, object_type=object_type, object_id=object_id), limit=1)[1]
    return found[0] if found else None


def entry_doc(entry: AuditEntry) -> dict[str, Any]:
    """An entry as the API answers it."""
    return {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "user": entry.user_name,
        "scope": entry.scope,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "action": entry.action,
        "before": entry.before,
        "after": entry.after,
        "summary": entry.summary,
    }
