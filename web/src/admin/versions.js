// The hall's published versions (who, when, summary): view one's counters, restore one as a new version.
import { el } from '../ui/dom.js';
import { COUNTER_STATUSES } from '../generated/vocabulary.js';
import { message, show, when } from './common.js';
import { pair, s } from './strings.js';

export class VersionsPage {
  constructor(context) {
    this.context = context;
    this.detail = el('section', { class: 'admin-version', hidden: true });
    this.note = el('div', { class: 'admin-form-result' });
  }

  async refresh() {
    const { api, base, root, data } = this.context;
    const answer = await api.get(`${base}/versions`);
    const newest = answer.versions[0]?.number;
    const rows = answer.versions.map((v) => {
      const view = el('button', { type: 'button', 'data-view': v.number, text: s('viewVersion', { n: v.number }) });
      view.addEventListener('click', () => this.view(v.number));
      const actions = el('td', {}, view);
      if (data.may_edit && v.number !== newest) {
        const restore = el('button', { type: 'button', 'data-restore': v.number, text: s('restore') });
        restore.addEventListener('click', () => this.restore(v.number));
        actions.append(restore);
      }
      return el('tr', { 'data-version': v.number },
        el('th', { scope: 'row', text: String(v.number) }), el('td', { text: v.created_by || '—' }), el('td', { text: when(v.created_at) }),
        el('td', {}, v.summary || '', v.restored_from ? el('small', { text: ` (${s('restoredFrom', { n: v.restored_from })})` }) : ''), actions);
    });
    root.replaceChildren(el('h1', { text: s('versionsTitle') }), this.note,
      el('table', { class: 'admin-table' },
        el('thead', {}, el('tr', {}, ['version', 'who', 'when', 'summary'].map((k) => el('th', { scope: 'col', text: s(k) })), el('th', {}))),
        el('tbody', {}, rows)),
      this.detail);
  }

  async view(number) {
    const { api, base } = this.context;
    const version = await api.get(`${base}/versions/${number}`);
    const counters = Object.values(version.snapshot.counters || {});
    this.detail.hidden = false;
    this.detail.replaceChildren(el('h2', { text: s('viewVersion', { n: number }) }),
      el('table', { class: 'admin-table', 'data-snapshot': number },
        el('thead', {}, el('tr', {}, ['number', 'nameZh', 'status'].map((k) => el('th', { scope: 'col', text: s(k) })))),
        el('tbody', {}, counters.map((c) => el('tr', { 'data-counter': c.number },
          el('th', { scope: 'row', text: c.number }), el('td', { text: pair(c.name) }),
          el('td', { text: `${pair(COUNTER_STATUSES[c.status]) || c.status}${c.notice ? ` · ${show(c.notice)}` : ''}` }))))));
    this.detail.querySelector('h2').scrollIntoView({ block: 'start' });
  }

  async restore(number) {
    const { api, base } = this.context;
    if (!window.confirm(s('restoreConfirm', { n: number }))) return;
    try {
      const row = await api.call('POST', `${base}/versions/${number}/restore`, { body: { summary: '' } });
      await this.context.bar?.refresh();
      await this.refresh();
      this.note.replaceChildren(message(s('restored', { from: number, n: row.number })));
    } catch (error) {
      this.note.replaceChildren(message(error.message, true));
    }
  }
}
