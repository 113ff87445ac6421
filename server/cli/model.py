"""``flask --app server model …``: build hall models from layouts, check and publish models.

Exit status of ``check`` and ``publish``: 0 publishable, 1 not one-to-one with the hall, 2 the file is
unusable (any HallError, as every command: ``support.cli_error``).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from ..hallmodel.build import BuildLabels, build_glb
from ..hallmodel.check import ModelError
from ..hallmodel.layout import LayoutError, layout_path, load
from ..hallmodel.store import load_mapping
from ..models import Hall, Meta
from ..publishing.hallmodels import analyse, hall_facts, publish
from . import model_cli
from .support import ERROR_EXIT, cli_error, cli_session, require_hall

SOURCE_KEY = "model_source:{}"  # Meta key: fingerprint of the layout and labels a hall's model was built from


def labels_for(hall: Hall) -> BuildLabels:
    """Sign texts and zone colours for *hall*'s model, from the database."""
    return BuildLabels(
        zone_colours={z.code: z.color for z in hall.zones if z.color},
        counter_text={c.number: c.department.name_zh if c.department else c.name_zh for c in hall.counters},
        facility_text={f.code: f.name_zh for f in hall.facilities},
    )


def _fingerprint(layout_file: Path, labels: BuildLabels) -> str:
    payload = (
        layout_file.read_bytes() + json.dumps(labels.__dict__, sort_keys=True, ensure_ascii=False).encode()
    )
    return hashlib.sha256(
        payload + Path(__file__).parents[1].joinpath("hallmodel", "build.py").read_bytes()
    ).hexdigest()


def _read_model(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise click.ClickException(f"无法读取文件 / cannot read {path}: {exc.strerror}") from exc


MAPPING_OPTION = click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False),
    help="Node name mapping (JSON or CSV). / 节点映射表。",
)


@model_cli.command("build")
@click.argument("halls", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Every hall that has a layout. / 所有有布局文件的大厅。")
@click.option(
    "--if-changed", is_flag=True, help="Skip halls whose layout and labels are unchanged. / 未变化则跳过。"
)
@click.option("--output", type=click.Path(dir_okay=False), help="Also write the GLB here. / 另存 GLB。")
@with_appcontext
def build_command(halls: tuple[str, ...], every: bool, if_changed: bool, output: str | None) -> None:
    """Build each hall's model from models/<hall>.layout.yaml and publish it. / 由布局生成并发布模型。"""
    with cli_session() as session:
        slugs = list(halls)
        if every:
            slugs += [
                s for s in session.scalars(select(Hall.slug).order_by(Hall.id)) if layout_path(s).exists()
            ]
        if not slugs:
            raise click.UsageError("name a hall or use --all / 请指定大厅或使用 --all")
        for slug in dict.fromkeys(slugs):
            hall = require_hall(session, slug)
            source = layout_path(slug)
            try:
                layout = load(source)
            except LayoutError as exc:
                raise cli_error(exc, subject=str(source)) from exc
            labels = labels_for(hall)
            fingerprint = _fingerprint(source, labels)
            key = SOURCE_KEY.format(slug)
            stored = session.get(Meta, key)
            if if_changed and stored is not None and stored.value == fingerprint and hall.model_sha:
                click.echo(f"{slug}: 模型已是最新，跳过 / model is current, skipped")
                continue
            data = build_glb(layout, labels)
            if output:
                Path(output).write_bytes(data)
            report = publish(current_app._get_current_object(), session, hall, data)
            if not report.publishable:
                raise click.ClickException(report.to_text())
            row = session.get(Meta, key) or Meta(key=key)
            row.value = fingerprint
            session.add(row)
            session.commit()
            click.echo(
                f"{slug}: 已生成并发布模型 / model built and published ({len(data) / 1024:.0f} KB, {hall.model_sha[:12]})"
            )


@model_cli.command("check")
@click.argument("hall")
@click.argument("file", type=click.Path(dir_okay=False))
@MAPPING_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON. / 以 JSON 输出。")
@with_appcontext
def check_command(hall: str, file: str, mapping: str | None, as_json: bool) -> None:
    """Check FILE (.glb) one-to-one against HALL; publish nothing. / 检查模型与大厅是否一一对应。"""
    with cli_session() as session:
        record = require_hall(session, hall)
        try:
            table = load_mapping(Path(mapping)) if mapping else None
            report, _derived = analyse(_read_model(file), hall_facts(record), hall=hall, mapping=table)
        except ModelError as exc:
            if as_json:
                click.echo(
                    json.dumps(
                        {
                            "error": {
                                "code": exc.code,
                                "message": exc.message,
                                "message_en": exc.message_en,
                                **exc.details,
                            }
                        },
                        ensure_ascii=False,
                    )
                )
                sys.exit(ERROR_EXIT)
            raise cli_error(exc, subject=f"模型不可用 / model unusable: {file}") from exc
        click.echo(
            json.dumps(report.to_dict(), ensure_ascii=False, indent=1) if as_json else report.to_text()
        )
        sys.exit(0 if report.publishable else 1)


@model_cli.command("publish")
@click.argument("hall")
@click.argument("file", type=click.Path(dir_okay=False))
@MAPPING_OPTION
@with_appcontext
def publish_command(hall: str, file: str, mapping: str | None) -> None:
    """Check FILE and publish it as HALL's model when it is one-to-one. / 检查并发布模型。"""
    with cli_session() as session:
        record = require_hall(session, hall)
        try:
            table = load_mapping(Path(mapping)) if mapping else None
            report = publish(
                current_app._get_current_object(), session, record, _read_model(file), mapping=table
            )
        except ModelError as exc:
            raise cli_error(exc, subject=file) from exc
        if not report.publishable:
            click.echo(report.to_text(), err=True)
            sys.exit(1)
        click.echo(f"{hall}: 已发布 / published {record.model_sha[:12]}")
