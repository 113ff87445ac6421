// The citizen tour page: composes the viewer with the tour's plugin set (tiles, hotspots, route guide, controls,
// phone orientation, minimap; the 3D hall and XR lazily), passing each the page elements it needs, wires the
// panel and search to the hall document embedded in the page, and keeps
// ?scene=&yaw=&pitch=&fov=&counter=&service=&facility=&route=&stepfree=&lang= in the URL. A kiosk or editor page composes
// the same viewer with another plugin set. The 3D hall is a history entry of its own: the browser's Back closes it.
import {
  DOLLHOUSE_CLOSE, HOTSPOT_SELECT, LANG_CHANGE, PANEL_CHANGE, ROUTE_END, ROUTE_REPLAN, ROUTE_REQUEST, SCENE_CHANGE, SEARCH_SELECT, STATES_CHANGE,
  VIEW_CHANGE, XR_END,
} from './events.js';
import { applyStrings, getLang, i18nEvents, pick, setLang, t } from './i18n.js';
import { COUNTER_STATES, PLACE_KEY_PATTERN } from './generated/vocabulary.js';
import { HotspotsPlugin } from './plugins/hotspots.js';
import { OrientationPlugin } from './plugins/orientation.js';
import { Minimap } from './plugins/minimap.js';
import { placeName, RouteGuide } from './plugins/routeguide.js';
import { el, getJSON } from './ui/dom.js';
import { Opening } from './ui/opening.js';
import { Panel } from './ui/panel.js';
import { Search } from './ui/search.js';
import { Controls } from './viewer/controls.js';
import { CubeTiles } from './viewer/CubeTiles.js';
import { Viewer } from './viewer/Viewer.js';

export const DEFAULT_FOV = 75;
const MOVE_MS = 400; // the turn-and-zoom towards the next scene
const MOVE_ZOOM = 0.6; // the field of view shrinks to this share of itself meanwhile
const URL_DELAY_MS = 250;
const ELDER_KEY = 'vhall.elder';
const STEP_FREE_KEY = 'vhall.stepfree';
const PLACE = new RegExp(`^(counter|facility):${PLACE_KEY_PATTERN}$`); // a route target in the URL

function number(value, fallback) {
  const parsed = Number.parseFloat(value);
  return Number.isFinite(parsed) ? parsed : fallback;
}

export class Tour {
  constructor(hall) {
    this.hall = hall;
    this.scenes = new Map(hall.scenes.filter((s) => s.tiles).map((s) => [s.id, s]));
    this.scene = null;
    this.urlTimer = 0;
    this.alone = new Map(); // plugins used without a viewer (no WebGL or no panoramas): id → plugin
    this.$ = (id) => document.getElementById(id);
  }

  /** The plugin *id* (on the viewer, or used alone), or null. */
  plugin(id) {
    return this.viewer?.getPlugin(id) ?? this.alone.get(id) ?? null;
  }

  /** Test hooks: window.__tour.tiles.stats, window.__tour.xr.lastSelected (null until loaded). */
  get tiles() {
    return this.plugin('tiles');
  }

  get xr() {
    return this.plugin('xr');
  }

  /** Add *plugin* to the viewer, or without one init it alone and listen to it. */
  use(plugin) {
    if (this.viewer) return this.viewer.use(plugin);
    this.alone.set(plugin.id, plugin);
    plugin.init(null);
    this.listenTo(plugin);
    return plugin;
  }

  /** The page's answers to plugin events dispatched on *target* (the viewer, or a plugin used alone). */
  listenTo(target) {
    target.addEventListener(HOTSPOT_SELECT, (e) => this.select(e.detail.target, { focusPanel: e.detail.plugin === 'hotspots' }));
    target.addEventListener(ROUTE_END, () => this.endRoute());
    target.addEventListener(ROUTE_REPLAN, (e) => { if (this.routeTarget) this.route(this.routeTarget, { from: e.detail.from, quiet: true }); });
    target.addEventListener(DOLLHOUSE_CLOSE, () => this.onDollhouseClose());
  }

