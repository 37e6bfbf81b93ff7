import type { Pool, PoolClient, PoolConfig, QueryResult } from 'pg';
import { systemClock, type Clock } from '../../core/clock.js';
import { loadDriver } from '../../core/driver.js';
import {
  ConflictError,
  SessionDbError,
  SessionExistsError,
  SessionNotFoundError,
  SchemaMismatchError,
  StoreClosedError,
  ValidationError,
} from '../../core/errors.js';
import { setOwn } from '../../core/json.js';
import { resolveLimits, type Limits } from '../../core/limits.js';
import { silentLogger, type Logger } from '../../core/logger.js';
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
import { checkRewindInput, createdStateChange, patchStateChange, planRewind, resolveSupersededRange, stateAtSeq, stateChangeFromRow, supersededCursor, type StateChangeRow } from '../../core/history.js';
import { expectedVersion, newSessionRow } from '../../core/plan.js';
import { nextSearchCursor, prepareSearch } from '../../core/search/prepare.js';
import { hitOf } from '../../core/search/scan.js';
import { searchableText } from '../../core/search/text.js';
import { eventFromStamped, prepareFile, prepareKeyUpdate, prepareNewSession, preparePatch, prepareScopeDelta, prepareSnapshot, stampIdentity, type PreparedPatch } from '../../core/prepare.js';
import { redactSecrets } from '../../core/redact.js';
import { eventFromValues, fileFromRow, fileFromValues, sessionFromValues, sharedItem, type EventValues, type FileValues, type SessionRow, type SessionValues } from '../../core/rows.js';
import { deletionsOf, type StateEntry } from '../../core/state.js';
import type { FileKey, MigrateOptions, MigrationStatus, SessionStore } from '../../core/store.js';
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
  SessionEvent,
  StateChange,
  SupersededPage,
  SupersededRange,
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
  resolveSweep,
  prepareEvents,
  resolveAppKey,
  resolveFileKey,
  resolveKey,
  resolveTenant,
  resolveUserKey,
  type ResolvedKey,
} from '../../core/validate.js';
import { SQLSTATE, sqlstateOf, translatePgError } from './errors.js';
import { PG_MIGRATIONS, PG_SCHEMA_VERSION, pgNames, type PgNames } from './schema.js';
import { backfillSearch, recordSearchConfig, type RunQuery } from './search-backfill.js';
import { checkSearchConfig, DEFAULT_SEARCH_CONFIG, eventIndexText, pgSearchSql, searchParams, searchShape, titleIndexText } from './search.js';
import { pgCountSessionsSql, pgListFilesSql, pgListSessionsSql, pgStatements, type PgStatements } from './statements.js';

export interface PostgresStoreOptions {
  /** `postgres://user:pass@host:5432/db`. Either this or `pool`. */
  connectionString?: string;
  /** A pool you own; the store uses it and does not close it. */
  pool?: Pool;
  /** Pool size bounds (defaults 0 and 10). Ignored with an injected pool. */
  min?: number;
  max?: number;
  /** How long to wait for a connection before failing `unavailable`. Default 10,000 ms. */
  connectTimeoutMs?: number;
  /**
   * How long one statement may take before failing `unavailable`. Enforced by
   * the client, so it also works behind transaction poolers. Default 30,000 ms.
   */
  statementTimeoutMs?: number;
  /** Idle connections close after this long. Default 10,000 ms. */
  idleTimeoutMs?: number;
  /** The schema holding the tables (created by `migrate()`). Default `public`. */
  schema?: string;
  /** Prepended to every table name, e.g. `sdb_`. Default none. */
  tablePrefix?: string;
  /**
   * A direct connection (not through PgBouncer or another transaction pooler)
   * for `migrate()`, which holds a session-level advisory lock. Default: the
   * main connection.
   */
  migrationConnectionString?: string;
  /**
   * The text-search configuration of the search index (`to_tsvector(config, …)`):
   * `simple` (default: words as sessiondb normalizes them, no stemming, no stop
   * words), or e.g. `english` for stemming. Recorded by `migrate()`; changing it
   * means running `migrate()` with the new one, which rebuilds the index (a
   * store with another configuration than the recorded one refuses to start).
   */
  searchConfig?: string;
  limits?: Partial<Limits>;
  clock?: Clock;
  logger?: Logger;
}

type PgSessionRow = SessionValues & {
  pk: string;
  app_state: JsonObject | null;
  user_state: JsonObject | null;
  session_state: JsonObject | null;
  events?: EventValues[];
};

/** Sessions deleted per statement by an expiry sweep. */
const SWEEP_BATCH = 500;
/** The schema version that brought the search index (and its build over stored rows). */
const SEARCH_INDEX_VERSION = PG_MIGRATIONS.find((m) => m.backfill === 'search index')!.version;
/** How long one migration statement (DDL over a big table, a batch of the index build) may take. */
const MIGRATION_STATEMENT_TIMEOUT_MS = 6 * 3600_000;

