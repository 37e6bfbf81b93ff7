import { systemClock, type Clock } from '../../core/clock.js';
import {
  ConflictError,
  SessionDbError,
  SessionExistsError,
  SessionNotFoundError,
} from '../../core/errors.js';
import { resolveLimits, type Limits } from '../../core/limits.js';
import {
  compareFilePosition,
  eventCursor,
  fileCursor,
  resolveCountQuery,
  resolveEventRange,
  resolveFileQuery,
  resolveReadOptions,
  resolveSessionQuery,
  sessionCursor,
  positionOf,
  pageInMemory,
  resolveScan,
  comparePosition,
} from '../../core/paging.js';
import { prepareFile, prepareNewSession, preparePatch, prepareScopeDelta, prepareSnapshot, stampEvents } from '../../core/prepare.js';
import { eventFromRow, fileFromRow, sessionFromRow, sharedItem, type EventRow, type FileRow, type SessionRow } from '../../core/rows.js';
import { entriesToState, type ScopedDelta, type StateEntry } from '../../core/state.js';
import type { FileKey, MigrationStatus, SessionStore } from '../../core/store.js';
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
  Session,
  SessionKey,
  SessionPage,
  SessionCountQuery,
  SessionPatch,
  SessionQuery,
  SessionSnapshot,
  ScanQuery,
  SessionKeyPage,
  SharedStatePage,
  StoreStats,
  SweepOptions,
  SweepResult,
  UserKey,
  WriteOptions,
} from '../../core/types.js';
import {
  checkActivity,
  isDue,
  resolveSweep,
  checkVersion,
  prepareEvents,
  resolveAppKey,
  resolveFileKey,
  resolveKey,
  resolveTenant,
  resolveUserKey,
  type ResolvedKey,
} from '../../core/validate.js';

export interface MemoryStoreOptions {
  limits?: Partial<Limits>;
  clock?: Clock;
}

interface MemorySession {
  row: SessionRow;
  state: Map<string, string>;
  events: EventRow[];
  eventIndex: Map<string, EventRow>;
}

// Names cannot contain control characters, so NUL joins them unambiguously.
const join = (...parts: string[]): string => parts.join('\u0000');

/**
 * The reference store: everything in process memory, lost on exit. It keeps
 * the same stored shapes as the SQL stores (JSON as text), so it behaves the
 * same way, including isolation from later mutation of inputs and outputs.
 * Listing sorts the matching sessions, O(n log n): use it for tests and small
 * workloads, not for millions of sessions.
 */
