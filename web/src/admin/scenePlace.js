// The scene editor's second part (server/templates/admin/scene_editor.html, the #scene-place section), composed
// by admin/scenes.js: the scene's links with their arrival views, its heading, and the hall's floor plan.
// - Links: each with its target's name and arrival view; add one to another scene of the hall (with the way back
//   at once, or later: links are one-way in the data), remove one (named in its button), and set the arrival view
//   typed, or by looking: the target scene is shown in the viewer (no hotspots), and "到达视角 = 当前视角" saves
//   the view (a scene without a panorama yet shows an empty view, as this page does); "返回本场景" shows this
//   scene again.
// - Heading: typed or nudged (±1°, ±10°); the hotspots are read again after the save (the API computes them).
// - The plan (the tour's plan.svg, ui/planSvg.js; model metres in its viewBox): where the scene stands, a wedge
//   the way the viewer looks (bearing = heading + yaw, as the tour's minimap), the other scenes of the floor and
//   the links; "move here" places the scene by a click, typed x/z or the arrow keys on the focused plan too.
// Every change is a PUT of the scene with its version through the page's one queue of saves (scenes.js `save`),
// so a 409 is told as for the hotspots.
import { RENDER } from '../events.js';
import { normalPitch, normalYaw } from '../plugins/hotspotEditor.js';
import { el } from '../ui/dom.js';
import { conePath, loadPlan, planPoint } from '../ui/planSvg.js';

const SVG = 'http://www.w3.org/2000/svg';
const CONE_DEG = 35; // half-angle of the view wedge, as the tour's minimap
export const HEADING_STEPS = [-10, -1, 1, 10];
export const MOVE_STEP = 0.1; // metres per arrow key on the plan
export const MOVE_STEP_BIG = 1; // with Shift

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  return node;
}

const round = (value, step) => Math.round(value / step) * step;
const fixed = (value, digits) => Number(value.toFixed(digits));

/** A heading in degrees wrapped into [-180, 180), to 0.1° (the admin API takes [-180, 180]). */
export function normalHeading(heading) {
  const wrapped = fixed((((heading + 180) % 360) + 360) % 360 - 180, 1);
  return wrapped >= 180 ? wrapped - 360 : wrapped;
}

export class ScenePlace {
  /**
   * *root*: the #scene-place section; *data*: the page's data (hall, scene, lang, may_edit, floors, t); *api*:
   * the admin client; *base*: the scenes' API URL; *scenes*: the draft's scenes as listed; *current()*: the
   * scene being edited (with its version); *save(call)*: the page's queue of saves; *reloadHotspots()*: read the
   * scene's hotspots again and draw them; *viewer*, *editor*: the page's viewer and hotspot editor (null without
   * WebGL).
   */
  constructor({ root, data, api, base, scenes, current, save, reloadHotspots, viewer, editor }) {
    Object.assign(this, { root, data, api, base, current, save, reloadHotspots, viewer, editor });
    this.t = data.t;
    this.colon = data.lang === 'en' ? ': ' : '：'; // between a button's action and the scene it names
    this.scenes = new Map(scenes.map((s) => [s.code, s]));
    this.looking = null; // the code of the linked scene shown in the viewer, or null
    this.home = viewer?.getScene() ?? null;
    this.homeView = null;
    this.moving = false;
    this.pending = null; // the pose fields of saves asked for and not yet answered
    this.part = (name) => root.querySelector(`[data-place="${name}"]`);
    this.plan = null;
    this.planLevel = null;
    if (viewer) viewer.addEventListener(RENDER, () => this.follow());
  }

  name(code) {
    const scene = this.scenes.get(code);
    return scene ? scene.name[this.data.lang === 'en' ? 'en' : 'zh'] || code : code;
  }

  url(code) {
    return `${this.base}/${encodeURIComponent(code)}`;
  }

  /** After each save of this scene (and at start): everything drawn again from the scene as saved. */
  refresh() {
    const scene = this.current();
    this.scenes.set(scene.code, scene);
    this.showHeading();
    this.showLinks();
    this.showLooking();
    this.showPosition();
    this.showPlan();
  }

  // ---- links -------------------------------------------------------------------------------------------

  arrivalText(arrival) {
    return arrival ? `yaw ${arrival.yaw}° · pitch ${arrival.pitch}°` : this.t.arrival_none;
  }