/**
 * The PostgreSQL store, on `pg`. Every call is one statement (one round trip)
 * except where noted: appends run the `sessiondb_append` function created by
 * the migrations, so they are atomic and work behind transaction poolers
 * (PgBouncer, Supabase), which need single statements and no named prepared
 * statements.
 */
export class PostgresStore implements SessionStore {
  readonly kind = 'postgres';
  readonly limits: Limits;
  readonly names: PgNames;
  readonly capabilities = { sharedAcrossProcesses: true, backup: false, vacuum: true, indexedSearch: true } as const;
  /** The text-search configuration the index uses. */
  readonly searchConfig: string;
  private readonly options: PostgresStoreOptions;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly sql: PgStatements;
  private readonly where: string;
  private pool: Pool | null = null;
  private readonly ownsPool: boolean;
  private checked: Promise<void> | null = null;
  private closed = false;
  private readonly listSql = new Map<string, string>();

  constructor(options: PostgresStoreOptions) {
    if (!options || (!options.pool && !options.connectionString)) {
      throw new ValidationError('connectionString', 'is required (or pass a pg Pool as "pool")', 'Example: postgres://user:password@127.0.0.1:5432/app');
    }
    for (const field of ['min', 'max', 'connectTimeoutMs', 'statementTimeoutMs', 'idleTimeoutMs'] as const) {
      const v = options[field];
      if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) throw new ValidationError(field, `must be a non-negative integer, got ${JSON.stringify(v)}`);
    }
    this.options = options;
    this.limits = resolveLimits(options.limits);
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.names = pgNames(options.schema ?? 'public', options.tablePrefix ?? '');
    this.searchConfig = options.searchConfig === undefined ? DEFAULT_SEARCH_CONFIG : checkSearchConfig('searchConfig', options.searchConfig);
    this.sql = pgStatements(this.names);
    this.ownsPool = !options.pool;
    this.pool = options.pool ?? null;
    this.where = describeTarget(options.connectionString);
  }

  // ---- lifecycle

  /**
   * Applies the pending migrations, then indexes for search whatever is stored
   * and not indexed yet (rows from before schema v4, or all of them after a
   * change of `searchConfig`), in resumable batches reported through
   * `onProgress` (step `search index`). `toVersion` stops early (tests).
   */
  async migrate(options: MigrateOptions & { toVersion?: number } = {}): Promise<void> {
    const target = options.toVersion ?? PG_SCHEMA_VERSION;
    const direct = this.options.migrationConnectionString;
    let client: PoolClient | import('pg').Client;
    let release: () => Promise<void>;
    if (direct) {
      const pg = await loadPg();
      const c = new pg.Client({ connectionString: direct, connectionTimeoutMillis: this.options.connectTimeoutMs ?? 10_000 });
      c.on('error', (err) => this.logger.warn('sessiondb: PostgreSQL migration connection error', { error: redactSecrets(err.message) }));
      await this.guard(() => c.connect(), describeTarget(direct));
      client = c;
      release = () => c.end();
    } else {
      const c = await this.guard(async () => (await this.getPool()).connect());
      client = c;
      release = async () => c.release();
    }
    const lockKey = `sessiondb:${this.names.schema}.${this.names.prefix}`;
    const run: RunQuery = (text, values) => client.query({ text, values, query_timeout: MIGRATION_STATEMENT_TIMEOUT_MS } as never);
    try {
      await this.guard(async () => {
        // Session-level lock: processes racing on an empty database queue here, and
        // the first creates everything, including the schema and the migrations table.
        await run('SELECT pg_advisory_lock(hashtext($1))', [lockKey]);
        try {
          // An unknown configuration is bad input: refused before anything changes.
          if (target >= SEARCH_INDEX_VERSION) await this.checkConfigExists(run);
          await run(`CREATE SCHEMA IF NOT EXISTS ${this.names.schema}`, []);
          await run(this.sql.migrationsTable, []);
          const current = Number((await run(this.sql.schemaVersion, [])).rows[0].version);
          for (const m of PG_MIGRATIONS) {
            if (m.version <= current || m.version > target) continue;
            await run('BEGIN', []);
            try {
              await run(m.sql(this.names), []);
              await run(`INSERT INTO ${this.names.migrations} (version, description) VALUES ($1, $2)`, [m.version, m.description]);
              await run('COMMIT', []);
            } catch (err) {
              await run('ROLLBACK', []).catch(() => undefined);
              throw err;
            }
          }
          if (target >= SEARCH_INDEX_VERSION) {
            await recordSearchConfig(run, this.names, this.searchConfig);
            await backfillSearch(run, this.names, this.searchConfig, options.onProgress);
          }
        } finally {
          await run('SELECT pg_advisory_unlock(hashtext($1))', [lockKey]).catch(() => undefined);
        }
      });
    } finally {
      await release().catch(() => undefined);
    }
    this.checked = null;
  }

  async migrationStatus(): Promise<MigrationStatus> {
    // Two statements, not one: PostgreSQL resolves every table a statement names when it plans
    // it, so on a fresh schema a single query fails on the missing table even behind a CASE.
    const exists = (await this.query('SELECT to_regclass($1) IS NOT NULL AS exists', [this.names.migrations])).rows[0].exists === true;
    const current = exists ? Number((await this.query(`SELECT coalesce(max(version), 0) AS version FROM ${this.names.migrations}`, [])).rows[0].version) : 0;
    return {
      current,
      latest: PG_SCHEMA_VERSION,
      pending: PG_MIGRATIONS.filter((m) => m.version > current).map(({ version, description }) => ({ version, description })),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const pool = this.pool;
    this.pool = null;
    if (pool && this.ownsPool) await pool.end().catch(() => undefined);
  }

  // ---- sessions

  async createSession(input: NewSession): Promise<Session> {
    const p = prepareNewSession(input, this.limits);
    await this.ready();
    const n = newSessionRow(p, this.clock.now());
    const r = await this.query(this.sql.createSession, [
      n.tenant, n.app_name, n.user_id, n.id, n.metadata, n.model, n.status, n.created_at, n.expires_at,
      entriesJson(p.state?.app), entriesJson(p.state?.user), entriesJson(p.state?.session), n.updated_at,
      this.searchConfig, titleIndexText(n.metadata), createdStateChange(p.state).change,
    ]);
    const row = r.rows[0] as PgSessionRow | undefined;
    if (!row) throw new SessionExistsError({ appName: p.appName, userId: p.userId, sessionId: p.id });
    return toSession(row);
  }

  async getSession(key: SessionKey, options?: ReadOptions): Promise<Session | null> {
    const k = resolveKey(key, this.limits);
    const read = resolveReadOptions(options);
    await this.ready();
    const params: unknown[] = [k.tenant, k.appName, k.userId, k.sessionId];
    let sql = this.sql.sessionOnly;
    if (read.withEvents && read.lastEvents !== 0) {
      if (read.lastEvents === undefined && read.afterTimestamp === undefined) sql = this.sql.sessionAllEvents;
      else if (read.afterTimestamp === undefined) (sql = this.sql.sessionLastEvents), params.push(read.lastEvents);
      else if (read.lastEvents === undefined) (sql = this.sql.sessionEventsSince), params.push(read.afterTimestamp);
      else (sql = this.sql.sessionLastEventsSince), params.push(read.afterTimestamp, read.lastEvents);
    }
    const row = (await this.query(sql, params)).rows[0] as PgSessionRow | undefined;
    if (!row) return null;
    const session = toSession(row);
    if (read.withEvents) session.events = (row.events ?? []).map(eventFromValues);
    return session;
  }

  async listSessions(query: SessionQuery): Promise<SessionPage> {
    const q = resolveSessionQuery(query, this.limits);
    await this.ready();
    const { shape, params } = sessionListing(q);
    const key = JSON.stringify(shape);
    let sql = this.listSql.get(key);
    if (!sql) this.listSql.set(key, (sql = pgListSessionsSql(this.names, shape)));
    const rows = (await this.query(sql, params)).rows as PgSessionRow[];
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      sessions: page.map(toSession),
      nextCursor:
        rows.length > q.limit && last
          ? sessionCursor(q.order, { updatedAt: last.updated_at, id: last.id, appName: last.app_name, userId: last.user_id })
          : null,
    };
  }

  async countSessions(query: SessionCountQuery): Promise<number> {
    const q = resolveCountQuery(query, this.limits);
    await this.ready();
    const shape = { app: q.appName !== undefined, user: q.userId !== undefined, status: q.status !== undefined };
    const key = 'count' + JSON.stringify(shape);
    let sql = this.listSql.get(key);
    if (!sql) this.listSql.set(key, (sql = pgCountSessionsSql(this.names, shape)));
    const params = [q.tenant, q.appName, q.userId, q.status].filter((v) => v !== undefined);
    return (await this.query(sql, params)).rows[0].count as number;
  }

  async updateSession(key: SessionKey, patch: SessionPatch, options?: WriteOptions): Promise<Session> {
    const k = resolveKey(key, this.limits);
    return this.patch(k, preparePatch(patch, this.limits), expectedVersion(options) ?? null);
  }

  async updateKeys(key: SessionKey, delta: JsonObject, options?: WriteOptions): Promise<Session> {
    const k = resolveKey(key, this.limits);
    return this.patch(k, prepareKeyUpdate(delta, this.limits), expectedVersion(options) ?? null);
  }

  /** A patch (or key update) as one statement (data-modifying CTEs), so it stays safe behind a pooler. */
  private async patch(k: ResolvedKey, p: PreparedPatch, expect: number | null): Promise<Session> {
    await this.ready();
    const unset = deletionsOf(p.delta);
    const r = await this.query(this.sql.updateSession, [
      k.tenant, k.appName, k.userId, k.sessionId, expect,
      p.metadata ?? null, p.model !== undefined, p.model ?? null, p.status ?? null,
      p.expiresAt !== undefined, p.expiresAt ?? null, this.clock.now(),
      entriesJson(p.delta?.app), entriesJson(p.delta?.user), entriesJson(p.delta?.session), p.lastActivityAt ?? null,
      unset.app, unset.user, unset.session,
      this.searchConfig, p.metadata === undefined ? '' : titleIndexText(p.metadata), patchStateChange(p.delta, 0)?.change ?? null,
    ]);
    const row = r.rows[0] as { version: number | null; updated: string | null };
    if (row.version === null) throw new SessionNotFoundError(k);
    if (row.updated === null) throw new ConflictError(expect!, row.version);
    return this.mustRead(k);
  }

  async importSession(snapshot: SessionSnapshot, options: { replace?: boolean } = {}): Promise<Session> {
    const { row: r, state, events, history } = prepareSnapshot(snapshot, this.limits);
    await this.ready();
    const eventsJson =
      '[' +
      events
        .map(
          (e) =>
            `{"seq":${e.seq},"id":${JSON.stringify(e.id)},"ts":${e.timestamp},"author":${JSON.stringify(e.author)},"role":${JSON.stringify(e.role)},` +
            `"inv":${JSON.stringify(e.invocation_id)},"content":${e.content ?? 'null'},"delta":${e.state_delta ?? 'null'},"meta":${e.metadata ?? 'null'}` +
            indexField(eventIndexText(e.content)) +
            '}',
        )
        .join(',') +
      ']';
    const params = [
      r.tenant, r.app_name, r.user_id, r.id, r.metadata, r.model, r.status, r.created_at, r.updated_at, r.last_activity_at,
      r.expires_at, r.event_count, r.request_count, r.request_ms_total, r.version, entriesJson(state), eventsJson,
      this.searchConfig, titleIndexText(r.metadata), history.map((h) => h.at_seq), history.map((h) => h.change),
    ];
    const key = { tenant: r.tenant, appName: r.app_name, userId: r.user_id, sessionId: r.id };
    await this.transaction(async (client) => {
      if (options.replace) await client.query(this.sql.deleteSession, [key.tenant, key.appName, key.userId, key.sessionId]);
      try {
        await client.query(this.sql.importSession, params);
      } catch (err) {
        if (sqlstateOf(err) === SQLSTATE.uniqueViolation) throw new SessionExistsError(key);
        throw err;
      }
    });
    return this.mustRead(key);
  }

  async deleteSession(key: SessionKey): Promise<boolean> {
    const k = resolveKey(key, this.limits);
    await this.ready();
    return ((await this.query(this.sql.deleteSession, [k.tenant, k.appName, k.userId, k.sessionId])).rowCount ?? 0) > 0;
  }

  // ---- events

  async appendEvents(key: SessionKey, events: NewEvent[], options?: WriteOptions): Promise<AppendResult> {
    const k = resolveKey(key, this.limits);
    const prepared = prepareEvents(events, this.limits);
    const expect = expectedVersion(options) ?? null;
    await this.ready();
    if (prepared.length === 0) {
      const s = await this.getSession(k, { withEvents: false });
      if (!s) throw new SessionNotFoundError(k);
      return { events: [], version: s.version };
    }
    const now = this.clock.now();
    const callerIds = prepared.some((e) => e.id !== undefined);
    const stamped = stampIdentity(prepared, now);
    // Built as text: content, metadata and deltas are JSON text already.
    const payload =
      '[' +
      stamped
        .map(
          (e) =>
            `{"id":${JSON.stringify(e.id)},"ts":${e.timestamp},"author":${JSON.stringify(e.author)},"role":${JSON.stringify(e.role)},` +
            `"inv":${JSON.stringify(e.invocationId)},"content":${e.content ?? 'null'},"delta":${e.delta?.json ?? 'null'},` +
            `"meta":${e.metadata ?? 'null'}` +
            indexField(eventIndexText(e.content)) +
            (e.delta?.app.length ? `,"a":${entriesJson(e.delta.app)}` : '') +
            (e.delta?.user.length ? `,"u":${entriesJson(e.delta.user)}` : '') +
            (e.delta?.session.length ? `,"s":${entriesJson(e.delta.session)}` : '') +
            '}',
        )
        .join(',') +
      ']';
    const call = async (mode: 'new' | 'optimistic' | 'lookup') =>
      (await this.query(this.sql.append, [k.tenant, k.appName, k.userId, k.sessionId, expect, payload, mode, this.searchConfig])).rows[0].result as {
        version: number;
        firstSeq: number;
        existing: Record<string, EventValues>;
      };
    let result: Awaited<ReturnType<typeof call>>;
    try {
      try {
        result = await call(callerIds ? 'optimistic' : 'new');
      } catch (err) {
        // An id was stored already (a retry): ask again, looking the ids up this time.
        if (sqlstateOf(err) !== SQLSTATE.retryWithLookup) throw err;
        result = await call('lookup');
      }
    } catch (err) {
      const code = sqlstateOf(err);
      if (code === SQLSTATE.sessionNotFound) throw new SessionNotFoundError(k);
      if (code === SQLSTATE.versionConflict) throw new ConflictError(expect!, Number((err as { detail?: string }).detail));
      throw err;
    }
    let seq = result.firstSeq;
    const out: SessionEvent[] = stamped.map((e) => {
      const stored = result.existing[e.id];
      return stored ? eventFromValues(stored) : eventFromStamped(e, seq++);
    });
    return { events: out, version: result.version };
  }

  async readEvents(key: SessionKey, range?: EventRange): Promise<EventPage | null> {
    const k = resolveKey(key, this.limits);
    const r = resolveEventRange(range, this.limits);
    await this.ready();
    const sql = r.order === 'asc' ? this.sql.eventsAfterSeq : this.sql.eventsBeforeSeq;
    const row = (await this.query(sql, [k.tenant, k.appName, k.userId, k.sessionId, r.bound, r.limit + 1])).rows[0] as
      | { events: EventValues[] }
      | undefined;
    if (!row) return null;
    const page = row.events.slice(0, r.limit);
    return {
      events: page.map(eventFromValues),
      nextCursor: row.events.length > r.limit ? eventCursor(r.order, page[page.length - 1]!.seq) : null,
    };
  }

  // ---- history

  /**
   * One transaction on one connection: the session row is locked (`FOR UPDATE`)
   * with its head and state log read, the deltas that rebuild the own state are
   * read, and one statement moves the later events to the superseded table, cuts
   * the log, replaces the own state and writes the new head.
   */
  async rewindSession(key: SessionKey, input: RewindInput, options?: WriteOptions): Promise<RewindResult> {
    const k = resolveKey(key, this.limits);
    const toSeq = checkRewindInput(input);
    const expect = expectedVersion(options);
    await this.ready();
    let result: RewindResult | null = null;
    await this.transaction(async (client) => {
      const params = [k.tenant, k.appName, k.userId, k.sessionId];
      const head = (await client.query(this.sql.rewindHead, params)).rows[0] as
        | { pk: string; version: number; event_count: number; changes: StateChangeRow[] }
        | undefined;
      if (!head) throw new SessionNotFoundError(k);
      const plan = planRewind({ head, toSeq, expectVersion: expect, now: this.clock.now() });
      let superseded = 0;
      if (plan.kind === 'rewind') {
        const changes = head.changes.map(stateChangeFromRow);
        // Events up to the last `replace` at or before toSeq cannot change the result: start after it.
        const from = changes.reduce((at, c) => (c.kind === 'replace' && c.atSeq <= toSeq ? Math.max(at, c.atSeq) : at), 0);
        const deltas = (await client.query(this.sql.rewindDeltas, [head.pk, from, toSeq])).rows as { seq: number; stateDelta: JsonObject }[];
        const own = stateAtSeq(changes, deltas, toSeq);
        await client.query(this.sql.rewindApply, [head.pk, toSeq, plan.head.version, plan.supersededAt, JSON.stringify(own), plan.head.updated_at]);
        superseded = plan.superseded;
      }
      const row = (await client.query(this.sql.sessionOnly, params)).rows[0] as PgSessionRow;
      result = { session: toSession(row), superseded };
    });
    return result!;
  }

  async readSupersededEvents(key: SessionKey, range?: SupersededRange): Promise<SupersededPage | null> {
    const k = resolveKey(key, this.limits);
    const { after, limit } = resolveSupersededRange(range, this.limits);
    await this.ready();
    const row = (await this.query(this.sql.superseded, [k.tenant, k.appName, k.userId, k.sessionId, after[0], after[1], limit + 1])).rows[0] as
      | { events: (EventValues & { superseded_at: number; superseded_by: number })[] }
      | undefined;
    if (!row) return null;
    const page = row.events.slice(0, limit);
    const last = page[page.length - 1];
    return {
      events: page.map((e) => ({ ...eventFromValues(e), supersededAt: e.superseded_at, supersededBy: e.superseded_by })),
      nextCursor: row.events.length > limit && last ? supersededCursor(last.superseded_by, last.seq) : null,
    };
  }

  async readStateHistory(key: SessionKey): Promise<StateChange[] | null> {
    const k = resolveKey(key, this.limits);
    await this.ready();
    const row = (await this.query(this.sql.stateHistory, [k.tenant, k.appName, k.userId, k.sessionId])).rows[0] as { changes: StateChangeRow[] } | undefined;
    return row ? row.changes.map(stateChangeFromRow) : null;
  }

  // ---- search

  /**
   * One statement: the GIN indexes of events and titles find the matches, ranked
   * by `ts_rank`; the page's events come back with it. The query reaches
   * PostgreSQL as quoted lexemes only (see search.ts); snippets are made here,
   * by core, from the text as written, as every store makes them.
   */
  async searchEvents(query: SearchQuery): Promise<SearchPage> {
    const p = prepareSearch(query, this.limits);
    await this.ready();
    const shape = searchShape(p);
    const cacheKey = 'search' + JSON.stringify(shape);
    let sql = this.listSql.get(cacheKey);
    if (!sql) this.listSql.set(cacheKey, (sql = pgSearchSql(this.names, shape)));
    const rows = (await this.query(sql, searchParams(p, this.searchConfig))).rows as (Partial<EventValues> & {
      score: number;
      seq: number;
      tenant: string;
      app_name: string;
      user_id: string;
      session_id: string;
      title: unknown;
    })[];
    const hits = rows.slice(0, p.limit).map((r) => {
      const session = { tenant: r.tenant, appName: r.app_name, userId: r.user_id, id: r.session_id };
      if (r.seq === 0) return hitOf(p, session, null, typeof r.title === 'string' ? r.title : '', r.score);
      const event = eventFromValues(r as EventValues);
      return hitOf(p, session, event, searchableText(event.content), r.score);
    });
    return { hits, nextCursor: nextSearchCursor(p, rows.length > p.limit) };
  }

  async recordActivity(key: SessionKey, activity?: ActivityInput): Promise<Session> {
    const k = resolveKey(key, this.limits);
    const { durationMs, count, at } = checkActivity(activity, this.clock);
    await this.ready();
    const r = await this.query(this.sql.recordActivity, [k.tenant, k.appName, k.userId, k.sessionId, durationMs, at, count]);
    if (r.rowCount === 0) throw new SessionNotFoundError(k);
    return this.mustRead(k);
  }

  // ---- shared state

  async getAppState(key: AppKey): Promise<JsonObject> {
    const k = resolveAppKey(key, this.limits);
    await this.ready();
    return copyState((await this.query(this.sql.appState, [k.tenant, k.appName])).rows[0].state);
  }

  async getUserState(key: UserKey): Promise<JsonObject> {
    const k = resolveUserKey(key, this.limits);
    await this.ready();
    return copyState((await this.query(this.sql.userState, [k.tenant, k.appName, k.userId])).rows[0].state);
  }

  async updateAppState(key: AppKey, delta: JsonObject): Promise<JsonObject> {
    const k = resolveAppKey(key, this.limits);
    const entries = prepareScopeDelta('app', delta, this.limits);
    await this.ready();
    return copyState((await this.query(this.sql.updateAppState, [k.tenant, k.appName, entriesJson(entries)])).rows[0].state);
  }

  async updateUserState(key: UserKey, delta: JsonObject): Promise<JsonObject> {
    const k = resolveUserKey(key, this.limits);
    const entries = prepareScopeDelta('user', delta, this.limits);
    await this.ready();
    return copyState((await this.query(this.sql.updateUserState, [k.tenant, k.appName, k.userId, entriesJson(entries)])).rows[0].state);
  }

  // ---- file records

  async putFile(record: NewFileRecord): Promise<FileRecord> {
    const row = prepareFile(record, this.limits, this.clock.now());
    await this.ready();
    const notFound = () =>
      new SessionNotFoundError({ tenant: row.tenant, appName: row.app_name!, userId: row.user_id!, sessionId: row.session_id! });
    let r: QueryResult;
    try {
      r = await this.query(this.sql.putFile, [
        row.tenant, row.id, row.name, row.uri, row.display_name, row.size, row.mime_type, row.uploaded_at, row.expires_at,
        row.metadata, row.app_name, row.user_id, row.session_id,
      ]);
    } catch (err) {
      // The owning session was deleted between the check and the insert.
      if (sqlstateOf(err) === SQLSTATE.foreignKeyViolation) throw notFound();
      throw err;
    }
    if (r.rowCount === 0) throw notFound();
    return fileFromRow(row);
  }

  async getFile(key: FileKey): Promise<FileRecord | null> {
    const { tenant, id } = resolveFileKey(key, this.limits);
    await this.ready();
    const row = (await this.query(this.sql.getFile, [tenant, id])).rows[0] as FileValues | undefined;
    return row ? fileFromValues(row) : null;
  }

  async listFiles(query: FileQuery = {}): Promise<FilePage> {
    const q = resolveFileQuery(query, this.limits);
    await this.ready();
    const { shape, params } = fileListing(q);
    const key = 'files' + JSON.stringify(shape);
    let sql = this.listSql.get(key);
    if (!sql) this.listSql.set(key, (sql = pgListFilesSql(this.names, shape)));
    const rows = (await this.query(sql, params)).rows as FileValues[];
    const page = rows.slice(0, q.limit);
    return { files: page.map(fileFromValues), nextCursor: rows.length > q.limit ? fileCursor(page[page.length - 1]!) : null };
  }

  async deleteFile(key: FileKey): Promise<boolean> {
    const { tenant, id } = resolveFileKey(key, this.limits);
    await this.ready();
    return ((await this.query(this.sql.deleteFile, [tenant, id])).rowCount ?? 0) > 0;
  }

  // ---- whole-store scans

  async scanSessionKeys(query?: ScanQuery): Promise<SessionKeyPage> {
    const { limit, after } = resolveScan('sessions', 4, query, this.limits);
    await this.ready();
    const rows = (await this.query(this.sql.scanSessions, [...(after ?? ['', '', '', '']), limit + 1])).rows as SessionRow[];
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      keys: page.map((r) => ({ tenant: r.tenant, appName: r.app_name, userId: r.user_id, sessionId: r.id })),
      nextCursor: rows.length > limit && last ? scanCursor('sessions', [last.tenant, last.app_name, last.user_id, last.id]) : null,
    };
  }

  async scanSharedState(scope: 'app' | 'user', query?: ScanQuery): Promise<SharedStatePage> {
    const width = scope === 'app' ? 2 : 3;
    const { limit, after } = resolveScan(scope, width, query, this.limits);
    await this.ready();
    const sql = scope === 'app' ? this.sql.scanAppState : this.sql.scanUserState;
    const rows = (await this.query(sql, [...(after ?? new Array(width).fill('')), limit + 1])).rows as {
      tenant: string;
      app_name: string;
      user_id?: string;
      state: JsonObject;
    }[];
    const page = rows.slice(0, limit);
    const parts = (r: (typeof rows)[number]) => (scope === 'app' ? [r.tenant, r.app_name] : [r.tenant, r.app_name, r.user_id!]);
    const last = page[page.length - 1];
    return {
      items: page.map((r) => sharedItem(parts(r), copyState(r.state))),
      nextCursor: rows.length > limit && last ? scanCursor(scope, parts(last)) : null,
    };
  }

  async scanFiles(query?: ScanQuery): Promise<FilePage> {
    const { limit, after } = resolveScan('files', 2, query, this.limits);
    await this.ready();
    const rows = (await this.query(this.sql.scanFiles, [...(after ?? ['', '']), limit + 1])).rows as FileValues[];
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { files: page.map(fileFromValues), nextCursor: rows.length > limit && last ? scanCursor('files', [last.tenant, last.id]) : null };
  }

  // ---- expiry and totals

  async sweepExpired(options: SweepOptions = {}): Promise<SweepResult> {
    const { now, idleBefore, mode } = resolveSweep(options, this.clock);
    await this.ready();
    let sessions = 0;
    if (mode === 'mark') {
      sessions = (await this.query(this.sql.markExpired, [now])).rowCount ?? 0;
      if (idleBefore !== null) sessions += (await this.query(this.sql.markIdle, [now, idleBefore])).rowCount ?? 0;
    } else {
      // In batches, so that no statement holds many row locks for long.
      const batches: [string, unknown[]][] = [[this.sql.deleteExpiredBatch, [now, SWEEP_BATCH]]];
      if (idleBefore !== null) {
        for (const status of ['active', 'expired']) batches.push([this.sql.deleteIdleBatch, [status, idleBefore, SWEEP_BATCH]]);
      }
      for (const [sql, params] of batches) {
        for (;;) {
          const deleted = (await this.query(sql, params)).rowCount ?? 0;
          sessions += deleted;
          if (deleted < SWEEP_BATCH) break;
        }
      }
    }
    const files = (await this.query(this.sql.deleteExpiredFiles, [now])).rowCount ?? 0;
    return { sessions, files };
  }

  async stats(options: { tenant?: string } = {}): Promise<StoreStats> {
    const tenant = options.tenant === undefined ? null : resolveTenant(options.tenant, this.limits);
    await this.ready();
    const s = (await this.query(this.sql.stats, [tenant])).rows[0];
    return {
      sessions: s.sessions,
      activeSessions: s.active,
      archivedSessions: s.archived,
      expiredSessions: s.expired,
      events: s.events,
      stateKeys: s.state_keys,
      files: s.files,
      bytes: s.bytes ?? 0,
      // Whole-store bytes are already pg_total_relation_size of the store's tables.
      ...(tenant === null ? { diskBytes: s.bytes ?? 0 } : {}),
    };
  }

  /** VACUUM ANALYZE of the store's tables (reclaims dead rows, refreshes planner statistics). */
  async vacuum(): Promise<void> {
    await this.ready();
    const n = this.names;
    for (const table of [n.sessions, n.events, n.appState, n.userState, n.sessionState, n.files, n.stateChanges, n.superseded]) {
      await this.query(`VACUUM (ANALYZE) ${table}`, []);
    }
  }

  // ---- internals

  /** Checks once that the schema is current (one round trip), so that a missing migration says so. */
  private ready(): Promise<void> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    if (!this.checked) {
      this.checked = this.migrationStatus().then(async ({ current }) => {
        if (current !== PG_SCHEMA_VERSION) throw new SchemaMismatchError(`The PostgreSQL schema ${this.names.schema} at ${this.where}`, current, PG_SCHEMA_VERSION);
        await this.checkSearchConfig();
      });
      this.checked.catch(() => {
        this.checked = null;
      });
    }
    return this.checked;
  }

  /** The configuration this store searches with must be the one the index was built with. */
  private async checkSearchConfig(): Promise<void> {
    let row: { recorded: string | null; mine: string };
    try {
      row = (await this.query(`SELECT (SELECT value FROM ${this.names.settings} WHERE name = 'search_config') AS recorded, $1::regconfig::text AS mine`, [this.searchConfig])).rows[0];
    } catch (err) {
      throw configError(err, this.searchConfig);
    }
    if (row.recorded !== null && row.recorded !== row.mine) {
      throw new ValidationError(
        'searchConfig',
        `is "${row.mine}", but the search index of ${this.names.schema} at ${this.where} was built with "${row.recorded}"`,
        `Open the store with searchConfig "${row.recorded}", or run migrate() with "${row.mine}" to rebuild the index with it.`,
      );
    }
  }

  /** A configuration that does not exist is the caller's input, refused before anything is written. */
  private async checkConfigExists(run: RunQuery): Promise<void> {
    try {
      await run('SELECT $1::regconfig', [this.searchConfig]);
    } catch (err) {
      throw configError(err, this.searchConfig);
    }
  }

  private async getPool(): Promise<Pool> {
    if (this.closed) throw new StoreClosedError();
    if (this.pool) return this.pool;
    const pg = await loadPg();
    if (this.pool) return this.pool;
    const config: PoolConfig = {
      connectionString: this.options.connectionString,
      min: this.options.min ?? 0,
      max: this.options.max ?? 10,
      connectionTimeoutMillis: this.options.connectTimeoutMs ?? 10_000,
      idleTimeoutMillis: this.options.idleTimeoutMs ?? 10_000,
      query_timeout: this.options.statementTimeoutMs ?? 30_000,
      keepAlive: true,
      application_name: 'sessiondb',
    };
    const pool = new pg.Pool(config);
    // An idle connection that dies emits 'error' on the pool; unhandled, it would crash the process.
    pool.on('error', (err) => this.logger.warn('sessiondb: idle PostgreSQL connection failed', { error: redactSecrets(err.message), where: this.where }));
    this.pool = pool;
    return pool;
  }

  private async query(sql: string, params: unknown[]): Promise<QueryResult> {
    return this.guard(async () => (await this.getPool()).query(sql, params));
  }

  private async guard<T>(work: () => Promise<T>, where = this.where): Promise<T> {
    if (this.closed) throw new StoreClosedError();
    try {
      return await work();
    } catch (err) {
      const code = sqlstateOf(err);
      if (code === SQLSTATE.sessionNotFound || code === SQLSTATE.versionConflict || code === SQLSTATE.retryWithLookup || code === SQLSTATE.foreignKeyViolation) throw err; // handled by the caller
      throw translatePgError(err, where);
    }
  }

  /** Runs `work` in a transaction on one pooled connection (for the few multi-statement writes). */
  private async transaction(work: (client: PoolClient) => Promise<void>): Promise<void> {
    await this.guard(async () => {
      const client = await (await this.getPool()).connect();
      try {
        await client.query('BEGIN');
        await work(client);
        await client.query('COMMIT');
        client.release();
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        client.release(err instanceof SessionDbError ? undefined : (err as Error));
        throw err;
      }
    });
  }

  private async mustRead(k: ResolvedKey): Promise<Session> {
    const s = await this.getSession(k, { withEvents: false });
    if (!s) throw new SessionNotFoundError(k);
    return s;
  }

}

