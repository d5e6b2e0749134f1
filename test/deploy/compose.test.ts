/**
 * The deployment files repeat names and numbers the code owns (variables, bucket, prefix, port,
 * health path, entry point). Nothing at run time would notice a mismatch: a misspelt variable is
 * silently ignored and the service starts on defaults. These tests make such drift fail here.
 */
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ENV_VARIABLES, loadConfig } from '../../src/service/config.js';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const readText = (name: string) => readFile(path.join(repoRoot, name), 'utf8');

const HEALTH_PATH = '/health';

// ---------------------------------------------------------------------------------------------
// Compose's variable interpolation, as far as these files use it

interface Reference {
  name: string;
  /** `${VAR:-x}` / `${VAR-x}`: compose has a value even when .env lacks the variable. */
  hasDefault: boolean;
}

const REFERENCE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

function interpolate(text: string, env: Map<string, string>, seen: Reference[]): string {
  return text.replace(REFERENCE, (match, braced?: string, operator?: string, argument?: string, bare?: string) => {
    if (match === '$$') return '$';
    const name = (braced ?? bare)!;
    const value = env.get(name);
    const unsetOrEmpty = value === undefined || value === '';
    seen.push({ name, hasDefault: operator === '-' || operator === ':-' });
    switch (operator) {
      case ':-':
        return unsetOrEmpty ? argument! : value;
      case '-':
        return value ?? argument!;
      case ':?':
      case '?':
        if (operator === ':?' ? unsetOrEmpty : value === undefined) throw new Error(`compose would stop: ${name} ${argument}`);
        return value!;
      default:
        return value ?? '';
    }
  });
}

function interpolateTree(node: unknown, env: Map<string, string>, seen: Reference[]): unknown {
  if (typeof node === 'string') return interpolate(node, env, seen);
  if (Array.isArray(node)) return node.map((item) => interpolateTree(item, env, seen));
  if (node && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, interpolateTree(value, env, seen)]));
  }
  return node;
}

/** KEY=VALUE lines as compose reads .env: comments and blank lines skipped, one pair of quotes removed. */
function parseEnvFile(text: string): Map<string, string> {
  const env = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match) continue;
    const raw = match[2]!.trim();
    env.set(match[1]!, /^(["']).*\1$/.test(raw) ? raw.slice(1, -1) : raw);
  }
  return env;
}

// ---------------------------------------------------------------------------------------------
// Compose file shapes

interface Service {
  image?: string;
  build?: unknown;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, unknown> | string[];
  ports?: (string | number | { target: number; published?: string | number })[];
  volumes?: (string | { type: string; source: string; target: string; read_only?: boolean })[];
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test: string | string[] };
}

interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

function environmentOf(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  const pairs = Array.isArray(env) ? env.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]) : Object.entries(env);
  return Object.fromEntries(pairs.map(([key, value]) => [key, value === null || value === undefined ? '' : String(value)]));
}

function containerPorts(service: Service): number[] {
  return (service.ports ?? []).map((port) => {
    if (typeof port === 'object') return Number(port.target);
    const container = String(port).split(':').at(-1)!;
    return Number(container.replace(/\/(tcp|udp)$/, ''));
  });
}

function publishedPorts(service: Service): number[] {
  return (service.ports ?? []).map((port) => (typeof port === 'object' ? Number(port.published) : Number(String(port).split(':').at(-2))));
}

function healthcheckCommand(check: { test: string | string[] } | undefined): string {
  if (!check) return '';
  return Array.isArray(check.test) ? check.test.join(' ') : check.test;
}

function isPinned(image: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const lastSegment = image.split('/').at(-1)!;
  const tag = lastSegment.includes(':') ? lastSegment.slice(lastSegment.indexOf(':') + 1) : '';
  return tag !== '' && tag !== 'latest';
}

