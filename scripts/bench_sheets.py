"""Spreadsheet reading benchmark: 10,000 counter rows as .xlsx and as CSV, read by ``server.sheets``, against
a peer (the standard library's csv module on the same CSV, and openpyxl's plain read-only iteration of the
same .xlsx), then mapped to counters and checked (``sheets.counters.read_counters``); and 10,000 service rows
with three materials each (the services workbook, both sheets) read and checked by
``sheets.services.read_services`` (each form through ``catalogue.editing.validate_service``).

    python scripts/bench_sheets.py [--rows 10000] [--repeat 3]

Prints the best of ``--repeat`` wall-clock times per step. No database: the facts the rows are checked
against are made up to match the rows.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import openpyxl

from server.publishing.halldata import CounterFacts
from server.sheets import counters, services, table


def _counters(n: int) -> dict[str, dict]:
    week = {d: [["09:00", "12:00"], ["13:30", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
    numbers = [f"{chr(65 + i // 1000)}{chr(65 + i // 100 % 10)}{i % 100:02d}" for i in range(n)]  # AA00…
    return {
        numbers[i]: {
            "number": numbers[i],
            "name": {"zh": f"综合受理{i}号窗口", "en": f"One-stop counter {i}"},
            "type": "综合受理",
            "department": "dept",
            "zone": "A",
            "floor": 1,
            "status": "open",
            "notice": None,
            "hours": week,
            "phone": "0775-1234567",
            "low_counter": i % 10 == 0,
            "node": f"counter:{numbers[i]}",
            "services": ["svc-a", "svc-b"],
        }
        for i in range(n)
    }


def _services(n: int) -> dict[str, dict]:
    url = "https://zwfw.gxzf.gov.cn/bsfw/item?code="
    return {
        f"svc-{i:05d}": {
            "slug": f"svc-{i:05d}",
            "code": f"{i:020d}",
            "name": {"zh": f"事项{i}", "en": f"Service {i}"},
            "department": "dept",
            "audience": ["自然人"],
            "type": "公共服务",
            "legal_limit_days": 20,
            "promised_limit_days": 5,
            "conditions": [{"zh": "本市居民", "en": "You live in the city"}],
            "process": [
                {"name": {"zh": "受理", "en": "Application"}, "description": {"zh": "收件", "en": "Taken"}}
            ],
            "fees": {"charged": False, "description": "不收费", "items": []},
            "online": {"pc": f"{url}{i}", "mobile": f"{url}{i}&m=1"},
            "appointment": {"supported": False, "url": None},
            "phones": {"enquiry": "12345", "complaint": "12345"},
            "keywords": ["甲", "乙"],
            "visits": 0,
            "reform_2023": False,
            "materials": [
                {
                    "name": {"zh": f"材料{k}", "en": f"Document {k}"},
                    "required": True,
                    "form": "原件",
                    "medium": "纸质",
                    "copies": 1,
                    "notes": None,
                }
                for k in range(3)
            ],
            "guide": None,
        }
        for i in range(n)
    }


def best(fn, repeat: int) -> float:
    """The shortest of *repeat* runs of *fn*, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = _counters(args.rows)
    rows = counters.rows(data, {"dept": "部门"}, {"svc-a": "事项甲", "svc-b": "事项乙"})
    sheet = (counters.SHEET_NAMES[0], counters.header(), rows, counters.widths())
    xlsx = table.write_xlsx([sheet])
    text = table.write_csv(counters.header(), rows)
    facts = CounterFacts(frozenset({"dept"}), {"A": 1}, frozenset({1}), frozenset({"svc-a", "svc-b"}))
    print(f"{args.rows} rows: .xlsx {len(xlsx) / 1e6:.2f} MB, .csv {len(text) / 1e6:.2f} MB")
    steps = {
        "write .xlsx (sheets.table)": lambda: table.write_xlsx([sheet]),
        "read .csv (stdlib csv, peer)": lambda: list(csv.reader(io.StringIO(text.decode("utf-8-sig")))),
        "read .csv (sheets.table)": lambda: table.read(text, "csv"),
        "read .xlsx (openpyxl read-only values, peer)": lambda: list(
            openpyxl.load_workbook(io.BytesIO(xlsx), read_only=True).active.iter_rows(values_only=True)
        ),
        "read .xlsx (sheets.table)": lambda: table.read(xlsx, "xlsx", sheet=counters.SHEET_NAMES),
        "rows → checked counters": lambda: counters.read_counters(table.read(text, "csv").rows, facts),
    }
    forms = _services(args.rows)
    book = table.write_xlsx(services.sheets(forms, {"dept": "部门"}))
    wanted = [services.SERVICE_SHEET_NAMES, services.MATERIAL_SHEET_NAMES]

    svc, mat = table.read_many(book, "xlsx", wanted)

    def read_services(current=forms):
        return services.read_services(svc.rows, mat.rows, frozenset({"dept"}), current)

    print(f"{args.rows} services, {3 * args.rows} materials: .xlsx {len(book) / 1e6:.2f} MB")
    steps["read services .xlsx, both sheets (sheets.table)"] = lambda: table.read_many(book, "xlsx", wanted)
    steps["rows → services, none changed"] = read_services
    steps["rows → services, all new (each form checked)"] = lambda: read_services({})
    for name, fn in steps.items():
        print(f"{name:48s} {best(fn, args.repeat) * 1000:8.0f} ms")
    _wanted, bad = counters.read_counters(table.read(xlsx, "xlsx").rows, facts)
    assert not bad, bad[:3]
    read, bad = read_services()
    assert not bad and read == forms, bad[:3]


if __name__ == "__main__":
    main()
