import { systemClock, type Clock } from '../../core/clock.js';
import { SessionExistsError, SessionNotFoundError, StoreClosedError } from '../../core/errors.js';
import { resolveLimits, type Limits } from '../../core/limits.js';
import {
  eventCursor,
  eventPageSeqs,
  matchesSessionFilter,
  pageFileRows,
  pageInMemory,
  pageSessionRows,
  resolveCountQuery,
  resolveEventRange,
  resolveFileQuery,
  resolveReadOptions,
  resolveScan,
  resolveSessionQuery,
} from '../../core/paging.js';
import {
  checkExpected,
  expectedVersion,
  mergeState,
  newSessionRow,
  planActivity,
  planAppend,
  planAppended,
  planPatch,
  planSweep,
} from '../../core/plan.js';
import { checkRewindInput, createdStateChange, patchStateChange, planRewind, resolveSupersededRange, stateAtSeq, stateChangeFromRow, supersededCursor } from '../../core/history.js';
import { prepareSearch } from '../../core/search/prepare.js';
import { ScanSearch } from '../../core/search/scan.js';
import { sessionTitle } from '../../core/search/text.js';
import { prepareFile, prepareKeyUpdate, prepareNewSession, preparePatch, prepareScopeDelta, prepareSnapshot, type PreparedPatch } from '../../core/prepare.js';
import { eventFromRow, eventRowOf, fileFromRow, sessionFromRow, sharedItem, supersededFromRow, type SessionRow } from '../../core/rows.js';
import { deletionsOf, entriesToState } from '../../core/state.js';
import type { FileKey, MigrationStatus, SessionStore, StoreCapabilities } from '../../core/store.js';
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
  ScanQuery,
  SearchPage,
  SearchQuery,
  StateChange,
  SupersededPage,
  SupersededRange,
  Session,
  SessionCountQuery,
  SessionEvent,
  SessionKey,
  SessionKeyPage,
  SessionPage,
  SessionPatch,
  SessionQuery,
  SessionSnapshot,
  SharedStatePage,
  StoreStats,
  SweepOptions,
  SweepResult,
  UserKey,
  WriteOptions,
} from '../../core/types.js';
import {
  checkActivity,
  prepareEvents,
  resolveAppKey,
  resolveFileKey,
  resolveKey,
  resolveSweep,
  resolveTenant,
  resolveUserKey,
  type ResolvedKey,
} from '../../core/validate.js';
import type { DocumentBackend, StoredSession } from './backend.js';

export interface DocumentStoreOptions {
  limits?: Partial<Limits>;
  clock?: Clock;
}

/**
 * The whole store contract over a `DocumentBackend` (storage primitives only):
 * the memory and JSON-file stores are this class with their backend, and a
 * store for another document database can be too. Every call runs alone, in
 * order of arrival, so a read-plan-write never interleaves with another.
 * Listings and sweeps walk every session row: fit for stores that keep those
 * rows in memory, not for millions of sessions.
 */
export class DocumentStore implements SessionStore {
  readonly kind: string;
  readonly limits: Limits;
  readonly capabilities: Partial<StoreCapabilities>;
  protected readonly clock: Clock;
  private readonly backend: DocumentBackend;
  private queue: Promise<unknown> = Promise.resolve();
  private opened: Promise<void> | null = null;
  private closed = false;

  constructor(backend: DocumentBackend, options: DocumentStoreOptions = {}) {
    this.backend = backend;
    this.kind = backend.kind;
    this.capabilities = backend.capabilities ?? {};
    this.limits = resolveLimits(options.limits);
    this.clock = options.clock ?? systemClock;
  }

  // ---- lifecycle

  async migrate(): Promise<void> {
    await this.exclusive(async () => {
      await this.backend.open(true);
      this.opened = Promise.resolve();
    });
  }

  async migrationStatus(): Promise<MigrationStatus> {
    return this.exclusive(() => this.backend.migrationStatus());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.catch(() => undefined);
    await this.backend.close();
  }

  // ---- sessions

  async createSession(input: NewSession): Promise<Session> {
    const p = prepareNewSession(input, this.limits);
    return this.run(async (b) => {
      const k = { tenant: p.tenant, appName: p.appName, userId: p.userId, sessionId: p.id };
      if (await b.getSession(k)) throw new SessionExistsError(k);
      const row = newSessionRow(p, this.clock.now());
      await b.writeSession({ row, created: true, state: p.state?.session, app: p.state?.app, user: p.state?.user, changes: [createdStateChange(p.state)] });
      return this.toSession(k, row, null);
    });
  }

