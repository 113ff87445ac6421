// Look around: mouse and touch drag, pinch and wheel zoom, arrow keys and +/−, and on-screen buttons.
const KEY_STEP = 10; // degrees per arrow key press or button
const ZOOM_STEP = 1.15; // field-of-view factor per +/− or button

export class Controls {
  constructor(viewer, element, buttons = null) {
    this.viewer = viewer;
    this.element = element;
    this.buttons = buttons;
    this.pointers = new Map();
    this.pinch = 0;
    this._onPointerDown = this.onPointerDown.bind(this);
    this._onPointerMove = this.onPointerMove.bind(this);
    this._onPointerUp = this.onPointerUp.bind(this);
    this._onWheel = this.onWheel.bind(this);
    this._onKeyDown = this.onKeyDown.bind(this);
    this._onButton = this.onButton.bind(this);
  }

  connect() {
    const canvas = this.viewer.renderer.domElement;
    canvas.addEventListener('pointerdown', this._onPointerDown);
    canvas.addEventListener('pointermove', this._onPointerMove);
    canvas.addEventListener('pointerup', this._onPointerUp);
    canvas.addEventListener('pointercancel', this._onPointerUp);
    canvas.addEventListener('wheel', this._onWheel, { passive: false });
    this.element.addEventListener('keydown', this._onKeyDown);
    this.buttons?.addEventListener('click', this._onButton);
  }

  disconnect() {
    const canvas = this.viewer.renderer.domElement;
    canvas.removeEventListener('pointerdown', this._onPointerDown);
    canvas.removeEventListener('pointermove', this._onPointerMove);
    canvas.removeEventListener('pointerup', this._onPointerUp);
    canvas.removeEventListener('pointercancel', this._onPointerUp);
    canvas.removeEventListener('wheel', this._onWheel);
    this.element.removeEventListener('keydown', this._onKeyDown);
    this.buttons?.removeEventListener('click', this._onButton);
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

  dispose() {
    this.disconnect();
    this.pointers.clear();
  }
}
