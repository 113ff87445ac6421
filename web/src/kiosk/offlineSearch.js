// The kiosk's search when the server is unreachable: over the hall's search index kept with the version
// (GET /api/v1/halls/<hall>/search-index, server/catalogue/search.py: Index.offline), whose strings are the
// server index's own — normalized names, curated keywords, pinyin and initials already worked out — so the
// on-screen keyboard's pinyin (shebao), initials (yyzz) and counter numbers (a01) find what they find online.
// The scoring is the server's in a smaller form (no synonyms, filler words or typo matching): the same kinds
// of match in the same order, the best match plus a small bonus for each further one. No DOM.

const SCORE = {
  number: 110, exact: 100, prefix: 90, name: 80, keywordExact: 92, keyword: 65,
  pinyin: 62, initials: 60, english: 55, department: 40,
};
const AT_START = 3;
const BONUS_SHARE = 0.1;
const BONUS_CAP = 8;
const MIN_TERM = 2;
const MIN_INITIALS = 2;
const MIN_ENGLISH = 3;
const PINYIN_INSIDE_MIN = 5;
const FACILITY_MARGIN = 20;
const LIMIT = 20;
const PLURAL = { service: 'services', counter: 'counters', facility: 'facilities' };

/** As search.normalize: width and case folded, spaces and punctuation dropped. */
export function normalize(text) {
  return String(text).normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');
}

/** Each piece of evidence that *entry* matches *q* (normalized) or *english* (spaced, lower case): scores. */
function evidence(entry, q, english) {
  const f = entry.fields;
  const found = [];
  const each = (list, test) => (list || []).forEach(test);
  if (f.number && f.number === q) found.push(SCORE.number);
  each(f.name, (n) => {
    if (n === q) found.push(SCORE.exact);
    else if (n.startsWith(q)) found.push(SCORE.prefix);
    else if (n.includes(q)) found.push(SCORE.name);
  });
  if ((f.exact || []).includes(q)) found.push(SCORE.keywordExact);
  if (q.length >= MIN_TERM) {
    each(f.keyword, (k) => { if (k.includes(q)) found.push(SCORE.keyword); });
    each(f.department, (d) => { if (d.includes(q)) found.push(SCORE.department); });
  }
  if (/^[ -~]+$/.test(q)) { // Latin: pinyin, initials, English (q has no spaces or controls left)
    each(f.pinyin, (p) => {
      if (p.startsWith(q)) found.push(SCORE.pinyin + AT_START);
      else if (q.length >= PINYIN_INSIDE_MIN && p.includes(q)) found.push(SCORE.pinyin);
    });
    if (q.length >= MIN_INITIALS) each(f.initials, (i) => { if (i.startsWith(q)) found.push(SCORE.initials + AT_START); });
    if (english.length >= MIN_ENGLISH) {
      each(f.english, (e) => {
        if (e.startsWith(english)) found.push(SCORE.english + AT_START);
        else if (e.includes(english)) found.push(SCORE.english);
      });
    }
  }
  return found;
}

/** The search answer (the shape of GET /api/v1/search?hall=) for *query* over *index*, marked offline. */
export function searchIndex(index, query) {
  const q = normalize(query);
  const english = String(query).normalize('NFKC').toLowerCase().split(/\s+/).filter(Boolean).join(' ');
  const answer = { query, hall: index.hall, offline: true, services: [], counters: [], facilities: [], suggestions: [] };
  if (!q) return answer;
  for (const entry of index.entries) {
    const found = evidence(entry, q, english).sort((a, b) => b - a);
    if (!found.length) continue;
    const rest = found.slice(1).reduce((sum, s) => sum + s, 0);
    const score = found[0] + Math.min(BONUS_CAP, BONUS_SHARE * rest);
    answer[PLURAL[entry.kind]].push({ entry, score });
  }
  const order = (a, b) => b.score - a.score || (a.entry.kind === 'service' ? a.entry.name.length - b.entry.name.length : 0)
    || (a.entry.key < b.entry.key ? -1 : a.entry.key > b.entry.key ? 1 : 0);
  const best = Math.max(0, ...answer.services.map((r) => r.score), ...answer.counters.map((r) => r.score));
  answer.facilities = answer.facilities.filter((r) => r.score >= best - FACILITY_MARGIN);
  for (const kind of ['services', 'counters', 'facilities']) {
    answer[kind] = answer[kind].sort(order).slice(0, LIMIT)
      .map(({ entry, score }) => ({ ...entry.result, score: Math.round(score * 100) / 100, match: 'offline' }));
  }
  return answer;
}
