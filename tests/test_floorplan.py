"""Floor plan SVGs: well-formed, one named group per counter and facility, escaped text, deterministic."""

import random
import re
import xml.etree.ElementTree as ET

import pytest
from shapely.geometry import Polygon, box

from server.hallmodel.floorplan import FACILITY_SYMBOLS, PX_PER_METRE, PlanLabels, render_plan
from server.hallmodel.geometry import FloorGeometry, NodeInfo

SVG = "{http://www.w3.org/2000/svg}"
NASTY = """<script>alert("x")</script> & 'quoted'"""


def counter(number, x, z, *, floor=1, facing=180.0, footprint=True):
    """A 1.6 × 0.8 m desk at (x, z); facing 180 or 0 lies along x, 90 or −90 along z."""
    w, d = (1.6, 0.8) if facing in (0.0, 180.0) else (0.8, 1.6)
    shape = box(x - w / 2, z - d / 2, x + w / 2, z + d / 2) if footprint else None
    key = f"counter:{number}"
    return NodeInfo(key, "counter", key, floor, (x, 0.5, z), shape, facing, (x, z + 1))


def facility(fid, x, z, *, floor=1):
    key = f"facility:{fid}"
    return NodeInfo(key, "facility", key, floor, (x, 1.0, z))


@pytest.fixture
def floor():
    walls = [box(0, 0, 20, 0.2), box(10, 0, 10.2, 4)]
    return FloorGeometry(
        level=1,
        elevation=0.0,
        outline=box(0, 0, 20, 12),
        obstacles=[*walls, box(5, 6, 7, 6.5)],
        walls=walls,
        zones={"scjg": box(0.5, 0.5, 9, 5), "misc": box(11, 0.5, 19, 5)},
    )


@pytest.fixture
def nodes():
    return [
        counter("A01", 2, 2),
        counter("A02", 4, 2, facing=90.0),
        counter("B03", 12, 2, footprint=False),
        counter("B04", 14, 2),
        counter("X99", 24, -3),  # outside the outline: the plan must still show it
        counter("C01", 2, 2, floor=2),
        NodeInfo("counter:U01", "counter", "counter:U01", None, (1, 0, 1)),  # on no floor
        facility("toilet-1", 15, 10),
        facility("toilet-acc-1", 17, 10),
        facility("lift-1", 8, 10),
        facility("lift-2", 8, 10, floor=2),
    ]


@pytest.fixture
def labels():
    scjg = {"zh": "市场监督管理局", "en": "Administration for Market Regulation"}
    return PlanLabels(
        hall_name={"zh": "测试市政务服务中心", "en": "Test City Service Centre"},
        floor_name={"zh": "一楼", "en": "Ground floor"},
        zones={
            "scjg": {"name": {"zh": "市场监管区", "en": "Market regulation"}, "color": "#d08a2e"},
            "misc": {"name": {"zh": NASTY, "en": NASTY}, "color": None},
        },
        counters={
            "A01": {
                "name": {"zh": "企业登记窗口", "en": "Company registration"},
                "department": scjg,
                "status": "open",
            },
            "A02": {
                "name": {"zh": "个体工商户登记窗口", "en": "Sole traders"},
                "department": scjg,
                "status": "paused",
            },
            "B03": {"name": {"zh": NASTY, "en": NASTY}, "department": None, "status": "closed"},
            "C01": {"name": {"zh": "二楼窗口", "en": "Upstairs"}, "department": None, "status": "open"},
        },
        facilities={
            "toilet-1": {"type": "toilet", "name": {"zh": "一楼卫生间", "en": "Ground-floor toilets"}},
            "toilet-acc-1": {
                "type": "accessible_toilet",
                "name": {"zh": "无障碍卫生间", "en": "Accessible toilet"},
            },
            "lift-1": {"type": "lift", "name": {"zh": "电梯（一楼）", "en": "Lift (ground floor)"}},
        },
    )


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg.encode("utf-8"))


