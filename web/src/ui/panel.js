// The side panel: a counter (number, name, floor, department, its opening state now and the whole week's
// hours, services), a facility
// (name, floor, description, hours, 带我去), a service's plain-language guide, or a route's numbered steps.
// A counter or facility on another floor than the citizen's says so. Text goes in through textContent only.
// A service guide can be taken along: printed (tour.css @media print lays it out on one A4 page: checklist with
// boxes, counters with floor and hours, the QR code) or shared (Web Share API, else the link copied).
import { PANEL_CHANGE, ROUTE_REQUEST, STATES_CHANGE } from '../events.js';
import { facilityType, floorName, getLang, pick, plural, statusLabel, t } from '../i18n.js';
import { WEEKDAYS } from '../generated/vocabulary.js';
import { linkHref } from './addresses.js';
import { el, facilitySymbol, getJSON } from './dom.js';
import { guideText } from './guideText.js';
import { hallWeekday, stateBadge } from './opening.js';

const NARROW = '(max-width: 700px)';
const HALL = '@hall'; // the hall's own state in stateOf (no counter number can look like it)
const ACCESS_KINDS = ['bus', 'metro', 'parking'];

export class Panel extends EventTarget {
  constructor(element, hall, { returnFocus = null, here = () => null, opening = null } = {}) {
    super();
    this.opening = opening; // the counters' live opening states (opening.js), or null
    this.element = element;
    this.returnFocus = returnFocus; // () => the element that gets the focus when the panel closes with it
    this.here = here; // () => the floor level the citizen is on (the current scene's), or null
    this.hall = hall;
    this.state = { counter: null, service: null, facility: null, hall: false };
    this.abort = null;
    this._onClick = this.onClick.bind(this);
    this._onKey = this.onKey.bind(this);
    this._onStates = this.onStates.bind(this);
  }

  init() {
    this.element.addEventListener('click', this._onClick);
    this.element.addEventListener('keydown', this._onKey);
    this.opening?.addEventListener(STATES_CHANGE, this._onStates);
  }

  destroy() {
    this.element.removeEventListener('click', this._onClick);
    this.element.removeEventListener('keydown', this._onKey);
    this.opening?.removeEventListener(STATES_CHANGE, this._onStates);
    this.abort?.abort();
    speechSynthesis?.cancel?.();
  }

  /** Show *children* under a title, with close and read-aloud buttons (and back when *back*). */
  show(title, children, { back = null } = {}) {
    const tools = el('div', { class: 'panel-tools' },
      back ? el('button', { type: 'button', class: 'panel-back', 'data-action': 'back', text: `← ${t('back')}` }) : null,
      'speechSynthesis' in window ? el('button', { type: 'button', class: 'read-aloud', 'data-action': 'read', text: t('readAloud') }) : null,
      el('button', { type: 'button', class: 'panel-close', 'data-action': 'close', 'aria-label': t('close'), text: '×' }));
    this.backTo = back;
    if (this.reading) this.stopReading(); // new content: what was being read is gone
    const hadFocus = this.element.contains(document.activeElement);
    // The tools come last for the keyboard and screen readers (content first) but are shown on top (CSS order).
    this.element.replaceChildren(el('h2', { id: 'panel-title', text: title }), el('div', { class: 'panel-body' }, children), tools);
    this.element.hidden = false;
    this.element.scrollTop = 0;
    if (hadFocus && !this.element.contains(document.activeElement)) this.element.focus(); // keep keyboard users here
  }

  loading() {
    this.show(t('loading'), []);
  }

  /** Say what went wrong: a place or service that does not exist (a stale or mistyped link) by name, else 加载失败. */
  failed(error, { notFound = null } = {}) {
    if (error.status === 404 && notFound) this.show(notFound, [el('p', { class: 'not-found', text: t('notFoundHint') })]);
    else this.show(t('loadFailed'), [el('p', { text: String(error.message || error) })]);
  }

