// /admin/kiosks: the kiosks of the halls the caller may see, their health refreshed from the admin API
// (GET /api/v1/admin/kiosks) every heartbeat interval; and, for the halls the caller may change (the page's
// data names them: admins all, editors their own, viewers none), register, edit and remove. A kiosk is placed
// on the hall's own floor plan (the tour's plan.svg, model metres in its viewBox): the first click sets the
// position, the second the facing (or type the numbers). Each problem the registry finds is shown at its
// field; a 409 shows the kiosk as it is now. Text only (textContent).
import { el } from '../ui/dom.js';
import { loadPlan, planPoint } from '../ui/planSvg.js';
import { Api, ApiError } from './api.js';
import { field, message, showProblems } from './common.js';
import { getLang, pair, s, setLang } from './strings.js';

const SVG = 'http://www.w3.org/2000/svg';
const table = document.querySelector('table.admin-kiosks');
const dataNode = document.getElementById('kiosk-data');
const data = dataNode ? JSON.parse(dataNode.textContent) : { halls: [] };
setLang(data.lang);
const client = new Api(data.csrf, '/api/v1/admin');
const api = (method, path, body) => client.call(method, path, body === undefined ? {} : { body });
const editable = new Map(data.halls.map((h) => [h.slug, h]));
const tools = document.getElementById('kiosk-tools');
const editorBox = document.getElementById('kiosk-editor');
let kiosks = new Map();

function cell(row, name) {
  return row.querySelector(`[data-field="${name}"]`);
}

/** Round to centimetres / tenths of a degree: what a click on a plan can mean. */
const round = (value, step) => Math.round(value / step) * step;

/** The bearing (degrees clockwise from north, north −Z) from (x, z) towards (tx, tz). */
function bearing(x, z, tx, tz) {
  const degrees = (Math.atan2(tx - x, -(tz - z)) * 180) / Math.PI;
  return round((degrees + 360) % 360, 0.1) % 360;
}

function fillHealth(row, kiosk) {
  const state = cell(row, 'state');
  state.dataset.online = String(kiosk.online);
  state.textContent = kiosk.online ? table.dataset.online : table.dataset.offline;
  cell(row, 'floor').textContent = String(kiosk.floor);
  cell(row, 'seen').textContent = kiosk.heartbeat.at || table.dataset.never;
  cell(row, 'version').textContent = kiosk.heartbeat.version || '–';
  cell(row, 'uptime').textContent = kiosk.heartbeat.uptime ?? '–';
  const list = document.createElement('ul');
  for (const error of kiosk.heartbeat.errors.slice(-5)) list.append(el('li', { text: `${error.at} ${error.text}` }));
  cell(row, 'errors').replaceChildren(list);
}

function actions(kiosk) {
  if (!editable.has(kiosk.hall)) return [];
  return [
    el('button', { type: 'button', 'data-action': 'edit', text: s('kEdit'), 'aria-label': `${s('kEdit')} ${kiosk.id}`, onclick: () => openEditor(kiosk.id) }),
    el('button', { type: 'button', class: 'admin-danger', 'data-action': 'remove', text: s('kRemove'), 'aria-label': `${s('kRemove')} ${kiosk.id}`, onclick: () => remove(kiosk.id) }),
  ];
}

function newRow(kiosk) {
  const td = (name) => el('td', { 'data-field': name });
  return el('tr', { 'data-kiosk': kiosk.id },
    el('th', { scope: 'row', text: kiosk.id }), el('td', { text: kiosk.hall }), td('floor'),
    td('state'), td('seen'), td('version'), td('uptime'), td('errors'), editable.size ? td('actions') : null);
}

/** The table from the API's list: rows added, refreshed or dropped. */
async function refresh() {
  const { kiosks: list } = await api('GET', '/kiosks');
  kiosks = new Map(list.map((k) => [k.id, k]));
  const body = table.tBodies[0];
  const rows = new Map([...body.rows].map((r) => [r.dataset.kiosk, r]));
  for (const [id, row] of rows) if (!kiosks.has(id)) row.remove();
  for (const kiosk of list) {
    const row = rows.get(kiosk.id) || newRow(kiosk);
    fillHealth(row, kiosk);
    cell(row, 'actions')?.replaceChildren(...actions(kiosk));
    body.append(row); // in the list's order
  }
  table.hidden = list.length === 0;
  document.querySelector('.admin-kiosks-empty').hidden = list.length > 0;
}

function say(text, error = false) {
  tools.querySelector('[role="status"], [role="alert"]')?.remove();
  tools.append(message(text, error));
}

async function remove(id) {
  if (!window.confirm(s('kRemoveConfirm', { id }))) return;
  try {
    await api('DELETE', `/kiosks/${encodeURIComponent(id)}`);
    say(s('kRemoved', { id }));
  } catch (error) {
    say(errorText(error), true);
  }
  closeEditor();
  await refresh();
}

function errorText(error) {
  if (error instanceof ApiError && error.zh) return getLang() === 'en' ? error.en : `${error.zh} / ${error.en}`;
  return error.message;
}

function closeEditor() {
  editorBox.hidden = true;
  editorBox.replaceChildren();
}

