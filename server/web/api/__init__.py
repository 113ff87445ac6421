"""The public read-only JSON API, ``/api/v1``."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import hallmodel, halls, kiosks, openapi, services  # noqa: E402,F401  (views register on bp)
