/** A whole number written in plain digits (`30`, not `+30`, `3e1` or `30.0`), or `null`. */
export function parseWholeNumber(text: string): number | null {
  if (!/^\d+$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}

/** `true`/`false`/`1`/`0` in any case, or `null`. */
export function parseBoolean(text: string): boolean | null {
  const lower = text.toLowerCase();
  return lower === 'true' || lower === '1' ? true : lower === 'false' || lower === '0' ? false : null;
}
