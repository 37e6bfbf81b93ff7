/** How `HttpStore` waits and tries again when the server pushes back (429, or 503 for a call that is safe to repeat). */
export interface HttpRetryOptions {
  /** The longest single wait, ms: a longer `Retry-After` is cut to it, and the call tried again after it. Default 30 000. */
  maxDelayMs?: number;
  /**
   * The most one call may spend, ms, from its first request to the start of
   * its last, waits included. A wait that would end past it is not started:
   * the call fails with the server's answer. Default 120 000.
   */
  budgetMs?: number;
}

export const DEFAULT_RETRY: Required<HttpRetryOptions> = { maxDelayMs: 30_000, budgetMs: 120_000 };

/** The first backoff of a 503 without `Retry-After`; doubled on each retry. */
const FIRST_BACKOFF_MS = 250;

/**
 * How long to wait before retry number `attempt` (from 0). The server's
 * `Retry-After` is a minimum, so jitter only adds to it (up to half again);
 * without one, exponential backoff from 250 ms with jitter of up to half. A
 * wait above `maxDelayMs` is cut to between three quarters of it and all of
 * it. The jitter keeps clients that were refused together from coming back
 * together.
 */
export function retryDelay(retryAfter: string | null, attempt: number, maxDelayMs: number, now = Date.now(), random: () => number = Math.random): number {
  const asked = parseRetryAfter(retryAfter, now);
  const delay = asked !== undefined ? asked * (1 + random() * 0.5) : FIRST_BACKOFF_MS * 2 ** Math.min(attempt, 20) * (0.5 + random() * 0.5);
  return Math.round(delay <= maxDelayMs ? delay : maxDelayMs * (0.75 + random() * 0.25));
}

/** `Retry-After` as milliseconds from now: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
