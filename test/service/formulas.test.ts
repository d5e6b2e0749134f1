import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildService } from '../../src/server.js';
import { loadConfig } from '../../src/service/config.js';
import { createLogger } from '../../src/service/logger.js';
import { runCli } from '../cli/support.js';

/**
 * `CSV_ESCAPE_FORMULAS` (and the library's `escapeFormulas`, the CLI's `--no-escape-formulas`)
 * holds on every path that writes CSV: the answers of `GET /data`, whole, filtered and paged, the
 * exported file, and the command line.
 */
const FORMULA = '=HYPERLINK("x")';
const BIRTH = Date.UTC(1990, 0, 1);
let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'udt-formulas-'));
  await mkdir(path.join(root, 'data'));
  await writeFile(path.join(root, 'data/1.csv'), `first_name,last_name,birthts\n${FORMULA},@cmd,${BIRTH}\n`);
  await writeFile(path.join(root, 'data/2.csv'), `first_name,last_name,birthts\nAda,Lovelace,${BIRTH}\n`);
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** The CSV line of user 1 in a CSV text. */
const lineOfUser1 = (csv: string) => csv.split('\n').find((l) => l.startsWith('1,'));
const RAW = `1,"=HYPERLINK(""x"")",@cmd,${BIRTH},`;
const ESCAPED = `1,"'=HYPERLINK(""x"")",'@cmd,${BIRTH},`;

async function serve(escape: 'true' | 'false'): Promise<{ url: string; close(): Promise<void> }> {
  const config = loadConfig({
    LOCAL_ROOT: root,
    SOURCE_PREFIX: 'data',
    OUTPUT_CRON: 'off',
    SNAPSHOT_KEY: 'off',
    CSV_ESCAPE_FORMULAS: escape,
    OUTPUT_KEY: `out/${escape}.csv`,
  });
  const service = buildService(config, createLogger('silent'));
  const server: Server = service.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await service.store.close();
    },
  };
}

describe.each([
  ['false', RAW],
  ['true', ESCAPED],
] as const)('CSV_ESCAPE_FORMULAS=%s', (escape, expected) => {
  it('holds for GET /data as CSV (whole, filtered, paged, by Accept), the exported file and /output.csv', async () => {
    const service = await serve(escape);
    try {
      for (const query of ['format=csv', 'format=csv&min_age=1', 'format=csv&limit=5', 'is_image_exists=false']) {
        const res = await fetch(`${service.url}/data?${query}`, { headers: { accept: 'text/csv' } });
        expect(res.status, query).toBe(200);
        expect(lineOfUser1(await res.text()), query).toBe(expected);
      }
      expect((await fetch(`${service.url}/data`, { method: 'POST' })).status).toBe(200);
      expect(lineOfUser1(await readFile(path.join(root, `out/${escape}.csv`), 'utf8'))).toBe(expected);
      expect(lineOfUser1(await (await fetch(`${service.url}/output.csv`)).text())).toBe(expected);
    } finally {
      await service.close();
    }
  });

  it('holds for udt query --format csv and udt export', async () => {
    const flags = escape === 'false' ? ['--no-escape-formulas'] : [];
    const query = await runCli(['query', '--source', path.join(root, 'data'), ...flags]);
    expect(query.code).toBe(0);
    expect(lineOfUser1(query.stdout)).toBe(expected.replace('data/', ''));
    const out = path.join(root, `cli-${escape}.csv`);
    expect((await runCli(['export', '--source', path.join(root, 'data'), '--out', out, ...flags])).code).toBe(0);
    expect(lineOfUser1(await readFile(out, 'utf8'))).toBe(expected);
  });
});
