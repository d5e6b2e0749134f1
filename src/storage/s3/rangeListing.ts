import { setMaxListeners } from 'node:events';
import { WHOLE_RANGE, chooseCuts, compareKeys, inRange, reachedEnd, splitAt, type KeyRange } from './keyRanges.js';

/**
 * Abort listeners one part may hold on the listing's signal at once: a page's request and the race
 * around it, a retry's backoff, with room to spare. Node warns of a leak past 10 listeners on one
 * signal, which 8 parts reach while nothing leaks; past this many per part, something does.
 */
const ABORT_LISTENERS_PER_PART = 4;
/** Node's own bound, kept for a listing of few parts. */
const MIN_MAX_LISTENERS = 10;

/** One page of a listing as the server answered it. */
export interface RangePage<T> {
  items: readonly T[];
  isTruncated: boolean;
  /** Where the next page starts; set whenever `isTruncated` is. */
  nextContinuationToken: string;
}

/**
 * Fetches one page of the prefix: after `continuationToken` when it is set, otherwise the first
 * page of keys after `startAfter` (`''`: from the prefix's first key). Dies with `signal`.
 */
export type FetchRangePage<T> = (startAfter: string, continuationToken: string, signal: AbortSignal) => Promise<RangePage<T>>;

export interface RangeListingOptions<T> {
  prefix: string;
  /** Parts listed at once; 1 lists one page after another from the start. */
  concurrency: number;
  keyOf: (item: T) => string;
  fetchPage: FetchRangePage<T>;
  /** The items of each page that belong to the part that asked for it; never empty. */
  onItems: (items: readonly T[]) => void;
  /** The server answered `start-after` with keys at or before it: it ignores the parameter. */
  onStartAfterIgnored?: () => void;
  signal?: AbortSignal;
}

/**
 * Lists a prefix as up to `concurrency` parts at once, so their pages overlap in time. It starts as
 * one part over the whole prefix; whenever a part gets a full page while fewer than `concurrency`
 * parts are running or waiting, the rest of its range is cut at points made from the page's last
 * key (`chooseCuts`): the part goes on to the first cut, the other pieces become new parts. Each
 * part keeps only its range's keys, so every item is handed to `onItems` exactly once. Any part
 * that fails (after the retries of `fetchPage`) fails the listing and stops every other part; so
 * does `signal`, with its reason.
 */
export function listInRanges<T>(options: RangeListingOptions<T>): Promise<void> {
  if (options.signal?.aborted) return Promise.reject(options.signal.reason);
  return new RangeListing(options).run();
}

class RangeListing<T> {
  private readonly failure = new AbortController();
  private readonly signal: AbortSignal;
  private readonly waiting: KeyRange[] = [WHOLE_RANGE];
  private running = 0;
  /** Off once the server shows it ignores `start-after`: then every new part would re-list from the start. */
  private splitting = true;
  private finish: { resolve: () => void; reject: (error: unknown) => void } | undefined;

  constructor(private readonly options: RangeListingOptions<T>) {
    this.signal = options.signal ? AbortSignal.any([options.signal, this.failure.signal]) : this.failure.signal;
    setMaxListeners(Math.max(MIN_MAX_LISTENERS, ABORT_LISTENERS_PER_PART * options.concurrency), this.signal);
  }

  run(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.finish = { resolve, reject };
      this.startWaiting();
    });
  }

  private startWaiting(): void {
    while (!this.signal.aborted && this.running < this.options.concurrency) {
      const range = this.waiting.shift();
      if (!range) return;
      this.running++;
      this.listPart(range).then(
        () => this.partDone(),
        (error: unknown) => this.fail(error),
      );
    }
  }

  private partDone(): void {
    this.running--;
    if (this.signal.aborted) return this.fail(this.signal.reason);
    if (this.running === 0 && this.waiting.length === 0) return this.finish?.resolve();
    this.startWaiting();
  }

  /** The first failure settles the listing and aborts every request still running. */
  private fail(error: unknown): void {
    if (this.failure.signal.aborted) return;
    this.failure.abort(error);
    this.finish?.reject(error);
  }

  private async listPart(start: KeyRange): Promise<void> {
    let range = start;
    let token = '';
    for (;;) {
      this.signal.throwIfAborted();
      const page = await this.options.fetchPage(token ? '' : (range.after ?? ''), token, this.signal);
      this.signal.throwIfAborted();
      const lastKey = this.take(page.items, range, token === '');
      if (!page.isTruncated || (lastKey !== undefined && reachedEnd(lastKey, range))) return;
      token = page.nextContinuationToken;
      // An empty page that is not the last (S3 allows it) just goes on.
      if (lastKey !== undefined) range = this.split(range, lastKey);
    }
  }

  /** Hands on the page's items that are this part's; returns the page's last key. */
  private take(items: readonly T[], range: KeyRange, firstPage: boolean): string | undefined {
    const first = items[0];
    const last = items.at(-1);
    if (first === undefined || last === undefined) return undefined;
    if (firstPage) this.checkStartAfter(this.options.keyOf(first), range);
    const mine = this.keep(items, range);
    if (mine.length > 0) this.options.onItems(mine);
    return this.options.keyOf(last);
  }

  /** The page's items within `range`: all of them, unless the page runs past one of its ends. */
  private keep(items: readonly T[], range: KeyRange): readonly T[] {
    const { keyOf } = this.options;
    const inside = (item: T | undefined) => item !== undefined && inRange(keyOf(item), range);
    // S3 lists in key order: a page whose first and last keys are inside holds nothing else.
    if (inside(items[0]) && inside(items.at(-1))) return items;
    return items.filter((item) => inRange(keyOf(item), range));
  }

  private checkStartAfter(firstKey: string, range: KeyRange): void {
    if (range.after === null || compareKeys(firstKey, range.after) > 0 || !this.splitting) return;
    // Still correct (each part keeps only its own keys), but each new part would cost a listing
    // from the start: no more parts for this listing, and the store is told.
    this.splitting = false;
    this.options.onStartAfterIgnored?.();
  }

  /**
   * Hands part of the rest of `range` after `lastKey` to new parts while fewer than `concurrency`
   * are running or waiting; returns what is left to this part.
   */
  private split(range: KeyRange, lastKey: string): KeyRange {
    const free = this.options.concurrency - this.running - this.waiting.length;
    if (free <= 0 || !this.splitting) return range;
    const cuts = chooseCuts(lastKey, this.options.prefix, range.upTo, free);
    const [own, ...others] = splitAt({ after: lastKey, upTo: range.upTo }, cuts);
    if (!own || others.length === 0) return range;
    this.waiting.push(...others);
    this.startWaiting();
    return { after: range.after, upTo: own.upTo };
  }
}
