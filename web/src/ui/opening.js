// The counters' opening states, as the server computes them (server/catalogue/hours.py: one rule set, in the
// hall's time zone, with its holiday calendar), kept current while the page stays open: the hall document
// says when the states may next change (opening.changes_at); just after that moment — and at least every few
// minutes, since staff may pause a counter, and when a hidden tab shows again — the page asks
// /api/v1/halls/<slug>/states afresh and dispatches STATES_CHANGE. Panel, search, hotspots and the text
// directory all show stateBadge(), so they say the same thing.
import { STATES_CHANGE } from '../events.js';
import { pick } from '../i18n.js';
import { el } from './dom.js';

const MAX_WAIT_MS = 5 * 60 * 1000; // ask at least this often (a counter paused by the staff)
const AFTER_MS = 1000; // ask this long after the change, so that the server's clock has passed it too
const SERVING = new Set(['open']); // server/vocabulary.py SERVING_STATES

export class Opening extends EventTarget {
  constructor(hall) {
    super();
    this.hall = hall;
    this.byNumber = new Map(hall.counters.map((c) => [c.number, c]));
    this.hallState = hall.opening?.hall ?? null; // the hall's own doors (its hours and calendar)
    this.changesAt = hall.opening?.changes_at ?? null;
    this.url = hall.opening?.url ?? `/api/v1/halls/${hall.slug}/states`;
    this.timer = 0;
    this._onVisible = () => { if (document.visibilityState === 'visible') this.refresh(); };
  }

  init() {
    this.schedule();
    document.addEventListener('visibilitychange', this._onVisible);
  }

  destroy() {
    clearTimeout(this.timer);
    document.removeEventListener('visibilitychange', this._onVisible);
  }

  /** The state of counter *number* ({code, label, next_open, …}), or null. */
  state(number) {
    return this.byNumber.get(number)?.state ?? null;
  }

  schedule() {
    clearTimeout(this.timer);
    const due = this.changesAt ? Date.parse(this.changesAt) - Date.now() + AFTER_MS : MAX_WAIT_MS;
    this.timer = setTimeout(() => this.refresh(), Math.max(AFTER_MS, Math.min(due, MAX_WAIT_MS)));
  }

  async refresh() {
    try {
      // no-cache: revalidate (ETag) rather than trust a copy kept by the HTTP cache's own clock.
      const response = await fetch(this.url, { cache: 'no-cache', headers: { Accept: 'application/json' } });
      if (response.ok) this.apply(await response.json());
    } catch {
      // offline for a moment: keep what we have and ask again later
    } finally {
      this.schedule();
    }
  }

  /** Take the server's *answer* ({changes_at, hall_state, counters: {number: state}}); tell listeners when any
   * changed. */
  apply(answer) {
    let changed = false;
    if (answer.hall_state && JSON.stringify(answer.hall_state) !== JSON.stringify(this.hallState)) {
      this.hallState = answer.hall_state;
      changed = true;
    }
    for (const [number, state] of Object.entries(answer.counters || {})) {
      const counter = this.byNumber.get(number);
      if (!counter || JSON.stringify(counter.state) === JSON.stringify(state)) continue;
      counter.state = state;
      changed = true;
    }
    this.changesAt = answer.changes_at ?? null;
    if (changed) this.dispatchEvent(new CustomEvent(STATES_CHANGE));
  }
}

/** Today's weekday key (mon … sun) in the hall's time zone, whatever the device's zone. */
export function hallWeekday(hall, now = new Date()) {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: hall.time_zone || 'Asia/Shanghai', weekday: 'short' }).format(now);
  return name.slice(0, 3).toLowerCase();
}

/** Whether *state* is one in which the counter serves people. */
export function serving(state) {
  return Boolean(state && SERVING.has(state.code));
}

/** The state of a counter as a badge: its full label (正在办公（至 12:00）), classed by state. */
export function stateBadge(state, extraClass = '') {
  if (!state) return null;
  return el('span', {
    class: `status state ${serving(state) ? 'is-open' : 'is-closed'} ${extraClass}`.trim(),
    'data-state': state.code,
    text: pick(state.label),
  });
}
