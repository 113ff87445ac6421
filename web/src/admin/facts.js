// The hall's own facts in the draft (address, phone, hours, transport) on /admin/halls/<hall>.
import { el } from '../ui/dom.js';
import { field, message, show, showProblems } from './common.js';
import { weekEditor } from './hours.js';
import { pair, s } from './strings.js';

export class FactsPage {
  constructor(context) {
    this.context = context;
  }

  async refresh(note = null) {
    const { api, base, root, data } = this.context;
    const facts = await api.get(`${base}/facts`);
    root.replaceChildren(el('h1', { text: `${s('factsTitle')} · ${pair(facts.name)}` }),
      data.may_edit ? this.form(facts, note) : this.readOnly(facts));
  }

  readOnly(facts) {
    const rows = [[s('addressZh'), facts.address?.zh], [s('addressEn'), facts.address?.en], [s('hallPhone'), facts.phone]];
    for (const [kind, text] of Object.entries(facts.access || {})) rows.push([`${s('access')} · ${kind}`, pair(text)]);
    rows.push([s('hours'), JSON.stringify(facts.hours)]);
    return el('div', {}, el('p', { class: 'admin-help', 'data-readonly': '', text: s('readOnly') }),
      el('dl', { class: 'admin-who', 'data-facts': '' }, rows.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: show(v) })])));
  }

  form(facts, note) {
    const { api, base } = this.context;
    const input = (value) => el('input', { type: 'text', value: value ?? '' });
    const addressZh = input(facts.address?.zh);
    const addressEn = input(facts.address?.en);
    const phone = input(facts.phone);
    phone.type = 'tel';
    const access = Object.entries(facts.access || {}).map(([kind, text]) => ({ kind, zh: input(text?.zh), en: input(text?.en) }));
    const week = weekEditor('hours', facts.hours, facts.hour_presets || {});
    const result = el('div', { class: 'admin-form-result' });
    if (note) result.append(note);
    const form = el('form', { class: 'admin-form', novalidate: true, 'data-facts': '' },
      el('div', { class: 'admin-pair', 'data-field': 'address' }, field(s('addressZh'), addressZh, 'address.zh'), field(s('addressEn'), addressEn, 'address.en')),
      field(s('hallPhone'), phone, 'phone'),
      el('fieldset', { 'data-field': 'access' }, el('legend', { text: s('access') }),
        access.map((a) => el('div', { class: 'admin-pair' }, field(`${a.kind}${s('accessZh')}`, a.zh, `access.${a.kind}.zh`), field(`${a.kind}${s('accessEn')}`, a.en, `access.${a.kind}.en`))),
        el('p', { class: 'admin-field-problem', role: 'alert', hidden: true })),
      week.node,
      el('div', { class: 'admin-actions' }, el('button', { type: 'submit', class: 'admin-primary', text: s('save') })),
      result);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const body = {
        address: { zh: addressZh.value.trim(), en: addressEn.value.trim() },
        phone: phone.value.trim() || null,
        access: Object.fromEntries(access.map((a) => [a.kind, { zh: a.zh.value.trim(), en: a.en.value.trim() }])),
        hours: week.read(),
      };
      try {
        await api.call('PATCH', `${base}/facts`, { body, version: facts.version });
        await this.context.bar?.refresh();
        await this.refresh(message(s('saved')));
      } catch (error) {
        if (error.status === 422 && Array.isArray(error.details)) {
          result.replaceChildren(message(s('fixFields'), true), el('p', { class: 'admin-error' }));
          showProblems(form, error.details, result.lastChild);
        } else result.replaceChildren(message(error.message, true));
      }
    });
    return form;
  }
}
