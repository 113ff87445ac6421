// The staff panorama page (server/templates/admin/panoramas.html): each scene with its current panorama's
// preview and an upload; a new scene's form. An upload shows its own progress (XHR upload.onprogress), then
// its job's (polled: GET /api/v1/admin/jobs/<id>), then the new preview or the ingest error in plain words;
// a failed job has a Retry button. On load the hall's recent jobs are read, so a reload shows running jobs
// still. A done job shows what the 360° camera recorded (its result: capture time, camera, its heading beside
// the scene's with 采用相机朝向 / Use the camera's heading — the scene's PUT in the draft with its version —
// and each metadata warning, a partial panorama above all). Text goes in with textContent only.
// The hall model section: a .glb (and an optional name mapping) is uploaded (progress), checked by a
// model_check job (polled), and its one-to-one report shown; 发布模型 / Publish model only when it is clean.

const POLL_MS = 500;
const data = JSON.parse(document.getElementById('panorama-data').textContent);
const t = data.t;
const root = document.getElementById('panoramas');
const list = root.querySelector('[data-panoramas="scenes"]');
const rows = new Map(); // scene code → its row's parts
const polling = new Set(); // job ids being polled

function el(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

function message(error) {
  return data.lang === 'en' ? error.message_en : error.message;
}

function apiUrl(scene) {
  return `/api/v1/admin/halls/${encodeURIComponent(data.hall)}/scenes/${encodeURIComponent(scene)}/panorama`;
}

function field(label, input) {
  const wrap = el('label', label);
  wrap.append(input);
  return wrap;
}

function uploadForm(scene, extra) {
  const form = el('form', undefined, { 'data-panorama': 'form' });
  for (const part of extra) form.append(part);
  const file = el('input', undefined, {
    type: 'file', name: 'file', accept: 'image/jpeg,image/png,image/webp', required: '', 'data-panorama': 'file',
  });
  form.append(field(t.panorama_file, file), el('button', t.panorama_upload, { type: 'submit', 'data-panorama': 'upload' }));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const code = scene ?? form.elements.scene.value.trim();
    if (code) upload(code, new FormData(form), form);
  });
  return form;
}

function addRow(scene) {
  const item = el('li', undefined, { 'data-scene': scene.code, class: 'admin-scene' });
  const title = el('h2', `${scene.name} · ${scene.code}`);
  const figure = el('figure');
  const image = el('img', undefined, { alt: `${t.preview}: ${scene.name}`, 'data-panorama': 'preview', width: '512', height: '256' });
  const none = el('p', t.no_panorama, { 'data-panorama': 'none' });
  if (scene.preview) image.src = scene.preview; else image.hidden = true;
  none.hidden = Boolean(scene.preview);
  figure.append(image, none);
  const status = el('div', undefined, { 'data-panorama': 'status', 'aria-live': 'polite' });
  item.append(title, figure);
  if (data.may_edit) item.append(uploadForm(scene.code, []));
  item.append(status);
  list.append(item);
  rows.set(scene.code, { item, image, none, status });
  return rows.get(scene.code);
}

function newSceneForm() {
  const item = el('li', undefined, { 'data-scene': '', class: 'admin-scene' });
  const floor = el('select', undefined, { name: 'floor' });
  for (const f of data.floors) floor.append(el('option', `${f.level} · ${f.name}`, { value: String(f.level) }));
  const parts = [
    field(t.scene_id, el('input', undefined, { name: 'scene', required: '', pattern: '[A-Za-z0-9][A-Za-z0-9_\\-]{0,63}' })),
    field(t.floor, floor),
    field(t.x, el('input', undefined, { name: 'x', type: 'number', step: 'any', required: '' })),
    field(t.z, el('input', undefined, { name: 'z', type: 'number', step: 'any', required: '' })),
    field(t.name_zh, el('input', undefined, { name: 'name_zh', required: '', maxlength: '100' })),
    field(t.name_en, el('input', undefined, { name: 'name_en', required: '', maxlength: '200' })),
  ];
  const status = el('div', undefined, { 'data-panorama': 'status', 'aria-live': 'polite' });
  item.append(el('h2', t.new_scene), uploadForm(null, parts), status);
  list.append(item);
  return status;
}

