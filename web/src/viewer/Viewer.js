// The viewer core: renderer, three.js scene graph (scene3), camera, the hall scene shown, the render loop and a
// plugin registry (see plugins/Plugin.js for the contract). It renders on demand only (requestRender schedules
// one frame) until a loop owner (WebXR) takes the loop with setLoop(); each frame increments data-frame on the
// container and dispatches RENDER. setScene() dispatches SCENE_CHANGE, setView() VIEW_CHANGE. A heartbeat for
// watchdogs: drawnAt (performance.now() of the last frame drawn) and stalledFor() (how long a frame that is
// wanted has waited; 0 when none is: idle is normal when rendering on demand).
//
// Directions follow server/conventions.py: yaw 0 looks at the panorama's centre column, positive yaw turns
// right (clockwise seen from above), pitch positive up. In viewer space the camera sits at the origin and
// yaw 0 looks down −Z, so direction(yaw, pitch) = (sin y·cos p, sin p, −cos y·cos p).
import { MathUtils, PerspectiveCamera, Scene, SRGBColorSpace, Vector3, WebGLRenderer } from 'three';
import { RENDER, SCENE_CHANGE, VIEW_CHANGE } from '../events.js';

export const FOV_MIN = 30;
export const FOV_MAX = 100;
export const PITCH_LIMIT = 89;

/** The unit viewer-space vector of *yaw*, *pitch* (degrees), written into *target*. */
export function directionOf(yaw, pitch, target = new Vector3()) {
  const y = MathUtils.degToRad(yaw);
  const p = MathUtils.degToRad(pitch);
  return target.set(Math.sin(y) * Math.cos(p), Math.sin(p), -Math.cos(y) * Math.cos(p));
}

/** Wrap degrees into (−180, 180]. */
export function wrapYaw(yaw) {
  let w = ((yaw % 360) + 360) % 360;
  if (w > 180) w -= 360;
  return w;
}

export class Viewer extends EventTarget {
  constructor(container, { yaw = 0, pitch = 0, fov = 75 } = {}) {
    super();
    this.container = container;
    this.renderer = new WebGLRenderer({ antialias: false, preserveDrawingBuffer: true, alpha: true });
    this.renderer.setClearColor(0x000000, 0); // the server-rendered first view shows through until the preview is in
    this.renderer.outputColorSpace = SRGBColorSpace;
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
    this.renderer.domElement.className = 'viewer-canvas';
    this.renderer.domElement.setAttribute('aria-hidden', 'true');
    this.scene3 = new Scene();
    this.camera = new PerspectiveCamera(fov, 1, 0.1, 100);
    this.camera.rotation.order = 'YXZ';
    this.view = { yaw: wrapYaw(yaw), pitch: MathUtils.clamp(pitch, -PITCH_LIMIT, PITCH_LIMIT), fov };
    this._frame = 0;
    this.requestedAt = 0; // performance.now() when the pending on-demand frame was first asked for
    this.drawnAt = performance.now(); // when the last frame was drawn (the heartbeat)
    this.frames = 0; // frames drawn (also data-frame on the container)
    this._anim = null;
    this._loop = null;
    this._scene = null;
    this.plugins = new Map(); // id → plugin, in the order they were added
    this._onResize = this.resize.bind(this);
    this._renderNow = this.renderNow.bind(this);
    container.prepend(this.renderer.domElement);
    this._observer = new ResizeObserver(this._onResize);
    this._observer.observe(container);
    this.resize();
  }

  /** Add *plugin* (its id must be new here) and initialise it with this viewer; returns the plugin. */
  use(plugin) {
    const { id } = plugin;
    if (!id) throw new Error('Viewer.use: a plugin needs an id');
    if (this.plugins.has(id)) throw new Error(`Viewer.use: plugin "${id}" is already in use`);
    this.plugins.set(id, plugin);
    plugin.init(this);
    return plugin;
  }

  /** The plugin with *id*, or null. */
  getPlugin(id) {
    return this.plugins.get(id) ?? null;
  }

  /** Destroy and forget the plugin with *id*; whether there was one. */
  removePlugin(id) {
    const plugin = this.plugins.get(id);
    if (!plugin) return false;
    this.plugins.delete(id);
    plugin.destroy();
    this.requestRender();
    return true;
  }

  /** The hall scene shown (an entry of the hall document's scenes), or null. */
  getScene() {
    return this._scene;
  }

  /** Show hall scene *scene*: plugins follow the SCENE_CHANGE event {scene, previous}. Same scene: nothing. */
  setScene(scene) {
    if (scene === this._scene) return;
    const previous = this._scene;
    this._scene = scene;
    this.requestRender();
    this.dispatchEvent(new CustomEvent(SCENE_CHANGE, { detail: { scene, previous } }));
  }

  /** The view in degrees; a copy. */
  getView() {
    return { ...this.view };
  }

  /** Set any of yaw/pitch/fov (degrees), clamp, render, and tell listeners (unless *silent*). */
  setView({ yaw = this.view.yaw, pitch = this.view.pitch, fov = this.view.fov } = {}, { silent = false } = {}) {
    this.view.yaw = wrapYaw(yaw);
    this.view.pitch = MathUtils.clamp(pitch, -PITCH_LIMIT, PITCH_LIMIT);
    this.view.fov = MathUtils.clamp(fov, FOV_MIN, FOV_MAX);
    this.requestRender();
    if (!silent) this.dispatchEvent(new CustomEvent(VIEW_CHANGE, { detail: this.getView() }));
  }

