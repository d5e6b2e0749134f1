// Types for generate-demo.mjs, which stays plain JavaScript so it runs with bare `node`.
import type { Buffer } from 'node:buffer';

export interface DemoOptions {
  /** Number of users, that is of CSV files. Default 150. */
  count?: number;
  /** PRNG seed; the same seed always yields byte-identical files. Default 42. */
  seed?: number;
  /** Share of users that get an image, from 0 to 1. Default 0.5. */
  imageRatio?: number;
  /** The "today" birth dates are spread back from (ages 18 to 90). Default 2026-01-01 UTC. */
  nowMs?: number;
}

export interface DemoFile {
  /** File name such as `1001.csv`, `1001.png` or `orphan-1.png`. */
  name: string;
  body: Buffer;
}

export declare const DEMO_DEFAULTS: Readonly<Required<DemoOptions>>;
export declare function mulberry32(seed: number): () => number;
export declare function iterateDemoFiles(options?: DemoOptions): Generator<DemoFile, void, undefined>;
export declare function generateDemoFiles(options?: DemoOptions): DemoFile[];
