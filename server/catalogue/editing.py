"""The services catalogue as editable data: one canonical JSON form per service item, the checks a form must
pass before it is saved, and the snapshot / apply / validate functions of the ``catalogue`` scope that the
drafts → publish → versions machinery calls.

The form (:data:`FORM_SCHEMA` says it exactly) mirrors a service entry of the demo files, keyed by ``slug``::

    {"slug", "code", "name": {zh, en}, "department": <department code>, "audience": [...], "type",
     "legal_limit_days", "promised_limit_days", "conditions": [{zh, en}], "process": [{name, description}],
     "fees": {charged, description, items}, "online": {pc, mobile}, "appointment": {supported, url},
     "phones": {enquiry, complaint}, "keywords": [...], "visits", "reform_2023",
     "materials": [{name: {zh, en}, required, form, medium, copies, notes: {zh, en} | null}],   (in order)
     "guide": {summary_zh, summary_en, steps: [{zh, en}], faq: [{q, a}]} | null}

The guide's summaries are Markdown of the safe subset (``catalogue.markdown``). A problem is
``{"field", "zh", "en"}`` with a field path such as ``materials[2].copies`` or ``guide.summary_zh``.
Applying a snapshot that equals the database changes no row: ``apply_catalogue(s, catalogue_snapshot(s))``
leaves the session clean.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..db import bump_revision
from ..models import Counter, Department, Hall, Material, ServiceGuide, ServiceItem
from ..problems import HallError, schema_problems
from ..urls import MAX_LINK_LENGTH, link_problem
from ..vocabulary import AUDIENCES, SERVICE_TYPES, SLUG_PATTERN
from . import markdown

CODE_PATTERN = r"^[0-9A-Z]{8,40}$"  # a national catalogue code (实施编码)
MATERIAL_FORMS = ["原件", "复印件", "原件和复印件"]
MATERIAL_MEDIA = ["纸质", "电子", "纸质或电子"]
MAX_DAYS = 365
MAX_COPIES = 20
MAX_VISITS = 2

_TEXT = {"type": "string", "minLength": 1, "maxLength": 4000}


def _text(limit: int) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": limit}


def _pair(limit: int = 4000, en_limit: int | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["zh", "en"],
        "additionalProperties": False,
        "properties": {"zh": _text(limit), "en": _text(en_limit or limit)},
    }


def _obj(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
        "properties": properties,
    }


PHONE = {"type": "string", "pattern": r"^[0-9][0-9-]{2,19}$"}
ADDRESS = {"type": "string", "minLength": 1, "maxLength": MAX_LINK_LENGTH}
DAYS = {"type": "integer", "minimum": 0, "maximum": MAX_DAYS}

MATERIAL_SCHEMA = _obj(
    {
        "name": _pair(300, 400),
        "required": {"type": "boolean"},
        "form": {"enum": MATERIAL_FORMS},
        "medium": {"enum": MATERIAL_MEDIA},
        "copies": {"type": "integer", "minimum": 0, "maximum": MAX_COPIES},
        "notes": {"oneOf": [{"type": "null"}, _pair()]},
    }
)

FORM_SCHEMA: dict[str, Any] = _obj(
    {
        "slug": {"type": "string", "pattern": SLUG_PATTERN},
        "code": {"type": "string", "pattern": CODE_PATTERN},
        "name": _pair(200, 300),
        "department": {"type": "string", "pattern": SLUG_PATTERN},
        "audience": {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"enum": AUDIENCES}},
        "type": {"enum": SERVICE_TYPES},
        "legal_limit_days": {"oneOf": [{"type": "null"}, DAYS]},
        "promised_limit_days": DAYS,
        "conditions": {"type": "array", "minItems": 1, "maxItems": 50, "items": _pair()},
        "process": {
            "type": "array",
            "minItems": 1,
            "maxItems": 50,
            "items": _obj({"name": _pair(200), "description": _pair()}),
        },
        "fees": _obj(
            {
                "charged": {"type": "boolean"},
                "description": _TEXT,
                "items": {
                    "type": "array",
                    "maxItems": 50,
                    "items": _obj(
                        {
                            "name": _pair(200),
                            "amount": {"type": "number", "minimum": 0},
                            "unit": _pair(50),
                            "basis": _text(200),
                        },
                        ["name", "amount", "unit"],
                    ),
                },
            }
        ),
        "online": _obj({"pc": ADDRESS, "mobile": ADDRESS}),
        "appointment": _obj(
            {"supported": {"type": "boolean"}, "url": {"oneOf": [{"type": "null"}, ADDRESS]}}
        ),
        "phones": _obj({"enquiry": PHONE, "complaint": PHONE}),
        "keywords": {
            "type": "array",
            "maxItems": 50,
            "uniqueItems": True,
            "items": {"type": "string", "minLength": 1, "maxLength": 40},
        },
        "visits": {"type": "integer", "minimum": 0, "maximum": MAX_VISITS},
        "reform_2023": {"type": "boolean"},
        "materials": {"type": "array", "maxItems": 100, "items": MATERIAL_SCHEMA},
        "guide": {
            "oneOf": [
                {"type": "null"},
                _obj(
                    {
                        "summary_zh": {"type": "string", "minLength": 1},
                        "summary_en": {"type": "string", "minLength": 1},
                        "steps": {"type": "array", "maxItems": 30, "items": _pair()},
                        "faq": {"type": "array", "maxItems": 30, "items": _obj({"q": _pair(), "a": _pair()})},
                    }
                ),
            ]
        },
    }
)
_VALIDATOR = Draft202012Validator(FORM_SCHEMA)


class CatalogueError(HallError):
    """A service form (or a whole catalogue snapshot) that may not be saved: every problem at its field."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        n = len(problems)
        super().__init__(
            "bad_service",
            f"事项信息有 {n} 处问题",
            f"{n} problem(s) in the service item",
            status=422,
            details={"problems": problems},
        )
        self.problems = problems


