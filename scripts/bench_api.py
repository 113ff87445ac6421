"""API latency benchmark: the production server (gunicorn) with a generated 10,000-item catalogue.

Starts gunicorn on a fresh SQLite instance holding the demo halls plus 10,000 generated service items,
then drives it from a separate process with concurrent keep-alive clients (asyncio, raw HTTP/1.1) and
prints p50/p95/p99 latency and throughput for: a small static file (the reference peer, served by the
same server), the hall document, and search with distinct queries (so that answers are computed, not
cached). Then, with the demo halls' models published: the first requests after start, and a mix of hall
document, route and search requests without a publish and while another process publishes new versions of
a hall's model (``model publish`` of two variants with different hashes, in turn), with the ratio of their
p99 (target: ≤ 2). Run: ``.venv/bin/python scripts/bench_api.py [--seconds 8] [--clients 50]
[--database postgresql]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchlib import free_port, start_gunicorn, wait_ready  # noqa: E402  (scripts/ is on the path when run as a script)

BIN = Path(sys.executable).parent

WORDS = [
    "企业",
    "个人",
    "道路",
    "医疗",
    "药品",
    "食品",
    "建设工程",
    "林木",
    "水利",
    "渔业",
    "养老",
    "教育",
    "文化",
    "旅游",
    "广告",
    "烟草",
    "燃气",
    "供水",
    "排水",
    "电力",
    "档案",
    "测绘",
    "气象",
    "人防",
]
ACTIONS = [
    "许可",
    "备案",
    "登记",
    "注销",
    "变更",
    "核准",
    "审批",
    "认定",
    "补贴申领",
    "证明开具",
    "年检",
    "延续",
]


def generate_catalogue(database_url: str, count: int, seed: int = 7) -> list[str]:
    """Add *count* generated service items to the database, each handled by a counter of its
    department in the city hall; return their names (to draw search queries from)."""
    from sqlalchemy import create_engine, insert, select
    from sqlalchemy.orm import Session

    from server.db import bump_revision
    from server.models import Counter, Department, Hall, ServiceItem, counter_services

    rng = random.Random(seed)
    engine = create_engine(database_url)
    names = []
    with Session(engine) as session, session.begin():
        departments = session.scalars(select(Department)).all()
        hall_id = session.scalar(select(Hall.id).where(Hall.slug == "guigang"))
        by_department: dict[int, list[int]] = {}
        for counter_id, dept_id in session.execute(
            select(Counter.id, Counter.department_id).where(Counter.hall_id == hall_id)
        ):
            by_department.setdefault(dept_id, []).append(counter_id)
        rows, links = [], []
        for i in range(count):
            dept = rng.choice(departments)
            name = f"{rng.choice(WORDS)}{rng.choice(WORDS)}{rng.choice(ACTIONS)}（第{i}项）"
            names.append(name)
            code = f"GEN{i:012d}"
            rows.append(
                dict(
                    slug=f"gen-{i}",
                    code=code,
                    name_zh=name,
                    name_en=f"Generated item {i}",
                    department_id=dept.id,
                    audience=["自然人"],
                    item_type="公共服务",
                    legal_limit_days=20,
                    promised_limit_days=5,
                    conditions=["符合条件"],
                    process=[
                        {"name": "受理", "description": "窗口受理"},
                        {"name": "办结", "description": "审核后办结"},
                    ],
                    fees={"charged": False, "description": "不收费", "items": []},
                    online_pc_url=f"https://zwfw.example/pc/{code}",
                    online_mobile_url=f"https://zwfw.example/m/{code}",
                    visits=1,
                    appointment_supported=False,
                    enquiry_phone="12345",
                    complaint_phone="12345",
                    keywords=[],
                    reform_2023=False,
                )
            )
        session.execute(insert(ServiceItem), rows)
        ids = dict(
            session.execute(
                select(ServiceItem.slug, ServiceItem.id).where(ServiceItem.slug.like("gen-%"))
            ).all()
        )
        for i, row in enumerate(rows):
            counters = by_department.get(row["department_id"]) or [
                c for cs in by_department.values() for c in cs
            ]
            links.append({"counter_id": rng.choice(counters), "service_id": ids[f"gen-{i}"]})
        session.execute(insert(counter_services), links)
        bump_revision(session)
    return names


# ── the load generator (runs in its own process) ───────────────────────────────────────────────────


def _kind(path: str) -> str:
    if path.startswith("/api/v1/search"):
        return "search"
    if "/route?" in path:
        return "route"
    if path.startswith("/api/v1/halls/"):
        return "hall document"
    return "other"


async def _client(
    host: str,
    port: int,
    paths: list[str],
    deadline: float,
    latencies: list[float],
    kinds: list[str],
    errors: list[int],
):
    reader, writer = await asyncio.open_connection(host, port)
    i = 0
    try:
        while time.perf_counter() < deadline:
            path = paths[i % len(paths)]
            i += 1
            start = time.perf_counter()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept-Encoding: identity\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - start)
            kinds.append(_kind(path))
            if status != 200:
                errors.append(status)
    finally:
        writer.close()


async def _drive(host, port, path_sets, seconds):
    latencies: list[float] = []
    kinds: list[str] = []
    errors: list[int] = []
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    await asyncio.gather(
        *(_client(host, port, paths, deadline, latencies, kinds, errors) for paths in path_sets)
    )
    return latencies, kinds, errors, time.perf_counter() - started


def _drive_process(args, queue):
    queue.put(asyncio.run(_drive(*args)))


def drive(port: int, path_sets: list[list[str]], seconds: float) -> dict:
    """Run one load phase from a separate process: one client per path list, keep-alive, closed loop."""
    queue = multiprocessing.get_context("spawn").Queue()
    process = multiprocessing.get_context("spawn").Process(
        target=_drive_process, args=(("127.0.0.1", port, path_sets, seconds), queue)
    )
    process.start()
    latencies, kinds, errors, elapsed = queue.get()
    process.join()

    def pct(values, p):
        return values[min(len(values) - 1, int(p / 100 * len(values)))] * 1000

    by_kind: dict[str, list[float]] = {}
    for kind, latency in zip(kinds, latencies, strict=True):
        by_kind.setdefault(kind, []).append(latency)
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "rps": len(latencies) / elapsed,
        "p50": pct(latencies, 50),
        "p95": pct(latencies, 95),
        "p99": pct(latencies, 99),
        "max": latencies[-1] * 1000,
        "over_1s": sum(x > 1 for x in latencies),
        "seconds": elapsed,
        "mean": statistics.fmean(latencies) * 1000,
        "kinds": {
            kind: {
                "requests": len(v),
                "p50": pct(sorted(v), 50),
                "p99": pct(sorted(v), 99),
                "max": max(v) * 1000,
                "over_1s": sum(x > 1 for x in v),
            }
            for kind, v in sorted(by_kind.items())
        },
    }


def glb_variant(data: bytes, note: str) -> bytes:
    """The same model with *note* in its asset's copyright field: another hash, the same geometry."""
    import json
    import struct

    magic, version, _length = struct.unpack_from("<III", data, 0)
    json_length, json_type = struct.unpack_from("<II", data, 12)
    document = json.loads(data[20 : 20 + json_length])
    document.setdefault("asset", {})["copyright"] = note
    text = json.dumps(document, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 4)
    rest = data[20 + json_length :]
    return (
        struct.pack("<III", magic, version, 20 + len(text) + len(rest))
        + struct.pack("<II", len(text), json_type)
        + text
        + rest
    )


