"""The admin API's part of the OpenAPI document (tag ``admin``): its paths, schemas and security schemes,
merged into the public document by ``server.web.api.openapi.document``."""

from __future__ import annotations

from typing import Any

from ...catalogue.editing import FORM_SCHEMA
from ...panoramas.metadata import WARNINGS as METADATA_WARNINGS
from ...publishing.halldata import SCENE_KEYS
from ...vocabulary import (
    COUNTER_NUMBER_PATTERN,
    COUNTER_STATUSES,
    COUNTER_TYPES,
    KIOSK_COUNTDOWN_DEFAULT,
    KIOSK_COUNTDOWN_RANGE,
    KIOSK_IDLE_DEFAULT,
    KIOSK_IDLE_RANGE,
    PLACE_KEY_PATTERN,
    ROLES,
    SLUG_PATTERN,
    USER_NAME_PATTERN,
)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


STRING = {"type": "string"}
PAIR_TEXT = {"type": "object", "required": ["zh", "en"], "properties": {"zh": STRING, "en": STRING}}
READABLE = {
    "type": "object",
    "description": "The changes as staff read them: key → {name: {zh, en}, fields: {field: {label, before, after}}} "
    "(each {zh, en}): vocabulary labels, names beside codes, hours as text",
}
TIME = {"type": "string", "format": "date-time"}
ROLE = {"type": "string", "enum": list(ROLES)}
SLUGS = {"type": "array", "items": {"type": "string", "pattern": SLUG_PATTERN}}

KIOSK_FIELDS = ["id", "hall", "floor", "x", "z", "facing", "idle_seconds", "countdown_seconds", "audio"]
KIOSK_PROPERTIES: dict[str, Any] = {
    "id": {"type": "string", "pattern": SLUG_PATTERN, "description": "e.g. pn-entrance-1"},
    "hall": {"type": "string", "pattern": SLUG_PATTERN},
    "floor": {"type": "integer", "description": "Floor level"},
    "x": {"type": "number", "description": "Plan position, metres (model space; docs/ARCHITECTURE.md)"},
    "z": {"type": "number", "description": "Plan position, metres (north is −z)"},
    "facing": {
        "type": "number",
        "minimum": 0,
        "exclusiveMaximum": 360,
        "description": "Bearing the screen faces: degrees clockwise from north",
    },
    "idle_seconds": {
        "type": "integer",
        "minimum": KIOSK_IDLE_RANGE[0],
        "maximum": KIOSK_IDLE_RANGE[1],
        "default": KIOSK_IDLE_DEFAULT,
    },
    "countdown_seconds": {
        "type": "integer",
        "minimum": KIOSK_COUNTDOWN_RANGE[0],
        "maximum": KIOSK_COUNTDOWN_RANGE[1],
        "default": KIOSK_COUNTDOWN_DEFAULT,
    },
    "audio": {"type": "boolean", "default": False},
}