def groups(root: ET.Element, cls: str) -> dict[str, ET.Element]:
    return {g.get("id"): g for g in root.iter(f"{SVG}g") if g.get("class") == cls}


def title(element: ET.Element) -> str:
    first = element[0]
    assert first.tag == f"{SVG}title", "the title must be the first child for screen readers"
    return first.text


def view_box(root: ET.Element) -> tuple[float, float, float, float]:
    x, y, w, h = (float(v) for v in root.get("viewBox").split())
    return x, y, x + w, y + h


def test_document_is_a_labelled_image(floor, nodes, labels):
    svg = render_plan(floor, nodes, labels=labels)
    assert svg.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = parse(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-label") == title(root) == "测试市政务服务中心 · 一楼平面图"
    fonts = [f.strip("'\" ") for f in root.get("font-family").split(",")]
    assert fonts[-1] == "sans-serif"
    assert {"WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC"} <= set(fonts)
    x0, y0, x1, y1 = view_box(root)
    assert int(root.get("width")) == round((x1 - x0) * PX_PER_METRE)
    assert int(root.get("height")) == round((y1 - y0) * PX_PER_METRE)
    texts = "".join(root.itertext())
    assert "测试市政务服务中心 · 一楼" in texts and "北" in texts and "5 米" in texts


def test_one_group_per_counter_on_this_floor(floor, nodes, labels):
    root = parse(render_plan(floor, nodes, labels=labels))
    counters = groups(root, "counter")
    assert sorted(counters) == ["counter-A01", "counter-A02", "counter-B03", "counter-B04", "counter-X99"]
    for gid, g in counters.items():
        assert g.get("data-number") == gid.removeprefix("counter-")
        assert [t.text for t in g.iter(f"{SVG}text")] == [g.get("data-number")]
    assert sorted(groups(root, "facility")) == [
        "facility-lift-1",
        "facility-toilet-1",
        "facility-toilet-acc-1",
    ]


def test_counter_titles_name_number_department_and_status(floor, nodes, labels):
    counters = groups(parse(render_plan(floor, nodes, labels=labels)), "counter")
    assert title(counters["counter-A01"]) == "A01 企业登记窗口 · 市场监督管理局"
    assert title(counters["counter-A02"]) == "A02 个体工商户登记窗口 · 市场监督管理局（暂停服务）"
    assert title(counters["counter-B04"]) == "B04 窗口"  # no labels: still named
    assert counters["counter-A02"].get("data-status") == "paused"
    assert counters["counter-B03"].get("data-status") == "closed"


def test_english_mode(floor, nodes, labels):
    root = parse(render_plan(floor, nodes, labels=labels, lang="en"))
    counters = groups(root, "counter")
    assert title(counters["counter-A01"]) == "A01 Company registration · Administration for Market Regulation"
    assert title(counters["counter-A02"]).endswith("(Paused)")
    assert title(counters["counter-B04"]) == "Counter B04"
    assert title(root) == "Floor plan: Test City Service Centre · Ground floor"
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    texts = "".join(root.itertext())
    assert not re.search(r"[\u4e00-\u9fff]", texts), "no Chinese left in the English plan"
    glyphs = {g.get("data-type"): g.find(f"{SVG}text").text for g in groups(root, "facility").values()}
    assert glyphs == {"toilet": "WC", "accessible_toilet": "AWC", "lift": "L"}


def test_facility_symbols_carry_their_glyph_and_name(floor, nodes, labels):
    facilities = groups(parse(render_plan(floor, nodes, labels=labels)), "facility")
    toilet = facilities["facility-toilet-1"]
    assert toilet.get("data-type") == "toilet"
    assert title(toilet) == "一楼卫生间"
    assert toilet.find(f"{SVG}circle") is not None
    glyphs = {g.get("data-type"): g.find(f"{SVG}text").text for g in facilities.values()}
    assert glyphs == {"toilet": "厕", "accessible_toilet": "无障", "lift": "梯"}


def test_every_type_has_a_distinct_glyph_per_language():
    for lang in ("zh", "en"):
        glyphs = [getattr(symbol, lang) for symbol in FACILITY_SYMBOLS.values()]
        assert len(set(glyphs)) == len(glyphs) == 17
        assert all(1 <= len(g) <= 3 for g in glyphs)


def test_text_from_labels_is_escaped(floor, nodes, labels):
    svg = render_plan(floor, nodes, labels=labels)
    assert "<script" not in svg
    root = parse(svg)
    assert not [e for e in root.iter() if e.tag.endswith("script")]
    assert title(groups(root, "counter")["counter-B03"]) == f"B03 {NASTY}（已关闭）"
    zone = next(g for g in root.iter(f"{SVG}g") if g.get("data-zone") == "misc")
    assert " ".join(zone.itertext()) == NASTY  # long names wrap onto two lines at a space


def test_attributes_and_control_characters_are_safe(floor, labels):
    number = 'Q"1><x'
    strange = PlanLabels(
        hall_name={"zh": "大厅\x01\x0b名"},
        floor_name={"zh": "一楼"},
        counters={number: {"name": {"zh": "窗口\x00"}, "status": "open"}},
    )
    root = parse(render_plan(floor, [counter(number, 3, 3)], labels=strange))
    (g,) = groups(root, "counter").values()
    assert g.get("data-number") == number
    assert g.get("id") == f"counter-{number}"
    assert title(root).startswith("大厅名")


def test_view_box_holds_every_anchor(floor, nodes, labels):
    root = parse(render_plan(floor, nodes, labels=labels))
    x0, y0, x1, y1 = view_box(root)
    px0, pz0, px1, pz1 = (float(v) for v in root.get("data-plan-bounds").split())
    assert x0 < px0 <= 0 and y0 < pz0 and 20 <= px1 < x1 and 12 <= pz1 < y1
    for node in nodes:
        if node.floor == 1:
            x, _y, z = node.anchor
            assert px0 < x < px1 and pz0 < z < pz1, node.key
    assert x1 > 24 and y0 < -3  # grown past the outline for X99


def test_north_is_up_and_marks_face_the_service_side(floor, nodes, labels):
    root = parse(render_plan(floor, nodes, labels=labels))
    _x0, y0, _x1, y1 = view_box(root)
    assert y0 < 0 < 12 < y1  # plan z runs down the page

    def mark_points(number):
        g = groups(root, "counter")[f"counter-{number}"]
        d = g.findall(f"{SVG}path")[1].get("d")
        values = [float(v) for v in re.findall(r"-?\d*\.?\d+", d)]
        return list(zip(values[::2], values[1::2], strict=True))

    a01, a02 = mark_points("A01"), mark_points("A02")
    assert len(a01) >= 3 and len(a02) >= 3, "a mark is a shape, not an empty path"
    # A01 at (2, 2) faces bearing 180: south, +Z, down the page; its desk reaches 0.4 m that way.
    assert all(z > 2.4 for _x, z in a01)
    # A02 at (4, 2) faces 90: east, +X; the mark lies right of its 0.8 m wide desk.
    assert all(x > 4.4 for x, _z in a02)


def test_numbers_are_compact(floor, nodes, labels):
    svg = render_plan(floor, nodes, labels=labels)
    assert not re.search(r"\d\.\d{3}", svg)
    assert not re.search(r"[\s\"M]-?0\.\d", svg), "leading zeros are dropped"


def test_output_is_deterministic(floor, nodes, labels):
    first = render_plan(floor, nodes, labels=labels)
    shuffled = list(nodes)
    random.Random(3).shuffle(shuffled)
    floor.zones = dict(reversed(floor.zones.items()))
    assert render_plan(floor, shuffled, labels=labels) == first
    assert render_plan(floor, nodes, labels=labels, lang="en") != first


def test_status_cues_and_legend(floor, nodes, labels):
    root = parse(render_plan(floor, nodes, labels=labels))
    counters = groups(root, "counter")
    paused = counters["counter-A02"].find(f"{SVG}path")
    assert paused.get("stroke-dasharray")
    assert len(counters["counter-B03"].findall(f"{SVG}path")) == 3  # desk, mark and the strike-through
    legend = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "legend")
    assert {"卫生间", "无障碍卫生间", "电梯", "暂停服务", "已关闭"} <= {
        t.text for t in legend.iter(f"{SVG}text")
    }


