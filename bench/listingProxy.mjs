// The delaying proxy of the S3 listing figures (bench/lib/delayProxy.mjs) in a process of its own,
// so that its work, replayed pages included, is not billed to the listing under measurement.
//
//   node bench/listingProxy.mjs <s3 endpoint> <delay ms>
//
// Prints one JSON line `{"port":N}` once it listens. Over IPC, `{ type: 'take' }` is answered with
// `{ pages }`, the listing requests since the last one (`startedMs`, `endedMs`, `serverMs`), and
// `{ type: 'replay', prefix, objects }` (a listing of the prefix) with `{ replaying: n }`.
import { startDelayProxy } from './lib/delayProxy.mjs';

const [endpoint, delay] = process.argv.slice(2);
if (!endpoint || !Number.isFinite(Number(delay))) {
  console.error('usage: listingProxy.mjs <s3 endpoint> <delay ms>');
  process.exit(2);
}
const proxy = await startDelayProxy(endpoint, { delayMs: Number(delay) });
process.stdout.write(JSON.stringify({ port: Number(new URL(proxy.endpoint).port) }) + '\n');

process.on('message', (message) => {
  if (message?.type === 'take') process.send({ pages: proxy.takePages() });
  if (message?.type === 'replay') {
    proxy.replayFrom(
      message.prefix,
      message.objects.map((o) => ({ ...o, lastModified: new Date(o.lastModified) })),
    );
    process.send({ replaying: message.objects.length });
  }
});
process.on('SIGTERM', () => proxy.close().finally(() => process.exit(0)));
// The harness died without stopping us: do not linger.
process.on('disconnect', () => process.exit(0));
