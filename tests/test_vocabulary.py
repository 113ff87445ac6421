"""Every consumer of the vocabulary agrees with ``server/vocabulary.py``: the demo data and layouts, the demo
schema, the ORM, the layout format, the model builder and floor plan, the API's checks and OpenAPI document,
and the browser's generated copy."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from server import models, vocabulary
from server.demo import schema as demo_schema
from server.demo.loader import DEMO_DATA
from server.hallmodel import build, floorplan, layout
from server.web import vocabulary_js
from server.web.api import http, openapi
from server.web.api.hallmodel import PLACE

ROOT = Path(__file__).resolve().parent.parent
V = vocabulary


def walk(node: Any, path: str = "") -> list[tuple[str, dict]]:
    """Every (path, dict) in a nested JSON-like structure, the root included."""
    found: list[tuple[str, dict]] = []
    if isinstance(node, dict):
        found.append((path, node))
        for key, value in node.items():
            found += walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += walk(value, f"{path}/{i}")
    return found


def enums(schema: Any, key: str) -> list[list]:
    """The ``enum`` lists of every property named *key* anywhere in *schema*."""
    return [d[key]["enum"] for _, d in walk(schema) if isinstance(d.get(key), dict) and "enum" in d[key]]


def patterns(schema: Any) -> set[str]:
    return {d["pattern"] for _, d in walk(schema) if isinstance(d.get("pattern"), str)}


# ---- the vocabulary itself ---------------------------------------------------------------------------------


def test_every_facility_type_used_in_demo_data_and_layouts_is_in_the_vocabulary():
    used: set[str] = set()
    for path in sorted((DEMO_DATA / "halls").glob("*.yaml")):
        used |= {f["type"] for f in yaml.safe_load(path.read_text(encoding="utf-8"))["facilities"]}
    demo = set(used)
    for path in sorted((ROOT / "models").glob("*.layout.yaml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        used |= {f["type"] for floor in spec["floors"] for f in floor.get("facilities", [])}
        used |= {c["type"] for c in spec.get("connectors", [])}
    assert len(demo) >= 15  # the issue counted 15 types in the demo
    assert used <= set(V.FACILITIES), sorted(used - set(V.FACILITIES))


def test_every_facility_type_has_a_distinct_non_generic_symbol_name_glyphs_and_colour():
    symbols = [f.symbol for f in V.FACILITIES.values()]
    assert V.UNKNOWN_FACILITY.symbol == "i"
    assert V.UNKNOWN_FACILITY.symbol not in symbols
    assert len(set(symbols)) == len(symbols)
    for lang in ("glyph_zh", "glyph_en", "zh", "en"):
        values = [getattr(f, lang) for f in V.FACILITIES.values()]
        assert len(set(values)) == len(values), lang
        assert all(v.strip() for v in values)
    for kind, f in V.FACILITIES.items():
        assert re.fullmatch(r"#[0-9a-f]{6}", f.color), kind
        assert re.search(r"[\u4e00-\u9fff]", f.zh) and f.en.isascii(), kind
        assert contrast(f.color, "#ffffff") >= 4.5, kind  # the glyphs on it are white


def test_every_facility_symbol_has_a_glyph_in_the_installed_fonts():
    """A symbol no font draws shows as an empty box ("tofu"): ⎙ and ⌛ did, on the machine the tests install."""
    for kind, f in V.FACILITIES.items():
        for char in {c for c in f.symbol if not c.isascii()}:
            fonts = subprocess.run(
                ["fc-list", f":charset={ord(char):x}", "family"], capture_output=True, text=True, check=True
            ).stdout
            assert fonts.strip(), f"{kind}: no installed font draws {char!r} (U+{ord(char):04X})"


def contrast(a: str, b: str) -> float:
    def lum(h: str) -> float:
        c = [int(h[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        c = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

    high, low = sorted((lum(a), lum(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_statuses_patterns_and_cache_header():
    assert list(V.COUNTER_STATUSES) == ["open", "paused", "closed"]
    assert V.COUNTER_STATUSES["paused"] == ("暂停服务", "Paused")
    assert set(V.CONNECTOR_TYPES) <= set(V.FACILITIES)
    slug = re.compile(V.SLUG_PATTERN)
    assert slug.match("a") and slug.match("scjg-qykb") and slug.match("x" * V.SLUG_MAX_LENGTH)
    assert not slug.match("x" * (V.SLUG_MAX_LENGTH + 1)) and not slug.match("-a") and not slug.match("Ab")
    number = re.compile(V.COUNTER_NUMBER_PATTERN)
    assert number.match("B03") and number.match("YB101") and not number.match("B3")
    year = 365 * 24 * 3600
    assert year == V.IMMUTABLE_MAX_AGE
    assert f"public, max-age={V.IMMUTABLE_MAX_AGE}, immutable" == V.IMMUTABLE_CACHE_CONTROL


# ---- the server's consumers --------------------------------------------------------------------------------


def test_demo_schema_uses_the_vocabulary():
    hall = demo_schema.HALL
    assert enums(hall, "type") == [list(V.COUNTER_TYPES), V.FACILITY_TYPES]
    assert enums(hall, "status") == [list(V.COUNTER_STATUSES)]
    assert set(demo_schema.HOURS["properties"]) == {*V.WEEKDAYS, "note", "holidays"}
    assert enums(demo_schema.SERVICE, "type") == [V.SERVICE_TYPES]
    assert demo_schema.SERVICE["properties"]["audience"]["items"]["enum"] == V.AUDIENCES
    assert demo_schema.ID["pattern"] == V.SLUG_PATTERN
    assert {V.SLUG_PATTERN, V.COUNTER_NUMBER_PATTERN} <= patterns(hall)
    assert not {p for p in patterns(hall) if "a-z0-9" in p or "A-Z]{" in p} - {
        V.SLUG_PATTERN,
        V.COUNTER_NUMBER_PATTERN,
    }


def test_layout_format_uses_the_vocabulary():
    floor = layout.SCHEMA["properties"]["floors"]["items"]["properties"]
    facility = floor["facilities"]["items"]["properties"]
    assert facility["type"]["enum"] == V.FACILITY_TYPES
    assert facility["id"]["pattern"] == V.SLUG_PATTERN == layout.ID["pattern"]
    assert layout.NUMBER["pattern"] == V.COUNTER_NUMBER_PATTERN
    connector = layout.SCHEMA["properties"]["connectors"]["items"]["properties"]
    assert connector["type"]["enum"] == list(V.CONNECTOR_TYPES)
    # a type the vocabulary lacks is refused by the layout format, with its place named
    spec = yaml.safe_load(layout.layout_path("pingnan").read_text(encoding="utf-8"))
    spec["floors"][0].setdefault("facilities", []).append({"id": "odd", "type": "fountain", "at": [1, 1]})
    with pytest.raises(layout.LayoutError, match="fountain"):
        layout.parse(spec)


def test_builder_and_floor_plan_use_the_vocabulary():
    shaped = set(build.DEVICE_SIZE) | build.WALL_SIGN_TYPES | build.AREA_TYPES
    assert shaped <= set(V.FACILITIES)
    assert list(floorplan.FACILITY_SYMBOLS) == V.FACILITY_TYPES
    for kind, symbol in floorplan.FACILITY_SYMBOLS.items():
        f = V.FACILITIES[kind]
        assert symbol == (f.glyph_zh, f.glyph_en, f.zh, f.en, f.color)
    assert tuple(V.COUNTER_STATUSES) == floorplan.STATUSES
    for lang in ("zh", "en"):
        for status, label in V.COUNTER_STATUSES.items():
            assert floorplan.TEXT[lang][status] == getattr(label, lang)


def test_orm_accepts_exactly_the_vocabulary_and_its_columns_fit():
    counter, facility = models.Counter.__table__.c, models.Facility.__table__.c
    assert max(map(len, V.COUNTER_STATUSES)) <= counter.status.type.length
    assert max(map(len, V.COUNTER_TYPES)) <= counter.type.type.length
    assert max(map(len, V.FACILITIES)) <= facility.type.type.length
    assert models.Hall.__table__.c.slug.type.length == V.SLUG_MAX_LENGTH
    assert models.ServiceItem.__table__.c.slug.type.length == V.SLUG_MAX_LENGTH
    assert max(len(n) for n in ("AB123",)) <= counter.number.type.length
    row = models.Counter(status="paused", type="综合受理")
    assert row.status == "paused"
    with pytest.raises(ValueError, match="status"):
        row.status = "busy"
    with pytest.raises(ValueError, match="type"):
        models.Counter(type="窗口")
    assert models.Facility(type="baby_room").type == "baby_room"
    with pytest.raises(ValueError, match="type"):
        models.Facility(type="baby-room")


def test_openapi_document_uses_the_vocabulary():
    doc = openapi.document()
    schemas = doc["components"]["schemas"]
    statuses = enums(schemas, "status")
    assert len(statuses) >= 4 and all(e == list(V.COUNTER_STATUSES) for e in statuses)
    assert schemas["Facility"]["properties"]["type"]["enum"] == V.FACILITY_TYPES
    assert schemas["CounterBase"]["properties"]["type"]["enum"] == list(V.COUNTER_TYPES)
    assert set(schemas["Hours"]["properties"]) == {*V.WEEKDAYS, "note", "holidays"}
    assert schemas["CounterState"]["properties"]["code"]["enum"] == list(V.COUNTER_STATES)
    assert schemas["Service"]["properties"]["type"]["enum"] == V.SERVICE_TYPES
    assert schemas["Service"]["properties"]["audience"]["items"]["enum"] == V.AUDIENCES
    floor_change = schemas["Route"]["properties"]["floor_changes"]["items"]["properties"]
    assert floor_change["type"]["enum"] == list(V.CONNECTOR_TYPES)
    params = {
        (path, p["name"]): p["schema"]
        for path, item in doc["paths"].items()
        for operation in item.values()
        for p in operation.get("parameters", [])
    }
    slugs = [s for (path, name), s in params.items() if name in ("hall", "id", "slug", "department")]
    assert len(slugs) >= 8 and all(s["pattern"] == V.SLUG_PATTERN for s in slugs)
    assert params[("/halls/{hall}/counters/{number}", "number")]["pattern"] == V.COUNTER_NUMBER_PATTERN
    for name in ("from", "to"):
        assert V.PLACE_KEY_PATTERN in params[("/halls/{hall}/route", name)]["pattern"]


def test_api_checks_use_the_vocabulary():
    assert http.SLUG.pattern == V.SLUG_PATTERN
    assert http.COUNTER_NUMBER.pattern == V.COUNTER_NUMBER_PATTERN
    assert http.COUNTER_NUMBER.flags & re.IGNORECASE  # b03 is taken and answered as B03
    assert V.PLACE_KEY_PATTERN in PLACE.pattern


# Literals that once lived in several modules; only the vocabulary (and its generated copy) may spell them.
DUPLICATES = {
    "slug pattern": re.compile(r"\[a-z0-9\]\[a-z0-9-\]"),
    "counter-number pattern": re.compile(r"\[A-Z\]\{1,2\}\[0-9\]"),
    "place-key pattern": re.compile(r"\[A-Za-z0-9\]\[A-Za-z0-9_?-\]"),
    "immutable max-age": re.compile(r"31536000|365 \* 24 \* 3600"),
    "status list": re.compile(r"""["']open["'],\s*["']paused["']"""),
    "weekday list": re.compile(r"""["']mon["'],\s*["']tue["']"""),
}


