/** A JSON object as stored: state maps, metadata. */
export type JsonObject = Record<string, unknown>;

/** Lifecycle of a session. Only `active` sessions are expected to receive events. */
export type SessionStatus = 'active' | 'archived' | 'expired';
export const SESSION_STATUSES: readonly SessionStatus[] = ['active', 'archived', 'expired'];

/** Who spoke, for chat-shaped events. */
export type EventRole = 'system' | 'user' | 'assistant' | 'tool';
export const EVENT_ROLES: readonly EventRole[] = ['system', 'user', 'assistant', 'tool'];

/** The tenant used when a key names none. */
export const DEFAULT_TENANT = 'default';

/**
 * Names one session: ADK's `(appName, userId, sessionId)` inside a tenant.
 * `tenant` defaults to `"default"`.
 */
export interface SessionKey {
  tenant?: string;
  appName: string;
  userId: string;
  sessionId: string;
}

/**
 * A whole session as stored, for exact copies (import, restore, copy between
 * stores): every field, the session's own state (no `app:`/`user:` keys: those
 * are shared and travel separately), and its events with seqs 1..n.
 */
export interface SessionSnapshot {
  session: Omit<Session, 'state' | 'events'>;
  state: JsonObject;
  events: SessionEvent[];
  /**
   * The log of state changes no event carried (see `StateChange`), so that the
   * state after any seq is exact in the copy too. When absent, an import
   * starts the log with one `replace` of `state` after the last event.
   */
  history?: StateChange[];
}

/** Names the app-scoped state of one app. */
export interface AppKey {
  tenant?: string;
  appName: string;
}

/** Names the user-scoped state of one user of one app. */
export interface UserKey {
  tenant?: string;
  appName: string;
  userId: string;
}

/** One entry of the append-only history of a session, as stored. */
export interface SessionEvent {
  /** Unique within the session. Appending an existing id is a no-op. */
  id: string;
  /** 1, 2, 3… per session, gapless: the order of the history. */
  seq: number;
  /** Epoch milliseconds. */
  timestamp: number;
  author: string;
  role?: EventRole;
  invocationId?: string;
  /** A string, or any JSON value (e.g. an array of content parts). */
  content?: unknown;
  /** State changes this event carried; applied when it was stored (`temp:` keys removed). */
  stateDelta?: JsonObject;
  metadata?: JsonObject;
}

/** An event to append. `id` and `timestamp` are generated when absent. */
export interface NewEvent {
  id?: string;
  timestamp?: number;
  author: string;
  role?: EventRole;
  invocationId?: string;
  content?: unknown;
  stateDelta?: JsonObject;
  metadata?: JsonObject;
  /** Partial (streaming) events are never stored; they are skipped. */
  partial?: boolean;
}

/** A stored session. `state` is the merged view of app, user and session scopes. */
export interface Session {
  tenant: string;
  appName: string;
  userId: string;
  id: string;
  state: JsonObject;
  metadata: JsonObject;
  model: string | null;
  status: SessionStatus;
  createdAt: number;
  /** Time of the last write; after an append, the timestamp of the last stored event. */
  updatedAt: number;
  lastActivityAt: number;
  /** Absolute epoch ms after which the session counts as expired, or null for never. */
  expiresAt: number | null;
  /** Number of stored events, which is also the `seq` of the newest one. */
  eventCount: number;
  requestCount: number;
  requestMsTotal: number;
  /** +1 on every write. Pass it back as `expectVersion` for optimistic concurrency. */
  version: number;
  /** Present when the session was read with events (oldest first). */
  events?: SessionEvent[];
}

/** Input of `createSession`. */
export interface NewSession {
  tenant?: string;
  appName: string;
  userId: string;
  /** Generated (UUIDv7) when absent. */
  id?: string;
  /** Initial state; `app:` and `user:` keys go to their scopes, `temp:` keys are dropped. */
  state?: JsonObject;
  metadata?: JsonObject;
  model?: string | null;
  status?: SessionStatus;
  expiresAt?: number | null;
  /** For imports: keep the original creation time (epoch ms). Default now. */
  createdAt?: number;
  /** For imports: keep the original update time. Default `createdAt`. */
  updatedAt?: number;
}

/** Options of `getSession`. */
export interface ReadOptions {
  /** Return at most the newest N events (0: none). Default: all events. */
  lastEvents?: number;
  /** Only events with `timestamp >= afterTimestamp` (inclusive, as Python ADK). */
  afterTimestamp?: number;
  /** Skip events entirely (cheapest read). */
  withEvents?: boolean;
}

