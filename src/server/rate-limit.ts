/**
 * Per-client request budgets: a token bucket per key, refilled continuously
 * at `perMinute / 60` tokens a second, holding at most `perMinute` (so a quiet
 * client may burst up to a minute's worth). Buckets idle long enough to be full
 * again are forgotten, so memory stays bounded by the active clients.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number; perMinute: number }>();
  private lastPrune = 0;

  constructor(private readonly now: () => number = () => Date.now()) {}

  /** Takes one token for `client`. Returns 0 when allowed, else the seconds to wait before retrying. */
  take(client: string, perMinute: number): number {
    const now = this.now();
    this.prune(now);
    const b = this.buckets.get(client) ?? { tokens: perMinute, at: now, perMinute };
    b.tokens = Math.min(perMinute, b.tokens + ((now - b.at) / 60_000) * perMinute);
    b.at = now;
    b.perMinute = perMinute;
    this.buckets.set(client, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - b.tokens) / perMinute) * 60));
  }

  private prune(now: number): void {
    if (now - this.lastPrune < 60_000) return;
    this.lastPrune = now;
    for (const [client, b] of this.buckets) if (now - b.at >= 60_000) this.buckets.delete(client);
  }
}
