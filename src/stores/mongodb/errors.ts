/**
 * Driver errors as sessiondb errors. Decided by the error's name, code and
 * labels (no runtime import of the driver), so that nothing raw escapes a call.
 */
import { SessionDbError, UnavailableError } from '../../core/errors.js';
import { redactSecrets } from '../../core/redact.js';

/** Server error codes the store acts on, by name. */
export const MONGO_CODE = {
  duplicateKey: 11000,
  noSuchTransaction: 251,
  illegalOperation: 20,
  documentTooLarge: 10334,
  objectTooLarge: 17419,
  commandTooLarge: 17420,
} as const;

// Network, election, shutdown and timeout codes: the server is (for now) not there to answer.
const UNAVAILABLE_CODES = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  24, // LockTimeout
  50, // MaxTimeMSExpired
  64, // WriteConcernFailed
  89, // NetworkTimeout
  91, // ShutdownInProgress
  112, // WriteConflict (outside a transaction's retries)
  189, // PrimarySteppedDown
  262, // ExceededTimeLimit
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

const UNAVAILABLE_NAMES = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongoTopologyClosedError',
  'MongoNotConnectedError',
  'MongoOperationTimeoutError',
  'MongoWriteConcernError',
  'MongoPoolClosedError',
  'MongoServerClosedError',
]);

type DriverError = { name?: string; code?: unknown; message?: string; errorLabels?: unknown; hasErrorLabel?: (label: string) => boolean };

export function errorCode(err: unknown): number | undefined {
  const code = (err as DriverError | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** True for a duplicate-key error (E11000), single or bulk. */
export function isDuplicateKey(err: unknown): boolean {
  if (errorCode(err) === MONGO_CODE.duplicateKey) return true;
  const writeErrors = (err as { writeErrors?: { code?: number }[] } | null)?.writeErrors;
  return Array.isArray(writeErrors) && writeErrors.some((w) => w?.code === MONGO_CODE.duplicateKey);
}

/** True if the driver or server labelled the error (e.g. `TransientTransactionError`). */
export function hasLabel(err: unknown, label: string): boolean {
  const e = err as DriverError | null;
  if (typeof e?.hasErrorLabel === 'function') return e.hasErrorLabel(label);
  const labels = e?.errorLabels;
  return Array.isArray(labels) ? labels.includes(label) : labels instanceof Set ? labels.has(label) : false;
}

/** Connection loss, a timeout, an election or a stepdown: the server is (for now) not there to answer. */
export function isTransientError(err: unknown): boolean {
  const e = (err ?? {}) as DriverError;
  const code = errorCode(err);
  return (
    UNAVAILABLE_NAMES.has(e.name ?? '') ||
    (code !== undefined && UNAVAILABLE_CODES.has(code)) ||
    hasLabel(err, 'RetryableWriteError') ||
    hasLabel(err, 'TransientTransactionError') ||
    hasLabel(err, 'NetworkError')
  );
}

/**
 * A driver error as a sessiondb error. Connection loss, timeouts, elections
 * and stepdowns are `unavailable`; an oversized document is `too_large`;
 * anything else the server refused is `unavailable` too (a fault of the
 * deployment, not of the caller's input, which was checked before). Messages
 * are redacted of passwords.
 */
export function translateMongoError(err: unknown, where: string): unknown {
  if (err instanceof SessionDbError) return err;
  const e = (err ?? {}) as DriverError;
  const message = redactSecrets(String(e.message ?? err));
  const code = errorCode(err);
  const suffix = code === undefined ? '' : ` (code ${code})`;
  if (code === MONGO_CODE.documentTooLarge || code === MONGO_CODE.objectTooLarge || code === MONGO_CODE.commandTooLarge) {
    return new SessionDbError('too_large', `MongoDB at ${where} refused a document over its 16 MiB limit: ${message}${suffix}. Keep less session state.`, {
      field: 'state',
      unit: 'bytes',
      limit: 16 * 1024 * 1024,
    });
  }
  const text = isTransientError(err)
    ? `MongoDB at ${where} is unavailable: ${message}${suffix}. Retry later.`
    : `MongoDB at ${where} failed: ${message}${suffix}.`;
  return new UnavailableError(text, { cause: scrub(err) });
}

/** A copy of a driver error with its message redacted, safe to keep as `cause`. */
function scrub(err: unknown): unknown {
  if (!(err instanceof Error)) return undefined;
  const copy = new Error(redactSecrets(err.message));
  copy.name = err.name;
  (copy as { code?: unknown }).code = (err as { code?: unknown }).code;
  return copy;
}
