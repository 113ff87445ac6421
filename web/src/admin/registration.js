// The scene editor's registration panel (server/templates/admin/scene_registration.html): register a newly
// photographed panorama by the counters in it. In this mode the scene's own hotspots are dimmed and let
// presses through; staff choose a counter (the view turns to where the draft expects it), then click where it
// really is in the panorama — or turn the view's centre onto it and take the point there (the keyboard way).
// From two points the admin API (POST …/registration, which changes nothing) answers the solved heading (and,
// from three spread ones, the position) with the residual in degrees and each point's error; "Accept" is
// enabled only when acceptable and hands the pose to the page, which saves it into the draft with the scene's
// version (the ordinary PUT) and reloads the hotspots. The panel's state is on its root for tools and tests:
// data-points, data-heading, data-residual, data-acceptable, data-state (solving, solved, accepted, error).
import { Vector3 } from 'three';
import { RENDER } from '../events.js';
import { el } from '../ui/dom.js';
import { directionOf } from '../viewer/Viewer.js';
import { bilingual } from './api.js';

const CLICK_SLOP = 5; // px a press may move and still be a click (more is a look-around drag)
const _dir = new Vector3();
const _forward = new Vector3();

export class Registration {
  /**
   * *panel*: the template's section; *viewer*, *editor* (plugins/hotspotEditor.js, for directionAt);
   * *api*, *url* (the scene's …/registration); *t*: texts; *counters()*: the scene's hotspots to offer
   * ({target, yaw, pitch}); *accept(pose)*: saves {heading, position?}, resolves true when saved.
   */
  constructor({ panel, viewer, editor, api, url, t, counters, accept }) {
    Object.assign(this, { panel, viewer, editor, api, url, t, counters, accept });
    this.part = (name) => panel.querySelector(`[data-register="${name}"]`);
    this.points = []; // {target, yaw, pitch, error}
    this.pose = null;
    this.asked = 0; // answers to older requests are dropped
    this.active = false;
    this.press = null;
    this.part('mode').addEventListener('click', () => this.toggle());
    this.part('centre').addEventListener('click', () => { const v = viewer.getView(); this.take(v.yaw, v.pitch); });
    this.part('accept').addEventListener('click', () => this.acceptPose());
    this.part('counter').addEventListener('change', () => this.look());
    const surface = viewer.container;
    surface.addEventListener('pointerdown', (e) => { this.press = this.active && e.button === 0 ? { x: e.clientX, y: e.clientY } : null; });
    surface.addEventListener('pointerup', (e) => this.onPointerUp(e));
    viewer.addEventListener(RENDER, (e) => this.placeMarks(e.detail.camera));
  }

  /** A mark in the panorama where each point was taken (decoration: the list says the same). */
  placeMarks(camera) {
    const layer = this.editor.layer;
    for (const mark of layer.querySelectorAll('.register-mark')) mark.remove();
    if (!this.active) return;
    const width = this.viewer.container.clientWidth;
    const height = this.viewer.container.clientHeight;
    camera.getWorldDirection(_forward);
    for (const p of this.points) {
      directionOf(p.yaw, p.pitch, _dir);
      if (_dir.dot(_forward) <= 0.05) continue;
      _dir.project(camera);
      const mark = el('span', { class: 'register-mark', 'aria-hidden': 'true', 'data-mark': p.target, text: p.target.slice(p.target.indexOf(':') + 1) });
      mark.style.transform = `translate(${(((_dir.x + 1) / 2) * width).toFixed(1)}px, ${(((1 - _dir.y) / 2) * height).toFixed(1)}px)`;
      layer.append(mark);
    }
  }

  toggle(on = !this.active) {
    this.active = on;
    const mode = this.part('mode');
    mode.setAttribute('aria-pressed', String(on));
    mode.textContent = on ? this.t.register_stop : this.t.register_start;
    this.part('work').hidden = !on;
    this.viewer.container.toggleAttribute('data-registering', on);
    this.viewer.requestRender();
    if (on) this.fillCounters();
  }

  fillCounters() {
    const select = this.part('counter');
    const chosen = select.value;
    const offered = this.counters().filter((s) => s.target.startsWith('counter:'));
    select.replaceChildren(...offered.map((s) => el('option', { value: s.target, text: s.target.slice('counter:'.length) })));
    if (offered.some((s) => s.target === chosen)) select.value = chosen;
  }

