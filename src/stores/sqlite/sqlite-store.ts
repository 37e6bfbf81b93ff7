import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Database, Statement } from 'better-sqlite3';
import { systemClock, type Clock } from '../../core/clock.js';
import { loadDriver } from '../../core/driver.js';
import {
  SessionDbError,
  SessionExistsError,
  SessionNotFoundError,
  SchemaMismatchError,
  StoreClosedError,
  UnavailableError,
  ValidationError,
} from '../../core/errors.js';
import { resolveLimits, type Limits } from '../../core/limits.js';
import {
  eventCursor,
  fileCursor,
  fileListing,
  resolveCountQuery,
  resolveEventRange,
  resolveFileQuery,
  resolveReadOptions,
  resolveSessionQuery,
  sessionCursor,
  sessionListing,
  resolveScan,
  scanCursor,
} from '../../core/paging.js';
import {
  checkRewindInput,
  createdStateChange,
  patchStateChange,
  planRewind,
  resolveSupersededRange,
  stateAtSeq,
  stateChangeFromRow,
  supersededCursor,
  type DeltaAtSeq,
  type StateChangeRow,
} from '../../core/history.js';
import { checkExpected, expectedVersion, newSessionRow, planAppend } from '../../core/plan.js';
import { nextSearchCursor, prepareSearch } from '../../core/search/prepare.js';
import type { SearchTree } from '../../core/search/query.js';
import { matchTree } from '../../core/search/match.js';
import { hitOf } from '../../core/search/scan.js';
import { searchableText, sessionTitle } from '../../core/search/text.js';
import { prepareFile, prepareKeyUpdate, prepareNewSession, preparePatch, prepareScopeDelta, prepareSnapshot, type PreparedPatch } from '../../core/prepare.js';
import {
  eventFromRow,
  fileFromRow,
  sessionFromRow,
  sharedItem,
  supersededFromRow,
  type EventRow,
  type FileRow,
  type SessionRow,
  type SupersededRow,
} from '../../core/rows.js';
import { setOwn } from '../../core/json.js';
import { deletionsOf, entriesToState, type ScopedDelta } from '../../core/state.js';
import type { FileKey, MigrateOptions, MigrationStatus, SessionStore, StoreCapabilities } from '../../core/store.js';
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
  StateChange,
  StoreStats,
  SupersededPage,
  SupersededRange,
  SweepOptions,
  SweepResult,
  UserKey,
  WriteOptions,
} from '../../core/types.js';
import {
  checkActivity,
  resolveSweep,
  prepareEvents,
  resolveAppKey,
  resolveFileKey,
  resolveKey,
  resolveTenant,
  resolveUserKey,
  type PreparedEvent,
  type ResolvedKey,
} from '../../core/validate.js';
import { SQLITE_MIGRATIONS, SQLITE_SCHEMA_VERSION, type SqliteMigration } from './migrations.js';
import {
  bufferedHitsParams,
  bufferedHitsSql,
  eventHitsParams,
  eventHitsSql,
  matchExpression,
  mergeHits,
  scoreOf,
  searchShape,
  titleHitsParams,
  titleHitsSql,
  type RankedHit,
} from './search.js';
import { eventIndexText, titleIndexText } from './search-index.js';
import { bm25, BUFFER_SQL, bufferEvent, flushIfFull, indexStats, wordsOfIndexText } from './index-buffer.js';
import { countSessionsSql, listFilesSql, listSessionsSql, prepareStatements, type Statements } from './statements.js';
import { readStats } from './stats.js';
import { StatsThread } from './stats-thread.js';

export interface SqliteStoreOptions {
  /** A file path, or `':memory:'` for a private in-memory database. The parent directory is created. */
  path: string;
  /**
   * `'normal'` (default): with WAL, a committed append survives a process crash
   * but the last commits may be lost on power failure or OS crash.
   * `'full'`: fsync on every commit, so they survive power failure too (slower).
   */
  synchronous?: 'normal' | 'full';
  /** How long a write waits for another process's lock before failing `unavailable`. Default 5000 ms. */
  busyTimeoutMs?: number;
  limits?: Partial<Limits>;
  clock?: Clock;
}

type SessionRowWithPk = SessionRow & { pk: number };
type WriteTarget = { pk: number; version: number; event_count: number };
type BufferedRow = { pk: number; body: string; at: number; seq: number };

/** Sessions deleted per transaction by an expiry sweep, so that no sweep holds the write lock for long. */
const SWEEP_BATCH = 500;
/** Rows indexed per transaction when a migration builds the search index over stored events. */
const BUILD_BATCH = 5000;
/** The least time between two progress reports of a migration. */
const PROGRESS_EVERY_MS = 250;

/**
 * The embedded default store, on better-sqlite3. WAL journal, one IMMEDIATE
 * transaction per write (so concurrent processes serialize cleanly instead of
 * failing on lock upgrades), statements prepared once.
 */