  async fetch(url) {
    this.abort?.abort();
    this.abort = new AbortController();
    return getJSON(url, this.abort.signal);
  }

  emit() {
    this.dispatchEvent(new CustomEvent(PANEL_CHANGE, { detail: { ...this.state } }));
  }

  /** Open counter *number* of this hall. */
  async openCounter(number, { silent = false } = {}) {
    this.state = { counter: number, service: null, facility: null };
    if (!silent) this.emit();
    this.loading();
    try {
      const counter = await this.fetch(`/api/v1/halls/${this.hall.slug}/counters/${encodeURIComponent(number)}`);
      this.renderCounter(counter);
    } catch (error) {
      if (error.name !== 'AbortError') this.failed(error, { notFound: t('counterNotFound', { n: number }) });
    }
  }

  /** The state of counter *number* (or of the hall, HALL) now: the page's live one, else the API's (*fallback*). */
  stateOf(number, fallback = null) {
    if (number === HALL) return this.opening?.hallState || this.hall.opening?.hall || fallback;
    return this.opening?.state(number) || fallback;
  }

  /** The states changed while the page stayed open: the badges shown follow. */
  onStates() {
    for (const badge of this.element.querySelectorAll('[data-state-of]')) {
      const fresh = stateBadge(this.stateOf(badge.dataset.stateOf), badge.classList.contains('panel-state') ? 'panel-state' : '');
      if (!fresh) continue;
      fresh.dataset.stateOf = badge.dataset.stateOf;
      badge.replaceWith(fresh);
    }
  }

  /** The week of *hours* (mon … sun), today's row marked; *day* is the calendar's word on today. */
  week(hours, day) {
    const today = hallWeekday(this.hall);
    const rows = WEEKDAYS.map((wd) => el('tr', { class: wd === today ? 'is-today' : '', 'data-day': wd },
      el('th', { scope: 'row', text: t(`wd_${wd}`) }),
      el('td', { text: (hours?.[wd] || []).map((span) => span.join('–')).join('  ') || t('dayClosed') })));
    const note = day ? t(day.kind === 'holiday' ? 'todayHoliday' : 'todayWorkday', { name: pick(day.name) }) : '';
    return [
      el('table', { class: 'week-table' }, el('caption', { text: t('weekTable') }), el('tbody', {}, rows)),
      note ? el('p', { class: 'calendar-note', 'data-kind': day.kind, text: note }) : null,
      hours?.note ? el('p', { class: 'note hours-note', text: pick(hours.note) }) : null,
    ];
  }

  renderCounter(counter) {
    const state = this.stateOf(counter.number, counter.state);
    const badge = stateBadge(state, 'panel-state');
    if (badge) badge.dataset.stateOf = counter.number;
    const services = counter.services.length
      ? el('ul', { class: 'service-list' }, counter.services.map((s) =>
        el('li', {}, el('button', { type: 'button', class: 'service-link', 'data-service': s.id, text: pick(s.name) }))))
      : el('p', { text: t('noServices') });
    this.show(`${counter.number} ${pick(counter.name)}`, [
      this.floorLine(counter.floor),
      el('p', { class: 'panel-dept' }, el('span', { class: 'label', text: t('department') + t('colon') }), pick(counter.department?.name)),
      el('p', { class: 'state-line', 'data-status': counter.status }, badge),
      // The staff's word to citizens while the counter is paused or closed (系统升级，暂停至 14:00), as text.
      counter.notice && counter.status !== 'open' ? el('p', { class: 'status-notice', role: 'status', text: pick(counter.notice) }) : null,
      ...this.week(counter.hours, state?.day),
      counter.low_counter ? el('p', { class: 'low-counter', text: `♿ ${t('lowCounter')}` }) : null,
      el('button', { type: 'button', class: 'primary take-me', 'data-take-me': `counter:${counter.number}`, text: `${t('takeMeThere')} ${counter.number}` }),
      el('h3', { text: t('services') }),
      services,
    ]);
  }

