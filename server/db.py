"""Database access: one engine per app, one session per request, migrations through Alembic.

SQLite (the default, a file in the instance folder) runs in WAL mode with foreign keys on; any other
engine comes in through ``DATABASE_URL`` with the same code.
"""

from __future__ import annotations

import time
from pathlib import Path

import click
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app, g
from flask.cli import with_appcontext
from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from .models import Meta

MIGRATIONS = Path(__file__).parent / "migrations"
REVISION_KEY = "catalogue_revision"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while a writer commits; busy_timeout makes a second writer wait, not fail.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create the engine for *url*, with SQLite's pragmas where it is SQLite."""
    engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def init_app(app: Flask) -> None:
    """Attach an engine and session factory to *app* and close sessions after each request."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["db"] = sessionmaker(engine, expire_on_commit=False)
    app.extensions["db_engine"] = engine
    app.extensions["revision"] = {"value": "0", "checked": float("-inf")}
    app.teardown_appcontext(_close_session)
    app.cli.add_command(db_cli)


def get_session() -> Session:
    """Return this request's (or app context's) session, opening it on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["db"]()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def alembic_config(engine: Engine) -> AlembicConfig:
    """An Alembic configuration that migrates *engine* with the package's migration scripts."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema of *engine* to *revision*."""
    command.upgrade(alembic_config(engine), revision)


def catalogue_revision(session: Session) -> str:
    """Return the revision stamp that changes whenever published data changes (caches key on it)."""
    value = session.scalar(select(Meta.value).where(Meta.key == REVISION_KEY))
    return value or "0"


def current_revision() -> str:
    """The catalogue revision, read from the database at most once per ``REVISION_TTL`` seconds per process.

    A publish is therefore visible everywhere within that time, while a busy process does not pay a
    database round trip on every request just to learn that nothing changed.
    """
    ttl = current_app.config["REVISION_TTL"]
    state = current_app.extensions["revision"]
    now = time.monotonic()
    if ttl <= 0 or now - state["checked"] > ttl:
        state["value"] = catalogue_revision(get_session())
        state["checked"] = now
    return state["value"]


def bump_revision(session: Session) -> str:
    """Advance the revision stamp inside the caller's transaction and return the new one."""
    row = session.get(Meta, REVISION_KEY)
    new = str(int(row.value) + 1) if row else "1"
    if row:
        row.value = new
    else:
        session.add(Meta(key=REVISION_KEY, value=new))
    return new


@click.group("db")
def db_cli() -> None:
    """Database schema commands. / 数据库结构命令。"""


@db_cli.command("upgrade")
@with_appcontext
@click.argument("revision", default="head")
def upgrade_command(revision: str) -> None:
    """Migrate the database to REVISION (default: head). / 升级数据库结构。"""
    upgrade(current_app.extensions["db_engine"], revision)
    click.echo(f"database at {revision}: {current_app.config['DATABASE_URL']}")
