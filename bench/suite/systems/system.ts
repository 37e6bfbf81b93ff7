/** Where a system keeps its data. */
export type Backend = 'sqlite' | 'postgres' | 'redis' | 'mongodb';

/**
 * - `floor`: the raw driver doing the same work with the same durability;
 * - `store`: sessiondb's SessionStore (SqliteStore / PostgresStore);
 * - `adk-service`: sessiondb's AdkSessionService (ADK's API on a SessionStore);
 * - `adk`: Google ADK's own DatabaseSessionService.
 */
export type SystemKind = 'floor' | 'store' | 'adk-service' | 'adk';

export const SYSTEM_KINDS: readonly SystemKind[] = ['floor', 'store', 'adk-service', 'adk'];

export interface SessionRef {
  userId: string;
  sessionId: string;
}

/** Where a listing page starts: a cursor, an offset, or the keyset of the previous page's last row. */
export type PagePosition = { kind: 'start' } | { kind: 'cursor'; cursor: string } | { kind: 'offset'; offset: number } | { kind: 'keyset'; updatedAt: number; id: string };

/** An event ready to append, in whatever shape the system takes (built before the clock starts). */
export type PreparedEvent = unknown;

/**
 * One system under test on one backend. Every timed call goes through the
 * system's public API; `seekPage` is set-up, not timed.
 */
export interface System {
  readonly kind: SystemKind;
  readonly backend: Backend;
  /** How the table names it, e.g. "SqliteStore". */
  readonly label: string;
  /** Slow systems (ADK) run fewer iterations. */
  readonly slow: boolean;
  /** How this system pages a listing ("cursor", "offset"), for the report. */
  readonly paging: 'cursor' | 'offset' | 'keyset';

  createSession(ref: SessionRef): Promise<void>;
  prepareEvent(turn: number): PreparedEvent;
  append(ref: SessionRef, event: PreparedEvent): Promise<void>;
  /** Reads the session with its newest `n` events; returns how many events came back. */
  readLast(ref: SessionRef, n: number): Promise<number>;
  /** Reads the session with every event; returns how many came back. */
  readAll(ref: SessionRef): Promise<number>;
  /** Reads one page of a user's sessions (oldest update first); returns how many came back. */
  listPage(userId: string, pageSize: number, at: PagePosition): Promise<number>;
  /** Where page `page` (1-based) starts, found the way this system pages (not timed). */
  seekPage(userId: string, pageSize: number, page: number): Promise<PagePosition>;
  close(): Promise<void>;
}

/**
 * Set-up that is not the system's API: bulk pre-fills in SQL, straight into
 * the system's own tables, by copying rows the system itself wrote.
 */
export interface Filler {
  /** Copies the session's first event until the session holds `total` events. */
  fillEvents(ref: SessionRef, total: number): Promise<void>;
  /** Copies the `template` session until its user has `total` sessions. */
  fillSessions(template: SessionRef, total: number): Promise<void>;
  /** Planner statistics, where a deployment's autovacuum would keep them (PostgreSQL: ANALYZE). */
  analyze(): Promise<void>;
}

/** A system with the set-up that goes with its tables. */
export interface Contender {
  system: System;
  filler: Filler;
}

/**
 * - `standard`: each backend as deployed, every commit as durable as the backend's setup makes it;
 * - `flush-off`: PostgreSQL with `synchronous_commit = off` for every system, so that no commit
 *   waits for its WAL flush. Not a durable configuration; it shows the software overhead only.
 */
export type Variant = 'standard' | 'flush-off';

/** The contenders of one backend, and how to drop everything they created. */
export interface Arena {
  backend: Backend;
  variant: Variant;
  /** flush-off: each system's synchronous_commit, as its own connection reports it. */
  synchronousCommit?: Record<string, string>;
  contenders: Contender[];
  /** Closes every system and drops its files, schemas and databases. */
  dispose(): Promise<void>;
}