export class SqliteStore implements SessionStore {
  readonly kind = 'sqlite';
  readonly limits: Limits;
  readonly path: string;
  readonly capabilities: StoreCapabilities;
  private readonly options: SqliteStoreOptions;
  private readonly clock: Clock;
  private db: Database | null = null;
  private st: Statements | null = null;
  private opening: Promise<Statements> | null = null;
  private closed = false;
  /** Where `stats()` runs its scans: a worker thread, for a database file when the compiled worker is present. */
  private readonly statsThread: StatsThread | null;
  private readonly listCache = new Map<string, Statement<unknown[]>>();
  private tx!: ReturnType<SqliteStore['makeTransactions']>;

  constructor(options: SqliteStoreOptions) {
    if (!options || typeof options.path !== 'string' || options.path.length === 0) {
      throw new ValidationError('path', 'must be a file path or ":memory:"', 'Example: new SqliteStore({ path: "./data/sessions.db" }).');
    }
    if (options.synchronous !== undefined && options.synchronous !== 'normal' && options.synchronous !== 'full') {
      throw new ValidationError('synchronous', `must be "normal" or "full", got ${JSON.stringify(options.synchronous)}`);
    }
    this.options = options;
    this.path = options.path === ':memory:' ? ':memory:' : resolve(options.path);
    this.limits = resolveLimits(options.limits);
    this.clock = options.clock ?? systemClock;
    const onDisk = this.path !== ':memory:';
    this.capabilities = { sharedAcrossProcesses: onDisk, backup: onDisk, vacuum: true, indexedSearch: true, search: true };
    this.statsThread = onDisk && StatsThread.available ? new StatsThread(this.path, options.busyTimeoutMs ?? 5000) : null;
  }

  // ---- lifecycle

  /**
   * Applies the pending migrations, each in its own IMMEDIATE transaction.
   * Building the search index over events stored before it (migration 5)
   * takes one transaction per 5,000 rows and reports `{ step: 'search index',
   * done, total }`; interrupted, it resumes where it stopped. `toVersion`
   * (for tests) stops at an older schema.
   */
  async migrate(options: MigrateOptions & { toVersion?: number } = {}): Promise<void> {
    const db = await this.connection();
    const target = options.toVersion ?? SQLITE_SCHEMA_VERSION;
    for (const m of SQLITE_MIGRATIONS) {
      if (m.version > target) break;
      if (m.build) this.runBuild(db, m, options.onProgress);
      else this.run(() => db.transaction(() => this.currentVersion(db) < m.version && this.applied(db, m, () => db.exec(m.sql!))).immediate());
    }
    if (target === SQLITE_SCHEMA_VERSION) this.prepare(db);
  }

  /** Runs `apply` and records the migration (inside the caller's transaction). */
  private applied(db: Database, m: SqliteMigration, apply: () => void): true {
    apply();
    db.prepare('INSERT INTO sessiondb_migrations (version, description, applied_at) VALUES (?, ?, ?)').run(m.version, m.description, Date.now());
    return true;
  }

  /** A migration over stored rows: one transaction per batch; the batch that finishes records the version. */
  private runBuild(db: Database, m: SqliteMigration, onProgress: MigrateOptions['onProgress']): void {
    const build = m.build!;
    const start = this.run(() => db.transaction(() => (this.currentVersion(db) < m.version ? build.backlog(db) : null))());
    if (!start) return;
    let total = start.total;
    let reported = 0;
    const report = (done: number, final: boolean) => {
      if (!onProgress || (!final && Date.now() - reported < PROGRESS_EVERY_MS)) return;
      reported = Date.now();
      total = Math.max(total, done);
      onProgress({ step: build.step, done, total: final ? done : total });
    };
    report(start.done, false);
    for (;;) {
      const step = this.run(() =>
        db
          .transaction(() => {
            if (this.currentVersion(db) >= m.version) return null;
            const r = build.batch(db, BUILD_BATCH);
            if (r.finished) this.applied(db, m, () => undefined);
            return r;
          })
          .immediate(),
      );
      if (!step) return;
      report(step.done, step.finished);
      if (step.finished) return;
    }
  }

  async migrationStatus(): Promise<MigrationStatus> {
    const db = await this.connection();
    const current = this.run(() => this.currentVersion(db));
    return {
      current,
      latest: SQLITE_SCHEMA_VERSION,
      pending: SQLITE_MIGRATIONS.filter((m) => m.version > current).map(({ version, description }) => ({ version, description })),
    };
  }

  /**
   * Closes the database. The index buffer is left as it is: moving it into
   * FTS5 here would write a segment for every short-lived process's few
   * events, the cost the buffer exists to avoid.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const db = this.db;
    this.db = null;
    this.st = null;
    await this.statsThread?.close();
    if (db?.open) db.close();
  }

  /**
   * Moves the index buffer into FTS5, merges the search indexes' segments,
   * rebuilds the file to reclaim space and truncates the WAL.
   */
  async vacuum(): Promise<void> {
    const db = await this.connection();
    this.run(() => {
      if (this.currentVersion(db) >= 4) {
        db.transaction(() => {
          db.exec(`${BUFFER_SQL.flushBuffer}; ${BUFFER_SQL.clearBuffer}`);
          db.exec(`INSERT INTO event_index (event_index) VALUES ('optimize'); INSERT INTO title_index (title_index) VALUES ('optimize')`);
        }).immediate();
      }
      db.exec('VACUUM');
      if (this.path !== ':memory:') db.pragma('wal_checkpoint(TRUNCATE)');
    });
  }