export class MemoryStore implements SessionStore {
  readonly kind = 'memory';
  readonly limits: Limits;
  private readonly clock: Clock;
  private readonly sessions = new Map<string, MemorySession>();
  private readonly appState = new Map<string, Map<string, string>>();
  private readonly userState = new Map<string, Map<string, string>>();
  private readonly files = new Map<string, FileRow>();
  private closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.limits = resolveLimits(options.limits);
    this.clock = options.clock ?? systemClock;
  }

  async migrate(): Promise<void> {
    this.assertOpen();
  }

  async migrationStatus(): Promise<MigrationStatus> {
    this.assertOpen();
    return { current: 1, latest: 1, pending: [] };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  async createSession(input: NewSession): Promise<Session> {
    this.assertOpen();
    const p = prepareNewSession(input, this.limits);
    const id = join(p.tenant, p.appName, p.userId, p.id);
    if (this.sessions.has(id)) throw new SessionExistsError({ appName: p.appName, userId: p.userId, sessionId: p.id });
    const createdAt = p.createdAt ?? this.clock.now();
    const updatedAt = p.updatedAt ?? createdAt;
    const session: MemorySession = {
      row: {
        tenant: p.tenant,
        app_name: p.appName,
        user_id: p.userId,
        id: p.id,
        metadata: p.metadata,
        model: p.model,
        status: p.status,
        created_at: createdAt,
        updated_at: updatedAt,
        last_activity_at: updatedAt,
        expires_at: p.expiresAt,
        event_count: 0,
        request_count: 0,
        request_ms_total: 0,
        version: 1,
      },
      state: new Map(),
      events: [],
      eventIndex: new Map(),
    };
    this.sessions.set(id, session);
    this.applyDelta(session, p.state);
    return this.toSession(session, null);
  }

  async getSession(key: SessionKey, options?: ReadOptions): Promise<Session | null> {
    this.assertOpen();
    const k = resolveKey(key, this.limits);
    const read = resolveReadOptions(options);
    const session = this.sessions.get(this.keyOf(k));
    if (!session) return null;
    let events: EventRow[] | null = null;
    if (read.withEvents) {
      events = session.events;
      if (read.afterTimestamp !== undefined) events = events.filter((e) => e.timestamp >= read.afterTimestamp!);
      if (read.lastEvents !== undefined) events = events.slice(Math.max(0, events.length - read.lastEvents));
    }
    return this.toSession(session, events);
  }

  async listSessions(query: SessionQuery): Promise<SessionPage> {
    this.assertOpen();
    const q = resolveSessionQuery(query, this.limits);
    const sign = q.order === 'asc' ? 1 : -1;
    const matches: SessionRow[] = [];
    for (const { row } of this.sessions.values()) {
      if (row.tenant !== q.tenant) continue;
      if (q.appName !== undefined && row.app_name !== q.appName) continue;
      if (q.userId !== undefined && row.user_id !== q.userId) continue;
      if (q.status !== undefined && row.status !== q.status) continue;
      if (q.after && sign * comparePosition(positionOf(row), q.after) <= 0) continue;
      matches.push(row);
    }
    matches.sort((a, b) => sign * comparePosition(positionOf(a), positionOf(b)));
    const page = matches.slice(q.offset, q.offset + q.limit);
    const last = page[page.length - 1];
    return {
      sessions: page.map((row) => this.toSession(this.sessions.get(join(row.tenant, row.app_name, row.user_id, row.id))!, null)),
      nextCursor: matches.length > q.offset + q.limit && last ? sessionCursor(q.order, positionOf(last)) : null,
    };
  }

  async countSessions(query: SessionCountQuery): Promise<number> {
    this.assertOpen();
    const q = resolveCountQuery(query, this.limits);
    let count = 0;
    for (const { row } of this.sessions.values()) {
      if (row.tenant !== q.tenant) continue;
      if (q.appName !== undefined && row.app_name !== q.appName) continue;
      if (q.userId !== undefined && row.user_id !== q.userId) continue;
      if (q.status !== undefined && row.status !== q.status) continue;
      count++;
    }
    return count;
  }

  async updateSession(key: SessionKey, patch: SessionPatch, options?: WriteOptions): Promise<Session> {
    this.assertOpen();
    const k = resolveKey(key, this.limits);
    const p = preparePatch(patch, this.limits);
    const session = this.sessionForWrite(k, options);
    const row = session.row;
    if (p.metadata !== undefined) row.metadata = p.metadata;
    if (p.model !== undefined) row.model = p.model;
    if (p.status !== undefined) row.status = p.status;
    if (p.expiresAt !== undefined) row.expires_at = p.expiresAt;
    if (p.lastActivityAt !== undefined) row.last_activity_at = p.lastActivityAt;
    this.applyDelta(session, p.delta);
    row.updated_at = this.clock.now();
    row.version += 1;
    return this.toSession(session, null);
  }

  async importSession(snapshot: SessionSnapshot, options: { replace?: boolean } = {}): Promise<Session> {
    this.assertOpen();
    const p = prepareSnapshot(snapshot, this.limits);
    const key = join(p.row.tenant, p.row.app_name, p.row.user_id, p.row.id);
    if (this.sessions.has(key)) {
      if (!options.replace) throw new SessionExistsError({ appName: p.row.app_name, userId: p.row.user_id, sessionId: p.row.id });
      this.sessions.delete(key); // files stay: they are not part of the snapshot
    }
    const session: MemorySession = { row: { ...p.row }, state: new Map(p.state), events: p.events, eventIndex: new Map(p.events.map((e) => [e.id, e])) };
    this.sessions.set(key, session);
    return this.toSession(session, null);
  }

  async deleteSession(key: SessionKey): Promise<boolean> {
    this.assertOpen();
    const k = resolveKey(key, this.limits);
    const deleted = this.sessions.delete(this.keyOf(k));
    if (deleted) {
      for (const [fileKey, file] of this.files) {
        if (file.tenant === k.tenant && file.app_name === k.appName && file.user_id === k.userId && file.session_id === k.sessionId) {
          this.files.delete(fileKey);
        }
      }
    }
    return deleted;
  }

  async appendEvents(key: SessionKey, events: NewEvent[], options?: WriteOptions): Promise<AppendResult> {
    this.assertOpen();
    const k = resolveKey(key, this.limits);
    const prepared = prepareEvents(events, this.limits);
    const session = this.sessions.get(this.keyOf(k));
    if (!session) throw new SessionNotFoundError(k);
    const stored: (EventRow | undefined)[] = prepared.map((e) => (e.id === undefined ? undefined : session.eventIndex.get(e.id)));
    const fresh = prepared.filter((_, i) => stored[i] === undefined);
    if (fresh.length === 0) {
      return { events: stored.map((row) => eventFromRow(row!)), version: session.row.version };
    }
    this.checkVersion(session, options);
    const rows = stampEvents(fresh, session.row.event_count, this.clock.now());
    for (const row of rows) {
      session.events.push(row);
      session.eventIndex.set(row.id, row);
    }
    for (const e of fresh) this.applyDelta(session, e.delta);
    const lastRow = rows[rows.length - 1]!;
    session.row.event_count = lastRow.seq;
    session.row.updated_at = lastRow.timestamp;
    session.row.last_activity_at = lastRow.timestamp;
    session.row.version += 1;
    let next = 0;
    return {
      events: stored.map((row) => eventFromRow(row ?? rows[next++]!)),
      version: session.row.version,
    };
  }

  async readEvents(key: SessionKey, range?: EventRange): Promise<EventPage | null> {
    this.assertOpen();
    const k = resolveKey(key, this.limits);
    const r = resolveEventRange(range, this.limits);
    const session = this.sessions.get(this.keyOf(k));
    if (!session) return null;
    // events[i].seq === i + 1: the array is the seq index.
    const all = session.events;
    let slice: EventRow[];
    if (r.order === 'asc') {
      slice = all.slice(Math.min(r.bound, all.length), Math.min(r.bound, all.length) + r.limit + 1);
    } else {
      const end = Math.min(r.bound - 1, all.length);
      slice = all.slice(Math.max(0, end - r.limit - 1), end).reverse();
    }
    const more = slice.length > r.limit;
    const page = slice.slice(0, r.limit);
    return {
      events: page.map(eventFromRow),
      nextCursor: more ? eventCursor(r.order, page[page.length - 1]!.seq) : null,
    };
  }

  async recordActivity(key: SessionKey, activity: ActivityInput = {}): Promise<Session> {
    this.assertOpen();
    const k = resolveKey(key, this.limits);
    const { durationMs, count, at } = checkActivity(activity, this.clock);
    const session = this.sessions.get(this.keyOf(k));
    if (!session) throw new SessionNotFoundError(k);
    session.row.request_count += count;
    session.row.request_ms_total += durationMs;
    session.row.last_activity_at = Math.max(session.row.last_activity_at, at);
    session.row.version += 1;
    return this.toSession(session, null);
  }

  async getAppState(key: AppKey): Promise<JsonObject> {
    this.assertOpen();
    const k = resolveAppKey(key, this.limits);
    return entriesToState(this.appState.get(join(k.tenant, k.appName)) ?? []);
  }

  async getUserState(key: UserKey): Promise<JsonObject> {
    this.assertOpen();
    const k = resolveUserKey(key, this.limits);
    return entriesToState(this.userState.get(join(k.tenant, k.appName, k.userId)) ?? []);
  }

  async updateAppState(key: AppKey, delta: JsonObject): Promise<JsonObject> {
    this.assertOpen();
    const k = resolveAppKey(key, this.limits);
    const entries = prepareScopeDelta('app', delta, this.limits);
    const map = mapIn(this.appState, join(k.tenant, k.appName));
    for (const [name, json] of entries) map.set(name, json);
    return entriesToState(map);
  }

  async updateUserState(key: UserKey, delta: JsonObject): Promise<JsonObject> {
    this.assertOpen();
    const k = resolveUserKey(key, this.limits);
    const entries = prepareScopeDelta('user', delta, this.limits);
    const map = mapIn(this.userState, join(k.tenant, k.appName, k.userId));
    for (const [name, json] of entries) map.set(name, json);
    return entriesToState(map);
  }

  async putFile(record: NewFileRecord): Promise<FileRecord> {
    this.assertOpen();
    const row = prepareFile(record, this.limits, this.clock.now());
    if (row.session_id !== null && !this.sessions.has(join(row.tenant, row.app_name!, row.user_id!, row.session_id))) {
      throw new SessionNotFoundError({ tenant: row.tenant, appName: row.app_name!, userId: row.user_id!, sessionId: row.session_id });
    }
    this.files.set(join(row.tenant, row.id), row);
    return fileFromRow(row);
  }

  async getFile(key: FileKey): Promise<FileRecord | null> {
    this.assertOpen();
    const row = this.files.get(this.fileKeyOf(key));
    return row ? fileFromRow(row) : null;
  }

  async listFiles(query: FileQuery = {}): Promise<FilePage> {
    this.assertOpen();
    const q = resolveFileQuery(query, this.limits);
    const matches = [...this.files.values()]
      .filter(
        (f) =>
          f.tenant === q.tenant &&
          (q.appName === undefined || f.app_name === q.appName) &&
          (q.userId === undefined || f.user_id === q.userId) &&
          (q.sessionId === undefined || f.session_id === q.sessionId) &&
          (q.after === null || compareFilePosition(f, q.after) < 0),
      )
      .sort((a, b) => -compareFilePosition(a, { uploadedAt: b.uploaded_at, id: b.id }));
    const page = matches.slice(0, q.limit);
    const last = page[page.length - 1];
    return { files: page.map(fileFromRow), nextCursor: matches.length > q.limit && last ? fileCursor(last) : null };
  }

  async deleteFile(key: FileKey): Promise<boolean> {
    this.assertOpen();
    return this.files.delete(this.fileKeyOf(key));
  }

  async scanSessionKeys(query?: ScanQuery): Promise<SessionKeyPage> {
    this.assertOpen();
    const scan = resolveScan('sessions', 4, query, this.limits);
    const rows = [...this.sessions.values()].map((s) => s.row);
    const { page, nextCursor } = pageInMemory(rows, (r) => [r.tenant, r.app_name, r.user_id, r.id], 'sessions', scan);
    return { keys: page.map((r) => ({ tenant: r.tenant, appName: r.app_name, userId: r.user_id, sessionId: r.id })), nextCursor };
  }

  async scanSharedState(scope: 'app' | 'user', query?: ScanQuery): Promise<SharedStatePage> {
    this.assertOpen();
    const width = scope === 'app' ? 2 : 3;
    const scan = resolveScan(scope, width, query, this.limits);
    const maps = scope === 'app' ? this.appState : this.userState;
    const owners = [...maps].filter(([, map]) => map.size > 0).map(([key, map]) => ({ parts: key.split('\u0000'), map }));
    const { page, nextCursor } = pageInMemory(owners, (o) => o.parts, scope, scan);
    return { items: page.map((o) => sharedItem(o.parts, entriesToState(o.map))), nextCursor };
  }

  async scanFiles(query?: ScanQuery): Promise<FilePage> {
    this.assertOpen();
    const scan = resolveScan('files', 2, query, this.limits);
    const { page, nextCursor } = pageInMemory([...this.files.values()], (f) => [f.tenant, f.id], 'files', scan);
    return { files: page.map(fileFromRow), nextCursor };
  }

  async sweepExpired(options: SweepOptions = {}): Promise<SweepResult> {
    this.assertOpen();
    const { now, idleBefore, mode } = resolveSweep(options, this.clock);
    let sessions = 0;
    for (const { row } of [...this.sessions.values()]) {
      if (!isDue(row, now, idleBefore, mode)) continue;
      if (mode === 'delete') {
        await this.deleteSession({ tenant: row.tenant, appName: row.app_name, userId: row.user_id, sessionId: row.id });
        sessions++;
      } else if (row.status !== 'expired') {
        row.status = 'expired';
        row.updated_at = now;
        row.version += 1;
        sessions++;
      }
    }
    let files = 0;
    for (const [id, f] of this.files) {
      if (f.expires_at !== null && f.expires_at <= now) {
        this.files.delete(id);
        files++;
      }
    }
    return { sessions, files };
  }

  async stats(options: { tenant?: string } = {}): Promise<StoreStats> {
    this.assertOpen();
    const tenant = options.tenant === undefined ? undefined : resolveTenant(options.tenant, this.limits);
    const inTenant = (key: string) => tenant === undefined || key.startsWith(tenant + '\u0000');
    const out: StoreStats = { sessions: 0, activeSessions: 0, archivedSessions: 0, expiredSessions: 0, events: 0, stateKeys: 0, files: 0, bytes: 0 };
    for (const [key, s] of this.sessions) {
      if (!inTenant(key)) continue;
      out.sessions++;
      if (s.row.status === 'active') out.activeSessions++;
      else if (s.row.status === 'archived') out.archivedSessions++;
      else out.expiredSessions++;
      out.events += s.events.length;
      out.stateKeys += s.state.size;
      for (const e of s.events) out.bytes += (e.content?.length ?? 0) + (e.state_delta?.length ?? 0) + (e.metadata?.length ?? 0) + 64;
      for (const [name, json] of s.state) out.bytes += name.length + json.length;
    }
    for (const [key, map] of [...this.appState, ...this.userState]) {
      if (!inTenant(key)) continue;
      out.stateKeys += map.size;
      for (const [name, json] of map) out.bytes += name.length + json.length;
    }
    for (const [key] of this.files) if (inTenant(key)) out.files++;
    return out;
  }

  // ---- internals

  private assertOpen(): void {
    if (this.closed) throw new SessionDbError('unavailable', 'The store is closed; open a new one.');
  }

  private keyOf(k: ResolvedKey): string {
    return join(k.tenant, k.appName, k.userId, k.sessionId);
  }

  private fileKeyOf(key: FileKey): string {
    const { tenant, id } = resolveFileKey(key, this.limits);
    return join(tenant, id);
  }

  private sessionForWrite(k: ResolvedKey, options: WriteOptions | undefined): MemorySession {
    const session = this.sessions.get(this.keyOf(k));
    if (!session) throw new SessionNotFoundError(k);
    this.checkVersion(session, options);
    return session;
  }

  private checkVersion(session: MemorySession, options: WriteOptions | undefined): void {
    if (options?.expectVersion === undefined) return;
    const expected = checkVersion('expectVersion', options.expectVersion);
    if (expected !== session.row.version) throw new ConflictError(expected, session.row.version);
  }

  private applyDelta(session: MemorySession, delta: ScopedDelta | null): void {
    if (!delta) return;
    const { tenant, app_name, user_id } = session.row;
    setAll(mapIn(this.appState, join(tenant, app_name)), delta.app);
    setAll(mapIn(this.userState, join(tenant, app_name, user_id)), delta.user);
    setAll(session.state, delta.session);
  }

  private toSession(session: MemorySession, events: EventRow[] | null): Session {
    const { tenant, app_name, user_id } = session.row;
    const state = entriesToState(this.appState.get(join(tenant, app_name)) ?? []);
    entriesToState(this.userState.get(join(tenant, app_name, user_id)) ?? [], state);
    entriesToState(session.state, state);
    const out = sessionFromRow(session.row, state);
    if (events) out.events = events.map(eventFromRow);
    return out;
  }
}

function mapIn(maps: Map<string, Map<string, string>>, key: string): Map<string, string> {
  let map = maps.get(key);
  if (!map) maps.set(key, (map = new Map()));
  return map;
}

function setAll(map: Map<string, string>, entries: readonly StateEntry[]): void {
  for (const [key, json] of entries) map.set(key, json);
}

