import { SchemaMismatchError, SessionDbError, UnavailableError, ValidationError } from '../../core/errors.js';
import { redactSecrets } from '../../core/redact.js';
import { PG_SCHEMA_VERSION } from './schema.js';

/** The SQLSTATEs the store acts on, by name: PostgreSQL's own, and those `sessiondb_append` raises. */
export const SQLSTATE = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  undefinedTable: '42P01',
  undefinedFunction: '42883',
  /** e.g. a text-search configuration that does not exist. */
  undefinedObject: '42704',
  invalidSchemaName: '3F000',
  untranslatableCharacter: '22P05',
  characterNotInRepertoire: '22021',
  /** `sessiondb_append`: the session does not exist. */
  sessionNotFound: 'SDB01',
  /** `sessiondb_append`: `expectVersion` is stale; the detail holds the actual version. */
  versionConflict: 'SDB02',
  /** `sessiondb_append`: an event id was already stored; call again in look-up mode. */
  retryWithLookup: 'SDB03',
} as const;

/** The SQLSTATE of a driver error, or '' when it has none. */
export function sqlstateOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

// Connection exceptions (08), operator intervention (57: admin shutdown, crash
// shutdown, cannot connect now, query canceled by timeout), insufficient
// resources (53), system errors (58).
const UNAVAILABLE_SQLSTATE = /^(08|53|57|58)/;
const UNAVAILABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const UNAVAILABLE_MESSAGES = /Connection terminated|Query read timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended|not queryable|server closed the connection/i;

/**
 * Turns a pg driver error into a sessiondb error: connection loss and timeouts
 * become `unavailable`; a missing schema says to migrate. Every message is
 * redacted of passwords.
 */
export function translatePgError(err: unknown, where: string): unknown {
  if (err instanceof SessionDbError) return err;
  const e = err as { code?: string; message?: string };
  const message = redactSecrets(String(e?.message ?? err));
  const code = typeof e?.code === 'string' ? e.code : '';
  if (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_NODE_CODES.has(code) || UNAVAILABLE_MESSAGES.test(message)) {
    return new UnavailableError(`PostgreSQL at ${where} is unavailable: ${message}${code ? ` (${code})` : ''}. Retry later.`, {
      cause: scrub(err),
    });
  }
  if (code === SQLSTATE.undefinedTable || code === SQLSTATE.undefinedFunction || code === SQLSTATE.invalidSchemaName) {
    return new SchemaMismatchError(`PostgreSQL at ${where} (the sessiondb tables are missing: ${message})`, 0, PG_SCHEMA_VERSION);
  }
  if (code === SQLSTATE.untranslatableCharacter || code === SQLSTATE.characterNotInRepertoire) {
    return new ValidationError('input', `PostgreSQL refused a character: ${message}`);
  }
  if (err instanceof Error) {
    err.message = message;
    return err;
  }
  return new Error(message);
}

/** A copy of a driver error with its message redacted, safe to keep as `cause`. */
function scrub(err: unknown): unknown {
  if (!(err instanceof Error)) return undefined;
  const copy = new Error(redactSecrets(err.message));
  (copy as { code?: unknown }).code = (err as { code?: unknown }).code;
  return copy;
}
