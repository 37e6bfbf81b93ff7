import { SessionDbError, UnavailableError } from '../../core/errors.js';
import { redactSecrets } from '../../core/redact.js';

// The driver's errors for a connection that is down, closed, timed out or being redirected.
const UNAVAILABLE_ERRORS = new Set([
  'ConnectionTimeoutError',
  'SocketTimeoutError',
  'SocketClosedUnexpectedlyError',
  'ClientClosedError',
  'ClientOfflineError',
  'DisconnectsClientError',
  'ReconnectStrategyError',
  'RootNodesUnavailableError',
  'TimeoutError',
  'CommandTimeoutDuringMaintenanceError',
  'SocketTimeoutDuringMaintenanceError',
  'MaxCommandRedirectionsError',
  'AbortError',
]);
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
// Server replies that mean "not now": a cluster without a master for the slot, a
// slot moving, a replica answering (also to the WAIT after a write, when its master
// was demoted in between), a server loading its data or out of memory.
const UNAVAILABLE_REPLIES = /^(CLUSTERDOWN|TRYAGAIN|MASTERDOWN|LOADING|NOREPLICAS|READONLY|BUSY|MOVED|ASK|OOM)\b|^ERR WAIT cannot be used with replica/;

/**
 * Turns a driver error into a sessiondb error: connection loss, timeouts and
 * cluster reconfiguration become `unavailable`. Messages are redacted of passwords.
 */
export function translateRedisError(err: unknown, where: string): unknown {
  if (err instanceof SessionDbError) return err;
  const e = err as { name?: string; code?: string; message?: string; constructor?: { name?: string } };
  const message = redactSecrets(String(e?.message ?? err));
  const name = e?.constructor?.name ?? e?.name ?? '';
  if (UNAVAILABLE_ERRORS.has(name) || UNAVAILABLE_ERRORS.has(e?.name ?? '') || UNAVAILABLE_CODES.has(e?.code ?? '') || UNAVAILABLE_REPLIES.test(message)) {
    return new UnavailableError(`Redis at ${where} is unavailable: ${message || name}. Retry later.`, { cause: scrub(err) });
  }
  if (err instanceof Error) {
    err.message = message;
    return err;
  }
  return new Error(message);
}

/** True for the reply a server gives to EVALSHA when it does not have the script. */
export function isNoScript(err: unknown): boolean {
  return /^NOSCRIPT\b/.test(String((err as { message?: string })?.message ?? ''));
}

function scrub(err: unknown): unknown {
  if (!(err instanceof Error)) return undefined;
  const copy = new Error(redactSecrets(err.message));
  copy.name = err.name;
  return copy;
}