  /** SQLite's online backup of the whole file to `path`: consistent while other writers run. */
  async backup(path: string): Promise<void> {
    if (!this.capabilities.backup) throw new ValidationError('path', 'an in-memory database has no file to back up');
    const db = await this.connection();
    await db.backup(path);
  }

  /** The better-sqlite3 handle, for backups and inspection. Opens the database if needed. */
  async database(): Promise<Database> {
    return this.connection();
  }

  // ---- sessions

  async createSession(input: NewSession): Promise<Session> {
    const st = await this.ready();
    const p = prepareNewSession(input, this.limits);
    const now = this.clock.now();
    return this.run(() => this.tx.create(st, p, now));
  }

  async getSession(key: SessionKey, options?: ReadOptions): Promise<Session | null> {
    const st = await this.ready();
    const k = resolveKey(key, this.limits);
    const read = resolveReadOptions(options);
    return this.run(() => this.tx.read(st, k, read));
  }

  async listSessions(query: SessionQuery): Promise<SessionPage> {
    const st = await this.ready();
    const q = resolveSessionQuery(query, this.limits);
    const { shape, params } = sessionListing(q);
    const stmt = this.listStatement(JSON.stringify(shape), () => listSessionsSql(shape));
    return this.run(() =>
      this.db!.transaction(() => {
        const rows = stmt.all(...params) as SessionRowWithPk[];
        const page = rows.slice(0, q.limit);
        const shared = new Map<string, JsonObject>();
        const sessions = page.map((row) => sessionFromRow(row, this.mergedState(st, row, shared)));
        const last = page[page.length - 1];
        return {
          sessions,
          nextCursor:
            rows.length > q.limit && last
              ? sessionCursor(q.order, { updatedAt: last.updated_at, id: last.id, appName: last.app_name, userId: last.user_id })
              : null,
        };
      })(),
    );
  }

  async countSessions(query: SessionCountQuery): Promise<number> {
    await this.ready();
    const q = resolveCountQuery(query, this.limits);
    const shape = { app: q.appName !== undefined, user: q.userId !== undefined, status: q.status !== undefined };
    const params = [q.tenant, q.appName, q.userId, q.status].filter((v) => v !== undefined);
    const stmt = this.listStatement('count' + JSON.stringify(shape), () => countSessionsSql(shape));
    return this.run(() => stmt.pluck().get(...params) as number);
  }

  async updateSession(key: SessionKey, patch: SessionPatch, options?: WriteOptions): Promise<Session> {
    const k = resolveKey(key, this.limits);
    return this.patch(k, preparePatch(patch, this.limits), expectedVersion(options));
  }

  async updateKeys(key: SessionKey, delta: JsonObject, options?: WriteOptions): Promise<Session> {
    const k = resolveKey(key, this.limits);
    return this.patch(k, prepareKeyUpdate(delta, this.limits), expectedVersion(options));
  }

  /** A patch (or key update) in one IMMEDIATE transaction: the row, then the state upserts and deletions. */
  private async patch(k: ResolvedKey, p: PreparedPatch, expect: number | undefined): Promise<Session> {
    const st = await this.ready();
    const now = this.clock.now();
    return this.run(() =>
      this.tx.write(() => {
        const target = this.target(st, k, expect);
        const before = p.metadata === undefined ? null : (st.sessionMetadata.pluck().get(target.pk) as string);
        st.patchSession.run(
          p.metadata ?? null,
          p.model !== undefined ? 1 : 0,
          p.model ?? null,
          p.status ?? null,
          p.expiresAt !== undefined ? 1 : 0,
          p.expiresAt ?? null,
          p.lastActivityAt ?? null,
          now,
          target.pk,
        );
        this.applyDelta(st, k, target.pk, p.delta);
        const change = patchStateChange(p.delta, target.event_count);
        if (change) this.logStateChange(st, target.pk, change);
        if (before !== null) this.indexTitle(st, target.pk, before, p.metadata!);
        return this.sessionAt(st, target.pk);
      }),
    );
  }

  async importSession(snapshot: SessionSnapshot, options: { replace?: boolean } = {}): Promise<Session> {
    const st = await this.ready();
    const { row: r, state, events, history } = prepareSnapshot(snapshot, this.limits);
    return this.run(() =>
      this.tx.write(() => {
        const existing = st.sessionForWrite.get(r.tenant, r.app_name, r.user_id, r.id) as WriteTarget | undefined;
        if (existing) {
          if (!options.replace) throw new SessionExistsError({ appName: r.app_name, userId: r.user_id, sessionId: r.id });
          st.deleteSessionByPk.run(existing.pk);
        }
        const { pk } = st.importSession.get(
          r.tenant, r.app_name, r.user_id, r.id, r.metadata, r.model, r.status, r.created_at, r.updated_at, r.last_activity_at,
          r.expires_at, r.event_count, r.request_count, r.request_ms_total, r.version,
        ) as { pk: number };
        for (const [name, json] of state) st.upsertSessionState.run(pk, name, json);
        this.insertEvents(st, pk, events);
        for (const change of history) this.logStateChange(st, pk, change);
        this.indexTitle(st, pk, null, r.metadata);
        return this.sessionAt(st, pk);
      }),
    );
  }

