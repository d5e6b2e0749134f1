/** A copy of `value` without its `undefined` fields, so spreading it over defaults keeps them. */
export function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
