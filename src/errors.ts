/**
 * Every error the library or the service raises on purpose is a `UdtError`: a real `Error` with a
 * stable `code` and the HTTP status it maps to. The server turns them into responses in one place.
 */
export class UdtError extends Error {
  readonly code: string;
  readonly status: number;
  /** Extra fields for the error's HTTP body, beside `code` and `message` (e.g. the keys a run missed). */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: string, status: number, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.details = options?.details;
  }
}

/**
 * A caller passed something the library cannot use: a bad option, filter or column name. `field`
 * names the offending input (e.g. `minAge`), so a layer above can say it in its own terms.
 */
export class InvalidInputError extends UdtError {
  readonly field: string | undefined;

  constructor(message: string, options: { code?: string; field?: string } = {}) {
    super(options.code ?? 'invalid_input', 400, message);
    this.field = options.field;
  }
}

/** A required option is missing or has the wrong type. */
export class OptionError extends UdtError {
  constructor(message: string) {
    super('invalid_option', 500, message);
  }
}

/** The object store cannot be reached or answered with a failure. */
export class StoreUnavailableError extends UdtError {
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'store_unavailable', 503, message, options);
  }
}

/**
 * A download that arrived but cannot be trusted: its length differs from the listed size, or its
 * MD5 from the etag. Like any failed download it is retried by the next sync.
 */
export class IntegrityError extends StoreUnavailableError {
  constructor(message: string) {
    super(message, { code: 'integrity_mismatch' });
  }
}

/**
 * An object the store refuses to serve: larger than the caller's bound, a link whose target leaves
 * a local root, or not a regular file. Not an outage: the file is reported and skipped until it
 * changes. The message never contains the object's content.
 */
export class ObjectRejectedError extends UdtError {
  constructor(message: string) {
    super('object_rejected', 422, message);
  }
}

/** An optional peer dependency a feature needs is not installed; the message says how to install it. */
export class MissingPeerError extends UdtError {
  readonly dependency: string;

  constructor(dependency: string, message: string, options?: { cause?: unknown }) {
    super('missing_dependency', 500, message, options);
    this.dependency = dependency;
  }
}

/** Builds the message for a missing required option, naming it. */
export function requiredOption(owner: string, option: string): OptionError {
  return new OptionError(`${owner}: missing required option \`${option}\``);
}

/** A short, human-readable description of any thrown value. */
export function describeError(error: unknown): string {
  if (error instanceof UdtError) return error.message;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

/**
 * An export that would replace an output holding users with one holding none: the source has no
 * user files (emptied, or the wrong one). Refused, so the previous output stays, unless the caller
 * allows empty exports.
 */
export class EmptySourceError extends UdtError {
  constructor(message: string) {
    super('empty_source', 503, message);
  }
}

/**
 * An export wrote the output CSV but not the Parquet file beside it: the CSV is new, the Parquet
 * file still holds the previous export. The next export writes both.
 */
export class PartialExportError extends UdtError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('partial_export', 503, message, options);
  }
}
