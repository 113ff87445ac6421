// The scene editor page (server/templates/admin/scene_editor.html): the tour's viewer (tiles, look-around
// controls) showing the draft's scene, composed with the editing plugin (plugins/hotspotEditor.js), and a
// list of the scene's hotspots beside it. A hotspot is selected by a press or from the list; dragged or nudged
// (arrow keys), placed at the view's centre or typed, reset to its computed position, hidden or shown; the
// initial view is set from the current view. Each change is one call of the admin API with the scene's
// version (saves queue one after another, each with the version the last answered); a 409 says so plainly
// and offers a reload. The scene's findings of the check before publishing are shown after each change.
// Links, heading and the floor plan are admin/scenePlace.js, given this page's queue of saves.
import { HOTSPOT_MOVE, HOTSPOT_SELECT } from '../events.js';
import { HotspotEditor, normalPitch, normalYaw } from '../plugins/hotspotEditor.js';
import { el } from '../ui/dom.js';
import { Controls } from '../viewer/controls.js';
import { CubeTiles } from '../viewer/CubeTiles.js';
import { Viewer } from '../viewer/Viewer.js';
import { Api, bilingual } from './api.js';
import { ScenePlace } from './scenePlace.js';
import { Registration } from './registration.js';

const data = JSON.parse(document.getElementById('scene-data').textContent);
const t = data.t;
const root = document.getElementById('scene-editor');
const part = (name) => root.querySelector(`[data-editor="${name}"]`);
const api = new Api(data.csrf);
const base = `/api/v1/admin/halls/${encodeURIComponent(data.hall)}/scenes`;
const sceneUrl = `${base}/${encodeURIComponent(data.scene)}`;

let scene = null; // the draft's scene (with version)
let spots = []; // its hotspots: {target, yaw, pitch, computed, overridden, hidden}
let selected = null;
let saving = Promise.resolve();
let saves = 0; // calls answered (also data-saves on the page's root, for tools and tests)
let viewer = null;
let editor = null;
let place = null; // links, heading and plan (scenePlace.js)

function label(spot) {
  return data.names?.[spot.target] || spot.target.split(':').slice(1).join(':') || spot.target;
}

function say(text, { alert = false, reload = false } = {}) {
  const status = part('status');
  status.replaceChildren(el('p', { role: alert ? 'alert' : null, 'data-editor': alert ? 'error' : 'saved', text }));
  if (reload) status.append(el('button', { type: 'button', 'data-editor': 'reload', text: t.reload, onclick: () => window.location.reload() }));
}

function failed(error) {
  if (error.status === 409) say(`${t.conflict} ${bilingual(error.zh, error.en)}`, { alert: true, reload: true });
  else if (error.status) say(bilingual(error.zh, error.en) || String(error.message), { alert: true });
  else say(t.network, { alert: true });
}

/** Run *call* (given the scene's current version) after the saves before it; the scene it answers is kept. */
function save(call, after) {
  saving = saving.then(async () => {
    try {
      scene = await call(scene.version);
      await after?.();
      say(t.saved);
      showInitial();
      place?.refresh();
      refreshCheck();
    } catch (error) {
      failed(error);
    }
    saves += 1;
    root.dataset.saves = String(saves);
  });
  return saving;
}

/** Read the scene's hotspots again (the API computes them from its pose) and draw them. */
async function reloadHotspots() {
  const all = await api.get(base);
  spots = all.scenes.find((s) => s.code === data.scene)?.hotspots ?? spots;
  draw();
}

function spotOf(target) {
  return spots.find((s) => s.target === target);
}

function draw() {
  editor?.setHotspots(spots.map((s) => ({ ...s, label: label(s) })));
  const list = part('list');
  list.replaceChildren(...spots.map((s) => {
    const notes = [s.overridden ? t.overridden : null, s.hidden ? t.hidden : null].filter(Boolean).join(' · ');
    return el('li', {},
      el('button', {
        type: 'button', 'data-pick': s.target, 'aria-pressed': String(s.target === selected),
        onclick: () => choose(s),
      }, `${label(s)}${notes ? ` (${notes})` : ''}`));
  }));
  showSelected();
}

/** Select *spot* from the list: the view turns to it (drawn at once), and the keyboard goes to its button. */
function choose(spot) {
  if (!editor) { pick(spot.target); return; }
  place?.back(); // from a linked scene looked at, back to this one
  if (spot.yaw !== null) {
    viewer.setView({ yaw: spot.yaw, pitch: spot.pitch });
    viewer.renderNow();
  }
  editor.select(spot.target, { focus: true });
}

function field(name, text, value) {
  const input = el('input', { type: 'number', step: '0.1', name, value: value ?? '', required: true });
  return el('label', { class: 'admin-field' }, text, input);
}

