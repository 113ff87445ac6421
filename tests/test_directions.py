"""Directions read in one language at a time: over every pair of places of both demo halls, a Chinese step
has no Latin words and an English step no Chinese, and no step shows a raw place key or a name in the other
language, whether the places have names in both languages, in one, or none."""

from __future__ import annotations

import re

import pytest

from server.wayfinding.directions import place_name, route_steps
from server.wayfinding.routing import Unreachable
from server.wayfinding.scenes import where_words
from server.web.api.hallmodel import route_answer, route_context

HALLS = ("guigang", "pingnan")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
LATIN = re.compile(r"[A-Za-z]")
RAW_KEY = re.compile(r"\b(?:counter|facility|entrance|scene|connector|nearest):")


@pytest.fixture(scope="module")
def contexts(app):
    with app.test_request_context():
        yield {slug: route_context(slug) for slug in HALLS}


def half_names(names):
    """Every other place named in one language only (Chinese, then English, alternately)."""
    return {
        key: {"zh": given["zh"]} if i % 2 == 0 else {"en": given["en"]}
        for i, (key, given) in enumerate(sorted(names.items()))
    }


class Checker:
    """What is wrong with a bilingual text of one hall: Latin left in the Chinese once the Chinese names
    (which may hold a counter number or "ATM") are taken out, Chinese in the English, a raw key, or the
    code of a facility or scene ("toilet-1", "hall-centre") outside that place's own name."""

    def __init__(self, keys, names, floor_names) -> None:
        names = names or {}
        chinese = [g.get("zh") for g in names.values()]
        chinese += [f"{k.partition(':')[2]}窗口" for k in keys if k.startswith("counter:")]
        chinese += [f["zh"] for f in floor_names.values()]
        self.chinese = sorted(filter(None, set(chinese)), key=len, reverse=True)
        self.codes = {
            key.partition(":")[2]: names.get(key, {})
            for key in keys
            if not key.startswith("counter:") and re.search(r"[-\d]", key.partition(":")[2])
        }
        assert self.codes, "the demo halls have facilities with codes like toilet-1"
        self.code_pattern = re.compile("|".join(map(re.escape, sorted(self.codes, key=len, reverse=True))))

    def problems(self, zh: str, en: str) -> list[str]:
        found = []
        rest = zh
        for name in self.chinese:
            rest = rest.replace(name, "")
        if LATIN.search(rest):
            found.append(f"Latin in Chinese: {zh!r}")
        if CJK.search(en):
            found.append(f"Chinese in English: {en!r}")
        for lang, text in (("zh", zh), ("en", en)):
            if RAW_KEY.search(text):
                found.append(f"raw key: {text!r}")
            for match in self.code_pattern.finditer(text):
                if match.group() not in self.codes[match.group()].get(lang, ""):
                    found.append(f"code {match.group()!r} in {text!r}")
        return found


@pytest.mark.parametrize("naming", ["hall", "one-language", "none"])
@pytest.mark.parametrize("slug", HALLS)
def test_every_step_of_every_route_reads_in_one_language(contexts, slug, naming):
    context = contexts[slug]
    graph = context.model.graph
    names = {"hall": context.names, "one-language": half_names(context.names), "none": None}[naming]
    keys = sorted(graph.places)
    checker = Checker(keys, names, context.floor_names)
    wrong: list[str] = []
    texts = 0
    for a in keys:
        for b in keys:
            try:
                route = graph.route(a, b, names=names, floor_names=context.floor_names)
                pairs = [(s.zh, s.en) for s in route.steps]
            except Unreachable as exc:
                pairs = [(exc.message, exc.message_en)]
            texts += len(pairs)
            for zh, en in pairs:
                wrong += checker.problems(zh, en)
    # Every route between two places says at least where it starts and where it ends.
    assert len(keys) >= 20 and texts >= 2 * len(keys) * (len(keys) - 1)
    assert not wrong, f"{len(wrong)} bad texts, e.g. {sorted(set(wrong))[:10]}"


@pytest.mark.parametrize("slug", HALLS)
def test_every_route_answer_reads_in_one_language(contexts, app, slug):
    """The API's answer, arrival words included, for every origin and target it accepts, step-free or not."""
    context = contexts[slug]
    keys = sorted(context.model.graph.places)
    checker = Checker(keys, context.names, context.floor_names)
    wrong: list[str] = []
    answers = 0
    with app.test_request_context():
        for accessible in (False, True):
            for a in keys:
                for b in keys:
                    if b.startswith("entrance:"):
                        continue  # not a destination the API accepts
                    answer = route_answer(context, a, b, accessible)
                    answers += 1
                    pairs = [(s["zh"], s["en"]) for s in answer["steps"]]
                    where = (answer["arrival"] or {}).get("where")
                    if where:
                        pairs.append((where["zh"], where["en"]))
                    for zh, en in pairs:
                        wrong += checker.problems(zh, en)
    assert answers == 2 * len(keys) * sum(not k.startswith("entrance:") for k in keys)
    assert not wrong, f"{len(wrong)} bad texts, e.g. {sorted(set(wrong))[:10]}"


def test_a_place_without_a_name_is_called_by_a_neutral_word():
    assert place_name("scene:south") == ("目的地", "your destination")
    assert place_name("facility:toilet-1", {}) == ("目的地", "your destination")
    assert place_name("scene:south", start=True) == ("当前位置", "where you are")
    assert place_name("counter:B03") == ("B03窗口", "counter B03")
    assert place_name("entrance:main") == ("入口", "the entrance")
    # A name in one language only: the other language gets its own plain word, not the foreign name.
    assert place_name("scene:lobby", {"scene:lobby": {"en": "Lobby"}}) == ("目的地", "Lobby")
    assert place_name("scene:lobby", {"scene:lobby": {"zh": "大堂", "en": ""}}) == (
        "大堂",
        "your destination",
    )
    assert place_name("counter:B03", {"counter:B03": {"zh": "不动产窗口"}}) == ("不动产窗口", "counter B03")


def test_steps_and_arrival_words_with_unnamed_places():
    steps = route_steps([[(0.0, 0.0), (0.0, -10.0)]], [], "scene:south", "facility:water-1")
    assert (steps[0].zh, steps[0].en) == ("从当前位置出发", "Start from where you are")
    assert (steps[-1].zh, steps[-1].en) == ("目的地在正前方", "Your destination is straight ahead")
    words = where_words(place_name("facility:water-1"), 90.0, 8.0)
    assert words == {"zh": "目的地在您右侧约8米", "en": "Your destination is about 8 m on your right"}
