// One bounded load run against a loopback URL, in its own process so the load generator shares an
// event loop with neither the service nor the harness.
//
//   node bench/load.mjs <url> <connections> <seconds>
//
// `connections` keep-alive connections each send the next request as soon as the previous answer
// has been read, for `seconds`. Bodies are counted and dropped: autocannon, tried first, appends
// every body chunk to a string, which at 11 MB per answer made the load generator (not the
// service) the bottleneck. Prints one JSON line with requests/s and latency percentiles in ms.
import http from 'node:http';
import { performance } from 'node:perf_hooks';

const [url, connections, seconds] = process.argv.slice(2);
if (!url || !/^http:\/\/127\.0\.0\.1:\d+\//.test(url)) {
  console.error('usage: load.mjs http://127.0.0.1:<port>/<path> <connections> <seconds>');
  process.exit(2);
}
process.on('disconnect', () => process.exit(0));

const agent = new http.Agent({ keepAlive: true, maxSockets: Number(connections) });
const latenciesMs = [];
let bytes = 0;
let non2xx = 0;
let errors = 0;

function once() {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const req = http.get(url, { agent }, (res) => {
      if (res.statusCode < 200 || res.statusCode >= 300) non2xx++;
      res.on('data', (chunk) => (bytes += chunk.length));
      res.on('end', () => {
        latenciesMs.push(Number(process.hrtime.bigint() - started) / 1e6);
        resolve();
      });
    });
    req.on('error', () => {
      errors++;
      resolve();
    });
  });
}

const deadline = Date.now() + Number(seconds) * 1000;
const startedAt = performance.now();
await Promise.all(
  Array.from({ length: Number(connections) }, async () => {
    while (Date.now() < deadline) await once();
  }),
);
const elapsedS = (performance.now() - startedAt) / 1000;
latenciesMs.sort((a, b) => a - b);
const pct = (p) => latenciesMs[Math.min(latenciesMs.length - 1, Math.floor((p / 100) * latenciesMs.length))] ?? NaN;
const summary = {
  requestsPerS: latenciesMs.length / elapsedS,
  requests: latenciesMs.length,
  p50Ms: pct(50),
  p99Ms: pct(99),
  bytesPerS: bytes / elapsedS,
  non2xx,
  errors,
  timeouts: 0,
};
process.stdout.write(JSON.stringify(summary) + '\n');
agent.destroy();
process.disconnect?.();
