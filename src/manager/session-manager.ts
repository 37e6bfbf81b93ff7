import { rename, writeFile } from 'node:fs/promises';
import { systemClock, type Clock } from '../core/clock.js';
import { SessionDbError, SessionExistsError, SessionNotFoundError, ValidationError } from '../core/errors.js';
import { uuidv7 } from '../core/ids.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { setOwn } from '../core/json.js';
import { redactSecrets } from '../core/redact.js';
import { scopeOf } from '../core/state.js';
import { capabilitiesOf, type MigrationStatus, type SessionStore } from '../core/store.js';
import type {
  AppendResult,
  EventRole,
  ExpireMode,
  JsonObject,
  NewEvent,
  NewSession,
  ReadOptions,
  RewindInput,
  RewindResult,
  SearchPage,
  SearchQuery,
  Session,
  SessionEvent,
  SessionKey,
  StoreStats,
  WriteOptions,
} from '../core/types.js';
import { DEFAULT_TENANT } from '../core/types.js';
import { resolveReadOptions } from '../core/paging.js';
import { prepareEvents, resolveKey } from '../core/validate.js';
import { openStore } from '../stores/open-store.js';
import { withCorrelationId } from '../telemetry/correlation.js';
import { EventHub, type EventHook } from '../telemetry/events.js';
import { loadOpenTelemetry } from '../telemetry/otel.js';
import { forkSession, type ForkOptions } from '../transfer/fork.js';
import { exportSession, type ExportFormat, type ExportOptions } from '../transfer/session-export.js';
import { ActiveSessionLimit } from './capacity.js';
import { managedStore } from './managed-store.js';
import { nodeScheduler, type Scheduler } from './scheduler.js';
import { cacheKey, copyEvents, copySession, eventsFromWindow, SessionCache } from './session-cache.js';

export interface SessionManagerOptions {
  /** A store, or a URL for `openStore` (opened and migrated by `startup()`). */
  store: SessionStore | string;
  /** The tenant keys without one belong to. Default `"default"`. */
  tenant?: string;
  /**
   * On (default): every change is durable when the call returns. Off: appends
   * and activity are buffered and written by `flush()`, every `flushIntervalMs`,
   * and at `shutdown()`.
   */
  autoSave?: boolean;
  /** With autoSave off: how often buffered changes are written. Default 5,000 ms; 0: only on flush/shutdown. */
  flushIntervalMs?: number;
  /** Idle time after which a session expires. Default 168 (a week); 0 or null: never by idleness. */
  expiryHours?: number | null;
  /** `'mark'` (default) sets status `expired` and keeps the session; `'delete'` removes it. */
  onExpire?: ExpireMode;
  /** Background sweep interval, jittered ±50 %. Default one hour; 0 disables it (run `cleanupExpired()` from cron). */
  sweepIntervalMs?: number;
  /** Sessions kept in an in-process LRU (see `singleWriter`). Default 1,000; 0 disables the cache. */
  maxCachedSessions?: number;
  /**
   * Events held by the cache over all its sessions (the newest events of each,
   * as reads brought them), so that a read with events can be answered without
   * reading them again. Default 100,000; 0: sessions only.
   */
  maxCachedEvents?: number;
  /**
   * True: this manager is the only writer of its store (every write goes
   * through it or `manager.store`), so cached sessions are served without
   * asking the store. False: other processes write too (several servers on
   * one database), so every read asks the store for the session (one read
   * without events, which also says its version) and serves events from the
   * cache only when that version is the cached one. Default: false for stores
   * other processes can open (SQLite files, PostgreSQL, Redis, MongoDB,
   * HTTP), true for the memory and JSON file stores.
   */
  singleWriter?: boolean;
  /**
   * Creating (or restoring, or importing) an active session beyond this many
   * fails with `CapacityError` (code `capacity`). Counted over the whole store
   * (every tenant) without scanning it; see README "Operations". Default: no limit.
   */
  maxActiveSessions?: number | null;
  /** Receives lifecycle events (see `LifecycleEvent`); more with `subscribe`. A hook that throws is logged, never breaks the call. */
  onEvent?: EventHook;
  /**
   * Sends lifecycle events to OpenTelemetry (spans and the `sessiondb.events`
   * counter) when `@opentelemetry/api` is installed; loaded at `startup()`,
   * never by importing sessiondb. Default true; nothing happens without it.
   */
  openTelemetry?: boolean;
  clock?: Clock;
  scheduler?: Scheduler;
  /** For the sweep jitter; a number in [0, 1). */
  random?: () => number;
  logger?: Logger;
}

