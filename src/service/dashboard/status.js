// What does not depend on the filters: the store, the last sync and export, the failing files,
// and the ages of the data and of the export, which count up between reloads.
import { apiUrl, request } from './api.js';
import { $, setText } from './dom.js';
import { formatDuration, formatInstant } from './format.js';

const clock = {
  /** The data's age when it was measured, and when that was (ms since the epoch). */
  dataAge: null,
  /** When the last successful export finished (ms since the epoch), or `null`. */
  exportedAt: null,
};

/**
 * Reloads /sync and /health. `headerAge` is the data's age from an `X-Data-Age-Ms` header
 * (`{ ms, at }`), when the service sent one; otherwise it counts from the end of the last sync.
 */
export async function reloadStatus(headerAge) {
  try {
    const [sync, health] = await Promise.all([request(apiUrl('sync')), request(apiUrl('health'), { allow: [503] })]);
    render(sync.body, health.body, headerAge);
  } catch (error) {
    setText('store-line', `Status unavailable: ${error.message}`);
  }
}

function render(sync, health, headerAge) {
  const store = health.status === 'ok' ? health.store : `${health.store} — unreachable`;
  setText('store-line', `${store} · ${health.users} users`);
  $('store-line').classList.toggle('bad', health.status !== 'ok');
  // Said out loud: a source with no user files is served, but is rarely what was meant.
  const warnings = health.warnings ?? [];
  setText('warnings', warnings.map((w) => `Warning: ${w}. Check the source folder (SOURCE_PREFIX).`).join(' '));
  $('warnings').hidden = warnings.length === 0;
  const last = sync.lastSync;
  clock.dataAge = headerAge ?? (last ? { ms: 0, at: Date.parse(last.finishedAt) } : null);
  setText('last-sync', sync.running ? 'syncing now…' : last ? `synced ${formatInstant(last.finishedAt)}` : 'not synced yet');
  $('last-sync').title = last ? `the last sync took ${last.durationMs} ms and listed ${last.report.listed} objects` : '';
  const exported = health.lastExport;
  clock.exportedAt = exported && exported.ok ? Date.parse(exported.finishedAt) : null;
  if (!exported || !exported.ok) setText('last-export', exported ? 'Failed' : 'None yet');
  $('last-export').classList.toggle('bad', Boolean(exported && !exported.ok));
  setText('last-export-note', !exported ? 'no export since start-up' : exported.ok ? `${exported.users} users · ${exported.trigger}` : exported.error);
  $('last-export').title = exported ? `finished ${formatInstant(exported.finishedAt)} after ${exported.durationMs} ms` : '';
  tick();
  renderFailures(last ? last.report.failed : null);
}

function renderFailures(failed) {
  setText('failing-count', failed === null ? '—' : String(failed.length));
  $('failing-count').classList.toggle('bad', Boolean(failed && failed.length > 0));
  const list = $('failures');
  if (!failed || failed.length === 0) {
    const li = document.createElement('li');
    li.className = 'empty';
    li.textContent = failed === null ? 'No sync yet.' : 'No failing files. Every user file was read.';
    list.replaceChildren(li);
    return;
  }
  list.replaceChildren(
    ...failed.map(({ key, reason }) => {
      const li = document.createElement('li');
      const code = document.createElement('code');
      code.textContent = key;
      const why = document.createElement('span');
      why.textContent = reason;
      li.append(code, why);
      return li;
    }),
  );
}

/** Ages count up between reloads: measured once, time does the rest. */
export function tick() {
  if (clock.dataAge) setText('data-age', formatDuration(clock.dataAge.ms + Date.now() - clock.dataAge.at));
  if (clock.exportedAt !== null) setText('last-export', `${formatDuration(Date.now() - clock.exportedAt)} ago`);
}
