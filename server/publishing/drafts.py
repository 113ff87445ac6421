"""Drafts → publish → versions → restore, for any *scope* of editable data, with the audit log.

A scope is a string: ``hall:<slug>`` (a hall's facts and counters, ``halldata``) or ``catalogue`` (the shared
services, ``cataloguedata``). What differs per scope sits behind a :class:`ScopeKind` in a small registry: how to find
its target (a hall row), snapshot it from the live tables, apply a snapshot to them, check one object or the
whole snapshot, and check it against the published hall model. Everything else is here, once:

- **Snapshots** are JSON: *collections* of keyed objects (``{"counters": {"A01": {...}}}``) and *singles*
  (``{"facts": {...}}``). Each object carries an integer ``version``, raised by every saved change.
- **Versions**: every published snapshot is kept (``PublishedVersion``: number, who, when, summary,
  restored_from). A scope with none yet gets its live data recorded as its current version on first use.
- **The draft**: one per scope (``Draft``), a copy of the current version that edits change; the live
  tables (what citizens see) change only by publishing. A save names the version of the object it started
  from: another one gives :class:`Conflict` (409) with the other person's change (who, when, the object).
- **Publish**: in one transaction, checks the whole draft (per field, and the one-to-one check with the
  hall model), refuses a draft begun before the current version (409), applies it, records the new
  version, bumps the catalogue revision (every process and ETag sees it on its next request), drops the
  draft and records the audit entry. **Restore** publishes an earlier version's snapshot as a new version.

Times are aware UTC passed in by the caller (``config.now()``).
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..config import now as clock_now
from ..db import bump_revision
from ..models import Draft, PublishedVersion
from ..problems import HallError
from . import audit, readable

SUMMARY_MAX = 500


class DraftError(HallError):
    """A draft, publish or version request refused (404 unknown, 409 conflict, 422 bad fields …)."""


class Conflict(DraftError):
    """The object changed since the caller read it: 409 with the other person's change."""