function showSelected() {
  const box = part('selected');
  const spot = spotOf(selected);
  if (!spot) { box.replaceChildren(); return; }
  const form = el('form', { class: 'admin-hotspot-form', 'data-editor': 'form' },
    el('h3', { text: label(spot) }),
    field('yaw', t.yaw, spot.yaw), field('pitch', t.pitch, spot.pitch));
  box.replaceChildren(form);
  if (!data.may_edit) { for (const input of form.querySelectorAll('input')) input.readOnly = true; return; }
  const actions = el('div', { class: 'admin-draft-actions' },
    el('button', { type: 'submit', 'data-action': 'apply', text: t.apply }),
    el('button', { type: 'button', 'data-action': 'centre', text: t.centre, onclick: () => { if (place?.looking) return; const v = viewer.getView(); move(spot.target, v.yaw, v.pitch); } }),
    el('button', { type: 'button', 'data-action': 'reset', text: t.reset, disabled: !spot.overridden, onclick: () => reset(spot.target) }),
    el('button', { type: 'button', 'data-action': 'hide', text: spot.hidden ? t.show : t.hide, onclick: () => hide(spot.target, !spot.hidden) }));
  form.append(actions);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    move(spot.target, Number(form.elements.yaw.value), Number(form.elements.pitch.value));
  });
}

function pick(target) {
  selected = target;
  for (const b of part('list').querySelectorAll('[data-pick]')) b.setAttribute('aria-pressed', String(b.dataset.pick === target));
  showSelected();
}

function update(target, changes) {
  spots = spots.map((s) => (s.target === target ? { ...s, ...changes } : s));
  draw();
}

function hotspotUrl(target) {
  return `${sceneUrl}/hotspots/${encodeURIComponent(target)}`;
}

function move(target, yaw, pitch) {
  if (!Number.isFinite(yaw) || !Number.isFinite(pitch)) return undefined;
  const at = { yaw: normalYaw(yaw), pitch: normalPitch(pitch) };
  update(target, { ...at, overridden: true });
  return save((version) => api.call('PUT', hotspotUrl(target), { body: at, version }));
}

function reset(target) {
  return save((version) => api.call('DELETE', hotspotUrl(target), { version }), () => {
    const { computed, hidden } = spotOf(target); // the API keeps a hidden one hidden
    update(target, { yaw: computed?.yaw ?? null, pitch: computed?.pitch ?? null, overridden: hidden });
  });
}

function hide(target, hidden) {
  return save((version) => api.call('PUT', hotspotUrl(target), { body: { hidden }, version }), () => update(target, { hidden, overridden: true }));
}

function showInitial() {
  const view = scene.initial_view;
  part('initial').textContent = view ? `${t.yaw} ${view.yaw} · ${t.pitch} ${view.pitch}` : t.no_initial;
  part('initial').dataset.yaw = view ? String(view.yaw) : '';
}

function setInitial() {
  const { yaw, pitch } = viewer.getView();
  const view = { yaw: normalYaw(yaw), pitch: normalPitch(pitch) };
  return save((version) => api.call('PUT', sceneUrl, { body: { initial_view: view }, version }));
}

/** Save a registered pose ({heading, position?}) into the draft; resolves whether it was saved. */
async function acceptPose(body) {
  let saved = false;
  await save(async (version) => {
    const answer = await api.call('PUT', sceneUrl, { body, version });
    saved = true;
    return answer;
  });
  if (saved) await reloadHotspots().catch(failed);
  return saved;
}

async function refreshCheck() {
  try {
    const found = await api.get(`${base}/check`);
    // In the page's language: an English page shows the English only (as kiosks.js), a Chinese one both.
    const words = (f) => (data.lang === 'en' ? f.en : bilingual(f.zh, f.en));
    const mine = (kind, rows) => rows.filter((f) => f.scene === data.scene).map((f) => el('li', { 'data-check': kind, text: `${kind === 'error' ? t.error : t.warning}: ${words(f)}` }));
    const items = [...mine('error', found.errors), ...mine('warning', found.warnings)];
    part('check').replaceChildren(...(items.length ? items : [el('li', { 'data-check': 'ok', text: t.check_ok })]));
  } catch (error) {
    failed(error);
  }
}

async function start() {
  const all = await api.get(base);
  scene = all.scenes.find((s) => s.code === data.scene);
  spots = scene.hotspots;
  delete scene.hotspots;
  const container = document.getElementById('scene-viewer');
  try {
    const view = scene.initial_view ?? { yaw: 0, pitch: 0 };
    viewer = new Viewer(container, { yaw: view.yaw, pitch: view.pitch, fov: 90 });
    viewer.use(new CubeTiles());
    viewer.use(new Controls({ element: container }));
    editor = viewer.use(new HotspotEditor({ layer: part('layer'), editable: data.may_edit }));
    viewer.addEventListener(HOTSPOT_SELECT, (e) => pick(e.detail.target));
    viewer.addEventListener(HOTSPOT_MOVE, (e) => move(e.detail.target, e.detail.yaw, e.detail.pitch));
    viewer.setScene({ id: scene.code, tiles: scene.panorama, hotspots: [] });
  } catch {
    container.append(el('p', { class: 'no-panorama', text: 'WebGL' }));
  }
  const panel = root.querySelector('[data-register="panel"]');
  if (panel && viewer) {
    new Registration({ panel, viewer, editor, api, url: `${sceneUrl}/registration`, t, counters: () => spots, accept: acceptPose });
  }
  if (data.may_edit && viewer) {
    part('initial-actions').append(el('button', { type: 'button', 'data-action': 'initial', text: t.set_initial, onclick: setInitial }));
  }
  place = new ScenePlace({
    root: document.getElementById('scene-place'), data, api, base, scenes: all.scenes,
    current: () => scene, save, reloadHotspots, viewer, editor,
  });
  draw();
  showInitial();
  place.refresh();
  await refreshCheck();
  root.setAttribute('aria-busy', 'false');
}

start().catch(failed);
