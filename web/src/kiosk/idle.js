// “还在使用吗？/ Still there?” (WCAG 2.2.1, timing adjustable). After the kiosk's idle time without a touch, key
// or typing, a person who used the kiosk is asked, in both languages, with a visible countdown (the kiosk's
// countdown seconds, at least 20) and a large 继续 / Continue button that has the focus (role="alertdialog",
// announced on opening). Any touch, click or key during the countdown keeps the session as it is. When the
// countdown ends, the page clears every trace of that person (*reset*) and the attract loop starts. A kiosk that
// nobody touched since its last clean slate has nobody to ask: idle, it goes straight to the attract loop.
// Times are read from Date.now() against deadlines, so a late timer (a busy or throttled page) never shows a
// wrong count.
import { t } from '../i18n.js';
import { el } from '../ui/dom.js';
import { Plugin } from '../plugins/Plugin.js';

const ACTIVITY = ['pointerdown', 'touchstart', 'keydown', 'wheel', 'input'];
const MIN_COUNTDOWN_S = 20;

export class IdleWatch extends Plugin {
  static id = 'kiosk-idle';

  constructor({ root, idleSeconds = 90, countdownSeconds = 30, reset, attract }) {
    super();
    this.root = root;
    this.idleMs = idleSeconds * 1000;
    this.countdownMs = Math.max(MIN_COUNTDOWN_S, countdownSeconds) * 1000;
    this.reset = reset;
    this.attract = attract;
    this.state = 'active'; // 'active' | 'asking' | 'attract'
    this.touched = false; // anyone used the kiosk since its last clean slate
    this.lastInput = Date.now();
    this.timer = 0;
    this.tick = 0;
  }

  init(viewer) {
    super.init(viewer);
    const both = (key, vars = {}) => [
      el('span', { lang: 'zh-CN', text: t(key, vars, 'zh') }), el('span', { lang: 'en', text: t(key, vars, 'en') }),
    ];
    this.count = el('p', { class: 'idle-count', 'aria-hidden': 'true' });
    this.note = el('p', { class: 'idle-note', id: 'kiosk-idle-note' });
    this.button = el('button', { type: 'button', class: 'idle-continue', 'data-idle': 'continue' }, ...both('kioskContinue'));
    this.dialog = el('div', {
      class: 'kiosk-idle', role: 'alertdialog', 'aria-modal': 'true', 'aria-labelledby': 'kiosk-idle-title',
      'aria-describedby': 'kiosk-idle-note', hidden: '',
    }, el('div', { class: 'idle-box' },
      el('h2', { id: 'kiosk-idle-title' }, el('span', { lang: 'zh-CN', text: t('kioskStillThere', {}, 'zh') }), ' / ',
        el('span', { lang: 'en', text: t('kioskStillThere', {}, 'en') })),
      this.count, this.note, this.button));
    this.root.append(this.dialog);
    this.listen(window, 'pointerdown', () => { this.swallowClick = false; }, { capture: true });
    const onActivity = (e) => this.onActivity(e);
    for (const type of ACTIVITY) this.listen(window, type, onActivity, { capture: true, passive: true });
    // A touch that answered the question closed it on its pointerdown: its click reaches nothing under it.
    this.listen(window, 'click', (e) => {
      if (!this.swallowClick) return;
      e.preventDefault();
      e.stopPropagation();
      this.swallowClick = false;
    }, { capture: true });
    this.listen(this.button, 'click', () => this.keep());
    this.arm();
  }

  destroy() {
    clearTimeout(this.timer);
    clearInterval(this.tick);
    this.dialog?.remove();
    super.destroy();
  }

  /** A touch, key or typing: the session goes on (during the countdown too); the idle time starts again. */
  onActivity(event) {
    if (this.attract()?.absorbing) return; // the attract loop takes that touch: it only wakes the kiosk
    this.lastInput = Date.now();
    this.touched = true;
    if (this.state !== 'asking') return;
    this.keep();
    this.swallowClick = event.type === 'pointerdown' || event.type === 'touchstart';
  }

  /** The attract loop ended: nobody has used the kiosk yet; watch again. */
  wake() {
    this.state = 'active';
    this.touched = false;
    this.lastInput = Date.now();
    this.arm();
  }

  /** Check again when the idle time since the last input will have passed. */
  arm() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.check(), Math.max(0, this.lastInput + this.idleMs - Date.now()));
  }

  check() {
    if (this.state !== 'active') return;
    if (Date.now() - this.lastInput < this.idleMs) { this.arm(); return; }
    if (this.touched) this.ask();
    else this.toAttract();
  }

  /** Show the question with its countdown; the focus on 继续. */
  ask() {
    this.state = 'asking';
    this.deadline = Date.now() + this.countdownMs;
    this.dialog.hidden = false;
    document.body.dataset.kioskIdle = 'asking';
    this.showCount();
    this.tick = setInterval(() => this.showCount(), 250);
    this.button.focus();
  }

  showCount() {
    const left = Math.max(0, Math.ceil((this.deadline - Date.now()) / 1000));
    this.count.textContent = String(left);
    this.dialog.dataset.seconds = String(left);
    this.note.replaceChildren(
      el('span', { lang: 'zh-CN', text: t('kioskCountdown', { n: left }, 'zh') }), ' ',
      el('span', { lang: 'en', text: t('kioskCountdown', { n: left }, 'en') }));
    if (left === 0) this.expire();
  }

  hide() {
    clearInterval(this.tick);
    this.tick = 0;
    this.dialog.hidden = true;
    delete document.body.dataset.kioskIdle;
  }

  /** 继续: the question goes, the session stays as it was. */
  keep() {
    if (this.state !== 'asking') return;
    this.hide();
    this.state = 'active';
    this.lastInput = Date.now();
    this.arm();
  }

  /** Nobody answered: a clean slate for the next person, then the attract loop. */
  expire() {
    this.hide();
    this.reset();
    this.toAttract();
  }

  toAttract() {
    this.state = 'attract';
    this.touched = false;
    clearTimeout(this.timer);
    this.attract()?.start();
  }
}
