"""虚拟政务服务大厅 — the virtual service hall server (Flask application factory).

Creating the app imports no domain package: the blueprints are registered on first use of the URL map and
the caches and database engine are made on first look-up (``server/lazy.py``), so a command line starts in
a fraction of a second. ``create_app(eager=True)`` does it all at once, for a server about to take requests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config, db, errors, security
from .lazy import LazyFlask, add_extension


def create_app(
    test_config: dict[str, Any] | None = None,
    *,
    instance_path: str | Path | None = None,
    eager: bool = False,
) -> Flask:
    """Build the application: settings, database, error shape, blueprints, commands.

    *instance_path* (runtime data: database, secret, published files) wins over ``VHALL_INSTANCE_PATH``.
    *eager* registers the web layer now instead of on the first request (gunicorn: ``create_app(eager=True)``,
    so a worker has imported everything before it answers)."""
    folder = str(Path(instance_path).resolve()) if instance_path else config.instance_path_from_env()
    app = LazyFlask(__name__, instance_path=folder, instance_relative_config=True)
    config.load(app, test_config)
    register_proxy(app)
    db.init_app(app)
    errors.register(app)
    security.register(app)  # before the blueprints: every response, error and static file gets the headers
    register_caches(app)
    app.defer(lambda: register_blueprints(app))
    app.defer(lambda: sweep_partials(app))
    register_commands(app)
    if eager:
        app.finish_setup()
    return app


def register_proxy(app: Flask) -> None:
    """Trust X-Forwarded-* from as many reverse proxies as configured (none by default)."""
    hops = int(app.config["PROXY_FIX"])
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)


def register_caches(app: Flask) -> None:
    """Per-process caches keyed by catalogue revision, so every process sees a publish on its next request."""
    add_extension(app, "api_cache", "server.web.api.http:BodyCache")
    add_extension(app, "search_index", "server.catalogue.search:IndexCache")
    add_extension(app, "search_answers", "server.web.api.http:BodyCache")  # ranked, without states
    add_extension(app, "hall_models", "server.publishing.hallmodels:ModelCache")


def register_blueprints(app: Flask) -> None:
    """The public API, panorama files and pages, and the compression of what they answer (deferred by
    ``create_app`` to first use of the URL map)."""
    from flask_cors import CORS

    from .web import compression
    from .web.admin import api_bp as admin_api_bp
    from .web.admin import pages_bp as admin_pages_bp
    from .web.api import bp as api_bp
    from .web.pages import bp as pages_bp
    from .web.panorama_files import bp as panoramas_bp

    # The API is public and read-only: any origin may GET it. Not the admin API: staff use it same-origin.
    CORS(
        app,
        resources={r"/api/(?!v1/admin(/|$)).*": {"origins": "*", "methods": ["GET", "HEAD", "OPTIONS"]}},
        send_wildcard=True,  # one answer for every origin, so shared caches need no Vary: Origin
    )
    app.register_blueprint(api_bp)
    app.register_blueprint(panoramas_bp)
    app.register_blueprint(pages_bp)
    app.register_blueprint(admin_api_bp)
    app.register_blueprint(admin_pages_bp)
    compression.register(app)


def sweep_partials(app: Flask) -> None:
    """Remove what killed processes left unfinished in the published-files folder (with the web layer: at
    start-up of a server, first use otherwise)."""
    from .publishing.storage import sweep_partials as sweep

    sweep(app)


def register_commands(app: Flask) -> None:
    """The command groups; each command's module is imported only when that command runs (server/cli)."""
    from .cli import backup_cli, kiosk_cli, model_cli, panorama_cli, storage_cli, user_cli
    from .cli.demo import demo_command
    from .cli.worker import worker_command

    app.cli.add_command(demo_command)
    app.cli.add_command(model_cli)
    app.cli.add_command(panorama_cli)
    app.cli.add_command(backup_cli)
    app.cli.add_command(user_cli)
    app.cli.add_command(kiosk_cli)
    app.cli.add_command(storage_cli)
    app.cli.add_command(worker_command)
