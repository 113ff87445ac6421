// The kiosk page (/kiosk/<hall>?id=<kiosk>): the tour's viewer, search, panel and routes (main.js's Tour),
// composed with the kiosk plugin set (plugins.js). The kiosk's registered configuration (floor, plan
// position, facing, idle and countdown seconds, audio, pick-lists) comes as JSON beside the hall document
// (#kiosk-data; no inline script: the CSP forbids it). Routes start where the kiosk stands (from=kiosk:<id>);
// the tour opens at the scene nearest the kiosk, looking the way a person facing the screen looks. The URL is
// only ever replaced, never pushed: nothing for a browser Back to go to.
import { applyStrings } from '../i18n.js';
import { Tour } from '../main.js';
import { KioskHealth } from './offline.js';
import { kioskPlugins } from './plugins.js';

export class KioskPage extends Tour {
  constructor(hall, kiosk) {
    super(hall);
    this.kiosk = kiosk;
    this.here = { floor: kiosk.floor, position: kiosk.position, facing: kiosk.facing };
  }

  start() {
    const params = new URLSearchParams(location.search);
    const scene = this.startScene();
    if (!params.has('scene') && scene) {
      // A person at the screen looks the other way from it: bearing facing + 180, yaw = bearing − heading.
      const yaw = ((((this.kiosk.facing + 180 - (scene.heading || 0)) % 360) + 540) % 360) - 180;
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
