// The dashboard: summary, filters, age histogram, users page by page, failing files and a publish
// button, all from the service's own API. No inline code anywhere: the page runs under a strict CSP.
import { apiUrl, nextLink, request } from './api.js';
import { ageInYears, formatBirthDate, formatDuration, formatInstant, formatShare } from './format.js';
import { renderHistogram } from './histogram.js';
import { initPublish } from './publish.js';

const PAGE_ROWS = 25;
const FILTER_DELAY_MS = 350;

const $ = (id) => document.getElementById(id);

const state = {
  /** Bumped on every reload; answers to an older one are dropped. */
  generation: 0,
  /** A filter was edited and its reload is still waiting for the typing to pause. */
  pending: false,
  /** URLs of the pages visited since the filters last changed; the last one is on screen. */
  pages: [],
  next: null,
  total: 0,
  ages: [],
  /** The data's age when it was measured, and when that was (ms since the epoch). */
  dataAge: null,
  /** Same, from the X-Data-Age-Ms header of the last /stats answer, when the service sends one. */
  headerAge: null,
  /** When the last successful export finished (ms since the epoch), or `null`. */
  exportedAt: null,
};

function filterParams() {
  const params = new URLSearchParams();
  const image = $('image-filter').value;
  if (image !== 'any') params.set('is_image_exists', image);
  for (const [id, name] of [
    ['min-age', 'min_age'],
    ['max-age', 'max_age'],
  ]) {
    const value = $(id).value.trim();
    if (value !== '') params.set(name, value);
  }
  return params;
}

function setText(id, text) {
  $(id).textContent = text;
}

function showError(error) {
  const box = $('error');
  box.hidden = !error;
  box.textContent = error ? error.message : '';
  document.body.classList.toggle('has-error', Boolean(error));
}

/** `loading`, `ready` or `error` on the body: for styling, and for tests to know when the page has settled. */
function setPhase(phase) {
  document.body.dataset.state = phase;
}

/** Everything that depends on the filters, then the status; the first page of users again. */
async function reload() {
  const generation = ++state.generation;
  setPhase('loading');
  let failed = false;
  const params = filterParams();
  const withImage = new URLSearchParams(params);
  withImage.set('is_image_exists', 'true');
  const first = new URLSearchParams(params);
  first.set('limit', String(PAGE_ROWS));
  try {
    const [stats, ages, images, page] = await Promise.all([
      request(apiUrl('stats', params)),
      request(apiUrl('stats/ages', params)),
      params.has('is_image_exists') ? null : request(apiUrl('stats', withImage)),
      request(apiUrl('data', first)),
    ]);
    if (generation !== state.generation) return;
    showError(null);
    renderSummary(stats, images, params);
    state.ages = ages.body.ages;
    renderHistogram($('histogram'), state.ages);
    setText('histogram-note', stats.body.count > 0 ? `${ages.body.ages.length} distinct ages` : '');
    state.pages = [];
    showPage(apiUrl('data', first), page);
  } catch (error) {
    failed = true;
    if (generation === state.generation) showError(error);
  }
  await reloadStatus();
  if (generation === state.generation && !state.pending) setPhase(failed ? 'error' : 'ready');
}

function renderSummary(stats, images, params) {
  const { count, average_age: average } = stats.body;
  setText('users-count', String(count));
  setText('average-age', average === null ? '—' : average.toFixed(2));
  const image = params.get('is_image_exists');
  const withImage = images ? images.body.count : image === 'true' ? count : 0;
  setText('image-share', formatShare(withImage, count));
  setText('image-share-note', count > 0 ? `${withImage} of ${count} users` : 'no users match');
  const header = stats.headers.get('X-Data-Age-Ms');
  state.headerAge = header !== null && header !== '' && Number.isFinite(Number(header)) ? { ms: Number(header), at: Date.now() } : null;
}

/** Puts a fetched page of users on screen; `url` is where it came from, for "previous". */
function showPage(url, page) {
  state.pages.push(url);
  state.next = nextLink(page.headers);
  state.total = Number(page.headers.get('X-Total-Count') ?? page.body.length);
  renderRows(page.body);
  const index = state.pages.length - 1;
  const from = index * PAGE_ROWS + 1;
  setText('page-info', page.body.length === 0 ? 'No users match' : `${from}–${from + page.body.length - 1} of ${state.total}`);
  $('prev').disabled = index === 0;
  $('next').disabled = state.next === null;
}