/** What `startup()` reports. It never counts stored sessions, so it costs the same for 10 or 10 million. */
export interface StartupInfo {
  store: string;
  schema: MigrationStatus;
  warmedSessions: number;
  autoSave: boolean;
  expiryHours: number | null;
  onExpire: ExpireMode;
  sweepIntervalMs: number;
  durationMs: number;
}

export interface ManagerStatistics {
  sessions: { total: number; active: number; archived: number; expired: number };
  events: number;
  stateKeys: number;
  files: number;
  storageBytes: number;
  persistence: {
    store: string;
    autoSave: boolean;
    flushIntervalMs: number;
    expiryHours: number | null;
    onExpire: ExpireMode;
    sweepIntervalMs: number;
    maxCachedSessions: number;
  };
  /**
   * `hits`: reads answered from the cache (after a version check when other
   * processes write); `misses`: reads that went to the store for events or
   * the session; `checks`: version checks made; `stale`: checks that found
   * the session changed elsewhere; `events`: events held.
   */
  cache: { size: number; hits: number; misses: number; checks: number; stale: number; events: number; singleWriter: boolean };
  /** Active sessions against `maxActiveSessions` (null: no limit). `active` is this instance's count. */
  capacity: { limit: number; active: number | null } | null;
  /** Buffered changes not yet written (autoSave off). */
  pending: { sessions: number; events: number };
}

interface Pending {
  key: SessionKey;
  events: NewEvent[];
  requests: number;
  requestMs: number;
  lastActivityAt: number;
}

const HOUR = 3_600_000;

/**
 * The lifecycle around a store: auto-save or buffered writes, idle expiry
 * with a background sweeper, archiving, activity counters, an LRU of hot
 * sessions, exports, and an orderly shutdown. The store stays the source of
 * truth; startup loads nothing wholesale.
 */
export class SessionManager {
  private storeRef: SessionStore | null = null;
  private managed: SessionStore | null = null;
  private readonly source: SessionStore | string;
  private readonly tenant: string;
  readonly autoSave: boolean;
  readonly flushIntervalMs: number;
  readonly expiryHours: number | null;
  readonly onExpire: ExpireMode;
  readonly sweepIntervalMs: number;
  readonly maxCachedSessions: number;
  readonly maxCachedEvents: number;
  readonly maxActiveSessions: number | null;
  private singleWriterOption: boolean | undefined;
  private singleWriterMode = true;
  private readonly clock: Clock;
  private readonly scheduler: Scheduler;
  private readonly random: () => number;
  private readonly logger: Logger;
  private readonly cache: SessionCache;
  private readonly cacheStats = { hits: 0, misses: 0, checks: 0, stale: 0 };
  private capacity: ActiveSessionLimit | null = null;
  private readonly events: EventHub;
  private readonly openTelemetry: boolean;
  private readonly pending = new Map<string, Pending>();
  private sweepTimer: unknown = null;
  private flushTimer: unknown = null;
  private started = false;
  private stopped = false;
  private sweeping: Promise<number> | null = null;
  private telemetryAttached = false;

