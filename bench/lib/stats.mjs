import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setImmediate } from 'node:timers';
import v8 from 'node:v8';
import vm from 'node:vm';

export function median(values) {
  const sorted = values.filter((v) => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** `{ runs, median }` for a list of per-run values, so the JSON keeps the spread, not just the middle. */
export function summary(values) {
  return { runs: values, median: median(values) };
}

/** Medians of each numeric field across per-run objects with the same shape. */
export function medianOfFields(objects) {
  const out = {};
  for (const key of Object.keys(objects[0] ?? {})) {
    const values = objects.map((o) => o[key]);
    out[key] = typeof values[0] === 'number' ? median(values) : values[0];
  }
  return out;
}

export async function timed(fn) {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

/** Sampling period of the event-loop monitor: a block shorter than this may go unseen. */
const LOOP_RESOLUTION_MS = 5;

/**
 * `timed`, plus the longest the event loop was blocked meanwhile (ms): what a service running
 * the same operation would add to the latency of every request that arrives during it.
 */
export async function timedWithBlocking(fn) {
  const histogram = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  histogram.enable();
  try {
    // The monitor counts a delay from its first tick on: a block that starts at once (a
    // synchronous first step of `fn`) would otherwise go unseen, measured at 88 ms → 5 ms.
    await new Promise((resolve) => setTimeout(resolve, 2 * LOOP_RESOLUTION_MS));
    const result = await timed(fn);
    // Let the monitor's timer fire once more, so a block at the very end is counted too.
    await new Promise((resolve) => setTimeout(resolve, 2 * LOOP_RESOLUTION_MS));
    return { ...result, maxBlockMs: histogram.max / 1e6 };
  } finally {
    histogram.disable();
  }
}

// `npm run bench` starts node without --expose-gc; enabling the flag at run time and fetching gc
// from a fresh context gives the same function without touching package.json.
v8.setFlagsFromString('--expose-gc');
const gcFunction = globalThis.gc ?? vm.runInNewContext('gc');

/** Collects garbage left by the previous phase, so it is not charged to the next timed one. */
export async function settle() {
  gcFunction();
  await new Promise((resolve) => setImmediate(resolve));
  gcFunction();
}

export function memorySnapshot() {
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
  return { rss, heapUsed, external, arrayBuffers };
}

const log0 = performance.now();
export function log(message) {
  process.stderr.write(`[bench ${((performance.now() - log0) / 1000).toFixed(1).padStart(6)} s] ${message}\n`);
}