/** Changes `updateSession` can make. Absent fields are left as they are. */
export interface SessionPatch {
  /** Replaces the metadata object as a whole. */
  metadata?: JsonObject;
  model?: string | null;
  status?: SessionStatus;
  expiresAt?: number | null;
  /** Marks activity now (e.g. when a session is restored), so that an idle sweep does not expire it. */
  lastActivityAt?: number;
  /** Applied with the same scope rules as an event's state delta. */
  stateDelta?: JsonObject;
}

/** Options of conditional writes. */
export interface WriteOptions {
  /** The write fails with `ConflictError` (and changes nothing) unless the session is at this version. */
  expectVersion?: number;
}

/** What `appendEvents` returns: the stored events (with ids, seqs, timestamps) and the new version. */
export interface AppendResult {
  events: SessionEvent[];
  version: number;
}

/** A range of events for `readEvents`. */
export interface EventRange {
  /** Events with seq > afterSeq (ascending) — or < beforeSeq (descending). */
  afterSeq?: number;
  beforeSeq?: number;
  /** Default 100, at most `limits.maxPageSize`. */
  limit?: number;
  order?: 'asc' | 'desc';
  /** The `nextCursor` of the previous page (same order); overrides afterSeq/beforeSeq. */
  cursor?: string | null;
}

/** One page of results; pass `nextCursor` back to get the next page. Null at the end. */
export interface Page {
  nextCursor: string | null;
}
export interface EventPage extends Page {
  events: SessionEvent[];
}
export interface SessionPage extends Page {
  sessions: Session[];
}
export interface FilePage extends Page {
  files: FileRecord[];
}

/** Filters and paging of `listSessions`. Sessions are listed without events. */
export interface SessionQuery {
  tenant?: string;
  /** Omit to list every app of the tenant. */
  appName?: string;
  userId?: string;
  status?: SessionStatus;
  /** By `updatedAt`, then id. Default `asc` (as ADK). */
  order?: 'asc' | 'desc';
  /** Default 50, at most `limits.maxPageSize`. */
  limit?: number;
  cursor?: string | null;
  /**
   * Skip this many sessions first (for offset-paged APIs such as ADK's). Costs
   * O(offset); prefer `cursor`. Cannot be combined with `cursor`.
   */
  offset?: number;
}

/** Filters of `countSessions`. */
export type SessionCountQuery = Pick<SessionQuery, 'tenant' | 'appName' | 'userId' | 'status'>;

/** A record of an uploaded file (the bytes live elsewhere, at `uri`). */
export interface FileRecord {
  tenant: string;
  id: string;
  name: string;
  uri: string | null;
  displayName: string | null;
  size: number;
  mimeType: string | null;
  uploadedAt: number;
  expiresAt: number | null;
  metadata: JsonObject;
  /** Set when the file belongs to a session; it is deleted with that session. */
  appName: string | null;
  userId: string | null;
  sessionId: string | null;
}

/** Input of `putFile`. Creates the record, or replaces the one with the same id. */
export interface NewFileRecord {
  tenant?: string;
  id?: string;
  name: string;
  uri?: string | null;
  displayName?: string | null;
  size?: number;
  mimeType?: string | null;
  uploadedAt?: number;
  expiresAt?: number | null;
  metadata?: JsonObject;
  /** All three, or none: the session the file belongs to (it must exist). */
  appName?: string | null;
  userId?: string | null;
  sessionId?: string | null;
}

/** Filters of `listFiles`, newest upload first. */
export interface FileQuery {
  tenant?: string;
  appName?: string;
  userId?: string;
  sessionId?: string;
  limit?: number;
  cursor?: string | null;
}

/** Paging of the whole-store scans (dumps, copies, verification). */
export interface ScanQuery {
  cursor?: string | null;
  /** Default 500, at most `limits.maxPageSize`. */
  limit?: number;
}

/** Session keys of every tenant, ordered by tenant, app, user, id (bytewise). */
export interface SessionKeyPage extends Page {
  keys: Required<SessionKey>[];
}

/** The state of one app (`userId` absent) or one user of one app. */
export interface SharedState {
  tenant: string;
  appName: string;
  userId?: string;
  state: JsonObject;
}

export interface SharedStatePage extends Page {
  items: SharedState[];
}

/** Counters of `recordActivity`. */
export interface ActivityInput {
  /** How long the request took; added to `requestMsTotal`. */
  durationMs?: number;
  /** When it happened (epoch ms); default now. */
  at?: number;
  /** How many requests this records at once (buffered writers sum them). Default 1. */
  count?: number;
}