SCHEMAS: dict[str, Any] = {
    "AdminSession": _obj(
        ["user", "csrf_token", "idle_expires_at", "expires_at"],
        {
            "user": _obj(
                ["name", "role", "halls", "all_halls"],
                {"name": STRING, "role": ROLE, "halls": SLUGS, "all_halls": {"type": "boolean"}},
            ),
            "csrf_token": {"type": "string", "description": "Send as X-CSRF-Token on every write."},
            "idle_expires_at": TIME,
            "expires_at": TIME,
        },
    ),
    "AdminSignIn": _obj(
        ["username", "password"],
        {
            "username": {"type": "string", "pattern": USER_NAME_PATTERN},
            "password": {"type": "string", "minLength": 1},
        },
    ),
    "AdminUserList": _obj(
        ["users"],
        {
            "users": {
                "type": "array",
                "items": _obj(
                    ["name", "role", "role_label", "halls", "disabled", "created_at", "last_login_at"],
                    {
                        "name": STRING,
                        "role": ROLE,
                        "role_label": _ref("Bilingual"),
                        "halls": SLUGS,
                        "disabled": {"type": "boolean"},
                        "created_at": TIME,
                        "last_login_at": {"type": ["string", "null"], "format": "date-time"},
                    },
                ),
            }
        },
    ),
    "AdminHall": _obj(
        ["slug", "name", "may_edit"],
        {"slug": STRING, "name": _ref("Bilingual"), "may_edit": {"type": "boolean"}},
    ),
    "AdminHallList": _obj(["halls"], {"halls": {"type": "array", "items": _ref("AdminHall")}}),
    "AdminServiceList": _obj(
        ["services", "total", "page", "per_page"],
        {
            "services": {
                "type": "array",
                "items": _obj(
                    ["slug", "code", "name", "department", "type", "version", "changed", "url"],
                    {
                        "slug": STRING,
                        "code": STRING,
                        "name": _ref("Bilingual"),
                        "department": STRING,
                        "type": STRING,
                        "version": {"type": "integer"},
                        "changed": {"type": "boolean", "description": "Added or changed in the draft"},
                        "url": STRING,
                    },
                ),
            },
            "total": {"type": "integer", "minimum": 0},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1},
            "draft": {"type": "boolean", "description": "Whether the catalogue has a draft"},
            "removed": {"type": "array", "items": STRING, "description": "Slugs the draft removes"},
        },
    ),
    "AdminServiceForm": {
        **FORM_SCHEMA,
        "description": "One service item's editable data. The guide's summaries are Markdown of the safe "
        "subset (bold, italic, lists, links to allowed government addresses).",
    },
    "AdminService": {
        **FORM_SCHEMA,
        "required": [*FORM_SCHEMA["required"], "version"],
        "properties": {
            **FORM_SCHEMA["properties"],
            "version": {"type": "integer", "description": "Raised by every saved change; send it back."},
        },
        "description": "A service item of the catalogue's draft, with its version.",
    },
    "AdminServiceEdit": {
        "type": "object",
        "description": "Fields of AdminServiceForm to change (each replaced whole), with the version read "
        "(or send If-Match).",
        "properties": {"version": {"type": "integer"}},
    },
    "AdminCatalogueVersionList": _obj(
        ["scope", "versions"],
        {"scope": STRING, "versions": {"type": "array", "items": _ref("AdminVersion")}},
    ),
    "AdminServiceProblems": _obj(
        ["problems"],
        {
            "problems": {
                "type": "array",
                "items": _obj(
                    ["field", "zh", "en"],
                    {
                        "field": {
                            "type": "string",
                            "description": "e.g. materials[2].copies, guide.summary_zh",
                        },
                        "zh": STRING,
                        "en": STRING,
                    },
                ),
                "description": "Every problem at its field; empty when the form may be saved.",
            },
            "preview": {
                "type": "object",
                "description": "The guide's summary_zh and summary_en as the token tree the panel renders",
            },
        },
    ),
    "AdminKiosk": _obj(
        [*KIOSK_FIELDS, "version", "created_at", "updated_at", "online", "heartbeat"],
        {
            **KIOSK_PROPERTIES,
            "version": {"type": "string", "description": "The settings' version: send it with a change"},
            "created_at": TIME,
            "updated_at": TIME,
            "online": {"type": "boolean", "description": "Seen within two heartbeat intervals"},
            "heartbeat": _obj(
                ["at", "version", "uptime", "errors"],
                {
                    "at": {"type": ["string", "null"], "format": "date-time"},
                    "version": {"type": ["string", "null"]},
                    "uptime": {"type": ["integer", "null"], "description": "Seconds the page had run"},
                    "errors": {
                        "type": "array",
                        "items": _obj(["at", "text"], {"at": TIME, "text": STRING}),
                        "description": "The latest errors the kiosk reported (bounded)",
                    },
                },
            ),
        },
    ),
    "KioskHeartbeat": {
        **_obj(
            ["version", "uptime"],
            {
                "version": {"type": "string", "minLength": 1, "maxLength": 64},
                "uptime": {"type": "number", "minimum": 0},
                "errors": {"type": "array", "maxItems": 10, "items": STRING},
            },
        ),
        "additionalProperties": False,
    },
    "KioskHeartbeatAnswer": _obj(
        ["recorded", "version"],
        {"recorded": {"type": "boolean"}, "version": {"type": "string", "description": "Published now"}},
    ),
    "AdminKioskInput": {
        **_obj(["id", "hall", "floor", "x", "z", "facing"], KIOSK_PROPERTIES),
        "additionalProperties": False,
    },
    "AdminKioskChange": {
        "type": "object",
        "description": "Any of the fields to change; id and hall stay (remove and register again to move halls).",
        "properties": {
            **{k: v for k, v in KIOSK_PROPERTIES.items() if k not in ("id", "hall")},
            "version": {"type": "string", "description": "The version the change is based on: 409 if stale"},
        },
        "additionalProperties": False,
    },
    "AdminKioskList": _obj(["kiosks"], {"kiosks": {"type": "array", "items": _ref("AdminKiosk")}}),
    "AdminCounter": _obj(
        ["number", "version"],
        {
            "number": {"type": "string", "pattern": COUNTER_NUMBER_PATTERN},
            "version": {"type": "integer", "description": "Raised by every saved change; send it back."},
            "name": _ref("Bilingual"),
            "type": {"type": "string", "enum": list(COUNTER_TYPES)},
            "department": {"type": ["string", "null"], "description": "Department code"},
            "zone": {"type": "string", "description": "Zone code in this hall"},
            "floor": {"type": "integer"},
            "status": {"type": "string", "enum": list(COUNTER_STATUSES)},
            "notice": {
                "oneOf": [_ref("Bilingual"), {"type": "null"}],
                "description": "Told to citizens while paused or closed; at most 200 characters each.",
            },
            "hours": _ref("Hours"),
            "phone": {"type": ["string", "null"]},
            "low_counter": {"type": "boolean"},
            "node": {"type": "string", "description": "Its node in the hall model (counter:<number>)"},
            "services": {"type": "array", "items": STRING, "description": "Service item ids"},
        },
    ),
    "AdminEdit": {
        "type": "object",
        "description": "Fields to change (any of AdminCounter's or AdminFacts'), with the version read "
        "(or send If-Match). To add, every field of AdminCounter but version (defaults for the rest).",
        "properties": {"version": {"type": "integer"}},
    },
    "AdminCounterList": _obj(
        ["hall", "draft", "base_version", "counters"],
        {
            "hall": STRING,
            "draft": {"type": "boolean", "description": "Whether these are a draft's (else the published)"},
            "base_version": {"type": "integer"},
            "counters": {"type": "array", "items": _ref("AdminCounter")},
        },
    ),
    "AdminFacts": _obj(
        ["version"],
        {
            "version": {"type": "integer"},
            "name": _ref("Bilingual"),
            "short_name": {"oneOf": [_ref("Bilingual"), {"type": "null"}]},
            "address": _ref("Bilingual"),
            "phone": STRING,
            "hours": _ref("Hours"),
            "time_zone": STRING,
            "calendar": STRING,
            "access": {"type": ["object", "null"]},
            "hour_presets": {"type": ["object", "null"], "additionalProperties": _ref("Hours")},
        },
    ),
    "AdminDiff": _obj(
        ["scope", "published_version", "base_version", "draft", "changes"],
        {
            "scope": STRING,
            "published_version": {"type": "integer"},
            "base_version": {"type": "integer"},
            "draft": {"type": "boolean"},
            "changes": {
                "type": "object",
                "description": "Per collection (counters): added and removed {key: object}, changed {key: "
                "{field: {before, after}}}; per single object (facts): changed {field: {before, after}}.",
            },
            "labels": {**READABLE, "description": "Per collection or single: " + READABLE["description"]},
        },
    ),
    "AdminVersion": _obj(
        ["number", "created_by", "created_at", "summary", "restored_from"],
        {
            "number": {"type": "integer"},
            "created_by": {"type": ["string", "null"]},
            "created_at": TIME,
            "summary": STRING,
            "restored_from": {"type": ["integer", "null"]},
            "snapshot": {
                "type": "object",
                "description": "GET …/versions/{n} only: {facts, counters, scenes}",
            },
            "check": {
                "$ref": "#/components/schemas/AdminSceneCheck",
                "description": "Publish and restore only: the check before publishing (its warnings; errors refuse)",
            },
        },
    ),
    "AdminVersionList": _obj(
        ["hall", "versions"], {"hall": STRING, "versions": {"type": "array", "items": _ref("AdminVersion")}}
    ),
    "AdminPublish": {
        "type": "object",
        "properties": {"summary": {"type": "string", "maxLength": 500}},
    },
    "AdminAuditList": _obj(
        ["total", "page", "per_page", "entries"],
        {
            "total": {"type": "integer"},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "entries": {
                "type": "array",
                "items": _obj(
                    ["id", "at", "user", "scope", "object_type", "object_id", "action", "summary"],
                    {
                        "id": {"type": "integer"},
                        "at": TIME,
                        "user": {"type": ["string", "null"]},
                        "scope": {"type": ["string", "null"]},
                        "object_type": STRING,
                        "object_id": {"type": ["string", "null"]},
                        "action": STRING,
                        "before": {},
                        "after": {},
                        "summary": STRING,
                    },
                ),
            },
        },
    ),
    "AdminSheetReport": _obj(
        ["dry_run", "applied", "sheet", "notes", "rows", "changes", "labels", "bad_rows", "base"],
        {
            "hall": {**STRING, "description": "The hall (counter sheets only)"},
            "dry_run": {"type": "boolean"},
            "applied": {"type": "boolean"},
            "sheet": {"type": ["string", "null"], "description": "The .xlsx sheet read (null for CSV)"},
            "notes": {"type": "array", "items": _obj(["zh", "en"], {"zh": STRING, "en": STRING})},
            "rows": {"type": "integer", "description": "Rows read below the header (empty rows skipped)"},
            "changes": _obj(
                ["added", "changed", "removed"],
                {
                    "added": {"type": "object", "description": "key (number, service id): the object"},
                    "changed": {"type": "object", "description": "key: {field: {before, after}}"},
                    "removed": {"type": "object", "description": "key: the object"},
                },
            ),
            "labels": READABLE,
            "bad_rows": {
                "type": "array",
                "items": _obj(
                    ["sheet", "row", "field", "zh", "en"],
                    {
                        "sheet": {"type": ["string", "null"], "description": "The sheet (null for CSV)"},
                        "row": {
                            "type": ["integer", "null"],
                            "description": "As the spreadsheet numbers it; null for what is missing from the sheet",
                        },
                        "field": STRING,
                        "zh": STRING,
                        "en": STRING,
                    },
                ),
            },
            "base": {
                "type": "string",
                "description": "The draft version this report was computed against: send it back as ?base= "
                "when applying (409 stale_preview when the draft changed since)",
            },
        },
    ),
}

