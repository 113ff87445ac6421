"""Two application servers behind nginx: separate gunicorn processes with separate instance folders, one
PostgreSQL database, one published-files folder, the nginx site of docs/DEPLOYMENT.md (round robin).

A publish through one is seen through the other on its next request; a sign-in through one is valid on the
other (cookie and CSRF token); failed sign-ins spread over both lock the name together; tiles and models come
through nginx with the immutable cache header. In the SQLite run the test starts its own PostgreSQL server."""

from __future__ import annotations

import io
import re
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import requests
from PIL import Image

from tests.conftest import database_name, make_app
from tests.pgcluster import Cluster
from tests.scaleout import BIN, AppServer, Nginx, free_port, server_env

PASSWORD = "Gui-gang-counter-77"
SECRET = "one-secret-for-every-server"
SETTINGS = {"REVISION_TTL": "0", "PASSWORD_SCRYPT_N": "1024", "LOGIN_MAX_FAILURES": "5"}


class Hall:
    """The running set-up: nginx, servers A and B, and A's environment for the command line."""

    def __init__(self, nginx: Nginx, a: AppServer, b: AppServer, published: Path) -> None:
        self.nginx, self.a, self.b, self.published = nginx, a, b, published

    def flask(self, *args: str) -> subprocess.CompletedProcess:
        """``flask --app server …`` run against server A's instance, as an operator would."""
        return subprocess.run(
            [str(BIN / "flask"), "--app", "server", *args],
            env=self.a.env,
            capture_output=True,
            text=True,
            timeout=300,
        )


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scaleout")
    published = folder / "published"
    own = Cluster().start() if database_name() != "postgresql" else None
    try:
        config = {"DATABASE_URL": own.new_database()} if own else {}
        # Migrate, load the demo, build and publish the models, create staff: once, from A's instance.
        setup = make_app(
            folder / "a", models=True, PUBLISHED_PATH=str(published), PASSWORD_SCRYPT_N=1024, **config
        )
        for name in ("boss", "clerk"):
            created = setup.test_cli_runner().invoke(
                args=["user", "create", name, "--role", "admin", "--password-stdin"], input=PASSWORD + "\n"
            )
            assert created.exit_code == 0, created.output
        url = setup.config["DATABASE_URL"]
        setup.extensions["db_engine"].dispose()
        (folder / "b").mkdir()
        a, b = (
            AppServer(
                server_env(folder / n, database_url=url, published=published, secret=SECRET, **SETTINGS),
                folder / n,
            ).start()
            for n in ("a", "b")
        )
        nginx = None
        try:
            a.wait(), b.wait()
            nginx = Nginx(free_port(), [a.port, b.port]).start()
            yield Hall(nginx, a, b, published)
        finally:
            if nginx is not None:
                nginx.stop()
            a.stop(), b.stop()
    finally:
        if own is not None:
            own.stop()


def get(url: str, **kwargs) -> requests.Response:
    return requests.get(url, timeout=30, **kwargs)


def test_nginx_sends_requests_to_both_servers_in_turn(hall):
    before = {s: len(s.requests_logged()) for s in (hall.a, hall.b)}
    with requests.Session() as session:  # one keep-alive connection to nginx
        answers = [session.get(hall.nginx.url + "/api/v1/halls", timeout=30) for _ in range(6)]
    assert [r.status_code for r in answers] == [200] * 6
    assert len({r.headers["ETag"] for r in answers}) == 1  # the same answer from either

    def logged() -> list[int]:
        return [s.requests_logged()[before[s] :].count("GET /api/v1/halls") for s in (hall.a, hall.b)]

    deadline = time.monotonic() + 20  # a worker writes its access-log line just after it answers
    while sum(logged()) < 6 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert logged() == [3, 3]


def _equirect() -> bytes:
    """A 2048×1024 equirect that no scene has yet (a gradient with a random tint)."""
    x = np.linspace(0, 255, 2048, dtype=np.float32)
    y = np.linspace(0, 255, 1024, dtype=np.float32)[:, None]
    tint = np.random.default_rng().integers(0, 255, 3)
    image = np.stack([np.broadcast_to(x, (1024, 2048)), np.broadcast_to(y, (1024, 2048)),
                      np.full((1024, 2048), tint[0], np.float32)], axis=-1)  # fmt: skip
    out = io.BytesIO()
    Image.fromarray(np.clip(image + tint[1:2], 0, 255).astype(np.uint8)).save(out, format="JPEG", quality=90)
    return out.getvalue()


def _scene(doc: dict, code: str) -> dict:
    return next(s for s in doc["scenes"] if s["id"] == code)


