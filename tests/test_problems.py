"""The one bilingual error base (server/problems.py): every error class is a HallError, the API answers each
in its one shape with the error's own status, the command line exits 2 in both languages, and JSON Schema
errors become problems that name the field."""

from __future__ import annotations

import shutil

import click
import pytest
import yaml
from click.testing import CliRunner

from server.cli.panorama_tile import panorama_cli
from server.cli.support import cli_error
from server.demo.loader import DEMO_DATA, DemoDataError, read
from server.demo.schema import file_problems
from server.errors import ApiError, bad_parameter
from server.hallmodel.check import ModelError, read_gltf_json
from server.hallmodel.layout import LayoutError, parse
from server.panoramas.ingest import PanoramaError, check_size, sniff_format
from server.panoramas.registration import RegistrationError, solve
from server.problems import HallError, problem_text, schema_problems
from server.wayfinding.routing import RouteError, UnknownPlace, Unreachable
from tests.conftest import make_app

SHAPE = {"status", "code", "message", "message_en"}  # the API's error keys ("details" when there are any)


def _raised(action) -> HallError:
    with pytest.raises(HallError) as caught:
        action()
    return caught.value


def _broken_demo(tmp_path):
    folder = tmp_path / "demo-data"
    shutil.copytree(DEMO_DATA, folder)
    path = folder / "halls" / "pingnan.yaml"
    hall = yaml.safe_load(path.read_text(encoding="utf-8"))
    hall["counters"][1]["status"] = "sleeping"
    path.write_text(yaml.safe_dump(hall, allow_unicode=True), encoding="utf-8")
    return folder


def _errors(tmp_path) -> dict[str, tuple[HallError, int]]:
    """One error of every class, each raised by the code that raises it, with the status it must answer."""
    return {
        "api": (bad_parameter("accessible", "应为 0 或 1", "must be 0 or 1"), 400),
        "model": (_raised(lambda: read_gltf_json(b"solid cube\nendsolid cube\n")), 422),
        "layout": (_raised(lambda: parse({"hall": "x", "floors": []})), 400),
        "route": (RouteError("没有路线", "no route"), 422),
        "unknown_place": (UnknownPlace("counter:X99"), 404),
        "unreachable": (Unreachable("无法到达", "cannot be reached", "separated"), 422),
        "panorama_not_image": (_raised(lambda: sniff_format(b"plain text, not an image")), 415),
        "panorama_too_small": (_raised(lambda: check_size(1024, 512)), 422),
        "registration": (_raised(lambda: solve([], position=(0.0, 1.6, 0.0))), 422),
        "demo": (_raised(lambda: read(_broken_demo(tmp_path))), 400),
    }


def test_every_error_class_is_a_hall_error_in_both_languages(tmp_path):
    classes = {ApiError, ModelError, LayoutError, RouteError, UnknownPlace, Unreachable}
    classes |= {PanoramaError, RegistrationError, DemoDataError}
    errors = _errors(tmp_path)
    assert {type(e) for e, _status in errors.values()} == classes
    for name, (error, status) in errors.items():
        assert isinstance(error, HallError), name
        assert error.status == status, name
        assert error.code and error.message and error.message_en, name
        # Chinese first: the zh message holds Han characters, the English one does not.
        assert any("\u4e00" <= ch <= "\u9fff" for ch in error.message), (name, error.message)
        assert error.message_en.isascii(), (name, error.message_en)
    # The errors that were ValueErrors still are, so callers that catch ValueError keep working.
    for cls in (ModelError, LayoutError, PanoramaError, RegistrationError, DemoDataError):
        assert issubclass(cls, ValueError), cls


@pytest.fixture(scope="module")
def raising_app(tmp_path_factory):
    """The real app with one extra endpoint that raises the error it is named after."""
    folder = tmp_path_factory.mktemp("problems")
    app = make_app(folder, demo=False)
    errors = _errors(folder)

    def fail(name: str):
        raise errors[name][0]

    app.add_url_rule("/api/v1/_fail/<name>", view_func=fail)
    return app, errors


def test_the_api_answers_every_hall_error_in_the_one_shape(raising_app):
    app, errors = raising_app
    client = app.test_client()
    for name, (error, status) in errors.items():
        response = client.get(f"/api/v1/_fail/{name}")
        assert response.status_code == status, name
        assert response.is_json, name
        body = response.get_json()
        assert set(body) == {"error"}, name
        keys = set(body["error"])
        assert keys in (SHAPE, SHAPE | {"details"}), (name, keys)
        assert body["error"] == {
            "status": status,
            "code": error.code,
            "message": error.message,
            "message_en": error.message_en,
            **({"details": error.details} if error.details else {}),
        }, name
    layout = client.get("/api/v1/_fail/layout").get_json()["error"]
    assert layout["code"] == "bad_layout"
    assert any(p["where"] == "floors" for p in layout["details"]["problems"]), layout


