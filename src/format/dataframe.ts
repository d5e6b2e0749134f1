import { createRequire } from 'node:module';
import { MissingPeerError } from '../errors.js';
import type { UserRow } from '../model.js';
import { cell } from './columns.js';

/**
 * The part of a danfojs `DataFrame` this package promises. The object really is a danfojs
 * DataFrame: for the rest of its API, cast it (`df as unknown as dfd.DataFrame` with
 * `import * as dfd from 'danfojs-node'`). Declared here so that the package's own types never
 * depend on danfojs-node, an optional peer.
 */
export interface DataFrame {
  /** `[rows, columns]`. */
  readonly shape: number[];
  readonly columns: string[];
  readonly dtypes: string[];
  /** Row-major cell values. */
  readonly values: unknown[];
  /** The first `rows` rows (default 5) as a new frame. */
  head(rows?: number): DataFrame;
  /** Prints the frame as a table on the console. */
  print(): void;
}

interface Danfo {
  DataFrame: new (data: unknown[][], options: { columns: string[]; dtypes: string[] }) => DataFrame;
}

/** What to do when danfojs-node is missing: it installs from the npm registry only with these overrides. */
export const DANFO_INSTALL_HINT = [
  'aggregate() needs the optional peer dependency danfojs-node, which is not installed.',
  'Install it with: npm install danfojs-node@1.2.0',
  'On machines that reach only the npm registry, first add to your package.json:',
  '  "overrides": { "@tensorflow/tfjs-node": "npm:@tensorflow/tfjs@3.21.0", "xlsx": "npm:xlsx@0.18.5" }',
  '(danfojs-node 1.2.0 otherwise downloads a native TensorFlow binary and an xlsx tarball from a CDN).',
].join('\n');

let danfo: Danfo | undefined;

/**
 * danfojs-node (with TensorFlow.js, ~100 MB of memory) is loaded the first time a DataFrame is
 * asked for, never before: the service and every other method work without it. Loaded with
 * `require` so `aggregate()` stays synchronous; the package is CommonJS.
 */
function loadDanfo(): Danfo {
  if (danfo) return danfo;
  const require = createRequire(import.meta.url);
  try {
    danfo = require('danfojs-node') as Danfo;
  } catch (error) {
    if ((error as NodeJS.ErrnoException)?.code === 'MODULE_NOT_FOUND' && String((error as Error).message).includes("'danfojs-node'")) {
      throw new MissingPeerError('danfojs-node', DANFO_INSTALL_HINT, { cause: error });
    }
    throw error;
  }
  return danfo;
}

/**
 * A danfojs DataFrame of the rows. Dtypes are given explicitly: left to infer, danfo would call
 * numeric-looking user ids `int32`. `birthts` is labelled `int32`, danfo's only integer dtype; the
 * values stay exact JavaScript numbers (millisecond timestamps exceed 32 bits).
 */
export function toDataFrame(rows: readonly UserRow[], columns: readonly string[]): DataFrame {
  const { DataFrame } = loadDanfo();
  const data = rows.map((row) => columns.map((c) => cell(row, c)));
  const dtypes = columns.map((c) => (c === 'birthts' ? 'int32' : 'string'));
  return new DataFrame(data, { columns: [...columns], dtypes });
}
