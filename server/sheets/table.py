"""Reading and writing one table of a spreadsheet file, refusing what cannot be read clearly.

A *table* is a list of rows, each ``(row_number, cells)`` with ``row_number`` as the spreadsheet shows it
(1 for the first line) and ``cells`` a list of ``str | None`` (stripped text; None for an empty cell). Empty
rows are skipped. Formats:

- **.xlsx** (openpyxl, read-only mode): the sheet named by the caller if the file has one, else the first
  (``Table.notes`` says which was read and which were left). A formula cell gives its cached value when the
  file holds one (what Excel and WPS save); without it the cell is refused. Merged cells are refused,
  naming the range. Before parsing, a file that is no zip or no workbook, or whose parts would unpack to
  more than :data:`MAX_UNPACKED` bytes (a zip bomb), is refused.
- **.csv**: UTF-8 with or without BOM, else GB18030 (a superset of GBK, what Chinese Excel saves).

Files over :data:`MAX_BYTES` are refused by the caller before they are read (413). Cells written that a
spreadsheet would run as a formula (``=``, ``+``, ``@``, ``-`` not a number) are written as text (xlsx) or
behind an apostrophe (csv), which reading takes off again.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from ..problems import HallError

MAX_BYTES = 20 * 1024 * 1024  # what an upload may be (a 10,000-counter sheet is ~1 MB)
MAX_UNPACKED = 200 * 1024 * 1024  # what an .xlsx's parts may unpack to, all together
MAX_ROWS = 50_000
MAX_COLUMNS = 100
_FORMULA_START = ("=", "+", "@", "-", "\t", "\r")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_MERGE = re.compile(rb'<mergeCell\s+ref="([A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?)"')
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class SheetError(HallError):
    """A spreadsheet file that cannot be read as a table (400, 413 too large, 422 a cell refused)."""


@dataclass
class Table:
    """The rows read, the sheet they came from (None for CSV) and notes for the person importing."""

    rows: list[tuple[int, list[str | None]]]
    sheet: str | None = None
    notes: list[dict[str, str]] = field(default_factory=list)


def too_large(size: int) -> SheetError:
    """413 for a file of *size* bytes over :data:`MAX_BYTES`."""
    mb = MAX_BYTES // (1024 * 1024)
    return SheetError(
        "too_large",
        f"文件过大（{size / 1024 / 1024:.1f} MB），最大 {mb} MB",
        f"The file is too large ({size / 1024 / 1024:.1f} MB); at most {mb} MB",
        status=413,
    )


def _text(value: Any) -> str | None:
    """A cell's value as stripped text (None when empty)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date | time):
        value = value.isoformat()
    text = str(value).strip()
    if text[:1] == "'" and text[1:2] in _FORMULA_START:
        text = text[1:]
    return text or None


def _keep(rows, limit: int = MAX_ROWS):
    """Non-empty rows, trailing empty cells dropped; SheetError past *limit* rows."""
    kept = []
    for number, cells in rows:
        while cells and cells[-1] is None:
            cells.pop()
        if cells:
            if len(kept) == limit:
                raise SheetError(
                    "too_many_rows", f"行数超过 {limit} 行", f"More than {limit} rows", status=413
                )
            kept.append((number, cells[:MAX_COLUMNS]))
    return kept


def read_csv(data: bytes) -> Table:
    """The rows of CSV *data* (UTF-8 with or without BOM, else GB18030)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # gb18030 decodes nearly anything; this is for completeness
        raise SheetError("bad_encoding", "无法识别文件编码", "The file's text encoding is not recognised")
    if "\x00" in text:
        raise SheetError(
            "not_csv", "这不是 CSV 文本文件", "This is not a CSV text file (is it an .xlsx?)", status=400
        )
    try:
        rows = [(n, [_text(c) for c in cells]) for n, cells in enumerate(csv.reader(io.StringIO(text)), 1)]
    except csv.Error as e:
        raise SheetError("bad_csv", f"CSV 格式错误：{e}", f"Malformed CSV: {e}") from None
    return Table(_keep(rows))


def _open_zip(data: bytes) -> zipfile.ZipFile:
    not_xlsx = SheetError(
        "not_xlsx",
        "这不是 .xlsx 文件（请用 Excel 或 WPS 另存为 .xlsx）",
        "This is not an .xlsx file (save it as .xlsx from Excel or WPS)",
    )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise not_xlsx from None
    if "xl/workbook.xml" not in names:
        raise not_xlsx
    unpacked = sum(max(i.file_size, 0) for i in archive.infolist())
    if unpacked > MAX_UNPACKED:
        raise SheetError(
            "zip_bomb",
            f"文件解压后过大（{unpacked // 1024 // 1024} MB），拒绝读取",
            f"The file would unpack to {unpacked // 1024 // 1024} MB; refused",
            status=413,
        )
    return archive


def read_xlsx(data: bytes, *, sheet: tuple[str, ...] = ()) -> Table:
    """The rows of the first sheet of .xlsx *data* named in *sheet* (else the first sheet)."""
    return read_xlsx_sheets(data, [sheet])[0]  # type: ignore[return-value]


def read_xlsx_sheets(data: bytes, wanted: list[tuple[str, ...]]) -> list[Table | None]:
    """One table per entry of *wanted* (the names a sheet may have): the first sheet of .xlsx *data* so
    named; for the first entry the workbook's first sheet when none is, for the others None. The first
    table's notes name the sheets read and those left."""
    import openpyxl  # imported here: only imports pay for it

    archive = _open_zip(data)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds for a damaged file; all mean the same to staff
        archive.close()
        raise SheetError(
            "bad_xlsx", "无法读取该 .xlsx 文件（文件已损坏？）", "The .xlsx file cannot be read (damaged?)"
        ) from None
    tables: list[Table | None] = []
    try:
        names = book.sheetnames
        chosen: list[str | None] = [next((n for n in w if n in names), None) for w in wanted]
        if chosen and chosen[0] is None:
            chosen[0] = names[0]
        for name in chosen:
            tables.append(None if name is None else _read_sheet(data, archive, book, name))
        others = [n for n in names if n not in chosen]
        if tables and others:
            read = [n for n in chosen if n]
            tables[0].notes.append(  # type: ignore[union-attr]
                {
                    "zh": f"读取了工作表“{'”“'.join(read)}”，未读取：{'、'.join(others)}",
                    "en": "Read sheet '" + "', '".join(read) + f"'; not read: {', '.join(others)}",
                }
            )
    finally:
        book.close()
        archive.close()
    return tables


