// Hotspots (plugin id 'hotspots') as real, named, focusable <button>s in *layer* over the canvas, placed by
// projecting yaw/pitch each frame and laid out so that none covers another (hotspotLayout.js: a crowded row
// of one department's counters becomes one group label that opens into its counters on click or focus); the
// scene's set follows SCENE_CHANGE and the language; a press emits HOTSPOT_SELECT {target}. destroy()
// removes every button it made.
import { Vector3 } from 'three';
import { HOTSPOT_SELECT, LANG_CHANGE, RENDER, SCENE_CHANGE, STATES_CHANGE } from '../events.js';
import { facilityType, i18nEvents, pick, t } from '../i18n.js';
import { el } from '../ui/dom.js';
import { serving } from '../ui/opening.js';
import { directionOf } from '../viewer/Viewer.js';
import { crowded, place, rows } from './hotspotLayout.js';
import { Plugin } from './Plugin.js';

const ROUTE_GAP = 8; // px between the link hotspot and the route arrow under it (pointing up at it)
const USUAL = { w: 120, h: 44 }; // the size assumed for a label not yet measured
const MARGIN = 40; // px beyond the screen's edge a label may stand and still be shown (half cut)
const _dir = new Vector3();
const _forward = new Vector3();
const _right = new Vector3();

export class HotspotsPlugin extends Plugin {
  static id = 'hotspots';

  constructor({ layer, hall, opening = null }) {
    super();
    this.layer = layer;
    this.opening = opening; // the counters' live opening states (ui/opening.js): a closed counter is greyed
    this.counters = new Map(hall.counters.map((c) => [c.number, c]));
    this.facilities = new Map(hall.facilities.map((f) => [f.id, f]));
    this.scenes = new Map(hall.scenes.map((s) => [s.id, s]));
    this.floors = new Map((hall.floors || []).map((f) => [f.level, f]));
    this.items = [];
    this.scene = null;
    this.guide = null;
    this.edge = null;
  }

  init(viewer) {
    super.init(viewer);
    this.listen(viewer, RENDER, (e) => this.onRender(e));
    this.listen(viewer, SCENE_CHANGE, (e) => this.setScene(e.detail.scene));
    this.listen(this.layer, 'click', (e) => this.onClick(e));
    this.listen(this.layer, 'focusin', (e) => this.onFocusIn(e));
    this.listen(this.layer, 'focusout', (e) => this.onFocusOut(e));
    this.listen(this.layer, 'keydown', (e) => this.onKey(e));
    this.listen(i18nEvents, LANG_CHANGE, () => this.relabel(this.scene));
    if (this.opening) this.listen(this.opening, STATES_CHANGE, () => this.restate());
    if (viewer.getScene()) this.setScene(viewer.getScene());
  }

  destroy() {
    this.clear();
    this.scene = null;
    this.guide = null;
    super.destroy();
  }

  clear() {
    for (const item of this.items) item.button.remove();
    for (const group of this.groups || []) { group.button.remove(); group.list.remove(); }
    this.items = [];
    this.groups = [];
    this.edge?.remove();
    this.edge = null;
  }

  /** Show the hotspots of *scene* (sorted left to right, so Tab follows the view). */
  setScene(scene) {
    this.clear();
    this.scene = scene;
    const spots = [...(scene?.hotspots || [])].sort((a, b) => a.yaw - b.yaw);
    for (const spot of spots) {
      const button = this.makeButton(spot);
      if (!button) continue;
      button.hidden = true;
      this.layer.append(button);
      const [kind, key] = spot.target.split(':');
      const department = kind === 'counter' ? this.counters.get(key)?.department : null;
      this.items.push({ spot, button, dir: directionOf(spot.yaw, spot.pitch), department: department?.id ?? null, departmentName: department?.name });
    }
    this.groups = rows(this.items.filter((item) => item.spot.target.startsWith('counter:'))).map((members) => this.makeGroup(members));
    this.measure();
    this.applyGuide();
  }

