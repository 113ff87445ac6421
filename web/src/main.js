// The citizen tour: wires the viewer, tiles, controls, hotspots, panel and search to the hall document
// embedded in the page, and keeps ?scene=&yaw=&pitch=&fov=&counter=&service=&lang= in the URL.
import { HOTSPOT_SELECT, LANG_CHANGE, PANEL_CHANGE, ROUTE_END, ROUTE_REQUEST, SEARCH_SELECT, VIEW_CHANGE, XR_END } from './events.js';
import { applyStrings, getLang, i18nEvents, pick, setLang, t } from './i18n.js';
import { HotspotsPlugin } from './plugins/hotspots.js';
import { OrientationPlugin } from './plugins/orientation.js';
import { Minimap } from './plugins/minimap.js';
import { RouteGuide } from './plugins/routeguide.js';
import { el, getJSON } from './ui/dom.js';
import { Panel } from './ui/panel.js';
import { Search } from './ui/search.js';
import { Controls } from './viewer/controls.js';
import { CubeTiles } from './viewer/CubeTiles.js';
import { Viewer } from './viewer/Viewer.js';

const DEFAULT_FOV = 75;
const MOVE_MS = 400; // the turn-and-zoom towards the next scene
const MOVE_ZOOM = 0.6; // the field of view shrinks to this share of itself meanwhile
const URL_DELAY_MS = 250;
const ELDER_KEY = 'vhall.elder';

function number(value, fallback) {
  const parsed = Number.parseFloat(value);
  return Number.isFinite(parsed) ? parsed : fallback;
}

class Tour {
  constructor(hall) {
    this.hall = hall;
    this.scenes = new Map(hall.scenes.filter((s) => s.tiles).map((s) => [s.id, s]));
    this.scene = null;
    this.urlTimer = 0;
    this.$ = (id) => document.getElementById(id);
  }

  start() {
    const params = new URLSearchParams(location.search);
    if (params.get('lang') === 'en') setLang('en');
    this.setElder(localStorage.getItem(ELDER_KEY) === '1');
    this.panel = new Panel(this.$('panel'), this.hall, { returnFocus: () => this.$('viewer') });
    this.panel.init();
    this.search = new Search(this.$('search-input'), this.$('search-results'), this.hall);
    this.search.init();
    if (this.scenes.size) this.startViewer(params);
    this.minimap = new Minimap(this.$('minimap'), this.hall, this.viewer);
    this.minimap.init();
    this.bind();
    this.applyState(params, { initial: true });
    // A read-only test hook: window.__tour.xr.lastSelected, window.__tour.viewer.renderer.info.
    Object.defineProperty(window, '__tour', { value: this, writable: false, configurable: false });
    document.body.dataset.tour = 'ready';
  }

  startViewer(params) {
    const container = this.$('viewer');
    try {
      this.viewer = new Viewer(container, {
        yaw: number(params.get('yaw'), 0), pitch: number(params.get('pitch'), 0), fov: number(params.get('fov'), DEFAULT_FOV),
      });
    } catch (error) {
      container.append(el('p', { class: 'no-panorama', text: t('webglMissing') }));
      return;
    }
    this.tiles = new CubeTiles(this.viewer);
    this.tiles.connect();
    this.hotspots = new HotspotsPlugin(this.viewer, this.$('hotspots'), this.hall);
    this.hotspots.init();
    this.routeGuide = new RouteGuide(this.$('route-bar'), this.hotspots, this.hall);
    this.routeGuide.init();
    this.controls = new Controls(this.viewer, container, container.querySelector('.view-buttons'));
    this.controls.connect();
    this.orientation = new OrientationPlugin(this.viewer, this.$('look-by-phone'));
    this.orientation.init();
    this.setupVR();
  }

