"""Counters as spreadsheets: export, dry run, import into the draft, and every kind of bad file or row."""

from __future__ import annotations

import csv
import io
import zipfile

import openpyxl
import pytest

from server.sheets import table
from server.sheets.counters import hours_text, parse_hours
from tests.sheetfiles import book as _book
from tests.sheetfiles import post_sheet
from tests.sheetfiles import save as _save
from tests.staff import Clock, sign_in, staff_app

HALL = "guigang"
URL = f"/api/v1/admin/halls/{HALL}/counters"


@pytest.fixture
def app(tmp_path):
    return staff_app(tmp_path, Clock())


def _client(app, name="editor.gg"):
    client = app.test_client()
    csrf = sign_in(client, name).get_json()["csrf_token"]
    client.environ_base["HTTP_X_CSRF_TOKEN"] = csrf
    return client


def _post(client, data: bytes, ext="xlsx", dry_run=True, base=None):
    return post_sheet(client, URL, data, ext, dry_run=dry_run, base=base)


def _rows(client, ext="csv") -> list[list[str]]:
    body = client.get(f"{URL}.{ext}").data
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_export_import_round_trip_changes_nothing(app):
    client = _client(app)
    response = client.get(f"{URL}.xlsx")
    assert response.status_code == 200 and response.mimetype == table.XLSX_TYPE
    ws = _book(response.data).active
    assert ws.title == "窗口" and ws.freeze_panes == "B2"
    assert ws["A1"].value == "窗口号 / Number" and ws.column_dimensions["L"].width == 44
    counters = client.get(URL).get_json()["counters"]
    assert ws.max_row == len(counters) + 1
    for ext, data in (("xlsx", response.data), ("csv", client.get(f"{URL}.csv").data)):
        report = _post(client, data, ext).get_json()
        assert report["bad_rows"] == [] and report["rows"] == len(counters), report
        assert report["changes"] == {"added": {}, "changed": {}, "removed": {}}
    assert client.get(f"{URL}.csv").data.startswith(b"\xef\xbb\xbf")


def test_dry_run_then_import_changes_only_the_draft(app):
    client = _client(app)
    book = _book(client.get(f"{URL}.xlsx").data)
    ws = book.active
    number = ws["A2"].value
    ws["B2"] = "改名窗口"
    ws.delete_rows(3)  # one removed
    removed = _book(client.get(f"{URL}.xlsx").data).active["A3"].value
    row = [c.value for c in ws[2]]
    row[0], row[14] = "Z99", "counter:Z99"
    ws.append(row)  # one added
    data = _save(book)
    report = _post(client, data).get_json()
    assert report["bad_rows"] == []
    assert set(report["changes"]["added"]) == {"Z99"}
    assert report["changes"]["changed"][number]["name"]["after"]["zh"] == "改名窗口"
    assert set(report["changes"]["removed"]) == {removed}
    assert client.get(f"{URL}/{number}").get_json()["name"]["zh"] != "改名窗口"  # a dry run changes nothing
    unseen = _post(client, data, dry_run=False)  # an apply must name the preview it follows
    assert unseen.status_code == 428 and unseen.get_json()["error"]["code"] == "base_required"
    assert client.get(f"{URL}/{number}").get_json()["name"]["zh"] != "改名窗口"
    applied = _post(client, data, dry_run=False, base=report["base"])
    assert applied.status_code == 200 and applied.get_json()["applied"] is True
    assert client.get(f"{URL}/{number}").get_json()["name"]["zh"] == "改名窗口"
    assert client.get(f"{URL}/{removed}").status_code == 404
    public = app.test_client().get(f"/api/v1/halls/{HALL}").get_json()
    assert "Z99" not in str(public)  # citizens see it only once published
    log = client.get("/api/v1/admin/audit?object_type=counter").get_json()["entries"]
    assert log[0]["action"] == "import" and log[0]["user"] == "editor.gg"
    assert _post(client, data).get_json()["changes"] == {"added": {}, "changed": {}, "removed": {}}


