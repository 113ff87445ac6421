"""Search over service items, counters and facilities: Chinese substrings, full pinyin, pinyin initials,
counter numbers, department names, English names and everyday phrasings (a synonym list in
``data/synonyms.yaml``, which also holds the everyday words for each facility type of ``vocabulary``).

The index is built once per catalogue revision and kept in memory. Each searchable field of all entries is
joined into one ``\\x00``-separated string, so a substring test over 10,000 items is a few C-level
``str.find`` calls rather than a Python loop; offsets map back to entries by bisection.
"""

from __future__ import annotations

import heapq
import re
import threading
import unicodedata
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

import yaml
from pypinyin import Style, lazy_pinyin
from rapidfuzz import fuzz, process

from .. import vocabulary

SYNONYMS_FILE = Path(__file__).parent / "data" / "synonyms.yaml"
SEP = "\x00"
PLURAL = {"service": "services", "counter": "counters", "facility": "facilities"}  # an entry's result list
COUNTER_NUMBER = re.compile(r"^[a-z]{1,2}[0-9]{1,3}$")
HAN = re.compile(r"[\u3400-\u9fff]")
STOP_WORDS = frozenset(
    {"the", "and", "for", "how", "where", "can", "get", "need", "want", "with", "your", "my"}
)

# Scores by how a query met a field; the order encodes which kind of match deserves to rank first.
SCORE = {
    "exact": 100.0,
    "prefix": 90.0,
    "name": 80.0,
    "keyword_exact": 92.0,  # curated words citizens type: as strong as the start of a name
    "keyword_inside": 70.0,
    "synonym": 72.0,
    "keyword": 65.0,
    "pinyin": 62.0,
    "initials": 60.0,
    "english": 55.0,
    "department": 40.0,
    "description": 35.0,  # a facility's description (通往停车场): weak, it names other places too
    "fuzzy": 30.0,
}
BONUS_SHARE = 0.1  # each further piece of evidence adds this share of its score…
BONUS_CAP = 8.0  # …up to this much, so breadth never beats a clearly better match
KEYWORD_MAX = 12  # longest keyword looked for inside a query
FUZZY_MIN = 0.5  # share of the query's character bigrams that must occur in a name or keyword
TYPO_MIN = (
    75.0  # rapidfuzz partial ratio (0–100) for a typo: one wrong character in four (营业执找 ≈ 营业执照)
)
TYPO_MIN_LEN = 3  # characters: a two-character query with one wrong is a different word, not a typo
FUZZY_WHEN_BELOW = 65.0  # typo and bigram matching only when nothing better than a keyword part matched
PINYIN_INSIDE_MIN = 5  # letters: shorter pinyin must start a name or keyword ("an" is inside everything)
WORDS_PENALTY = 4.0  # every word of a spaced Latin query found (gongjijin tiqu): under the joined match
NUMBER_BONUS = 10.0  # a typed counter number (B03) is the one thing meant: above any name match
CLOSENESS_BONUS = 5.0  # at most this for a service name the term nearly fills: less than prefix − name
AT_START_BONUS = 3.0  # pinyin, initials or English matching from the start: below the gap between kinds
KEYWORD_INSIDE_PER_CHAR = 3.0  # a longer curated keyword found inside a query is stronger evidence…
KEYWORD_INSIDE_GAP = 4.0  # …but stays this far under the query being that keyword exactly
FUZZY_SPREAD = 10.0  # fuzzy scores rise this much with the share of bigrams: at most the department score
LOCAL_BONUS = 5.0  # an entry of the hall being toured first, but not over a clearly better match
FILLER_PENALTY = 1.0  # the query with filler words (我想, 怎么) removed: a hair under as typed
SYNONYM_PENALTY = 2.0  # a phrase's targets: under the same match on the query or its stripped form
MIN_TERM = 2  # characters: shorter terms are not looked for in keywords and departments (too common)
MIN_INITIALS = 2  # letters: one initial matches nearly everything
MIN_ENGLISH = 3  # letters: shorter English fragments (of, to) match nearly everything
# A facility is listed only when it scores within this of the best service or counter: 身份证 finds the
# ticket machine's description (刷身份证取号), but the ID-card services are what is meant.
FACILITY_MARGIN = 20.0


