/**
 * The closed set of error codes. The HTTP server maps each to one status
 * (see `httpStatusOf`), and callers branch on `code`, never on the message.
 */
export type ErrorCode =
  | 'not_found'
  | 'exists'
  | 'conflict'
  | 'invalid'
  | 'too_large'
  | 'unavailable'
  | 'missing_dependency'
  | 'unauthorized'
  | 'forbidden'
  | 'rate_limited'
  | 'schema_mismatch'
  | 'unsupported'
  | 'undecryptable'
  | 'capacity';

const HTTP_STATUS: Record<ErrorCode, number> = {
  not_found: 404,
  exists: 409,
  conflict: 409,
  invalid: 400,
  too_large: 413,
  unavailable: 503,
  missing_dependency: 500,
  unauthorized: 401,
  forbidden: 403,
  rate_limited: 429,
  schema_mismatch: 500,
  unsupported: 501,
  undecryptable: 500,
  // The whole server is full, not this caller too fast (429): see CapacityError.
  capacity: 503,
};

/** True if `code` is one of sessiondb's error codes (e.g. one read back from the HTTP API). */
export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(HTTP_STATUS, code);
}

/** The HTTP status the server answers for an error code. */
export function httpStatusOf(code: ErrorCode): number {
  return HTTP_STATUS[code];
}

/**
 * Base class of every error sessiondb throws on purpose. `details` carries
 * machine-readable context (the field, the limit, the versions); it never
 * holds secrets.
 */
export class SessionDbError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

/** A write named a session that does not exist. */
export class SessionNotFoundError extends SessionDbError {
  constructor(key: { appName: string; userId: string; sessionId: string; tenant?: string }) {
    super(
      'not_found',
      `Session not found: app "${key.appName}", user "${key.userId}", session "${key.sessionId}"` +
        (key.tenant && key.tenant !== 'default' ? ` in tenant "${key.tenant}"` : '') +
        '. Create the session before writing to it.',
      { appName: key.appName, userId: key.userId, sessionId: key.sessionId },
    );
  }
}

/** `createSession` named an id that is already taken for that app and user. */
export class SessionExistsError extends SessionDbError {
  constructor(key: { appName: string; userId: string; sessionId: string }) {
    super(
      'exists',
      `Session already exists: app "${key.appName}", user "${key.userId}", session "${key.sessionId}". ` +
        'Choose another id, omit the id to have one generated, or read the existing session.',
      { appName: key.appName, userId: key.userId, sessionId: key.sessionId },
    );
  }
}

/** A write carried `expectVersion` and the stored version differs; nothing was changed. */
export class ConflictError extends SessionDbError {
  readonly expectedVersion: number;
  readonly actualVersion: number;

  constructor(expected: number, actual: number, message?: string) {
    super(
      'conflict',
      message ??
        `Version conflict: the write expected version ${expected} but the session is at version ${actual}; ` +
          'nothing was changed. Re-read the session and retry.',
      { expectedVersion: expected, actualVersion: actual },
    );
    this.expectedVersion = expected;
    this.actualVersion = actual;
  }
}

/** Input was malformed. `field` names the offending input, e.g. `events[2].author`. */
export class ValidationError extends SessionDbError {
  readonly field: string;
  constructor(field: string, problem: string, hint?: string) {
    super('invalid', `Invalid ${field}: ${problem}.${hint ? ' ' + hint : ''}`, { field });
    this.field = field;
  }
}

/** Input exceeded a configured limit; nothing was changed. */
export class TooLargeError extends SessionDbError {
  readonly field: string;
  readonly limit: number;
  readonly actual: number;
  constructor(field: string, actual: number, limit: number, unit: string) {
    super(
      'too_large',
      `${field} is too large: ${actual} ${unit}, the limit is ${limit} ${unit}. ` +
        'Send less, or raise the limit where the store is configured (its limits).',
      { field, limit, actual, unit },
    );
    this.field = field;
    this.limit = limit;
    this.actual = actual;
  }
}

/** The database could not be reached or timed out. Safe to retry later. */
export class UnavailableError extends SessionDbError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('unavailable', message, undefined, options);
  }
}

/** Every call to a store after `close()`: one error, one message, for every store. */
export class StoreClosedError extends UnavailableError {
  constructor() {
    super('The store is closed; open a new one.');
  }
}

/**
 * The database holds a schema (or file layout) of another version than this
 * code's: older (run the migrations) or newer (upgrade sessiondb). Not the
 * caller's input, so not `invalid`; retrying will not help until an operator acts.
 */
export class SchemaMismatchError extends SessionDbError {
  constructor(where: string, current: number, latest: number) {
    super(
      'schema_mismatch',
      current < latest
        ? `${where} has schema version ${current}; this sessiondb needs ${latest}. Run the migrations: \`sessiondb migrate\`, or store.migrate() (openStore does it).`
        : `${where} has schema version ${current}, newer than this sessiondb knows (${latest}). Upgrade sessiondb.`,
      { current, latest },
    );
  }
}

/**
 * Creating (or restoring) a session would take the active sessions past the
 * configured `maxActiveSessions`. Nothing was changed. It clears when sessions
 * are archived, expire or are deleted, so `retryAfterSeconds` is a hint only.
 */
export class CapacityError extends SessionDbError {
  readonly limit: number;
  readonly retryAfterSeconds: number;
  constructor(limit: number, retryAfterSeconds: number) {
    super(
      'capacity',
      `Capacity reached: ${limit} active sessions is the limit (maxActiveSessions), so no session can be created or restored now; nothing was changed. ` +
        'Archive or delete sessions that are done, let idle ones expire, or raise the limit; then retry.',
      { limit, retryAfterSeconds },
    );
    this.limit = limit;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** An optional driver package is not installed. */
export class MissingDependencyError extends SessionDbError {
  constructor(pkg: string, forWhat: string, options?: { cause?: unknown }) {
    super(
      'missing_dependency',
      `${forWhat} needs the "${pkg}" package, which is not installed. Install it with: npm install ${pkg}`,
      { package: pkg },
      options,
    );
  }
}

/** True for errors sessiondb threw on purpose (as opposed to bugs or driver faults). */
export function isSessionDbError(err: unknown): err is SessionDbError {
  return err instanceof SessionDbError;
}
