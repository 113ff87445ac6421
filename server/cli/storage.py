"""``flask --app server storage report [--json] | clean [--dry-run]``: what the published files take, what
still needs them, and freeing what nothing needs (``server/publishing/storage.py``)."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from ..config import now
from ..publishing.storage import Item, Report, StorageError, clean, forget_uploads, survey
from . import storage_cli
from .support import cli_error, cli_session

KINDS = {
    "tiles": "全景切片 / tiles",
    "model": "模型 / model",
    "partial": "未完成 / partial",
    "upload": "上传 / upload",
}


def _survey(hall: str | None) -> Report:
    app = current_app._get_current_object()
    with cli_session() as session:
        try:
            return survey(app, session, now=now(), hall=hall)
        except StorageError as exc:
            raise cli_error(exc) from None


def _size(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} B"


def _state(item: Item) -> str:
    if item.references:
        return "在用 / in use: " + ", ".join(item.references)
    if item.removable:
        return "可清理 / removable"
    if item.kind == "partial":
        return "正在写入 / being written"
    since = item.unused_since.date().isoformat() if item.unused_since else "?"
    return f"未引用，保留期内 / unreferenced, kept (out of use since {since})"


@storage_cli.command("report")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON. / 以 JSON 输出。")
@click.option("--hall", default=None, help="Only this hall. / 只看这个大厅。")
@with_appcontext
def report_command(as_json: bool, hall: str | None) -> None:
    """Show what the published files take and what still needs them. / 显示已发布文件的占用与引用情况。"""
    report = _survey(hall)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
        return
    click.echo(f"已发布文件 / published files: {report.root}")
    click.echo(f"保留期 / retention: {report.retention_days} 天 / days")
    for slug in report.halls():
        items = [i for i in report.items if i.hall == slug]
        click.echo(f"\n大厅 / hall {slug}: {_size(sum(i.size for i in items))}")
        for item in items:
            click.echo(f"  {KINDS[item.kind]:<18} {item.name:<40} {_size(item.size):>9}  {_state(item)}")
    removable = [i for i in report.items if i.removable]
    click.echo(
        f"\n合计 / total: {_size(sum(i.size for i in report.items))}；"
        f"可清理 / removable: {len(removable)} 项 / items, {_size(sum(i.size for i in removable))}"
    )


@storage_cli.command("clean")
@click.option("--dry-run", is_flag=True, help="Only say what would be removed. / 只列出将删除的内容。")
@click.option("--hall", default=None, help="Only this hall. / 只清理这个大厅。")
@with_appcontext
def clean_command(dry_run: bool, hall: str | None) -> None:
    """Remove unreferenced tile sets and models, and the uploads of finished jobs, past the retention period,
    and unfinished files. / 删除超过保留期且未被引用的切片与模型、已结束任务的上传文件，以及未完成的文件。"""
    report = _survey(hall)
    try:
        removed = clean(report, dry_run=dry_run)
        if not dry_run:
            with cli_session() as session:
                forget_uploads(session, removed)
                session.commit()
    except OSError as exc:
        raise cli_error(
            StorageError(
                "cannot_remove",
                f"无法删除：{exc.strerror or exc}",
                f"Cannot remove: {exc.strerror or exc}",
                status=500,
            )
        ) from None
    verb = "将删除 / would remove" if dry_run else "已删除 / removed"
    for item in removed:
        click.echo(f"{verb} {KINDS[item.kind]} {item.hall}/{item.name} ({_size(item.size)})")
    freed = _size(sum(i.size for i in removed))
    if dry_run:
        click.echo(f"将释放 / would free {freed}（{len(removed)} 项 / items）")
    else:
        click.echo(f"已释放 / freed {freed}（{len(removed)} 项 / items）")