  /** A group label for a row of one department's counters ("B01–B05 市场监督管理局") and the list it opens. */
  makeGroup(members) {
    const numbers = members.map((m) => m.spot.target.slice(8)).sort();
    const [first, last] = [numbers[0], numbers[numbers.length - 1]];
    const name = pick(members[0].departmentName);
    const list = el('div', { class: 'hs-group-list', role: 'group', 'aria-label': `${first}–${last} ${name}` });
    list.hidden = true;
    const button = el('button', {
      type: 'button', class: 'hotspot hotspot-group', 'aria-expanded': 'false', 'data-group': `${first}-${last}`,
      'data-members': members.map((m) => m.spot.target).join(' '), 'aria-label': `${first}–${last} ${name} ${t('groupOf', { n: members.length })}`,
    }, el('span', { class: 'hs-number', text: `${first}–${last}` }), ' ', el('span', { class: 'hs-name', text: name }));
    button.hidden = true;
    // In the DOM right after the group's first counter: Tab goes from the group into its list in view order.
    members[0].button.before(button);
    button.after(list);
    const yaw = members.reduce((sum, m) => sum + m.spot.yaw, 0) / members.length;
    const pitch = members.reduce((sum, m) => sum + m.spot.pitch, 0) / members.length;
    const group = { members, button, list, open: false, dir: directionOf(yaw, pitch), distance: Math.min(...members.map((m) => m.spot.distance ?? 0)) };
    for (const member of members) member.group = group;
    button.group = group; // the layer's listeners find the group from its label (one set of listeners for all)
    list.group = group;
    return group;
  }

  /** Open (*open*) or close a group label's list of counters. */
  toggleGroup(group, open) {
    if (group.open === open) return;
    group.open = open;
    group.button.setAttribute('aria-expanded', String(open));
    if (open) {
      group.list.replaceChildren(...group.members.map((m) => m.button));
      // Shown at once, not on the next frame: a keyboard user's next Tab goes into the list.
      for (const m of group.members) { m.button.hidden = false; m.button.style.transform = ''; }
    }
    else for (const m of group.members) group.button.before(m.button); // back to the layer, placed by onRender
    group.list.hidden = !open;
    this.viewer.requestRender();
  }

  /** The size of every label (shown once, out of sight, so that hidden ones can be placed too). */
  measure() {
    const all = [...this.items, ...this.groups];
    for (const { button } of all) { button.hidden = false; button.style.transform = 'translate(-9999px, -9999px)'; }
    for (const entry of all) entry.size = { w: entry.button.offsetWidth || USUAL.w, h: entry.button.offsetHeight || USUAL.h };
    for (const { button } of all) button.hidden = true;
  }

  /**
   * The route's cue in this scene, kept across scene changes until replaced: {scene, label} adds an arrow
   * button towards that linked scene (and an edge marker pointing to it while it is off screen), {target}
   * highlights that counter's or facility's hotspot; null shows neither.
   */
  setGuide(guide) {
    this.guide = guide;
    this.applyGuide();
  }

  applyGuide() {
    this.items = this.items.filter((item) => {
      if (item.route) item.button.remove();
      return !item.route;
    });
    this.edge?.remove();
    this.edge = null;
    for (const { button } of this.items) {
      button.classList.remove('is-route-target');
      button.removeAttribute('aria-current');
      delete button.dataset.route;
    }
    const guide = this.guide;
    const link = guide?.scene && this.items.find((item) => item.spot.target === `scene:${guide.scene}`);
    if (guide?.target) {
      const item = this.items.find((i) => i.spot.target === guide.target);
      item?.button.classList.add('is-route-target');
      item?.button.setAttribute('aria-current', 'location');
      if (item) item.button.dataset.route = 'target';
    } else if (link) {
      const { yaw, pitch } = link.spot;
      const button = el('button', { type: 'button', class: 'hotspot hotspot-route', 'data-target': link.spot.target, 'data-route': 'next' },
        el('span', { class: 'hs-arrow', 'aria-hidden': 'true', text: '⬆' }), el('span', { text: guide.label }));
      button.hidden = true;
      this.layer.prepend(button); // first in Tab order
      // Stacked under the link hotspot with a gap (in pixels, see onRender): on the floor, clear of its label
      // and of the counters' labels, which stand higher.
      this.items.unshift({ spot: link.spot, button, dir: directionOf(yaw, pitch), route: true, anchor: link });
      // The edge marker: the same way on, shown at the side of the screen towards the arrow while it is out of view.
      this.edge = el('button', { type: 'button', class: 'route-edge', 'data-target': link.spot.target, 'data-route': 'next', 'aria-label': guide.label },
        el('span', { class: 'hs-arrow', 'aria-hidden': 'true' }), el('span', { class: 'route-edge-label', text: guide.label }));
      this.edge.hidden = true;
      this.layer.prepend(this.edge);
    }
    this.viewer.requestRender();
  }

  /** Re-label every button after a language switch. */
  relabel(scene) {
    if (scene) this.setScene(scene);
  }