SECURITY_SCHEMES = {
    "staffSession": {
        "type": "apiKey",
        "in": "cookie",
        "name": "vhall_admin",
        "description": "The session cookie set by signing in (__Host-vhall_admin over HTTPS).",
    },
    "csrfToken": {
        "type": "apiKey",
        "in": "header",
        "name": "X-CSRF-Token",
        "description": "The session's csrf_token (GET /admin/session); required on every write.",
    },
}
READ = [{"staffSession": []}]
WRITE = [{"staffSession": [], "csrfToken": []}]


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _json(schema: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {"Cache-Control": {"schema": STRING, "description": "Always no-store."}},
        "content": {"application/json": {"schema": _ref(schema)}},
    }


UNAUTHENTICATED = ("401", "Not signed in, or the session ended (idle or absolute timeout)")
FORBIDDEN = ("403", "The account's role or halls do not allow this")


def _op(
    op_id: str, summary: str, ok: tuple[str, dict[str, Any]], errors, security, **extra
) -> dict[str, Any]:
    responses = {ok[0]: ok[1], **{code: _error(reason) for code, reason in errors}}
    return {
        "operationId": op_id,
        "summary": summary,
        "tags": ["admin"],
        "security": security,
        "responses": responses,
        **extra,
    }


HALL = {"name": "hall", "in": "path", "required": True, "schema": {"type": "string", "pattern": SLUG_PATTERN}}
NUMBER = {
    "name": "number",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": COUNTER_NUMBER_PATTERN},
}
VERSION_N = {"name": "number", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0}}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "The object's version the change started from (or a version field in the body).",
}
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BINARY = {"type": "string", "contentMediaType": "application/octet-stream"}
SHEET_FORMAT = {
    "name": "format",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "enum": ["xlsx", "csv"]},
}
NO_HALL = ("404", "No such hall or object")
BASE = {
    "name": "base",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "pattern": "^[0-9A-Za-z]{1,64}$"},
    "description": "The dry run's base (the draft version it was computed against): required to apply (428 "
    "without it), 409 when the draft changed since",
}
CSRF = ("403", "The account's role or halls do not allow this, or the CSRF token is missing or wrong")
CONFLICT = ("409", "Changed by someone else since the version sent: details.current, changed_by, changed_at")
INVALID = ("422", "Fields at fault: details is a list of {field, zh, en}")
NO_VERSION = ("428", "No version sent (If-Match or version)")
NOT_JSON = ("415", "Not sent as JSON")
BAD_JSON = ("400", "The body is not a JSON object, or a parameter is invalid")


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _body(schema: str, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": _ref(schema)}}}


PATHS: dict[str, Any] = {
    "/admin/session": {
        "get": _op(
            "getAdminSession",
            "Who is signed in, role, halls and CSRF token / 当前登录信息",
            ("200", _json("AdminSession", "The session")),
            [UNAUTHENTICATED],
            READ,
        ),
        "post": _op(
            "signIn",
            "Sign in (sets the session cookie) / 登录",
            (
                "201",
                _json("AdminSession", "Signed in: a new session (any earlier one of this browser ended)"),
            ),
            [
                ("400", "User name or password missing"),
                ("401", "Wrong user name or password (the same answer for a name that does not exist)"),
                ("415", "Not sent as JSON"),
                ("429", "Too many failures for this name or address: locked; see Retry-After"),
            ],
            [],
            requestBody={"required": True, "content": {"application/json": {"schema": _ref("AdminSignIn")}}},
        ),
        "delete": _op(
            "signOut",
            "Sign out / 退出登录",
            ("204", {"description": "Signed out"}),
            [UNAUTHENTICATED, ("403", "CSRF token missing or wrong")],
            WRITE,
        ),
    },
    "/admin/users": {
        "get": _op(
            "listAdminUsers",
            "Staff accounts (admins only) / 工作人员账号",
            ("200", _json("AdminUserList", "Every account")),
            [UNAUTHENTICATED, FORBIDDEN],
            READ,
        )
    },
    "/admin/halls": {
        "get": _op(
            "listAdminHalls",
            "The halls the caller may see or edit / 可管理的大厅",
            ("200", _json("AdminHallList", "Halls")),
            [UNAUTHENTICATED],
            READ,
        )
    },
    "/admin/halls/{hall}": {
        "get": _op(
            "getAdminHall",
            "One hall the caller may see / 大厅",
            ("200", _json("AdminHall", "The hall")),
            [UNAUTHENTICATED, FORBIDDEN, ("404", "No such hall")],
            READ,
            parameters=[HALL],
        )
    },
}

SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string", "pattern": SLUG_PATTERN}}


PATHS.update(
    {
        "/admin/services": {
            "get": _op(
                "listAdminServices",
                "Service items, filtered and paginated / 事项列表",
                ("200", _json("AdminServiceList", "One page of service items, by slug")),
                [UNAUTHENTICATED, ("400", "A parameter is malformed")],
                READ,
                parameters=[
                    _query("q", {"type": "string", "minLength": 1}, "Text in the slug, code or names"),
                    _query("department", {"type": "string", "pattern": SLUG_PATTERN}, "A department code"),
                    _query("page", {"type": "integer", "minimum": 1, "default": 1}, "Page number"),
                    _query(
                        "per_page",
                        {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
                        "Page size",
                    ),
                ],
            ),
            "post": _op(
                "addAdminService",
                "Add a service item to the catalogue's draft / 新增事项（草稿）",
                ("201", _json("AdminService", "The item as saved; Location names it")),
                [UNAUTHENTICATED, CSRF, BAD_JSON, NOT_JSON, ("409", "The slug is taken"), INVALID],
                WRITE,
                requestBody=_body("AdminServiceForm"),
            ),
        },
        "/admin/services/{slug}": {
            "get": _op(
                "getAdminService",
                "One service item's editable form in the catalogue's draft / 事项表单",
                ("200", _json("AdminService", "The canonical form with its version (also as ETag)")),
                [UNAUTHENTICATED, ("400", "Malformed slug"), ("404", "No such service item")],
                READ,
                parameters=[SLUG],
            ),
            "patch": _op(
                "changeAdminService",
                "Change a service item in the catalogue's draft / 修改事项（草稿）",
                ("200", _json("AdminService", "The item as saved, with its new version")),
                [
                    UNAUTHENTICATED,
                    CSRF,
                    BAD_JSON,
                    ("404", "No such service item"),
                    NOT_JSON,
                    CONFLICT,
                    INVALID,
                    NO_VERSION,
                ],
                WRITE,
                parameters=[SLUG, IF_MATCH],
                requestBody=_body("AdminServiceEdit"),
            ),
            "delete": _op(
                "deleteAdminService",
                "Remove a service item in the catalogue's draft / 删除事项（草稿）",
                ("204", {"description": "Removed from the draft"}),
                [
                    UNAUTHENTICATED,
                    CSRF,
                    ("404", "No such service item"),
                    (
                        "409",
                        "Changed since the version sent, or still handled by counters (details.counters)",
                    ),
                    NO_VERSION,
                ],
                WRITE,
                parameters=[SLUG, IF_MATCH],
            ),
        },
        "/admin/services/check": {
            "post": _op(
                "checkAdminService",
                "Check a service form without saving it / 校验事项表单",
                ("200", _json("AdminServiceProblems", "The problems found (none: it may be saved)")),
                [
                    UNAUTHENTICATED,
                    ("403", "Not an editor or admin, or the CSRF token is missing or wrong"),
                    ("413", "The form is too large"),
                    ("415", "Not sent as JSON"),
                ],
                WRITE,
                requestBody={
                    "required": True,
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
            )
        },
    }
)
KIOSK = {
    "name": "kiosk",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": SLUG_PATTERN},
}
BAD_KIOSK = ("400", "A field is missing or wrong (the error names it), or the position is off the floor")
NO_KIOSK = ("404", "No such kiosk")


PATHS["/admin/kiosks"] = {
    "get": _op(
        "listKiosks",
        "The kiosks of the halls the caller may see / 自助终端列表",
        ("200", _json("AdminKioskList", "Kiosks")),
        [UNAUTHENTICATED],
        READ,
    ),
    "post": _op(
        "addKiosk",
        "Register a kiosk (admins; editors in their halls) / 登记自助终端",
        ("201", _json("AdminKiosk", "Registered; Location names it")),
        [
            BAD_KIOSK,
            UNAUTHENTICATED,
            FORBIDDEN,
            ("404", "No such hall"),
            ("409", "A kiosk of that id exists"),
            ("415", "Not sent as JSON"),
        ],
        WRITE,
        requestBody=_body("AdminKioskInput"),
    ),
}
PATHS["/admin/kiosks/{kiosk}"] = {
    "get": _op(
        "getKiosk",
        "One kiosk with its last heartbeat / 自助终端",
        ("200", _json("AdminKiosk", "The kiosk")),
        [UNAUTHENTICATED, FORBIDDEN, NO_KIOSK],
        READ,
        parameters=[KIOSK],
    ),
    "patch": _op(
        "changeKiosk",
        "Change a kiosk (admins; editors in their halls) / 修改自助终端",
        ("200", _json("AdminKiosk", "The kiosk as changed")),
        [
            BAD_KIOSK,
            UNAUTHENTICATED,
            FORBIDDEN,
            NO_KIOSK,
            ("409", "Changed by someone else since the version sent"),
            ("415", "Not sent as JSON"),
        ],
        WRITE,
        parameters=[KIOSK],
        requestBody=_body("AdminKioskChange"),
    ),
    "delete": _op(
        "removeKiosk",
        "Remove a kiosk (admins; editors in their halls) / 删除自助终端",
        ("204", {"description": "Removed"}),
        [UNAUTHENTICATED, FORBIDDEN, NO_KIOSK],
        WRITE,
        parameters=[KIOSK],
    ),
}

COUNTER_FILTERS = [
    _query("floor", {"type": "string", "pattern": "^-?[0-9]{1,3}$"}, "Floor level"),
    _query("zone", STRING, "Zone code"),
    _query("department", {"type": "string", "pattern": SLUG_PATTERN}, "Department code"),
    _query("status", {"type": "string", "enum": list(COUNTER_STATUSES)}, "Status"),
    _query("q", STRING, "Text in the number or name"),
    _query(
        "sort",
        {
            "type": "string",
            "enum": [
                p + k for k in ("number", "name", "floor", "zone", "department", "status") for p in ("", "-")
            ],
        },
        "Sort key (- for descending)",
    ),
]
AUDIT_FILTERS = [
    _query("hall", {"type": "string", "pattern": SLUG_PATTERN}, "Hall slug"),
    _query("scope", STRING, "Scope (hall:<slug>, catalogue)"),
    _query("user", STRING, "User name"),
    _query("object_type", STRING, "counter, facts, draft, version …"),
    _query("object_id", STRING, "A counter number, a version number …"),
    _query("since", {"type": "string"}, "From this moment (ISO 8601 date or time; UTC when no zone)"),
    _query("until", {"type": "string"}, "Before this moment (ISO 8601)"),
]
PATHS.update(
    {
        "/admin/halls/{hall}/counters": {
            "get": _op(
                "listDraftCounters",
                "The draft's counters, filtered and sorted / 草稿中的窗口",
                ("200", _json("AdminCounterList", "Counters")),
                [UNAUTHENTICATED, FORBIDDEN, NO_HALL, ("400", "A filter or sort is invalid")],
                READ,
                parameters=[HALL, *COUNTER_FILTERS],
            ),
            "post": _op(
                "addDraftCounter",
                "Add a counter to the draft / 新增窗口（草稿）",
                ("201", _json("AdminCounter", "Added; Location names it")),
                [UNAUTHENTICATED, CSRF, NO_HALL, BAD_JSON, ("409", "The number is taken"), NOT_JSON, INVALID],
                WRITE,
                parameters=[HALL],
                requestBody=_body("AdminEdit"),
            ),
        },
        "/admin/halls/{hall}/counters/{number}": {
            "get": _op(
                "getDraftCounter",
                "One counter of the draft (ETag: its version) / 窗口（草稿）",
                ("200", _json("AdminCounter", "The counter")),
                [UNAUTHENTICATED, FORBIDDEN, NO_HALL],
                READ,
                parameters=[HALL, NUMBER],
            ),
            "patch": _op(
                "changeDraftCounter",
                "Change a counter in the draft / 修改窗口（草稿）",
                ("200", _json("AdminCounter", "As saved, with its new version")),
                [UNAUTHENTICATED, CSRF, NO_HALL, BAD_JSON, CONFLICT, NOT_JSON, INVALID, NO_VERSION],
                WRITE,
                parameters=[HALL, NUMBER, IF_MATCH],
                requestBody=_body("AdminEdit"),
            ),
            "delete": _op(
                "deleteDraftCounter",
                "Remove a counter from the draft / 删除窗口（草稿）",
                ("204", {"description": "Removed from the draft"}),
                [UNAUTHENTICATED, CSRF, NO_HALL, BAD_JSON, CONFLICT, NO_VERSION],
                WRITE,
                parameters=[HALL, NUMBER, IF_MATCH],
            ),
        },
        "/admin/halls/{hall}/facts": {
            "get": _op(
                "getDraftFacts",
                "The hall's own facts in the draft / 大厅信息（草稿）",
                ("200", _json("AdminFacts", "The facts")),
                [UNAUTHENTICATED, FORBIDDEN, NO_HALL],
                READ,
                parameters=[HALL],
            ),
            "patch": _op(
                "changeDraftFacts",
                "Change the hall's own facts in the draft / 修改大厅信息（草稿）",
                ("200", _json("AdminFacts", "As saved, with the new version")),
                [UNAUTHENTICATED, CSRF, NO_HALL, BAD_JSON, CONFLICT, NOT_JSON, INVALID, NO_VERSION],
                WRITE,
                parameters=[HALL, IF_MATCH],
                requestBody=_body("AdminEdit"),
            ),
        },
        "/admin/halls/{hall}/draft/diff": {
            "get": _op(
                "getDraftDiff",
                "The draft against the published version / 草稿与已发布版本的差异",
                ("200", _json("AdminDiff", "Added, changed field by field, removed")),
                [UNAUTHENTICATED, FORBIDDEN, NO_HALL],
                READ,
                parameters=[HALL],
            )
        },
        "/admin/halls/{hall}/draft": {
            "delete": _op(
                "discardDraft",
                "Discard the draft / 放弃草稿",
                ("204", {"description": "Discarded"}),
                [UNAUTHENTICATED, CSRF, ("404", "No such hall, or no draft")],
                WRITE,
                parameters=[HALL],
            )
        },
        "/admin/halls/{hall}/publish": {
            "post": _op(
                "publishDraft",
                "Publish the draft as a new version, atomically / 发布草稿",
                ("201", _json("AdminVersion", "The new version; Location names it")),
                [
                    UNAUTHENTICATED,
                    CSRF,
                    NO_HALL,
                    (
                        "409",
                        "No draft; published since the draft began; the draft's counters and the draft's "
                        "model (its `model` entry, applied with it) are not one-to-one (details.report); or the "
                        "scene check found errors (details.check)",
                    ),
                    INVALID,
                ],
                WRITE,
                parameters=[HALL],
                requestBody=_body("AdminPublish", required=False),
            )
        },
        "/admin/halls/{hall}/versions": {
            "get": _op(
                "listVersions",
                "Published versions, newest first / 已发布版本",
                ("200", _json("AdminVersionList", "Versions")),
                [UNAUTHENTICATED, FORBIDDEN, NO_HALL],
                READ,
                parameters=[HALL],
            )
        },
        "/admin/halls/{hall}/versions/{number}": {
            "get": _op(
                "getVersion",
                "One published version with its snapshot / 版本内容",
                ("200", _json("AdminVersion", "The version")),
                [UNAUTHENTICATED, FORBIDDEN, ("404", "No such hall or version")],
                READ,
                parameters=[HALL, VERSION_N],
            )
        },
        "/admin/halls/{hall}/versions/{number}/restore": {
            "post": _op(
                "restoreVersion",
                "Publish an earlier version again as a new one / 恢复版本",
                ("201", _json("AdminVersion", "The new version")),
                [
                    UNAUTHENTICATED,
                    CSRF,
                    ("404", "No such hall or version"),
                    (
                        "409",
                        "Counters and the version's model are not one-to-one (details.report); the version's "
                        "model file is gone (model_missing)",
                    ),
                    INVALID,
                ],
                WRITE,
                parameters=[HALL, VERSION_N],
                requestBody=_body("AdminPublish", required=False),
            )
        },
        "/admin/audit": {
            "get": _op(
                "listAudit",
                "Recorded changes, newest first / 操作记录",
                ("200", _json("AdminAuditList", "A page of entries")),
                [
                    UNAUTHENTICATED,
                    ("403", "An editor asking for another hall"),
                    ("400", "A filter is invalid"),
                ],
                READ,
                parameters=[
                    *AUDIT_FILTERS,
                    _query("page", {"type": "integer", "minimum": 1}, "Page (from 1)"),
                    _query("per_page", {"type": "integer", "minimum": 1, "maximum": 200}, "Entries a page"),
                ],
            )
        },
        "/admin/halls/{hall}/counters.{format}": {
            "get": _op(
                "exportCounters",
                "The draft's counters as .xlsx or .csv (UTF-8 with BOM) / 导出窗口表",
                (
                    "200",
                    {
                        "description": "One row per counter under a header row 中文 / English",
                        "content": {SHEET_TYPE: {"schema": BINARY}, "text/csv": {"schema": STRING}},
                    },
                ),
                [UNAUTHENTICATED, FORBIDDEN, NO_HALL],
                READ,
                parameters=[HALL, SHEET_FORMAT],
            ),
            "post": _op(
                "importCounters",
                "Read a counter sheet: dry run (what would change, bad rows) or into the draft / 导入窗口表",
                ("200", _json("AdminSheetReport", "What changes (or would, on a dry run) and the bad rows")),
                [
                    UNAUTHENTICATED,
                    CSRF,
                    NO_HALL,
                    ("400", "No file, or not an .xlsx / not CSV text, or a parameter is invalid"),
                    ("415", "Not sent as multipart/form-data"),
                    (
                        "409",
                        "The draft changed since the dry run whose base was sent (stale_preview: details "
                        "changed_by, changed_at), or someone saved it at the same moment",
                    ),
                    ("413", "Over 20 MB, or an .xlsx that unpacks too large, or too many rows"),
                    ("428", "Applying without the base of a dry run (base_required)"),
                    (
                        "422",
                        "Bad rows (details.bad_rows: {row, field, zh, en}; nothing applied), merged "
                        "cells or a formula without a saved value",
                    ),
                ],
                WRITE,
                parameters=[
                    HALL,
                    SHEET_FORMAT,
                    _query("dry_run", {"type": "string", "enum": ["0", "1", "true", "false"]}, "Only report"),
                    BASE,
                ],
                requestBody={
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": _obj(["file"], {"file": BINARY, "csrf_token": STRING})
                        }
                    },
                },
            ),
        },
        "/admin/services.{format}": {
            "get": _op(
                "exportServices",
                "The catalogue draft's services: .xlsx with a services and a materials sheet, .csv the services "
                "sheet only / 导出事项表",
                (
                    "200",
                    {
                        "description": "事项 · Services (one row per service) and 材料 · Materials (one row per "
                        "material); CSV: the services sheet",
                        "content": {SHEET_TYPE: {"schema": BINARY}, "text/csv": {"schema": STRING}},
                    },
                ),
                [UNAUTHENTICATED],
                READ,
                parameters=[SHEET_FORMAT],
            ),
            "post": _op(
                "importServices",
                "Read a services workbook: dry run or into the catalogue draft (a CSV keeps the materials) / "
                "导入事项表",
                ("200", _json("AdminSheetReport", "What changes (or would, on a dry run) and the bad rows")),
                [
                    UNAUTHENTICATED,
                    CSRF,
                    ("400", "No file, or not an .xlsx / not CSV text, or a parameter is invalid"),
                    ("415", "Not sent as multipart/form-data"),
                    ("409", "The draft changed since the dry run whose base was sent (stale_preview)"),
                    ("413", "Over 20 MB, or an .xlsx that unpacks too large, or too many rows"),
                    ("428", "Applying without the base of a dry run (base_required)"),
                    (
                        "422",
                        "Bad rows (details.bad_rows: {sheet, row, field, zh, en}; nothing applied): unknown "
                        "type or department, an address off the allowlist, a material of no service, an id "
                        "twice, a service counters handle left out …",
                    ),
                ],
                WRITE,
                parameters=[
                    SHEET_FORMAT,
                    _query("dry_run", {"type": "string", "enum": ["0", "1", "true", "false"]}, "Only report"),
                    BASE,
                ],
                requestBody={
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": _obj(["file"], {"file": BINARY, "csrf_token": STRING, "base": STRING})
                        }
                    },
                },
            ),
        },
        "/admin/audit.xlsx": {
            "get": _op(
                "exportAuditXlsx",
                "Recorded changes as .xlsx (the filters of audit.csv) / 导出操作记录（Excel）",
                (
                    "200",
                    {
                        "description": "One sheet: at, user, scope, object_type, object_id, action, summary, before, after",
                        "content": {SHEET_TYPE: {"schema": BINARY}},
                    },
                ),
                [
                    UNAUTHENTICATED,
                    ("403", "An editor asking for another hall"),
                    ("400", "A filter is invalid"),
                ],
                READ,
                parameters=AUDIT_FILTERS,
            )
        },
        "/admin/audit.csv": {
            "get": _op(
                "exportAudit",
                "Recorded changes as CSV (UTF-8 with BOM) / 导出操作记录",
                (
                    "200",
                    {
                        "description": "CSV: at, user, scope, object_type, object_id, action, summary, before, after",
                        "content": {"text/csv": {"schema": STRING}},
                    },
                ),
                [
                    UNAUTHENTICATED,
                    ("403", "An editor asking for another hall"),
                    ("400", "A filter is invalid"),
                ],
                READ,
                parameters=AUDIT_FILTERS,
            )
        },
    }
)

