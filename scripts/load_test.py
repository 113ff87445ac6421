"""Load test with locust: citizens browsing, searching and routing, kiosks polling, against the several-
servers set-up (or one gunicorn).

By default it starts what tests/test_scaleout.py tests: a throwaway PostgreSQL server, two gunicorn servers
(separate processes and instance folders, one published-files folder) behind nginx with the site
configuration of docs/DEPLOYMENT.md (tests/scaleout.py). ``--single`` drives instead the one gunicorn of
scripts/benchlib.py on SQLite. The demo halls are loaded, their models built and their panoramas rendered
(2048 px wide) first; then ``--users`` locust users for ``--seconds``:

- citizens (``Citizen``), each task a kind: *hall* (a hall document), *tiles* (a scene's preview and its six
  level-1 faces), *plan* (a floor plan SVG), *search* (a distinct query each time), *route* (a random pair of
  places), and *static* (``/static/robots.txt``: the static file peer every kind is compared with);
- kiosks (``Kiosk``, one in five users), polling ``/api/v1/halls/<hall>/states`` every 3 seconds.

It prints per kind: requests, failures, p50/p95/p99 (ms) and the p50 and p99 as a multiple of the static
file's; and exits 1 if any request failed. Run: ``.venv/bin/python scripts/load_test.py [--users 50]
[--seconds 60] [--single]`` (locust is in the ``bench`` extras: ``pip install -e '.[bench]'``).
"""

from __future__ import annotations

# First: importing locust patches the standard library for gevent, before anything uses sockets or ssl.
from locust import HttpUser, between, constant, events, task  # isort: skip
from locust.env import Environment  # isort: skip

import argparse
import contextlib
import itertools
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import gevent
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.scaleout import BIN, AppServer, Nginx, free_port, server_env  # noqa: E402

FACES = "frbldu"
KINDS = ("static", "hall", "tiles", "plan", "search", "route", "states")
FIXED_WORDS = [
    "营业执照",
    "yyzz",
    "开公司",
    "公积金",
    "身份证",
    "社保",
    "不动产",
    "户口",
    "卫生间",
    "母婴室",
    "B03",
]


class Catalogue:
    """What the users ask for, read once from the running set-up: halls, scenes with tiles, plans, places."""

    def __init__(self, host: str) -> None:
        halls = [h["slug"] for h in requests.get(host + "/api/v1/halls", timeout=60).json()["halls"]]
        self.docs = {slug: requests.get(f"{host}/api/v1/halls/{slug}", timeout=60).json() for slug in halls}
        self.halls = halls
        self.tiles = {s: [sc["tiles"] for sc in d["scenes"] if sc["tiles"]] for s, d in self.docs.items()}
        self.plans = [f["plan_url"] for d in self.docs.values() for f in d["floors"] if f["plan_url"]]
        self.places = {
            slug: [f"counter:{c['number']}" for c in d["counters"]]
            + [f"facility:{f['id']}" for f in d["facilities"]]
            for slug, d in self.docs.items()
        }
        names = [c["name"]["zh"] for d in self.docs.values() for c in d["counters"]]
        names += [f["name"]["zh"] for d in self.docs.values() for f in d["facilities"]]
        self.queries = distinct_queries(names)
        if not all(self.tiles.values()):
            raise RuntimeError("a hall has no scene with tiles: were the panoramas rendered?")


def distinct_queries(names: list[str], seed: int = 11) -> Iterator[str]:
    """An endless stream of queries, none repeated: fragments of names, their pinyin, everyday phrases,
    each with a growing number once the plain ones are used up (so every answer is computed)."""
    from server.catalogue.search import pinyin_full, pinyin_initials

    rng = random.Random(seed)
    seen: set[str] = set()
    for n in itertools.count():
        name = rng.choice(names)
        word = name[: rng.randint(2, 6)]
        kind = rng.random()
        if kind < 0.5:
            start = rng.randint(0, max(0, len(name) - 4))
            q = name[start : start + rng.randint(2, 5)]
        elif kind < 0.65:
            q = pinyin_full(word)
        elif kind < 0.8:
            q = pinyin_initials(word)
        else:
            q = rng.choice(FIXED_WORDS) + rng.choice(["", "怎么办", "在哪里", "需要什么材料", "几点上班"])
        if q in seen:
            q = f"{q} {n}"
        seen.add(q)
        yield q


CATALOGUE: Catalogue | None = None


def catalogue() -> Catalogue:
    assert CATALOGUE is not None
    return CATALOGUE


class Citizen(HttpUser):
    """A citizen on the tour: browses halls and scenes, searches, asks for routes."""

    weight = 4
    wait_time = between(1, 3)

    @task(3)
    def hall(self) -> None:
        self.client.get(f"/api/v1/halls/{random.choice(catalogue().halls)}", name="hall")

    @task(3)
    def tiles(self) -> None:
        data = catalogue()
        tiles = random.choice(data.tiles[random.choice(data.halls)])
        self.client.get(tiles["basePath"] + tiles["preview"], name="tiles")
        for face in FACES:
            self.client.get(f"{tiles['basePath']}/1/{face}0_0.{tiles['extension']}", name="tiles")

    @task(1)
    def plan(self) -> None:
        self.client.get(random.choice(catalogue().plans), name="plan")

    @task(3)
    def search(self) -> None:
        data = catalogue()
        hall = random.choice(data.halls)
        self.client.get(f"/api/v1/search?hall={hall}&q={quote(next(data.queries))}", name="search")

    @task(2)
    def route(self) -> None:
        data = catalogue()
        hall = random.choice(data.halls)
        start, target = random.sample(data.places[hall], 2)
        self.client.get(f"/api/v1/halls/{hall}/route?from={start}&to={target}", name="route")

    @task(1)
    def static(self) -> None:
        self.client.get("/static/robots.txt", name="static")


