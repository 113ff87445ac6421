// The staff pages of a hall's draft (/admin/halls/<hall>, …/counters, …/versions) and the audit log
// (/admin/audit): drawn from the admin API, with the page's data (hall, role, CSRF token, floors, zones,
// departments) read from <script id="admin-data">. Everything from the database goes in as text (el()).
// Viewers get no edit controls at all (the server refuses their writes anyway).
import { el } from '../ui/dom.js';
import { Api } from './api.js';
import { AuditPage } from './audit.js';
import { CountersPage } from './counters.js';
import { DraftBar } from './draftbar.js';
import { FactsPage } from './facts.js';
import { setLang } from './strings.js';
import { VersionsPage } from './versions.js';

const PAGES = { facts: FactsPage, counters: CountersPage, versions: VersionsPage, audit: AuditPage };

async function start() {
  const data = JSON.parse(document.getElementById('admin-data').textContent);
  setLang(data.lang);
  const api = new Api(data.csrf);
  const root = document.getElementById('admin-app');
  const base = data.hall ? `/api/v1/admin/halls/${encodeURIComponent(data.hall.slug)}` : null;
  const context = { data, api, base, root };
  const Page = PAGES[data.page];
  const page = new Page(context);
  if (data.hall) {
    const bar = new DraftBar(context, document.getElementById('draft-bar'), () => page.refresh());
    context.bar = bar;
    await bar.refresh();
  }
  root.replaceChildren();
  await page.refresh();
  root.setAttribute('aria-busy', 'false');
  document.body.dataset.admin = 'ready';
}

start().catch((error) => {
  const root = document.getElementById('admin-app');
  root.replaceChildren(el('p', { class: 'admin-error', role: 'alert', text: error.message }));
  document.body.dataset.admin = 'failed';
});