/** The plan of one floor inline, with the kiosk's marker; clicks place it and then turn it. */
class PlanPicker {
  constructor(form) {
    this.form = form;
    this.stage = 'place';
    this.box = el('div', { class: 'admin-plan', 'data-plan': '' });
    this.hint = el('p', { class: 'admin-help', 'data-plan-hint': '', 'aria-live': 'polite' });
  }

  async show(url) {
    this.svg = null;
    if (!url) { this.box.replaceChildren(); this.hint.textContent = s('kNoPlan'); return; }
    let root;
    try {
      root = await loadPlan(url, getLang());
    } catch {
      this.box.replaceChildren(); this.hint.textContent = s('kNoPlan'); return;
    }
    root.setAttribute('role', 'img');
    root.setAttribute('aria-label', s('kPlan'));
    const [, , w, h] = root.getAttribute('viewBox').split(/[\s,]+/).map(Number);
    this.unit = Math.max(w, h) / 50;
    this.marker = document.createElementNS(SVG, 'g');
    this.marker.setAttribute('class', 'admin-plan-marker');
    root.append(this.marker);
    root.addEventListener('click', (event) => this.click(event));
    this.svg = root;
    this.box.replaceChildren(root);
    this.stage = this.form.values().x === null ? 'place' : 'done';
    this.draw();
  }

  click(event) {
    const { x: px, y: pz } = planPoint(this.svg, event);
    const { x, z } = this.form.values();
    if (this.stage === 'face' && x !== null && z !== null && Math.hypot(px - x, pz - z) > 0.05) {
      this.form.set('facing', bearing(x, z, px, pz));
      this.stage = 'done';
    } else {
      this.form.set('x', round(px, 0.01));
      this.form.set('z', round(pz, 0.01));
      this.stage = 'face';
    }
    this.draw();
  }

  /** The marker where the fields say: a dot and a line the way the screen faces. */
  draw() {
    if (!this.svg) return;
    const { x, z, facing } = this.form.values();
    this.hint.textContent = s(this.stage === 'place' ? 'kPlanPlace' : this.stage === 'face' ? 'kPlanFace' : 'kPlanDone');
    this.marker.replaceChildren();
    if (x === null || z === null) return;
    const dot = document.createElementNS(SVG, 'circle');
    for (const [k, v] of Object.entries({ cx: x, cy: z, r: this.unit * 0.6, fill: '#c62828', stroke: '#fff', 'stroke-width': this.unit * 0.15 })) dot.setAttribute(k, v);
    this.marker.append(dot);
    if (facing === null) return;
    const rad = (facing * Math.PI) / 180;
    const line = document.createElementNS(SVG, 'line');
    for (const [k, v] of Object.entries({ x1: x, y1: z, x2: x + Math.sin(rad) * this.unit * 2.5, y2: z - Math.cos(rad) * this.unit * 2.5, stroke: '#c62828', 'stroke-width': this.unit * 0.3, 'stroke-linecap': 'round' })) line.setAttribute(k, v);
    this.marker.append(line);
  }
}

/** The register / edit form for *kiosk* (null: a new one). */
class KioskForm {
  constructor(kiosk) {
    this.kiosk = kiosk;
    const first = kiosk ? editable.get(kiosk.hall) : data.halls[0];
    const input = (name, attrs) => el('input', { name, ...attrs });
    const number = (name, value, step) => input(name, { type: 'number', step, inputmode: 'decimal', value: value ?? '' });
    this.controls = {
      id: input('id', { type: 'text', value: kiosk?.id ?? '', required: true, readonly: kiosk ? true : null, autocomplete: 'off' }),
      hall: el('select', { name: 'hall', disabled: kiosk ? true : null },
        data.halls.map((h) => el('option', { value: h.slug, text: pair(h.name), selected: h.slug === first.slug }))),
      floor: el('select', { name: 'floor' }),
      x: number('x', kiosk?.x, 'any'),
      z: number('z', kiosk?.z, 'any'),
      facing: number('facing', kiosk?.facing, 'any'),
      idle_seconds: number('idle_seconds', kiosk?.idle_seconds ?? data.idle.default, 1),
      countdown_seconds: number('countdown_seconds', kiosk?.countdown_seconds ?? data.countdown.default, 1),
      audio: input('audio', { type: 'checkbox', checked: kiosk?.audio ? true : null }),
    };
    const c = this.controls;
    c.idle_seconds.min = data.idle.range[0]; c.idle_seconds.max = data.idle.range[1];
    c.countdown_seconds.min = data.countdown.range[0]; c.countdown_seconds.max = data.countdown.range[1];
    this.plan = new PlanPicker(this);
    this.fallback = el('p', { class: 'admin-error', role: 'alert', hidden: true });
    this.conflict = el('div', { class: 'admin-conflict', role: 'alert', hidden: true });
    c.hall.addEventListener('change', () => this.fillFloors());
    c.floor.addEventListener('change', () => this.showPlan());
    for (const name of ['x', 'z', 'facing']) c[name].addEventListener('input', () => this.plan.draw());
    const check = el('label', { class: 'admin-check' }, c.audio, s('kAudio'));
    this.form = el('form', { class: 'admin-kiosk-form', novalidate: true, onsubmit: (e) => { e.preventDefault(); this.save(); } },
      el('h2', { text: kiosk ? s('kEditTitle', { id: kiosk.id }) : s('kNewTitle') }),
      this.conflict,
      el('div', { class: 'admin-pair' },
        field(s('kId'), c.id, 'id'), field(s('kHall'), c.hall, 'hall'), field(s('kFloor'), c.floor, 'floor')),
      this.plan.hint, this.plan.box,
      el('div', { class: 'admin-pair' },
        field(s('kX'), c.x, 'x'), field(s('kZ'), c.z, 'z'), field(s('kFacing'), c.facing, 'facing'),
        field(s('kIdle'), c.idle_seconds, 'idle_seconds'), field(s('kCountdown'), c.countdown_seconds, 'countdown_seconds')),
      el('div', { class: 'admin-field', 'data-field': 'audio' }, check, el('p', { class: 'admin-field-problem', role: 'alert', hidden: true })),
      this.fallback,
      el('div', { class: 'admin-actions' },
        el('button', { type: 'submit', class: 'admin-primary', 'data-action': 'save', text: s('kSave') }),
        el('button', { type: 'button', 'data-action': 'cancel', text: s('kCancel'), onclick: closeEditor })));
    this.fillFloors(kiosk?.floor);
  }

