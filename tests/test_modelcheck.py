"""Reading models safely and the one-to-one report, on models built from altered layouts and on GLB
files altered byte by byte (as a model made elsewhere might come)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import trimesh
import yaml

from server.catalogue.queries import load_hall
from server.cli.model import labels_for
from server.hallmodel.build import build_glb
from server.hallmodel.check import Limits, ModelError, load_scene
from server.hallmodel.layout import layout_path, parse
from server.publishing.hallmodels import analyse, hall_facts
from tests.glbtools import edit, pack


@pytest.fixture(scope="module")
def facts(app):
    session = app.extensions["db"]()
    try:
        return {slug: hall_facts(load_hall(session, slug)) for slug in ("pingnan", "guigang")}
    finally:
        session.close()


def pingnan_spec() -> dict:
    return yaml.safe_load(layout_path("pingnan").read_text(encoding="utf-8"))


def build(spec: dict) -> bytes:
    return build_glb(parse(spec))


@pytest.fixture(scope="module")
def pingnan_glb() -> bytes:
    return build(pingnan_spec())


def kinds(report) -> set[tuple[str, str]]:
    return {(p.kind, p.node) for p in report.problems}


def test_the_demo_model_is_one_to_one(pingnan_glb, facts):
    report, derived = analyse(pingnan_glb, facts["pingnan"], hall="pingnan")
    assert report.publishable, report.to_text()
    assert report.counts["counter_nodes"] == 13
    assert "可以发布" in report.to_text() and "can be published" in report.to_text()
    assert derived.graph.stranded == {}


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda d: b"hello, this is not a model at all", "not_glb"),
        (lambda d: d[:-16], "truncated"),
        (lambda d: d[:12] + b"\x00" * 8 + d[20:], "bad_glb"),
        (lambda d: d[:4] + (1).to_bytes(4, "little") + d[8:], "bad_version"),
        (lambda d: edit(d, lambda j: j["buffers"][0].update(uri="hall.bin")), "external_resource"),
        (
            lambda d: edit(d, lambda j: j.update(images=[{"uri": "https://example.org/t.png"}])),
            "external_resource",
        ),
        (
            lambda d: edit(d, lambda j: j.update(extensionsRequired=["KHR_draco_mesh_compression"])),
            "unsupported_extension",
        ),
        (lambda d: pack({"asset": {"version": "2.0"}}), "empty"),
    ],
)
def test_unusable_files_are_refused_with_a_reason(pingnan_glb, mutate, code):
    with pytest.raises(ModelError) as caught:
        load_scene(mutate(pingnan_glb))
    assert caught.value.code == code
    assert caught.value.message and caught.value.message_en


def test_a_degenerate_model_is_refused():
    flat = trimesh.Trimesh(vertices=[[0, 0, 0], [1, 0, 0], [2, 0, 0]], faces=[[0, 1, 2]], process=False)
    data = trimesh.Scene(flat).export(file_type="glb")
    with pytest.raises(ModelError) as caught:
        load_scene(data)
    assert caught.value.code in {"degenerate", "empty"}


@pytest.mark.parametrize(
    ("limits", "code"),
    [
        (Limits(max_bytes=1000), "too_large"),
        (Limits(max_triangles=100), "too_many_triangles"),
        (Limits(max_nodes=5), "too_many_nodes"),
    ],
)
def test_limits_are_enforced(pingnan_glb, limits, code):
    with pytest.raises(ModelError) as caught:
        load_scene(pingnan_glb, limits)
    assert caught.value.code == code


def test_missing_and_extra_counters_are_reported(facts):
    spec = pingnan_spec()
    floor = spec["floors"][0]
    floor["counters"] = [c for c in floor["counters"] if c.get("number") != "D01"]
    floor["counters"].append({"number": "X01", "at": [6, 4], "facing": 180})
    report, _ = analyse(build(spec), facts["pingnan"], hall="pingnan")
    assert not report.publishable
    assert {("missing", "counter:D01"), ("extra", "counter:X01")} <= kinds(report)


def test_a_name_used_twice_is_a_duplicate(pingnan_glb, facts):
    def rename(document):
        for node in document["nodes"]:
            if node.get("name") == "counter:B03":
                node["name"] = "counter:B02"

    report, _ = analyse(edit(pingnan_glb, rename), facts["pingnan"], hall="pingnan")
    assert {("duplicate", "counter:B02"), ("missing", "counter:B03")} <= kinds(report)


def _lift(document, name: str, dy: float) -> None:
    for node in document["nodes"]:
        if node.get("name") == name:
            if "matrix" in node:
                node["matrix"][13] += dy
            else:
                translation = node.setdefault("translation", [0, 0, 0])
                translation[1] += dy


def test_a_counter_on_the_wrong_floor_or_on_no_floor(app, facts):
    session = app.extensions["db"]()
    try:
        labels = labels_for(load_hall(session, "guigang"))
    finally:
        session.close()
    spec = yaml.safe_load(layout_path("guigang").read_text(encoding="utf-8"))
    data = build_glb(parse(spec), labels)
    moved = edit(data, lambda d: (_lift(d, "counter:B03", 5.0), _lift(d, "counter:B04", 40.0)))
    report, _ = analyse(moved, facts["guigang"], hall="guigang")
    assert {("wrong_floor", "counter:B03"), ("no_floor", "counter:B04")} <= kinds(report)
    wrong = next(p for p in report.problems if p.node == "counter:B03")
    assert "2楼" in wrong.message and "floor 2" in wrong.message_en


def test_a_counter_walled_in_is_unreachable(facts):
    spec = pingnan_spec()
    # B01 stands at (2.5, −8) facing south; its standing point is about (2.5, −7). Wall both in.
    spec["floors"][0]["walls"] = [
        {"path": [[0.8, -9.7], [0.8, -5.6], [3.7, -5.6], [3.7, -9.7]], "thickness": 0.2}
    ]
    report, _ = analyse(build(spec), facts["pingnan"], hall="pingnan")
    assert ("unreachable", "counter:B01") in kinds(report)
    assert ("unreachable", "counter:B03") not in kinds(report)


def test_a_model_with_its_own_names_passes_with_a_mapping_table(pingnan_glb, facts):
    renamed: dict[str, str] = {}

    def rename(document):
        for index, node in enumerate(document["nodes"]):
            name = node.get("name", "")
            if name.startswith(("counter:", "facility:")) and "/" not in name:
                node["name"] = f"Object_{index:03d}"
                renamed[node["name"]] = name

    data = edit(pingnan_glb, rename)
    without, _ = analyse(data, facts["pingnan"], hall="pingnan")
    assert not without.publishable and ("missing", "counter:A01") in kinds(without)
    report, derived = analyse(data, facts["pingnan"], hall="pingnan", mapping=renamed)
    assert report.publishable, report.to_text()
    assert derived.geometry.nodes["counter:A01"].facing == pytest.approx(180)


def test_report_json_lists_problems_in_both_languages(facts):
    spec = copy.deepcopy(pingnan_spec())
    spec["floors"][0]["counters"] = spec["floors"][0]["counters"][1:]
    report, _ = analyse(build(spec), facts["pingnan"], hall="pingnan")
    data = report.to_dict()
    assert data["publishable"] is False
    assert all(p["message"] and p["message_en"] for p in data["problems"])
    assert np.isfinite(data["counts"]["floors"])
