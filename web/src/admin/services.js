// /admin/services and /admin/services/<slug>: the catalogue's draft as a list (text and department filters,
// a new service) and the editor of one service item — fields, the lists (conditions, process steps, materials,
// the guide's steps and questions: added, removed and reordered with buttons by one list editor), the guide's
// Markdown with its preview (the token tree the panel renders, from /services/check), everything checked as
// staff type (debounced), each problem shown at its field as the server names it — and the draft bar (diff,
// discard, publish). Words in the page's language (?lang=en); everything from the server is set as text.
import { AUDIENCES, SERVICE_TYPES } from '../generated/vocabulary.js';
import { guideText } from '../ui/guideText.js';
import { el } from '../ui/dom.js';
import { Api } from './api.js';
import { s, setLang } from './strings.js';

const root = document.getElementById('services');
const client = new Api(root.dataset.csrf, '/api/v1/admin');
const api = (method, path, body) => client.call(method, path, { body });
const canEdit = root.dataset.role !== 'viewer';
const isAdmin = root.dataset.role === 'admin';
const host = root.querySelector('[data-services="root"]');
const bar = root.querySelector('[data-draft="bar"]');
const CHECK_DELAY_MS = 400;
setLang(root.dataset.lang);
// The page's language (?lang=en): every word and every problem in it alone.
const inLang = (zh, en) => (root.dataset.lang === 'en' ? en || zh : zh || en);
const MATERIAL_FORMS = [['原件', 'Original'], ['复印件', 'Copy'], ['原件和复印件', 'Original and copy']];
const MATERIAL_MEDIA = [['纸质', 'Paper'], ['电子', 'Electronic'], ['纸质或电子', 'Paper or electronic']];

