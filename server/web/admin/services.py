"""The admin API of the services catalogue, shared by all halls (the ``catalogue`` scope of drafts):
``GET /services`` (the draft's view, filter ``q`` and ``department``, paginated, each row flagged when the
draft changed it), ``GET /services/<slug>`` (the canonical form, ``catalogue.editing``, with its version),
add / change / remove in the draft (``POST /services``, ``PATCH``/``DELETE /services/<slug>`` with the
object's version: 409 with the other person's change), ``POST /services/check`` (the form's problems, each at
its field, so an editor page can check as staff type), and ``/catalogue/…``: the draft's difference,
discard, publish, versions and restore.

Who may change it: a service item is shared by every hall, and belongs to a department rather than a hall,
so any editor (of any hall) and admins may edit the catalogue's *draft* — every change audited, nothing
seen by citizens; publishing it, discarding it (other editors' work too) and restoring a version change
what every hall shows, so they are for admins. Viewers read.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from werkzeug.routing import BaseConverter

from ...catalogue import markdown
from ...catalogue.editing import catalogue_facts, refuse_in_use, validate_service
from ...config import now
from ...db import get_session
from ...errors import ApiError, bad_parameter
from ...publishing import drafts
from ..api.http import int_arg, query_text, reject_unknown_args, slug_arg
from . import api_bp
from .auth import require
from .drafts import _body, _expected, _object, _summary, _user


class ServiceSlug(BaseConverter):
    """A service slug in an admin path, never ``check``: so ``/services/check`` is only the check (POST), and
    its ``Allow`` header says so. Malformed slugs still reach the view, which answers 400 (``slug_arg``)."""

    regex = r"(?!check$)[^/]+"


api_bp.record_once(lambda state: state.app.url_map.converters.setdefault("service", ServiceSlug))

PER_PAGE = 50
MAX_PER_PAGE = 100
MAX_FORM_BYTES = 512 * 1024  # a whole service form is a few KB; this bounds what a check parses


def _scope() -> drafts.Scope:
    return drafts.resolve(get_session(), "catalogue")


def _row(form: dict[str, Any], published: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "slug": form["slug"],
        "code": form["code"],
        "name": form["name"],
        "department": form["department"],
        "type": form["type"],
        "version": form["version"],
        "changed": published is None or drafts.plain(published) != drafts.plain(form),
        "url": f"/api/v1/admin/services/{form['slug']}",
    }


def _matches(form: dict[str, Any], q: str | None, department: str | None) -> bool:
    if department is not None and form["department"] != department:
        return False
    if q:
        text = " ".join([form["slug"], form["code"], form["name"]["zh"], form["name"]["en"]]).lower()
        return q.lower() in text
    return True


@api_bp.get("/services")
@require("viewer")
def list_services():
    """The draft's service items (the published ones without a draft) by slug, filtered by text ``q`` (slug,
    code, names) and ``department`` code, paginated; ``changed``: added or changed in the draft."""
    reject_unknown_args("q", "department", "page", "per_page")
    q = query_text("q", required=False)
    department = request.args.get("department")
    if department is not None:
        slug_arg(department, "department")
    page = int_arg("page", default=1, low=1, high=100_000)
    per_page = int_arg("per_page", default=PER_PAGE, low=1, high=MAX_PER_PAGE)
    session = get_session()
    scope = _scope()
    data, row = drafts.current(session, scope)
    published = drafts.latest(session, scope).snapshot["services"]
    session.commit()  # the first version, if it was just recorded
    found = [f for _slug, f in sorted(data["services"].items()) if _matches(f, q, department)]
    shown = found[(page - 1) * per_page : page * per_page]
    return {
        "services": [_row(f, published.get(f["slug"])) for f in shown],
        "total": len(found),
        "page": page,
        "per_page": per_page,
        "draft": row is not None,
        "removed": sorted(set(published) - set(data["services"])),
    }


@api_bp.get("/services/<service:slug>")
@require("viewer")
def get_service_form(slug: str):
    """Service item *slug* of the draft in the canonical editable form, with its version (also as ETag)."""
    reject_unknown_args()
    slug_arg(slug, "slug")
    session = get_session()
    obj = drafts.get_object(session, _scope(), "services", slug)
    session.commit()
    return _object(obj)


@api_bp.post("/services")
@require("editor")
def add_service():
    """Add a service item to the catalogue's draft (201, Location): the whole form; 409 when the slug is
    taken, 422 per field."""
    form = _body()
    form.pop("version", None)
    slug = form.get("slug")
    if not isinstance(slug, str):
        raise drafts.invalid([{"field": "slug", "zh": "必填", "en": "required"}])
    slug_arg(slug, "slug")
    session = get_session()
    saved = drafts.save(session, _scope(), "services", slug, form, expected=None, user=_user(), now=now())
    drafts.commit(session)
    response = _object(saved, 201)
    response.headers["Location"] = f"/api/v1/admin/services/{slug}"
    return response


@api_bp.patch("/services/<service:slug>")
@require("editor")
def change_service(slug: str):
    """Change fields of a service item in the draft (top-level fields replaced whole, e.g. ``materials``):
    409 when it changed since the version sent, 422 per field."""
    data = _body()
    expected = _expected(data)
    session = get_session()
    scope = _scope()
    before = drafts.get_object(session, scope, "services", slug)
    changes = {k: v for k, v in data.items() if k != "version"}
    saved = drafts.save(
        session, scope, "services", slug, {**before, **changes}, expected=expected, user=_user(), now=now()
    )
    drafts.commit(session)
    return _object(saved)


@api_bp.delete("/services/<service:slug>")
@require("editor")
def delete_service(slug: str):
    """Remove a service item from the draft (204); 409 when it changed since the version sent, or while a
    counter of any hall handles it (naming the counters)."""
    expected = _expected(request.get_json(silent=True) if request.is_json else None)
    session = get_session()
    scope = _scope()
    drafts.get_object(session, scope, "services", slug)
    refuse_in_use(session, slug)
    drafts.save(session, scope, "services", slug, None, expected=expected, user=_user(), now=now())
    drafts.commit(session)
    return Response(status=204)


@api_bp.post("/services/check")
@require("editor")
def check_service():
    """Check a posted service form without saving it: ``{"problems": [{field, zh, en}]}`` (empty: it may be
    saved), and ``preview``: the guide's summaries as the token tree the panel renders (``catalogue.markdown``)."""
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
    if isinstance(form, dict):
        form = drafts.plain(form)  # a form read from GET /services/<slug> carries its version
    guide = form.get("guide") if isinstance(form, dict) else None
    preview = {
        key: markdown.tree(guide[key])
        for key in ("summary_zh", "summary_en")
        if isinstance(guide, dict) and isinstance(guide.get(key), str)
    }
    return {"problems": validate_service(form, catalogue_facts(get_session())), "preview": preview}