class Kiosk(HttpUser):
    """A kiosk in a hall: polls the counters' opening states every few seconds."""

    weight = 1
    wait_time = constant(3)

    def on_start(self) -> None:
        self.hall = random.choice(catalogue().halls)

    @task
    def states(self) -> None:
        self.client.get(f"/api/v1/halls/{self.hall}/states", name="states")


def flask(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [str(BIN / "flask"), "--app", "server", *args], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")


def prepare(env: dict[str, str]) -> None:
    """Demo halls, their models and (small) demo panoramas, through the command line."""
    t = time.perf_counter()
    flask(env, "demo")
    flask(env, "model", "build", "--all")
    flask(env, "panorama", "render-demo", "--width", "2048")
    print(f"set-up: demo, models, panoramas in {time.perf_counter() - t:.0f} s", flush=True)


def several_servers(stack: contextlib.ExitStack, folder: Path, workers: int) -> str:
    """PostgreSQL, two gunicorn servers and nginx (tests/scaleout.py); the base URL of nginx."""
    from tests.pgcluster import Cluster

    cluster = Cluster().start()
    stack.callback(cluster.stop)
    url, published = cluster.new_database(), folder / "published"
    envs = {}
    for name in ("a", "b"):
        (folder / name).mkdir()
        envs[name] = server_env(folder / name, database_url=url, published=published, secret="load-test")
    prepare(envs["a"])
    servers = [AppServer(envs[n], folder / n, workers=workers).start() for n in envs]
    for server in servers:
        stack.callback(server.stop)
    for server in servers:
        server.wait()
    nginx = Nginx(free_port(), [s.port for s in servers]).start()
    stack.callback(nginx.stop)
    print(f"two gunicorn servers ({workers} workers each) behind nginx on PostgreSQL", flush=True)
    return nginx.url


def single_server(stack: contextlib.ExitStack, folder: Path, workers: int) -> str:
    """The one gunicorn of scripts/benchlib.py on SQLite; its base URL."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from benchlib import start_gunicorn, wait_ready

    env = server_env(
        folder, database_url=f"sqlite:///{folder / 'load.sqlite3'}", published=folder, secret="load"
    )
    prepare(env)
    port = free_port()
    server = start_gunicorn(env, port, workers=workers)
    stack.callback(lambda: (server.terminate(), server.wait(timeout=20)))
    wait_ready(port)
    print(f"one gunicorn ({workers} workers) on SQLite", flush=True)
    return f"http://127.0.0.1:{port}"


def warm(host: str) -> None:
    """One round of every kind, so that each process has built its caches before the clock starts."""
    data = catalogue()
    for _ in range(8):  # round robin over every worker of every server
        for hall in data.halls:
            requests.get(f"{host}/api/v1/halls/{hall}", timeout=120)
            requests.get(f"{host}/api/v1/search?hall={hall}&q={quote('营业执照')}", timeout=120)
            a, b = data.places[hall][:2]
            requests.get(f"{host}/api/v1/halls/{hall}/route?from={a}&to={b}", timeout=120)
        for plan in data.plans:
            requests.get(host + plan, timeout=120)


def drive(host: str, users: int, seconds: float) -> Environment:
    env = Environment(user_classes=[Citizen, Kiosk], host=host, events=events)
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=max(1, users / 5))  # all users within 5 s
    gevent.spawn_later(seconds, runner.quit)
    runner.greenlet.join()
    return env


def report(env: Environment, users: int, seconds: float) -> int:
    entries = {entry.name: entry for entry in env.stats.entries.values()}
    static = entries.get("static")
    print(f"\n{users} users, {seconds:.0f} s: {env.stats.total.num_requests} requests, "
          f"{env.stats.total.num_failures} failures, {env.stats.total.total_rps:.0f} requests/s")  # fmt: skip
    print(f"{'kind':8} {'requests':>9} {'failures':>9} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'p50/static':>11} "
          f"{'p99/static':>11}")  # fmt: skip
    for kind in KINDS:
        entry = entries.get(kind)
        if entry is None:
            continue
        p50, p95, p99 = (entry.get_response_time_percentile(p) for p in (0.5, 0.95, 0.99))
        ratios = ("-", "-")
        if static is not None and static.num_requests:
            s50, s99 = static.get_response_time_percentile(0.5), static.get_response_time_percentile(0.99)
            ratios = (f"{p50 / max(s50, 1):.1f}×", f"{p99 / max(s99, 1):.1f}×")
        print(f"{kind:8} {entry.num_requests:>9} {entry.num_failures:>9} {p50:>7.0f} {p95:>7.0f} {p99:>7.0f} "
              f"{ratios[0]:>11} {ratios[1]:>11}")  # fmt: skip
    for error in env.stats.errors.values():
        print(f"failure: {error.method} {error.name}: {error.error} ×{error.occurrences}")
    return 1 if env.stats.total.num_failures else 0


def main() -> None:
    global CATALOGUE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server")
    parser.add_argument("--single", action="store_true", help="one gunicorn on SQLite (scripts/benchlib.py)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vhall-load-") as tmp, contextlib.ExitStack() as stack:
        start = single_server if args.single else several_servers
        host = start(stack, Path(tmp), args.workers)
        CATALOGUE = Catalogue(host)
        warm(host)
        env = drive(host, args.users, args.seconds)
        status = report(env, args.users, args.seconds)
    sys.exit(status)


if __name__ == "__main__":
    main()
