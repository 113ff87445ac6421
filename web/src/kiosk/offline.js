// The kiosk page's side of working offline and reporting health (issue 14 §4):
// - registers the kiosk service worker (sw.js, scope /kiosk/; the public tour registers none) and asks it to
//   keep the version this page shows; when the worker has a newer version whole, the page reloads once;
// - every `heartbeat_seconds` POSTs /api/v1/kiosks/<id>/heartbeat with the version shown, the uptime and the
//   errors met since the last one; an answer naming a newer published version asks the worker to fetch it.
// body[data-offline] says where the worker is: 'registering' → 'ready' (this version kept) or 'failed'.
const WORKER = '/static/web/kiosk-sw.js';
const SCOPE = '/kiosk/';
const ERRORS_SENT = 10; // per heartbeat (the server's bound)
const ERROR_TEXT = 200;

export class KioskHealth {
  constructor(kiosk) {
    this.kiosk = kiosk;
    this.version = String(kiosk.version);
    this.errors = [];
    this.onError = (event) => this.note(event.message || String(event.error));
    this.onRejection = (event) => this.note(`unhandled rejection: ${event.reason?.message || event.reason}`);
    this.onMessage = (event) => this.message(event.data || {});
  }

  start() {
    addEventListener('error', this.onError);
    addEventListener('unhandledrejection', this.onRejection);
    this.timer = setInterval(() => this.beat(), Math.max(1, this.kiosk.heartbeat_seconds) * 1000);
    this.beat();
    this.register();
  }

  stop() {
    clearInterval(this.timer);
    removeEventListener('error', this.onError);
    removeEventListener('unhandledrejection', this.onRejection);
    navigator.serviceWorker?.removeEventListener('message', this.onMessage);
  }

  note(text) {
    if (this.errors.length < ERRORS_SENT) this.errors.push(String(text).slice(0, ERROR_TEXT));
  }

  async register() {
    if (!('serviceWorker' in navigator)) return;
    document.body.dataset.offline = 'registering';
    navigator.serviceWorker.addEventListener('message', this.onMessage);
    try {
      await navigator.serviceWorker.register(WORKER, { scope: SCOPE });
      const registration = await navigator.serviceWorker.ready;
      this.worker = registration.active;
      this.prepare();
    } catch (error) {
      document.body.dataset.offline = 'failed';
      this.note(`service worker: ${error.message}`);
    }
  }

  /** Ask the worker to keep the version published now (this page's first, a newer one later). */
  prepare() {
    this.worker?.postMessage({ type: 'prepare', page: `${location.pathname}?id=${encodeURIComponent(this.kiosk.id)}` });
  }

  message(data) {
    if (data.type === 'prepared') {
      if (data.version !== this.version) location.reload(); // the new version is whole: switch once
      else document.body.dataset.offline = 'ready';
    } else if (data.type === 'prepare-failed') {
      if (document.body.dataset.offline === 'registering') document.body.dataset.offline = 'failed';
    }
  }

  async beat() {
    const errors = this.errors.splice(0, ERRORS_SENT);
    try {
      const response = await fetch(`/api/v1/kiosks/${encodeURIComponent(this.kiosk.id)}/heartbeat`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        credentials: 'omit',
        body: JSON.stringify({ version: this.version, uptime: Math.round(performance.now() / 1000), errors }),
      });
      if (!response.ok) return;
      const answer = await response.json();
      if (answer.version && answer.version !== this.version) this.prepare();
    } catch {
      this.errors.unshift(...errors.slice(0, ERRORS_SENT - this.errors.length)); // offline: tell them next time
    }
  }
}
