"""Spreadsheets in the admin API: a hall draft's counters as .xlsx/.csv (``GET …/counters.xlsx``) and read
back (``POST``, the file as the multipart field ``file``): with ``?dry_run=1`` the answer says what would
change against the draft (added, changed field by field, removed) and every bad row ``{row, field, zh,
en}``; without it the sheet becomes the draft's counters in one transaction with one audit entry — never
while any row is bad (422 with the rows). Also the audit log as .xlsx (beside ``audit.csv``).

Uploads over ``sheets.table.MAX_BYTES`` are refused (413) from the request's length, before anything is
read (a ``before_request`` of the blueprint, so even the CSRF form field is not parsed).
"""

from __future__ import annotations

from typing import Any

from flask import Response, request
from sqlalchemy import select

from ...config import now
from ...db import get_session
from ...errors import ApiError
from ...models import Department, ServiceItem
from ...publishing import audit, drafts
from ...publishing.halldata import counter_facts
from ...sheets import counters as counter_sheet
from ...sheets import table
from . import api_bp
from .auth import current, require
from .drafts import CSV_COLUMNS, CSV_MAX_ROWS, _audit_filter, _cell

KINDS = {"xlsx": table.XLSX_TYPE, "csv": "text/csv"}
SLACK = 64 * 1024  # multipart framing and the CSRF field around the file


@api_bp.before_request
def _refuse_large_uploads():
    if request.method == "POST" and request.path.endswith((".xlsx", ".csv")):
        length = request.content_length
        if length is not None and length > table.MAX_BYTES + SLACK:
            raise table.too_large(length)


def _kind(ext: str) -> str:
    if ext not in KINDS:
        raise ApiError(404, "not_found", "没有这种文件格式", f"No such file format: .{ext}")
    return ext


def _download(body: bytes, name: str, ext: str) -> Response:
    return Response(
        body,
        mimetype=KINDS[ext],
        headers={"Content-Disposition": f'attachment; filename="{name}.{ext}"'},
    )


def _names(session) -> tuple[dict[str, str], dict[str, str]]:
    departments = dict(session.execute(select(Department.code, Department.name_zh)).all())
    services = dict(session.execute(select(ServiceItem.slug, ServiceItem.name_zh)).all())
    return departments, services


@api_bp.get("/halls/<hall>/counters.<ext>")
@require("viewer", hall_from="hall")
def export_counters(hall: str, ext: str):
    """The draft's counters (the published ones without a draft) as a spreadsheet, one row per counter."""
    ext = _kind(ext)
    session = get_session()
    data, _row = drafts.current(session, drafts.resolve(session, f"hall:{hall}"))
    session.commit()  # the first version, if it was just recorded
    rows = counter_sheet.rows(data["counters"], *_names(session))
    if ext == "csv":
        return _download(table.write_csv(counter_sheet.header(), rows), f"{hall}-counters", ext)
    sheet = (counter_sheet.SHEET_NAMES[0], counter_sheet.header(), rows, counter_sheet.widths())
    return _download(table.write_xlsx([sheet]), f"{hall}-counters", ext)


def _upload() -> bytes:
    """The uploaded file's bytes (multipart field ``file``); 415 when not multipart, 400 without the field,
    413 over the limit."""
    if request.mimetype != "multipart/form-data":
        raise ApiError(
            415,
            "unsupported_media_type",
            "请以 multipart/form-data 表单上传文件（字段 file）",
            "Upload the file as multipart/form-data (field 'file')",
        )
    file = request.files.get("file")
    if file is None:
        raise ApiError(
            400, "no_file", "请以表单字段 file 上传文件", "Upload the file as the multipart field 'file'"
        )
    try:
        data = file.read(table.MAX_BYTES + 1)
    finally:
        file.close()  # a large part is a temporary file
    if len(data) > table.MAX_BYTES:
        raise table.too_large(len(data))
    return data


def _flag(name: str) -> bool:
    value = request.args.get(name, "0").lower()
    if value not in ("0", "1", "true", "false"):
        raise ApiError(400, "bad_parameter", f"{name} 应为 0 或 1", f"{name} must be 0 or 1")
    return value in ("1", "true")


@api_bp.post("/halls/<hall>/counters.<ext>")
@require("editor", hall_from="hall", edit=True)
def import_counters(hall: str, ext: str):
    """Read a counter sheet: with ``dry_run=1`` what would change and the bad rows; without, make it the
    draft's counters (200 with the changes; 422 with the bad rows, nothing applied)."""
    ext = _kind(ext)
    dry_run = _flag("dry_run")
    sheet = table.read(_upload(), ext, sheet=counter_sheet.SHEET_NAMES)
    session = get_session()
    scope = drafts.resolve(session, f"hall:{hall}")
    data, _row = drafts.current(session, scope)
    wanted, bad = counter_sheet.read_counters(sheet.rows, counter_facts(session, scope.target))
    before = data["counters"]
    changes = drafts.compare(scope.kind, {**data, "counters": before}, {**data, "counters": wanted})
    report: dict[str, Any] = {
        "hall": hall,
        "dry_run": dry_run,
        "applied": False,
        "sheet": sheet.sheet,
        "notes": sheet.notes,
        "rows": len(sheet.rows) - 1 if sheet.rows else 0,
        "changes": changes["counters"],
        "bad_rows": bad,
    }
    if dry_run:
        session.commit()
        return report
    if bad:
        session.rollback()
        first = bad[0]
        raise table.SheetError(
            "bad_rows",
            f"表格有 {len(bad)} 处需要修改（第 {first['row']} 行 {first['field']}：{first['zh']}），未导入",
            f"{len(bad)} problem(s) in the sheet (row {first['row']} {first['field']}: {first['en']}): "
            "nothing imported",
            status=422,
            details={"bad_rows": bad, "changes": report["changes"], "notes": sheet.notes},
        )
    applied = drafts.replace_collection(
        session,
        scope,
        "counters",
        wanted,
        user=current().user.name,
        now=now(),
        summary=f"import counters from {ext}: {drafts.summarise({'counters': changes['counters']})}",
    )
    drafts.commit(session)
    return {**report, "applied": True, "changes": applied}


@api_bp.get("/audit.xlsx")
@require("viewer")
def audit_xlsx():
    """The filtered audit log as .xlsx (the same filters and columns as ``audit.csv``)."""
    _total, rows = audit.search(get_session(), _audit_filter(), limit=CSV_MAX_ROWS)
    out = []
    for row in rows:
        doc = audit.entry_doc(row)
        out.append([_cell(doc[c]) if c in ("before", "after") else doc[c] for c in CSV_COLUMNS])
    widths = [26, 12, 16, 12, 14, 10, 48, 60, 60]
    return _download(table.write_xlsx([("audit", list(CSV_COLUMNS), out, widths)]), "audit", "xlsx")
