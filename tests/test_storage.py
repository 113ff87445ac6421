"""Storage: the report of what published files take and what still needs them, ``storage clean`` (never what a
live scene, a published — so restorable — version or a draft names), the start-up sweep of partial files,
and published files readable by everyone whatever the umask."""

from __future__ import annotations

import io
import json
import os
import stat
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from server.config import published_root
from server.hallmodel.store import model_path, write_atomically
from server.jobs import queue
from server.models import Draft, Hall, Job, PublishedVersion, Scene
from server.publishing.storage import sweep_partials
from tests.conftest import make_app

DAY = 86400.0


def age(path: Path, days: float) -> None:
    """Make *path* (and what is in it) look written *days* ago."""
    stamp = time.time() - days * DAY
    for folder, _, names in os.walk(path):
        for name in names:
            os.utime(os.path.join(folder, name), (stamp, stamp))
    os.utime(path, (stamp, stamp))


def tile_set(app, scene: str, version: str, days: float, *, hall: str = "pingnan") -> Path:
    """A fake tile set of 3 KB written *days* ago."""
    folder = published_root(app) / "panoramas" / hall / scene / version
    (folder / "1").mkdir(parents=True)
    (folder / "1" / "f0_0.jpg").write_bytes(b"x" * 2048)
    (folder / "config.json").write_bytes(b"{" + b" " * 1022 + b"}")
    age(folder, days)
    return folder


def model_file(app, sha: str, days: float, *, hall: str = "pingnan") -> Path:
    path = model_path(app, hall, sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"glTF" + b"\0" * 4092)
    path.with_name(f"{sha}.derived-v1-abc.npz").write_bytes(b"\0" * 100)
    age(path, days)
    return path


def equirect_jpeg(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    out = io.BytesIO()
    small = Image.fromarray(rng.integers(0, 255, (8, 16, 3), dtype=np.uint8))
    small.resize((2048, 1024), Image.BILINEAR).save(out, format="JPEG", quality=85)
    return out.getvalue()


def add(app, tmp_path: Path, scene: str, seed: int) -> str:
    source = tmp_path / f"{scene}-{seed}.jpg"
    source.write_bytes(equirect_jpeg(seed))
    result = app.test_cli_runner().invoke(args=["panorama", "add", "pingnan", scene, str(source)])
    assert result.exit_code == 0, result.output
    return live_version(app, scene)


def live_version(app, scene: str) -> str:
    session = app.extensions["db"]()
    try:
        return session.scalar(
            select(Scene.panorama).join(Hall).where(Hall.slug == "pingnan", Scene.code == scene)
        )["version"]
    finally:
        session.close()


SHA = {name: (name * 64)[:64] for name in ("a", "b", "c", "d")}  # 64 hex digits each


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    """Hall pingnan with, on disk: east's live tiles, a version #1 (restorable) one, a draft's one, two
    unreferenced ones (one superseded long ago, one superseded 5 days ago by entrance's live set), partials,
    and models live / in version #1 / unreferenced."""
    folder = tmp_path_factory.mktemp("storage")
    app = make_app(folder)
    work = tmp_path_factory.mktemp("sources")
    names = {
        "live": add(app, work, "east", 1),
        "entrance_live": add(app, work, "entrance", 2),
        "restorable": "1111111111111111",
        "draft": "2222222222222222",
        "gone": "3333333333333333",
        "superseded_lately": "4444444444444444",
    }
    age(published_root(app) / "panoramas/pingnan/east" / names["live"], 40)
    age(published_root(app) / "panoramas/pingnan/entrance" / names["entrance_live"], 5)
    tile_set(app, "east", names["restorable"], 100)
    tile_set(app, "east", names["draft"], 90)
    tile_set(app, "east", names["gone"], 80)  # out of use since its successor came, ≥ 40 days ago
    tile_set(app, "entrance", names["superseded_lately"], 100)  # out of use only since 5 days ago
    stale = published_root(app) / "panoramas/pingnan/east" / ".5555555555555555.x1.partial"
    stale.mkdir()
    age(stale, 1)
    fresh = published_root(app) / "panoramas/pingnan/east" / ".6666666666666666.x2.partial"
    fresh.mkdir()
    model_file(app, SHA["a"], 40)  # live
    model_file(app, SHA["b"], 100)  # named by version #1
    model_file(app, SHA["c"], 100)  # unreferenced, superseded by a (40 days ago)
    (published_root(app) / "uploads").mkdir()
    (published_root(app) / "uploads" / "job-1.jpg").write_bytes(b"12345")
    age(published_root(app) / "uploads", 5)  # no job names it, written within the retention period: kept
    incoming = model_path(app, "pingnan", SHA["a"]).with_name(".incoming-x1")
    incoming.write_bytes(b"half")
    age(incoming, 1)
    session = app.extensions["db"]()
    try:
        session.get(Hall, session.scalar(select(Hall.id).where(Hall.slug == "pingnan"))).model_sha = SHA["a"]
        now = datetime.now(UTC)
        # Snapshots in the shape scenes take in the hall draft: whatever the shape, the hashes are found.
        session.add(
            PublishedVersion(
                scope="hall:pingnan",
                number=1,
                snapshot={
                    "scenes": {"east": {"panorama": {"version": names["restorable"]}}},
                    "model": SHA["b"],
                },
                created_by="admin",
                created_at=now,
                summary="older",
            )
        )
        session.add(
            Draft(
                scope="hall:pingnan",
                snapshot={
                    "scenes": {
                        "east": {"panorama": {"basePath": f"/panoramas/pingnan/east/{names['draft']}"}}
                    }
                },
                base_version=1,
                updated_by="editor",
                updated_at=now,
            )
        )
        session.commit()
    finally:
        session.close()
    return app, names


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=["storage", *args])


