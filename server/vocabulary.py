"""The project's vocabulary: the one place that defines the enumerations every layer shares (the demo
schema, the database, the OpenAPI document, the model builder, floor plans and the browser).

Everything else imports these names; the browser gets a generated copy (see docs/ARCHITECTURE.md).
"""

from __future__ import annotations

SERVICE_TYPES = [
    "行政许可",
    "行政确认",
    "行政给付",
    "行政征收",
    "行政裁决",
    "行政奖励",
    "行政检查",
    "其他行政权力",
    "公共服务",
]

AUDIENCES = ["自然人", "法人", "其他组织"]

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

FACILITY_TYPES = [
    "self_service",
    "ticket_machine",
    "toilet",
    "accessible_toilet",
    "lift",
    "stairs",
    "escalator",
    "baby_room",
    "drinking_water",
    "copier",
    "rest_area",
    "help_desk",
    "entrance",
    "exit",
    "waiting_area",
    "charging",
    "first_aid",
]

COUNTER_TYPES = ["综合受理", "专门", "导办台", "帮办代办", "自助", "出件", "咨询"]
