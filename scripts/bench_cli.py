"""Command-line start-up benchmark: ``flask --app server panorama tile --help`` against the floor.

The floor is the least any Flask command line can cost: a fresh interpreter that does ``import flask``. Each
run is a fresh process (as a batch job over many files starts one per file), timed from spawn to exit; runs
alternate (ours, floor, ours, …) so noise from other work spreads evenly. Prints the median (and best) of
``--runs`` runs of each and their ratio; the target is ours ≤ 0.5 s.
Run: ``.venv/bin/python scripts/bench_cli.py [--runs 20]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TARGET_SECONDS = 0.5


def timed(command: list[str], env: dict[str, str]) -> float:
    """Seconds from spawning *command* to its exit (which must be 0)."""
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="runs of each command (default 20)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as scratch:
        # The instance folder (secret key, SQLite file) goes to a temporary folder, never the checkout.
        env = {**os.environ, "VHALL_INSTANCE_PATH": scratch}
        commands = {
            "ours": [str(BIN / "flask"), "--app", "server", "panorama", "tile", "--help"],
            "floor": [sys.executable, "-c", "import flask"],
        }
        for command in commands.values():  # warm the disk cache and the bytecode cache
            timed(command, env)
        runs: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                runs[name].append(timed(command, env))
    median = {name: statistics.median(times) for name, times in runs.items()}
    print(f"{args.runs} runs each, alternating; {len(os.sched_getaffinity(0))} cores")
    print(f"{'command':<52}{'median s':>10}{'best s':>9}")
    labels = {
        "ours": "flask --app server panorama tile --help",
        "floor": 'floor: python -c "import flask"',
    }
    for name, times in runs.items():
        print(f"{labels[name]:<52}{median[name]:>10.3f}{min(times):>9.3f}")
    print(
        f"ours / floor = {median['ours'] / median['floor']:.2f} (medians); "
        f"ours {median['ours']:.3f} s (target ≤ {TARGET_SECONDS:g} s)"
    )


if __name__ == "__main__":
    main()