  /** Open service *id*'s plain-language guide (from counter *counter*, for the back button). */
  async openService(id, { counter = this.state.counter, silent = false } = {}) {
    this.state = { counter, service: id, facility: null };
    if (!silent) this.emit();
    this.loading();
    try {
      this.renderService(await this.fetch(`/api/v1/services/${encodeURIComponent(id)}`));
    } catch (error) {
      if (error.name !== 'AbortError') this.failed(error, { notFound: t('serviceNotFound', { id }) });
    }
  }

  renderService(service) {
    const guide = service.guide || {};
    const here = (service.counters || []).filter((c) => !c.hall || c.hall === this.hall.slug);
    // The way to the best counter here (an open one first) is the guide's first stop for the keyboard.
    const best = here.find((c) => c.status === 'open') || here[0];
    const parts = [el('p', { class: 'print-only print-from', text: t('printFrom', { hall: pick(this.hall.name) }) }),
      el('p', { class: 'panel-dept', text: pick(service.department?.name) }),
      best ? el('button', { type: 'button', class: 'primary take-me guide-take-me', 'data-take-me': `counter:${best.number}`, text: `${t('takeMeThere')} ${best.number}` }) : null];
    // The summary is the guide's Markdown subset, rendered from the server's token tree as text nodes (guideText.js).
    if (guide.summary) parts.push(el('h3', { text: t('summary') }), guideText(pick(guide.summary_doc), pick(guide.summary), 'summary'));
    const pc = linkHref(service.online?.pc);
    const mobile = linkHref(service.online?.mobile);
    const online = window.matchMedia(NARROW).matches ? mobile || pc : pc || mobile;
    const appointment = service.appointment?.supported ? linkHref(service.appointment.url) : null;
    const actions = el('div', { class: 'actions' },
      online ? el('a', { class: 'primary apply-online', href: online, target: '_blank', rel: 'noopener', text: t('applyOnline') }) : null,
      appointment ? el('a', { class: 'secondary appointment', href: appointment, target: '_blank', rel: 'noopener', text: t('appointment') }) : null);
    actions.append(
      el('button', { type: 'button', class: 'secondary print-guide', 'data-action': 'print', text: t('print') }),
      el('button', { type: 'button', class: 'secondary share-guide', 'data-action': 'share', text: t('share') }));
    parts.push(actions, el('p', { class: 'share-status', role: 'status' }));
    // An address the server would not give as a link (or that fails here) is shown as text, never as a link.
    const unlinked = online ? null : Object.values(service.online?.unlinked || {})[0] || service.online?.pc || service.online?.mobile;
    if (unlinked) parts.push(el('p', { class: 'online-text', text: `${t('onlineAddress')}${t('colon')}${unlinked}` }));
    // Scan to carry on on a phone: the QR code of the mobile application address (made by the server).
    if (mobile) {
      parts.push(el('figure', { class: 'qr' },
        el('img', { src: `/api/v1/services/${encodeURIComponent(service.id)}/qr.svg?for=mobile`, alt: t('qrAlt'), width: 132, height: 132 }),
        el('figcaption', { text: t('qrCaption') })));
    }
    // Who can apply (the catalogue's 办理条件): a short list, shown open and printed with the guide.
    if (service.conditions?.length) {
      parts.push(el('h3', { text: t('conditions') }), el('ul', { class: 'conditions' }, service.conditions.map((c) => el('li', { text: pick(c) }))));
    }
    // The plain-language steps; the catalogue's official process only where the guide has none (not two lists of the same).
    if (guide.steps?.length) parts.push(el('h3', { text: t('steps') }), el('ol', { class: 'steps' }, guide.steps.map((s) => el('li', { text: pick(s) }))));
    else if (service.process?.length) {
      parts.push(el('h3', { text: t('process') }), el('ol', { class: 'steps process' }, service.process.map((s) => el('li', {},
        el('strong', { text: pick(s.name) }), t('colon'), pick(s.description)))));
    }
    if (service.materials?.length) {
      parts.push(el('h3', { text: t('materials') }), el('ul', { class: 'checklist' }, service.materials.map((m) => el('li', {},
        el('label', {}, el('input', { type: 'checkbox' }), ' ', pick(m.name),
          m.required ? '' : ` ${t('optional')}`, m.copies ? ` · ${plural(m.copies, 'copy', 'copies')}` : ''),
        m.notes ? el('p', { class: 'note', text: pick(m.notes) }) : null))));
    }
    const limit = service.time_limit || {};
    const promised = limit.promised_days === 0 ? t('onTheSpot') : plural(limit.promised_days, 'day', 'days');
    const limitText = [limit.promised_days != null ? `${t('promised')} ${promised}` : '',
      limit.legal_days != null ? `${t('legal')} ${plural(limit.legal_days, 'day', 'days')}` : ''].filter(Boolean).join(t('listComma'));
    if (limitText) parts.push(el('h3', { text: t('timeLimit') }), el('p', { text: limitText }));
    const fees = service.fees || {};
    parts.push(el('h3', { text: t('fees') }), fees.charged
      ? el('ul', { class: 'fees' }, (fees.items || []).map((f) => el('li', { text: `${pick(f.name)}${t('colon')}${f.amount} ${pick(f.unit)}` })))
      : el('p', { text: t('free') }));
    if (guide.faq?.length) {
      parts.push(el('h3', { class: 'no-print', text: t('faq') }),
        ...guide.faq.map((f) => el('details', { class: 'no-print' }, el('summary', { text: pick(f.q) }), el('p', { text: pick(f.a) }))));
    }
    if (here.length) {
      parts.push(el('h3', { text: t('counters') }), el('ul', { class: 'counter-list' }, here.map((c) => el('li', {},
        el('button', { type: 'button', class: 'counter-link', 'data-counter': c.number, text: `${c.number} ${pick(c.name)}` }),
        el('span', { class: 'counter-floor', text: floorName(this.hall, c.floor) }),
        this.counterBadge(c),
        el('button', { type: 'button', class: 'secondary take-me', 'data-take-me': `counter:${c.number}`, text: t('takeMeThere') }),
        this.weekHours(c.number)))));
    }
    const phones = service.phones || {};
    parts.push(el('h3', { text: t('phones') }), el('p', { class: 'phones' },
      phones.enquiry ? el('a', { href: `tel:${phones.enquiry}`, text: `${t('enquiry')} ${phones.enquiry}` }) : null, ' ',
      el('a', { href: `tel:${phones.complaint || '12345'}`, text: `${t('complaint')} ${phones.complaint || '12345'}` })));
    this.show(pick(service.name), parts, { back: this.state.counter ? 'counter' : null });
  }

