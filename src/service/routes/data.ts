import { randomBytes } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { UserRow } from '../../model.js';
import { isUnfiltered } from '../../query/filters.js';
import type { UserDataTransformer } from '../../UserDataTransformer.js';
import { parseFilterQuery } from '../query.js';

/** `GET /data`: the matching users as a JSON array, in `user_id` order. */
export function dataHandler(transformer: UserDataTransformer): RequestHandler {
  const unfiltered = new UnfilteredBody();
  // Rows are immutable (a change replaces the object), so a row's JSON can be kept as long as the
  // row lives: a repeated filtered query joins cached strings instead of re-encoding each row.
  // Bounded by the table: at most one string per row, dropped with the row.
  const rowJson = new WeakMap<UserRow, string>();
  return (req, res) => {
    const filters = parseFilterQuery(req.query as Record<string, unknown>);
    res.type('application/json');
    if (isUnfiltered(filters)) {
      const { etag, body } = unfiltered.get(transformer);
      res.set('ETag', etag).send(body); // send() answers 304 when the client's copy matches
      return;
    }
    res.send(serializeRows(transformer.rows(filters), rowJson));
  };
}

/**
 * The unfiltered answer is the same bytes until the table changes, so it is built once per table
 * version: a large `GET /data` costs a buffer write, and memory stays flat across requests.
 */
class UnfilteredBody {
  /** Distinguishes table versions of different processes behind one load balancer. */
  readonly #instance = randomBytes(4).toString('hex');
  #version = -1;
  #body = Buffer.alloc(0);

  get(transformer: UserDataTransformer): { etag: string; body: Buffer } {
    const { version, rows } = transformer.table;
    if (version !== this.#version) {
      this.#body = Buffer.from(serializeRows(rows));
      this.#version = version;
    }
    return { etag: `"${this.#instance}-${version}"`, body: this.#body };
  }
}

/**
 * The API's columns only, in their documented order; extra CSV columns stay out of the response.
 * Written field by field: no intermediate object per row, and only strings need JSON escaping.
 */
export function serializeRows(rows: readonly UserRow[], cache?: WeakMap<UserRow, string>): string {
  const parts = new Array<string>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    let json = cache?.get(r);
    if (json === undefined) {
      const img = r.img_path === null ? 'null' : JSON.stringify(r.img_path);
      json = `{"user_id":${JSON.stringify(r.user_id)},"first_name":${JSON.stringify(r.first_name)},"last_name":${JSON.stringify(r.last_name)},"birthts":${r.birthts},"img_path":${img}}`;
      cache?.set(r, json);
    }
    parts[i] = json;
  }
  return `[${parts.join(',')}]`;
}
