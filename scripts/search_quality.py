"""Search quality: the share of questions whose expected service ranks first (top-1).

Loads the demo catalogue into a temporary SQLite file, asks ``GET /api/v1/search`` every case of
``tests/data/search_quality_unseen.yaml`` (or the files given) and prints top-1 with the misses.
Run: ``.venv/bin/python scripts/search_quality.py [--curated] [--quiet]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
UNSEEN = DATA / "search_quality_unseen.yaml"
CURATED = DATA / "search_quality_curated.yaml"


def load_cases(path: Path) -> list[dict]:
    """The cases of a quality table that name a service (counter cases are checked by the tests)."""
    return [c for c in yaml.safe_load(path.read_text(encoding="utf-8")) if "service" in c]


def expected(case: dict) -> set[str]:
    """The services any of which may rank first for *case*."""
    want = case["service"]
    return set(want) if isinstance(want, list) else {want}


def measure(cases: list[dict], search: Callable[[str, str | None], list[str]]) -> tuple[float, list[str]]:
    """Top-1 share over *cases* with ``search(q, hall)`` giving the ranked service ids, and the misses."""
    misses = []
    for case in cases:
        got = search(case["q"], case.get("hall"))
        if not got or got[0] not in expected(case):
            misses.append(f"{case['q']}: want {sorted(expected(case))}, got {got[:3]}")
    return 1 - len(misses) / len(cases), misses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--curated", action="store_true", help="measure the curated table instead")
    parser.add_argument("--quiet", action="store_true", help="print only the share")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from tests.conftest import make_app  # a test helper: the demo on a fresh SQLite file

    path = CURATED if args.curated else UNSEEN
    with tempfile.TemporaryDirectory() as folder:
        client = make_app(Path(folder)).test_client()

        def search(q: str, hall: str | None) -> list[str]:
            params = {"q": q, **({"hall": hall} if hall else {})}
            return [s["id"] for s in client.get("/api/v1/search", query_string=params).json["services"]]

        cases = load_cases(path)
        share, misses = measure(cases, search)
    if not args.quiet:
        for miss in misses:
            print("miss:", miss)
    print(f"top-1 on {path.name}: {share:.1%} ({len(cases) - len(misses)}/{len(cases)})")


if __name__ == "__main__":
    main()