  /** The week's hours of this hall's counter *number* (days with the same hours joined: 周一至周五 08:30–12:00). */
  weekHours(number) {
    const schedule = this.hall.counters.find((c) => c.number === number)?.hours;
    if (!schedule || typeof schedule !== 'object') return null;
    const spans = (day) => (schedule[day] || []).map((span) => span.join('–')).join(' ');
    const groups = [];
    for (const day of WEEKDAYS) {
      const text = spans(day);
      const last = groups.at(-1);
      if (text && last && last.text === text && WEEKDAYS.indexOf(last.to) === WEEKDAYS.indexOf(day) - 1) last.to = day;
      else if (text) groups.push({ from: day, to: day, text });
    }
    if (!groups.length) return null;
    const days = (g) => (g.from === g.to ? t(`wd_${g.from}`) : t('dayRange', { from: t(`wd_${g.from}`), to: t(`wd_${g.to}`) }));
    return el('span', { class: 'week-hours' }, el('span', { class: 'label', text: t('weekHours') + t('colon') }),
      groups.map((g) => `${days(g)} ${g.text}`).join(t('hoursSep')));
  }

  /** Share the page's link (it names the open guide): the Web Share API where there is one, else the clipboard,
   * else the link shown selected to copy by hand. */
  async share() {
    const status = this.element.querySelector('.share-status');
    const url = location.href;
    if (navigator.share) {
      try {
        await navigator.share({ title: this.element.querySelector('#panel-title')?.textContent || document.title, url });
        return;
      } catch (error) {
        if (error.name === 'AbortError') return; // the citizen closed the share sheet
      }
    }
    try {
      await navigator.clipboard.writeText(url);
      status.replaceChildren(t('linkCopied'));
    } catch {
      const field = el('input', { type: 'text', readonly: '', value: url, class: 'share-url', 'aria-label': t('shareLink') });
      status.replaceChildren(t('copyLinkManual'), field);
      field.select();
    }
  }

