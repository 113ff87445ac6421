"""The admin API of a hall's draft: its counters and facts (list, read, add, change, delete), the
difference from the published version, discard, publish, the versions and restoring one; and the audit log.

Edits change only the draft (``publishing.drafts``); citizens see them once published. Every change names
the version of the object it started from, as ``If-Match: "<version>"`` or a ``version`` field: another
one answers 409 with the other person's change. Viewers read; editors of the hall and admins write.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app, request

from ...config import now
from ...db import get_session
from ...errors import ApiError, bad_parameter
from ...publishing import audit, drafts
from ...vocabulary import COUNTER_NUMBER_PATTERN, COUNTER_STATUSES
from . import api_bp
from .auth import current, require

SORTS = ("number", "name", "floor", "zone", "department", "status")
PAGE_MAX = 200
CSV_MAX_ROWS = 100_000
COUNTER_DEFAULTS = {
    "type": "综合受理",
    "department": None,
    "status": "open",
    "notice": None,
    "phone": None,
    "low_counter": False,
    "services": [],
}


def _scope(hall: str) -> drafts.Scope:
    return drafts.resolve(get_session(), f"hall:{hall}")


def _user() -> str:
    return current().user.name


def _body() -> dict[str, Any]:
    """The request's JSON object; 415 or 400 otherwise."""
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "请以 JSON 提交", "Send the body as JSON")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "bad_json", "请求内容不是有效的 JSON 对象", "The body is not a JSON object")
    return data


def _expected(data: dict[str, Any] | None) -> int:
    """The version the caller started from: ``If-Match`` or the body's ``version``; 428 without either."""
    header = request.headers.get("If-Match")
    if header:
        match = re.fullmatch(r'\s*(?:W/)?"?(\d{1,9})"?\s*', header)
        if not match:
            raise bad_parameter("If-Match", "应为对象的版本号", "must be the object's version")
        return int(match.group(1))
    value = (data or {}).get("version")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ApiError(
        428,
        "version_required",
        "请说明您修改的是哪一版（If-Match 或 version）",
        "Say which version you changed (If-Match or a version field)",
    )


def _object(obj: dict[str, Any] | None, status: int = 200) -> Response:
    response = current_app.json.response(obj)
    response.status_code = status
    if obj is not None:
        response.headers["ETag"] = f'"{obj["version"]}"'
    return response


def _matches(counter: dict[str, Any], args) -> bool:
    if "floor" in args and str(counter["floor"]) != args["floor"]:
        return False
    for name in ("zone", "department", "status"):
        if name in args and (counter.get(name) or "") != args[name]:
            return False
    q = args.get("q", "").strip().lower()
    if q:
        text = " ".join([counter["number"], counter["name"]["zh"], counter["name"]["en"]]).lower()
        return q in text
    return True


@api_bp.get("/halls/<hall>/counters")
@require("viewer", hall_from="hall")
def draft_counters(hall: str):
    """The draft's counters (the published ones without a draft), filtered and sorted."""
    session = get_session()
    scope = _scope(hall)
    data, row = drafts.current(session, scope)
    session.commit()  # the first version, if it was just recorded
    args = request.args
    if "status" in args and args["status"] not in COUNTER_STATUSES:
        raise bad_parameter("status", "未知的状态", f"one of {', '.join(COUNTER_STATUSES)}")
    if "floor" in args and not re.fullmatch(r"-?\d{1,3}", args["floor"]):
        raise bad_parameter("floor", "应为楼层号", "must be a floor level")
    sort = args.get("sort", "number")
    if sort.lstrip("-") not in SORTS:
        raise bad_parameter(
            "sort", f"可用：{', '.join(SORTS)}", f"one of {', '.join(SORTS)} (- for descending)"
        )
    key = sort.lstrip("-")
    rows = [c for c in data["counters"].values() if _matches(c, args)]

    def sort_key(c):
        value = c["name"]["zh"] if key == "name" else c.get(key)
        return (value is None, value if value is not None else "", c["number"])

    rows.sort(key=sort_key, reverse=sort.startswith("-"))
    return {
        "hall": hall,
        "draft": row is not None,
        "base_version": row.base_version if row else drafts.latest(session, scope).number,
        "counters": rows,
    }


