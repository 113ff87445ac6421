"""The services catalogue as spreadsheet rows, and rows read back into the ``catalogue`` draft's services.

Two sheets: ``事项 / Services`` (one row per service item, :data:`SERVICES`) and ``材料 / Materials`` (one row
per material, :data:`MATERIALS`: the service's id, its order, name, required/optional, original/copy, paper
or electronic, copies, note). A CSV holds the services sheet only: reading one keeps each service's
materials as the draft has them (a new service has none).

Cells of the services sheet, as ``catalogue.editing``'s form reads them:

- lists (audience, keywords) separated by ``,``, ``，``, ``、``, ``;`` or line breaks; yes/no as 是/否;
- a list of pairs (conditions, guide steps) one item per line, the Chinese lines in the ``(zh)`` column and
  the English in the ``(en)`` one, line *i* with line *i*;
- the process and the guide's questions one item per line as ``name|description`` (``question|answer``);
- fee items one per line as ``名称|name|amount|单位|unit|basis``;
- an empty guide (all six guide columns empty) is no guide.

Each service the sheet adds or changes is checked by ``editing.validate_service`` (the editor's check)
against the sheet's other services and the departments (one equal to the draft's was checked when saved); what only a sheet shows is checked here: an id on two rows, a material of a
service not in the sheet, an order twice, and a service left out that counters still handle. A bad row is
``{sheet, row, field, zh, en}`` with ``field`` a column key.
"""

from __future__ import annotations

import re
from typing import Any

from ..catalogue.editing import MATERIAL_FORMS, MATERIAL_MEDIA, Facts, validate_service
from .columns import Layout, listed, no_header, yes_no

SERVICES_SHEET = "事项 · Services"
MATERIALS_SHEET = "材料 · Materials"
SERVICE_SHEET_NAMES = (SERVICES_SHEET, "事项", "Services", "services")
MATERIAL_SHEET_NAMES = (MATERIALS_SHEET, "材料", "Materials", "materials")

SERVICES = Layout(
    [
        ("slug", "事项标识 / Id", 16),
        ("code", "实施编码 / Code", 34),
        ("name_zh", "名称 / Name (zh)", 28),
        ("name_en", "英文名称 / Name (en)", 36),
        ("department", "部门代码 / Department code", 14),
        ("department_name", "部门名称 / Department", 22),
        ("type", "事项类型 / Type", 12),
        ("audience", "服务对象 / Audience", 16),
        ("legal_limit_days", "法定时限（天） / Legal limit (days)", 12),
        ("promised_limit_days", "承诺时限（天） / Promised limit (days)", 12),
        ("visits", "跑动次数 / Visits", 8),
        ("reform_2023", "2023 年改革 / Reform 2023", 10),
        ("conditions_zh", "受理条件 / Conditions (zh)", 40),
        ("conditions_en", "英文受理条件 / Conditions (en)", 40),
        ("process_zh", "办理流程 / Process (zh)", 40),
        ("process_en", "英文办理流程 / Process (en)", 40),
        ("fees_charged", "是否收费 / Fees charged", 10),
        ("fees_description", "收费说明 / Fees", 20),
        ("fee_items", "收费项目 / Fee items", 30),
        ("online_pc", "网上办理 / Online (PC)", 40),
        ("online_mobile", "移动端办理 / Online (mobile)", 40),
        ("appointment_supported", "可预约 / Appointments", 10),
        ("appointment_url", "预约地址 / Appointment address", 40),
        ("phone_enquiry", "咨询电话 / Enquiry phone", 14),
        ("phone_complaint", "投诉电话 / Complaint phone", 14),
        ("keywords", "关键词 / Keywords and synonyms", 30),
        ("guide_summary_zh", "办事指南 / Guide (zh)", 40),
        ("guide_summary_en", "英文办事指南 / Guide (en)", 40),
        ("guide_steps_zh", "指南步骤 / Guide steps (zh)", 40),
        ("guide_steps_en", "英文指南步骤 / Guide steps (en)", 40),
        ("guide_faq_zh", "常见问题 / FAQ (zh)", 40),
        ("guide_faq_en", "英文常见问题 / FAQ (en)", 40),
    ],
    required=("slug", "code", "name_zh", "name_en", "department", "type"),
    informative=frozenset({"department_name"}),
)
MATERIALS = Layout(
    [
        ("service", "事项标识 / Service id", 16),
        ("order", "序号 / Order", 8),
        ("name_zh", "材料名称 / Name (zh)", 36),
        ("name_en", "英文材料名称 / Name (en)", 40),
        ("required", "必要性 / Required", 10),
        ("form", "原件/复印件 / Original or copy", 14),
        ("medium", "纸质/电子 / Paper or electronic", 14),
        ("copies", "份数 / Copies", 8),
        ("notes_zh", "备注 / Note (zh)", 30),
        ("notes_en", "英文备注 / Note (en)", 30),
    ],
    required=("service", "name_zh", "name_en"),
)
GUIDE_COLUMNS = ("guide_summary_zh", "guide_summary_en", "guide_steps_zh", "guide_steps_en")
GUIDE_COLUMNS += ("guide_faq_zh", "guide_faq_en")
REQUIRED_WORDS = {
    "必需": True,
    "必要": True,
    "可选": False,
    "非必需": False,
    "required": True,
    "optional": False,
}
_LINES = re.compile(r"\r?\n")
# Which column a problem of validate_service (a form field path) belongs to; the rest by its first part.
_FIELD_COLUMN = {
    "name.zh": "name_zh",
    "name.en": "name_en",
    "online.pc": "online_pc",
    "online.mobile": "online_mobile",
    "appointment.supported": "appointment_supported",
    "appointment.url": "appointment_url",
    "phones.enquiry": "phone_enquiry",
    "phones.complaint": "phone_complaint",
    "fees.charged": "fees_charged",
    "fees.description": "fees_description",
    "fees.items": "fee_items",
    "guide.summary_zh": "guide_summary_zh",
    "guide.summary_en": "guide_summary_en",
    "guide.steps": "guide_steps_zh",
    "guide.faq": "guide_faq_zh",
    "process": "process_zh",
    "conditions": "conditions_zh",
}