/** What an expiry sweep does with expired sessions. Expired file records are always deleted. */
export type ExpireMode = 'mark' | 'delete';

export interface SweepOptions {
  /** Sessions and files with `expiresAt <= now` are expired. Default: the store clock. */
  now?: number;
  /** Also expire active sessions idle since this time or earlier (`lastActivityAt <= idleBefore`). */
  idleBefore?: number;
  mode?: ExpireMode;
}

export interface SweepResult {
  sessions: number;
  files: number;
}

/** Totals of a store. `bytes` is the storage size where the store can tell, else an estimate. */
export interface StoreStats {
  sessions: number;
  activeSessions: number;
  archivedSessions: number;
  expiredSessions: number;
  events: number;
  stateKeys: number;
  files: number;
  bytes: number;
  /**
   * The database's size on disk, in bytes (SQLite: the main file plus its
   * WAL; PostgreSQL: the store's tables with their indexes and TOAST). Only in
   * whole-store totals (no `tenant`): every tenant shares the database. Absent
   * for stores without a database file (memory, HTTP).
   */
  diskBytes?: number;
}

/** A full-text search (`store.searchEvents`). Only `query` is required. */
export interface SearchQuery {
  /** The user's query: words (all must occur), `"a phrase"`, `-excluded`, `prefix*`. */
  query: string;
  /** The tenant searched (default `"default"`); a search never sees another tenant. */
  tenant?: string;
  appName?: string;
  userId?: string;
  sessionId?: string;
  /** Only events with this role (title hits are left out). */
  role?: EventRole;
  /** Only events by this author (title hits are left out). */
  author?: string;
  /** Only events with `timestamp >= after` (epoch ms; title hits: the session's `updatedAt`). */
  after?: number;
  /** Only events with `timestamp < before`. */
  before?: number;
  /** Only sessions with this status. */
  status?: SessionStatus;
  /** Default 20, at most `limits.maxPageSize`. */
  limit?: number;
  /** The `nextCursor` of the previous page of the same search. */
  cursor?: string | null;
}

/** One search result: an event (or a session title) that matches, with an excerpt. */
export interface SearchHit {
  tenant: string;
  appName: string;
  userId: string;
  sessionId: string;
  /** What matched: an event's content, or the session's title (`metadata.title`). */
  field: 'content' | 'title';
  /** The matching event, as stored; null for a title hit. */
  event: SessionEvent | null;
  /** An excerpt of the matching text with each matched word wrapped in `**`. */
  snippet: string;
  /** Relevance, higher is better. Comparable within one search only. */
  score: number;
}

/** A page of search hits, best first. */
export interface SearchPage extends Page {
  hits: SearchHit[];
}

/**
 * A change to a session's own state that no event carried (its initial state,
 * `updateSession`'s `stateDelta`, `updateKeys`, an import). Stored so that the
 * state after any seq can be rebuilt exactly (fork and rewind): the state after
 * seq N is every change with `atSeq <= N` and the deltas of events 1..N, applied
 * in the order they were made.
 */
export interface StateChange {
  /** The session's `eventCount` when the change was made: it came after event `atSeq`. */
  atSeq: number;
  /** `replace`: the session's own state became `set`; `merge`: `set` and `unset` were applied. */
  kind: 'replace' | 'merge';
  set: JsonObject;
  /** Keys deleted (`updateKeys` with `null`). */
  unset: string[];
}

/** An event a rewind took out of the visible history, kept for audit. */
export interface SupersededEvent extends SessionEvent {
  /** When the rewind happened (epoch ms). */
  supersededAt: number;
  /** The session's version that the rewind wrote: events rewound together share it. */
  supersededBy: number;
}

export interface SupersededPage extends Page {
  events: SupersededEvent[];
}

/** Input of `rewindSession`. */
export interface RewindInput {
  /** The seq the visible history ends at afterwards (0: no events). */
  toSeq: number;
}

/** What `rewindSession` returns. */
export interface RewindResult {
  /** The session after the rewind (merged state, no events). */
  session: Session;
  /** How many events were superseded (0 when `toSeq` was already the last seq: nothing was written). */
  superseded: number;
}

/** Options of `forkSession`. */
export interface ForkOptions {
  /** The new session's id (default: a new UUIDv7). */
  newSessionId?: string;
  /** The last event the fork keeps (default: the source's last event; 0: none). */
  upToSeq?: number;
  /** Fork into another user of the same app (default: the source's user). Its `user:` state is that user's. */
  userId?: string;
}

/** Paging of `readSupersededEvents` (ordered by rewind, then seq). */
export interface SupersededRange {
  limit?: number;
  cursor?: string | null;
}
