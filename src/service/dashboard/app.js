// The dashboard: summary, filters, age histogram, users page by page, failing files and a publish
// button, all from the service's own API. No inline code anywhere: the page runs under a strict CSP.
import { apiUrl, request } from './api.js';
import { $, setPhase, setText, showError } from './dom.js';
import { formatShare } from './format.js';
import { renderHistogram } from './histogram.js';
import { initPublish } from './publish.js';
import { reloadStatus, tick } from './status.js';
import { PAGE_ROWS, showFirstPage, turnPage } from './users.js';

const FILTER_DELAY_MS = 350;

const state = {
  /** Bumped on every reload; answers to an older one are dropped. */
  generation: 0,
  /** A filter was edited and its reload is still waiting for the typing to pause. */
  pending: false,
  /** The histogram's data, to redraw it at a new width. */
  ages: [],
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

/** A check that turns false as soon as another reload starts. */
function currentCheck() {
  const generation = state.generation;
  return () => generation === state.generation;
}

/** Everything that depends on the filters, then the status; the first page of users again. */
async function reload() {
  state.generation++;
  const isCurrent = currentCheck();
  setPhase('loading');
  const params = filterParams();
  const withImage = new URLSearchParams(params);
  withImage.set('is_image_exists', 'true');
  const first = new URLSearchParams(params);
  first.set('limit', String(PAGE_ROWS));
  let failed = false;
  let headerAge = null;
  try {
    const [stats, ages, images, page] = await Promise.all([
      request(apiUrl('stats', params)),
      request(apiUrl('stats/ages', params)),
      params.has('is_image_exists') ? null : request(apiUrl('stats', withImage)),
      request(apiUrl('data', first)),
    ]);
    if (!isCurrent()) return;
    showError(null);
    headerAge = renderSummary(stats, images, params);
    state.ages = ages.body.ages;
    renderHistogram($('histogram'), state.ages);
    setText('histogram-note', stats.body.count > 0 ? `${ages.body.ages.length} distinct ages` : '');
    showFirstPage(apiUrl('data', first), page);
  } catch (error) {
    failed = true;
    if (isCurrent()) showError(error);
  }
  await reloadStatus(headerAge);
  if (isCurrent() && !state.pending) setPhase(failed ? 'error' : 'ready');
}

/** The cards that follow the filters; returns the data's age from `X-Data-Age-Ms`, if sent. */
function renderSummary(stats, images, params) {
  const { count, average_age: average } = stats.body;
  setText('users-count', String(count));
  setText('average-age', average === null ? '—' : average.toFixed(2));
  const image = params.get('is_image_exists');
  const withImage = images ? images.body.count : image === 'true' ? count : 0;
  setText('image-share', formatShare(withImage, count));
  setText('image-share-note', count > 0 ? `${withImage} of ${count} users` : 'no users match');
  const header = stats.headers.get('X-Data-Age-Ms');
  return header !== null && header !== '' && Number.isFinite(Number(header)) ? { ms: Number(header), at: Date.now() } : null;
}

function wire() {
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
  $('prev').addEventListener('click', () => turnPage(false, currentCheck()));
  $('next').addEventListener('click', () => turnPage(true, currentCheck()));
  let width = window.innerWidth;
  window.addEventListener('resize', () => {
    if (window.innerWidth === width) return;
    width = window.innerWidth;
    renderHistogram($('histogram'), state.ages);
  });
}

wire();
initPublish({ onPublished: () => reload() });
setInterval(tick, 1000);
reload();