PATHS["/kiosks/{kiosk}/heartbeat"] = {
    "post": {
        **_op(
            "kioskHeartbeat",
            "A registered kiosk reports version, uptime and errors (no session) / 自助终端心跳",
            ("200", _json("KioskHeartbeatAnswer", "Recorded; the version published now")),
            [
                ("400", "A field is missing or wrong (the error names it)"),
                ("403", "Sent from another site"),
                ("404", "No such kiosk"),
                ("413", "Body over 4096 bytes"),
                ("415", "Not sent as JSON"),
                ("429", "Reported less than half an interval ago; see Retry-After"),
            ],
            [],
            parameters=[KIOSK],
            requestBody=_body("KioskHeartbeat"),
        ),
        "tags": ["kiosk"],
    }
}

TAG = {
    "name": "admin",
    "description": "Staff administration: signed-in staff only, same origin, never cached.",
}

PATHS.update(
    {
        "/admin/catalogue/draft/diff": {
            "get": _op(
                "catalogueDraftDiff",
                "The catalogue's draft against the published version / 事项草稿差异",
                ("200", _json("AdminDiff", "Services added, changed field by field, removed")),
                [UNAUTHENTICATED],
                READ,
            )
        },
        "/admin/catalogue/draft": {
            "delete": _op(
                "discardCatalogueDraft",
                "Discard the catalogue's draft (admins) / 放弃事项草稿",
                ("204", {"description": "Discarded"}),
                [UNAUTHENTICATED, CSRF, ("404", "No draft")],
                WRITE,
            )
        },
        "/admin/catalogue/publish": {
            "post": _op(
                "publishCatalogue",
                "Publish the catalogue's draft as a new version, atomically (admins) / 发布事项目录",
                ("201", _json("AdminVersion", "The new version; Location names it")),
                [
                    UNAUTHENTICATED,
                    CSRF,
                    (
                        "409",
                        "No draft; published since the draft began; or a removed service is still handled "
                        "by counters (details.counters)",
                    ),
                    INVALID,
                ],
                WRITE,
                requestBody=_body("AdminPublish", required=False),
            )
        },
        "/admin/catalogue/versions": {
            "get": _op(
                "listCatalogueVersions",
                "The catalogue's published versions, newest first / 事项目录版本",
                ("200", _json("AdminCatalogueVersionList", "Versions")),
                [UNAUTHENTICATED],
                READ,
            )
        },
        "/admin/catalogue/versions/{number}": {
            "get": _op(
                "getCatalogueVersion",
                "One published version of the catalogue with its snapshot / 事项目录版本内容",
                ("200", _json("AdminVersion", "The version")),
                [UNAUTHENTICATED, ("404", "No such version")],
                READ,
                parameters=[VERSION_N],
            )
        },
        "/admin/catalogue/versions/{number}/restore": {
            "post": _op(
                "restoreCatalogueVersion",
                "Publish an earlier version of the catalogue again as a new one (admins) / 恢复事项目录版本",
                ("201", _json("AdminVersion", "The new version")),
                [
                    UNAUTHENTICATED,
                    CSRF,
                    ("404", "No such version"),
                    ("409", "A service it removes is still handled by counters (details.counters)"),
                    INVALID,
                ],
                WRITE,
                parameters=[VERSION_N],
                requestBody=_body("AdminPublish", required=False),
            )
        },
    }
)

