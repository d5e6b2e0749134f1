import type { RequestHandler } from 'express';
import type { UserDataTransformer } from '../../UserDataTransformer.js';
import { parseFilterQuery } from '../query.js';

/** `GET /stats`: mean age and count of the matching users. */
export function statsHandler(transformer: UserDataTransformer): RequestHandler {
  return (req, res) => {
    const filters = parseFilterQuery(req.query as Record<string, unknown>);
    const { averageAge, count } = transformer.averageAge(filters);
    res.json({ average_age: averageAge, count });
  };
}