def test_a_publish_through_one_server_is_seen_through_the_other_on_its_next_request(hall, tmp_path):
    path = "/api/v1/halls/guigang"
    first = get(hall.b.url + path)
    assert first.status_code == 200
    scene = first.json()["scenes"][0]["id"]
    before_tiles = _scene(first.json(), scene)["tiles"]
    source = tmp_path / "scene.jpg"
    source.write_bytes(_equirect())

    done = hall.flask("panorama", "add", "guigang", scene, str(source))  # writes through A's instance
    assert done.returncode == 0, done.stdout + done.stderr

    # B's next request: a new ETag and body naming the new tile version (no restart, no wait).
    after = get(hall.b.url + path, headers={"If-None-Match": first.headers["ETag"]})
    assert after.status_code == 200
    assert after.headers["ETag"] != first.headers["ETag"]
    tiles = _scene(after.json(), scene)["tiles"]
    assert tiles["version"] != (before_tiles or {}).get("version")
    assert (hall.published / "panoramas" / "guigang" / scene / tiles["version"] / "config.json").is_file()
    assert not (Path(hall.a.env["VHALL_INSTANCE_PATH"]) / "panoramas").exists()
    # And through nginx, whichever server answers.
    for _ in range(2):
        through = get(hall.nginx.url + path)
        assert through.headers["ETag"] == after.headers["ETag"]
        assert _scene(through.json(), scene)["tiles"]["version"] == tiles["version"]


def test_tiles_and_models_come_through_nginx_with_the_immutable_header(hall):
    doc = get(hall.nginx.url + "/api/v1/halls/guigang").json()
    tiles = next(s["tiles"] for s in doc["scenes"] if s["tiles"])
    folder = hall.published / "panoramas" / tiles["basePath"].removeprefix("/panoramas/")
    urls = {
        tiles["basePath"] + tiles["preview"]: folder / tiles["preview"].lstrip("/"),
        doc["model_url"]: next(
            (hall.published / "models" / "guigang").glob(f"{doc['model_url'][-16:]}*.glb")
        ),
    }
    for url, file in urls.items():
        for _ in range(2):  # one from each server
            answer = get(hall.nginx.url + url)
            assert answer.status_code == 200, url
            assert answer.content == file.read_bytes(), url
            cache = answer.headers["Cache-Control"]
            assert "immutable" in cache and "public" in cache and "max-age=31536000" in cache, cache
            assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_a_sign_in_through_one_server_is_valid_on_the_other(hall):
    with requests.Session() as staff:
        made = staff.post(
            hall.a.url + "/api/v1/admin/session", json={"username": "boss", "password": PASSWORD}
        )
        assert made.status_code == 201, made.text
        token = made.json()["csrf_token"]
        seen = staff.get(hall.b.url + "/api/v1/admin/session", timeout=30)
        assert seen.status_code == 200 and seen.json()["csrf_token"] == token
        # A write on B: refused without the CSRF token, accepted with the token A gave.
        assert staff.delete(hall.b.url + "/api/v1/admin/session", timeout=30).status_code == 403
        out = staff.delete(hall.b.url + "/api/v1/admin/session", headers={"X-CSRF-Token": token}, timeout=30)
        assert out.status_code == 204
        assert staff.get(hall.a.url + "/api/v1/admin/session", timeout=30).status_code == 401

    with requests.Session() as browser:  # the sign-in form: its double-submit token from A, posted to B
        form = browser.get(hall.a.url + "/admin/login", timeout=30)
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        signed = browser.post(
            hall.b.url + "/admin/login",
            data={"csrf_token": token, "username": "boss", "password": PASSWORD},
            allow_redirects=False,
            timeout=30,
        )
        assert signed.status_code == 303, signed.text
        assert browser.get(hall.a.url + "/api/v1/admin/session", timeout=30).json()["user"]["name"] == "boss"


def test_failed_sign_ins_spread_over_both_servers_lock_the_name_together(hall):
    def attempt(server: AppServer, password: str) -> requests.Response:
        return requests.post(
            server.url + "/api/v1/admin/session", json={"username": "clerk", "password": password}, timeout=30
        )

    wrong = [attempt(s, "not-the-password") for s in (hall.a, hall.b, hall.a, hall.b, hall.a)]
    assert [r.status_code for r in wrong] == [401, 401, 401, 401, 429]  # 3 on A + 2 on B: the 5th locks
    for server in (hall.b, hall.a):  # now even the right password is refused on both
        locked = attempt(server, PASSWORD)
        assert locked.status_code == 429, locked.text
        assert int(locked.headers["Retry-After"]) > 0
