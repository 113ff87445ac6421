"""Alembic environment: migrates the engine handed over in ``config.attributes['engine']``, or runs inside
the caller's open transaction on ``config.attributes['connection']`` (a restore: schema and rows commit
together or not at all)."""

from alembic import context

from server.models import Base

config = context.config
target_metadata = Base.metadata


def _migrate(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copy
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)  # the caller commits or rolls back
        return
    with config.attributes["engine"].begin() as connection:
        _migrate(connection)


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `flask --app server db upgrade`")
run_migrations_online()
