import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ageInYears } from '../../src/query/age.js';
import { naturalCompare } from '../../src/query/naturalCompare.js';
import { BACKENDS, type Backend } from '../support/backends.js';
import { startService, type RunningService } from '../support/service.js';
import { NOW, PREFIX, makeUsers, nextLink, userCsv, writeUsers, type SeedUser } from './helpers.js';

const USERS = makeUsers(83);

interface Filter {
  query: string;
  keep: (u: SeedUser) => boolean;
}

const age = (u: SeedUser) => ageInYears(u.birthts, NOW);
const FILTERS: Filter[] = [
  { query: '', keep: () => true },
  { query: 'is_image_exists=true&min_age=30', keep: (u) => u.image && age(u) >= 30 },
  { query: 'is_image_exists=0&max_age=50', keep: (u) => !u.image && age(u) <= 50 },
  { query: 'min_age=40&max_age=40', keep: (u) => age(u) === 40 },
  { query: 'min_age=200', keep: () => false },
];

/** Row-by-row reference: the ids a filter keeps, in the documented order. */
const expectedIds = (users: readonly SeedUser[], keep: (u: SeedUser) => boolean) =>
  users
    .filter(keep)
    .map((u) => u.id)
    .sort(naturalCompare);

interface PageAnswer {
  ids: string[];
  total: string | null;
  link: string | null;
}

async function getPage(url: string): Promise<PageAnswer> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { user_id: string }[];
  return { ids: body.map((u) => u.user_id), total: res.headers.get('x-total-count'), link: res.headers.get('link') };
}

/** Follows `rel="next"` from `first` to the end; calls `between` after each page. */
async function follow(first: string, between: (pageNumber: number) => Promise<void> = async () => {}): Promise<PageAnswer[]> {
  const pages: PageAnswer[] = [];
  let url: string | null = first;
  while (url) {
    const page = await getPage(url);
    pages.push(page);
    url = nextLink(page.link, first);
    await between(pages.length);
    if (pages.length > 200) throw new Error('paging does not end');
  }
  return pages;
}

