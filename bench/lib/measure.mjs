// The in-process figures: each library operation next to the bare store calls it cannot beat.
import pLimit from 'p-limit';
import { UserDataTransformer } from '../../dist/index.js';
import { CONCURRENCY, OUTPUT_KEY, SOURCE_PREFIX, openStore } from './stores.mjs';
import { log, settle, summary, timed } from './stats.mjs';

/** The most any sync could do: the same listing and the same GETs, with nothing done to the bytes. */
async function bareFetch(store, keys) {
  const limit = pLimit(CONCURRENCY);
  await Promise.all(keys.map((key) => limit(() => store.get(key))));
}

async function bareListAndFetchCsvs(store) {
  const listing = await store.list(SOURCE_PREFIX);
  const keys = listing.filter((o) => o.key.endsWith('.csv')).map((o) => o.key);
  await bareFetch(store, keys);
  return keys.length;
}

/** A then B on even runs, B then A on odd ones, so neither side always runs first. */
async function inTurn(run, sideA, sideB) {
  for (const side of run % 2 === 0 ? [sideA, sideB] : [sideB, sideA]) await side();
}

function newTransformer(store) {
  return new UserDataTransformer({ store, sourcePrefix: SOURCE_PREFIX, concurrency: CONCURRENCY });
}

/**
 * Cold sync (A) against the limit (B), taking turns so neither side always gets the warmer JIT,
 * socket pool or page cache. Each side opens its own store, hence its own sockets.
 * Returns the transformer of the last cold sync, for the warm figures.
 */
async function coldVsLimit(spec, runs, expectedCsvs) {
  const sync = [];
  const limit = [];
  let transformer;
  const sideA = async () => {
    await settle();
    const t = newTransformer(openStore(spec));
    const { ms, value: report } = await timed(() => t.sync());
    if (report.downloaded !== expectedCsvs) throw new Error(`cold sync downloaded ${report.downloaded} of ${expectedCsvs} CSVs`);
    sync.push({ ms, objects: report.downloaded, users: report.users });
    if (transformer) await transformer.store.close();
    transformer = t;
  };
  const sideB = async () => {
    const store = openStore(spec);
    await settle();
    const { ms, value: objects } = await timed(() => bareListAndFetchCsvs(store));
    await store.close();
    limit.push({ ms, objects });
  };
  for (let run = 0; run < runs; run++) {
    await inTurn(run, sideA, sideB);
    log(`  cold run ${run + 1}/${runs}: sync ${sync.at(-1).ms.toFixed(0)} ms, limit ${limit.at(-1).ms.toFixed(0)} ms`);
  }
  return { transformer, sync, limit };
}

async function warmVsList(t, runs) {
  const sync = [];
  const list = [];
  for (let run = 0; run < runs; run++) {
    const syncSide = async () => {
      await settle();
      const a = await timed(() => t.sync());
      if (a.value.downloaded !== 0) throw new Error(`warm sync downloaded ${a.value.downloaded} objects`);
      sync.push(a.ms);
    };
    const listSide = async () => {
      await settle();
      list.push((await timed(() => t.store.list(SOURCE_PREFIX))).ms);
    };
    await inTurn(run, syncSide, listSide);
  }
  return { sync: summary(sync), list: summary(list) };
}

async function incrementalVsBare(t, runs, changedKeys, rewrite) {
  const sync = [];
  const bare = [];
  const downloaded = [];
  for (let run = 0; run < runs; run++) {
    await rewrite(changedKeys, run);
    const syncSide = async () => {
      await settle();
      const a = await timed(() => t.sync());
      sync.push(a.ms);
      downloaded.push(a.value.downloaded);
    };
    // The bare side needs no fresh change of its own: it fetches the same keys either way.
    const bareSide = async () => {
      await settle();
      const b = await timed(async () => {
        await t.store.list(SOURCE_PREFIX);
        await bareFetch(t.store, changedKeys);
      });
      bare.push(b.ms);
    };
    await inTurn(run, syncSide, bareSide);
  }
  return { changed: changedKeys.length, downloaded: summary(downloaded), sync: summary(sync), bare: summary(bare) };
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
  log(`  cold sync vs limit (${runs} runs each)`);
  const cold = await coldVsLimit(spec, runs, expectedCsvs);
  const t = cold.transformer;
  const objectsPerS = (rows) => rows.map((r) => (r.objects * 1000) / r.ms);
  try {
    log('  warm sync vs bare list');
    const warm = await warmVsList(t, runs);
    log('  export');
    const exported = await exportFigures(t, runs);
    log(`  incremental sync (${changedKeys.length} CSVs rewritten per run)`);
    const incremental = await incrementalVsBare(t, runs, changedKeys, rewrite);
    return {
      cold: {
        objects: expectedCsvs,
        syncMs: summary(cold.sync.map((r) => r.ms)),
        limitMs: summary(cold.limit.map((r) => r.ms)),
        syncObjectsPerS: summary(objectsPerS(cold.sync)),
        limitObjectsPerS: summary(objectsPerS(cold.limit)),
      },
      warm,
      export: exported,
      incremental,
    };
  } finally {
    await t.store.close();
  }
}
