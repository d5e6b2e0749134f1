import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layer map of `docs/architecture.md`, checked: every import goes to the same layer or a lower
 * one, there is no cycle, and the service, the command line and the converters reach the library
 * only through its public API (`src/index.ts`).
 */
const SRC = path.resolve(import.meta.dirname, '../../src');

/** Lowest first. A file takes the rank of the first pattern its path (relative to src/) matches. */
const LAYERS: [RegExp, number, string][] = [
  [/^util\//, 0, 'util'],
  [/^(defaults|errors|model)\.ts$/, 1, 'definitions'],
  [/^(storage|parse)\//, 2, 'storage, parse'],
  [/^changelog\//, 2.5, 'changelog'],
  [/^cache\//, 3, 'cache'],
  [/^(query|format)\//, 4, 'query, format'],
  [/^options\.ts$/, 4.5, 'options'],
  [/^snapshot\//, 5, 'snapshot'],
  [/^sync\//, 6, 'sync'],
  [/^(UserDataTransformer|output)\.ts$/, 7, 'facade'],
  [/^index\.ts$/, 8, 'public API'],
  [/^converters\//, 9, 'converters'],
  [/^service\/(index|main)\.ts$/, 12, 'service entry points'],
  [/^service\//, 10, 'service'],
  [/^server\.ts$/, 11, 'server'],
  [/^cli\//, 12, 'cli'],
];
/** Layers that must use the library through `src/index.ts` only. */
const CLIENT_RANK = 9;

function rankOf(file: string): { rank: number; name: string } {
  const rel = path.relative(SRC, file).split(path.sep).join('/');
  const hit = LAYERS.find(([pattern]) => pattern.test(rel));
  if (!hit) throw new Error(`no layer for src/${rel}: add it to the map`);
  return { rank: hit[1], name: hit[2] };
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

/** Relative imports of a file (static, dynamic and type-only), as absolute `.ts` paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*|^import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)].map((m) => m[1]!);
  return specs.map((s) => path.resolve(path.dirname(file), s).replace(/\.js$/, '.ts'));
}

const files = sources(SRC);
const graph = new Map(files.map((f) => [f, importsOf(f)]));
const show = (f: string) => path.relative(SRC, f);

describe('the layers of src/', () => {
  it('imports only existing modules', () => {
    const missing = [...graph].flatMap(([from, tos]) => tos.filter((to) => !graph.has(to)).map((to) => `${show(from)} → ${show(to)}`));
    expect(missing).toEqual([]);
  });

  it('never imports upwards', () => {
    const upward = [...graph].flatMap(([from, tos]) =>
      tos.filter((to) => rankOf(to).rank > rankOf(from).rank).map((to) => `${show(from)} (${rankOf(from).name}) → ${show(to)} (${rankOf(to).name})`),
    );
    expect(upward).toEqual([]);
  });

  it('reaches the library from the service, the command line and the converters through its public API only', () => {
    const around = [...graph].flatMap(([from, tos]) =>
      rankOf(from).rank >= CLIENT_RANK ? tos.filter((to) => rankOf(to).rank >= 1 && rankOf(to).rank < 8).map((to) => `${show(from)} → ${show(to)}`) : [],
    );
    expect(around).toEqual([]);
  });

  it('keeps each store backend to itself', () => {
    const crossing = [...graph].flatMap(([from, tos]) => {
      const backend = /^storage\/(local|s3)\//.exec(show(from))?.[1];
      return backend
        ? tos.filter((to) => /^storage\/(local|s3)\//.test(show(to)) && !show(to).startsWith(`storage/${backend}/`)).map((to) => `${show(from)} → ${show(to)}`)
        : [];
    });
    expect(crossing).toEqual([]);
  });

  it('has no import cycle', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, trail: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...trail.slice(trail.indexOf(file)), file].map(show).join(' → '));
        return;
      }
      state.set(file, 'open');
      for (const to of graph.get(file) ?? []) visit(to, [...trail, file]);
      state.set(file, 'done');
    };
    for (const file of files) visit(file, []);
    expect(cycles).toEqual([]);
  });
});

describe('the runtime dependencies', () => {
  it('are each imported by src/ (type packages by its declarations), and nothing else is', () => {
    const pkg = JSON.parse(readFileSync(path.resolve(SRC, '../package.json'), 'utf8')) as {
      name: string;
      dependencies: Record<string, string>;
      peerDependencies: Record<string, string>;
    };
    const imported = new Set<string>();
    for (const file of files) {
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/(?:from\s+|import\s*\(\s*)['"]([^'".][^'"]*)['"]/g)) {
        if (spec!.startsWith('node:')) continue;
        const parts = spec!.split('/');
        imported.add(spec!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!);
      }
    }
    const unused = Object.keys(pkg.dependencies).filter((name) => !imported.has(name) && !imported.has(name.replace(/^@types\//, '')));
    expect(unused).toEqual([]);
    // Optional peers (danfojs-node) are loaded on first use; the package's own name appears in doc examples.
    const undeclared = [...imported].filter((name) => !(name in pkg.dependencies) && !(name in pkg.peerDependencies) && name !== pkg.name);
    expect(undeclared).toEqual([]);
  });
});
