import { randomUUID } from 'node:crypto';
import type { ClientSession } from 'mongodb';
import { systemClock, type Clock } from '../../core/clock.js';
import { SchemaMismatchError, SessionExistsError, SessionNotFoundError, StoreClosedError, UnavailableError, ValidationError } from '../../core/errors.js';
import { resolveLimits, type Limits } from '../../core/limits.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import {
  eventCursor,
  eventPageSeqs,
  fileCursor,
  positionOf,
  resolveCountQuery,
  resolveEventRange,
  resolveFileQuery,
  resolveReadOptions,
  resolveScan,
  resolveSessionQuery,
  scanCursor,
  sessionCursor,
} from '../../core/paging.js';
import { checkExpected, expectedVersion, mergeState, newSessionRow, planActivity, planPatch, planSweep } from '../../core/plan.js';
import { prepareFile, prepareKeyUpdate, prepareNewSession, preparePatch, prepareScopeDelta, prepareSnapshot, type PreparedPatch } from '../../core/prepare.js';
import { fileFromRow, sessionFromRow, sharedItem, supersededFromRow } from '../../core/rows.js';
import { deletionsOf, entriesToState, type StateEntry } from '../../core/state.js';
import type { FileKey, MigrateOptions, MigrationStatus, SessionStore, StoreCapabilities } from '../../core/store.js';
import {
  checkRewindInput,
  createdStateChange,
  patchStateChange,
  planRewind,
  resolveSupersededRange,
  stateAtSeq,
  stateChangeFromRow,
  supersededCursor,
} from '../../core/history.js';
import { prepareSearch } from '../../core/search/prepare.js';
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
  SessionKey,
  SessionKeyPage,
  SessionPage,
  SessionPatch,
  SessionQuery,
  SessionSnapshot,
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
  approximateBytes,
  eventDocOf,
  fileDocOf,
  fileRowOfDoc,
  sessionDocOf,
  sessionRowOfDoc,
  sessionRowSets,
  stateEntries,
  stateMap,
  stateSets,
  stateUnsets,
  titleTextOf,
  type LastChange,
  type SessionDoc,
} from './documents.js';
import { backfillSearch } from './backfill.js';
import { deleteHistory, finishRewind, logDocsOf, readLog, supersededRowOfDoc, upsertLogRow } from './history.js';
import { probeTextSearch, searchByScan, searchByText, textSearchOf } from './search.js';
import { isDuplicateKey, translateMongoError } from './errors.js';
import { fileListing, keysetAfter, SCAN_FIELDS, scanFilter, sessionAt, sessionCountFilter, sessionKeyFilter, sessionListing, sortBy } from './queries.js';
import { createIndexes, createTextIndexes, INDEX, MONGO_MIGRATIONS, MONGO_SCHEMA_VERSION, recordSchemaVersion, schemaVersion, type MongoCollections } from './schema.js';
import { readShared, readSharedMany, updateSharedReturning, writeSharedDelta } from './shared-state.js';
import { describeHosts, openConnection, type MongoConnection, type MongoConnectionInfo, type MongoStoreOptions } from './connection.js';
import { eventsBySeq, selectEvents } from './event-reads.js';
import { backoff } from './transaction.js';

export type { MongoConnectionInfo, MongoStoreOptions } from './connection.js';

/** A conditional write found the session changed since it was read: read again and retry. */
const RETRY = Symbol('retry');

/**
 * The session document for a write, or RETRY after finishing a rewind whose
 * writer stopped between its commit and its clean-up (the write then reads again).
 */
async function settledSession(c: MongoCollections, session: ClientSession | undefined, k: ResolvedKey): Promise<SessionDoc | typeof RETRY> {
  const doc = await c.sessions.findOne(sessionKeyFilter(k), { session });
  if (!doc) throw new SessionNotFoundError(k);
  if (!doc.rewinding) return doc;
  await finishRewind(c, session, doc.sid, doc.rewinding);
  return RETRY;
}

/**
 * The MongoDB store, on the official `mongodb` driver (loaded on first use).
 * Sessions, events, app state, user state and file records live in their own
 * collections; events are never embedded in the session document (a document
 * is capped at 16 MiB). Reads walk indexes: a listing page is O(page), the
 * last N events O(N). Writes are planned by the store kit's planner; see
 * `append.ts` for the append protocol, safe on a standalone server and one
 * transaction per write on replica sets and sharded clusters.
 */