def test_counter_without_usable_footprint_gets_a_stand_in_desk(floor, labels):
    sliver = box(3, 3, 3.001, 3.001)
    nodes = [
        NodeInfo("counter:E01", "counter", "E01", 1, (3, 0.5, 3), Polygon(), 0.0),
        NodeInfo("counter:E02", "counter", "E02", 1, (6, 0.5, 3), sliver, None),
    ]
    counters = groups(parse(render_plan(floor, nodes, labels=labels)), "counter")
    assert sorted(counters) == ["counter-E01", "counter-E02"]  # keys without the prefix work too
    for g in counters.values():
        assert g.find(f"{SVG}path").get("d").count(" ") == 7  # four corners


def test_unlabelled_facility_gets_a_generic_symbol(floor, labels):
    root = parse(render_plan(floor, [facility("mystery", 3, 3)], labels=labels))
    (g,) = groups(root, "facility").values()
    assert g.get("data-type") == "facility"
    assert title(g) == "设施"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"lang": "fr"}, "lang"),
        ({"zone_color": "red"}, "color"),
        ({"status": "busy"}, "status"),
        ({"outline": Polygon()}, "outline"),
    ],
)
def test_bad_input_is_a_value_error(floor, nodes, labels, change, message):
    if "zone_color" in change:
        labels.zones["scjg"]["color"] = change["zone_color"]
    if "status" in change:
        labels.counters["A01"]["status"] = change["status"]
    if "outline" in change:
        floor.outline = change["outline"]
    with pytest.raises(ValueError, match=message):
        render_plan(floor, nodes, labels=labels, lang=change.get("lang", "zh"))


