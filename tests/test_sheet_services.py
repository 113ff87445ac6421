"""The services catalogue as a spreadsheet (services and materials sheets), the draft version a dry run
answers and the 409 of a stale apply (services and counters), and the readable labels of diffs."""

from __future__ import annotations

import csv
import io

import pytest

from server import vocabulary as V
from server.sheets import table
from tests.sheetfiles import book as _book
from tests.sheetfiles import post_sheet
from tests.sheetfiles import save as _save
from tests.staff import Clock, sign_in, staff_app

URL = "/api/v1/admin/services"
COUNTERS = "/api/v1/admin/halls/guigang/counters"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return staff_app(tmp_path_factory.mktemp("svcsheets"), Clock())


@pytest.fixture
def client(app):
    client = app.test_client()
    csrf = sign_in(client, "editor.gg").get_json()["csrf_token"]
    client.environ_base["HTTP_X_CSRF_TOKEN"] = csrf
    yield client
    admin = app.test_client()
    token = sign_in(admin, "boss").get_json()["csrf_token"]
    for path in ("/api/v1/admin/catalogue/draft", "/api/v1/admin/halls/guigang/draft"):
        admin.delete(path, headers={"X-CSRF-Token": token})  # each test starts from the published data


def _post(client, data: bytes, ext="xlsx", *, dry_run=True, base=None, url=URL):
    return post_sheet(client, url, data, ext, dry_run=dry_run, base=base)


def _columns(ws) -> dict[str, int]:
    """Column number (1-based) by the English part of the header."""
    return {c.value.split(" / ")[1]: c.column for c in ws[1]}


def test_export_import_round_trip_changes_nothing(client):
    response = client.get(f"{URL}.xlsx")
    assert response.status_code == 200 and response.mimetype == table.XLSX_TYPE
    book = _book(response.data)
    assert book.sheetnames == ["事项 · Services", "材料 · Materials"]
    services, materials = book.worksheets
    total = client.get(f"{URL}?per_page=1").get_json()["total"]
    assert services.max_row == total + 1 and materials.max_row > total
    assert services.freeze_panes == "B2" and services["A1"].value == "事项标识 / Id"
    for ext, data in (("xlsx", response.data), ("csv", client.get(f"{URL}.csv").data)):
        report = _post(client, data, ext).get_json()
        assert report["bad_rows"] == [], report["bad_rows"][:3]
        assert report["changes"] == {"added": {}, "changed": {}, "removed": {}}, ext
        assert report["rows"] == total and len(report["base"]) == 16
    notes = _post(client, client.get(f"{URL}.csv").data, "csv").get_json()["notes"]
    assert any("materials" in n["en"] for n in notes)


def test_a_changed_row_and_material_show_field_by_field_and_apply(client):
    book = _book(client.get(f"{URL}.xlsx").data)
    services, materials = book.worksheets
    col, mcol = _columns(services), _columns(materials)
    slug = services.cell(2, 1).value
    services.cell(2, col["Name (zh)"]).value = "改名事项"
    services.cell(2, col["Keywords and synonyms"]).value = "甲、乙"
    assert materials.cell(2, 1).value == slug
    materials.cell(2, mcol["Copies"]).value = 3
    data = _save(book)
    report = _post(client, data).get_json()
    assert report["bad_rows"] == []
    changed = report["changes"]["changed"]
    assert list(changed) == [slug] and set(changed[slug]) == {"name", "keywords", "materials"}
    assert changed[slug]["keywords"]["after"] == ["甲", "乙"]
    assert changed[slug]["materials"]["after"][0]["copies"] == 3
    labels = report["labels"][slug]
    assert labels["fields"]["keywords"]["label"] == {"zh": "关键词", "en": "Keywords"}
    assert labels["fields"]["name"]["after"]["zh"] == "改名事项"
    assert client.get(f"{URL}/{slug}").get_json()["name"]["zh"] != "改名事项"  # a dry run changes nothing
    applied = _post(client, data, dry_run=False, base=report["base"])
    assert applied.status_code == 200 and applied.get_json()["applied"] is True
    form = client.get(f"{URL}/{slug}").get_json()
    assert form["name"]["zh"] == "改名事项" and form["materials"][0]["copies"] == 3
    assert applied.get_json()["base"] != report["base"]
    log = client.get("/api/v1/admin/audit?object_type=service").get_json()["entries"]
    assert log[0]["action"] == "import" and log[0]["user"] == "editor.gg"
    assert sum(e["action"] == "import" for e in log) == 1
    # a CSV leaves the materials as the draft has them
    text = client.get(f"{URL}.csv").data
    again = _post(client, text, "csv").get_json()
    assert again["changes"] == {"added": {}, "changed": {}, "removed": {}}


