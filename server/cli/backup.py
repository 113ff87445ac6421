"""``flask --app server backup create|restore``: back an instance up into one archive, restore one into an
empty instance (server/backup). Any refusal is a bilingual message and exit status 2."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from ..backup.archive import BackupError, create, restore
from . import backup_cli
from .support import cli_error


def _summary(manifest: dict) -> str:
    files = len(manifest["members"]) - 1
    rows = sum(manifest["row_counts"].values())
    return f"{rows} rows, {files} files, schema {manifest['schema_revision']}"


@backup_cli.command("create")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists. / 覆盖已存在的文件。")
@with_appcontext
def create_command(file: str, force: bool) -> None:
    """Write a consistent backup of the database and published files to FILE. / 备份数据库与已发布文件。"""
    try:
        manifest = create(current_app._get_current_object(), file, force=force)
    except BackupError as exc:
        raise cli_error(exc) from exc
    click.echo(f"已备份 / backed up: {file} ({_summary(manifest)})")


@backup_cli.command("restore")
@click.argument("file", type=click.Path(dir_okay=False))
@with_appcontext
def restore_command(file: str) -> None:
    """Verify FILE and restore it into this empty instance. / 校验备份并恢复到空实例。"""
    try:
        manifest = restore(current_app._get_current_object(), file)
    except BackupError as exc:
        raise cli_error(exc, subject=file) from exc
    click.echo(f"已恢复 / restored: {file} ({_summary(manifest)}, created {manifest['created_at']})")
