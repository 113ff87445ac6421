// The kiosk page (/kiosk/<hall>?id=<kiosk>): the tour's viewer, search, panel and routes (main.js's Tour),
// composed with the kiosk plugin set (plugins.js). The kiosk's registered configuration (floor, plan
// position, facing, idle and countdown seconds, audio, pick-lists) comes as JSON beside the hall document
// (#kiosk-data; no inline script: the CSP forbids it). Routes start where the kiosk stands (from=kiosk:<id>);
// the tour opens at the scene nearest the kiosk, looking the way a person facing the screen looks. The URL is
// only ever replaced, never pushed: nothing for a browser Back to go to. The watchdog (watchdog.js) is set up
// before anything else, so that an error while the page starts reloads it too. resetToStart() is the clean slate
// for the next person (idle.js calls it when nobody answers “还在使用吗？”).
import { applyStrings, setLang } from '../i18n.js';
import { DEFAULT_FOV, Tour } from '../main.js';
import { KioskHealth } from './offline.js';
import { kioskPlugins } from './plugins.js';
import { Watchdog } from './watchdog.js';

const KIOSK_KEYS = 'vhall.kiosk.'; // the kiosk's own storage (the watchdog's last reload): kept by the clean slate
const LAST_BEAT_MS = 2000;
const TOUR_KEYS = 'vhall.'; // what the tour writes (large text, step-free …): cleared by it

export class KioskPage extends Tour {
  constructor(hall, kiosk) {
    super(hall);
    this.kiosk = kiosk;
    this.here = { floor: kiosk.floor, position: kiosk.position, facing: kiosk.facing };
  }

  start() {
    const watchdog = new Watchdog({
      viewer: () => this.viewer,
      report: (text) => this.health?.note(text),
      reload: () => this.reload(),
    });
    this.alone.set(watchdog.id, watchdog);
    watchdog.init(null);
    const params = new URLSearchParams(location.search);
    const { scene, yaw } = this.startView();
    if (!params.has('scene') && scene) {
      params.set('scene', scene.id);
      params.set('yaw', yaw.toFixed(1));
      history.replaceState(history.state, '', `${location.pathname}?${params}`);
    }
    super.start();
    this.kioskPlugins = kioskPlugins(this).map((plugin) => this.use(plugin));
    this.health = new KioskHealth(this.kiosk);
    this.health.start();
    document.body.dataset.kiosk = 'ready';
  }

  /** Reload the page (the watchdog's way out), after one last heartbeat with the errors met (≤ 2 s). */
  async reload() {
    const last = this.health?.beat();
    await Promise.race([last, new Promise((resolve) => { setTimeout(resolve, LAST_BEAT_MS); })]).catch(() => {});
    location.reload();
  }

  /** Where the kiosk's tour opens: the start scene, and the yaw a person facing the screen looks along. */
  startView() {
    const scene = this.startScene();
    // A person at the screen looks the other way from it: bearing facing + 180, yaw = bearing − heading.
    const yaw = scene ? ((((this.kiosk.facing + 180 - (scene.heading || 0)) % 360) + 540) % 360) - 180 : 0;
    return { scene, yaw };
  }

  /**
   * A clean slate for the next person: the search (text, results), every panel, the 3D hall, the text
   * directory, the route, the pick-lists and keyboard, read-aloud, the scene and view, language and large text
   * back to the kiosk's defaults (中文, off), the tour's storage keys, every scroll position, the focus, and the
   * URL (replaced: the history never grows). Pending work (a route being planned, a URL write) is dropped.
   */
  resetToStart() {
    clearTimeout(this.urlTimer);
    this.routeRequest = null;
    this.routeTarget = null;
    this.routeData = null;
    this.plugin('dollhouse')?.close(); // off its history entry too (onDollhouseClose steps back)
    if (this.xr?.session) this.xr.exit();
    this.plugin('route-guide')?.setRoute(null);
    this.plugin('minimap')?.setRoute(null);
    this.plugin('dollhouse')?.setRoute(null);
    this.panel.close({ silent: true });
    this.search.clear();
    this.toggleDirectory(false, { silent: true });
    this.setStepFree(false, { replan: false });
    setLang('zh');
    this.setElder(false);
    this.plugin('kiosk-picks')?.reset();
    const { scene, yaw } = this.startView();
    if (scene) this.showScene(scene);
    this.viewer?.setView({ yaw, pitch: 0, fov: DEFAULT_FOV }, { silent: true });
    for (const storage of [localStorage, sessionStorage]) {
      for (const key of Object.keys(storage)) if (key.startsWith(TOUR_KEYS) && !key.startsWith(KIOSK_KEYS)) storage.removeItem(key);
    }
    window.scrollTo(0, 0);
    for (const node of document.querySelectorAll('*')) {
      if (node.scrollTop) node.scrollTop = 0;
      if (node.scrollLeft) node.scrollLeft = 0;
    }
    this.plugin('minimap')?.centre(); // the plan's own scroll: the kiosk's position in the middle again
    document.activeElement?.blur?.();
    this.writeUrl();
  }

  /** The scenes of the attract loop: the kiosk's start scene first, then the others in the hall's order. */
  attractScenes() {
    const all = [...this.scenes.values()];
    const first = Math.max(0, all.indexOf(this.startScene()));
    return [...all.slice(first), ...all.slice(0, first)];
  }

  /** The scene nearest the kiosk on its floor (else the tour's start scene). */
  startScene() {
    const [x, z] = this.kiosk.position;
    let best = null;
    for (const scene of this.scenes.values()) {
      if (scene.floor !== this.kiosk.floor || !scene.position) continue;
      const d = Math.hypot(scene.position[0] - x, scene.position[2] - z);
      if (!best || d < best.d) best = { scene, d };
    }
    return best?.scene || super.startScene();
  }

  /** The short tour link of the route being followed, for a phone: from the scene nearest the kiosk. */
  takeAlongUrl() {
    if (!this.routeTarget) return null;
    const params = new URLSearchParams();
    const scene = this.startScene();
    if (scene) params.set('scene', scene.id);
    params.set('route', this.routeTarget);
    if (this.stepFree) params.set('stepfree', '1');
    return `${location.origin}/hall/${encodeURIComponent(this.hall.slug)}?${params}`;
  }

  routeOrigin() {
    return `kiosk:${this.kiosk.id}`;
  }

  baseParams() {
    return new URLSearchParams({ id: this.kiosk.id });
  }

  writeUrl(options = {}) {
    super.writeUrl({ ...options, replace: true });
  }

  /** The large-text switch (长辈版): a kiosk is always at elder-mode sizes (body.elder, from the page), and
   * the switch makes everything larger still. Not remembered: the next person starts at the default. */
  setElder(on) {
    this.elder = on;
    document.body.classList.add('elder');
    document.body.classList.toggle('kiosk-large', on);
    this.$('toggle-elder').setAttribute('aria-pressed', String(on));
    this.viewer?.requestRender();
  }

  async openDollhouse() {
    await super.openDollhouse();
    this.plugin('dollhouse')?.setHere(this.here);
  }

  async route(target, options = {}) {
    await super.route(target, options);
    if (this.routeTarget === target) this.plugin('kiosk-route-qr')?.show();
  }
}

const hallData = document.getElementById('hall-data');
const kioskData = document.getElementById('kiosk-data');
if (hallData && kioskData) {
  applyStrings(document);
  new KioskPage(JSON.parse(hallData.textContent), JSON.parse(kioskData.textContent)).start();
}
