import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { GENERATED_PAGES, START_MARKER, END_MARKER, defaultOf, loadService, regenerate, type ServiceEntry } from '../../scripts/docs-render.mjs';

/**
 * The docs hold together: the README is a front page that links every guide, no relative link in
 * the README or the guides is broken, and the sections `npm run docs` generates from the built
 * code (dist/) are what it would generate now. Change the env schema or a route without running
 * `npm run docs`, and this fails.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const README = 'README.md';
const GUIDES = readdirSync(path.join(ROOT, 'docs'))
  .filter((f) => f.endsWith('.md'))
  .map((f) => `docs/${f}`);
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

/** The lines of a Markdown file outside fenced code blocks. */
function prose(text: string): string[] {
  let fence: string | null = null;
  return text.split('\n').filter((line) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (marker && (fence === null || marker.startsWith(fence))) {
      fence = fence === null ? marker : null;
      return false;
    }
    return fence === null;
  });
}

/** Every link and image target of a file, outside code. */
function linksOf(text: string): string[] {
  return prose(text).flatMap((line) => {
    const withoutCode = line.replace(/`[^`]*`/g, '');
    return [...withoutCode.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);
  });
}

/** The anchors GitHub gives the headings of a file: lower case, punctuation dropped, spaces to hyphens. */
function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of prose(text)) {
    const heading = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const base = heading
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** `docs/x.md#y` → the file it names from `from`, and the anchor. */
function resolveLink(from: string, target: string): { file: string; anchor: string | undefined } {
  const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined];
  const file = pathPart === '' ? from : path.posix.normalize(path.posix.join(path.posix.dirname(from), decodeURI(pathPart)));
  return { file, anchor };
}

describe('the README', () => {
  const readme = read(README);

  it('is a front page of at most 300 lines', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(300);
  });

  it('states the test command CI runs', () => {
    expect(readme).toMatch(/^npm test\b/m);
  });

  it('links every page in docs/', () => {
    const linked = new Set(linksOf(readme).map((target) => resolveLink(README, target).file));
    expect(GUIDES.filter((page) => !linked.has(page))).toEqual([]);
  });
});

describe('the links of the README and docs/', () => {
  const files = [README, ...GUIDES];

  it.each(files)('%s links only to files and headings that exist', (from) => {
    const broken: string[] = [];
    for (const target of linksOf(read(from))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
      const { file, anchor } = resolveLink(from, target);
      if (file.startsWith('..') || !existsSync(path.join(ROOT, file))) {
        broken.push(`${target}: no file ${file}`);
        continue;
      }
      if (anchor && file.endsWith('.md') && statSync(path.join(ROOT, file)).isFile() && !anchorsOf(read(file)).has(anchor)) {
        broken.push(`${target}: no heading #${anchor} in ${file}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('starts every guide with a title and a one-paragraph summary', () => {
    const bad = GUIDES.filter((page) => {
      const [title, blank, summary] = read(page).split('\n');
      return !/^# \S/.test(title ?? '') || blank !== '' || !summary || /^(#|- |\||<|```)/.test(summary);
    });
    expect(bad).toEqual([]);
  });
});

describe('the generated sections', () => {
  let service: ServiceEntry & Record<string, unknown>;
  beforeAll(async () => {
    service = await loadService();
  });

  it.each(GENERATED_PAGES.map((p) => p.page))('%s is what npm run docs generates from dist/ now', async (page) => {
    const current = read(page);
    expect(current.split(START_MARKER)).toHaveLength(2);
    expect(current.split(END_MARKER)).toHaveLength(2);
    expect(await regenerate(page, service), `${page} is out of date: run npm run docs`).toBe(current);
  });

  it('would differ after a change of the env schema or the routes', async () => {
    const withVariable: ServiceEntry = {
      ...service,
      ENV_SCHEMA: service.ENV_SCHEMA.extend({ DOCS_TEST_VARIABLE: z.string().default('x').describe('a variable the page does not know') }),
    };
    expect(await regenerate('docs/configuration.md', withVariable)).not.toBe(read('docs/configuration.md'));
    const extraRoute = {
      path: '/docs-test',
      operations: {
        get: { handlers: () => [], doc: { operationId: 'docsTest', summary: 'A route the page does not know', responses: { 200: { description: 'ok' } } } },
      },
    };
    const withRoute: ServiceEntry = {
      ...service,
      buildOpenApiDocument: (version) => service.buildOpenApiDocument(version, [...(service.ROUTES as unknown[]), extraRoute]),
    };
    expect(await regenerate('docs/http-api.md', withRoute)).not.toBe(read('docs/http-api.md'));
  });

  it('lists every environment variable with its default on the configuration page', () => {
    const page = read('docs/configuration.md');
    const shape = service.ENV_SCHEMA.shape as Record<string, z.ZodType>;
    const missing = (service.ENV_VARIABLES as string[]).filter((name) => {
      const row = page.split('\n').find((line) => line.startsWith(`| \`${name}\` `));
      return row === undefined || !row.includes(` ${defaultOf(shape[name]!)} `);
    });
    expect(missing).toEqual([]);
  });

  it('has a section for every path and method of the OpenAPI document on the HTTP page', () => {
    const page = read('docs/http-api.md');
    const document = service.buildOpenApiDocument('test') as { paths: Record<string, Record<string, unknown>> };
    const missing = Object.entries(document.paths).flatMap(([route, operations]) =>
      Object.keys(operations)
        .map((method) => `### \`${method.toUpperCase()} ${route}\``)
        .filter((heading) => !page.split('\n').includes(heading)),
    );
    expect(Object.keys(document.paths).length).toBeGreaterThan(5);
    expect(missing).toEqual([]);
  });
});

describe('the API reference', () => {
  it('builds with TypeDoc without a warning', async () => {
    const typedoc = path.join(ROOT, 'node_modules/.bin/typedoc');
    // typedoc.json treats warnings as errors; nothing is written.
    const run = promisify(execFile)(typedoc, ['--options', 'typedoc.json', '--emit', 'none'], { cwd: ROOT });
    await expect(run.catch((error: { stdout?: string }) => Promise.reject(new Error(`typedoc failed:\n${error.stdout ?? ''}`)))).resolves.toBeDefined();
  }, 120_000);
});
