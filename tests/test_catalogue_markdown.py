"""The guide's safe Markdown subset (server/catalogue/markdown.py): what it renders, and hostile input — raw
HTML, script, javascript: and data: links, images, headings, deep nesting, a megabyte — coming out as text or a
clear refusal, never as markup or a link the address rule refuses."""

from __future__ import annotations

import json

from server.catalogue.markdown import MAX_LENGTH, problems, tree
from server.demo.loader import read

GOV = "https://zwfw.gxzf.gov.cn/bsfw/item?code=1"
ALLOWED = {"p", "ul", "ol", "text", "b", "i", "a", "br"}


def _keys(node) -> set[str]:
    """Every key used anywhere in a tree (lists of items and inline nodes alike)."""
    if isinstance(node, list):
        return set().union(*(_keys(n) for n in node)) if node else set()
    if isinstance(node, dict):
        keys = set(node)
        for key, value in node.items():
            if key != "a" and not isinstance(value, str):
                keys |= _keys(value)
        return keys
    return set()


def _links(node) -> list[dict]:
    found = []
    if isinstance(node, list):
        for n in node:
            found += _links(n)
    elif isinstance(node, dict):
        if "a" in node:
            found.append(node["a"])
        for key, value in node.items():
            if key != "a":
                found += _links(value)
    return found


def test_the_subset_becomes_a_small_tree():
    source = f"**办** *i* [平台]({GOV})\n第二行  \n换行\n\n- 一\n- 二\n  1. 甲\n\n3. 三"
    assert tree(source) == [
        {
            "p": [
                {"b": [{"text": "办"}]},
                {"text": " "},
                {"i": [{"text": "i"}]},
                {"text": " "},
                {"a": {"href": GOV, "text": "平台"}},
                {"text": "\n第二行"},
                {"br": True},
                {"text": "换行"},
            ]
        },
        {"ul": [[{"p": [{"text": "一"}]}], [{"p": [{"text": "二"}]}, {"ol": [[{"p": [{"text": "甲"}]}]]}]]},
        {"ol": [[{"p": [{"text": "三"}]}]]},
    ]
    assert problems(source) == []


def test_plain_text_is_one_paragraph_of_itself_so_every_demo_guide_renders_as_before():
    plain = 0
    for service in read()["services"]:
        for lang in ("zh", "en"):
            source = service["guide"]["summary"][lang]
            assert problems(source) == [], (service["id"], lang)
            if not any(mark in source for mark in ("**", "\n- ", "](")):
                assert tree(source) == [{"p": [{"text": source}]}], (service["id"], lang)
                plain += 1
    assert plain >= 40  # nearly all of them: only a few demo guides use the subset


def test_hostile_markdown_comes_out_as_text():
    hostile = {
        "<script>alert(1)</script>": "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">': '<img src=x onerror="alert(1)">',
        "<b>bold?</b> <a href='https://zwfw.gxzf.gov.cn'>x</a>": None,
        "# Heading": "# Heading",
        "> quote": "> quote",
        "`code`": "`code`",
        "<https://zwfw.gxzf.gov.cn/auto>": "<https://zwfw.gxzf.gov.cn/auto>",
        "&lt;script&gt;": "&lt;script&gt;",  # entities are not decoded into markup either
    }
    for source, text in hostile.items():
        result = tree(source)
        assert _keys(result) <= {"p", "text"}, (source, result)
        flat = "".join(n["text"] for block in result for n in block["p"])
        assert flat == (text if text is not None else source), source
    # Image syntax is no image: the "!" stays text and the rest is an ordinary (checked) link.
    image = tree("![pic](https://zwfw.gxzf.gov.cn/a.png)")
    assert image == [{"p": [{"text": "!"}, {"a": {"href": "https://zwfw.gxzf.gov.cn/a.png", "text": "pic"}}]}]


def test_links_the_address_rule_refuses_are_text_and_a_problem_when_saving():
    for href in (
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
        "http://zwfw.gxzf.gov.cn/x",
        "https://evil.example.com/",
        "https://zwfw.gxzf.gov.cn@evil.example/",
        "//evil.example/",
        "/relative",
    ):
        source = f"看 [这里]({href}) 吧"
        result = tree(source)
        assert _links(result) == [], (href, result)
        assert result == [{"p": [{"text": "看 这里 吧"}]}], href
        found = problems(source)
        assert len(found) == 1 and href[:20] in found[0][0] and href[:20] in found[0][1], (href, found)


def test_deep_nesting_and_huge_input_are_bounded():
    nested = tree("- " * 10_000 + "x")  # past MAX_LENGTH: one plain paragraph, cut
    assert _keys(nested) == {"p", "text"}
    assert len(json.dumps(nested)) < 2 * MAX_LENGTH
    deep = "- " * 1_999 + "x"  # within the length: markdown-it stops nesting, and saving is refused
    assert _keys(tree(deep)) <= ALLOWED
    assert any("嵌套" in zh and "nested" in en for zh, en in problems(deep))
    assert problems("- a\n  - b\n    - c") == []  # three levels are fine
    megabyte = "好" * 1_000_000
    assert len(tree(megabyte)[0]["p"][0]["text"]) == MAX_LENGTH
    assert problems(megabyte) == [(f"超过 {MAX_LENGTH} 个字符", f"longer than {MAX_LENGTH} characters")]
    brackets = "[" * 1_999 + "]" * 1_999
    assert _keys(tree(brackets)) <= ALLOWED
    assert problems(None) == [("应为文字", "must be text")]
