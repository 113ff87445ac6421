// The minimap: the shown floor's plan SVG (fetched, parsed with DOMParser and imported — never innerHTML),
// the current position with a heading cone that follows the view (bearing = heading + yaw; in the plan x → x
// and z → y, so bearing b points along (sin b, −cos b), i.e. SVG rotate(b) of "up"), scene markers to go
// to (focusable, HOTSPOT_SELECT 'scene:<id>'), the plan's facility symbols made focusable buttons (HOTSPOT_SELECT
// 'facility:<id>', named in the current language), a floor switcher, the active route, a hide button, and on a
// kiosk the “您在这里 / You are here” marker with the way its screen faces (setHere).
// Plugin id 'minimap', drawn into its *container*; it follows SCENE_CHANGE and RENDER (the cone). A page
// without a viewer (no WebGL) may still call init(null) for the plan alone.
import { HOTSPOT_SELECT, LANG_CHANGE, RENDER, SCENE_CHANGE } from '../events.js';
import { getLang, i18nEvents, pick, t } from '../i18n.js';
import { el } from '../ui/dom.js';
import { conePath, loadPlan } from '../ui/planSvg.js';
import { Plugin } from './Plugin.js';

const SVG = 'http://www.w3.org/2000/svg';
const CONE_DEG = 35; // half-angle of the heading cone
const NARROW = '(max-width: 600px)'; // a phone held upright: the map starts collapsed to a small 小地图 button
// Elder mode (长辈版, MIIT 适老化): every marker is a target at least 60 CSS px across, whatever the map's size
// (a little more, so rounding never puts it under); the plan's small labels are dropped there (tour.css).
const ELDER_TARGET_PX = 62;
// …and the plan is drawn at least this many CSS px per plan metre (scrolled within the map), so that discs of
// that size stand apart rather than pile up on a phone.
const ELDER_PX_PER_METRE = 20;

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  return node;
}

export class Minimap extends Plugin {
  static id = 'minimap';

  constructor({ container, hall }) {
    super();
    this.container = container;
    this.hall = hall;
    this.floors = [...hall.floors].sort((a, b) => a.level - b.level);
    this.scenes = hall.scenes.filter((s) => s.tiles);
    this.scene = null;
    this.level = this.floors[0]?.level;
    this.route = null;
    this.bearing = null;
    this.here = null;
    this._loadId = 0;
  }

  init(viewer) {
    super.init(viewer);
    const scene = viewer?.getScene() ?? null;
    if (!this.floors.length) { this.container.hidden = true; return; }
    this.title = el('h2', { class: 'mm-title', id: 'minimap-title', text: t('minimap') });
    this.toggle = el('button', { type: 'button', class: 'mm-toggle', 'aria-expanded': 'true', 'aria-controls': 'minimap-body' });
    this.floorButtons = el('div', { class: 'mm-floors', role: 'group' });
    this.floorButtons.hidden = this.floors.length < 2;
    this.map = el('div', { class: 'mm-map' });
    this.body = el('div', { class: 'mm-body', id: 'minimap-body' }, this.floorButtons, this.map);
    this.container.setAttribute('aria-labelledby', 'minimap-title');
    this.container.replaceChildren(el('div', { class: 'mm-head' }, this.title, this.toggle), this.body);
    this.container.hidden = false;
    this.listen(this.toggle, 'click', () => this.setOpen(this.body.hidden));
    this.listen(this.container, 'click', (e) => this.onClick(e));
    this.listen(this.container, 'keydown', (e) => this.onKey(e));
    if (viewer) {
      this.listen(viewer, RENDER, () => this.onRender());
      this.listen(viewer, SCENE_CHANGE, (e) => this.setScene(e.detail.scene));
    }
    this.listen(i18nEvents, LANG_CHANGE, () => this.relabel());
    // The map's size changes with the window, elder mode and opening: the markers are sized again.
    this.resizing = new ResizeObserver(() => this.sizeMarkers());
    this.resizing.observe(this.map);
    this.relabel();
    this.setOpen(!window.matchMedia?.(NARROW).matches);
    if (scene) this.setScene(scene);
  }

