"""The download budget of the tour page: the JavaScript it needs before its first frame (the entry module and
the chunks it imports statically) is at most 200 KB gzipped, and the VR code stays in a lazy chunk."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "web" / "dist"
BUDGET_BYTES = 200 * 1000  # issue 5 §9: first-frame JavaScript ≤ 200 KB compressed
XR_MARKER = b"bold 60px sans-serif"  # drawn only by web/src/plugins/xr.js (its floating panel's title)
ENTRY_SCRIPT = re.compile(r'<script type="module" src="/static/web/([^"?]+)')
PRELOAD = re.compile(r'<link rel="modulepreload" href="/static/web/([^"?]+)')
# Static imports in esbuild's minified output: import{a as b}from"./x.js"; import"./x.js"; export{..}from"./x.js".
STATIC_IMPORT = re.compile(rb"""(?:\bfrom|\bimport)\s*["']([^"']+\.js)["']""")


@pytest.fixture(scope="module")
def built(built_web) -> None:
    """web/dist built from the current web/src (the shared ``built_web`` fixture)."""


def first_frame_modules(app) -> list[Path]:
    """The dist files the tour page loads before its first frame: entry scripts and their static imports."""
    html = app.test_client().get("/hall/pingnan").text
    queue = [DIST / name for name in ENTRY_SCRIPT.findall(html) + PRELOAD.findall(html)]
    assert queue, "the tour page names no module script"
    seen: list[Path] = []
    while queue:
        path = queue.pop().resolve()
        if path in seen:
            continue
        seen.append(path)
        for spec in STATIC_IMPORT.findall(path.read_bytes()):
            queue.append(path.parent / spec.decode())
    return seen


def test_first_frame_javascript_fits_the_budget(app, built):
    modules = first_frame_modules(app)
    sizes = {p.relative_to(DIST).as_posix(): len(gzip.compress(p.read_bytes(), 9)) for p in modules}
    assert sum(sizes.values()) <= BUDGET_BYTES, sizes


def test_vr_code_is_a_lazy_chunk(app, built):
    modules = first_frame_modules(app)
    assert not any(XR_MARKER in p.read_bytes() for p in modules), [p.name for p in modules]
    lazy = [p for p in DIST.rglob("*.js") if p.resolve() not in modules and XR_MARKER in p.read_bytes()]
    assert lazy, "no lazy chunk holds the VR code"