def test_each_kind_of_bad_row_is_named_and_nothing_is_applied(app):
    client = _client(app)
    rows = _rows(client)
    head, good = rows[0], rows[1]
    col = {h.split(" / ")[1]: i for i, h in enumerate(head)}

    def row(**changes):
        r = list(good)
        for name, value in changes.items():
            r[col[name]] = value
        return r

    bad = [
        row(**{"Number": "Y01", "Department code": "no-such-dept", "Model node": "counter:Y01"}),
        row(**{"Number": "Y02", "Service ids": "no-such-service", "Model node": "counter:Y02"}),
        row(**{"Number": "Y03", "Hours": "mon 09:00-08:00", "Model node": "counter:Y03"}),
        row(**{"Number": "Y04", "Hours": "someday 09:00", "Model node": "counter:Y04"}),
        row(**{"Number": "Y05", "Zone": "nowhere", "Model node": "counter:Y05"}),
        row(**{"Number": "Y06", "Floor": "9", "Model node": "counter:Y06"}),
        row(**{"Number": "Y07", "Low counter": "maybe", "Model node": "counter:Y07"}),
        row(**{"Number": "bad number!"}),
        list(good),  # a number already on row 2
    ]
    out = io.StringIO()
    csv.writer(out).writerows([head, *rows[1:], *bad])
    data = out.getvalue().encode("utf-8")
    report = _post(client, data, "csv").get_json()
    first = len(rows) + 1  # the first bad row's number in the file
    found = {(b["row"], b["field"]) for b in report["bad_rows"]}
    assert found == {
        (first, "department"),
        (first + 1, "services"),
        (first + 2, "hours"),
        (first + 3, "hours"),
        (first + 4, "zone"),
        (first + 5, "floor"),
        (first + 6, "low_counter"),
        (first + 7, "number"),
        (first + 8, "number"),
    }
    assert all(b["zh"] and b["en"] for b in report["bad_rows"])
    before = client.get(URL).get_json()["counters"]
    refused = _post(client, data, "csv", dry_run=False, base=report["base"])
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["code"] == "bad_rows" and len(error["details"]["bad_rows"]) == 9
    assert client.get(URL).get_json()["counters"] == before


def test_gbk_and_utf8_csv_read_alike(app):
    client = _client(app)
    text = client.get(f"{URL}.csv").data.decode("utf-8-sig").replace("综合", "综合")
    for encoded in (
        text.encode("gbk"),
        text.encode("gb18030"),
        text.encode("utf-8"),
        b"\xef\xbb\xbf" + text.encode(),
    ):
        report = _post(client, encoded, "csv").get_json()
        assert report["bad_rows"] == [] and not any(report["changes"].values()), report


def test_formulas_use_the_cached_value_or_are_refused(app):
    client = _client(app)
    book = _book(client.get(f"{URL}.xlsx").data)
    book.active["B2"] = '="改"&"名"'
    data = _save(book)  # openpyxl saves no cached value: refused, naming the cell
    error = _post(client, data).get_json()["error"]
    assert error["code"] == "formula_without_value" and "B2" in error["message_en"]
    # The cached value Excel would store: <v> beside <f> in the sheet's XML.
    cached = _with_cached_value(data, "B2", "改名")
    report = _post(client, cached).get_json()
    assert [k for k in report["changes"]["changed"]] and report["bad_rows"] == []
    changed = next(iter(report["changes"]["changed"].values()))
    assert changed["name"]["after"]["zh"] == "改名"


def _with_cached_value(data: bytes, cell: str, value: str) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = body.decode()
                start = text.index(f'<c r="{cell}"')
                end = text.index("</c>", start)
                text = text[:start] + f'<c r="{cell}" t="str"><f>"改"&amp;"名"</f><v>{value}</v>' + text[end:]
                body = text.encode()
            target.writestr(info, body)
    return out.getvalue()


def test_merged_cells_extra_sheets_and_not_an_xlsx(app):
    client = _client(app)
    data = client.get(f"{URL}.xlsx").data
    book = _book(data)
    book.active.merge_cells("B2:C2")
    error = _post(client, _save(book)).get_json()["error"]
    assert error["code"] == "merged_cells" and "B2:C2" in error["message_en"]
    book = _book(data)
    book.create_sheet("说明", 0)["A1"] = "notes for staff"
    report = _post(client, _save(book)).get_json()
    assert report["sheet"] == "窗口" and "说明" in report["notes"][0]["zh"] and report["bad_rows"] == []
    book["窗口"].title = "其他"
    assert _post(client, _save(book)).get_json()["sheet"] == "说明"  # no named sheet: the first
    for junk in (b"just text", b"PK\x03\x04broken", _zip({"a.txt": b"x"})):
        response = _post(client, junk)
        assert response.status_code == 400 and response.get_json()["error"]["code"] == "not_xlsx"