function shellScript(service: Service): string {
  const parts = [service.entrypoint, service.command].flatMap((p) => (p === undefined ? [] : Array.isArray(p) ? p : [p]));
  return parts.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Dockerfile

interface Instruction {
  keyword: string;
  args: string;
}

function parseDockerfile(text: string): Instruction[][] {
  const logical = text
    .split(/\r?\n/)
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const stages: Instruction[][] = [];
  for (const line of logical) {
    const space = line.search(/\s/);
    const instruction = { keyword: line.slice(0, space).toUpperCase(), args: line.slice(space + 1).trim() };
    if (instruction.keyword === 'FROM') stages.push([]);
    stages.at(-1)?.push(instruction);
  }
  return stages;
}

function argsOf(stage: Instruction[], keyword: string): string[] {
  return stage.filter((i) => i.keyword === keyword).map((i) => i.args);
}

function stageName(stage: Instruction[]): string | undefined {
  return /\sAS\s+(\S+)\s*$/i.exec(stage[0]!.args)?.[1];
}

function stageImage(stage: Instruction[]): string {
  return stage[0]!.args.split(/\s+/).find((word) => !word.startsWith('--'))!;
}

// ---------------------------------------------------------------------------------------------

const envExampleText = await readText('.env.example');
const envExample = parseEnvFile(envExampleText);
const rawCompose = parseYaml(await readText('docker-compose.yml')) as ComposeFile;
const references: Reference[] = [];
const compose = interpolateTree(rawCompose, envExample, references) as ComposeFile;
const dockerfile = parseDockerfile(await readText('Dockerfile'));
const runtimeStage = dockerfile.at(-1)!;

const { minio, init, app } = compose.services;
const appEnv = environmentOf(app!);
const config = loadConfig(appEnv);

const initScript = shellScript(init!);
const bucketMade = /\bmc\s+mb\b[^\n]*?\s([\w.-]+)\/([\w.-]+)\/?[ \t]*$/m.exec(initScript);
const seeded = /\bmc\s+(?:mirror|cp)\b[^\n]*?\s(\/\S*)\s+([\w.-]+)\/([\w.-]+)\/(\S*)[ \t]*$/m.exec(initScript);
const aliasSet = /\bmc\s+alias\s+set\s+([\w.-]+)\s+(\S+)/.exec(initScript);

describe('docker-compose.yml and the service configuration', () => {
  it('has the three services', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['app', 'init', 'minio']);
  });

  it('passes the app only variables the service reads', () => {
    const unknown = Object.keys(appEnv).filter((name) => !ENV_VARIABLES.includes(name));
    expect(unknown).toEqual([]);
  });

  it('gives the app an environment loadConfig accepts, pointed at MinIO', () => {
    expect(config.store.kind).toBe('s3');
    if (config.store.kind !== 's3') return;
    const endpoint = new URL(config.store.endpoint);
    expect(Object.keys(compose.services)).toContain(endpoint.hostname);
    expect(containerPorts(compose.services[endpoint.hostname]!)).toContain(Number(endpoint.port));
    // No dedicated user is created, so the app must hold MinIO's root pair.
    const minioEnv = environmentOf(minio!);
    expect(config.store.accessKey).toBe(minioEnv.MINIO_ROOT_USER);
    expect(config.store.secretKey).toBe(minioEnv.MINIO_ROOT_PASSWORD);
    expect(config.outputKey).toBe('processed_data/output.csv');
  });

  it('reads the bucket and prefix the init job creates and uploads to', () => {
    expect(bucketMade, 'init runs `mc mb <alias>/<bucket>`').not.toBeNull();
    expect(seeded, 'init runs `mc mirror <dir> <alias>/<bucket>/<prefix>`').not.toBeNull();
    expect(aliasSet, 'init runs `mc alias set <alias> <url> ...`').not.toBeNull();
    const [, mbAlias, bucket] = bucketMade!;
    const [, source, seedAlias, seedBucket, prefix] = seeded!;
    expect([mbAlias, seedAlias]).toEqual([aliasSet![1], aliasSet![1]]);
    expect(config.store.kind === 's3' && config.store.bucket).toBe(bucket);
    expect(seedBucket).toBe(bucket);
    expect(config.sourcePrefix).toBe(prefix!.endsWith('/') ? prefix : `${prefix}/`);
    expect(config.store.kind === 's3' && config.store.endpoint.replace(/\/$/, '')).toBe(aliasSet![2]!.replace(/\/$/, ''));

    // The folder mirrored is ./data, mounted read-only.
    const mount = (init!.volumes ?? []).map(String).find((v) => v.split(':')[1] === source!.replace(/\/$/, ''));
    expect(mount).toMatch(/^\.\/data\/?:[^:]+:ro$/);
  });

  it('orders start-up: MinIO healthy, then the init job done, then the app', () => {
    expect(healthcheckCommand(minio!.healthcheck)).not.toBe('');
    expect(init!.depends_on).toEqual({ minio: { condition: 'service_healthy' } });
    expect(app!.depends_on).toEqual({ init: { condition: 'service_completed_successfully' } });
  });

  it('publishes and health-checks the port the service listens on', () => {
    expect(containerPorts(app!)).toEqual([config.port]);
    expect(publishedPorts(app!).every((p) => Number.isInteger(p) && p > 0)).toBe(true);
    const probe = healthcheckCommand(app!.healthcheck);
    expect(probe).toContain(`:${config.port}${HEALTH_PATH}`);
    // The runtime image is node:*-slim, which has neither.
    expect(probe).not.toMatch(/\b(curl|wget)\b/);
  });

  it('keeps MinIO data in a named volume', () => {
    const volume = (minio!.volumes ?? []).map(String).find((v) => v.endsWith(':/data'));
    expect(volume).toBeDefined();
    expect(Object.keys(compose.volumes ?? {})).toContain(volume!.split(':')[0]);
  });

  it('pins every image to a tag other than latest', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (service.image) expect(isPinned(service.image), `${name}: ${service.image}`).toBe(true);
      else expect(service.build, `${name} has neither image nor build`).toBeDefined();
    }
  });
});

