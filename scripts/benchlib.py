"""What the benchmarks share: a free loopback port, a demo instance, and the production server started the
same way."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def demo_instance(folder: str) -> tuple[dict[str, str], list[str]]:
    """A fresh SQLite instance in *folder* with the demo halls loaded: its environment and the flask command."""
    env = {
        **os.environ,
        "VHALL_INSTANCE_PATH": folder,
        "VHALL_DATABASE_URL": f"sqlite:///{Path(folder) / 'bench.sqlite3'}",
        "VHALL_SECRET_KEY": "bench",
    }
    flask = [str(BIN / "flask"), "--app", "server"]
    subprocess.run([*flask, "demo"], env=env, check=True, capture_output=True, timeout=300)
    return env, flask


def start_gunicorn(
    env: dict[str, str],
    port: int,
    *,
    app: str = "server:create_app(eager=True)",
    workers: int = 2,
    threads: int = 8,
    pythonpath: str | None = None,
) -> subprocess.Popen:
    """gunicorn as the README runs it in production (gthread, keep-alive), serving *app* on *port*."""
    command = [
        str(BIN / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread",
        "--keep-alive",
        "30",
    ]
    if pythonpath:
        command += ["--pythonpath", pythonpath]
    return subprocess.Popen([*command, app], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_ready(port: int, timeout: float = 60.0) -> None:
    """Return once the server on *port* answers a static file; RuntimeError after *timeout* seconds."""
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/static/robots.txt", timeout=5)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")
