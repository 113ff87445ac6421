// Where tiles come from: the URL templates of a multires config, and a request queue with a concurrency
// bound, retries, priorities and dropping. Each frame the adapter says which URLs it wants now (with a
// priority: lower first); queued or retry-waiting requests it no longer wants — they left the view or the
// level — are dropped (as Pannellum's libpannellum.js does), requests in flight run to the end.
import { TextureLoader } from 'three';

export const CONCURRENCY = 6; // tile requests in flight
export const RETRY_MS = [500, 2000]; // waits before the 2nd and 3rd try of a failed request

/** The URL of one tile: basePath + path with %l level, %s face, %y row, %x column. */
export function tileUrl(tiles, level, face, row, col) {
  const path = tiles.path.replace('%l', level).replace('%s', face).replace('%y', row).replace('%x', col);
  return `${tiles.basePath}${path}.${tiles.extension}`;
}

/** The URL of one face of the fallback cube (basePath + fallbackPath with %s face), or null without one. */
export function fallbackUrl(tiles, face) {
  if (!tiles.fallbackPath) return null;
  return `${tiles.basePath}${tiles.fallbackPath.replace('%s', face)}.${tiles.extension}`;
}

/** The URL of the small equirect preview. */
export function previewUrl(tiles) {
  return tiles.basePath + tiles.preview;
}

function zeroCounts() {
  return { loaded: 0, retried: 0, failed: 0, fallback: 0, dropped: 0 };
}

export class TileSource {
  /**
   * *onLoad(job, texture)* for each tile in, *onGiveUp(job)* after the last retry failed, *onIdle()* when the
   * queue has run empty after a request ended. A job is what the adapter passed to want(), plus {url}.
   */
  constructor({ onLoad, onGiveUp, onIdle, concurrency = CONCURRENCY, retryMs = RETRY_MS, loader = new TextureLoader() }) {
    Object.assign(this, { onLoad, onGiveUp, onIdle, concurrency, retryMs, loader });
    this.queue = new Map(); // url → {job, priority, state: 'queued' | 'loading' | 'waiting', tries, timer}
    this.failed = new Set(); // URLs given up on (until reset): not asked again
    this.inFlight = 0;
    this.generation = 0;
    this.counts = zeroCounts();
  }

  /** Forget every request (answers of those in flight are disposed) and the counts. */
  reset() {
    this.generation++;
    for (const entry of this.queue.values()) clearTimeout(entry.timer);
    this.queue.clear();
    this.failed.clear();
    this.inFlight = 0;
    this.counts = zeroCounts();
  }

  /** Requests not yet ended: queued, in flight or waiting to retry. */
  get pending() {
    return this.queue.size;
  }

  /**
   * The requests wanted now: *wanted* maps URL → {priority, ...job}. Drops what is queued or waiting and no
   * longer wanted, adds what is new (unless given up on), re-prioritises the rest, and starts requests.
   */
  want(wanted) {
    for (const [url, entry] of this.queue) {
      if (entry.state === 'loading' || wanted.has(url)) continue;
      clearTimeout(entry.timer);
      this.queue.delete(url);
      this.counts.dropped++;
    }
    for (const [url, job] of wanted) {
      const entry = this.queue.get(url);
      if (entry) entry.priority = job.priority;
      else if (!this.failed.has(url)) this.queue.set(url, { job: { ...job, url }, priority: job.priority, state: 'queued', tries: 0, timer: 0 });
    }
    this.pump();
  }

  /** Start the most urgent queued requests while fewer than *concurrency* are in flight. */
  pump() {
    if (this.inFlight >= this.concurrency) return;
    const queued = [...this.queue.entries()].filter(([, e]) => e.state === 'queued').sort((a, b) => a[1].priority - b[1].priority);
    for (const [url, entry] of queued) {
      if (this.inFlight >= this.concurrency) break;
      this.start(url, entry);
    }
  }

  start(url, entry) {
    entry.state = 'loading';
    this.inFlight++;
    const generation = this.generation;
    const { job } = entry;
    this.loader.load(url, (texture) => {
      if (generation !== this.generation) { texture.dispose(); return; } // reset meanwhile: counts start again
      this.counts[job.fallback ? 'fallback' : 'loaded']++;
      this.end(url);
      this.onLoad(job, texture);
      this.afterEnd();
    }, undefined, () => {
      if (generation !== this.generation) return;
      this.inFlight--;
      if (entry.tries < this.retryMs.length) {
        this.counts.retried++;
        entry.state = 'waiting';
        entry.timer = setTimeout(() => {
          if (generation !== this.generation || this.queue.get(url) !== entry) return; // dropped meanwhile
          entry.tries++;
          entry.state = 'queued';
          this.pump();
        }, this.retryMs[entry.tries]);
        this.pump();
        return;
      }
      this.counts.failed++;
      this.failed.add(url);
      this.queue.delete(url);
      console.warn(`TileSource: gave up on ${url}`);
      this.onGiveUp(job);
      this.afterEnd();
    });
  }

  end(url) {
    this.inFlight--;
    this.queue.delete(url);
  }

  afterEnd() {
    this.pump();
    if (this.queue.size === 0) this.onIdle();
  }

  /** One texture outside the queue (the preview), with the same retries; rejects after the last. */
  fetch(url) {
    const generation = this.generation;
    return new Promise((resolve, reject) => {
      const attempt = (tries) => this.loader.load(url, resolve, undefined, (error) => {
        if (generation !== this.generation || tries >= this.retryMs.length) reject(error);
        else setTimeout(() => attempt(tries + 1), this.retryMs[tries]);
      });
      attempt(0);
    });
  }
}
