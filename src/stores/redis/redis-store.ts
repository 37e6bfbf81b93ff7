import { systemClock, type Clock } from '../../core/clock.js';
import {
  ConflictError,
  SessionExistsError,
  SessionNotFoundError,
  SchemaMismatchError,
  StoreClosedError,
  UnavailableError,
  ValidationError,
} from '../../core/errors.js';
import { resolveLimits, type Limits } from '../../core/limits.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import {
  eventCursor,
  fileCursor,
  resolveCountQuery,
  resolveEventRange,
  resolveFileQuery,
  resolveReadOptions,
  resolveSessionQuery,
  sessionCursor,
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
  type StateChangeRow,
} from '../../core/history.js';
import { expectedVersion } from '../../core/plan.js';
import { eventFromStamped, prepareFile, prepareKeyUpdate, prepareNewSession, preparePatch, prepareScopeDelta, prepareSnapshot, stampIdentity, type PreparedPatch } from '../../core/prepare.js';
import { redactSecrets } from '../../core/redact.js';
import { prepareSearch } from '../../core/search/prepare.js';
import { fileFromRow, sharedItem, type FileRow } from '../../core/rows.js';
import { deletionsOf, type ScopedDelta, type StateEntry } from '../../core/state.js';
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
  ScanQuery,
  SearchPage,
  SearchQuery,
  Session,
  SessionCountQuery,
  SessionEvent,
  SessionKey,
  SessionKeyPage,
  SessionPage,
  SessionPatch,
  SessionQuery,
  SessionSnapshot,
  SessionStatus,
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
  prepareEvents,
  resolveAppKey,
  resolveFileKey,
  resolveKey,
  resolveSweep,
  resolveTenant,
  resolveUserKey,
  type ResolvedKey,
} from '../../core/validate.js';
import {
  entryArgs,
  eventBody,
  eventFromBody,
  eventsFromReply,
  hashOf,
  mergedState,
  numberText,
  sessionFromHash,
  stateOf,
} from './codec.js';
import { RedisConnection, type NodeReply } from './connection.js';
import { fileIndex, keys, LAYOUT_VERSION, LAYOUTS, positionOf, RedisLayout, splitMember } from './layout.js';
import { keptChanges, readForRewind, supersededFromMember, supersededStart } from './history.js';
import { backfillLogs } from './migration.js';
import { Outbox } from './outbox.js';
import { scanSearch } from './search.js';
import { Registries } from './registries.js';
import { SCRIPTS, type LuaScript } from './scripts.js';
import { storeTotals } from './totals.js';
import { checkPrefix, parseRedisUrl, type RedisConnectionOptions } from './url.js';

/** Options of `RedisStore`: a URL, or the connection fields, or both (the fields win). */
export interface RedisStoreOptions extends Partial<RedisConnectionOptions> {
  /** `redis://…`, `rediss://…` or `redis+cluster://…` (see `parseRedisUrl`). */
  url?: string;
  limits?: Partial<Limits>;
  clock?: Clock;
  /** Hears about connection errors and about servers whose writes would not survive a restart. */
  logger?: Logger;
}

type Reply = unknown[];

/** Sweep candidates (and expired file records) handled per step. */
const BATCH = 200;
/** Reads of a session a rewind makes before giving up on one that keeps changing. */
const REWIND_ATTEMPTS = 10;

/**
 * The Redis store, on the official `redis` client (loaded on first use), for
 * one server or a Redis Cluster. Every write of a session is one Lua script
 * in the session's slot (one round trip on one server); on a cluster, the
 * steps in other slots (app state, app- and tenant-wide indexes, files of a
 * deleted session) follow through the session's outbox (see `Outbox`).
 * Durability is the server's: see the README's Redis section.
 */
export class RedisStore implements SessionStore {
  readonly kind = 'redis';
  /**
   * Any number of processes (and machines) may share a server; vacuum and
   * backup are the server's own (`BGREWRITEAOF`, RDB snapshots); search scans
   * (no full-text index without a module).
   */
  readonly capabilities = { sharedAcrossProcesses: true, indexedSearch: false } as const;
  readonly limits: Limits;
  /** The key prefix this store's keys start with. */
  readonly prefix: string;
  /** True on a Redis Cluster. */
  readonly cluster: boolean;
  private readonly layout: RedisLayout;
  private readonly conn: RedisConnection;
  private readonly outbox: Outbox;
  private readonly registries: Registries;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly waitReplicas: number;
  private readonly waitTimeoutMs: number;
  private readonly global: string;
  private checked: Promise<void> | null = null;
  private closed = false;
  private readonly background = new Set<Promise<unknown>>();
  private readonly warnedDurability = new Set<string>();