export class MongoStore implements SessionStore {
  readonly kind = 'mongodb';
  readonly limits: Limits;
  private readonly options: MongoStoreOptions;
  /** Whether searches use the text indexes: decided once the schema is known (see `capabilities`). */
  private textSearch: boolean | null = null;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly where: string;
  private connecting: Promise<MongoConnection> | null = null;
  private schemaChecked = false;
  private closed = false;

  constructor(options: MongoStoreOptions) {
    if (!options.url && !options.client) throw new ValidationError('url', 'is required (or pass client)', 'Example: mongodb://127.0.0.1:27017/app');
    this.options = options;
    this.limits = resolveLimits(options.limits);
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.where = options.url ? describeHosts(options.url) : 'the given client';
    const mode = options.search ?? 'auto';
    if (mode !== 'auto' && mode !== 'text' && mode !== 'scan') throw new ValidationError('search', `must be auto, text or scan, got ${JSON.stringify(mode)}`);
    if (mode !== 'auto') this.textSearch = mode === 'text';
  }

  /**
   * `indexedSearch` says whether searches use MongoDB's text indexes. With
   * `search: 'auto'` (the default) that is known once the store has checked
   * the schema (after `migrate()` or its first call): until then it reads off.
   */
  get capabilities(): StoreCapabilities {
    return { sharedAcrossProcesses: true, backup: false, vacuum: false, indexedSearch: this.textSearch === true, search: true };
  }

  /** The topology found (`hello`), whether writes use transactions, and the database. Connects if needed. */
  async connectionInfo(): Promise<MongoConnectionInfo> {
    const { topology, transactions, database } = await this.connected();
    return { topology, transactions, database };
  }

  // ---- lifecycle

  async migrate(options: MigrateOptions = {}): Promise<void> {
    const { c } = await this.connected();
    await this.guard(async () => {
      const current = await schemaVersion(c);
      if (current > MONGO_SCHEMA_VERSION) throw new SchemaMismatchError(`MongoDB at ${this.where}`, current, MONGO_SCHEMA_VERSION);
      await createIndexes(c);
      // Before the text indexes, so that they are built once over everything.
      if (current >= 1 && current < 2) await backfillSearch(c, options);
      if (this.textSearch !== false) {
        const refused = await createTextIndexes(c);
        if (refused) this.logger.warn('sessiondb: MongoDB refused the text indexes; searches will scan', { error: String((refused as Error).message ?? refused) });
      }
      await recordSchemaVersion(c, this.clock.now());
      await this.decideSearch(c);
    });
    this.schemaChecked = true;
  }

  /** With `search: 'auto'`, asks the server once whether `$text` works here. */
  private async decideSearch(c: MongoCollections): Promise<void> {
    if (this.textSearch !== null) return;
    const { text, why } = await probeTextSearch(c);
    if (!text) this.logger.warn('sessiondb: MongoDB has no text search here; searches scan the tenant', { reason: why });
    this.textSearch = text;
  }

