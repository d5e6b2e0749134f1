import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/errors.js';
import { Exporter } from '../../src/service/exporter.js';
import { startScheduler } from '../../src/service/scheduler.js';
import { createLocalStore } from '../../src/storage/local/LocalStore.js';
import type { ObjectStore } from '../../src/storage/ObjectStore.js';
import { UserDataTransformer } from '../../src/UserDataTransformer.js';

function capturingLogger() {
  const lines: { level: number; event?: string; msg: string }[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('scheduled export', () => {
  it('never overlaps runs, logs skipped ticks, and keeps firing after a failed run', async () => {
    const { logger, lines } = capturingLogger();
    const runs: { start: number; end: number; ok: boolean }[] = [];
    let calls = 0;
    const job = async () => {
      const call = ++calls;
      const start = Date.now();
      try {
        if (call === 1) await sleep(2_300); // longer than two ticks
        if (call === 2) throw new Error('store exploded');
        runs.push({ start, end: Date.now(), ok: true });
      } catch (error) {
        runs.push({ start, end: Date.now(), ok: false });
        throw error;
      }
    };
    const scheduler = startScheduler('* * * * * *', job, logger); // every second
    await sleep(5_600);
    await scheduler.stop();
    const settledCalls = calls;
    await sleep(1_200);

    expect(calls).toBe(settledCalls); // stopped means stopped
    expect(runs.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < runs.length; i++) expect(runs[i]!.start).toBeGreaterThanOrEqual(runs[i - 1]!.end);
    expect(runs[1]!.ok).toBe(false);
    expect(runs.slice(2).some((r) => r.ok)).toBe(true);
    expect(lines.some((l) => l.event === 'export_skipped')).toBe(true);
    expect(lines.some((l) => l.event === 'scheduled_export_failed')).toBe(true);
  }, 15_000);
});

describe('Exporter', () => {
  async function setup() {
    const root = await mkdtemp(path.join(tmpdir(), 'udt-pub-'));
    await mkdir(path.join(root, 'src'));
    await writeFile(path.join(root, 'src', '1.csv'), 'first_name,last_name,birthts\nA,B,0\n');
    const real = createLocalStore({ root });
    const events: string[] = [];
    const faults = { list: false };
    // The real store, slowed down and observed, so two runs would interleave if they could.
    const store: ObjectStore = {
      ...real,
      list: async (prefix) => {
        events.push('list');
        await sleep(150);
        if (faults.list) throw new StoreUnavailableError('cannot list: injected outage');
        return real.list(prefix);
      },
      put: async (key, body, type) => {
        events.push('put');
        await real.put(key, body, type);
      },
    };
    const { logger, lines } = capturingLogger();
    const transformer = new UserDataTransformer({ store, sourcePrefix: 'src/' });
    const exporter = new Exporter(transformer, { outputKey: 'out/output.csv', logger });
    return { root, events, faults, lines, exporter, cleanup: () => rm(root, { recursive: true }) };
  }

  it('runs exports one at a time; callers that arrive meanwhile share the one queued run', async () => {
    const { events, exporter, cleanup } = await setup();
    const results = await Promise.all([exporter.run('api'), exporter.run('schedule'), exporter.run('api')]);
    expect(events).toEqual(['list', 'put', 'list', 'put']);
    expect(results.map((r) => r.users)).toEqual([1, 1, 1]);
    expect(results[1]).toBe(results[2]);
    expect(exporter.lastExport).toMatchObject({ ok: true, users: 1 });
    events.length = 0;
    const burst = await Promise.all(Array.from({ length: 100 }, () => exporter.run('api')));
    expect(events).toEqual(['list', 'put', 'list', 'put']);
    expect(new Set(burst).size).toBe(2);
    await cleanup();
  });

  it('answers each caller with a run that started after its call', async () => {
    const { events, exporter, cleanup } = await setup();
    const first = exporter.run('api');
    await sleep(50); // the first run is listing now
    events.push('second call');
    const second = exporter.run('api');
    await Promise.all([first, second]);
    expect(events).toEqual(['list', 'second call', 'put', 'list', 'put']);
    await cleanup();
  });

  it('skips a scheduled run while another is in flight, and says so', async () => {
    const { events, lines, exporter, cleanup } = await setup();
    const api = exporter.run('api');
    expect(await exporter.runIfIdle('schedule')).toBeNull();
    await api;
    expect(events).toEqual(['list', 'put']);
    expect(lines.find((l) => l.event === 'export_skipped')?.msg).toMatch(/still running/);
    expect(await exporter.runIfIdle('schedule')).toMatchObject({ users: 1 });
    await cleanup();
  });

  it('answers by its deadline, then never writes from the abandoned run, and starts no other run until it ends', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'udt-late-'));
    await mkdir(path.join(root, 'src'));
    await writeFile(path.join(root, 'src', '1.csv'), 'first_name,last_name,birthts\nA,B,0\n');
    const real = createLocalStore({ root });
    const events: string[] = [];
    const store: ObjectStore = {
      ...real,
      list: async (prefix, o) => (events.push('list'), await sleep(400), real.list(prefix, o)),
      put: async (key, body, type) => (events.push('put'), real.put(key, body, type)),
    };
    const { logger } = capturingLogger();
    const exporter = new Exporter(new UserDataTransformer({ store, sourcePrefix: 'src/' }), { outputKey: 'out/output.csv', logger, deadlineMs: 250 });
    const started = Date.now();
    await expect(exporter.run('api')).rejects.toThrow(/did not finish within 250 ms; nothing was written/);
    expect(Date.now() - started).toBeLessThan(400);
    expect(exporter.busy).toBe(true); // the abandoned run still holds the queue
    await exporter.idle();
    expect(events).toEqual(['list']);
    expect(await real.get('out/output.csv')).toBeNull();
    expect(exporter.lastExport).toMatchObject({ ok: false, error: expect.stringMatching(/nothing was written/) });
    await rm(root, { recursive: true });
  });

  it('records a failed run and lets the next one through', async () => {
    const { faults, exporter, cleanup } = await setup();
    faults.list = true;
    await expect(exporter.run('schedule')).rejects.toThrow(/cannot list/);
    expect(exporter.lastExport).toMatchObject({ ok: false, trigger: 'schedule', error: expect.stringMatching(/cannot list/) });
    faults.list = false;
    await expect(exporter.run('schedule')).resolves.toMatchObject({ users: 1 });
    await cleanup();
  });
});