  /** Turn the view to where the draft expects the chosen counter: it is then near the centre. */
  look() {
    const spot = this.counters().find((s) => s.target === this.part('counter').value);
    if (!spot || spot.yaw === null || spot.yaw === undefined) return;
    this.viewer.setView({ yaw: spot.yaw, pitch: spot.pitch });
    this.viewer.renderNow();
  }

  onPointerUp(event) {
    const press = this.press;
    this.press = null;
    if (!press || !this.active || Math.hypot(event.clientX - press.x, event.clientY - press.y) > CLICK_SLOP) return;
    const { yaw, pitch } = this.editor.directionAt(event.clientX, event.clientY);
    this.take(yaw, pitch);
  }

  /** The chosen counter is at *yaw*, *pitch* (a point taken again replaces its earlier one). */
  take(yaw, pitch) {
    const target = this.part('counter').value;
    if (!target) return;
    this.points = [...this.points.filter((p) => p.target !== target), { target, yaw, pitch, error: null }];
    this.solve();
  }

  remove(target) {
    this.points = this.points.filter((p) => p.target !== target);
    this.solve();
  }

  async solve() {
    this.pose = null;
    this.draw();
    if (this.points.length < 2) {
      this.result([el('p', { text: this.t.register_need })]);
      return;
    }
    const asked = ++this.asked;
    this.panel.dataset.state = 'solving';
    try {
      const points = this.points.map(({ target, yaw, pitch }) => ({ target, yaw, pitch }));
      const pose = await this.api.call('POST', this.url, { body: { points } });
      if (asked !== this.asked) return;
      this.pose = pose;
      const errors = new Map(pose.points.map((p) => [p.target, p.error]));
      this.points = this.points.map((p) => ({ ...p, error: errors.get(p.target) ?? null }));
      this.draw();
      this.showPose(pose);
    } catch (error) {
      if (asked !== this.asked) return;
      this.panel.dataset.state = 'error';
      this.result([el('p', { role: 'alert', text: bilingual(error.zh, error.en) || String(error.message) })]);
    }
  }

  draw() {
    const { t } = this;
    this.viewer.requestRender();
    this.panel.dataset.points = String(this.points.length);
    this.part('points').replaceChildren(...this.points.map((p) => el('li', { 'data-point': p.target },
      `${p.target.slice(p.target.indexOf(':') + 1)} · ${p.yaw.toFixed(1)}°, ${p.pitch.toFixed(1)}°`,
      p.error === null ? '' : ` · ${t.register_error} ${p.error.toFixed(2)}°`, ' ',
      el('button', { type: 'button', 'data-remove': p.target, 'aria-label': `${t.register_remove} ${p.target}`, text: t.register_remove, onclick: () => this.remove(p.target) }))));
    this.part('accept').disabled = !this.pose?.acceptable;
  }

  showPose(pose) {
    const { t } = this;
    Object.assign(this.panel.dataset, {
      state: 'solved', heading: String(pose.heading), residual: String(pose.residual), acceptable: String(pose.acceptable),
    });
    const lines = [
      el('p', { 'data-register': 'heading', text: `${t.register_heading}: ${pose.heading.toFixed(1)}°` }),
      pose.position ? el('p', { text: `${t.register_position}: ${pose.position[0].toFixed(2)}, ${pose.position[2].toFixed(2)} m` }) : null,
      el('p', { 'data-register': 'residual', text: `${t.register_residual}: ${pose.residual.toFixed(2)}°` }),
      el('p', { 'data-register': 'judgement', class: pose.acceptable ? 'admin-ok' : 'admin-problem', text: pose.acceptable ? t.register_good : t.register_bad }),
    ];
    this.result(lines);
  }

  result(children) {
    this.part('result').replaceChildren(...children.filter(Boolean));
  }

  async acceptPose() {
    const pose = this.pose;
    if (!pose?.acceptable) return;
    this.part('accept').disabled = true;
    const saved = await this.accept(pose.position ? { heading: pose.heading, position: pose.position } : { heading: pose.heading });
    if (!saved) { this.draw(); return; }
    this.points = [];
    this.pose = null;
    this.draw();
    this.panel.dataset.state = 'accepted';
    this.result([el('p', { 'data-register': 'accepted', text: this.t.register_accepted })]);
    this.fillCounters();
  }
}
