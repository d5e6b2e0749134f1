import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/service/config.js';
import { answerClientErrors } from '../../src/service/edges.js';
import { createLogger } from '../../src/service/logger.js';
import { buildService, type Service } from '../../src/server.js';
import { startRefreshing } from '../../src/service/wiring.js';
import { eventually } from '../support/instrumented.js';

const csv = (first: string, age: number) => `first_name,last_name,birthts\n${first},Last,${Date.UTC(2026 - age, 0, 1)}\n`;

/** One raw HTTP exchange, for requests fetch() refuses to send (bad methods, huge headers). */
function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('the edges of the HTTP service', () => {
  let root: string;
  let service: Service;
  let server: Server;
  let url: string;
  let port: number;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'udt-edges-'));
    await mkdir(path.join(root, 'data'));
    await writeFile(path.join(root, 'data', '1.csv'), csv('Young', 20));
    await writeFile(path.join(root, 'data', '2.csv'), csv('Old', 80));
    const config = loadConfig({ LOCAL_ROOT: root, OUTPUT_CRON: 'off', SNAPSHOT_KEY: 'off', HOST: '127.0.0.1' });
    const logger = createLogger('silent');
    service = buildService(config, logger);
    startRefreshing(service, config, logger);
    server = service.app.listen(0, config.host);
    answerClientErrors(server);
    await new Promise((resolve) => server.once('listening', resolve));
    port = (server.address() as AddressInfo).port;
    url = `http://127.0.0.1:${port}`;
    await eventually(() => service.transformer.status.loaded, 5_000, 'loaded');
  });
  afterAll(async () => {
    await service.transformer.stop();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(root, { recursive: true, force: true });
  });

  it('never drops a parameter: 1 000 empty ones before a filter are refused, not ignored', async () => {
    const res = await fetch(`${url}/data?${'&'.repeat(1_000)}min_age=200`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'too_many_parameters', message: expect.stringMatching(/at most 100/) } });
    const unknownLate = await fetch(`${url}/data?${Array.from({ length: 60 }, (_, i) => `min_age=${i}`).join('&')}&bogus=1`);
    expect(unknownLate.status).toBe(400);
    expect(await (await fetch(`${url}/stats?min_age=50`)).json()).toMatchObject({ count: 1 });
  });

  it('answers a query string over 8 KB with 414, in JSON', async () => {
    const res = await fetch(`${url}/data?min_age=1&x=${'a'.repeat(9_000)}`);
    expect(res.status).toBe(414);
    expect(await res.json()).toMatchObject({ error: { code: 'uri_too_long' } });
  });

  it('answers headers too large with 431 and unknown methods with 501, both in JSON', async () => {
    const big = await raw(port, `GET /data HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`);
    expect(big).toMatch(/^HTTP\/1\.1 431 /);
    expect(JSON.parse(big.slice(big.indexOf('\r\n\r\n') + 4))).toMatchObject({ error: { code: 'headers_too_large' } });
    const odd = await raw(port, 'BREW /data HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(odd).toMatch(/^HTTP\/1\.1 501 /);
    expect(JSON.parse(odd.slice(odd.indexOf('\r\n\r\n') + 4))).toMatchObject({ error: { code: 'not_implemented' } });
  });

  it('answers a request that never finishes arriving with 408, in JSON', async () => {
    server.requestTimeout = 300;
    const slow = await raw(port, 'GET /data HTTP/1.1\r\nHost: x\r\n');
    server.requestTimeout = 300_000;
    expect(slow).toMatch(/^HTTP\/1\.1 408 /);
    expect(JSON.parse(slow.slice(slow.indexOf('\r\n\r\n') + 4))).toMatchObject({ error: { code: 'request_timeout' } });
  });

  it('lists the real methods, and keeps the docs to GET and HEAD', async () => {
    const options = await fetch(`${url}/data`, { method: 'OPTIONS' });
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toBe('GET, POST, HEAD, OPTIONS');
    for (const method of ['DELETE', 'POST', 'PUT']) {
      const res = await fetch(`${url}/docs/`, { method });
      expect(res.status).toBe(405);
      expect(await res.json()).toMatchObject({ error: { code: 'method_not_allowed' } });
    }
    expect((await fetch(`${url}/docs/`)).status).toBe(200);
    expect((await fetch(`${url}/openapi.json`, { method: 'DELETE' })).status).toBe(405);
  });

  it('sends security headers, with a policy the docs page works under and no upgrade to HTTPS', async () => {
    const res = await fetch(`${url}/docs/`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('strict-transport-security')).toBeNull();
    // Every script the docs page loads comes from the service itself, as the policy demands.
    const html = await res.text();
    const scripts = [...html.matchAll(/<script[^>]*src=["']([^"']+)["']/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const src of scripts) expect(src).toMatch(/^\.\//);
    expect(html).not.toMatch(/<script>(?!\s*<\/script>)/);
  });
});
