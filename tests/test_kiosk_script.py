"""``scripts/kiosk`` (issue 14 §5) run with a fake browser command: the kiosk flags, a throwaway profile that is
gone afterwards, the URL last, a restart when the browser exits, and a bilingual refusal of a bad URL."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "kiosk"
URL = "http://127.0.0.1:8000/kiosk/pingnan?id=pn-entrance-1"
FAKE = """#!/usr/bin/env python3
import json, os, sys
with open(os.environ["FAKE_LOG"], "a") as log:
    profile = next(a.split("=", 1)[1] for a in sys.argv if a.startswith("--user-data-dir="))
    log.write(json.dumps({"args": sys.argv[1:], "profile_exists": os.path.isdir(profile)}) + "\\n")
"""


def run(tmp_path: Path, *args: str, runs: int = 2) -> tuple[subprocess.CompletedProcess, list[dict]]:
    fake = tmp_path / "fake-chromium"
    fake.write_text(FAKE)
    fake.chmod(0o755)
    log = tmp_path / "log.jsonl"
    env = {
        **os.environ,
        "KIOSK_BROWSER": str(fake),
        "KIOSK_MAX_RUNS": str(runs),
        "KIOSK_RESTART_DELAY": "0",
        "FAKE_LOG": str(log),
        "TMPDIR": str(tmp_path),
    }
    done = subprocess.run(["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=30)
    starts = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return done, starts


def test_the_browser_starts_in_kiosk_mode_and_again_when_it_exits(tmp_path):
    done, starts = run(tmp_path, URL)
    assert done.returncode == 0, done.stderr
    assert len(starts) == 2  # started, exited, started again
    args = starts[0]["args"]
    for flag in (
        "--kiosk",
        "--noerrdialogs",
        "--disable-pinch",
        "--overscroll-history-navigation=0",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-translate",
        "--autoplay-policy=no-user-gesture-required",
    ):
        assert flag in args, flag
    assert args[-1] == URL
    profile = next(a.split("=", 1)[1] for a in args if a.startswith("--user-data-dir="))
    assert Path(profile).parent == tmp_path and starts[0]["profile_exists"]
    assert not Path(profile).exists()  # removed on exit
    assert starts[1]["args"] == args
    assert "restarting" in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        (),
        ("javascript:alert(1)",),
        ("http://127.0.0.1:8000/hall/pingnan",),
        ("http://127.0.0.1:8000/kiosk/pingnan?id=pn-1&x=1",),
        ("http://127.0.0.1:8000/kiosk/pingnan?id=pn-1 --remote-debugging-port=9222",),
        (URL, URL),
    ],
)
def test_a_bad_url_is_refused_in_both_languages_and_nothing_starts(tmp_path, args):
    done, starts = run(tmp_path, *args)
    assert done.returncode == 2 and starts == []
    assert "用法" in done.stderr and "Usage" in done.stderr
