// /admin/services and /admin/services/<slug>: the catalogue's draft as a list (text and department filters)
// and the editor of one service item — fields, materials (reordered with buttons), the guide's Markdown with
// its preview (the token tree the panel renders, from /services/check), the addresses checked as staff type
// (debounced), each problem shown at its field as the server names it — and the draft bar (diff, discard,
// publish). Everything from the server is set as text.
import { guideText } from '../ui/guideText.js';
import { el } from '../ui/dom.js';
import { Api, bilingual } from './api.js';

const root = document.getElementById('services');
const client = new Api(root.dataset.csrf, '/api/v1/admin');
const api = (method, path, body) => client.call(method, path, { body });
const canEdit = root.dataset.role !== 'viewer';
const isAdmin = root.dataset.role === 'admin';
const host = root.querySelector('[data-services="root"]');
const bar = root.querySelector('[data-draft="bar"]');
const CHECK_DELAY_MS = 400;
// The page's language (?lang=en): the list's words in it alone; the editor still shows both.
const inLang = (zh, en) => (root.dataset.lang === 'en' ? en : zh);
const MATERIAL_FORMS = [['原件', '原件 / Original'], ['复印件', '复印件 / Copy'], ['原件和复印件', '原件和复印件 / Original and copy']];

function message(error) {
  return bilingual(error.zh, error.en) || String(error);
}

function status(text, kind = 'info') {
  let node = root.querySelector('[data-services="status"]');
  if (!node) {
    node = el('p', { 'data-services': 'status', role: 'status' });
    root.insertBefore(node, host);
  }
  node.className = kind === 'error' ? 'admin-error' : 'admin-status';
  node.textContent = text;
}

// ---- the draft bar ----

async function drawBar() {
  const diff = await api('GET', '/catalogue/draft/diff');
  const changes = diff.changes.services;
  const counts = [Object.keys(changes.added).length, Object.keys(changes.changed).length, Object.keys(changes.removed).length];
  bar.replaceChildren(
    el('span', { 'data-draft': 'summary', text: diff.draft
      ? `草稿：新增 ${counts[0]}，修改 ${counts[1]}，删除 ${counts[2]} / Draft: ${counts[0]} added, ${counts[1]} changed, ${counts[2]} removed`
      : `没有草稿，显示第 ${diff.published_version} 版 / No draft: version ${diff.published_version}` }),
  );
  if (diff.draft) {
    const details = el('details', {}, el('summary', { text: '差异 / Difference' }));
    const labels = diff.labels?.services || {};
    for (const [slug, fields] of Object.entries(changes.changed)) {
      // field labels as staff read them (publishing.readable), both languages as the rest of this page
      const named = Object.keys(fields).map((f) => {
        const label = labels[slug]?.fields?.[f]?.label;
        return label ? bilingual(label.zh, label.en) : f;
      });
      details.append(el('p', { 'data-diff': slug, text: `${slug}: ${named.join('，')}` }));
    }
    for (const slug of Object.keys(changes.added)) details.append(el('p', { text: `+ ${slug}` }));
    for (const slug of Object.keys(changes.removed)) details.append(el('p', { text: `− ${slug}` }));
    bar.append(details);
    if (isAdmin) {
      const publish = el('button', { type: 'button', 'data-draft': 'publish', text: '发布 / Publish' });
      publish.addEventListener('click', () => act(() => api('POST', '/catalogue/publish', {}), '已发布 / Published'));
      const discard = el('button', { type: 'button', 'data-draft': 'discard', text: '放弃草稿 / Discard draft' });
      discard.addEventListener('click', () => act(() => api('DELETE', '/catalogue/draft'), '已放弃草稿 / Draft discarded'));
      bar.append(publish, discard);
    }
  }
}

async function act(run, done) {
  try {
    await run();
    await drawBar();
    status(done);
  } catch (error) {
    status(message(error), 'error');
  }
}

// ---- the list ----

async function drawList() {
  const params = new URLSearchParams(window.location.search);
  const q = el('input', { type: 'search', name: 'q', value: params.get('q') || '', 'aria-label': inLang('搜索', 'Search') });
  const department = el('input', { type: 'text', name: 'department', value: params.get('department') || '', 'aria-label': inLang('部门代码', 'Department code') });
  const form = el('form', { class: 'admin-filter', role: 'search' }, q, department, el('button', { type: 'submit', text: inLang('筛选', 'Filter') }));
  const table = el('ul', { class: 'admin-list', 'data-services': 'list' });
  host.replaceChildren(form, table);
  async function load() {
    const query = new URLSearchParams({ per_page: '100' });
    if (q.value.trim()) query.set('q', q.value.trim());
    if (department.value.trim()) query.set('department', department.value.trim());
    try {
      const data = await api('GET', `/services?${query}`);
      table.replaceChildren(...data.services.map((s) => el('li', {},
        el('a', { href: `/admin/services/${encodeURIComponent(s.slug)}`, text: `${s.name.zh} / ${s.name.en}` }),
        el('span', { text: ` ${s.code} · ${s.department}` }),
        s.changed ? el('span', { class: 'admin-changed', 'data-changed': s.slug, text: ' 草稿中已修改 / changed in draft' }) : null)));
    } catch (error) {
      status(message(error), 'error');
    }
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const query = new URLSearchParams();
    if (q.value.trim()) query.set('q', q.value.trim());
    if (department.value.trim()) query.set('department', department.value.trim());
    window.history.replaceState(null, '', `?${query}`);
    load();
  });
  await load();
}