  async deleteSession(key: SessionKey): Promise<boolean> {
    const st = await this.ready();
    const k = resolveKey(key, this.limits);
    return this.run(() => st.deleteSession.run(k.tenant, k.appName, k.userId, k.sessionId).changes > 0);
  }

  // ---- events

  async appendEvents(key: SessionKey, events: NewEvent[], options?: WriteOptions): Promise<AppendResult> {
    const st = await this.ready();
    const k = resolveKey(key, this.limits);
    const prepared = prepareEvents(events, this.limits);
    const expect = expectedVersion(options);
    const now = this.clock.now();
    return this.run(() => this.tx.append(st, k, prepared, expect, now));
  }

  async readEvents(key: SessionKey, range?: EventRange): Promise<EventPage | null> {
    const st = await this.ready();
    const k = resolveKey(key, this.limits);
    const r = resolveEventRange(range, this.limits);
    return this.run(() =>
      this.db!.transaction((): EventPage | null => {
        const target = st.sessionForWrite.get(k.tenant, k.appName, k.userId, k.sessionId) as WriteTarget | undefined;
        if (!target) return null;
        const stmt = r.order === 'asc' ? st.eventsAfterSeq : st.eventsBeforeSeq;
        const rows = stmt.all(target.pk, r.bound, r.limit + 1) as EventRow[];
        const page = rows.slice(0, r.limit);
        return {
          events: page.map(eventFromRow),
          nextCursor: rows.length > r.limit ? eventCursor(r.order, page[page.length - 1]!.seq) : null,
        };
      })(),
    );
  }

  /**
   * One IMMEDIATE transaction: the session's own state is rebuilt as of
   * `toSeq` (its state-change log and the deltas of events 1..toSeq), the
   * later events move to `superseded_events` (the delete trigger takes them
   * out of the search index) and the log loses the changes made after them.
   */
  async rewindSession(key: SessionKey, input: RewindInput, options?: WriteOptions): Promise<RewindResult> {
    const st = await this.ready();
    const k = resolveKey(key, this.limits);
    const toSeq = checkRewindInput(input);
    const expect = expectedVersion(options);
    const now = this.clock.now();
    return this.run(() =>
      this.tx.write((): RewindResult => {
        const target = st.sessionForWrite.get(k.tenant, k.appName, k.userId, k.sessionId) as WriteTarget | undefined;
        if (!target) throw new SessionNotFoundError(k);
        const plan = planRewind({ head: target, toSeq, expectVersion: expect, now });
        if (plan.kind === 'noop') return { session: this.sessionAt(st, target.pk), superseded: 0 };
        const changes = (st.stateChanges.all(target.pk) as StateChangeRow[]).map(stateChangeFromRow);
        const own = stateAtSeq(changes, st.deltasUpTo.iterate(target.pk, toSeq) as Iterable<DeltaAtSeq>, toSeq);
        st.clearSessionState.run(target.pk);
        for (const name of Object.keys(own)) st.upsertSessionState.run(target.pk, name, JSON.stringify(own[name]));
        st.supersede.run(plan.head.version, plan.supersededAt, target.pk, toSeq);
        st.dropEventsAfter.run(target.pk, toSeq);
        st.dropStateChangesAfter.run(target.pk, toSeq);
        st.afterRewind.run(plan.head.version, plan.head.event_count, plan.head.updated_at, target.pk);
        return { session: this.sessionAt(st, target.pk), superseded: plan.superseded };
      }),
    );
  }

  async readSupersededEvents(key: SessionKey, range?: SupersededRange): Promise<SupersededPage | null> {
    const st = await this.ready();
    const k = resolveKey(key, this.limits);
    const r = resolveSupersededRange(range, this.limits);
    return this.run(() =>
      this.db!.transaction((): SupersededPage | null => {
        const target = st.sessionForWrite.get(k.tenant, k.appName, k.userId, k.sessionId) as WriteTarget | undefined;
        if (!target) return null;
        const rows = st.supersededPage.all(target.pk, r.after[0], r.after[1], r.limit + 1) as SupersededRow[];
        const page = rows.slice(0, r.limit);
        const last = page[page.length - 1];
        return { events: page.map(supersededFromRow), nextCursor: rows.length > r.limit && last ? supersededCursor(last.superseded_by, last.seq) : null };
      })(),
    );
  }

  async readStateHistory(key: SessionKey): Promise<StateChange[] | null> {
    const st = await this.ready();
    const k = resolveKey(key, this.limits);
    return this.run(() =>
      this.db!.transaction((): StateChange[] | null => {
        const target = st.sessionForWrite.get(k.tenant, k.appName, k.userId, k.sessionId) as WriteTarget | undefined;
        return target ? (st.stateChanges.all(target.pk) as StateChangeRow[]).map(stateChangeFromRow) : null;
      })(),
    );
  }

