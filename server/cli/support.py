"""What the command-line commands share: a database session and looking a hall up by slug."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import current_app
from sqlalchemy.orm import Session

from ..catalogue.queries import load_hall
from ..models import Hall


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
    hall = load_hall(session, slug)
    if hall is None:
        raise click.ClickException(f"没有这个大厅 / no such hall: {slug}")
    return hall
