"""Spreadsheets in the admin API: a hall draft's counters as .xlsx/.csv (``GET …/counters.xlsx``) and read
back (``POST``, the file as the multipart field ``file``): with ``?dry_run=1`` the answer says what would
change against the draft (added, changed field by field, removed) and every bad row ``{row, field, zh,
en}``; without it the sheet becomes the draft's counters in one transaction with one audit entry — never
while any row is bad (422 with the rows). Also the audit log as .xlsx (beside ``audit.csv``).

Uploads over ``sheets.table.MAX_BYTES`` are refused (413) from the request's length, before anything is
read (a ``before_request`` of the blueprint, so even the CSRF form field is not parsed).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Response, request
from sqlalchemy import select

from ...catalogue.editing import catalogue_facts, counters_using
from ...config import now
from ...db import get_session
from ...errors import ApiError
from ...models import Department, ServiceItem
from ...publishing import audit, drafts, readable
from ...publishing.halldata import counter_facts
from ...sheets import counters as counter_sheet
from ...sheets import services as service_sheet
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


def _base() -> str | None:
    """The ``base`` parameter: the draft version a dry run answered (a fingerprint), or None."""
    base = request.args.get("base") or request.form.get("base")
    if base is not None and not re.fullmatch(r"[0-9A-Za-z]{1,64}", base):
        raise ApiError(400, "bad_parameter", "base 参数无效", "base is not a draft version")
    return base


def _import(scope: drafts.Scope, collection: str, ext: str, read, what: str) -> dict[str, Any]:
    """The import flow every sheet shares. *read* (called after the stale check) answers the sheet's
    ``Table``, the wanted collection and the bad rows. A dry run answers the report with ``base``, the draft
    version it was computed against; applying (with that ``base``: 428 without it, 409 when the draft changed
    since) makes the collection the draft's in one transaction with one audit entry — never while a row is bad
    (422). ``base`` is required so that no client applies a sheet whose changes nobody was shown."""
    dry_run, base = _flag("dry_run"), _base()
    session = get_session()
    if not dry_run:
        if base is None:
            raise ApiError(
                428,
                "base_required",
                "请先预览（dry_run=1），再带上预览答复的 base 应用",
                "Preview first (dry_run=1), then apply with the base the preview answered",
            )
        drafts.refuse_stale(session, scope, base)
    data, _row = drafts.current(session, scope)
    sheet, wanted, bad = read(session, data)
    changes = drafts.compare(scope.kind, data, {**data, collection: wanted})[collection]
    report: dict[str, Any] = {
        "dry_run": dry_run,
        "applied": False,
        "sheet": sheet.sheet,
        "notes": sheet.notes,
        "rows": len(sheet.rows) - 1 if sheet.rows else 0,
        "changes": changes,
        "labels": readable.labels(session, scope.kind.name, {collection: changes}, {collection: wanted})[
            collection
        ],
        "bad_rows": bad,
        "base": drafts.editing_state(session, scope)["version"],
    }
    if dry_run:
        session.commit()  # the first version, if it was just recorded
        return report
    if bad:
        session.rollback()
        first = bad[0]
        at = f"{first['sheet']} " if first.get("sheet") else ""
        row = first["row"] if first["row"] is not None else "-"
        raise table.SheetError(
            "bad_rows",
            f"表格有 {len(bad)} 处需要修改（{at}第 {row} 行 {first['field']}：{first['zh']}），未导入",
            f"{len(bad)} problem(s) in the sheet ({at}row {row} {first['field']}: {first['en']}): "
            "nothing imported",
            status=422,
            details={"bad_rows": bad, "changes": changes, "labels": report["labels"], "notes": sheet.notes},
        )
    applied = drafts.replace_collection(
        session,
        scope,
        collection,
        wanted,
        user=current().user.name,
        now=now(),
        summary=f"import {what} from {ext}: {drafts.summarise({collection: changes})}",
    )
    session.flush()
    report.update(applied=True, changes=applied)
    report.update(base=drafts.editing_state(session, scope)["version"])
    drafts.commit(session)
    return report


@api_bp.post("/halls/<hall>/counters.<ext>")
@require("editor", hall_from="hall", edit=True)
def import_counters(hall: str, ext: str):
    """Read a counter sheet: with ``dry_run=1`` what would change, the bad rows and ``base``; without, make
    it the draft's counters (200 with the changes; 422 with the bad rows, nothing applied; 409 when the draft
    changed since the dry run whose ``base`` is sent)."""
    ext = _kind(ext)
    upload = _upload()
    session = get_session()
    scope = drafts.resolve(session, f"hall:{hall}")

    def read(session, data):
        sheet = table.read(upload, ext, sheet=counter_sheet.SHEET_NAMES)
        facts = counter_facts(session, scope.target)
        wanted, bad = counter_sheet.read_counters(sheet.rows, facts, sheet=sheet.sheet)
        return sheet, wanted, bad

    return {"hall": hall, **_import(scope, "counters", ext, read, "counters")}


@api_bp.get("/services.<ext>")
@require("viewer")
def export_services(ext: str):
    """The catalogue draft's services (the published ones without a draft): .xlsx with a services sheet and a
    materials sheet; .csv the services sheet only."""
    ext = _kind(ext)
    session = get_session()
    data, _row = drafts.current(session, drafts.resolve(session, "catalogue"))
    session.commit()  # the first version, if it was just recorded
    departments, _services = _names(session)
    forms = {slug: drafts.plain(f) for slug, f in data["services"].items()}
    books = service_sheet.sheets(forms, departments)
    if ext == "csv":
        _title, head, rows, _widths = books[0]
        return _download(table.write_csv(head, rows), "services", ext)
    return _download(table.write_xlsx(books), "services", ext)


@api_bp.post("/services.<ext>")
@require("editor", edit=True)
def import_services(ext: str):
    """Read a services workbook (.xlsx: services and materials; .csv: services only, materials kept) as
    counters are read: dry run with ``base``, then apply (200; 422 bad rows; 409 stale ``base``). A service
    left out that counters handle is a bad row naming the counters."""
    ext = _kind(ext)
    upload = _upload()
    session = get_session()
    scope = drafts.resolve(session, "catalogue")

    def read(session, data):
        services, materials = table.read_many(
            upload, ext, [service_sheet.SERVICE_SHEET_NAMES, service_sheet.MATERIAL_SHEET_NAMES]
        )
        if ext == "csv":
            services.notes.append(
                {
                    "zh": "CSV 只含事项表：各事项的材料保持草稿中的样子",
                    "en": "A CSV holds the services sheet only: each service keeps its materials as in the draft",
                }
            )
        elif materials is None:
            services.notes.append(
                {
                    "zh": "文件中没有“材料 · Materials”工作表：各事项的材料保持草稿中的样子",
                    "en": "No 'Materials' sheet in the file: each service keeps its materials as in the draft",
                }
            )
        current = {slug: drafts.plain(f) for slug, f in data["services"].items()}
        wanted, bad = service_sheet.read_services(
            services.rows,
            None if materials is None else materials.rows,
            catalogue_facts(session).departments,
            current,
            services_sheet=services.sheet,
            materials_sheet=None if materials is None else materials.sheet,
        )
        removed = [slug for slug in current if slug not in wanted]
        if wanted or not bad:
            bad += service_sheet.removal_problems(counters_using(session, removed), services.sheet)
        return services, wanted, bad

    return _import(scope, "services", ext, read, "services")


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
