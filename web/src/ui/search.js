// One search box (“我要办…”): results as you type from /api/v1/search; a service lists its counters with
// their status and a “带我去” (take me there) button each.
import { ROUTE_REQUEST, SEARCH_SELECT } from '../events.js';
import { pick, statusLabel, t } from '../i18n.js';
import { el, getJSON } from './dom.js';

const DELAY_MS = 150;

export class Search extends EventTarget {
  constructor(input, results, hall) {
    super();
    this.input = input;
    this.results = results;
    this.hall = hall;
    this.timer = 0;
    this.abort = null;
    this._onInput = this.onInput.bind(this);
    this._onClick = this.onClick.bind(this);
    this._onKey = this.onKey.bind(this);
  }

  init() {
    this.input.addEventListener('input', this._onInput);
    this.input.addEventListener('keydown', this._onKey);
    this.results.addEventListener('click', this._onClick);
  }

  destroy() {
    clearTimeout(this.timer);
    this.abort?.abort();
    this.input.removeEventListener('input', this._onInput);
    this.input.removeEventListener('keydown', this._onKey);
    this.results.removeEventListener('click', this._onClick);
  }

  onInput() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(this.input.value.trim()), DELAY_MS);
  }

  onKey(event) {
    if (event.key === 'Escape') this.hide();
    if (event.key === 'Enter') { clearTimeout(this.timer); this.run(this.input.value.trim()); }
  }

  hide() {
    this.results.hidden = true;
    this.results.replaceChildren();
  }

  async run(query) {
    this.abort?.abort();
    if (!query) { this.hide(); return; }
    this.abort = new AbortController();
    try {
      const url = `/api/v1/search?q=${encodeURIComponent(query)}&hall=${encodeURIComponent(this.hall.slug)}`;
      this.render(await getJSON(url, this.abort.signal));
    } catch (error) {
      if (error.name !== 'AbortError') this.show([el('p', { class: 'empty', text: t('loadFailed') })]);
    }
  }

  show(children) {
    this.results.replaceChildren(...children);
    this.results.hidden = false;
  }

  render(answer) {
    const services = answer.services.filter((s) => s.available_here !== false);
    if (!services.length && !answer.counters.length) {
      this.show([el('p', { class: 'empty', text: t('noResults') })]);
      return;
    }
    const parts = [];
    if (services.length) {
      parts.push(el('h3', { text: t('searchServices') }), el('ul', { class: 'result-services' }, services.map((s) => el('li', {},
        el('button', { type: 'button', class: 'result-service', 'data-service': s.id, text: pick(s.name) }),
        el('span', { class: 'result-dept', text: pick(s.department?.name) }),
        el('ul', { class: 'result-counters' }, (s.counters || []).filter((c) => c.hall === this.hall.slug).map((c) => el('li', {},
          el('button', { type: 'button', class: 'counter-chip', 'data-counter': c.number, text: `${c.number} ${pick(c.name)}` }),
          el('span', { class: `status ${c.status === 'open' ? 'is-open' : 'is-closed'}`, 'data-status': c.status, text: statusLabel(c.status) }),
          el('button', { type: 'button', class: 'take-me', 'data-take-me': `counter:${c.number}`, text: t('takeMeThere') }))))))));
    }
    const counters = (answer.counters || []).filter((c) => !c.hall || c.hall === this.hall.slug);
    if (counters.length) {
      parts.push(el('h3', { text: t('searchCounters') }), el('ul', { class: 'result-counter-list' }, counters.map((c) => el('li', {},
        el('button', { type: 'button', class: 'counter-chip', 'data-counter': c.number, text: `${c.number} ${pick(c.name)}` })))));
    }
    this.show(parts);
  }

  onClick(event) {
    const button = event.target.closest('button');
    if (!button) return;
    const { service, counter, takeMe } = button.dataset;
    const counterOf = button.closest('li')?.querySelector('[data-counter]')?.dataset.counter;
    if (takeMe) this.dispatchEvent(new CustomEvent(ROUTE_REQUEST, { detail: { target: takeMe } }));
    else if (service) this.dispatchEvent(new CustomEvent(SEARCH_SELECT, { detail: { service, counter: counterOf || null } }));
    else if (counter) this.dispatchEvent(new CustomEvent(SEARCH_SELECT, { detail: { counter } }));
    this.hide();
  }
}
