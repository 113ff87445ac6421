// The kiosk's watchdog: nobody stands by a touch screen to press reload, so the page reloads itself
// - after an uncaught error or an unhandled promise rejection (RELOAD_DELAY_MS later: what was going on may
//   settle, and a burst of errors makes one reload), and
// - when the view is frozen: a frame of the panorama has been wanted for FROZEN_MS and none was drawn (the
//   viewer's heartbeat, Viewer.stalledFor). Rendering on demand, an idle viewer wants no frame and is never
//   "frozen"; while the page is hidden the browser draws nothing, so a hidden page (and the first FROZEN_MS after
//   it shows again) is not judged.
// At most one reload per MIN_INTERVAL_MS: the time of the last one is kept in sessionStorage (it outlives the
// reload, and the clean slate keeps the kiosk's own vhall.kiosk.* keys), and a reload wanted sooner waits for
// the interval to pass. A frozen view is told to *report* (the heartbeat's error list: errors and rejections
// reach it by themselves); *reload* is the page's (it sends a last heartbeat first). A main thread stuck in a loop runs no script at all: that is for the browser's own hang
// handling and scripts/kiosk to catch, not for this page.
import { Plugin } from '../plugins/Plugin.js';

export const RELOAD_DELAY_MS = 3000;
export const MIN_INTERVAL_MS = 60000;
export const FROZEN_MS = 15000;
const CHECK_MS = 5000;
const LAST_RELOAD_KEY = 'vhall.kiosk.reloadedAt';

export class Watchdog extends Plugin {
  static id = 'kiosk-watchdog';

  constructor({ viewer = () => null, reload = () => location.reload(), report = () => {} } = {}) {
    super();
    this.viewerOf = viewer;
    this.reload = reload;
    this.report = report;
    this.timer = 0;
    this.check = 0;
    this.visibleSince = performance.now();
  }

  init(viewer) {
    super.init(viewer);
    this.listen(window, 'error', (e) => this.trouble('error', e.error ?? e.message));
    this.listen(window, 'unhandledrejection', (e) => this.trouble('unhandledrejection', e.reason));
    this.listen(document, 'visibilitychange', () => { if (!document.hidden) this.visibleSince = performance.now(); });
    this.check = setInterval(() => this.checkFrozen(), CHECK_MS);
  }

  destroy() {
    clearTimeout(this.timer);
    clearInterval(this.check);
    super.destroy();
  }

  /** Whether the viewer has wanted a frame for FROZEN_MS without drawing one, on a page that is showing. */
  frozen(now = performance.now()) {
    const viewer = this.viewerOf();
    if (!viewer || document.hidden || now - this.visibleSince < FROZEN_MS) return false;
    return viewer.stalledFor(now) >= FROZEN_MS;
  }

  checkFrozen() {
    if (!this.frozen() || this.timer) return;
    const text = `watchdog: view frozen, no frame drawn for ${FROZEN_MS / 1000} s`;
    this.report(text);
    this.trouble('frozen', text);
  }

  /** Something went wrong: reload soon, but not sooner than MIN_INTERVAL_MS after the last reload. */
  trouble(kind, detail) {
    if (this.timer) return; // a reload is already on its way
    let last;
    try {
      last = Number(sessionStorage.getItem(LAST_RELOAD_KEY)) || 0;
    } catch {
      last = 0; // no storage: the delay alone limits the rate
    }
    const now = Date.now();
    // A last reload "in the future" (the clock was set back) counts as just now.
    const since = last > now ? 0 : now - last;
    const wait = Math.max(RELOAD_DELAY_MS, last ? MIN_INTERVAL_MS - since : 0);
    console.warn(`kiosk watchdog: ${kind}; reloading in ${Math.round(wait / 1000)} s`, detail);
    document.body.dataset.kioskWatchdog = kind;
    this.timer = setTimeout(() => {
      try {
        sessionStorage.setItem(LAST_RELOAD_KEY, String(Date.now()));
      } catch {
        // no storage: reload all the same
      }
      this.reload();
    }, wait);
  }
}
