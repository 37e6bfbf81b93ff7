/** Size limits on input. Exceeding one throws `TooLargeError` and changes nothing. */
export interface Limits {
  /** Tenant, app name, user id, session id, event id, file id, author: characters. Default 128. */
  maxNameLength: number;
  /** A state key: characters. Default 256. */
  maxStateKeyLength: number;
  /** One event's content: UTF-8 bytes (JSON bytes for structured content). Default 1 MiB. */
  maxEventContentBytes: number;
  /** A metadata object, a state delta or an initial state, as JSON: bytes. Default 1 MiB. */
  maxJsonBytes: number;
  /** Events in one `appendEvents` call. Default 1000. */
  maxEventsPerAppend: number;
  /** The largest `limit` a page may ask for. Default 1000. */
  maxPageSize: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxNameLength: 128,
  maxStateKeyLength: 256,
  maxEventContentBytes: 1024 * 1024,
  maxJsonBytes: 1024 * 1024,
  maxEventsPerAppend: 1000,
  maxPageSize: 1000,
});

/** Fills the limits a caller left out with the defaults. */
export function resolveLimits(partial?: Partial<Limits>): Limits {
  return { ...DEFAULT_LIMITS, ...(partial ?? {}) };
}
