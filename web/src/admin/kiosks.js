// /admin/kiosks: the kiosk health table rendered by the server, refreshed from the admin API
// (GET /api/v1/admin/kiosks) every heartbeat interval while the page is open. Text only (textContent).
const table = document.querySelector('table.admin-kiosks');

function cell(row, field) {
  return row.querySelector(`[data-field="${field}"]`);
}

async function refresh() {
  const response = await fetch('/api/v1/admin/kiosks', { headers: { Accept: 'application/json' } });
  if (!response.ok) return;
  const { kiosks } = await response.json();
  for (const kiosk of kiosks) {
    const row = table.querySelector(`tr[data-kiosk="${CSS.escape(kiosk.id)}"]`);
    if (!row) continue;
    const state = cell(row, 'state');
    state.dataset.online = String(kiosk.online);
    state.textContent = kiosk.online ? table.dataset.online : table.dataset.offline;
    cell(row, 'seen').textContent = kiosk.heartbeat.at || table.dataset.never;
    cell(row, 'version').textContent = kiosk.heartbeat.version || '–';
    cell(row, 'uptime').textContent = kiosk.heartbeat.uptime ?? '–';
    const list = document.createElement('ul');
    for (const error of kiosk.heartbeat.errors.slice(-5)) {
      const item = document.createElement('li');
      item.textContent = `${error.at} ${error.text}`;
      list.append(item);
    }
    cell(row, 'errors').replaceChildren(list);
  }
}

if (table) {
  const seconds = Math.max(5, Number(table.dataset.refresh) || 60);
  setInterval(() => refresh().catch(() => {}), seconds * 1000);
}
