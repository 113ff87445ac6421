"""``flask model build | check | publish``: readable reports, exit statuses, nothing stored on failure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from server.hallmodel.build import build_glb
from server.hallmodel.check import ModelError
from server.hallmodel.layout import layout_path, parse
from server.hallmodel.store import load_mapping
from server.models import Hall
from tests.conftest import make_app


@pytest.fixture(scope="module")
def cli_app(tmp_path_factory):
    return make_app(tmp_path_factory.mktemp("cli"), models=True)


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def model_sha(app, slug="pingnan"):
    session = app.extensions["db"]()
    try:
        return session.scalar(select(Hall.model_sha).where(Hall.slug == slug))
    finally:
        session.close()


def pingnan_file(tmp_path, change=None):
    spec = yaml.safe_load(layout_path("pingnan").read_text(encoding="utf-8"))
    if change:
        change(spec)
    path = tmp_path / "model.glb"
    path.write_bytes(build_glb(parse(spec)))
    return path


def test_check_a_good_model_exits_0(cli_app, tmp_path):
    result = run(cli_app, "model", "check", "pingnan", str(pingnan_file(tmp_path)))
    assert result.exit_code == 0, result.output
    assert "可以发布" in result.output
    as_json = run(cli_app, "model", "check", "pingnan", str(pingnan_file(tmp_path)), "--json")
    assert json.loads(as_json.output)["publishable"] is True


def test_check_a_model_that_is_not_one_to_one_exits_1(cli_app, tmp_path):
    path = pingnan_file(tmp_path, lambda s: s["floors"][0]["counters"].pop(0))
    result = run(cli_app, "model", "check", "pingnan", str(path))
    assert result.exit_code == 1
    assert "[missing] counter:A01" in result.output and "不能发布" in result.output


def test_check_an_unusable_file_exits_2(cli_app, tmp_path):
    path = tmp_path / "model.glb"
    path.write_text("solid cube\nendsolid cube\n")  # an STL renamed .glb
    result = run(cli_app, "model", "check", "pingnan", str(path))
    assert result.exit_code == 2
    as_json = run(cli_app, "model", "check", "pingnan", str(path), "--json")
    assert json.loads(as_json.output)["error"]["code"] == "not_glb"


def test_check_names_an_unknown_hall_or_file(cli_app, tmp_path):
    assert run(cli_app, "model", "check", "nowhere", str(pingnan_file(tmp_path))).exit_code != 0
    missing = run(cli_app, "model", "check", "pingnan", str(tmp_path / "absent.glb"))
    assert missing.exit_code != 0 and "absent.glb" in missing.output


def stored_models(app) -> list[str]:
    return sorted(p.name for p in Path(app.instance_path).glob("models/pingnan/*"))


def test_publishing_a_bad_model_stores_nothing(cli_app, tmp_path):
    before, files = model_sha(cli_app), stored_models(cli_app)
    path = pingnan_file(tmp_path, lambda s: s["floors"][0]["counters"].pop(0))
    result = run(cli_app, "model", "publish", "pingnan", str(path))
    assert result.exit_code == 1
    assert model_sha(cli_app) == before
    assert stored_models(cli_app) == files


def test_publishing_a_good_model_moves_the_hall_to_it(cli_app, tmp_path):
    before = model_sha(cli_app)
    path = pingnan_file(tmp_path, lambda s: s["floors"][0]["facilities"][1].update(at=[3.5, 7.5]))
    result = run(cli_app, "model", "publish", "pingnan", str(path))
    assert result.exit_code == 0, result.output
    assert model_sha(cli_app) not in (None, before)


def test_build_if_changed_skips_an_unchanged_hall(cli_app):
    result = run(cli_app, "model", "build", "guigang", "--if-changed")
    assert result.exit_code == 0 and "skipped" in result.output


def test_mapping_tables(tmp_path):
    csv = tmp_path / "map.csv"
    csv.write_text("node,target\nDesk_1,counter:A01\n\n# a comment\nDesk_2,counter:A02\n", encoding="utf-8")
    assert load_mapping(csv) == {"Desk_1": "counter:A01", "Desk_2": "counter:A02"}
    js = tmp_path / "map.json"
    js.write_text(json.dumps({"Desk_1": "counter:A01"}), encoding="utf-8")
    assert load_mapping(js) == {"Desk_1": "counter:A01"}
    bad = tmp_path / "bad.csv"
    bad.write_text("Desk_1;counter:A01\n", encoding="utf-8")
    with pytest.raises(ModelError, match="line 1"):
        load_mapping(bad)
    js.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ModelError):
        load_mapping(js)
