"""``flask --app server demo``: load the demo halls and service catalogue (server/demo)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..db import upgrade
from .support import cli_error


@click.command("demo")
@with_appcontext
@click.option(
    "--if-changed",
    is_flag=True,
    help="Load only when the demo files differ from those last loaded. / 仅在演示数据有变化时加载。",
)
@click.option("--data", "folder", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None)
def demo_command(if_changed: bool, folder: Path | None) -> None:
    """Load the demo halls and service catalogue. / 加载演示大厅与事项目录。"""
    # Imported here: the loader brings the ORM, YAML and JSON Schema, which the app's start-up should not.
    from ..demo.loader import DEMO_DATA, DIGEST_KEY, DemoDataError, digest, load
    from ..models import Meta

    folder = folder or DEMO_DATA
    upgrade(current_app.extensions["db_engine"])
    session = current_app.extensions["db"]()
    fingerprint = digest(folder)
    try:
        stored = session.get(Meta, DIGEST_KEY)
        if if_changed and stored is not None and stored.value == fingerprint:
            click.echo("演示数据已是最新，跳过 / demo data is current, skipped")
            return
        session.rollback()  # end the read transaction; load() writes in one of its own
        try:
            counts = load(session, folder, fingerprint=fingerprint)
        except DemoDataError as exc:
            raise cli_error(exc, subject=str(folder)) from exc
        click.echo(
            "已加载演示数据 / demo loaded: {halls} halls, {counters} counters, {services} services, "
            "{departments} departments".format(**counts)
        )
    finally:
        session.close()
