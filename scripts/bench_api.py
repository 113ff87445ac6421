"""API latency benchmark: the production server (gunicorn) with a generated 10,000-item catalogue.

Starts gunicorn on a fresh SQLite instance holding the demo halls plus 10,000 generated service items,
then drives it from a separate process with concurrent keep-alive clients (asyncio, raw HTTP/1.1) and
prints p50/p95/p99 latency and throughput for: a small static file (the reference peer, served by the
same server), the hall document, and search with distinct queries (so that answers are computed, not
cached). Run: ``.venv/bin/python scripts/bench_api.py [--seconds 8] [--clients 50] [--database postgresql]``.
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


async def _client(
    host: str, port: int, paths: list[str], deadline: float, latencies: list[float], errors: list[int]
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
            if status != 200:
                errors.append(status)
    finally:
        writer.close()


async def _drive(host, port, path_sets, seconds):
    latencies: list[float] = []
    errors: list[int] = []
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    await asyncio.gather(*(_client(host, port, paths, deadline, latencies, errors) for paths in path_sets))
    return latencies, errors, time.perf_counter() - started


def _drive_process(args, queue):
    queue.put(asyncio.run(_drive(*args)))


def drive(port: int, path_sets: list[list[str]], seconds: float) -> dict:
    """Run one load phase from a separate process: one client per path list, keep-alive, closed loop."""
    queue = multiprocessing.get_context("spawn").Queue()
    process = multiprocessing.get_context("spawn").Process(
        target=_drive_process, args=(("127.0.0.1", port, path_sets, seconds), queue)
    )
    process.start()
    latencies, errors, elapsed = queue.get()
    process.join()
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000

    return {
        "requests": len(latencies),
        "errors": len(errors),
        "rps": len(latencies) / elapsed,
        "p50": pct(50),
        "p95": pct(95),
        "p99": pct(99),
        "mean": statistics.fmean(latencies) * 1000,
    }


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


if __name__ == "__main__":
    main()
