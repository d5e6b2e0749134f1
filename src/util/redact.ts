/**
 * Secrets never printed: the one place that knows what a secret looks like in a URL, a query
 * string or a header, for logs, error messages and the command line.
 */

/** Query parameters and headers whose values are keys or tokens (compared lower-cased). */
export const SECRET_NAMES: ReadonlySet<string> = new Set([
  'api_key',
  'apikey',
  'key',
  'token',
  'access_token',
  'x-api-key',
  'authorization',
  'password',
  'secret',
]);

const REDACTED = '[redacted]';

/** A URL (or any text) with the user and password of every `scheme://user:pass@` replaced. */
export function redactUrl(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, `$1${REDACTED}@`);
}

/** A request target (`/data?api_key=…`) with the values of secret-named query parameters replaced. */
export function redactQuery(target: string): string {
  const mark = target.indexOf('?');
  if (mark < 0) return target;
  const query = target
    .slice(mark + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      let decoded: string;
      try {
        decoded = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        decoded = name;
      }
      return eq >= 0 && SECRET_NAMES.has(decoded.toLowerCase()) ? `${name}=${REDACTED}` : pair;
    })
    .join('&');
  return `${target.slice(0, mark + 1)}${query}`;
}
