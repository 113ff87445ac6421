"""Helpers for the spreadsheet API tests: post a sheet file, and read or write an .xlsx workbook in memory."""

from __future__ import annotations

import io

import openpyxl


def post_sheet(
    client, url: str, data: bytes, ext: str = "xlsx", *, dry_run: bool = True, base: str | None = None
):
    """POST *data* as the multipart field ``file`` to ``<url>.<ext>`` (a dry run unless told otherwise)."""
    query = "&".join(q for q in ("dry_run=1" if dry_run else "", f"base={base}" if base else "") if q)
    response = client.post(
        f"{url}.{ext}" + (f"?{query}" if query else ""),
        data={"file": (io.BytesIO(data), f"sheet.{ext}")},
        content_type="multipart/form-data",
    )
    # Werkzeug's test client spools a body over 500 KB to a temporary file and leaves it open: close it here,
    # not in the garbage collector during some later test (a ResourceWarning, an error under filterwarnings).
    response.request.environ["wsgi.input"].close()
    return response


def book(data: bytes):
    """The workbook in *data*."""
    return openpyxl.load_workbook(io.BytesIO(data))


def save(workbook) -> bytes:
    """*workbook* as .xlsx bytes."""
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