  async getSession(key: SessionKey, options?: ReadOptions): Promise<Session | null> {
    const k = resolveKey(key, this.limits);
    const read = resolveReadOptions(options);
    return this.run(async (b) => {
      const stored = await b.getSession(k);
      if (!stored) return null;
      let events: SessionEvent[] | null = null;
      if (read.withEvents) {
        const count = stored.row.event_count;
        if (read.afterTimestamp === undefined) {
          const n = Math.min(read.lastEvents ?? count, count);
          events = n === 0 ? [] : await b.eventsBySeq(k, stored, count - n + 1, count);
        } else {
          events = (count === 0 ? [] : await b.eventsBySeq(k, stored, 1, count)).filter((e) => e.timestamp >= read.afterTimestamp!);
          if (read.lastEvents !== undefined) events = events.slice(Math.max(0, events.length - read.lastEvents));
        }
      }
      return this.toSession(k, stored.row, events, stored.state);
    });
  }

  async listSessions(query: SessionQuery): Promise<SessionPage> {
    const q = resolveSessionQuery(query, this.limits);
    return this.run(async (b) => {
      const { page, nextCursor } = pageSessionRows(await b.sessionRows(), q);
      const sessions: Session[] = [];
      for (const row of page) sessions.push(await this.toSession(keyOfRow(row), row, null));
      return { sessions, nextCursor };
    });
  }

  async countSessions(query: SessionCountQuery): Promise<number> {
    const q = resolveCountQuery(query, this.limits);
    return this.run(async (b) => {
      let count = 0;
      for (const row of await b.sessionRows()) if (matchesSessionFilter(row, q)) count++;
      return count;
    });
  }

  async updateSession(key: SessionKey, patch: SessionPatch, options?: WriteOptions): Promise<Session> {
    const k = resolveKey(key, this.limits);
    return this.patch(k, preparePatch(patch, this.limits), expectedVersion(options));
  }

  async updateKeys(key: SessionKey, delta: JsonObject, options?: WriteOptions): Promise<Session> {
    const k = resolveKey(key, this.limits);
    return this.patch(k, prepareKeyUpdate(delta, this.limits), expectedVersion(options));
  }

  private patch(k: ResolvedKey, p: PreparedPatch, expect: number | undefined): Promise<Session> {
    return this.run(async (b) => {
      const stored = await this.forWrite(k, expect);
      const row = planPatch(stored.row, p, this.clock.now());
      const d = p.delta;
      const unset = deletionsOf(d);
      const change = patchStateChange(d, row.event_count);
      await b.writeSession({
        row,
        state: d?.session,
        app: d?.app,
        user: d?.user,
        unset: { state: unset.session, app: unset.app, user: unset.user },
        changes: change ? [change] : [],
      });
      return this.toSession(k, row, null);
    });
  }

  async deleteSession(key: SessionKey): Promise<boolean> {
    const k = resolveKey(key, this.limits);
    return this.run(async (b) => {
      if (!(await b.getSession(k))) return false;
      await this.deleteNow(b, k);
      return true;
    });
  }

  async importSession(snapshot: SessionSnapshot, options: { replace?: boolean } = {}): Promise<Session> {
    const p = prepareSnapshot(snapshot, this.limits);
    return this.run(async (b) => {
      const k = keyOfRow(p.row);
      const existing = await b.getSession(k);
      if (existing && !options.replace) throw new SessionExistsError(k);
      // Files stay: they are not part of a snapshot.
      await b.writeSession({ row: { ...p.row }, created: !existing, replace: Boolean(existing), state: p.state, events: p.events, changes: p.history });
      return this.toSession(k, p.row, null);
    });
  }

  // ---- events

