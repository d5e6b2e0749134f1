import type { RequestHandler } from 'express';
import type { UserDataTransformer } from '../../UserDataTransformer.js';
import { parseFilterQuery } from '../query.js';
import type { AgeStats, Stats } from '../schemas.js';

/** `GET /stats`: mean age and count of the matching users. */
export function statsHandler(transformer: UserDataTransformer): RequestHandler {
  return (req, res) => {
    const filters = parseFilterQuery(req.query as Record<string, unknown>);
    const { averageAge, count } = transformer.averageAge(filters);
    const body: Stats = { average_age: averageAge, count };
    res.json(body);
  };
}

/** `GET /stats/ages`: the same, plus how many matching users have each age. */
export function ageStatsHandler(transformer: UserDataTransformer): RequestHandler {
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
