/// <reference lib="dom" />
/**
 * The dashboard in a real Chromium (Debian's package, driven by puppeteer-core, which never
 * downloads a browser) against the real service over a copy of the demo users.
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ageInYears } from '../../src/query/age.js';
import { createLocalStore } from '../../src/storage/local/LocalStore.js';
import { startService, type RunningService } from '../support/service.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) {
  console.warn(`Dashboard browser tests skipped: no Chromium at ${CHROMIUM}. Install it with: apt-get install -y chromium (or set CHROMIUM_PATH).`);
}

const DEMO = fileURLToPath(new URL('../../data/', import.meta.url));
const PREFIX = 'data/';
const BROKEN = { 'data/broken.csv': 'first_name,last_name\nNo,Birth\n', 'data/future.csv': 'first_name,last_name,birthts\nNot,Yet,99999999999999\n' };
/** Where screenshots go: SCREENSHOT_DIR when set (to look at them), else a temp folder. */
const SHOTS = process.env.SCREENSHOT_DIR;

interface User {
  user_id: string;
  birthts: number;
  img_path: string | null;
}
interface Stats {
  count: number;
  average_age: number | null;
}

async function api<T>(svc: RunningService, pathAndQuery: string): Promise<T> {
  return (await (await fetch(`${svc.url}${pathAndQuery}`)).json()) as T;
}

/** Waits until the page has finished every request its last action started. */
async function settled(page: Page): Promise<string> {
  await page.waitForSelector('body[data-state="ready"], body[data-state="error"]');
  return page.$eval('body', (b) => b.dataset.state ?? '');
}

const text = (page: Page, testId: string) => page.$eval(`[data-testid="${testId}"]`, (el) => el.textContent?.trim() ?? '');

/** Sets the filters the way a person would: pick in the select, type in the number fields. */
async function setFilters(page: Page, image: 'any' | 'true' | 'false', min: string, max: string): Promise<string> {
  for (const [testId, value] of [
    ['min-age', min],
    ['max-age', max],
  ] as const) {
    const field = `[data-testid="${testId}"]`;
    if ((await page.$eval(field, (el) => (el as HTMLInputElement).value)) === value) continue;
    await page.$eval(field, (el) => ((el as HTMLInputElement).value = ''));
    if (value === '') await page.$eval(field, (el) => el.dispatchEvent(new Event('input', { bubbles: true })));
    else await page.type(field, value);
  }
  await page.select('[data-testid="image-filter"]', image);
  return settled(page);
}

/** The user ids on screen, page after page, following "Next" to the end. */
async function allPages(page: Page): Promise<string[][]> {
  const pages: string[][] = [];
  for (;;) {
    pages.push(await page.$$eval('[data-testid="user-row"] td.id', (cells) => cells.map((c) => c.textContent ?? '')));
    if (await page.$eval('[data-testid="next-page"]', (b) => (b as HTMLButtonElement).disabled)) return pages;
    await page.click('[data-testid="next-page"]');
    await settled(page);
  }
}