  bind() {
    this.viewer?.addEventListener(VIEW_CHANGE, () => this.writeUrl({ replace: true, later: true }));
    this.hotspots?.addEventListener(HOTSPOT_SELECT, (e) => this.select(e.detail.target, { focusPanel: true }));
    this.routeGuide?.addEventListener(ROUTE_END, () => this.endRoute());
    this.minimap.addEventListener(HOTSPOT_SELECT, (e) => this.select(e.detail.target));
    this.$('toggle-3d').hidden = !this.hall.model_url;
    this.$('toggle-3d').addEventListener('click', () => this.openDollhouse());
    this.panel.addEventListener(PANEL_CHANGE, () => this.writeUrl());
    this.panel.addEventListener(ROUTE_REQUEST, (e) => this.route(e.detail.counter));
    this.search.addEventListener(ROUTE_REQUEST, (e) => this.route(e.detail.counter));
    this.search.addEventListener(SEARCH_SELECT, (e) => {
      if (e.detail.service) this.panel.openService(e.detail.service, { counter: e.detail.counter });
      else this.panel.openCounter(e.detail.counter);
      this.panel.element.focus();
    });
    i18nEvents.addEventListener(LANG_CHANGE, () => this.onLang());
    window.addEventListener('popstate', () => this.applyState(new URLSearchParams(location.search)));
    this.$('toggle-lang').addEventListener('click', () => { setLang(getLang() === 'en' ? 'zh' : 'en'); this.writeUrl({ replace: true }); });
    this.$('toggle-elder').addEventListener('click', () => this.setElder(!document.body.classList.contains('elder')));
    this.$('toggle-directory').addEventListener('click', () => this.toggleDirectory());
    this.$('directory').addEventListener('click', (e) => {
      const link = e.target.closest('a[data-counter]');
      if (!link) return;
      e.preventDefault();
      this.toggleDirectory(false);
      if (link.dataset.service) this.panel.openService(link.dataset.service, { counter: link.dataset.counter });
      else this.panel.openCounter(link.dataset.counter);
      this.panel.element.focus();
    });
  }

  /** The VR button: says plainly where VR cannot start; loads plugins/xr.js only where it can or on a press. */
  setupVR() {
    const button = this.$('enter-vr');
    if (!button) return;
    const say = (key) => { button.dataset.i18n = key; button.textContent = t(key); };
    const load = () => {
      this.xrLoading ??= import('./plugins/xr.js').then(({ XRPlugin }) => {
        this.xr = new XRPlugin(this.viewer, this.hall);
        this.xr.addEventListener(HOTSPOT_SELECT, (e) => this.select(e.detail.target));
        this.xr.addEventListener(XR_END, () => say('enterVR'));
        return this.xr;
      });
      return this.xrLoading;
    };
    button.hidden = false;
    const canTry = window.isSecureContext && navigator.xr;
    const support = canTry ? navigator.xr.isSessionSupported('immersive-vr').catch(() => false) : Promise.resolve(false);
    support.then((ok) => {
      if (ok) load();
      else say(window.isSecureContext ? 'vrUnavailable' : 'vrInsecure');
      button.dataset.vr = ok ? 'supported' : 'unavailable';
    });
    button.addEventListener('click', async () => {
      if (button.dataset.vr !== 'supported') return;
      const xr = await load();
      if (xr.session) { xr.exit(); return; }
      try {
        await xr.enter(this.scene);
        say('exitVR');
      } catch (error) {
        say('vrFailed');
        console.warn('WebXR', error);
      }
    });
  }

  /** Scene, view and panel from URL parameters (on load and on back/forward). */
  applyState(params, { initial = false } = {}) {
    const wanted = params.get('scene');
    const scene = this.scenes.get(wanted) || (initial || !this.scene ? this.startScene() : this.scene);
    if (scene && scene !== this.scene) this.showScene(scene);
    if (!initial && this.viewer) {
      this.viewer.setView({ yaw: number(params.get('yaw'), 0), pitch: number(params.get('pitch'), 0), fov: number(params.get('fov'), DEFAULT_FOV) }, { silent: true });
    }
    if (!initial) setLang(params.get('lang') === 'en' ? 'en' : 'zh');
    const counter = params.get('counter');
    const service = params.get('service');
    if (service) this.panel.openService(service, { counter, silent: true });
    else if (counter) this.panel.openCounter(counter, { silent: true });
    else if (!initial) this.panel.close({ silent: true });
  }

  startScene() {
    return this.scenes.get('entrance') || this.scenes.values().next().value || null;
  }

  showScene(scene) {
    this.scene = scene;
    this.$('scene-name').textContent = pick(scene.name);
    this.$('viewer').setAttribute('aria-label', `${t('panorama')}：${pick(scene.name)}`);
    this.tiles?.load(scene.tiles);
    this.hotspots?.setScene(scene);
    this.routeGuide?.setScene(scene);
    this.minimap?.setScene(scene);
  }

  /** Go to *scene* with a short turn and zoom towards it (none with prefers-reduced-motion). */
  async moveTo(scene) {
    if (this.moving || scene === this.scene) return;
    this.moving = true;
    const from = this.scene;
    const hadFocus = this.$('hotspots').contains(document.activeElement);
    const view = this.viewer?.getView();
    if (view && !this.xr?.session && from?.position && scene.position) {
      const dx = scene.position[0] - from.position[0];
      const dz = scene.position[2] - from.position[2];
      const bearing = (Math.atan2(dx, -dz) * 180) / Math.PI; // plan bearing: 0 along −z, clockwise
      await this.viewer.animateTo({ yaw: bearing - (from.heading || 0), pitch: 0, fov: view.fov * MOVE_ZOOM }, MOVE_MS);
    }
    this.showScene(scene);
    if (view) this.viewer.setView(view, { silent: true }); // the new scene opens with the view as it was
    this.moving = false;
    if (hadFocus) this.$('viewer').focus(); // the pressed hotspot is gone: keyboard users go on from the view
    this.writeUrl();
  }

