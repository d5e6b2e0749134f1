// The in-process figures: each library operation next to the floor it cannot beat. For a local
// folder the floor is plain file-system code (bench/lib/floor.mjs); for S3 it is the bare client
// loop: the same listing and GETs through the same store, with nothing done to the bytes.
import path from 'node:path';
import pLimit from 'p-limit';
import { UserDataTransformer } from '../../dist/index.js';
import { readAll, timeListing } from './floor.mjs';
import { CONCURRENCY, OUTPUT_KEY, SOURCE_PREFIX, SYNC_TIMEOUT_MS, openStore } from './stores.mjs';
import { log, settle, summary, timed, timedWithBlocking } from './stats.mjs';

async function bareFetch(store, keys) {
  const limit = pLimit(CONCURRENCY);
  await Promise.all(keys.map((key) => limit(() => store.get(key))));
}

/**
 * The floor of each figure for one store. Every method returns `{ ms, ... }` with its parts, so
 * the results keep what the floor is made of.
 */
function floorOf(spec) {
  if (spec.kind === 'local') {
    const dir = path.join(spec.root, SOURCE_PREFIX);
    const listing = async () => {
      const l = await timeListing(dir);
      return { ms: l.ms, listSyncMs: l.syncMs, listAsyncMs: l.asyncMs, files: l.files };
    };
    const listAndRead = async (pick) => {
      const { files, ...l } = await listing();
      const paths = pick(files).map((name) => path.join(dir, name));
      const read = await timed(() => readAll(paths, CONCURRENCY));
      return { ...l, ms: l.ms + read.ms, readMs: read.ms, reads: paths.length };
    };
    return {
      list: async () => {
        const { files: _files, ...l } = await listing();
        return l;
      },
      cold: () => listAndRead((files) => files.filter((name) => name.endsWith('.csv'))),
      incremental: (keys) => listAndRead(() => keys.map((key) => key.slice(SOURCE_PREFIX.length))),
    };
  }
  const bare = async (fetchKeys) => {
    const store = openStore(spec);
    try {
      const list = await timed(() => store.list(SOURCE_PREFIX));
      const keys = fetchKeys(list.value);
      const read = await timed(() => bareFetch(store, keys));
      return { ms: list.ms + read.ms, listMs: list.ms, readMs: read.ms, reads: keys.length };
    } finally {
      await store.close();
    }
  };
  return {
    list: async () => {
      const { ms } = await bare(() => []);
      return { ms };
    },
    cold: () => bare((listing) => listing.filter((o) => o.key.endsWith('.csv')).map((o) => o.key)),
    incremental: (keys) => bare(() => keys),
  };
}

/** A then B on even runs, B then A on odd ones, so neither side always runs first. */
async function inTurn(run, sideA, sideB) {
  for (const side of run % 2 === 0 ? [sideA, sideB] : [sideB, sideA]) await side();
}

function newTransformer(store) {
  return new UserDataTransformer({ store, sourcePrefix: SOURCE_PREFIX, concurrency: CONCURRENCY, syncTimeoutMs: SYNC_TIMEOUT_MS });
}

/** Per-run floors as `{ ms: summary, <part>: summary }`. */
function floorSummary(rows) {
  const out = {};
  for (const key of Object.keys(rows[0] ?? {})) out[key] = summary(rows.map((r) => r[key]));
  return out;
}

/**
 * Cold sync (A) against its floor (B), taking turns so neither side always gets the warmer JIT,
 * socket pool or page cache. Returns the transformer of the last cold sync, for the warm figures.
 */
async function coldVsFloor(spec, floor, runs, expectedCsvs) {
  const sync = [];
  const floors = [];
  let transformer;
  const sideA = async () => {
    await settle();
    const t = newTransformer(openStore(spec));
    const { ms, value: report, maxBlockMs } = await timedWithBlocking(() => t.sync());
    if (report.downloaded !== expectedCsvs) throw new Error(`cold sync downloaded ${report.downloaded} of ${expectedCsvs} CSVs`);
    sync.push({ ms, objects: report.downloaded, users: report.users, maxBlockMs });
    if (transformer) await transformer.store.close();
    transformer = t;
  };
  const sideB = async () => {
    await settle();
    floors.push(await floor.cold());
  };
  for (let run = 0; run < runs; run++) {
    await inTurn(run, sideA, sideB);
    log(`  cold run ${run + 1}/${runs}: sync ${sync.at(-1).ms.toFixed(0)} ms, floor ${floors.at(-1).ms.toFixed(0)} ms`);
  }
  return { transformer, sync, floor: floors };
}

