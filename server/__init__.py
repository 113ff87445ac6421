"""虚拟政务服务大厅 — the virtual service hall server (Flask application factory)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from flask_cors import CORS
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config, db, errors
from .catalogue import search
from .publishing.hallmodels import ModelCache
from .web.api.http import BodyCache


def create_app(
    test_config: dict[str, Any] | None = None, *, instance_path: str | Path | None = None
) -> Flask:
    """Build the application: settings, database, error shape, blueprints, commands.

    *instance_path* (runtime data: database, secret, published files) wins over ``VHALL_INSTANCE_PATH``."""
    folder = str(Path(instance_path).resolve()) if instance_path else config.instance_path_from_env()
    app = Flask(__name__, instance_path=folder, instance_relative_config=True)
    config.load(app, test_config)
    register_proxy(app)
    db.init_app(app)
    errors.register(app)
    register_caches(app)
    register_blueprints(app)
    register_commands(app)
    return app


def register_proxy(app: Flask) -> None:
    """Trust X-Forwarded-* from as many reverse proxies as configured (none by default)."""
    hops = int(app.config["PROXY_FIX"])
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)


def register_caches(app: Flask) -> None:
    """Per-process caches keyed by catalogue revision, so every process sees a publish on its next request."""
    app.extensions["api_cache"] = BodyCache()
    app.extensions["search_index"] = search.IndexCache()
    app.extensions["hall_models"] = ModelCache()


def register_blueprints(app: Flask) -> None:
    from .web.api import bp as api_bp
    from .web.pages import bp as pages_bp
    from .web.panorama_files import bp as panoramas_bp

    # The API is public and read-only: any origin may GET it.
    CORS(
        app,
        resources={r"/api/*": {"origins": "*", "methods": ["GET", "HEAD", "OPTIONS"]}},
        send_wildcard=True,  # one answer for every origin, so shared caches need no Vary: Origin
    )
    app.register_blueprint(api_bp)
    app.register_blueprint(panoramas_bp)
    app.register_blueprint(pages_bp)


def register_commands(app: Flask) -> None:
    from .cli.demo import demo_command
    from .cli.model import model_cli
    from .cli.panorama import panorama_cli

    app.cli.add_command(demo_command)
    app.cli.add_command(model_cli)
    app.cli.add_command(panorama_cli)
