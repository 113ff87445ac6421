"""A throwaway PostgreSQL server for the test suite (Debian's ``postgresql`` package).

``Cluster.start()`` runs ``initdb`` in a fresh temporary folder and starts the server listening only on a
Unix socket in that folder (no TCP: nothing else on the machine can reach it, and the port number only names
the socket file, so it cannot collide). ``new_database()`` creates an empty database and answers its
SQLAlchemy URL. ``stop()`` stops the server and removes the folder.

``initdb`` and ``pg_ctl`` refuse to run as root, so as root (as in CI) they run as ``nobody`` on a folder
that user owns. A watchdog process stops the server and removes the folder when the test process ends in
any way — also when it is killed — because it waits for end-of-file on a pipe only the test process holds.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SUPERUSER = "vhall"
PORT = 5432  # only names the socket file in our private folder
# Durability is of no use for a throwaway cluster; these make CREATE DATABASE and commits fast.
SETTINGS = {
    "listen_addresses": "''",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "400",
    "shared_buffers": "64MB",
}

WATCHDOG = """
import shutil, subprocess, sys
sys.stdin.read()  # end of file: the test process is gone
subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
shutil.rmtree(sys.argv[1], ignore_errors=True)
"""


def bin_dir() -> Path:
    """The newest installed PostgreSQL's binaries (``/usr/lib/postgresql/<version>/bin``)."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if not versions:
        raise RuntimeError("PostgreSQL is not installed: bash scripts/test installs Debian's postgresql")
    return versions[-1].parent


class Cluster:
    """One PostgreSQL server in a temporary folder, for one test session."""

    def __init__(self) -> None:
        self.bin = bin_dir()
        self.folder = Path(tempfile.mkdtemp(prefix="vhall-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self._names = itertools.count(1)
        self._watchdog: subprocess.Popen | None = None
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.folder, "nobody", "nogroup")
            self._as_user = ["runuser", "-u", "nobody", "--"]

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self._as_user, *args], capture_output=True, text=True)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}{done.stderr}{log}")

    def start(self) -> Cluster:
        self.folder.chmod(0o700)
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", SUPERUSER, "-A", "trust",
                  "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")  # fmt: skip
        options = " ".join(f"-c {key}={value}" for key, value in SETTINGS.items())
        options += f" -k {self.folder} -p {PORT}"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.log),
                  "-w", "start")  # fmt: skip
        stop = [*self._as_user, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", WATCHDOG, str(self.folder), *stop],
            stdin=subprocess.PIPE,
            start_new_session=True,  # a Ctrl-C to the test process's group does not end it first
        )
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@/{database}?host={self.folder}&port={PORT}"

    def new_database(self) -> str:
        """Create an empty database and answer its SQLAlchemy URL."""
        import psycopg

        name = f"test_{next(self._names)}"
        with psycopg.connect(host=str(self.folder), port=PORT, user=SUPERUSER, dbname="postgres",
                             autocommit=True) as connection:  # fmt: skip
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        """Stop the server and remove its folder (idempotent)."""
        if self._watchdog is not None and self._watchdog.poll() is None:
            self._watchdog.stdin.close()  # the watchdog stops the server and removes the folder
            self._watchdog.wait(timeout=60)
        shutil.rmtree(self.folder, ignore_errors=True)
