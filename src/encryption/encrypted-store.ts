/**
 * Encryption at rest as a wrapper at the store boundary: `EncryptedStore`
 * keeps the whole `SessionStore` contract by delegating to any store, sealing
 * what is written (event content and metadata, state values, session and file
 * metadata) and opening what is read. Keys, ids, names, times, counters,
 * status and model stay clear, so listing, paging, counting, expiry and
 * concurrency control work unchanged in the store underneath.
 */
import { StoreClosedError, TooLargeError } from '../core/errors.js';
import { uuidv7 } from '../core/ids.js';
import { DEFAULT_LIMITS, type Limits } from '../core/limits.js';
import { setOwn } from '../core/json.js';
import { prepareFile, prepareNewSession, preparePatch, prepareScopeDelta, prepareSnapshot } from '../core/prepare.js';
import { splitDelta, splitKeyUpdate, type ScopedDelta, type StateEntry } from '../core/state.js';
import type { FileKey, MigrateOptions, MigrationStatus, SessionStore, StoreCapabilities } from '../core/store.js';
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
  SharedStatePage,
  StateChange,
  StoreStats,
  SupersededPage,
  SupersededRange,
  SweepOptions,
  SweepResult,
  UserKey,
  WriteOptions,
} from '../core/types.js';
import { prepareEvents, resolveAppKey, resolveKey, resolveUserKey } from '../core/validate.js';
import { Codec } from './codec.js';
import { SearchUnsupportedError } from './errors.js';
import { KeyRing, type EncryptionKey } from './keys.js';
import { eventPlace, fileMetadataPlace, sessionMetadataPlace, statePlace, type SessionRef, type StateOwner } from './places.js';
import { mapEvent, mapFile, mapHistory, mapSession, mapState } from './records.js';
import { Sealer, type Place, type SealedValue } from './sealer.js';

export interface EncryptionOptions {
  /** The keys: the first seals everything written, every one of them opens. At least one. */
  keys: readonly EncryptionKey[];
  /**
   * Read values stored in plain text (written before encryption was turned on)
   * as they are. Default false: such a value is refused like a tampered one, so
   * that nobody with write access to the database can slip plain values in.
   * Turn it on, run `rekey` (which seals them), then turn it off.
   */
  acceptPlaintext?: boolean;
  /**
   * The limits checked on plain values (the store underneath checks its own on
   * the sealed ones). Default: sessiondb's defaults for content and JSON
   * (`maxEventContentBytes`, `maxJsonBytes`), the inner store's for the rest
   * (names, keys, events per append, page sizes: nothing sealed). Open the
   * inner store with `sealedLimits(limits)` so that it never refuses what these
   * allow; otherwise a value close to a limit is refused as "too large once sealed".
   */
  limits?: Partial<Limits>;
}

/** Wraps `store` so that everything it keeps is sealed; see `EncryptedStore`. */
export function encryptStore(store: SessionStore, options: EncryptionOptions): EncryptedStore {
  return new EncryptedStore(store, options);
}

/**
 * A `SessionStore` that seals with AES-256-GCM before anything reaches `inner`
 * and opens on the way back. Search is refused (`unsupported`): sealed content
 * holds no text to index. A value that cannot be opened — its key not
 * configured, altered, or moved to another record — is a `SealedValueError`
 * (`undecryptable`) naming the record, never data.
 */
export class EncryptedStore implements SessionStore {
  readonly kind: string;
  readonly limits: Limits;
  /** How values are sealed and opened (used by `rekeyStore`). */
  readonly codec: Codec;
  vacuum?: () => Promise<void>;
  backup?: (path: string) => Promise<void>;
  private closed = false;

  constructor(
    /** The store underneath, which holds the sealed values. */
    readonly inner: SessionStore,
    options: EncryptionOptions,
  ) {
    this.codec = new Codec(new Sealer(new KeyRing(options.keys)), options.acceptPlaintext === true);
    this.kind = inner.kind;
    const { maxEventContentBytes, maxJsonBytes } = DEFAULT_LIMITS;
    this.limits = { ...inner.limits, maxEventContentBytes, maxJsonBytes, ...options.limits };
    if (inner.vacuum) this.vacuum = async () => (this.check(), inner.vacuum!());
    if (inner.backup) this.backup = async (path) => (this.check(), inner.backup!(path));
  }

