"""The data model on a real SQLite file: constraints, cascades, and migrations that match the models."""

import json

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from server.db import catalogue_revision
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


def test_migrations_create_exactly_the_models_schema(tmp_path):
    app = make_app(tmp_path, demo=False)
    with app.extensions["db_engine"].connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_catalogue_english_migration_round_trips_old_to_new_to_old(tmp_path):
    """0006 on a real SQLite file: down to the old form (Chinese strings), up to pairs with ``en`` null, and
    down again to exactly the same old form."""
    from alembic import command

    from server.db import alembic_config, upgrade

    app = make_app(tmp_path)  # the demo at head: every condition and step a pair with English
    engine = app.extensions["db_engine"]
    rows = "SELECT slug, conditions, process FROM service_items ORDER BY slug"

    def stored():
        with engine.connect() as connection:
            return {slug: (json.loads(c), json.loads(p)) for slug, c, p in connection.execute(text(rows))}

    new = stored()
    command.downgrade(alembic_config(engine), "0005")
    old = stored()
    assert old.keys() == new.keys() and len(old) >= 120
    for slug, (conditions, process) in old.items():
        assert conditions == [c["zh"] for c in new[slug][0]]
        assert process == [
            {"name": p["name"]["zh"], "description": p["description"]["zh"]} for p in new[slug][1]
        ]
    upgrade(engine, "0006")
    untranslated = stored()
    for slug, (conditions, process) in untranslated.items():
        assert conditions == [{"zh": c, "en": None} for c in old[slug][0]]
        assert process == [
            {"name": {"zh": p["name"], "en": None}, "description": {"zh": p["description"], "en": None}}
            for p in old[slug][1]
        ]
    command.downgrade(alembic_config(engine), "0005")
    assert stored() == old


def test_sqlite_runs_in_wal_mode_with_foreign_keys(fresh):
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
    """Foreign keys are enforced by SQLite itself, not only by the ORM."""
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