function message(error) {
  return inLang(error.zh, error.en) || error.message || String(error);
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
      ? s('svDraft', { a: counts[0], c: counts[1], r: counts[2] })
      : s('svNoDraft', { n: diff.published_version }) }),
  );
  if (diff.draft) {
    const details = el('details', {}, el('summary', { text: s('svDiff') }));
    const labels = diff.labels?.services || {};
    for (const [slug, fields] of Object.entries(changes.changed)) {
      // field labels as staff read them (publishing.readable), in the page's language
      const named = Object.keys(fields).map((f) => {
        const label = labels[slug]?.fields?.[f]?.label;
        return label ? inLang(label.zh, label.en) : f;
      });
      details.append(el('p', { 'data-diff': slug, text: `${slug}: ${named.join('，')}` }));
    }
    for (const slug of Object.keys(changes.added)) details.append(el('p', { text: `+ ${slug}` }));
    for (const slug of Object.keys(changes.removed)) details.append(el('p', { text: `− ${slug}` }));
    bar.append(details);
    if (isAdmin) {
      const publish = el('button', { type: 'button', 'data-draft': 'publish', text: s('publish') });
      publish.addEventListener('click', () => act(() => api('POST', '/catalogue/publish', {}), s('svPublished')));
      const discard = el('button', { type: 'button', 'data-draft': 'discard', text: s('discard') });
      discard.addEventListener('click', () => act(() => api('DELETE', '/catalogue/draft'), s('svDiscarded')));
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
  const q = el('input', { type: 'search', name: 'q', value: params.get('q') || '', 'aria-label': s('svSearch') });
  const department = el('input', { type: 'text', name: 'department', value: params.get('department') || '', 'aria-label': s('svDepartment') });
  const form = el('form', { class: 'admin-filter', role: 'search' }, q, department, el('button', { type: 'submit', text: s('svFilter') }));
  const table = el('ul', { class: 'admin-list', 'data-services': 'list' });
  const add = el('button', { type: 'button', 'data-services': 'new', text: s('svNew') });
  add.disabled = !canEdit;
  add.addEventListener('click', () => drawEditor(null).catch((error) => status(message(error), 'error')));
  host.replaceChildren(add, form, table);
  async function load() {
    const query = new URLSearchParams({ per_page: '100' });
    if (q.value.trim()) query.set('q', q.value.trim());
    if (department.value.trim()) query.set('department', department.value.trim());
    try {
      const data = await api('GET', `/services?${query}`);
      table.replaceChildren(...data.services.map((item) => el('li', {},
        el('a', { href: pageUrl(`/admin/services/${encodeURIComponent(item.slug)}`), text: inLang(item.name.zh, item.name.en) }),
        el('span', { text: ` ${item.code} · ${item.department}` }),
        item.changed ? el('span', { class: 'admin-changed', 'data-changed': item.slug, text: ` ${s('svChangedBadge')}` }) : null)));
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

// A staff page's address in the page's language.
function pageUrl(path) {
  return root.dataset.lang === 'en' ? `${path}?lang=en` : path;
}

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

function area(value, rows = 2) {
  const node = el('textarea', { rows: String(rows) });
  node.value = value ?? '';
  return node;
}

function select(options, value) {
  const node = el('select', {}, options.map(([v, label]) => el('option', { value: v, text: label })));
  node.value = value;
  return node;
}

// A {zh, en} text of *owner[key]* as two fields at *path*.zh / .en, labelled *labels* = [zh key, en key].
function pairFields(owner, key, path, labels, onChange, multiline = false) {
  return ['zh', 'en'].map((lang, i) => {
    const input = multiline ? area(owner[key]?.[lang]) : text(owner[key]?.[lang]);
    input.addEventListener('input', () => {
      owner[key] = { zh: owner[key]?.zh ?? '', en: owner[key]?.en ?? '', [lang]: input.value };
      onChange();
    });
    return field(`${path}.${lang}`, s(labels[i]), input);
  });
}

/**
 * One editable list of the form (conditions, process steps, materials, the guide's steps and questions): *items*
 * is the form's own array, changed in place. Each item is drawn by *render(item, path)* inside its <li>, with
 * buttons to move it up and down and to remove it, each naming the item (*title(item)*); *blank()* is what the
 * add button appends. Focus follows the moved item, goes to the next item after a removal, to the new one after
 * an addition (*draw(focus)*: a selector, null for the add button, undefined for nowhere). *changed()* is called
 * after every change.
 */
function listEditor({ key, items, render, title, blank, addLabel, changed }) {
  const list = el('ol', { class: 'admin-list-editor', 'data-list': key });
  const add = el('button', { type: 'button', 'data-add': key, text: s(addLabel) });
  add.disabled = !canEdit;
  const problem = el('span', { class: 'admin-problem', 'data-problem': key, role: 'alert' });
  const name = (item, i) => title(item) || s('svUntitled', { n: i + 1 });

  function button(action, i, label, glyph) {
    const node = el('button', { type: 'button', 'data-move': `${action}-${i}`, 'aria-label': label, title: label, text: glyph });
    node.disabled = !canEdit;
    return node;
  }
  function draw(focus) {
    list.replaceChildren(...items.map((item, i) => {
      const named = name(item, i);
      const up = button('up', i, s('svMoveUp', { name: named }), '↑');
      const down = button('down', i, s('svMoveDown', { name: named }), '↓');
      const remove = button('remove', i, s('svRemoveItem', { name: named }), s('svRemove'));
      up.disabled ||= i === 0;
      down.disabled ||= i === items.length - 1;
      const move = (by) => {
        [items[i], items[i + by]] = [items[i + by], items[i]];
        draw(`[data-move="${by < 0 ? 'up' : 'down'}-${i + by}"]`);
        changed();
      };
      up.addEventListener('click', () => move(-1));
      down.addEventListener('click', () => move(1));
      remove.addEventListener('click', () => {
        items.splice(i, 1);
        draw(items.length ? `[data-move="remove-${Math.min(i, items.length - 1)}"]` : null);
        status(s('svRemoved', { name: named }));
        changed();
      });
      return el('li', { 'data-item': String(i) },
        el('span', { class: 'admin-item-title', text: named }), up, down, remove,
        ...render(item, `${key}[${i}]`));
    }));
    if (focus !== undefined) (focus ? list.querySelector(focus) : add)?.focus();
  }
  add.addEventListener('click', () => {
    items.push(blank());
    draw(undefined);
    list.lastElementChild?.querySelector('input, textarea, select')?.focus();
    changed();
  });
  draw(undefined);
  return el('div', { class: 'admin-list-block' }, problem, list, add);
}

const emptyPair = () => ({ zh: '', en: '' });

// What a new service item starts as: every field there, the lists with one empty line where one is needed.
function blankService() {
  return {
    slug: '', code: '', name: emptyPair(), department: '', audience: [Object.keys(AUDIENCES)[0]], type: Object.keys(SERVICE_TYPES)[0],
    legal_limit_days: null, promised_limit_days: 0, conditions: [emptyPair()],
    process: [{ name: emptyPair(), description: emptyPair() }],
    fees: { charged: false, description: '', items: [] }, online: { pc: '', mobile: '' },
    appointment: { supported: false, url: null }, phones: { enquiry: '', complaint: '' }, keywords: [],
    visits: 1, reform_2023: false, materials: [], guide: null,
  };
}

/** The editor of service *slug*, or of a new one (*slug* null: saved with POST /services). */
async function drawEditor(slug) {
  const creating = slug === null;
  const form = creating ? blankService() : await api('GET', `/services/${encodeURIComponent(slug)}`);
  const inputs = {};
  const guide = form.guide ?? { summary_zh: '', summary_en: '', steps: [], faq: [] };
  const previews = { summary_zh: el('div', { 'data-preview': 'summary_zh' }), summary_en: el('div', { 'data-preview': 'summary_en' }) };
  const later = () => scheduleCheck(); // the lists call it before the check is defined below

  function current() {
    const out = structuredClone(form);
    if (creating) {
      out.slug = inputs.slug.value.trim();
      out.code = inputs.code.value.trim();
    }
    out.name = { zh: inputs.name_zh.value, en: inputs.name_en.value };
    out.type = inputs.type.value;
    out.department = inputs.department.value.trim();
    out.audience = Object.keys(AUDIENCES).filter((a) => inputs[`audience_${a}`].checked);
    const days = (input) => (input.value === '' ? null : Number(input.value));
    out.legal_limit_days = days(inputs.legal);
    out.promised_limit_days = days(inputs.promised);
    out.visits = days(inputs.visits);
    out.online = { pc: inputs.pc.value, mobile: inputs.mobile.value };
    out.appointment = { supported: inputs.appointment_supported.checked, url: inputs.appointment.value || null };
    out.fees = { ...out.fees, charged: inputs.charged.checked, description: inputs.fees.value };
    out.phones = { enquiry: inputs.enquiry.value.trim(), complaint: inputs.complaint.value.trim() };
    out.keywords = inputs.keywords.value.split(/[,，]/).map((k) => k.trim()).filter(Boolean);
    const summaries = { summary_zh: inputs.summary_zh.value, summary_en: inputs.summary_en.value };
    const empty = !summaries.summary_zh && !summaries.summary_en && !guide.steps.length && !guide.faq.length;
    out.guide = form.guide === null && empty ? null : structuredClone({ ...guide, ...summaries });
    return out;
  }

  const conditions = listEditor({
    key: 'conditions', items: form.conditions, addLabel: 'svAddCondition', changed: later, blank: emptyPair,
    title: (c) => inLang(c.zh, c.en),
    render: (c, path) => ['zh', 'en'].map((lang) => {
      const input = area(c[lang]);
      input.addEventListener('input', () => { c[lang] = input.value; later(); });
      return field(`${path}.${lang}`, s(lang === 'zh' ? 'svConditionZh' : 'svConditionEn'), input);
    }),
  });
  const steps = listEditor({
    key: 'process', items: form.process, addLabel: 'svAddStep', changed: later,
    blank: () => ({ name: emptyPair(), description: emptyPair() }),
    title: (step) => inLang(step.name.zh, step.name.en),
    render: (step, path) => [
      ...pairFields(step, 'name', `${path}.name`, ['svStepNameZh', 'svStepNameEn'], later),
      ...pairFields(step, 'description', `${path}.description`, ['svStepDescZh', 'svStepDescEn'], later, true),
    ],
  });
  const materials = listEditor({
    key: 'materials', items: form.materials, addLabel: 'svAddMaterial', changed: later,
    blank: () => ({ name: emptyPair(), required: true, form: '原件', medium: '纸质', copies: 1, notes: null }),
    title: (m) => inLang(m.name.zh, m.name.en),
    render: (m, path) => {
      const copies = number(m.copies);
      copies.addEventListener('input', () => { m.copies = copies.value === '' ? null : Number(copies.value); later(); });
      const required = el('input', { type: 'checkbox' });
      required.checked = m.required;
      required.addEventListener('change', () => { m.required = required.checked; later(); });
      const kind = select(MATERIAL_FORMS.map(([v, en]) => [v, inLang(v, en)]), m.form);
      kind.addEventListener('change', () => { m.form = kind.value; later(); });
      const medium = select(MATERIAL_MEDIA.map(([v, en]) => [v, inLang(v, en)]), m.medium);
      medium.addEventListener('change', () => { m.medium = medium.value; later(); });
      const notes = pairFields(m, 'notes', `${path}.notes`, ['svNotesZh', 'svNotesEn'], () => {
        if (!m.notes.zh && !m.notes.en) m.notes = null;
        later();
      });
      return [
        ...pairFields(m, 'name', `${path}.name`, ['svMaterialNameZh', 'svMaterialNameEn'], later),
        field(`${path}.required`, s('svRequired'), required),
        field(`${path}.form`, s('svForm'), kind),
        field(`${path}.medium`, s('svMedium'), medium),
        field(`${path}.copies`, s('svCopies'), copies),
        ...notes,
      ];
    },
  });
  const feeItems = listEditor({
    key: 'fees.items', items: form.fees.items, addLabel: 'svAddFee', changed: later,
    blank: () => ({ name: emptyPair(), amount: 0, unit: { zh: '元', en: 'yuan' }, basis: '' }),
    title: (f) => inLang(f.name.zh, f.name.en),
    render: (f, path) => {
      const amount = number(f.amount);
      amount.min = '0';
      amount.step = 'any';
      amount.addEventListener('input', () => { f.amount = amount.value === '' ? null : Number(amount.value); later(); });
      const basis = text(f.basis);
      basis.addEventListener('input', () => { f.basis = basis.value; later(); });
      return [
        ...pairFields(f, 'name', `${path}.name`, ['svFeeNameZh', 'svFeeNameEn'], later),
        field(`${path}.amount`, s('svFeeAmount'), amount),
        ...pairFields(f, 'unit', `${path}.unit`, ['svFeeUnitZh', 'svFeeUnitEn'], later),
        field(`${path}.basis`, s('svFeeBasis'), basis),
      ];
    },
  });
  const guideSteps = listEditor({
    key: 'guide.steps', items: guide.steps, addLabel: 'svAddGuideStep', changed: later, blank: emptyPair,
    title: (g) => inLang(g.zh, g.en),
    render: (g, path) => ['zh', 'en'].map((lang) => {
      const input = text(g[lang]);
      input.addEventListener('input', () => { g[lang] = input.value; later(); });
      return field(`${path}.${lang}`, s(lang === 'zh' ? 'svGuideStepZh' : 'svGuideStepEn'), input);
    }),
  });
  const faq = listEditor({
    key: 'guide.faq', items: guide.faq, addLabel: 'svAddFaq', changed: later,
    blank: () => ({ q: emptyPair(), a: emptyPair() }),
    title: (f) => inLang(f.q.zh, f.q.en),
    render: (f, path) => [
      ...pairFields(f, 'q', `${path}.q`, ['svQuestionZh', 'svQuestionEn'], later),
      ...pairFields(f, 'a', `${path}.a`, ['svAnswerZh', 'svAnswerEn'], later, true),
    ],
  });

  inputs.slug = text(form.slug);
  inputs.code = text(form.code);
  inputs.name_zh = text(form.name.zh);
  inputs.name_en = text(form.name.en);
  inputs.type = select(Object.entries(SERVICE_TYPES).map(([zh, en]) => [zh, inLang(zh, en)]), form.type);
  inputs.department = text(form.department);
  const audience = Object.entries(AUDIENCES).map(([a, en]) => {
    inputs[`audience_${a}`] = el('input', { type: 'checkbox' });
    inputs[`audience_${a}`].checked = form.audience.includes(a);
    inputs[`audience_${a}`].disabled = !canEdit;
    return el('label', {}, inputs[`audience_${a}`], el('span', { text: inLang(a, en) }));
  });
  inputs.legal = number(form.legal_limit_days);
  inputs.promised = number(form.promised_limit_days);
  inputs.visits = number(form.visits);
  inputs.pc = text(form.online.pc);
  inputs.mobile = text(form.online.mobile);
  inputs.appointment = text(form.appointment.url);
  inputs.keywords = text(form.keywords.join('，'));
  inputs.charged = el('input', { type: 'checkbox' });
  inputs.charged.checked = form.fees.charged;
  inputs.fees = text(form.fees.description);
  inputs.enquiry = el('input', { type: 'tel', value: form.phones.enquiry ?? '' });
  inputs.complaint = el('input', { type: 'tel', value: form.phones.complaint ?? '' });
  inputs.appointment_supported = el('input', { type: 'checkbox' });
  inputs.appointment_supported.checked = form.appointment.supported;
  inputs.summary_zh = area(guide.summary_zh, 6);
  inputs.summary_en = area(guide.summary_en, 6);
  const save = el('button', { type: 'button', 'data-services': 'save', text: s(creating ? 'svCreate' : 'svSave') });
  save.disabled = !canEdit;
  if (!creating) {
    inputs.slug.readOnly = true;
    inputs.code.readOnly = true;
  }

  host.replaceChildren(
    el('h2', { 'data-services': 'title', text: creating ? s('svNewTitle') : inLang(form.name.zh, form.name.en) }),
    el('p', { class: 'admin-problem', 'data-problem': '(form)', role: 'alert' }),
    field('slug', s('svSlug'), inputs.slug),
    field('code', s('svCode'), inputs.code),
    field('name.zh', s('svNameZh'), inputs.name_zh),
    field('name.en', s('svNameEn'), inputs.name_en),
    field('type', s('svType'), inputs.type),
    field('department', s('svDepartment'), inputs.department),
    el('fieldset', { class: 'admin-field', 'data-field': 'audience' }, el('legend', { text: s('svAudience') }), ...audience,
      el('span', { class: 'admin-problem', 'data-problem': 'audience', role: 'alert' })),
    field('legal_limit_days', s('svLegal'), inputs.legal),
    field('promised_limit_days', s('svPromised'), inputs.promised),
    field('visits', s('svVisits'), inputs.visits),
    field('online.pc', s('svPc'), inputs.pc),
    field('online.mobile', s('svMobile'), inputs.mobile),
    field('appointment.supported', s('svAppointment'), inputs.appointment_supported),
    field('appointment.url', s('svAppointmentUrl'), inputs.appointment),
    field('phones.enquiry', s('svEnquiry'), inputs.enquiry),
    field('phones.complaint', s('svComplaint'), inputs.complaint),
    field('keywords', s('svKeywords'), inputs.keywords),
    field('fees.charged', s('svCharged'), inputs.charged),
    field('fees.description', s('svFees'), inputs.fees),
    el('h4', { text: s('svFeeItems') }), feeItems,
    el('h3', { text: s('svConditions') }), conditions,
    el('h3', { text: s('svProcess') }), steps,
    el('h3', { text: s('svMaterials') }), materials,
    el('h3', { text: s('svGuide') }),
    field('guide.summary_zh', s('svSummaryZh'), inputs.summary_zh), previews.summary_zh,
    field('guide.summary_en', s('svSummaryEn'), inputs.summary_en), previews.summary_en,
    el('h4', { text: s('svGuideSteps') }), guideSteps,
    el('h4', { text: s('svFaq') }), faq,
    save,
  );

  // Each problem at its field; one with no field of its own on the page (the form as a whole, a field the
  // editor does not show) above the form, with its path.
  function showProblems(problems) {
    for (const node of host.querySelectorAll('[data-problem]')) node.textContent = '';
    const elsewhere = [];
    for (const p of problems) {
      const node = host.querySelector(`[data-problem="${CSS.escape(p.field || '')}"]`);
      if (node) node.textContent = inLang(p.zh, p.en);
      else elsewhere.push(`${p.field || ''} ${inLang(p.zh, p.en)}`.trim());
    }
    host.querySelector('[data-problem="(form)"]').textContent = elsewhere.join('；');
  }

  let timer = null;
  let asked = 0;
  async function check() {
    const mine = ++asked;
    const result = await api('POST', '/services/check', current());
    if (mine !== asked) return; // an older answer than the last question
    showProblems(result.problems);
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
    asked += 1; // an answer to a check still on its way is stale now
    try {
      const body = current();
      const saved = creating
        ? await api('POST', '/services', body)
        : await api('PATCH', `/services/${encodeURIComponent(slug)}`, body);
      const next = creating ? body.slug : slug;
      if (creating) window.history.pushState(null, '', pageUrl(`/admin/services/${encodeURIComponent(next)}`));
      await drawBar();
      await drawEditor(next); // the form as saved, with its new version
      status(creating ? s('svCreated', { slug: next }) : s('svSaved', { n: saved.version }));
    } catch (error) {
      status(message(error), 'error');
      showProblems(error.details || []);
    }
  });
  if (canEdit && !creating) check().catch((error) => status(message(error), 'error'));
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