@api_bp.post("/halls/<hall>/counters")
@require("editor", hall_from="hall", edit=True)
def add_counter(hall: str):
    """Add a counter to the draft (201, Location); 409 when the number is taken, 422 per field."""
    data = _body()
    number = data.get("number")
    if not isinstance(number, str) or not re.match(COUNTER_NUMBER_PATTERN, number):
        raise drafts.invalid(
            [
                {
                    "field": "number",
                    "zh": f"窗口号 {number!r} 格式不对（如 A01）",
                    "en": f"number {number!r} is not like A01",
                }
            ]
        )
    counter = {**COUNTER_DEFAULTS, "node": f"counter:{number}", **data}
    counter.pop("version", None)
    session = get_session()
    saved = drafts.save(
        session, _scope(hall), "counters", number, counter, expected=None, user=_user(), now=now()
    )
    drafts.commit(session)
    response = _object(saved, 201)
    response.headers["Location"] = f"/api/v1/admin/halls/{hall}/counters/{number}"
    return response


@api_bp.get("/halls/<hall>/counters/<number>")
@require("viewer", hall_from="hall")
def draft_counter(hall: str, number: str):
    """One counter of the draft, with its version (also as ETag)."""
    session = get_session()
    obj = drafts.get_object(session, _scope(hall), "counters", number)
    session.commit()
    return _object(obj)


@api_bp.patch("/halls/<hall>/counters/<number>")
@require("editor", hall_from="hall", edit=True)
def change_counter(hall: str, number: str):
    """Change fields of a counter in the draft: 409 when it changed since the version sent, 422 per field."""
    data = _body()
    expected = _expected(data)
    session = get_session()
    scope = _scope(hall)
    before = drafts.get_object(session, scope, "counters", number)
    changes = {k: v for k, v in data.items() if k != "version"}
    saved = drafts.save(
        session,
        scope,
        "counters",
        number,
        {**before, **changes},
        expected=expected,
        user=_user(),
        now=now(),
    )
    drafts.commit(session)
    return _object(saved)


@api_bp.delete("/halls/<hall>/counters/<number>")
@require("editor", hall_from="hall", edit=True)
def delete_counter(hall: str, number: str):
    """Remove a counter from the draft (204); 409 when it changed since the version sent."""
    expected = _expected(request.get_json(silent=True) if request.is_json else None)
    session = get_session()
    scope = _scope(hall)
    drafts.get_object(session, scope, "counters", number)
    drafts.save(session, scope, "counters", number, None, expected=expected, user=_user(), now=now())
    drafts.commit(session)
    return Response(status=204)


@api_bp.get("/halls/<hall>/facts")
@require("viewer", hall_from="hall")
def draft_facts(hall: str):
    """The hall's own facts in the draft (name, address, phone, hours, time zone, calendar, access,
    hour presets), with their version."""
    session = get_session()
    obj = drafts.get_object(session, _scope(hall), "facts", None)
    session.commit()
    return _object(obj)


@api_bp.patch("/halls/<hall>/facts")
@require("editor", hall_from="hall", edit=True)
def change_facts(hall: str):
    """Change the hall's own facts in the draft: 409 when they changed since the version sent."""
    data = _body()
    expected = _expected(data)
    session = get_session()
    scope = _scope(hall)
    before = drafts.get_object(session, scope, "facts", None)
    changes = {k: v for k, v in data.items() if k != "version"}
    saved = drafts.save(
        session, scope, "facts", None, {**before, **changes}, expected=expected, user=_user(), now=now()
    )
    drafts.commit(session)
    return _object(saved)


@api_bp.get("/halls/<hall>/draft/diff")
@require("viewer", hall_from="hall")
def draft_diff(hall: str):
    """The draft against the published version: added, changed field by field, removed."""
    session = get_session()
    result = drafts.diff(session, _scope(hall), labelled=True)
    session.commit()
    return result


@api_bp.delete("/halls/<hall>/draft")
@require("editor", hall_from="hall", edit=True)
def discard_draft(hall: str):
    """Discard the draft (204; 404 when there is none)."""
    session = get_session()
    if not drafts.discard(session, _scope(hall), user=_user(), now=now()):
        raise ApiError(404, "no_draft", "没有草稿", "There is no draft")
    drafts.commit(session)
    return Response(status=204)


def _summary() -> str:
    data = request.get_json(silent=True) if request.is_json else None
    summary = (data or {}).get("summary", "")
    if not isinstance(summary, str) or len(summary) > drafts.SUMMARY_MAX:
        raise drafts.invalid(
            [{"field": "summary", "zh": "最多 500 个字符的文本", "en": "text of at most 500 characters"}]
        )
    return summary.strip()