/** The warm sync and the store's listing alone, each against the listing floor. */
async function warmVsFloor(t, floor, runs) {
  const sync = [];
  const syncBlock = [];
  const list = [];
  const listBlock = [];
  const floors = [];
  // One warm sync first, not measured: the cold runs exercised other code paths, and at small
  // sizes the first warm runs would otherwise measure the JIT warming up.
  await t.sync();
  for (let run = 0; run < runs; run++) {
    const ours = async () => {
      await settle();
      const a = await timedWithBlocking(() => t.sync());
      if (a.value.downloaded !== 0) throw new Error(`warm sync downloaded ${a.value.downloaded} objects`);
      sync.push(a.ms);
      syncBlock.push(a.maxBlockMs);
      await settle();
      const l = await timedWithBlocking(() => t.store.list(SOURCE_PREFIX));
      list.push(l.ms);
      listBlock.push(l.maxBlockMs);
    };
    const floorSide = async () => {
      await settle();
      floors.push(await floor.list());
    };
    await inTurn(run, ours, floorSide);
    log(`  warm run ${run + 1}/${runs}: sync ${sync.at(-1).toFixed(0)} ms, list ${list.at(-1).toFixed(0)} ms, floor ${floors.at(-1).ms.toFixed(0)} ms`);
  }
  return { sync: summary(sync), syncMaxBlockMs: summary(syncBlock), list: summary(list), listMaxBlockMs: summary(listBlock), floor: floorSummary(floors) };
}

async function incrementalVsFloor(t, floor, runs, changedKeys, rewrite) {
  const sync = [];
  const floors = [];
  const downloaded = [];
  for (let run = 0; run < runs; run++) {
    await rewrite(changedKeys, run);
    const syncSide = async () => {
      await settle();
      const a = await timed(() => t.sync());
      sync.push(a.ms);
      downloaded.push(a.value.downloaded);
    };
    // The floor needs no fresh change of its own: it reads the same files either way.
    const floorSide = async () => {
      await settle();
      floors.push(await floor.incremental(changedKeys));
    };
    await inTurn(run, syncSide, floorSide);
  }
  return { changed: changedKeys.length, downloaded: summary(downloaded), sync: summary(sync), floor: floorSummary(floors) };
}

async function exportFigures(t, runs) {
  const build = [];
  const total = [];
  const upload = [];
  let bytes = 0;
  for (let run = 0; run < runs; run++) {
    await settle();
    const csv = await timed(() => t.toCsv());
    build.push(csv.ms);
    const body = Buffer.from(csv.value);
    bytes = body.length;
    await settle();
    // The same bytes put bare: what is left of `total` after this is the library's own work.
    upload.push((await timed(() => t.store.put(`${OUTPUT_KEY}.bare`, body, 'text/csv'))).ms);
    await settle();
    total.push((await timed(() => t.exportOutput(OUTPUT_KEY))).ms);
  }
  return { bytes, build: summary(build), upload: summary(upload), total: summary(total) };
}

/** Every in-process figure for one store; leaves the data with `changedKeys` rewritten. */
export async function measureSyncFigures(spec, { runs, expectedCsvs, changedKeys, rewrite }) {
  const floor = floorOf(spec);
  log(`  cold sync vs floor (${runs} runs each)`);
  const cold = await coldVsFloor(spec, floor, runs, expectedCsvs);
  const t = cold.transformer;
  const objectsPerS = (rows) => rows.map((r) => (expectedCsvs * 1000) / r.ms);
  try {
    log('  warm sync and listing vs floor');
    const warm = await warmVsFloor(t, floor, runs);
    log('  export');
    const exported = await exportFigures(t, runs);
    log(`  incremental sync (${changedKeys.length} CSVs rewritten per run)`);
    const incremental = await incrementalVsFloor(t, floor, runs, changedKeys, rewrite);
    return {
      cold: {
        objects: expectedCsvs,
        syncMs: summary(cold.sync.map((r) => r.ms)),
        syncMaxBlockMs: summary(cold.sync.map((r) => r.maxBlockMs)),
        syncObjectsPerS: summary(objectsPerS(cold.sync)),
        floorObjectsPerS: summary(objectsPerS(cold.floor)),
        floor: floorSummary(cold.floor),
      },
      warm,
      export: exported,
      incremental,
    };
  } finally {
    await t.store.close();
  }
}
