"""Database access: one engine per app, one session per request, migrations through Alembic.

SQLite (the default, a file in the instance folder) runs in WAL mode with foreign keys on; any other
engine comes in through ``DATABASE_URL`` with the same code.

The app factory imports this module, so SQLAlchemy, Alembic and the models are imported by the functions
that use them: the engine and session factory are made on first use (``server/lazy.py``), and a command
that never touches the database never loads them.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask import Flask, current_app, g
from flask.cli import with_appcontext

from .lazy import add_extension

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
REVISION_KEY = "catalogue_revision"
# The catalogue revision at which something search reads last changed: a model publish moves the catalogue
# revision but not this one, so no process rebuilds its search index for it.
SEARCH_REVISION_KEY = "search_revision"


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
    from sqlalchemy import create_engine, event

    engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def init_app(app: Flask) -> None:
    """Attach an engine and session factory to *app* (made on first use) and close sessions after each request."""
    url = app.config["DATABASE_URL"]
    add_extension(app, "db_engine", lambda: make_engine(url))
    add_extension(app, "db", lambda: session_factory(app.extensions["db_engine"]))
    app.extensions["revision"] = {"value": "0", "search": "0", "checked": float("-inf")}
    app.teardown_appcontext(_close_session)
    app.cli.add_command(db_cli)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions on *engine* whose objects stay readable after commit."""
    from sqlalchemy.orm import sessionmaker

    return sessionmaker(engine, expire_on_commit=False)


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
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema of *engine* to *revision*."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def catalogue_revision(session: Session) -> str:
    """Return the revision stamp that changes whenever published data changes (caches key on it)."""
    from sqlalchemy import select

    from .models import Meta

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
        from sqlalchemy import select

        from .models import Meta

        query = select(Meta.key, Meta.value).where(Meta.key.in_((REVISION_KEY, SEARCH_REVISION_KEY)))
        rows = {key: value for key, value in get_session().execute(query)}
        state["value"] = rows.get(REVISION_KEY) or "0"
        state["search"] = rows.get(SEARCH_REVISION_KEY) or state["value"]
        state["checked"] = now
    return state["value"]


def search_revision() -> str:
    """The revision of what search reads (``current_revision``'s, unless only other things changed since)."""
    current_revision()
    return current_app.extensions["revision"]["search"]


def bump_revision(session: Session, *, searchable: bool = True) -> str:
    """Advance the revision stamp inside the caller's transaction and return the new one. *searchable*
    False says nothing that search reads changed (a model publish), so search indexes are kept.

    One ``UPDATE … SET value = value + 1``, not a read then a write: the row stays locked until the caller
    commits, so two writers at once (two processes on PostgreSQL) are serialised and each gets its own
    revision, where read-then-write would let both write the same one and a process could miss a change.
    """
    from sqlalchemy import Integer, String, cast, update

    from .models import Meta

    new = session.scalar(
        update(Meta)
        .where(Meta.key == REVISION_KEY)
        .values(value=cast(cast(Meta.value, Integer) + 1, String))
        .returning(Meta.value)
    )
    if new is None:
        new = "1"
        session.add(Meta(key=REVISION_KEY, value=new))
    search = session.get(Meta, SEARCH_REVISION_KEY)
    if searchable or search is None:
        # Without the row (a database from before it), the search revision was the catalogue's last one.
        value = new if searchable else str(int(new) - 1)
        if search:
            search.value = value
        else:
            session.add(Meta(key=SEARCH_REVISION_KEY, value=value))
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