  fillFloors(selected) {
    const hall = editable.get(this.controls.hall.value);
    this.controls.floor.replaceChildren(...hall.floors.map((f) => el('option', {
      value: f.level, text: `${f.level} · ${pair(f.name)}`, selected: f.level === (selected ?? hall.floors[0]?.level),
    })));
    this.showPlan();
  }

  showPlan() {
    const hall = editable.get(this.controls.hall.value);
    const floor = hall.floors.find((f) => String(f.level) === this.controls.floor.value);
    return this.plan.show(floor?.plan_url).catch(() => { this.plan.hint.textContent = s('kNoPlan'); });
  }

  /** x, z and facing as numbers (null when empty or not a number). */
  values() {
    const read = (name) => {
      const text = this.controls[name].value.trim();
      const value = Number(text);
      return text === '' || !Number.isFinite(value) ? null : value;
    };
    return { x: read('x'), z: read('z'), facing: read('facing') };
  }

  set(name, value) {
    this.controls[name].value = String(Number(value.toFixed(2)));
  }

  /** The body to send; a field that is no number is named here, before asking the server. */
  body() {
    const c = this.controls;
    const body = { floor: Number(c.floor.value), audio: c.audio.checked };
    const problems = [];
    for (const name of ['x', 'z', 'facing', 'idle_seconds', 'countdown_seconds']) {
      const text = c[name].value.trim();
      const value = Number(text);
      if (text === '' || !Number.isFinite(value)) problems.push({ field: name, zh: '应为数字', en: 'must be a number' });
      else body[name] = value;
    }
    if (!this.kiosk) Object.assign(body, { id: c.id.value.trim(), hall: c.hall.value });
    else body.version = this.kiosk.version;
    return { body, problems };
  }

  async save() {
    const { body, problems } = this.body();
    this.conflict.hidden = true;
    this.fallback.hidden = true;
    if (problems.length) {
      showProblems(this.form, problems, this.fallback);
      return;
    }
    try {
      const saved = this.kiosk
        ? await api('PATCH', `/kiosks/${encodeURIComponent(this.kiosk.id)}`, body)
        : await api('POST', '/kiosks', body);
      closeEditor();
      say(s('kSaved', { id: saved.id }));
      await refresh();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.status === 409 && error.details?.current) {
        const now = error.details.current;
        this.kiosk = now;
        this.conflict.replaceChildren(el('p', { text: s('kStale') }),
          el('p', { 'data-current': '', text: `${now.floor} · (${now.x}, ${now.z}) · ${now.facing}° · ${now.idle_seconds}/${now.countdown_seconds} s` }));
        this.conflict.hidden = false;
        return;
      }
      const problem = { field: error.details?.field || '', zh: error.zh, en: error.en };
      showProblems(this.form, [problem], this.fallback);
      this.fallback.hidden = !this.fallback.textContent;
    }
  }
}

function openEditor(id) {
  const form = new KioskForm(id ? kiosks.get(id) : null);
  editorBox.replaceChildren(form.form);
  editorBox.hidden = false;
  (id ? form.controls.floor : form.controls.id).focus();
}

async function start() {
  if (editable.size) {
    tools.append(el('button', { type: 'button', class: 'admin-primary', 'data-action': 'add', text: s('kAdd'), onclick: () => openEditor(null) }));
  } else {
    tools.append(el('p', { class: 'admin-help', text: s('kReadOnly') }));
  }
  await refresh();
  document.body.dataset.kiosks = 'ready';
}

if (table) {
  start().catch((error) => say(errorText(error), true));
  const seconds = Math.max(5, Number(table.dataset.refresh) || 60);
  setInterval(() => refresh().catch(() => {}), seconds * 1000);
}
