"""Layout specs: both demo halls parse, and bad specs are refused with every problem named."""

import copy

import pytest
import yaml

from server.hallmodel.layout import LayoutError, layout_path, load, parse
from server.problems import problem_text


def spec(hall: str = "pingnan") -> dict:
    return yaml.safe_load(layout_path(hall).read_text(encoding="utf-8"))


@pytest.mark.parametrize(("hall", "counters"), [("guigang", 64), ("pingnan", 13)])
def test_demo_layouts_parse_with_every_counter(hall, counters):
    layout = load(layout_path(hall))
    assert sum(len(f.counters) for f in layout.floors) == counters


def test_rows_expand_to_evenly_spaced_counters():
    layout = load(layout_path("guigang"))
    b = {c.number: c for f in layout.floors for c in f.counters if c.number.startswith("B")}
    assert b["B01"].at == (-28.0, -13.0)
    assert b["B03"].at == pytest.approx((-28 + 2 * 1.8, -13.0))
    assert {c.facing for c in b.values()} == {180}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda s: s["floors"][0]["counters"].append({"number": "A01", "at": [1, 1], "facing": 0}),
            "duplicate number A01",
        ),
        (
            lambda s: s["floors"][0]["counters"].append({"number": "X01", "at": [99, 1], "facing": 0}),
            "outside the floor",
        ),
        (lambda s: s["floors"][0].update(outline=[[0, 0], [1, 1], [1, 0], [0, 1]]), "not a simple polygon"),
        (
            lambda s: s["floors"][0]["counters"].append({"number": "bad", "at": [1, 1], "facing": 0}),
            "floors/0/counters",
        ),
        (
            lambda s: s.update(
                connectors=[{"id": "l", "type": "lift", "floors": [1, 7], "at": [0, 0], "size": [2, 2]}]
            ),
            "no floor [7]",
        ),
        (
            lambda s: s.update(
                connectors=[{"id": "l", "type": "rope", "floors": [1, 2], "at": [0, 0], "size": [2, 2]}]
            ),
            "connectors/0/type",
        ),
        (lambda s: s.pop("floors"), "'floors' is a required property"),
    ],
)
def test_bad_specs_are_refused_with_the_problem_named(change, message):
    data = copy.deepcopy(spec())
    change(data)
    with pytest.raises(LayoutError) as caught:
        parse(data)
    assert any(message in problem_text(p) for p in caught.value.problems), caught.value.problems


def test_unreadable_file_is_a_layout_error(tmp_path):
    path = tmp_path / "x.layout.yaml"
    path.write_text("floors: [unclosed", encoding="utf-8")
    with pytest.raises(LayoutError, match="cannot read"):
        load(path)