  /**
   * Turn and zoom to *to* ({yaw, pitch, fov}) over *ms*, rendering every frame meanwhile only (eased; no
   * VIEW_CHANGE); resolves at the end. With prefers-reduced-motion it resolves at once and changes nothing.
   */
  animateTo(to, ms = 400) {
    this._anim?.resolve();
    this._anim = null;
    if (window.matchMedia?.('(prefers-reduced-motion: reduce)').matches || ms <= 0) return Promise.resolve();
    const from = this.getView();
    const target = { yaw: from.yaw + wrapYaw((to.yaw ?? from.yaw) - from.yaw), pitch: to.pitch ?? from.pitch, fov: to.fov ?? from.fov };
    this.container.dataset.transition = 'on';
    return new Promise((resolve) => {
      this._anim = { from, target, start: performance.now(), ms, resolve };
      this.requestRender();
    });
  }

  /** One step of the running animation (from renderNow); schedules the next frame until it ends. */
  stepAnimation() {
    const anim = this._anim;
    const k = Math.min(1, (performance.now() - anim.start) / anim.ms);
    const e = k * k * (3 - 2 * k);
    const { from, target } = anim;
    this.view.yaw = wrapYaw(from.yaw + (target.yaw - from.yaw) * e);
    this.view.pitch = MathUtils.clamp(from.pitch + (target.pitch - from.pitch) * e, -PITCH_LIMIT, PITCH_LIMIT);
    this.view.fov = MathUtils.clamp(from.fov + (target.fov - from.fov) * e, FOV_MIN, FOV_MAX);
    if (k < 1) { this.requestRender(); return; }
    this._anim = null;
    delete this.container.dataset.transition;
    queueMicrotask(anim.resolve); // after this frame is drawn
  }

  /** Screen height in pixels per degree of view (for drags and level choice). */
  pixelsPerDegree() {
    return this.container.clientHeight / this.view.fov;
  }

  resize() {
    const width = Math.max(1, this.container.clientWidth);
    const height = Math.max(1, this.container.clientHeight);
    this.renderer.setSize(width, height, false);
    this.camera.aspect = width / height;
    this.requestRender();
  }

  /** Schedule one frame (several requests before it coalesce); nothing while a loop owner renders every frame. */
  requestRender() {
    if (this._frame || this._loop) return;
    this.requestedAt = performance.now();
    this._frame = requestAnimationFrame(this._renderNow);
  }

  /**
   * Milliseconds a wanted frame has waited at *now*: since the pending on-demand frame was asked for, or (while a
   * loop owner renders every frame) since the last frame; 0 when no frame is wanted.
   */
  stalledFor(now = performance.now()) {
    if (this._loop) return Math.max(0, now - this.drawnAt);
    return this._frame ? Math.max(0, now - this.requestedAt) : 0;
  }

  /** Whether a frame is scheduled (for tests and tools: the view is settled when none is). */
  get renderPending() {
    return this._frame !== 0 || this._loop !== null;
  }

  /**
   * Hand the render loop to *onFrame(time, xrFrame)* (WebXR: renderer.setAnimationLoop drives it, and the
   * camera follows the headset), called before every frame is drawn; null takes it back to on-demand rendering.
   */
  setLoop(onFrame) {
    if (onFrame) {
      if (this._frame) cancelAnimationFrame(this._frame);
      this._frame = 0;
      this._loop = onFrame;
      this.drawnAt = performance.now();
      this.renderer.setAnimationLoop((time, xrFrame) => {
        this._loop?.(time, xrFrame);
        this.drawFrame();
      });
    } else if (this._loop) {
      this._loop = null;
      this.renderer.setAnimationLoop(null);
      this.resize(); // the renderer's size and the camera's aspect are the page's again; renders once
    }
  }

  /** Draw the on-demand frame: the view (or the running animation) onto the camera, then drawFrame. */
  renderNow() {
    this._frame = 0;
    if (this._anim) this.stepAnimation();
    const { yaw, pitch, fov } = this.view;
    this.camera.fov = fov;
    this.camera.rotation.set(MathUtils.degToRad(pitch), -MathUtils.degToRad(yaw), 0);
    this.camera.updateProjectionMatrix();
    this.camera.updateMatrixWorld();
    Object.assign(this.container.dataset, { yaw: yaw.toFixed(1), pitch: pitch.toFixed(1), fov: fov.toFixed(1) });
    this.drawFrame();
  }

  /** Render scene3 with the camera as it stands, count the frame and tell listeners (RENDER). */
  drawFrame() {
    this.renderer.render(this.scene3, this.camera);
    this.frames += 1;
    this.drawnAt = performance.now();
    this.dispatchEvent(new CustomEvent(RENDER, { detail: { camera: this.camera, frame: this.frames } }));
    this.container.dataset.frame = String(this.frames); // after the listeners: frame N seen means N is placed
  }

  /** Destroy every plugin (last added first), then release the renderer and the canvas. */
  destroy() {
    for (const id of [...this.plugins.keys()].reverse()) this.removePlugin(id);
    this.setLoop(null);
    this._anim?.resolve();
    this._anim = null;
    if (this._frame) cancelAnimationFrame(this._frame);
    this._frame = 0;
    this._observer.disconnect();
    this.renderer.dispose();
    this.renderer.domElement.remove();
    this._scene = null;
    delete this.container.dataset.frame;
  }
}