async function loadPg(): Promise<typeof import('pg').default> {
  const mod = await loadDriver('pg', 'The PostgreSQL store', () => import('pg'));
  return (mod as { default?: typeof import('pg').default }).default ?? (mod as unknown as typeof import('pg').default);
}

/** host:port/database of a connection string, without credentials, for messages. */
export function describeTarget(connectionString: string | undefined): string {
  if (!connectionString) return 'the injected pool';
  try {
    const url = new URL(connectionString);
    return `${url.hostname || 'localhost'}:${url.port || '5432'}${url.pathname || ''}`;
  } catch {
    return redactSecrets(connectionString);
  }
}

/** A JSON object text from stored state entries (values are JSON text already). */
function entriesJson(entries: readonly StateEntry[] | undefined): string {
  if (!entries || entries.length === 0) return '{}';
  return '{' + entries.map(([key, json]) => JSON.stringify(key) + ':' + json).join(',') + '}';
}

/** The `x` field (index text) of an event in the append and import payloads; absent when there is nothing to index. */
function indexField(text: string): string {
  return text ? `,"x":${JSON.stringify(text)}` : '';
}

function configError(err: unknown, config: string): unknown {
  if (sqlstateOf(err) === SQLSTATE.undefinedObject) {
    return new ValidationError('searchConfig', `names no text-search configuration on this server: "${config}"`, 'List them with \\dF in psql; simple and english always exist.');
  }
  return err;
}

function copyState(source: JsonObject | null, into: JsonObject = {}): JsonObject {
  if (source) for (const key of Object.keys(source)) setOwn(into, key, source[key]);
  return into;
}

function toSession(row: PgSessionRow): Session {
  const state = copyState(row.session_state, copyState(row.user_state, copyState(row.app_state)));
  return sessionFromValues(row, state);
}