function statusOf(scene, fallback) {
  return rows.get(scene)?.status ?? fallback;
}

function showProgress(status, label, fraction) {
  const percent = Math.round(fraction * 100);
  const bar = el('progress', undefined, { max: '100', value: String(percent), 'data-panorama': 'progress' });
  status.replaceChildren(el('p', `${label} ${percent}%`, { 'data-panorama': 'step' }), bar);
}

function showError(status, error, job) {
  status.replaceChildren(el('p', `${t.failed}${message(error)}`, { 'data-panorama': 'error', role: 'alert' }));
  if (job && data.may_edit) {
    const button = el('button', t.retry, { type: 'button', 'data-panorama': 'retry' });
    button.addEventListener('click', () => retry(job, status));
    status.append(button);
  }
}

function showJob(job, status) {
  if (job.state === 'failed') return showError(status, job.error, job);
  if (job.state === 'done') {
    let row = rows.get(job.scene);
    if (!row) {
      row = addRow({ code: job.scene, name: job.new_scene?.[data.lang === 'en' ? 'name_en' : 'name_zh'] ?? job.scene, preview: null });
      status.replaceChildren();
    }
    if (job.result) {
      row.image.src = job.result.preview;
      row.image.hidden = false;
      row.none.hidden = true;
    }
    row.status.replaceChildren(el('p', t.done, { 'data-panorama': 'done' }));
    if (job.result) row.status.append(cameraDetails(job.scene, job.result));
    return undefined;
  }
  return showProgress(status, job.state === 'queued' ? t.queued : t[job.step] ?? t.queued, job.progress);
}

function degrees(value) {
  return String(Math.round(value * 10) / 10);
}

function headingText(camera, scene) {
  return t.camera_heading.replace('{camera}', degrees(camera)).replace('{scene}', degrees(scene));
}

function sceneUrl(scene) {
  return `/api/v1/admin/halls/${encodeURIComponent(data.hall)}/scenes/${encodeURIComponent(scene)}`;
}

// Make the camera's heading the draft scene's: its current version read, then the ordinary PUT.
async function useCameraHeading(scene, heading, line, button) {
  button.disabled = true;
  button.parentElement.querySelector('[data-panorama="heading-error"]')?.remove();
  try {
    const current = await fetch(sceneUrl(scene), { headers: { Accept: 'application/json' } });
    const before = await current.json();
    if (!current.ok) throw before.error;
    const response = await fetch(sceneUrl(scene), {
      method: 'PUT',
      headers: { 'X-CSRF-Token': data.csrf, Accept: 'application/json', 'Content-Type': 'application/json' },
      body: JSON.stringify({ heading, version: before.version }),
    });
    const body = await response.json();
    if (!response.ok) throw body.error;
    line.textContent = headingText(heading, body.heading);
    button.replaceWith(el('p', t.camera_heading_used.replace('{camera}', degrees(heading)), { 'data-panorama': 'heading-used' }));
  } catch (error) {
    button.disabled = false;
    const text = error?.code ? message(error) : t.panorama_network;
    button.after(el('p', `${t.failed}${text}`, { 'data-panorama': 'heading-error', role: 'alert' }));
  }
}

// What the camera recorded, from a done job's result; empty when the file carried no metadata.
function cameraDetails(scene, result) {
  const box = el('div', undefined, { 'data-panorama': 'metadata' });
  const camera = result.camera ? [result.camera.make, result.camera.model].filter(Boolean).join(' ') : '';
  const facts = [];
  if (result.captured_at) facts.push(`${t.captured}${result.captured_at}`);
  if (camera) facts.push(`${t.camera}${camera}`);
  if (facts.length) box.append(el('p', facts.join(' · '), { 'data-panorama': 'captured' }));
  if (typeof result.heading === 'number') {
    const line = el('p', headingText(result.heading, result.scene_heading), { 'data-panorama': 'heading' });
    box.append(line);
    if (data.may_edit && Math.abs(result.heading - result.scene_heading) > 0.05) {
      const button = el('button', t.use_camera_heading, { type: 'button', 'data-panorama': 'use-heading' });
      button.addEventListener('click', () => useCameraHeading(scene, result.heading, line, button));
      box.append(button);
    }
  }
  for (const warning of result.warnings ?? []) {
    box.append(el('p', data.lang === 'en' ? warning.en : warning.zh, { 'data-panorama': 'warning', 'data-code': warning.code, role: 'note' }));
  }
  return box;
}

