// The draft's counters: a table with filters (floor, zone, department, status, text) and sort, a badge on
// those changed in the draft, and the edit view (each server problem at its field; a 409 shows the other
// person's change and lets the editor load theirs or re-apply their own on top). Viewers see it read-only.
import { el } from '../ui/dom.js';
import { COUNTER_STATUSES, COUNTER_TYPES } from '../generated/vocabulary.js';
import { changeTable, field, message, show, showProblems, when } from './common.js';
import { weekEditor } from './hours.js';
import { getLang, pair, s } from './strings.js';

const SORTS = ['number', 'name', 'floor', 'zone', 'department', 'status'];

/** A value as JSON with its keys sorted, so two objects compare equal whatever their key order. */
function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  return JSON.stringify(value ?? null);
}

function typeLabel(type) {
  return getLang() === 'en' ? COUNTER_TYPES[type] || type : type;
}

function options(items, selected, { blank } = {}) {
  const list = items.map(([value, text]) => el('option', { value, text, selected: String(value) === String(selected ?? '') }));
  return blank === undefined ? list : [el('option', { value: '', text: blank, selected: selected === null || selected === undefined || selected === '' }), ...list];
}

export class CountersPage {
  constructor(context) {
    this.context = context;
    this.filters = { floor: '', zone: '', department: '', status: '', q: '', sort: 'number' };
    this.list = el('section', { class: 'admin-counters' });
    this.editor = el('section', { class: 'admin-editor', hidden: true, 'aria-label': s('edit') });
    this.facts = null;
  }

  get hall() { return this.context.data.hall; }

  async refresh() {
    const { root, api, base } = this.context;
    if (!this.list.isConnected) root.replaceChildren(this.filterForm(), this.list, this.editor);
    if (!this.facts) this.facts = await api.get(`${base}/facts`);
    await this.load();
  }

  filterForm() {
    const hall = this.hall;
    const all = s('all');
    const make = (name, label, control) => {
      control.name = name;
      control.addEventListener(control.tagName === 'INPUT' ? 'input' : 'change', () => {
        this.filters[name] = control.value;
        this.load();
      });
      return field(label, control, `filter.${name}`);
    };
    const form = el('form', { class: 'admin-filters', role: 'search', 'aria-label': s('filters') },
      make('floor', s('floor'), el('select', {}, options(hall.floors.map((f) => [f.level, pair(f.name)]), '', { blank: all }))),
      make('zone', s('zone'), el('select', {}, options(hall.zones.map((z) => [z.code, pair(z.name)]), '', { blank: all }))),
      make('department', s('department'), el('select', {}, options(hall.departments.map((d) => [d.code, pair(d.name)]), '', { blank: all }))),
      make('status', s('status'), el('select', {}, options(Object.entries(COUNTER_STATUSES).map(([k, v]) => [k, pair(v)]), '', { blank: all }))),
      make('q', s('text'), el('input', { type: 'search' })),
      make('sort', s('sort'), el('select', {}, options(SORTS.flatMap((k) => [[k, `${s(k === 'name' ? 'nameZh' : k)} ↑`], [`-${k}`, `${s(k === 'name' ? 'nameZh' : k)} ↓`]]), 'number'))));
    form.addEventListener('submit', (event) => event.preventDefault());
    return form;
  }