describe('.env.example', () => {
  it('defines every variable compose needs a value for', () => {
    const required = [...new Set(references.filter((r) => !r.hasDefault).map((r) => r.name))];
    expect(required.length).toBeGreaterThan(0);
    for (const name of required) expect(envExample.get(name), name).toBeTruthy();
  });

  it('lists every variable compose uses, and nothing else', () => {
    const used = new Set(references.map((r) => r.name));
    expect([...envExample.keys()].sort()).toEqual([...used].sort());
  });

  it('has a root password MinIO accepts (at least 8 characters)', () => {
    expect(envExample.get('MINIO_ROOT_USER')!.length).toBeGreaterThanOrEqual(3);
    expect(envExample.get('MINIO_ROOT_PASSWORD')!.length).toBeGreaterThanOrEqual(8);
  });

  it('is ignored by git as .env, so real credentials never get committed', async () => {
    expect((await readText('.gitignore')).split(/\r?\n/)).toContain('.env');
  });
});

describe('Dockerfile', () => {
  it('builds in one stage and runs from a second', () => {
    expect(dockerfile.length).toBeGreaterThanOrEqual(2);
    const build = dockerfile[0]!;
    expect(argsOf(build, 'COPY').join(' ')).toMatch(/package\.json package-lock\.json/);
    expect(argsOf(build, 'RUN')).toEqual(expect.arrayContaining([expect.stringMatching(/\bnpm ci\b/), 'npm run build']));
    expect(argsOf(runtimeStage, 'COPY')).toContain(`--from=${stageName(build)} /app/dist ./dist`);
  });

  it('pins every base image to a tag other than latest', () => {
    const stageNames = new Set(dockerfile.map(stageName));
    for (const stage of dockerfile) {
      const image = stageImage(stage);
      if (!stageNames.has(image)) expect(isPinned(image), image).toBe(true);
    }
  });

  it('runs a Node.js release that is still supported and satisfies the package engines', async () => {
    const majors = dockerfile.map(stageImage).map((image) => /^node:(\d+)/.exec(image)?.[1]);
    expect(majors.every((m) => m !== undefined)).toBe(true);
    const major = Number(majors[0]);
    expect(new Set(majors).size).toBe(1);
    // Node 20 left maintenance on 2026-04-30; even-numbered releases are the long-term ones.
    expect(major).toBeGreaterThanOrEqual(22);
    expect(major % 2).toBe(0);
    const pkg = JSON.parse(await readText('package.json')) as { engines: { node: string } };
    const minimum = /^>=(\d+)\.(\d+)/.exec(pkg.engines.node);
    expect(minimum, 'engines.node is a >= range').not.toBeNull();
    expect(major).toBeGreaterThanOrEqual(Number(minimum![1]));
  });

  it('installs only production dependencies in the runtime stage and runs as a non-root user', () => {
    const installs = argsOf(runtimeStage, 'RUN').filter((r) => /\bnpm ci\b/.test(r));
    expect(installs).toHaveLength(1);
    expect(installs[0]).toContain('--omit=dev');
    expect(argsOf(runtimeStage, 'ENV')).toContain('NODE_ENV=production');
    const user = argsOf(runtimeStage, 'USER').at(-1);
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user!.split(':')[0]);
  });

  it('starts dist/service/main.js, as npm start does', async () => {
    const cmd = JSON.parse(argsOf(runtimeStage, 'CMD').at(-1)!) as string[];
    expect(cmd).toEqual(['node', 'dist/service/main.js']);
    const pkg = JSON.parse(await readText('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start!.split(/\s+/)).toEqual(cmd);
    // tsconfig.build.json decides where src/main.ts lands.
    const buildConfig = JSON.parse(await readText('tsconfig.build.json')) as { compilerOptions: { rootDir: string; outDir: string } };
    expect([buildConfig.compilerOptions.rootDir, buildConfig.compilerOptions.outDir]).toEqual(['src', 'dist']);
  });

  it('exposes and health-checks the port compose publishes', () => {
    expect(argsOf(runtimeStage, 'EXPOSE')).toEqual([String(config.port)]);
    const healthcheck = argsOf(runtimeStage, 'HEALTHCHECK').join(' ');
    expect(healthcheck).toContain(`:${config.port}${HEALTH_PATH}`);
    expect(healthcheck).not.toMatch(/\b(curl|wget)\b/);
  });

  it('has a .dockerignore that keeps secrets and build output out but lets the sources in', async () => {
    const ignored = (await readText('.dockerignore'))
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git', '.env']));
    const copied = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src'];
    for (const name of copied)
      expect(
        ignored.some((pattern) => pattern === name || pattern === `${name}/`),
        name,
      ).toBe(false);
  });
});

describe('run.sh', () => {
  const script = path.join(repoRoot, 'run.sh');

  it('is an executable bash script that parses', async () => {
    expect((await stat(script)).mode & 0o111).not.toBe(0);
    const text = await readText('run.sh');
    expect(text.split('\n')[0]).toMatch(/^#!(\/usr\/bin\/env bash|\/bin\/bash)$/);
    expect(text).toMatch(/^set -euo pipefail$/m);
    await run('bash', ['-n', script]);
  });

  it('waits for the health path on the published port and prints the service URLs', async () => {
    const text = await readText('run.sh');
    expect(text).toContain(HEALTH_PATH);
    expect(text).toMatch(/APP_PORT:-8080|:-8080/);
    for (const url of ['/data', '/docs', 'http://localhost:9001', '/stats']) expect(text).toContain(url);
  });

  /** A copy of run.sh and .env.example in a scratch folder, with a fake `docker` first on PATH. */
  async function sandbox(dockerScript: string) {
    const dir = await mkdtemp(path.join(tmpdir(), 'udt-run-'));
    await copyFile(script, path.join(dir, 'run.sh'));
    await copyFile(path.join(repoRoot, '.env.example'), path.join(dir, '.env.example'));
    const bin = path.join(dir, 'bin');
    await mkdir(bin);
    await writeFile(path.join(bin, 'docker'), `#!/usr/bin/env bash\necho "$*" >> "${dir}/docker.log"\n${dockerScript}\n`);
    await chmod(path.join(bin, 'docker'), 0o755);
    // APP_PORT from the caller's shell would override what a test chooses.
    const { APP_PORT: _ignored, ...inherited } = process.env;
    const env: NodeJS.ProcessEnv = { ...inherited, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` };
    return { dir, env, cleanup: () => rm(dir, { recursive: true, force: true }) };
  }

  async function runScript(dir: string, args: string[], env: NodeJS.ProcessEnv) {
    return run('bash', [path.join(dir, 'run.sh'), ...args], { env, timeout: 20_000 }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
  }

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

  it('creates .env, starts the stack, waits for a 200 from /health and prints the URLs', async () => {
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
      expect(result.stdout).toMatch(/Created \.env from \.env\.example/);
      expect(await readFile(path.join(box.dir, '.env'), 'utf8')).toBe(envExampleText);
      expect(await readFile(path.join(box.dir, 'docker.log'), 'utf8')).toMatch(/^compose up -d --build$/m);
      expect(hits.filter((h) => h === HEALTH_PATH).length).toBeGreaterThanOrEqual(2);
      for (const url of [`http://localhost:${port}/data`, `http://localhost:${port}/docs`, 'http://localhost:9001', `http://localhost:${port}/stats`]) {
        expect(result.stdout).toContain(url);
      }
      expect(result.stdout).toContain(`curl 'http://localhost:${port}/data?is_image_exists=true&min_age=30&max_age=60'`);
      expect(result.stdout).toContain(`curl -X POST http://localhost:${port}/data`);
    } finally {
      server.close();
      await box.cleanup();
    }
  });

  it('maps down and logs onto docker compose', async () => {
    const box = await sandbox('exit 0');
    try {
      expect((await runScript(box.dir, ['down'], box.env)).code).toBe(0);
      expect((await runScript(box.dir, ['logs'], box.env)).code).toBe(0);
      const calls = (await readFile(path.join(box.dir, 'docker.log'), 'utf8')).split('\n');
      expect(calls).toEqual(expect.arrayContaining(['compose down', 'compose logs -f']));
    } finally {
      await box.cleanup();
    }
  });
});
