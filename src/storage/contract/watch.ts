import assert from 'node:assert/strict';
import type { ChangeEvent, Watcher } from '../ObjectStore.js';
import type { ContractContext, TestApi } from './types.js';

/** How long a change may take to arrive as an event: generous, for loaded machines. */
const EVENT_WITHIN_MS = 5_000;
/** How long to listen for an event that must not come. */
const QUIET_MS = 600;

/** Change events, for a store that has `watch`: each case is a no-op for one that has not. */
export function describeWatchContract(test: TestApi, context: () => ContractContext, run: string): void {
  const prefix = `${run}watched/`;
  test.it('watch: opens, then reports a write under the prefix as a change of that key', async () => {
    const feed = await open(context(), prefix);
    if (!feed) return;
    try {
      await context().store.put(`${prefix}1.csv`, 'one', 'text/csv');
      const event = await feed.next((e) => e.key === `${prefix}1.csv`);
      assert.equal(event.kind, 'changed');
      if (event.object) assert.equal(event.object.size, 3);
      await context().store.put(`${prefix}1.csv`, 'one again', 'text/csv');
      const rewrite = await feed.next((e) => e.key === `${prefix}1.csv`);
      assert.equal(rewrite.kind, 'changed');
    } finally {
      await feed.close();
    }
  });

  test.it('watch: reports a deletion as removed, and nothing outside the prefix', async () => {
    const ctx = context();
    const feed = await open(ctx, prefix);
    if (!feed) return;
    try {
      await ctx.store.put(`${run}elsewhere/2.csv`, 'two', 'text/csv');
      await ctx.store.put(`${prefix}2.csv`, 'two', 'text/csv');
      await feed.next((e) => e.key === `${prefix}2.csv`);
      assert.deepEqual(
        feed.seen.filter((e) => !e.key.startsWith(prefix)),
        [],
      );
      if (!ctx.remove) return;
      await ctx.remove(`${prefix}2.csv`);
      const removed = await feed.next((e) => e.key === `${prefix}2.csv` && e.kind === 'removed');
      assert.equal(removed.kind, 'removed');
    } finally {
      await feed.close();
    }
  });

  test.it('watch: reports nothing once closed', async () => {
    const feed = await open(context(), prefix);
    if (!feed) return;
    await feed.close();
    const before = feed.seen.length;
    await context().store.put(`${prefix}3.csv`, 'three', 'text/csv');
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
    assert.equal(feed.seen.length, before);
  });
}

interface Feed {
  seen: ChangeEvent[];
  next(match: (event: ChangeEvent) => boolean): Promise<ChangeEvent>;
  close(): Promise<void>;
}

/** Watches `prefix` and waits until the stream is open; `undefined` for a store without `watch`. */
async function open({ store }: ContractContext, prefix: string): Promise<Feed | undefined> {
  if (!store.watch) return undefined;
  // The prefix exists before it is watched: a folder store watches the folder it names.
  await store.put(`${prefix}.seed`, '', 'text/plain');
  const seen: ChangeEvent[] = [];
  let wake = () => undefined as void;
  let failure: Error | undefined;
  let opened!: () => void;
  const isOpen = new Promise<void>((resolve) => (opened = resolve));
  const watcher: Watcher = store.watch(prefix, {
    onOpen: () => opened(),
    onChange: (event) => {
      seen.push(event);
      wake();
    },
    onError: (error) => {
      failure = error;
      wake();
    },
  });
  await within(isOpen, 'the change stream did not open');
  return {
    seen,
    close: () => watcher.close(),
    next: (match) =>
      within(
        new Promise<ChangeEvent>((resolve, reject) => {
          const look = () => {
            if (failure) return reject(failure);
            const hit = seen.find(match);
            if (hit) {
              wake = () => undefined;
              seen.splice(seen.indexOf(hit), 1);
              resolve(hit);
            }
          };
          wake = look;
          look();
        }),
        'the expected change event did not arrive',
      ),
  };
}

function within<T>(promise: Promise<T>, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>(
    (_resolve, reject) => (timer = setTimeout(() => reject(new Error(`${message} within ${EVENT_WITHIN_MS} ms`)), EVENT_WITHIN_MS)),
  );
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