// ---- the editor ----

function field(path, label, input) {
  const problem = el('span', { class: 'admin-problem', 'data-problem': path, role: 'alert' });
  input.dataset.field = path;
  input.disabled = !canEdit;
  return el('label', { class: 'admin-field' }, el('span', { text: label }), input, problem);
}

function text(value) {
  return el('input', { type: 'text', value: value ?? '' });
}

function number(value) {
  return el('input', { type: 'number', value: value ?? '' });
}

async function drawEditor(slug) {
  const form = await api('GET', `/services/${encodeURIComponent(slug)}`);
  const inputs = {};
  const materials = el('ol', { class: 'admin-materials', 'data-services': 'materials' });
  const previews = { summary_zh: el('div', { 'data-preview': 'summary_zh' }), summary_en: el('div', { 'data-preview': 'summary_en' }) };

  function current() {
    const out = structuredClone(form);
    out.name = { zh: inputs.name_zh.value, en: inputs.name_en.value };
    const days = (input) => (input.value === '' ? null : Number(input.value));
    out.legal_limit_days = days(inputs.legal);
    out.promised_limit_days = days(inputs.promised);
    out.online = { pc: inputs.pc.value, mobile: inputs.mobile.value };
    out.appointment = { ...out.appointment, url: inputs.appointment.value || null };
    out.fees = { ...out.fees, charged: inputs.charged.checked, description: inputs.fees.value };
    out.appointment = { ...out.appointment, supported: inputs.appointment_supported.checked };
    out.keywords = inputs.keywords.value.split(/[,，]/).map((k) => k.trim()).filter(Boolean);
    if (out.guide) out.guide = { ...out.guide, summary_zh: inputs.summary_zh.value, summary_en: inputs.summary_en.value };
    return out;
  }

  const steps = el('ol', { class: 'admin-steps', 'data-services': 'process' }, form.process.map((step, i) => el('li', {},
    ...['zh', 'en'].map((lang) => {
      const name = text(step.name[lang]);
      name.addEventListener('input', () => { step.name[lang] = name.value; scheduleCheck(); });
      return field(`process[${i}].name.${lang}`, lang === 'zh' ? '环节（中文）/ Step (Chinese)' : '环节（英文）/ Step (English)', name);
    }),
    ...['zh', 'en'].map((lang) => {
      const description = el('textarea', { rows: '2' });
      description.value = step.description[lang];
      description.addEventListener('input', () => { step.description[lang] = description.value; scheduleCheck(); });
      return field(`process[${i}].description.${lang}`, lang === 'zh' ? '说明（中文）/ Description (Chinese)' : '说明（英文）/ Description (English)', description);
    }))));

  function drawMaterials() {
    materials.replaceChildren(...form.materials.map((m, i) => {
      const up = el('button', { type: 'button', 'data-move': `up-${i}`, 'aria-label': `上移 ${m.name.zh} / Move up`, text: '↑' });
      const down = el('button', { type: 'button', 'data-move': `down-${i}`, 'aria-label': `下移 ${m.name.zh} / Move down`, text: '↓' });
      up.disabled = !canEdit || i === 0;
      down.disabled = !canEdit || i === form.materials.length - 1;
      const move = (by) => {
        const list = form.materials;
        [list[i], list[i + by]] = [list[i + by], list[i]];
        drawMaterials();
        materials.querySelector(`[data-move="${by < 0 ? 'up' : 'down'}-${i + by}"]`)?.focus();
        scheduleCheck();
      };
      up.addEventListener('click', () => move(-1));
      down.addEventListener('click', () => move(1));
      const copies = number(m.copies);
      copies.addEventListener('input', () => { m.copies = copies.value === '' ? null : Number(copies.value); scheduleCheck(); });
      const required = el('input', { type: 'checkbox' });
      required.checked = m.required;
      required.addEventListener('change', () => { m.required = required.checked; scheduleCheck(); });
      const kind = el('select', {}, MATERIAL_FORMS.map(([value, label]) => el('option', { value, text: label })));
      kind.value = m.form;
      kind.addEventListener('change', () => { m.form = kind.value; scheduleCheck(); });
      const notes = ['zh', 'en'].map((lang) => {
        const input = text(m.notes?.[lang]);
        input.addEventListener('input', () => {
          const pair = { zh: m.notes?.zh ?? '', en: m.notes?.en ?? '', [lang]: input.value };
          m.notes = pair.zh || pair.en ? pair : null;
          scheduleCheck();
        });
        return field(`materials[${i}].notes.${lang}`, lang === 'zh' ? '备注（中文）/ Notes (Chinese)' : '备注（英文）/ Notes (English)', input);
      });
      return el('li', { 'data-material': String(i) },
        el('span', { class: 'admin-material-name', text: `${m.name.zh} / ${m.name.en}` }),
        up, down,
        field(`materials[${i}].required`, '必需 / Required', required),
        field(`materials[${i}].form`, '原件或复印件 / Original or copy', kind),
        field(`materials[${i}].copies`, '份数 / Copies', copies),
        ...notes);
    }));
  }

  inputs.name_zh = text(form.name.zh);
  inputs.name_en = text(form.name.en);
  inputs.legal = number(form.legal_limit_days);
  inputs.promised = number(form.promised_limit_days);
  inputs.pc = text(form.online.pc);
  inputs.mobile = text(form.online.mobile);
  inputs.appointment = text(form.appointment.url);
  inputs.keywords = text(form.keywords.join('，'));
  inputs.charged = el('input', { type: 'checkbox' });
  inputs.charged.checked = form.fees.charged;
  inputs.fees = text(form.fees.description);
  inputs.appointment_supported = el('input', { type: 'checkbox' });
  inputs.appointment_supported.checked = form.appointment.supported;
  inputs.summary_zh = el('textarea', { rows: '6' });
  inputs.summary_zh.value = form.guide?.summary_zh ?? '';
  inputs.summary_en = el('textarea', { rows: '6' });
  inputs.summary_en.value = form.guide?.summary_en ?? '';
  const save = el('button', { type: 'button', 'data-services': 'save', text: '保存到草稿 / Save to draft' });
  save.disabled = !canEdit;

  host.replaceChildren(
    el('h2', { 'data-services': 'title', text: `${form.name.zh} / ${form.name.en}` }),
    field('name.zh', '名称 / Name (中文)', inputs.name_zh),
    field('name.en', '名称 / Name (English)', inputs.name_en),
    field('legal_limit_days', '法定时限（天）/ Legal limit (days)', inputs.legal),
    field('promised_limit_days', '承诺时限（天）/ Promised limit (days)', inputs.promised),
    field('online.pc', '网上办理地址 / Online address', inputs.pc),
    field('online.mobile', '手机办理地址 / Mobile address', inputs.mobile),
    field('appointment.supported', '支持预约 / Appointments', inputs.appointment_supported),
    field('appointment.url', '预约地址 / Appointment address', inputs.appointment),
    field('keywords', '关键词（同义词，逗号分隔）/ Keywords and synonyms (comma-separated)', inputs.keywords),
    field('fees.charged', '收费 / Charged', inputs.charged),
    field('fees.description', '收费说明 / Fees', inputs.fees),
    el('h3', { text: '办理流程 / Process' }), steps,
    el('h3', { text: '申请材料 / Materials' }), materials,
    el('h3', { text: '办事指南 / Guide' }),
    field('guide.summary_zh', '指南（中文，Markdown）/ Guide (Chinese)', inputs.summary_zh), previews.summary_zh,
    field('guide.summary_en', '指南（英文，Markdown）/ Guide (English)', inputs.summary_en), previews.summary_en,
    save,
  );
  drawMaterials();

  let timer = null;
  let asked = 0;
  async function check() {
    const mine = ++asked;
    const result = await api('POST', '/services/check', current());
    if (mine !== asked) return; // an older answer than the last question
    for (const node of host.querySelectorAll('[data-problem]')) node.textContent = '';
    for (const p of result.problems) {
      const node = host.querySelector(`[data-problem="${CSS.escape(p.field)}"]`);
      if (node) node.textContent = bilingual(p.zh, p.en);
    }
    for (const [key, tree] of Object.entries(result.preview || {})) {
      previews[key].replaceChildren(guideText(tree, '', 'admin-preview'));
    }
    return result.problems;
  }
  function scheduleCheck() {
    clearTimeout(timer);
    timer = setTimeout(() => check().catch((error) => status(message(error), 'error')), CHECK_DELAY_MS);
  }
  for (const input of Object.values(inputs)) {
    input.addEventListener('input', scheduleCheck);
    input.addEventListener('change', scheduleCheck);
  }

  save.addEventListener('click', async () => {
    clearTimeout(timer);
    try {
      const saved = await api('PATCH', `/services/${encodeURIComponent(slug)}`, current());
      await drawBar();
      await drawEditor(slug); // the form as saved, with its new version
      status(`已保存到草稿（第 ${saved.version} 版）/ Saved to the draft (version ${saved.version})`);
    } catch (error) {
      status(message(error), 'error');
      for (const p of error.details || []) {
        const node = host.querySelector(`[data-problem="${CSS.escape(p.field || '')}"]`);
        if (node) node.textContent = bilingual(p.zh, p.en);
      }
    }
  });
  if (canEdit) check().catch((error) => status(message(error), 'error'));
}

async function start() {
  try {
    await drawBar();
    if (root.dataset.slug) await drawEditor(root.dataset.slug);
    else await drawList();
  } catch (error) {
    status(message(error), 'error');
  }
}

start();