def test_report_says_what_uses_space_and_what_refers_to_it(hall):
    app, names = hall
    result = run(app, "report", "--json", "--hall", "pingnan")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["retention_days"] == 30
    (pingnan,) = report["halls"]
    items = {(i["kind"], i["name"]): i for i in pingnan["items"]}
    tiles = {name.split("/")[1]: i for (kind, name), i in items.items() if kind == "tiles"}
    assert tiles[names["live"]]["references"] == ["live"]
    assert tiles[names["restorable"]]["references"] == ["version hall:pingnan#1"]
    assert tiles[names["draft"]]["references"] == ["draft hall:pingnan"]
    assert tiles[names["gone"]]["references"] == [] and tiles[names["gone"]]["removable"]
    lately = tiles[names["superseded_lately"]]
    assert lately["references"] == [] and not lately["removable"]  # its successor is only 5 days old
    assert tiles[names["gone"]]["bytes"] == 3072
    models = {name: i for (kind, name), i in items.items() if kind == "model"}
    assert models[SHA["a"]]["references"] == ["live"]
    assert models[SHA["b"]]["references"] == ["version hall:pingnan#1"]
    assert models[SHA["c"]]["removable"] and models[SHA["c"]]["bytes"] == 4096 + 100
    partials = {name: i["removable"] for (kind, name), i in items.items() if kind == "partial"}
    assert partials == {
        "east/.5555555555555555.x1.partial": True,
        "east/.6666666666666666.x2.partial": False,
        ".incoming-x1": True,
    }
    assert pingnan["bytes"] == sum(i["bytes"] for i in pingnan["items"])
    everything = json.loads(run(app, "report", "--json").output)
    (uploads,) = [h for h in everything["halls"] if h["hall"] == "*"]
    assert uploads["items"][0]["kind"] == "upload" and uploads["bytes"] == 5
    assert uploads["items"][0]["name"] == "job-1.jpg" and not uploads["items"][0]["removable"]

    text = run(app, "report")
    assert text.exit_code == 0, text.output
    assert "大厅 / hall pingnan" in text.output and "在用 / in use: version hall:pingnan#1" in text.output
    assert "可清理 / removable: 4 项 / items" in text.output


