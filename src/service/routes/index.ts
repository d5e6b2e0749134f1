import { HEADERS_TOO_LARGE, OPEN } from '../apiDoc.js';
import { getDashboard } from './dashboard.js';
import { listUsers } from './data.js';
import { exportNow } from './export.js';
import { getHealth, getLiveness, getReadiness } from './health.js';
import { getOutput, getOutputParquet } from './output.js';
import type { Operation, Route } from './route.js';
import { getAgeStats, getStats } from './stats.js';
import { getSyncStatus } from './sync.js';

export type { Route, RouteContext } from './route.js';
export { allowedMethods } from './route.js';

/** `GET /metrics`, in Prometheus' text format; present when the app has metrics. */
const getMetrics: Operation = {
  handlers: (ctx) => [ctx.metrics!.handler()],
  doc: {
    operationId: 'getMetrics',
    summary: 'Prometheus metrics: syncs, change events, snapshots, exports, HTTP requests, the process',
    security: OPEN,
    responses: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } }, 431: HEADERS_TOO_LARGE },
  },
};

/** `GET /openapi.json`: the document built from this table. */
const getOpenApiDocument: Operation = {
  handlers: (ctx) => [(_req, res) => void res.json(ctx.openapi)],
  doc: {
    operationId: 'getOpenApiDocument',
    summary: 'This document',
    security: OPEN,
    responses: { 200: { description: 'OpenAPI 3.0', content: { 'application/json': { schema: { type: 'object' } } } }, 431: HEADERS_TOO_LARGE },
  },
};

/** Every route of the service: the app serves exactly these, and the OpenAPI document lists exactly these. */
export const ROUTES: readonly Route[] = [
  { path: '/', operations: { get: getDashboard } },
  { path: '/data', operations: { get: listUsers, post: exportNow } },
  { path: '/stats', operations: { get: getStats } },
  { path: '/stats/ages', operations: { get: getAgeStats } },
  { path: '/sync', operations: { get: getSyncStatus } },
  { path: '/output.csv', operations: { get: getOutput } },
  { path: '/output.parquet', operations: { get: getOutputParquet } },
  { path: '/health', operations: { get: getHealth } },
  { path: '/health/live', operations: { get: getLiveness } },
  { path: '/health/ready', operations: { get: getReadiness } },
  { path: '/metrics', operations: { get: getMetrics }, enabled: (ctx) => ctx.metrics !== undefined },
  { path: '/openapi.json', operations: { get: getOpenApiDocument } },
];
