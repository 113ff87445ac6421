"""JSON Schemas for the readable demo-content files (departments, services, halls).

The files are YAML; each loads to plain lists and dicts that these schemas check before anything is
written to the database. Run ``python -m server.demo.schema FILE...`` to check files by hand.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from ..problems import problem_text, schema_problems
from ..vocabulary import (
    AUDIENCES,
    COUNTER_NUMBER_PATTERN,
    COUNTER_STATUSES,
    COUNTER_TYPES,
    FACILITY_TYPES,
    KIOSK_COUNTDOWN_RANGE,
    KIOSK_IDLE_RANGE,
    SERVICE_TYPES,
    SLUG_PATTERN,
    WEEKDAYS,
)

ID = {"type": "string", "pattern": SLUG_PATTERN}
TEXT = {"type": "string", "minLength": 1, "maxLength": 4000}
BILINGUAL = {
    "type": "object",
    "required": ["zh", "en"],
    "additionalProperties": False,
    "properties": {"zh": TEXT, "en": TEXT},
}
PHONE = {"type": "string", "pattern": r"^[0-9][0-9-]{2,19}$"}
URL = {"type": "string", "pattern": r"^https?://[^\s]+$", "maxLength": 500}
TIME = {"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$"}


DEPARTMENT = {
    "type": "object",
    "required": ["id", "name"],
    "additionalProperties": False,
    "properties": {"id": ID, "name": BILINGUAL, "phone": PHONE},
}

MATERIAL = {
    "type": "object",
    "required": ["name", "required", "form", "medium", "copies"],
    "additionalProperties": False,
    "properties": {
        "name": BILINGUAL,
        "required": {"type": "boolean"},
        "form": {"enum": ["原件", "复印件", "原件和复印件"]},
        "medium": {"enum": ["纸质", "电子", "纸质或电子"]},
        "copies": {"type": "integer", "minimum": 0, "maximum": 20},
        "notes": BILINGUAL,
    },
}

SERVICE = {
    "type": "object",
    "required": [
        "id",
        "code",
        "name",
        "department",
        "audience",
        "type",
        "legal_limit_days",
        "promised_limit_days",
        "conditions",
        "process",
        "materials",
        "fees",
        "online",
        "visits",
        "appointment",
        "phones",
        "guide",
    ],
    "additionalProperties": False,
    "properties": {
        "id": ID,
        "code": {"type": "string", "pattern": r"^[0-9A-Z]{8,40}$"},
        "name": BILINGUAL,
        "department": ID,
        "audience": {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"enum": AUDIENCES}},
        "type": {"enum": SERVICE_TYPES},
        "legal_limit_days": {"type": ["integer", "null"], "minimum": 0, "maximum": 365},
        "promised_limit_days": {"type": "integer", "minimum": 0, "maximum": 365},
        "conditions": {"type": "array", "minItems": 1, "items": BILINGUAL},
        "process": {
            "type": "array",
            "minItems": 2,
            "items": {
                "type": "object",
                "required": ["name", "description"],
                "additionalProperties": False,
                "properties": {"name": BILINGUAL, "description": BILINGUAL},
            },
        },
        "materials": {"type": "array", "items": MATERIAL},
        "fees": {
            "type": "object",
            "required": ["charged", "description"],
            "additionalProperties": False,
            "properties": {
                "charged": {"type": "boolean"},
                "description": TEXT,
                "items": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["name", "amount", "unit"],
                        "additionalProperties": False,
                        "properties": {
                            "name": BILINGUAL,
                            "amount": {"type": "number", "minimum": 0},
                            "unit": BILINGUAL,
                            "basis": TEXT,
                        },
                    },
                },
            },
        },
        "online": {
            "type": "object",
            "required": ["pc", "mobile"],
            "additionalProperties": False,
            "properties": {"pc": URL, "mobile": URL},
        },
        "visits": {"type": "integer", "minimum": 0, "maximum": 2},
        "appointment": {
            "type": "object",
            "required": ["supported"],
            "additionalProperties": False,
            "properties": {"supported": {"type": "boolean"}, "url": URL},
            "if": {"properties": {"supported": {"const": True}}},
            "then": {"required": ["supported", "url"]},
        },
        "phones": {
            "type": "object",
            "required": ["enquiry", "complaint"],
            "additionalProperties": False,
            "properties": {"enquiry": PHONE, "complaint": PHONE},
        },
        "keywords": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 40}},
        "reform_2023": {"type": "boolean"},
        "guide": {
            "type": "object",
            "required": ["summary", "steps", "faq"],
            "additionalProperties": False,
            "properties": {
                "summary": BILINGUAL,
                "steps": {"type": "array", "minItems": 2, "items": BILINGUAL},
                "faq": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["q", "a"],
                        "additionalProperties": False,
                        "properties": {"q": BILINGUAL, "a": BILINGUAL},
                    },
                },
            },
        },
    },
}

INTERVALS = {
    "type": "array",
    "items": {"type": "array", "prefixItems": [TIME, TIME], "minItems": 2, "maxItems": 2},
}
HOURS = {
    "description": "A week of opening intervals; days left out are closed.",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        **{day: INTERVALS for day in WEEKDAYS},
        "note": BILINGUAL,
        # Public holidays close a schedule unless it says "open" (a 24-hour self-service area).
        "holidays": {"enum": ["closed", "open"]},
    },
}
HOURS_REF = {"oneOf": [ID, HOURS]}
POSITION = {"type": "array", "prefixItems": [{"type": "number"}] * 3, "minItems": 3, "maxItems": 3}


HALL = {
    "type": "object",
    "required": ["slug", "name", "address", "phone", "hours", "floors", "zones", "counters"],
    "additionalProperties": False,
    "properties": {
        "slug": ID,
        "name": BILINGUAL,
        "short_name": BILINGUAL,
        "address": BILINGUAL,
        "phone": PHONE,
        "hours": HOURS,
        "time_zone": {"type": "string", "pattern": r"^[A-Za-z_]+(/[-+\w]+)*$", "maxLength": 64},
        "calendar": {"type": "string", "pattern": r"^[a-z]{2,8}$"},
        "access": {
            "description": "How to get there: bus lines, parking, metro (each bilingual).",
            "type": "object",
            "additionalProperties": False,
            "properties": {"bus": BILINGUAL, "parking": BILINGUAL, "metro": BILINGUAL},
        },
        "hour_presets": {"type": "object", "additionalProperties": HOURS},
        "floors": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["level", "name", "elevation"],
                "additionalProperties": False,
                "properties": {
                    "level": {"type": "integer", "minimum": -5, "maximum": 100},
                    "name": BILINGUAL,
                    "elevation": {"type": "number"},
                },
            },
        },
        "zones": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "name", "floor"],
                "additionalProperties": False,
                "properties": {
                    "id": ID,
                    "name": BILINGUAL,
                    "floor": {"type": "integer"},
                    "color": {"type": "string", "pattern": r"^#[0-9a-f]{6}$"},
                },
            },
        },
        "counters": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["number", "name", "type", "zone"],
                "additionalProperties": False,
                "properties": {
                    "number": {"type": "string", "pattern": COUNTER_NUMBER_PATTERN},
                    "name": BILINGUAL,
                    "type": {"enum": list(COUNTER_TYPES)},
                    "department": ID,
                    "zone": ID,
                    "status": {"enum": list(COUNTER_STATUSES)},
                    "notice": BILINGUAL,  # told to citizens while paused or closed
                    "hours": HOURS_REF,
                    "phone": PHONE,
                    "low_counter": {"type": "boolean"},
                    "services": {"type": "array", "items": ID},
                    "departments": {"type": "array", "items": ID},
                },
            },
        },
        "facilities": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "type", "name", "floor"],
                "additionalProperties": False,
                "properties": {
                    "id": ID,
                    "type": {"enum": FACILITY_TYPES},
                    "name": BILINGUAL,
                    "floor": {"type": "integer"},
                    "description": BILINGUAL,
                    "hours": HOURS_REF,
                },
            },
        },
        "kiosks": {
            "description": "Touch screens standing in the hall (server/kiosks): plan position [x, z] in metres, "
            "facing a bearing (0 north), idle and countdown seconds, audio.",
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "floor", "at", "facing"],
                "additionalProperties": False,
                "properties": {
                    "id": ID,
                    "floor": {"type": "integer"},
                    "at": {
                        "type": "array",
                        "prefixItems": [{"type": "number"}] * 2,
                        "minItems": 2,
                        "maxItems": 2,
                    },
                    "facing": {"type": "number", "minimum": 0, "exclusiveMaximum": 360},
                    "idle_seconds": {
                        "type": "integer",
                        "minimum": KIOSK_IDLE_RANGE[0],
                        "maximum": KIOSK_IDLE_RANGE[1],
                    },
                    "countdown_seconds": {
                        "type": "integer",
                        "minimum": KIOSK_COUNTDOWN_RANGE[0],
                        "maximum": KIOSK_COUNTDOWN_RANGE[1],
                    },
                    "audio": {"type": "boolean"},
                },
            },
        },
        "scenes": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "name", "floor", "position", "heading"],
                "additionalProperties": False,
                "properties": {
                    "id": ID,
                    "name": BILINGUAL,
                    "floor": {"type": "integer"},
                    "position": POSITION,
                    "heading": {"type": "number", "minimum": -180, "maximum": 360},
                    "links": {"type": "array", "items": ID},
                },
            },
        },
    },
}

FILE_SCHEMAS = {
    "departments": {"type": "array", "items": DEPARTMENT},
    "services": {"type": "array", "items": SERVICE},
    "hall": HALL,
}


def file_problems(kind: str, data: Any) -> list[dict[str, str]]:
    """Every schema violation in *data* as a problem ``{where, zh, en}`` (``problems.schema_problems``)."""
    if kind not in FILE_SCHEMAS:
        raise ValueError(f"kind must be one of {sorted(FILE_SCHEMAS)}, not {kind!r}")
    return schema_problems(Draft202012Validator(FILE_SCHEMAS[kind]).iter_errors(data))


def kind_of(path: Path) -> str:
    """Say which schema a data file follows, from where it lies."""
    if path.name == "departments.yaml":
        return "departments"
    if path.parent.name == "services":
        return "services"
    if path.parent.name == "halls":
        return "hall"
    raise ValueError(f"path {path} is not a departments, services/ or halls/ file")


def main(argv: list[str]) -> int:
    """Check each file named on the command line; print problems; exit 1 if any."""
    failed = False
    for name in argv:
        path = Path(name)
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        errors = file_problems(kind_of(path), data)
        for item in errors:
            print(f"{path}: {problem_text(item)}")
        failed |= bool(errors)
        if not errors:
            count = len(data) if isinstance(data, list) else 1
            print(f"{path}: ok ({count} entries)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