  destroy() {
    this._loadId++; // a plan still on its way is not shown
    this.resizing?.disconnect();
    this.container.replaceChildren();
    this.container.removeAttribute('aria-labelledby');
    this.container.classList.remove('is-collapsed');
    delete this.container.dataset.level;
    this.container.hidden = true;
    this.plan = this.overlay = this.cone = null;
    super.destroy();
  }

  /** Open, or collapse to one small button named 小地图 / Minimap (the heading hides with the map). */
  setOpen(open) {
    this.body.hidden = !open;
    this.title.hidden = !open;
    this.container.classList.toggle('is-collapsed', !open);
    this.toggle.setAttribute('aria-expanded', String(open));
    this.toggle.textContent = t(open ? 'minimapHide' : 'minimap');
  }

  /** The current scene: its floor is shown, with the position and cone. */
  setScene(scene) {
    this.scene = scene;
    if (scene && scene.floor !== this.level) this.showFloor(scene.floor);
    else this.drawOverlay();
  }

  /** The active route (the route API's answer) or null. */
  setRoute(route) {
    this.route = route;
    this.drawOverlay();
  }

  /** Where the reader stands ({floor, position: [x, z], facing}: a kiosk) or null: a “您在这里” marker with an
   * arrow the way the screen faces; its floor is shown. */
  setHere(here) {
    this.here = here;
    if (here && here.floor !== this.level && !this.scene) this.showFloor(here.floor);
    else this.drawOverlay();
  }

  relabel() {
    this.title.textContent = t('minimap');
    this.toggle.textContent = t(this.body.hidden ? 'minimap' : 'minimapHide');
    this.floorButtons.setAttribute('aria-label', t('dhFloor'));
    this.floorButtons.replaceChildren(...this.floors.map((f) => el('button', {
      type: 'button', 'data-level': f.level, 'aria-pressed': String(f.level === this.level), text: pick(f.name) || `${f.level}F`,
    })));
    this.showFloor(this.level, { force: true });
  }

  /** Fetch and inline floor *level*'s plan (in the current language). */
  async showFloor(level, { force = false } = {}) {
    if (level === this.level && this.plan && !force) return;
    this.level = level;
    for (const b of this.floorButtons.children) b.setAttribute('aria-pressed', String(Number(b.dataset.level) === level));
    const floor = this.floors.find((f) => f.level === level);
    if (!floor) return;
    const id = ++this._loadId;
    if (!floor.plan_url) { // a hall without a published model has no plans yet: say so, not "try again"
      this.plan = this.overlay = this.cone = null;
      this.map.replaceChildren(el('p', { class: 'mm-error', 'data-minimap': 'no-plan', text: t('noPlan') }));
      return;
    }
    let root;
    try {
      root = await loadPlan(floor.plan_url, getLang());
    } catch (error) {
      if (id === this._loadId) this.map.replaceChildren(el('p', { class: 'mm-error', text: t('loadFailed') }));
      return;
    }
    if (id !== this._loadId) return;
    // Inline, the plan holds focusable scene markers: a group, not an image (axe: nested-interactive).
    root.setAttribute('role', 'group');
    root.classList.add('mm-plan');
    const [, , w, h] = (root.getAttribute('viewBox') || '0 0 1 1').split(/[\s,]+/).map(Number);
    this.unit = Math.max(w, h) / 60; // a marker size in plan metres that reads at minimap size
    this.overlay = svg('g', { class: 'mm-overlay' });
    root.append(this.overlay);
    this.markFacilities(root);
    this.plan = root;
    this.viewBox = root.getAttribute('viewBox');
    this.map.replaceChildren(root);
    this.container.dataset.level = String(level);
    this.sizeMarkers();
  }

