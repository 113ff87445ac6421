"""What every staff sheet shares: its columns (key, header ``中文 / English``, width), the header row matched
back to keys, the values of one row, yes/no cells, lists in a cell, and the problems of reading them.

The header row is matched by the Chinese, the English, the whole header text or the key, in any order, white
space ignored. A column in *informative* is written for people (a name beside a code) and ignored when read.
A bad row is ``{sheet, row, field, zh, en}`` with ``field`` a column key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

YES = {"是", "yes", "y", "true", "1", "√"}
NO = {"否", "no", "n", "false", "0", ""}
SPLIT = re.compile(r"[,，、;；\n]+")


@dataclass(frozen=True)
class Layout:
    """A sheet's columns ``(key, "中文 / English", width)``, those that must be there, and those only read by
    people."""

    columns: list[tuple[str, str, int]]
    required: tuple[str, ...]
    informative: frozenset[str] = field(default_factory=frozenset)

    def header(self) -> list[str]:
        """The header row."""
        return [label for _key, label, _w in self.columns]

    def widths(self) -> list[int]:
        """The column widths (characters)."""
        return [w for _key, _label, w in self.columns]

    def label(self, key: str) -> str:
        """The header text of column *key*."""
        return next(label for k, label, _w in self.columns if k == key)

    def keys(self, cells: list[str | None]) -> tuple[dict[int, str], list[dict[str, Any]]]:
        """Column index → key for the header row *cells*; problems ``{field, zh, en}`` for unknown, repeated
        or missing columns."""
        names: dict[str, str] = {}
        for key, label, _w in self.columns:
            zh, _, en = label.partition(" / ")
            for name in (label, zh, en, key):
                names[name.strip().lower()] = key
        found, bad, seen = {}, [], set()
        for i, cell in enumerate(cells):
            if cell is None:
                continue
            key = names.get(re.sub(r"\s+", " ", cell).strip().lower())
            if key is None:
                bad.append({"field": cell, "zh": f"未知的列：{cell}", "en": f"unknown column: {cell}"})
            elif key in seen:
                bad.append({"field": key, "zh": f"列重复：{cell}", "en": f"column twice: {cell}"})
            else:
                seen.add(key)
                found[i] = key
        for key in self.required:
            if key not in seen:
                label = self.label(key)
                bad.append({"field": key, "zh": f"缺少列：{label}", "en": f"missing column: {label}"})
        return found, bad

    def values(self, keys: dict[int, str], cells: list[str | None]) -> dict[str, str | None]:
        """One row's cells by column key (informative columns left out)."""
        return {
            key: cells[i] if i < len(cells) else None
            for i, key in keys.items()
            if key not in self.informative
        }


def no_header(sheet: str | None) -> list[dict[str, Any]]:
    """The bad row of a sheet without even a header."""
    return [
        {
            "sheet": sheet,
            "row": 1,
            "field": "(file)",
            "zh": "文件中没有表头",
            "en": "the file has no header row",
        }
    ]


def yes_no(value: str | None) -> bool | None:
    """A yes/no cell (是/否, yes/no, true/false, 1/0; empty is no); None when it is neither."""
    text = (value or "").strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    return None


def listed(value: str | None) -> list[str]:
    """The items of a list cell, split at ``,``, ``，``, ``、``, ``;`` or line breaks."""
    return [s.strip() for s in SPLIT.split(value or "") if s.strip()]
