// Look around by turning the phone: device orientation (alpha, beta, gamma) → view yaw/pitch, relative to
// the yaw when it started. iOS asks for permission, which only a click may request. A drag stops it.
//
// The device's pose is the W3C z-x'-y'' rotation; the camera looks out of the back of the screen, so the
// quaternion is (beta, alpha, −gamma) in 'YXZ' order, tipped −90° about X, turned by the screen angle.
//
// Plugin id 'orientation'; its toggle *button* comes from the page (shown only where it can work).
import { Euler, MathUtils, Quaternion, Vector3 } from 'three';
import { Plugin } from './Plugin.js';

const _euler = new Euler();
const _q = new Quaternion();
const _screen = new Quaternion();
const _forward = new Vector3();
const _z = new Vector3(0, 0, 1);
const BACK_OF_SCREEN = new Quaternion(-Math.sqrt(0.5), 0, 0, Math.sqrt(0.5));

/** Yaw and pitch (degrees, Viewer.js convention) of a device orientation and screen angle (degrees). */
export function orientationToView(alpha, beta, gamma, screenAngle = 0) {
  _euler.set(MathUtils.degToRad(beta), MathUtils.degToRad(alpha), -MathUtils.degToRad(gamma), 'YXZ');
  _q.setFromEuler(_euler).multiply(BACK_OF_SCREEN).multiply(_screen.setFromAxisAngle(_z, -MathUtils.degToRad(screenAngle)));
  _forward.set(0, 0, -1).applyQuaternion(_q);
  return {
    yaw: MathUtils.radToDeg(Math.atan2(_forward.x, -_forward.z)),
    pitch: MathUtils.radToDeg(Math.asin(MathUtils.clamp(_forward.y, -1, 1))),
  };
}

/** Whether this browser reports device orientation on a touch screen (phones and tablets). */
export function orientationAvailable() {
  return 'DeviceOrientationEvent' in window && window.matchMedia('(pointer: coarse)').matches;
}

export class OrientationPlugin extends Plugin {
  static id = 'orientation';

  constructor({ button = null } = {}) {
    super();
    this.button = button;
    this.active = false;
    this.start = null;
    this._onOrientation = this.onOrientation.bind(this);
    this._onDrag = this.stop.bind(this);
  }

  init(viewer) {
    super.init(viewer);
    if (!this.button || !orientationAvailable()) return;
    this.button.hidden = false;
    this.listen(this.button, 'click', () => this.toggle());
  }

  destroy() {
    this.stop();
    if (this.button) this.button.hidden = true;
    super.destroy();
  }

  async toggle() {
    if (this.active) { this.stop(); return; }
    const ask = window.DeviceOrientationEvent?.requestPermission;
    if (typeof ask === 'function') {
      try {
        if ((await ask.call(window.DeviceOrientationEvent)) !== 'granted') return;
      } catch {
        return; // denied or not asked from a click
      }
      if (!this.viewer) return; // destroyed while asking
    }
    this.active = true;
    this.start = null;
    this.button.setAttribute('aria-pressed', 'true');
    window.addEventListener('deviceorientation', this._onOrientation);
    this.viewer.renderer.domElement.addEventListener('pointerdown', this._onDrag);
  }

  stop() {
    if (!this.active) return;
    this.active = false;
    this.button.setAttribute('aria-pressed', 'false');
    window.removeEventListener('deviceorientation', this._onOrientation);
    this.viewer.renderer.domElement.removeEventListener('pointerdown', this._onDrag);
  }

  onOrientation(event) {
    if (event.alpha === null || event.beta === null || event.gamma === null) return;
    const angle = screen.orientation?.angle ?? window.orientation ?? 0;
    const device = orientationToView(event.alpha, event.beta, event.gamma, angle);
    if (!this.start) this.start = { device: device.yaw, view: this.viewer.getView().yaw };
    this.viewer.setView({ yaw: this.start.view + device.yaw - this.start.device, pitch: device.pitch });
  }
}
