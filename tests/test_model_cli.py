"""``flask model build | check | publish``: readable reports, exit statuses, nothing stored on failure."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from sqlalchemy import select

from server.hallmodel.build import build_glb
from server.hallmodel.check import DEFAULT_LIMITS, ModelError
from server.hallmodel.layout import layout_path, parse
from server.hallmodel.store import load_mapping
from server.models import Hall
from tests.conftest import make_app
from tests.glbtools import add_mesh_node, column, edit, pack_json, poison_positions


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


def _add_nodes(*nodes):
    """A change that appends *nodes* (their children counted from the first new node) to a glTF."""

    def change(document):
        first = len(document["nodes"])
        for node in nodes:
            document["nodes"].append({**node, "children": [first + c for c in node.get("children", [])]})

    return change


def _set(**fields):
    return lambda document: document.update(fields)


HOSTILE_MODELS = {
    "buffers is a number": (lambda d: edit(d, _set(buffers=5)), "bad_structure", "buffers"),
    "nodes is a number": (lambda d: edit(d, _set(nodes=5)), "bad_structure", "nodes"),
    "extensionsRequired is a number": (
        lambda d: edit(d, _set(extensionsRequired=5)),
        "bad_structure",
        "extensionsRequired",
    ),
    "extensionsRequired holds a list": (
        lambda d: edit(d, _set(extensionsRequired=[[1]])),
        "bad_structure",
        "extensionsRequired/0",
    ),
    "meshes is text": (lambda d: edit(d, _set(meshes="x")), "bad_structure", "meshes"),
    "a child index is 1.5": (lambda d: edit(d, _add_nodes({"children": [0.5]})), "bad_structure", "children"),
    "an accessor past its data": (
        lambda d: edit(d, lambda j: j["accessors"][0].update(count=10**9)),
        "bad_reference",
        "accessors/0",
    ),
    "an accessor's missing buffer view": (
        lambda d: edit(d, lambda j: j["accessors"][0].update(bufferView=9999)),
        "bad_reference",
        "accessors/0/bufferView",
    ),
    "a buffer view past the binary chunk": (
        lambda d: edit(d, lambda j: j["bufferViews"][0].update(byteOffset=2**31)),
        "bad_reference",
        "bufferViews/0",
    ),
    "a node's missing mesh": (lambda d: edit(d, _add_nodes({"mesh": 9999})), "bad_reference", "mesh"),
    "200,000 nested brackets": (lambda d: pack_json(b"[" * 200_000), "too_deep", "nested too deeply"),
    "NaN written in the JSON": (
        lambda d: pack_json(b'{"asset": {"version": "2.0"}, "scene": NaN}'),
        "bad_number",
        "NaN",
    ),
    "nodes 0 -> 1 -> 0": (
        lambda d: edit(d, _add_nodes({"children": [1]}, {"children": [0]})),
        "node_cycle",
        "cycle",
    ),
    "a node its own child": (lambda d: edit(d, _add_nodes({"children": [0]})), "node_own_child", "own child"),
    "a node with two parents": (
        lambda d: edit(d, _add_nodes({}, {"children": [0]}, {"children": [0]})),
        "node_two_parents",
        "two parents",
    ),
    "NaN vertices": (poison_positions, "non_finite", "NaN"),
    "infinite vertices": (lambda d: poison_positions(d, float("inf")), "non_finite", "infinite"),
}


@pytest.fixture(scope="module")
def pingnan_bytes(tmp_path_factory):
    return pingnan_file(tmp_path_factory.mktemp("hostile")).read_bytes()


@pytest.mark.parametrize("case", list(HOSTILE_MODELS))
def test_hostile_models_are_refused_with_their_own_reason(cli_app, tmp_path, pingnan_bytes, case):
    mutate, code, says = HOSTILE_MODELS[case]
    path = tmp_path / "hostile.glb"
    path.write_bytes(mutate(pingnan_bytes))
    before, files = model_sha(cli_app), stored_models(cli_app)
    for command in ("check", "publish"):
        result = run(cli_app, "model", command, "pingnan", str(path))
        assert result.exit_code == 2, (command, result.output, result.exception)
        assert f"[{code}]" in result.output and says in result.output, result.output
        line = next(line for line in result.output.splitlines() if f"[{code}]" in line)
        zh, en = line.rsplit(" / ", 1)  # Chinese first, English second
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh) and en.isascii(), result.output
        assert "Traceback" not in result.output
    as_json = run(cli_app, "model", "check", "pingnan", str(path), "--json")
    assert json.loads(as_json.output)["error"]["code"] == code
    assert model_sha(cli_app) == before and stored_models(cli_app) == files


HOSTILE_MAPPINGS = {
    "not JSON": ("map.json", b'{"Desk_1": ', "not valid JSON"),
    "not UTF-8 JSON": ("map.json", b'{"Desk_\xff": "counter:A01"}', "not UTF-8"),
    "not UTF-8 CSV": ("map.csv", b"Desk_\xfe,counter:A01\n", "not UTF-8"),
    "JSON of the wrong shape": ("map.json", b'{"Desk_1": ["counter:A01"]}', "JSON object"),
    "deeply nested JSON": ("map.json", b"[" * 200_000, "nested too deeply"),
}


@pytest.mark.parametrize("case", list(HOSTILE_MAPPINGS))
def test_hostile_mapping_files_are_refused(cli_app, tmp_path, case):
    name, content, says = HOSTILE_MAPPINGS[case]
    table = tmp_path / name
    table.write_bytes(content)
    model = pingnan_file(tmp_path)
    for command in ("check", "publish"):
        result = run(cli_app, "model", command, "pingnan", str(model), "--mapping", str(table))
        assert result.exit_code == 2, (command, result.output, result.exception)
        assert "[bad_mapping]" in result.output and says in result.output, result.output
        assert "映射表" in result.output


def test_a_mapping_that_is_not_a_regular_file_is_refused(tmp_path):
    with pytest.raises(ModelError, match="not a regular file"):
        load_mapping(Path("/dev/zero"))


# ``python -m flask …`` that writes its own peak resident bytes (VmHWM) to $PEAK_FILE when it exits.
PEAK_PROGRAM = """
import atexit, os, sys

