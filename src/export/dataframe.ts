import * as dfd from 'danfojs-node';
import type { UserRow } from '../model.js';
import { cell } from './columns.js';

export type DataFrame = InstanceType<typeof dfd.DataFrame>;

/**
 * A danfojs DataFrame of the rows. Dtypes are given explicitly: left to infer, danfo would call
 * numeric-looking user ids `int32`. `birthts` is labelled `int32`, danfo's only integer dtype; the
 * values stay exact JavaScript numbers (millisecond timestamps exceed 32 bits).
 */
export function toDataFrame(rows: readonly UserRow[], columns: readonly string[]): DataFrame {
  const data = rows.map((row) => columns.map((c) => cell(row, c)));
  const dtypes = columns.map((c) => (c === 'birthts' ? 'int32' : 'string'));
  return new dfd.DataFrame(data, { columns: [...columns], dtypes });
}
