"""``flask --app server user create|list|disable|enable|reset-password``: staff accounts (server/accounts).

Passwords come from a hidden prompt asked twice, or with ``--password-stdin`` from the first line of
standard input (for scripts; never as an argument, where ``ps`` and shell history would show it).
"""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from ..accounts import AccountError
from ..accounts.users import check_new, create_user, list_users, require_user, set_disabled, set_password
from ..config import now
from ..db import upgrade
from ..publishing import audit
from . import user_cli
from .support import cli_error, cli_session


def _record(session, name: str, action: str, before, after) -> None:
    """Record an account change made at the command line (no signed-in user: ``user`` is None)."""
    audit.record(
        session,
        user=None,
        scope=None,
        object_type="user",
        object_id=name,
        action=action,
        before=before,
        after=after,
        summary=f"{action} user {name} (command line)",
        at=now(),
    )


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("密码 / Password", hide_input=True, confirmation_prompt="再输入一次 / Repeat")


def _settings() -> dict[str, int]:
    config = current_app.config
    return {"min_length": config["PASSWORD_MIN_LENGTH"], "cost": config["PASSWORD_SCRYPT_N"]}


PASSWORD_STDIN = click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input. / 从标准输入读取密码。"
)


@user_cli.command("create")
@click.argument("name")
@click.option("--role", required=True, help="admin | editor | viewer")
@click.option(
    "--hall", "halls", multiple=True, help="A hall an editor may manage (repeat). / 编辑可管理的大厅。"
)
@PASSWORD_STDIN
@with_appcontext
def create_command(name: str, role: str, halls: tuple[str, ...], password_stdin: bool) -> None:
    """Create the staff account NAME. / 创建工作人员账号。"""
    upgrade(current_app.extensions["db_engine"])
    with cli_session() as session:
        try:
            check_new(session, name, role=role, halls=halls)  # before asking for a password
            password = _password(password_stdin)
            user = create_user(session, name, password, role=role, halls=halls, now=now(), **_settings())
            _record(session, name, "create", None, {"role": role, "halls": list(halls)})
            session.commit()
        except AccountError as exc:
            raise cli_error(exc) from exc
        click.echo(f"已创建用户 / user created: {user.name} ({user.role})")


@user_cli.command("list")
@with_appcontext
def list_command() -> None:
    """List the staff accounts. / 列出工作人员账号。"""
    with cli_session() as session:
        rows = [
            (
                u.name,
                u.role,
                ",".join(h.slug for h in u.halls) or ("-" if u.role == "editor" else "*"),
                "yes" if u.disabled else "no",
                u.last_login_at.strftime("%Y-%m-%d %H:%M UTC") if u.last_login_at else "-",
            )
            for u in list_users(session)
        ]
    header = ("name/用户名", "role/角色", "halls/大厅", "disabled/停用", "last login/最近登录")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def _switch(name: str, disabled: bool) -> None:
    with cli_session() as session:
        try:
            user = require_user(session, name)
        except AccountError as exc:
            raise cli_error(exc) from exc
        set_disabled(session, user, disabled, now=now())
        action = "disable" if disabled else "enable"
        _record(session, name, action, {"disabled": not disabled}, {"disabled": disabled})
        session.commit()
    click.echo(f"已停用 / disabled: {name}" if disabled else f"已启用 / enabled: {name}")


@user_cli.command("disable")
@click.argument("name")
@with_appcontext
def disable_command(name: str) -> None:
    """Disable NAME and end their sessions. / 停用账号并结束其会话。"""
    _switch(name, True)


@user_cli.command("enable")
@click.argument("name")
@with_appcontext
def enable_command(name: str) -> None:
    """Enable NAME again. / 重新启用账号。"""
    _switch(name, False)


@user_cli.command("reset-password")
@click.argument("name")
@PASSWORD_STDIN
@with_appcontext
def reset_password_command(name: str, password_stdin: bool) -> None:
    """Give NAME a new password and end their sessions. / 重置密码并结束其会话。"""
    with cli_session() as session:
        try:
            user = require_user(session, name)
            ended = set_password(session, user, _password(password_stdin), now=now(), **_settings())
            _record(session, name, "reset_password", None, {"sessions_ended": ended})
            session.commit()
        except AccountError as exc:
            raise cli_error(exc) from exc
    click.echo(f"已重置密码 / password reset: {name} ({ended} session(s) ended)")