  async load() {
    const { api, base, data, bar } = this.context;
    const query = new URLSearchParams(Object.entries(this.filters).filter(([, v]) => v !== ''));
    const answer = await api.get(`${base}/counters?${query}`);
    const changed = bar?.changedCounters ?? new Set();
    const zones = new Map(this.hall.zones.map((z) => [z.code, z]));
    const departments = new Map(this.hall.departments.map((d) => [d.code, d]));
    const rows = answer.counters.map((c) => {
      const open = el('button', { type: 'button', 'data-open': c.number, text: data.may_edit ? s('edit') : s('view') });
      open.addEventListener('click', () => this.edit(c.number));
      const status = el('td', { 'data-status': c.status }, pair(COUNTER_STATUSES[c.status]) || c.status);
      if (c.notice) status.append(el('br'), el('small', { text: pair(c.notice) }));
      return el('tr', { 'data-counter': c.number },
        el('th', { scope: 'row' }, c.number, changed.has(c.number) ? el('span', { class: 'admin-badge', 'data-badge': 'changed', text: s('changedBadge') }) : null),
        el('td', { text: pair(c.name) }),
        el('td', { text: departments.has(c.department) ? pair(departments.get(c.department).name) : c.department || '—' }),
        el('td', { text: zones.has(c.zone) ? pair(zones.get(c.zone).name) : c.zone }),
        el('td', { text: String(c.floor) }),
        status,
        el('td', {}, open));
    });
    const add = data.may_edit ? el('button', { type: 'button', class: 'admin-primary', 'data-new': '', text: s('newCounter') }) : null;
    add?.addEventListener('click', () => this.edit(null));
    this.list.replaceChildren(
      el('div', { class: 'admin-list-head' }, el('h1', { text: s('counters') }), el('p', { 'data-count': rows.length, text: s('count', { n: rows.length }) }), add),
      data.may_edit ? '' : el('p', { class: 'admin-help', 'data-readonly': '', text: s('readOnly') }),
      rows.length
        ? el('table', { class: 'admin-table' },
          el('thead', {}, el('tr', {}, ['number', 'nameZh', 'department', 'zone', 'floor', 'status'].map((k) => el('th', { scope: 'col', text: s(k) })), el('th', {}))),
          el('tbody', {}, rows))
        : el('p', { text: s('none') }));
  }

  async edit(number) {
    const { api, base } = this.context;
    const counter = number === null ? null : await api.get(`${base}/counters/${encodeURIComponent(number)}`);
    this.show(counter);
  }

  show(counter, note = null, overrides = null) {
    const { data } = this.context;
    this.editor.hidden = false;
    this.editor.replaceChildren(data.may_edit ? this.form(counter, note, overrides) : this.readOnly(counter));
    this.editor.scrollIntoView({ block: 'start' });
    this.editor.querySelector('input, select, button')?.focus();
  }

  readOnly(c) {
    const rows = [
      ['number', c.number], ['nameZh', c.name.zh], ['nameEn', c.name.en], ['type', typeLabel(c.type)],
      ['department', c.department], ['zone', c.zone], ['floor', c.floor], ['status', pair(COUNTER_STATUSES[c.status])],
      ['noticeZh', c.notice?.zh], ['noticeEn', c.notice?.en], ['hours', c.hours ? JSON.stringify(c.hours) : s('hoursHall')],
      ['phone', c.phone], ['lowCounter', c.low_counter], ['node', c.node], ['services', c.services],
    ];
    const close = el('button', { type: 'button', text: s('cancel') });
    close.addEventListener('click', () => { this.editor.hidden = true; });
    return el('div', { 'data-counter-view': c.number },
      el('h2', { text: `${c.number} · ${pair(c.name)}` }),
      el('dl', { class: 'admin-who' }, rows.flatMap(([k, v]) => [el('dt', { text: s(k) }), el('dd', { text: show(v) })])), close);
  }