  endRoute() {
    this.routeData = null;
    this.minimap?.setRoute(null);
    this.dollhouse?.setRoute(null);
    this.$('viewer').focus();
  }

  /** The 3D hall: its code (three's loader and controls) is a lazy chunk, fetched on first use. */
  async openDollhouse() {
    if (!this.dollhouse) {
      const { Dollhouse } = await import('./plugins/dollhouse.js');
      this.dollhouse = new Dollhouse(this.$('dollhouse'), this.hall);
      this.dollhouse.addEventListener(HOTSPOT_SELECT, (e) => this.select(e.detail.target));
    }
    this.dollhouse.setRoute(this.routeData || null);
    await this.dollhouse.open();
  }

  select(target, { focusPanel = false } = {}) {
    const [kind, key] = target.split(':');
    if (kind === 'counter') {
      this.panel.openCounter(key);
      if (focusPanel) this.panel.element.focus();
    } else if (kind === 'scene' && this.scenes.has(key)) {
      this.moveTo(this.scenes.get(key));
    } else if (kind === 'facility') {
      const facility = this.hall.facilities.find((f) => f.id === key);
      if (facility) this.panel.show(pick(facility.name), [facility.description ? el('p', { text: pick(facility.description) }) : el('p', { text: t('facility') })]);
    }
  }

  async route(counter) {
    const from = this.scene ? `scene:${this.scene.id}` : 'entrance:main';
    this.panel.loading();
    try {
      const url = `/api/v1/halls/${this.hall.slug}/route?from=${encodeURIComponent(from)}&to=${encodeURIComponent(`counter:${counter}`)}`;
      this.routeData = await getJSON(url);
      this.minimap?.setRoute(this.routeData);
      this.dollhouse?.setRoute(this.routeData);
      this.routeGuide?.setRoute(this.routeData, counter);
      this.panel.showRoute(counter, this.routeData);
      this.panel.element.focus();
    } catch (error) {
      this.panel.failed(error);
    }
  }

  onLang() {
    if (this.scene) {
      this.$('scene-name').textContent = pick(this.scene.name);
      this.hotspots?.relabel(this.scene);
      this.routeGuide?.update();
    }
    const { counter, service } = this.panel.state;
    if (service) this.panel.openService(service, { counter, silent: true });
    else if (counter) this.panel.openCounter(counter, { silent: true });
    this.search.hide();
  }

  setElder(on) {
    document.body.classList.toggle('elder', on);
    this.$('toggle-elder').setAttribute('aria-pressed', String(on));
    localStorage.setItem(ELDER_KEY, on ? '1' : '0');
    this.viewer?.requestRender(); // the hotspots change size: the route arrow re-stacks under its link
  }

  toggleDirectory(force) {
    const directory = this.$('directory');
    const show = force ?? directory.hidden;
    directory.hidden = !show;
    this.$('toggle-directory').setAttribute('aria-expanded', String(show));
    if (show) directory.focus();
  }

  /** Write the state to the URL: a new history entry, or a replacement (view changes, debounced). */
  writeUrl({ replace = false, later = false } = {}) {
    clearTimeout(this.urlTimer);
    if (later) { this.urlTimer = setTimeout(() => this.writeUrl({ replace }), URL_DELAY_MS); return; }
    const params = new URLSearchParams();
    if (this.scene) params.set('scene', this.scene.id);
    if (this.viewer) {
      const { yaw, pitch, fov } = this.viewer.getView();
      params.set('yaw', yaw.toFixed(1));
      params.set('pitch', pitch.toFixed(1));
      params.set('fov', fov.toFixed(0));
    }
    const { counter, service } = this.panel.state;
    if (counter) params.set('counter', counter);
    if (service) params.set('service', service);
    if (getLang() === 'en') params.set('lang', 'en');
    const url = `${location.pathname}?${params}`;
    if (url === location.pathname + location.search) return;
    history[replace ? 'replaceState' : 'pushState'](null, '', url);
  }
}

const data = document.getElementById('hall-data');
if (data) {
  applyStrings(document);
  new Tour(JSON.parse(data.textContent)).start();
}