async function poll(job, status) {
  if (polling.has(job.id)) return;
  polling.add(job.id);
  try {
    let current = job;
    showJob(current, status);
    while (current.state === 'queued' || current.state === 'running') {
      await new Promise((resolve) => { setTimeout(resolve, POLL_MS); });
      const response = await fetch(current.url, { headers: { Accept: 'application/json' } });
      const body = await response.json();
      if (!response.ok) return showError(status, body.error, null);
      current = body;
      showJob(current, status);
    }
  } catch {
    status.replaceChildren(el('p', t.panorama_network, { 'data-panorama': 'error', role: 'alert' }));
  } finally {
    polling.delete(job.id);
  }
  return undefined;
}

async function retry(job, status) {
  try {
    const response = await fetch(`${job.url}/retry`, { method: 'POST', headers: { 'X-CSRF-Token': data.csrf, Accept: 'application/json' } });
    const body = await response.json();
    if (!response.ok) return showError(status, body.error, null);
    return poll(body, status);
  } catch {
    status.replaceChildren(el('p', t.panorama_network, { 'data-panorama': 'error', role: 'alert' }));
  }
  return undefined;
}

function upload(scene, body, form) {
  const status = statusOf(scene, form.parentElement.querySelector('[data-panorama="status"]'));
  body.delete('scene');
  const request = new XMLHttpRequest();
  request.open('POST', apiUrl(scene));
  request.setRequestHeader('X-CSRF-Token', data.csrf);
  request.setRequestHeader('Accept', 'application/json');
  request.responseType = 'json';
  request.upload.onprogress = (event) => {
    if (event.lengthComputable) showProgress(status, t.uploading, event.loaded / event.total);
  };
  request.onload = () => {
    const answer = request.response;
    if (request.status === 202 && answer) {
      form.reset();
      poll(answer, status);
    } else {
      showError(status, answer?.error ?? { message: t.panorama_network, message_en: t.panorama_network }, null);
    }
  };
  request.onerror = () => status.replaceChildren(el('p', t.panorama_network, { 'data-panorama': 'error', role: 'alert' }));
  showProgress(status, t.uploading, 0);
  request.send(body);
}

async function resume(fallback) {
  const response = await fetch(`/api/v1/admin/jobs?hall=${encodeURIComponent(data.hall)}`, { headers: { Accept: 'application/json' } });
  if (!response.ok) return;
  const { jobs } = await response.json();
  const latest = new Map(); // the newest job of each scene (the list is newest first)
  for (const job of jobs) if (job.kind === 'panorama' && !latest.has(job.scene)) latest.set(job.scene, job);
  const model = jobs.find((job) => job.kind === 'model_check');
  if (model && !model.published && !model.drafted && (model.state !== 'done' || model.upload_kept)) pollModel(model);
  for (const job of latest.values()) {
    if (job.state === 'done') continue;
    poll(job, statusOf(job.scene, fallback));
  }
}

// The hall model: upload, check, report, put into the draft.
const modelSection = root.querySelector('[data-model="section"]');
const modelCurrent = el('p', data.model ? `${t.model_current}${data.model}` : t.model_none, { 'data-model': 'current' });
const modelStatus = el('div', undefined, { 'data-model': 'status', 'aria-live': 'polite' });

