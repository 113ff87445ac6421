"""PUBLISHED_PATH: published models and tile sets live in a folder of their own (shared by several app
servers), while each server keeps its own instance folder; every writer and reader uses it, backups too."""

from __future__ import annotations

from pathlib import Path

import pytest

from server import create_app
from server.config import published_root
from tests.conftest import make_app


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """An app whose models were built and published into a separate published-files folder."""
    root = tmp_path_factory.mktemp("published")
    folder = tmp_path_factory.mktemp("instance-a")
    app = make_app(folder, models=True, PUBLISHED_PATH=str(root / "shared"))
    return app, root / "shared"


def test_default_is_the_instance_folder_and_the_environment_can_name_another(tmp_path, monkeypatch):
    app = create_app({"DATABASE_URL": "sqlite://"}, instance_path=tmp_path / "inst")
    assert published_root(app) == tmp_path / "inst"
    monkeypatch.setenv("VHALL_INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.setenv("VHALL_PUBLISHED_PATH", str(tmp_path / "nfs" / "vhall"))
    monkeypatch.setenv("VHALL_DATABASE_URL", f"sqlite:///{tmp_path / 'e.sqlite3'}")
    assert published_root(create_app()) == tmp_path / "nfs" / "vhall"


def test_models_are_published_into_the_shared_folder_and_served_from_it(shared):
    app, root = shared
    instance = Path(app.instance_path)
    published = sorted(p.name for p in (root / "models" / "guigang").iterdir())
    assert any(n.endswith(".glb") for n in published) and any(".derived-" in n for n in published)
    assert not (instance / "models").exists()
    with app.test_client().get("/api/v1/halls/guigang/model.glb") as model:
        assert model.status_code == 200
        sha = model.headers["ETag"].strip('"')
        assert model.data == (root / "models" / "guigang" / f"{sha}.glb").read_bytes()


def test_tiles_are_served_from_the_shared_folder(shared):
    app, root = shared
    folder = root / "panoramas" / "pingnan" / "probe" / "v1"
    folder.mkdir(parents=True)
    (folder / "preview.jpg").write_bytes(b"\xff\xd8\xff\xd9")
    with app.test_client().get("/panoramas/pingnan/probe/v1/preview.jpg") as answer:
        assert answer.status_code == 200 and answer.data == b"\xff\xd8\xff\xd9"
        assert "immutable" in answer.headers["Cache-Control"]
    assert not (Path(app.instance_path) / "panoramas").exists()


def test_a_backup_takes_the_shared_files_and_restores_into_another_shared_folder(shared, tmp_path):
    app, root = shared
    archive = tmp_path / "hall.tar"
    made = app.test_cli_runner().invoke(args=["backup", "create", str(archive)])
    assert made.exit_code == 0, made.output
    other = make_app(tmp_path / "instance-b", demo=False, PUBLISHED_PATH=str(tmp_path / "other-shared"))
    restored = other.test_cli_runner().invoke(args=["backup", "restore", str(archive)])
    assert restored.exit_code == 0, restored.output
    for name in ("guigang", "pingnan"):
        glbs = sorted(p.name for p in (tmp_path / "other-shared" / "models" / name).glob("*.glb"))
        assert glbs and glbs == sorted(p.name for p in (root / "models" / name).glob("*.glb"))
    assert not (tmp_path / "instance-b" / "models").exists()
    assert [p.name for p in (tmp_path / "other-shared").iterdir() if p.name.startswith(".")] == []
    with (
        app.test_client().get("/api/v1/halls/guigang/model.glb") as before,
        other.test_client().get("/api/v1/halls/guigang/model.glb") as after,
    ):
        assert after.status_code == 200 and after.data == before.data
