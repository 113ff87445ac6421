"""Set-up made on first use (server/lazy.py): deferred blueprints, extensions built once."""

from __future__ import annotations

import threading

import pytest

from server import create_app
from server.lazy import LazyExtensions, LazyFlask
from tests.conftest import database_name, database_url


def make(tmp_path, **kwargs):
    return create_app(
        {"TESTING": True, "DATABASE_URL": database_url(tmp_path)},
        instance_path=tmp_path,
        **kwargs,
    )


def test_blueprints_wait_for_the_url_map(tmp_path):
    app = make(tmp_path)
    assert "api" not in app.blueprints
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert "/api/v1/halls" in rules and {"api", "pages", "panoramas"} <= set(app.blueprints)


def test_eager_app_registers_at_once(tmp_path):
    app = make(tmp_path, eager=True)
    assert {"api", "pages", "panoramas"} <= set(app.blueprints)


def test_first_request_routes_through_the_deferred_blueprints(tmp_path):
    app = make(tmp_path)
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.json["openapi"].startswith("3.")


def test_extensions_are_made_on_first_look_up(tmp_path):
    app = make(tmp_path)
    assert not dict.__contains__(app.extensions, "db_engine")
    assert "db_engine" in app.extensions  # registered, not yet built
    engine = app.extensions["db_engine"]
    assert engine.dialect.name == database_name()
    assert app.extensions.get("db_engine") is engine and app.extensions["db"].kw["bind"] is engine


def test_a_factory_runs_once_whatever_the_threads():
    extensions = LazyExtensions()
    calls = []
    extensions.add("thing", lambda: calls.append(1) or object())
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(extensions["thing"])) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and len({id(value) for value in seen}) == 1
    assert extensions.get("missing", 7) == 7 and "missing" not in extensions
    with pytest.raises(KeyError):
        extensions["missing"]


def test_a_factory_by_name_is_imported():
    extensions = LazyExtensions()
    extensions.add("counter", "collections:Counter")
    assert extensions["counter"] == {}
    assert type(extensions["counter"]).__name__ == "Counter"


def test_other_threads_wait_for_the_whole_map():
    app = LazyFlask(__name__)
    started, release = threading.Event(), threading.Event()

    def slow_step():
        app.add_url_rule("/first", "first", lambda: "1")
        started.set()
        assert release.wait(10)
        app.add_url_rule("/second", "second", lambda: "2")

    app.defer(slow_step)
    runner = threading.Thread(target=app.finish_setup)
    runner.start()
    assert started.wait(10)
    seen = []
    reader = threading.Thread(target=lambda: seen.append({r.rule for r in app.url_map.iter_rules()}))
    reader.start()
    reader.join(0.2)
    assert reader.is_alive(), "a reader must wait while the deferred steps run"
    release.set()
    runner.join(10)
    reader.join(10)
    assert {"/first", "/second"} <= seen[0]
