"""The OpenAPI 3.1 document of the public API, served at ``/api/v1/openapi.json``.

The schemas here are also what the tests validate real responses against, so the document cannot drift
from what the server sends. Enumerations and patterns come from ``server.vocabulary``. The document is
data: ``SCHEMAS`` (components), ``PARAMETERS`` (by name) and ``OPERATIONS`` (one row per path), put
together by ``document()``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from ...vocabulary import (
    AUDIENCES,
    CONNECTOR_TYPES,
    COUNTER_NUMBER_PATTERN,
    COUNTER_STATES,
    COUNTER_STATUSES,
    COUNTER_TYPES,
    FACILITY_TYPES,
    PLACE_KEY_PATTERN,
    SERVICE_TYPES,
    SLUG_PATTERN,
    WEEKDAYS,
)
from . import bp
from .http import encode, json_response, reject_unknown_args


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: list[str], properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties, **extra}


STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
STATUS = {"type": "string", "enum": list(COUNTER_STATUSES)}
LINK_RULE = (
    "An address is given only if a page may link to it (https to an allowed government domain); otherwise "
    "it is null and the stored text is under unlinked, to be shown as text."
)
UNLINKED = {"type": "object", "additionalProperties": STRING, "description": "Refused addresses, as text."}

SCHEMAS: dict[str, Any] = {
    "Bilingual": obj(
        ["zh", "en"], {"zh": STRING, "en": STRING}, description="Text in Chinese (first) and English."
    ),
    "GuideText": {
        "type": "array",
        "items": ref("GuideBlock"),
        "description": "A guide text as blocks (paragraphs, bullet and numbered lists); links are https to "
        "an allowed government domain, any other link is left as its text.",
    },
    "GuideBlock": {
        "oneOf": [
            obj(["p"], {"p": {"type": "array", "items": ref("GuideInline")}}, additionalProperties=False),
            *(
                obj(
                    [tag],
                    {tag: {"type": "array", "items": ref("GuideText")}},
                    additionalProperties=False,
                    description=f"A {kind} list: each item a list of blocks.",
                )
                for tag, kind in (("ul", "bullet"), ("ol", "numbered"))
            ),
        ]
    },
    "GuideInline": {
        "oneOf": [
            obj(["text"], {"text": STRING}, additionalProperties=False),
            obj(["b"], {"b": {"type": "array", "items": ref("GuideInline")}}, additionalProperties=False),
            obj(["i"], {"i": {"type": "array", "items": ref("GuideInline")}}, additionalProperties=False),
            obj(
                ["a"],
                {"a": obj(["href", "text"], {"href": STRING, "text": STRING}, additionalProperties=False)},
                additionalProperties=False,
            ),
            obj(["br"], {"br": {"const": True}}, additionalProperties=False),
        ]
    },
    "CatalogueText": obj(
        ["zh", "en"],
        {"zh": STRING, "en": NULLABLE_STRING},
        description="A catalogue text (a condition, a process step's name or description) in Chinese and "
        "English. `en` is null for a row not yet translated (stored before English was added); the tour then "
        "shows the Chinese.",
        examples=[
            {
                "zh": "申请人已在广西数字政务一体化平台或“智桂通”完成实名注册和身份认证",
                "en": "You have registered with your real name and verified your identity on the Guangxi "
                "Digital Government Services Platform or Zhiguitong",
            }
        ],
    ),
    "Error": obj(
        ["error"],
        {
            "error": obj(
                ["status", "code", "message", "message_en"],
                {
                    "status": {"type": "integer", "minimum": 400, "maximum": 599},
                    "code": {"type": "string", "minLength": 1},
                    "message": {"type": "string", "minLength": 1, "description": "zh-CN"},
                    "message_en": {"type": "string", "minLength": 1},
                    "details": {
                        "type": ["object", "array"],
                        "description": "What was wrong; for a refused save (422) a list of {field, zh, en}.",
                    },
                },
                additionalProperties=False,
            )
        },
        additionalProperties=False,
        description="The one error shape of the whole API (server/errors.py).",
    ),
    "Department": {
        "type": ["object", "null"],
        "required": ["id", "name", "phone"],
        "properties": {"id": STRING, "name": ref("Bilingual"), "phone": NULLABLE_STRING},
    },
    "Hours": {
        "type": "object",
        "description": "A week of [start, end] intervals (HH:MM in the hall's time zone); a missing day is "
        "closed; closed on public holidays unless holidays is open.",
        "properties": {
            **{
                day: {
                    "type": "array",
                    "items": {"type": "array", "items": STRING, "minItems": 2, "maxItems": 2},
                }
                for day in WEEKDAYS
            },
            "note": ref("Bilingual"),
            "holidays": {"enum": ["closed", "open"]},
        },
        "additionalProperties": False,
    },
    "CounterState": obj(
        ["code", "label", "until", "next_open", "changes_at", "day"],
        {
            "code": {"type": "string", "enum": list(COUNTER_STATES)},
            "label": ref("Bilingual"),
            "until": {
                "type": ["string", "null"],
                "format": "date-time",
                "description": "When an open counter stops.",
            },
            "next_open": {"type": ["string", "null"], "format": "date-time"},
            "changes_at": {
                "type": ["string", "null"],
                "format": "date-time",
                "description": "When this state may next change (null: only when the staff change the status).",
            },
            "day": {
                "type": ["object", "null"],
                "required": ["kind", "name"],
                "properties": {"kind": {"enum": ["holiday", "workday"]}, "name": ref("Bilingual")},
                "description": "Today in the hall's calendar: a public holiday, or a weekend day worked (调休).",
            },
        },
        description="What a counter is doing now, from its status, weekly hours and the hall's calendar, "
        "in the hall's time zone: 正在办公 / 午间休息 / 已下班（明天 08:30 开始）/ 今日不办公 / 暂停服务.",
    ),
    "HallStates": obj(
        ["hall", "time_zone", "now", "changes_at", "hall_state", "counters"],
        {
            "hall": STRING,
            "time_zone": STRING,
            "now": {"type": "string", "format": "date-time"},
            "changes_at": {"type": ["string", "null"], "format": "date-time"},
            "hall_state": ref("CounterState"),
            "counters": {"type": "object", "additionalProperties": ref("CounterState")},
        },
    ),
    "HoursSummary": obj(
        ["lunch", "evening", "weekend"], {"lunch": BOOLEAN, "evening": BOOLEAN, "weekend": BOOLEAN}
    ),
    "HallSummary": obj(
        [
            "slug",
            "name",
            "address",
            "phone",
            "hours",
            "time_zone",
            "calendar",
            "access",
            "floor_count",
            "counter_count",
            "published_version",
            "url",
        ],
        {
            "slug": STRING,
            "name": ref("Bilingual"),
            "short_name": {"oneOf": [ref("Bilingual"), {"type": "null"}]},
            "address": ref("Bilingual"),
            "phone": STRING,
            "hours": ref("Hours"),
            "time_zone": {
                "type": "string",
                "description": "IANA time zone of the hall.",
                "examples": ["Asia/Shanghai"],
            },
            "calendar": {
                "type": "string",
                "description": "Holiday calendar (data/calendar/<name>-<year>.yaml).",
            },
            "access": {
                "type": ["object", "null"],
                "description": "How to get there.",
                "properties": {
                    "bus": ref("Bilingual"),
                    "parking": ref("Bilingual"),
                    "metro": ref("Bilingual"),
                },
                "additionalProperties": False,
            },
            "floor_count": INTEGER,
            "counter_count": INTEGER,
            "published_version": INTEGER,
            "url": STRING,
        },
    ),
    "HallList": obj(["halls"], {"halls": {"type": "array", "items": ref("HallSummary")}}),
    "Placement": {
        "type": ["object", "null"],
        "required": ["anchor", "standing", "facing"],
        "description": "Where the published model puts the node: anchor (x, y, z), standing point (x, z), facing bearing.",
        "properties": {
            "anchor": {"type": "array", "items": {"type": "number"}, "minItems": 3, "maxItems": 3},
            "standing": {"type": ["array", "null"], "items": {"type": "number"}},
            "facing": {"type": ["number", "null"]},
        },
    },
    "Floor": obj(
        ["level", "name", "elevation", "plan_url"],
        {
            "level": INTEGER,
            "name": ref("Bilingual"),
            "elevation": {"type": "number"},
            "plan_url": NULLABLE_STRING,
        },
    ),
    "Zone": obj(
        ["id", "name", "floor", "color"],
        {"id": STRING, "name": ref("Bilingual"), "floor": INTEGER, "color": NULLABLE_STRING},
    ),
    "CounterBase": obj(
        [
            "number",
            "name",
            "type",
            "department",
            "zone",
            "floor",
            "status",
            "notice",
            "hours",
            "hours_summary",
            "low_counter",
            "node",
        ],
        {
            "number": {"type": "string", "examples": ["B03"]},
            "name": ref("Bilingual"),
            "type": {"type": "string", "enum": list(COUNTER_TYPES)},
            "department": ref("Department"),
            "zone": STRING,
            "floor": INTEGER,
            "status": STATUS,
            "notice": {
                "oneOf": [ref("Bilingual"), {"type": "null"}],
                "description": "What citizens are told while paused or closed (e.g. 系统升级，暂停至 14:00).",
            },
            "hours": ref("Hours"),
            "hours_summary": ref("HoursSummary"),
            "phone": NULLABLE_STRING,
            "low_counter": BOOLEAN,
            "node": {
                "type": "string",
                "description": "The counter's node in the hall model: counter:<number>.",
            },
        },
    ),
    "Counter": {
        "allOf": [ref("CounterBase")],
        "required": ["services", "placement", "state"],
        "properties": {
            "services": {"type": "array", "items": STRING, "description": "Service item ids."},
            "placement": ref("Placement"),
            "state": ref("CounterState"),
        },
    },
    "CounterDetail": {
        "allOf": [ref("CounterBase")],
        "required": ["services", "hall", "today", "state"],
        "properties": {
            "hall": STRING,
            "state": ref("CounterState"),
            "services": {"type": "array", "items": ref("Service")},
            "today": obj(
                ["date", "weekday", "intervals", "open_now"],
                {
                    "date": {"type": "string", "format": "date"},
                    "weekday": {"type": "string", "enum": list(WEEKDAYS)},
                    "intervals": {"type": "array", "items": {"type": "array", "items": STRING}},
                    "open_now": BOOLEAN,
                },
            ),
        },
    },
    "Facility": obj(
        ["id", "type", "name", "floor", "node"],
        {
            "id": STRING,
            "type": {"type": "string", "enum": FACILITY_TYPES},
            "name": ref("Bilingual"),
            "floor": INTEGER,
            "description": {"oneOf": [ref("Bilingual"), {"type": "null"}]},
            "hours": {"oneOf": [ref("Hours"), {"type": "null"}]},
            "node": STRING,
            "placement": ref("Placement"),
        },
    ),
    "Scene": obj(
        [
            "id",
            "name",
            "floor",
            "position",
            "heading",
            "links",
            "initial_view",
            "arrivals",
            "tiles",
            "hotspots",
        ],
        {
            "id": STRING,
            "name": ref("Bilingual"),
            "floor": INTEGER,
            "position": {
                "type": "array",
                "items": {"type": "number"},
                "minItems": 3,
                "maxItems": 3,
                "description": "Camera position in model metres (x, y up, z; north is −Z).",
            },
            "heading": {
                "type": "number",
                "description": "Model bearing (degrees clockwise from −Z) of the panorama centre.",
            },
            "links": {"type": "array", "items": STRING},
            "initial_view": {
                "anyOf": [ref("View"), {"type": "null"}],
                "description": "The view the scene opens at; null: along its heading.",
            },
            "arrivals": {
                "type": "object",
                "additionalProperties": ref("View"),
                "description": "The view on arriving at a linked scene through this scene's link to it, by "
                "that scene's id (links without one keep the view as it was).",
            },
            "tiles": {
                "type": ["object", "null"],
                "description": "The multires cube tile config (Pannellum's names: tileResolution, maxLevel, "
                "cubeResolution, path, fallbackPath, extension) with basePath, preview and an inline placeholder; "
                "null until a panorama is published.",
            },
            "hotspots": {"type": "array", "items": ref("Hotspot")},
        },
    ),
    "View": obj(
        ["yaw", "pitch"],
        {
            "yaw": {"type": "number", "minimum": -180, "exclusiveMaximum": 180},
            "pitch": {"type": "number", "minimum": -90, "maximum": 90},
        },
    ),
    "Hotspot": obj(
        ["target", "kind", "yaw", "pitch", "distance", "source"],
        {
            "target": {"type": "string", "description": "counter:<number>, facility:<id> or scene:<id>"},
            "kind": {"enum": ["counter", "facility", "scene"]},
            "yaw": {
                "type": "number",
                "description": "Degrees from the panorama's centre column, positive right.",
            },
            "pitch": {"type": "number", "description": "Degrees, positive up."},
            "distance": {"type": "number"},
            "source": {"enum": ["model", "override"]},
        },
        description="A hotspot computed from the hall model (only what the camera can see), or a staff override.",
    ),
    "Hall": {
        "allOf": [ref("HallSummary")],
        "type": "object",
        "required": ["floors", "zones", "counters", "facilities", "scenes", "model_url", "opening"],
        "properties": {
            "opening": obj(
                ["time_zone", "changes_at", "hall", "url"],
                {
                    "time_zone": STRING,
                    "changes_at": {"type": ["string", "null"]},
                    "hall": ref("CounterState"),
                    "url": STRING,
                },
                description="The hall's and the counters' states hold until changes_at; url answers them "
                "afresh (HallStates).",
            ),
            "floors": {"type": "array", "items": ref("Floor")},
            "zones": {"type": "array", "items": ref("Zone")},
            "counters": {"type": "array", "items": ref("Counter")},
            "facilities": {"type": "array", "items": ref("Facility")},
            "scenes": {"type": "array", "items": ref("Scene")},
            "model_url": {
                "type": ["string", "null"],
                "description": "The published GLB; null until there is one.",
            },
        },
    },
    "Material": obj(
        ["name", "required", "form", "medium", "copies", "notes"],
        {
            "name": ref("Bilingual"),
            "required": BOOLEAN,
            "form": {"enum": ["原件", "复印件", "原件和复印件"]},
            "medium": {"enum": ["纸质", "电子", "纸质或电子"]},
            "copies": INTEGER,
            "notes": {"oneOf": [ref("Bilingual"), {"type": "null"}]},
        },
    ),
    "CounterBrief": obj(
        [
            "hall",
            "number",
            "name",
            "type",
            "floor",
            "floor_name",
            "status",
            "services_count",
            "general",
            "state",
        ],
        {
            "hall": STRING,
            "number": STRING,
            "name": ref("Bilingual"),
            "type": STRING,
            "floor": INTEGER,
            "floor_name": ref("Bilingual"),
            "status": STATUS,
            "services_count": INTEGER,
            "general": BOOLEAN,
            "state": {"oneOf": [ref("CounterState"), {"type": "null"}]},
        },
        description="A counter that handles a service found by search, best first; `general`: a one-stop "
        "(综合受理) counter; `services_count`: how many services it takes (fewer is more specific); `state`: "
        "its opening state now (the same answer as `/halls/{hall}/states`).",
    ),
    "CounterRef": obj(
        ["hall", "hall_name", "number", "name", "floor", "zone", "status", "hours_summary", "url"],
        {
            "hall": STRING,
            "hall_name": ref("Bilingual"),
            "number": STRING,
            "name": ref("Bilingual"),
            "floor": INTEGER,
            "zone": STRING,
            "status": STATUS,
            "hours_summary": ref("HoursSummary"),
            "url": STRING,
        },
    ),
    "Service": obj(
        [
            "id",
            "code",
            "name",
            "department",
            "audience",
            "type",
            "time_limit",
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
        {
            "id": STRING,
            "code": {"type": "string", "description": "实施编码 (implementation code)"},
            "name": ref("Bilingual"),
            "department": ref("Department"),
            "audience": {"type": "array", "items": {"enum": AUDIENCES}},
            "type": {"enum": SERVICE_TYPES},
            "time_limit": obj(
                ["legal_days", "promised_days"],
                {"legal_days": {"type": ["integer", "null"]}, "promised_days": INTEGER},
                description="Working days; promised_days 0 means done on the spot (即办).",
            ),
            "conditions": {
                "type": "array",
                "items": ref("CatalogueText"),
                "description": "办理条件: who can apply, in the catalogue's words.",
            },
            "process": {
                "type": "array",
                "items": obj(
                    ["name", "description"],
                    {"name": ref("CatalogueText"), "description": ref("CatalogueText")},
                    examples=[
                        {
                            "name": {"zh": "亮证", "en": "Show"},
                            "description": {
                                "zh": "选择需要出示的电子证照，生成带有效期的亮证二维码",
                                "en": "Choose the electronic licence to show; a QR code valid for a "
                                "limited time is generated",
                            },
                        }
                    ],
                ),
                "description": "办理流程: the official process steps (the plain-language guide has its own).",
            },
            "materials": {"type": "array", "items": ref("Material")},
            "fees": obj(
                ["charged", "description", "items"],
                {"charged": BOOLEAN, "description": STRING, "items": {"type": "array"}},
            ),
            "online": obj(
                ["pc", "mobile"],
                {"pc": NULLABLE_STRING, "mobile": NULLABLE_STRING, "unlinked": UNLINKED},
                description=LINK_RULE,
            ),
            "visits": {"type": "integer", "minimum": 0, "maximum": 2},
            "appointment": obj(
                ["supported", "url"],
                {"supported": BOOLEAN, "url": NULLABLE_STRING, "unlinked": UNLINKED},
                description=LINK_RULE,
            ),
            "phones": obj(["enquiry", "complaint"], {"enquiry": STRING, "complaint": STRING}),
            "keywords": {"type": "array", "items": STRING},
            "reform_2023": BOOLEAN,
            "guide": {
                "oneOf": [
                    obj(
                        ["summary", "summary_doc", "steps", "faq"],
                        {
                            "summary": ref("Bilingual"),
                            "summary_doc": obj(
                                ["zh", "en"],
                                {"zh": ref("GuideText"), "en": ref("GuideText")},
                                description="The summary parsed from its Markdown subset: render it as "
                                "elements with text content, never as HTML. `summary` is the Markdown.",
                            ),
                            "steps": {"type": "array", "items": ref("Bilingual")},
                            "faq": {
                                "type": "array",
                                "items": obj(["q", "a"], {"q": ref("Bilingual"), "a": ref("Bilingual")}),
                            },
                        },
                        description="The plain-language guide (白话).",
                    ),
                    {"type": "null"},
                ]
            },
            "counters": {"type": "array", "items": ref("CounterRef")},
        },
    ),
    "Route": obj(
        [
            "hall",
            "model",
            "from",
            "to",
            "accessible",
            "length_m",
            "time_s",
            "legs",
            "floor_changes",
            "steps",
            "scenes",
            "arrival",
        ],
        {
            "asked": {
                "type": "string",
                "description": "The nearest:<type> asked for, when `to` is what it chose.",
            },
            "scenes": {
                "type": "array",
                "items": STRING,
                "description": "The panorama scenes to pass, in order: linked one to the next, none twice, the "
                "last the one that sees the target nearest to it (or, if none sees it, the nearest one).",
            },
            "arrival": {
                "oneOf": [
                    {"type": "null"},
                    obj(
                        ["scene", "yaw", "pitch", "fov", "visible", "distance_m", "where"],
                        {
                            "scene": STRING,
                            "yaw": {"type": "number", "minimum": -180, "maximum": 180},
                            "pitch": {"type": "number", "minimum": -90, "maximum": 90},
                            "fov": {"type": "number", "minimum": 1, "maximum": 120},
                            "visible": BOOLEAN,
                            "distance_m": {"type": "number", "minimum": 0},
                            "where": {"oneOf": [{"type": "null"}, ref("Bilingual")]},
                        },
                    ),
                ],
                "description": "The view on arrival in the last scene: centred on the target when it is visible "
                "there, else facing the way the walk came in, with `where` saying where the target lies.",
            },
            "hall": STRING,
            "model": {"type": "string", "description": "The published model the route was computed on."},
            "from": STRING,
            "to": STRING,
            "accessible": BOOLEAN,
            "length_m": {"type": "number", "minimum": 0},
            "time_s": {"type": "integer", "minimum": 0},
            "legs": {
                "type": "array",
                "items": obj(
                    ["floor", "polyline"],
                    {
                        "floor": INTEGER,
                        "polyline": {
                            "type": "array",
                            "minItems": 1,
                            "items": {
                                "type": "array",
                                "items": {"type": "number"},
                                "minItems": 3,
                                "maxItems": 3,
                            },
                            "description": "Model coordinates (x, y, z) in metres; y is the floor's elevation.",
                        },
                    },
                ),
            },
            "floor_changes": {
                "type": "array",
                "items": obj(
                    ["connector", "type", "from_floor", "to_floor"],
                    {
                        "connector": STRING,
                        "type": {"enum": list(CONNECTOR_TYPES)},
                        "from_floor": INTEGER,
                        "to_floor": INTEGER,
                    },
                ),
            },
            "steps": {"type": "array", "items": ref("Bilingual")},
        },
    ),
    "SearchIndex": obj(
        ["hall", "entries"],
        {
            "hall": STRING,
            "entries": {
                "type": "array",
                "items": obj(
                    ["kind", "key", "name", "fields", "result"],
                    {
                        "kind": {"enum": ["service", "counter", "facility"]},
                        "key": STRING,
                        "name": {"type": "string", "description": "The normalized Chinese name"},
                        "fields": {
                            "type": "object",
                            "description": "The search index's strings by field: name, keyword, exact, "
                            "pinyin, initials, english, department (lists), number (a counter's)",
                        },
                        "result": {
                            "type": "object",
                            "description": "The entry as /search?hall= answers it, without score and match",
                        },
                    },
                ),
            },
        },
    ),
    "SearchResults": obj(
        ["query", "hall", "services", "counters", "facilities", "suggestions", "changes_at"],
        {
            "query": STRING,
            "hall": NULLABLE_STRING,
            "changes_at": {
                "type": ["string", "null"],
                "format": "date-time",
                "description": "When a state in this answer may next change: ask again then.",
            },
            "services": {
                "type": "array",
                "items": obj(
                    [
                        "id",
                        "name",
                        "department",
                        "score",
                        "match",
                        "available_here",
                        "counters",
                        "best_counter",
                        "url",
                    ],
                    {
                        "id": STRING,
                        "name": ref("Bilingual"),
                        "department": ref("Department"),
                        "score": {"type": "number"},
                        "match": STRING,
                        "available_here": {"type": ["boolean", "null"]},
                        "counters": {"type": "array", "items": ref("CounterBrief")},
                        "best_counter": {
                            "type": ["string", "null"],
                            "description": "with `hall`: `counter:<number>` of the best counter there",
                        },
                        "url": STRING,
                    },
                ),
            },
            "counters": {
                "type": "array",
                "items": obj(
                    [
                        "hall",
                        "number",
                        "name",
                        "department",
                        "floor",
                        "floor_name",
                        "status",
                        "state",
                        "score",
                        "match",
                        "url",
                    ],
                    {
                        "hall": STRING,
                        "number": STRING,
                        "name": ref("Bilingual"),
                        "department": ref("Department"),
                        "floor": INTEGER,
                        "floor_name": ref("Bilingual"),
                        "status": STATUS,
                        "state": {"oneOf": [ref("CounterState"), {"type": "null"}]},
                        "score": {"type": "number"},
                        "match": STRING,
                        "url": STRING,
                    },
                ),
            },
            "facilities": {
                "type": "array",
                "description": "Facilities (toilets, 母婴室, lifts …) found by name or by the everyday words for "
                "their type (厕所, WC, AED); with ``hall``, that hall's only. Listed only when they score near the "
                "best service or counter, so service queries are not drowned.",
                "items": obj(
                    ["hall", "id", "type", "name", "floor", "floor_name", "score", "match", "target"],
                    {
                        "hall": STRING,
                        "id": STRING,
                        "type": {"type": "string", "enum": FACILITY_TYPES},
                        "name": ref("Bilingual"),
                        "floor": INTEGER,
                        "floor_name": ref("Bilingual"),
                        "score": {"type": "number"},
                        "match": STRING,
                        "target": {
                            "type": "string",
                            "description": "The place key for the route API: ``facility:<id>``.",
                        },
                    },
                ),
            },
            "suggestions": {
                "type": "array",
                "items": obj(["id", "name", "url"], {"id": STRING, "name": ref("Bilingual"), "url": STRING}),
                "description": "Offered when nothing matched.",
            },
        },
    ),
}


def error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ref("Error")}}}


# Every successful answer (and every 304) carries these; the property tests check they are there.
CACHE_HEADERS = {
    "ETag": {
        "schema": STRING,
        "required": True,
        "description": "Send back as If-None-Match to get 304 when unchanged.",
    },
    "Cache-Control": {"schema": {"type": "string", "pattern": "max-age=[0-9]+"}, "required": True},
}


def json_ok(schema: str, description: str) -> dict[str, Any]:
    """A 200 answer with a JSON body of component *schema*, an ETag and caching headers."""
    return {
        "description": description,
        "headers": CACHE_HEADERS,
        "content": {"application/json": {"schema": ref(schema)}},
    }


def file_ok(media: str, description: str) -> dict[str, Any]:
    """A 200 answer that is a file of type *media* rather than JSON, with an ETag and caching headers."""
    return {
        "description": description,
        "headers": CACHE_HEADERS,
        "content": {media: {"schema": {"type": "string", "contentMediaType": media}}},
    }


NOT_MODIFIED = {
    "description": "Not modified: the If-None-Match ETag still matches.",
    "headers": CACHE_HEADERS,
}


def param(name: str, where: str, schema: dict[str, Any], description: str | None = None, **extra: Any):
    """One parameter object (``where``: path, query or header); path parameters are always required."""
    out = {"name": name, "in": where, "required": where == "path", "schema": schema, **extra}
    if description:
        out["description"] = description
    return out


def slug(*examples: str) -> dict[str, Any]:
    """A slug schema with *examples* (the property tests start from them, so real answers get checked)."""
    return {"type": "string", "pattern": SLUG_PATTERN, "examples": list(examples)}


# What Python's str.strip() trims (http.query_text), spelled out: a pattern's \s is ECMA-262's, which differs
# (U+0085 is not in it, U+FEFF is).
BLANK = "".join(f"\\u{ord(c):04x}" for c in map(chr, range(0x3001)) if c.isspace() and ord(c) > 0x1F)
# A search query: not blank and no control characters, as http.query_text checks.
QUERY_PATTERN = rf"^[^\x00-\x1f]*[^\x00-\x1f{BLANK}][^\x00-\x1f]*$"
# Parameters by the name the operation table uses (several share an OpenAPI name: "id", "hall").
PARAMETERS: dict[str, dict[str, Any]] = {
    "hall": param("hall", "path", slug("guigang", "pingnan"), "Hall slug, e.g. guigang."),
    "number": param(
        "number",
        "path",
        {"type": "string", "pattern": COUNTER_NUMBER_PATTERN, "examples": ["B03", "A01"]},
        "Printed counter number, e.g. B03 (lower case is accepted too).",
    ),
    "service": param("id", "path", slug("scjg-qykb"), "Service item id, e.g. scjg-qykb."),
    "level": param(
        "level",
        "path",
        {"type": "integer", "minimum": -999, "maximum": 999, "examples": [1, 2]},
        "The floor's level (1 is the ground floor; negative below ground).",
    ),
    "q": param(
        "q",
        "query",
        {
            "type": "string",
            "minLength": 1,
            "maxLength": 100,
            "pattern": QUERY_PATTERN,
            "examples": ["营业执照", "yyzz", "厕所"],
        },
        "Chinese, pinyin, pinyin initials, a counter number or an everyday phrase; at most 100 characters, "
        "not blank, no control characters.",
        required=True,
    ),
    "hall?": param(
        "hall", "query", slug("guigang"), "Rank this hall's services first and name its counters."
    ),
    "limit": param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 50}),
    "for": param("for", "query", {"enum": ["mobile", "pc", "appointment"]}),
    "url": param(
        "url",
        "query",
        {"type": "string", "pattern": r"^https?://[!-~]{1,490}$", "examples": ["https://zwfw.gxzf.gov.cn/"]},
        "An address of this site, or an https address on the allowed domains (LINK_ALLOWED_DOMAINS).",
        required=True,
    ),
    "v": param("v", "query", STRING, "The model hash from the hall document: the answer is then immutable."),
    "from": param(
        "from",
        "query",
        {
            "type": "string",
            "pattern": rf"^(entrance|scene|counter|facility|kiosk):{PLACE_KEY_PATTERN}$",
            "examples": ["entrance:main"],
        },
        "entrance:main, scene:<id>, counter:<number>, facility:<id> or kiosk:<id> (a registered kiosk of "
        "the hall: the route starts at the point where it stands)",
        required=True,
    ),
    "to": param(
        "to",
        "query",
        {
            "type": "string",
            "pattern": rf"^((counter|facility|scene):{PLACE_KEY_PATTERN}|nearest:({'|'.join(FACILITY_TYPES)}))$",
            "examples": ["counter:B03", "nearest:toilet", "facility:toilet-2"],
        },
        "counter:<number>, facility:<id>, scene:<id>, or nearest:<facility type> (the nearest facility of "
        f"that type on foot, one of {', '.join(FACILITY_TYPES)})",
        required=True,
    ),
    "accessible": param(
        "accessible", "query", {"enum": ["0", "1", "true", "false"]}, "1: step-free (lifts only)"
    ),
    "lang": param("lang", "query", {"enum": ["zh", "en"]}),
    "If-None-Match": param("If-None-Match", "header", STRING),
}


@dataclass(frozen=True)
class Operation:
    """One GET operation: ``answer`` is a component schema name (a JSON body) or ``(media type,
    description)`` for a file; ``params`` are keys of ``PARAMETERS``; ``errors`` maps status to reason."""

    path: str
    op_id: str
    summary: str
    answer: str | tuple[str, str]
    params: tuple[str, ...] = ()
    errors: tuple[tuple[str, str], ...] = ()
    conditional: bool = True  # answers 304 to If-None-Match
    # A file that answers a Range header with 206 (416 past its end). The header is not listed as a
    # parameter: werkzeug answers a malformed one 416 where a generator expects 400.
    ranges: bool = False


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "/halls", "listHalls", "List the halls / 大厅列表", "HallList", errors=(("400", "Unknown parameter"),)
    ),
    Operation(
        "/halls/{hall}",
        "getHall",
        "A hall with floors, counters, facilities and scenes / 大厅详情",
        "Hall",
        ("hall",),
        (("400", "Malformed hall slug"), ("404", "No such hall")),
    ),
    Operation(
        "/halls/{hall}/states",
        "getHallStates",
        "Every counter's opening state now / 各窗口当前办公状态",
        "HallStates",
        ("hall",),
        (("400", "Malformed hall slug"), ("404", "No such hall")),
    ),
    Operation(
        "/halls/{hall}/counters/{number}",
        "getCounter",
        "One counter with its services in full / 窗口详情",
        "CounterDetail",
        ("hall", "number"),
        (("400", "Malformed hall or counter number"), ("404", "No such hall or counter")),
    ),
    Operation(
        "/services/{id}",
        "getService",
        "A service item with its guide and counters / 事项详情",
        "Service",
        ("service",),
        (("400", "Malformed id"), ("404", "No such service item")),
    ),
    Operation(
        "/services/{id}/qr.svg",
        "getServiceQr",
        "QR code of the online-application address / 网上办理二维码",
        ("image/svg+xml", "SVG"),
        ("service", "for"),
        (
            ("400", "Malformed id or parameter"),
            ("404", "No such service, or no appointment address"),
        ),
    ),
    Operation(
        "/qr.svg",
        "getAddressQr",
        "QR code of an allowed address (what a kiosk shows instead of a link) / 地址二维码",
        ("image/svg+xml", "SVG"),
        ("url",),
        (
            ("400", "Missing or malformed url"),
            ("404", "Not an address of this site or an allowed domain: no code is made of it"),
        ),
    ),
    Operation(
        "/search",
        "search",
        "Search services, counters and facilities / 搜索事项、窗口与设施",
        "SearchResults",
        ("q", "hall?", "limit"),
        (("400", "Missing, too long or malformed parameter"), ("404", "No such hall (the hall parameter)")),
    ),
    Operation(
        "/halls/{hall}/search-index",
        "getSearchIndex",
        "A hall's search index for a kiosk without the server / 自助终端离线搜索索引",
        "SearchIndex",
        ("hall",),
        (("400", "Malformed hall slug or unknown parameter"), ("404", "No such hall")),
    ),
    Operation(
        "/halls/{hall}/model.glb",
        "getModel",
        "The published hall model (GLB) / 大厅三维模型",
        ("model/gltf-binary", "glTF 2.0 binary"),
        ("hall", "v"),
        (
            ("400", "Malformed hall slug or unknown parameter"),
            ("404", "No such hall, or no model published yet"),
            ("416", "The Range asked for lies past the end of the file"),
        ),
        ranges=True,
    ),
    Operation(
        "/halls/{hall}/route",
        "getRoute",
        "A walking route with directions / 路线指引",
        "Route",
        ("hall", "from", "to", "accessible"),
        (
            ("400", "Malformed parameter"),
            ("404", "No such hall, place, or no model published yet"),
            ("422", "The target cannot be reached (for example no step-free way)"),
        ),
    ),
    Operation(
        "/halls/{hall}/floors/{level}/plan.svg",
        "getFloorPlan",
        "A floor plan drawn from the model / 楼层平面图",
        ("image/svg+xml", "SVG"),
        ("hall", "level", "lang"),
        (
            ("400", "Malformed parameter"),
            ("404", "No such hall or floor, or no model published yet"),
        ),
    ),
    Operation(
        "/openapi.json",
        "openapi",
        "This document",
        ("application/json", "OpenAPI 3.1"),
        errors=(("400", "Unknown parameter"),),
        conditional=False,
    ),
)

INFO = {
    "title": "虚拟政务服务大厅 API / Virtual Service Hall API",
    "version": "1.0.0",
    "description": "Read-only public API: halls, counters, service items (with plain-language guides) "
    "and search. Every error has the Error shape, in zh-CN with an English message.",
    "license": {"name": "MIT", "identifier": "MIT"},
}


def build_operation(op: Operation) -> dict[str, Any]:
    """The path item of one table row."""
    if isinstance(op.answer, str):
        ok = json_ok(op.answer, op.summary)
    elif op.answer[0] == "application/json":
        ok = {"description": op.answer[1], "content": {op.answer[0]: {"schema": {"type": "object"}}}}
    else:
        ok = file_ok(*op.answer)
    responses = {"200": ok}
    parameters = [PARAMETERS[name] for name in op.params]
    if op.conditional:
        responses["304"] = NOT_MODIFIED
        parameters.append(PARAMETERS["If-None-Match"])
    if op.ranges:
        responses["206"] = {
            **file_ok(op.answer[0], "The bytes asked for by Range"),
            "headers": {**CACHE_HEADERS, "Content-Range": {"schema": STRING, "required": True}},
        }
    responses.update({code: error_response(reason) for code, reason in op.errors})
    get: dict[str, Any] = {"operationId": op.op_id, "summary": op.summary, "tags": ["public"]}
    if parameters:
        get["parameters"] = parameters
    get["responses"] = responses
    return {"get": get}


def document() -> dict[str, Any]:
    """The whole OpenAPI 3.1 document: the public API, and the admin API (tag admin)."""
    from ..admin import openapi as admin

    return {
        "openapi": "3.1.0",
        "info": INFO,
        "servers": [{"url": "/api/v1"}],
        "tags": [
            {"name": "public", "description": "The read-only public API"},
            admin.TAG,
            {"name": "kiosk", "description": "What kiosk pages send: their heartbeat"},
        ],
        "paths": {**{op.path: build_operation(op) for op in OPERATIONS}, **admin.PATHS},
        "components": {"schemas": {**SCHEMAS, **admin.SCHEMAS}, "securitySchemes": admin.SECURITY_SCHEMES},
    }


@functools.cache
def _body() -> bytes:
    # Built on first use, not at import: the document reads the admin package, which imports the pages
    # module, which imports this package — built at import, that cycle broke whichever module came first.
    return encode(document())


@bp.get("/openapi.json")
def openapi_json():
    """Serve the OpenAPI document."""
    reject_unknown_args()
    return json_response(_body())