def _read_sheet(data: bytes, archive: zipfile.ZipFile, book, chosen: str) -> Table:
    """The table of sheet *chosen* of the open *book*."""
    ws = book[chosen]
    merged = _MERGE.findall(archive.read(ws._worksheet_path))
    if merged:
        ranges = ", ".join(m.decode() for m in merged[:5])
        raise SheetError(
            "merged_cells",
            f"工作表“{chosen}”有合并单元格（{ranges}），请取消合并后再导入",
            f"Sheet '{chosen}' has merged cells ({ranges}): unmerge them, then import",
            status=422,
        )
    rows, formulas = [], []
    for r in ws.iter_rows():
        # read-only rows may start with EmptyCell, which has no row number: take it from a real cell
        number = next((c.row for c in r if getattr(c, "row", None) is not None), None)
        if number is None:
            continue
        cells = []
        for cell in r:
            if getattr(cell, "data_type", None) == "f":
                formulas.append((cell.coordinate, number))
            cells.append(cell.value)
        if r:
            rows.append((number, cells))
            if len(rows) > MAX_ROWS * 2:
                break
    if formulas:
        rows = _cached_values(data, chosen, rows, formulas)
    return Table(_keep([(n, [_text(v) for v in cells]) for n, cells in rows]), chosen, [])


def _cached_values(data: bytes, sheet: str, rows, formulas) -> list:
    """*rows* with each formula cell replaced by the value the file saved for it; SheetError if none."""
    import openpyxl
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        cached = {
            c.coordinate: c.value
            for r in book[sheet].iter_rows()
            for c in r
            if getattr(c, "coordinate", None) in {f for f, _ in formulas}
        }
    finally:
        book.close()
    missing = [f for f, _ in formulas if cached.get(f) is None]
    if missing:
        raise SheetError(
            "formula_without_value",
            f"单元格 {'、'.join(missing[:5])} 是公式且没有保存计算结果：请在 Excel/WPS 中打开并保存，或改为数值",
            f"Cell(s) {', '.join(missing[:5])} hold a formula with no saved result: open and save the file "
            "in Excel or WPS, or type the value",
            status=422,
        )
    index = {n: i for i, (n, _cells) in enumerate(rows)}
    for coordinate, row in formulas:
        column = column_index_from_string(coordinate_from_string(coordinate)[0]) - 1
        rows[index[row]][1][column] = cached[coordinate]
    return rows


def read(data: bytes, kind: str, *, sheet: tuple[str, ...] = ()) -> Table:
    """The table in *data* of *kind* ``xlsx`` or ``csv``; SheetError when it cannot be read clearly."""
    if len(data) > MAX_BYTES:
        raise too_large(len(data))
    if not data.strip():
        raise SheetError("empty_file", "文件是空的", "The file is empty")
    return read_xlsx(data, sheet=sheet) if kind == "xlsx" else read_csv(data)


def read_many(data: bytes, kind: str, wanted: list[tuple[str, ...]]) -> list[Table | None]:
    """The tables of *wanted* sheets (see :func:`read_xlsx_sheets`); a CSV is the first and only one."""
    if kind == "xlsx":
        if len(data) > MAX_BYTES:
            raise too_large(len(data))
        if not data.strip():
            raise SheetError("empty_file", "文件是空的", "The file is empty")
        return read_xlsx_sheets(data, wanted)
    return [read(data, kind), *(None for _ in wanted[1:])]


# ---- writing ----


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in _FORMULA_START and not _NUMBER.match(value):
        return "'" + value
    return value


def write_csv(header: list[str], rows: list[list[Any]]) -> bytes:
    """CSV as UTF-8 with BOM (so Excel in China opens it), formula-looking text behind an apostrophe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else _safe(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_xlsx(sheets: list[tuple[str, list[str], list[list[Any]], list[int]]]) -> bytes:
    """An .xlsx of *sheets* ``(title, header, rows, column widths)``: bold frozen header, text cells as
    text (never formulas)."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = openpyxl.Workbook(write_only=True)
    bold = Font(bold=True)
    for title, header, rows, widths in sheets:
        ws = book.create_sheet(title)
        ws.freeze_panes = "B2"
        for i, width in enumerate(widths, 1):
            ws.column_dimensions[get_column_letter(i)].width = width
        head = []
        for text in header:
            cell = WriteOnlyCell(ws, value=text)
            cell.font = bold
            head.append(cell)
        ws.append(head)
        for row in rows:
            cells = []
            for value in row:
                cell = WriteOnlyCell(ws, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # "=1+1" from the database stays text
                cells.append(cell)
            ws.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