class Publisher:
    """Publishes the model files *variants* of *hall* in turn, each by a separate ``model publish``
    process, while a phase runs; counts the publishes and how long each took."""

    def __init__(self, env: dict[str, str], hall: str, variants: list[Path]) -> None:
        import threading

        self.env, self.hall, self.variants = env, hall, variants
        self.seconds: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        n = 0
        while not self._stop.is_set():
            started = time.perf_counter()
            subprocess.run(
                [
                    str(BIN / "flask"),
                    "--app",
                    "server",
                    "model",
                    "publish",
                    self.hall,
                    str(self.variants[n % 2]),
                ],
                env=self.env,
                check=True,
                capture_output=True,
            )
            self.seconds.append(time.perf_counter() - started)
            n += 1
            self._stop.wait(1.0)

    def __enter__(self) -> Publisher:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def first_requests(
    env: dict[str, str], workers: int, threads: int, paths: list[str]
) -> list[tuple[str, float]]:
    """A freshly started server's first answer to each of *paths*, in order (ms)."""
    import requests

    port = free_port()
    server = start_gunicorn(env, port, workers=workers, threads=threads)
    try:
        wait_ready(port)
        timed = []
        with requests.Session() as http:
            for path in paths:
                started = time.perf_counter()
                response = http.get(f"http://127.0.0.1:{port}{path}", timeout=120)
                response.raise_for_status()
                timed.append((path, (time.perf_counter() - started) * 1000))
        return timed
    finally:
        server.terminate()
        server.wait(timeout=10)


