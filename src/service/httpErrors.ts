import { UdtError } from '../index.js';

/** Errors only the HTTP layer raises; the error handler in `server.ts` maps every `UdtError` to its status. */
/** The client went away before its answer was ready: the work for it is given up, and nobody is told. */
export class ClientGoneError extends Error {
  constructor() {
    super('the client went away');
  }
}

export class NotFoundError extends UdtError {
  constructor(message: string) {
    super('not_found', 404, message);
  }
}

export class MethodNotAllowedError extends UdtError {
  constructor(method: string, path: string, allowed: readonly string[]) {
    super('method_not_allowed', 405, `${method} is not allowed on ${path}; use ${allowed.join(' or ')}`);
  }
}

export class UnauthorizedError extends UdtError {
  constructor(message: string) {
    super('unauthorized', 401, message);
  }
}

export class NotAcceptableError extends UdtError {
  constructor(message: string) {
    super('not_acceptable', 406, message);
  }
}

export class RangeNotSatisfiableError extends UdtError {
  constructor(message: string) {
    super('range_not_satisfiable', 416, message);
  }
}
