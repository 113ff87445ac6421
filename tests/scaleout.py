"""Several application servers behind nginx on one machine: what tests/test_scaleout.py and
scripts/load_test.py start.

``nginx_site()`` is the nginx site configuration shown in docs/DEPLOYMENT.md (the block after the
``<!-- tested: tests/scaleout.py -->`` marker), with its listen address and upstream servers replaced by
loopback ones: the configuration the documentation gives is the one tested. ``Nginx`` runs it as an
unprivileged process (``nobody`` when we are root) from a temporary folder; ``AppServer`` is one gunicorn
process with its own instance folder and access log.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "DEPLOYMENT.md"
MARKER = "<!-- tested: tests/scaleout.py -->"
BIN = Path(sys.executable).parent
# The upstream servers the documented site names (replaced, in order, by the loopback ones).
DOC_UPSTREAM = re.compile(r"^(\s*server\s+)\S+:8000\b", re.MULTILINE)
DOC_LISTEN = re.compile(r"^(\s*)listen\s+80;", re.MULTILINE)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def documented_site() -> str:
    """The nginx block in docs/DEPLOYMENT.md after the marker, as written there."""
    text = DOC.read_text(encoding="utf-8")
    after = text.split(MARKER, 1)[1]
    match = re.search(r"```nginx\n(.*?)```", after, re.DOTALL)
    assert match, "docs/DEPLOYMENT.md: no ```nginx block after the tested marker"
    return match.group(1)


def nginx_site(port: int, upstreams: list[int]) -> str:
    """The documented site listening on 127.0.0.1:*port* with the loopback *upstreams* (ports)."""
    site = documented_site()
    documented = DOC_UPSTREAM.findall(site)
    if len(documented) != len(upstreams):
        raise ValueError(f"the documented upstream has {len(documented)} servers, not {len(upstreams)}")
    ports = iter(upstreams)
    site = DOC_UPSTREAM.sub(lambda m: f"{m.group(1)}127.0.0.1:{next(ports)}", site)
    site, listens = DOC_LISTEN.subn(rf"\g<1>listen 127.0.0.1:{port};", site)
    assert listens == 1, "the documented site must have one 'listen 80;'"
    return site


def nginx_conf(folder: Path, site: str) -> str:
    """A whole nginx.conf around *site* keeping every file nginx writes in *folder*."""
    temp = "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""daemon off;
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 1024; }}
http {{
    access_log {folder / "access.log"};
{temp}
{site}
}}
"""


class Nginx:
    """nginx from a temporary folder, unprivileged, in the foreground (stopped by ``stop``)."""

    def __init__(self, port: int, upstreams: list[int]) -> None:
        self.port = port
        self.folder = Path(tempfile.mkdtemp(prefix="vhall-nginx-"))
        self.conf = self.folder / "nginx.conf"
        self.conf.write_text(nginx_conf(self.folder, nginx_site(port, upstreams)), encoding="utf-8")
        self.process: subprocess.Popen | None = None
        self._as_user: list[str] = []
        if os.geteuid() == 0:  # never as root: nobody owns the folder and runs nginx
            shutil.chown(self.folder, "nobody", "nogroup")
            shutil.chown(self.conf, "nobody", "nogroup")
            self._as_user = ["runuser", "-u", "nobody", "--"]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Nginx:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(binary).exists():
            raise RuntimeError("nginx is not installed: bash scripts/test installs Debian's nginx")
        command = [*self._as_user, binary, "-p", str(self.folder), "-c", str(self.conf), "-e", "stderr"]
        check = subprocess.run([*command, "-t"], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"nginx -t failed:\n{check.stderr}")
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until_answers(self.url + "/static/robots.txt", self.process, self.folder / "error.log")
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            pid_file = self.folder / "nginx.pid"
            pid = int(pid_file.read_text()) if pid_file.exists() else self.process.pid
            os.kill(pid, signal.SIGTERM)  # the master (running as nobody; runuser waits for it)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


class AppServer:
    """One gunicorn process serving ``create_app(eager=True)`` from the environment *env* (which names its
    instance folder, database, secret and published-files folder), with an access log to count requests."""

    def __init__(self, env: dict[str, str], folder: Path, *, workers: int = 1, threads: int = 8) -> None:
        self.env, self.folder, self.port = env, folder, free_port()
        self.access_log = folder / "access.log"
        self.error_log = folder / "gunicorn.log"
        self.workers, self.threads = workers, threads
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> AppServer:
        command = [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
                   "--threads", str(self.threads), "--worker-class", "gthread", "--keep-alive", "30",
                   "--access-logfile", str(self.access_log), "--error-logfile", str(self.error_log),
                   "server:create_app(eager=True)"]  # fmt: skip
        self.process = subprocess.Popen(
            command, env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        return self

    def wait(self) -> AppServer:
        assert self.process is not None
        wait_until_answers(self.url + "/static/robots.txt", self.process, self.error_log)
        return self

    def requests_logged(self) -> list[str]:
        """The request lines of the access log so far."""
        if not self.access_log.exists():
            return []
        return re.findall(
            r'"([A-Z]+ \S+) HTTP/', self.access_log.read_text(encoding="utf-8", errors="replace")
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def wait_until_answers(url: str, process: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    """Return once *url* answers; RuntimeError (with *log*) if *process* ends or *timeout* passes."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            requests.get(url, timeout=10).close()
            return
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            text = log.read_text(errors="replace") if log.exists() else ""
            raise RuntimeError(f"{url} did not start (exit {process.poll()}):\n{text[-4000:]}")
        time.sleep(0.2)


def server_env(instance: Path, *, database_url: str, published: Path, secret: str, **settings: str) -> dict:
    """The environment of one app server: its own instance folder, the shared database, published-files
    folder and secret key, behind one proxy."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VHALL_") and k != "DATABASE_URL"}
    env.update(
        VHALL_INSTANCE_PATH=str(instance),
        VHALL_DATABASE_URL=database_url,
        VHALL_PUBLISHED_PATH=str(published),
        VHALL_SECRET_KEY=secret,
        VHALL_PROXY_FIX="1",
    )
    env.update({f"VHALL_{k}": v for k, v in settings.items()})
    return env
