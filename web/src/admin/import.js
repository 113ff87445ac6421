// The staff spreadsheet page (server/templates/admin/import.html): one section per sheet (the hall's counters,
// the shared services catalogue), each the same flow — upload a sheet for a dry-run report (added / changed
// field by field as staff read it / removed, bad rows by sheet and row number), then apply it to the draft,
// only when no row is bad, sending back the draft version the report was computed against (`base`): when the
// draft changed in between the server answers 409 and the section offers a new preview. Text from the server
// goes in with textContent only.
import { Api, ApiError } from './api.js';
import { setLang } from './strings.js';

const root = document.getElementById('sheet-import');
const t = root.dataset;
const lang = t.lang === 'en' ? 'en' : 'zh';
setLang(lang);
const api = new Api(t.csrf);

function el(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

const inLang = (pair) => (pair ? (lang === 'en' ? pair.en : pair.zh) : '');

function where(b) {
  if (b.row === null || b.row === undefined) return b.sheet ? `${b.sheet} · ${t.tNotInSheet}` : t.tNotInSheet;
  return b.sheet ? t.tSheetRow.replace('{sheet}', b.sheet).replace('{row}', b.row) : t.tRow.replace('{row}', b.row);
}

class SheetSection {
  constructor(node) {
    this.url = node.dataset.url;
    this.form = node.querySelector('[data-sheet="form"]');
    this.report = node.querySelector('[data-sheet="report"]');
    this.applyButton = node.querySelector('[data-sheet="apply"]');
    this.file = null;
    this.base = null; // the draft version the shown preview was computed against
    this.asked = 0; // each request's number: only the latest one's answer is shown
    if (!this.form) return;
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.file = this.form.querySelector('[data-sheet="file"]').files[0];
      if (this.file) this.run(true);
    });
    this.applyButton.addEventListener('click', () => this.run(false));
  }

  extension() {
    return this.file && this.file.name.toLowerCase().endsWith('.csv') ? 'csv' : 'xlsx';
  }

  // The report is emptied and marked busy while a file is on its way, so that an earlier sheet's report is
  // never read as this one's; an answer to an earlier request that arrives late is dropped.
  async run(dryRun) {
    const mine = ++this.asked;
    this.applyButton.disabled = true;
    this.report.replaceChildren();
    this.report.setAttribute('aria-busy', 'true');
    const body = new FormData();
    body.append('file', this.file);
    const query = dryRun ? '?dry_run=1' : this.base ? `?base=${encodeURIComponent(this.base)}` : '';
    let answer;
    try {
      answer = { data: await api.call('POST', `${this.url}.${this.extension()}${query}`, { body }) };
    } catch (error) {
      answer = { error: error instanceof ApiError ? error : new ApiError(0, { error: { code: 'network', message: t.tNetwork, message_en: t.tNetwork } }) };
    }
    if (mine !== this.asked) return;
    if (answer.error) this.showError(answer.error);
    else this.show(answer.data, !dryRun);
    this.report.setAttribute('aria-busy', 'false');
    this.report.dataset.answered = String(mine); // which request the report shows
  }

  showError(error) {
    if (error.code === 'bad_rows') {
      this.show({ ...error.details, bad_rows: error.details.bad_rows }, false);
      return;
    }
    this.applyButton.disabled = true;
    if (error.code === 'stale_preview') {
      const who = error.details?.changed_by || '—';
      const again = el('button', t.tPreviewAgain, { type: 'button', 'data-sheet': 'preview-again' });
      again.addEventListener('click', () => this.run(true));
      this.report.append(el('p', `${t.tStale} (${who}, ${error.details?.changed_at ?? ''})`,
        { 'data-sheet': 'stale', role: 'alert' }), again);
      return;
    }
    this.report.append(el('p', error.message, { 'data-sheet': 'error', role: 'alert' }));
  }

  show(data, applied) {
    const { changes, labels = {} } = data;
    const bad = data.bad_rows || [];
    if (data.base) this.base = data.base;
    if (applied) this.report.append(el('p', t.tApplied, { 'data-sheet': 'applied' }));
    for (const [key, label] of [['added', t.tAdded], ['changed', t.tChanged], ['removed', t.tRemoved]]) {
      const keys = Object.keys(changes[key]);
      if (!keys.length) continue;
      this.report.append(el('h3', `${label} (${keys.length})`));
      const list = el('ul', undefined, { 'data-sheet': key });
      for (const id of keys) {
        const readable = labels[id];
        const item = el('li', readable ? `${id} ${inLang(readable.name)}` : id, { 'data-key': id });
        if (key === 'changed') {
          const fields = el('ul');
          for (const name of Object.keys(changes.changed[id])) {
            const field = readable?.fields?.[name];
            fields.append(el('li', field
              ? `${inLang(field.label)}: ${inLang(field.before)} → ${inLang(field.after)}`
              : name, { 'data-field': name }));
          }
          item.append(fields);
        }
        list.append(item);
      }
      this.report.append(list);
    }
    if (!bad.length && !Object.values(changes).some((part) => Object.keys(part).length)) {
      this.report.append(el('p', t.tNone, { 'data-sheet': 'none' }));
    }
    if (bad.length) {
      this.report.append(el('h3', `${t.tBad} (${bad.length})`));
      const list = el('ul', undefined, { 'data-sheet': 'bad' });
      for (const b of bad) {
        list.append(el('li', `${where(b)} · ${b.field}: ${lang === 'en' ? b.en : b.zh}`, {
          'data-row': String(b.row ?? ''), 'data-sheet-name': b.sheet ?? '',
        }));
      }
      this.report.append(list);
    }
    this.applyButton.disabled = applied || bad.length > 0;
  }
}

for (const node of root.querySelectorAll('[data-sheet-section]')) new SheetSection(node);
