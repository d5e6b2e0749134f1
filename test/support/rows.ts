import type { UserRow } from '../../src/model.js';

/** A table row from its fields, positionally: the shape the encoders take. */
export const row = (user_id: string, first_name: string, last_name: string, birthts: number, img_path: string | null, extra = {}): UserRow => ({
  user_id,
  first_name,
  last_name,
  birthts,
  img_path,
  extra,
});
