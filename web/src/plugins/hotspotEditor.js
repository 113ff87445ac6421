// The staff editor's hotspots (plugin id 'hotspot-editor'): one focusable <button> per hotspot in *layer* over
// the canvas, at the hotspot's exact yaw/pitch — projected each frame as the tour's hotspots are (directionOf,
// the camera of RENDER), but never laid out away from it, since placing it is the point. Hidden hotspots are
// shown too (marked), so they can be shown again. A press selects one (HOTSPOT_SELECT, as the tour's plugin
// emits); a drag moves it, the arrow keys nudge it (0.5°, with Shift 5°), and either ends in HOTSPOT_MOVE
// {target, yaw, pitch} for the page to save. Yaw is given in [-180, 180). destroy() removes every button.
import { MathUtils, Vector3 } from 'three';
import { HOTSPOT_MOVE, HOTSPOT_SELECT, RENDER } from '../events.js';
import { el } from '../ui/dom.js';
import { directionOf, PITCH_LIMIT } from '../viewer/Viewer.js';
import { Plugin } from './Plugin.js';

export const NUDGE = 0.5; // degrees per arrow key press
export const NUDGE_BIG = 5; // with Shift
const _dir = new Vector3();
const _forward = new Vector3();

/** *yaw* in degrees wrapped into [-180, 180), rounded to 0.01° (the admin API's range). */
export function normalYaw(yaw) {
  const rounded = Math.round((((((yaw + 180) % 360) + 360) % 360) - 180) * 100) / 100;
  return rounded >= 180 ? rounded - 360 : rounded;
}

/** *pitch* clamped to the viewer's range, rounded to 0.01°. */
export function normalPitch(pitch) {
  return Math.round(MathUtils.clamp(pitch, -PITCH_LIMIT, PITCH_LIMIT) * 100) / 100;
}

export class HotspotEditor extends Plugin {
  static id = 'hotspot-editor';

  /** *layer*: the element over the canvas for the buttons; *editable*: whether drags and keys move them. */
  constructor({ layer, editable = true }) {
    super();
    this.layer = layer;
    this.editable = editable;
    this.items = new Map(); // target → {spot, button, dir}
    this.selected = null;
    this.drag = null;
  }

  init(viewer) {
    super.init(viewer);
    this.listen(viewer, RENDER, (e) => this.onRender(e.detail.camera));
    this.listen(this.layer, 'click', (e) => this.onClick(e));
    this.listen(this.layer, 'keydown', (e) => this.onKey(e));
    this.listen(this.layer, 'pointerdown', (e) => this.onPointerDown(e));
    this.listen(this.layer, 'pointermove', (e) => this.onPointerMove(e));
    this.listen(this.layer, 'pointerup', (e) => this.onPointerUp(e));
    this.listen(this.layer, 'pointercancel', () => this.cancelDrag());
  }

  destroy() {
    for (const { button } of this.items.values()) button.remove();
    this.items.clear();
    super.destroy();
  }

  /**
   * Show *spots* ({target, label, yaw, pitch, hidden, overridden}; yaw null: nothing to show), replacing the
   * ones shown; the selection is kept when its target is still there.
   */
  setHotspots(spots) {
    // Buttons are kept by target (updated in place), so the one with the keyboard focus keeps it.
    const wanted = new Set();
    for (const spot of [...spots].sort((a, b) => (a.yaw ?? 0) - (b.yaw ?? 0))) {
      if (spot.yaw === null || spot.yaw === undefined) continue;
      wanted.add(spot.target);
      let item = this.items.get(spot.target);
      if (!item) {
        const button = el('button', { type: 'button', class: 'hotspot hotspot-edit', 'data-target': spot.target }, el('span', { class: 'hs-number' }));
        button.hidden = true;
        this.layer.append(button);
        item = { button, dir: directionOf(spot.yaw, spot.pitch) };
        this.items.set(spot.target, item);
      }
      item.spot = spot;
      directionOf(spot.yaw, spot.pitch, item.dir);
      const { button } = item;
      button.setAttribute('aria-label', spot.label);
      button.firstChild.textContent = spot.label;
      button.setAttribute('aria-pressed', String(spot.target === this.selected));
      button.toggleAttribute('data-hidden', Boolean(spot.hidden));
      button.toggleAttribute('data-overridden', Boolean(spot.overridden));
    }
    for (const [target, { button }] of this.items) {
      if (wanted.has(target)) continue;
      button.remove();
      this.items.delete(target);
    }
    this.viewer.requestRender();
  }