class ServiceInUse(HallError):
    """A service item that may not be removed while counters handle it: names the item and the counters."""

    def __init__(self, slug: str, counters: list[str]) -> None:
        shown = "、".join(counters[:10])
        super().__init__(
            "service_in_use",
            f"事项 {slug} 仍由窗口 {shown} 办理，不能删除：请先从这些窗口移除",
            f"Service item {slug} is still handled at counter(s) {', '.join(counters[:10])} and cannot be "
            "removed: take it off those counters first",
            status=409,
            details={"service": slug, "counters": counters},
        )


# ---- the form ----


def _pair_of(zh: str | None, en: str | None) -> dict[str, str | None]:
    return {"zh": zh, "en": en}


def service_form(item: ServiceItem) -> dict[str, Any]:
    """Service *item*'s editable data in the canonical form (deep copies: editing it changes no row)."""
    guide = item.guide
    return {
        "slug": item.slug,
        "code": item.code,
        "name": _pair_of(item.name_zh, item.name_en),
        "department": item.department.code,
        "audience": list(item.audience),
        "type": item.item_type,
        "legal_limit_days": item.legal_limit_days,
        "promised_limit_days": item.promised_limit_days,
        "conditions": copy.deepcopy(item.conditions),
        "process": copy.deepcopy(item.process),
        "fees": copy.deepcopy(item.fees),
        "online": {"pc": item.online_pc_url, "mobile": item.online_mobile_url},
        "appointment": {"supported": item.appointment_supported, "url": item.appointment_url},
        "phones": {"enquiry": item.enquiry_phone, "complaint": item.complaint_phone},
        "keywords": list(item.keywords or []),
        "visits": item.visits,
        "reform_2023": item.reform_2023,
        "materials": [
            {
                "name": _pair_of(m.name, m.name_en),
                "required": m.required,
                "form": m.form,
                "medium": m.medium,
                "copies": m.copies,
                "notes": None if m.notes is None and m.notes_en is None else _pair_of(m.notes, m.notes_en),
            }
            for m in item.materials
        ],
        "guide": None
        if guide is None
        else {
            "summary_zh": guide.summary_zh,
            "summary_en": guide.summary_en,
            "steps": copy.deepcopy(guide.steps),
            "faq": copy.deepcopy(guide.faq),
        },
    }