function showReport(job) {
  const report = job.report;
  if (report.publishable) {
    modelStatus.replaceChildren(el('p', t.model_clean, { 'data-model': 'clean' }));
    if (data.may_edit && job.upload_kept) {
      const button = el('button', t.model_publish, { type: 'button', 'data-model': 'publish' });
      button.addEventListener('click', () => draftModel(job));
      modelStatus.append(button);
    }
    return;
  }
  const problems = el('ul', undefined, { 'data-model': 'problems' });
  for (const p of report.problems) {
    problems.append(el('li', `[${p.kind}] ${p.node}: ${data.lang === 'en' ? p.message_en : p.message}`));
  }
  modelStatus.replaceChildren(el('p', t.model_problems, { 'data-model': 'refused', role: 'alert' }), problems);
}

function showModelJob(job) {
  if (job.state === 'failed') return showError(modelStatus, job.error, null);
  if (job.state === 'done') return showReport(job);
  return showProgress(modelStatus, job.state === 'queued' ? t.queued : t.model_checking, job.progress);
}

async function pollModel(job) {
  try {
    let current = job;
    showModelJob(current);
    while (current.state === 'queued' || current.state === 'running') {
      await new Promise((resolve) => { setTimeout(resolve, POLL_MS); });
      const response = await fetch(current.url, { headers: { Accept: 'application/json' } });
      const body = await response.json();
      if (!response.ok) return showError(modelStatus, body.error, null);
      current = body;
      showModelJob(current);
    }
  } catch {
    modelStatus.replaceChildren(el('p', t.panorama_network, { 'data-model': 'error', role: 'alert' }));
  }
  return undefined;
}

// Put the checked model into the hall's draft: the published model changes when the draft is published.
async function draftModel(job) {
  try {
    const response = await fetch(`${job.url}/draft-model`, { method: 'POST', headers: { 'X-CSRF-Token': data.csrf, Accept: 'application/json' } });
    const body = await response.json();
    if (!response.ok) {
      if (body.error?.details?.report) showReport({ ...job, report: body.error.details.report });
      else showError(modelStatus, body.error, null);
      return;
    }
    modelStatus.replaceChildren(el('p', `${t.model_published} (${body.draft_model.sha.slice(0, 12)})`, { 'data-model': 'drafted' }));
  } catch {
    modelStatus.replaceChildren(el('p', t.panorama_network, { 'data-model': 'error', role: 'alert' }));
  }
}

function modelForm() {
  const form = el('form', undefined, { 'data-model': 'form' });
  const file = el('input', undefined, { type: 'file', name: 'file', accept: '.glb,model/gltf-binary', required: '', 'data-model': 'file' });
  const mapping = el('input', undefined, { type: 'file', name: 'mapping', accept: '.json,.csv,.tsv,application/json,text/csv', 'data-model': 'mapping' });
  form.append(field(t.model_file, file), field(t.model_mapping, mapping), el('button', t.model_check, { type: 'submit', 'data-model': 'upload' }));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const body = new FormData(form);
    if (!mapping.files.length) body.delete('mapping');
    const request = new XMLHttpRequest();
    request.open('POST', `/api/v1/admin/halls/${encodeURIComponent(data.hall)}/model`);
    request.setRequestHeader('X-CSRF-Token', data.csrf);
    request.setRequestHeader('Accept', 'application/json');
    request.responseType = 'json';
    request.upload.onprogress = (e) => {
      if (e.lengthComputable) showProgress(modelStatus, t.uploading, e.loaded / e.total);
    };
    request.onload = () => {
      const answer = request.response;
      if (request.status === 202 && answer) {
        form.reset();
        pollModel(answer);
      } else {
        showError(modelStatus, answer?.error ?? { message: t.panorama_network, message_en: t.panorama_network }, null);
      }
    };
    request.onerror = () => modelStatus.replaceChildren(el('p', t.panorama_network, { 'data-model': 'error', role: 'alert' }));
    showProgress(modelStatus, t.uploading, 0);
    request.send(body);
  });
  return form;
}

modelSection.append(modelCurrent);
if (data.may_edit) modelSection.append(modelForm());
modelSection.append(modelStatus);

for (const scene of data.scenes) addRow(scene);
const newStatus = data.may_edit ? newSceneForm() : null;
root.setAttribute('aria-busy', 'false');
resume(newStatus ?? el('div'));