def _column(path: str) -> str:
    """The services-sheet column of a form field path (``online.pc`` → ``online_pc``)."""
    bare = re.sub(r"\[\d+\]", "", path)
    for prefix in sorted(_FIELD_COLUMN, key=len, reverse=True):
        if bare == prefix or bare.startswith(prefix + "."):
            column = _FIELD_COLUMN[prefix]
            if column.endswith("_zh") and bare.endswith(".en"):
                column = column[:-3] + "_en"
            return column
    return bare.split(".", 1)[0]


# ---- export ----


def _lines(items: list[str]) -> str | None:
    return "\n".join(items) or None


def _yes(value: Any) -> str:
    return "是" if value else "否"


def service_row(form: dict[str, Any], departments: dict[str, str]) -> list[Any]:
    """A service form (``catalogue.editing``) as its row of the services sheet."""
    guide = form.get("guide") or {}
    fees = form["fees"]
    items = [
        "|".join(
            [
                i["name"]["zh"],
                i["name"]["en"],
                f"{i['amount']:g}",
                i["unit"]["zh"],
                i["unit"]["en"],
                i.get("basis") or "",
            ]
        )
        for i in fees.get("items") or []
    ]
    return [
        form["slug"],
        form["code"],
        form["name"]["zh"],
        form["name"]["en"],
        form["department"],
        departments.get(form["department"]),
        form["type"],
        "、".join(form["audience"]),
        form["legal_limit_days"],
        form["promised_limit_days"],
        form["visits"],
        _yes(form["reform_2023"]),
        _lines([c["zh"] for c in form["conditions"]]),
        _lines([c["en"] for c in form["conditions"]]),
        _lines([f"{p['name']['zh']}|{p['description']['zh']}" for p in form["process"]]),
        _lines([f"{p['name']['en']}|{p['description']['en']}" for p in form["process"]]),
        _yes(fees["charged"]),
        fees["description"],
        _lines(items),
        form["online"]["pc"],
        form["online"]["mobile"],
        _yes(form["appointment"]["supported"]),
        form["appointment"]["url"],
        form["phones"]["enquiry"],
        form["phones"]["complaint"],
        "、".join(form["keywords"]),
        guide.get("summary_zh"),
        guide.get("summary_en"),
        _lines([s["zh"] for s in guide.get("steps") or []]),
        _lines([s["en"] for s in guide.get("steps") or []]),
        _lines([f"{f['q']['zh']}|{f['a']['zh']}" for f in guide.get("faq") or []]),
        _lines([f"{f['q']['en']}|{f['a']['en']}" for f in guide.get("faq") or []]),
    ]


