/**
 * The init job's script, run by a real shell with a stand-in `mc` first on PATH that records its
 * arguments, its stdin and any policy file it is given. What MinIO would be told is then checked
 * against what the service reads and writes.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/service/config.js';
import { SAMPLE_SECRETS, environmentOf, initScript, resolveCompose, sampleEnv } from './support.js';

const run = promisify(execFile);

interface McCall {
  args: string[];
  stdin: string;
  /** The content of the policy file `mc admin policy create` was given. */
  policyFile?: string;
}

const FAKE_MC = `#!/usr/bin/env bash
set -eu
dir="$(dirname "$0")/../calls"
mkdir -p "$dir"
n="$(ls "$dir" | grep -c '\\.args$' || true)"
printf '%s\\0' "$@" > "$dir/$n.args"
if [[ "$1 $2 $3" == "admin policy create" ]]; then cat -- "$6" > "$dir/$n.policy"; fi
cat > "$dir/$n.stdin"
`;

const compose = resolveCompose(sampleEnv);
const initEnv = environmentOf(compose.services.init!);
const config = loadConfig(environmentOf(compose.services.app!));
const secrets = ['MINIO_ROOT_PASSWORD', 'MINIO_APP_SECRET_KEY'].map((name) => SAMPLE_SECRETS.get(name)!);

let dir: string;
let calls: McCall[];

async function recordedCalls(): Promise<McCall[]> {
  const callDir = path.join(dir, 'calls');
  const count = (await readdir(callDir)).filter((f) => f.endsWith('.args')).length;
  const read = (name: string) => readFile(path.join(callDir, name), 'utf8').catch(() => undefined);
  const result: McCall[] = [];
  for (let n = 0; n < count; n++) {
    const args = (await read(`${n}.args`))!.split('\0').slice(0, -1);
    result.push({ args, stdin: (await read(`${n}.stdin`)) ?? '', policyFile: await read(`${n}.policy`) });
  }
  return result;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'udt-init-'));
  await mkdir(path.join(dir, 'bin'));
  await writeFile(path.join(dir, 'bin', 'mc'), FAKE_MC);
  await chmod(path.join(dir, 'bin', 'mc'), 0o755);
  // The container's environment: what compose gives the service, and a PATH leading to the stand-in.
  const env = { ...initEnv, PATH: `${path.join(dir, 'bin')}${path.delimiter}${process.env.PATH ?? ''}` };
  const child = run('/bin/sh', ['-c', initScript(compose.services.init!)], { env, timeout: 20_000 });
  child.child.stdin?.end();
  await child;
  calls = await recordedCalls();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function callOf(...prefix: string[]): { call: McCall; index: number } {
  const index = calls.findIndex((c) => prefix.every((word, i) => c.args[i] === word));
  expect(index, `mc ${prefix.join(' ')} runs`).toBeGreaterThanOrEqual(0);
  return { call: calls[index]!, index };
}

interface Grant {
  action: string;
  resource: string;
}

function grantsOf(policy: unknown): Grant[] {
  const document = policy as { Version: string; Statement: { Effect: string; Action: string | string[]; Resource: string | string[] }[] };
  expect(document.Version).toBe('2012-10-17');
  const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
  return document.Statement.flatMap((s) => {
    expect(s.Effect, 'only Allow statements: nothing to carve out of a grant this small').toBe('Allow');
    return list(s.Action).flatMap((action) => list(s.Resource).map((resource) => ({ action, resource })));
  });
}

describe('the init job', () => {
  it('logs in with the root account, passing the secrets on stdin rather than as arguments', () => {
    const { call } = callOf('alias', 'set');
    expect(call.stdin.split('\n').slice(0, 2)).toEqual([initEnv.MINIO_ROOT_USER, initEnv.MINIO_ROOT_PASSWORD]);
    for (const c of calls) for (const secret of secrets) expect(c.args.join(' '), `mc ${c.args.join(' ')}`).not.toContain(secret);
  });

  it('creates the user the app logs in with', () => {
    const { call } = callOf('admin', 'user', 'add');
    const [, , , alias, user] = call.args;
    expect(alias).toBe(callOf('alias', 'set').call.args[2]);
    expect(config.store.kind === 's3' && [config.store.accessKey, config.store.secretKey]).toEqual([user, call.stdin.replace(/\n$/, '')]);
    expect(user).not.toBe(initEnv.MINIO_ROOT_USER);
  });

  it('attaches to that user, once it exists, a policy it has just created', () => {
    const created = callOf('admin', 'policy', 'create');
    const added = callOf('admin', 'user', 'add');
    const attached = callOf('admin', 'policy', 'attach');
    const policyName = created.call.args[4];
    expect(attached.call.args.slice(4)).toEqual([policyName, '--user', added.call.args[4]]);
    expect(attached.index).toBeGreaterThan(Math.max(created.index, added.index));
  });

  it('limits that policy to the bucket: list it, read the source prefix, read and write the output folder', () => {
    const { call } = callOf('admin', 'policy', 'create');
    expect(call.policyFile, 'the policy file mc is given').toBeDefined();
    const grants = grantsOf(JSON.parse(call.policyFile!));
    if (config.store.kind !== 's3') throw new Error('the app must use MinIO');
    const bucket = `arn:aws:s3:::${config.store.bucket}`;
    const source = `${bucket}/${config.sourcePrefix}*`;
    const output = `${bucket}/${config.outputKey.slice(0, config.outputKey.lastIndexOf('/') + 1)}*`;
    // What the service does: list the bucket, read the user files, write the export.
    const needed = [
      { action: 's3:ListBucket', resource: bucket },
      { action: 's3:GetObject', resource: source },
      { action: 's3:PutObject', resource: output },
    ];
    const allowed = [
      ...needed,
      { action: 's3:GetBucketLocation', resource: bucket },
      { action: 's3:ListenBucketNotification', resource: bucket },
      { action: 's3:GetObject', resource: output },
    ];
    for (const grant of needed) expect(grants).toContainEqual(grant);
    // Nothing more: no wildcard action, no other bucket or prefix, no deleting.
    for (const grant of grants) expect(allowed, `${grant.action} on ${grant.resource}`).toContainEqual(grant);
    expect(output).toBe(`${bucket}/processed_data/*`);
  });
});
