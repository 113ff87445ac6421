// Look around (plugin id 'controls'): mouse and touch drag on the canvas, pinch and wheel zoom, arrow keys and
// +/− on *element* (default: the viewer's container), and the on-screen *buttons* (button[data-view]).
import { Plugin } from '../plugins/Plugin.js';

const KEY_STEP = 10; // degrees per arrow key press or button
const ZOOM_STEP = 1.15; // field-of-view factor per +/− or button

export class Controls extends Plugin {
  static id = 'controls';

  constructor({ element = null, buttons = null } = {}) {
    super();
    this.element = element;
    this.buttons = buttons;
    this.pointers = new Map();
    this.pinch = 0;
  }

  init(viewer) {
    super.init(viewer);
    this.element ??= viewer.container;
    const canvas = viewer.renderer.domElement;
    this.listen(canvas, 'pointerdown', (e) => this.onPointerDown(e));
    this.listen(canvas, 'pointermove', (e) => this.onPointerMove(e));
    this.listen(canvas, 'pointerup', (e) => this.onPointerUp(e));
    this.listen(canvas, 'pointercancel', (e) => this.onPointerUp(e));
    this.listen(canvas, 'wheel', (e) => this.onWheel(e), { passive: false });
    this.listen(this.element, 'keydown', (e) => this.onKeyDown(e));
    if (this.buttons) this.listen(this.buttons, 'click', (e) => this.onButton(e));
  }

  destroy() {
    this.pointers.clear();
    super.destroy();
  }

  /** Turn by *dyaw*, *dpitch* degrees and zoom by *factor*. */
  nudge(dyaw = 0, dpitch = 0, factor = 1) {
    const { yaw, pitch, fov } = this.viewer.getView();
    this.viewer.setView({ yaw: yaw + dyaw, pitch: pitch + dpitch, fov: fov * factor });
  }

  onPointerDown(event) {
    this.element.focus({ preventScroll: true });
    event.target.setPointerCapture?.(event.pointerId);
    this.pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    this.pinch = this.pointers.size === 2 ? this.spread() : 0;
  }

  onPointerMove(event) {
    const last = this.pointers.get(event.pointerId);
    if (!last) return;
    const dx = event.clientX - last.x;
    const dy = event.clientY - last.y;
    last.x = event.clientX;
    last.y = event.clientY;
    if (this.pointers.size === 2) {
      const spread = this.spread();
      if (this.pinch > 0 && spread > 0) this.nudge(0, 0, this.pinch / spread);
      this.pinch = spread;
    } else if (this.pointers.size === 1) {
      const perPixel = 1 / this.viewer.pixelsPerDegree();
      this.nudge(-dx * perPixel, dy * perPixel); // grab the image: dragging right turns left
    }
  }

  onPointerUp(event) {
    this.pointers.delete(event.pointerId);
    this.pinch = this.pointers.size === 2 ? this.spread() : 0;
  }

  spread() {
    const [a, b] = [...this.pointers.values()];
    return Math.hypot(a.x - b.x, a.y - b.y);
  }

  onWheel(event) {
    event.preventDefault();
    this.nudge(0, 0, Math.exp(event.deltaY * 0.001));
  }

  onKeyDown(event) {
    if (event.target !== this.element || event.altKey || event.ctrlKey || event.metaKey) return;
    const moves = {
      ArrowLeft: [-KEY_STEP, 0, 1], ArrowRight: [KEY_STEP, 0, 1], ArrowUp: [0, KEY_STEP, 1], ArrowDown: [0, -KEY_STEP, 1],
      '+': [0, 0, 1 / ZOOM_STEP], '=': [0, 0, 1 / ZOOM_STEP], '-': [0, 0, ZOOM_STEP], _: [0, 0, ZOOM_STEP],
    };
    const move = moves[event.key];
    if (!move) return;
    event.preventDefault();
    this.nudge(...move);
  }

  onButton(event) {
    const button = event.target.closest('button[data-view]');
    if (!button) return;
    const moves = {
      left: [-KEY_STEP, 0, 1], right: [KEY_STEP, 0, 1], up: [0, KEY_STEP, 1], down: [0, -KEY_STEP, 1],
      in: [0, 0, 1 / ZOOM_STEP], out: [0, 0, ZOOM_STEP],
    };
    this.nudge(...(moves[button.dataset.view] || [0, 0, 1]));
  }
}
