// The staff spreadsheet page (server/templates/admin/import.html): upload a counter sheet for a dry-run
// report (added / changed / removed, bad rows by row number), then apply it to the draft — only when no row
// is bad. Text from the server goes in with textContent only.

const root = document.getElementById('sheet-import');
const form = root.querySelector('[data-sheet="form"]');
const report = root.querySelector('[data-sheet="report"]');
const applyButton = root.querySelector('[data-sheet="apply"]');
const t = root.dataset;
const lang = t.lang === 'en' ? 'en' : 'zh';
let lastFile = null;
let asked = 0; // each request's number: only the latest one's answer is shown

function el(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

async function send(ext, dryRun) {
  const body = new FormData();
  body.append('file', lastFile);
  const url = `/api/v1/admin/halls/${encodeURIComponent(t.hall)}/counters.${ext}${dryRun ? '?dry_run=1' : ''}`;
  const response = await fetch(url, { method: 'POST', body, headers: { 'X-CSRF-Token': t.csrf } });
  return { status: response.status, data: await response.json() };
}

function show(data, applied) {
  report.replaceChildren();
  const error = data.error;
  if (error && error.code !== 'bad_rows') {
    report.append(el('p', lang === 'en' ? error.message_en : error.message, { 'data-sheet': 'error' }));
    applyButton.disabled = true;
    return;
  }
  const changes = error ? error.details.changes : data.changes;
  const bad = error ? error.details.bad_rows : data.bad_rows;
  if (applied) report.append(el('p', t.tApplied, { 'data-sheet': 'applied' }));
  for (const [key, label] of [['added', t.tAdded], ['changed', t.tChanged], ['removed', t.tRemoved]]) {
    const keys = Object.keys(changes[key]);
    if (!keys.length) continue;
    report.append(el('h2', `${label} (${keys.length})`));
    const list = el('ul', undefined, { 'data-sheet': key });
    for (const number of keys) {
      const fields = key === 'changed' ? `: ${Object.keys(changes[key][number]).join(', ')}` : '';
      list.append(el('li', `${number}${fields}`));
    }
    report.append(list);
  }
  if (!bad.length && !Object.values(changes).some((part) => Object.keys(part).length)) {
    report.append(el('p', t.tNone, { 'data-sheet': 'none' }));
  }
  if (bad.length) {
    report.append(el('h2', `${t.tBad} (${bad.length})`));
    const list = el('ul', undefined, { 'data-sheet': 'bad' });
    for (const b of bad) {
      list.append(el('li', `${t.tRow.replace('{row}', b.row)} · ${b.field}: ${lang === 'en' ? b.en : b.zh}`, {
        'data-row': String(b.row),
      }));
    }
    report.append(list);
  }
  applyButton.disabled = applied || bad.length > 0;
}

function extension() {
  return lastFile && lastFile.name.toLowerCase().endsWith('.csv') ? 'csv' : 'xlsx';
}

// The report is emptied and marked busy while a file is on its way, so that an earlier sheet's report is never
// read as this one's; an answer to an earlier request that arrives late is dropped.
async function run(dryRun) {
  const mine = ++asked;
  applyButton.disabled = true;
  report.replaceChildren();
  report.setAttribute('aria-busy', 'true');
  let answer;
  try {
    answer = await send(extension(), dryRun);
  } catch {
    answer = { status: 0, data: { error: { code: 'network', message: t.tNetwork, message_en: t.tNetwork } } };
  }
  if (mine !== asked) return;
  show(answer.data, !dryRun && answer.status === 200);
  report.setAttribute('aria-busy', 'false');
  report.dataset.answered = String(mine); // which request the report shows
}

if (form) {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    lastFile = form.querySelector('[data-sheet="file"]').files[0];
    if (lastFile) run(true);
  });
  applyButton.addEventListener('click', () => run(false));
}
