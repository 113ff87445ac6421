"""The catalogue as editable data (server/catalogue/editing.py): the canonical form, its round trip over the
whole demo catalogue (SQLite and, with --database=postgresql, PostgreSQL), every check at its field, and
removal refused while counters handle a service."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import select

from server.catalogue.editing import (
    CatalogueError,
    Facts,
    ServiceInUse,
    apply_catalogue,
    apply_service,
    catalogue_facts,
    catalogue_snapshot,
    service_form,
    validate_service,
)
from server.db import catalogue_revision as current_revision
from server.models import ServiceItem
from tests.conftest import make_app


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return make_app(tmp_path_factory.mktemp("editing"))


@pytest.fixture
def session(app):
    s = app.extensions["db"]()
    yield s
    s.rollback()
    s.close()


def _form(session, slug="bdc-dygh"):
    return service_form(session.scalar(select(ServiceItem).where(ServiceItem.slug == slug)))


def _fields(problems):
    return [p["field"] for p in problems]


def test_the_whole_demo_catalogue_round_trips_and_applying_it_again_changes_nothing(app, session):
    snapshot = catalogue_snapshot(session)
    assert len(snapshot["services"]) >= 20
    facts = catalogue_facts(session)
    for slug, form in snapshot["services"].items():
        assert validate_service(form, facts) == [], slug
    before = current_revision(session)
    result = apply_catalogue(session, copy.deepcopy(snapshot))
    assert result == {"added": [], "changed": [], "removed": []}
    assert not session.dirty and not session.new and not session.deleted
    assert current_revision(session) == before
    session.commit()
    fresh = app.extensions["db"]()
    try:
        assert catalogue_snapshot(fresh) == snapshot
    finally:
        fresh.close()


def test_an_edited_form_is_written_and_read_back_equal(app, session):
    form = _form(session, "yb-zhdjqs")
    form["name"]["en"] = "Medical insurance, renamed"
    form["materials"].reverse()  # reorder
    form["materials"].append(
        {
            "name": {"zh": "测试材料", "en": "Test paper"},
            "required": False,
            "form": "复印件",
            "medium": "纸质",
            "copies": 2,
            "notes": None,
        }
    )
    form["guide"]["summary_zh"] = "**先**预约。\n\n- 带身份证\n- 带房产证"
    form["keywords"] = ["医保"]
    before = current_revision(session)
    assert apply_service(session, form) is True
    assert current_revision(session) != before
    session.commit()
    assert _form(session, "yb-zhdjqs") == form
    form["materials"] = form["materials"][:2]
    form["guide"] = None
    assert apply_service(session, form) is True
    session.commit()
    assert _form(session, "yb-zhdjqs") == form
    assert apply_service(session, copy.deepcopy(form)) is False


def test_a_new_service_is_added_and_an_unused_one_removed(app, session):
    form = _form(session, "bdc-dygh")
    form.update(slug="test-new", code="TEST0000000000000001")
    snapshot = catalogue_snapshot(session)
    snapshot["services"]["test-new"] = form
    assert apply_catalogue(session, snapshot)["added"] == ["test-new"]
    session.commit()
    del snapshot["services"]["test-new"]
    assert apply_catalogue(session, snapshot)["removed"] == ["test-new"]
    session.commit()
    assert "test-new" not in catalogue_snapshot(session)["services"]


def test_removing_a_service_a_counter_handles_is_refused_by_name(session):
    snapshot = catalogue_snapshot(session)
    del snapshot["services"]["bdc-dygh"]
    with pytest.raises(ServiceInUse) as caught:
        apply_catalogue(session, snapshot)
    error = caught.value
    assert error.status == 409 and error.details["service"] == "bdc-dygh"
    assert error.details["counters"] and all("/" in c for c in error.details["counters"])
    assert "bdc-dygh" in error.message and "bdc-dygh" in error.message_en
    assert _form(session)["slug"] == "bdc-dygh"


def test_each_problem_is_named_at_its_field_in_both_languages(session):
    facts = catalogue_facts(session)
    form = _form(session)
    form["materials"][2]["copies"] = -1
    form["materials"][0]["form"] = "扫描件"
    form["promised_limit_days"] = form["legal_limit_days"] + 1
    form["department"] = "nowhere"
    form["code"] = _form(session, "ga-sfzsl")["code"]  # another item's
    form["slug"] = "Bad Slug"
    form["online"]["pc"] = "http://zwfw.gxzf.gov.cn/x"
    form["online"]["mobile"] = "https://evil.example.com/x"
    form["appointment"] = {"supported": True, "url": None}
    form["guide"]["summary_zh"] = "见 [这里](javascript:alert(1))"
    del form["name"]["en"]
    form["visits"] = "one"
    problems = validate_service(form, facts)
    fields = _fields(problems)
    for expected in (
        "materials[2].copies",
        "materials[0].form",
        "promised_limit_days",
        "department",
        "code",
        "slug",
        "online.pc",
        "online.mobile",
        "appointment.url",
        "guide.summary_zh",
        "name.en",
        "visits",
    ):
        assert expected in fields, (expected, problems)
    for p in problems:
        assert p["zh"] and p["en"] and p["zh"] != p["en"]
    code = next(p for p in problems if p["field"] == "code")
    assert "ga-sfzsl" in code["zh"] and "ga-sfzsl" in code["en"]


def test_a_bad_form_changes_nothing(session):
    form = _form(session)
    form["promised_limit_days"] = form["legal_limit_days"] + 1
    with pytest.raises(CatalogueError) as caught:
        apply_service(session, form)
    assert caught.value.status == 422
    assert _fields(caught.value.problems) == ["promised_limit_days"]
    assert not session.dirty and not session.new
    assert _form(session)["promised_limit_days"] == 1  # as bdc.yaml has it


def test_a_snapshot_with_a_bad_form_or_two_items_of_one_code_writes_nothing(session):
    snapshot = catalogue_snapshot(session)
    snapshot["services"]["bdc-dygh"]["code"] = snapshot["services"]["ga-sfzsl"]["code"]
    snapshot["services"]["ga-sfzsl"]["materials"] = "none"
    with pytest.raises(CatalogueError) as caught:
        apply_catalogue(session, snapshot)
    fields = _fields(caught.value.problems)
    assert "services.ga-sfzsl.materials" in fields
    assert any(f.startswith("services.") and f.endswith(".code") for f in fields)
    assert not session.dirty and not session.new and not session.deleted


def test_not_a_form_at_all_is_a_problem_not_a_crash():
    facts = Facts(frozenset({"bdc"}))
    assert _fields(validate_service(None, facts)) == ["(form)"]
    assert "slug" in _fields(validate_service({}, facts))