  /** The radius of a scene marker in plan units: a dot that reads at minimap size, and in elder mode at least
   * ELDER_TARGET_PX across on screen; facility discs are scaled about their centres to the same size. Draws
   * the overlay again. */
  sizeMarkers() {
    if (!this.plan) return;
    const elder = document.body.classList.contains('elder');
    // Elder mode crops the plan to what is drawn (its caption, scale bar and legend are dropped there).
    const bounds = (this.plan.dataset.planBounds || '').split(' ').map(Number);
    const crop = elder && bounds.length === 4 && bounds.every(Number.isFinite)
      ? [bounds[0] - 1, bounds[1] - 1, bounds[2] - bounds[0] + 2, bounds[3] - bounds[1] + 2].join(' ') : this.viewBox;
    if (this.plan.getAttribute('viewBox') !== crop) this.plan.setAttribute('viewBox', crop);
    const metres = this.plan.viewBox.baseVal.width;
    const room = this.map.clientWidth;
    // CSSOM, not a style attribute: the page's policy allows no inline style.
    this.plan.style.width = elder && room > 0 ? `${Math.max(room, Math.round(metres * ELDER_PX_PER_METRE))}px` : '';
    const shown = this.plan.getBoundingClientRect().width;
    const perPx = shown > 0 ? metres / shown : 0;
    const least = elder ? (perPx * ELDER_TARGET_PX) / 2 : 0;
    const radius = Math.max(this.unit * 0.9, least);
    for (const node of this.plan.querySelectorAll('.mm-facility')) {
      const disc = node.querySelector('circle');
      const r = Number(disc?.getAttribute('r'));
      if (!disc || !(r > 0) || least <= r) { node.removeAttribute('transform'); continue; }
      const [x, y] = ['cx', 'cy'].map((a) => Number(disc.getAttribute(a)));
      node.setAttribute('transform', `translate(${x} ${y}) scale(${(least / r).toFixed(3)}) translate(${-x} ${-y})`);
    }
    if (radius === this.markerRadius && this.overlay?.childElementCount) return;
    this.markerRadius = radius;
    this.drawOverlay();
  }

  /** A plan larger than the map (elder mode) is scrolled to bring the current position to its middle. */
  centre() {
    const dot = this.coneGroup?.querySelector('.mm-dot');
    if (!dot || this.map.scrollWidth <= this.map.clientWidth && this.map.scrollHeight <= this.map.clientHeight) return;
    const at = dot.getBoundingClientRect();
    const box = this.map.getBoundingClientRect();
    this.map.scrollLeft += at.left + at.width / 2 - (box.left + box.width / 2);
    this.map.scrollTop += at.top + at.height / 2 - (box.top + box.height / 2);
  }

  /** The plan draws each facility as a symbol disc (g.facility#facility-<id>): make each a named button. */
  markFacilities(root) {
    const names = new Map(this.hall.facilities.map((f) => [f.id, f]));
    for (const node of root.querySelectorAll('g.facility[id^="facility-"]')) {
      const facility = names.get(node.id.slice('facility-'.length));
      if (!facility) continue;
      node.classList.add('mm-facility');
      node.setAttribute('tabindex', '0');
      node.setAttribute('role', 'button');
      node.dataset.facility = facility.id;
      // The name starts with the glyph the disc shows, as a word of its own (WCAG 2.5.3: "AWC Accessible
      // toilet", "无障 无障碍卫生间"; axe compares whole words, and a CJK name is one word).
      const name = pick(facility.name);
      const glyph = node.querySelector('text')?.textContent.trim() || '';
      node.setAttribute('aria-label', glyph && glyph !== name ? `${glyph} ${name}` : name);
    }
  }

