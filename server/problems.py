"""One bilingual error base for the whole server, and one form for the problems found in a file.

Every error that the server, the API or the command line can report to a person is a :class:`HallError`:
a stable machine ``code``, a zh-CN ``message``, an English ``message_en``, the HTTP ``status`` it answers
with (400 unless said otherwise) and optional ``details`` (JSON-able: the parameter at fault, the problems
found in a file, …). The API turns any of them into its one error shape (``server/errors.py``), the command
line into a bilingual message and exit status 2 (``server/cli/support.py``).

A *problem* is one thing wrong in a data file (a layout spec, a demo file): ``{"where", "zh", "en"}``, where
``where`` is a slash path into the file (``floors/0/counters/1/number``) or ``(top)``.
See docs/ARCHITECTURE.md (core layer).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

TOP = "(top)"  # where a problem with the whole document lies


class HallError(Exception):
    """An error worth telling a person: a stable code, a message in zh-CN and in English, a status."""

    status: int = 400

    def __init__(
        self,
        code: str,
        message: str,
        message_en: str,
        *,
        status: int | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message_en)
        self.code = code
        self.message = message
        self.message_en = message_en
        if status is not None:
            self.status = status
        self.details = dict(details or {})

    def body(self) -> dict[str, Any]:
        """The API's JSON body for this error: ``{"error": {"status", "code", "message", "message_en"}}``."""
        error: dict[str, Any] = {
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "message_en": self.message_en,
        }
        if self.details:
            error["details"] = self.details
        return {"error": error}

    def text(self) -> str:
        """The error for a terminal: Chinese first, English second, then any problems one per line."""
        lines = [f"{self.message} / {self.message_en} [{self.code}]"]
        lines += [problem_text(p) for p in self.details.get("problems", ())]
        return "\n".join(lines)


class ProblemsError(HallError):
    """A file with problems; ``problems`` lists every one found as ``{where, zh, en}``."""

    def __init__(self, code: str, message: str, message_en: str, problems: list[dict[str, str]]) -> None:
        super().__init__(code, message, message_en, details={"problems": problems})
        self.problems = problems

    def __str__(self) -> str:
        return "\n".join([self.message_en, *(problem_text(p) for p in self.problems)])


def problem(where: str, zh: str, en: str) -> dict[str, str]:
    """One problem found in a file, at the slash path *where*."""
    return {"where": where or TOP, "zh": zh, "en": en}


def problem_text(item: Mapping[str, str]) -> str:
    """One problem on one line: ``where: 中文 / English``."""
    return f"{item['where']}: {item['zh']} / {item['en']}"


def within(prefix: str, problems: Iterable[Mapping[str, str]]) -> list[dict[str, str]]:
    """The same problems with *prefix* (a file name, say) put in front of where each lies."""
    return [{**p, "where": f"{prefix}/{p['where']}" if p["where"] != TOP else prefix} for p in problems]


# JSON Schema type names as a person reads them.
_TYPES_ZH = {
    "object": "对象",
    "array": "列表",
    "string": "文本",
    "integer": "整数",
    "number": "数字",
    "boolean": "是/否",
    "null": "空值",
}


def _type_zh(value: Any) -> str:
    names = value if isinstance(value, list) else [value]
    return "或".join(_TYPES_ZH.get(n, str(n)) for n in names)


def _schema_zh(error: Any) -> str:
    """What a jsonschema ValidationError says, in Chinese (its own message is English)."""
    rule, value, instance = error.validator, error.validator_value, error.instance
    if rule == "required":
        missing = [name for name in value if isinstance(instance, dict) and name not in instance]
        return f"缺少必填字段 {', '.join(missing)}"
    if rule == "additionalProperties":
        return "含有不允许的字段"
    if rule == "enum":
        return f"{instance!r} 不是允许的取值（{', '.join(map(str, value))}）"
    if rule == "const":
        return f"取值应为 {value!r}"
    if rule == "type":
        return f"类型应为{_type_zh(value)}"
    if rule == "pattern":
        return f"{instance!r} 不符合格式 {value}"
    if rule in ("minimum", "exclusiveMinimum"):
        return f"{instance!r} 小于允许的最小值 {value}"
    if rule in ("maximum", "exclusiveMaximum"):
        return f"{instance!r} 大于允许的最大值 {value}"
    if rule == "minItems":
        return f"至少需要 {value} 项"
    if rule == "maxItems":
        return f"最多允许 {value} 项"
    if rule == "minLength":
        return f"至少需要 {value} 个字符"
    if rule == "maxLength":
        return f"最多允许 {value} 个字符"
    if rule == "uniqueItems":
        return "列表中有重复项"
    if rule in ("anyOf", "oneOf"):
        return "不符合任何一种允许的写法"
    return "不符合格式要求"


def schema_problems(errors: Iterable[Any]) -> list[dict[str, str]]:
    """jsonschema validation errors as problems ``{where, zh, en}``, in document order."""
    ordered = sorted(errors, key=lambda e: [str(p) for p in e.absolute_path])
    return [problem("/".join(str(p) for p in e.absolute_path), _schema_zh(e), e.message) for e in ordered]
