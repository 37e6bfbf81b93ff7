import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { systemClock, type Clock } from '../../core/clock.js';
import {
  ConflictError,
  SessionDbError,
  SessionExistsError,
  SessionNotFoundError,
  UnavailableError,
  ValidationError,
} from '../../core/errors.js';
import { setOwn } from '../../core/json.js';
import { resolveLimits, type Limits } from '../../core/limits.js';
import {
  compareFilePosition,
  comparePosition,
  eventCursor,
  fileCursor,
  resolveCountQuery,
  resolveEventRange,
  resolveFileQuery,
  resolveReadOptions,
  resolveSessionQuery,
  pageInMemory,
  positionOf,
  resolveScan,
  sessionCursor,
} from '../../core/paging.js';
import { prepareFile, prepareNewSession, preparePatch, prepareScopeDelta, prepareSnapshot, stampEvents } from '../../core/prepare.js';
import { eventFromRow, fileFromRow, sessionFromRow, sharedItem, type EventRow, type FileRow, type SessionRow } from '../../core/rows.js';
import type { ScopedDelta, StateEntry } from '../../core/state.js';
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
  SessionCountQuery,
  SessionEvent,
  SessionKey,
  SessionPage,
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
  checkVersion,
  isDue,
  prepareEvents,
  resolveAppKey,
  resolveFileKey,
  resolveKey,
  resolveSweep,
  resolveTenant,
  resolveUserKey,
  type ResolvedKey,
} from '../../core/validate.js';
import { appendAt, removeFile, writeFileAtomic } from './atomic.js';
import { acquireLock } from './lock.js';

export interface JsonFileStoreOptions {
  /** The directory holding the sessions (created by `migrate()`). */
  dir: string;
  limits?: Partial<Limits>;
  clock?: Clock;
}

const FORMAT_VERSION = 1;
const META_FILE = 'sessiondb.json';
const JOURNAL_FILE = 'journal.json';

/** One session's document: the row, its own state, and how many bytes of its events file are committed. */
interface SessionDoc {
  session: Omit<Session, 'state' | 'events'>;
  state: JsonObject;
  eventsBytes: number;
}

/** A change to one file, as written to the journal. */
type FileOp = { write: string; content: string } | { append: string; offset: number; text: string } | { remove: string };

/**
 * Sessions as human-readable JSON files in a directory, for people who want no
 * database. One document per session plus an append-only JSON Lines file of
 * its events, so an append costs the same however many sessions are stored.
 * Every write is atomic (temporary file, fsync, rename, fsync of the
 * directory; the previous version kept as `.bak`); a change that spans several
 * files goes through a write-ahead journal replayed on open. One process at a
 * time holds the directory (a lock file). Listing reads every session document
 * once, then keeps an index in memory: O(n) the first time.
 */
export class JsonFileStore implements SessionStore {
  readonly kind = 'file';
  readonly limits: Limits;
  readonly dir: string;
  private readonly clock: Clock;
  private opening: Promise<void> | null = null;
  private release: (() => Promise<void>) | null = null;
  private closed = false;
  private queue: Promise<unknown> = Promise.resolve();
  private index: Map<string, SessionRow> | null = null;

  constructor(options: JsonFileStoreOptions) {
    if (!options || typeof options.dir !== 'string' || options.dir.length === 0) {
      throw new ValidationError('dir', 'must be a directory path', 'Example: new JsonFileStore({ dir: "./data/sessions" }).');
    }
    this.dir = resolve(options.dir);
    this.limits = resolveLimits(options.limits);
    this.clock = options.clock ?? systemClock;
  }

  // ---- lifecycle

  async migrate(): Promise<void> {
    await this.exclusive(async () => {
      await this.open(true);
    });
  }