function cell(label, text, className) {
  const td = document.createElement('td');
  td.dataset.label = label;
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function renderRows(users) {
  const now = Date.now();
  const rows = users.map((user) => {
    const tr = document.createElement('tr');
    tr.setAttribute('data-testid', 'user-row');
    const image = document.createElement('span');
    image.className = user.img_path === null ? 'badge no' : 'badge yes';
    image.textContent = user.img_path === null ? 'No image' : 'Image';
    if (user.img_path !== null) image.title = user.img_path;
    const imageCell = cell('Image', '', 'image');
    imageCell.append(image);
    tr.append(
      cell('User ID', user.user_id, 'id'),
      cell('Name', `${user.first_name} ${user.last_name}`, 'name'),
      cell('Born', formatBirthDate(user.birthts), 'born'),
      cell('Age', String(ageInYears(user.birthts, now)), 'age num'),
      imageCell,
    );
    return tr;
  });
  $('rows').replaceChildren(...rows);
}

async function turnPage(forward) {
  const generation = state.generation;
  const index = state.pages.length - 1;
  const url = forward ? state.next : state.pages[index - 1];
  if (!url) return;
  setPhase('loading');
  $('prev').disabled = true;
  $('next').disabled = true;
  try {
    const page = await request(url);
    if (generation !== state.generation) return;
    state.pages.length = forward ? index + 1 : index - 1;
    showPage(url, page);
    $('rows').closest('section').scrollIntoView({ block: 'nearest' });
    setPhase('ready');
  } catch (error) {
    if (generation !== state.generation) return;
    showError(error);
    $('prev').disabled = index === 0;
    $('next').disabled = state.next === null;
    setPhase('error');
  }
}

/** The parts that do not depend on the filters: store, sync, export, failing files. */
async function reloadStatus() {
  try {
    const [sync, health] = await Promise.all([request(apiUrl('sync')), request(apiUrl('health'), { allow: [503] })]);
    renderStatus(sync.body, health.body);
  } catch (error) {
    setText('store-line', `Status unavailable: ${error.message}`);
  }
}

function renderStatus(sync, health) {
  const store = health.status === 'ok' ? health.store : `${health.store} — unreachable`;
  setText('store-line', `${store} · ${health.users} users`);
  $('store-line').classList.toggle('bad', health.status !== 'ok');
  const last = sync.lastSync;
  state.dataAge = state.headerAge ?? (last ? { ms: 0, at: Date.parse(last.finishedAt) } : null);
  setText('last-sync', sync.running ? 'syncing now…' : last ? `synced ${formatInstant(last.finishedAt)}` : 'not synced yet');
  $('last-sync').title = last ? `the last sync took ${last.durationMs} ms and listed ${last.report.listed} objects` : '';
  const exported = health.lastExport;
  state.exportedAt = exported && exported.ok ? Date.parse(exported.finishedAt) : null;
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
function tick() {
  if (state.dataAge) setText('data-age', formatDuration(state.dataAge.ms + Date.now() - state.dataAge.at));
  if (state.exportedAt !== null) setText('last-export', `${formatDuration(Date.now() - state.exportedAt)} ago`);
}

function wireFilters() {
  let timer;
  const now = () => {
    clearTimeout(timer);
    state.pending = false;
    reload();
  };
  const later = () => {
    clearTimeout(timer);
    state.pending = true;
    setPhase('loading');
    timer = setTimeout(now, FILTER_DELAY_MS);
  };
  $('image-filter').addEventListener('change', now);
  $('min-age').addEventListener('input', later);
  $('max-age').addEventListener('input', later);
  $('filters').addEventListener('submit', (event) => {
    event.preventDefault();
    now();
  });
  // The form resets its fields after this event: reload once it has.
  $('filters').addEventListener('reset', () => setTimeout(now));
  $('prev').addEventListener('click', () => turnPage(false));
  $('next').addEventListener('click', () => turnPage(true));
  let width = window.innerWidth;
  window.addEventListener('resize', () => {
    if (window.innerWidth === width) return;
    width = window.innerWidth;
    renderHistogram($('histogram'), state.ages);
  });
}

wireFilters();
initPublish({ onPublished: () => reload() });
setInterval(tick, 1000);
reload();
