// A week of opening hours as one text field per weekday (“08:00-12:00, 15:00-18:00”), read back into the
// snapshot form ({mon: [["08:00", "12:00"], …], note}); the server checks it and names the day at fault.
import { el } from '../ui/dom.js';
import { WEEKDAYS } from '../generated/vocabulary.js';
import { field } from './common.js';
import { pair, s } from './strings.js';

const DAYS = WEEKDAYS;

export function spansText(spans) {
  return (spans || []).map(([a, b]) => `${a}-${b}`).join(', ');
}

export function parseSpans(text) {
  return text.split(/[,，;；]/).map((part) => part.trim()).filter(Boolean)
    .map((part) => part.split(/\s*[-–~—]\s*/).slice(0, 2));
}

/** The weekday inputs of *schedule* under path *path*; ``read()`` gives the schedule back. */
export function weekEditor(path, schedule, presets = {}) {
  const inputs = {};
  const rows = DAYS.map((day) => {
    const input = el('input', { type: 'text', inputmode: 'numeric', value: spansText(schedule?.[day]), 'data-day': day });
    inputs[day] = input;
    return field(s(`day_${day}`), input, `${path}.${day}`);
  });
  const node = el('fieldset', { class: 'admin-week', 'data-field': path },
    el('legend', { text: s('hours') }), el('p', { class: 'admin-help', text: s('hoursHelp') }), rows,
    el('p', { class: 'admin-field-problem', role: 'alert', hidden: true }));
  const names = Object.keys(presets);
  if (names.length) {
    const choose = el('select', {}, el('option', { value: '', text: '—' }), names.map((n) => el('option', { value: n, text: pair(presets[n].note) || n })));
    choose.addEventListener('change', () => {
      const preset = presets[choose.value];
      if (preset) for (const day of DAYS) inputs[day].value = spansText(preset[day]);
    });
    node.append(field(s('preset'), choose, `${path}.preset`));
  }
  const keep = schedule ? Object.fromEntries(Object.entries(schedule).filter(([k]) => !DAYS.includes(k))) : {};
  return {
    node,
    read() {
      const out = { ...keep };
      for (const day of DAYS) {
        const spans = parseSpans(inputs[day].value);
        if (spans.length) out[day] = spans;
      }
      return out;
    },
  };
}
