"""The documented production set-up works: gunicorn, settings only from the environment."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.conftest import database_name, database_url

VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorn_serves_the_api_from_environment_settings(tmp_path):
    env = {
        **os.environ,
        "VHALL_INSTANCE_PATH": str(tmp_path / "instance"),
        "VHALL_SECRET_KEY": "a-production-secret",
        "VHALL_DATABASE_URL": database_url(tmp_path, "prod.sqlite3"),
        "VHALL_PROXY_FIX": "1",
    }
    flask = [str(VENV_BIN / "flask"), "--app", "server"]
    subprocess.run([*flask, "db", "upgrade"], env=env, check=True, capture_output=True)
    loaded = subprocess.run(
        [*flask, "demo", "--if-changed"], env=env, check=True, capture_output=True, text=True
    )
    assert "demo loaded" in loaded.stdout
    again = subprocess.run(
        [*flask, "demo", "--if-changed"], env=env, check=True, capture_output=True, text=True
    )
    assert "skipped" in again.stdout

    port = free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "server:create_app(eager=True)",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                # Workers import numpy, OpenCV, trimesh… before they answer: slow on a busy machine.
                response = requests.get(f"http://127.0.0.1:{port}/api/v1/halls", timeout=30)
                break
            except (requests.ConnectionError, requests.Timeout):
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        assert response.status_code == 200
        assert [h["slug"] for h in response.json()["halls"]] == ["guigang", "pingnan"]
        assert (tmp_path / "prod.sqlite3").exists() == (database_name() == "sqlite")
        assert not (tmp_path / "instance" / "hall.sqlite3").exists()
    finally:
        server.terminate()
        server.wait(timeout=10)