  constructor(options: SessionManagerOptions) {
    if (!options || (typeof options.store !== 'string' && (options.store === null || typeof options.store !== 'object'))) {
      throw new ValidationError('store', 'is required: a SessionStore or a store URL such as "sqlite:./data/sessions.db"');
    }
    const nonNegative = (field: string, value: number | null | undefined, fallback: number | null): number | null => {
      if (value === undefined) return fallback;
      if (value === null) return null;
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        throw new ValidationError(field, `must be a non-negative number, got ${JSON.stringify(value)}`);
      }
      return value;
    };
    if (options.onExpire !== undefined && options.onExpire !== 'mark' && options.onExpire !== 'delete') {
      throw new ValidationError('onExpire', `must be "mark" or "delete", got ${JSON.stringify(options.onExpire)}`);
    }
    this.source = options.store;
    this.tenant = options.tenant ?? DEFAULT_TENANT;
    this.autoSave = options.autoSave ?? true;
    this.flushIntervalMs = nonNegative('flushIntervalMs', options.flushIntervalMs, 5000)!;
    const hours = nonNegative('expiryHours', options.expiryHours, 168);
    this.expiryHours = hours === 0 ? null : hours;
    this.onExpire = options.onExpire ?? 'mark';
    this.sweepIntervalMs = nonNegative('sweepIntervalMs', options.sweepIntervalMs, HOUR)!;
    this.maxCachedSessions = nonNegative('maxCachedSessions', options.maxCachedSessions, 1000)!;
    this.maxCachedEvents = nonNegative('maxCachedEvents', options.maxCachedEvents, 100_000)!;
    const limit = options.maxActiveSessions;
    if (limit !== undefined && limit !== null && (!Number.isSafeInteger(limit) || limit < 1)) {
      throw new ValidationError('maxActiveSessions', `must be a whole number of at least 1 (or null for no limit), got ${JSON.stringify(limit)}`);
    }
    this.maxActiveSessions = limit ?? null;
    if (options.singleWriter !== undefined && typeof options.singleWriter !== 'boolean') {
      throw new ValidationError('singleWriter', `must be true or false, got ${JSON.stringify(options.singleWriter)}`);
    }
    this.singleWriterOption = options.singleWriter;
    this.clock = options.clock ?? systemClock;
    this.scheduler = options.scheduler ?? nodeScheduler;
    this.random = options.random ?? Math.random;
    this.logger = options.logger ?? silentLogger;
    this.cache = new SessionCache(this.maxCachedSessions, this.maxCachedEvents);
    this.events = new EventHub(this.logger, () => this.clock.now());
    if (options.onEvent !== undefined) {
      if (typeof options.onEvent !== 'function') throw new ValidationError('onEvent', 'must be a function that receives a lifecycle event');
      this.events.subscribe(options.onEvent);
    }
    this.openTelemetry = options.openTelemetry ?? true;
    if (typeof options.store !== 'string') this.attach(options.store);
  }

  /**
   * The store, once started, as the manager sees it: writes through it count
   * against `maxActiveSessions`, raise lifecycle events and keep the cache
   * right, exactly like the manager's own methods. Give this (not the store
   * you passed in) to code that writes beside the manager.
   */
  get store(): SessionStore {
    if (!this.managed) throw new SessionDbError('unavailable', 'The manager has not started: call await manager.startup() first.');
    return this.managed;
  }

  /** Adds a lifecycle-event listener (as the `onEvent` option does); returns the function that removes it. */
  subscribe(hook: EventHook): () => void {
    if (typeof hook !== 'function') throw new ValidationError('hook', 'must be a function that receives a lifecycle event');
    return this.events.subscribe(hook);
  }

  /** True when cached sessions are served without asking the store (see the `singleWriter` option). */
  get singleWriter(): boolean {
    return this.singleWriterMode;
  }

  /** Active sessions against the limit, as this instance counts them; null without `maxActiveSessions`. */
  get capacityStatus(): { limit: number; active: number | null } | null {
    return this.capacity ? { limit: this.capacity.limit, active: this.capacity.current } : null;
  }

  /** Wraps the opened store: the managed view, the capacity count, the cache mode. */
  private attach(raw: SessionStore): void {
    this.storeRef = raw;
    const othersWrite = capabilitiesOf(raw).sharedAcrossProcesses;
    this.singleWriterMode = this.singleWriterOption ?? !othersWrite;
    this.cache.keepSessions = this.singleWriterMode;
    if (this.maxActiveSessions !== null) {
      this.capacity = new ActiveSessionLimit(this.maxActiveSessions, async () => (await raw.stats()).activeSessions, this.clock, othersWrite);
    }
    this.managed = managedStore(raw, { cache: this.cache, capacity: this.capacity, events: this.events });
  }

  /**
   * Opens and migrates the store, starts the sweeper (and the flush timer when
   * autoSave is off). Loads nothing wholesale: `warm: N` preloads the N most
   * recently active sessions into the cache, nothing else is read.
   */
  async startup(options: { warm?: number } = {}): Promise<StartupInfo> {
    if (this.stopped) throw new SessionDbError('unavailable', 'The manager was shut down; create a new one.');
    const t0 = performance.now();
    if (!this.storeRef) this.attach(await openStore(this.source as string, { clock: this.clock, logger: this.logger }));
    else await this.storeRef.migrate();
    if (this.openTelemetry) {
      const bridge = await loadOpenTelemetry();
      if (bridge && !this.telemetryAttached) {
        this.telemetryAttached = true;
        this.events.subscribe(bridge.record);
      }
    }
    // One read of the store's totals, only with a limit (without one, startup counts nothing).
    await this.capacity?.recount();
    let warmed = 0;
    if (options.warm && options.warm > 0 && this.maxCachedSessions > 0) {
      const page = await this.store.listSessions({ tenant: this.tenant, order: 'desc', limit: Math.min(options.warm, this.maxCachedSessions, this.store.limits.maxPageSize) });
      withCorrelationId(uuidv7(), () => {
        for (const s of page.sessions) {
          this.cache.putSession(cacheKey(s), s);
          this.events.emit({ type: 'session.recovered', category: 'session', severity: 'info', session: { tenant: s.tenant ?? DEFAULT_TENANT, appName: s.appName, userId: s.userId, sessionId: s.id } });
        }
      });
      warmed = page.sessions.length;
    }
    if (!this.started) {
      this.started = true;
      this.scheduleSweep();
      this.scheduleFlush();
    }
    return {
      store: this.store.kind,
      schema: await this.store.migrationStatus(),
      warmedSessions: warmed,
      autoSave: this.autoSave,
      expiryHours: this.expiryHours,
      onExpire: this.onExpire,
      sweepIntervalMs: this.sweepIntervalMs,
      durationMs: performance.now() - t0,
    };
  }

  // ---- sessions

  /** Creates a session; past `maxActiveSessions` it throws `CapacityError` and writes nothing. */
  async createSession(input: Omit<NewSession, 'tenant'> & { tenant?: string }): Promise<Session> {
    return this.store.createSession({ ...input, tenant: input.tenant ?? this.tenant });
  }

  /**
   * The session with buffered changes applied, through the cache: with one
   * writer, a cached session (and its cached newest events) is served as it
   * is; with several, the store is asked for the session first and cached
   * events are served only if its version is still theirs.
   */
  async getSession(key: SessionKey, options: ReadOptions = {}): Promise<Session | null> {
    const k = this.key(key);
    const id = cacheKey(k);
    const read = resolveReadOptions(options);
    const session = await this.readThroughCache(k, id, read, options);
    if (!session) return null;
    const pending = this.pending.get(id);
    return pending ? overlay(session, pending, read.withEvents ? options : null) : session;
  }

  private async readThroughCache(k: SessionKey, id: string, read: ReturnType<typeof resolveReadOptions>, options: ReadOptions): Promise<Session | null> {
    const entry = this.cache.get(id);
    const window = entry && read.withEvents ? entry.events && eventsFromWindow(entry.events, read) : null;
    if (entry && (!read.withEvents || window)) {
      if (this.singleWriterMode && entry.session) {
        this.cacheStats.hits++;
        const copy = copySession(entry.session);
        if (window) copy.events = copyEvents(window);
        return copy;
      }
      if (window) {
        // Several writers: the session itself is read (it carries the version); the events come from the cache if still true.
        this.cacheStats.checks++;
        const current = await this.store.getSession(k, { withEvents: false });
        if (!current) {
          this.cache.delete(id);
          return null;
        }
        this.cache.putSession(id, current);
        if (current.version === entry.version) {
          this.cacheStats.hits++;
          current.events = copyEvents(window);
          return current;
        }
        this.cacheStats.stale++;
      }
    }
    this.cacheStats.misses++;
    const session = await this.store.getSession(k, options);
    if (!session) this.cache.delete(id);
    else if (!read.withEvents) this.cache.putSession(id, session);
    else this.cache.putRead(id, session);
    return session;
  }

  /** Gets the session, creating it when missing (safe when two callers race). */
  async ensureSession(key: SessionKey, init: Omit<NewSession, 'appName' | 'userId' | 'id' | 'tenant'> = {}): Promise<Session> {
    const k = this.key(key);
    const found = await this.getSession(k, { withEvents: false });
    if (found) return found;
    try {
      return await this.createSession({ ...init, tenant: k.tenant, appName: k.appName, userId: k.userId, id: k.sessionId });
    } catch (err) {
      if (!(err instanceof SessionExistsError)) throw err;
      const winner = await this.getSession(k, { withEvents: false });
      if (!winner) throw err;
      return winner;
    }
  }

  /**
   * Written through, whatever `autoSave`; with autoSave off the session's
   * buffered appends and activity are flushed first, so that a buffered event's
   * delta never lands after (and over) this update's `stateDelta`.
   */
  async updateSession(key: SessionKey, patch: Parameters<SessionStore['updateSession']>[1], options?: WriteOptions): Promise<Session> {
    const k = await this.afterBuffered(key);
    return this.store.updateSession(k, patch, options);
  }

  /**
   * Updates state without an event (see `SessionStore.updateKeys`): keys routed
   * by prefix to the app, the user and the session; **`null` deletes a key**
   * (in an event's `stateDelta` it is a stored value); `temp:` keys are dropped.
   * Always written through, like `updateSession`, whatever `autoSave`; with
   * autoSave off the session's buffered appends and activity are flushed first,
   * so that a buffered event's delta never lands after (and over) this update.
   */
  async updateKeys(key: SessionKey, delta: JsonObject, options?: WriteOptions): Promise<Session> {
    const k = await this.afterBuffered(key);
    return this.store.updateKeys(k, delta, options);
  }

  async deleteSession(key: SessionKey): Promise<boolean> {
    const k = this.key(key);
    this.pending.delete(cacheKey(k));
    return this.store.deleteSession(k);
  }

  /** Sets status `archived`: kept, listed apart, never expired by idleness. */
  async archiveSession(key: SessionKey): Promise<Session> {
    return this.updateSession(key, { status: 'archived' });
  }

  /** Brings an archived (or expired, if kept) session back to `active`, as if just used. */
  async restoreSession(key: SessionKey): Promise<Session> {
    const k = this.key(key);
    const session = await this.store.getSession(k, { withEvents: false });
    if (!session) throw new SessionNotFoundError(k);
    if (session.status === 'active') return session;
    return this.updateSession(k, { status: 'active', lastActivityAt: this.clock.now() });
  }

  /**
   * Ends the session's visible history at `toSeq` again (see
   * `SessionStore.rewindSession`): later events become superseded and its own
   * state goes back to what it was after `toSeq`. Written through whatever
   * `autoSave`; with autoSave off its buffered appends are written first, so
   * `toSeq` counts them as the caller saw them.
   */
  async rewindSession(key: SessionKey, input: RewindInput, options?: WriteOptions): Promise<RewindResult> {
    const k = await this.afterBuffered(key);
    return this.store.rewindSession(k, input, options);
  }

  /**
   * Forks the session into a new one holding events 1..`upToSeq` and the exact
   * state after it (see `forkSession`). With autoSave off its buffered appends
   * are written first, so the fork sees what the caller saw.
   */
  async forkSession(key: SessionKey, options: ForkOptions = {}): Promise<Session> {
    const k = await this.afterBuffered(key);
    return forkSession(this.store, k, options);
  }

  /**
   * Full-text search (see `SessionStore.searchEvents`) in the manager's tenant
   * unless the query names one. With autoSave off, the buffered appends of the
   * sessions it can find are written first, so that they are found.
   */
  async searchEvents(query: SearchQuery): Promise<SearchPage> {
    if (query === null || typeof query !== 'object') return this.store.searchEvents(query); // the store names what is wrong
    const q: SearchQuery = { ...query, tenant: query.tenant ?? this.tenant };
    for (const [id, p] of [...this.pending]) {
      const k = p.key;
      if ((k.tenant ?? DEFAULT_TENANT) !== q.tenant) continue;
      if ((q.appName != null && q.appName !== k.appName) || (q.userId != null && q.userId !== k.userId) || (q.sessionId != null && q.sessionId !== k.sessionId)) continue;
      if (p.events.length) await this.flushOne(id, p);
    }
    return this.store.searchEvents(q);
  }

  // ---- history and activity

  /** Appends one chat message: an event with this role as author and role. */
  async addMessage(key: SessionKey, role: EventRole, content: unknown, metadata?: JsonObject): Promise<SessionEvent> {
    const r = await this.appendEvents(key, [{ author: role, role, content, metadata }]);
    return r.events[0]!;
  }

  /**
   * Appends events. With autoSave off they are validated now, given their ids
   * and timestamps now, and written at the next flush; their seqs and the
   * version returned are provisional until then, and `expectVersion` cannot be used.
   */
  async appendEvents(key: SessionKey, events: NewEvent[], options?: WriteOptions): Promise<AppendResult> {
    const k = this.key(key);
    if (this.autoSave) return this.store.appendEvents(k, events, options);
    if (options?.expectVersion !== undefined) {
      throw new ValidationError('expectVersion', 'cannot be used with autoSave off', 'Buffered appends are written at flush; turn autoSave on for conditional writes.');
    }
    prepareEvents(events, this.store.limits); // refuse bad input now, not at flush
    const current = await this.getSession(k, { withEvents: false });
    if (!current) throw new SessionNotFoundError(k);
    const now = this.clock.now();
    const pending = this.pendingFor(k);
    const stamped: SessionEvent[] = [];
    let seq = current.eventCount;
    for (const e of events) {
      if (e.partial) continue;
      const full = { ...e, id: e.id ?? uuidv7(now), timestamp: e.timestamp ?? now };
      delete full.partial;
      pending.events.push(full);
      stamped.push(toEvent(full, ++seq));
    }
    if (stamped.length) pending.lastActivityAt = stamped[stamped.length - 1]!.timestamp;
    return { events: stamped, version: current.version + (stamped.length ? 1 : 0) };
  }

  /** Counts one request and its duration, and marks the session active now. */
  async recordActivity(key: SessionKey, activity: { durationMs?: number } = {}): Promise<Session | null> {
    const k = this.key(key);
    const durationMs = activity.durationMs ?? 0;
    if (typeof durationMs !== 'number' || !Number.isFinite(durationMs) || durationMs < 0) {
      throw new ValidationError('durationMs', `must be a non-negative number, got ${JSON.stringify(activity.durationMs)}`);
    }
    if (this.autoSave) return this.store.recordActivity(k, { durationMs, at: this.clock.now() });
    if (!(await this.getSession(k, { withEvents: false }))) throw new SessionNotFoundError(k);
    const pending = this.pendingFor(k);
    pending.requests++;
    pending.requestMs += durationMs;
    pending.lastActivityAt = Math.max(pending.lastActivityAt, this.clock.now());
    return this.getSession(k, { withEvents: false });
  }

  // ---- expiry

  /**
   * Expires sessions idle for `olderThanHours` (default `expiryHours`) and those
   * past their own `expiresAt`, marking or deleting them per `onExpire`; also
   * deletes expired file records. Returns how many sessions it affected.
   */
  async cleanupExpired(options: { olderThanHours?: number } = {}): Promise<number> {
    const hours = options.olderThanHours ?? this.expiryHours;
    if (hours !== null && (typeof hours !== 'number' || !Number.isFinite(hours) || hours < 0)) {
      throw new ValidationError('olderThanHours', `must be a non-negative number, got ${JSON.stringify(hours)}`);
    }
    const now = this.clock.now();
    const result = await this.store.sweepExpired({
      now,
      idleBefore: hours === null ? undefined : now - hours * HOUR,
      mode: this.onExpire,
    });
    return result.sessions;
  }

  /** Totals by status, events, files, storage bytes, and the persistence settings. */
  async getStatistics(): Promise<ManagerStatistics> {
    const s: StoreStats = await this.store.stats({ tenant: this.tenant });
    let events = 0;
    for (const p of this.pending.values()) events += p.events.length;
    return {
      sessions: { total: s.sessions, active: s.activeSessions, archived: s.archivedSessions, expired: s.expiredSessions },
      events: s.events,
      stateKeys: s.stateKeys,
      files: s.files,
      storageBytes: s.bytes,
      persistence: {
        store: this.store.kind,
        autoSave: this.autoSave,
        flushIntervalMs: this.flushIntervalMs,
        expiryHours: this.expiryHours,
        onExpire: this.onExpire,
        sweepIntervalMs: this.sweepIntervalMs,
        maxCachedSessions: this.maxCachedSessions,
      },
      cache: { size: this.cache.size, ...this.cacheStats, events: this.cache.events, singleWriter: this.singleWriterMode },
      capacity: this.capacityStatus,
      pending: { sessions: this.pending.size, events },
    };
  }

  // ---- export

  /**
   * The session as `json` (complete, re-importable), `markdown` or `text`;
   * `includeSuperseded` adds the events rewinds superseded. Buffered changes are flushed first.
   */
  async exportSession(key: SessionKey, format: ExportFormat, options: ExportOptions = {}): Promise<string> {
    const k = this.key(key);
    if (this.pending.has(cacheKey(k))) await this.flush();
    const out = await exportSession(this.store, k, format, options);
    if (out === null) throw new SessionNotFoundError(k);
    return out;
  }

  /** Writes an export to a file atomically (a temporary file, then a rename). */
  async exportToFile(key: SessionKey, path: string, format: ExportFormat, options: ExportOptions = {}): Promise<{ path: string; bytes: number }> {
    const text = await this.exportSession(key, format, options);
    const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, text, 'utf8');
    await rename(tmp, path);
    return { path, bytes: Buffer.byteLength(text) };
  }

  // ---- buffered writes and shutdown

  /**
   * Writes every buffered change. Event ids were fixed when buffered, so a
   * flush retried after a failure never stores an event twice. Changes that
   * fail stay buffered; the first error is thrown after the others were tried.
   */
  async flush(): Promise<void> {
    let firstError: unknown = null;
    for (const [id, p] of [...this.pending]) {
      try {
        await this.flushOne(id, p);
      } catch (err) {
        firstError ??= err;
      }
    }
    if (firstError) throw firstError;
  }

  /** The resolved key, once the session's buffered changes (if any) are written: for writes that must land after them. */
  private async afterBuffered(key: SessionKey): Promise<SessionKey> {
    const k = this.key(key);
    const id = cacheKey(k);
    const buffered = this.pending.get(id);
    if (buffered) await this.flushOne(id, buffered);
    return k;
  }

  /** Writes one session's buffered changes (see `flush`). */
  private async flushOne(id: string, p: Pending): Promise<void> {
    try {
      const chunk = this.storeRef!.limits.maxEventsPerAppend;
      while (p.events.length) {
        await this.store.appendEvents(p.key, p.events.slice(0, chunk));
        p.events.splice(0, chunk);
      }
      if (p.requests) {
        await this.store.recordActivity(p.key, { durationMs: p.requestMs, count: p.requests, at: p.lastActivityAt });
        p.requests = 0;
        p.requestMs = 0;
      }
      this.pending.delete(id);
    } catch (err) {
      if (err instanceof SessionNotFoundError) {
        // The session was deleted: its buffered changes have nowhere to go.
        this.pending.delete(id);
        this.logger.error('sessiondb: dropped buffered changes of a deleted session', { session: p.key.sessionId });
      }
      throw err;
    }
  }

  /** Stops the sweeper, flushes, closes the store. Idempotent. */
  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.sweepTimer !== null) this.scheduler.clearTimeout(this.sweepTimer);
    if (this.flushTimer !== null) this.scheduler.clearTimeout(this.flushTimer);
    this.sweepTimer = this.flushTimer = null;
    try {
      await this.sweeping?.catch(() => undefined);
      if (this.storeRef) await this.flush();
    } finally {
      await this.storeRef?.close();
    }
  }

  /** True while the background sweeper is scheduled. */
  get sweeperRunning(): boolean {
    return this.sweepTimer !== null;
  }

  // ---- internals

  private key(key: SessionKey): SessionKey & { tenant: string } {
    const k = resolveKey({ ...key, tenant: key.tenant ?? this.tenant }, this.store.limits);
    return { tenant: k.tenant, appName: k.appName, userId: k.userId, sessionId: k.sessionId };
  }

  private pendingFor(k: SessionKey): Pending {
    const id = cacheKey(k);
    let p = this.pending.get(id);
    if (!p) this.pending.set(id, (p = { key: k, events: [], requests: 0, requestMs: 0, lastActivityAt: 0 }));
    return p;
  }

  private scheduleSweep(): void {
    if (this.stopped || this.sweepIntervalMs <= 0) return;
    const delay = Math.round(this.sweepIntervalMs * (0.5 + this.random()));
    this.sweepTimer = this.scheduler.setTimeout(() => {
      this.sweeping = withCorrelationId(uuidv7(), () =>
        this.cleanupExpired().catch((err: unknown) => {
          this.logger.error('sessiondb: expiry sweep failed', { error: (err as Error).message });
          this.backgroundFailed('expiry sweep', err);
          return 0;
        }),
      );
      void this.sweeping.finally(() => {
        this.sweeping = null;
        this.scheduleSweep();
      });
    }, delay);
  }

  private scheduleFlush(): void {
    if (this.stopped || this.autoSave || this.flushIntervalMs <= 0) return;
    this.flushTimer = this.scheduler.setTimeout(() => {
      withCorrelationId(uuidv7(), () =>
        this.flush().catch((err: unknown) => {
          this.logger.error('sessiondb: buffered flush failed; will retry', { error: (err as Error).message });
          this.backgroundFailed('buffered flush', err);
        }),
      ).finally(() => this.scheduleFlush());
    }, this.flushIntervalMs);
  }

  /** An `error` event for background work that failed (the message without secrets). */
  private backgroundFailed(what: string, err: unknown): void {
    const code = err instanceof SessionDbError ? err.code : 'internal';
    this.events.emit({ type: 'error', category: 'maintenance', severity: 'error', error: { code, message: `${what} failed: ${redactSecrets(err instanceof Error ? err.message : String(err))}` } });
  }
}

