// The draft bar on every hall page: “草稿有 N 处改动”, the difference (added / changed field by field /
// removed), the check before publishing (what in the draft's scenes would mislead a citizen, each finding
// linked to its scene's editor), discard, and publish (the one-to-one report shown when refused).
import { el } from '../ui/dom.js';
import { changeTable, message, show } from './common.js';
import { pair, s } from './strings.js';

/** How many changes *changes* (the diff's) holds, and which counters they touch. */
export function countChanges(changes) {
  let n = 0;
  const counters = new Set();
  for (const [name, part] of Object.entries(changes)) {
    if ('added' in part) {
      for (const kind of ['added', 'changed', 'removed']) {
        const keys = Object.keys(part[kind]);
        n += keys.length;
        if (name === 'counters') keys.forEach((k) => counters.add(k));
      }
    } else n += Object.keys(part.changed).length;
  }
  return { n, counters };
}

export class DraftBar {
  constructor(context, node, onChange) {
    this.context = context;
    this.node = node;
    this.onChange = onChange;
    this.open = false;
    this.changedCounters = new Set();
    this.note = null;
  }

  async refresh(note = null) {
    const { api, base, data } = this.context;
    const diff = await api.get(`${base}/draft/diff`);
    const { n, counters } = countChanges(diff.changes);
    this.changedCounters = counters;
    const head = el('div', { class: 'admin-draft-head' },
      el('p', { class: 'admin-draft-count', 'data-draft-count': n, text: n ? s('draftCount', { n }) : s('draftNone') }));
    const details = el('div', { class: 'admin-draft-diff', hidden: !this.open }, this.diffView(diff.changes, diff.labels));
    if (n) {
      const toggle = el('button', { type: 'button', 'aria-expanded': String(this.open), text: this.open ? s('hideDiff') : s('showDiff') });
      toggle.addEventListener('click', () => {
        this.open = !this.open;
        details.hidden = !this.open;
        toggle.setAttribute('aria-expanded', String(this.open));
        toggle.textContent = this.open ? s('hideDiff') : s('showDiff');
      });
      head.append(toggle);
    }
    const result = el('div', { class: 'admin-draft-result' });
    if (note) result.append(note);
    if (n && data.may_edit) {
      const summary = el('input', { type: 'text', maxlength: 500, name: 'summary' });
      const publish = el('button', { type: 'button', class: 'admin-primary', text: s('publish') });
      const discard = el('button', { type: 'button', text: s('discard') });
      publish.addEventListener('click', () => this.act(result, () => api.call('POST', `${base}/publish`, { body: { summary: summary.value } }),
        (row) => message(s('published', { n: row.number }))));
      discard.addEventListener('click', () => {
        if (!window.confirm(s('discardConfirm'))) return;
        this.act(result, () => api.call('DELETE', `${base}/draft`), () => message(s('discarded')));
      });
      const id = 'draft-summary';
      summary.id = id;
      head.append(el('span', { class: 'admin-draft-actions' },
        el('label', { for: id, text: s('publishSummary') }), summary, publish, discard));
    }
    const check = n && data.hall ? await this.checkView() : [];
    this.node.replaceChildren(head, ...check, details, result);
    this.node.hidden = false;
  }

  /** The check before publishing of the draft's scenes (``…/scenes/check``): errors refuse the publish,
   * warnings don't; each finding of a scene links to that scene's editor. Nothing when it can't be read:
   * the publish checks again and says why it refuses. */
  async checkView() {
    const { api, base, data } = this.context;
    let found;
    try {
      found = await api.get(`${base}/scenes/check`);
    } catch {
      return [];
    }
    const { errors, warnings } = found;
    const state = errors.length ? 'error' : warnings.length ? 'warning' : 'ok';
    const head = el('p', { class: 'admin-draft-check-head', text: s({ ok: 'checkOk', warning: 'checkWarnings', error: 'checkErrors' }[state], { e: errors.length, w: warnings.length }) });
    if (state === 'ok') return [el('section', { class: 'admin-draft-check', 'data-draft-check': state }, head)];
    const editor = (scene) => {
      const path = `/admin/halls/${encodeURIComponent(data.hall.slug)}/scenes/${encodeURIComponent(scene)}`;
      return data.lang === 'en' ? `${path}?lang=en` : path;
    };
    const item = (kind) => (f) => el('li', { 'data-check': kind, 'data-code': f.code },
      `${kind === 'error' ? s('checkError') : s('checkWarning')}: ${pair(f)}`,
      ...(f.scene ? [' ', el('a', { href: editor(f.scene), text: s('checkOpen', { scene: f.scene }) })] : []));
    const list = el('ul', { class: 'admin-draft-check-list' }, [...errors.map(item('error')), ...warnings.map(item('warning'))]);
    return [el('section', { class: 'admin-draft-check', 'data-draft-check': state, role: errors.length ? 'alert' : null }, head, list)];
  }

  async act(result, call, done) {
    try {
      const answer = await call();
      await this.refresh(done(answer));
      await this.onChange();
    } catch (error) {
      result.replaceChildren(message(`${s('failed')}${error.message}`, true));
      const report = error.details?.report;
      if (report) {
        result.append(el('ul', { class: 'admin-report', 'data-report': report.hall },
          report.problems.map((p) => el('li', { 'data-node': p.node, text: `${p.node}: ${pair({ zh: p.message, en: p.message_en })}` }))));
      }
      for (const problem of Array.isArray(error.details) ? error.details : []) {
        result.append(el('p', { class: 'admin-error', text: `${problem.field}: ${pair(problem)}` }));
      }
    }
  }

  diffView(changes, labels = {}) {
    const parts = [];
    for (const [name, part] of Object.entries(changes)) {
      const named = labels[name] || {};
      const title = ['counters', 'facts', 'scenes'].includes(name) ? s(name) : name;
      if ('added' in part) {
        for (const [key, obj] of Object.entries(part.added)) {
          parts.push(el('section', { 'data-diff': 'added', 'data-key': key },
            el('h3', { text: `${s('added')} · ${title} ${key}` }), el('p', { text: show(obj.name) })));
        }
        for (const [key, fields] of Object.entries(part.changed)) {
          parts.push(el('section', { 'data-diff': 'changed', 'data-key': key },
            el('h3', { text: `${s('changed')} · ${title} ${key}${named[key] ? ` ${pair(named[key].name)}` : ''}` }),
            changeTable(fields, named[key]?.fields)));
        }
        for (const [key, obj] of Object.entries(part.removed)) {
          parts.push(el('section', { 'data-diff': 'removed', 'data-key': key },
            el('h3', { text: `${s('removed')} · ${title} ${key}` }), el('p', { text: show(obj.name) })));
        }
      } else if (Object.keys(part.changed).length) {
        parts.push(el('section', { 'data-diff': 'changed', 'data-key': name },
          el('h3', { text: `${s('changed')} · ${title}` }), changeTable(part.changed, named[name]?.fields)));
      }
    }
    return parts;
  }
}