  /** The opening states changed: each counter's hotspot takes its new class, state and title. */
  restate() {
    for (const { spot, button } of this.items) {
      if (!spot.target.startsWith('counter:')) continue;
      const fresh = this.makeButton(spot);
      if (!fresh) continue;
      button.classList.toggle('is-closed', fresh.classList.contains('is-closed'));
      button.dataset.state = fresh.dataset.state ?? '';
      button.title = fresh.title;
    }
  }

  makeButton(spot) {
    const [kind, key] = spot.target.split(':');
    const attrs = { type: 'button', 'data-target': spot.target, class: `hotspot hotspot-${kind}` };
    if (kind === 'counter') {
      const counter = this.counters.get(key);
      if (!counter) return null;
      // What the counter is for (its name), after the number that is always shown; the whole name on hover
      // or focus. The accessible name starts with the visible text (WCAG 2.5.3).
      const name = pick(counter.name) || pick(counter.department?.name);
      attrs['aria-label'] = [counter.number, name, t('counter')].filter(Boolean).join(' ');
      const state = counter.state;
      // The whole name, the state now and the floor on hover.
      const notice = counter.notice && counter.status !== 'open' ? pick(counter.notice) : null;
      attrs.title = [`${counter.number} ${name}`, state ? pick(state.label) : null, notice, pick(this.floors.get(counter.floor)?.name)].filter(Boolean).join(' · ');
      if (state ? !serving(state) : counter.status !== 'open') attrs.class += ' is-closed';
      if (state) attrs['data-state'] = state.code;
      return el('button', attrs, el('span', { class: 'hs-number', text: counter.number }), name ? ' ' : null, name ? el('span', { class: 'hs-name', text: name }) : null);
    }
    if (kind === 'facility') {
      const facility = this.facilities.get(key);
      if (!facility) return null;
      const type = facilityType(facility.type); // symbol and colour as on the floor plan (server/vocabulary.py)
      attrs['aria-label'] = `${t('facility')} ${pick(facility.name)}`;
      attrs.title = `${pick(facility.name)} · ${pick(this.floors.get(facility.floor)?.name)}`;
      attrs['data-type'] = facility.type;
      const button = el('button', attrs, el('span', { class: 'hs-symbol', 'aria-hidden': 'true', text: type.symbol }));
      button.style.setProperty('--facility-color', type.color);
      return button;
    }
    if (kind === 'scene') {
      const scene = this.scenes.get(key);
      if (!scene || !scene.tiles) return null;
      // The name starts with the visible text, the scene's name (WCAG 2.5.3, axe label-content-name-mismatch).
      attrs['aria-label'] = t('goThere', { name: pick(scene.name) });
      return el('button', attrs, el('span', { class: 'hs-arrow', 'aria-hidden': 'true', text: '➜' }), el('span', { class: 'hs-scene', text: pick(scene.name) }));
    }
    return null;
  }