  async appendEvents(key: SessionKey, events: NewEvent[], options?: WriteOptions): Promise<AppendResult> {
    const k = resolveKey(key, this.limits);
    const prepared = prepareEvents(events, this.limits);
    const expect = expectedVersion(options);
    return this.run(async (b) => {
      const stored = await b.getSession(k);
      if (!stored) throw new SessionNotFoundError(k);
      const ids = prepared.flatMap((e) => (e.id === undefined ? [] : [e.id]));
      const known = ids.length ? await b.eventsById(k, stored, ids) : new Map<string, SessionEvent>();
      const byId = (id: string | undefined) => (id === undefined ? undefined : known.get(id));
      const plan = planAppend({
        head: stored.row,
        stored: prepared.map((e) => {
          const event = byId(e.id);
          return event && eventRowOf(event);
        }),
        events: prepared,
        expectVersion: expect,
        now: this.clock.now(),
      });
      if (plan.kind === 'replay') return { events: plan.events.map(eventFromRow), version: plan.version };
      const d = plan.delta;
      await b.writeSession({ row: planAppended(stored.row, plan), state: d?.session, app: d?.app, user: d?.user, events: plan.rows });
      return { events: plan.events.map(eventFromRow), version: plan.head.version };
    });
  }

  async readEvents(key: SessionKey, range?: EventRange): Promise<EventPage | null> {
    const k = resolveKey(key, this.limits);
    const r = resolveEventRange(range, this.limits);
    return this.run(async (b) => {
      const stored = await b.getSession(k);
      if (!stored) return null;
      const { from, to, more } = eventPageSeqs(r, stored.row.event_count);
      const events = from > to ? [] : await b.eventsBySeq(k, stored, from, to);
      if (r.order === 'desc') events.reverse();
      return { events, nextCursor: more && events.length ? eventCursor(r.order, events[events.length - 1]!.seq) : null };
    });
  }

  async rewindSession(key: SessionKey, input: RewindInput, options?: WriteOptions): Promise<RewindResult> {
    const k = resolveKey(key, this.limits);
    const toSeq = checkRewindInput(input);
    const expect = expectedVersion(options);
    return this.run(async (b) => {
      const stored = await b.getSession(k);
      if (!stored) throw new SessionNotFoundError(k);
      const plan = planRewind({ head: stored.row, toSeq, expectVersion: expect, now: this.clock.now() });
      if (plan.kind === 'noop') return { session: await this.toSession(k, stored.row, null, stored.state), superseded: 0 };
      const changes = (await b.stateChanges(k, stored)).map(stateChangeFromRow);
      const events = toSeq === 0 ? [] : await b.eventsBySeq(k, stored, 1, toSeq);
      const own = stateAtSeq(changes, events, toSeq);
      const row = { ...stored.row, ...plan.head };
      const state = Object.keys(own).map((name) => [name, JSON.stringify(own[name])] as const);
      await b.writeSession({ row, state, rewind: { toSeq, supersededAt: plan.supersededAt, supersededBy: plan.head.version } });
      return { session: await this.toSession(k, row, null), superseded: plan.superseded };
    });
  }

  async readSupersededEvents(key: SessionKey, range?: SupersededRange): Promise<SupersededPage | null> {
    const k = resolveKey(key, this.limits);
    const r = resolveSupersededRange(range, this.limits);
    return this.run(async (b) => {
      const stored = await b.getSession(k);
      if (!stored) return null;
      const [by, seq] = r.after;
      const rows = (await b.supersededRows(k, stored)).filter((e) => e.superseded_by > by || (e.superseded_by === by && e.seq > seq));
      const page = rows.slice(0, r.limit);
      const last = page[page.length - 1];
      return { events: page.map(supersededFromRow), nextCursor: rows.length > r.limit && last ? supersededCursor(last.superseded_by, last.seq) : null };
    });
  }

  async readStateHistory(key: SessionKey): Promise<StateChange[] | null> {
    const k = resolveKey(key, this.limits);
    return this.run(async (b) => {
      const stored = await b.getSession(k);
      return stored && (await b.stateChanges(k, stored)).map(stateChangeFromRow);
    });
  }

  /** A scan: every session of the tenant that passes the filters, and all its events (capability `indexedSearch` off). */
  async searchEvents(query: SearchQuery): Promise<SearchPage> {
    const p = prepareSearch(query, this.limits);
    return this.run(async (b) => {
      const scan = new ScanSearch(p);
      for (const row of await b.sessionRows()) {
        if (row.tenant !== p.tenant) continue;
        const session = { ...keyOfRow(row), id: row.id, status: row.status, updatedAt: row.updated_at, title: sessionTitle(JSON.parse(row.metadata) as JsonObject) };
        if (!scan.admits(session)) continue;
        const k = keyOfRow(row);
        const stored = await b.getSession(k);
        if (!stored) continue;
        scan.add(session, stored.row.event_count ? await b.eventsBySeq(k, stored, 1, stored.row.event_count) : []);
      }
      return scan.page();
    });
  }