def _services(session: Session):
    return session.scalars(
        select(ServiceItem)
        .order_by(ServiceItem.slug)
        .options(
            selectinload(ServiceItem.department),
            selectinload(ServiceItem.materials),
            selectinload(ServiceItem.guide),
        )
    )


def catalogue_snapshot(session: Session) -> dict[str, Any]:
    """The whole catalogue as ``{"services": {slug: form}}``."""
    return {"services": {item.slug: service_form(item) for item in _services(session)}}


# ---- checks ----


@dataclass(frozen=True)
class Facts:
    """What checking a form needs from outside it: the department codes, and each service code's slug."""

    departments: frozenset[str]
    codes: dict[str, str] = field(default_factory=dict)


def catalogue_facts(session: Session) -> Facts:
    """The facts of the database as it is."""
    departments = frozenset(session.scalars(select(Department.code)))
    codes = dict(session.execute(select(ServiceItem.code, ServiceItem.slug)).all())
    return Facts(departments, codes)


def _field(where: str) -> str:
    """A slash path (``materials/2/copies``) as a field path (``materials[2].copies``)."""
    out = ""
    for part in where.split("/"):
        if part.isdigit():
            out += f"[{part}]"
        elif part:
            out += f".{part}" if out else part
    return out or "(form)"


def _problem(where: str, zh: str, en: str) -> dict[str, str]:
    return {"field": where, "zh": zh, "en": en}


_REQUIRED = re.compile(r"'([^']+)' is a required property")


def _shape_problems(form: Any) -> list[dict[str, str]]:
    found = []
    for p in schema_problems(_VALIDATOR.iter_errors(form)):
        where = _field(p["where"] if p["where"] != "(top)" else "")
        missing = _REQUIRED.match(p["en"])
        if missing:  # named at the missing field itself, where the editor shows it
            where = f"{where}.{missing.group(1)}" if where != "(form)" else missing.group(1)
            p = {**p, "zh": "必填", "en": "required"}
        found.append(_problem(where, p["zh"], p["en"]))
    return found


def validate_service(form: Any, facts: Facts) -> list[dict[str, str]]:
    """Every problem of service *form*, each at its field; empty when it may be saved."""
    found = _shape_problems(form)
    if not isinstance(form, dict):
        return found
    bad = {p["field"] for p in found}
    code, slug = form.get("code"), form.get("slug")
    other = facts.codes.get(code) if isinstance(code, str) else None
    if other is not None and other != slug:
        found.append(
            _problem("code", f"代码 {code} 已由事项 {other} 使用", f"code {code} is used by {other}")
        )
    department = form.get("department")
    if isinstance(department, str) and "department" not in bad and department not in facts.departments:
        found.append(_problem("department", f"未知部门 {department}", f"unknown department {department}"))
    legal, promised = form.get("legal_limit_days"), form.get("promised_limit_days")
    if isinstance(legal, int) and isinstance(promised, int) and promised > legal:
        found.append(
            _problem(
                "promised_limit_days",
                f"承诺时限 {promised} 天不能长于法定时限 {legal} 天",
                f"the promised limit ({promised} days) may not exceed the legal limit ({legal} days)",
            )
        )
    found += _address_problems(form, bad)
    found += _guide_problems(form.get("guide"), bad)
    return found


