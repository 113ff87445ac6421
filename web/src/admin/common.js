// Small pieces the staff pages share: a labelled field, a notice line, a value shown as text.
import { el } from '../ui/dom.js';
import { pair, s } from './strings.js';

let fieldSerial = 0;

/** A label and its control in one row; *control* gets an id the label points at. */
export function field(label, control, name) {
  fieldSerial += 1;
  if (!control.id) control.id = `admin-field-${fieldSerial}`;
  return el('div', { class: 'admin-field', 'data-field': name },
    el('label', { for: control.id, text: label }), control,
    el('p', { class: 'admin-field-problem', role: 'alert', hidden: true }));
}

function parentPath(path) {
  if (/\[\d+\]$/.test(path)) return path.replace(/\[\d+\]$/, '');
  return path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : '';
}

/** Show *problems* ({field, zh, en}) at their fields within *form*; the rest in *fallback*. */
export function showProblems(form, problems, fallback) {
  for (const node of form.querySelectorAll('.admin-field-problem')) { node.hidden = true; node.textContent = ''; }
  for (const node of form.querySelectorAll('[aria-invalid]')) node.removeAttribute('aria-invalid');
  const lost = [];
  for (const problem of problems) {
    const text = pair({ zh: problem.zh, en: problem.en });
    let path = problem.field;
    let host = null;
    while (path && !(host = form.querySelector(`[data-field="${CSS.escape(path)}"]`))) {
      path = parentPath(path);
    }
    if (!host) { lost.push(text); continue; }
    const slot = host.querySelector('.admin-field-problem');
    slot.textContent = slot.textContent ? `${slot.textContent}；${text}` : text;
    slot.hidden = false;
    host.querySelector('input, select, textarea')?.setAttribute('aria-invalid', 'true');
  }
  if (fallback) fallback.textContent = lost.join('；');
  form.querySelector('[aria-invalid]')?.focus();
}

/** A message line (role=status, or alert for *error*). */
export function message(text, error = false) {
  return el('p', { class: error ? 'admin-error' : 'admin-ok', role: error ? 'alert' : 'status', text });
}

/** A snapshot value as short text: pairs in the page's language, lists joined, objects as JSON. */
export function show(value) {
  if (value === null || value === undefined || value === '') return s('empty');
  if (typeof value === 'boolean') return value ? '✓' : '✗';
  if (Array.isArray(value)) return value.length ? value.map(show).join('、') : s('empty');
  if (typeof value === 'object') {
    if ('zh' in value || 'en' in value) return pair(value) || s('empty');
    return JSON.stringify(value);
  }
  return String(value);
}

/** A time as local date and minutes. */
export function when(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' });
}

/** A table of fields changed: field, before, after — as staff read them when *labels* (the server's
 * readable labels of this object's fields, {field: {label, before, after}} with {zh, en} each) has them. */
export function changeTable(fields, labels = {}) {
  return el('table', { class: 'admin-table admin-changes' },
    el('thead', {}, el('tr', {}, el('th', { text: s('field') }), el('th', { text: s('before') }), el('th', { text: s('after') }))),
    el('tbody', {}, Object.entries(fields).map(([name, change]) => {
      const label = labels[name];
      return el('tr', { 'data-change': name },
        el('th', { scope: 'row', text: label ? pair(label.label) : name }),
        el('td', { text: label ? pair(label.before) : show(change.before) }),
        el('td', { text: label ? pair(label.after) : show(change.after) }));
    })));
}
