/**
 * run.sh, run by bash in a scratch folder with a stand-in `docker` first on PATH that logs its
 * arguments; there is no Docker engine here.
 */
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/service/config.js';
import { HEALTH_PATH, SAMPLE_SECRETS, envExample, envExampleText, environmentOf, parseEnvFile, readText, repoRoot, resolveCompose } from './support.js';

const run = promisify(execFile);
const script = path.join(repoRoot, 'run.sh');
const SECRET_NAMES = [...SAMPLE_SECRETS.keys()];
/** A stand-in docker whose `compose up` fails, so `up` stops right after preparing .env. */
const UP_FAILS = '[[ "$1 $2" == "compose up" ]] && exit 1\nexit 0';

/** A copy of run.sh and .env.example in a scratch folder, with a fake `docker` first on PATH. */
async function sandbox(dockerScript: string) {
  const dir = await mkdtemp(path.join(tmpdir(), 'udt-run-'));
  await copyFile(script, path.join(dir, 'run.sh'));
  await copyFile(path.join(repoRoot, '.env.example'), path.join(dir, '.env.example'));
  const bin = path.join(dir, 'bin');
  await mkdir(bin);
  await writeFile(path.join(bin, 'docker'), `#!/usr/bin/env bash\necho "$*" >> "${dir}/docker.log"\n${dockerScript}\n`);
  await chmod(path.join(bin, 'docker'), 0o755);
  // Settings from the caller's shell would override what a test chooses, as they do for compose.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !envExample.has(name)));
  const env: NodeJS.ProcessEnv = { ...inherited, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` };
  const file = (name: string) => path.join(dir, name);
  const read = (name: string) => readFile(file(name), 'utf8').catch(() => '');
  return { dir, env, file, read, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

async function runScript(dir: string, args: string[], env: NodeJS.ProcessEnv) {
  return run('bash', [path.join(dir, 'run.sh'), ...args], { env, timeout: 20_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

/** The secrets of a freshly generated .env, after checking that nothing printed gives them away. */
async function firstRun(): Promise<Map<string, string>> {
  const box = await sandbox(UP_FAILS);
  try {
    const result = await runScript(box.dir, [], box.env);
    expect(result.stderr).toMatch(/docker compose up failed/);
    const env = parseEnvFile(await box.read('.env'));
    const secrets = new Map(SECRET_NAMES.map((name) => [name, env.get(name) ?? '']));
    for (const value of secrets.values()) expect(`${result.stdout}${result.stderr}`).not.toContain(value);
    return secrets;
  } finally {
    await box.cleanup();
  }
}

describe('run.sh', () => {
  it('is an executable bash script that parses', async () => {
    expect((await stat(script)).mode & 0o111).not.toBe(0);
    const text = await readText('run.sh');
    expect(text.split('\n')[0]).toMatch(/^#!(\/usr\/bin\/env bash|\/bin\/bash)$/);
    expect(text).toMatch(/^set -euo pipefail$/m);
    await run('bash', ['-n', script]);
  });

  it('waits for the health path on the published port', async () => {
    const text = await readText('run.sh');
    expect(text).toContain(HEALTH_PATH);
    expect(text).toMatch(/APP_PORT 8080|APP_PORT:-8080/);
  });

  it('rejects an unknown command with usage and status 2', async () => {
    const box = await sandbox('exit 0');
    try {
      const result = await runScript(box.dir, ['restart'], box.env);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/usage:/);
    } finally {
      await box.cleanup();
    }
  });

  it('explains what to do when docker compose is unavailable', async () => {
    const box = await sandbox('[[ "$1" == compose ]] && exit 1\nexit 0');
    try {
      const result = await runScript(box.dir, ['up'], box.env);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/Compose plugin/);
      expect(result.stderr).toContain('npm ci && npm start');
    } finally {
      await box.cleanup();
    }
  });

  it('creates .env with secrets, starts the stack, waits for a 200 from /health and prints the URLs', async () => {
    const box = await sandbox('exit 0');
    const hits: string[] = [];
    const server = createServer((req, res) => {
      hits.push(req.url ?? '');
      // The first probe finds the service still starting.
      res.statusCode = req.url === HEALTH_PATH && hits.length > 1 ? 200 : 503;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const result = await runScript(box.dir, [], { ...box.env, APP_PORT: String(port) });
      expect(result.stderr).not.toMatch(/did not answer/);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/Created \.env with random secrets/);
      expect(await box.read('docker.log')).toMatch(/^compose up -d --build$/m);
      expect(hits.filter((h) => h === HEALTH_PATH).length).toBeGreaterThanOrEqual(2);
      for (const url of [`http://localhost:${port}/data`, `http://localhost:${port}/docs`, 'http://localhost:9001', `http://localhost:${port}/stats`]) {
        expect(result.stdout).toContain(url);
      }
      expect(result.stdout).toContain(`curl 'http://localhost:${port}/data?is_image_exists=true&min_age=30&max_age=60'`);

      // The key itself is never printed, only a command that reads it from .env; that command works.
      const apiKey = parseEnvFile(await box.read('.env')).get('API_KEY')!;
      expect(result.stdout).not.toContain(apiKey);
      const post = /^\s*(curl -X POST -H "x-api-key: \$\((.+?)\)" (\S+))$/m.exec(result.stdout);
      expect(post, 'a POST /data example with the key read from .env').not.toBeNull();
      expect(post![3]).toBe(`http://localhost:${port}/data`);
      expect((await run('sh', ['-c', post![2]!], { cwd: box.dir })).stdout.trim()).toBe(apiKey);
    } finally {
      server.close();
      await box.cleanup();
    }
  });

  it('on first use writes random secrets, new on every run, into an .env only its owner reads', async () => {
    const [first, second] = [await firstRun(), await firstRun()];
    for (const name of SECRET_NAMES) {
      const value = first.get(name)!;
      expect(value, name).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(value.length, name).toBeGreaterThanOrEqual(/USER|ACCESS_KEY/.test(name) ? 12 : 32);
      expect(value, name).not.toBe(second.get(name));
    }
    // All different from each other, none a value .env.example holds.
    expect(new Set(first.values()).size).toBe(SECRET_NAMES.length);
    const exampleValues = new Set(envExample.values());
    for (const value of [...first.values(), ...second.values()]) expect(exampleValues.has(value)).toBe(false);

    const box = await sandbox(UP_FAILS);
    try {
      await runScript(box.dir, [], box.env);
      expect((await stat(box.file('.env'))).mode & 0o077).toBe(0);
      // Everything but the secrets is .env.example line for line, comments included.
      const secretLine = new RegExp(`^(${SECRET_NAMES.join('|')})=`);
      const generated = (await box.read('.env')).split('\n');
      const example = envExampleText.split('\n');
      expect(generated.length).toBe(example.length);
      generated.forEach((line, i) => {
        if (secretLine.test(line)) expect(line.slice(0, line.indexOf('=') + 1)).toBe(example[i]);
        else expect(line).toBe(example[i]);
      });
      // Compose starts with it, and the app gets its own user's keys and the API key.
      const env = parseEnvFile(await box.read('.env'));
      const config = loadConfig(environmentOf(resolveCompose(env).services.app!));
      expect(config.store.kind === 's3' && [config.store.accessKey, config.store.secretKey]).toEqual([
        env.get('MINIO_APP_ACCESS_KEY'),
        env.get('MINIO_APP_SECRET_KEY'),
      ]);
      expect(config.apiKey).toBe(env.get('API_KEY'));
    } finally {
      await box.cleanup();
    }
  });

  it('keeps an existing .env as it is', async () => {
    const box = await sandbox(UP_FAILS);
    try {
      await runScript(box.dir, [], box.env);
      const generated = await box.read('.env');
      const again = await runScript(box.dir, [], box.env);
      expect(again.stdout).not.toMatch(/Created/);
      expect(await box.read('.env')).toBe(generated);

      // Values someone chose are used, not replaced.
      const chosen = [...SAMPLE_SECRETS].map(([name, value]) => `${name}=${value}`).join('\n');
      await writeFile(box.file('.env'), `${chosen}\nAPP_PORT=8181\n`);
      await runScript(box.dir, [], box.env);
      expect(await box.read('.env')).toBe(`${chosen}\nAPP_PORT=8181\n`);
      expect((await box.read('docker.log')).match(/^compose up -d --build$/gm)).toHaveLength(3);
    } finally {
      await box.cleanup();
    }
  });

  it('refuses an .env with empty, missing or placeholder secrets, naming each, and starts nothing', async () => {
    const box = await sandbox('exit 0');
    const oldDefaults =
      'MINIO_ROOT_USER=minioadmin\nMINIO_ROOT_PASSWORD="minioadmin-change-me"\nMINIO_APP_ACCESS_KEY=app\nMINIO_APP_SECRET_KEY=short\nAPP_PORT=8080\n';
    try {
      for (const [text, problems] of [
        [envExampleText, SECRET_NAMES.map((name) => `${name} is empty`)],
        [
          oldDefaults,
          [
            'MINIO_ROOT_USER still holds a placeholder',
            'MINIO_ROOT_PASSWORD still holds a placeholder',
            'MINIO_APP_SECRET_KEY is shorter than 8 characters',
            'API_KEY is missing',
          ],
        ],
      ] as const) {
        await writeFile(box.file('.env'), text);
        const result = await runScript(box.dir, [], box.env);
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(/\.env is not ready; the stack was not started/);
        for (const problem of problems) expect(result.stderr).toContain(problem);
        expect(await box.read('.env')).toBe(text);
      }
      expect(await box.read('docker.log')).not.toMatch(/compose up/);
    } finally {
      await box.cleanup();
    }
  });

  it('maps down and logs onto docker compose, with or without a usable .env, and never writes one', async () => {
    // Like compose, the stand-in stops when a secret has no value; .env has none here, so they
    // must come from run.sh, which needs no real ones to stop a stack or show its logs.
    const box = await sandbox(
      `[[ "$2" == version ]] && exit 0
      for v in ${SECRET_NAMES.join(' ')}; do [[ -n "\${!v:-}" ]] || { echo "required variable $v is missing a value" >&2; exit 1; }; done`,
    );
    try {
      expect((await runScript(box.dir, ['down'], box.env)).code).toBe(0);
      expect((await runScript(box.dir, ['logs'], box.env)).code).toBe(0);
      expect(await box.read('.env')).toBe('');
      await writeFile(box.file('.env'), envExampleText);
      expect((await runScript(box.dir, ['down', '-v'], box.env)).code).toBe(0);
      expect(await box.read('.env')).toBe(envExampleText);
      const calls = (await box.read('docker.log')).split('\n');
      expect(calls).toEqual(expect.arrayContaining(['compose down', 'compose logs -f', 'compose down -v']));
    } finally {
      await box.cleanup();
    }
  });
});