class Invalid(DraftError):
    """422: fields at fault, answered as ``error.details: [{field, zh, en}]``."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        first = problems[0]
        super().__init__(
            "invalid",
            f"有 {len(problems)} 处需要修改：{first['field']} {first['zh']}",
            f"{len(problems)} field(s) to correct: {first['field']} {first['en']}",
            status=422,
        )
        self.problems = problems

    def body(self) -> dict[str, Any]:
        body = super().body()
        body["error"]["details"] = self.problems
        return body

    def text(self) -> str:
        return "\n".join([super().text(), *(f"{p['field']}: {p['zh']} / {p['en']}" for p in self.problems)])


def invalid(problems: list[dict[str, str]]) -> Invalid:
    """422 naming every field at fault."""
    return Invalid(problems)


@dataclass(frozen=True)
class ScopeKind:
    """The per-scope parts of drafts. *collections* maps a collection of the snapshot to its object type
    (``counters`` → ``counter``), *singles* a single object to its type (``facts`` → ``facts``)."""

    name: str
    collections: dict[str, str]
    singles: dict[str, str]
    target: Callable[[Session, str | None], Any]  # the row the scope is about; DraftError 404 if none
    snapshot: Callable[[Session, Any], dict[str, Any]]
    apply: Callable[[Session, Any, dict[str, Any]], None]
    # Problems of one object of a collection (or a single when key is None) within the whole snapshot.
    check_object: Callable[[Session, Any, str, str | None, dict[str, Any], dict[str, Any]], list]
    problems: Callable[[Session, Any, dict[str, Any]], list]
    # The one-to-one report (an object with ``publishable`` and ``to_dict()``) or None when not applicable.
    model_report: Callable[[Flask, Any, dict[str, Any]], Any] = lambda app, target, data: None
    # What would mislead a citizen: ``{"errors": [...], "warnings": [...]}``; errors refuse a publish.
    publish_check: Callable[[Any, dict[str, Any]], dict[str, list]] = lambda target, data: {
        "errors": [],
        "warnings": [],
    }
    # The number of the version the live data are when none is recorded yet; and after a publish as *n*.
    live_number: Callable[[Any], int] = lambda target: 1
    published: Callable[[Any, int, datetime], None] = lambda target, number, now: None


KINDS: dict[str, ScopeKind] = {}


def register(kind: ScopeKind) -> None:
    """Make scopes of *kind* (``<name>:<key>`` or ``<name>``) editable through drafts."""
    KINDS[kind.name] = kind


@dataclass
class Scope:
    """A resolved scope: its string, kind and target row."""

    name: str
    kind: ScopeKind
    target: Any


def resolve(session: Session, scope: str) -> Scope:
    """The scope named *scope* (``hall:guigang``) with its target; DraftError 404 when unknown."""
    name, _, key = scope.partition(":")
    kind = KINDS.get(name)
    if kind is None:
        raise DraftError("unknown_scope", f"未知的数据范围：{scope}", f"Unknown scope: {scope}", status=404)
    return Scope(scope, kind, kind.target(session, key or None))


# ---- snapshots with object versions ----


def _objects(kind: ScopeKind, data: dict[str, Any]):
    """(collection, key, object) of every object of snapshot *data*; key None for a single (none for a
    single that is null, such as a hall without a model)."""
    for single in kind.singles:
        if data[single] is not None:
            yield single, None, data[single]
    for collection in kind.collections:
        for key, obj in data[collection].items():
            yield collection, key, obj


def plain(obj: dict[str, Any] | None) -> dict[str, Any] | None:
    """An object without its ``version`` (what is compared and applied)."""
    return None if obj is None else {k: v for k, v in obj.items() if k != "version"}


def strip(kind: ScopeKind, data: dict[str, Any]) -> dict[str, Any]:
    """Snapshot *data* without object versions."""
    out = {single: plain(data[single]) for single in kind.singles}
    out.update({c: {k: plain(o) for k, o in data[c].items()} for c in kind.collections})
    return out


def versioned(kind: ScopeKind, data: dict[str, Any], base: dict[str, Any] | None = None) -> dict[str, Any]:
    """Snapshot *data* with object versions: each object's version in *base*, raised by one where the
    object differs from *base*'s (1 where *base* has none)."""
    out = copy.deepcopy(strip(kind, data))
    for collection, key, obj in _objects(kind, out):
        before = _get(kind, base, collection, key) if base else None
        version = before.get("version", 1) if before else 0
        obj["version"] = version if before and plain(before) == obj else version + 1
    return out


def complete(session: Session, scope: Scope, data: dict[str, Any]) -> dict[str, Any]:
    """Snapshot *data* with every collection and single of its kind: one recorded before a collection or
    single joined the scope (a hall's scenes, its model) gets it from the live tables, each object at
    version 1 — so publishing or restoring it leaves that part as it is (*data* itself when nothing is
    missing)."""
    missing = [c for c in (*scope.kind.collections, *scope.kind.singles) if c not in data]
    if not missing:
        return data
    live = scope.kind.snapshot(session, scope.target)
    out = copy.deepcopy(data)
    for name in missing:
        if name in scope.kind.singles:
            out[name] = None if live[name] is None else {**plain(live[name]), "version": 1}
        else:
            out[name] = {k: {**plain(o), "version": 1} for k, o in live[name].items()}
    return out


def _get(kind: ScopeKind, data: dict[str, Any], collection: str, key: str | None) -> dict | None:
    return data[collection] if key is None else data[collection].get(key)


# ---- versions ----