  /**
   * FTS5: the best `offset + limit + 1` events and titles (bm25), and the
   * buffered events (index-buffer.ts) matched in JavaScript and scored with
   * the same bm25, merged by score; only the hits of the page are read
   * whole. Snippets are made from the stored text by core (`hitOf`), not by
   * FTS5's snippet().
   */
  async searchEvents(query: SearchQuery): Promise<SearchPage> {
    const st = await this.ready();
    const p = prepareSearch(query, this.limits);
    const match = matchExpression(p.tree);
    const shape = searchShape(p);
    const want = p.offset + p.limit + 1;
    const key = JSON.stringify(shape);
    const eventStmt = this.listStatement('search-events' + key, () => eventHitsSql(shape));
    const bufferedStmt = this.listStatement('search-buffered' + key, () => bufferedHitsSql(shape));
    const titleStmt = p.titles ? this.listStatement('search-titles' + key, () => titleHitsSql(shape)) : null;
    return this.run(() =>
      this.db!.transaction((): SearchPage => {
        const events = eventStmt.all(...eventHitsParams(p, match, want)) as RankedHit[];
        const buffered = this.bufferedHits(st, p.tree, bufferedStmt.all(...bufferedHitsParams(p)) as BufferedRow[]);
        const titles = titleStmt ? (titleStmt.all(...titleHitsParams(p, match, want)) as RankedHit[]) : [];
        const ranked = mergeHits([...events, ...buffered], titles);
        const hits = ranked.slice(p.offset, p.offset + p.limit).map((h) => {
          if (h.title) {
            const row = st.titleHit.get(h.pk) as { tenant: string; app_name: string; user_id: string; session_id: string; metadata: string };
            const title = sessionTitle(JSON.parse(row.metadata) as JsonObject);
            return hitOf(p, hitSession(row), null, title, scoreOf(h.rank));
          }
          const row = st.eventHit.get(h.pk) as EventRow & { tenant: string; app_name: string; user_id: string; session_id: string };
          const event = eventFromRow(row);
          return hitOf(p, hitSession(row), event, searchableText(event.content), scoreOf(h.rank));
        });
        return { hits, nextCursor: nextSearchCursor(p, ranked.length > p.offset + p.limit) };
      })(),
    );
  }

  /** The buffered rows that match the query, ranked as FTS5 will rank them once moved into it. */
  private bufferedHits(st: Statements, tree: SearchTree, rows: BufferedRow[]): RankedHit[] {
    const matched: { row: BufferedRow; counts: number[]; length: number }[] = [];
    for (const row of rows) {
      const words = wordsOfIndexText(row.body);
      const counts = matchTree(words, tree);
      if (counts) matched.push({ row, counts, length: words.length });
    }
    if (!matched.length) return [];
    const stats = indexStats(st, tree);
    return matched.map(({ row, counts, length }) => ({ pk: row.pk, rank: bm25(stats, counts, length), at: row.at, seq: row.seq }));
  }

  async recordActivity(key: SessionKey, activity?: ActivityInput): Promise<Session> {
    const st = await this.ready();
    const k = resolveKey(key, this.limits);
    const { durationMs, count, at } = checkActivity(activity, this.clock);
    return this.run(() =>
      this.tx.write(() => {
        const target = this.target(st, k, undefined);
        st.activity.run(count, durationMs, at, target.pk);
        return this.sessionAt(st, target.pk);
      }),
    );
  }

  // ---- shared state

  async getAppState(key: AppKey): Promise<JsonObject> {
    const st = await this.ready();
    const k = resolveAppKey(key, this.limits);
    return this.run(() => entriesToState(st.appState.raw().all(k.tenant, k.appName) as [string, string][]));
  }

  async getUserState(key: UserKey): Promise<JsonObject> {
    const st = await this.ready();
    const k = resolveUserKey(key, this.limits);
    return this.run(() => entriesToState(st.userState.raw().all(k.tenant, k.appName, k.userId) as [string, string][]));
  }

  async updateAppState(key: AppKey, delta: JsonObject): Promise<JsonObject> {
    const st = await this.ready();
    const k = resolveAppKey(key, this.limits);
    const entries = prepareScopeDelta('app', delta, this.limits);
    return this.run(() =>
      this.tx.write(() => {
        for (const [name, json] of entries) st.upsertAppState.run(k.tenant, k.appName, name, json);
        return entriesToState(st.appState.raw().all(k.tenant, k.appName) as [string, string][]);
      }),
    );
  }

  async updateUserState(key: UserKey, delta: JsonObject): Promise<JsonObject> {
    const st = await this.ready();
    const k = resolveUserKey(key, this.limits);
    const entries = prepareScopeDelta('user', delta, this.limits);
    return this.run(() =>
      this.tx.write(() => {
        for (const [name, json] of entries) st.upsertUserState.run(k.tenant, k.appName, k.userId, name, json);
        return entriesToState(st.userState.raw().all(k.tenant, k.appName, k.userId) as [string, string][]);
      }),
    );
  }

  // ---- file records

  async putFile(record: NewFileRecord): Promise<FileRecord> {
    const st = await this.ready();
    const row = prepareFile(record, this.limits, this.clock.now());
    return this.run(() =>
      this.tx.write(() => {
        let sessionPk: number | null = null;
        if (row.session_id !== null) {
          const owner = { tenant: row.tenant, appName: row.app_name!, userId: row.user_id!, sessionId: row.session_id };
          sessionPk = this.target(st, owner, undefined).pk;
        }
        st.upsertFile.run(
          row.tenant, row.id, row.name, row.uri, row.display_name, row.size, row.mime_type, row.uploaded_at,
          row.expires_at, row.metadata, sessionPk, row.app_name, row.user_id, row.session_id,
        );
        return fileFromRow(row);
      }),
    );
  }

