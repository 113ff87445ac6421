// Nowhere to escape on a kiosk: no context menu, no text selection or dragging, no pinch or keyboard zoom, no
// browser Back (keys, mouse side buttons, or a history step below the page: it is stepped forward again), and
// no link that leaves the page (a click on one is refused; qrlinks.js turns outside addresses into QR codes).
// The app's own large-text mode (长辈版) stays the way to bigger text.
import { Plugin } from '../plugins/Plugin.js';

const BACK_KEYS = new Set(['BrowserBack', 'BrowserForward', 'BrowserHome']);

export class TouchGuard extends Plugin {
  static id = 'kiosk-touch-guard';

  constructor({ root }) {
    super();
    this.root = root;
  }

  init(viewer) {
    super.init(viewer);
    const stop = (e) => e.preventDefault();
    const active = { passive: false };
    this.listen(window, 'contextmenu', stop);
    this.listen(window, 'dragstart', stop);
    this.listen(window, 'selectstart', (e) => { if (!e.target.closest?.('input')) e.preventDefault(); });
    this.listen(window, 'gesturestart', stop, active);
    this.listen(window, 'touchmove', (e) => { if (e.touches.length > 1 && !e.target.closest?.('.viewer, .dollhouse')) e.preventDefault(); }, active);
    this.listen(window, 'wheel', (e) => { if (e.ctrlKey) e.preventDefault(); }, active);
    this.listen(window, 'keydown', (e) => this.onKey(e));
    this.listen(window, 'auxclick', stop);
    this.listen(window, 'mouseup', (e) => { if (e.button === 3 || e.button === 4) e.preventDefault(); });
    // A click on a link the page did not handle itself would navigate: refused (the page's own links are
    // handled in the tour's code, which prevents their default first).
    this.listen(document, 'click', (e) => { if (!e.defaultPrevented && e.target.closest?.('a[href]')) e.preventDefault(); });
    // History: the page's entry is marked; a Back onto it (or below) is stepped forward again at once.
    history.replaceState({ ...(history.state || {}), kioskBase: true }, '', location.href);
    history.pushState({ kioskGuard: true }, '', location.href);
    this.listen(window, 'popstate', (e) => { if (e.state?.kioskBase) history.pushState({ kioskGuard: true }, '', location.href); });
    this.root.classList.add('kiosk-guarded');
  }

  onKey(event) {
    const zoom = (event.ctrlKey || event.metaKey) && ['+', '-', '=', '0'].includes(event.key);
    const back = event.altKey && (event.key === 'ArrowLeft' || event.key === 'ArrowRight');
    const typing = event.target.closest?.('input');
    if (zoom || back || BACK_KEYS.has(event.key) || (event.key === 'Backspace' && !typing)) event.preventDefault();
  }

  destroy() {
    this.root.classList.remove('kiosk-guarded');
    super.destroy();
  }
}
