"""The data model on a real database (SQLite, or PostgreSQL with ``--database=postgresql``): constraints,
cascades, and migrations that match the models and run down and up again."""

import json
import threading

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from server.db import alembic_config, bump_revision, catalogue_revision, upgrade
from server.demo.loader import load
from server.models import (
    Base,
    Counter,
    Floor,
    Hall,
    Material,
    ServiceGuide,
    ServiceItem,
    Zone,
    counter_services,
)
from tests.conftest import make_app


@pytest.fixture
def fresh(tmp_path):
    app = make_app(tmp_path)
    session = app.extensions["db"]()
    yield app, session
    session.close()


def schema_diff(engine) -> list:
    with engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)


def test_migrations_create_exactly_the_models_schema_and_run_down_and_up(tmp_path):
    app = make_app(tmp_path, demo=False)
    engine = app.extensions["db_engine"]
    assert schema_diff(engine) == []
    command.downgrade(alembic_config(engine), "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    assert len(schema_diff(engine)) >= len(Base.metadata.tables)  # every table is missing: the diff sees it
    upgrade(engine)
    assert schema_diff(engine) == []
    session = app.extensions["db"]()
    try:
        load(session)  # the schema migrated up again takes the demo content
        assert session.scalar(select(func.count(Counter.id))) > 0
    finally:
        session.close()


def parsed(value):
    """A JSON column read by raw SQL: text on SQLite, already decoded by psycopg on PostgreSQL."""
    return json.loads(value) if isinstance(value, str) else value


def test_catalogue_english_migration_round_trips_old_to_new_to_old(tmp_path):
    """0007 on a real database file: down to the old form (Chinese strings), up to pairs with ``en`` null, and
    down again to exactly the same old form."""
    from alembic import command

    from server.db import alembic_config, upgrade

    app = make_app(tmp_path)  # the demo at head: every condition and step a pair with English
    engine = app.extensions["db_engine"]
    rows = "SELECT slug, conditions, process FROM service_items ORDER BY slug"

    def stored():
        with engine.connect() as connection:
            return {slug: (parsed(c), parsed(p)) for slug, c, p in connection.execute(text(rows))}

    new = stored()
    command.downgrade(alembic_config(engine), "0006")
    old = stored()
    assert old.keys() == new.keys() and len(old) >= 120
    for slug, (conditions, process) in old.items():
        assert conditions == [c["zh"] for c in new[slug][0]]
        assert process == [
            {"name": p["name"]["zh"], "description": p["description"]["zh"]} for p in new[slug][1]
        ]
    upgrade(engine, "0007")
    untranslated = stored()
    for slug, (conditions, process) in untranslated.items():
        assert conditions == [{"zh": c, "en": None} for c in old[slug][0]]
        assert process == [
            {"name": {"zh": p["name"], "en": None}, "description": {"zh": p["description"], "en": None}}
            for p in old[slug][1]
        ]
    command.downgrade(alembic_config(engine), "0006")
    assert stored() == old


@pytest.mark.sqlite_only
def test_sqlite_runs_in_wal_mode_with_foreign_keys(fresh):
    """SQLite only: WAL and foreign keys are SQLite pragmas (PostgreSQL has neither switch; it always
    enforces foreign keys, which ``test_raw_sql_cannot_orphan_a_counter`` checks on both)."""
    _app, session = fresh
    assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_counter_numbers_are_unique_within_a_hall(fresh):
    _app, session = fresh
    hall = session.scalar(select(Hall).where(Hall.slug == "guigang"))
    existing = hall.counters[0]
    session.add(
        Counter(
            hall=hall,
            floor=existing.floor,
            zone=existing.zone,
            number=existing.number,
            name_zh="重复",
            name_en="Duplicate",
            type="专门",
            hours={},
            node_name=f"counter:{existing.number}",
        )
    )
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_the_same_number_may_exist_in_another_hall(fresh):
    _app, session = fresh
    numbers = session.execute(
        select(Counter.number, func.count(func.distinct(Counter.hall_id))).group_by(Counter.number)
    ).all()
    assert any(count == 2 for _number, count in numbers), "A01 exists in both demo halls"


def test_deleting_a_hall_removes_its_floors_counters_and_links_but_not_services(fresh):
    _app, session = fresh
    hall = session.scalar(select(Hall).where(Hall.slug == "pingnan"))
    counter_ids = [c.id for c in hall.counters]
    services_before = session.scalar(select(func.count(ServiceItem.id)))
    session.delete(hall)
    session.commit()
    assert session.scalar(select(func.count(Counter.id)).where(Counter.id.in_(counter_ids))) == 0
    assert (
        session.scalar(
            select(func.count())
            .select_from(counter_services)
            .where(counter_services.c.counter_id.in_(counter_ids))
        )
        == 0
    )
    assert session.scalar(select(func.count(Floor.id)).where(Floor.hall_id == hall.id)) == 0
    assert session.scalar(select(func.count(Zone.id)).where(Zone.hall_id == hall.id)) == 0
    assert session.scalar(select(func.count(ServiceItem.id))) == services_before


def test_deleting_a_service_removes_its_materials_guide_and_counter_links(fresh):
    _app, session = fresh
    service = session.scalar(select(ServiceItem).where(ServiceItem.materials.any()).limit(1))
    service_id = service.id
    assert service.counters, "every demo service is handled by some counter"
    session.delete(service)
    session.commit()
    assert session.scalar(select(func.count(Material.id)).where(Material.service_id == service_id)) == 0
    assert session.get(ServiceGuide, service_id) is None
    assert (
        session.scalar(
            select(func.count())
            .select_from(counter_services)
            .where(counter_services.c.service_id == service_id)
        )
        == 0
    )


def test_raw_sql_cannot_orphan_a_counter(fresh):
    """Foreign keys are enforced by the database itself, not only by the ORM."""
    _app, session = fresh
    with pytest.raises(IntegrityError):
        session.execute(
            text("UPDATE counters SET zone_id = 999999 WHERE id = (SELECT min(id) FROM counters)")
        )
        session.commit()
    session.rollback()


def test_loading_bumps_the_catalogue_revision(fresh):
    _app, session = fresh
    assert int(catalogue_revision(session)) >= 1


def test_two_writers_at_once_each_get_their_own_revision(fresh):
    """A second writer waits for the first (the revision row is locked) and bumps past it, never to the same
    number: a read-then-write bump loses one on PostgreSQL and fails on SQLite."""
    app, session = fresh
    start = int(catalogue_revision(session))
    session.commit()
    first = app.extensions["db"]()
    assert bump_revision(first) == str(start + 1)
    seen: list[str] = []

    def second_writer() -> None:
        other = app.extensions["db"]()
        try:
            seen.append(bump_revision(other))
            other.commit()
        finally:
            other.close()

    thread = threading.Thread(target=second_writer)
    thread.start()
    thread.join(0.5)
    assert thread.is_alive(), "the second writer must wait for the first"
    first.commit()
    first.close()
    thread.join(30)
    assert seen == [str(start + 2)]
    assert catalogue_revision(session) == str(start + 2)
