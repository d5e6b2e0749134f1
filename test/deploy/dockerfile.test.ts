/** The Dockerfile against the package, the build config and the port compose publishes. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/service/config.js';
import { HEALTH_PATH, environmentOf, isPinned, readText, resolveCompose, sampleEnv } from './support.js';

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

const dockerfile = parseDockerfile(await readText('Dockerfile'));
const runtimeStage = dockerfile.at(-1)!;
const config = loadConfig(environmentOf(resolveCompose(sampleEnv).services.app!));

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
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git', '.env', '.env.*']));
    const copied = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src'];
    for (const name of copied)
      expect(
        ignored.some((pattern) => pattern === name || pattern === `${name}/`),
        name,
      ).toBe(false);
  });
});
