// One search box (“我要办…”): results as you type from /api/v1/search; a service lists its counters with
// their floor, status and a “带我去” (take me there) button each; facilities (厕所, 母婴室 …) come with their
// symbol, floor and 带我去, and open the facility's panel.
import { ROUTE_REQUEST, SEARCH_SELECT } from '../events.js';
import { floorName, pick, statusLabel, t } from '../i18n.js';
import { el, facilitySymbol, getJSON } from './dom.js';

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
    const counters = (answer.counters || []).filter((c) => !c.hall || c.hall === this.hall.slug);
    const facilities = (answer.facilities || []).filter((f) => f.hall === this.hall.slug);
    if (!services.length && !counters.length && !facilities.length) {
      this.show([el('p', { class: 'empty', text: t('noResults') })]);
      return;
    }
    const floor = (level) => el('span', { class: 'result-floor', 'data-floor': level, text: floorName(this.hall, level) });
    const sections = [];
    if (services.length) {
      sections.push({ score: services[0].score, parts: [el('h3', { text: t('searchServices') }), el('ul', { class: 'result-services' }, services.map((s) => el('li', {},
        el('button', { type: 'button', class: 'result-service', 'data-service': s.id, text: pick(s.name) }),
        el('span', { class: 'result-dept', text: pick(s.department?.name) }),
        el('ul', { class: 'result-counters' }, (s.counters || []).filter((c) => c.hall === this.hall.slug).map((c) => el('li', {},
          el('button', { type: 'button', class: 'counter-chip', 'data-counter': c.number, text: `${c.number} ${pick(c.name)}` }),
          floor(c.floor),
          el('span', { class: `status ${c.status === 'open' ? 'is-open' : 'is-closed'}`, 'data-status': c.status, text: statusLabel(c.status) }),
          el('button', { type: 'button', class: 'take-me', 'data-take-me': `counter:${c.number}`, text: t('takeMeThere') }))))))) ] });
    }
    // A facility asked for by its everyday word (厕所, WC) comes before services that merely share it.
    if (facilities.length) {
      sections.push({ score: facilities[0].score, parts: [el('h3', { text: t('searchFacilities') }), el('ul', { class: 'result-facilities' }, facilities.map((f) => el('li', { 'data-type': f.type },
        facilitySymbol(f.type),
        el('button', { type: 'button', class: 'result-facility', 'data-facility': f.id, text: pick(f.name) }),
        floor(f.floor),
        el('button', { type: 'button', class: 'take-me', 'data-take-me': `facility:${f.id}`, text: t('takeMeThere') }))))] });
    }
    sections.sort((a, b) => b.score - a.score);
    const parts = sections.flatMap((section) => section.parts);
    if (counters.length) {
      parts.push(el('h3', { text: t('searchCounters') }), el('ul', { class: 'result-counter-list' }, counters.map((c) => el('li', {},
        el('button', { type: 'button', class: 'counter-chip', 'data-counter': c.number, text: `${c.number} ${pick(c.name)}` }),
        floor(c.floor)))));
    }
    this.show(parts);
  }

  onClick(event) {
    const button = event.target.closest('button');
    if (!button) return;
    const { service, counter, facility, takeMe } = button.dataset;
    const counterOf = button.closest('li')?.querySelector('[data-counter]')?.dataset.counter;
    if (takeMe) this.dispatchEvent(new CustomEvent(ROUTE_REQUEST, { detail: { target: takeMe } }));
    else if (service) this.dispatchEvent(new CustomEvent(SEARCH_SELECT, { detail: { service, counter: counterOf || null } }));
    else if (counter) this.dispatchEvent(new CustomEvent(SEARCH_SELECT, { detail: { counter } }));
    else if (facility) this.dispatchEvent(new CustomEvent(SEARCH_SELECT, { detail: { facility } }));
    this.hide();
  }
}
