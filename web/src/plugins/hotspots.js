// Hotspots (plugin id 'hotspots') as real, named, focusable <button>s in *layer* over the canvas, placed by
// projecting yaw/pitch each frame; the scene's set follows SCENE_CHANGE and the language; a press emits
// HOTSPOT_SELECT {target}. destroy() removes every button it made.
import { Vector3 } from 'three';
import { HOTSPOT_SELECT, LANG_CHANGE, RENDER, SCENE_CHANGE } from '../events.js';
import { facilityType, i18nEvents, pick, t } from '../i18n.js';
import { el } from '../ui/dom.js';
import { directionOf } from '../viewer/Viewer.js';
import { Plugin } from './Plugin.js';

const ROUTE_GAP = 8; // px between the link hotspot and the route arrow under it (pointing up at it)
const _dir = new Vector3();
const _forward = new Vector3();
const _right = new Vector3();

export class HotspotsPlugin extends Plugin {
  static id = 'hotspots';

  constructor({ layer, hall }) {
    super();
    this.layer = layer;
    this.counters = new Map(hall.counters.map((c) => [c.number, c]));
    this.facilities = new Map(hall.facilities.map((f) => [f.id, f]));
    this.scenes = new Map(hall.scenes.map((s) => [s.id, s]));
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
    this.listen(i18nEvents, LANG_CHANGE, () => this.relabel(this.scene));
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
    this.items = [];
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
      this.items.push({ spot, button, dir: directionOf(spot.yaw, spot.pitch) });
    }
    this.applyGuide();
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

  makeButton(spot) {
    const [kind, key] = spot.target.split(':');
    const attrs = { type: 'button', 'data-target': spot.target, class: `hotspot hotspot-${kind}` };
    if (kind === 'counter') {
      const counter = this.counters.get(key);
      if (!counter) return null;
      const dept = pick(counter.department?.name);
      // The name starts with the visible text (number, department), then says what it is (WCAG 2.5.3).
      attrs['aria-label'] = [counter.number, dept, t('counter')].filter(Boolean).join(' ');
      if (counter.status !== 'open') attrs.class += ' is-closed';
      return el('button', attrs, el('span', { class: 'hs-number', text: counter.number }), dept ? ' ' : null, dept ? el('span', { class: 'hs-dept', text: dept }) : null);
    }
    if (kind === 'facility') {
      const facility = this.facilities.get(key);
      if (!facility) return null;
      const type = facilityType(facility.type); // symbol and colour as on the floor plan (server/vocabulary.py)
      attrs['aria-label'] = `${t('facility')} ${pick(facility.name)}`;
      attrs.title = pick(facility.name);
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
    for (const item of this.items) {
      const visible = item.dir.dot(_forward) > 0.05;
      let x = 0, y = 0;
      if (visible) {
        _dir.copy(item.dir).project(camera);
        x = ((_dir.x + 1) / 2) * width;
        y = ((1 - _dir.y) / 2) * height;
      }
      if (item.anchor && visible) {
        // centre to centre: half of each button and the gap (a hidden anchor measures 0: a usual size then)
        y += (item.anchor.button.offsetHeight || 44) / 2 + ROUTE_GAP + (item.button.offsetHeight || 44) / 2;
      }
      const inside = visible && x > -40 && x < width + 40 && y > -40 && y < height + 40;
      if (item.button.hidden === inside) {
        item.button.hidden = !inside;
        if (inside && item.anchor) this.viewer.requestRender(); // placed with a usual height: measure it next frame
      }
      if (inside) item.button.style.transform = `translate(${x.toFixed(1)}px, ${y.toFixed(1)}px) translate(-50%, -50%)`;
      if (item.route && this.edge) this.placeEdge(item, inside && x > 0 && x < width && y > 0 && y < height, camera);
    }
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

  onClick(event) {
    const button = event.target.closest('button[data-target]');
    if (!button) return;
    this.emit(HOTSPOT_SELECT, { target: button.dataset.target });
  }
}