  onRender(event) {
    const { camera } = event.detail;
    const width = this.viewer.container.clientWidth;
    const height = this.viewer.container.clientHeight;
    camera.getWorldDirection(_forward);
    const project = (entry) => {
      const front = entry.dir.dot(_forward) > 0.05;
      if (!front) return null;
      _dir.copy(entry.dir).project(camera);
      return { x: ((_dir.x + 1) / 2) * width, y: ((1 - _dir.y) / 2) * height };
    };
    // Sizes as the labels stand now (language, elder mode); hidden ones keep the size they last had.
    for (const entry of [...this.items, ...this.groups]) {
      if (!entry.button.hidden && entry.button.offsetWidth) entry.size = { w: entry.button.offsetWidth, h: entry.button.offsetHeight };
    }
    const box = (entry, at, fixed = false) => ({ entry, fixed, x: at.x, y: at.y, ...(entry.size || USUAL) });
    const inside = (at) => at && at.x > -MARGIN && at.x < width + MARGIN && at.y > -MARGIN && at.y < height + MARGIN;
    const fixed = [];
    const linked = new Set();
    let arrowOnScreen = false;
    const route = this.items.find((item) => item.route);
    if (route) {
      const at = project(route.anchor);
      if (inside(at)) {
        // The link and its route arrow stand together where the link is: nothing moves them.
        fixed.push(box(route.anchor, at, true));
        const below = { x: at.x, y: at.y + ((route.anchor.size || USUAL).h + (route.size || USUAL).h) / 2 + ROUTE_GAP };
        fixed.push(box(route, below, true));
        arrowOnScreen = below.x > 0 && below.x < width && below.y > 0 && below.y < height;
        linked.add(route.anchor);
      }
    }
    if (this.edge && !arrowOnScreen && route) {
      const r = { x: this.edge.offsetLeft + this.edge.offsetWidth / 2, y: this.edge.offsetTop + this.edge.offsetHeight / 2 };
      if (this.edge.offsetWidth) fixed.push({ entry: null, fixed: true, ...r, w: this.edge.offsetWidth, h: this.edge.offsetHeight });
    }
    const target = this.items.find((item) => item.button.dataset.route === 'target');
    const free = [];
    if (target) {
      const at = project(target);
      if (inside(at)) fixed.push(box(target, at, true));
    }
    // Rows of one department that would pile up at this zoom show as one group label (the target apart).
    const inGroup = new Set();
    for (const group of this.groups) {
      const members = group.members.filter((m) => m !== target);
      const spots = members.map((m) => [m, project(m)]).filter(([, at]) => at);
      const collapse = group.open || (members.length > 1 && crowded(spots.map(([m, at]) => box(m, at))));
      group.shown = false;
      if (!collapse) continue;
      for (const m of members) inGroup.add(m);
      const at = project(group);
      if (inside(at)) free.push(box(group, at));
    }
    for (const item of this.items) {
      if (item.route || item === target || linked.has(item) || inGroup.has(item)) continue;
      const at = project(item);
      if (inside(at)) free.push(box(item, at));
    }
    // Scene links first (the way on must never be covered), then the nearest.
    const rank = (b) => (b.entry.spot?.target.startsWith('scene:') ? 0 : 1);
    free.sort((a, b) => rank(a) - rank(b) || (a.entry.spot?.distance ?? a.entry.distance ?? 0) - (b.entry.spot?.distance ?? b.entry.distance ?? 0));
    const units = [...fixed, ...free];
    const places = place(units);
    const shown = new Map();
    units.forEach((unit, i) => { if (unit.entry && places[i]) shown.set(unit.entry, places[i]); });
    for (const entry of [...this.items, ...this.groups]) {
      const at = shown.get(entry);
      const inList = entry.group?.open && entry.group.list.contains(entry.button);
      if (inList) { entry.button.hidden = false; entry.button.style.transform = ''; continue; }
      if (entry.button.hidden === !!at) entry.button.hidden = !at;
      if (at) entry.button.style.transform = `translate(${at.x.toFixed(1)}px, ${at.y.toFixed(1)}px) translate(-50%, -50%)`;
    }
    for (const group of this.groups) {
      const at = shown.get(group);
      if (group.open && at) group.list.style.transform = `translate(${at.x.toFixed(1)}px, ${(at.y + (group.size || USUAL).h / 2 + 4).toFixed(1)}px) translate(-50%, 0)`;
      if (group.open && !at) this.toggleGroup(group, false);
    }
    if (route && this.edge) this.placeEdge(route, arrowOnScreen, camera);
  }

  /** Show the edge marker at the screen's side towards the route arrow while the arrow is not on screen. */
  placeEdge(item, onScreen, camera) {
    const edge = this.edge;
    if (edge.hidden !== onScreen) edge.hidden = onScreen;
    if (onScreen) return;
    // Left or right: the sign of the arrow's direction across the camera's right-hand axis.
    _right.set(1, 0, 0).applyQuaternion(camera.quaternion);
    const side = item.dir.dot(_right) >= 0 ? 'right' : 'left';
    if (edge.dataset.side !== side) {
      edge.dataset.side = side;
      edge.querySelector('.hs-arrow').textContent = side === 'right' ? '➜' : '⬅';
    }
  }

  /** Keyboard focus on a group label opens it (a mouse press focuses too, and then its click decides). */
  onFocusIn(event) {
    const group = event.target.group;
    if (group && event.target.matches(':focus-visible') && !group.closing) this.toggleGroup(group, true);
  }

  /** Focus leaving a group's label and list closes the list. */
  onFocusOut(event) {
    const group = event.target.closest('.hs-group-list')?.group || event.target.group;
    if (!group || !group.open) return;
    const next = event.relatedTarget;
    if (next && (group.list.contains(next) || next === group.button)) return;
    this.toggleGroup(group, false);
  }

  /** Escape in a group's list closes it and goes back to its label, which stays closed. */
  onKey(event) {
    const group = event.target.closest('.hs-group-list')?.group;
    if (event.key !== 'Escape' || !group) return;
    this.toggleGroup(group, false);
    group.closing = true;
    group.button.focus();
    group.closing = false;
  }

  onClick(event) {
    const label = event.target.closest('button[data-group]');
    if (label?.group) {
      this.toggleGroup(label.group, !label.group.open);
      return;
    }
    const button = event.target.closest('button[data-target]');
    if (!button) return;
    this.emit(HOTSPOT_SELECT, { target: button.dataset.target });
  }
}