def _address_problems(form: dict[str, Any], bad: set[str]) -> list[dict[str, str]]:
    online = form.get("online") if isinstance(form.get("online"), dict) else {}
    appointment = form.get("appointment") if isinstance(form.get("appointment"), dict) else {}
    found = []
    if appointment.get("supported") is True and not appointment.get("url"):
        found.append(
            _problem(
                "appointment.url", "支持预约时必须填写预约地址", "required when appointments are supported"
            )
        )
    for where, value in (
        ("online.pc", online.get("pc")),
        ("online.mobile", online.get("mobile")),
        ("appointment.url", appointment.get("url")),
    ):
        if isinstance(value, str) and value and where not in bad:
            reason = link_problem(value)
            if reason is not None:
                found.append(_problem(where, f"地址不允许：{reason[0]}", f"address not allowed: {reason[1]}"))
    return found


def _guide_problems(guide: Any, bad: set[str]) -> list[dict[str, str]]:
    if not isinstance(guide, dict):
        return []
    found = []
    for key in ("summary_zh", "summary_en"):
        where = f"guide.{key}"
        if where not in bad and isinstance(guide.get(key), str):
            found += [_problem(where, zh, en) for zh, en in markdown.problems(guide[key])]
    return found


# ---- apply ----


def _set(obj: Any, **values: Any) -> None:
    """Assign only the attributes that differ, so an unchanged row stays clean."""
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)


def _write(item: ServiceItem, form: dict[str, Any], department: Department) -> None:
    _set(
        item,
        code=form["code"],
        name_zh=form["name"]["zh"],
        name_en=form["name"]["en"],
        audience=form["audience"],
        item_type=form["type"],
        legal_limit_days=form["legal_limit_days"],
        promised_limit_days=form["promised_limit_days"],
        conditions=form["conditions"],
        process=form["process"],
        fees=form["fees"],
        online_pc_url=form["online"]["pc"],
        online_mobile_url=form["online"]["mobile"],
        visits=form["visits"],
        appointment_supported=form["appointment"]["supported"],
        appointment_url=form["appointment"]["url"],
        enquiry_phone=form["phones"]["enquiry"],
        complaint_phone=form["phones"]["complaint"],
        keywords=form["keywords"],
        reform_2023=form["reform_2023"],
    )
    if item.department is not department:
        item.department = department
    rows = list(item.materials)
    for position, m in enumerate(form["materials"]):
        if position == len(rows):
            rows.append(Material(position=position))
            item.materials.append(rows[-1])
        notes = m["notes"] or {"zh": None, "en": None}
        _set(
            rows[position],
            position=position,
            name=m["name"]["zh"],
            name_en=m["name"]["en"],
            required=m["required"],
            form=m["form"],
            medium=m["medium"],
            copies=m["copies"],
            notes=notes["zh"],
            notes_en=notes["en"],
        )
    for extra in rows[len(form["materials"]) :]:
        item.materials.remove(extra)
    guide = form["guide"]
    if guide is None:
        if item.guide is not None:
            item.guide = None
    else:
        if item.guide is None:
            item.guide = ServiceGuide()
        _set(item.guide, **{key: guide[key] for key in ("summary_zh", "summary_en", "steps", "faq")})


def _refuse(problems: list[dict[str, str]], slug: Any = None) -> None:
    if problems:
        if slug is not None:
            problems = [{**p, "field": f"services.{slug}.{p['field']}"} for p in problems]
        raise CatalogueError(problems)


def apply_service(session: Session, form: dict[str, Any]) -> bool:
    """Write service *form* (insert or update by slug) after checking it; whether anything changed.
    CatalogueError with every problem otherwise; the caller commits."""
    _refuse(validate_service(form, catalogue_facts(session)))
    changed = _apply_one(session, form, {d.code: d for d in session.scalars(select(Department))})
    if changed:
        bump_revision(session)
    return changed


def _apply_one(session: Session, form: dict[str, Any], departments: dict[str, Department]) -> bool:
    item = session.scalar(
        select(ServiceItem)
        .where(ServiceItem.slug == form["slug"])
        .options(selectinload(ServiceItem.materials), selectinload(ServiceItem.guide))
    )
    if item is None:
        item = ServiceItem(slug=form["slug"], materials=[])
        session.add(item)
    elif service_form(item) == form:
        return False
    _write(item, form, departments[form["department"]])
    return True