  async migrationStatus(): Promise<MigrationStatus> {
    return this.exclusive(async () => {
      await this.lock();
      const current = await this.formatVersion();
      return { current, latest: FORMAT_VERSION, pending: current < FORMAT_VERSION ? [{ version: 1, description: 'directory layout' }] : [] };
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.catch(() => undefined);
    await this.release?.();
    this.release = null;
  }

  // ---- sessions

  async createSession(input: NewSession): Promise<Session> {
    const p = prepareNewSession(input, this.limits);
    return this.write(async () => {
      const k = { tenant: p.tenant, appName: p.appName, userId: p.userId, sessionId: p.id };
      if (await this.readDoc(k)) throw new SessionExistsError(k);
      const createdAt = p.createdAt ?? this.clock.now();
      const updatedAt = p.updatedAt ?? createdAt;
      const doc: SessionDoc = {
        session: {
          tenant: p.tenant, appName: p.appName, userId: p.userId, id: p.id,
          metadata: JSON.parse(p.metadata) as JsonObject, model: p.model, status: p.status,
          createdAt, updatedAt, lastActivityAt: updatedAt, expiresAt: p.expiresAt,
          eventCount: 0, requestCount: 0, requestMsTotal: 0, version: 1,
        },
        state: {},
        eventsBytes: 0,
      };
      const ops = await this.deltaOps(k, doc, p.state);
      ops.push({ write: this.sessionPath(k), content: docText(doc) });
      await this.commit(ops);
      this.indexSet(doc);
      return this.toSession(doc, null);
    });
  }

  async getSession(key: SessionKey, options?: ReadOptions): Promise<Session | null> {
    const k = resolveKey(key, this.limits);
    const read = resolveReadOptions(options);
    return this.read(async () => {
      const doc = await this.readDoc(k);
      if (!doc) return null;
      let events: SessionEvent[] | null = null;
      if (read.withEvents) {
        if (read.lastEvents === 0) events = [];
        else if (read.afterTimestamp === undefined && read.lastEvents !== undefined) events = await this.tailEvents(k, doc, read.lastEvents);
        else {
          events = await this.allEvents(k, doc);
          if (read.afterTimestamp !== undefined) events = events.filter((e) => e.timestamp >= read.afterTimestamp!);
          if (read.lastEvents !== undefined) events = events.slice(Math.max(0, events.length - read.lastEvents));
        }
      }
      return this.toSession(doc, events);
    });
  }

  async listSessions(query: SessionQuery): Promise<SessionPage> {
    const q = resolveSessionQuery(query, this.limits);
    return this.read(async () => {
      const sign = q.order === 'asc' ? 1 : -1;
      const matches = [...(await this.rows()).values()].filter(
        (row) =>
          row.tenant === q.tenant &&
          (q.appName === undefined || row.app_name === q.appName) &&
          (q.userId === undefined || row.user_id === q.userId) &&
          (q.status === undefined || row.status === q.status) &&
          (q.after === null || sign * comparePosition(positionOf(row), q.after) > 0),
      );
      matches.sort((a, b) => sign * comparePosition(positionOf(a), positionOf(b)));
      const page = matches.slice(q.offset, q.offset + q.limit);
      const sessions: Session[] = [];
      for (const row of page) {
        const doc = await this.readDoc({ tenant: row.tenant, appName: row.app_name, userId: row.user_id, sessionId: row.id });
        if (doc) sessions.push(await this.toSession(doc, null));
      }
      const last = page[page.length - 1];
      return { sessions, nextCursor: matches.length > q.offset + q.limit && last ? sessionCursor(q.order, positionOf(last)) : null };
    });
  }

  async countSessions(query: SessionCountQuery): Promise<number> {
    const q = resolveCountQuery(query, this.limits);
    return this.read(async () => {
      let n = 0;
      for (const row of (await this.rows()).values()) {
        if (row.tenant === q.tenant && (q.appName === undefined || row.app_name === q.appName) && (q.userId === undefined || row.user_id === q.userId) && (q.status === undefined || row.status === q.status)) n++;
      }
      return n;
    });
  }

  async updateSession(key: SessionKey, patch: SessionPatch, options?: WriteOptions): Promise<Session> {
    const k = resolveKey(key, this.limits);
    const p = preparePatch(patch, this.limits);
    const expect = options?.expectVersion === undefined ? undefined : checkVersion('expectVersion', options.expectVersion);
    return this.write(async () => {
      const doc = await this.docForWrite(k, expect);
      const s = doc.session;
      if (p.metadata !== undefined) s.metadata = JSON.parse(p.metadata) as JsonObject;
      if (p.model !== undefined) s.model = p.model;
      if (p.status !== undefined) s.status = p.status;
      if (p.expiresAt !== undefined) s.expiresAt = p.expiresAt;
      if (p.lastActivityAt !== undefined) s.lastActivityAt = p.lastActivityAt;
      s.updatedAt = this.clock.now();
      s.version += 1;
      const ops = await this.deltaOps(k, doc, p.delta);
      ops.push({ write: this.sessionPath(k), content: docText(doc) });
      await this.commit(ops);
      this.indexSet(doc);
      return this.toSession(doc, null);
    });
  }

  async deleteSession(key: SessionKey): Promise<boolean> {
    const k = resolveKey(key, this.limits);
    return this.write(async () => this.deleteNow(k));
  }

  async importSession(snapshot: SessionSnapshot, options: { replace?: boolean } = {}): Promise<Session> {
    const p = prepareSnapshot(snapshot, this.limits);
    return this.write(async () => {
      const k = { tenant: p.row.tenant, appName: p.row.app_name, userId: p.row.user_id, sessionId: p.row.id };
      const existing = await this.readDoc(k);
      if (existing && !options.replace) throw new SessionExistsError(k);
      if (existing) await this.deleteNow(k, { keepFiles: true });
      const text = p.events.map(eventLine).join('');
      const doc: SessionDoc = {
        session: rowToFields(p.row),
        state: applyEntries({}, p.state),
        eventsBytes: Buffer.byteLength(text),
      };
      await this.commit([{ append: this.eventsPath(k), offset: 0, text }, { write: this.sessionPath(k), content: docText(doc) }]);
      this.indexSet(doc);
      return this.toSession(doc, null);
    });
  }

  // ---- events

  async appendEvents(key: SessionKey, events: NewEvent[], options?: WriteOptions): Promise<AppendResult> {
    const k = resolveKey(key, this.limits);
    const prepared = prepareEvents(events, this.limits);
    const expect = options?.expectVersion === undefined ? undefined : checkVersion('expectVersion', options.expectVersion);
    return this.write(async () => {
      const doc = await this.readDoc(k);
      if (!doc) throw new SessionNotFoundError(k);
      const withIds = prepared.filter((e) => e.id !== undefined);
      let stored: (SessionEvent | undefined)[] = prepared.map(() => undefined);
      if (withIds.length) {
        const byId = new Map((await this.allEvents(k, doc)).map((e) => [e.id, e]));
        stored = prepared.map((e) => (e.id === undefined ? undefined : byId.get(e.id)));
      }
      const fresh = prepared.filter((_, i) => stored[i] === undefined);
      if (fresh.length === 0) return { events: stored.map((e) => e!), version: doc.session.version };
      if (expect !== undefined && expect !== doc.session.version) throw new ConflictError(expect, doc.session.version);
      const rows = stampEvents(fresh, doc.session.eventCount, this.clock.now());
      const text = rows.map(eventLine).join('');
      const ops: FileOp[] = [{ append: this.eventsPath(k), offset: doc.eventsBytes, text }];
      doc.eventsBytes += Buffer.byteLength(text);
      for (const e of fresh) ops.push(...(await this.deltaOps(k, doc, e.delta)));
      const last = rows[rows.length - 1]!;
      doc.session.eventCount = last.seq;
      doc.session.updatedAt = last.timestamp;
      doc.session.lastActivityAt = last.timestamp;
      doc.session.version += 1;
      ops.push({ write: this.sessionPath(k), content: docText(doc) });
      await this.commit(mergeWrites(ops));
      this.indexSet(doc);
      let next = 0;
      return { events: stored.map((e) => e ?? eventFromRow(rows[next++]!)), version: doc.session.version };
    });
  }

  async readEvents(key: SessionKey, range?: EventRange): Promise<EventPage | null> {
    const k = resolveKey(key, this.limits);
    const r = resolveEventRange(range, this.limits);
    return this.read(async () => {
      const doc = await this.readDoc(k);
      if (!doc) return null;
      const all = await this.allEvents(k, doc);
      let slice: SessionEvent[];
      if (r.order === 'asc') slice = all.slice(Math.min(r.bound, all.length), Math.min(r.bound, all.length) + r.limit + 1);
      else {
        const end = Math.min(r.bound - 1, all.length);
        slice = all.slice(Math.max(0, end - r.limit - 1), end).reverse();
      }
      const page = slice.slice(0, r.limit);
      return { events: page, nextCursor: slice.length > r.limit ? eventCursor(r.order, page[page.length - 1]!.seq) : null };
    });
  }

  async recordActivity(key: SessionKey, activity?: ActivityInput): Promise<Session> {
    const k = resolveKey(key, this.limits);
    const { durationMs, count, at } = checkActivity(activity, this.clock);
    return this.write(async () => {
      const doc = await this.docForWrite(k, undefined);
      doc.session.requestCount += count;
      doc.session.requestMsTotal += durationMs;
      doc.session.lastActivityAt = Math.max(doc.session.lastActivityAt, at);
      doc.session.version += 1;
      await this.commit([{ write: this.sessionPath(k), content: docText(doc) }]);
      this.indexSet(doc);
      return this.toSession(doc, null);
    });
  }

  // ---- shared state

  async getAppState(key: AppKey): Promise<JsonObject> {
    const k = resolveAppKey(key, this.limits);
    return this.read(async () => (await this.readShared(this.appPath(k.tenant, k.appName))) ?? {});
  }

  async getUserState(key: UserKey): Promise<JsonObject> {
    const k = resolveUserKey(key, this.limits);
    return this.read(async () => (await this.readShared(this.userPath(k.tenant, k.appName, k.userId))) ?? {});
  }

  async updateAppState(key: AppKey, delta: JsonObject): Promise<JsonObject> {
    const k = resolveAppKey(key, this.limits);
    const entries = prepareScopeDelta('app', delta, this.limits);
    return this.write(async () => this.writeShared(this.appPath(k.tenant, k.appName), { tenant: k.tenant, appName: k.appName }, entries));
  }

  async updateUserState(key: UserKey, delta: JsonObject): Promise<JsonObject> {
    const k = resolveUserKey(key, this.limits);
    const entries = prepareScopeDelta('user', delta, this.limits);
    return this.write(async () =>
      this.writeShared(this.userPath(k.tenant, k.appName, k.userId), { tenant: k.tenant, appName: k.appName, userId: k.userId }, entries),
    );
  }

  // ---- file records

  async putFile(record: NewFileRecord): Promise<FileRecord> {
    const row = prepareFile(record, this.limits, this.clock.now());
    return this.write(async () => {
      if (row.session_id !== null) {
        const owner = { tenant: row.tenant, appName: row.app_name!, userId: row.user_id!, sessionId: row.session_id };
        if (!(await this.readDoc(owner))) throw new SessionNotFoundError(owner);
      }
      const file = fileFromRow(row);
      await this.commit([{ write: this.filePath(row.tenant, row.id), content: JSON.stringify(file, null, 2) + '\n' }]);
      return file;
    });
  }

  async getFile(key: FileKey): Promise<FileRecord | null> {
    const { tenant, id } = resolveFileKey(key, this.limits);
    return this.read(async () => readJson<FileRecord>(this.filePath(tenant, id)));
  }

  async listFiles(query: FileQuery = {}): Promise<FilePage> {
    const q = resolveFileQuery(query, this.limits);
    return this.read(async () => {
      const matches = (await this.allFiles()).filter(
        (f) =>
          f.tenant === q.tenant &&
          (q.appName === undefined || f.appName === q.appName) &&
          (q.userId === undefined || f.userId === q.userId) &&
          (q.sessionId === undefined || f.sessionId === q.sessionId) &&
          (q.after === null || compareFilePosition(fileRowOf(f), q.after) < 0),
      );
      matches.sort((a, b) => -compareFilePosition(fileRowOf(a), { uploadedAt: b.uploadedAt, id: b.id }));
      const page = matches.slice(0, q.limit);
      const last = page[page.length - 1];
      return { files: page, nextCursor: matches.length > q.limit && last ? fileCursor(fileRowOf(last)) : null };
    });
  }

  async deleteFile(key: FileKey): Promise<boolean> {
    const { tenant, id } = resolveFileKey(key, this.limits);
    return this.write(async () => {
      const path = this.filePath(tenant, id);
      if (!(await readJson(path))) return false;
      await this.commit([{ remove: path }]);
      return true;
    });
  }

  // ---- whole-store scans

  async scanSessionKeys(query?: ScanQuery): Promise<SessionKeyPage> {
    const scan = resolveScan('sessions', 4, query, this.limits);
    return this.read(async () => {
      const { page, nextCursor } = pageInMemory([...(await this.rows()).values()], (r) => [r.tenant, r.app_name, r.user_id, r.id], 'sessions', scan);
      return { keys: page.map((r) => ({ tenant: r.tenant, appName: r.app_name, userId: r.user_id, sessionId: r.id })), nextCursor };
    });
  }

  async scanSharedState(scope: 'app' | 'user', query?: ScanQuery): Promise<SharedStatePage> {
    const scan = resolveScan(scope, scope === 'app' ? 2 : 3, query, this.limits);
    return this.read(async () => {
      const root = join(this.dir, scope === 'app' ? 'app' : 'users');
      const docs: { parts: string[]; state: JsonObject }[] = [];
      for (const name of await listDir(root)) {
        if (!name.endsWith('.json')) continue;
        const doc = await readJson<{ tenant: string; appName: string; userId?: string; state: JsonObject }>(join(root, name));
        if (doc && Object.keys(doc.state).length) {
          docs.push({ parts: doc.userId === undefined ? [doc.tenant, doc.appName] : [doc.tenant, doc.appName, doc.userId], state: doc.state });
        }
      }
      const { page, nextCursor } = pageInMemory(docs, (d) => d.parts, scope, scan);
      return { items: page.map((d) => sharedItem(d.parts, d.state)), nextCursor };
    });
  }

  async scanFiles(query?: ScanQuery): Promise<FilePage> {
    const scan = resolveScan('files', 2, query, this.limits);
    return this.read(async () => {
      const { page, nextCursor } = pageInMemory(await this.allFiles(), (f) => [f.tenant, f.id], 'files', scan);
      return { files: page, nextCursor };
    });
  }

  // ---- expiry and totals

  async sweepExpired(options: SweepOptions = {}): Promise<SweepResult> {
    const { now, idleBefore, mode } = resolveSweep(options, this.clock);
    return this.write(async () => {
      let sessions = 0;
      for (const row of [...(await this.rows()).values()]) {
        if (!isDue(row, now, idleBefore, mode)) continue;
        const k = { tenant: row.tenant, appName: row.app_name, userId: row.user_id, sessionId: row.id };
        if (mode === 'delete') {
          if (await this.deleteNow(k)) sessions++;
        } else if (row.status !== 'expired') {
          const doc = await this.readDoc(k);
          if (!doc) continue;
          doc.session.status = 'expired';
          doc.session.updatedAt = now;
          doc.session.version += 1;
          await this.commit([{ write: this.sessionPath(k), content: docText(doc) }]);
          this.indexSet(doc);
          sessions++;
        }
      }
      let files = 0;
      for (const f of await this.allFiles()) {
        if (f.expiresAt !== null && f.expiresAt <= now) {
          await this.commit([{ remove: this.filePath(f.tenant, f.id) }]);
          files++;
        }
      }
      return { sessions, files };
    });
  }

  async stats(options: { tenant?: string } = {}): Promise<StoreStats> {
    const tenant = options.tenant === undefined ? undefined : resolveTenant(options.tenant, this.limits);
    return this.read(async () => {
      const out: StoreStats = { sessions: 0, activeSessions: 0, archivedSessions: 0, expiredSessions: 0, events: 0, stateKeys: 0, files: 0, bytes: 0 };
      const shared = new Set<string>();
      for (const row of (await this.rows()).values()) {
        if (tenant !== undefined && row.tenant !== tenant) continue;
        out.sessions++;
        if (row.status === 'active') out.activeSessions++;
        else if (row.status === 'archived') out.archivedSessions++;
        else out.expiredSessions++;
        out.events += row.event_count;
        const k = { tenant: row.tenant, appName: row.app_name, userId: row.user_id, sessionId: row.id };
        const doc = await this.readDoc(k);
        if (doc) {
          out.stateKeys += Object.keys(doc.state).length;
          out.bytes += doc.eventsBytes + docText(doc).length;
        }
        shared.add(this.appPath(row.tenant, row.app_name));
        shared.add(this.userPath(row.tenant, row.app_name, row.user_id));
      }
      for (const path of shared) out.stateKeys += Object.keys((await this.readShared(path)) ?? {}).length;
      out.files = (await this.allFiles()).filter((f) => tenant === undefined || f.tenant === tenant).length;
      return out;
    });
  }

  // ---- internals: opening, locking, serializing

  /** Runs `work` after every earlier call has finished: one operation at a time. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new UnavailableError('The store is closed; open a new one.'));
    const run = this.queue.catch(() => undefined).then(work);
    this.queue = run;
    return run;
  }

  private read<T>(work: () => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      await this.open(false);
      return work();
    });
  }

  private write<T>(work: () => Promise<T>): Promise<T> {
    return this.read(work);
  }

  private async lock(): Promise<void> {
    if (this.release) return;
    await mkdir(this.dir, { recursive: true });
    this.release = await acquireLock(this.dir);
  }

  /** Takes the lock, replays an unfinished journal, and checks (or, migrating, writes) the format. */
  private async open(migrating: boolean): Promise<void> {
    if (this.opening && !migrating) return this.opening;
    const opening = (async () => {
      await this.lock();
      await this.replayJournal();
      const version = await this.formatVersion();
      if (version === 0 && migrating) {
        await writeFileAtomic(join(this.dir, META_FILE), JSON.stringify({ format: 'sessiondb.file', version: FORMAT_VERSION }, null, 2) + '\n');
      } else if (version !== FORMAT_VERSION) {
        throw new SessionDbError(
          'invalid',
          version === 0
            ? `${this.dir} is not a sessiondb directory yet. Run "await store.migrate()" (openStore does it for you).`
            : `${this.dir} has format version ${version}; this sessiondb knows ${FORMAT_VERSION}. Upgrade sessiondb.`,
        );
      }
    })();
    this.opening = opening;
    opening.catch(() => {
      this.opening = null;
    });
    return opening;
  }

  private async formatVersion(): Promise<number> {
    const meta = await readJson<{ version?: number }>(join(this.dir, META_FILE));
    return meta?.version ?? 0;
  }

  // ---- internals: files

  private hash(parts: string[]): string {
    return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
  }

  private sessionBase(k: ResolvedKey): string {
    const h = this.hash([k.tenant, k.appName, k.userId, k.sessionId]);
    return join(this.dir, 'sessions', h.slice(0, 2), h);
  }

  private sessionPath(k: ResolvedKey): string {
    return this.sessionBase(k) + '.json';
  }

  private eventsPath(k: ResolvedKey): string {
    return this.sessionBase(k) + '.events.jsonl';
  }

  private appPath(tenant: string, appName: string): string {
    return join(this.dir, 'app', this.hash([tenant, appName]) + '.json');
  }

  private userPath(tenant: string, appName: string, userId: string): string {
    return join(this.dir, 'users', this.hash([tenant, appName, userId]) + '.json');
  }

  private filePath(tenant: string, id: string): string {
    return join(this.dir, 'files', this.hash([tenant, id]) + '.json');
  }

  /**
   * Applies file changes so that a crash leaves all of them or none: a single
   * document write is atomic by itself (appends to an events file are not
   * visible until the document that counts their bytes is written); changes to
   * several documents go through the journal.
   */
  private async commit(ops: FileOp[]): Promise<void> {
    const documents = ops.filter((op) => !('append' in op)).length;
    if (documents <= 1) {
      for (const op of ops) await applyOp(op);
      return;
    }
    const journal = join(this.dir, JOURNAL_FILE);
    await writeFileAtomic(journal, JSON.stringify(ops));
    for (const op of ops) await applyOp(op);
    await removeFile(journal);
  }

  private async replayJournal(): Promise<void> {
    const journal = join(this.dir, JOURNAL_FILE);
    const ops = await readJson<FileOp[]>(journal);
    if (!ops) return;
    for (const op of ops) await applyOp(op);
    await removeFile(journal);
    this.index = null;
  }

  private async readDoc(k: ResolvedKey): Promise<SessionDoc | null> {
    return readJson<SessionDoc>(this.sessionPath(k));
  }

  private async docForWrite(k: ResolvedKey, expect: number | undefined): Promise<SessionDoc> {
    const doc = await this.readDoc(k);
    if (!doc) throw new SessionNotFoundError(k);
    if (expect !== undefined && expect !== doc.session.version) throw new ConflictError(expect, doc.session.version);
    return doc;
  }

  private async deleteNow(k: ResolvedKey, options: { keepFiles?: boolean } = {}): Promise<boolean> {
    const doc = await this.readDoc(k);
    if (!doc) return false;
    const ops: FileOp[] = [{ remove: this.sessionPath(k) }, { remove: this.eventsPath(k) }];
    if (!options.keepFiles) {
      for (const f of await this.allFiles()) {
        if (f.tenant === k.tenant && f.appName === k.appName && f.userId === k.userId && f.sessionId === k.sessionId) {
          ops.push({ remove: this.filePath(f.tenant, f.id) });
        }
      }
    }
    await this.commit(ops);
    this.index?.delete(this.sessionPath(k));
    return true;
  }

  /** Events of a session, oldest first: the committed bytes of its events file. */
  private async allEvents(k: ResolvedKey, doc: SessionDoc): Promise<SessionEvent[]> {
    if (doc.eventsBytes === 0) return [];
    const handle = await open(this.eventsPath(k), 'r');
    try {
      const buf = Buffer.alloc(doc.eventsBytes);
      await handle.read(buf, 0, doc.eventsBytes, 0);
      return parseLines(buf.toString('utf8'));
    } finally {
      await handle.close();
    }
  }

  /** The newest `n` events, reading the events file backwards from its committed end. */
  private async tailEvents(k: ResolvedKey, doc: SessionDoc, n: number): Promise<SessionEvent[]> {
    if (doc.eventsBytes === 0) return [];
    const handle = await open(this.eventsPath(k), 'r');
    try {
      const chunks: Buffer[] = [];
      let end = doc.eventsBytes;
      let newlines = 0;
      while (end > 0 && newlines <= n) {
        const size = Math.min(64 * 1024, end);
        const buf = Buffer.alloc(size);
        await handle.read(buf, 0, size, end - size);
        for (const byte of buf) if (byte === 10) newlines++;
        chunks.unshift(buf);
        end -= size;
      }
      const lines = parseLines(Buffer.concat(chunks).toString('utf8'), end > 0);
      return lines.slice(Math.max(0, lines.length - n));
    } finally {
      await handle.close();
    }
  }

  /** File changes for a state delta: app and user documents, and the session's own state (in `doc`). */
  private async deltaOps(k: ResolvedKey, doc: SessionDoc, delta: ScopedDelta | null): Promise<FileOp[]> {
    if (!delta) return [];
    const ops: FileOp[] = [];
    for (const [name, json] of delta.session) setOwn(doc.state, name, JSON.parse(json));
    if (delta.app.length) {
      const path = this.appPath(k.tenant, k.appName);
      ops.push({ write: path, content: sharedText({ tenant: k.tenant, appName: k.appName }, applyEntries((await this.readShared(path)) ?? {}, delta.app)) });
    }
    if (delta.user.length) {
      const path = this.userPath(k.tenant, k.appName, k.userId);
      ops.push({
        write: path,
        content: sharedText({ tenant: k.tenant, appName: k.appName, userId: k.userId }, applyEntries((await this.readShared(path)) ?? {}, delta.user)),
      });
    }
    return ops;
  }

  private async readShared(path: string): Promise<JsonObject | null> {
    const doc = await readJson<{ state: JsonObject }>(path);
    return doc ? doc.state : null;
  }

  private async writeShared(path: string, owner: JsonObject, entries: StateEntry[]): Promise<JsonObject> {
    const state = applyEntries((await this.readShared(path)) ?? {}, entries);
    if (entries.length) await this.commit([{ write: path, content: sharedText(owner, state) }]);
    return state;
  }

  private async toSession(doc: SessionDoc, events: SessionEvent[] | null): Promise<Session> {
    const s = doc.session;
    const state: JsonObject = {};
    for (const source of [await this.readShared(this.appPath(s.tenant, s.appName)), await this.readShared(this.userPath(s.tenant, s.appName, s.userId)), doc.state]) {
      if (source) for (const key of Object.keys(source)) setOwn(state, key, source[key]);
    }
    const out = sessionFromRow(fieldsToRow(s), state);
    if (events) out.events = events;
    return out;
  }

  /** Every session row, from the index (built by reading every document the first time). */
  private async rows(): Promise<Map<string, SessionRow>> {
    if (this.index) return this.index;
    const index = new Map<string, SessionRow>();
    const root = join(this.dir, 'sessions');
    for (const shard of await listDir(root)) {
      for (const name of await listDir(join(root, shard))) {
        if (!name.endsWith('.json') || name.endsWith('.events.jsonl')) continue;
        const path = join(root, shard, name);
        const doc = await readJson<SessionDoc>(path);
        if (doc) index.set(path, fieldsToRow(doc.session));
      }
    }
    this.index = index;
    return index;
  }

  private indexSet(doc: SessionDoc): void {
    const s = doc.session;
    this.index?.set(this.sessionPath({ tenant: s.tenant, appName: s.appName, userId: s.userId, sessionId: s.id }), fieldsToRow(s));
  }

  private async allFiles(): Promise<FileRecord[]> {
    const root = join(this.dir, 'files');
    const out: FileRecord[] = [];
    for (const name of await listDir(root)) {
      if (!name.endsWith('.json')) continue;
      const f = await readJson<FileRecord>(join(root, name));
      if (f) out.push(f);
    }
    return out;
  }
}

// ---- helpers

async function applyOp(op: FileOp): Promise<void> {
  if ('write' in op) await writeFileAtomic(op.write, op.content, { backup: true });
  else if ('append' in op) await appendAt(op.append, op.offset, op.text);
  else await removeFile(op.remove);
}

/** Keeps only the last write to each path (an append with several app: deltas writes the app document once). */
function mergeWrites(ops: FileOp[]): FileOp[] {
  const lastWrite = new Map<string, number>();
  ops.forEach((op, i) => {
    if ('write' in op) lastWrite.set(op.write, i);
  });
  return ops.filter((op, i) => !('write' in op) || lastWrite.get(op.write) === i);
}

async function readJson<T>(path: string): Promise<T | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return JSON.parse(text) as T;
}

async function listDir(path: string): Promise<string[]> {
  try {
    return (await readdir(path)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

function docText(doc: SessionDoc): string {
  return JSON.stringify(doc, null, 2) + '\n';
}

function sharedText(owner: JsonObject, state: JsonObject): string {
  return JSON.stringify({ ...owner, state }, null, 2) + '\n';
}

function applyEntries(state: JsonObject, entries: readonly StateEntry[]): JsonObject {
  for (const [name, json] of entries) setOwn(state, name, JSON.parse(json));
  return state;
}

/** One event as a JSON Lines record, built from JSON text already serialized. */
function eventLine(e: EventRow): string {
  let line = `{"id":${JSON.stringify(e.id)},"seq":${e.seq},"timestamp":${e.timestamp},"author":${JSON.stringify(e.author)}`;
  if (e.role !== null) line += `,"role":${JSON.stringify(e.role)}`;
  if (e.invocation_id !== null) line += `,"invocationId":${JSON.stringify(e.invocation_id)}`;
  if (e.content !== null) line += `,"content":${e.content}`;
  if (e.state_delta !== null) line += `,"stateDelta":${e.state_delta}`;
  if (e.metadata !== null) line += `,"metadata":${e.metadata}`;
  return line + '}\n';
}

/** Parses JSON Lines; with `partialFirst` the first line may be cut (a tail read) and is dropped. */
function parseLines(text: string, partialFirst = false): SessionEvent[] {
  const lines = text.split('\n');
  if (partialFirst) lines.shift();
  const out: SessionEvent[] = [];
  for (const line of lines) {
    if (line) out.push(JSON.parse(line) as SessionEvent);
  }
  return out;
}

function rowToFields(row: SessionRow): SessionDoc['session'] {
  const { state: _state, ...fields } = sessionFromRow(row, {});
  return fields;
}

function fieldsToRow(s: SessionDoc['session']): SessionRow {
  return {
    tenant: s.tenant, app_name: s.appName, user_id: s.userId, id: s.id, metadata: JSON.stringify(s.metadata), model: s.model,
    status: s.status, created_at: s.createdAt, updated_at: s.updatedAt, last_activity_at: s.lastActivityAt, expires_at: s.expiresAt,
    event_count: s.eventCount, request_count: s.requestCount, request_ms_total: s.requestMsTotal, version: s.version,
  };
}

function fileRowOf(f: FileRecord): Pick<FileRow, 'uploaded_at' | 'id'> {
  return { uploaded_at: f.uploadedAt, id: f.id };
}

