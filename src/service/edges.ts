import type { Server } from 'node:http';
import querystring from 'node:querystring';
import type { Duplex } from 'node:stream';
import type { RequestHandler } from 'express';
import helmet from 'helmet';
import { UdtError } from '../index.js';

/** A query string longer than this is refused (414), before anything parses it. */
export const MAX_QUERY_BYTES = 8_192;
/** More parameters than this are refused (400): none of the routes takes more than a handful. */
export const MAX_QUERY_PARAMETERS = 100;

/**
 * Parses the whole query string: Node's parser stops at 1 000 parameters by default and would
 * silently drop the rest (a filter placed after 1 000 `&` vanished). The count is bounded before
 * this runs, by `boundedQuery`.
 */
export function parseQueryString(text: string): Record<string, unknown> {
  return querystring.parse(text, '&', '=', { maxKeys: 0 });
}

/** Refuses query strings that are too long or have too many parameters, as JSON errors. */
export function boundedQuery(): RequestHandler {
  return (req, _res, next) => {
    const mark = req.url.indexOf('?');
    const query = mark < 0 ? '' : req.url.slice(mark + 1);
    if (query.length > MAX_QUERY_BYTES) {
      throw new UdtError('uri_too_long', 414, `the query string is ${query.length} bytes; at most ${MAX_QUERY_BYTES} are accepted`);
    }
    const parameters = query === '' ? 0 : query.split('&').length;
    if (parameters > MAX_QUERY_PARAMETERS) {
      throw new UdtError('too_many_parameters', 400, `the query string has ${parameters} parameters; at most ${MAX_QUERY_PARAMETERS} are accepted`);
    }
    next();
  };
}

/**
 * Security headers (helmet). The policy fits every page the service serves: the API docs load
 * their own scripts and use inline styles; the dashboard sets a stricter policy of its own. No
 * `upgrade-insecure-requests` and no HSTS: the service is often reached over plain HTTP inside a
 * network, where either would break it; a TLS-terminating proxy in front should set HSTS.
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'style-src': ["'self'", "'unsafe-inline'"],
        'img-src': ["'self'", 'data:'],
        'connect-src': ["'self'"],
        'font-src': ["'self'", 'data:'],
        'object-src': ["'none'"],
        'base-uri': ["'self'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
      },
    },
    strictTransportSecurity: false,
  });
}

/** Only these methods reach `path`; anything else is the caller's `onOther`. */
export function onlyMethods(methods: readonly string[], onOther: RequestHandler): RequestHandler {
  return (req, res, next) => (methods.includes(req.method) ? next() : onOther(req, res, next));
}

/**
 * Requests Node rejects before Express sees them (headers too large, a method it does not know, a
 * malformed request line) are answered with the same JSON error shape as everything else.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || (socket as { _httpMessage?: unknown })._httpMessage) {
      socket.destroy();
      return;
    }
    const [status, code, message] = CLIENT_ERRORS[error.code ?? ''] ?? [400, 'bad_request', 'the request could not be parsed as HTTP'];
    const body = JSON.stringify({ error: { code, message } });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}

const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'headers_too_large', 'the request headers are too large'],
  HPE_INVALID_METHOD: [501, 'not_implemented', 'the request method is not one this service implements'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request_timeout', 'the request did not arrive in time'],
};

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large', 501: 'Not Implemented' };
