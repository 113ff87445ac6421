"""The project's vocabulary: the one place that defines the enumerations and patterns every layer shares
(the demo schema, the database, the OpenAPI document, the layout format, the model builder, floor plans
and the browser).

Everything else imports these names; the browser gets a generated copy (``python -m
server.web.vocabulary_js`` writes ``web/src/generated/vocabulary.js`` at build time), and
``tests/test_vocabulary.py`` fails when any consumer disagrees. See docs/ARCHITECTURE.md.

Data only: no imports from the rest of the package, so anything may import it.
"""

from __future__ import annotations

from typing import NamedTuple


class Facility(NamedTuple):
    """A facility type: its name (zh, en), the tour's symbol, the plan/3D sign glyphs (zh, en), a colour.

    ``symbol`` is language-neutral and drawn on the tour's hotspot buttons; ``glyph_zh``/``glyph_en`` are
    the short letters on floor-plan discs and the model's wall signs (plain text any CJK font draws);
    ``color`` (``#rrggbb``) fills the plan disc, the model's sign and the tour's hotspot."""

    zh: str
    en: str
    symbol: str
    glyph_zh: str
    glyph_en: str
    color: str


class Label(NamedTuple):
    """A bilingual label: Chinese first, English second."""

    zh: str
    en: str


# Colours by group: services blue, amenities teal, circulation slate, ways in/out green, first aid red; each
# at least 4.5:1 against the white glyphs drawn on it (WCAG AA).
_SERVICE, _AMENITY, _MOVE, _DOOR, _AID = "#2f6fb5", "#1a7a7a", "#5a6b7d", "#267a4b", "#c0392b"

FACILITIES: dict[str, Facility] = {
    "self_service": Facility("自助服务", "Self-service", "▣", "助", "SS", _SERVICE),
    "ticket_machine": Facility("取号机", "Ticket machine", "№", "号", "#", _SERVICE),
    "help_desk": Facility("咨询台", "Help desk", "?", "询", "i", _SERVICE),
    "copier": Facility("复印打印", "Copier", "❐", "印", "CP", _SERVICE),
    "charging": Facility("充电", "Charging", "⚡", "电", "CH", _SERVICE),
    "toilet": Facility("卫生间", "Toilet", "WC", "厕", "WC", _AMENITY),
    "accessible_toilet": Facility("无障碍卫生间", "Accessible toilet", "♿", "无障", "AWC", _AMENITY),
    "baby_room": Facility("母婴室", "Baby room", "♡", "婴", "BB", _AMENITY),
    "drinking_water": Facility("饮水点", "Drinking water", "H₂O", "水", "H2O", _AMENITY),
    "rest_area": Facility("休息区", "Rest area", "☕", "休", "RA", _AMENITY),
    "waiting_area": Facility("等候区", "Waiting area", "◷", "候", "WA", _AMENITY),
    "lift": Facility("电梯", "Lift", "⇅", "梯", "L", _MOVE),
    "stairs": Facility("楼梯", "Stairs", "⇗", "楼", "ST", _MOVE),
    "escalator": Facility("扶梯", "Escalator", "⇧", "扶", "ES", _MOVE),
    "entrance": Facility("入口", "Entrance", "⌂", "入", "IN", _DOOR),
    "exit": Facility("出口", "Exit", "⇲", "出", "OUT", _DOOR),
    "first_aid": Facility("急救", "First aid", "✚", "救", "+", _AID),
}
# What a type newer than this table shows (the tour's generic "i"); no known type may use it.
UNKNOWN_FACILITY = Facility("设施", "Facility", "i", "设", "?", _MOVE)
FACILITY_TYPES: list[str] = list(FACILITIES)
# Facility types that join floors; the layout format and the model's connector nodes use these.
CONNECTOR_TYPES: tuple[str, ...] = ("lift", "stairs", "escalator")

COUNTER_TYPES: dict[str, str] = {
    "综合受理": "One-stop reception",
    "专门": "Department counter",
    "导办台": "Guide desk",
    "帮办代办": "Assisted service",
    "自助": "Self-service",
    "出件": "Collection",
    "咨询": "Enquiries",
}

COUNTER_STATUSES: dict[str, Label] = {
    "open": Label("正在办公", "Open"),
    "paused": Label("暂停服务", "Paused"),
    "closed": Label("已关闭", "Closed"),
}

# What a counter is doing now (``catalogue.hours.state``): from its status, its week and the hall's calendar.
# The short label names the state; the API's full label adds when it next opens (已下班（明天 08:30 开始）).
COUNTER_STATES: dict[str, Label] = {
    "open": Label("正在办公", "Open now"),
    "lunch": Label("午间休息", "Lunch break"),
    "before_hours": Label("尚未开始办公", "Not open yet"),
    "after_hours": Label("已下班", "Closed for the day"),
    "not_today": Label("今日不办公", "Closed today"),
    "paused": Label("暂停服务", "Service paused"),
    "closed": Label("已关闭", "Closed"),
}
# States in which a counter serves people (the tour shows the others greyed).
SERVING_STATES: tuple[str, ...] = ("open",)