  start() {
    const params = new URLSearchParams(location.search);
    if (params.get('lang') === 'en') setLang('en');
    document.title = t('pageTitle', { hall: pick(this.hall.name) });
    this.setElder(localStorage.getItem(ELDER_KEY) === '1');
    this.opening = new Opening(this.hall);
    this.opening.init();
    this.opening.addEventListener(STATES_CHANGE, () => { this.restateDirectory(); this.showHallState(); this.search.restate(); });
    this.panel = new Panel(this.$('panel'), this.hall, { returnFocus: () => this.$('viewer'), here: () => this.scene?.floor ?? null, opening: this.opening });
    this.panel.init();
    this.search = new Search(this.$('search-input'), this.$('search-results'), this.hall, { stateOf: (n) => this.opening.state(n) });
    this.search.init();
    if (this.scenes.size) this.startViewer(params);
    this.use(new Minimap({ container: this.$('minimap'), hall: this.hall }));
    this.bind();
    this.applyState(params, { initial: true });
    // A read-only test hook: window.__tour.xr.lastSelected, window.__tour.viewer.renderer.info.
    Object.defineProperty(window, '__tour', { value: this, writable: false, configurable: false });
    document.body.dataset.tour = 'ready';
  }

  /** The header's word on the hall now (正在办公 / 午间休息 / 今日不办公 …), next to 大厅信息. */
  showHallState() {
    const word = document.querySelector('#hall-info .hall-state-word');
    const state = this.opening.hallState;
    if (!word) return;
    word.hidden = !state;
    if (!state) return;
    word.dataset.state = state.code;
    word.textContent = pick(COUNTER_STATES[state.code] || state.label);
  }

  /** The text directory (rendered by the server with the states then) follows the states now. */
  restateDirectory() {
    for (const line of this.$('directory').querySelectorAll('.dir-status[data-counter]')) {
      const state = this.opening.state(line.dataset.counter);
      if (!state) continue;
      line.dataset.state = state.code;
      line.classList.toggle('is-open', state.code === 'open');
      const text = line.querySelector('.dir-state'); // both languages kept, as applyStrings switches them
      text.dataset.i18nZh = state.label.zh;
      text.dataset.i18nEn = state.label.en;
      text.textContent = pick(state.label);
    }
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
    this.viewer.addEventListener(SCENE_CHANGE, (e) => this.onScene(e.detail.scene));
    this.viewer.addEventListener(VIEW_CHANGE, () => this.writeUrl({ replace: true, later: true }));
    this.listenTo(this.viewer);
    this.viewer.use(new CubeTiles());
    this.viewer.use(new HotspotsPlugin({ layer: this.$('hotspots'), hall: this.hall, opening: this.opening }));
    this.viewer.use(new RouteGuide({ bar: this.$('route-bar'), hall: this.hall }));
    this.viewer.use(new Controls({ element: container, buttons: container.querySelector('.view-buttons') }));
    this.viewer.use(new OrientationPlugin({ button: this.$('look-by-phone') }));
    this.setupVR();
  }