  async migrationStatus(): Promise<MigrationStatus> {
    const { c } = await this.connected();
    const current = await this.guard(() => schemaVersion(c));
    return { current, latest: MONGO_SCHEMA_VERSION, pending: MONGO_MIGRATIONS.filter((m) => m.version > current) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const connecting = this.connecting;
    if (!connecting) return;
    const conn = await connecting.catch(() => null);
    if (conn && !this.options.client) await conn.client.close().catch(() => undefined);
  }

  // ---- sessions

  async createSession(input: NewSession): Promise<Session> {
    const p = prepareNewSession(input, this.limits);
    return this.call(async ({ c, run }) => {
      const k = { tenant: p.tenant, appName: p.appName, userId: p.userId, sessionId: p.id };
      const doc = sessionDocOf(newSessionRow(p, this.clock.now()), newSid(), p.state?.session, approximateBytes([], p.state?.session));
      await run(async (session) => {
        // The log's first row goes first, under the new sid: invisible until the session document names it.
        await c.stateLog.insertMany(logDocsOf(doc.sid, doc.version, [createdStateChange(p.state)]), { session });
        try {
          await c.sessions.insertOne({ ...doc }, { session });
        } catch (err) {
          if (isDuplicateKey(err)) {
            if (!session) await c.stateLog.deleteMany({ sid: doc.sid }).catch(() => undefined);
            throw new SessionExistsError(k);
          }
          throw err;
        }
        await writeSharedDelta(c, session, k, p.state);
      });
      return this.toSession(c, doc);
    });
  }

  async getSession(key: SessionKey, options?: ReadOptions): Promise<Session | null> {
    const k = resolveKey(key, this.limits);
    const read = resolveReadOptions(options);
    return this.call(async ({ c }) => {
      for (let attempt = 0; ; attempt++) {
        const doc = await c.sessions.findOne(sessionKeyFilter(k));
        if (!doc) return null;
        const [selected, shared] = await Promise.all([read.withEvents ? selectEvents(c, doc, read) : null, readShared(c, k)]);
        // Fewer events than the document counts: it was replaced or deleted between the two reads.
        if (selected && !selected.complete && attempt < 3) continue;
        const session = sessionFromRow(sessionRowOfDoc(doc), mergeState(shared.app, shared.user, stateEntries(doc.state)));
        if (selected) session.events = selected.events;
        return session;
      }
    });
  }

  async listSessions(query: SessionQuery): Promise<SessionPage> {
    const q = resolveSessionQuery(query, this.limits);
    return this.call(async ({ c }) => {
      const { filter, sort, hint } = sessionListing(q);
      const docs = await c.sessions.find(filter, { sort, hint, skip: q.offset || undefined, limit: q.limit + 1 }).toArray();
      const page = docs.slice(0, q.limit);
      const sharedOf = await readSharedMany(c, page.map(keyOfDoc));
      const sessions = page.map((doc) => {
        const shared = sharedOf(keyOfDoc(doc));
        return sessionFromRow(sessionRowOfDoc(doc), mergeState(shared.app, shared.user, stateEntries(doc.state)));
      });
      const last = page[page.length - 1];
      return { sessions, nextCursor: docs.length > q.limit && last ? sessionCursor(q.order, positionOf(sessionRowOfDoc(last))) : null };
    });
  }

  async countSessions(query: SessionCountQuery): Promise<number> {
    const q = resolveCountQuery(query, this.limits);
    return this.call(({ c }) => c.sessions.countDocuments(sessionCountFilter(q)));
  }

  async updateSession(key: SessionKey, patch: SessionPatch, options?: WriteOptions): Promise<Session> {
    const k = resolveKey(key, this.limits);
    return this.patch(k, preparePatch(patch, this.limits), expectedVersion(options));
  }

  async updateKeys(key: SessionKey, delta: JsonObject, options?: WriteOptions): Promise<Session> {
    const k = resolveKey(key, this.limits);
    return this.patch(k, prepareKeyUpdate(delta, this.limits), expectedVersion(options));
  }

  /** A patch (or key update): the session document's `$set`/`$unset` guarded by its version, then the shared state. */
  private async patch(k: ResolvedKey, p: PreparedPatch, expect: number | undefined): Promise<Session> {
    return this.call(async ({ c, run }) => {
      const updated = await this.untilApplied(k, () =>
        run(async (session) => {
          const doc = await settledSession(c, session, k);
          if (doc === RETRY) return RETRY;
          checkExpected(expect, doc.version);
          const row = planPatch(sessionRowOfDoc(doc), p, this.clock.now());
          // The change goes into the log: carried by the commit (lastChange), its row written after.
          const logged = patchStateChange(p.delta, doc.eventCount);
          const change: LastChange | null = logged && { v: row.version, atSeq: logged.at_seq, change: logged.change };
          if (change && doc.lastChange) await upsertLogRow(c, session, doc.sid, doc.lastChange);
          const own = p.delta?.session;
          const gone = deletionsOf(p.delta).session;
          const unset = stateUnsets('state', gone);
          let freed = 0;
          for (const field of Object.keys(unset)) {
            const json = Object.hasOwn(doc.state, field.slice('state.'.length)) ? doc.state[field.slice('state.'.length)] : undefined;
            if (json !== undefined) freed += field.length + json.length;
          }
          const done = await c.sessions.updateOne(
            sessionAt(k, doc.sid, doc.version),
            {
              $set: {
                ...sessionRowSets(row),
                ...stateSets('state', own),
                ...(p.metadata !== undefined ? { titleText: titleTextOf(row.metadata) } : {}),
                ...(change ? { lastChange: change } : {}),
              },
              $inc: { bytes: approximateBytes([], own) - freed },
              ...(gone.length ? { $unset: unset } : {}),
            },
            { session },
          );
          if (done.matchedCount === 0) return RETRY;
          if (change) await upsertLogRow(c, session, doc.sid, change);
          await writeSharedDelta(c, session, k, p.delta);
          const state = { ...doc.state, ...stateMap(own) };
          for (const field of Object.keys(unset)) delete state[field.slice('state.'.length)];
          return { ...doc, ...sessionRowSets(row), state } as SessionDoc;
        }),
      );
      return this.toSession(c, updated);
    });
  }

  async deleteSession(key: SessionKey): Promise<boolean> {
    const k = resolveKey(key, this.limits);
    return this.call(({ c, run }) => run((session) => this.deleteNow(c, session, k, null)));
  }

  async importSession(snapshot: SessionSnapshot, options: { replace?: boolean } = {}): Promise<Session> {
    const p = prepareSnapshot(snapshot, this.limits);
    return this.call(async ({ c, run }) => {
      const k = keyOfDoc({ tenant: p.row.tenant, appName: p.row.app_name, userId: p.row.user_id, id: p.row.id });
      const sid = newSid();
      const doc = () => sessionDocOf(p.row, sid, p.state, approximateBytes(p.events, p.state));
      try {
        await this.untilApplied(k, () =>
          run(async (session) => {
            const existing = await c.sessions.findOne(sessionKeyFilter(k), { session, projection: { sid: 1, version: 1 } });
            if (existing && !options.replace) throw new SessionExistsError(k);
            // The events and the log go first, under a new sid: invisible until the session document names it.
            await c.events.deleteMany({ sid }, { session });
            await c.stateLog.deleteMany({ sid }, { session });
            if (p.events.length) await c.events.insertMany(p.events.map((row) => eventDocOf(p.row.tenant, sid, row, sid, 0)), { session, ordered: true });
            if (p.history.length) await c.stateLog.insertMany(logDocsOf(sid, p.row.version, p.history), { session, ordered: true });
            if (!existing) {
              try {
                await c.sessions.insertOne(doc(), { session });
              } catch (err) {
                if (isDuplicateKey(err)) throw new SessionExistsError(k);
                throw err;
              }
              return true;
            }
            const swapped = await c.sessions.replaceOne(sessionAt(k, existing.sid, existing.version), doc(), { session });
            if (swapped.matchedCount === 0) return RETRY;
            await c.events.deleteMany({ sid: existing.sid }, { session });
            await deleteHistory(c, session, existing.sid);
            return true;
          }),
        );
      } catch (err) {
        await c.events.deleteMany({ sid }).catch(() => undefined);
        await c.stateLog.deleteMany({ sid }).catch(() => undefined);
        throw err;
      }
      return this.toSession(c, doc());
    });
  }

  // ---- events

  async appendEvents(key: SessionKey, events: NewEvent[], options?: WriteOptions): Promise<AppendResult> {
    const k = resolveKey(key, this.limits);
    const prepared = prepareEvents(events, this.limits);
    const expect = expectedVersion(options);
    return this.call(({ appender, run }) => appender.append(k, prepared, expect, run));
  }

  async readEvents(key: SessionKey, range?: EventRange): Promise<EventPage | null> {
    const k = resolveKey(key, this.limits);
    const r = resolveEventRange(range, this.limits);
    return this.call(async ({ c }) => {
      for (let attempt = 0; ; attempt++) {
        const doc = await c.sessions.findOne(sessionKeyFilter(k), { projection: { sid: 1, eventCount: 1 } });
        if (!doc) return null;
        const { from, to, more } = eventPageSeqs(r, doc.eventCount);
        const { events: page, complete } = from > to ? { events: [], complete: true } : await eventsBySeq(c, doc.sid, from, to);
        if (!complete && attempt < 3) continue;
        if (r.order === 'desc') page.reverse();
        return { events: page, nextCursor: more && page.length ? eventCursor(r.order, page[page.length - 1]!.seq) : null };
      }
    });
  }

  // ---- history

  async rewindSession(key: SessionKey, input: RewindInput, options?: WriteOptions): Promise<RewindResult> {
    const k = resolveKey(key, this.limits);
    const toSeq = checkRewindInput(input);
    const expect = expectedVersion(options);
    return this.call(async ({ c, run }) => {
      const { doc, superseded } = await this.untilApplied(k, () =>
        run(async (session) => {
          const doc = await settledSession(c, session, k);
          if (doc === RETRY) return RETRY;
          const plan = planRewind({ head: { version: doc.version, event_count: doc.eventCount }, toSeq, expectVersion: expect, now: this.clock.now() });
          if (plan.kind === 'noop') return { doc, superseded: 0 };
          // The commit below drops lastChange: its row must exist first (it may be one the rewind cuts).
          if (doc.lastChange) await upsertLogRow(c, session, doc.sid, doc.lastChange);
          // One after the other: operations of one transaction must not run in parallel.
          const changes = await readLog(c, session, doc);
          const deltas =
            toSeq === 0
              ? []
              : await c.events
                  .find({ sid: doc.sid, seq: { $gte: 1, $lte: toSeq } }, { session, projection: { seq: 1, stateDelta: 1 }, sort: { seq: 1 }, hint: INDEX.eventSeq })
                  .toArray();
          if (deltas.length !== toSeq) return RETRY; // replaced or deleted meanwhile
          const own = stateAtSeq(changes.map(stateChangeFromRow), deltas, toSeq);
          const entries: StateEntry[] = Object.entries(own).map(([key, value]) => [key, JSON.stringify(value)] as const);
          const marker = { by: plan.head.version, at: plan.supersededAt, toSeq, upTo: doc.eventCount, fence: doc.fence + 1 };
          const state = stateMap(entries);
          const done = await c.sessions.updateOne(
            { ...sessionAt(k, doc.sid, doc.version), fence: doc.fence },
            {
              $set: { version: plan.head.version, eventCount: plan.head.event_count, updatedAt: plan.head.updated_at, state, fence: marker.fence, rewinding: marker },
              $unset: { lastChange: '' },
              $inc: { bytes: approximateBytes([], entries) - approximateBytes([], stateEntries(doc.state)) },
            },
            { session },
          );
          if (done.matchedCount === 0) return RETRY;
          await finishRewind(c, session, doc.sid, marker);
          const { lastChange: _gone, ...rest } = doc;
          const after: SessionDoc = { ...rest, version: plan.head.version, eventCount: plan.head.event_count, updatedAt: plan.head.updated_at, state, fence: marker.fence };
          return { doc: after, superseded: plan.superseded };
        }),
      );
      return { session: await this.toSession(c, doc), superseded };
    });
  }

  async readSupersededEvents(key: SessionKey, range?: SupersededRange): Promise<SupersededPage | null> {
    const k = resolveKey(key, this.limits);
    const { after, limit } = resolveSupersededRange(range, this.limits);
    return this.call(async ({ c }) => {
      const doc = await this.settled(c, k);
      if (!doc) return null;
      const fields = ['supersededBy', 'seq'];
      const docs = await c.superseded
        .find({ sid: doc.sid, ...keysetAfter(fields, after, 1) }, { sort: sortBy(fields, 1), hint: INDEX.superseded, limit: limit + 1 })
        .toArray();
      const page = docs.slice(0, limit);
      const last = page[page.length - 1];
      return {
        events: page.map((d) => supersededFromRow(supersededRowOfDoc(d))),
        nextCursor: docs.length > limit && last ? supersededCursor(last.supersededBy, last.seq) : null,
      };
    });
  }

  async readStateHistory(key: SessionKey): Promise<StateChange[] | null> {
    const k = resolveKey(key, this.limits);
    return this.call(async ({ c }) => {
      const doc = await this.settled(c, k);
      return doc && (await readLog(c, undefined, doc)).map(stateChangeFromRow);
    });
  }

  /** The session document with no rewind left unfinished (finishing one a rewinder left), or null. */
  private async settled(c: MongoCollections, k: ResolvedKey): Promise<SessionDoc | null> {
    for (;;) {
      const doc = await c.sessions.findOne(sessionKeyFilter(k), { projection: { sid: 1, lastChange: 1, rewinding: 1 } });
      if (!doc?.rewinding) return doc;
      await finishRewind(c, undefined, doc.sid, doc.rewinding);
    }
  }

  // ---- search

  async searchEvents(query: SearchQuery): Promise<SearchPage> {
    const p = prepareSearch(query, this.limits);
    return this.call(async ({ c }) => {
      const search = this.textSearch ? textSearchOf(p.tree) : null;
      return search === null ? searchByScan(c, p) : searchByText(c, p, search);
    });
  }

  async recordActivity(key: SessionKey, activity?: ActivityInput): Promise<Session> {
    const k = resolveKey(key, this.limits);
    const a = checkActivity(activity, this.clock);
    return this.call(async ({ c }) => {
      const updated = await this.untilApplied(k, async () => {
        const doc = await c.sessions.findOne(sessionKeyFilter(k));
        if (!doc) throw new SessionNotFoundError(k);
        const row = planActivity(sessionRowOfDoc(doc), a);
        const done = await c.sessions.updateOne(sessionAt(k, doc.sid, doc.version), { $set: sessionRowSets(row) });
        return done.matchedCount === 0 ? RETRY : ({ ...doc, ...sessionRowSets(row) } as SessionDoc);
      });
      return this.toSession(c, updated);
    });
  }

  // ---- shared state

  async getAppState(key: AppKey): Promise<JsonObject> {
    const k = resolveAppKey(key, this.limits);
    return this.call(async ({ c }) => entriesToState(await updateSharedReturning(c.appState, k, [])));
  }

  async getUserState(key: UserKey): Promise<JsonObject> {
    const k = resolveUserKey(key, this.limits);
    return this.call(async ({ c }) => entriesToState(await updateSharedReturning(c.userState, k, [])));
  }

  async updateAppState(key: AppKey, delta: JsonObject): Promise<JsonObject> {
    const k = resolveAppKey(key, this.limits);
    const entries = prepareScopeDelta('app', delta, this.limits);
    return this.call(async ({ c }) => entriesToState(await updateSharedReturning(c.appState, k, entries)));
  }

  async updateUserState(key: UserKey, delta: JsonObject): Promise<JsonObject> {
    const k = resolveUserKey(key, this.limits);
    const entries = prepareScopeDelta('user', delta, this.limits);
    return this.call(async ({ c }) => entriesToState(await updateSharedReturning(c.userState, k, entries)));
  }

  // ---- file records

  async putFile(record: NewFileRecord): Promise<FileRecord> {
    const row = prepareFile(record, this.limits, this.clock.now());
    return this.call(async ({ c, run }) => {
      await run(async (session) => {
        if (row.session_id !== null) {
          const owner = { tenant: row.tenant, appName: row.app_name!, userId: row.user_id!, sessionId: row.session_id };
          if (!(await c.sessions.findOne(sessionKeyFilter(owner), { session, projection: { sid: 1 } }))) throw new SessionNotFoundError(owner);
        }
        for (let attempt = 0; ; attempt++) {
          try {
            await c.files.replaceOne({ tenant: row.tenant, id: row.id }, fileDocOf(row), { upsert: true, session });
            return;
          } catch (err) {
            if (!isDuplicateKey(err) || attempt >= 2) throw err; // two first puts of one id raced
          }
        }
      });
      return fileFromRow(row);
    });
  }

  async getFile(key: FileKey): Promise<FileRecord | null> {
    const { tenant, id } = resolveFileKey(key, this.limits);
    return this.call(async ({ c }) => {
      const doc = await c.files.findOne({ tenant, id });
      return doc && fileFromRow(fileRowOfDoc(doc));
    });
  }

  async listFiles(query: FileQuery = {}): Promise<FilePage> {
    const q = resolveFileQuery(query, this.limits);
    return this.call(async ({ c }) => {
      const { filter, sort } = fileListing(q);
      const docs = await c.files.find(filter, { sort, limit: q.limit + 1 }).toArray();
      const rows = docs.slice(0, q.limit).map(fileRowOfDoc);
      const last = rows[rows.length - 1];
      return { files: rows.map(fileFromRow), nextCursor: docs.length > q.limit && last ? fileCursor(last) : null };
    });
  }

  async deleteFile(key: FileKey): Promise<boolean> {
    const { tenant, id } = resolveFileKey(key, this.limits);
    return this.call(async ({ c }) => (await c.files.deleteOne({ tenant, id })).deletedCount === 1);
  }

  // ---- whole-store scans

  async scanSessionKeys(query?: ScanQuery): Promise<SessionKeyPage> {
    const scan = resolveScan('sessions', 4, query, this.limits);
    return this.call(async ({ c }) => {
      const fields = SCAN_FIELDS.sessions;
      const docs = await c.sessions
        .find(scanFilter(fields, scan.after), { projection: { tenant: 1, appName: 1, userId: 1, id: 1 }, sort: sortBy(fields, 1), hint: INDEX.sessionKey, limit: scan.limit + 1 })
        .toArray();
      const page = docs.slice(0, scan.limit);
      const last = page[page.length - 1];
      return {
        keys: page.map((d) => ({ tenant: d.tenant, appName: d.appName, userId: d.userId, sessionId: d.id })),
        nextCursor: docs.length > scan.limit && last ? scanCursor('sessions', [last.tenant, last.appName, last.userId, last.id]) : null,
      };
    });
  }

  async scanSharedState(scope: 'app' | 'user', query?: ScanQuery): Promise<SharedStatePage> {
    const scan = resolveScan(scope, scope === 'app' ? 2 : 3, query, this.limits);
    return this.call(async ({ c }) => {
      const fields = SCAN_FIELDS[scope];
      const coll = scope === 'app' ? c.appState : c.userState;
      const docs = await coll.find(scanFilter(fields, scan.after), { sort: sortBy(fields, 1), limit: scan.limit + 1 }).toArray();
      const page = docs.slice(0, scan.limit);
      const owner = (d: (typeof docs)[number]) => (scope === 'app' ? [d.tenant, d.appName] : [d.tenant, d.appName, d.userId!]);
      const last = page[page.length - 1];
      return {
        // An owner whose every key was deleted (updateKeys) keeps an empty document: it has no state to list.
        items: page.filter((d) => Object.keys(d.state ?? {}).length > 0).map((d) => sharedItem(owner(d), entriesToState(stateEntries(d.state)))),
        nextCursor: docs.length > scan.limit && last ? scanCursor(scope, owner(last)) : null,
      };
    });
  }

  async scanFiles(query?: ScanQuery): Promise<FilePage> {
    const scan = resolveScan('files', 2, query, this.limits);
    return this.call(async ({ c }) => {
      const fields = SCAN_FIELDS.files;
      const docs = await c.files.find(scanFilter(fields, scan.after), { sort: sortBy(fields, 1), hint: INDEX.fileKey, limit: scan.limit + 1 }).toArray();
      const rows = docs.slice(0, scan.limit).map(fileRowOfDoc);
      const last = rows[rows.length - 1];
      return { files: rows.map(fileFromRow), nextCursor: docs.length > scan.limit && last ? scanCursor('files', [last.tenant, last.id]) : null };
    });
  }

  // ---- expiry and totals

  async sweepExpired(options: SweepOptions = {}): Promise<SweepResult> {
    const sweep = resolveSweep(options, this.clock);
    return this.call(async (conn) => {
      const { c } = conn;
      // The sessions the planner may act on, found through the expiry and activity indexes: O(due), not O(sessions).
      const byTime = sweep.mode === 'mark' ? { expiresAt: { $lte: sweep.now }, status: { $ne: 'expired' as const } } : { expiresAt: { $lte: sweep.now } };
      const byIdleness =
        sweep.idleBefore === null
          ? []
          : [{ status: sweep.mode === 'mark' ? ('active' as const) : { $in: ['active' as const, 'expired' as const] }, lastActivityAt: { $lte: sweep.idleBefore } }];
      let sessions = 0;
      for await (const doc of c.sessions.find({ $or: [byTime, ...byIdleness] }, { batchSize: 500 })) {
        if (await this.sweepOne(conn, doc, sweep)) sessions++;
      }
      const files = await c.files.deleteMany({ expiresAt: { $lte: sweep.now } });
      return { sessions, files: files.deletedCount };
    });
  }

  async stats(options: { tenant?: string } = {}): Promise<StoreStats> {
    const tenant = options.tenant === undefined ? undefined : resolveTenant(options.tenant, this.limits);
    return this.call(async ({ c }) => {
      const match = tenant === undefined ? {} : { tenant };
      const keysOf = { $sum: { $size: { $objectToArray: { $ifNull: ['$state', {}] } } } };
      const [byStatus, app, user, files] = await Promise.all([
        c.sessions
          .aggregate<{ _id: string; sessions: number; events: number; keys: number; bytes: number }>([
            { $match: match },
            { $group: { _id: '$status', sessions: { $sum: 1 }, events: { $sum: '$eventCount' }, keys: keysOf, bytes: { $sum: '$bytes' } } },
          ])
          .toArray(),
        c.appState.aggregate<{ keys: number }>([{ $match: match }, { $group: { _id: null, keys: keysOf } }]).toArray(),
        c.userState.aggregate<{ keys: number }>([{ $match: match }, { $group: { _id: null, keys: keysOf } }]).toArray(),
        c.files.countDocuments(match),
      ]);
      const out: StoreStats = { sessions: 0, activeSessions: 0, archivedSessions: 0, expiredSessions: 0, events: 0, stateKeys: 0, files, bytes: 0 };
      for (const g of byStatus) {
        out.sessions += g.sessions;
        if (g._id === 'active') out.activeSessions += g.sessions;
        else if (g._id === 'archived') out.archivedSessions += g.sessions;
        else out.expiredSessions += g.sessions;
        out.events += g.events;
        out.stateKeys += g.keys;
        out.bytes += g.bytes;
      }
      out.stateKeys += (app[0]?.keys ?? 0) + (user[0]?.keys ?? 0);
      return out;
    });
  }

  // ---- internals

  /** Connects once (loading the driver), learns the topology, and checks the schema version unless migrating. */
  private async connected(): Promise<MongoConnection> {
    if (this.closed) throw new StoreClosedError();
    if (!this.connecting) {
      this.connecting = this.guard(() => openConnection(this.options, { clock: this.clock, logger: this.logger, where: this.where }));
      this.connecting.catch(() => (this.connecting = null));
    }
    const conn = await this.connecting;
    if (this.closed) throw new StoreClosedError();
    return conn;
  }

  /** Every call: connected, schema checked, driver errors translated. */
  private async call<T>(work: (conn: MongoConnection) => Promise<T>): Promise<T> {
    const conn = await this.connected();
    if (!this.schemaChecked) {
      const current = await this.guard(() => schemaVersion(conn.c));
      if (current !== MONGO_SCHEMA_VERSION) throw new SchemaMismatchError(`MongoDB at ${this.where}`, current, MONGO_SCHEMA_VERSION);
      await this.guard(() => this.decideSearch(conn.c));
      this.schemaChecked = true;
    }
    return this.guard(() => work(conn));
  }

  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (this.closed && !(err instanceof StoreClosedError)) throw new StoreClosedError();
      throw translateMongoError(err, this.where);
    }
  }

  /** Runs a read-plan-conditional-write until it applies (another writer got in between: read again), within the retry time. */
  private async untilApplied<T>(k: ResolvedKey, attempt: () => Promise<T | typeof RETRY>): Promise<T> {
    const deadline = Date.now() + (this.options.retryTimeoutMs ?? 30_000);
    for (let n = 0; ; n++) {
      const result = await attempt();
      if (result !== RETRY) return result;
      if (Date.now() > deadline) throw new UnavailableError(`Could not write session "${k.sessionId}": other writers kept it busy. Retry later.`);
      await backoff(n);
    }
  }

  /** Deletes a session (at `version`, when given): its file records first, then the document (the commit point), then its events. */
  private async deleteNow(c: MongoCollections, session: ClientSession | undefined, k: ResolvedKey, version: number | null): Promise<boolean> {
    const found = await c.sessions.findOne(sessionKeyFilter(k), { session, projection: { sid: 1, version: 1 } });
    if (!found || (version !== null && found.version !== version)) return false;
    await c.files.deleteMany({ tenant: k.tenant, appName: k.appName, userId: k.userId, sessionId: k.sessionId }, { session });
    const gone = await c.sessions.findOneAndDelete(version === null ? sessionKeyFilter(k) : sessionAt(k, found.sid, version), { session, projection: { sid: 1 } });
    if (!gone) return false;
    await c.events.deleteMany({ sid: gone.sid }, { session });
    await deleteHistory(c, session, gone.sid);
    return true;
  }

  /** Applies the planner's sweep decision to one session; true if it was marked or deleted. */
  private async sweepOne(conn: MongoConnection, doc: SessionDoc, sweep: { now: number; idleBefore: number | null; mode: 'mark' | 'delete' }): Promise<boolean> {
    const { c, run } = conn;
    let current: SessionDoc | null = doc;
    for (let attempt = 0; current && attempt < 5; attempt++) {
      const plan = planSweep(sessionRowOfDoc(current), sweep);
      if (!plan) return false;
      const k = keyOfDoc(current);
      if (plan.action === 'delete') {
        const version = current.version;
        if (await run((session) => this.deleteNow(c, session, k, version))) return true;
      } else {
        const done = await c.sessions.updateOne(sessionAt(k, current.sid, current.version), { $set: sessionRowSets(plan.row) });
        if (done.matchedCount === 1) return true;
      }
      current = await c.sessions.findOne(sessionKeyFilter(k));
    }
    return false;
  }

  /** The session as callers see it: its document's row, and the merged state of all three scopes. */
  private async toSession(c: MongoCollections, doc: SessionDoc): Promise<Session> {
    const shared = await readShared(c, keyOfDoc(doc));
    return sessionFromRow(sessionRowOfDoc(doc), mergeState(shared.app, shared.user, stateEntries(doc.state)));
  }
}

function keyOfDoc(d: { tenant: string; appName: string; userId: string; id: string }): ResolvedKey {
  return { tenant: d.tenant, appName: d.appName, userId: d.userId, sessionId: d.id };
}

/** A session incarnation id: random, so that a range shard key on it spreads writes. */
function newSid(): string {
  return randomUUID();
}

