// `npm run docs` (after `npm run build`): regenerates the marked sections of docs/configuration.md
// and docs/http-api.md from the built service, then builds the API reference into docs/api/ with
// TypeDoc (typedoc.json). Pass --no-typedoc to skip the reference.
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GENERATED_PAGES, ROOT, loadService, regenerate } from './docs-render.mjs';

const service = await loadService();
for (const { page } of GENERATED_PAGES) {
  const file = path.join(ROOT, page);
  const before = await readFile(file, 'utf8');
  const after = await regenerate(page, service);
  if (after === before) {
    console.log(`${page}: up to date`);
  } else {
    await writeFile(file, after);
    console.log(`${page}: regenerated`);
  }
}

if (!process.argv.includes('--no-typedoc')) {
  const typedoc = path.join(ROOT, 'node_modules/.bin/typedoc');
  execFileSync(typedoc, ['--options', path.join(ROOT, 'typedoc.json')], { cwd: ROOT, stdio: 'inherit' });
}
