"""Publishing panoramas into scenes: the CLI, the hall document, static tiles, and demo rendering."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from server.models import Hall, Scene
from tests.conftest import make_app


@pytest.fixture(scope="module")
def pano_app(tmp_path_factory):
    return make_app(tmp_path_factory.mktemp("pano"), models=True)


def equirect_file(path, width=2048, *, seed=0):
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (8, 16, 3), dtype=np.uint8)
    Image.fromarray(small).resize((width, width // 2), Image.BILINEAR).save(path, format="JPEG", quality=90)
    return path


def panorama_of(app, hall="pingnan", scene="east"):
    session = app.extensions["db"]()
    try:
        return session.scalar(select(Scene.panorama).join(Hall).where(Hall.slug == hall, Scene.code == scene))
    finally:
        session.close()


def test_add_publishes_tiles_and_the_hall_document_points_at_them(pano_app, tmp_path):
    result = pano_app.test_cli_runner().invoke(
        args=["panorama", "add", "pingnan", "east", str(equirect_file(tmp_path / "east.jpg"))]
    )
    assert result.exit_code == 0, result.output
    client = pano_app.test_client()
    scene = next(s for s in client.get("/api/v1/halls/pingnan").get_json()["scenes"] if s["id"] == "east")
    tiles = scene["tiles"]
    assert tiles["tileResolution"] == 512 and tiles["path"] == "/%l/%s%y_%x" and tiles["extension"] == "jpg"
    assert tiles["basePath"].startswith("/panoramas/pingnan/east/")
    assert tiles["placeholder"].startswith("data:image/jpeg;base64,")
    with client.get(tiles["basePath"] + "/1/f0_0.jpg") as tile:
        assert tile.status_code == 200 and tile.mimetype == "image/jpeg"
        assert "immutable" in tile.headers["Cache-Control"]
        assert Image.open(io.BytesIO(tile.data)).size[0] <= 512
    for extra in (tiles["preview"], "/fallback/u.jpg"):
        with client.get(tiles["basePath"] + extra) as response:
            assert response.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/panoramas/pingnan/east/../../secret_key",
        "/panoramas/pingnan/east/v1/..%2F..%2Fsecret_key",
        "/panoramas/x/y/z/nothing.jpg",
    ],
)
def test_only_published_tile_files_are_served(pano_app, path):
    response = pano_app.test_client().get(path)
    assert response.status_code == 404


def test_a_bad_upload_changes_nothing(pano_app, tmp_path):
    before = panorama_of(pano_app)
    small = tmp_path / "small.png"
    Image.new("RGB", (1000, 500)).save(small)
    result = pano_app.test_cli_runner().invoke(args=["panorama", "add", "pingnan", "east", str(small)])
    assert result.exit_code != 0 and "2048" in result.output
    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    assert (
        pano_app.test_cli_runner().invoke(args=["panorama", "add", "pingnan", "east", str(text)]).exit_code
        != 0
    )
    assert panorama_of(pano_app) == before


def test_add_names_an_unknown_scene(pano_app, tmp_path):
    result = pano_app.test_cli_runner().invoke(
        args=["panorama", "add", "pingnan", "nowhere", str(equirect_file(tmp_path / "x.jpg"))]
    )
    assert result.exit_code != 0 and "nowhere" in result.output


def test_render_demo_renders_every_scene_once(tmp_path):
    app = make_app(tmp_path, models=True)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["panorama", "render-demo", "pingnan", "--width", "2048", "--if-changed"])
    assert first.exit_code == 0, first.output
    assert first.output.count("rendered and published") == 3
    source = panorama_of(app, scene="hall-centre")["source"]
    assert source["kind"] == "render" and source["width"] == 2048
    again = runner.invoke(args=["panorama", "render-demo", "pingnan", "--width", "2048", "--if-changed"])
    assert again.output.count("skipped") == 3
    # The source equirects are kept where photographs would replace them, under the configured folder.
    sources = sorted(p.name for p in (tmp_path / "panorama-sources" / "pingnan").iterdir())
    assert sources == ["east.jpg", "entrance.jpg", "hall-centre.jpg"]
    # A photograph published to a scene is never overwritten by the set-up's re-render.
    photo = equirect_file(tmp_path / "photo.jpg", seed=3)
    assert runner.invoke(args=["panorama", "add", "pingnan", "east", str(photo)]).exit_code == 0
    third = runner.invoke(args=["panorama", "render-demo", "pingnan", "--width", "2048", "--if-changed"])
    assert "east: 已有实拍照片，保留" in third.output
    assert panorama_of(app, scene="east")["source"]["kind"] == "upload"


def test_add_refuses_a_pipe_or_device_and_an_unwritable_instance(tmp_path):
    app = make_app(tmp_path / "instance", models=False)
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    runner = app.test_cli_runner()
    before = panorama_of(app)
    for source in (fifo, Path("/dev/zero")):
        result = runner.invoke(args=["panorama", "add", "pingnan", "east", str(source)])
        assert result.exit_code == 2, result.output
        assert "[not_a_file]" in result.output and "不是普通文件" in result.output
    blocked = Path(app.instance_path) / "panoramas"
    blocked.write_text("a file where the panorama folder belongs")
    result = runner.invoke(
        args=["panorama", "add", "pingnan", "east", str(equirect_file(tmp_path / "e.jpg"))]
    )
    assert result.exit_code == 2, (result.output, result.exception)
    assert "[cannot_write]" in result.output and "无法写入" in result.output
    assert panorama_of(app) == before