def material_rows(form: dict[str, Any]) -> list[list[Any]]:
    """A service form's materials as rows of the materials sheet, in order (numbered from 1)."""
    out = []
    for order, m in enumerate(form["materials"], 1):
        notes = m.get("notes") or {}
        out.append(
            [
                form["slug"],
                order,
                m["name"]["zh"],
                m["name"]["en"],
                "必需" if m["required"] else "可选",
                m["form"],
                m["medium"],
                m["copies"],
                notes.get("zh"),
                notes.get("en"),
            ]
        )
    return out


def sheets(services: dict[str, dict[str, Any]], departments: dict[str, str]) -> list[tuple]:
    """The workbook's sheets ``(title, header, rows, widths)``: services, then materials."""
    ordered = [services[slug] for slug in sorted(services)]
    return [
        (
            SERVICES_SHEET,
            SERVICES.header(),
            [service_row(f, departments) for f in ordered],
            SERVICES.widths(),
        ),
        (
            MATERIALS_SHEET,
            MATERIALS.header(),
            [row for f in ordered for row in material_rows(f)],
            MATERIALS.widths(),
        ),
    ]


# ---- import ----


def _split_lines(value: str | None) -> list[str]:
    return [line.strip() for line in _LINES.split(value or "") if line.strip()]


class _Row:
    """One row being read: its values and the problems found reading its cells."""

    def __init__(self, values: dict[str, str | None]) -> None:
        self.values = values
        self.problems: list[dict[str, str]] = []

    def bad(self, column: str, zh: str, en: str) -> None:
        self.problems.append({"field": column, "zh": zh, "en": en})

    def text(self, key: str) -> str | None:
        return self.values.get(key)

    def number(self, key: str, *, empty: Any = None) -> Any:
        value = self.values.get(key)
        if value is None:
            return empty
        try:
            return int(value)
        except ValueError:
            self.bad(key, f"应为整数：{value}", f"must be a whole number: {value}")
            return empty

    def yes(self, key: str) -> bool:
        value = yes_no(self.values.get(key))
        if value is None:
            self.bad(key, "应为 是 或 否", "must be 是/否 (yes or no)")
        return bool(value)

    def pairs(self, zh_key: str, en_key: str) -> list[dict[str, str]]:
        zh, en = _split_lines(self.values.get(zh_key)), _split_lines(self.values.get(en_key))
        if len(zh) != len(en):
            self.bad(
                en_key,
                f"中文 {len(zh)} 行、英文 {len(en)} 行：每行中文应有一行英文",
                f"{len(zh)} Chinese line(s) but {len(en)} English: one English line for each Chinese one",
            )
        return [{"zh": a, "en": b} for a, b in zip(zh, en, strict=False)]

    def parts(self, key: str, n: int, example: str) -> list[list[str]]:
        out = []
        for line in _split_lines(self.values.get(key)):
            parts = [p.strip() for p in re.split(r"[|｜]", line)]
            if len(parts) != n:
                self.bad(
                    key,
                    f"看不懂“{line}”（应如 {example}）",
                    f"not understood: '{line}' (write like {example})",
                )
                continue
            out.append(parts)
        return out


def _named(zh: list[list[str]], en: list[list[str]], first: str, second: str) -> list[dict[str, Any]]:
    return [
        {first: {"zh": a[0], "en": b[0]}, second: {"zh": a[1], "en": b[1]}}
        for a, b in zip(zh, en, strict=False)
    ]


