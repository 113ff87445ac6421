"""The admin API's services catalogue, read side and checks: ``GET /services`` (filter ``q`` and
``department``, paginated), ``GET /services/<slug>`` (the canonical form, ``catalogue.editing``) and
``POST /services/check`` (the form's problems, each at its field, so an editor page can check as staff type).
Writes come with the drafts (``catalogue`` scope)."""

from __future__ import annotations

from typing import Any

from flask import request
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload
from werkzeug.routing import BaseConverter

from ...catalogue.editing import catalogue_facts, service_form, validate_service
from ...db import get_session
from ...errors import ApiError, bad_parameter, not_found
from ...models import Department, ServiceItem
from ..api.http import int_arg, query_text, reject_unknown_args, slug_arg
from . import api_bp
from .auth import require


class ServiceSlug(BaseConverter):
    """A service slug in an admin path, never ``check``: so ``/services/check`` is only the check (POST), and
    its ``Allow`` header says so. Malformed slugs still reach the view, which answers 400 (``slug_arg``)."""

    regex = r"(?!check$)[^/]+"


api_bp.record_once(lambda state: state.app.url_map.converters.setdefault("service", ServiceSlug))

PER_PAGE = 50
MAX_PER_PAGE = 100
MAX_FORM_BYTES = 512 * 1024  # a whole service form is a few KB; this bounds what a check parses


def _like(text: str) -> str:
    """*text* as a LIKE pattern that matches it anywhere, its own wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def _row(item: ServiceItem) -> dict[str, Any]:
    return {
        "slug": item.slug,
        "code": item.code,
        "name": {"zh": item.name_zh, "en": item.name_en},
        "department": item.department.code,
        "type": item.item_type,
        "updated_at": item.updated_at.isoformat() if item.updated_at else None,
        "url": f"/api/v1/admin/services/{item.slug}",
    }


@api_bp.get("/services")
@require("viewer")
def list_services():
    """Service items by slug, filtered by text ``q`` (slug, code, names) and ``department`` code; paginated."""
    reject_unknown_args("q", "department", "page", "per_page")
    q = query_text("q", required=False)
    department = request.args.get("department")
    page = int_arg("page", default=1, low=1, high=100_000)
    per_page = int_arg("per_page", default=PER_PAGE, low=1, high=MAX_PER_PAGE)
    where = []
    if q:
        pattern = _like(q)
        where.append(
            or_(
                *(
                    func.lower(column).like(pattern, escape="\\")
                    for column in (
                        ServiceItem.slug,
                        ServiceItem.code,
                        ServiceItem.name_zh,
                        ServiceItem.name_en,
                    )
                )
            )
        )
    if department is not None:
        slug_arg(department, "department")
        where.append(ServiceItem.department.has(Department.code == department))
    db = get_session()
    total = db.scalar(select(func.count()).select_from(ServiceItem).where(*where))
    rows = db.scalars(
        select(ServiceItem)
        .where(*where)
        .order_by(ServiceItem.slug)
        .offset((page - 1) * per_page)
        .limit(per_page)
        .options(selectinload(ServiceItem.department))
    )
    return {"services": [_row(r) for r in rows], "total": total, "page": page, "per_page": per_page}


@api_bp.get("/services/<service:slug>")
@require("viewer")
def get_service_form(slug: str):
    """Service item *slug* in the canonical editable form; 404 if there is none."""
    reject_unknown_args()
    slug_arg(slug, "slug")
    item = get_session().scalar(
        select(ServiceItem)
        .where(ServiceItem.slug == slug)
        .options(
            selectinload(ServiceItem.department),
            selectinload(ServiceItem.materials),
            selectinload(ServiceItem.guide),
        )
    )
    if item is None:
        raise not_found("事项", "Service item", slug)
    return service_form(item)


@api_bp.post("/services/check")
@require("editor")
def check_service():
    """Check a posted service form without saving it: ``{"problems": [{field, zh, en}]}`` (empty: it may be saved)."""
    reject_unknown_args()
    if not request.is_json:
        raise ApiError(
            415, "unsupported_media_type", "请以 JSON 提交事项信息", "Send the service form as JSON"
        )
    if (request.content_length or 0) > MAX_FORM_BYTES:
        raise ApiError(413, "too_large", "提交的事项信息过大", "The service form is too large")
    form = request.get_json(silent=True)
    if form is None:
        raise bad_parameter("body", "不是有效的 JSON", "is not valid JSON")
    return {"problems": validate_service(form, catalogue_facts(get_session()))}