# A service item's type (the national catalogue's 事项类型) and audiences, as the catalogue stores them (in
# Chinese), with their English names for pages in English.
SERVICE_TYPE_LABELS: dict[str, str] = {
    "行政许可": "Administrative licence",
    "行政确认": "Administrative confirmation",
    "行政给付": "Administrative benefit",
    "行政征收": "Administrative levy",
    "行政裁决": "Administrative ruling",
    "行政奖励": "Administrative award",
    "行政检查": "Administrative inspection",
    "其他行政权力": "Other administrative power",
    "公共服务": "Public service",
}
SERVICE_TYPES: list[str] = list(SERVICE_TYPE_LABELS)

AUDIENCE_LABELS: dict[str, str] = {
    "自然人": "Individuals",
    "法人": "Legal persons",
    "其他组织": "Other organisations",
}
AUDIENCES: list[str] = list(AUDIENCE_LABELS)

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_LABELS: dict[str, Label] = dict(
    zip(
        WEEKDAYS,
        (
            Label(zh, en)
            for zh, en in zip(
                ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
                ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
                strict=True,
            )
        ),
        strict=True,
    )
)

# Ids of halls, zones, facilities, scenes, departments and service items: in the layout format, the demo
# data and the API's paths alike. 1–64 characters, so every id a layout may use is one the API accepts.
SLUG_MAX_LENGTH = 64
SLUG_PATTERN = rf"^[a-z0-9][a-z0-9-]{{0,{SLUG_MAX_LENGTH - 1}}}$"
# A printed counter number (B03, YB101). The API also takes it in lower case and answers in capitals.
COUNTER_NUMBER_PATTERN = r"^[A-Z]{1,2}[0-9]{2,3}$"

# The key of a place a route goes from or to, after its kind (``counter:B03``, ``facility:toilet-1``,
# ``nearest:baby_room``): a counter number, a slug or a facility type.
PLACE_KEY_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}"

# Kiosks (touch screens standing in a hall, server/kiosks): the seconds without a touch before the "still
# there?" overlay, and that overlay's countdown (never under 20 s: WCAG 2.2.1 lets a person ask for more).
KIOSK_IDLE_DEFAULT = 90
KIOSK_IDLE_RANGE = (30, 3600)
KIOSK_COUNTDOWN_DEFAULT = 30
KIOSK_COUNTDOWN_RANGE = (20, 300)

# Staff roles, most powerful first: admin (every hall, accounts, settings), editor (only the halls named on
# the account), viewer (reads every hall, changes nothing). ``ROLE_RANK`` orders them for "at least" checks.
ROLES: dict[str, Label] = {
    "admin": Label("管理员", "Administrator"),
    "editor": Label("编辑", "Editor"),
    "viewer": Label("只读查看", "Viewer"),
}
ROLE_RANK: dict[str, int] = {"viewer": 1, "editor": 2, "admin": 3}
# A staff user name: 3–32 characters, lower-case letters, digits, dot, underscore, hyphen; a letter first.
USER_NAME_PATTERN = r"^[a-z][a-z0-9._-]{2,31}$"

# Files whose URL names their content (a hash or a version) are cached for a year and never revalidated.
IMMUTABLE_MAX_AGE = 365 * 24 * 3600
IMMUTABLE_CACHE_CONTROL = f"public, max-age={IMMUTABLE_MAX_AGE}, immutable"


def facility(kind: str) -> Facility:
    """The vocabulary entry of facility type *kind*, or ``UNKNOWN_FACILITY`` for a type it lacks."""
    return FACILITIES.get(kind, UNKNOWN_FACILITY)


def browser_payload() -> dict:
    """What the browser needs, as JSON-ready data (``server.web.vocabulary_js`` writes it as a module)."""
    return {
        "FACILITIES": {
            kind: {"zh": f.zh, "en": f.en, "symbol": f.symbol, "color": f.color}
            for kind, f in FACILITIES.items()
        },
        "UNKNOWN_FACILITY": {
            "zh": UNKNOWN_FACILITY.zh,
            "en": UNKNOWN_FACILITY.en,
            "symbol": UNKNOWN_FACILITY.symbol,
            "color": UNKNOWN_FACILITY.color,
        },
        "COUNTER_TYPES": dict(COUNTER_TYPES),
        "COUNTER_STATUSES": {k: {"zh": v.zh, "en": v.en} for k, v in COUNTER_STATUSES.items()},
        "COUNTER_STATES": {k: {"zh": v.zh, "en": v.en} for k, v in COUNTER_STATES.items()},
        "WEEKDAYS": list(WEEKDAYS),
        "SERVICE_TYPES": dict(SERVICE_TYPE_LABELS),
        "AUDIENCES": dict(AUDIENCE_LABELS),
        "SLUG_PATTERN": SLUG_PATTERN,
        "COUNTER_NUMBER_PATTERN": COUNTER_NUMBER_PATTERN,
        "PLACE_KEY_PATTERN": PLACE_KEY_PATTERN,
    }
