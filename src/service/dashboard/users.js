// The users table, a page at a time, following the API's cursor: "next" is the Link header of
// the page on screen, "previous" the URL of the page before it.
import { nextLink, request } from './api.js';
import { $, setPhase, setText, showError } from './dom.js';
import { ageInYears, formatBirthDate } from './format.js';

export const PAGE_ROWS = 25;

const pages = {
  /** URLs of the pages visited since the filters last changed; the last one is on screen. */
  visited: [],
  next: null,
};

/** Starts over with the first page of new filters, already fetched from `url`. */
export function showFirstPage(url, page) {
  pages.visited = [];
  show(url, page);
}

function show(url, page) {
  pages.visited.push(url);
  pages.next = nextLink(page.headers);
  const total = Number(page.headers.get('X-Total-Count') ?? page.body.length);
  renderRows(page.body);
  const from = (pages.visited.length - 1) * PAGE_ROWS + 1;
  setText('page-info', page.body.length === 0 ? 'No users match' : `${from}–${from + page.body.length - 1} of ${total}`);
  enableButtons();
}

function enableButtons() {
  $('prev').disabled = pages.visited.length < 2;
  $('next').disabled = pages.next === null;
}

function cell(label, text, className) {
  const td = document.createElement('td');
  td.dataset.label = label;
  td.textContent = text;
  td.className = className;
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

/** Shows the next or the previous page; `isCurrent()` turns false if the filters changed meanwhile. */
export async function turnPage(forward, isCurrent) {
  const index = pages.visited.length - 1;
  const url = forward ? pages.next : pages.visited[index - 1];
  if (!url) return;
  setPhase('loading');
  $('prev').disabled = true;
  $('next').disabled = true;
  try {
    const page = await request(url);
    if (!isCurrent()) return;
    pages.visited.length = forward ? index + 1 : index - 1;
    show(url, page);
    $('rows').closest('section').scrollIntoView({ block: 'nearest' });
    setPhase('ready');
  } catch (error) {
    if (!isCurrent()) return;
    showError(error);
    enableButtons();
    setPhase('error');
  }
}