def test_no_module_keeps_its_own_copy():
    files = [
        p
        for p in (ROOT / "server").rglob("*.py")
        if p.name != "vocabulary.py" and "migrations" not in p.parts
    ]
    files += [p for p in (ROOT / "web" / "src").rglob("*.js") if "generated" not in p.parts]
    found = [
        f"{p.relative_to(ROOT)}: {what}"
        for p in files
        for what, pattern in DUPLICATES.items()
        if pattern.search(p.read_text(encoding="utf-8"))
    ]
    assert not found
    # The browser code keeps no table of facility types (names, symbols, colours come from the generated
    # module): no file names more than the three connector types, quoted or as object keys. (The route guide
    # maps lift/stairs/escalator to its instructions; the old drifted symbol table named 11.)
    named = re.compile(r"""['"]?\b(%s)\b['"]?\s*:|['"](%s)['"]""" % ((("|".join(V.FACILITY_TYPES)),) * 2))
    tables = {}
    for p in files:
        if p.suffix == ".js":
            kinds = {a or b for a, b in named.findall(p.read_text(encoding="utf-8"))} - {"entrance"}
            if len(kinds) > len(V.CONNECTOR_TYPES):
                tables[p.name] = sorted(kinds)
    assert not tables


# ---- the browser's generated copy --------------------------------------------------------------------------


