import type { ObjectStore } from '../ObjectStore.js';

/** The test functions of your runner (vitest, mocha, `node:test`): the suite registers its cases with them. */
export interface TestApi {
  describe(name: string, body: () => void): unknown;
  it(name: string, body: () => Promise<void>): unknown;
  beforeAll(body: () => Promise<void>): unknown;
  afterAll(body: () => Promise<void>): unknown;
}

export interface ContractContext {
  /** A store over an empty place of its own (a temp folder, a fresh bucket or prefix). */
  store: ObjectStore;
  /** Removes what the suite wrote; called after it, once the store is closed. */
  cleanup(): Promise<void>;
  /** Deletes one object, for the change-event cases (the contract has no delete). Without it, deletions are not checked. */
  remove?(key: string): Promise<void>;
}