  async recordActivity(key: SessionKey, activity?: ActivityInput): Promise<Session> {
    const k = resolveKey(key, this.limits);
    const a = checkActivity(activity, this.clock);
    return this.run(async (b) => {
      const stored = await this.forWrite(k, undefined);
      const row = planActivity(stored.row, a);
      await b.writeSession({ row });
      return this.toSession(k, row, null);
    });
  }

  // ---- shared state

  async getAppState(key: AppKey): Promise<JsonObject> {
    const k = resolveAppKey(key, this.limits);
    return this.run(async (b) => entriesToState(await b.sharedState([k.tenant, k.appName])));
  }

  async getUserState(key: UserKey): Promise<JsonObject> {
    const k = resolveUserKey(key, this.limits);
    return this.run(async (b) => entriesToState(await b.sharedState([k.tenant, k.appName, k.userId])));
  }

  async updateAppState(key: AppKey, delta: JsonObject): Promise<JsonObject> {
    const k = resolveAppKey(key, this.limits);
    return this.updateShared([k.tenant, k.appName], prepareScopeDelta('app', delta, this.limits));
  }

  async updateUserState(key: UserKey, delta: JsonObject): Promise<JsonObject> {
    const k = resolveUserKey(key, this.limits);
    return this.updateShared([k.tenant, k.appName, k.userId], prepareScopeDelta('user', delta, this.limits));
  }

  // ---- file records

  async putFile(record: NewFileRecord): Promise<FileRecord> {
    const row = prepareFile(record, this.limits, this.clock.now());
    return this.run(async (b) => {
      if (row.session_id !== null) {
        const owner = { tenant: row.tenant, appName: row.app_name!, userId: row.user_id!, sessionId: row.session_id };
        if (!(await b.getSession(owner))) throw new SessionNotFoundError(owner);
      }
      await b.putFile(row);
      return fileFromRow(row);
    });
  }

  async getFile(key: FileKey): Promise<FileRecord | null> {
    const { tenant, id } = resolveFileKey(key, this.limits);
    return this.run(async (b) => {
      const row = await b.getFile(tenant, id);
      return row && fileFromRow(row);
    });
  }

  async listFiles(query: FileQuery = {}): Promise<FilePage> {
    const q = resolveFileQuery(query, this.limits);
    return this.run(async (b) => {
      const { page, nextCursor } = pageFileRows(await b.fileRows(), q);
      return { files: page.map(fileFromRow), nextCursor };
    });
  }

  async deleteFile(key: FileKey): Promise<boolean> {
    const { tenant, id } = resolveFileKey(key, this.limits);
    return this.run(async (b) => {
      if (!(await b.getFile(tenant, id))) return false;
      await b.deleteFiles([{ tenant, id }]);
      return true;
    });
  }

  // ---- whole-store scans

  async scanSessionKeys(query?: ScanQuery): Promise<SessionKeyPage> {
    const scan = resolveScan('sessions', 4, query, this.limits);
    return this.run(async (b) => {
      const { page, nextCursor } = pageInMemory([...(await b.sessionRows())], (r) => [r.tenant, r.app_name, r.user_id, r.id], 'sessions', scan);
      return { keys: page.map(keyOfRow), nextCursor };
    });
  }

  async scanSharedState(scope: 'app' | 'user', query?: ScanQuery): Promise<SharedStatePage> {
    const scan = resolveScan(scope, scope === 'app' ? 2 : 3, query, this.limits);
    return this.run(async (b) => {
      const { page, nextCursor } = pageInMemory(await b.sharedOwners(scope), (o) => [...o.owner], scope, scan);
      return { items: page.map((o) => sharedItem(o.owner, entriesToState(o.state))), nextCursor };
    });
  }

  async scanFiles(query?: ScanQuery): Promise<FilePage> {
    const scan = resolveScan('files', 2, query, this.limits);
    return this.run(async (b) => {
      const { page, nextCursor } = pageInMemory([...(await b.fileRows())], (f) => [f.tenant, f.id], 'files', scan);
      return { files: page.map(fileFromRow), nextCursor };
    });
  }