  /** The inner store's, read each time (some change once migrated), with search off: sealed content holds no text. */
  get capabilities(): Partial<StoreCapabilities> {
    return { ...this.inner.capabilities, indexedSearch: false, search: false };
  }

  /** The id of the key that seals what is written now. */
  get writeKeyId(): string {
    return this.codec.sealer.ring.writer.id;
  }

  // ---- lifecycle

  async migrate(options?: MigrateOptions): Promise<void> {
    this.check();
    return this.inner.migrate(options);
  }

  async migrationStatus(): Promise<MigrationStatus> {
    this.check();
    return this.inner.migrationStatus();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.inner.close();
  }

  // ---- sessions

  async createSession(input: NewSession): Promise<Session> {
    this.check();
    const p = prepareNewSession(input, this.limits);
    const k: SessionRef = { tenant: p.tenant, appName: p.appName, userId: p.userId, sessionId: p.id };
    const sealed: NewSession = { ...input, tenant: p.tenant, id: p.id, metadata: this.codec.sealMetadata(p.metadata, sessionMetadataPlace(k)) };
    if (input.state !== undefined && input.state !== null) sealed.state = this.sealDelta(p.state, k);
    return this.opened(await this.sealedWrite(() => this.inner.createSession(sealed)));
  }

  async getSession(key: SessionKey, options?: ReadOptions): Promise<Session | null> {
    this.check();
    const s = await this.inner.getSession(key, options);
    return s && this.opened(s);
  }

  async listSessions(query: SessionQuery): Promise<SessionPage> {
    this.check();
    const page = await this.inner.listSessions(query);
    return { ...page, sessions: page.sessions.map((s) => this.opened(s)) };
  }

  async countSessions(query: SessionCountQuery): Promise<number> {
    this.check();
    return this.inner.countSessions(query);
  }

  async updateSession(key: SessionKey, patch: SessionPatch, options?: WriteOptions): Promise<Session> {
    this.check();
    const k = resolveKey(key, this.limits);
    const p = preparePatch(patch, this.limits);
    const sealed: SessionPatch = { ...patch };
    if (p.metadata !== undefined) sealed.metadata = this.codec.sealMetadata(p.metadata, sessionMetadataPlace(k));
    if (patch.stateDelta !== undefined && patch.stateDelta !== null) sealed.stateDelta = this.sealDelta(p.delta, k);
    return this.opened(await this.sealedWrite(() => this.inner.updateSession(key, sealed, options)));
  }

  async updateKeys(key: SessionKey, delta: JsonObject, options?: WriteOptions): Promise<Session> {
    this.check();
    const k = resolveKey(key, this.limits);
    const split = splitKeyUpdate('delta', delta, this.limits);
    const sealed = this.sealDelta(split, k);
    // `null` deletes a key here: it stays null, nothing to seal.
    for (const keys of Object.values(split.unset ?? {})) for (const name of keys) setOwn(sealed, name, null);
    return this.opened(await this.sealedWrite(() => this.inner.updateKeys(key, sealed, options)));
  }

  async deleteSession(key: SessionKey): Promise<boolean> {
    this.check();
    return this.inner.deleteSession(key);
  }

  async importSession(snapshot: SessionSnapshot, options?: { replace?: boolean }): Promise<Session> {
    this.check();
    const p = prepareSnapshot(snapshot, this.limits);
    const k: SessionRef = { tenant: p.row.tenant, appName: p.row.app_name, userId: p.row.user_id, sessionId: p.row.id };
    const sealed: SessionSnapshot = {
      session: { ...snapshot.session, tenant: k.tenant, metadata: this.codec.sealMetadata(p.row.metadata, sessionMetadataPlace(k)) },
      state: this.sealEntries(p.state, k),
      events: snapshot.events.map((e) => this.sealEvent(e, k)),
    };
    if (snapshot.history !== undefined && snapshot.history !== null) {
      sealed.history = snapshot.history.map((c) => ({ ...c, set: this.sealValues(c.set, k) }));
    }
    return this.opened(await this.sealedWrite(() => this.inner.importSession(sealed, options)));
  }

  // ---- events