  async getFile(key: FileKey): Promise<FileRecord | null> {
    const st = await this.ready();
    const { tenant, id } = resolveFileKey(key, this.limits);
    return this.run(() => {
      const row = st.fileById.get(tenant, id) as FileRow | undefined;
      return row ? fileFromRow(row) : null;
    });
  }

  async listFiles(query: FileQuery = {}): Promise<FilePage> {
    await this.ready();
    const q = resolveFileQuery(query, this.limits);
    const { shape, params } = fileListing(q);
    const stmt = this.listStatement('files' + JSON.stringify(shape), () => listFilesSql(shape));
    return this.run(() => {
      const rows = stmt.all(...params) as FileRow[];
      const page = rows.slice(0, q.limit);
      return { files: page.map(fileFromRow), nextCursor: rows.length > q.limit ? fileCursor(page[page.length - 1]!) : null };
    });
  }

  async deleteFile(key: FileKey): Promise<boolean> {
    const st = await this.ready();
    const { tenant, id } = resolveFileKey(key, this.limits);
    return this.run(() => st.deleteFile.run(tenant, id).changes > 0);
  }

  // ---- whole-store scans

  async scanSessionKeys(query?: ScanQuery): Promise<SessionKeyPage> {
    const st = await this.ready();
    const { limit, after } = resolveScan('sessions', 4, query, this.limits);
    return this.run(() => {
      const rows = st.scanSessions.raw().all(...(after ?? ['', '', '', '']), limit + 1) as [string, string, string, string][];
      const page = rows.slice(0, limit);
      return {
        keys: page.map(([tenant, appName, userId, sessionId]) => ({ tenant, appName, userId, sessionId })),
        nextCursor: rows.length > limit ? scanCursor('sessions', page[page.length - 1]!) : null,
      };
    });
  }

  async scanSharedState(scope: 'app' | 'user', query?: ScanQuery): Promise<SharedStatePage> {
    const st = await this.ready();
    const width = scope === 'app' ? 2 : 3;
    const { limit, after } = resolveScan(scope, width, query, this.limits);
    return this.run(() =>
      this.db!.transaction((): SharedStatePage => {
        const owners = (scope === 'app' ? st.scanAppOwners : st.scanUserOwners).raw().all(...(after ?? new Array(width).fill('')), limit + 1) as string[][];
        const page = owners.slice(0, limit);
        const items = page.map((parts) => {
          const entries = (scope === 'app' ? st.appState : st.userState).raw().all(...parts) as [string, string][];
          return sharedItem(parts, entriesToState(entries));
        });
        return { items, nextCursor: owners.length > limit ? scanCursor(scope, page[page.length - 1]!) : null };
      })(),
    );
  }

  async scanFiles(query?: ScanQuery): Promise<FilePage> {
    const st = await this.ready();
    const { limit, after } = resolveScan('files', 2, query, this.limits);
    return this.run(() => {
      const rows = st.scanFiles.all(...(after ?? ['', '']), limit + 1) as FileRow[];
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return { files: page.map(fileFromRow), nextCursor: rows.length > limit && last ? scanCursor('files', [last.tenant, last.id]) : null };
    });
  }

  // ---- expiry and totals

  async sweepExpired(options: SweepOptions = {}): Promise<SweepResult> {
    const st = await this.ready();
    const { now, idleBefore, mode } = resolveSweep(options, this.clock);
    return this.run(() => {
      let sessions = 0;
      if (mode === 'mark') {
        sessions = this.tx.write(() => st.markExpired.run(now, now).changes + (idleBefore === null ? 0 : st.markIdle.run(now, idleBefore).changes));
      } else {
        // In batches, so that no sweep holds the write lock for long.
        const batches: (() => number[])[] = [() => st.expiredSessionPks.pluck().all(now, SWEEP_BATCH) as number[]];
        if (idleBefore !== null) {
          for (const status of ['active', 'expired']) batches.push(() => st.idleSessionPks.pluck().all(status, idleBefore, SWEEP_BATCH) as number[]);
        }
        for (const select of batches) {
          for (;;) {
            const deleted = this.tx.write(() => {
              const pks = select();
              for (const pk of pks) st.deleteSessionByPk.run(pk);
              return pks.length;
            });
            sessions += deleted;
            if (deleted < SWEEP_BATCH) break;
          }
        }
      }
      const files = this.tx.write(() => st.deleteExpiredFiles.run(now).changes);
      return { sessions, files };
    });
  }

  async stats(options: { tenant?: string } = {}): Promise<StoreStats> {
    await this.ready();
    const tenant = options.tenant === undefined ? undefined : resolveTenant(options.tenant, this.limits);
    if (this.statsThread) {
      try {
        return await this.statsThread.read(tenant);
      } catch {
        // The worker could not read (a locked or replaced file…): read here, where errors are mapped.
      }
    }
    return this.run(() => readStats(this.db!, this.path, tenant));
  }

  // ---- internals

