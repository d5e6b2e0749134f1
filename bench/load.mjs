// One bounded autocannon run against a loopback URL, in its own process so the load generator
// neither shares an event loop with the service nor with the harness.
//
//   node bench/load.mjs <url> <connections> <seconds>
//
// Prints one JSON line with requests/s and latency percentiles in ms.
import autocannon from 'autocannon';

const [url, connections, seconds] = process.argv.slice(2);
if (!url || !/^http:\/\/127\.0\.0\.1:\d+\//.test(url)) {
  console.error('usage: load.mjs http://127.0.0.1:<port>/<path> <connections> <seconds>');
  process.exit(2);
}
process.on('disconnect', () => process.exit(0));

const result = await autocannon({ url, connections: Number(connections), duration: Number(seconds), pipelining: 1 });
const summary = {
  requestsPerS: result.requests.average,
  requests: result.requests.total,
  p50Ms: result.latency.p50,
  p99Ms: result.latency.p99,
  bytesPerS: result.throughput.average,
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
};
process.stdout.write(JSON.stringify(summary) + '\n');
process.disconnect?.();