def test_forty_counter_floor_stays_small():
    """A 60 × 30 m floor with 40 counters and one facility of every type: tens of KB, not hundreds."""
    walls = [
        box(-30, -15, 30, -14.8),
        box(-30, 14.8, 30, 15),
        box(-30, -15, -29.8, 15),
        box(29.8, -15, 30, 15),
    ]
    nodes, counters, facilities = [], {}, {}
    for i in range(40):
        number = f"{'ABCD'[i // 10]}{i % 10 + 1:02d}"
        nodes.append(counter(number, -27 + (i % 10) * 2.0 + (i // 10) * 14, -12 if i % 20 < 10 else 12))
        counters[number] = {
            "name": {"zh": "综合受理窗口（午间不打烊）", "en": "One-stop reception (open through lunch)"},
            "department": {"zh": "政务服务管理办公室", "en": "Government Services Administration Office"},
            "status": ("open", "paused", "closed")[i % 7 % 3],
        }
    for i, kind in enumerate(FACILITY_SYMBOLS):
        nodes.append(facility(f"f{i}", -24 + i * 3, 0))
        facilities[f"f{i}"] = {"type": kind, "name": {"zh": f"设施{i}", "en": f"Facility {i}"}}
    floor = FloorGeometry(1, 0.0, box(-30, -15, 30, 15), [*walls, box(-4, -2, 4, -1)], walls, {})
    labels = PlanLabels(
        {"zh": "大厅", "en": "Hall"}, {"zh": "一楼", "en": "Ground floor"}, {}, counters, facilities
    )
    for lang in ("zh", "en"):
        svg = render_plan(floor, nodes, labels=labels, lang=lang)
        root = parse(svg)
        assert len(groups(root, "counter")) == 40
        assert len(groups(root, "facility")) == 17
        assert len(svg.encode("utf-8")) < 40_000