  drawOverlay() {
    if (!this.overlay) return;
    this.overlay.replaceChildren();
    this.cone = null;
    this.bearing = null;
    const u = this.unit;
    for (const leg of this.route?.legs || []) {
      if (leg.floor !== this.level) continue;
      this.overlay.append(svg('polyline', {
        class: 'mm-route', points: leg.polyline.map(([x, , z]) => `${x},${z}`).join(' '), fill: 'none', stroke: '#d32f2f',
        'stroke-width': u * 0.6, 'stroke-linecap': 'round', 'stroke-linejoin': 'round',
      }));
    }
    for (const scene of this.scenes) {
      if (scene.floor !== this.level || scene === this.scene) continue;
      const [x, , z] = scene.position;
      const marker = svg('circle', {
        class: 'mm-scene', cx: x, cy: z, r: this.markerRadius ?? u * 0.9, tabindex: 0, role: 'button', 'data-scene': scene.id,
        'aria-label': `${t('goTo')} ${pick(scene.name)}`, fill: '#0b5cad', stroke: '#fff', 'stroke-width': u * 0.3,
      });
      marker.append(svg('title'));
      marker.firstChild.textContent = pick(scene.name);
      this.overlay.append(marker);
    }
    if (this.here && this.here.floor === this.level) this.overlay.append(this.hereMarker(u));
    if (this.scene && this.scene.floor === this.level) {
      const [x, , z] = this.scene.position;
      const r = u * 5;
      this.cone = svg('path', {
        class: 'mm-cone', d: conePath(r, CONE_DEG),
        fill: 'rgba(179,38,30,.35)', stroke: '#b3261e', 'stroke-width': u * 0.15,
      });
      this.coneGroup = svg('g', { transform: `translate(${x} ${z})` });
      this.coneGroup.append(this.cone, svg('circle', { class: 'mm-dot', r: u, fill: '#b3261e', stroke: '#fff', 'stroke-width': u * 0.35 }));
      this.overlay.append(this.coneGroup);
      this.centre();
      this.onRender();
    }
  }

  /** The “您在这里 / You are here” marker: a dot, an arrow along the facing bearing, and the words. */
  hereMarker(u) {
    const [x, z] = this.here.position;
    const group = svg('g', { class: 'mm-here', transform: `translate(${x} ${z})`, 'data-facing': this.here.facing });
    const arrow = svg('path', {
      class: 'mm-here-facing', d: `M${-u * 1.4} ${-u * 1.2}L0 ${-u * 4.5}L${u * 1.4} ${-u * 1.2}Z`, fill: '#0b7a3e',
      transform: `rotate(${Number(this.here.facing).toFixed(1)})`,
    });
    const label = svg('text', {
      class: 'mm-here-label', y: u * 4.2, 'text-anchor': 'middle', 'font-size': u * 2.6, 'font-weight': 700,
      fill: '#0b7a3e', stroke: '#fff', 'stroke-width': u * 0.5, 'paint-order': 'stroke',
    });
    label.textContent = t('youAreHere');
    group.append(arrow, svg('circle', { r: u * 1.3, fill: '#0b7a3e', stroke: '#fff', 'stroke-width': u * 0.4 }), label);
    return group;
  }

  onRender() {
    if (!this.cone || !this.scene) return;
    const yaw = this.viewer ? this.viewer.getView().yaw : 0;
    const bearing = (((this.scene.heading || 0) + yaw) % 360 + 360) % 360;
    if (bearing === this.bearing) return;
    this.bearing = bearing;
    this.cone.setAttribute('transform', `rotate(${bearing.toFixed(1)})`);
    this.cone.dataset.bearing = bearing.toFixed(1);
  }

  onClick(event) {
    const floor = event.target.closest?.('button[data-level]');
    if (floor) { this.showFloor(Number(floor.dataset.level)); return; }
    const marker = event.target.closest?.('[data-scene]');
    if (marker) { this.emit(HOTSPOT_SELECT, { target: `scene:${marker.dataset.scene}` }); return; }
    const facility = event.target.closest?.('[data-facility]');
    if (facility) this.emit(HOTSPOT_SELECT, { target: `facility:${facility.dataset.facility}` });
  }

  onKey(event) {
    if ((event.key === 'Enter' || event.key === ' ') && (event.target.dataset?.scene || event.target.dataset?.facility)) {
      event.preventDefault();
      this.onClick(event);
    }
  }
}
