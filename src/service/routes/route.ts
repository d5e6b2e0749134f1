import type { RequestHandler } from 'express';
import type { UserDataTransformer } from '../../index.js';
import type { JsonObject } from '../apiDoc.js';
import type { Exporter } from '../exporter.js';
import type { Metrics } from '../metrics.js';

/** What the routes are built over: the library, the export queue, and the app's own settings. */
export interface RouteContext {
  transformer: UserDataTransformer;
  exporter: Exporter;
  /** `null`: `POST /data` is open. */
  apiKey: string | null;
  metrics?: Metrics;
  /** Runs before every read of the table: waits for the first load, sets the freshness headers. */
  fresh: RequestHandler;
  /** The OpenAPI document, built from these same routes. */
  openapi: JsonObject;
}

export type Method = 'get' | 'post';

/** One operation: its handlers (middleware first) and its OpenAPI operation object. */
export interface Operation {
  handlers(ctx: RouteContext): RequestHandler[];
  doc: JsonObject;
}

/**
 * A path and what it answers. The app registers the handlers, answers `OPTIONS` and `405` from the
 * methods, and the OpenAPI document lists the operations: one table, so they cannot disagree.
 */
export interface Route {
  path: string;
  operations: Partial<Record<Method, Operation>>;
  /** Served only when this holds for the app's context (`/metrics` needs metrics). Default: always. */
  enabled?(ctx: RouteContext): boolean;
}

/** Every method a route answers: GET implies HEAD, and OPTIONS always works. */
export function allowedMethods(route: Route): string[] {
  const methods = Object.keys(route.operations).map((m) => m.toUpperCase());
  return [...methods, ...(methods.includes('GET') ? ['HEAD'] : []), 'OPTIONS'];
}