describe('GET /data paging', () => {
  let b: Backend;
  let svc: RunningService;
  beforeAll(async () => {
    b = await BACKENDS[0]!.create();
    await writeUsers(b, USERS);
    svc = await startService(b.store, { sourcePrefix: PREFIX, nowMs: NOW, maxStalenessMs: 0 });
  });
  afterAll(async () => {
    await svc.close();
    await b.cleanup();
  });

  it.each(FILTERS)('following Link from ?$query&limit=7 returns every matching user once, in order', async ({ query, keep }) => {
    const expected = expectedIds(USERS, keep);
    const pages = await follow(`${svc.url}/data?${query}${query ? '&' : ''}limit=7`);
    expect(pages.flatMap((p) => p.ids)).toEqual(expected);
    expect(pages).toHaveLength(Math.max(1, Math.ceil(expected.length / 7)));
    for (const page of pages) expect(page.total).toBe(String(expected.length));
    for (const page of pages.slice(0, -1)) expect(page.ids).toHaveLength(7);
    expect(pages.at(-1)!.link).toBeNull();
  });

  it('puts the same filters, limit and format in the next link, with an opaque cursor', async () => {
    const { link } = await getPage(`${svc.url}/data?min_age=30&is_image_exists=TRUE&limit=3`);
    const next = new URL(nextLink(link, svc.url)!);
    expect(next.pathname).toBe('/data');
    expect([...next.searchParams.keys()]).toEqual(['is_image_exists', 'min_age', 'limit', 'format', 'cursor']);
    expect(Object.fromEntries(next.searchParams)).toMatchObject({ is_image_exists: 'true', min_age: '30', limit: '3', format: 'json' });
    expect(next.searchParams.get('cursor')).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('has no next link when a page ends exactly on the last matching user', async () => {
    const expected = expectedIds(USERS, () => true);
    const pages = await follow(`${svc.url}/data?limit=${expected.length}`);
    expect(pages).toHaveLength(1);
    expect(pages[0]!.ids).toEqual(expected);
    expect(pages[0]!.link).toBeNull();
    const [first, second] = await follow(`${svc.url}/data?limit=${expected.length - 1}`);
    expect(first!.link).not.toBeNull();
    expect(second).toEqual({ ids: [expected.at(-1)], total: String(expected.length), link: null });
  });

  it('answers the full list without paging headers when neither limit nor cursor is given', async () => {
    const res = await fetch(`${svc.url}/data?min_age=30`);
    expect(res.headers.get('x-total-count')).toBeNull();
    expect(res.headers.get('link')).toBeNull();
    expect(((await res.json()) as { user_id: string }[]).map((u) => u.user_id)).toEqual(expectedIds(USERS, (u) => age(u) >= 30));
  });

  it('continues after the cursor alone, with the total, when no limit is given', async () => {
    const expected = expectedIds(USERS, () => true);
    const cursor = Buffer.from(expected[9]!).toString('base64url');
    const page = await getPage(`${svc.url}/data?cursor=${cursor}`);
    expect(page).toEqual({ ids: expected.slice(10), total: String(expected.length), link: null });
  });

  it.each([
    ['limit=0', 'limit must be an integer from 1 to 10000 (got "0")'],
    ['limit=10001', 'limit must be an integer from 1 to 10000 (got "10001")'],
    ['limit=2.5', 'limit must be an integer from 1 to 10000 (got "2.5")'],
    ['limit=-3', 'limit must be an integer from 1 to 10000 (got "-3")'],
    ['limit=ten', 'limit must be an integer from 1 to 10000 (got "ten")'],
    ['cursor=', 'cursor'],
    ['cursor=abc%3D', 'cursor is not one this service issued'],
    ['cursor=%2B%2F', 'cursor is not one this service issued'],
    ['cursor=A', 'cursor is not one this service issued'],
    ['cursor=_w', 'cursor is not one this service issued'], // decodes to the byte 0xFF: not UTF-8
    ['format=xml', 'format must be json, csv, ndjson or parquet (got "xml")'],
  ])('rejects %s with 400 invalid_parameter', async (query, message) => {
    const res = await fetch(`${svc.url}/data?${query}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { code: 'invalid_parameter', message: expect.stringContaining(message) } });
  });

  it('rejects a repeated limit and lists the new parameters among the accepted ones', async () => {
    expect(await (await fetch(`${svc.url}/data?limit=2&limit=3`)).json()).toMatchObject({ error: { code: 'repeated_parameter' } });
    expect(await (await fetch(`${svc.url}/data?page=2`)).json()).toEqual({
      error: { code: 'unknown_parameter', message: 'unknown query parameter "page"; accepted: is_image_exists, min_age, max_age, limit, cursor, format' },
    });
  });
});

describe('GET /data paging while users come and go', () => {
  it('returns every user that exists throughout exactly once, and never one twice', async () => {
    const b = await BACKENDS[0]!.create();
    const users = makeUsers(40, 11);
    await writeUsers(b, users);
    const svc = await startService(b.store, { sourcePrefix: PREFIX, nowMs: NOW, maxStalenessMs: 0 });
    const sorted = expectedIds(users, () => true);
    const removed = new Set<string>();
    const added = makeUsers(60, 99)
      .slice(40)
      .map((u, i) => ({ ...u, id: i % 2 === 0 ? `${u.id}` : `0000${i}` }));
    const pages = await follow(`${svc.url}/data?limit=6`, async (n) => {
      if (n === 1) {
        // Remove the user the cursor points at, one already served, and one not served yet.
        for (const id of [sorted[5]!, sorted[0]!, sorted[20]!]) {
          await b.remove(`${PREFIX}${id}.csv`);
          removed.add(id);
        }
      }
      if (n === 2) for (const u of added) await b.write(`${PREFIX}${u.id}.csv`, userCsv(u));
    });
    const served = pages.flatMap((p) => p.ids);
    expect(new Set(served).size).toBe(served.length);
    const stable = sorted.filter((id) => !removed.has(id));
    expect(served.filter((id) => stable.includes(id))).toEqual(stable);
    expect(served).not.toContain(sorted[20]);
    // Users added after the position paging had reached are served; those before it are not.
    const reached = served[11]!;
    const later = added.map((u) => u.id).filter((id) => naturalCompare(id, reached) > 0);
    expect(later.length).toBeGreaterThan(0);
    expect(served).toEqual(expect.arrayContaining(later));
    expect(pages.at(-1)!.total).toBe(String(stable.length + added.length));
    await svc.close();
    await b.cleanup();
  });
});