def latest(session: Session, scope: Scope) -> PublishedVersion:
    """The current published version of *scope*; its live data recorded as one when none is yet."""
    found = session.scalar(
        select(PublishedVersion)
        .where(PublishedVersion.scope == scope.name)
        .order_by(PublishedVersion.number.desc())
        .limit(1)
    )
    if found is not None:
        return found
    row = PublishedVersion(
        scope=scope.name,
        number=scope.kind.live_number(scope.target),
        snapshot=versioned(scope.kind, scope.kind.snapshot(session, scope.target)),
        created_by=None,
        created_at=clock_now(),
        summary="发布记录开始前的数据 / the data as found when versions began",
        restored_from=None,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # another process recorded it first
        return latest(session, scope)
    return row


def versions(session: Session, scope: Scope) -> list[PublishedVersion]:
    """Every published version of *scope*, newest first."""
    latest(session, scope)
    return list(
        session.scalars(
            select(PublishedVersion)
            .where(PublishedVersion.scope == scope.name)
            .order_by(PublishedVersion.number.desc())
        )
    )


def version(session: Session, scope: Scope, number: int) -> PublishedVersion:
    """Version *number* of *scope*; DraftError 404 when there is none."""
    latest(session, scope)
    found = session.scalar(
        select(PublishedVersion).where(
            PublishedVersion.scope == scope.name, PublishedVersion.number == number
        )
    )
    if found is None:
        raise DraftError(
            "unknown_version", f"没有第 {number} 版", f"No version {number} of {scope.name}", status=404
        )
    return found


# ---- the draft ----


def draft_row(session: Session, scope: Scope, *, lock: bool = False) -> Draft | None:
    """The draft of *scope*, or None (locked for update when *lock*, so two writers take turns)."""
    query = select(Draft).where(Draft.scope == scope.name)
    return session.scalar(query.with_for_update() if lock else query)


def _draft_for_writing(session: Session, scope: Scope, *, user: str, now: datetime) -> Draft:
    """The scope's draft, locked for this transaction; a new one from the current version when there is none."""
    row = draft_row(session, scope, lock=True)
    if row is not None:
        row.snapshot = complete(session, scope, row.snapshot)
        return row
    base = latest(session, scope)
    return Draft(
        scope=scope.name,
        snapshot=copy.deepcopy(complete(session, scope, base.snapshot)),
        base_version=base.number,
        updated_by=user,
        updated_at=now,
    )


def current(session: Session, scope: Scope) -> tuple[dict[str, Any], Draft | None]:
    """The snapshot being edited (the draft's, else the current version's) and the draft row if any."""
    row = draft_row(session, scope)
    return complete(session, scope, row.snapshot if row else latest(session, scope).snapshot), row


def get_object(session: Session, scope: Scope, collection: str, key: str | None) -> dict[str, Any]:
    """One object of the snapshot being edited; DraftError 404 when it has none by *key*."""
    data, _row = current(session, scope)
    found = _get(scope.kind, data, collection, key)
    if found is None:
        raise _missing(scope, collection, key)
    return found


def _missing(scope: Scope, collection: str, key: str | None) -> DraftError:
    kind = scope.kind.collections.get(collection, collection)
    return DraftError(
        "not_found", f"找不到 {kind}：{key}", f"{kind} not found: {key}", status=404, details={"key": key}
    )


def _type(kind: ScopeKind, collection: str) -> str:
    return kind.collections.get(collection) or kind.singles[collection]


def save(
    session: Session,
    scope: Scope,
    collection: str,
    key: str | None,
    obj: dict[str, Any] | None,
    *,
    expected: int | None,
    user: str,
    now: datetime,
    summary: str | None = None,
) -> dict[str, Any] | None:
    """Put *obj* (None: delete) at *key* of *collection* in the draft, creating the draft from the current
    version if there is none; the caller commits. *expected* is the object's version the caller started
    from (None: the object must not exist yet). Conflict (409) when it is not the draft's; DraftError 422
    naming each field at fault. *summary* is the audit entry's (a generic one by default). Returns the
    object as saved, with its new version."""
    kind = scope.kind
    row = _draft_for_writing(session, scope, user=user, now=now)
    data = copy.deepcopy(row.snapshot)
    before = _get(kind, data, collection, key)
    object_type = _type(kind, collection)
    object_id = key if key is not None else scope.name
    if (before or {}).get("version") != expected:
        raise _conflict(session, scope, object_type, object_id, before, expected)
    if obj is not None:
        plain_obj = plain(obj)
        problems = kind.check_object(session, scope.target, collection, key, plain_obj, data)
        if problems:
            raise invalid(problems)
        if before is not None and plain(before) == plain_obj:
            return before  # nothing changed: no new version, no audit entry
        saved = {**plain_obj, "version": (before or {}).get("version", 0) + 1}
        if key is None:
            data[collection] = saved
        else:
            data[collection][key] = saved
    else:
        saved = None
        if key is None:
            raise DraftError("not_deletable", "不能删除", "This object cannot be deleted", status=405)
        del data[collection][key]
    row.snapshot = data
    session.add(row)
    row.updated_by = user
    row.updated_at = now
    action = "create" if before is None else "delete" if obj is None else "update"
    audit.record(
        session,
        user=user,
        scope=scope.name,
        object_type=object_type,
        object_id=object_id,
        action=action,
        before=plain(before),
        after=plain(saved),
        summary=summary or f"{action} {object_type} {object_id} (draft)",
        at=now,
    )
    return saved


def fingerprint(data: dict[str, Any]) -> str:
    """A short fingerprint of snapshot *data* (the draft version a preview was computed against): equal
    snapshots, equal fingerprints."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def editing_state(session: Session, scope: Scope, *, lock: bool = False) -> dict[str, Any]:
    """The snapshot being edited as ``{version, changed_by, changed_at}``: its fingerprint and the last
    change to it (the draft's last save, else the current version's publish)."""
    row = draft_row(session, scope, lock=lock)
    if row is not None:
        data, who, at = row.snapshot, row.updated_by, row.updated_at
    else:
        base = latest(session, scope)
        data, who, at = base.snapshot, base.created_by, base.created_at
    return {"version": fingerprint(data), "changed_by": who, "changed_at": at.isoformat() if at else None}


def refuse_stale(session: Session, scope: Scope, expected: str) -> None:
    """Conflict (409 ``stale_preview``, naming who changed the draft and when) unless the snapshot being
    edited is still the one of fingerprint *expected*; locks the draft for this transaction."""
    state = editing_state(session, scope, lock=True)
    if state["version"] != expected:
        who = state["changed_by"] or "—"
        raise Conflict(
            "stale_preview",
            f"预览之后草稿已被修改（{who}，{state['changed_at']}）：请重新预览后再导入",
            f"The draft changed after the preview ({who}, {state['changed_at']}): preview again, then import",
            status=409,
            details={"base": expected, **state},
        )


def replace_collection(
    session: Session,
    scope: Scope,
    collection: str,
    objects: dict[str, dict[str, Any]],
    *,
    user: str,
    now: datetime,
    summary: str,
) -> dict[str, Any]:
    """Make *objects* (checked by the caller, no versions) the whole *collection* of the draft, creating the
    draft if there is none; each changed object's version raised; one audit entry (action ``import``) with
    the changes. The caller commits. Answers the changes (``compare``'s part for *collection*)."""
    row = _draft_for_writing(session, scope, user=user, now=now)
    data = copy.deepcopy(row.snapshot)
    before = data[collection]
    after = {}
    for key, obj in objects.items():
        old = before.get(key)
        version = (old or {}).get("version", 0)
        after[key] = {**plain(obj), "version": version if old and plain(old) == plain(obj) else version + 1}
    changes = compare(scope.kind, {**data, collection: before}, {**data, collection: after})[collection]
    if not any(changes.values()):
        return changes
    data[collection] = after
    row.snapshot = data
    session.add(row)
    row.updated_by, row.updated_at = user, now
    audit.record(
        session,
        user=user,
        scope=scope.name,
        object_type=scope.kind.collections[collection],
        object_id=None,
        action="import",
        before=None,
        after=changes,
        summary=summary,
        at=now,
    )
    return changes


def _conflict(
    session: Session, scope: Scope, object_type: str, object_id: str, obj: dict | None, expected: int | None
) -> Conflict:
    change = audit.last_change(session, scope.name, object_type, object_id)
    if obj is not None and expected is None:
        zh, en = f"{object_id} 已存在", f"{object_id} already exists"
    elif obj is None:
        zh, en = f"{object_id} 已被删除", f"{object_id} has been deleted"
    else:
        zh = f"{object_id} 已被他人修改（您基于第 {expected} 版，现为第 {obj.get('version')} 版），请查看后再保存"
        en = (
            f"{object_id} was changed by someone else (you started from version {expected}, it is now "
            f"{obj.get('version')}): look at their change, then save again"
        )
    return Conflict(
        "conflict",
        zh,
        en,
        status=409,
        details={
            "current": obj,
            "changed_by": change.user_name if change else None,
            "changed_at": change.at.isoformat() if change else None,
            "change": audit.entry_doc(change) if change else None,
        },
    )


def discard(session: Session, scope: Scope, *, user: str, now: datetime) -> bool:
    """Drop the draft of *scope* (the caller commits); whether there was one."""
    row = draft_row(session, scope, lock=True)
    if row is None:
        return False
    changes = diff(session, scope)
    session.delete(row)
    audit.record(
        session,
        user=user,
        scope=scope.name,
        object_type="draft",
        object_id=scope.name,
        action="discard",
        before=changes,
        after=None,
        summary=f"discard the draft of {scope.name}",
        at=now,
    )
    return True


def commit(session: Session) -> None:
    """Commit a draft change, publish or restore. Two writers making the first draft of a scope, or
    publishing the same version number, at the same moment: the second gets Conflict (409, try again),
    nothing of it written."""
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(
            "busy",
            "有人同时保存了同一份数据，请刷新后再试",
            "Someone saved the same data at the same moment: reload and try again",
            status=409,
        ) from None


# ---- differences ----


def _fields(before: dict | None, after: dict | None) -> dict[str, dict[str, Any]]:
    before, after = plain(before) or {}, plain(after) or {}
    return {
        name: {"before": before.get(name), "after": after.get(name)}
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


def compare(kind: ScopeKind, old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """What changed from snapshot *old* to *new*: per collection the keys added (with the object), changed
    (field by field, before and after) and removed (with the object); per single its changed fields."""
    out: dict[str, Any] = {}
    for single in kind.singles:
        out[single] = {"changed": _fields(old[single], new[single])}
    for collection in kind.collections:
        a, b = old[collection], new[collection]
        out[collection] = {
            "added": {k: plain(b[k]) for k in sorted(set(b) - set(a))},
            "changed": {
                k: _fields(a[k], b[k]) for k in sorted(set(a) & set(b)) if plain(a[k]) != plain(b[k])
            },
            "removed": {k: plain(a[k]) for k in sorted(set(a) - set(b))},
        }
    return out


def is_empty(changes: dict[str, Any]) -> bool:
    """Whether *changes* (from ``compare``) changes nothing."""
    return not any(v for part in changes.values() for v in part.values())


def diff(session: Session, scope: Scope, *, labelled: bool = False) -> dict[str, Any]:
    """The draft against the current published version (an empty difference without a draft); with
    *labelled*, ``labels``: the changes as staff read them (``readable.labels``)."""
    published = latest(session, scope)
    data, row = current(session, scope)
    changes = compare(scope.kind, complete(session, scope, published.snapshot), data)
    out = {
        "scope": scope.name,
        "published_version": published.number,
        "base_version": row.base_version if row else published.number,
        "draft": row is not None,
        "changes": changes,
    }
    if labelled:
        out["labels"] = readable.labels(session, scope.kind.name, changes, data)
    return out


def summarise(changes: dict[str, Any]) -> str:
    """A one-line count of *changes*: ``counters +1 ~2 -0; facts ~1``."""
    parts = []
    for name, part in changes.items():
        if "added" in part:
            counts = (len(part["added"]), len(part["changed"]), len(part["removed"]))
            if any(counts):
                parts.append(f"{name} +{counts[0]} ~{counts[1]} -{counts[2]}")
        elif part["changed"]:
            parts.append(f"{name} ~{len(part['changed'])}")
    return "; ".join(parts) or "no change"


# ---- publishing ----


def _publish_snapshot(
    app: Flask,
    session: Session,
    scope: Scope,
    data: dict[str, Any],
    *,
    user: str,
    now: datetime,
    summary: str,
    restored_from: int | None,
) -> PublishedVersion:
    kind = scope.kind
    problems = kind.problems(session, scope.target, strip(kind, data))
    if problems:
        raise invalid(problems)
    report = kind.model_report(app, scope.target, strip(kind, data))
    if report is not None and not report.publishable:
        raise DraftError(
            "not_one_to_one",
            "窗口与已发布的大厅模型不一一对应，不能发布",
            "The counters and the published hall model are not one-to-one: not published",
            status=409,
            details={"report": report.to_dict()},
        )
    check = kind.publish_check(scope.target, strip(kind, data))
    if check["errors"]:
        first = check["errors"][0]
        raise DraftError(
            "misleading",
            f"有 {len(check['errors'])} 处会误导市民，不能发布：{first['zh']}",
            f"{len(check['errors'])} thing(s) would mislead citizens, not published: {first['en']}",
            status=409,
            details={"check": check},
        )
    base = latest(session, scope)
    changes = compare(kind, complete(session, scope, base.snapshot), data)
    number = max(base.number, kind.live_number(scope.target)) + 1
    kind.apply(session, scope.target, strip(kind, data))
    kind.published(scope.target, number, now)
    row = PublishedVersion(
        scope=scope.name,
        number=number,
        snapshot=data,
        created_by=user,
        created_at=now,
        summary=(summary or summarise(changes))[:SUMMARY_MAX],
        restored_from=restored_from,
    )
    session.add(row)
    bump_revision(session)
    audit.record(
        session,
        user=user,
        scope=scope.name,
        object_type="version",
        object_id=str(number),
        action="restore" if restored_from is not None else "publish",
        before={"number": base.number},
        after={"number": number, "restored_from": restored_from, "changes": changes},
        summary=row.summary,
        at=now,
    )
    return row


def publish(
    app: Flask, session: Session, scope: Scope, *, user: str, now: datetime, summary: str = ""
) -> PublishedVersion:
    """Publish the draft of *scope* as a new version, in the caller's transaction (it commits). DraftError:
    409 without a draft, when the draft began before the current version, or when the hall model check
    fails (its report under ``details.report``); 422 with each field at fault."""
    row = draft_row(session, scope, lock=True)
    if row is None:
        raise DraftError("no_draft", "没有待发布的草稿", "There is no draft to publish", status=409)
    base = latest(session, scope)
    if row.base_version != base.number:
        raise DraftError(
            "stale_draft",
            f"草稿基于第 {row.base_version} 版，其后已发布第 {base.number} 版：请先查看差异或放弃草稿",
            f"The draft began from version {row.base_version}, and version {base.number} was published since: "
            "look at the difference or discard the draft",
            status=409,
            details={"base_version": row.base_version, "published_version": base.number},
        )
    published = _publish_snapshot(
        app,
        session,
        scope,
        complete(session, scope, row.snapshot),
        user=user,
        now=now,
        summary=summary,
        restored_from=None,
    )
    session.delete(row)
    return published


def restore(
    app: Flask, session: Session, scope: Scope, number: int, *, user: str, now: datetime, summary: str = ""
) -> PublishedVersion:
    """Publish version *number*'s snapshot again as a new version (the caller commits). A draft, if any, is
    kept: it now begins before the current version, so publishing it is refused until it is discarded."""
    old = version(session, scope, number)
    data = versioned(
        scope.kind,
        complete(session, scope, old.snapshot),
        complete(session, scope, latest(session, scope).snapshot),
    )
    return _publish_snapshot(
        app,
        session,
        scope,
        data,
        user=user,
        now=now,
        summary=summary or f"恢复第 {number} 版 / restore version {number}",
        restored_from=number,
    )


def version_doc(row: PublishedVersion, *, with_snapshot: bool = False) -> dict[str, Any]:
    """A version as the API answers it."""
    doc = {
        "number": row.number,
        "created_by": row.created_by,
        "created_at": row.created_at.isoformat(),
        "summary": row.summary,
        "restored_from": row.restored_from,
    }
    if with_snapshot:
        doc["snapshot"] = row.snapshot
    return doc


from . import cataloguedata as _cataloguedata  # noqa: E402,F401  (registers the ``catalogue`` scope kind)
from . import halldata as _halldata  # noqa: E402,F401  (registers the ``hall`` scope kind)
