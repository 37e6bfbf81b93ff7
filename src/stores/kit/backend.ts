import type { StateChangeRow } from '../../core/history.js';
import type { EventRow, FileRow, SessionRow, SupersededRow } from '../../core/rows.js';
import type { StateEntry } from '../../core/state.js';
import type { MigrationStatus, StoreCapabilities } from '../../core/store.js';
import type { SessionEvent } from '../../core/types.js';
import type { ResolvedKey } from '../../core/validate.js';

/** A stored session as a document backend holds it: its row and its own state (key → JSON text). */
export interface StoredSession {
  row: SessionRow;
  state: ReadonlyMap<string, string>;
}

/** The owner of shared state: `[tenant, app]` for `app:` keys, `[tenant, app, user]` for `user:` keys. */
export type SharedOwner = readonly string[];

/** One write of one session, applied by the backend atomically (all of it or nothing). */
export interface SessionWrite {
  /** The session's row after the write. */
  row: SessionRow;
  /** True when the session is new. */
  created?: boolean;
  /** True when the write replaces a stored session whole (an import with `replace`): its own state, events, log and superseded events go first. */
  replace?: boolean;
  /** Own state keys to set. */
  state?: readonly StateEntry[];
  /** `app:` keys to set on the session's app. */
  app?: readonly StateEntry[];
  /** `user:` keys to set on the session's user. */
  user?: readonly StateEntry[];
  /** Keys to delete (after the sets; a key is never in both): own keys, the app's `app:` keys, the user's `user:` keys. */
  unset?: { state?: readonly string[]; app?: readonly string[]; user?: readonly string[] };
  /** Events to store after the stored ones (seqs continue the history). */
  events?: readonly EventRow[];
  /** Entries to add to the end of the session's state-change log (`core/history.ts`); with `replace`, the new log. */
  changes?: readonly StateChangeRow[];
  /**
   * A rewind, applied before everything else in the write: the events after
   * `toSeq` move out of the history into the session's superseded events
   * (stamped `supersededAt`/`supersededBy`), the log entries with
   * `at_seq > toSeq` are dropped, and the own state is emptied (the write's
   * `state` is then the whole own state).
   */
  rewind?: { toSeq: number; supersededAt: number; supersededBy: number };
}

/**
 * What a document-style backend provides to `DocumentStore`, which turns it
 * into a whole `SessionStore`: storage primitives only. Validation, version
 * checks, replays, seqs, state scopes, counters, listings, cursors, sweeps and
 * totals are the kit's. Calls arrive one at a time (the kit queues them), so a
 * backend need not guard against its own interleaving.
 */
export interface DocumentBackend {
  readonly kind: string;
  readonly capabilities?: Partial<StoreCapabilities>;
  /** Prepares the storage for use; with `migrating`, creates or upgrades it. Called before the first other call. */
  open(migrating: boolean): Promise<void>;
  migrationStatus(): Promise<MigrationStatus>;
  close(): Promise<void>;

  getSession(k: ResolvedKey): Promise<StoredSession | null>;
  /** Every session row (listings, counts, sweeps and scans run over these). */
  sessionRows(): Promise<Iterable<SessionRow>>;
  /** The stored events of a session with these ids. */
  eventsById(k: ResolvedKey, session: StoredSession, ids: readonly string[]): Promise<ReadonlyMap<string, SessionEvent>>;
  /** The events with seqs `from`..`to` (inclusive, 1-based, within the history), oldest first. */
  eventsBySeq(k: ResolvedKey, session: StoredSession, from: number, to: number): Promise<SessionEvent[]>;
  sharedState(owner: SharedOwner): Promise<ReadonlyMap<string, string>>;
  /** Every owner of `app:` (or `user:`) state that holds at least one key. */
  sharedOwners(scope: 'app' | 'user'): Promise<{ owner: SharedOwner; state: ReadonlyMap<string, string> }[]>;
  getFile(tenant: string, id: string): Promise<FileRow | null>;
  fileRows(): Promise<Iterable<FileRow>>;
  /** The session's state-change log, oldest first. */
  stateChanges(k: ResolvedKey, session: StoredSession): Promise<StateChangeRow[]>;
  /** The session's superseded events, ordered by (superseded_by, seq). */
  supersededRows(k: ResolvedKey, session: StoredSession): Promise<SupersededRow[]>;
  /** Approximate stored bytes of one session (its row, state and events), for `stats()`. */
  sessionBytes(k: ResolvedKey, session: StoredSession): Promise<number>;

  writeSession(write: SessionWrite): Promise<void>;
  writeShared(owner: SharedOwner, entries: readonly StateEntry[]): Promise<void>;
  /** Deletes a session with its events, own state, log and superseded events, and the file records named (atomically). */
  deleteSession(k: ResolvedKey, files: readonly { tenant: string; id: string }[]): Promise<void>;
  putFile(row: FileRow): Promise<void>;
  deleteFiles(keys: readonly { tenant: string; id: string }[]): Promise<void>;
}
