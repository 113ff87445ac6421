// The kiosk's service worker (scope /kiosk/, registered only by kiosk pages: kiosk/offline.js). Bundled and
// given its precache manifest at build time (scripts/build_web.mjs: esbuild, then workbox-build's
// injectManifest), so the code is precached by Workbox; the hall's data is kept here in one cache per
// published version (offlineSet.js: the page, model, plans, tiles, counters):
//
// - a version is prepared whole: the kiosk page is fetched, its set read from it and fetched into a new cache;
//   only when every URL is in does `current` point at it, the older caches go and the pages are told to
//   reload once. A failed fetch (the server went away) drops the half-built cache: no half-old, half-new set.
// - the page and the set are answered from the current version's cache first (what the page shows stays one
//   version), everything else from the network first, kept in that cache for when the network is gone.
// - offline, a search is answered from the version's search index (offlineSearch.js: services by pinyin,
//   initials and names, counters by number, as online), or from the cached hall document without one.
import { clientsClaim } from 'workbox-core';
import { cleanupOutdatedCaches, precacheAndRoute } from 'workbox-precaching';
import { searchIndex } from './offlineSearch.js';
import { embeddedJson, offlineSearch, offlineUrls, searchIndexUrl } from './offlineSet.js';

const PREFIX = 'vhall-kiosk-';
const META = `${PREFIX}meta`;
const CURRENT = '/__kiosk/current'; // the key under which META keeps {version, page, cache}
const CONCURRENCY = 6;
const RUNTIME_LIMIT = 500; // responses kept besides the set, per version
const DATA = /^\/(kiosk\/|api\/v1\/|panoramas\/)/;

async function current() {
  const hit = await (await caches.open(META)).match(CURRENT);
  return hit ? hit.json() : null;
}

/** The key of a kiosk page: its path and kiosk id (scene and view parameters are the page's own). */
function pageKey(url) {
  return `${url.origin}${url.pathname}?id=${encodeURIComponent(url.searchParams.get('id') || '')}`;
}

let preparing = null;
const kept = new Map(); // cache name → responses kept besides the set (this worker's lifetime)

/** Make the version of kiosk page *page* current (fetched whole first); resolves to {version, switched}. */
async function prepare(page) {
  const key = pageKey(new URL(page, self.location.origin));
  const response = await fetch(key, { cache: 'no-store' });
  if (!response.ok) throw new Error(`kiosk page ${response.status}`);
  const html = await response.text();
  const hall = embeddedJson(html, 'hall-data');
  const kiosk = embeddedJson(html, 'kiosk-data');
  const version = String(kiosk.version);
  const now = await current();
  if (now && now.version === version && now.page === key) return { version, switched: false };
  const name = `${PREFIX}v${version}-${kiosk.id}`;
  await caches.delete(name);
  const cache = await caches.open(name);
  try {
    await cache.put(key, new Response(html, { headers: { 'Content-Type': 'text/html; charset=utf-8' } }));
    const urls = offlineUrls(hall, kiosk);
    let next = 0;
    const worker = async () => {
      while (next < urls.length) {
        const url = urls[next++];
        const answer = await fetch(url, { cache: 'no-cache' });
        if (!answer.ok) throw new Error(`${url}: ${answer.status}`);
        await cache.put(url, answer);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  } catch (error) {
    await caches.delete(name);
    throw error;
  }
  await (await caches.open(META)).put(CURRENT, new Response(JSON.stringify({ version, page: key, cache: name, hall: hall.slug })));
  for (const old of await caches.keys()) {
    if (old.startsWith(PREFIX) && old !== META && old !== name) await caches.delete(old);
  }
  return { version, switched: true };
}

async function answer(request) {
  const url = new URL(request.url);
  const now = await current();
  const cache = now ? await caches.open(now.cache) : null;
  if (now && !kept.has(now.cache)) kept.set(now.cache, 0);
  const key = request.mode === 'navigate' ? pageKey(url) : request.url;
  const fromSet = request.mode === 'navigate' || url.pathname.startsWith('/panoramas/') || url.pathname.endsWith('/model.glb')
    || url.pathname.endsWith('/plan.svg') || /\/(counters|services)\//.test(url.pathname);
  if (cache && fromSet) {
    const hit = await cache.match(key, { ignoreVary: true });
    if (hit) return hit;
  }
  try {
    const response = await fetch(request);
    if (cache && response.ok && request.mode !== 'navigate' && kept.get(now.cache) < RUNTIME_LIMIT) {
      kept.set(now.cache, kept.get(now.cache) + 1);
      await cache.put(request, response.clone());
    }
    return response;
  } catch (error) {
    const hit = cache && (await cache.match(key, { ignoreVary: true }));
    if (hit) return hit;
    if (cache && url.pathname === '/api/v1/search') {
      const index = now.hall && (await cache.match(searchIndexUrl(now.hall), { ignoreVary: true }));
      if (index) return Response.json(searchIndex(await index.json(), url.searchParams.get('q') || ''));
      const page = await cache.match(now.page);
      const hall = page && embeddedJson(await page.text(), 'hall-data');
      if (hall) return Response.json(offlineSearch(hall, url.searchParams.get('q') || ''));
    }
    throw error;
  }
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || !DATA.test(url.pathname)) return;
  event.respondWith(answer(request));
});

self.addEventListener('message', (event) => {
  if (event.data?.type !== 'prepare') return;
  preparing ||= prepare(event.data.page).catch(async (error) => {
    // Unreachable server: the version kept for this page (if any) stays, and the page is told so.
    const now = await current();
    const key = pageKey(new URL(event.data.page, self.location.origin));
    if (now && now.page === key) return { version: now.version, switched: false, offline: true };
    throw error;
  }).finally(() => { preparing = null; });
  event.waitUntil(preparing.then(
    (result) => event.source?.postMessage({ type: 'prepared', ...result }),
    (error) => event.source?.postMessage({ type: 'prepare-failed', message: String(error) }),
  ));
});

self.skipWaiting();
clientsClaim();
cleanupOutdatedCaches();
precacheAndRoute(self.__WB_MANIFEST, { ignoreURLParametersMatching: [/^v$/] });