def search_queries(names: list[str], count: int, seed: int = 11) -> list[str]:
    """Distinct realistic queries: substrings of names, pinyin and initials, numbers, everyday phrases."""
    from server.catalogue.search import pinyin_full, pinyin_initials

    rng = random.Random(seed)
    fixed = ["营业执照", "yyzz", "kaigongsi", "开公司", "卖房子", "B03", "公积金", "身份证", "失业", "退税"]
    queries = set()
    # Bounded: a small catalogue cannot yield *count* distinct queries; then fewer repeat more often.
    for _attempt in range(count * 20):
        if len(queries) >= count:
            break
        name = rng.choice(names)
        kind = rng.random()
        word = name[: rng.randint(2, 6)]
        if kind < 0.5:
            start = rng.randint(0, max(0, len(name) - 4))
            q = name[start : start + rng.randint(2, 5)]
        elif kind < 0.7:
            q = pinyin_full(word)
        elif kind < 0.85:
            q = pinyin_initials(word)
        else:
            q = rng.choice(fixed) + rng.choice(["", "怎么办", "在哪里", "需要什么材料"])
        queries.add(q)
    return ["/api/v1/search?hall=guigang&q=" + quote(q) for q in queries]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--publish-seconds", type=float, default=24.0, help="each mixed phase (with publishes)"
    )
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="postgresql: a throwaway server",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        db_url = f"sqlite:///{tmp}/bench.sqlite3"
        if args.database == "postgresql":
            from tests.pgcluster import Cluster

            cluster = Cluster().start()
            stack.callback(cluster.stop)
            db_url = cluster.new_database()
        env = {
            **os.environ,
            "VHALL_INSTANCE_PATH": tmp,
            "VHALL_DATABASE_URL": db_url,
            "VHALL_SECRET_KEY": "bench",
        }
        flask = [str(BIN / "flask"), "--app", "server"]
        subprocess.run([*flask, "demo"], env=env, check=True, capture_output=True)
        t = time.perf_counter()
        names = generate_catalogue(db_url, args.items)
        print(f"catalogue: demo + {args.items} generated items ({time.perf_counter() - t:.1f} s to insert)")
        subprocess.run([*flask, "model", "build", "--all"], env=env, check=True, capture_output=True)
        (published,) = (Path(tmp) / "models" / "guigang").glob("*.glb")
        variants = [Path(tmp) / f"guigang-{n}.glb" for n in "ab"]
        for n, path in enumerate(variants):
            path.write_bytes(glb_variant(published.read_bytes(), f"bench variant {n}"))
        firsts = first_requests(
            env,
            args.workers,
            args.threads,
            [
                "/api/v1/halls/guigang",
                "/api/v1/halls/guigang/route?from=entrance:main&to=counter:B03",
                "/api/v1/search?q=" + quote("营业执照") + "&hall=guigang",
            ],
        )

        port = free_port()
        server = start_gunicorn(env, port, workers=args.workers, threads=args.threads)
        try:
            import requests

            wait_ready(port)
            # Warm both workers: the search index is built once per process per catalogue revision.
            t = time.perf_counter()
            for _ in range(6):
                requests.get(f"http://127.0.0.1:{port}/api/v1/search?q=warm&hall=guigang", timeout=60)
                requests.get(f"http://127.0.0.1:{port}/api/v1/halls/guigang", timeout=60)
            print(f"warm-up (index build in each worker): {time.perf_counter() - t:.1f} s")
            hall_size = len(requests.get(f"http://127.0.0.1:{port}/api/v1/halls/guigang", timeout=10).content)

            queries = search_queries(names, 40_000)
            half, three_quarters = len(queries) // 2, len(queries) * 3 // 4
            per_client = [queries[i : half : args.clients] or queries for i in range(args.clients)]
            phases = [
                ("static file (reference)", [["/static/robots.txt"]] * args.clients),
                (f"hall document ({hall_size / 1024:.0f} KB)", [["/api/v1/halls/guigang"]] * args.clients),
                ("search, distinct queries", per_client),
                ("search, 8 clients", [queries[half + i : three_quarters : 8] or queries for i in range(8)]),
                ("search, 1 client", [queries[three_quarters:] or queries]),
            ]
            results = {}
            for name, paths in phases:
                results[name] = drive(port, paths, args.seconds)

            hall_doc = requests.get(f"http://127.0.0.1:{port}/api/v1/halls/guigang", timeout=10).json()
            starts = ["entrance:main", *(f"scene:{s['id']}" for s in hall_doc["scenes"])]
            routes = [
                f"/api/v1/halls/guigang/route?from={a}&to=counter:{c['number']}"
                for a in starts
                for c in hall_doc["counters"]
            ]
            mixed = [
                [
                    path
                    for k in range(i, i + 200, 1)
                    for path in (
                        "/api/v1/halls/guigang",
                        routes[(k * 7) % len(routes)],
                        queries[(half + k * args.clients + i) % len(queries)],
                    )
                ]
                for i in range(args.clients)
            ]
            drive(port, mixed, 4)  # each worker's route context and answers at this revision, not measured
            quiet = drive(port, mixed, args.publish_seconds)
            with Publisher(env, "guigang", variants) as publisher:
                busy = drive(port, mixed, args.publish_seconds)
        finally:
            server.terminate()
            server.wait(timeout=10)

    reference = results["static file (reference)"]
    print(
        f"\ngunicorn {args.workers} workers × {args.threads} threads; {args.clients} concurrent keep-alive clients unless noted; "
        f"{args.seconds:.0f} s per phase; {os.cpu_count()} cores shared by server and clients\n"
    )
    print(
        f"{'phase':34} {'requests':>9} {'errors':>6} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'p99 / ref':>9}"
    )
    for name, r in results.items():
        print(
            f"{name:34} {r['requests']:9d} {r['errors']:6d} {r['rps']:8.0f} {r['p50']:8.2f} {r['p95']:8.2f} "
            f"{r['p99']:8.2f} {r['p99'] / reference['p99']:9.2f}"
        )
    print("\ntargets: search p95 ≤ 10 ms; hall document p99 ≤ 30 ms at 50 concurrent clients")

    print(
        "\nfirst request to a freshly started server (models published, nothing derived in the workers yet):"
    )
    for path, ms in firsts:
        print(f"  {ms:8.0f} ms  {path}")
    print(
        f"\nmixed hall document / route / search, {args.clients} clients, {args.publish_seconds:.0f} s; during: "
        f"{len(publisher.seconds)} publishes of guigang by another process "
        f"({', '.join(f'{s:.1f}' for s in publisher.seconds)} s each)"
    )
    # A closed loop hides stalls in its percentiles (a stalled client sends nothing): the phase's length,
    # the slowest answer and the answers over 1 s show them.
    print(f"phase length: quiet {quiet['seconds']:.0f} s, during publishes {busy['seconds']:.0f} s")
    print(f"{'kind':16} {'':7} {'requests':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'> 1 s':>6}")
    rows = [("all", quiet, busy), *((k, quiet["kinds"][k], busy["kinds"].get(k)) for k in quiet["kinds"])]
    for kind, a, b in rows:
        for label, r in (("quiet", a), ("publish", b)):
            if r:
                print(
                    f"{kind:16} {label:7} {r['requests']:9d} {r['p50']:8.1f} {r['p99']:8.1f} {r['max']:8.0f} {r['over_1s']:6d}"
                )
        if b:
            print(f"{kind:16} {'ratio':7} {'':9} {b['p50'] / a['p50']:8.2f} {b['p99'] / a['p99']:8.2f}")
    print(
        f"errors: quiet {quiet['errors']}, during publishes {busy['errors']}; target: p99 during ≤ 2 × quiet"
    )


if __name__ == "__main__":
    main()
