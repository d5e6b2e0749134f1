import path from 'node:path';
import { execFile, spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, cleanEnv, libraryView, makeUserFolder, runCli } from './support.js';

const run = promisify(execFile);
const USERS = 300;
/** Starts terminal control sequences. */
const ESC = String.fromCharCode(0x1b);

/** `script` from util-linux runs a command on a pseudo-terminal, as a person's shell would. */
const HAS_SCRIPT = spawnSync('script', ['--version']).status === 0;

describe('udt progress output', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeUserFolder({ count: USERS, seed: 5 });
  });
  afterAll(() => rm(path.dirname(dir), { recursive: true, force: true }));

  it('prints nothing on stderr when it is not a terminal and --progress is not given', async () => {
    const out = path.join(dir, '..', `${path.basename(dir)}-out.csv`);
    try {
      for (const command of ['sync', 'stats', 'query', 'export --out EXPORT_TARGET']) {
        const result = await runCli([...command.replace('EXPORT_TARGET', out).split(' '), '--source', dir]);
        expect(result.code).toBe(0);
        expect(result.stderr).toBe('');
      }
    } finally {
      await rm(out, { force: true });
    }
  });

  it('prints plain progress lines for logs with --progress, and keeps stdout clean', async () => {
    const result = await runCli(['stats', '--source', dir, '--json', '--progress', '--concurrency', '2']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ count: USERS });
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('sync: listing the source');
    const listed = (await libraryView(dir)).lastSync!.report.listed;
    expect(lines[1]).toMatch(new RegExp(`^sync: listed ${listed} objects in \\d+\\.\\ds; downloading ${USERS} CSVs$`));
    expect(lines.at(-1)).toMatch(new RegExp(`^sync: downloaded ${USERS}/${USERS} CSVs in [\\dhms.]+ \\([\\d.]+/s\\)$`));
    for (const line of lines.slice(2, -1))
      expect(line).toMatch(new RegExp(`^sync: (listing, \\d+ objects so far|downloading \\d+/${USERS} CSVs \\(\\d+%\\), [\\d.?]+/s, ETA \\S+)$`));
    // Plain text for log files: no cursor movement or colour codes.
    expect(result.stderr).not.toContain(ESC);
  });

  it('--no-progress silences even --progress given before it', async () => {
    const result = await runCli(['sync', '--source', dir, '--progress', '--no-progress']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
  });

  it.skipIf(!HAS_SCRIPT)('draws a bar with done/total, rate and ETA on a terminal, and clears it', async () => {
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} stats --source ${JSON.stringify(dir)} --json --concurrency 2`;
    const { stdout } = await run('script', ['-qec', command, '/dev/null'], { env: cleanEnv() });
    expect(stdout).toMatch(new RegExp(`downloading \\[[=-]+\\] ${USERS}/${USERS} CSVs \\(100%\\), [\\d.]+/s, ETA`));
    expect(stdout).toMatch(/listing the source:/);
    // Redrawn in place: carriage-return style cursor moves, then the line is erased before the answer.
    expect(stdout).toContain(`${ESC}[1G`);
    expect(stdout).toMatch(new RegExp(`${ESC}\\[2K\\{"average_age":[\\d.]+,"count":${USERS}\\}`));
  });
});