  constructor(options: RedisStoreOptions) {
    if (!options || typeof options !== 'object') throw new ValidationError('options', 'must be an object with a url');
    const fromUrl: Partial<RedisConnectionOptions> = options.url ? parseRedisUrl(options.url) : {};
    const o: Partial<RedisConnectionOptions> = { ...fromUrl };
    for (const [name, value] of Object.entries(options)) if (value !== undefined && name !== 'url') (o as Record<string, unknown>)[name] = value;
    if (!o.nodes || o.nodes.length === 0) {
      throw new ValidationError('url', 'is required (or nodes)', 'Example: redis://127.0.0.1:6379/0 or redis+cluster://host1:7001,host2:7002');
    }
    for (const field of ['connectTimeoutMs', 'commandTimeoutMs', 'waitReplicas', 'waitTimeoutMs', 'database'] as const) {
      const v = o[field];
      if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) throw new ValidationError(field, `must be a non-negative integer, got ${JSON.stringify(v)}`);
    }
    this.limits = resolveLimits(options.limits);
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.prefix = checkPrefix(o.prefix ?? 'sessiondb:');
    this.cluster = o.cluster === true;
    this.waitReplicas = o.waitReplicas ?? 0;
    this.waitTimeoutMs = o.waitTimeoutMs ?? 1000;
    this.layout = new RedisLayout(this.prefix);
    this.global = this.layout.global();
    this.conn = new RedisConnection(
      {
        nodes: o.nodes,
        cluster: this.cluster,
        tls: o.tls === true,
        username: o.username,
        password: o.password,
        database: o.database,
        connectTimeoutMs: o.connectTimeoutMs ?? 10_000,
        commandTimeoutMs: o.commandTimeoutMs ?? 10_000,
        logger: this.logger,
      },
      (everyMaster) => this.checkDurability(everyMaster),
    );
    this.outbox = new Outbox(this.conn, this.layout, (key) => this.replicate(key));
    this.registries = new Registries(this.conn, this.layout, this.limits);
  }

  /** host:port of the server (or first seed node), without credentials. */
  get where(): string {
    return this.conn.where;
  }

  // ---- lifecycle

  /**
   * Records the key layout version (refusing a newer one) and loads the scripts
   * on every master. From layout 1 it first gives every stored session its
   * state-change log (O(sessions), progress through `onProgress`); the new
   * layout is recorded when that is done, so a migration cut off is run again.
   */
  async migrate(options?: MigrateOptions): Promise<void> {
    this.assertOpen();
    const version = String(LAYOUT_VERSION);
    let current = await this.conn.run<number>(SCRIPTS.upgradeLayout, [this.global], [version, 'init']);
    if (current > LAYOUT_VERSION) throw this.layoutMismatch(current);
    if (current < LAYOUT_VERSION) {
      await backfillLogs(this.conn, this.layout, this.registries, options);
      current = await this.conn.run<number>(SCRIPTS.upgradeLayout, [this.global], [version, 'raise']);
      if (current > LAYOUT_VERSION) throw this.layoutMismatch(current);
    }
    await Promise.all(Object.values(SCRIPTS).map((s) => this.conn.onEveryMaster(['SCRIPT', 'LOAD', s.source])));
    this.checked = null;
  }

  async migrationStatus(): Promise<MigrationStatus> {
    this.assertOpen();
    const current = Number((await this.conn.send<string | null>(this.global, ['GET', keys.layoutVersion(this.global)])) ?? 0);
    return {
      current,
      latest: LAYOUT_VERSION,
      pending: LAYOUTS.filter((l) => l.version > current).map((l) => ({ ...l })),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.background]);
    await this.conn.close();
  }

  // ---- sessions

  async createSession(input: NewSession): Promise<Session> {
    const p = prepareNewSession(input, this.limits);
    await this.ready();
    const createdAt = p.createdAt ?? this.clock.now();
    const updatedAt = p.updatedAt ?? createdAt;
    const k = { tenant: p.tenant, appName: p.appName, userId: p.userId, sessionId: p.id };
    const args = [
      p.id, p.tenant, p.appName, p.userId, p.metadata, p.model ?? '', p.status, numberText(createdAt), numberText(updatedAt), positionOf(updatedAt), optionalTime(p.expiresAt),
      JSON.stringify(createdStateChange(p.state)),
    ];
    pushDelta(args, p.state);
    const reply = await this.write(SCRIPTS.create, k, args);
    if (reply[0] === 'exists') throw new SessionExistsError(k);
    return this.sessionFromWrite(k, reply);
  }

  async getSession(key: SessionKey, options?: ReadOptions): Promise<Session | null> {
    const k = resolveKey(key, this.limits);
    const read = resolveReadOptions(options);
    await this.ready();
    let args = [k.sessionId, 'none', '0', '0'];
    if (read.withEvents && read.lastEvents !== 0) {
      if (read.afterTimestamp === undefined) args = [k.sessionId, read.lastEvents === undefined ? 'all' : 'last', String(read.lastEvents ?? 0), '0'];
      else args = [k.sessionId, read.lastEvents === undefined ? 'since' : 'lastsince', String(read.lastEvents ?? 0), numberText(read.afterTimestamp)];
    }
    const user = this.userBase(k);
    let reply: Reply;
    let app: Reply;
    if (!this.cluster) {
      reply = await this.conn.run<Reply>(SCRIPTS.readSession, [user, this.appBase(k)], args);
      app = reply[4] as Reply;
    } else {
      [reply, app] = await Promise.all([this.conn.run<Reply>(SCRIPTS.readSession, [user], args), this.readAppState(k)]);
      if (reply[0] !== 0 && reply[6] === 1) {
        // A write's cross-slot steps are pending (in flight, or left by a crash): finish them first.
        await this.outbox.repair(k);
        [reply, app] = await Promise.all([this.conn.run<Reply>(SCRIPTS.readSession, [user], args), this.readAppState(k)]);
      }
    }
    if (reply[0] === 0) return null;
    const session = sessionFromHash(hashOf(reply[1] as Reply), mergedState(app, reply[3] as Reply, reply[2] as Reply));
    if (read.withEvents) session.events = eventsFromReply(reply[5] as Reply);
    return session;
  }

  async listSessions(query: SessionQuery): Promise<SessionPage> {
    const q = resolveSessionQuery(query, this.limits);
    await this.ready();
    const tenant = this.layout.tenant(q.tenant);
    let routing: string;
    let index: string;
    let tail: (p: { id: string; appName: string; userId: string }) => string;
    let owner: (names: string[]) => ResolvedKey;
    if (q.userId !== undefined) {
      routing = this.layout.user(q.tenant, q.appName!, q.userId);
      index = keys.userIndex(routing, q.status);
      tail = (p) => p.id;
      owner = ([id]) => ({ tenant: q.tenant, appName: q.appName!, userId: q.userId!, sessionId: id! });
    } else if (q.appName !== undefined) {
      routing = tenant;
      index = keys.appIndex(tenant, q.appName, q.status);
      tail = (p) => `${p.id}\u0000${p.userId}`;
      owner = ([id, userId]) => ({ tenant: q.tenant, appName: q.appName!, userId: userId!, sessionId: id! });
    } else {
      routing = tenant;
      index = keys.tenantIndex(tenant, q.status);
      tail = (p) => `${p.id}\u0000${p.appName}\u0000${p.userId}`;
      owner = ([id, appName, userId]) => ({ tenant: q.tenant, appName: appName!, userId: userId!, sessionId: id! });
    }
    const asc = q.order === 'asc';
    let start = q.after ? `(${positionOf(q.after.updatedAt)}${tail(q.after)}` : asc ? '-' : '+';
    let offset = q.offset;
    const found: Session[] = [];
    for (;;) {
      const want = q.limit + 1 - found.length;
      const members = await this.conn.send<string[]>(routing, [asc ? 'ZRANGEBYLEX' : 'ZREVRANGEBYLEX', index, start, asc ? '+' : '-', 'LIMIT', String(offset), String(want)]);
      const entries = members.map((m) => {
        const { position, names } = splitMember(m);
        return { position, key: owner(names) };
      });
      const sessions = await this.loadListed(entries.map((e) => e.key));
      entries.forEach((e, i) => {
        const s = sessions[i];
        if (s && positionOf(s.updatedAt) === e.position && (q.status === undefined || s.status === q.status)) found.push(s);
        else this.repairLater(e.key);
      });
      if (members.length < want || found.length > q.limit) break;
      start = `(${members[members.length - 1]}`;
      offset = 0;
    }
    const page = found.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      sessions: page,
      nextCursor: found.length > q.limit && last ? sessionCursor(q.order, { updatedAt: last.updatedAt, id: last.id, appName: last.appName, userId: last.userId }) : null,
    };
  }

  async countSessions(query: SessionCountQuery): Promise<number> {
    const q = resolveCountQuery(query, this.limits);
    await this.ready();
    const tenant = this.layout.tenant(q.tenant);
    if (q.userId !== undefined) {
      const user = this.layout.user(q.tenant, q.appName!, q.userId);
      return this.conn.send<number>(user, ['ZCARD', keys.userIndex(user, q.status)]);
    }
    const index = q.appName !== undefined ? keys.appIndex(tenant, q.appName, q.status) : keys.tenantIndex(tenant, q.status);
    return this.conn.send<number>(tenant, ['ZCARD', index]);
  }

  async updateSession(key: SessionKey, patch: SessionPatch, options?: WriteOptions): Promise<Session> {
    const k = resolveKey(key, this.limits);
    return this.patch(k, preparePatch(patch, this.limits), String(expectedVersion(options) ?? ''));
  }

  async updateKeys(key: SessionKey, delta: JsonObject, options?: WriteOptions): Promise<Session> {
    const k = resolveKey(key, this.limits);
    return this.patch(k, prepareKeyUpdate(delta, this.limits), String(expectedVersion(options) ?? ''));
  }

  /** A patch (or key update): one run of the update script; deletions travel as entries with an empty value. */
  private async patch(k: ResolvedKey, p: PreparedPatch, expect: string): Promise<Session> {
    await this.ready();
    const now = this.clock.now();
    const flag = (v: unknown) => (v === undefined ? '0' : '1');
    const args = [
      k.sessionId, k.tenant, k.appName, k.userId, expect, numberText(now), positionOf(now),
      flag(p.metadata), p.metadata ?? '',
      flag(p.model), p.model ?? '',
      flag(p.status), p.status ?? '',
      flag(p.expiresAt), optionalTime(p.expiresAt ?? null),
      flag(p.lastActivityAt), p.lastActivityAt === undefined ? '' : numberText(p.lastActivityAt),
      // The script knows the event count the change comes after; the seq given here is not used.
      logChangeArg(patchStateChange(p.delta, 0)),
    ];
    pushDelta(args, p.delta);
    const reply = await this.write(SCRIPTS.update, k, args);
    if (reply[0] === 'notfound') throw new SessionNotFoundError(k);
    if (reply[0] === 'conflict') throw new ConflictError(Number(expect), Number(reply[1]));
    return this.sessionFromWrite(k, reply);
  }

  async deleteSession(key: SessionKey): Promise<boolean> {
    const k = resolveKey(key, this.limits);
    await this.ready();
    const reply = await this.write(SCRIPTS.delete, k, [k.sessionId, k.tenant, k.appName, k.userId]);
    if (reply[0] === 'missing') return false;
    await this.followUp(reply[1], false);
    return true;
  }

  async importSession(snapshot: SessionSnapshot, options: { replace?: boolean } = {}): Promise<Session> {
    const { row: r, state, events, history } = prepareSnapshot(snapshot, this.limits);
    await this.ready();
    const k = { tenant: r.tenant, appName: r.app_name, userId: r.user_id, sessionId: r.id };
    const args = [
      r.id, r.tenant, r.app_name, r.user_id, options.replace ? '1' : '0', r.metadata, r.model ?? '', r.status,
      numberText(r.created_at), numberText(r.updated_at), positionOf(r.updated_at), numberText(r.last_activity_at), optionalTime(r.expires_at),
      String(r.event_count), String(r.request_count), numberText(r.request_ms_total), String(r.version), String(state.length), String(events.length), String(history.length),
    ];
    entryArgs(state, args);
    for (const e of events) {
      args.push(
        e.id,
        numberText(e.timestamp),
        eventBody({
          id: e.id, timestamp: e.timestamp, author: e.author, role: e.role, invocationId: e.invocation_id,
          content: e.content, metadata: e.metadata, delta: e.state_delta === null ? null : { app: [], user: [], session: [], json: e.state_delta },
        }),
      );
    }
    for (const change of history) args.push(JSON.stringify(change));
    const reply = await this.write(SCRIPTS.import, k, args);
    if (reply[0] === 'exists') throw new SessionExistsError(k);
    return this.sessionFromWrite(k, reply);
  }

  // ---- events

  async appendEvents(key: SessionKey, events: NewEvent[], options?: WriteOptions): Promise<AppendResult> {
    const k = resolveKey(key, this.limits);
    const prepared = prepareEvents(events, this.limits);
    const expect = String(expectedVersion(options) ?? '');
    await this.ready();
    const now = this.clock.now();
    const callerIds = prepared.some((e) => e.id !== undefined);
    const stamped = stampIdentity(prepared, now);
    const args = [k.sessionId, k.tenant, k.appName, k.userId, expect, callerIds ? '1' : '0', String(stamped.length)];
    for (const e of stamped) {
      const d = e.delta;
      args.push(e.id, numberText(e.timestamp), positionOf(e.timestamp), eventBody(e), String(d?.session.length ?? 0), String(d?.user.length ?? 0), String(d?.app.length ?? 0));
      if (d) {
        entryArgs(d.session, args);
        entryArgs(d.user, args);
        entryArgs(d.app, args);
      }
    }
    const reply = await this.write(SCRIPTS.append, k, args);
    const status = reply[0];
    if (status === 'notfound') throw new SessionNotFoundError(k);
    if (status === 'conflict') throw new ConflictError(Number(expect), Number(reply[1]));
    const stored = new Map<number, SessionEvent>();
    const from = status === 'replay' ? 3 : 4;
    for (let i = from; i < reply.length; i += 3) stored.set(Number(reply[i]) - 1, eventFromBody(Number(reply[i + 1]), reply[i + 2] as string));
    if (status === 'replay') {
      await this.followUp(reply[2], false);
      return { events: stamped.map((_, i) => stored.get(i)!), version: Number(reply[1]) };
    }
    let seq = Number(reply[2]);
    const out = stamped.map((e, i) => stored.get(i) ?? eventFromStamped(e, seq++));
    await this.followUp(reply[3], false);
    return { events: out, version: Number(reply[1]) };
  }

  async readEvents(key: SessionKey, range?: EventRange): Promise<EventPage | null> {
    const k = resolveKey(key, this.limits);
    const r = resolveEventRange(range, this.limits);
    await this.ready();
    const reply = await this.conn.run<Reply>(SCRIPTS.readEvents, [this.userBase(k)], [k.sessionId, r.order, String(r.bound), String(r.limit)]);
    if (reply[0] === 0) return null;
    const events = eventsFromReply(reply[1] as Reply);
    const page = events.slice(0, r.limit);
    return { events: page, nextCursor: events.length > r.limit ? eventCursor(r.order, page[page.length - 1]!.seq) : null };
  }

  // ---- history

  /**
   * Reads the session's head, log and events (in batches), plans the rewind and
   * rebuilds the own state in JavaScript, then runs one script that applies it
   * only if the session is still as read; if a write got in between, it starts
   * over (a stale `expectVersion` then fails as a conflict).
   */
  async rewindSession(key: SessionKey, input: RewindInput, options?: WriteOptions): Promise<RewindResult> {
    const k = resolveKey(key, this.limits);
    const toSeq = checkRewindInput(input);
    const expect = expectedVersion(options);
    await this.ready();
    const user = this.userBase(k);
    for (let attempt = 1; ; attempt++) {
      const head = await this.conn.run<Reply>(SCRIPTS.readHistory, [user], [k.sessionId]);
      if (head[0] === 0) throw new SessionNotFoundError(k);
      const [, version, count, created, log] = head as [number, string, string, string, string[]];
      const now = this.clock.now();
      const plan = planRewind({ head: { version: Number(version), event_count: Number(count) }, toSeq, expectVersion: expect, now });
      if (plan.kind === 'noop') {
        const session = await this.getSession(k, { withEvents: false });
        if (!session) throw new SessionNotFoundError(k);
        return { session, superseded: 0 };
      }
      const read = await readForRewind(this.conn, user, k.sessionId, Number(count), toSeq);
      if (read) {
        const rows = log.map((entry) => JSON.parse(entry) as StateChangeRow);
        const own = stateAtSeq(rows.map(stateChangeFromRow), read.deltas, toSeq);
        const args = [k.sessionId, k.tenant, k.appName, k.userId, version, created, count, String(toSeq), numberText(now), positionOf(now), String(keptChanges(rows, toSeq))];
        const entries = Object.keys(own).map((name): StateEntry => [name, JSON.stringify(own[name])]);
        args.push(String(entries.length));
        entryArgs(entries, args);
        args.push(...read.ids);
        const reply = await this.write(SCRIPTS.rewind, k, args);
        if (reply[0] === 'notfound') throw new SessionNotFoundError(k);
        if (reply[0] === 'ok') return { session: await this.sessionFromWrite(k, reply), superseded: plan.superseded };
      }
      if (attempt === REWIND_ATTEMPTS) throw new ConflictError(-1, -1, 'The session kept changing while the rewind read it; try again.');
    }
  }

  async readSupersededEvents(key: SessionKey, range?: SupersededRange): Promise<SupersededPage | null> {
    const k = resolveKey(key, this.limits);
    const r = resolveSupersededRange(range, this.limits);
    await this.ready();
    const reply = await this.conn.run<Reply>(SCRIPTS.readSuperseded, [this.userBase(k)], [k.sessionId, supersededStart(r.after), String(r.limit + 1)]);
    if (reply[0] === 0) return null;
    const events = (reply[1] as string[]).map(supersededFromMember);
    const page = events.slice(0, r.limit);
    const last = page[page.length - 1];
    return { events: page, nextCursor: events.length > r.limit && last ? supersededCursor(last.supersededBy, last.seq) : null };
  }

  async readStateHistory(key: SessionKey): Promise<StateChange[] | null> {
    const k = resolveKey(key, this.limits);
    await this.ready();
    const reply = await this.conn.run<Reply>(SCRIPTS.readHistory, [this.userBase(k)], [k.sessionId]);
    if (reply[0] === 0) return null;
    return (reply[4] as string[]).map((entry) => stateChangeFromRow(JSON.parse(entry) as StateChangeRow));
  }

  // ---- search

  /** A scan of the tenant's sessions and events (no index: capability `indexedSearch` off); see `scanSearch`. */
  async searchEvents(query: SearchQuery): Promise<SearchPage> {
    const p = prepareSearch(query, this.limits);
    await this.ready();
    return scanSearch(this.conn, this.layout, p);
  }

  async recordActivity(key: SessionKey, activity?: ActivityInput): Promise<Session> {
    const k = resolveKey(key, this.limits);
    const { durationMs, count, at } = checkActivity(activity, this.clock);
    await this.ready();
    const reply = await this.write(SCRIPTS.activity, k, [k.sessionId, k.tenant, k.appName, k.userId, String(count), numberText(durationMs), numberText(at)]);
    if (reply[0] === 'notfound') throw new SessionNotFoundError(k);
    return this.sessionFromWrite(k, reply);
  }

  // ---- shared state

  async getAppState(key: AppKey): Promise<JsonObject> {
    const k = resolveAppKey(key, this.limits);
    await this.ready();
    return stateOf(await this.readAppState(k));
  }

  async getUserState(key: UserKey): Promise<JsonObject> {
    const k = resolveUserKey(key, this.limits);
    await this.ready();
    const user = this.layout.user(k.tenant, k.appName, k.userId);
    return stateOf(await this.conn.send<Reply>(user, ['HGETALL', keys.userState(user)]));
  }

  async updateAppState(key: AppKey, delta: JsonObject): Promise<JsonObject> {
    const k = resolveAppKey(key, this.limits);
    const entries = prepareScopeDelta('app', delta, this.limits);
    await this.ready();
    const tenant = this.layout.tenant(k.tenant);
    if (entries.length > 0) await this.register(k.tenant, tenant, keys.appsWithState(tenant), k.appName);
    const app = this.layout.app(k.tenant, k.appName);
    const state = await this.setState(app, ':state', entries);
    return stateOf(state);
  }

  async updateUserState(key: UserKey, delta: JsonObject): Promise<JsonObject> {
    const k = resolveUserKey(key, this.limits);
    const entries = prepareScopeDelta('user', delta, this.limits);
    await this.ready();
    const tenant = this.layout.tenant(k.tenant);
    if (entries.length > 0) await this.register(k.tenant, tenant, keys.usersWithState(tenant), `${k.appName}\u0000${k.userId}`);
    const user = this.layout.user(k.tenant, k.appName, k.userId);
    return stateOf(await this.setState(user, ':us', entries));
  }

  // ---- file records

  async putFile(record: NewFileRecord): Promise<FileRecord> {
    const row = prepareFile(record, this.limits, this.clock.now());
    await this.ready();
    const tenant = this.layout.tenant(row.tenant);
    const json = JSON.stringify(row);
    const args = [row.tenant, row.id, json, positionOf(row.uploaded_at), row.app_name ?? '', row.user_id ?? '', row.session_id ?? '', optionalTime(row.expires_at)];
    const owner = row.session_id === null ? null : { tenant: row.tenant, appName: row.app_name!, userId: row.user_id!, sessionId: row.session_id };
    const ownerBase = owner ? this.userBase(owner) : null;
    if (!this.cluster) {
      const done = await this.conn.run<number>(SCRIPTS.putFile, [tenant, this.global, ...(ownerBase ? [ownerBase] : [])], args);
      if (done === 0) throw new SessionNotFoundError(owner!);
      await this.replicate(tenant);
      return fileFromRow(row);
    }
    // Cluster: the owner lives in another slot. Check it, write, and check again:
    // a delete that ran in between may have missed the new record.
    const ownerExists = async () => ownerBase === null || (await this.conn.send<number>(ownerBase, ['EXISTS', keys.session(ownerBase, owner!.sessionId)])) === 1;
    await this.conn.send(this.global, ['ZADD', keys.tenants(this.global), '0', row.tenant]);
    if (!(await ownerExists())) throw new SessionNotFoundError(owner!);
    await this.conn.run(SCRIPTS.putFile, [tenant], args);
    if (!(await ownerExists())) {
      await this.conn.run(SCRIPTS.deleteFile, [tenant], [row.id, json]);
      throw new SessionNotFoundError(owner!);
    }
    await this.replicate(tenant);
    return fileFromRow(row);
  }

  async getFile(key: FileKey): Promise<FileRecord | null> {
    const { tenant, id } = resolveFileKey(key, this.limits);
    await this.ready();
    const base = this.layout.tenant(tenant);
    const json = await this.conn.send<string | null>(base, ['HGET', `${base}:f:${id}`, 'json']);
    return json === null ? null : fileFromRow(JSON.parse(json) as FileRow);
  }

  async listFiles(query: FileQuery = {}): Promise<FilePage> {
    const q = resolveFileQuery(query, this.limits);
    await this.ready();
    const tenant = this.layout.tenant(q.tenant);
    const index = fileIndex(tenant, q.appName, q.userId, q.sessionId);
    const start = q.after ? `(${positionOf(q.after.uploadedAt)}${q.after.id}` : '+';
    const reply = await this.conn.run<Reply>(SCRIPTS.listFiles, [tenant], [index.key, start, String(q.limit + 1), q.appName ?? '', q.userId ?? '', q.sessionId ?? '']);
    const rows: FileRow[] = [];
    for (let i = 1; i < reply.length; i += 2) rows.push(JSON.parse(reply[i] as string) as FileRow);
    const page = rows.slice(0, q.limit);
    return { files: page.map(fileFromRow), nextCursor: rows.length > q.limit ? fileCursor(page[page.length - 1]!) : null };
  }

  async deleteFile(key: FileKey): Promise<boolean> {
    const { tenant, id } = resolveFileKey(key, this.limits);
    await this.ready();
    const base = this.layout.tenant(tenant);
    const deleted = await this.conn.run<number>(SCRIPTS.deleteFile, [base], [id]);
    await this.replicate(base);
    return deleted === 1;
  }

  // ---- whole-store scans

  async scanSessionKeys(query?: ScanQuery): Promise<SessionKeyPage> {
    await this.ready();
    const { items, nextCursor } = await this.registries.scanPage('sessions', 4, query, keys.sessionKeys, async (found) => {
      if (!this.cluster) return found;
      // On a cluster the registry may name a session deleted a moment ago: check.
      const live = await Promise.all(found.map(([t, a, u, id]) => this.conn.send<number>(this.layout.user(t!, a!, u!), ['EXISTS', keys.session(this.layout.user(t!, a!, u!), id!)])));
      return found.filter((_, i) => live[i] === 1);
    });
    return { keys: items.map(([tenant, appName, userId, sessionId]) => ({ tenant: tenant!, appName: appName!, userId: userId!, sessionId: sessionId! })), nextCursor };
  }

  async scanSharedState(scope: 'app' | 'user', query?: ScanQuery): Promise<SharedStatePage> {
    await this.ready();
    const width = scope === 'app' ? 2 : 3;
    const registry = scope === 'app' ? keys.appsWithState : keys.usersWithState;
    const states = new Map<string, JsonObject>();
    const { items, nextCursor } = await this.registries.scanPage(scope, width, query, registry, async (found) => {
      const loaded = await Promise.all(
        found.map(([t, a, u]) => {
          if (scope === 'app') {
            const base = this.layout.app(t!, a!);
            return this.conn.send<Reply>(base, ['HGETALL', keys.appState(base)]);
          }
          const base = this.layout.user(t!, a!, u!);
          return this.conn.send<Reply>(base, ['HGETALL', keys.userState(base)]);
        }),
      );
      return found.filter((parts, i) => {
        if (loaded[i]!.length === 0) return false;
        states.set(parts.join('\u0000'), stateOf(loaded[i]!));
        return true;
      });
    });
    return { items: items.map((parts) => sharedItem(parts, states.get(parts.join('\u0000'))!)), nextCursor };
  }

  async scanFiles(query?: ScanQuery): Promise<FilePage> {
    await this.ready();
    const rows = new Map<string, FileRow>();
    const { items, nextCursor } = await this.registries.scanPage('files', 2, query, keys.fileIds, async (found) => {
      const loaded = await Promise.all(
        found.map(([t, id]) => {
          const base = this.layout.tenant(t!);
          return this.conn.send<string | null>(base, ['HGET', `${base}:f:${id}`, 'json']);
        }),
      );
      return found.filter((parts, i) => {
        if (loaded[i] === null) return false;
        rows.set(parts.join('\u0000'), JSON.parse(loaded[i]!) as FileRow);
        return true;
      });
    });
    return { files: items.map((parts) => fileFromRow(rows.get(parts.join('\u0000'))!)), nextCursor };
  }

  // ---- expiry and totals

  async sweepExpired(options: SweepOptions = {}): Promise<SweepResult> {
    const { now, idleBefore, mode } = resolveSweep(options, this.clock);
    await this.ready();
    let sessions = 0;
    let files = 0;
    const expiring: SessionStatus[] = mode === 'mark' ? ['active', 'archived'] : ['active', 'archived', 'expired'];
    const idling: SessionStatus[] = idleBefore === null ? [] : mode === 'mark' ? ['active'] : ['active', 'expired'];
    for (let tenant = await this.registries.nextTenant(null); tenant !== null; tenant = await this.registries.nextTenant(tenant)) {
      const base = this.layout.tenant(tenant);
      const sources: [string, number][] = [
        ...expiring.map((s): [string, number] => [keys.expiry(base, s), now]),
        ...idling.map((s): [string, number] => [keys.idle(base, s), idleBefore!]),
      ];
      for (const [index, max] of sources) {
        // Sessions acted on leave the index; those skipped (no longer due) stay, so page past them.
        let skipped = 0;
        for (;;) {
          const members = await this.conn.send<string[]>(base, ['ZRANGEBYSCORE', index, '-inf', numberText(max), 'LIMIT', String(skipped), String(BATCH)]);
          if (members.length === 0) break;
          const results = await Promise.all(members.map((m) => this.expire(tenant!, m, now, idleBefore, mode)));
          for (const acted of results) acted ? sessions++ : skipped++;
        }
      }
      for (;;) {
        const n = await this.conn.run<number>(SCRIPTS.sweepFiles, [base], [numberText(now), String(BATCH)]);
        files += n;
        if (n < BATCH) break;
      }
      if (files > 0) await this.replicate(base);
    }
    return { sessions, files };
  }

  async stats(options: { tenant?: string } = {}): Promise<StoreStats> {
    const only = options.tenant === undefined ? undefined : resolveTenant(options.tenant, this.limits);
    await this.ready();
    return storeTotals(this.conn, this.layout, this.registries, only !== undefined ? [only] : await this.registries.allTenants());
  }

  /**
   * On a cluster: finds every outbox entry left behind (by a process that died
   * between a write's steps) with SCAN on each master, and applies it. Reads,
   * writes and listings of a session repair it too; this covers the sessions
   * nobody touches. Resolves with how many entries it applied. A no-op on one server.
   */
  async repairPending(): Promise<number> {
    await this.ready();
    if (!this.cluster) return 0;
    const pattern = `${this.prefix.replace(/[*?[\]\\]/g, '\\$&')}{u:*}:ob`;
    const found: string[] = [];
    await this.scanEveryMaster(pattern, (key) => found.push(key));
    let repaired = 0;
    for (const outbox of found) {
      const entries = await this.conn.send<Reply>(outbox, ['HGETALL', outbox]);
      for (let i = 1; i < entries.length; i += 2) {
        await this.outbox.apply(entries[i] as string, false);
        repaired++;
      }
    }
    return repaired;
  }

  // ---- internals

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }

  /** Checks once that the key layout is recorded and not newer than this code. */
  private ready(): Promise<void> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    if (!this.checked) {
      this.checked = this.migrationStatus().then(({ current }) => {
        if (current === LAYOUT_VERSION) return;
        throw this.layoutMismatch(current);
      });
      this.checked.catch(() => {
        this.checked = null;
      });
    }
    return this.checked;
  }

  private layoutMismatch(current: number): SchemaMismatchError {
    return new SchemaMismatchError(`The Redis store at ${this.where} (prefix "${this.prefix}")`, current, LAYOUT_VERSION);
  }

  private userBase(k: ResolvedKey): string {
    return this.layout.user(k.tenant, k.appName, k.userId);
  }

  private appBase(k: { tenant: string; appName: string }): string {
    return this.layout.app(k.tenant, k.appName);
  }

  /** Runs a write script of one session: in its user slot, with the other slots' bases on one server. */
  private async write(script: LuaScript, k: ResolvedKey, args: string[]): Promise<Reply> {
    const user = this.userBase(k);
    const slots = this.cluster ? [user] : [user, this.layout.tenant(k.tenant), this.appBase(k), this.global];
    const reply = await this.conn.run<Reply>(script, slots, args);
    if (reply[0] === 'ok') await this.replicate(user);
    return reply;
  }

  /** On a cluster, applies the outbox entry a write returned (nothing on one server, or when the write had none). */
  private async followUp(entry: unknown, withAppState: boolean): Promise<Reply | null> {
    if (!this.cluster || typeof entry !== 'string' || entry === '') return null;
    return this.outbox.apply(entry, withAppState);
  }

  /** A session from a write script's reply: ok, fields, own state, user state, app state, outbox entry. */
  private async sessionFromWrite(k: ResolvedKey, reply: Reply): Promise<Session> {
    let app = reply[4] as Reply;
    if (this.cluster) app = (await this.followUp(reply[5], true)) ?? (await this.readAppState(k));
    return sessionFromHash(hashOf(reply[1] as Reply), mergedState(app, reply[3] as Reply, reply[2] as Reply));
  }

  private readAppState(k: { tenant: string; appName: string }): Promise<Reply> {
    const base = this.appBase(k);
    return this.conn.send<Reply>(base, ['HGETALL', keys.appState(base)]);
  }

  private async setState(base: string, suffix: string, entries: readonly StateEntry[]): Promise<Reply> {
    const args = [suffix];
    entryArgs(entries, args);
    const state = await this.conn.run<Reply>(SCRIPTS.setState, [base], args);
    if (entries.length > 0) await this.replicate(base);
    return state;
  }

  /** Adds a member to a tenant-slot registry and the tenant to the tenant registry (before the data, so a crash leaves at most an empty entry). */
  private async register(tenant: string, tenantBase: string, registry: string, member: string): Promise<void> {
    await Promise.all([this.conn.send(this.global, ['ZADD', keys.tenants(this.global), '0', tenant]), this.conn.send(tenantBase, ['ZADD', registry, '0', member])]);
  }

  /** With `waitReplicas`, waits for that many replicas of `routingKey`'s master to have every write so far. */
  private async replicate(routingKey: string): Promise<void> {
    if (this.waitReplicas === 0) return;
    const acked = await this.conn.send<number>(routingKey, ['WAIT', String(this.waitReplicas), String(this.waitTimeoutMs)]);
    if (acked < this.waitReplicas) {
      throw new UnavailableError(
        `Redis at ${this.where}: the write reached ${acked} of ${this.waitReplicas} replicas within ${this.waitTimeoutMs} ms; ` +
          'it is stored on the master but may be lost if the master fails now. Retry (appends with the same event ids are not stored twice).',
      );
    }
  }

  /** Sessions of a listing, in order (null when missing), with their merged state. */
  private async loadListed(owners: ResolvedKey[]): Promise<(Session | null)[]> {
    const byUser = new Map<string, { k: ResolvedKey; at: number[]; ids: string[] }>();
    owners.forEach((k, i) => {
      const base = this.userBase(k);
      let group = byUser.get(base);
      if (!group) byUser.set(base, (group = { k, at: [], ids: [] }));
      group.at.push(i);
      group.ids.push(k.sessionId);
    });
    const apps = new Map<string, Promise<Reply>>();
    for (const k of owners) if (!apps.has(k.appName)) apps.set(k.appName, this.readAppState(k));
    const out: (Session | null)[] = owners.map(() => null);
    await Promise.all(
      [...byUser].map(async ([base, group]) => {
        const [reply, app] = await Promise.all([this.conn.run<Reply>(SCRIPTS.readListed, [base], group.ids), apps.get(group.k.appName)!]);
        const user = reply[reply.length - 1] as Reply;
        group.at.forEach((at, j) => {
          const fields = reply[2 * j] as Reply;
          if (fields.length > 0) out[at] = sessionFromHash(hashOf(fields), mergedState(app, user, reply[2 * j + 1] as Reply));
        });
      }),
    );
    return out;
  }

  /** Schedules a repair of a session whose index entries disagree with it (a cluster's cross-slot step pending). */
  private repairLater(k: ResolvedKey): void {
    if (!this.cluster || this.closed) return;
    const task = this.outbox.repair(k).catch((err) =>
      this.logger.warn('sessiondb: Redis index repair failed; it is retried when the session is next read or written', {
        where: this.where,
        error: redactSecrets(String((err as Error)?.message ?? err)),
      }),
    );
    this.background.add(task);
    void task.finally(() => this.background.delete(task));
  }

  /** Marks or deletes one sweep candidate (`app\0user\0id`) if it is still due; true if it did. */
  private async expire(tenant: string, member: string, now: number, idleBefore: number | null, mode: 'mark' | 'delete'): Promise<boolean> {
    const [appName, userId, sessionId] = member.split('\u0000') as [string, string, string];
    const k = { tenant, appName, userId, sessionId };
    const idle = idleBefore === null ? '' : numberText(idleBefore);
    const reply =
      mode === 'mark'
        ? await this.write(SCRIPTS.markExpired, k, [sessionId, tenant, appName, userId, numberText(now), positionOf(now), idle])
        : await this.write(SCRIPTS.delete, k, [sessionId, tenant, appName, userId, 'due', numberText(now), idle, mode]);
    if (reply[0] !== 'ok') {
      if (reply[0] === 'missing') this.repairLater(k);
      return false;
    }
    await this.followUp(reply[1], false);
    return true;
  }

  private async scanEveryMaster(pattern: string, visit: (key: string) => void): Promise<void> {
    for (const m of await this.conn.onEveryMaster<unknown>(['PING'])) {
      if (m.error) throw m.error;
      let cursor = '0';
      do {
        const [next, found] = await this.conn.sendToNode<[string, string[]]>(m.node, ['SCAN', cursor, 'MATCH', pattern, 'COUNT', '1000']);
        for (const key of found) visit(key);
        cursor = next;
      } while (cursor !== '0');
    }
  }

  /** Warns once per server whose acknowledged writes would not survive a restart. */
  private async checkDurability(everyMaster: <T>(args: readonly string[]) => Promise<NodeReply<T>[]>): Promise<void> {
    for (const { node, reply } of await everyMaster<string[]>(['CONFIG', 'GET', 'appendonly'])) {
      // CONFIG may be disabled or renamed (managed services): then the server's settings are unknown.
      if (!Array.isArray(reply) || reply[1] !== 'no' || this.warnedDurability.has(node)) continue;
      this.warnedDurability.add(node);
      this.logger.warn(
        `sessiondb: Redis at ${node} runs with appendonly no: writes acknowledged since its last snapshot are lost if it restarts. ` +
          'Set appendonly yes (appendfsync everysec loses at most about a second of writes on a crash of the machine; always loses none).',
        { where: node },
      );
    }
  }
}

/** Appends the entry counts and entries of a scoped delta (session, user, app). */
/**
 * Pushes a delta's entry counts and entries. A deletion is an entry whose value
 * is '' (JSON text is never empty): the scripts HDEL it, and an `app:` deletion
 * travels in the cluster outbox batches exactly as a set does.
 */
function pushDelta(args: string[], d: ScopedDelta | null): void {
  const unset = deletionsOf(d);
  const scope = (entries: readonly StateEntry[] | undefined, keys: readonly string[]): StateEntry[] => [
    ...(entries ?? []),
    ...keys.map((key): StateEntry => [key, '']),
  ];
  const own = scope(d?.session, unset.session), user = scope(d?.user, unset.user), app = scope(d?.app, unset.app);
  args.push(String(own.length), String(user.length), String(app.length));
  entryArgs(own, args);
  entryArgs(user, args);
  entryArgs(app, args);
}

/** A patch's change to the session's own keys as the update script logs it: its JSON text as a JSON string ('' = none). */
function logChangeArg(row: StateChangeRow | null): string {
  return row === null ? '' : JSON.stringify(row.change);
}

function optionalTime(t: number | null | undefined): string {
  return t === null || t === undefined ? '' : numberText(t);
}