# ---- the catalogue's draft, publishing and versions ----


@api_bp.get("/catalogue/draft/diff")
@require("viewer")
def catalogue_diff():
    """The catalogue's draft against the published version: services added, changed field by field, removed."""
    session = get_session()
    result = drafts.diff(session, _scope(), labelled=True)
    session.commit()
    return result


@api_bp.delete("/catalogue/draft")
@require("admin")
def discard_catalogue_draft():
    """Discard the catalogue's draft (204; 404 when there is none)."""
    session = get_session()
    if not drafts.discard(session, _scope(), user=_user(), now=now()):
        raise ApiError(404, "no_draft", "没有草稿", "There is no draft")
    drafts.commit(session)
    return Response(status=204)


def _created(row) -> Response:
    response = current_app.json.response(drafts.version_doc(row))
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/admin/catalogue/versions/{row.number}"
    return response


@api_bp.post("/catalogue/publish")
@require("admin")
def publish_catalogue():
    """Publish the catalogue's draft as a new version, atomically (201): refused (422) while a service has a
    problem, each named at its field, and (409) while a removed service is still handled by a counter."""
    session = get_session()
    row = drafts.publish(
        current_app._get_current_object(), session, _scope(), user=_user(), now=now(), summary=_summary()
    )
    drafts.commit(session)
    return _created(row)


@api_bp.get("/catalogue/versions")
@require("viewer")
def catalogue_versions():
    """The catalogue's published versions, newest first: number, who, when, summary."""
    session = get_session()
    rows = drafts.versions(session, _scope())
    session.commit()
    return {"scope": "catalogue", "versions": [drafts.version_doc(r) for r in rows]}


@api_bp.get("/catalogue/versions/<int:number>")
@require("viewer")
def catalogue_version(number: int):
    """One published version of the catalogue with its snapshot."""
    session = get_session()
    row = drafts.version(session, _scope(), number)
    session.commit()
    return drafts.version_doc(row, with_snapshot=True)


@api_bp.post("/catalogue/versions/<int:number>/restore")
@require("admin")
def restore_catalogue(number: int):
    """Publish version *number* of the catalogue again as a new version (201)."""
    session = get_session()
    row = drafts.restore(
        current_app._get_current_object(),
        session,
        _scope(),
        number,
        user=_user(),
        now=now(),
        summary=_summary(),
    )
    drafts.commit(session)
    return _created(row)