def peak():
    with open("/proc/self/status") as status:
        kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    with open(os.environ["PEAK_FILE"], "w") as out:
        out.write(str(kib * 1024))

atexit.register(peak)
from flask.cli import main
sys.argv[0] = "flask"
main()
"""


def check_in_a_process(app, path: Path) -> tuple[int, str, int]:
    """``flask model check pingnan PATH`` in a child process (address space capped at 4 GiB so that a
    model that runs away fails there, not on the machine): exit status, output, peak resident bytes.

    The peak is the child's own ``VmHWM``, written at exit: ``wait4``'s ``ru_maxrss`` also counts the
    copy of this test process that the child was forked from before it started the command (over 1 GiB
    late in a whole run, which failed these checks with nothing wrong in the model check)."""

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))

    env = {
        **os.environ,
        "VHALL_INSTANCE_PATH": app.instance_path,
        "DATABASE_URL": app.config["DATABASE_URL"],
        "OPENBLAS_NUM_THREADS": "1",
    }
    peak_file = path.with_suffix(".peak")
    env["PEAK_FILE"] = str(peak_file)
    child = subprocess.Popen(
        [sys.executable, "-c", PEAK_PROGRAM, "--app", "server", "model", "check", "pingnan", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=Path(__file__).parents[1],
        preexec_fn=cap,
    )
    with child.stdout:
        output = child.stdout.read().decode()
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    # Killed before writing it (the cap): the looser figure, which can only be larger.
    peak = int(peak_file.read_text()) if peak_file.exists() else usage.ru_maxrss * 1024
    return child.returncode, output, peak


def test_a_model_at_the_limits_is_checked_in_under_a_gigabyte(cli_app, tmp_path, pingnan_bytes):
    # As large as the file-size limit allows: 1.8 M triangles unindexed (5.4 M vertices, 62 MB).
    triangles = 1_800_000
    assert triangles <= DEFAULT_LIMITS.max_triangles and 3 * triangles <= DEFAULT_LIMITS.max_vertices
    heavy = add_mesh_node(pingnan_bytes, column(triangles, at=(7.0, 2.0)), "decor:column")
    assert len(heavy) <= DEFAULT_LIMITS.max_bytes
    path = tmp_path / "heavy.glb"
    path.write_bytes(heavy)
    status, output, peak = check_in_a_process(cli_app, path)
    assert status == 0 and "可以发布" in output, output
    assert peak <= 1 << 30, f"{peak / 2**20:.0f} MiB"


def test_one_large_mesh_drawn_by_many_nodes_is_refused_before_loading(cli_app, tmp_path, pingnan_bytes):
    # 12 MB of vertices drawn by 500 nodes: one triangle each, but 500 world-space copies (24 GB) to check.
    vertices = np.random.default_rng(0).random((1_000_000, 3), dtype=np.float32)
    bomb = add_mesh_node(pingnan_bytes, vertices, "decor:bomb", indices=np.arange(3), nodes=500)
    path = tmp_path / "bomb.glb"
    path.write_bytes(bomb)
    status, output, peak = check_in_a_process(cli_app, path)
    assert status == 2 and "[too_many_vertices]" in output and "Traceback" not in output, output
    assert peak <= 1 << 30, f"{peak / 2**20:.0f} MiB"


def test_every_structure_problem_is_listed(cli_app, tmp_path, pingnan_bytes):
    path = tmp_path / "hostile.glb"
    path.write_bytes(edit(pingnan_bytes, _set(nodes=5, meshes="x")))
    result = run(cli_app, "model", "check", "pingnan", str(path), "--json")
    error = json.loads(result.output)["error"]
    assert result.exit_code == 2 and error["code"] == "bad_structure"
    assert [p["where"] for p in error["problems"]] == ["meshes", "nodes"]
    assert all(p["zh"] and p["en"] for p in error["problems"])
    text = run(cli_app, "model", "check", "pingnan", str(path)).output
    assert "meshes: 类型应为列表" in text and "nodes: 类型应为列表" in text