def test_each_kind_of_bad_row_is_named_and_nothing_is_applied(client):
    book = _book(client.get(f"{URL}.xlsx").data)
    services, materials = book.worksheets
    col, mcol = _columns(services), _columns(materials)
    first_slug = services.cell(2, 1).value
    services.cell(2, col["Type"]).value = "没有这种类型"
    services.cell(3, col["Online (PC)"]).value = "https://evil.example.com/apply"
    services.cell(4, col["Visits"]).value = "many"
    services.cell(5, 1).value = first_slug  # an id twice
    in_use = client.get(f"{COUNTERS}/A01").get_json()["services"][0]
    row_of = {services.cell(r, 1).value: r for r in range(2, services.max_row + 1)}
    services.delete_rows(row_of[in_use])  # a service counters take, left out
    orphan = [c.value for c in materials[2]]
    orphan[0] = "no-such-service"
    materials.append(orphan)
    materials.cell(3, mcol["Required"]).value = "也许"
    data = _save(book)
    report = _post(client, data).get_json()
    found = {(b["sheet"], b["row"], b["field"]) for b in report["bad_rows"]}
    s, m = "事项 · Services", "材料 · Materials"
    assert {(s, 2, "type"), (s, 3, "online_pc"), (s, 4, "visits"), (s, 5, "slug")} <= found
    assert (m, materials.max_row, "service") in found and (m, 3, "required") in found
    removal = [b for b in report["bad_rows"] if b["row"] is None and in_use in b["zh"]]
    assert len(removal) == 1 and "guigang/A01" in removal[0]["en"]  # which counters take it
    assert all(b["zh"] and b["en"] for b in report["bad_rows"])
    before = client.get(f"{URL}.csv").data
    refused = _post(client, data, dry_run=False, base=report["base"])
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "bad_rows"
    assert client.get(f"{URL}.csv").data == before


def test_ten_thousand_material_rows_are_read(client):
    book = _book(client.get(f"{URL}.xlsx").data)
    materials = book.worksheets[1]
    template = [c.value for c in materials[2]]
    slug = template[0]
    for row in range(3, materials.max_row + 1):
        if materials.cell(row, 1).value == slug:
            materials.cell(row, 1).value = None  # the first service's own rows: replaced below
    for i in range(10_000):
        materials.append([slug, i + 1, f"材料{i}", f"Document {i}", "必需", "原件", "纸质", 1, None, None])
    materials.delete_rows(2)
    report = _post(client, _save(book)).get_json()
    bad = {b["field"] for b in report["bad_rows"]}
    # the form allows at most 100 materials: each row past it is named, none is lost
    assert report["bad_rows"] and bad <= {"materials", "name_zh", "service"}, report["bad_rows"][:3]


