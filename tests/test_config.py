import multiprocessing
import os
import stat
from pathlib import Path

from server import create_app


def test_settings_come_from_prefixed_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("VHALL_INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.setenv("VHALL_DATABASE_URL", f"sqlite:///{tmp_path / 'other.sqlite3'}")
    monkeypatch.setenv("VHALL_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("VHALL_API_MAX_AGE", "120")
    app = create_app()
    assert app.instance_path == str(tmp_path / "inst")
    assert app.config["DATABASE_URL"].endswith("other.sqlite3")
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["API_MAX_AGE"] == 120  # parsed as JSON, so a number


def test_plain_database_url_is_accepted(tmp_path, monkeypatch):
    monkeypatch.setenv("VHALL_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'plain.sqlite3'}")
    monkeypatch.delenv("VHALL_DATABASE_URL", raising=False)
    assert create_app().config["DATABASE_URL"].endswith("plain.sqlite3")


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("VHALL_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("VHALL_DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'hall.sqlite3'}"


def test_without_a_secret_one_is_generated_once_and_kept_private(tmp_path, monkeypatch):
    monkeypatch.setenv("VHALL_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("VHALL_SECRET_KEY", raising=False)
    first = create_app().config["SECRET_KEY"]
    second = create_app().config["SECRET_KEY"]
    assert first == second and len(first) >= 40
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600


def test_instance_path_argument_wins_and_nothing_is_written_elsewhere(tmp_path, monkeypatch):
    monkeypatch.setenv("VHALL_INSTANCE_PATH", str(tmp_path / "from-env"))
    app = create_app({"DATABASE_URL": "sqlite://"}, instance_path=tmp_path / "given")
    assert app.instance_path == str(tmp_path / "given")
    assert (tmp_path / "given" / "secret_key").is_file()
    assert not (tmp_path / "from-env").exists()


def test_proxy_fix_trusts_forwarded_headers_only_when_configured(tmp_path):
    url = f"sqlite:///{tmp_path / 'p.sqlite3'}"
    plain = create_app({"DATABASE_URL": url}, instance_path=tmp_path)
    proxied = create_app({"DATABASE_URL": url, "PROXY_FIX": 1}, instance_path=tmp_path)
    for app, expected in ((plain, "http"), (proxied, "https")):

        @app.get("/scheme")
        def scheme():
            from flask import request

            return request.scheme

        response = app.test_client().get("/scheme", headers={"X-Forwarded-Proto": "https"})
        assert response.text == expected


def _secret_in_process(folder: str, start, queue) -> None:
    from server.config import _instance_secret

    start.wait()
    queue.put(_instance_secret(Path(folder)))


def test_processes_starting_at_once_share_one_complete_secret(tmp_path):
    """~16 processes on a fresh instance folder, released together: one key, never empty, no temporaries."""
    context = multiprocessing.get_context("fork")
    start, queue = context.Event(), context.Queue()
    workers = [
        context.Process(target=_secret_in_process, args=(str(tmp_path), start, queue)) for _ in range(16)
    ]
    for worker in workers:
        worker.start()
    start.set()
    keys = [queue.get(timeout=30) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    assert all(worker.exitcode == 0 for worker in workers)
    assert len(set(keys)) == 1 and len(keys[0]) >= 40
    assert (tmp_path / "secret_key").read_text().strip() == keys[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret_key"]
    assert stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode) == 0o600