def normalize(text: str) -> str:
    """Fold width and case, and drop spaces and punctuation: ``（营业 执照）`` → ``营业执照``."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if ch.isalnum())


@lru_cache(maxsize=200_000)  # names rarely change between catalogue revisions; rebuilds reuse this
def pinyin_full(text: str) -> str:
    """Toneless pinyin of *text*, run together: ``营业执照`` → ``yingyezhizhao``."""
    return normalize("".join(lazy_pinyin(text)))


@lru_cache(maxsize=200_000)
def pinyin_initials(text: str) -> str:
    """First letters of each syllable: ``营业执照`` → ``yyzz``; other characters are kept as they are."""
    return normalize("".join(lazy_pinyin(text, style=Style.FIRST_LETTER)))


@cache
def synonyms() -> tuple[dict[str, list[str]], list[str]]:
    """The everyday-phrase table and the filler words (我要, 怎么…) from the data file, normalized."""
    data = _synonym_data()
    phrases = {normalize(k): [normalize(t) for t in v] for k, v in data["phrases"].items()}
    fillers = sorted((normalize(w) for w in data["fillers"]), key=len, reverse=True)
    return phrases, fillers


@cache
def facility_words() -> dict[str, tuple[str, ...]]:
    """Everyday words (Chinese and English) for each facility type: ``toilet`` → 厕所, 卫生间, WC, …"""
    return {kind: tuple(words) for kind, words in _synonym_data()["facilities"].items()}


@cache
def _synonym_data() -> dict:
    return yaml.safe_load(SYNONYMS_FILE.read_text(encoding="utf-8"))


@dataclass
class Entry:
    """What the index keeps of one service item, counter or facility."""

    kind: str  # "service", "counter" or "facility"
    key: str  # service slug, "<hall>/<number>" or "<hall>/<facility id>"
    name: str  # normalized Chinese name
    payload: dict  # what a result carries out
    halls: frozenset[str] = frozenset()


class Blob:
    """One field of every entry, joined for fast substring search."""

    def __init__(self, values: Iterable[tuple[int, str]]):
        parts, starts, owners, pos = [], [], [], 0
        for owner, value in values:
            if not value:
                continue
            parts.append(value)
            starts.append(pos)
            owners.append(owner)
            pos += len(value) + 1
        self.text = SEP.join(parts)
        self.starts = starts
        self.owners = owners

    def find(self, needle: str) -> dict[int, bool]:
        """Owners whose value contains *needle*, with whether it is the start of that value."""
        found: dict[int, bool] = {}
        if not needle:
            return found
        at = self.text.find(needle)
        while at != -1:
            i = bisect_right(self.starts, at) - 1
            owner = self.owners[i]
            found[owner] = found.get(owner, False) or at == self.starts[i]
            at = self.text.find(needle, at + 1)
        return found


@dataclass
class Index:
    """The searchable form of one catalogue revision."""

    entries: list[Entry]
    fields: dict[str, Blob] = field(default_factory=dict)
    bigrams: dict[str, set[int]] = field(default_factory=dict)
    numbers: dict[str, list[int]] = field(default_factory=dict)
    keyword_exact: dict[str, set[int]] = field(default_factory=dict)
    words: list[tuple[int, str]] = field(default_factory=list)

    @classmethod
    def build(cls, services: list[dict], counters: list[dict], facilities: Iterable[dict] = ()) -> Index:
        """Index *services*, *counters* and *facilities* (the plain dicts ``documents.search_sources`` gives)."""
        entries: list[Entry] = []
        name, keyword, kw_exact, pinyin, initials, english, department = ([] for _ in range(7))
        description: list[tuple[int, str]] = []
        for s in services:
            i = len(entries)
            n = normalize(s["name_zh"])
            entries.append(Entry("service", s["id"], n, s, frozenset(c["hall"] for c in s["counters"])))
            name.append((i, n))
            english.append((i, " ".join(s["name_en"].lower().split())))
            department.append((i, normalize(s["department_zh"])))
            pinyin.append((i, pinyin_full(s["name_zh"])))
            for part in segments(s["name_zh"]):
                pinyin.append((i, pinyin_full(part)))
                initials.append((i, pinyin_initials(part)))
            for word in s["keywords"]:
                keyword.append((i, normalize(word)))
                kw_exact.append((i, normalize(word)))
                pinyin.append((i, pinyin_full(word)))
                initials.append((i, pinyin_initials(word)))
        numbers: dict[str, list[int]] = defaultdict(list)
        for c in counters:
            i = len(entries)
            n = normalize(c["name_zh"])
            entries.append(Entry("counter", f"{c['hall']}/{c['number']}", n, c, frozenset([c["hall"]])))
            numbers[c["number"].lower()].append(i)
            name.append((i, n))
            english.append((i, " ".join(c["name_en"].lower().split())))
            department.append((i, normalize(c.get("department_zh") or "")))
            department.append((i, normalize(c["zone_zh"])))
            department.append((i, normalize(c["type"])))
            kw_exact.append((i, normalize(c["type"])))  # 导办台, 咨询: typed as such, the counter is meant
            pinyin.append((i, pinyin_full(c["name_zh"])))
            for part in segments(c["name_zh"]):
                initials.append((i, pinyin_initials(part)))
        words = facility_words()
        for f in facilities:
            i = len(entries)
            n = normalize(f["name_zh"])
            entries.append(Entry("facility", f"{f['hall']}/{f['id']}", n, f, frozenset([f["hall"]])))
            name.append((i, n))
            english.append((i, " ".join(f["name_en"].lower().split())))
            pinyin.append((i, pinyin_full(f["name_zh"])))
            initials.append((i, pinyin_initials(f["name_zh"])))
            for text in (f.get("description_zh"), f.get("description_en")):
                description.append((i, normalize(text or "")))
            # The type's names (vocabulary) and everyday words count as the facility's curated keywords.
            kind = vocabulary.FACILITIES.get(f["type"])
            for word in (*((kind.zh, kind.en) if kind else ()), *words.get(f["type"], ())):
                keyword.append((i, normalize(word)))
                kw_exact.append((i, normalize(word)))
                pinyin.append((i, pinyin_full(word)))
        index = cls(entries)
        index.fields = {
            "name": Blob(name),
            "word": Blob(keyword + name),
            "keyword": Blob(keyword),
            "pinyin": Blob(pinyin),
            "initials": Blob(initials),
            "english": Blob(english),
            "department": Blob(department),
            "description": Blob(description),
        }
        for i, word in kw_exact:
            index.keyword_exact.setdefault(word, set()).add(i)
        index.numbers = dict(numbers)
        bigrams: dict[str, set[int]] = defaultdict(set)
        for i, n in (*name, *keyword):
            for gram in _bigrams(n):
                bigrams[gram].add(i)
        index.bigrams = dict(bigrams)
        # Han names and keywords for typo matching (Latin ones are English, matched word by word).
        index.words = [(i, w) for i, w in (*name, *keyword) if HAN.search(w)]
        return index

    def search(self, query: str, *, hall: str | None = None, limit: int = 20) -> dict[str, list]:
        """Rank entries for *query*; with *hall*, entries of that hall come first (and only its counters and
        facilities). Returns ``{"services": [(score, match, entry)], "counters": [...], "facilities": [...]}``,
        best first.

        An entry's score is its best piece of evidence plus a small bonus for each further one, so that
        a service whose name *and* curated keywords *and* synonyms all agree outranks one that shares
        only a single word with the query."""
        q = normalize(query)
        if not q:
            return {"services": [], "counters": [], "facilities": []}
        evidence: dict[int, dict[tuple[str, str], tuple[float, str]]] = defaultdict(dict)

        def hit(i: int, score: float, how: str, term: str = "") -> None:
            key = (how, term)
            if score > evidence[i].get(key, (0.0, ""))[0]:
                evidence[i][key] = (score, how)

        english_q = " ".join(unicodedata.normalize("NFKC", query).lower().split())
        if COUNTER_NUMBER.match(q):
            for i in self.numbers.get(q, ()):
                hit(i, SCORE["exact"] + NUMBER_BONUS, "number")
        terms = self._terms(q)
        for term, penalty in terms:
            typed = penalty == 0
            for i, at_start in self.fields["name"].find(term).items():
                entry = self.entries[i]
                if entry.name == term:
                    score = SCORE["exact"]
                elif at_start:
                    score = SCORE["prefix"]
                else:
                    score = SCORE["name"]
                if entry.kind == "service":
                    # Among service names containing the term, the closer the name is to it, the better.
                    score += CLOSENESS_BONUS * len(term) / max(len(entry.name), 1)
                if typed:
                    hit(i, score, "name", term)
                else:
                    hit(i, min(score, SCORE["synonym"]) - penalty, "synonym", term)
            # What an everyday phrase stands for never outranks what the citizen typed.
            ceiling = SCORE["keyword_exact"] if typed else SCORE["synonym"]
            for i in self.keyword_exact.get(term, ()):
                hit(
                    i, min(SCORE["keyword_exact"], ceiling) - penalty, "keyword" if typed else "synonym", term
                )
            if len(term) >= MIN_TERM:
                for i in self.fields["keyword"].find(term):
                    hit(i, min(SCORE["keyword"], ceiling) - penalty, "keyword" if typed else "synonym", term)
                for i in self.fields["department"].find(term):
                    hit(i, SCORE["department"] - penalty, "department", term)
                for i in self.fields["description"].find(term):
                    hit(i, SCORE["description"] - penalty, "description", term)
        self._keywords_inside(q, hit)
        if q.isascii():
            self._latin(q, english_q, hit)
        if HAN.search(q) and max((s for e in evidence.values() for s, _h in e.values()), default=0) < (
            FUZZY_WHEN_BELOW
        ):
            for term, _penalty in terms[:2]:  # as typed, and without filler words
                self._fuzzy(term, hit)
        scores = {}
        for i, found in evidence.items():
            ranked = sorted(found.values(), reverse=True)
            best, how = ranked[0]
            scores[i] = (best + min(BONUS_CAP, BONUS_SHARE * sum(s for s, _h in ranked[1:])), how)
        return self._rank(scores, hall=hall, limit=limit)

    def _latin(self, q: str, english_q: str, hit) -> None:
        """Pinyin, initials and English. Initials only start a word (a name, a part of it between
        brackets, a keyword): "sb" is 社保, not the 申报 at the end of 出口退税申报. Short pinyin likewise.
        A spaced query whose words are each found in one entry counts too (gongjijin tiqu, business licence)."""
        for i, at_start in self.fields["pinyin"].find(q).items():
            if at_start or len(q) >= PINYIN_INSIDE_MIN:
                hit(i, SCORE["pinyin"] + (AT_START_BONUS if at_start else 0), "pinyin")
        if len(q) >= MIN_INITIALS:
            for i, at_start in self.fields["initials"].find(q).items():
                if at_start:
                    hit(i, SCORE["initials"] + AT_START_BONUS, "initials")
        if len(english_q) >= MIN_ENGLISH:
            for i, at_start in self.fields["english"].find(english_q).items():
                hit(i, SCORE["english"] + (AT_START_BONUS if at_start else 0), "english")
        words = [normalize(w) for w in english_q.split()]
        words = [w for w in words if len(w) >= MIN_ENGLISH and w not in STOP_WORDS]
        if len(words) < 2:
            return
        for how, blob in (("pinyin", self.fields["pinyin"]), ("english", self.fields["english"])):
            owners: set[int] | None = None
            for w in words:
                found = set(blob.find(w))
                owners = found if owners is None else owners & found
            for i in owners or ():
                hit(i, SCORE[how] - WORDS_PENALTY, how, "words")

    def _keywords_inside(self, q: str, hit) -> None:
        """Credit curated keywords that occur inside a longer query (房贷没还完卖房 ⊃ 房贷没还完). Not Latin
        ones: with the spaces gone, "water" lies inside "wastewater" and "rest" inside "interest"."""
        longest = min(len(q) - 1, KEYWORD_MAX)
        for size in range(2, longest + 1):
            for start in range(len(q) - size + 1):
                word = q[start : start + size]
                if word.isascii():
                    continue
                for i in self.keyword_exact.get(word, ()):
                    hit(
                        i,
                        min(
                            SCORE["keyword_inside"] + KEYWORD_INSIDE_PER_CHAR * size,
                            SCORE["keyword_exact"] - KEYWORD_INSIDE_GAP,
                        ),
                        "keyword",
                        word,
                    )

    def _terms(self, q: str) -> list[tuple[str, float]]:
        """The query itself, the query without filler words, and the targets of any everyday phrase in it,
        each with a penalty (0 for the query as typed)."""
        phrases, fillers = synonyms()
        terms: list[tuple[str, float]] = [(q, 0.0)]
        stripped = q
        for word in fillers:
            stripped = stripped.replace(word, "")
        if stripped and stripped != q:
            terms.append((stripped, FILLER_PENALTY))
        for text in {q, stripped}:
            for phrase, targets in phrases.items():
                if phrase and phrase in text:
                    terms.extend((t, SYNONYM_PENALTY) for t in targets)
        return terms

    def _fuzzy(self, q: str, hit) -> None:
        """Near misses, below every exact kind of match: a typo in a name or keyword (营业执找 → 营业执照,
        by rapidfuzz's partial ratio, an edit distance aligned inside the longer text), and a phrasing
        whose two-character pieces mostly occur in one entry's name and keywords (证件邮寄到家)."""
        grams = _bigrams(q)
        if grams:
            counts: dict[int, set[str]] = defaultdict(set)
            for gram in grams:
                for i in self.bigrams.get(gram, ()):
                    counts[i].add(gram)
            for i, found in counts.items():
                share = len(found) / len(grams)
                if share >= FUZZY_MIN:
                    hit(i, SCORE["fuzzy"] + FUZZY_SPREAD * share, "fuzzy", "bigrams")
        if len(q) < TYPO_MIN_LEN:
            return
        choices = [w for _i, w in self.words]
        for _word, ratio, at in process.extract(
            q, choices, scorer=fuzz.partial_ratio, score_cutoff=TYPO_MIN, limit=None
        ):
            if len(choices[at]) >= TYPO_MIN_LEN:
                hit(self.words[at][0], SCORE["fuzzy"] + FUZZY_SPREAD * ratio / 100, "fuzzy", "typo")

    def _rank(self, scores: dict[int, tuple[float, str]], *, hall: str | None, limit: int) -> dict[str, list]:
        candidates: dict[str, list] = {"services": [], "counters": [], "facilities": []}
        for i, (score, how) in scores.items():
            entry = self.entries[i]
            if entry.kind != "service" and hall and hall not in entry.halls:
                continue
            local = bool(hall and hall in entry.halls)
            candidates[PLURAL[entry.kind]].append((score + (LOCAL_BONUS if local else 0), how, entry))

        best_other = max((t[0] for kind in ("services", "counters") for t in candidates[kind]), default=0.0)
        candidates["facilities"] = [
            t for t in candidates["facilities"] if t[0] >= best_other - FACILITY_MARGIN
        ]

        # Ties: the shorter (more specific) service name, facilities lower floors first, then by key.
        def order(t: tuple[float, str, Entry]) -> tuple:
            entry = t[2]
            second = {"service": len(entry.name), "facility": entry.payload.get("floor", 0)}.get(
                entry.kind, 0
            )
            return (-t[0], second, entry.key)

        return {kind: heapq.nsmallest(limit, items, key=order) for kind, items in candidates.items()}

    def offline(self, hall: str) -> list[dict]:
        """What a kiosk of *hall* needs to search without the server: each service taken at one of the hall's
        counters, and each of its counters and facilities, as ``{kind, key, fields}`` where *fields* holds
        this index's own searchable strings of the entry by field (names, keywords, pinyin and initials
        already worked out, so the browser needs no pinyin dictionary: ``web/src/kiosk/offlineSearch.js``
        scores them as ``search`` does, in a smaller way). The caller adds what a result shows."""
        wanted = [i for i, e in enumerate(self.entries) if hall in e.halls]
        by_field: dict[str, dict[int, list[str]]] = {}
        for name in ("name", "keyword", "pinyin", "initials", "english", "department"):
            blob = self.fields[name]
            values: dict[int, list[str]] = defaultdict(list)
            for owner, value in zip(blob.owners, blob.text.split(SEP) if blob.owners else (), strict=True):
                if value not in values[owner]:
                    values[owner].append(value)
            by_field[name] = values
        exact: dict[int, list[str]] = defaultdict(list)
        for word, owners in self.keyword_exact.items():
            for i in owners:
                exact[i].append(word)
        numbers = {i: number for number, owners in self.numbers.items() for i in owners}
        out = []
        for i in wanted:
            entry = self.entries[i]
            fields = {name: values[i] for name, values in by_field.items() if values.get(i)}
            if exact.get(i):
                fields["exact"] = sorted(exact[i])
            if i in numbers:
                fields["number"] = numbers[i]
            out.append({"kind": entry.kind, "key": entry.key, "name": entry.name, "fields": fields})
        return out

    def suggestions(self, *, hall: str | None = None, count: int = 6) -> list[dict]:
        """Popular starting points to offer when nothing matched: reform-plan services first."""
        picks = [e for e in self.entries if e.kind == "service" and (not hall or hall in e.halls)]
        picks.sort(key=lambda e: (not e.payload.get("reform_2023"), e.key))
        return [e.payload for e in picks[:count]]


def segments(text: str) -> list[str]:
    """A name and its parts between brackets or punctuation, each normalized:
    ``企业开办（营业执照微信快办）`` → ``企业开办营业执照微信快办``, ``企业开办``, ``营业执照微信快办``."""
    parts = [
        normalize(p) for p in re.split(r"[\s()（）“”\"、，,+《》·]+", unicodedata.normalize("NFKC", text))
    ]
    whole = normalize(text)
    return [whole, *(p for p in parts if p and p != whole)]


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


class IndexCache:
    """One index per catalogue revision, shared by the threads of a process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._revision: str | None = None
        self._index: Index | None = None

    def get(self, revision: str, build) -> Index:
        """The index for *revision*, calling ``build()`` to make it when the revision has moved on."""
        with self._lock:
            if self._revision != revision or self._index is None:
                self._index = build()
                self._revision = revision
            return self._index


GENERAL_COUNTER = "综合受理"  # vocabulary.COUNTER_TYPES: takes many departments' services (无差别受理)
COUNTER_FILLER = re.compile(r"窗口|综合|专区|服务|业务")  # words every counter name has: no evidence


def rank_counters(service: dict, counters: list[dict]) -> list[dict]:
    """*service*'s counters, the best place to go first: one that is open for business, then a department's
    own counter before a one-stop (综合受理) counter, then the one whose name shares most with the service's
    name and keywords (食品药品许可窗口 for 食品经营许可), then the one taking fewer services (more specific),
    then by number. Each counter comes back with ``general`` (a one-stop counter) set."""
    wanted = _bigrams(normalize(service["name_zh"]))
    for word in service.get("keywords", ()):
        wanted |= _bigrams(normalize(word))

    def order(c: dict) -> tuple:
        name = COUNTER_FILLER.sub("", normalize(c["name"]["zh"]))
        shared = len(_bigrams(name) & wanted)
        return (
            c["status"] != "open",
            c.get("type") == GENERAL_COUNTER,
            -shared,
            c.get("services_count", 0),
            c["hall"],
            c["number"],
        )

    return [{**c, "general": c.get("type") == GENERAL_COUNTER} for c in sorted(counters, key=order)]
