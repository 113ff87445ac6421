"""``flask --app server panorama add | render-demo | register``: panoramas of the halls in the database.

These are an operator's tools and stay live: they write the live scene at once and make the current version
and the draft follow it (``halldata.follow_live_scenes``). Staff uploads (the admin API, ``server/jobs``) go
into the hall's draft instead and reach citizens when it is published.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from ..conventions import wrap_degrees
from ..db import bump_revision
from ..hallmodel.check import load_scene
from ..hallmodel.store import model_path
from ..models import Hall
from ..panoramas.ingest import PanoramaError, cannot_write, read_file
from ..panoramas.metadata import PanoramaMetadata, read_metadata
from ..panoramas.registration import Correspondence, RegistrationError, solve
from ..panoramas.render import flatten_scene, render_equirect
from ..panoramas.store import add_panorama, jpeg_bytes, panorama_root
from ..publishing.halldata import follow_live_scenes
from . import panorama_cli
from .support import cli_error, cli_session, require_hall


def _scene(hall, code: str):
    scene = next((s for s in hall.scenes if s.code == code), None)
    if scene is None:
        raise click.ClickException(f"大厅 {hall.slug} 没有场景 {code} / hall {hall.slug} has no scene {code}")
    return scene


def _progress_bar(label: str):
    bar = click.progressbar(length=1, label=label)

    def progress(done: int, total: int) -> None:
        bar.length = total
        bar.update(done - bar.pos)

    return bar, progress


@panorama_cli.command("add")
@click.argument("hall")
@click.argument("scene")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--heading",
    type=click.FloatRange(-360, 360),
    default=None,
    help="Bearing of the panorama's centre column (default: the camera's pose heading, else unchanged). "
    "/ 全景图中线的方位角（默认取相机记录的朝向，没有则不变）。",
)
@with_appcontext
def add_command(hall: str, scene: str, source: Path, heading: float | None) -> None:
    """Ingest SOURCE as the panorama of SCENE in HALL and publish it. / 为场景导入并发布全景图。"""
    with cli_session() as session:
        record = require_hall(session, hall)
        target = _scene(record, scene)
        app = current_app._get_current_object()
        try:
            data = read_file(source)
        except PanoramaError as exc:
            raise cli_error(exc, subject=str(source)) from None
        metadata = read_metadata(data)
        _echo_metadata(metadata)
        if heading is not None or metadata.heading is not None:
            target.heading = wrap_degrees(heading if heading is not None else metadata.heading)
            origin = "命令行 / option" if heading is not None else "照片元数据 / the photo's metadata"
            click.echo(f"朝向 / heading: {target.heading:g}°（{origin}）")
        bar, progress = _progress_bar("切片 / tiling")
        with bar:
            try:
                config = add_panorama(
                    app,
                    session,
                    target,
                    data,
                    source={"kind": "upload", "name": source.name},
                    progress=progress,
                    metadata=metadata,
                )
            except PanoramaError as exc:
                raise cli_error(exc, subject=str(source)) from None
            except OSError as exc:
                raise cli_error(cannot_write(panorama_root(app), exc)) from None
        follow_live_scenes(session, record)
        session.commit()
        click.echo(f"{hall}/{scene}: 已发布 / published {config['version']} (maxLevel {config['maxLevel']})")


def _echo_metadata(metadata: PanoramaMetadata) -> None:
    """What the camera wrote about the photo, and each warning, in both languages."""
    if metadata.captured_at:
        click.echo(f"拍摄时间 / captured: {metadata.captured_at}")
    if metadata.camera:
        click.echo(f"相机 / camera: {' '.join(metadata.camera.values())}")
    for warning in metadata.warnings:
        click.echo(f"注意 / warning [{warning['code']}]: {warning['zh']} / {warning['en']}")


def _rendered_from(scene, sha: str, width: int) -> dict:
    return {
        "kind": "render",
        "model": sha,
        "pose": [scene.x, scene.y, scene.z, scene.heading],
        "width": width,
    }


@panorama_cli.command("render-demo")
@click.argument("halls", nargs=-1)
@click.option("--width", type=click.IntRange(2048, 8192), default=4096, show_default=True)
@click.option(
    "--if-changed",
    is_flag=True,
    help="Skip scenes already rendered from this model and pose. / 已是最新则跳过。",
)
@with_appcontext
def render_demo_command(halls: tuple[str, ...], width: int, if_changed: bool) -> None:
    """Render every scene of HALLS (default: all with a model) from the hall model and publish it. / 由模型渲染演示全景图。"""
    app = current_app._get_current_object()
    with cli_session() as session:
        slugs = list(halls) or list(
            session.scalars(select(Hall.slug).where(Hall.model_sha.is_not(None)).order_by(Hall.id))
        )
        for slug in slugs:
            hall = require_hall(session, slug)
            if not hall.model_sha:
                raise click.ClickException(f"{slug}: 没有已发布的模型 / no published model")
            model = None
            for scene in sorted(hall.scenes, key=lambda s: s.code):
                wanted = _rendered_from(scene, hall.model_sha, width)
                source = (scene.panorama or {}).get("source") or {}
                if if_changed and source == wanted:
                    click.echo(f"{slug}/{scene.code}: 已是最新，跳过 / current, skipped")
                    continue
                if if_changed and source.get("kind") == "upload":
                    click.echo(f"{slug}/{scene.code}: 已有实拍照片，保留 / a photograph is published, kept")
                    continue
                if model is None:
                    model = flatten_scene(load_scene(model_path(app, slug, hall.model_sha).read_bytes())[0])
                image = render_equirect(model, (scene.x, scene.y, scene.z), scene.heading, width=width)
                data = jpeg_bytes(image)
                # The source equirect is kept where a real photograph would replace it (assets/panoramas).
                source_file = Path(app.config["PANORAMA_SOURCES"]) / slug / f"{scene.code}.jpg"
                source_file.parent.mkdir(parents=True, exist_ok=True)
                source_file.write_bytes(data)
                config = add_panorama(app, session, scene, data, source=wanted)
                follow_live_scenes(session, hall)
                session.commit()
                click.echo(f"{slug}/{scene.code}: 已渲染并发布 / rendered and published {config['version']}")


def _correspondence(text: str, anchors: dict[str, tuple[float, float, float]]) -> Correspondence:
    """``counter:B03@-17.3,-5.2`` → the node's anchor with the clicked yaw and pitch."""
    node, _, angles = text.partition("@")
    try:
        yaw, pitch = (float(v) for v in angles.split(","))
    except ValueError:
        raise click.BadParameter(
            f"{text!r}: 应为 节点@偏航,俯仰 / use node@yaw,pitch, e.g. counter:B03@-17.3,-5.2"
        ) from None
    if node not in anchors:
        raise click.BadParameter(f"{node}: 模型中没有该节点 / no such node in the hall model")
    return Correspondence(yaw, pitch, anchors[node])


