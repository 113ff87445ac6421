// What a kiosk needs to show its hall with the server unreachable: one version's set of URLs, read from the
// kiosk page's own HTML (the hall document and the kiosk's configuration are JSON in it). Used by the
// service worker (sw.js); no DOM, no three.js.
//
// The set: the kiosk page, the model, each floor plan (both languages), every scene's preview, fallback cube
// and tiles of every level (finest levels dropped first past MAX_TILES), each counter's detail, the popular
// services' details, the opening states, and the hall's search index (offlineSearch.js searches it offline).

export const MAX_TILES = 4000; // tile URLs per version at most: a bound on what one kiosk keeps

/** The JSON of `<script type="application/json" id="<id>">` in *html* (json_script escapes `<`, so the first
 * `</script>` after it closes it), or null. */
export function embeddedJson(html, id) {
  const start = html.indexOf(`<script type="application/json" id="${id}">`);
  if (start < 0) return null;
  const from = html.indexOf('>', start) + 1;
  return JSON.parse(html.slice(from, html.indexOf('</script>', from)));
}

/** The URL of one tile, as the viewer's tile source makes it (viewer/tileSource.js: tileUrl). */
function tileUrl(tiles, level, face, row, col) {
  const path = tiles.path.replace('%l', level).replace('%s', face).replace('%y', row).replace('%x', col);
  return `${tiles.basePath}${path}.${tiles.extension}`;
}

/** Every tile URL of *tiles* level by level, coarsest first (as viewer/cubeGeometry.js lays them out). */
function tileLevels(tiles) {
  const levels = [];
  let size = tiles.cubeResolution;
  for (let level = tiles.maxLevel; level >= 1; level--) {
    const across = Math.ceil(size / tiles.tileResolution);
    const urls = [];
    for (const face of 'frblud') {
      for (let row = 0; row < across; row++) for (let col = 0; col < across; col++) urls.push(tileUrl(tiles, level, face, row, col));
    }
    levels.unshift(urls);
    size = Math.floor(size / 2);
  }
  return levels;
}

/** The URLs of one version (besides the page itself) for hall document *hall* and kiosk config *kiosk*. */
export function offlineUrls(hall, kiosk) {
  const urls = new Set();
  if (hall.model_url) urls.add(hall.model_url);
  for (const floor of hall.floors || []) {
    if (!floor.plan_url) continue;
    const join = floor.plan_url.includes('?') ? '&' : '?';
    for (const lang of ['zh', 'en']) urls.add(`${floor.plan_url}${join}lang=${lang}`);
  }
  urls.add(hall.opening?.url ?? `/api/v1/halls/${hall.slug}/states`);
  urls.add(searchIndexUrl(hall.slug));
  for (const counter of hall.counters || []) urls.add(`/api/v1/halls/${hall.slug}/counters/${encodeURIComponent(counter.number)}`);
  for (const service of kiosk.picks?.services || []) urls.add(`/api/v1/services/${encodeURIComponent(service.id)}`);
  const levels = [];
  for (const scene of hall.scenes || []) {
    const tiles = scene.tiles;
    if (!tiles) continue;
    urls.add(tiles.basePath + tiles.preview);
    if (tiles.fallbackPath) for (const face of 'frblud') urls.add(`${tiles.basePath}${tiles.fallbackPath.replace('%s', face)}.${tiles.extension}`);
    tileLevels(tiles).forEach((level, i) => { (levels[i] ||= []).push(...level); });
  }
  let count = 0;
  for (const level of levels) { // coarse levels first; a level that does not fit whole is left out
    if (count + level.length > MAX_TILES) break;
    level.forEach((url) => urls.add(url));
    count += level.length;
  }
  return [...urls];
}

/** Where the hall's offline search index is (server/web/api/services.py: search_index). */
export function searchIndexUrl(slug) {
  return `/api/v1/halls/${encodeURIComponent(slug)}/search-index`;
}

/** A search answer over the hall document alone, for a version kept before the search index was (what the kiosk can say offline): counters by number, name
 * (offlineSearch.js searches that): counters by number, name or department, facilities by name; no services. */
export function offlineSearch(hall, query) {
  const q = query.trim().toLowerCase();
  const has = (name) => !!name && [name.zh, name.en].some((text) => text && text.toLowerCase().includes(q));
  const counters = (hall.counters || [])
    .filter((c) => c.number.toLowerCase() === q || has(c.name) || has(c.department?.name))
    .map((c) => ({ ...c, hall: hall.slug }));
  const facilities = (hall.facilities || [])
    .filter((f) => has(f.name))
    .map((f) => ({ ...f, hall: hall.slug, score: 1 }));
  return { query, hall: hall.slug, offline: true, services: [], counters, facilities };
}
