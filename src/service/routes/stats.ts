import type { RequestHandler } from 'express';
import type { z } from 'zod';
import { FILTER_QUERY_SCHEMA, parseFilterQuery } from '../../converters/queryString.js';
import type { UserDataTransformer } from '../../index.js';
import { OPEN, STALE_HEADERS, errorAnswer, json, queryParameters } from '../apiDoc.js';
import { AGE_STATS_SCHEMA, STATS_SCHEMA, type AgeStats, type Stats } from '../schemas.js';
import type { Operation } from './route.js';

function filteredRead(operationId: string, summary: string, body: z.ZodType) {
  return {
    operationId,
    summary,
    security: OPEN,
    parameters: queryParameters(FILTER_QUERY_SCHEMA),
    responses: {
      200: { ...json('statistics', body), headers: STALE_HEADERS },
      400: errorAnswer('bad query parameter'),
      503: errorAnswer('the first load has not finished (not_ready), or the store is unreachable and nothing is cached'),
    },
  };
}

/** `GET /stats`. */
export const getStats: Operation = {
  handlers: (ctx) => [ctx.fresh, statsHandler(ctx.transformer)],
  doc: filteredRead('getStats', 'Average age in completed years of the users matching the filters', STATS_SCHEMA),
};

/** `GET /stats/ages`. */
export const getAgeStats: Operation = {
  handlers: (ctx) => [ctx.fresh, ageStatsHandler(ctx.transformer)],
  doc: filteredRead('getAgeStats', 'Count and average age of the matching users, and how many have each age', AGE_STATS_SCHEMA),
};

/** `GET /stats`: mean age and count of the matching users. */
function statsHandler(transformer: UserDataTransformer): RequestHandler {
  return (req, res) => {
    const filters = parseFilterQuery(req.query as Record<string, unknown>);
    const { averageAge, count } = transformer.averageAge(filters);
    const body: Stats = { average_age: averageAge, count };
    res.json(body);
  };
}

/** `GET /stats/ages`: the same, plus how many matching users have each age. */
function ageStatsHandler(transformer: UserDataTransformer): RequestHandler {
  return (req, res) => {
    const filters = parseFilterQuery(req.query as Record<string, unknown>);
    const ages = transformer.ageHistogram(filters);
    let count = 0;
    let sum = 0;
    for (const a of ages) {
      count += a.count;
      sum += a.age * a.count;
    }
    const body: AgeStats = { count, average_age: count === 0 ? null : sum / count, ages };
    res.json(body);
  };
}
