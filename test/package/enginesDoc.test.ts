import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemoFiles } from '../../scripts/generate-demo.mjs';
import { createLocalStore } from '../../src/storage/local/LocalStore.js';
import { UserDataTransformer } from '../../src/UserDataTransformer.js';
import { duckdb } from '../support/duckdb.js';

const PAGE = path.resolve(import.meta.dirname, '../../docs/engines.md');

/** The first fenced block of `language` under the heading `## <section>` of the page. */
async function snippet(section: string, language: string): Promise<string> {
  const page = await readFile(PAGE, 'utf8');
  const body = page.split(`\n## ${section}\n`)[1]?.split('\n## ')[0] ?? '';
  const match = new RegExp('```' + language + '\\n([\\s\\S]*?)```').exec(body);
  if (!match) throw new Error(`no ${language} block under "## ${section}" in docs/engines.md`);
  return match[1]!;
}

describe('docs/engines.md', () => {
  let root: string;
  let transformer: UserDataTransformer;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'udt-engines-'));
    await mkdir(path.join(root, 'data'));
    for (const file of generateDemoFiles({ count: 400, seed: 19 })) await writeFile(path.join(root, 'data', file.name), file.body);
    transformer = new UserDataTransformer({ store: createLocalStore({ root }), sourcePrefix: 'data/' });
    await transformer.sync();
    await transformer.exportOutput();
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it("DuckDB's snippet, run on the exported output.parquet, gives the service's count and average age of users with an image", async () => {
    const sql = await snippet('DuckDB', 'sql');
    expect(sql).toContain("read_parquet('processed_data/output.parquet')");
    const local = sql.replace("'processed_data/output.parquet'", `'${path.join(root, 'processed_data/output.parquet')}'`);
    const [row] = await duckdb(local);
    const expected = transformer.averageAge({ imageExists: true });
    expect(expected.count).toBeGreaterThan(50);
    expect(Number(row!.count)).toBe(expected.count);
    expect(row!.average_age).toBeCloseTo(expected.averageAge!, 9);
  });
});
