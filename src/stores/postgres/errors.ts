import { SessionDbError, UnavailableError, ValidationError } from '../../core/errors.js';
import { redactSecrets } from '../../core/redact.js';

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
  if (code === '42P01' || code === '42883' || code === '3F000') {
    return new SessionDbError('invalid', `PostgreSQL at ${where}: the sessiondb schema is missing (${message}). Run "await store.migrate()" (openStore does it).`);
  }
  if (code === '22P05' || code === '22021') {
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