  bind() {
    this.$('toggle-3d').hidden = !this.hall.model_url;
    this.showHallState();
    this.$('hall-info').addEventListener('click', () => {
      if (this.panel.state.hall) { this.panel.close(); return; }
      this.panel.openHall();
      this.panel.element.focus();
    });
    this.$('toggle-3d').addEventListener('click', () => this.openDollhouse());
    this.panel.addEventListener(PANEL_CHANGE, () => this.writeUrl());
    this.panel.addEventListener(ROUTE_REQUEST, (e) => this.route(e.detail.target));
    this.search.addEventListener(ROUTE_REQUEST, (e) => this.route(e.detail.target));
    this.$('route-stepfree').addEventListener('click', () => this.setStepFree(!this.stepFree));
    this.setStepFree(localStorage.getItem(STEP_FREE_KEY) === '1', { replan: false });
    this.search.addEventListener(SEARCH_SELECT, (e) => {
      if (e.detail.service) this.panel.openService(e.detail.service, { counter: e.detail.counter });
      else if (e.detail.facility) this.panel.openFacility(e.detail.facility);
      else this.panel.openCounter(e.detail.counter);
      this.panel.element.focus();
    });
    i18nEvents.addEventListener(LANG_CHANGE, () => this.onLang());
    window.addEventListener('popstate', (e) => this.onPopState(e));
    this.$('toggle-lang').addEventListener('click', () => { setLang(getLang() === 'en' ? 'zh' : 'en'); this.writeUrl({ replace: true }); });
    this.$('toggle-elder').addEventListener('click', () => this.setElder(!this.elder));
    this.$('toggle-directory').addEventListener('click', () => this.toggleDirectory());
    document.querySelector('.skip')?.addEventListener('click', (e) => { e.preventDefault(); this.toggleDirectory(true); });
    this.$('close-directory').addEventListener('click', () => this.toggleDirectory(false));
    this.$('directory').addEventListener('keydown', (e) => { if (e.key === 'Escape') this.toggleDirectory(false); });
    this.$('directory').addEventListener('click', (e) => {
      const link = e.target.closest('a[data-counter], a[data-facility]');
      if (!link) return;
      e.preventDefault();
      this.toggleDirectory(false, { silent: true });
      if (link.dataset.facility) this.panel.openFacility(link.dataset.facility);
      else if (link.dataset.service) this.panel.openService(link.dataset.service, { counter: link.dataset.counter });
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
        this.viewer.addEventListener(XR_END, () => say('enterVR'));
        return this.viewer.use(new XRPlugin({ hall: this.hall }));
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
        await xr.enter();
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
    // A link without a view opens the scene at the view staff set for it (the hall document's initial_view).
    if (initial && this.viewer && scene?.initial_view && !params.has('yaw')) {
      this.viewer.setView({ ...scene.initial_view, fov: this.viewer.getView().fov }, { silent: true });
    }
    if (!initial && this.viewer) {
      this.viewer.setView({ yaw: number(params.get('yaw'), 0), pitch: number(params.get('pitch'), 0), fov: number(params.get('fov'), DEFAULT_FOV) }, { silent: true });
    }
    if (!initial) setLang(params.get('lang') === 'en' ? 'en' : 'zh');
    const counter = params.get('counter');
    const service = params.get('service');
    const facility = params.get('facility');
    if (service) this.panel.openService(service, { counter, silent: true });
    else if (counter) this.panel.openCounter(counter, { silent: true });
    else if (facility) this.panel.openFacility(facility, { silent: true });
    else if (params.get('info') === '1') this.panel.openHall({ silent: true });
    else if (!initial) this.panel.close({ silent: true });
    this.toggleDirectory(params.get('directory') === '1', { silent: true });
    // A shared link or a reload resumes the route, planned afresh from the scene it opens in.
    const target = params.get('route');
    if (params.get('stepfree') === '1' && !this.stepFree) this.setStepFree(true, { replan: false });
    if (target && PLACE.test(target) && target !== this.routeTarget) this.route(target, { quiet: true });
    else if (!target && this.routeTarget) this.plugin('route-guide')?.end();
  }

  startScene() {
    return this.scenes.get('entrance') || this.scenes.values().next().value || null;
  }

  /** Show *scene*: the viewer tells its plugins (SCENE_CHANGE), and this page (onScene). */
  showScene(scene) {
    if (this.viewer) this.viewer.setScene(scene);
    else {
      this.onScene(scene);
      this.plugin('minimap')?.setScene(scene);
    }
  }

  onScene(scene) {
    this.scene = scene;
    this.$('scene-name').textContent = pick(scene.name);
    this.$('viewer').setAttribute('aria-label', `${t('panorama')}${t('colon')}${pick(scene.name)}`);
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
    // The new scene opens at the arrival view staff set for this link (the hall document's arrivals), else
    // with the view as it was (set first: the route guide may turn it on arrival).
    const arrival = from?.arrivals?.[scene.id];
    if (view) this.viewer.setView(arrival ? { ...arrival, fov: view.fov } : view, { silent: true });
    this.showScene(scene);
    this.moving = false;
    if (hadFocus) this.$('viewer').focus(); // the pressed hotspot is gone: keyboard users go on from the view
    this.writeUrl();
  }

  endRoute() {
    this.routeData = null;
    this.routeTarget = null;
    this.plugin('minimap')?.setRoute(null);
    this.plugin('dollhouse')?.setRoute(null);
    this.$('viewer').focus();
    this.writeUrl();
  }

  /** The step-free switch (remembered): routes use lifts only; an active route is planned again. */
  setStepFree(on, { replan = true } = {}) {
    this.stepFree = on;
    this.$('route-stepfree').setAttribute('aria-pressed', String(on));
    localStorage.setItem(STEP_FREE_KEY, on ? '1' : '0');
    if (replan && this.routeTarget) this.route(this.routeTarget, { quiet: true });
  }

  /** Back or forward: the 3D hall closes when its entry is left; the tour shows the entry's URL state. */
  onPopState(event) {
    if (this.popping) { // our own step back after the 3D hall's button closed it: the page is already there
      this.popping = false;
      if (this.urlPending) this.writeUrl(this.urlPending);
      return;
    }
    if (!event.state?.dollhouse) this.plugin('dollhouse')?.close();
    this.applyState(new URLSearchParams(location.search));
  }

  /** Whether the 3D hall is open on its own history entry (the tour's URL writes then replace that entry). */
  get inDollhouse() {
    return Boolean(this.plugin('dollhouse')?.isOpen && history.state?.dollhouse);
  }

  /**
   * The 3D hall closed. By its button or a flight into a scene, its entry is still current: step back off it
   * when nothing was written to it meanwhile, else keep the entry (a panel opened in 3D) as a plain one.
   */
  onDollhouseClose() {
    if (!history.state?.dollhouse) return; // closed by Back: already off the entry
    if (location.href === this.dollhouseUrl) {
      this.popping = true;
      history.back();
    } else {
      history.replaceState(null, '', location.href);
    }
  }

  /** The 3D hall: its code (three's loader and controls) is a lazy chunk, fetched on first use. */
  async openDollhouse() {
    if (!this.plugin('dollhouse')) {
      this.dollhouseLoading ??= import('./plugins/dollhouse.js')
        .then(({ Dollhouse }) => this.use(new Dollhouse({ container: this.$('dollhouse'), hall: this.hall, returnFocus: this.$('viewer') })));
      await this.dollhouseLoading;
    }
    const dollhouse = this.plugin('dollhouse');
    if (dollhouse.isOpen) return;
    dollhouse.setRoute(this.routeData || null);
    if (!history.state?.dollhouse) history.pushState({ dollhouse: true }, '', location.href);
    this.dollhouseUrl = location.href;
    await dollhouse.open({ floor: this.scene?.floor ?? null });
  }

  select(target, { focusPanel = false } = {}) {
    const [kind, key] = target.split(':');
    if (kind === 'counter') {
      this.panel.openCounter(key);
      if (focusPanel) this.panel.element.focus();
    } else if (kind === 'scene' && this.scenes.has(key)) {
      this.moveTo(this.scenes.get(key));
    } else if (kind === 'facility') {
      this.panel.openFacility(key);
      if (focusPanel) this.panel.element.focus();
    }
  }

  /**
   * Plan and follow a route to *target* (counter:B03, facility:<id>) from *from* (default: this scene). A
   * *quiet* plan (a re-plan, a resumed link) updates the guide without taking over the panel.
   */
  async route(target, { from = null, quiet = false } = {}) {
    const origin = from || this.routeOrigin();
    if (!quiet) this.panel.loading();
    const request = (this.routeRequest = {});
    try {
      const query = new URLSearchParams({ from: origin, to: target, accessible: this.stepFree ? '1' : '0' });
      const route = await getJSON(`/api/v1/halls/${this.hall.slug}/route?${query}`);
      if (request !== this.routeRequest) return; // a newer request won
      this.routeTarget = target;
      this.routeData = route;
      this.plugin('minimap')?.setRoute(route);
      this.plugin('dollhouse')?.setRoute(route);
      this.plugin('route-guide')?.setRoute(route);
      this.writeUrl();
      if (quiet) return;
      this.panel.showRoute(pick(placeName(this.hall, route.to)), route);
      // On a phone the panel would cover the way: the route bar carries the next instruction instead.
      if (window.matchMedia('(max-width: 700px)').matches) this.panel.close({ silent: true });
      else this.panel.element.focus();
    } catch (error) {
      if (request === this.routeRequest && !quiet) this.panel.failed(error);
    }
  }

  /** Where a route the citizen asks for starts: this scene (a kiosk page: where the kiosk stands). */
  routeOrigin() {
    return this.scene ? `scene:${this.scene.id}` : 'entrance:main';
  }

  /** URL parameters every written URL keeps (a kiosk page: its ?id=). */
  baseParams() {
    return new URLSearchParams();
  }

  onLang() {
    document.title = t('pageTitle', { hall: pick(this.hall.name) });
    if (this.scene) this.onScene(this.scene); // plugins relabel themselves
    const { counter, service, facility } = this.panel.state;
    if (service) this.panel.openService(service, { counter, silent: true });
    else if (counter) this.panel.openCounter(counter, { silent: true });
    else if (facility) this.panel.openFacility(facility, { silent: true });
    else if (this.panel.state.hall) this.panel.openHall({ silent: true });
    this.showHallState();
    this.search.hide();
  }

  setElder(on) {
    this.elder = on;
    document.body.classList.toggle('elder', on);
    this.$('toggle-elder').setAttribute('aria-pressed', String(on));
    localStorage.setItem(ELDER_KEY, on ? '1' : '0');
    this.viewer?.requestRender(); // the hotspots change size: the route arrow re-stacks under its link
  }

  /**
   * Open or close the text directory (a history entry: Back closes it). Closing it with the keyboard inside
   * hands the focus to its button, never to the page's start; *silent* leaves the URL alone (back/forward).
   */
  toggleDirectory(force, { silent = false } = {}) {
    const directory = this.$('directory');
    const show = force ?? directory.hidden;
    if (show === !directory.hidden) return;
    const hadFocus = directory.contains(document.activeElement);
    directory.hidden = !show;
    this.$('toggle-directory').setAttribute('aria-expanded', String(show));
    if (show) directory.focus();
    else if (hadFocus) this.$('toggle-directory').focus();
    if (!silent) this.writeUrl();
  }

  /**
   * Write the state to the URL: a new history entry, or a replacement (view changes, debounced; anything
   * while the 3D hall is open on its entry). Waits while our own step back is under way.
   */
  writeUrl({ replace = false, later = false } = {}) {
    clearTimeout(this.urlTimer);
    if (later) { this.urlTimer = setTimeout(() => this.writeUrl({ replace }), URL_DELAY_MS); return; }
    this.urlPending = this.popping ? { replace } : null;
    if (this.popping) return;
    const params = this.baseParams();
    if (this.scene) params.set('scene', this.scene.id);
    if (this.viewer) {
      const { yaw, pitch, fov } = this.viewer.getView();
      params.set('yaw', yaw.toFixed(1));
      params.set('pitch', pitch.toFixed(1));
      params.set('fov', fov.toFixed(0));
    }
    const { counter, service, facility } = this.panel.state;
    if (counter) params.set('counter', counter);
    if (service) params.set('service', service);
    if (facility) params.set('facility', facility);
    if (this.panel.state.hall) params.set('info', '1');
    if (this.routeTarget) params.set('route', this.routeTarget);
    if (!this.$('directory').hidden) params.set('directory', '1');
    if (this.routeTarget && this.stepFree) params.set('stepfree', '1');
    if (getLang() === 'en') params.set('lang', 'en');
    const url = `${location.pathname}?${params}`;
    if (url === location.pathname + location.search) return;
    if (this.inDollhouse) history.replaceState(history.state, '', url);
    else history[replace ? 'replaceState' : 'pushState'](null, '', url);
  }
}

// The tour starts itself on its own page; the kiosk page (web/src/kiosk/main.js) composes it instead.
const data = document.getElementById('hall-data');
if (data && !document.getElementById('kiosk-data')) {
  applyStrings(document);
  new Tour(JSON.parse(data.textContent)).start();
}
