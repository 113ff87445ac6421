"""What the command-line commands share: a database session, looking a hall up by slug, and one way to
report an error (a :class:`~server.problems.HallError`) in both languages with exit status 2.

Light to import (the database modules load only when a command uses them), so commands that need no
database start quickly.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click
from flask import current_app

from ..problems import HallError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ..models import Hall

ERROR_EXIT = 2  # a HallError: the input (file, hall, points) cannot be used; 1 stays "done, but refused"


class CliHallError(click.ClickException):
    """A HallError on the command line: ``Error: 中文 / English [code]`` (and any problems), exit 2."""

    exit_code = ERROR_EXIT


def cli_error(exc: HallError, *, subject: str | None = None) -> click.ClickException:
    """The command-line error for *exc* (raise it): bilingual, naming *subject* (a file, a hall) if given."""
    text = exc.text()
    return CliHallError(f"{subject}: {text}" if subject else text)


@contextmanager
def cli_session() -> Iterator[Session]:
    """A session for one command, closed whatever happens."""
    session = current_app.extensions["db"]()
    try:
        yield session
    finally:
        session.close()


def require_hall(session: Session, slug: str) -> Hall:
    """The hall *slug* with its relations, or a bilingual command-line error."""
    from ..catalogue.queries import load_hall

    hall = load_hall(session, slug)
    if hall is None:
        raise click.ClickException(f"没有这个大厅 / no such hall: {slug}")
    return hall
