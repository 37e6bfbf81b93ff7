/** Per-system iteration counts: `fast` for sessiondb and the floors, `slow` for ADK's own service. */
export interface Count {
  fast: number;
  slow: number;
}

/** What one run of the suite does. */
export interface Plan {
  mode: 'full' | 'quick';
  /** Measured rounds; each runs every system once, in a rotated order. A warm-up round comes first. */
  rounds: number;
  /** Workload 1: appends to one session, each awaited. */
  sequentialAppends: Count;
  /** Workload 2: concurrent writers over many sessions. */
  concurrent: { writers: number; sessions: number; eventsPerSession: Count };
  /** Workload 3: newest `lastN` events of sessions of these sizes. */
  lastN: number;
  lastSizes: number[];
  /** Workload 4: a whole session of this many events. */
  wholeSession: number;
  /** Workload 5: a page of `pageSize` out of `sessions`, first and `deepPage`-th. */
  listing: { sessions: number; pageSize: number; deepPage: number };
  /** Timed calls per read workload per round. */
  reads: Count;
  /** Workload 6: sessions created, each awaited. */
  creates: Count;
  /**
   * Workload 1 again on PostgreSQL with synchronous_commit = off for every
   * system (not durable; the software overhead alone), in rounds of its own.
   */
  flushOff: { rounds: number; sequentialAppends: Count };
}

const FULL: Plan = {
  mode: 'full',
  rounds: 5,
  sequentialAppends: { fast: 5_000, slow: 300 },
  concurrent: { writers: 8, sessions: 50, eventsPerSession: { fast: 100, slow: 10 } },
  lastN: 20,
  lastSizes: [100, 10_000, 100_000],
  wholeSession: 1_000,
  listing: { sessions: 10_000, pageSize: 50, deepPage: 100 },
  reads: { fast: 200, slow: 20 },
  creates: { fast: 1_000, slow: 200 },
  flushOff: { rounds: 5, sequentialAppends: { fast: 2_000, slow: 300 } },
};

const QUICK: Plan = {
  ...FULL,
  mode: 'quick',
  rounds: 2,
  sequentialAppends: { fast: 1_000, slow: 100 },
  concurrent: { writers: 8, sessions: 16, eventsPerSession: { fast: 50, slow: 5 } },
  reads: { fast: 50, slow: 5 },
  creates: { fast: 300, slow: 50 },
  flushOff: { rounds: 2, sequentialAppends: { fast: 1_000, slow: 100 } },
};

export function planFor(argv: readonly string[]): Plan {
  return argv.includes('--quick') ? QUICK : FULL;
}

export const PG_URL = process.env['SESSIONDB_BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A MongoDB server for the MongoDB runs; without it they are left out (no server can be installed on the project's machines). */
export const MONGODB_URL = process.env['MONGODB_URL'] || undefined;
export const REDIS_URL = process.env['SESSIONDB_BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379/0';