  /** The live state badge of counter *c* of this hall (the service's status word when there is none). */
  counterBadge(c) {
    const badge = stateBadge(this.stateOf(c.number));
    if (!badge) return el('span', { class: `status ${c.status === 'open' ? 'is-open' : 'is-closed'}`, 'data-status': c.status, text: statusLabel(c.status) });
    badge.dataset.stateOf = c.number;
    return badge;
  }

  /** The floor of a place on *level*; on another floor than the citizen's, it says so (在二楼 / on 2F). */
  floorLine(level) {
    const here = this.here();
    const away = here !== null && here !== undefined && here !== level;
    return el('p', { class: `panel-floor${away ? ' is-away' : ''}`, 'data-floor': level },
      el('span', { class: 'label', text: t('floor') + t('colon') }),
      away ? t('otherFloor', { floor: floorName(this.hall, level), here: floorName(this.hall, here) }) : floorName(this.hall, level));
  }

  /** Open the hall's own card: its state now, address, phone, the week's hours with today's calendar word, and how
   * to get there (bus, metro, parking) — all from the hall's data. */
  openHall({ silent = false } = {}) {
    this.abort?.abort();
    this.state = { counter: null, service: null, facility: null, hall: true };
    if (!silent) this.emit();
    const hall = this.hall;
    const state = this.stateOf(HALL);
    const badge = stateBadge(state, 'panel-state');
    if (badge) badge.dataset.stateOf = HALL;
    const access = ACCESS_KINDS.filter((kind) => hall.access?.[kind]);
    this.show(pick(hall.name), [
      el('p', { class: 'state-line hall-state-line' }, el('span', { class: 'label', text: t('hallNow') + t('colon') }), badge),
      el('dl', { class: 'hall-facts' },
        el('dt', { text: t('address') }), el('dd', { class: 'hall-address', text: pick(hall.address) }),
        hall.phone ? el('dt', { text: t('phone') }) : null,
        hall.phone ? el('dd', { class: 'hall-phone' }, el('a', { href: `tel:${hall.phone}`, text: hall.phone })) : null),
      ...this.week(hall.hours, state?.day),
      access.length ? el('h3', { text: t('gettingThere') }) : null,
      access.length ? el('dl', { class: 'hall-access' }, access.flatMap((kind) => [
        el('dt', { text: t(`access_${kind}`) }), el('dd', { 'data-access': kind, text: pick(hall.access[kind]) })])) : null,
    ]);
  }

  /** Open facility *id* of this hall: symbol and name, floor, description, today's hours and 带我去. */
  openFacility(id, { silent = false } = {}) {
    const facility = this.hall.facilities.find((f) => f.id === id);
    this.abort?.abort();
    this.state = { counter: null, service: null, facility: id };
    if (!silent) this.emit();
    if (!facility) {
      this.failed({ status: 404 }, { notFound: t('facilityNotFound', { id }) });
      return;
    }
    const hours = facility.hours && typeof facility.hours === 'object'
      ? (facility.hours[hallWeekday(this.hall)] || []).map((span) => span.join('–')).join('  ') || t('closedToday')
      : t('facilityHallHours');
    this.show(pick(facility.name), [
      el('p', { class: 'panel-type', 'data-type': facility.type },
        facilitySymbol(facility.type), ` ${pick(facilityType(facility.type))}`),
      this.floorLine(facility.floor),
      facility.description ? el('p', { class: 'description', text: pick(facility.description) }) : null,
      el('p', { class: 'hours' }, el('span', { class: 'label', text: t('facilityHours') + t('colon') }), hours),
      el('button', { type: 'button', class: 'primary take-me', 'data-take-me': `facility:${facility.id}`, text: t('takeMeThere') }),
    ]);
  }