  /** Mark *target* selected (null: none) and tell listeners. */
  select(target, { focus = false } = {}) {
    this.selected = target;
    for (const [key, { button }] of this.items) button.setAttribute('aria-pressed', String(key === target));
    if (focus) this.items.get(target)?.button.focus({ preventScroll: true });
    this.emit(HOTSPOT_SELECT, { target });
  }

  /** Move *target*'s button to *yaw*, *pitch* (shown at once; nothing saved). */
  place(target, yaw, pitch) {
    const item = this.items.get(target);
    if (!item) return;
    item.spot = { ...item.spot, yaw, pitch };
    directionOf(yaw, pitch, item.dir);
    this.viewer.requestRender();
  }

  /** The yaw/pitch seen at the client point *x*, *y* (the camera as last drawn). */
  directionAt(x, y) {
    const rect = this.viewer.container.getBoundingClientRect();
    _dir.set(((x - rect.left) / rect.width) * 2 - 1, 1 - ((y - rect.top) / rect.height) * 2, 0.5)
      .unproject(this.viewer.camera).normalize();
    return {
      yaw: normalYaw(MathUtils.radToDeg(Math.atan2(_dir.x, -_dir.z))),
      pitch: normalPitch(MathUtils.radToDeg(Math.asin(MathUtils.clamp(_dir.y, -1, 1)))),
    };
  }

  onRender(camera) {
    const width = this.viewer.container.clientWidth;
    const height = this.viewer.container.clientHeight;
    camera.getWorldDirection(_forward);
    for (const { button, dir } of this.items.values()) {
      const front = dir.dot(_forward) > 0.05;
      _dir.copy(dir).project(camera);
      const x = ((_dir.x + 1) / 2) * width;
      const y = ((1 - _dir.y) / 2) * height;
      const shown = front && x >= 0 && x <= width && y >= 0 && y <= height; // where it is, so inside the view
      if (button.hidden === shown) button.hidden = !shown;
      if (shown) button.style.transform = `translate(${x.toFixed(1)}px, ${y.toFixed(1)}px) translate(-50%, -50%)`;
    }
  }

  moved(target) {
    const { spot } = this.items.get(target);
    this.emit(HOTSPOT_MOVE, { target, yaw: normalYaw(spot.yaw), pitch: normalPitch(spot.pitch) });
  }

  onClick(event) {
    const button = event.target.closest('button[data-target]');
    if (!button || this.drag?.moved) return;
    this.select(button.dataset.target);
  }

  onKey(event) {
    const button = event.target.closest('button[data-target]');
    const steps = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
    const step = steps[event.key];
    if (!button || !step || !this.editable || event.altKey || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    event.stopPropagation(); // the look-around keys stay the view's
    const target = button.dataset.target;
    if (this.selected !== target) this.select(target);
    const by = event.shiftKey ? NUDGE_BIG : NUDGE;
    const { spot } = this.items.get(target);
    this.place(target, normalYaw(spot.yaw + step[0] * by), normalPitch(spot.pitch + step[1] * by));
    this.moved(target);
  }

  onPointerDown(event) {
    const button = event.target.closest('button[data-target]');
    if (!button || !this.editable || event.button !== 0) return;
    event.preventDefault(); // no text selection; the click that follows still selects
    button.setPointerCapture?.(event.pointerId);
    this.drag = { target: button.dataset.target, id: event.pointerId, x: event.clientX, y: event.clientY, moved: false };
  }

  onPointerMove(event) {
    const drag = this.drag;
    if (!drag || drag.id !== event.pointerId) return;
    if (!drag.moved && Math.hypot(event.clientX - drag.x, event.clientY - drag.y) < 4) return;
    drag.moved = true;
    const { yaw, pitch } = this.directionAt(event.clientX, event.clientY);
    this.place(drag.target, yaw, pitch);
  }

  onPointerUp(event) {
    const drag = this.drag;
    if (!drag || drag.id !== event.pointerId) return;
    if (drag.moved) {
      if (this.selected !== drag.target) this.select(drag.target);
      this.moved(drag.target);
      setTimeout(() => { if (this.drag === drag) this.drag = null; }); // after the click this drag makes
    } else {
      this.drag = null;
    }
  }

  cancelDrag() {
    this.drag = null;
  }
}
