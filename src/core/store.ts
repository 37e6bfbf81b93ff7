import type { Limits } from './limits.js';
import type {
  ActivityInput,
  AppendResult,
  AppKey,
  EventPage,
  EventRange,
  FilePage,
  FileQuery,
  FileRecord,
  JsonObject,
  NewEvent,
  NewFileRecord,
  NewSession,
  ReadOptions,
  RewindInput,
  RewindResult,
  SearchPage,
  SearchQuery,
  StateChange,
  SupersededPage,
  SupersededRange,
  SessionSnapshot,
  ScanQuery,
  SessionKeyPage,
  SharedStatePage,
  Session,
  SessionKey,
  SessionPage,
  SessionPatch,
  SessionCountQuery,
  SessionQuery,
  StoreStats,
  SweepOptions,
  SweepResult,
  UserKey,
  WriteOptions,
} from './types.js';

/** Names one file record. */
export interface FileKey {
  tenant?: string;
  id: string;
}

/** Where a store's schema stands. */
export interface MigrationStatus {
  /** The schema version of the database (0: empty). */
  current: number;
  /** The newest version this code knows. */
  latest: number;
  /** Migrations not yet applied, oldest first. */
  pending: { version: number; description: string }[];
}

/** What a store can do beyond the contract every store keeps. Declared, never inferred from `kind`. */
export interface StoreCapabilities {
  /** Other OS processes may open the same database (by URL) and write to it at the same time. */
  sharedAcrossProcesses: boolean;
  /** `backup(path)` writes a consistent copy of the whole database while writers run. */
  backup: boolean;
  /** `vacuum()` reclaims space. */
  vacuum: boolean;
  /**
   * `searchEvents` uses a full-text index. Off: it reads every stored event of
   * the tenant (after the session filters) on each search, O(events).
   */
  indexedSearch: boolean;
  /**
   * `searchEvents` answers queries. The one capability that is on unless a
   * store declares it off: a store that seals event content (`EncryptedStore`)
   * holds no text to search, and refuses with `unsupported`.
   */
  search: boolean;
}

/** Progress of a long migration step (building a search index over stored events). */
export interface MigrationProgress {
  /** What is being done, e.g. "search index". */
  step: string;
  done: number;
  total: number;
}

export interface MigrateOptions {
  /** Called as a long step advances (at most a few times a second). */
  onProgress?: (progress: MigrationProgress) => void;
}

const DEFAULT_CAPABILITIES: StoreCapabilities = { sharedAcrossProcesses: false, backup: false, vacuum: false, indexedSearch: false, search: true };

/** A store's capabilities, with every one it does not declare at its default (off, except `search`). */
export function capabilitiesOf(store: Pick<SessionStore, 'capabilities'>): StoreCapabilities {
  return { ...DEFAULT_CAPABILITIES, ...store.capabilities };
}

/**
 * The contract every backend keeps; the conformance suite in `sessiondb/testing`
 * checks it. Rules:
 * - Missing means `null` (or `false` for deletes); writes to a missing session
 *   throw `SessionNotFoundError`.
 * - A write with `expectVersion` that does not match throws `ConflictError` and
 *   changes nothing. Every write bumps `version` by one.
 * - Bad input throws `ValidationError` / `TooLargeError` and changes nothing.
 * - Constructors do no I/O; `migrate()` creates and upgrades the schema.
 */
export interface SessionStore {
  /** `'memory'`, `'sqlite'`, `'postgres'`, … */
  readonly kind: string;
  readonly limits: Limits;
  /** What it can do beyond the contract (off when absent, except `search`); see `capabilitiesOf`. */
  readonly capabilities?: Partial<StoreCapabilities>;

  /**
   * Creates or upgrades the schema. Idempotent; safe when several processes
   * race. Building an index over what is already stored reports progress.
   */
  migrate(options?: MigrateOptions): Promise<void>;
  /** Where the schema stands, without changing it. */
  migrationStatus(): Promise<MigrationStatus>;
  /** Releases connections. Idempotent; later calls throw `unavailable`. */
  close(): Promise<void>;