# Panorama uploads and their jobs (web/admin/jobs.py, server/jobs).
JOB_ID = {"name": "job_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
VIEW_OR_NULL = {"anyOf": [{"$ref": "#/components/schemas/View"}, {"type": "null"}]}
SCENE_PROPERTIES: dict[str, Any] = {
    "code": {"type": "string", "pattern": f"^{PLACE_KEY_PATTERN}$"},
    "name": {"$ref": "#/components/schemas/Bilingual"},
    "floor": {"type": "integer"},
    "position": {
        "type": "array",
        "items": {"type": "number"},
        "minItems": 3,
        "maxItems": 3,
        "description": "Camera position, model metres; on its floor's walkable outline of the published model",
    },
    "heading": {"type": "number", "minimum": -180, "maximum": 180},
    "initial_view": {**VIEW_OR_NULL, "description": "The view the scene opens at; null: along the heading"},
    "links": {
        "type": "object",
        "additionalProperties": _obj(["arrival"], {"arrival": VIEW_OR_NULL}),
        "description": "Linked scenes of this hall by code, each with the view a citizen gets on arrival",
    },
    "overrides": {
        "type": "object",
        "additionalProperties": _obj(
            [],
            {
                "yaw": {"type": ["number", "null"]},
                "pitch": {"type": ["number", "null"]},
                "hidden": {"type": "boolean"},
            },
        ),
        "description": "Hotspot corrections by target (counter:<n>, facility:<id>, scene:<code>)",
    },
    "panorama": {
        "type": ["object", "null"],
        "description": "The tiles config: read-only here (uploads set it)",
    },
    "version": {"type": "integer"},
}
FINDING = _obj(
    ["scene", "target", "code", "zh", "en"],
    {
        "scene": {"type": ["string", "null"]},
        "target": {"type": ["string", "null"]},
        "code": {
            "type": "string",
            "enum": [
                "link_to_deleted_scene",
                "override_of_deleted_target",
                "unreachable_scene",
                "seen_from_no_scene",
            ],
        },
        "zh": STRING,
        "en": STRING,
    },
)
SCHEMAS.update(
    {
        "AdminScene": _obj(list(SCENE_KEYS), SCENE_PROPERTIES),
        "AdminSceneInput": {
            "type": "object",
            "properties": {k: v for k, v in SCENE_PROPERTIES.items() if k != "panorama"},
            "description": "A new scene needs name, floor, position and heading; a change sends its version",
        },
        "AdminHotspotInput": {
            "type": "object",
            "properties": {
                "yaw": {"type": ["number", "null"], "minimum": -180, "exclusiveMaximum": 180},
                "pitch": {"type": ["number", "null"], "minimum": -90, "maximum": 90},
                "hidden": {"type": "boolean"},
                "version": {"type": "integer", "description": "The scene's version (or If-Match)"},
            },
        },
        "AdminSceneList": _obj(
            ["hall", "draft", "base_version", "entrance", "scenes"],
            {
                "hall": STRING,
                "draft": {"type": "boolean"},
                "base_version": {"type": "integer"},
                "entrance": {"type": ["string", "null"], "description": "The scene a citizen starts in"},
                "scenes": {
                    "type": "array",
                    "items": {
                        "allOf": [
                            _ref("AdminScene"),
                            _obj(
                                ["hotspots"],
                                {
                                    "hotspots": {
                                        "type": "array",
                                        "items": _obj(
                                            [
                                                "target",
                                                "kind",
                                                "yaw",
                                                "pitch",
                                                "computed",
                                                "overridden",
                                                "hidden",
                                            ],
                                            {
                                                "target": STRING,
                                                "kind": {
                                                    "type": "string",
                                                    "enum": ["counter", "facility", "scene"],
                                                },
                                                "yaw": {"type": ["number", "null"]},
                                                "pitch": {"type": ["number", "null"]},
                                                "computed": VIEW_OR_NULL,
                                                "overridden": {"type": "boolean"},
                                                "hidden": {"type": "boolean"},
                                            },
                                        ),
                                    }
                                },
                            ),
                        ]
                    },
                },
            },
        ),
        "AdminSceneCheck": _obj(
            ["errors", "warnings"],
            {
                "errors": {"type": "array", "items": FINDING, "description": "Refuse publishing"},
                "warnings": {"type": "array", "items": FINDING},
            },
        ),
    }
)
SCENE = {
    "name": "scene",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": f"^{PLACE_KEY_PATTERN}$"},
    "description": "A scene id of the hall; a new one creates the scene (send its fields)",
}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
SCHEMAS.update(
    {
        "AdminJob": _obj(
            ["id", "kind", "hall", "scene", "state", "progress", "step", "error", "url"],
            {
                "id": {"type": "integer"},
                "kind": {"type": "string", "enum": ["panorama", "model_check"]},
                "hall": {"type": "string", "pattern": SLUG_PATTERN},
                "scene": STRING,
                "state": {"type": "string", "enum": ["queued", "running", "done", "failed"]},
                "progress": {"type": "number", "minimum": 0, "maximum": 1},
                "step": {"type": ["string", "null"], "enum": ["validate", "tile", "publish", None]},
                "error": {
                    "type": ["object", "null"],
                    "description": "When failed: {status, code, message, message_en, details?} — the `error` "
                    "of the API's one error shape (the ingest error, scene_gone, or worker_lost / job_crashed)",
                },
                "file": {"type": ["string", "null"]},
                "upload_kept": {"type": "boolean", "description": "Whether the upload is kept for a retry"},
                "new_scene": {"type": ["object", "null"]},
                "result": {
                    "type": ["object", "null"],
                    "description": "When done: the new panorama's version and preview address, and "
                    "`in_draft: true` (it is in the hall's draft; citizens see it once published); a panorama "
                    "job's also the draft scene's heading and what the 360° camera recorded (GPano XMP, EXIF)",
                    "properties": {
                        "version": STRING,
                        "preview": STRING,
                        "in_draft": {"type": "boolean"},
                        "scene_heading": {
                            "type": "number",
                            "description": "The draft scene's heading (degrees) as the job left it: a new "
                            "scene's is the camera's, an existing one keeps its own",
                        },
                        "heading": {
                            "type": ["number", "null"],
                            "description": "The camera's pose heading (GPano PoseHeadingDegrees) as a scene "
                            "heading, degrees in (−180, 180]; null when it recorded none",
                        },
                        "partial": {
                            "type": ["object", "null"],
                            "description": "A partial panorama (GPano cropped area): the yaw and pitch ranges "
                            "it covers, `{yaw: [min, max], pitch: [min, max]}` in degrees (the rest shows "
                            "black); null for a full one",
                            "properties": {
                                "yaw": {"type": "array", "items": {"type": "number"}},
                                "pitch": {"type": "array", "items": {"type": "number"}},
                            },
                        },
                        "captured_at": {
                            "type": ["string", "null"],
                            "description": "EXIF capture time, ISO 8601 (with its offset when recorded)",
                        },
                        "camera": {
                            "type": ["object", "null"],
                            "description": "EXIF camera `{make?, model?}`",
                            "properties": {"make": STRING, "model": STRING},
                        },
                        "warnings": {
                            "type": "array",
                            "description": "What staff should check about the metadata, each named",
                            "items": _obj(
                                ["code", "zh", "en"],
                                {
                                    "code": {"type": "string", "enum": list(METADATA_WARNINGS)},
                                    "zh": STRING,
                                    "en": STRING,
                                },
                            ),
                        },
                    },
                },
                "report": {
                    "type": ["object", "null"],
                    "description": "A done model_check job: the one-to-one report {hall, publishable, counts, "
                    "problems: [{kind: missing|extra|duplicate|wrong_floor|no_floor|unreachable, node, message, "
                    "message_en}]}",
                },
                "published": {
                    "type": ["object", "null"],
                    "description": "A model_check job whose model was published at once, before models went "
                    "through the draft: {by, at}",
                },
                "drafted": {
                    "type": ["object", "null"],
                    "description": "A model_check job whose model was put into the hall's draft: {by, at, sha}",
                },
                "requested_by": {"type": ["string", "null"]},
                "created_at": TIME,
                "started_at": NULLABLE_TIME,
                "finished_at": NULLABLE_TIME,
                "attempts": {"type": "integer"},
                "worker": {"type": ["string", "null"], "description": "host:pid of the worker holding it"},
                "heartbeat_at": NULLABLE_TIME,
                "url": STRING,
            },
        ),
        "AdminJobList": _obj(["jobs"], {"jobs": {"type": "array", "items": _ref("AdminJob")}}),
    }
)
PATHS["/admin/halls/{hall}/scenes/{scene}/panorama"] = {
    "post": _op(
        "uploadPanorama",
        "Upload a scene's panorama: queued for the worker, answered at once / 上传场景全景图（后台处理）",
        ("202", _json("AdminJob", "Queued; Location names the job")),
        [
            ("400", "No file field, or the file is empty"),
            UNAUTHENTICATED,
            CSRF,
            NO_HALL,
            ("413", "The file is over the upload limit (checked from Content-Length first)"),
            ("415", "Not multipart/form-data, or the file is not a JPEG, PNG or WebP (sniffed)"),
            ("422", "A bad scene id, or a new scene's fields missing or wrong (details.problems names each)"),
        ],
        WRITE,
        parameters=[HALL, SCENE],
        requestBody={
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": _obj(
                        ["file"],
                        {
                            "file": BINARY,
                            "csrf_token": STRING,
                            "floor": {"type": "integer", "description": "New scene: floor level"},
                            "x": {"type": "number", "description": "New scene: plan x (m)"},
                            "z": {"type": "number", "description": "New scene: plan z (m)"},
                            "name_zh": STRING,
                            "name_en": STRING,
                        },
                    )
                }
            },
        },
    )
}
PATHS["/admin/jobs"] = {
    "get": _op(
        "listJobs",
        "Recent jobs of the halls the caller may see, newest first / 后台任务列表",
        ("200", _json("AdminJobList", "Jobs")),
        [UNAUTHENTICATED, ("403", "The caller may not see that hall"), ("404", "No such hall")],
        READ,
        parameters=[_query("hall", {"type": "string", "pattern": SLUG_PATTERN}, "Only this hall's jobs")],
    )
}
PATHS["/admin/jobs/{job_id}"] = {
    "get": _op(
        "getJob",
        "One job: state, progress, step, and the error when failed / 后台任务状态",
        ("200", _json("AdminJob", "The job")),
        [UNAUTHENTICATED, FORBIDDEN, ("404", "No such job")],
        READ,
        parameters=[JOB_ID],
    )
}
PATHS["/admin/jobs/{job_id}/retry"] = {
    "post": _op(
        "retryJob",
        "Queue a failed job again (its upload was kept) / 重试失败的任务",
        ("202", _json("AdminJob", "Queued again")),
        [
            UNAUTHENTICATED,
            CSRF,
            ("404", "No such job"),
            ("409", "The job has not failed"),
            ("410", "The upload is no longer kept; upload again"),
        ],
        WRITE,
        parameters=[JOB_ID],
    )
}
PATHS["/admin/jobs/{job_id}/upload"] = {
    "delete": _op(
        "discardJobUpload",
        "Discard a failed job's kept upload (no retry after it) / 丢弃失败任务的上传文件",
        ("200", _json("AdminJob", "The job, without its upload")),
        [UNAUTHENTICATED, CSRF, ("404", "No such job"), ("409", "The job has not failed")],
        WRITE,
        parameters=[JOB_ID],
    )
}
TARGET = {
    "name": "target",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": f"^(counter|facility|scene):{PLACE_KEY_PATTERN}$"},
}
PATHS.update(
    {
        "/admin/halls/{hall}/scenes": {
            "get": _op(
                "listDraftScenes",
                "The draft's scenes with their hotspots / 草稿中的场景",
                ("200", _json("AdminSceneList", "Scenes")),
                [UNAUTHENTICATED, FORBIDDEN, NO_HALL],
                READ,
                parameters=[HALL],
            )
        },
        "/admin/halls/{hall}/scenes/check": {
            "get": _op(
                "checkDraftScenes",
                "What in the draft's scenes would mislead a citizen / 发布前检查",
                ("200", _json("AdminSceneCheck", "Errors (refuse publishing) and warnings")),
                [UNAUTHENTICATED, FORBIDDEN, NO_HALL],
                READ,
                parameters=[HALL],
            )
        },
        "/admin/halls/{hall}/scenes/{scene}": {
            "get": _op(
                "getDraftScene",
                "One scene of the draft (ETag: its version) / 场景（草稿）",
                ("200", _json("AdminScene", "The scene")),
                [UNAUTHENTICATED, FORBIDDEN, NO_HALL],
                READ,
                parameters=[HALL, SCENE],
            ),
            "put": _op(
                "putDraftScene",
                "Add (201) or change a scene in the draft / 新增或修改场景（草稿）",
                ("200", _json("AdminScene", "As saved, with its new version (201 when added)")),
                [UNAUTHENTICATED, CSRF, NO_HALL, BAD_JSON, CONFLICT, NOT_JSON, INVALID, NO_VERSION],
                WRITE,
                parameters=[HALL, SCENE, IF_MATCH],
                requestBody=_body("AdminSceneInput"),
            ),
            "delete": _op(
                "deleteDraftScene",
                "Remove a scene from the draft / 删除场景（草稿）",
                ("204", {"description": "Removed from the draft"}),
                [UNAUTHENTICATED, CSRF, NO_HALL, CONFLICT, NO_VERSION],
                WRITE,
                parameters=[HALL, SCENE, IF_MATCH],
            ),
        },
        "/admin/halls/{hall}/scenes/{scene}/hotspots/{target}": {
            "put": _op(
                "putHotspotOverride",
                "Correct a hotspot: yaw, pitch and/or hidden / 修正热点（草稿）",
                ("200", _json("AdminScene", "The scene as saved")),
                [UNAUTHENTICATED, CSRF, NO_HALL, BAD_JSON, CONFLICT, NOT_JSON, INVALID, NO_VERSION],
                WRITE,
                parameters=[HALL, SCENE, TARGET, IF_MATCH],
                requestBody=_body("AdminHotspotInput"),
            ),
            "delete": _op(
                "resetHotspotOverride",
                "Reset a hotspot to its computed position (hidden stays) / 恢复热点计算位置，隐藏不变（草稿）",
                ("200", _json("AdminScene", "The scene as saved")),
                [
                    UNAUTHENTICATED,
                    CSRF,
                    ("404", "No such hall or scene, or no correction"),
                    CONFLICT,
                    NO_VERSION,
                ],
                WRITE,
                parameters=[HALL, SCENE, TARGET, IF_MATCH],
            ),
        },
    }
)
SCHEMAS.update(
    {
        "AdminRegistrationInput": _obj(
            ["points"],
            {
                "points": {
                    "type": "array",
                    "minItems": 2,
                    "maxItems": 50,
                    "description": "Where each counter (or facility) was clicked in the panorama; each target once",
                    "items": _obj(
                        ["target", "yaw", "pitch"],
                        {
                            "target": {
                                "type": "string",
                                "pattern": f"^(counter|facility):{PLACE_KEY_PATTERN}$",
                                "description": "A node of the published hall model",
                            },
                            "yaw": {"type": "number", "minimum": -180, "maximum": 180},
                            "pitch": {"type": "number", "minimum": -90, "maximum": 90},
                        },
                    ),
                }
            },
        ),
        "AdminRegistration": _obj(
            ["scene", "heading", "position", "residual", "max_residual", "acceptable", "points", "version"],
            {
                "scene": STRING,
                "heading": {"type": "number", "minimum": -180, "maximum": 180},
                "position": {
                    "type": ["array", "null"],
                    "items": {"type": "number"},
                    "minItems": 3,
                    "maxItems": 3,
                    "description": "Solved from three or more points spread over 10° or more; else null",
                },
                "residual": {"type": "number", "minimum": 0, "description": "RMS angular error, degrees"},
                "max_residual": {
                    "type": "number",
                    "description": "The largest residual that may be accepted",
                },
                "acceptable": {"type": "boolean", "description": "residual ≤ max_residual"},
                "points": {
                    "type": "array",
                    "items": _obj(["target", "error"], {"target": STRING, "error": {"type": "number"}}),
                    "description": "Each point's angular error in the fit, degrees, in the order sent",
                },
                "version": {"type": "integer", "description": "The draft scene's version it was solved for"},
            },
        ),
    }
)
PATHS["/admin/halls/{hall}/scenes/{scene}/registration"] = {
    "post": _op(
        "registerScenePanorama",
        "Solve a scene's heading (and position) from counters clicked in its panorama; changes nothing — "
        "accept by PUT of the scene / 由点击的柜台求解全景图朝向（不修改草稿）",
        ("200", _json("AdminRegistration", "The solved pose, its residual and whether it may be accepted")),
        [
            UNAUTHENTICATED,
            CSRF,
            NO_HALL,
            BAD_JSON,
            NOT_JSON,
            ("409", "The hall has no published model (no_model)"),
            (
                "422",
                "Fewer than two points, an unknown or repeated target, a yaw or pitch not a number "
                "in range (details names each field)",
            ),
        ],
        WRITE,
        parameters=[HALL, SCENE],
        requestBody=_body("AdminRegistrationInput"),
    )
}
PATHS["/admin/halls/{hall}/model"] = {
    "post": _op(
        "uploadModel",
        "Upload a hall model (.glb, optional name mapping) for its one-to-one check by the worker "
        "/ 上传大厅模型（后台检查）",
        ("202", _json("AdminJob", "Queued (kind model_check); Location names the job; its report when done")),
        [
            ("400", "No file field"),
            UNAUTHENTICATED,
            CSRF,
            NO_HALL,
            ("413", "The file is over the model limit (checked from Content-Length first)"),
            ("415", "Not multipart/form-data"),
            ("422", "The mapping is not a valid name mapping (bad_mapping)"),
        ],
        WRITE,
        parameters=[HALL],
        requestBody={
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": _obj(
                        ["file"],
                        {
                            "file": BINARY,
                            "mapping": {
                                "description": "Optional: the name mapping `flask model check --mapping` takes "
                                "({modeller's node name: counter:<n> | facility:<code>}, JSON; CSV when a "
                                "file named .csv), as a file part or a form field",
                            },
                            "csrf_token": STRING,
                        },
                    )
                }
            },
        },
    )
}
PATHS["/admin/jobs/{job_id}/draft-model"] = {
    "post": _op(
        "draftModel",
        "Put a checked model whose report is clean into the hall's draft / 放入草稿. The file goes "
        "content-addressed into the model store and its hash into the draft's `model` entry {sha, file, "
        "mapping}; the published model changes only when the draft is published (POST "
        "/admin/halls/{hall}/publish, which checks it against the draft's counters again). The upload is "
        "discarded. (Replaces `publish-model`, which published at once, outside the draft.)",
        ("200", _json("AdminJob", "The job (drafted {by, at, sha}), with `draft_model`: the draft's entry")),
        [
            UNAUTHENTICATED,
            CSRF,
            ("404", "No such job"),
            ("409", "Not a checked model job not yet put into the draft, or not one-to-one (details.report)"),
            ("410", "The upload is no longer kept; upload again"),
        ],
        WRITE,
        parameters=[JOB_ID],
    )
}
