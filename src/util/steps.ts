/**
 * Long computations over a million users are written as generators that yield every few thousand
 * items: `Pacer.drive` runs them in slices between requests, and `runToEnd` all at once.
 */
export type Steps<T> = Generator<void, T, void>;

/** Items handled between two steps: well under a millisecond of work. */
export const ITEMS_PER_STEP = 4096;

/** Runs `steps` to the end without pausing, for callers that want the answer now. */
export function runToEnd<T>(steps: Steps<T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}
