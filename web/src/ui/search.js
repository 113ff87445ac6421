// One search box (“我要办…”) as a WAI-ARIA combobox with a grid popup: results as you type from
// /api/v1/search. A service says where to go: its best counter in this hall (floor, state, 综合受理 marked)
// with one “带我去”, and the other counters named after it — states kept current while the list is open, by
// restate() on opening.js's STATES_CHANGE; facilities (厕所, 母婴室 …) come with their symbol,
// floor and 带我去. The first results are shown, the rest behind “更多…” (expanded in place).
// Keys: ↓/↑ move between result rows, ←/→ between a row's buttons, Enter presses the active one, Esc and
// a click outside close the list. DOM focus stays in the input; aria-activedescendant names the active cell.
import { ROUTE_REQUEST, SEARCH_SELECT } from '../events.js';
import { floorName, pick, statusLabel, t } from '../i18n.js';
import { el, facilitySymbol, getJSON } from './dom.js';
import { stateBadge } from './opening.js';

const DELAY_MS = 150;
const SHOWN = 5; // services shown before “更多…”
const OTHER_COUNTERS = 3; // other counters named after the best one

export class Search extends EventTarget {
  constructor(input, results, hall, { stateOf = () => null } = {}) {
    super();
    // number → the counter's live opening state (opening.js), shown as in the panel; the answer's own state
    // (the same rule, at the moment of the search) where the page has none.
    this.liveState = stateOf;
    this.input = input;
    this.results = results;
    this.hall = hall;
    this.timer = 0;
    this.abort = null;
    this.answer = null;
    this.expanded = false;
    this.rows = [];
    this.active = null; // { row, col }
    this._onInput = this.onInput.bind(this);
    this._onClick = this.onClick.bind(this);
    this._onKey = this.onKey.bind(this);
    this._onOutside = this.onOutside.bind(this);
  }

  init() {
    this.input.setAttribute('role', 'combobox');
    this.input.setAttribute('aria-expanded', 'false');
    this.input.setAttribute('aria-haspopup', 'grid');
    this.input.setAttribute('aria-autocomplete', 'list');
    this.input.setAttribute('aria-controls', this.results.id);
    this.results.setAttribute('role', 'grid');
    this.results.setAttribute('aria-label', t('searchLabel'));
    this.input.addEventListener('input', this._onInput);
    this.input.addEventListener('keydown', this._onKey);
    this.results.addEventListener('click', this._onClick);
    document.addEventListener('pointerdown', this._onOutside);
  }

  destroy() {
    clearTimeout(this.timer);
    this.abort?.abort();
    this.input.removeEventListener('input', this._onInput);
    this.input.removeEventListener('keydown', this._onKey);
    this.results.removeEventListener('click', this._onClick);
    document.removeEventListener('pointerdown', this._onOutside);
  }