function toEvent(e: NewEvent & { id: string; timestamp: number }, seq: number): SessionEvent {
  const event: SessionEvent = { id: e.id, seq, timestamp: e.timestamp, author: e.author };
  if (e.role) event.role = e.role;
  if (e.invocationId) event.invocationId = e.invocationId;
  if (e.content !== undefined && e.content !== null) event.content = structuredClone(e.content);
  if (e.stateDelta) {
    const delta: JsonObject = {};
    for (const [key, value] of Object.entries(e.stateDelta)) if (value !== undefined && scopeOf(key) !== 'temp') setOwn(delta, key, structuredClone(value));
    if (Object.keys(delta).length) event.stateDelta = delta;
  }
  if (e.metadata) event.metadata = structuredClone(e.metadata);
  return event;
}

/** A stored session with buffered changes applied, as it will read after the next flush. */
function overlay(session: Session, p: Pending, events: ReadOptions | null): Session {
  const out = structuredClone(session);
  let seq = out.eventCount;
  const extra = p.events.map((e) => toEvent(e as NewEvent & { id: string; timestamp: number }, ++seq));
  for (const e of extra) for (const [key, value] of Object.entries(e.stateDelta ?? {})) setOwn(out.state, key, value);
  out.eventCount = seq;
  out.requestCount += p.requests;
  out.requestMsTotal += p.requestMs;
  if (extra.length) out.updatedAt = extra[extra.length - 1]!.timestamp;
  out.lastActivityAt = Math.max(out.lastActivityAt, p.lastActivityAt);
  if (extra.length || p.requests) out.version += 1;
  if (events && out.events) {
    let list = [...out.events, ...extra];
    if (events.afterTimestamp !== undefined) list = list.filter((e) => e.timestamp >= events.afterTimestamp!);
    if (events.lastEvents !== undefined) list = list.slice(Math.max(0, list.length - events.lastEvents));
    out.events = list;
  }
  return out;
}