  showLinks() {
    const { t } = this;
    const scene = this.current();
    const codes = Object.keys(scene.links).sort();
    const edit = this.data.may_edit;
    this.part('links').replaceChildren(...(codes.length ? codes.map((code) => {
      const link = scene.links[code];
      const target = this.scenes.get(code);
      const name = this.name(code);
      const item = el('li', { class: 'admin-scene-link', 'data-link': code, 'data-arrival-yaw': link.arrival ? String(link.arrival.yaw) : '' },
        el('p', {}, el('strong', { text: `${name} (${code})` }), el('br'), `${t.arrival}: ${this.arrivalText(link.arrival)}`));
      if (!edit) return item;
      const yaw = el('input', { type: 'number', step: '0.1', name: 'yaw', value: link.arrival?.yaw ?? '', required: true });
      const pitch = el('input', { type: 'number', step: '0.1', name: 'pitch', value: link.arrival?.pitch ?? '', required: true });
      const form = el('form', { class: 'admin-hotspot-form', 'data-arrival-form': code, 'aria-label': `${t.arrival} ${name}` },
        el('label', { class: 'admin-field' }, t.yaw, yaw), el('label', { class: 'admin-field' }, t.pitch, pitch),
        el('button', { type: 'submit', 'data-action': 'arrival-typed', text: t.apply, 'aria-label': `${t.apply} ${t.arrival} ${name}` }));
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        const view = { yaw: Number(yaw.value), pitch: Number(pitch.value) };
        if (Number.isFinite(view.yaw) && Number.isFinite(view.pitch)) this.setArrival(code, view);
      });
      const back = target && !(scene.code in (target.links || {})); // the target links back, or not
      item.append(form, el('div', { class: 'admin-draft-actions' },
        el('button', { type: 'button', 'data-action': 'look', text: `${t.look_at}${this.colon}${name}`, disabled: !target || !this.viewer, onclick: () => this.look(code) }),
        back ? el('button', { type: 'button', 'data-action': 'add-back', text: `${t.add_back}${this.colon}${name}`, onclick: () => this.addBack(code) }) : el('span', { class: 'admin-help', text: target ? t.has_back : '' }),
        el('button', { type: 'button', class: 'admin-danger', 'data-action': 'remove-link', text: `${t.remove_link}${this.colon}${name}`, onclick: () => this.removeLink(code) })));
      return item;
    }) : [el('li', { text: t.no_links })]));
    this.showAddLink();
  }

  showAddLink() {
    const box = this.part('add-link');
    const scene = this.current();
    const free = [...this.scenes.keys()].filter((c) => c !== scene.code && !(c in scene.links)).sort();
    if (!this.data.may_edit || !free.length) { box.replaceChildren(); return; }
    const { t } = this;
    const select = el('select', { name: 'target' }, free.map((c) => el('option', { value: c, text: `${this.name(c)} (${c})` })));
    const back = el('input', { type: 'checkbox', name: 'back', checked: true });
    const form = el('form', { class: 'admin-hotspot-form', 'data-place': 'add-link-form' },
      el('label', { class: 'admin-field' }, t.link_target, select),
      el('label', { class: 'admin-check' }, back, t.also_back),
      el('button', { type: 'submit', 'data-action': 'add-link', text: t.add_link }));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.addLink(select.value, back.checked);
    });
    box.replaceChildren(form);
  }

  putLinks(links) {
    return this.save((version) => this.api.call('PUT', this.url(this.data.scene), { body: { links }, version }));
  }

  addLink(code, back) {
    const done = this.putLinks({ ...this.current().links, [code]: { arrival: null } });
    return back ? done.then(() => this.addBack(code)) : done;
  }

  /** The way back: a link from *code* to this scene, a PUT of that scene with the version it has now. */
  addBack(code) {
    return this.save(async () => {
      const other = await this.api.get(this.url(code));
      const links = { ...other.links, [this.data.scene]: { arrival: null } };
      this.scenes.set(code, await this.api.call('PUT', this.url(code), { body: { links }, version: other.version }));
      return this.current();
    });
  }

  removeLink(code) {
    if (this.looking === code) this.back();
    const links = { ...this.current().links };
    delete links[code];
    return this.putLinks(links);
  }

  setArrival(code, view) {
    const arrival = { yaw: normalYaw(view.yaw), pitch: normalPitch(view.pitch) };
    return this.putLinks({ ...this.current().links, [code]: { arrival } });
  }

  /** Show linked scene *code* in the viewer, at its arrival view (or straight ahead), without hotspots. */
  look(code) {
    const target = this.scenes.get(code);
    if (!this.viewer || !target) return;
    if (!this.looking) this.homeView = this.viewer.getView();
    this.looking = code;
    this.editor?.setHotspots([]);
    const arrival = this.current().links[code]?.arrival;
    this.viewer.setScene({ id: code, tiles: target.panorama ?? null, hotspots: [] }); // none yet: an empty view
    this.viewer.setView(arrival ?? { yaw: 0, pitch: 0 });
    this.showLooking();
    this.showPlan();
    this.part('looking').querySelector('[data-action="arrival-here"]')?.focus();
  }

  back() {
    if (!this.looking || !this.viewer) return;
    this.looking = null;
    this.viewer.setScene(this.home);
    if (this.homeView) this.viewer.setView(this.homeView);
    this.reloadHotspots();
    this.showLooking();
    this.showPlan();
  }

  showLooking() {
    const box = this.part('looking');
    const code = this.looking;
    box.dataset.looking = code ?? '';
    if (!code) { box.replaceChildren(); return; }
    const { t } = this;
    const bare = this.scenes.get(code)?.panorama ? null : el('p', { class: 'admin-help', text: t.no_target_panorama });
    box.replaceChildren(el('p', { text: `${t.looking} ${this.name(code)} (${code})` }), bare,
      el('div', { class: 'admin-draft-actions' },
        this.data.may_edit ? el('button', { type: 'button', class: 'admin-primary', 'data-action': 'arrival-here', text: t.arrival_here, onclick: () => this.setArrival(code, this.viewer.getView()) }) : null,
        el('button', { type: 'button', 'data-action': 'back-to-scene', text: t.back_to_scene, onclick: () => this.back() })));
  }

  // ---- heading ---------------------------------------------------------------------------------------------

  showHeading() {
    const { t } = this;
    const box = this.part('heading');
    const heading = this.current().heading;
    box.dataset.heading = String(heading);
    const input = el('input', { type: 'number', step: '0.1', min: '-180', max: '180', name: 'heading', value: heading, required: true, readonly: !this.data.may_edit });
    const form = el('form', { class: 'admin-hotspot-form', 'data-place': 'heading-form' }, el('label', { class: 'admin-field' }, t.heading_field, input));
    if (this.data.may_edit) {
      form.append(el('div', { class: 'admin-draft-actions' },
        ...HEADING_STEPS.map((step) => el('button', {
          type: 'button', 'data-heading-step': step, text: `${step > 0 ? '+' : '−'}${Math.abs(step)}°`,
          'aria-label': `${t.heading_field} ${step > 0 ? '+' : '−'}${Math.abs(step)}°`, onclick: () => this.setHeading(this.pose().heading + step),
        })),
        el('button', { type: 'submit', 'data-action': 'heading', text: t.apply })));
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        const value = Number(input.value);
        if (input.value.trim() !== '' && Number.isFinite(value)) this.setHeading(value);
      });
    }
    box.replaceChildren(form);
  }

  setHeading(heading) {
    return this.savePose({ heading: normalHeading(heading) });
  }

  /** The pose as it will be once the saves asked for are done (a nudge builds on the one before it). */
  pose() {
    return { ...this.current(), ...this.pending };
  }

  /** A change of pose (heading, position): the hotspots are computed again by the API, so read them again. */
  savePose(body) {
    const pending = { ...this.pending, ...body };
    this.pending = pending;
    const done = this.save((version) => this.api.call('PUT', this.url(this.data.scene), { body, version }), async () => {
      await this.reloadHotspots();
      if (this.looking) this.editor?.setHotspots([]);
    });
    return done.then(() => { if (this.pending === pending) this.pending = null; });
  }

  // ---- position and the plan -------------------------------------------------------------------------------

  showPosition() {
    const { t } = this;
    const [x, , z] = this.current().position;
    const box = this.part('position');
    const number = (name, value) => el('input', { type: 'number', step: '0.01', name, value, required: true, readonly: !this.data.may_edit });
    const inputs = { x: number('x', x), z: number('z', z) };
    const form = el('form', { class: 'admin-hotspot-form', 'data-place': 'position-form' },
      el('label', { class: 'admin-field' }, t.position_x, inputs.x), el('label', { class: 'admin-field' }, t.position_z, inputs.z));
    if (this.data.may_edit) {
      form.append(el('div', { class: 'admin-draft-actions' },
        el('button', { type: 'submit', 'data-action': 'position', text: t.save_position }),
        el('button', { type: 'button', 'data-action': 'move-here', 'aria-pressed': String(this.moving), text: this.moving ? t.move_here_on : t.move_here, onclick: () => this.toggleMoving() })));
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        const at = { x: Number(inputs.x.value), z: Number(inputs.z.value) };
        if (Number.isFinite(at.x) && Number.isFinite(at.z)) this.place(at.x, at.z);
      });
    }
    box.replaceChildren(form);
  }

  toggleMoving() {
    this.moving = !this.moving;
    this.showPosition();
    if (this.moving) this.plan?.focus();
  }

  place(x, z) {
    const [, y] = this.pose().position;
    this.moving = false;
    return this.savePose({ position: [fixed(round(x, 0.01), 2), y, fixed(round(z, 0.01), 2)] });
  }

  /** The plan of the scene's floor (fetched once per floor), with the overlay drawn again. */
  async showPlan() {
    const level = this.current().floor;
    const box = this.part('plan');
    if (this.planLevel !== level) {
      this.planLevel = level;
      this.plan = null;
      const floor = this.data.floors.find((f) => f.level === level);
      let root = null;
      try {
        if (floor?.plan_url) root = await loadPlan(floor.plan_url, this.data.lang);
      } catch {
        root = null;
      }
      if (!root) { box.replaceChildren(el('p', { class: 'admin-help', text: this.t.no_plan })); return; }
      root.setAttribute('role', 'group');
      root.setAttribute('tabindex', '0');
      root.setAttribute('aria-label', this.t.plan_label);
      const [, , w, h] = root.getAttribute('viewBox').split(/[\s,]+/).map(Number);
      this.unit = Math.max(w, h) / 60;
      this.overlay = svg('g', { class: 'admin-plan-overlay' });
      root.append(this.overlay);
      root.addEventListener('click', (event) => this.onPlanClick(event));
      root.addEventListener('keydown', (event) => this.onPlanKey(event));
      this.plan = root;
      box.replaceChildren(root);
    }
    this.drawOverlay();
  }

  drawOverlay() {
    if (!this.overlay) return;
    const u = this.unit;
    const scene = this.current();
    const shown = this.scenes.get(this.looking) ?? scene;
    this.overlay.replaceChildren();
    this.cone = null;
    const at = (code) => this.scenes.get(code)?.position;
    for (const code of Object.keys(scene.links)) {
      const target = this.scenes.get(code);
      if (!target || target.floor !== scene.floor) continue;
      const [x1, , z1] = scene.position;
      const [x2, , z2] = at(code);
      this.overlay.append(svg('line', { class: 'admin-plan-link', 'data-plan-link': code, x1, y1: z1, x2, y2: z2, stroke: '#0b5cad', 'stroke-width': u * 0.35, 'stroke-dasharray': `${u} ${u * 0.6}` }));
    }
    for (const other of this.scenes.values()) {
      if (other.code === scene.code || other.floor !== scene.floor) continue;
      const [x, , z] = other.position;
      const dot = svg('circle', { class: 'admin-plan-scene', 'data-plan-scene': other.code, cx: x, cy: z, r: u * 0.8, fill: '#0b5cad', stroke: '#fff', 'stroke-width': u * 0.3 });
      dot.append(svg('title'));
      dot.firstChild.textContent = this.name(other.code);
      this.overlay.append(dot);
    }
    const [x, , z] = shown.position;
    const group = svg('g', { class: 'admin-plan-here', 'data-plan-here': shown.code, transform: `translate(${x} ${z})` });
    this.cone = svg('path', { class: 'admin-plan-cone', d: conePath(u * 5, CONE_DEG), fill: 'rgba(179,38,30,.35)', stroke: '#b3261e', 'stroke-width': u * 0.15 });
    group.append(this.cone, svg('circle', { r: u, fill: '#b3261e', stroke: '#fff', 'stroke-width': u * 0.35 }));
    this.overlay.append(group);
    this.plan.dataset.x = String(x);
    this.plan.dataset.z = String(z);
    this.bearing = null;
    this.follow();
  }

  /** The wedge turned the way the viewer looks: bearing = the shown scene's heading + yaw. */
  follow() {
    if (!this.cone) return;
    const shown = this.scenes.get(this.looking) ?? this.current();
    const yaw = this.viewer ? this.viewer.getView().yaw : (shown.initial_view?.yaw ?? 0);
    const bearing = fixed((((shown.heading + yaw) % 360) + 360) % 360, 1);
    if (bearing === this.bearing) return;
    this.bearing = bearing;
    this.cone.setAttribute('transform', `rotate(${bearing})`);
    this.plan.dataset.bearing = String(bearing);
  }

  onPlanClick(event) {
    if (!this.moving || !this.data.may_edit) return;
    const { x, y } = planPoint(this.plan, event);
    this.place(x, y);
  }

  onPlanKey(event) {
    const steps = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    const step = steps[event.key];
    if (!step || !this.data.may_edit) return;
    event.preventDefault();
    const size = event.shiftKey ? MOVE_STEP_BIG : MOVE_STEP;
    const [x, , z] = this.pose().position;
    this.place(x + step[0] * size, z + step[1] * size);
  }
}