@api_bp.post("/halls/<hall>/publish")
@require("editor", hall_from="hall", edit=True)
def publish_draft(hall: str):
    """Publish the draft as a new version, atomically (201); refused with the one-to-one report (409)
    when counters and the published model disagree, 409 when published since the draft began."""
    session = get_session()
    scope = _scope(hall)
    row = drafts.publish(
        current_app._get_current_object(), session, scope, user=_user(), now=now(), summary=_summary()
    )
    drafts.commit(session)
    return _published(scope, row, hall)


def _published(scope: drafts.Scope, row, hall: str) -> Response:
    """201 with the new version and the warnings of the check before publishing (``check.warnings``)."""
    check = scope.kind.publish_check(scope.target, drafts.strip(scope.kind, row.snapshot))
    response = current_app.json.response({**drafts.version_doc(row), "check": check})
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/admin/halls/{hall}/versions/{row.number}"
    return response


@api_bp.get("/halls/<hall>/versions")
@require("viewer", hall_from="hall")
def hall_versions(hall: str):
    """The published versions, newest first: number, who, when, summary."""
    session = get_session()
    rows = drafts.versions(session, _scope(hall))
    session.commit()
    return {"hall": hall, "versions": [drafts.version_doc(r) for r in rows]}


@api_bp.get("/halls/<hall>/versions/<int:number>")
@require("viewer", hall_from="hall")
def hall_version(hall: str, number: int):
    """One published version with its snapshot."""
    session = get_session()
    row = drafts.version(session, _scope(hall), number)
    session.commit()
    return drafts.version_doc(row, with_snapshot=True)


@api_bp.post("/halls/<hall>/versions/<int:number>/restore")
@require("editor", hall_from="hall", edit=True)
def restore_version(hall: str, number: int):
    """Publish version *number* again as a new version (201)."""
    session = get_session()
    scope = _scope(hall)
    row = drafts.restore(
        current_app._get_current_object(),
        session,
        scope,
        number,
        user=_user(),
        now=now(),
        summary=_summary(),
    )
    drafts.commit(session)
    return _published(scope, row, hall)


# ---- the audit log ----


def _moment(name: str) -> datetime | None:
    value = request.args.get(name)
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise bad_parameter(name, "应为日期或时间（ISO 8601）", "must be a date or time (ISO 8601)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _int(name: str, default: int, low: int, high: int) -> int:
    value = request.args.get(name, str(default))
    if not re.fullmatch(r"\d{1,9}", value) or not low <= int(value) <= high:
        raise bad_parameter(name, f"应为 {low}–{high} 的整数", f"must be a whole number {low}–{high}")
    return int(value)


def _audit_filter() -> audit.Filter:
    """The filter of the query, limited to the caller's halls for an editor."""
    args = request.args
    scope = args.get("scope") or (f"hall:{args['hall']}" if args.get("hall") else None)
    user = current().user
    within = None
    if user.role == "editor":
        # Their halls, and the catalogue every editor may edit (services.py).
        within = (*(f"hall:{h.slug}" for h in user.halls), "catalogue")
        if scope is not None and scope not in within:
            raise ApiError(
                403,
                "forbidden",
                f"您的账号不能查看 {scope} 的记录",
                f"Your account may not see the records of {scope}",
            )
    return audit.Filter(
        scope=scope,
        user=args.get("user") or None,
        object_type=args.get("object_type") or None,
        object_id=args.get("object_id") or None,
        since=_moment("since"),
        until=_moment("until"),
        within=within,
    )


@api_bp.get("/audit")
@require("viewer")
def audit_log():
    """Recorded changes, newest first, filtered by hall or scope, user, object and time, paged."""
    f = _audit_filter()
    page = _int("page", 1, 1, 10**6)
    per_page = _int("per_page", 50, 1, PAGE_MAX)
    total, rows = audit.search(get_session(), f, offset=(page - 1) * per_page, limit=per_page)
    return {"total": total, "page": page, "per_page": per_page, "entries": [audit.entry_doc(r) for r in rows]}


CSV_COLUMNS = ("at", "user", "scope", "object_type", "object_id", "action", "summary", "before", "after")


def _cell(value: Any) -> str:
    """A CSV cell; text a spreadsheet would run as a formula is quoted with a leading apostrophe."""
    text = value if isinstance(value, str) else "" if value is None else json.dumps(value, ensure_ascii=False)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@api_bp.get("/audit.csv")
@require("viewer")
def audit_csv():
    """The filtered audit log as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese)."""
    _total, rows = audit.search(get_session(), _audit_filter(), limit=CSV_MAX_ROWS)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        doc = audit.entry_doc(row)
        writer.writerow([_cell(doc[c]) for c in CSV_COLUMNS])
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )
