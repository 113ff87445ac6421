"""``flask --app server kiosk add|list|remove``: the kiosks (touch screens) of the halls (server/kiosks).

``kiosk add <id> --hall <hall> --floor <level> --at <x>,<z> --facing <degrees>`` checks the position against
the hall's published model (on the floor, not in a wall), like the admin API.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from ..config import now
from ..db import bump_revision, upgrade
from ..kiosks import KioskError
from ..kiosks.registry import (
    add_kiosk,
    check_fields,
    get_hall,
    get_kiosk,
    kiosk_dict,
    list_kiosks,
    page_config,
    record_change,
    remove_kiosk,
)
from . import kiosk_cli
from .support import cli_error, cli_session


def _at(value: str) -> tuple[float, float]:
    parts = value.split(",")
    try:
        x, z = (float(p) for p in parts)
    except ValueError:
        raise cli_error(
            KioskError(
                "bad_at",
                f"--at 应为 x,z（米），例如 2.5,-4：{value}",
                f"--at takes x,z in metres, e.g. 2.5,-4: {value}",
            )
        ) from None
    return x, z


@kiosk_cli.command("add")
@click.argument("kiosk_id")
@click.option("--hall", required=True, help="The hall's id. / 大厅编号。")
@click.option("--floor", "level", required=True, type=int, help="Floor level. / 楼层。")
@click.option("--at", "at", required=True, help="Position x,z on the plan (metres). / 平面位置 x,z（米）。")
@click.option(
    "--facing", required=True, type=float, help="Bearing of the screen, 0 north. / 屏幕朝向（度）。"
)
@click.option("--idle", "idle", type=int, default=None, help="Seconds before “still there?” (90).")
@click.option("--countdown", type=int, default=None, help="Seconds of its countdown (30, at least 20).")
@click.option("--audio/--no-audio", default=False, help="Narration on or off. / 是否播放语音。")
@with_appcontext
def add_command(
    kiosk_id: str,
    hall: str,
    level: int,
    at: str,
    facing: float,
    idle: int | None,
    countdown: int | None,
    audio: bool,
) -> None:
    """Register the kiosk KIOSK_ID. / 登记一台自助终端。"""
    upgrade(current_app.extensions["db_engine"])
    x, z = _at(at)
    data = {"id": kiosk_id, "hall": hall, "floor": level, "x": x, "z": z, "facing": facing, "audio": audio}
    if idle is not None:
        data["idle_seconds"] = idle
    if countdown is not None:
        data["countdown_seconds"] = countdown
    with cli_session() as session:
        try:
            fields = check_fields(data)
            row = get_hall(session, fields["hall"])
            model = current_app.extensions["hall_models"].get(row)
            kiosk = add_kiosk(session, row, fields, geometry=model.geometry if model else None, now=now())
            record_change(
                session,
                user=None,
                action="add",
                kiosk_id=kiosk.code,
                before=None,
                after=page_config(kiosk),
                now=now(),
            )
            bump_revision(session, searchable=False)
            session.commit()
        except KioskError as exc:
            raise cli_error(exc) from exc
        click.echo(f"已登记自助终端 / kiosk registered: {kiosk.code} ({hall}, /kiosk/{hall}?id={kiosk.code})")


@kiosk_cli.command("list")
@click.option("--hall", default=None, help="Only this hall's kiosks. / 仅列出此大厅。")
@with_appcontext
def list_command(hall: str | None) -> None:
    """List the kiosks. / 列出自助终端。"""
    with cli_session() as session:
        interval = current_app.config["KIOSK_HEARTBEAT_SECONDS"]
        rows = [kiosk_dict(k, now=now(), interval=interval) for k in list_kiosks(session, hall)]
    header = (
        "id/编号",
        "hall/大厅",
        "floor/楼层",
        "x,z",
        "facing/朝向",
        "idle/空闲",
        "audio/语音",
        "seen/最近",
    )
    lines = [
        (
            r["id"],
            r["hall"],
            str(r["floor"]),
            f"{r['x']:g},{r['z']:g}",
            f"{r['facing']:g}",
            f"{r['idle_seconds']}s/{r['countdown_seconds']}s",
            "on" if r["audio"] else "off",
            ("online " if r["online"] else "offline ") + (r["heartbeat"]["at"] or "-"),
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
    for row in [header, *lines]:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


@kiosk_cli.command("remove")
@click.argument("kiosk_id")
@with_appcontext
def remove_command(kiosk_id: str) -> None:
    """Remove the kiosk KIOSK_ID. / 删除一台自助终端。"""
    with cli_session() as session:
        try:
            before = page_config(get_kiosk(session, kiosk_id))
            remove_kiosk(session, kiosk_id)
            record_change(
                session, user=None, action="remove", kiosk_id=kiosk_id, before=before, after=None, now=now()
            )
            bump_revision(session, searchable=False)
            session.commit()
        except KioskError as exc:
            raise cli_error(exc) from exc
    click.echo(f"已删除自助终端 / kiosk removed: {kiosk_id}")