  onInput() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(this.input.value.trim()), DELAY_MS);
  }

  onOutside(event) {
    if (this.results.hidden) return;
    if (event.target === this.input || this.results.contains(event.target)) return;
    this.hide();
  }

  onKey(event) {
    const open = !this.results.hidden;
    const moves = { ArrowDown: [1, 0], ArrowUp: [-1, 0], ArrowRight: [0, 1], ArrowLeft: [0, -1] };
    if (event.key === 'Escape') {
      if (open) { event.preventDefault(); this.hide(); }
      return;
    }
    if (event.key in moves) {
      const [down, right] = moves[event.key];
      if (right && !this.active) return; // ←/→ move the caret until a row is active
      if (!open) {
        if (down > 0 && this.answer) { event.preventDefault(); this.render(this.answer); this.move(1, 0); }
        return;
      }
      event.preventDefault();
      this.move(down, right);
      return;
    }
    if (event.key === 'Enter') {
      event.preventDefault();
      const cell = this.activeCell();
      if (open && cell) cell.querySelector('button')?.click();
      else { clearTimeout(this.timer); this.run(this.input.value.trim()); }
    }
  }

  /** Make another cell active: *down* rows (wrapping, none = the input itself), *right* cells in the row. */
  move(down, right) {
    if (!this.rows.length) return;
    let { row = -1, col = 0 } = this.active || {};
    if (down) {
      row += down;
      if (row < -1) row = this.rows.length - 1;
      if (row >= this.rows.length) row = -1;
    }
    if (row === -1) { this.setActive(null); return; }
    const cells = this.cells(row);
    col = Math.max(0, Math.min(cells.length - 1, right ? col + right : Math.min(col, cells.length - 1)));
    this.setActive({ row, col });
  }

  cells(row) {
    return [...this.rows[row].querySelectorAll('[role=gridcell]')];
  }

  activeCell() {
    return this.active ? this.cells(this.active.row)[this.active.col] : null;
  }

  setActive(active) {
    this.activeCell()?.classList.remove('is-active');
    this.activeCell()?.removeAttribute('aria-selected');
    this.active = active;
    const cell = this.activeCell();
    if (!cell) { this.input.removeAttribute('aria-activedescendant'); return; }
    cell.classList.add('is-active');
    cell.setAttribute('aria-selected', 'true');
    this.input.setAttribute('aria-activedescendant', cell.id);
    cell.closest('[role=row]')?.scrollIntoView?.({ block: 'nearest' });
  }

  /** A counter's state as the page knows it now (opening.js), else as the search answered it. */
  stateOf(counter) {
    return this.liveState(counter.number) ?? counter.state ?? null;
  }

  /** The counters' states changed (opening.js, at their changes_at): the list on screen says so in place,
   * the active cell and “更多…” kept. */
  restate() {
    if (this.results.hidden || !this.answer) return;
    const active = this.active;
    this.render(this.answer);
    if (active && active.row < this.rows.length) this.setActive(active);
  }

  /** Empty the box and forget the question and its answer (a search under way is dropped). */
  clear() {
    clearTimeout(this.timer);
    this.abort?.abort();
    this.input.value = '';
    this.answer = null;
    this.expanded = false;
    this.hide();
  }

  hide() {
    this.setActive(null);
    this.results.hidden = true;
    this.results.replaceChildren();
    this.rows = [];
    this.input.setAttribute('aria-expanded', 'false');
  }

  async run(query) {
    this.abort?.abort();
    if (!query) { this.answer = null; this.hide(); return; }
    this.abort = new AbortController();
    try {
      const url = `/api/v1/search?q=${encodeURIComponent(query)}&hall=${encodeURIComponent(this.hall.slug)}`;
      this.expanded = false;
      this.render(await getJSON(url, this.abort.signal));
    } catch (error) {
      if (error.name !== 'AbortError') this.show([el('p', { class: 'empty', role: 'row' }, el('span', { role: 'gridcell', text: t('loadFailed') }))]);
    }
  }

  show(children) {
    this.setActive(null);
    this.results.replaceChildren(...children);
    this.results.hidden = false;
    this.input.setAttribute('aria-expanded', 'true');
    this.rows = [...this.results.querySelectorAll('[role=row]')].filter((row) => row.querySelector('[role=gridcell] button'));
  }

  /** A grid cell holding one button; ids let aria-activedescendant point at it. */
  cell(button, extra = []) {
    this.cellCount = (this.cellCount || 0) + 1;
    button.tabIndex = -1; // the input keeps focus; the grid is walked with the arrow keys
    return el('div', { role: 'gridcell', class: 'result-cell', id: `search-cell-${this.cellCount}` }, button, ...extra);
  }

  render(answer) {
    this.answer = answer;
    const services = answer.services.filter((s) => s.available_here !== false);
    const counters = (answer.counters || []).filter((c) => !c.hall || c.hall === this.hall.slug);
    const facilities = (answer.facilities || []).filter((f) => f.hall === this.hall.slug);
    if (!services.length && !counters.length && !facilities.length) {
      this.show([el('p', { class: 'empty', role: 'row' }, el('span', { role: 'gridcell', text: t('noResults') }))]);
      return;
    }
    const floor = (level) => el('span', { class: 'result-floor', 'data-floor': level, text: floorName(this.hall, level) });
    const group = (label, cls, rows) => [
      el('h3', { 'aria-hidden': 'true', text: label }),
      el('ul', { class: cls, role: 'rowgroup', 'aria-label': label }, rows),
    ];
    const sections = [];
    if (services.length) {
      const shown = this.expanded ? services : services.slice(0, SHOWN);
      const rows = shown.map((s) => this.serviceRow(s, floor));
      if (shown.length < services.length) {
        rows.push(el('li', { role: 'row', class: 'result-more' }, this.cell(el('button', {
          type: 'button', class: 'more', 'data-more': 'services', text: t('searchMore', { n: services.length - shown.length }),
        }))));
      }
      sections.push({ score: services[0].score, parts: group(t('searchServices'), 'result-services', rows) });
    }
    // A facility asked for by its everyday word (厕所, WC) comes before services that merely share it.
    if (facilities.length) {
      sections.push({ score: facilities[0].score, parts: group(t('searchFacilities'), 'result-facilities', facilities.map((f) => el('li', { role: 'row', 'data-type': f.type },
        this.cell(el('button', { type: 'button', class: 'result-facility', 'data-facility': f.id, text: pick(f.name) }), [facilitySymbol(f.type), floor(f.floor)]),
        this.cell(el('button', { type: 'button', class: 'take-me', 'data-take-me': `facility:${f.id}`, text: t('takeMeThere') }))))) });
    }
    sections.sort((a, b) => b.score - a.score);
    const parts = sections.flatMap((section) => section.parts);
    if (counters.length) {
      parts.push(...group(t('searchCounters'), 'result-counter-list', counters.map((c) => el('li', { role: 'row' },
        this.cell(el('button', { type: 'button', class: 'counter-chip', 'data-counter': c.number, text: `${c.number} ${pick(c.name)}` }), [floor(c.floor), stateBadge(this.stateOf(c))])))));
    }
    this.show(parts);
  }

  /** A service and where to do it: the best counter here with floor and state, one 带我去, the others named. */
  serviceRow(s, floor) {
    const here = (s.counters || []).filter((c) => c.hall === this.hall.slug);
    const best = here[0];
    const name = this.cell(el('button', { type: 'button', class: 'result-service', 'data-service': s.id, 'data-counter-of': best?.number, text: pick(s.name) }), [
      el('span', { class: 'result-dept', text: pick(s.department?.name) }),
      best ? el('span', { class: 'result-where', 'data-best-counter': best.number },
        el('span', { class: 'result-counter', text: `${best.number} ${pick(best.name)}` }),
        best.general ? el('span', { class: 'one-stop', text: t('oneStop') }) : null,
        floor(best.floor),
        stateBadge(this.stateOf(best))
          || el('span', { class: `status ${best.status === 'open' ? 'is-open' : 'is-closed'}`, 'data-status': best.status, text: statusLabel(best.status) })) : null,
      here.length > 1 ? el('span', { class: 'result-also', text: t('alsoAt', {
        list: here.slice(1, 1 + OTHER_COUNTERS).map((c) => (c.general ? t('oneStopCounter', { n: c.number }) : c.number)).join(t('listSep'))
          + (here.length > 1 + OTHER_COUNTERS ? t('andMore', { n: here.length - 1 - OTHER_COUNTERS }) : ''),
      }) }) : null,
    ]);
    const take = best ? this.cell(el('button', { type: 'button', class: 'take-me', 'data-take-me': `counter:${best.number}`, text: t('takeMeThere') })) : null;
    return el('li', { role: 'row' }, name, take);
  }

  onClick(event) {
    const button = event.target.closest('button');
    if (!button) return;
    const { service, counter, facility, takeMe, more, counterOf } = button.dataset;
    if (more) { this.expand(); return; }
    if (takeMe) this.dispatchEvent(new CustomEvent(ROUTE_REQUEST, { detail: { target: takeMe } }));
    else if (service) this.dispatchEvent(new CustomEvent(SEARCH_SELECT, { detail: { service, counter: counterOf || null } }));
    else if (counter) this.dispatchEvent(new CustomEvent(SEARCH_SELECT, { detail: { counter } }));
    else if (facility) this.dispatchEvent(new CustomEvent(SEARCH_SELECT, { detail: { facility } }));
    this.hide();
  }

  /** “更多…”: every service in place, the active row on the first one that was hidden. */
  expand() {
    const first = this.rows.findIndex((row) => row.classList.contains('result-more'));
    this.expanded = true;
    this.render(this.answer);
    if (first >= 0) this.setActive({ row: first, col: 0 });
    this.input.focus();
  }
}