@panorama_cli.command("register")
@click.argument("hall")
@click.argument("scene")
@click.option(
    "-p",
    "--point",
    "points",
    multiple=True,
    required=True,
    help="node@yaw,pitch, e.g. counter:B03@-17.3,-5.2",
)
@click.option("--apply", is_flag=True, help="Store the solved pose on the scene. / 保存求得的位姿。")
@with_appcontext
def register_command(hall: str, scene: str, points: tuple[str, ...], apply: bool) -> None:
    """Solve SCENE's heading (and, from 3+ points, position) from clicked counters. / 由对应点求解场景朝向与位置。"""
    with cli_session() as session:
        record = require_hall(session, hall)
        target = _scene(record, scene)
        model = current_app.extensions["hall_models"].get(record)
        if model is None:
            raise click.ClickException(f"{hall}: 没有已发布的模型 / no published model")
        anchors = {name: info.anchor for name, info in model.geometry.nodes.items()}
        try:
            pose = solve(
                [_correspondence(p, anchors) for p in points], position=(target.x, target.y, target.z)
            )
        except RegistrationError as exc:
            raise cli_error(exc, subject=f"{hall}/{scene}") from None
        click.echo(json.dumps(pose.to_dict(), ensure_ascii=False))
        if apply:
            target.x, target.z, target.heading = pose.x, pose.z, pose.heading
            follow_live_scenes(session, record)
            bump_revision(session)
            session.commit()
            click.echo(f"{hall}/{scene}: 已保存 / saved")
