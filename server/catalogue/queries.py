"""Plain queries of the catalogue that every interface shares (API, pages, command line)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..models import Counter, Hall, Scene

HALL_LOAD = (
    selectinload(Hall.floors),
    selectinload(Hall.zones),
    selectinload(Hall.counters).selectinload(Counter.services),
    selectinload(Hall.counters).joinedload(Counter.department),
    selectinload(Hall.facilities),
    selectinload(Hall.scenes).selectinload(Scene.links),
    selectinload(Hall.scenes).selectinload(Scene.overrides),
)


def load_hall(session: Session, slug: str) -> Hall | None:
    """The hall *slug* with everything its document needs, in a handful of queries."""
    return session.scalar(select(Hall).where(Hall.slug == slug).options(*HALL_LOAD))
