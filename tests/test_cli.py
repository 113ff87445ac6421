"""The command line starts without importing the application's heavy half (server/cli, server/lazy.py), and
every command still answers ``--help``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from server import create_app
from server.cli import model_cli, panorama_cli
from tests.conftest import database_url

ROOT = Path(__file__).resolve().parents[1]
# Libraries and packages that ``panorama tile --help`` has no use for: geometry, images, the database layer,
# search, and the domain packages that import them.
HEAVY = (
    "trimesh",
    "scipy",
    "shapely",
    "numpy",
    "PIL",
    "cv2",
    "simplejpeg",
    "sqlalchemy",
    "alembic",
    "pypinyin",
    "jsonschema",
    "server.models",
    "server.web",
    "server.catalogue",
    "server.hallmodel",
    "server.wayfinding",
    "server.publishing",
    "server.demo",
    "server.panoramas.ingest",
    "server.panoramas.tiles",
)


# Runs the real command line (flask's entry point) in a fresh interpreter, then lists what it imported.
CHILD = """
import json, sys
from flask.cli import main
out, sys.argv = sys.argv[1], ["flask", *sys.argv[2:]]
try:
    main()
except SystemExit as exc:
    code = exc.code
with open(out, "w") as handle:
    json.dump({"code": code, "modules": sorted(sys.modules)}, handle)
"""


def imported_by(args: list[str], tmp_path: Path) -> tuple[subprocess.CompletedProcess, int, set[str]]:
    """Run ``flask --app server ARGS`` in a child interpreter: its output, exit status and the names of
    every module it had imported by the end."""
    env = {**os.environ, "VHALL_INSTANCE_PATH": str(tmp_path / "instance"), "PYTHONPATH": str(ROOT)}
    report = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(report), "--app", "server", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    result = json.loads(report.read_text())
    return done, result["code"], set(result["modules"])


def heavy_among(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_tile_help_imports_nothing_heavy(tmp_path):
    done, code, modules = imported_by(["panorama", "tile", "--help"], tmp_path)
    assert code == 0, done.stderr[-2000:]
    assert "--quality" in done.stdout and "瓦片的 JPEG 质量" in done.stdout
    assert "[default: 85; 1<=x<=100]" in done.stdout  # the defaults still come from the panorama limits
    # The measure is there: the command's own module and Flask were seen being imported.
    assert {"flask", "server", "server.cli.panorama_tile", "server.panoramas.limits"} <= modules
    assert heavy_among(modules) == []


def test_running_a_command_still_imports_what_it_needs(tmp_path):
    """The other side of laziness: the tile command's libraries are imported when it runs."""
    missing = [str(tmp_path / "missing.jpg"), str(tmp_path / "out")]
    done, code, modules = imported_by(["panorama", "tile", *missing], tmp_path)
    assert code == 2 and "does not exist" in done.stderr  # click checks the path before running
    assert heavy_among(modules) == []
    (tmp_path / "not-an-image.jpg").write_text("这不是图像", encoding="utf-8")
    text = [str(tmp_path / "not-an-image.jpg"), str(tmp_path / "o")]
    done, code, modules = imported_by(["panorama", "tile", *text], tmp_path)
    assert code == 2 and "not_an_image" in done.stderr  # a PanoramaError: exit 2, both languages
    assert {"numpy", "PIL", "server.panoramas.ingest"} <= modules


@pytest.fixture(scope="module")
def cli_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    return create_app({"TESTING": True, "DATABASE_URL": database_url(folder)}, instance_path=folder)


def every_command() -> list[tuple[str, ...]]:
    """Each command's path below ``flask --app server``, lazily defined ones included."""
    paths: list[tuple[str, ...]] = [("demo",), ("db", "upgrade")]
    for group in (model_cli, panorama_cli):
        paths += [(group.name, name) for name in group.list_commands(click.Context(group))]
    return paths


def test_the_lazy_groups_know_every_command():
    assert set(model_cli.modules) == {"build", "check", "publish"}
    assert set(panorama_cli.modules) == {"tile", "add", "render-demo", "register"}
    for group in (model_cli, panorama_cli):
        for name in group.modules:
            command = group.get_command(click.Context(group), name)
            assert command is not None and command.name == name, f"{group.name} {name}"


@pytest.mark.parametrize("path", every_command(), ids=" ".join)
def test_every_command_answers_help(cli_app, path):
    result = cli_app.test_cli_runner().invoke(args=[*path, "--help"])
    assert result.exit_code == 0, result.output
    assert (
        result.output.startswith("Usage: ") and f" {' '.join(path)} [OPTIONS]" in result.output.split("\n")[0]
    )
    assert any("\u4e00" <= ch <= "\u9fff" for ch in result.output), "the help says it in Chinese too"


@pytest.mark.parametrize("group", ["model", "panorama"])
def test_group_help_lists_every_command(cli_app, group):
    result = cli_app.test_cli_runner().invoke(args=[group, "--help"])
    assert result.exit_code == 0, result.output
    names = (model_cli if group == "model" else panorama_cli).modules
    listed = {line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line.strip()}
    assert listed == set(names)
