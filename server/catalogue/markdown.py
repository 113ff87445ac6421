"""The plain-language guide's safe Markdown subset: paragraphs, **bold**, *italic*, bullet and numbered
lists, line breaks and ``[text](https://…)`` links — nothing else (no raw HTML, images, headings, tables,
code). Staff write Markdown; citizens' pages get a small token tree that they render as DOM nodes with
``textContent`` (``web/src/ui/guide.js``), so nothing in a guide can ever become markup.

Parsed by markdown-it-py (CommonMark, maintained, already in the environment) from its ``zero`` preset with
only the rules of the subset enabled and HTML off: anything outside the subset is simply text. Its own link
filter is replaced by the one rule for addresses, ``server/urls.py``: a link it refuses is shown as its
text alone (and is a problem when saving, :func:`problems`).

The tree (JSON), a list of blocks::

    block  = {"p": [inline…]} | {"ul": [[block…]…]} | {"ol": [[block…]…]}      (list items hold blocks)
    inline = {"text": str} | {"b": [inline…]} | {"i": [inline…]} | {"a": {"href": str, "text": str}}
           | {"br": true}

Bounds: at most :data:`MAX_LENGTH` characters (a longer text is a problem when saving, and shown cut to
one plain paragraph of that length) and
:data:`MAX_NESTING` levels (markdown-it stops nesting there; deeper markers stay text).
"""

from __future__ import annotations

from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ..urls import link_problem

MAX_LENGTH = 4000  # characters of one guide text, as the demo schema bounds it
MAX_NESTING = 12  # markdown-it's nesting limit: blocks and inline spans together
MAX_LIST_DEPTH = (
    3  # lists in lists: deeper is refused when saving (markdown-it drops what lies past MAX_NESTING)
)
RULES = ["list", "paragraph", "emphasis", "link", "newline", "escape"]

_BLOCKS = {"paragraph_open": "p", "bullet_list_open": "ul", "ordered_list_open": "ol", "list_item_open": "li"}
_SPANS = {"strong_open": "b", "em_open": "i"}


def _parser() -> MarkdownIt:
    md = MarkdownIt(
        "zero", {"html": False, "maxNesting": MAX_NESTING, "linkify": False, "typographer": False}
    )
    md.enable(RULES)
    md.validateLink = lambda url: True  # every link reaches _inline, where urls.py decides
    return md


_MD = _parser()


def _text(nodes: list[dict[str, Any]]) -> str:
    """The plain text of inline *nodes*."""
    out = []
    for node in nodes:
        if "text" in node:
            out.append(node["text"])
        elif "br" in node:
            out.append("\n")
        elif "a" in node:
            out.append(node["a"]["text"])
        else:
            out.append(_text(next(iter(node.values()))))
    return "".join(out)


def _inline(children: list[Token], refused: list[str]) -> list[dict[str, Any]]:
    """Inline tokens as inline nodes; a link urls.py refuses becomes its text, its address noted in *refused*."""
    root: list[dict[str, Any]] = []
    stack: list[list[dict[str, Any]]] = [root]
    links: list[str] = []
    for token in children:
        kind = token.type
        if kind in _SPANS:
            node: dict[str, Any] = {_SPANS[kind]: []}
            stack[-1].append(node)
            stack.append(node[_SPANS[kind]])
        elif kind == "link_open":
            links.append(str(token.attrs.get("href", "")))
            stack.append([])
        elif kind == "link_close" and links:
            href, label = links.pop(), _text(stack.pop())
            if link_problem(href) is None:
                stack[-1].append({"a": {"href": href, "text": label}})
            else:
                refused.append(href)
                stack[-1].append({"text": label})
        elif kind.endswith("_close") and len(stack) > 1:
            stack.pop()
        elif kind == "text" and token.content:
            stack[-1].append({"text": token.content})
        elif kind == "softbreak":
            stack[-1].append({"text": "\n"})
        elif kind == "hardbreak":
            stack[-1].append({"br": True})
    return _merged(root)


def _merged(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Adjacent text nodes joined into one."""
    out: list[dict[str, Any]] = []
    for node in nodes:
        if "text" in node and out and "text" in out[-1]:
            out[-1] = {"text": out[-1]["text"] + node["text"]}
        else:
            out.append(node)
    return out


def _blocks(tokens: list[Token], refused: list[str]) -> list[dict[str, Any]]:
    root: list[Any] = []
    stack: list[list[Any]] = [root]
    for token in tokens:
        kind = token.type
        if kind in _BLOCKS:
            tag = _BLOCKS[kind]
            if tag == "li":
                item: list[Any] = []
                stack[-1].append(item)
                stack.append(item)
            elif tag == "p":
                stack.append([])  # the paragraph's inline nodes arrive with the inline token
            else:
                node: dict[str, Any] = {tag: []}
                stack[-1].append(node)
                stack.append(node[tag])
        elif kind == "inline":
            stack[-1].extend(_inline(token.children or [], refused))
        elif kind == "paragraph_close":
            inline = stack.pop()
            if inline:
                stack[-1].append({"p": inline})
        elif kind.endswith("_close") and len(stack) > 1:
            stack.pop()
    return root


def parse(source: str) -> tuple[list[dict[str, Any]], list[str]]:
    """*source* as a token tree, and the link addresses refused on the way (shown as their text)."""
    if not isinstance(source, str) or not source.strip():
        return [], []
    if len(source) > MAX_LENGTH:
        return [{"p": [{"text": source[:MAX_LENGTH]}]}], []
    refused: list[str] = []
    return _blocks(_MD.parse(source), refused), refused


def tree(source: str | None) -> list[dict[str, Any]]:
    """The token tree a page renders for guide text *source* (empty for none)."""
    return parse(source or "")[0]


def _list_depth(blocks: list[dict[str, Any]]) -> int:
    """How deep lists nest in *blocks*."""
    deepest = 0
    for block in blocks:
        items = block.get("ul", block.get("ol"))
        if items is not None:
            deepest = max(deepest, 1 + max((_list_depth(item) for item in items), default=0))
    return deepest


def problems(source: Any) -> list[tuple[str, str]]:
    """What is wrong with guide text *source* for saving, as ``(zh, en)`` pairs; empty when it may be saved."""
    if not isinstance(source, str):
        return [("应为文字", "must be text")]
    if len(source) > MAX_LENGTH:
        return [(f"超过 {MAX_LENGTH} 个字符", f"longer than {MAX_LENGTH} characters")]
    found = []
    if _list_depth(parse(source)[0]) > MAX_LIST_DEPTH:
        found.append((f"列表嵌套超过 {MAX_LIST_DEPTH} 层", f"lists nested more than {MAX_LIST_DEPTH} deep"))
    for href in parse(source)[1]:
        reason = link_problem(href)
        zh, en = reason if reason else ("", "")
        found.append((f"链接 {href[:80]} 不允许：{zh}", f"link {href[:80]} not allowed: {en}"))
    return found