  async appendEvents(key: SessionKey, events: NewEvent[], options?: WriteOptions): Promise<AppendResult> {
    this.check();
    const k = resolveKey(key, this.limits);
    const prepared = prepareEvents(events, this.limits);
    // prepareEvents drops partial events: keep each kept event's position in the caller's list for errors.
    const positions = events.flatMap((e, i) => (e.partial === true ? [] : [i]));
    const sealed: NewEvent[] = prepared.map((e, i) => {
      const id = e.id ?? uuidv7();
      const event: NewEvent = { id, author: e.author };
      if (e.timestamp !== undefined) event.timestamp = e.timestamp;
      if (e.role !== null) event.role = e.role;
      if (e.invocationId !== null) event.invocationId = e.invocationId;
      if (e.content !== null) event.content = this.sealContent(events[positions[i]!]!.content, e.content, eventPlace(k, { id }, 'content'));
      if (e.metadata !== null) event.metadata = this.codec.seal(e.metadata, eventPlace(k, { id }, 'metadata'));
      if (e.delta !== null) event.stateDelta = this.sealDelta(e.delta, k);
      return event;
    });
    const result = await this.sealedWrite(
      () => this.inner.appendEvents(key, sealed, options),
      (field) => field.replace(/^events\[(\d+)\]/, (_, i: string) => `events[${positions[Number(i)] ?? i}]`),
    );
    return { ...result, events: result.events.map((e) => mapEvent(k, e, this.codec.open)) };
  }

  async readEvents(key: SessionKey, range?: EventRange): Promise<EventPage | null> {
    this.check();
    const page = await this.inner.readEvents(key, range);
    if (!page) return null;
    const k = resolveKey(key, this.limits);
    return { ...page, events: page.events.map((e) => mapEvent(k, e, this.codec.open)) };
  }

  async rewindSession(key: SessionKey, input: RewindInput, options?: WriteOptions): Promise<RewindResult> {
    this.check();
    const r = await this.inner.rewindSession(key, input, options);
    return { ...r, session: this.opened(r.session) };
  }

  async readSupersededEvents(key: SessionKey, range?: SupersededRange): Promise<SupersededPage | null> {
    this.check();
    const page = await this.inner.readSupersededEvents(key, range);
    if (!page) return null;
    const k = resolveKey(key, this.limits);
    return { ...page, events: page.events.map((e) => mapEvent(k, e, this.codec.open)) };
  }

  async readStateHistory(key: SessionKey): Promise<StateChange[] | null> {
    this.check();
    const changes = await this.inner.readStateHistory(key);
    return changes && mapHistory(resolveKey(key, this.limits), changes, this.codec.open);
  }

  /** Refused: sealed content holds no text to search (`unsupported`). */
  async searchEvents(_query: SearchQuery): Promise<SearchPage> {
    this.check();
    throw new SearchUnsupportedError();
  }

  async recordActivity(key: SessionKey, activity?: ActivityInput): Promise<Session> {
    this.check();
    return this.opened(await this.inner.recordActivity(key, activity));
  }

  // ---- shared state

  async getAppState(key: AppKey): Promise<JsonObject> {
    this.check();
    const state = await this.inner.getAppState(key);
    return mapState(state, resolveAppKey(key, this.limits), this.codec.open);
  }

  async getUserState(key: UserKey): Promise<JsonObject> {
    this.check();
    const state = await this.inner.getUserState(key);
    return mapState(state, resolveUserKey(key, this.limits), this.codec.open);
  }

  async updateAppState(key: AppKey, delta: JsonObject): Promise<JsonObject> {
    this.check();
    const owner = resolveAppKey(key, this.limits);
    const sealed = this.sealEntries(prepareScopeDelta('app', delta, this.limits), owner);
    return mapState(await this.sealedWrite(() => this.inner.updateAppState(key, sealed)), owner, this.codec.open);
  }

  async updateUserState(key: UserKey, delta: JsonObject): Promise<JsonObject> {
    this.check();
    const owner = resolveUserKey(key, this.limits);
    const sealed = this.sealEntries(prepareScopeDelta('user', delta, this.limits), owner);
    return mapState(await this.sealedWrite(() => this.inner.updateUserState(key, sealed)), owner, this.codec.open);
  }

  async scanSharedState(scope: 'app' | 'user', query?: ScanQuery): Promise<SharedStatePage> {
    this.check();
    const page = await this.inner.scanSharedState(scope, query);
    return { ...page, items: page.items.map((item) => ({ ...item, state: mapState(item.state, item, this.codec.open) })) };
  }

  // ---- files

