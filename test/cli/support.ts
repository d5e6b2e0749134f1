import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateDemoFiles } from '../../scripts/generate-demo.mjs';
import { createLocalStore } from '../../src/storage/local/LocalStore.js';
import { UserDataTransformer } from '../../src/UserDataTransformer.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
/** The built command, as `npm test` leaves it after `npm run build`. */
export const CLI = path.join(REPO, 'dist/cli/main.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment of a user who has set nothing: the S3 variables the command falls back on are
 * removed, so what a test passes is all the command sees.
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TZ: 'UTC' };
  for (const name of Object.keys(env)) if (name.startsWith('MINIO_')) delete env[name];
  return { ...env, ...extra };
}

/** Runs the built command with stdout and stderr as pipes (not a terminal). */
export function runCli(args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliResult> {
  return runCliAt(CLI, args, options);
}

/** Runs the command through `script`, e.g. a link to the built entry. */
export function runCliAt(script: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { env: options.env ?? cleanEnv(), cwd: options.cwd ?? REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

export function tempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'udt-cli-'));
}

/**
 * A folder `users` of generated demo users (CSVs, images, an orphan image), plus any extra files,
 * in a temp folder of its own (where exports into the store land): remove `path.dirname(dir)`.
 */
export async function makeUserFolder(options: { count: number; seed: number; extra?: Record<string, string> }): Promise<string> {
  const dir = path.join(await tempDir(), 'users');
  await mkdir(dir);
  for (const file of generateDemoFiles({ count: options.count, seed: options.seed })) await writeFile(path.join(dir, file.name), file.body);
  for (const [name, body] of Object.entries(options.extra ?? {})) await writeFile(path.join(dir, name), body);
  return dir;
}

/** The library's view of the same folder, as the command sees it (the prefix `users/` of the folder that holds it). */
export async function libraryView(dir: string): Promise<UserDataTransformer> {
  const transformer = new UserDataTransformer({ store: createLocalStore({ root: path.dirname(dir) }), sourcePrefix: `${path.basename(dir)}/` });
  await transformer.sync();
  return transformer;
}