  /** The edit form of *counter* (null: a new one), its fields showing *overrides* where given. */
  form(counter, note, overrides = null) {
    const { api, base } = this.context;
    const hall = this.hall;
    const c = counter ?? {
      number: '', name: { zh: '', en: '' }, type: Object.keys(COUNTER_TYPES)[0], department: null, zone: hall.zones[0]?.code,
      floor: hall.zones[0]?.floor, status: 'open', notice: null, hours: null, phone: null, low_counter: false, node: '', services: [],
    };
    const v = { ...c, ...(overrides ?? {}) };
    const input = (value, attrs = {}) => el('input', { type: 'text', value: value ?? '', ...attrs });
    const f = {
      number: input(v.number, { autocomplete: 'off', readonly: counter ? true : null }),
      nameZh: input(v.name?.zh), nameEn: input(v.name?.en),
      type: el('select', {}, options(Object.keys(COUNTER_TYPES).map((k) => [k, typeLabel(k)]), v.type)),
      department: el('select', {}, options(hall.departments.map((d) => [d.code, `${pair(d.name)} (${d.code})`]), v.department, { blank: '—' })),
      zone: el('select', {}, options(hall.zones.map((z) => [z.code, pair(z.name)]), v.zone)),
      floor: el('select', {}, options(hall.floors.map((fl) => [fl.level, pair(fl.name)]), v.floor)),
      status: el('select', {}, options(Object.entries(COUNTER_STATUSES).map(([k, label]) => [k, pair(label)]), v.status)),
      noticeZh: input(v.notice?.zh, { placeholder: '系统升级，暂停至 14:00' }), noticeEn: input(v.notice?.en),
      phone: input(v.phone, { type: 'tel' }),
      low: el('input', { type: 'checkbox', checked: v.low_counter }),
      node: input(v.node, { autocomplete: 'off' }),
    };
    const own = el('input', { type: 'checkbox', checked: Boolean(v.hours) });
    const week = weekEditor('hours', v.hours ?? this.facts?.hours, this.facts?.hour_presets ?? {});
    week.node.hidden = !v.hours;
    own.addEventListener('change', () => { week.node.hidden = !own.checked; });
    const services = this.servicePicker(v.services);
    const read = () => ({
      number: f.number.value.trim(),
      name: { zh: f.nameZh.value.trim(), en: f.nameEn.value.trim() },
      type: f.type.value,
      department: f.department.value || null,
      zone: f.zone.value,
      floor: Number(f.floor.value),
      status: f.status.value,
      notice: f.noticeZh.value.trim() || f.noticeEn.value.trim() ? { zh: f.noticeZh.value.trim(), en: f.noticeEn.value.trim() } : null,
      hours: own.checked ? week.read() : null,
      phone: f.phone.value.trim() || null,
      low_counter: f.low.checked,
      node: f.node.value.trim() || `counter:${f.number.value.trim()}`,
      services: services.read(),
    });
    const result = el('div', { class: 'admin-form-result' });
    if (note) result.append(note);
    const save = el('button', { type: 'submit', class: 'admin-primary', text: s('save') });
    const cancel = el('button', { type: 'button', text: s('cancel') });
    cancel.addEventListener('click', () => { this.editor.hidden = true; });
    const form = el('form', { class: 'admin-form admin-counter-form', novalidate: true, 'data-editing': c.number || 'new' },
      el('h2', { text: counter ? `${s('edit')} ${c.number}` : s('newCounter') }),
      field(s('number'), f.number, 'number'),
      el('div', { class: 'admin-pair' }, field(s('nameZh'), f.nameZh, 'name.zh'), field(s('nameEn'), f.nameEn, 'name.en')),
      el('div', { class: 'admin-pair' }, field(s('type'), f.type, 'type'), field(s('department'), f.department, 'department')),
      el('div', { class: 'admin-pair' }, field(s('zone'), f.zone, 'zone'), field(s('floor'), f.floor, 'floor')),
      field(s('status'), f.status, 'status'),
      el('div', { class: 'admin-pair', 'data-field': 'notice' }, field(s('noticeZh'), f.noticeZh, 'notice.zh'), field(s('noticeEn'), f.noticeEn, 'notice.en')),
      el('div', { class: 'admin-check' }, own, el('label', { for: (own.id = 'hours-own'), text: s('hoursOwn') })),
      week.node,
      el('div', { class: 'admin-pair' }, field(s('phone'), f.phone, 'phone'), field(s('node'), f.node, 'node')),
      el('div', { class: 'admin-check', 'data-field': 'low_counter' }, f.low, el('label', { for: (f.low.id = 'low-counter'), text: s('lowCounter') })),
      services.node,
      el('div', { class: 'admin-actions' }, save, cancel),
      result);
    if (counter) {
      const remove = el('button', { type: 'button', class: 'admin-danger', text: s('remove') });
      remove.addEventListener('click', async () => {
        if (!window.confirm(s('removeConfirm', { n: c.number }))) return;
        try {
          await api.call('DELETE', `${base}/counters/${encodeURIComponent(c.number)}`, { version: c.version });
          this.editor.hidden = true;
          await this.afterSave();
        } catch (error) { result.replaceChildren(message(error.message, true)); }
      });
      form.querySelector('.admin-actions').append(remove);
    }
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const mine = read();
      const body = counter ? Object.fromEntries(Object.entries(mine).filter(([k, v]) => canonical(v) !== canonical(c[k]))) : mine;
      try {
        const saved = counter
          ? await api.call('PATCH', `${base}/counters/${encodeURIComponent(c.number)}`, { body, version: c.version })
          : await api.call('POST', `${base}/counters`, { body });
        await this.afterSave();
        this.show(saved, message(s('saved')));
      } catch (error) {
        if (error.status === 422 && Array.isArray(error.details)) {
          result.replaceChildren(message(s('fixFields'), true), el('p', { class: 'admin-error' }));
          showProblems(form, error.details, result.lastChild);
        } else if (error.status === 409 && error.details?.current) {
          result.replaceChildren(this.conflict(error, body));
        } else {
          result.replaceChildren(message(error.message, true));
        }
      }
    });
    return form;
  }

  /** The other person's change (who, when, what), with the two ways on: load theirs, or re-apply mine. */
  conflict(error, mine) {
    const { current, changed_by: who, changed_at: at, change } = error.details;
    const fields = {};
    const before = change?.before ?? {};
    const after = change?.after ?? current;
    for (const key of Object.keys({ ...before, ...after })) {
      if (key !== 'version' && JSON.stringify(before[key]) !== JSON.stringify(after[key])) fields[key] = { before: before[key], after: after[key] };
    }
    const reload = el('button', { type: 'button', 'data-conflict': 'reload', text: s('reload') });
    const reapply = el('button', { type: 'button', 'data-conflict': 'reapply', text: s('reapply') });
    reload.addEventListener('click', () => this.show(current));
    reapply.addEventListener('click', () => {
      this.show(current, null, mine);
      this.editor.querySelector('form').requestSubmit();
    });
    return el('div', { class: 'admin-conflict', role: 'alert', 'data-conflict-by': who || '' },
      el('h3', { text: s('conflictTitle') }), el('p', { text: error.message }),
      el('p', { text: who ? s('conflictWho', { who, when: when(at) }) : s('conflictUnknown') }),
      changeTable(fields), el('div', { class: 'admin-actions' }, reload, reapply));
  }

  async afterSave() {
    await this.context.bar?.refresh();
    await this.load();
  }

  /** The counter's services: chosen ones with a remove button, and a search of the catalogue (the public
   * search, which understands pinyin) to add more. */
  servicePicker(chosen) {
    const picked = new Map(chosen.map((id) => [id, id]));
    const list = el('ul', { class: 'admin-services' });
    const results = el('ul', { class: 'admin-service-results', 'aria-live': 'polite' });
    const draw = () => {
      list.replaceChildren(...(picked.size ? [...picked].map(([id, name]) => {
        const remove = el('button', { type: 'button', 'aria-label': `${s('serviceRemove')} ${name}`, text: s('serviceRemove') });
        remove.addEventListener('click', () => { picked.delete(id); draw(); });
        return el('li', { 'data-service': id }, el('span', { text: name === id ? id : `${name} (${id})` }), remove);
      }) : [el('li', { text: s('noServices') })]));
    };
    draw();
    const search = el('input', { type: 'search', autocomplete: 'off' });
    let serial = 0;
    search.addEventListener('input', async () => {
      const q = search.value.trim();
      const mine = ++serial;
      if (!q) { results.replaceChildren(); return; }
      const response = await fetch(`/api/v1/search?${new URLSearchParams({ q, limit: '8' })}`, { headers: { Accept: 'application/json' } });
      if (mine !== serial || !response.ok) return;
      const answer = await response.json();
      results.replaceChildren(...answer.services.map((svc) => {
        const add = el('button', { type: 'button', 'data-add-service': svc.id, text: `${s('serviceAdd')} ${pair(svc.name)}` });
        add.addEventListener('click', () => { picked.set(svc.id, pair(svc.name)); draw(); });
        return el('li', {}, add);
      }));
    });
    return {
      node: el('fieldset', { class: 'admin-service-picker', 'data-field': 'services' },
        el('legend', { text: s('services') }), list, field(s('serviceSearch'), search, 'services.search'), results,
        el('p', { class: 'admin-field-problem', role: 'alert', hidden: true })),
      read: () => [...picked.keys()],
    };
  }
}