def test_clean_dry_run_then_clean_keeps_everything_still_named(hall):
    app, names = hall
    root = published_root(app) / "panoramas/pingnan"
    dry = run(app, "clean", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert f"将删除 / would remove 全景切片 / tiles pingnan/east/{names['gone']}" in dry.output
    assert (root / "east" / names["gone"]).is_dir()  # a dry run removes nothing

    result = run(app, "clean")
    assert result.exit_code == 0, result.output
    assert "已释放 / freed" in result.output and "（4 项 / items）" in result.output
    assert not (root / "east" / names["gone"]).exists()
    assert not (root / "east" / ".5555555555555555.x1.partial").exists()
    assert not model_path(app, "pingnan", SHA["c"]).exists()
    assert not model_path(app, "pingnan", SHA["c"]).with_name(f"{SHA['c']}.derived-v1-abc.npz").exists()
    assert not model_path(app, "pingnan", SHA["a"]).with_name(".incoming-x1").exists()
    for kept in ("live", "restorable", "draft"):
        assert (root / "east" / names[kept]).is_dir(), kept
    assert (root / "entrance" / names["superseded_lately"]).is_dir()
    assert (root / "east" / ".6666666666666666.x2.partial").is_dir()  # may be a tiling job running now
    assert (published_root(app) / "uploads" / "job-1.jpg").is_file()
    assert model_path(app, "pingnan", SHA["a"]).exists() and model_path(app, "pingnan", SHA["b"]).exists()
    # The live panorama is still served.
    with app.test_client().get(f"/panoramas/pingnan/east/{names['live']}/1/f0_0.jpg") as tile:
        assert tile.status_code == 200
    again = run(app, "clean")
    assert again.exit_code == 0 and "（0 项 / items）" in again.output


def test_a_shorter_retention_removes_what_was_kept_but_never_what_is_named(hall, tmp_path):
    app, names = hall
    app.config["STORAGE_RETENTION_DAYS"] = 0
    try:
        result = run(app, "clean", "--hall", "pingnan")
        assert result.exit_code == 0, result.output
    finally:
        app.config["STORAGE_RETENTION_DAYS"] = 30
    root = published_root(app) / "panoramas/pingnan"
    assert not (root / "entrance" / names["superseded_lately"]).exists()
    for kept in ("live", "restorable", "draft"):
        assert (root / "east" / names[kept]).is_dir(), kept


def test_clean_removes_the_uploads_of_finished_jobs_past_the_retention_only(tmp_path):
    """A model checked but never put into the draft, a failed upload never retried: their uploads go once
    the job finished longer ago than the retention; a queued or running job's stays whatever its age, and
    one no job names goes once written that long ago. The report counts each; the jobs forget them."""
    app = make_app(tmp_path / "instance")
    folder = published_root(app) / "uploads"
    folder.mkdir(parents=True)
    now = datetime.now(UTC)
    states = {  # name: (state, days since the job finished)
        "queued": ("queued", None),
        "running": ("running", None),
        "checked-old": ("done", 40),
        "checked-new": ("done", 3),
        "failed-old": ("failed", 31),
        "failed-new": ("failed", 29),
    }
    session = app.extensions["db"]()
    try:
        pingnan = session.scalar(select(Hall).where(Hall.slug == "pingnan"))
        for name, (state, days) in states.items():
            (folder / f"{name}.upload").write_bytes(b"u" * 10)
            age(folder / f"{name}.upload", 100)
            job = queue.enqueue(
                session,
                kind="model_check",
                hall=pingnan,
                target="model",
                params={"file": "hall.glb", "size": 10},
                upload=f"{name}.upload",
                user="editor",
                now=now - timedelta(days=100),
            )
            job.state = state
            job.finished_at = now - timedelta(days=days) if days is not None else None
        session.commit()
    finally:
        session.close()
    (folder / "orphan-old.upload").write_bytes(b"o" * 7)
    age(folder / "orphan-old.upload", 31)
    (folder / "orphan-new.upload").write_bytes(b"o" * 7)
    age(folder / "orphan-new.upload", 2)
    (folder / ".half.upload.partial").write_bytes(b"p")
    age(folder / ".half.upload.partial", 1)

    report = json.loads(run(app, "report", "--json").output)
    items = {i["name"]: i for h in report["halls"] for i in h["items"] if i["kind"] in ("upload", "partial")}
    assert len(items["queued.upload"]["references"]) == 1
    assert items["queued.upload"]["references"][0].endswith("(queued)")
    assert items["running.upload"]["references"][0].endswith("(running)")
    removable = {name for name, i in items.items() if i["removable"]}
    assert removable == {
        "checked-old.upload",
        "failed-old.upload",
        "orphan-old.upload",
        "uploads/.half.upload.partial",
    }
    by_hall = {h["hall"]: h for h in report["halls"]}
    assert {i["name"] for i in by_hall["pingnan"]["items"] if i["kind"] == "upload"} == {
        f"{name}.upload" for name in states
    }
    assert by_hall["pingnan"]["removable_bytes"] == 20
    text = run(app, "report").output
    assert "上传 / upload" in text and "在用 / in use: job" in text

    result = run(app, "clean")
    assert result.exit_code == 0, result.output
    assert "已删除 / removed 上传 / upload pingnan/checked-old.upload" in result.output
    left = {p.name for p in folder.iterdir()}
    assert left == {
        "queued.upload",
        "running.upload",
        "checked-new.upload",
        "failed-new.upload",
        "orphan-new.upload",
    }
    session = app.extensions["db"]()
    try:
        kept = {upload for (upload,) in session.execute(select(Job.upload)) if upload}
    finally:
        session.close()
    assert kept == {f"{name}.upload" for name in ("queued", "running", "checked-new", "failed-new")}


@pytest.mark.parametrize(
    ("args", "setting", "words"),
    [
        (("report", "--hall", "nowhere"), 30, ("没有这个大厅", "No such hall: nowhere")),
        (("clean", "--hall", "nowhere"), 30, ("没有这个大厅", "No such hall")),
        (("clean",), -3, ("STORAGE_RETENTION_DAYS", "whole number of days")),
        (("report",), "soon", ("不小于 0 的整数", "not 'soon'")),
        (("clean", "--no-such-option"), 30, ("No such option",)),
    ],
)
def test_bad_arguments_exit_2_with_a_clear_message(hall, args, setting, words):
    app, names = hall
    app.config["STORAGE_RETENTION_DAYS"] = setting
    try:
        result = run(app, *args)
    finally:
        app.config["STORAGE_RETENTION_DAYS"] = 30
    assert result.exit_code == 2, result.output
    for word in words:
        assert word in result.output
    assert (published_root(app) / "panoramas/pingnan/east" / names["live"]).is_dir()


def test_start_up_sweeps_stale_partials_only(tmp_path):
    app = make_app(tmp_path / "instance", demo=False)
    scene = published_root(app) / "panoramas/pingnan/east"
    stale, fresh = scene / ".aaaaaaaaaaaaaaaa.1.partial", scene / ".bbbbbbbbbbbbbbbb.2.partial"
    stale.mkdir(parents=True)
    fresh.mkdir()
    age(stale, 0.5)
    (model_dir := published_root(app) / "models/pingnan").mkdir(parents=True)
    (model_dir / ".incoming-old").write_bytes(b"x")
    age(model_dir / ".incoming-old", 0.5)
    app.finish_setup()  # what a server does before it takes requests
    assert not stale.exists() and fresh.is_dir()
    assert not (model_dir / ".incoming-old").exists()
    assert sweep_partials(app) == []


def modes(root: Path) -> set[tuple[str, int]]:
    return {
        ("dir" if p.is_dir() else "file", stat.S_IMODE(p.stat().st_mode)) for p in [root, *root.rglob("*")]
    }


def test_published_files_are_readable_by_everyone_whatever_the_umask(tmp_path):
    app = make_app(tmp_path / "instance")
    old = os.umask(0o077)
    try:
        version = add(app, tmp_path, "east", 7)
        write_atomically(model_path(app, "pingnan", SHA["d"]), b"glTF model")
    finally:
        os.umask(old)
    root = published_root(app)
    assert modes(root / "panoramas") == {("dir", 0o755), ("file", 0o644)}
    assert (root / "panoramas/pingnan/east" / version / "1").is_dir()
    assert modes(root / "models") == {("dir", 0o755), ("file", 0o644)}
    assert model_path(app, "pingnan", SHA["d"]).read_bytes() == b"glTF model"
