import type { Clock } from '../core/clock.js';
import { CapacityError } from '../core/errors.js';

/** The `Retry-After` hint of a refusal: capacity comes back when sessions end, which nobody can predict. */
export const CAPACITY_RETRY_AFTER_SECONDS = 30;
/** With other writers, a count older than this is read again before a create (at most this often)… */
const RECOUNT_INTERVAL_MS = 1000;
/** …or, when counting is slow (a huge store), 100 times as long as the last count took: at most 1 % of the time goes to counting. */
const RECOUNT_COST_FACTOR = 100;

/** A place taken by a write that adds an active session: `commit` once it is stored, `cancel` if it failed. */
export interface Reservation {
  commit(): void;
  cancel(): void;
}

/**
 * Counts the store's active sessions without scanning them on each create:
 * the count is read from the store's totals once (at startup, or at the first
 * create), then kept by the manager's own writes (create, archive, restore,
 * expire, delete, import), and read again after every expiry sweep.
 *
 * With other processes writing the same database (several servers), each
 * one's count misses what the others did since its last read, so the limit is
 * a soft one: before a create, a count older than a second (or than 100
 * times what the last count took) is read again, so the store can hold more
 * than the limit by at most what the other instances create within that time.
 */
export class ActiveSessionLimit {
  private active = 0;
  /** Reservations not yet committed or cancelled: already in `active`, maybe not yet in a count read from the store. */
  private pending = 0;
  private lastCountAt = Number.NEGATIVE_INFINITY;
  private lastCountMs = 0;
  private counting: Promise<void> | null = null;

  constructor(
    readonly limit: number,
    private readonly countActive: () => Promise<number>,
    private readonly clock: Clock,
    private readonly othersWrite: boolean,
  ) {}

  /** The active sessions as this instance counts them (null until counted once). */
  get current(): number | null {
    return Number.isFinite(this.lastCountAt) ? this.active : null;
  }

  /** Reads the count from the store (concurrent callers share one read). */
  recount(): Promise<void> {
    const t0 = performance.now();
    this.counting ??= this.countActive()
      .then((n) => {
        this.active = n + this.pending;
        this.lastCountAt = this.clock.now();
        this.lastCountMs = performance.now() - t0;
      })
      .finally(() => {
        this.counting = null;
      });
    return this.counting;
  }

  /** Takes a place for one more active session, or throws `CapacityError` (nothing written). */
  async reserve(): Promise<Reservation> {
    if (!Number.isFinite(this.lastCountAt)) await this.recount();
    else if (this.othersWrite && this.clock.now() - this.lastCountAt >= Math.max(RECOUNT_INTERVAL_MS, RECOUNT_COST_FACTOR * this.lastCountMs)) await this.recount();
    if (this.active >= this.limit) throw new CapacityError(this.limit, CAPACITY_RETRY_AFTER_SECONDS);
    this.active++;
    this.pending++;
    let settled = false;
    return {
      commit: () => {
        if (settled) return;
        settled = true;
        this.pending--;
      },
      cancel: () => {
        if (settled) return;
        settled = true;
        this.pending--;
        this.active = Math.max(0, this.active - 1);
      },
    };
  }

  /** An active session was archived, expired or deleted by this instance. */
  released(): void {
    this.active = Math.max(0, this.active - 1);
  }
}
