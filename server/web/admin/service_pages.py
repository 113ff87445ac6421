"""The staff pages of the services catalogue: ``/admin/services`` (the draft's list, filters ``q`` and
``department``) and ``/admin/services/<slug>`` (the editor). The HTML is a shell; ``web/src/admin/services.js``
fills it from the admin API (``services.py``), as text."""

from __future__ import annotations

from flask import render_template

from ..api.http import slug_arg
from . import pages_bp
from .auth import current, require
from .pages import NAV, TEXT, _context, _lang

TEXT["zh"]["nav_services"] = "办事事项"
TEXT["en"]["nav_services"] = "Service items"
NAV.append(("admin_pages.services", "nav_services"))


def _page(slug: str | None):
    lang = _lang()
    staff = current()
    context = _context(lang, csrf_token=staff.csrf_token, nav=NAV, slug=slug, role=staff.user.role)
    if slug is not None:  # the language switch links to this same item
        context["switch_args"] = {**context["switch_args"], "slug": slug}
    return render_template("admin/services.html", **context)


@pages_bp.get("/services")
@require("viewer")
def services():
    """The catalogue's draft as a list, filtered by text and department."""
    return _page(None)


@pages_bp.get("/services/<service:slug>")
@require("viewer")
def service(slug: str):
    """The editor of one service item of the catalogue's draft."""
    slug_arg(slug, "slug")
    return _page(slug)