def test_an_api_path_answers_json_even_to_a_browser_asking_for_html(raising_app):
    app, _errors = raising_app
    response = app.test_client().get("/api/v1/_fail/registration", headers={"Accept": "text/html"})
    # API paths always answer JSON; the page form is for paths outside /api/.
    assert response.is_json and response.status_code == 422


def test_unknown_place_is_a_404_through_the_route_endpoint(app):
    response = app.test_client().get("/api/v1/halls/pingnan/route?from=entrance:main&to=counter:X99")
    assert response.status_code == 404
    assert response.get_json() == {
        "error": {
            "status": 404,
            "code": "unknown_place",
            "message": "找不到地点：counter:X99",
            "message_en": "Unknown place: counter:X99",
        }
    }


def test_the_cli_exits_2_with_both_languages_on_a_hall_error(tmp_path):
    source = tmp_path / "hall.jpg"
    source.write_text("这不是图像", encoding="utf-8")
    result = CliRunner().invoke(panorama_cli, ["tile", str(source), str(tmp_path / "out")])
    assert result.exit_code == 2
    error = _raised(lambda: sniff_format(source.read_bytes()))
    assert error.message in result.output and error.message_en in result.output
    assert f"[{error.code}]" in result.output and "Traceback" not in result.output

    @click.command()
    def register() -> None:
        try:
            solve([], position=(0.0, 1.6, 0.0))
        except RegistrationError as exc:
            raise cli_error(exc, subject="guigang/scjg") from exc

    result = CliRunner().invoke(register)
    assert result.exit_code == 2
    assert "guigang/scjg: 至少需要两个对应点 / at least two correspondences are needed" in result.output


def test_the_demo_command_lists_every_problem_in_both_languages_and_exits_2(tmp_path):
    app = make_app(tmp_path, demo=False)
    result = app.test_cli_runner().invoke(args=["demo", "--data", str(_broken_demo(tmp_path))])
    assert result.exit_code == 2, result.output
    assert "演示数据有 1 处问题" in result.output and "1 problem(s) in the demo data" in result.output
    assert "halls/pingnan.yaml/counters/1/status: " in result.output
    assert "'sleeping' 不是允许的取值" in result.output and "'sleeping' is not one of" in result.output


def test_schema_problems_of_a_layout_name_the_field():
    data = {
        "hall": "demo",
        "floors": [
            {
                "level": 1,
                "elevation": 0,
                "outline": [[0, 0], [10, 0], [10, 10], [0, 10]],
                "counters": [{"number": "not a number", "at": [1, 1], "facing": 0}],
            }
        ],
        "connectors": [{"id": "l", "type": "rope", "floors": [1, 2], "at": [0, 0], "size": [2, 2]}],
    }
    error = _raised(lambda: parse(data))
    assert isinstance(error, LayoutError)
    by_where = {p["where"]: p for p in error.problems}
    assert set(by_where) == {"connectors/0/type", "floors/0/counters/0"}, error.problems
    rope = by_where["connectors/0/type"]
    assert rope["zh"].startswith("'rope' 不是允许的取值（lift") and "'rope' is not one of" in rope["en"]
    assert problem_text(rope).startswith("connectors/0/type: 'rope' 不是允许的取值")
    # A counter entry is one of two forms (a counter or a row of them): neither fits.
    assert by_where["floors/0/counters/0"]["zh"] == "不符合任何一种允许的写法"


def test_schema_problems_of_a_demo_file_name_the_field():
    hall = yaml.safe_load((DEMO_DATA / "halls" / "pingnan.yaml").read_text(encoding="utf-8"))
    assert file_problems("hall", hall) == []
    hall["counters"][1]["status"] = "sleeping"
    del hall["address"]
    problems = file_problems("hall", hall)
    assert [p["where"] for p in problems] == ["(top)", "counters/1/status"]
    assert (
        problems[0]["zh"] == "缺少必填字段 address"
        and "'address' is a required property" in problems[0]["en"]
    )
    assert problems[1]["zh"].startswith("'sleeping' 不是允许的取值（") and "open" in problems[1]["zh"]


def test_schema_problems_translates_each_rule_and_keeps_the_english():
    from jsonschema import Draft202012Validator

    schema = {
        "type": "object",
        "properties": {
            "n": {"type": "integer", "minimum": 1},
            "tags": {"type": "array", "minItems": 2},
            "name": {"type": "string", "maxLength": 3},
        },
        "additionalProperties": False,
    }
    found = schema_problems(
        Draft202012Validator(schema).iter_errors({"n": 0, "tags": [1], "name": "长名字很长", "x": 1})
    )
    by_where = {p["where"]: p for p in found}
    assert by_where["n"]["zh"] == "0 小于允许的最小值 1"
    assert by_where["tags"]["zh"] == "至少需要 2 项"
    assert by_where["name"]["zh"] == "最多允许 3 个字符"
    assert by_where["(top)"]["zh"] == "含有不允许的字段"
    assert all(p["en"] for p in found) and [p["where"] for p in found] == sorted(p["where"] for p in found)
