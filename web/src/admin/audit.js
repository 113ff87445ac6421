// The audit log: filters (hall, user, object, date range), pages, and the CSV export of the same filter.
import { el } from '../ui/dom.js';
import { field, show, when } from './common.js';
import { s } from './strings.js';

const PER_PAGE = 50;

export class AuditPage {
  constructor(context) {
    this.context = context;
    this.page = 1;
    this.table = el('section', { class: 'admin-audit' });
  }

  async refresh() {
    const { root } = this.context;
    if (!this.table.isConnected) root.replaceChildren(el('h1', { text: s('auditTitle') }), this.filterForm(), this.table);
    await this.load();
  }

  filterForm() {
    const { data } = this.context;
    this.inputs = {
      hall: el('select', {}, el('option', { value: '', text: s('all') }), data.halls.map((h) => el('option', { value: h, text: h }))),
      user: el('input', { type: 'text', autocomplete: 'off' }),
      object_type: el('select', {}, ['', 'counters', 'facts', 'draft', 'version', 'user'].map((v) => el('option', { value: v, text: v || s('all') }))),
      object_id: el('input', { type: 'text', autocomplete: 'off' }),
      since: el('input', { type: 'date' }),
      until: el('input', { type: 'date' }),
    };
    const labels = { hall: 'hall', user: 'user', object_type: 'objectType', object_id: 'objectId', since: 'since', until: 'until' };
    const form = el('form', { class: 'admin-filters', role: 'search', 'aria-label': s('filters') },
      Object.entries(this.inputs).map(([name, control]) => { control.name = name; return field(s(labels[name]), control, `filter.${name}`); }),
      el('button', { type: 'submit', class: 'admin-primary', text: s('apply') }));
    form.addEventListener('submit', (event) => { event.preventDefault(); this.page = 1; this.load(); });
    this.exports = el('p', { class: 'admin-exports' });
    return el('div', {}, form, this.exports);
  }

  query() {
    const query = new URLSearchParams();
    for (const [name, control] of Object.entries(this.inputs)) {
      if (!control.value) continue;
      // A date range is whole days: until is the end of its day.
      query.set(name, name === 'until' ? `${control.value}T23:59:59` : control.value);
    }
    return query;
  }

  async load() {
    const { api } = this.context;
    const query = this.query();
    this.exports.replaceChildren(el('a', { href: `/api/v1/admin/audit.csv?${query}`, download: 'audit.csv', 'data-export': 'csv', text: s('exportCsv') }));
    query.set('page', String(this.page));
    query.set('per_page', String(PER_PAGE));
    // Each load is numbered: an earlier filter's answer arriving late is dropped, and the table says which
    // load it shows.
    const mine = (this.asked = (this.asked || 0) + 1);
    const answer = await api.get(`/api/v1/admin/audit?${query}`);
    if (mine !== this.asked) return;
    const pages = Math.max(1, Math.ceil(answer.total / answer.per_page));
    const prev = el('button', { type: 'button', disabled: this.page <= 1, text: s('prev') });
    const next = el('button', { type: 'button', disabled: this.page >= pages, text: s('next') });
    prev.addEventListener('click', () => { this.page -= 1; this.load(); });
    next.addEventListener('click', () => { this.page += 1; this.load(); });
    this.table.replaceChildren(
      el('table', { class: 'admin-table' },
        el('thead', {}, el('tr', {}, ['when', 'user', 'hall', 'objectType', 'objectId', 'action', 'summary'].map((k) => el('th', { scope: 'col', text: s(k) })))),
        el('tbody', {}, answer.entries.map((e) => el('tr', { 'data-entry': e.id },
          el('td', { text: when(e.at) }), el('td', { text: e.user || '—' }), el('td', { text: e.scope || '—' }),
          el('td', { text: e.object_type || '—' }), el('td', { text: e.object_id || '—' }), el('td', { text: e.action }),
          el('td', { text: e.summary || show(e.after) }))))),
      el('nav', { class: 'admin-pager', 'aria-label': s('page', { page: this.page, pages, total: answer.total }) },
        prev, el('span', { 'data-page': this.page, text: s('page', { page: this.page, pages, total: answer.total }) }), next));
    this.table.dataset.answered = String(mine);
  }
}
