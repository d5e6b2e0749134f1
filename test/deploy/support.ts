/**
 * Reading the deployment files the way Docker Compose does, as far as these files need: the
 * compose file's shape, its variable interpolation and the .env format.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { parse as parseYaml } from 'yaml';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const readText = (name: string) => readFile(path.join(repoRoot, name), 'utf8');

export const HEALTH_PATH = '/health/ready';

// ---------------------------------------------------------------------------------------------
// Compose's variable interpolation

export interface Reference {
  name: string;
  /** `${VAR:-x}` / `${VAR-x}`: compose has a value even when .env lacks the variable. */
  hasDefault: boolean;
  /** `${VAR:?message}` / `${VAR?message}`: compose stops when the variable has no value. */
  required: boolean;
  /** The text after the operator: the default, or the message compose stops with. */
  argument?: string;
}

const REFERENCE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

function toReference(name: string, operator: string | undefined, argument: string | undefined): Reference {
  return { name, hasDefault: operator === '-' || operator === ':-', required: operator === '?' || operator === ':?', argument };
}

export function interpolate(text: string, env: ReadonlyMap<string, string>): string {
  return text.replace(REFERENCE, (match, braced?: string, operator?: string, argument?: string, bare?: string) => {
    if (match === '$$') return '$';
    const name = (braced ?? bare)!;
    const value = env.get(name);
    const unsetOrEmpty = value === undefined || value === '';
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

export function interpolateTree(node: unknown, env: ReadonlyMap<string, string>): unknown {
  if (typeof node === 'string') return interpolate(node, env);
  if (Array.isArray(node)) return node.map((item) => interpolateTree(item, env));
  if (node && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, interpolateTree(value, env)]));
  }
  return node;
}

/** KEY=VALUE lines as compose reads .env: comments and blank lines skipped, one pair of quotes removed. */
export function parseEnvFile(text: string): Map<string, string> {
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

export interface Service {
  image?: string;
  build?: unknown;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, unknown> | string[];
  ports?: (string | number | { target: number; published?: string | number; host_ip?: string })[];
  volumes?: (string | { type: string; source: string; target: string; read_only?: boolean })[];
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test: string | string[] };
}

export interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

export const rawCompose = parseYaml(await readText('docker-compose.yml')) as ComposeFile;

/** The compose file as compose would run it with `env` as .env; throws where compose would stop. */
export function resolveCompose(env: ReadonlyMap<string, string>): ComposeFile {
  return interpolateTree(rawCompose, env) as ComposeFile;
}

/** Every variable reference in the compose file, whatever .env holds. */
export function composeReferences(): Reference[] {
  const seen: Reference[] = [];
  const collect = (node: unknown): void => {
    if (typeof node === 'string') {
      for (const [match, braced, operator, argument, bare] of node.matchAll(REFERENCE)) {
        if (match === '$$') continue;
        seen.push(toReference((braced ?? bare)!, operator, argument));
      }
    } else if (Array.isArray(node)) node.forEach(collect);
    else if (node && typeof node === 'object') Object.values(node).forEach(collect);
  };
  collect(rawCompose);
  return seen;
}

export function environmentOf(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  const pairs = Array.isArray(env) ? env.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]) : Object.entries(env);
  return Object.fromEntries(pairs.map(([key, value]) => [key, value === null || value === undefined ? '' : String(value)]));
}

interface PortMapping {
  /** The host address; `undefined` means every interface. */
  hostIp: string | undefined;
  published: number;
  target: number;
}

/** `[host_ip:]published:target[/proto]` or the long form. */
export function portMappings(service: Service): PortMapping[] {
  return (service.ports ?? []).map((port) => {
    if (typeof port === 'object') return { hostIp: port.host_ip, published: Number(port.published), target: Number(port.target) };
    const parts = String(port)
      .replace(/\/(tcp|udp)$/, '')
      .split(':');
    const target = Number(parts.pop());
    const published = parts.length > 0 ? Number(parts.pop()) : NaN;
    return { hostIp: parts.length > 0 ? parts.join(':') : undefined, published, target };
  });
}

export function healthcheckCommand(check: { test: string | string[] } | undefined): string {
  if (!check) return '';
  return Array.isArray(check.test) ? check.test.join(' ') : check.test;
}

export function isPinned(image: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const lastSegment = image.split('/').at(-1)!;
  const tag = lastSegment.includes(':') ? lastSegment.slice(lastSegment.indexOf(':') + 1) : '';
  return tag !== '' && tag !== 'latest';
}

export function shellScript(service: Service): string {
  const parts = [service.entrypoint, service.command].flatMap((p) => (p === undefined ? [] : Array.isArray(p) ? p : [p]));
  return parts.join('\n');
}

/** The script the init job's `/bin/sh -c` runs: the first word after `-c`. */
export function initScript(service: Service): string {
  const words = [service.entrypoint, service.command].flatMap((p) => (p === undefined ? [] : Array.isArray(p) ? p : [p]));
  expect(words.slice(0, 2), 'init runs its command with /bin/sh -c').toEqual(['/bin/sh', '-c']);
  return words[2] ?? '';
}

/**
 * Stand-ins for the secrets run.sh generates, to read the compose file as it runs. Values that
 * look nothing alike, so a test can tell which one reached which service.
 */
export const SAMPLE_SECRETS: ReadonlyMap<string, string> = new Map([
  ['MINIO_ROOT_USER', 'sample-root-user'],
  ['MINIO_ROOT_PASSWORD', 'sample-root-password'],
  ['MINIO_APP_ACCESS_KEY', 'sample-app-user'],
  ['MINIO_APP_SECRET_KEY', 'sample-app-secret'],
  ['API_KEY', 'sample-api-key'],
  ['SNAPSHOT_SECRET', 'sample-snapshot-secret'],
]);

export const envExampleText = await readText('.env.example');
export const envExample = parseEnvFile(envExampleText);
/** .env as run.sh writes it: .env.example with the secrets filled in. */
export const sampleEnv: ReadonlyMap<string, string> = new Map([...envExample, ...SAMPLE_SECRETS]);