describe.skipIf(!HAVE_CHROMIUM)('dashboard in Chromium', () => {
  let root: string;
  let browser: Browser;
  let svc: RunningService;
  let shots: string;
  const problems: string[] = [];

  async function open(url: string, width = 1280, height = 800): Promise<Page> {
    const page = await browser.newPage();
    await page.setViewport({ width, height });
    page.on('pageerror', (error) => problems.push(`page error: ${String(error)}`));
    page.on('console', (message) => {
      // The browser logs every 4xx it fetched; the page handles those (bad filters, a needed key).
      if (message.type() === 'error' && !/status of 40[01]/.test(message.text())) problems.push(`console: ${message.text()}`);
    });
    await page.goto(url);
    expect(await settled(page)).toBe('ready');
    return page;
  }

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'udt-dashboard-'));
    await cp(DEMO, path.join(root, PREFIX), { recursive: true });
    for (const [key, body] of Object.entries(BROKEN)) await writeFile(path.join(root, key), body);
    shots = SHOTS ?? path.join(root, 'shots');
    await mkdir(shots, { recursive: true });
    svc = await startService(createLocalStore({ root }), { sourcePrefix: PREFIX, maxStalenessMs: 60_000 });
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      userDataDir: path.join(root, 'chromium-profile'),
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await svc?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('shows the numbers of /stats for every filter setting, and the histogram of /stats/ages', async () => {
    const page = await open(svc.url);
    const settings = [
      ['any', '', ''],
      ['true', '', ''],
      ['false', '30', '60'],
      ['any', '40', '40'],
      ['true', '85', ''],
      ['any', '200', ''],
    ] as const;
    for (const [image, min, max] of settings) {
      expect(await setFilters(page, image, min, max)).toBe('ready');
      const query = new URLSearchParams({ ...(image !== 'any' && { is_image_exists: image }), ...(min && { min_age: min }), ...(max && { max_age: max }) });
      const stats = await api<Stats>(svc, `/stats?${query}`);
      const label = `filters ${query.toString() || '(none)'}`;
      expect(await text(page, 'users-count'), label).toBe(String(stats.count));
      expect(await text(page, 'average-age'), label).toBe(stats.average_age === null ? '—' : stats.average_age.toFixed(2));
      expect(await page.$$eval('[data-testid="user-row"]', (rows) => rows.length), label).toBe(Math.min(25, stats.count));
      const { ages } = await api<{ ages: { age: number; count: number }[] }>(svc, `/stats/ages?${query}`);
      const bars = await page.$$eval('[data-testid="age-histogram"] rect.bar', (rects) =>
        rects.map((r) => ({ age: Number(r.getAttribute('data-age')), count: Number(r.getAttribute('data-count')), height: Number(r.getAttribute('height')) })),
      );
      expect(
        bars.map(({ age, count }) => ({ age, count })),
        label,
      ).toEqual(ages);
      // Taller bars for larger counts.
      for (const a of bars) for (const b of bars) if (a.count > b.count) expect(a.height).toBeGreaterThan(b.height);
    }
    await page.close();
  });

  it('pages through every matching user exactly once, with ages and readable birth dates', async () => {
    const page = await open(svc.url);
    for (const [image, query] of [
      ['any', ''],
      ['true', '?is_image_exists=true'],
    ] as const) {
      await setFilters(page, image, '', '');
      const expected = (await api<User[]>(svc, `/data${query}`)).map((u) => u.user_id);
      const pages = await allPages(page);
      expect(pages.flat()).toEqual(expected);
      expect(pages.slice(0, -1).every((p) => p.length === 25)).toBe(true);
      await page.click('[data-testid="prev-page"]');
      await settled(page);
      expect(await page.$$eval('[data-testid="user-row"] td.id', (cells) => cells.map((c) => c.textContent))).toEqual(pages.at(-2) ?? pages[0]);
    }
    const users = new Map((await api<User[]>(svc, '/data')).map((u) => [u.user_id, u]));
    await setFilters(page, 'any', '', '');
    const rows = await page.$$eval('[data-testid="user-row"]', (trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent?.trim() ?? '')),
    );
    for (const [id, , born, age, image] of rows) {
      const user = users.get(id!)!;
      expect(Number(age)).toBe(ageInYears(user.birthts, Date.now()));
      expect(born).toBe(new Date(user.birthts).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }));
      expect(image).toBe(user.img_path === null ? 'No image' : 'Image');
    }
    await page.close();
  });

  it("shows the API's message for bad filters and recovers when they are fixed", async () => {
    const page = await open(svc.url);
    expect(await setFilters(page, 'any', '50', '40')).toBe('error');
    expect(await text(page, 'error')).toBe('min_age (50) must not be greater than max_age (40)');
    expect(await page.$$eval('[data-testid="user-row"]', (rows) => rows.length)).toBeGreaterThan(0);
    expect(await setFilters(page, 'any', '40', '50')).toBe('ready');
    expect(await page.$eval('[data-testid="error"]', (el) => (el as HTMLElement).hidden)).toBe(true);
    expect(await text(page, 'users-count')).toBe(String((await api<Stats>(svc, '/stats?min_age=40&max_age=50')).count));
    await page.close();
  });

  it('lists the failing files with key and reason, as /sync reports them', async () => {
    const page = await open(svc.url);
    const sync = await api<{ lastSync: { report: { failed: { key: string; reason: string }[] } } }>(svc, '/sync');
    const failed = sync.lastSync.report.failed;
    expect(failed.map((f) => f.key).sort()).toEqual(Object.keys(BROKEN).sort());
    expect(await text(page, 'failing-count')).toBe(String(failed.length));
    const listed = await page.$$eval('[data-testid="failures"] li', (items) =>
      items.map((li) => ({ key: li.querySelector('code')?.textContent, reason: li.querySelector('span')?.textContent })),
    );
    expect(listed).toEqual(failed);
    await page.close();
  });

  it('publishes with one click when the service needs no key', async () => {
    const page = await open(svc.url);
    await rm(path.join(root, 'processed_data'), { recursive: true, force: true });
    await page.click('[data-testid="publish-button"]');
    await page.waitForSelector('[data-testid="publish-result"]:not([hidden])');
    expect(await text(page, 'publish-result')).toMatch(
      /^Published 150 users to processed_data\/output\.csv and processed_data\/output\.parquet: .*2 failing files/,
    );
    expect(await page.$eval('#key-form', (f) => (f as HTMLElement).hidden)).toBe(true);
    expect((await svc.transformer.store.get('processed_data/output.csv'))?.toString().split('\n')).toHaveLength(152);
    await settled(page);
    expect(await text(page, 'last-export')).toMatch(/^\d+\u00a0s ago$/);
    await page.close();
  });

  it('asks for the key when the service answers 401, and publishes with it', async () => {
    const keyed = await startService(createLocalStore({ root }), { sourcePrefix: PREFIX, maxStalenessMs: 60_000, apiKey: 'open sesame' });
    try {
      const page = await open(keyed.url);
      await page.click('[data-testid="publish-button"]');
      await page.waitForSelector('#key-form:not([hidden])');
      await page.type('#api-key', 'wrong');
      await page.click('#key-form button[type="submit"]');
      await page.waitForFunction(() => document.querySelector('#key-form label')?.textContent?.includes('refused'));
      expect(await page.$eval('[data-testid="publish-result"]', (el) => (el as HTMLElement).hidden)).toBe(true);
      await page.type('#api-key', 'open sesame');
      await page.click('#key-form button[type="submit"]');
      await page.waitForSelector('[data-testid="publish-result"]:not([hidden])');
      expect(await text(page, 'publish-result')).toMatch(/^Published 150 users/);
      expect(await page.$eval('#key-form', (f) => (f as HTMLElement).hidden)).toBe(true);
      // The key is kept for the next click.
      await settled(page);
      await page.click('[data-testid="publish-button"]');
      await page.waitForFunction(() => !(document.querySelector('[data-testid="publish-button"]') as HTMLButtonElement).disabled);
      expect(await page.$eval('#key-form', (f) => (f as HTMLElement).hidden)).toBe(true);
      await page.close();
    } finally {
      await keyed.close();
    }
  });

  it('fits a phone (390×844) without horizontal scrolling, and a desktop; screenshots of both', async () => {
    for (const [width, height, name] of [
      [1280, 800, 'dashboard-1280x800.png'],
      [390, 844, 'dashboard-390x844.png'],
    ] as const) {
      const page = await open(svc.url, width, height);
      const hasViewportMeta = await page.$eval('meta[name="viewport"]', (m) => m.getAttribute('content'));
      expect(hasViewportMeta).toContain('width=device-width');
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      await page.screenshot({ path: path.join(shots, name) });
      await page.close();
    }
  });

  it('ran without script errors or Content-Security-Policy violations', () => {
    expect(problems).toEqual([]);
  });
});
