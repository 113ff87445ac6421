"""Settings: safe local defaults, then the instance folder's ``config.py``, then ``VHALL_*`` environment
variables (parsed by Flask's ``from_prefixed_env``: numbers and booleans as JSON), then a test mapping.

Production needs no file: ``VHALL_SECRET_KEY``, ``VHALL_DATABASE_URL`` (or plain ``DATABASE_URL``) and
``VHALL_INSTANCE_PATH`` are enough. Without a secret key one is generated once and kept in the instance
folder (mode 600), so there is never a built-in secret. Several app servers share one database, one secret
key and one published-files folder (``VHALL_PUBLISHED_PATH``: ``models/`` and ``panoramas/``), each keeping
its own instance folder (docs/DEPLOYMENT.md).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app

DEFAULTS: dict[str, Any] = {
    "JSON_AS_ASCII": False,
    "MAX_QUERY_LENGTH": 100,  # characters of a search query
    "SEARCH_LIMIT": 20,  # results per kind returned by default
    "API_MAX_AGE": 60,  # seconds that clients and proxies may reuse an API answer
    "REVISION_TTL": 1.0,  # seconds a process trusts its last look at the catalogue revision
    "PROXY_FIX": 0,  # number of trusted reverse proxies in front (X-Forwarded-* headers)
    # Sites allowed to show the tour in a frame ("https://host[:port]", list or comma-separated); the API and
    # /admin are never framed. Empty: only our own pages (server/web/security.py).
    "EMBED_ALLOWED_ORIGINS": [],
    "HSTS_MAX_AGE": 63072000,  # seconds (two years, as HSTS preload lists ask), sent only on HTTPS requests
    # Where a link from the database may point (server/urls.py): these domains and their subdomains, https
    # only unless LINK_ALLOW_HTTP. gov.cn holds every Chinese government site, the demo's included.
    "LINK_ALLOWED_DOMAINS": ["gov.cn"],
    "LINK_ALLOW_HTTP": False,
    # Staff accounts (server/accounts, server/web/admin).
    "PASSWORD_MIN_LENGTH": 10,  # characters
    "PASSWORD_SCRYPT_N": 2**15,  # scrypt cost; a changed value rehashes each password at its next sign-in
    "SESSION_IDLE_MINUTES": 30,  # a staff session unused this long ends
    "SESSION_MAX_HOURS": 12,  # and any staff session ends this long after sign-in
    "LOGIN_MAX_FAILURES": 5,  # failed sign-ins per user name within the window before it is locked
    "LOGIN_MAX_FAILURES_ADDRESS": 20,  # … and per client address
    "LOGIN_WINDOW_MINUTES": 15,
    "LOGIN_LOCK_MINUTES": 15,  # how long a locked user name or address waits
    # Kiosks (server/kiosks): seconds between a kiosk page's heartbeats; staff see a kiosk offline after two
    # missed ones, and a kiosk may not report more than twice per interval.
    "KIOSK_HEARTBEAT_SECONDS": 60,
    # Jobs (server/jobs): a running job whose worker sent no heartbeat for this long is failed (its worker is
    # taken for dead; on the worker's own machine a vanished pid is noticed at once); an idle worker looks
    # for work this often; the largest panorama upload (bytes, checked from Content-Length before reading).
    "JOBS_STALE_SECONDS": 120,
    "JOBS_POLL_SECONDS": 1.0,
    "PANORAMA_UPLOAD_MAX_BYTES": 256 * 1024 * 1024,
    # Source equirects of the demo scenes (rendered from the hall model at set-up; real photographs replace
    # them): assets/panoramas/<hall>/<scene>.jpg in the checkout. Published tiles live in the instance folder.
    "PANORAMA_SOURCES": str(Path(__file__).resolve().parents[1] / "assets" / "panoramas"),
    # The published-files folder: published models (models/<hall>/) and tile sets (panoramas/<hall>/). Empty:
    # the instance folder. Several app servers point it at one shared folder (NFS or the like) while each
    # keeps its own instance folder (published_root below; every path to a published file is built from it).
    "PUBLISHED_PATH": "",
    # Days an unreferenced tile set or model is kept after it went out of use before `storage clean` removes
    # it (server/publishing/storage.py); what a published, restorable or draft version names is never removed.
    "STORAGE_RETENTION_DAYS": 30,
}


def now() -> datetime:
    """The current moment (aware): the app's ``CLOCK`` setting, a callable tests set, else the system clock."""
    clock: Callable[[], datetime] | None = current_app.config.get("CLOCK")
    return clock() if clock is not None else datetime.now(UTC)


def instance_path_from_env() -> str | None:
    """The instance folder named by ``VHALL_INSTANCE_PATH``, made absolute; None for Flask's default."""
    value = os.environ.get("VHALL_INSTANCE_PATH")
    return str(Path(value).expanduser().resolve()) if value else None


def published_root(app: Flask) -> Path:
    """The folder holding published models and tile sets: ``PUBLISHED_PATH``, else the instance folder."""
    value = app.config.get("PUBLISHED_PATH")
    return Path(value).expanduser().resolve() if value else Path(app.instance_path)


def load(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Fill ``app.config`` in order: defaults, instance file, environment, test mapping."""
    app.config.update(DEFAULTS)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        if os.environ.get("DATABASE_URL"):
            app.config["DATABASE_URL"] = os.environ["DATABASE_URL"]
        app.config.from_prefixed_env("VHALL")
    else:
        app.config.update(test_config)
    app.config.setdefault("DATABASE_URL", "sqlite:///" + str(Path(app.instance_path) / "hall.sqlite3"))
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))


def _instance_secret(folder: Path) -> str:
    """Read the instance folder's generated secret, creating it (readable by the owner only) if absent.

    Several processes may start at once on a fresh folder: each writes a complete key to a temporary file
    beside it (fsynced) and links it to the final name, which fails if the name exists; so the first writer
    wins, and nobody ever reads a missing or half-written key."""
    path = folder / "secret_key"
    if not path.exists():
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=".secret_key-")  # mode 600
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):  # another process was first: use its key
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    return path.read_text().strip()
