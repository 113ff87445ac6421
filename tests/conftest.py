"""Shared fixtures: a real database with the demo halls, and the app behind a real HTTP server.

The database is a fresh SQLite file per app by default; with ``--database=postgresql`` (or
``VHALL_TEST_DATABASE=postgresql``) it is a fresh database per app on a throwaway PostgreSQL server that the
session starts and removes (``tests/pgcluster.py``). Tests that need a URL of their own ask ``database_url``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from sqlalchemy import Engine, event
from werkzeug.serving import WSGIRequestHandler, make_server

from server import create_app
from server.db import upgrade
from server.demo.loader import load
from tests.pgcluster import Cluster

DATABASES = ("sqlite", "postgresql")
_cluster: Cluster | None = None
_engines: set[Engine] = set()


def pytest_addoption(parser) -> None:
    parser.addoption(
        "--database",
        choices=DATABASES,
        default=None,
        help="the database every test app uses (default: $VHALL_TEST_DATABASE, else sqlite)",
    )


def pytest_configure(config) -> None:
    global _cluster
    name = config.getoption("--database") or os.environ.get("VHALL_TEST_DATABASE") or "sqlite"
    if name not in DATABASES:
        raise pytest.UsageError(f"VHALL_TEST_DATABASE must be one of {DATABASES}, not {name!r}")
    if name == "postgresql" and _cluster is None:
        _cluster = Cluster().start()
        # Apps made by tests are dropped without closing their engines; keep the engines until the end, so
        # that their pooled connections are closed cleanly, not by the garbage collector (a ResourceWarning).
        event.listen(Engine, "engine_connect", _keep_engine)


def _keep_engine(connection) -> None:
    _engines.add(connection.engine)


def pytest_unconfigure(config) -> None:
    global _cluster
    if _cluster is not None:
        event.remove(Engine, "engine_connect", _keep_engine)
        for engine in _engines:
            engine.dispose()
        _engines.clear()
        _cluster.stop()
        _cluster = None


def pytest_collection_modifyitems(config, items) -> None:
    """In the PostgreSQL run, leave out the tests marked ``sqlite_only`` (each says why in its docstring)."""
    if _cluster is None:
        return
    sqlite_only = [item for item in items if item.get_closest_marker("sqlite_only")]
    if sqlite_only:
        config.hook.pytest_deselected(items=sqlite_only)
        items[:] = [item for item in items if not item.get_closest_marker("sqlite_only")]


def pytest_report_header(config) -> str:
    return f"database: {database_name()}"


def database_name() -> str:
    """The database this session's apps use: ``sqlite`` or ``postgresql``."""
    return "postgresql" if _cluster is not None else "sqlite"


def database_url(folder: Path, name: str = "hall.sqlite3") -> str:
    """A URL of a fresh, empty database: a SQLite file *name* in *folder*, or a new PostgreSQL database."""
    return _cluster.new_database() if _cluster is not None else f"sqlite:///{folder / name}"


def make_app(folder: Path, *, demo: bool = True, models: bool = False, **config):
    """An app on a fresh database (``database_url``) and instance folder *folder*, migrated, with the demo
    content when *demo* and the demo halls' models built and published when *models*."""
    app = create_app(
        {
            "TESTING": True,
            "REVISION_TTL": 0,
            "DATABASE_URL": database_url(folder),
            "PANORAMA_SOURCES": str(folder / "panorama-sources"),
            **config,
        },
        instance_path=folder,
    )
    upgrade(app.extensions["db_engine"])
    if demo:
        session = app.extensions["db"]()
        try:
            load(session)
        finally:
            session.close()
    if models:
        result = app.test_cli_runner().invoke(args=["model", "build", "--all"])
        assert result.exit_code == 0, result.output
    return app


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    return make_app(tmp_path_factory.mktemp("instance"), models=True)


_BODY = "vhall.test.body"


class _Body:
    """An answer's body whose close() runs once, however many times it is called."""

    def __init__(self, body) -> None:
        self._body = body
        self._closed = False

    def __iter__(self):
        return iter(self._body)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            if hasattr(self._body, "close"):
                self._body.close()


def _remember_body(app):
    def wsgi(environ, start_response):
        body = environ[_BODY] = _Body(app(environ, start_response))
        return body

    return wsgi


class _ClosingHandler(WSGIRequestHandler):
    """Closes the answer's body when the browser drops the connection in the middle of it.

    Werkzeug's development server skips ``close()`` when draining a reset socket raises, which leaves a tile's
    open file to the garbage collector: a ResourceWarning, an error under ``filterwarnings = error``, at the
    teardown of whichever test happens to run then (a browser leaving a page while tiles still stream)."""

    def connection_dropped(self, error, environ=None) -> None:
        body = (environ or {}).get(_BODY)
        if body is not None:
            body.close()


@contextmanager
def serving(app) -> Iterator[str]:
    """*app* served over HTTP on a free loopback port in a thread, while the block runs; its base URL."""
    server = make_server("127.0.0.1", 0, _remember_body(app), threaded=True, request_handler=_ClosingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[str]:
    """The app served over HTTP on a free loopback port; yields its base URL."""
    with serving(app) as base:
        yield base


class Client:
    """A requests session bound to the live server's base URL."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(self.base + path, timeout=30, **kwargs)

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.http.request(method, self.base + path, timeout=30, **kwargs)


@pytest.fixture(scope="session")
def api(live_server) -> Client:
    return Client(live_server)


@pytest.fixture(scope="session")
def generated_vocabulary() -> Path:
    """web/src/generated/vocabulary.js written from server/vocabulary.py (as scripts/lib.sh does)."""
    root = Path(__file__).resolve().parent.parent
    subprocess.run([sys.executable, "-m", "server.web.vocabulary_js"], cwd=root, check=True)
    return root / "web" / "src" / "generated" / "vocabulary.js"


@pytest.fixture(scope="session")
def built_web(generated_vocabulary) -> None:
    """web/dist built from the current web/src and vocabulary (esbuild; about a second)."""
    root = Path(__file__).resolve().parent.parent
    subprocess.run(["node", str(root / "scripts" / "build_web.mjs")], check=True, capture_output=True)


@pytest.fixture
def db(app):
    """A database session on the shared demo database (read-only use)."""
    session = app.extensions["db"]()
    yield session
    session.close()
