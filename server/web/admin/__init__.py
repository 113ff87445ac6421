"""The staff side: pages under ``/admin`` and the admin JSON API under ``/api/v1/admin``.

Every view is declared with :func:`auth.require` (role, hall, CSRF for writes) or :func:`auth.public` (the
sign-in endpoints); ``tests/test_admin_access.py`` calls every route of both blueprints as every role.
Answers are never cached (``no-store``); the public API's CORS does not cover ``/api/v1/admin``.
"""

from flask import Blueprint

pages_bp = Blueprint("admin_pages", __name__, url_prefix="/admin")
api_bp = Blueprint("admin_api", __name__, url_prefix="/api/v1/admin")

from . import (  # noqa: E402,F401  (views register on the blueprints)
    api,
    auth,
    drafts,
    jobs,
    kiosks,
    pages,
    panorama_pages,
    registration,
    scene_pages,
    scenes,
    service_pages,
    services,
    sheets,
)