  async putFile(record: NewFileRecord): Promise<FileRecord> {
    this.check();
    const row = prepareFile(record, this.limits, Date.now());
    const sealed: NewFileRecord = { ...record, tenant: row.tenant, id: row.id, metadata: this.codec.sealMetadata(row.metadata, fileMetadataPlace(row)) };
    return mapFile(await this.sealedWrite(() => this.inner.putFile(sealed)), this.codec.open);
  }

  async getFile(key: FileKey): Promise<FileRecord | null> {
    this.check();
    const f = await this.inner.getFile(key);
    return f && mapFile(f, this.codec.open);
  }

  async listFiles(query?: FileQuery): Promise<FilePage> {
    this.check();
    const page = await this.inner.listFiles(query);
    return { ...page, files: page.files.map((f) => mapFile(f, this.codec.open)) };
  }

  async deleteFile(key: FileKey): Promise<boolean> {
    this.check();
    return this.inner.deleteFile(key);
  }

  async scanFiles(query?: ScanQuery): Promise<FilePage> {
    this.check();
    const page = await this.inner.scanFiles(query);
    return { ...page, files: page.files.map((f) => mapFile(f, this.codec.open)) };
  }

  // ---- whole store

  async scanSessionKeys(query?: ScanQuery): Promise<SessionKeyPage> {
    this.check();
    return this.inner.scanSessionKeys(query);
  }

  async sweepExpired(options?: SweepOptions): Promise<SweepResult> {
    this.check();
    return this.inner.sweepExpired(options);
  }

  async stats(options?: { tenant?: string }): Promise<StoreStats> {
    this.check();
    return this.inner.stats(options);
  }

  // ---- sealing

  private check(): void {
    if (this.closed) throw new StoreClosedError();
  }

  private opened(s: Session): Session {
    return mapSession(s, this.codec.open);
  }

  /** State entries (validated JSON text) sealed for the scope each key names. */
  private sealEntries(entries: readonly StateEntry[], owner: StateOwner): JsonObject {
    const out: JsonObject = {};
    for (const [key, json] of entries) setOwn(out, key, this.codec.seal(json, statePlace(owner, key)));
    return out;
  }

  /** A validated delta of a session (every scope) as one object of sealed values. */
  private sealDelta(delta: ScopedDelta | null, k: SessionRef): JsonObject {
    if (!delta) return {};
    return this.sealEntries([...delta.app, ...delta.user, ...delta.session], k);
  }

  /** The values of a state object sealed for their scopes (an import's log; validated by the caller). */
  private sealValues(values: JsonObject, k: SessionRef): JsonObject {
    return this.sealDelta(splitDelta('snapshot.history', values, this.limits), k);
  }

  /** Content: a string as it is (its sealed size then follows its own bytes), anything else as its validated JSON text. */
  private sealContent(given: unknown, json: string, place: Place): SealedValue {
    return typeof given === 'string' ? this.codec.sealer.sealValue(given, place) : this.codec.seal(json, place);
  }

  /** A snapshot's event with its content, metadata and delta values sealed (validated by the caller). */
  private sealEvent(e: SessionEvent, k: SessionRef): SessionEvent {
    const out: SessionEvent = { ...e };
    if (e.content !== undefined && e.content !== null) out.content = this.codec.sealer.sealValue(e.content, eventPlace(k, e, 'content'));
    if (e.metadata !== undefined && e.metadata !== null) out.metadata = this.codec.seal(JSON.stringify(e.metadata), eventPlace(k, e, 'metadata'));
    if (e.stateDelta !== undefined && e.stateDelta !== null) out.stateDelta = this.sealValues(e.stateDelta, k);
    return out;
  }

  /**
   * Runs a write of sealed values. Sealing makes a value about a third larger
   * (plus ~60 bytes), and the store underneath checks its limits on what it
   * stores: a value that was within them in plain text but not once sealed is
   * refused with a message that says so. `rename` maps the store's field names
   * back to the caller's.
   */
  private async sealedWrite<T>(write: () => Promise<T>, rename: (field: string) => string = (f) => f): Promise<T> {
    try {
      return await write();
    } catch (err) {
      if (!(err instanceof TooLargeError)) throw err;
      const field = rename(err.field);
      const error = new TooLargeError(field, err.actual, err.limit, err.details?.['unit'] as string);
      error.message =
        `${field} is too large once sealed: ${err.actual} ${String(err.details?.['unit'])} encrypted, the limit is ${err.limit}. ` +
        'Encryption makes each value about a third larger (plus ~60 bytes); send less, or raise the limit where the store is configured (its limits).';
      throw error;
    }
  }
}
