"""Model check benchmark: peak memory and time of ``flask --app server model check`` on the largest model
the limits let through, against a peer that only reads the same file.

The model is the demo hall 平南 with one more node: a finely tessellated column of ``--triangles``
unindexed triangles (default 1.8 M: 5.4 M vertices, a 62 MB file, just under the 64 MB file limit). Ours
does the whole check (container and structure checks, geometry, plan sections, walking graph, reachability,
occluders); the peer is ``trimesh.load`` of the same file, nothing more. Each runs in a fresh process,
measured by ``os.wait4`` (peak resident set, wall time); the target is ours ≤ 1 GiB.
Run: ``.venv/bin/python scripts/bench_modelcheck.py [--triangles 1800000] [--runs 1]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
TARGET_BYTES = 1 << 30

from server.hallmodel.build import build_glb  # noqa: E402
from server.hallmodel.layout import layout_path, load  # noqa: E402
from tests.glbtools import add_mesh_node, column  # noqa: E402

sys.path.insert(0, str(ROOT / "scripts"))
from benchlib import demo_instance  # noqa: E402

PEER = "import sys, trimesh; trimesh.load(sys.argv[1], file_type='glb', force='scene')"


def measured(command: list[str], env: dict[str, str]) -> tuple[float, int, int]:
    """(seconds, peak resident bytes, exit status) of *command* run in a fresh process."""
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - started, usage.ru_maxrss * 1024, child.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triangles", type=int, default=1_800_000)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env, flask = demo_instance(tmp_name)
        model = tmp / "heavy.glb"
        model.write_bytes(
            add_mesh_node(
                build_glb(load(layout_path("pingnan"))), column(args.triangles, at=(7.0, 2.0)), "decor:column"
            )
        )
        print(f"model: 平南 + {args.triangles:,} triangles, {model.stat().st_size / 2**20:.1f} MiB")
        commands = {
            "ours (model check)": [*flask, "model", "check", "pingnan", str(model)],
            "peer (trimesh.load)": [sys.executable, "-c", PEER, str(model)],
        }
        for name, command in commands.items():
            for _ in range(args.runs):
                seconds, peak, status = measured(command, env)
                print(f"{name:22} {seconds:6.1f} s  peak {peak / 2**20:6.0f} MiB  exit {status}")
                if name.startswith("ours") and (status != 0 or peak > TARGET_BYTES):
                    print("  over the target (1 GiB, exit 0)")


if __name__ == "__main__":
    main()
