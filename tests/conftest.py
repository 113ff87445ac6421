"""Shared fixtures: a real SQLite file with the demo halls, and the app behind a real HTTP server."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from server import create_app
from server.db import upgrade
from server.demo.loader import load


def make_app(folder: Path, *, demo: bool = True, models: bool = False, **config):
    """An app on a fresh SQLite file in *folder* (also its instance folder), migrated, with the demo
    content when *demo* and the demo halls' models built and published when *models*."""
    app = create_app(
        {
            "TESTING": True,
            "REVISION_TTL": 0,
            "DATABASE_URL": f"sqlite:///{folder / 'hall.sqlite3'}",
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


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[str]:
    """The app served over HTTP on a free loopback port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


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