def test_a_stale_apply_is_409_with_who_and_when(app, client):
    data = client.get(f"{URL}.xlsx").data
    report = _post(client, data).get_json()
    other = app.test_client()
    token = sign_in(other, "boss").get_json()["csrf_token"]
    slug = client.get(f"{URL}?per_page=1").get_json()["services"][0]["slug"]
    version = other.get(f"{URL}/{slug}").get_json()["version"]
    changed = other.patch(
        f"{URL}/{slug}",
        json={"version": version, "keywords": ["别人改的"]},
        headers={"X-CSRF-Token": token},
    )
    assert changed.status_code == 200, changed.get_json()
    stale = _post(client, data, dry_run=False, base=report["base"])
    assert stale.status_code == 409
    error = stale.get_json()["error"]
    assert error["code"] == "stale_preview" and error["details"]["changed_by"] == "boss"
    assert error["details"]["changed_at"] and "boss" in error["message"]
    assert other.get(f"{URL}/{slug}").get_json()["keywords"] == ["别人改的"]  # nothing overwritten
    fresh = _post(client, data).get_json()
    assert fresh["base"] != report["base"] and slug in fresh["changes"]["changed"]
    # counters likewise
    sheet = client.get(f"{COUNTERS}.csv").data
    base = _post(client, sheet, "csv", url=COUNTERS).get_json()["base"]
    counter = other.get(f"{COUNTERS}/A01").get_json()
    other.patch(
        f"{COUNTERS}/A01",
        json={"phone": "0775-1234567"},
        headers={"X-CSRF-Token": token, "If-Match": f'"{counter["version"]}"'},
    )
    stale = _post(client, sheet, "csv", dry_run=False, base=base, url=COUNTERS)
    assert stale.status_code == 409 and stale.get_json()["error"]["details"]["changed_by"] == "boss"
    ok = _post(
        client,
        sheet,
        "csv",
        dry_run=False,
        base=_post(client, sheet, "csv", url=COUNTERS).get_json()["base"],
        url=COUNTERS,
    )
    assert ok.status_code == 200
    assert _post(client, sheet, "csv", dry_run=False, base="not a version!", url=COUNTERS).status_code == 400


def test_diff_labels_read_as_staff_read_them(client):
    rows = list(csv.reader(io.StringIO(client.get(f"{COUNTERS}.csv").data.decode("utf-8-sig"))))
    head = rows[0]
    col = {h.split(" / ")[1]: i for i, h in enumerate(head)}
    a01 = next(r for r in rows if r[0] == "A01")
    a01[col["Status"]] = "paused"
    a01[col["Hours"]] = "mon-fri 09:00-12:00"
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    report = _post(client, out.getvalue().encode(), "csv", url=COUNTERS).get_json()
    fields = report["labels"]["A01"]["fields"]
    assert fields["status"]["label"]["en"] == "Status" and fields["status"]["after"] == {
        "zh": "暂停服务",
        "en": "Paused",
    }
    assert fields["hours"]["after"] == {"zh": "周一至周五 09:00-12:00", "en": "Mon–Fri 09:00-12:00"}
    assert report["labels"]["A01"]["name"]["zh"]
    applied = _post(client, out.getvalue().encode(), "csv", dry_run=False, base=report["base"], url=COUNTERS)
    assert applied.status_code == 200
    diff = client.get("/api/v1/admin/halls/guigang/draft/diff").get_json()
    assert diff["labels"]["counters"]["A01"]["fields"]["status"]["before"]["en"] == "Open"
    department = diff["labels"]["counters"]["A01"]["fields"]
    assert set(department) == {"status", "hours"}


def test_service_types_and_audiences_read_in_both_languages():
    from server.publishing.readable import value

    assert value("type", "行政许可", None, service=True) == {"zh": "行政许可", "en": "Administrative licence"}
    assert value("type", "综合受理", None) == {"zh": "综合受理", "en": "One-stop reception"}
    assert value("audience", ["自然人", "法人"], None, service=True) == {
        "zh": "自然人、法人",
        "en": "Individuals, Legal persons",
    }
    assert set(V.SERVICE_TYPE_LABELS) == set(V.SERVICE_TYPES) and all(V.SERVICE_TYPE_LABELS.values())
    assert set(V.AUDIENCE_LABELS) == set(V.AUDIENCES) and all(V.AUDIENCE_LABELS.values())
