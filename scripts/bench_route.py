"""Route benchmark: the demo city hall and a generated large hall (4 floors, 400 counters).

For each hall it measures, through the real pipeline (layout → GLB → plan geometry → walking graph):
the time to build the walking graph, and per route query (answer serialised as the API sends it) the p50,
p99 and mean. The peer, measured in the same run on the same free space: the textbook way — A* over a
0.25 m occupancy grid, 8-connected — which knows one floor only.

Both answer the SAME query set: ``--queries`` seeded random pairs on the ground floor (entrances, scenes
and counters to counters and facilities). Our graph is built once for many queries, the peer's grid too,
so each build is shown on its own and amortised: the cost per query including the build for N queries,
and the break-even N past which ours costs less in all (ours builds every floor with its lifts and
stairs; the peer only the floor queried). Then ours alone on ``--mixed`` pairs over all floors, which the
peer cannot answer. Run: ``.venv/bin/python scripts/bench_route.py [--queries 300] [--mixed 2000]``.
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import math
import random
import sys
import time
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server.hallmodel.build import build_glb  # noqa: E402
from server.hallmodel.check import extract, load_scene, places  # noqa: E402
from server.hallmodel.layout import layout_path, load, parse  # noqa: E402
from server.wayfinding.routing import RouteError, WalkGraph, free_space  # noqa: E402

GRID = 0.25  # metres per cell of the peer's occupancy grid


def large_layout(floors: int = 4, per_floor: int = 100) -> dict:
    """A 90 × 44 m hall of *floors* floors, *per_floor* counters each in five rows, lifts and stairs."""
    spec = {"hall": "large", "wall_height": 4.4, "floors": [], "connectors": []}
    for f in range(floors):
        level, counters, facilities = f + 1, [], []
        rows = [(-40, -18, 180), (-40, -8, 0), (-40, 0, 180), (-40, 10, 0), (-40, 18, 0)]
        per_row = per_floor // len(rows)
        for r, (x0, z, facing) in enumerate(rows):
            prefix = "ABCDEFGHJKLMNPQRSTUVWXYZ"[f * 5 + r]
            counters.append(
                {
                    "row": [f"{prefix}{i + 1:02d}" for i in range(per_row)],
                    "from": [x0, z],
                    "step": [2.0 if r != 4 else 1.9, 0],
                    "facing": facing,
                }
            )
        facilities += [
            {"id": f"toilet-{level}", "type": "toilet", "at": [42, -21.7]},
            {"id": f"water-{level}", "type": "drinking_water", "at": [42, 5]},
        ]
        if level == 1:
            facilities.append({"id": "entrance-main", "type": "entrance", "at": [0, 20.8]})
        spec["floors"].append(
            {
                "level": level,
                "elevation": 5.0 * f,
                "outline": [[-45, -22], [45, -22], [45, 22], [-45, 22]],
                "openings": [{"at": [0, 22], "width": 4}] if level == 1 else [],
                "counters": counters,
                "facilities": facilities,
            }
        )
    levels = list(range(1, floors + 1))
    spec["connectors"] = [
        {"id": "lift-a", "type": "lift", "floors": levels, "at": [3, -13], "size": [2.4, 2.4]},
        {"id": "stairs-a", "type": "stairs", "floors": levels, "at": [-3, -13], "size": [2.4, 4.4]},
    ]
    return spec


def prepare(layout, floors, scenes=None, entrances=None):
    started = time.perf_counter()
    scene, _document = load_scene(build_glb(layout))
    geometry = extract(scene, floors)
    extracted = time.perf_counter() - started
    hall_places = places(geometry, scenes or {}, entrances or {"main": "entrance-main"})
    started = time.perf_counter()
    graph = WalkGraph.build(geometry, hall_places)
    return geometry, graph, extracted, time.perf_counter() - started


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def ours(graph, pairs):
    times = []
    for a, b in pairs:
        started = time.perf_counter()
        with contextlib.suppress(RouteError):
            graph.route(a, b).to_dict()
        times.append(time.perf_counter() - started)
    return times


class GridPeer:
    """A* over an occupancy grid of one floor's free space (8-connected, octile heuristic)."""

    def __init__(self, floor):
        area = free_space(floor)
        minx, minz, maxx, maxz = area.bounds
        self.origin = np.array([minx, minz])
        xs = np.arange(minx + GRID / 2, maxx, GRID)
        zs = np.arange(minz + GRID / 2, maxz, GRID)
        gx, gz = np.meshgrid(xs, zs, indexing="ij")
        shapely.prepare(area)
        self.free = shapely.contains_xy(area, gx, gz)

    def cell(self, x, z):
        i, j = int((x - self.origin[0]) // GRID), int((z - self.origin[1]) // GRID)
        best = None
        for di in range(-4, 5):  # the nearest free cell, as a snap
            for dj in range(-4, 5):
                a, b = i + di, j + dj
                if 0 <= a < self.free.shape[0] and 0 <= b < self.free.shape[1] and self.free[a, b]:
                    d = di * di + dj * dj
                    if best is None or d < best[0]:
                        best = (d, (a, b))
        return best[1] if best else None

    def route(self, start, goal):
        """Path length (m) from plan point *start* to *goal*, or None."""
        s, g = self.cell(*start), self.cell(*goal)
        if s is None or g is None:
            return None
        moves = [
            (1, 0, 1.0),
            (-1, 0, 1.0),
            (0, 1, 1.0),
            (0, -1, 1.0),
            (1, 1, math.sqrt(2)),
            (1, -1, math.sqrt(2)),
            (-1, 1, math.sqrt(2)),
            (-1, -1, math.sqrt(2)),
        ]
        w, h = self.free.shape

        def heuristic(c):
            dx, dz = abs(c[0] - g[0]), abs(c[1] - g[1])
            return max(dx, dz) + (math.sqrt(2) - 1) * min(dx, dz)

        best = {s: 0.0}
        frontier = [(heuristic(s), 0.0, s)]
        while frontier:
            _f, cost, c = heapq.heappop(frontier)
            if c == g:
                return cost * GRID
            if cost > best.get(c, math.inf):
                continue
            for di, dj, step in moves:
                n = (c[0] + di, c[1] + dj)
                if 0 <= n[0] < w and 0 <= n[1] < h and self.free[n]:
                    # Diagonal moves may not cut a blocked corner.
                    if di and dj and not (self.free[c[0] + di, c[1]] and self.free[c[0], c[1] + dj]):
                        continue
                    new = cost + step
                    if new < best.get(n, math.inf):
                        best[n] = new
                        heapq.heappush(frontier, (new + heuristic(n), new, n))
        return None


def mean(values):
    return sum(values) / len(values)


def amortised(build, per_query, n):
    """Seconds per query, the build included, over *n* queries."""
    return build / n + per_query


def break_even(ours_build, ours_query, peer_build, peer_query):
    """The fewest queries from which ours costs no more in all than the peer, build included (None: never)."""
    if ours_build <= peer_build and ours_query <= peer_query:
        return 1
    if ours_query >= peer_query:
        return None
    return max(1, math.ceil((ours_build - peer_build) / (peer_query - ours_query)))


def bench(name, geometry, graph, extracted, built, queries, mixed, rng):
    keys = list(graph.places)
    level = min(geometry.floors)

    def pick(kinds, floor=None):
        return [
            k for k in keys if k.split(":")[0] in kinds and (floor is None or graph.places[k].floor == floor)
        ]

    origins, targets = pick(("entrance", "scene", "counter"), level), pick(("counter", "facility"), level)
    pairs = [(rng.choice(origins), rng.choice(targets)) for _ in range(queries)]
    times = ours(graph, pairs)
    started = time.perf_counter()
    peer = GridPeer(geometry.floors[level])
    peer_built = time.perf_counter() - started
    peer_times, ratios = [], []
    for a, b in pairs:
        pa, pb = graph.places[a], graph.places[b]
        started = time.perf_counter()
        length = peer.route((pa.x, pa.z), (pb.x, pb.z))
        peer_times.append(time.perf_counter() - started)
        if length:
            with contextlib.suppress(RouteError):
                ratios.append(length / graph.route(a, b).length_m)
    print(
        f"\n{name}: {len(geometry.floors)} floors, {len(geometry.counters())} counters, "
        f"{graph.node_count} graph nodes, {graph.edge_count} edges, {len(graph.places)} places"
    )
    print(
        f"  model → plan geometry: {extracted:.2f} s; our walking graph build (all floors): {built:.3f} s; "
        f"peer's grid build (floor {level}): {peer_built:.3f} s"
    )
    print(f"  the same {len(pairs)} pairs on floor {level}, answered by both:")
    rows = (("ours", times), ("grid A* peer", peer_times))
    for label, seconds in rows:
        ms = [t * 1000 for t in seconds]
        print(
            f"    {label:<14} p50 {percentile(ms, 50):8.3f} ms   p99 {percentile(ms, 99):8.3f} ms   "
            f"mean {mean(ms):8.3f} ms"
        )
    print(
        f"    ours is {percentile(peer_times, 50) / percentile(times, 50):.0f}× faster at p50; "
        f"grid path length / ours: median {percentile(ratios, 50):.3f}, max {max(ratios):.3f}"
    )
    ours_q, peer_q = mean(times), mean(peer_times)
    counts = (1, 10, 100, 1000, 10000)
    print("    per query including the build, over N queries (ms):")
    print("      N      " + "".join(f"{n:>10}" for n in counts))
    print("      ours   " + "".join(f"{amortised(built, ours_q, n) * 1000:>10.3f}" for n in counts))
    print("      peer   " + "".join(f"{amortised(peer_built, peer_q, n) * 1000:>10.3f}" for n in counts))
    even = break_even(built, ours_q, peer_built, peer_q)
    print(
        "    break-even: "
        + (f"ours costs less in all from N = {even} queries" if even else "ours never catches up")
    )
    all_origins, all_targets = pick(("entrance", "scene", "counter")), pick(("counter", "facility"))
    mixed_pairs = [(rng.choice(all_origins), rng.choice(all_targets)) for _ in range(mixed)]
    mixed_ms = [t * 1000 for t in ours(graph, mixed_pairs)]
    print(
        f"  ours only, {len(mixed_ms)} pairs over all floors: p50 {percentile(mixed_ms, 50):8.3f} ms   "
        f"p99 {percentile(mixed_ms, 99):8.3f} ms"
    )
    return max(percentile(mixed_ms, 99), percentile([t * 1000 for t in times], 99))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=300, help="same-floor pairs both answer (300)")
    parser.add_argument("--mixed", type=int, default=2000, help="pairs over all floors, ours only (2000)")
    args = parser.parse_args()
    rng = random.Random(5)
    demo = load(layout_path("guigang"))
    scenes = {"lobby": (1, 0.0, 3.0), "entrance": (1, 0.0, 12.5), "lift-2f": (2, -1.0, -8.0)}
    p99_demo = bench(
        "demo city hall (guigang)",
        *prepare(demo, {1: 0.0, 2: 5.0}, scenes),
        args.queries,
        args.mixed,
        rng,
    )
    large = parse(large_layout())
    p99_large = bench(
        "generated large hall",
        *prepare(large, {f.level: f.elevation for f in large.floors}),
        args.queries,
        args.mixed,
        rng,
    )
    print(
        f"\ntargets, p99 of ours over both query sets: ≤ 5 ms (demo: {p99_demo:.3f} ms), ≤ 20 ms (large: {p99_large:.3f} ms)"
    )


if __name__ == "__main__":
    main()
