// Pick instead of type: the kiosk's popular services and its departments (each with its counters) as lists
// of large buttons, and an on-screen Latin keyboard (letters, digits, space, backspace, clear) that types into
// the search box, for pinyin and initials (yyzz, shebao) and counter numbers: no physical keyboard, no IME.
// The search box gets inputmode="none", so no system keyboard opens over the page.
import { LANG_CHANGE } from '../events.js';
import { i18nEvents, pick, t } from '../i18n.js';
import { el } from '../ui/dom.js';
import { Plugin } from '../plugins/Plugin.js';

const ROWS = ['1234567890', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm'];

export class PickLists extends Plugin {
  static id = 'kiosk-picks';

  constructor({ section, input, picks, openService, openCounter }) {
    super();
    this.section = section;
    this.input = input;
    this.picks = picks;
    this.openService = openService;
    this.openCounter = openCounter;
    this.department = null;
  }

  init(viewer) {
    super.init(viewer);
    this.input.setAttribute('inputmode', 'none');
    this.lists = Object.fromEntries([...this.section.querySelectorAll('[data-list]')].map((n) => [n.dataset.list, n]));
    this.listen(this.section, 'click', (e) => this.onClick(e));
    this.listen(i18nEvents, LANG_CHANGE, () => this.render());
    this.render();
  }

  destroy() {
    for (const list of Object.values(this.lists || {})) list.replaceChildren();
    this.input.removeAttribute('inputmode');
    super.destroy();
  }

  render() {
    this.lists.services.replaceChildren(...this.picks.services.map((s) => el('button', {
      type: 'button', class: 'kiosk-pick-item', 'data-service': s.id, text: pick(s.name),
    })));
    const dept = this.picks.departments.find((d) => d.id === this.department);
    this.lists.departments.replaceChildren(...(dept
      ? [el('button', { type: 'button', class: 'kiosk-pick-back', 'data-department-back': '', text: `← ${t('back')}` }),
        el('p', { class: 'kiosk-pick-title', text: pick(dept.name) }),
        ...dept.counters.map((n) => el('button', { type: 'button', class: 'kiosk-pick-item', 'data-counter': n, text: `${n} ${t('kioskCounters')}` }))]
      : this.picks.departments.map((d) => el('button', { type: 'button', class: 'kiosk-pick-item', 'data-department': d.id, text: pick(d.name) }))));
    const key = (value, text, label) => el('button', { type: 'button', class: 'kiosk-key', 'data-key': value, text, 'aria-label': label || text });
    this.lists.keyboard.replaceChildren(
      ...ROWS.map((row) => el('div', { class: 'kiosk-key-row' }, [...row].map((c) => key(c, c.toUpperCase(), c)))),
      el('div', { class: 'kiosk-key-row' },
        key('clear', t('kioskClear')), key('space', t('kioskSpace')), key('backspace', '⌫', t('kioskBackspace'))));
  }

  /** Back to the start: the popular services shown, no department open, the keyboard closed. */
  reset() {
    this.department = null;
    this.render();
    this.show('services');
  }

  /** Show the list *name* (services, departments or keyboard). */
  show(name) {
    for (const button of this.section.querySelectorAll('[data-pick]')) button.setAttribute('aria-pressed', String(button.dataset.pick === name));
    for (const [key, list] of Object.entries(this.lists)) list.hidden = key !== name;
  }

  onClick(event) {
    const target = event.target.closest('button');
    if (!target) return;
    const { dataset } = target;
    if (dataset.pick) this.show(dataset.pick);
    else if (dataset.service) this.openService(dataset.service);
    else if (dataset.counter) this.openCounter(dataset.counter);
    else if (dataset.department) { this.department = dataset.department; this.render(); }
    else if ('departmentBack' in dataset) { this.department = null; this.render(); }
    else if (dataset.key) this.type(dataset.key);
  }

  /** One key of the on-screen keyboard into the search box (which searches as it is typed into). */
  type(key) {
    const value = this.input.value;
    if (key === 'backspace') this.input.value = value.slice(0, -1);
    else if (key === 'clear') this.input.value = '';
    else this.input.value = value + (key === 'space' ? ' ' : key);
    this.input.dispatchEvent(new Event('input', { bubbles: true }));
  }
}