  // ---- expiry and totals

  async sweepExpired(options: SweepOptions = {}): Promise<SweepResult> {
    const sweep = resolveSweep(options, this.clock);
    return this.run(async (b) => {
      let sessions = 0;
      for (const row of [...(await b.sessionRows())]) {
        const plan = planSweep(row, sweep);
        if (!plan) continue;
        if (plan.action === 'delete') await this.deleteNow(b, keyOfRow(row));
        else await b.writeSession({ row: plan.row });
        sessions++;
      }
      const expired = [...(await b.fileRows())].filter((f) => f.expires_at !== null && f.expires_at <= sweep.now);
      if (expired.length) await b.deleteFiles(expired);
      return { sessions, files: expired.length };
    });
  }

  async stats(options: { tenant?: string } = {}): Promise<StoreStats> {
    const tenant = options.tenant === undefined ? undefined : resolveTenant(options.tenant, this.limits);
    return this.run(async (b) => {
      const out: StoreStats = { sessions: 0, activeSessions: 0, archivedSessions: 0, expiredSessions: 0, events: 0, stateKeys: 0, files: 0, bytes: 0 };
      for (const row of [...(await b.sessionRows())]) {
        if (tenant !== undefined && row.tenant !== tenant) continue;
        out.sessions++;
        if (row.status === 'active') out.activeSessions++;
        else if (row.status === 'archived') out.archivedSessions++;
        else out.expiredSessions++;
        out.events += row.event_count;
        const k = keyOfRow(row);
        const stored = await b.getSession(k);
        if (!stored) continue;
        out.stateKeys += stored.state.size;
        out.bytes += await b.sessionBytes(k, stored);
      }
      for (const scope of ['app', 'user'] as const) {
        for (const { owner, state } of await b.sharedOwners(scope)) {
          if (tenant !== undefined && owner[0] !== tenant) continue;
          out.stateKeys += state.size;
          for (const [name, json] of state) out.bytes += name.length + json.length;
        }
      }
      for (const f of await b.fileRows()) if (tenant === undefined || f.tenant === tenant) out.files++;
      return out;
    });
  }

  // ---- internals

  /** Runs `work` after every earlier call has finished, on a backend opened for use. */
  private run<T>(work: (backend: DocumentBackend) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      if (!this.opened) {
        this.opened = this.backend.open(false);
        this.opened.catch(() => (this.opened = null));
      }
      await this.opened;
      return work(this.backend);
    });
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    const run = this.queue.catch(() => undefined).then(work);
    this.queue = run;
    return run;
  }

  private async forWrite(k: ResolvedKey, expect: number | undefined): Promise<StoredSession> {
    const stored = await this.backend.getSession(k);
    if (!stored) throw new SessionNotFoundError(k);
    checkExpected(expect, stored.row.version);
    return stored;
  }

  private async deleteNow(b: DocumentBackend, k: ResolvedKey): Promise<void> {
    const files = [...(await b.fileRows())].filter(
      (f) => f.tenant === k.tenant && f.app_name === k.appName && f.user_id === k.userId && f.session_id === k.sessionId,
    );
    await b.deleteSession(k, files);
  }

  private async updateShared(owner: readonly string[], entries: readonly (readonly [string, string])[]): Promise<JsonObject> {
    return this.run(async (b) => {
      if (entries.length) await b.writeShared(owner, entries);
      return entriesToState(await b.sharedState(owner));
    });
  }

  /** The session as callers see it: its row, the merged state of all three scopes, and the events given. */
  private async toSession(k: ResolvedKey, row: SessionRow, events: SessionEvent[] | null, own?: ReadonlyMap<string, string>): Promise<Session> {
    const b = this.backend;
    const state = own ?? (await b.getSession(k))?.state ?? new Map<string, string>();
    const merged = mergeState(await b.sharedState([k.tenant, k.appName]), await b.sharedState([k.tenant, k.appName, k.userId]), state);
    const out = sessionFromRow(row, merged);
    if (events) out.events = events;
    return out;
  }
}

function keyOfRow(r: { tenant: string; app_name: string; user_id: string; id: string }): ResolvedKey {
  return { tenant: r.tenant, appName: r.app_name, userId: r.user_id, sessionId: r.id };
}