  /** Opens the database (once) and checks that the schema is current. */
  private async ready(): Promise<Statements> {
    if (this.st) return this.st;
    if (!this.opening) {
      this.opening = this.connection().then((db) => {
        const current = this.run(() => this.currentVersion(db));
        if (current !== SQLITE_SCHEMA_VERSION) throw new SchemaMismatchError(`The database at ${this.path}`, current, SQLITE_SCHEMA_VERSION);
        return this.prepare(db);
      });
      this.opening.catch(() => {
        this.opening = null;
      });
    }
    return this.opening;
  }

  private prepare(db: Database): Statements {
    if (!this.st) {
      this.st = prepareStatements(db);
      this.tx = this.makeTransactions(db);
    }
    return this.st;
  }

  private async connection(): Promise<Database> {
    if (this.closed) throw new StoreClosedError();
    if (this.db) return this.db;
    const { default: Driver } = await loadDriver('better-sqlite3', 'The SQLite store', () => import('better-sqlite3'));
    if (this.db) return this.db;
    if (this.closed) throw new StoreClosedError();
    const memory = this.path === ':memory:';
    const db = this.run(() => {
      if (!memory) mkdirSync(dirname(this.path), { recursive: true });
      return new Driver(this.path, { timeout: this.options.busyTimeoutMs ?? 5000 });
    });
    this.run(() => {
      if (!memory) db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${this.options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      db.pragma('foreign_keys = ON');
      db.exec(
        'CREATE TABLE IF NOT EXISTS sessiondb_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)',
      );
    });
    this.db = db;
    return db;
  }

  private currentVersion(db: Database): number {
    return (db.prepare('SELECT coalesce(max(version), 0) FROM sessiondb_migrations').pluck().get() as number) ?? 0;
  }

  private makeTransactions(db: Database) {
    const writeTx = db.transaction(<T>(fn: () => T): T => fn());
    const readTx = db.transaction((st: Statements, k: ResolvedKey, read: ReturnType<typeof resolveReadOptions>) => this.readSession(st, k, read));
    const createTx = db.transaction((st: Statements, p: ReturnType<typeof prepareNewSession>, now: number) => {
      const r = newSessionRow(p, now);
      const inserted = st.insertSession.get(r.tenant, r.app_name, r.user_id, r.id, r.metadata, r.model, r.status, r.created_at, r.updated_at, r.last_activity_at, r.expires_at) as
        | { pk: number }
        | undefined;
      if (!inserted) throw new SessionExistsError({ appName: p.appName, userId: p.userId, sessionId: p.id });
      const k = { tenant: p.tenant, appName: p.appName, userId: p.userId, sessionId: p.id };
      this.applyDelta(st, k, inserted.pk, p.state);
      this.logStateChange(st, inserted.pk, createdStateChange(p.state));
      this.indexTitle(st, inserted.pk, null, r.metadata);
      return this.sessionAt(st, inserted.pk);
    });
    const appendTx = db.transaction(
      (st: Statements, k: ResolvedKey, events: PreparedEvent[], expect: number | undefined, now: number): AppendResult => {
        const target = st.sessionForWrite.get(k.tenant, k.appName, k.userId, k.sessionId) as WriteTarget | undefined;
        if (!target) throw new SessionNotFoundError(k);
        const stored = events.map((e) => (e.id === undefined ? undefined : (st.eventById.get(target.pk, e.id) as EventRow | undefined)));
        const plan = planAppend({ head: target, stored, events, expectVersion: expect, now });
        if (plan.kind === 'replay') return { events: plan.events.map(eventFromRow), version: plan.version };
        this.insertEvents(st, target.pk, plan.rows);
        this.applyDelta(st, k, target.pk, plan.delta);
        const h = plan.head;
        st.afterAppend.run(h.event_count, h.updated_at, h.last_activity_at, target.pk);
        return { events: plan.events.map(eventFromRow), version: h.version };
      },
    );
    return {
      write: <T>(fn: () => T): T => writeTx.immediate(fn) as T,
      read: (st: Statements, k: ResolvedKey, read: ReturnType<typeof resolveReadOptions>) => readTx(st, k, read),
      create: (st: Statements, p: ReturnType<typeof prepareNewSession>, now: number) => createTx.immediate(st, p, now),
      append: (st: Statements, k: ResolvedKey, events: PreparedEvent[], expect: number | undefined, now: number) =>
        appendTx.immediate(st, k, events, expect, now),
    };
  }

  private readSession(st: Statements, k: ResolvedKey, read: ReturnType<typeof resolveReadOptions>): Session | null {
    const row = st.sessionByKey.get(k.tenant, k.appName, k.userId, k.sessionId) as SessionRowWithPk | undefined;
    if (!row) return null;
    const session = sessionFromRow(row, this.mergedState(st, row, null));
    if (read.withEvents) {
      session.events = read.lastEvents === 0 ? [] : this.selectEvents(st, row.pk, read.lastEvents, read.afterTimestamp).map(eventFromRow);
    }
    return session;
  }

  private selectEvents(st: Statements, pk: number, last: number | undefined, after: number | undefined): EventRow[] {
    if (last === undefined) {
      return (after === undefined ? st.allEvents.all(pk) : st.eventsSince.all(pk, after)) as EventRow[];
    }
    if (after === undefined) return (st.lastEvents.all(pk, last) as EventRow[]).reverse();
    // Both bounds: when at most N events match, the time index finds them all in O(N);
    // otherwise walk the seq index from the newest, which stops after N matches when
    // timestamps grow with seq (the usual case) and stays correct when they do not.
    const matches = st.countSinceUpTo.pluck().get(pk, after, last + 1) as number;
    if (matches <= last) return st.eventsSince.all(pk, after) as EventRow[];
    return (st.lastEventsSince.all(pk, after, last) as EventRow[]).reverse();
  }

  /** Merged state of a session row; `shared` caches app and user state across the rows of one listing. */
  private mergedState(st: Statements, row: SessionRowWithPk, shared: Map<string, JsonObject> | null): JsonObject {
    const cached = (key: string, load: () => JsonObject): JsonObject => {
      if (!shared) return load();
      let value = shared.get(key);
      if (!value) shared.set(key, (value = load()));
      return value;
    };
    const app = cached(`a\u0000${row.app_name}`, () => entriesToState(st.appState.raw().all(row.tenant, row.app_name) as [string, string][]));
    const user = cached(`u\u0000${row.app_name}\u0000${row.user_id}`, () =>
      entriesToState(st.userState.raw().all(row.tenant, row.app_name, row.user_id) as [string, string][]),
    );
    const state: JsonObject = {};
    for (const source of [app, user]) for (const key of Object.keys(source)) setOwn(state, key, source[key]);
    return entriesToState(st.sessionState.raw().all(row.pk) as [string, string][], state);
  }

  private target(st: Statements, k: ResolvedKey, expect: number | undefined): WriteTarget {
    const target = st.sessionForWrite.get(k.tenant, k.appName, k.userId, k.sessionId) as WriteTarget | undefined;
    if (!target) throw new SessionNotFoundError(k);
    checkExpected(expect, target.version);
    return target;
  }

  private sessionAt(st: Statements, pk: number): Session {
    const row = st.sessionByPk.get(pk) as SessionRowWithPk;
    return sessionFromRow(row, this.mergedState(st, row, null));
  }

  /**
   * Inserts event rows and their search index rows (every event has one,
   * empty when it has no text) into the index buffer, which moves into FTS5
   * when full (index-buffer.ts).
   */
  private insertEvents(st: Statements, sessionPk: number, rows: readonly EventRow[]): void {
    for (const r of rows) {
      const { lastInsertRowid } = st.insertEvent.run(sessionPk, r.seq, r.id, r.timestamp, r.author, r.role, r.invocation_id, r.content, r.state_delta, r.metadata);
      bufferEvent(st, lastInsertRowid, eventIndexText(r.content));
    }
    flushIfFull(st);
  }

  /** Keeps the title index in step with a session's metadata (`before`: null for a new session). */
  private indexTitle(st: Statements, pk: number, before: string | null, after: string): void {
    const old = before === null ? null : titleIndexText(before);
    const now = titleIndexText(after);
    if (old === now) return;
    if (old !== null) st.unindexTitle.run(pk);
    if (now !== null) st.indexTitle.run(pk, now);
  }

  private logStateChange(st: Statements, pk: number, change: StateChangeRow): void {
    st.insertStateChange.run(pk, change.at_seq, change.change);
  }

  private applyDelta(st: Statements, k: ResolvedKey, pk: number, delta: ScopedDelta | null): void {
    if (!delta) return;
    for (const [name, json] of delta.app) st.upsertAppState.run(k.tenant, k.appName, name, json);
    for (const [name, json] of delta.user) st.upsertUserState.run(k.tenant, k.appName, k.userId, name, json);
    for (const [name, json] of delta.session) st.upsertSessionState.run(pk, name, json);
    const unset = deletionsOf(delta);
    for (const name of unset.app) st.deleteAppState.run(k.tenant, k.appName, name);
    for (const name of unset.user) st.deleteUserState.run(k.tenant, k.appName, k.userId, name);
    for (const name of unset.session) st.deleteSessionState.run(pk, name);
  }

  private listStatement(key: string, sql: () => string): Statement<unknown[]> {
    let stmt = this.listCache.get(key);
    if (!stmt) this.listCache.set(key, (stmt = this.db!.prepare(sql())));
    return stmt;
  }

  /** Runs database work, turning lock timeouts and I/O faults into `unavailable`. */
  private run<T>(work: () => T): T {
    if (this.closed) throw new StoreClosedError();
    try {
      return work();
    } catch (err) {
      throw translateSqliteError(err, this.path);
    }
  }
}

function hitSession(row: { tenant: string; app_name: string; user_id: string; session_id: string }) {
  return { tenant: row.tenant, appName: row.app_name, userId: row.user_id, id: row.session_id };
}

const UNAVAILABLE_CODES = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|PROTOCOL|NOTADB|CORRUPT)/;

function translateSqliteError(err: unknown, path: string): unknown {
  if (err instanceof SessionDbError) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.test(code)) {
    const what = code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')
      ? 'the database stayed locked by another writer past the busy timeout; retry, or raise busyTimeoutMs'
      : (err as Error).message;
    return new UnavailableError(`SQLite at ${path}: ${what} (${code}).`, { cause: err });
  }
  return err;
}
