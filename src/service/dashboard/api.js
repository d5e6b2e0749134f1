// Talking to the service: every path is relative to the page, so the dashboard also works when
// the service sits behind a path prefix.

/** A failed call, carrying the service's own error code and message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** `path` (e.g. `stats`) with `params` as its query string, resolved against the page. */
export function apiUrl(path, params) {
  const url = new URL(path, document.baseURI);
  if (params) url.search = params.toString();
  return url.href;
}

/**
 * Fetches `url` and reads its JSON body. Answers outside 2xx throw `ApiError`, except the statuses
 * listed in `allow`, which come back like any other answer.
 */
export async function request(url, { method = 'GET', headers = {}, allow = [] } = {}) {
  const res = await fetch(url, { method, headers: { Accept: 'application/json', ...headers } });
  const text = await res.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!res.ok && !allow.includes(res.status)) {
    const error = body && body.error;
    throw new ApiError(res.status, error?.code ?? 'http_error', error?.message ?? `the service answered ${res.status} ${res.statusText}`);
  }
  return { status: res.status, body, headers: res.headers };
}

/** The `rel="next"` target of an RFC 8288 Link header, as an absolute URL, or `null`. */
export function nextLink(headers) {
  const link = headers.get('Link');
  if (!link) return null;
  for (const part of link.split(',')) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (match && /;\s*rel="?next"?(\s|;|$)/.test(match[2])) return new URL(match[1], document.baseURI).href;
  }
  return null;
}