  /** Show a route (the API's answer) to the place called *name* as numbered steps. */
  showRoute(name, route) {
    const minutes = Math.max(1, Math.round(route.time_s / 60));
    this.show(`${t('route')} → ${name}`, [
      el('p', { class: 'route-summary', text: t('routeSummary', { m: Math.round(route.length_m), min: minutes }) }),
      el('ol', { class: 'steps route-steps' }, route.steps.map((s) => el('li', { text: pick(s) }))),
    ], { back: this.state.counter ? 'counter' : null });
  }

  close({ silent = false } = {}) {
    const hadFocus = this.element.contains(document.activeElement);
    this.abort?.abort();
    this.element.hidden = true;
    this.element.replaceChildren();
    this.state = { counter: null, service: null, facility: null, hall: false };
    this.stopReading();
    if (!silent) this.emit();
    if (hadFocus) this.returnFocus?.()?.focus();
  }

  /** What read-aloud says: the title and the content, without the labels of buttons and links. */
  readableText() {
    const body = this.element.querySelector('.panel-body')?.cloneNode(true);
    if (!body) return '';
    // Names of counters and services, and links in a guide's text, are content: keep their words, drop the controls.
    for (const name of body.querySelectorAll('.counter-link, .service-link, .summary a')) name.replaceWith(name.textContent);
    for (const control of body.querySelectorAll('button, a, input, figure, [aria-hidden="true"], .print-only, .share-status')) control.remove();
    const pieces = [...body.querySelectorAll('h3, p, li, summary')]
      .filter((node) => !node.querySelector('p, li'))
      .map((node) => node.textContent.replace(/\s+/g, ' ').trim())
      .filter(Boolean);
    return [this.element.querySelector('#panel-title')?.textContent, ...pieces].join(getLang() === 'en' ? '. ' : '。');
  }

  /** Read the panel aloud, or stop when it is reading; its button says which it will do. */
  readAloud() {
    if (this.reading) { this.stopReading(); return; }
    const utterance = new SpeechSynthesisUtterance(this.readableText());
    utterance.lang = getLang() === 'en' ? 'en-GB' : 'zh-CN';
    utterance.rate = 0.9;
    utterance.onend = () => { if (this.utterance === utterance) this.setReading(false); };
    this.utterance = utterance;
    this.setReading(true);
    speechSynthesis.speak(utterance);
  }

  stopReading() {
    this.utterance = null;
    if ('speechSynthesis' in window) speechSynthesis.cancel();
    this.setReading(false);
  }

  setReading(on) {
    this.reading = on;
    const button = this.element.querySelector('.read-aloud');
    if (!button) return;
    button.textContent = t(on ? 'stopReading' : 'readAloud');
  }

  onClick(event) {
    const target = event.target.closest('button');
    if (!target) return;
    if (target.dataset.action === 'close') this.close();
    else if (target.dataset.action === 'read') this.readAloud();
    else if (target.dataset.action === 'print') window.print();
    else if (target.dataset.action === 'share') this.share();
    else if (target.dataset.action === 'back' && this.state.counter) this.openCounter(this.state.counter);
    else if (target.dataset.service) this.openService(target.dataset.service);
    else if (target.dataset.counter) this.openCounter(target.dataset.counter);
    else if (target.dataset.takeMe) this.dispatchEvent(new CustomEvent(ROUTE_REQUEST, { detail: { target: target.dataset.takeMe } }));
  }

  onKey(event) {
    if (event.key === 'Escape') this.close();
  }
}