def catalogue_problems(session: Session, snapshot: Any) -> list[dict[str, str]]:
    """Every problem of catalogue *snapshot* (``{"services": {slug: form}}``), each service's fields as
    ``services.<slug>.<field>``: each form checked against the others (codes used twice) and the departments
    of the database."""
    services = snapshot.get("services") if isinstance(snapshot, dict) else None
    if not isinstance(services, dict):
        return [_problem("services", "应为以事项标识为键的对象", "must be an object keyed by slug")]
    codes = {f.get("code"): slug for slug, f in services.items() if isinstance(f, dict)}
    facts = Facts(catalogue_facts(session).departments, codes)
    problems: list[dict[str, str]] = []
    for slug, form in services.items():
        found = validate_service(form, facts)
        if isinstance(form, dict) and form.get("slug") != slug:
            found.append(_problem("slug", f"与键 {slug} 不一致", f"differs from its key {slug}"))
        problems += [{**p, "field": f"services.{slug}.{p['field']}"} for p in found]
    seen: dict[str, str] = {}
    for slug, form in services.items():
        code = form.get("code") if isinstance(form, dict) else None
        if isinstance(code, str) and code in seen:
            problems.append(
                _problem(
                    f"services.{slug}.code",
                    f"代码 {code} 与 {seen[code]} 重复",
                    f"code {code} repeats {seen[code]}",
                )
            )
        seen.setdefault(code, slug)
    return problems


def counters_using(session: Session, slugs: list[str]) -> dict[str, list[str]]:
    """The counters (``<hall>/<number>``) that handle each of *slugs*, for those any counter handles."""
    if not slugs:
        return {}
    rows = session.execute(
        select(ServiceItem.slug, Counter.number, Counter.hall_id)
        .join(Counter.services)
        .where(ServiceItem.slug.in_(slugs))
        .order_by(Counter.hall_id, Counter.number)
    ).all()
    halls = dict(session.execute(select(Hall.id, Hall.slug)).all()) if rows else {}
    out: dict[str, list[str]] = {}
    for slug, number, hall in rows:
        out.setdefault(slug, []).append(f"{halls[hall]}/{number}")
    return out


def refuse_in_use(session: Session, slug: str) -> None:
    """ServiceInUse (409, naming the counters as ``<hall>/<number>``) while any counter handles *slug*."""
    counters = counters_using(session, [slug]).get(slug)
    if counters:
        raise ServiceInUse(slug, counters)


def apply_catalogue(session: Session, snapshot: dict[str, Any]) -> dict[str, list[str]]:
    """Make the catalogue *snapshot* (``{"services": {slug: form}}``) the catalogue: services upserted by
    slug, those not in it removed — refused (ServiceInUse) while a counter handles one. Every form is
    checked first (CatalogueError); nothing is written unless all pass. Answers the slugs ``added``,
    ``changed`` and ``removed``; the caller commits."""
    _refuse(catalogue_problems(session, snapshot))
    services = snapshot["services"]
    existing = catalogue_facts(session)
    removed = sorted(set(existing.codes.values()) - set(services))
    for slug in removed:
        refuse_in_use(session, slug)
    departments = {d.code: d for d in session.scalars(select(Department))}
    for item in session.scalars(select(ServiceItem).where(ServiceItem.slug.in_(removed))):
        session.delete(item)
    session.flush()  # a removed item's code is free before another item takes it
    result: dict[str, list[str]] = {"added": [], "changed": [], "removed": removed}
    known = set(existing.codes.values())
    for slug in sorted(services):
        if _apply_one(session, services[slug], departments):
            result["added" if slug not in known else "changed"].append(slug)
    if any(result.values()):
        bump_revision(session)
    return result