  /** Throws `SessionExistsError` if the id is taken. Version of a new session: 1. */
  createSession(input: NewSession): Promise<Session>;
  /** The session with merged state and (unless `withEvents: false`) its events, or null. */
  getSession(key: SessionKey, options?: ReadOptions): Promise<Session | null>;
  /** A page of sessions (merged state, no events), ordered by `updatedAt` then id. */
  listSessions(query: SessionQuery): Promise<SessionPage>;
  /** How many sessions match the filters of a listing. */
  countSessions(query: SessionCountQuery): Promise<number>;
  updateSession(key: SessionKey, patch: SessionPatch, options?: WriteOptions): Promise<Session>;
  /**
   * Updates state without an event (ADK-style `update_keys`). Keys are routed
   * by prefix: `app:` to the session's app, `user:` to its user, other keys to
   * the session; `temp:` keys are dropped. **A `null` value deletes the key**
   * (unlike an event's `stateDelta`, where `null` is a stored value); any other
   * value replaces the stored one whole. Validated like a delta (errors name
   * `delta[...]`). Throws `SessionNotFoundError` for a missing session and
   * `ConflictError` (changing nothing) on a stale `expectVersion`. It is a
   * write even when the delta is empty: `version` + 1, `updatedAt` now,
   * `lastActivityAt` unchanged. Returns the session with its merged state
   * (no events).
   */
  updateKeys(key: SessionKey, delta: JsonObject, options?: WriteOptions): Promise<Session>;
  /** True if it existed. Its events, session state and file records go with it. */
  deleteSession(key: SessionKey): Promise<boolean>;
  /**
   * Writes a whole session exactly as given (counters, version and times
   * included), atomically. Throws `SessionExistsError` if it exists, unless
   * `replace` (then the old one, its events and session state, is replaced).
   */
  importSession(snapshot: SessionSnapshot, options?: { replace?: boolean }): Promise<Session>;

  /**
   * Appends events atomically with their state deltas. Events whose id is
   * already stored are not stored again: they come back as stored, and if every
   * event of the call was already stored, the call is an idempotent replay that
   * succeeds without checking `expectVersion`.
   */
  appendEvents(key: SessionKey, events: NewEvent[], options?: WriteOptions): Promise<AppendResult>;
  /**
   * Ends the visible history at `toSeq` again: reads, exports and the seq of
   * the next append behave as if the later events had never been appended, and
   * the session's own state is what it was right after `toSeq` (`app:`/`user:`
   * state is shared and is left alone). The later events stay stored as
   * superseded (`readSupersededEvents`) and leave the search index. One write
   * (version + 1, `updatedAt` now), atomic; `expectVersion` as for appends.
   * `toSeq` equal to the last seq changes nothing; past it is `invalid`.
   */
  rewindSession(key: SessionKey, input: RewindInput, options?: WriteOptions): Promise<RewindResult>;
  /** The events rewinds superseded, by rewind then seq; null if the session does not exist. */
  readSupersededEvents(key: SessionKey, range?: SupersededRange): Promise<SupersededPage | null>;
  /** The session's log of state changes no event carried (oldest first); null if it does not exist. */
  readStateHistory(key: SessionKey): Promise<StateChange[] | null>;
  /**
   * Full-text search over event content and session titles of one tenant,
   * best first (see `SearchQuery` for the language and the filters). An event
   * is found as soon as its append returns; deleted sessions and superseded
   * events are not.
   */
  searchEvents(query: SearchQuery): Promise<SearchPage>;

  /** A page of events by seq; null if the session does not exist. */
  readEvents(key: SessionKey, range?: EventRange): Promise<EventPage | null>;
  /** Counts one request: `requestCount + 1`, `requestMsTotal + durationMs`, `lastActivityAt`. */
  recordActivity(key: SessionKey, activity?: ActivityInput): Promise<Session>;

  /** The `app:` keys of one app. */
  getAppState(key: AppKey): Promise<JsonObject>;
  /** The `user:` keys of one user of one app. */
  getUserState(key: UserKey): Promise<JsonObject>;
  /** Applies a delta of `app:` keys; returns the resulting app state. */
  updateAppState(key: AppKey, delta: JsonObject): Promise<JsonObject>;
  /** Applies a delta of `user:` keys; returns the resulting user state. */
  updateUserState(key: UserKey, delta: JsonObject): Promise<JsonObject>;

  /** Creates a file record, or replaces the one with the same tenant and id. */
  putFile(record: NewFileRecord): Promise<FileRecord>;
  getFile(key: FileKey): Promise<FileRecord | null>;
  /** Newest upload first. */
  listFiles(query?: FileQuery): Promise<FilePage>;
  deleteFile(key: FileKey): Promise<boolean>;

  /** Every session key of every tenant (for dumps and copies), ordered by tenant, app, user, id. */
  scanSessionKeys(query?: ScanQuery): Promise<SessionKeyPage>;
  /** Every app (or user) that has shared state, with that state, in key order. */
  scanSharedState(scope: 'app' | 'user', query?: ScanQuery): Promise<SharedStatePage>;
  /** Every file record of every tenant, ordered by tenant, then id. */
  scanFiles(query?: ScanQuery): Promise<FilePage>;

  /** Expires sessions and deletes file records whose `expiresAt` has passed. */
  sweepExpired(options?: SweepOptions): Promise<SweepResult>;
  /** Totals, over one tenant if given, else over the whole store. */
  stats(options?: { tenant?: string }): Promise<StoreStats>;
  /** Reclaims space, where the backend has a way to (capability `vacuum`). */
  vacuum?(): Promise<void>;
  /** Writes a consistent copy of the database to `path` while writers run (capability `backup`). */
  backup?(path: string): Promise<void>;
}