def test_generated_module_is_up_to_date_and_equals_the_vocabulary(generated_vocabulary):
    check = subprocess.run(
        [sys.executable, "-m", "server.web.vocabulary_js", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr
    script = (
        "import(process.argv[1]).then((m) => process.stdout.write(JSON.stringify(m)))"
        ".catch((e) => { console.error(e); process.exit(1); })"
    )
    out = subprocess.run(
        ["node", "--input-type=module", "-e", script, generated_vocabulary.as_uri()],
        check=True,
        capture_output=True,
        text=True,
    )
    assert json.loads(out.stdout) == V.browser_payload()
    payload = V.browser_payload()
    assert {k: v["symbol"] for k, v in payload["FACILITIES"].items()} == {
        k: f.symbol for k, f in V.FACILITIES.items()
    }
    assert payload["COUNTER_STATUSES"]["paused"] == {"zh": "暂停服务", "en": "Paused"}


def test_check_fails_on_a_stale_or_missing_file(tmp_path, capsys):
    target = tmp_path / "vocabulary.js"
    assert vocabulary_js.main(["--check", "--output", str(target)]) == 1
    assert "missing" in capsys.readouterr().err
    assert vocabulary_js.main(["--output", str(target)]) == 0
    assert vocabulary_js.main(["--check", "--output", str(target)]) == 0
    target.write_text(target.read_text(encoding="utf-8").replace("暂停服务", "暂停办理"), encoding="utf-8")
    assert vocabulary_js.main(["--check", "--output", str(target)]) == 1
    assert "stale" in capsys.readouterr().err


def test_bundle_refuses_to_build_without_the_generated_file(tmp_path):
    # A copy of the build script beside an empty web/ tree: it must stop before esbuild, naming the file.
    (tmp_path / "scripts").mkdir()
    (tmp_path / "web" / "src").mkdir(parents=True)
    (tmp_path / "web" / "package.json").write_text("{}")
    script = tmp_path / "scripts" / "build_web.mjs"
    script.write_text((ROOT / "scripts" / "build_web.mjs").read_text(encoding="utf-8"), encoding="utf-8")
    result = subprocess.run(["node", str(script)], capture_output=True, text=True)
    assert result.returncode == 1
    assert "web/src/generated/vocabulary.js" in result.stderr and "server.web.vocabulary_js" in result.stderr