def _form(row: _Row) -> dict[str, Any]:
    """One services-sheet row as a service form (without materials)."""
    process_zh = row.parts("process_zh", 2, "受理|窗口收取材料")
    process_en = row.parts("process_en", 2, "Application|The counter takes the documents")
    if len(process_zh) != len(process_en):
        row.bad("process_en", "中英文流程步数不同", "the Chinese and English processes have different steps")
    items = []
    for parts in row.parts("fee_items", 6, "工本费|Fee|10|元|yuan|依据"):
        try:
            amount: Any = float(parts[2])
            amount = int(amount) if amount.is_integer() else amount
        except ValueError:
            row.bad("fee_items", f"金额应为数字：{parts[2]}", f"the amount must be a number: {parts[2]}")
            continue
        item: dict[str, Any] = {
            "name": {"zh": parts[0], "en": parts[1]},
            "amount": amount,
            "unit": {"zh": parts[3], "en": parts[4]},
        }
        if parts[5]:
            item["basis"] = parts[5]
        items.append(item)
    guide = None
    if any(row.text(k) for k in GUIDE_COLUMNS):
        faq_zh = row.parts("guide_faq_zh", 2, "问题|回答")
        faq_en = row.parts("guide_faq_en", 2, "Question|Answer")
        if len(faq_zh) != len(faq_en):
            row.bad("guide_faq_en", "中英文常见问题条数不同", "the Chinese and English FAQ differ in length")
        guide = {
            "summary_zh": row.text("guide_summary_zh"),
            "summary_en": row.text("guide_summary_en"),
            "steps": row.pairs("guide_steps_zh", "guide_steps_en"),
            "faq": _named(faq_zh, faq_en, "q", "a"),
        }
    return {
        "slug": row.text("slug"),
        "code": row.text("code"),
        "name": {"zh": row.text("name_zh"), "en": row.text("name_en")},
        "department": row.text("department"),
        "audience": listed(row.text("audience")),
        "type": row.text("type"),
        "legal_limit_days": row.number("legal_limit_days"),
        "promised_limit_days": row.number("promised_limit_days", empty=0),
        "conditions": row.pairs("conditions_zh", "conditions_en"),
        "process": _named(process_zh, process_en, "name", "description"),
        "fees": {
            "charged": row.yes("fees_charged"),
            "description": row.text("fees_description"),
            "items": items,
        },
        "online": {"pc": row.text("online_pc"), "mobile": row.text("online_mobile")},
        "appointment": {"supported": row.yes("appointment_supported"), "url": row.text("appointment_url")},
        "phones": {"enquiry": row.text("phone_enquiry"), "complaint": row.text("phone_complaint")},
        "keywords": listed(row.text("keywords")),
        "visits": row.number("visits", empty=0),
        "reform_2023": row.yes("reform_2023"),
        "materials": [],
        "guide": guide,
    }


def _material(row: _Row) -> tuple[int | None, dict[str, Any]]:
    """One materials-sheet row: its order and the material."""
    required = (row.text("required") or "必需").strip()
    is_required = REQUIRED_WORDS.get(required.lower(), yes_no(required))
    if is_required is None:
        row.bad("required", "应为 必需 或 可选", "must be 必需 (required) or 可选 (optional)")
    zh, en = row.text("notes_zh"), row.text("notes_en")
    material = {
        "name": {"zh": row.text("name_zh"), "en": row.text("name_en")},
        "required": bool(is_required),
        "form": row.text("form") or MATERIAL_FORMS[0],
        "medium": row.text("medium") or MATERIAL_MEDIA[0],
        "copies": row.number("copies", empty=1),
        "notes": None if zh is None and en is None else {"zh": zh, "en": en},
    }
    return row.number("order"), material


def _read(layout: Layout, table_rows, sheet: str | None):
    """(rows as ``(row_number, _Row)``, header problems) of one sheet."""
    if not table_rows:
        return [], no_header(sheet)
    (head_row, head), *body = table_rows
    keys, bad = layout.keys(head)
    if bad:
        return [], [{"sheet": sheet, "row": head_row, **b} for b in bad]
    return [(n, _Row(layout.values(keys, cells))) for n, cells in body], []