def _zip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in parts.items():
            z.writestr(name, body)
    return out.getvalue()


def test_zip_bombs_and_large_files_are_refused_before_parsing(app):
    client = _client(app)
    bomb = _zip(
        {"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b" " * (table.MAX_UNPACKED + 1)}
    )
    assert len(bomb) < 1_000_000
    response = _post(client, bomb)
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "zip_bomb"
    big = b"a," * (table.MAX_BYTES // 2 + 10)
    response = _post(client, big, "csv")
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "too_large"
    assert "20 MB" in response.get_json()["error"]["message_en"]


def test_ten_thousand_rows_are_read(app):
    client = _client(app)
    rows = _rows(client)
    head, good = rows[0], rows[1]
    body = [head]
    for i in range(10_000):
        r = list(good)
        number = f"{chr(65 + i // 1000)}{chr(65 + i // 100 % 10)}{i % 100:02d}"  # AA00 … JJ99, all new
        r[0], r[14] = number, f"counter:{number}"
        body.append(r)
    out = io.StringIO()
    csv.writer(out).writerows(body)
    report = _post(client, out.getvalue().encode(), "csv").get_json()
    assert report["rows"] == 10_000 and report["bad_rows"] == []
    assert len(report["changes"]["added"]) == 10_000


def test_hours_text_round_trip():
    week = {
        "mon": [["09:00", "12:00"], ["13:30", "17:00"]],
        "tue": [["09:00", "12:00"], ["13:30", "17:00"]],
        "sat": [["09:00", "12:00"]],
        "holidays": "open",
        "note": {"zh": "午间不休", "en": "Open at noon"},
    }
    text = hours_text(week)
    assert (
        text == "mon-tue 09:00-12:00,13:30-17:00; sat 09:00-12:00; holidays open; note 午间不休|Open at noon"
    )
    assert parse_hours(text) == week
    assert parse_hours("周一-周五 09:00-17:00")["fri"] == [["09:00", "17:00"]]
    for bad in ("mon", "fri-mon 09:00-10:00", "mon 0900", "mon 09:00-10:00; mon 11:00-12:00"):
        with pytest.raises(ValueError):
            parse_hours(bad)


def test_exports_write_formula_text_as_text():
    data = table.write_xlsx([("t", ["a"], [["=1+1"], ["-1"]], [10])])
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert ws["A2"].data_type == "s" and ws["A2"].value == "=1+1"
    assert table.write_csv(["a"], [["=1+1"], ["-1"]]).decode("utf-8-sig").splitlines()[1:] == ["'=1+1", "-1"]
    assert table.read_csv(table.write_csv(["a"], [["=1+1"]])).rows[1][1] == ["=1+1"]


def test_audit_exports_as_xlsx_with_the_csv_filters(app):
    client = _client(app, "boss")
    client.patch(f"{URL}/A01", json={"phone": "0775-1234567", "version": 1})
    data = client.get(f"/api/v1/admin/audit.xlsx?hall={HALL}")
    assert data.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(data.data)).active
    assert [c.value for c in ws[1]] == [
        "at",
        "user",
        "scope",
        "object_type",
        "object_id",
        "action",
        "summary",
        "before",
        "after",
    ]
    assert ws.max_row == 2 and ws["B2"].value == "boss"
    other = openpyxl.load_workbook(
        io.BytesIO(client.get("/api/v1/admin/audit.xlsx?hall=pingnan").data)
    ).active
    assert other.max_row == 1


def test_the_import_page_is_linked_and_offers_downloads_and_upload(app):
    client = _client(app)
    home = client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/import"' in home
    start = client.get("/admin/import")
    assert start.status_code == 302 and start.headers["Location"].endswith(f"/admin/halls/{HALL}/import")
    page = client.get(f"/admin/halls/{HALL}/import").get_data(as_text=True)
    assert f'href="/api/v1/admin/halls/{HALL}/counters.xlsx"' in page and 'data-sheet="file"' in page
    assert 'data-sheet="apply" disabled' in page and "admin-import" in page and "<script>" not in page
    viewer = _client(app, "looker").get(f"/admin/halls/{HALL}/import").get_data(as_text=True)
    assert 'data-sheet="file"' not in viewer and "counters.csv" in viewer  # viewers download only