def read_services(
    services_rows: list[tuple[int, list[str | None]]],
    material_rows_: list[tuple[int, list[str | None]]] | None,
    departments: frozenset[str],
    current: dict[str, dict[str, Any]],
    *,
    services_sheet: str | None = SERVICES_SHEET,
    materials_sheet: str | None = MATERIALS_SHEET,
) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """The services of the sheets' rows (header first) by slug, and every bad row ``{sheet, row, field, zh,
    en}``. Without a materials sheet (*material_rows_* None: a CSV) each service keeps *current*'s
    materials (the draft's forms by slug)."""
    rows, bad = _read(SERVICES, services_rows, services_sheet)
    if bad:
        return {}, bad
    forms: dict[str, dict[str, Any]] = {}
    where: dict[str, int] = {}
    problems: dict[int, list[dict[str, str]]] = {}
    for number, row in rows:
        form = _form(row)
        slug = form["slug"]
        problems[number] = row.problems
        if slug is None:
            row.bad("slug", "必填", "required")
        elif slug in where:
            row.bad(
                "slug", f"事项标识 {slug} 与第 {where[slug]} 行重复", f"id {slug} repeats row {where[slug]}"
            )
        else:
            where[slug] = number
            forms[slug] = form
    materials_of: dict[str, list[tuple[int | None, int, dict[str, Any]]]] = {}
    if material_rows_ is None:
        for slug, form in forms.items():
            form["materials"] = [dict(m) for m in (current.get(slug) or {}).get("materials", [])]
    else:
        m_rows, m_bad = _read(MATERIALS, material_rows_, materials_sheet)
        bad += m_bad
        for number, row in m_rows:
            order, material = _material(row)
            service = row.text("service")
            if service not in forms:
                row.bad("service", f"表中没有事项 {service}", f"no service {service} in the services sheet")
            else:
                materials_of.setdefault(service, []).append((order, number, material))
            bad += [{"sheet": materials_sheet, "row": number, **p} for p in row.problems]
    material_row: dict[tuple[str, int], int] = {}
    for slug, listed_ in materials_of.items():
        orders = [o for o, _n, _m in listed_ if o is not None]
        for order, number, _m in listed_:
            if order is not None and orders.count(order) > 1:
                bad.append(
                    {
                        "sheet": materials_sheet,
                        "row": number,
                        "field": "order",
                        "zh": f"事项 {slug} 的序号 {order} 重复",
                        "en": f"order {order} twice for {slug}",
                    }
                )
        ranked = sorted(listed_, key=lambda t: (t[0] if t[0] is not None else 10**9, t[1]))
        forms[slug]["materials"] = [m for _o, _n, m in ranked]
        for i, (_o, number, _m) in enumerate(ranked):
            material_row[(slug, i)] = number
    codes = {f.get("code"): slug for slug, f in forms.items()}
    slug_at = {number: slug for slug, number in where.items()}
    for number, _row in rows:
        form = forms.get(slug_at.get(number, ""))
        if form is None:
            bad += [{"sheet": services_sheet, "row": number, **p} for p in problems[number]]
            continue
        read = {p["field"] for p in problems[number]}
        if not problems[number] and form == current.get(form["slug"]):
            # unchanged from the draft, which holds only checked forms: the schema check (~5 ms a form) is
            # skipped, so a 10,000-row sheet that changes a few services is read in seconds. A code that
            # another row now takes is still named at that row, whose form changed.
            continue
        for p in validate_service(form, Facts(departments, codes)):
            found = re.match(r"materials\[(\d+)\]\.?(.*)", p["field"])
            if found and (form["slug"], int(found.group(1))) in material_row:
                at = material_row[(form["slug"], int(found.group(1)))]
                column = {"name": "name_zh"}.get(found.group(2).split(".")[0], found.group(2).split(".")[0])
                if found.group(2) == "name.en" or found.group(2) == "notes.en":
                    column = found.group(2).replace(".", "_")
                bad.append({"sheet": materials_sheet, "row": at, **p, "field": column or "name_zh"})
            elif _column(p["field"]) not in read:
                problems[number].append({**p, "field": _column(p["field"])})
        bad += [{"sheet": services_sheet, "row": number, **p} for p in problems[number]]
    return forms, sorted(bad, key=lambda b: (b["sheet"] != services_sheet, b["row"] or 0))


def removal_problems(removed: dict[str, list[str]], sheet: str | None) -> list[dict[str, Any]]:
    """Bad rows for services left out of the sheet that counters still handle (*removed*: slug → the
    counters ``<hall>/<number>``)."""
    return [
        {
            "sheet": sheet,
            "row": None,
            "field": "slug",
            "zh": f"事项 {slug} 仍由窗口 {'、'.join(counters[:10])} 办理，表中不能删去它",
            "en": f"service {slug} is still handled at counter(s) {', '.join(counters[:10])}: it may not be "
            "left out of the sheet",
        }
        for slug, counters in sorted(removed.items())
    ]
