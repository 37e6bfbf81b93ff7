import {
  ConflictError,
  isErrorCode,
  SessionDbError,
  SessionExistsError,
  SessionNotFoundError,
  StoreClosedError,
  TooLargeError,
  UnavailableError,
  ValidationError,
} from '../core/errors.js';
import { systemClock } from '../core/clock.js';
import { uuidv7 } from '../core/ids.js';
import { resolveLimits, type Limits } from '../core/limits.js';
import type { FileKey, MigrationStatus, SessionStore } from '../core/store.js';
import type {
  ForkOptions,
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
} from '../core/types.js';
import { checkForkOptions, checkRewindInput, resolveSupersededRange } from '../core/history.js';
import { prepareSearch } from '../core/search/prepare.js';
import { resolveCountQuery, resolveEventRange, resolveFileQuery, resolveReadOptions, resolveSessionQuery } from '../core/paging.js';
import { prepareFile, prepareNewSession, preparePatch, prepareScopeDelta, prepareSnapshot } from '../core/prepare.js';
import { splitKeyUpdate } from '../core/state.js';
import { checkActivity, checkName, prepareEvents, resolveAppKey, resolveFileKey, resolveKey, resolveSweep, resolveTenant, resolveUserKey } from '../core/validate.js';
import { DEFAULT_RETRY, retryDelay, type HttpRetryOptions } from './retry.js';

/** Options of `HttpStore`. */
export interface HttpStoreOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:8787` (a path prefix is kept). */
  url: string;
  /** Sent as `Authorization: Bearer <apiKey>`. Never appears in errors. */
  apiKey?: string;
  /** Limits checked before sending; `migrate()` replaces them with the server's. */
  limits?: Partial<Limits>;
  /** A request that takes longer fails with `unavailable`. Default 30 s. */
  timeoutMs?: number;
  /** Extra headers on every request (e.g. for a proxy in front). */
  headers?: Record<string, string>;
  /**
   * Check input locally before sending (default true): bad input then fails
   * without a round trip. The server checks everything again either way.
   */
  checkInput?: boolean;
  /**
   * Waiting when the server pushes back. A `429` (rate limit) is retried for
   * every call, after the server's `Retry-After`; a `503` (database busy or
   * unreachable) only for calls that are safe to repeat: reads, `PUT`s,
   * deletes, and appends (every event is sent with an id — the caller's, or
   * one the client chose — so a repeated append is a replay that stores
   * nothing twice). Bounded by `maxDelayMs` per wait and `budgetMs` per call;
   * `false` turns retries off.
   */
  retry?: HttpRetryOptions | false;
}

interface RequestSpec {
  query?: Record<string, string | number | boolean | null | undefined>;
  body?: unknown;
  /** Sent in `X-Sessiondb-Tenant` when the call names a tenant. */
  tenant?: string;
  ifMatch?: number;
  /** Answer `null` on 404 instead of throwing (reads of what may not exist). */
  nullIfMissing?: boolean;
  /** The stores' own validation of the call's input: run first when `checkInput`, and to name the field when the body cannot be sent. */
  check?: () => void;
  /** Names of the API's query fields that the contract calls otherwise, for errors (`query.events` → `lastEvents`). */
  fieldNames?: Record<string, string>;
  /** Safe to send again after a 503. Default: GET, PUT and DELETE. */
  idempotent?: boolean;
}

/**
 * The store contract over the sessiondb HTTP API, so an application can keep
 * its sessions in a sessiondb server exactly as it would in a local store:
 * same methods, same results, same errors (`SessionNotFoundError`,
 * `ConflictError`, … rebuilt from the server's answers).
 *
 * Input is checked with the stores' own validation before it is sent, so bad
 * input fails the same way, naming the same field, without a round trip; the
 * server checks it again.
 *
 * A call naming a `tenant` sends it in the `X-Sessiondb-Tenant` header: a key
 * bound to another tenant is refused (`forbidden`); an admin key (or a server
 * without keys) acts for it. Whole-store calls (`scan*`, `sweepExpired`) need
 * an admin key; `stats()` without a tenant gives a tenant key its own
 * tenant's totals.
 *
 * A rate-limited server (429) is waited out, as its `Retry-After` says, and a
 * busy one (503) too for calls that are safe to repeat; see
 * {@link HttpStoreOptions.retry}.
 *
 * @example
 * const store = await openStore('http://127.0.0.1:8787', { apiKey: process.env.SESSIONDB_API_KEY });
 * await store.createSession({ appName: 'shop', userId: 'u1', id: 's1' });
 */
export class HttpStore implements SessionStore {
  readonly kind = 'http';
  /** A server is shared by every client; vacuums and backups are the operator's, on the server's own store. */
  readonly capabilities = { sharedAcrossProcesses: true } as const;
  limits: Limits;
  private readonly base: string;
  private readonly origin: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly checkInput: boolean;
  private readonly retry: Required<HttpRetryOptions> | null;
  /** Whether the key is an admin's: from `/v1/info` (`migrate()`), or learned from a 403 on an admin route. */
  private admin: boolean | undefined;
  private closed = false;

  constructor(options: HttpStoreOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new ValidationError('url', 'is not a valid URL', 'Example: http://127.0.0.1:8787.');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ValidationError('url', `must be http: or https:, got "${url.protocol}"`);
    this.origin = url.origin;
    this.base = url.origin + url.pathname.replace(/\/+$/, '');
    this.limits = resolveLimits(options.limits);
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.checkInput = options.checkInput !== false;
    this.retry = options.retry === false ? null : { ...DEFAULT_RETRY, ...(options.retry ?? {}) };
    this.headers = { accept: 'application/json', ...(options.headers ?? {}) };
    if (options.apiKey) this.headers['authorization'] = `Bearer ${options.apiKey}`;
  }

  /** Checks that the server answers and adopts its input limits. The server migrates its own database. */
  async migrate(): Promise<void> {
    const info = await this.request<{ limits: Limits; schema: MigrationStatus; admin?: boolean }>('GET', '/v1/info');
    this.limits = resolveLimits(info.limits);
    if (typeof info.admin === 'boolean') this.admin = info.admin;
  }

  async migrationStatus(): Promise<MigrationStatus> {
    return (await this.request<{ schema: MigrationStatus }>('GET', '/v1/info')).schema;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  async createSession(input: NewSession): Promise<Session> {
    const { tenant, appName, userId, ...body } = input;
    const k = resolveUserKey({ tenant, appName, userId }, this.limits);
    return this.request<Session>('POST', `${this.userPath(k)}/sessions`, { check: () => void prepareNewSession(input, this.limits), tenant, body });
  }

  async getSession(key: SessionKey, options: ReadOptions = {}): Promise<Session | null> {
    const events = options.withEvents === false ? 'none' : (options.lastEvents ?? 'all');
    return this.request<Session | null>('GET', this.sessionPath(key), {
      check: () => void resolveReadOptions(options),
      tenant: key.tenant,
      query: { events, afterTimestamp: options.withEvents === false ? undefined : options.afterTimestamp },
      nullIfMissing: true,
      fieldNames: { 'query.events': 'lastEvents', 'query.afterTimestamp': 'afterTimestamp' },
    });
  }

  async listSessions(query: SessionQuery): Promise<SessionPage> {
    const { tenant, ...q } = query;
    return this.request<SessionPage>('GET', '/v1/sessions', { check: () => void resolveSessionQuery(query, this.limits), tenant: this.tenant(tenant), query: q });
  }

  async countSessions(query: SessionCountQuery): Promise<number> {
    const { tenant, ...q } = query;
    return (await this.request<{ count: number }>('GET', '/v1/sessions/count', { check: () => void resolveCountQuery(query, this.limits), tenant: this.tenant(tenant), query: q })).count;
  }

  async updateSession(key: SessionKey, patch: SessionPatch, options: WriteOptions = {}): Promise<Session> {
    return this.request<Session>('PATCH', this.sessionPath(key), { check: () => void preparePatch(patch, this.limits), tenant: key.tenant, body: patch, ifMatch: options.expectVersion });
  }

  /** `PATCH …/sessions/:session/state` with `{ delta }`; see `SessionStore.updateKeys` (null deletes a key). */
  async updateKeys(key: SessionKey, delta: JsonObject, options: WriteOptions = {}): Promise<Session> {
    return this.request<Session>('PATCH', `${this.sessionPath(key)}/state`, {
      check: () => void splitKeyUpdate('delta', delta, this.limits),
      tenant: key.tenant,
      body: { delta },
      ifMatch: options.expectVersion,
    });
  }

  async deleteSession(key: SessionKey): Promise<boolean> {
    return (await this.request<null>('DELETE', this.sessionPath(key), { tenant: key.tenant, nullIfMissing: true })) !== null;
  }

  async importSession(snapshot: SessionSnapshot, options: { replace?: boolean } = {}): Promise<Session> {
    const s = snapshot?.session;
    if (s === null || typeof s !== 'object') throw new ValidationError('session', 'must be an object');
    return this.request<Session>('PUT', this.sessionPath({ tenant: s.tenant, appName: s.appName, userId: s.userId, sessionId: s.id }), {
      check: () => void prepareSnapshot(snapshot, this.limits),
      tenant: s.tenant,
      query: { replace: options.replace },
      body: snapshot,
    });
  }

  async appendEvents(key: SessionKey, events: NewEvent[], options: WriteOptions = {}): Promise<AppendResult> {
    const path = `${this.sessionPath(key)}/events`;
    // Every event goes with an id (ours when the caller gave none, as the store would choose), so that sending it again is a replay.
    const withIds = Array.isArray(events)
      ? events.map((e) => (e !== null && typeof e === 'object' && !Array.isArray(e) && e.id === undefined ? { ...e, id: uuidv7() } : e))
      : events;
    return this.request<AppendResult>('POST', path, {
      check: () => void prepareEvents(events, this.limits),
      tenant: key.tenant,
      body: { events: withIds },
      ifMatch: options.expectVersion,
      idempotent: true,
    });
  }

  /** `POST …/sessions/:session/rewind`; see `SessionStore.rewindSession`. `expectVersion` goes as `If-Match`. */
  async rewindSession(key: SessionKey, input: RewindInput, options: WriteOptions = {}): Promise<RewindResult> {
    const check = () => void checkRewindInput(input);
    if (input === null || typeof input !== 'object') check();
    return this.request<RewindResult>('POST', `${this.sessionPath(key)}/rewind`, { check, tenant: key.tenant, body: { toSeq: input.toSeq }, ifMatch: options.expectVersion });
  }

  async readSupersededEvents(key: SessionKey, range: SupersededRange = {}): Promise<SupersededPage | null> {
    return this.request<SupersededPage | null>('GET', `${this.sessionPath(key)}/superseded`, {
      check: () => void resolveSupersededRange(range, this.limits),
      tenant: key.tenant,
      query: { limit: range?.limit, cursor: range?.cursor },
      nullIfMissing: true,
    });
  }

  async readStateHistory(key: SessionKey): Promise<StateChange[] | null> {
    const r = await this.request<{ changes: StateChange[] } | null>('GET', `${this.sessionPath(key)}/history`, { tenant: key.tenant, nullIfMissing: true });
    return r && r.changes;
  }

  /** `GET /v1/search`: the search runs on the server's store, in the tenant the call names (or the key's). */
  async searchEvents(query: SearchQuery): Promise<SearchPage> {
    const check = () => void prepareSearch(query, this.limits);
    // A value the URL cannot carry as it is (a query that is no string, a limit that is no number) is refused here, as the store would.
    const types: Record<string, 'string' | 'number'> = { ...SEARCH_PARAMS, tenant: 'string' };
    if (query === null || typeof query !== 'object' || typeof query.query !== 'string') check();
    for (const [field, value] of Object.entries(query)) {
      if (value === undefined || value === null || typeof value === types[field]) continue;
      check();
      throw new ValidationError(field, types[field] ? `must be a ${types[field]}, got ${typeof value}` : 'is not a search field');
    }
    const { query: q, tenant, ...filters } = query;
    return this.request<SearchPage>('GET', '/v1/search', {
      check,
      tenant: this.tenant(tenant),
      query: { q, ...(filters as Record<string, string | number | null | undefined>) },
      fieldNames: { 'query.q': 'query' },
    });
  }

  /**
   * `POST …/sessions/:session/fork`: the server forks in one request (see
   * `forkSession` from `sessiondb`, which calls this for an `HttpStore`).
   */
  async forkSession(key: SessionKey, options: ForkOptions = {}): Promise<Session> {
    const check = () => void checkForkOptions(options, this.limits);
    if (options === null || typeof options !== 'object') check();
    const { newSessionId, upToSeq, userId } = options; // what the fork takes; other keys are ignored, as the generic fork ignores them
    return this.request<Session>('POST', `${this.sessionPath(key)}/fork`, { check, tenant: key.tenant, body: { newSessionId, upToSeq, userId } });
  }

  async readEvents(key: SessionKey, range: EventRange = {}): Promise<EventPage | null> {
    return this.request<EventPage | null>('GET', `${this.sessionPath(key)}/events`, { check: () => void resolveEventRange(range, this.limits), tenant: key.tenant, query: { ...range }, nullIfMissing: true });
  }

  async recordActivity(key: SessionKey, activity: ActivityInput = {}): Promise<Session> {
    return this.request<Session>('POST', `${this.sessionPath(key)}/activity`, { check: () => void checkActivity(activity, systemClock), tenant: key.tenant, body: activity });
  }

  async getAppState(key: AppKey): Promise<JsonObject> {
    return this.request<JsonObject>('GET', `${this.appPath(key)}/state`, { tenant: key.tenant });
  }

  async getUserState(key: UserKey): Promise<JsonObject> {
    return this.request<JsonObject>('GET', `${this.userPath(key)}/state`, { tenant: key.tenant });
  }

  async updateAppState(key: AppKey, delta: JsonObject): Promise<JsonObject> {
    return this.request<JsonObject>('PATCH', `${this.appPath(key)}/state`, { check: () => void prepareScopeDelta('app', delta, this.limits), tenant: key.tenant, body: delta });
  }

  async updateUserState(key: UserKey, delta: JsonObject): Promise<JsonObject> {
    return this.request<JsonObject>('PATCH', `${this.userPath(key)}/state`, { check: () => void prepareScopeDelta('user', delta, this.limits), tenant: key.tenant, body: delta });
  }

  async putFile(record: NewFileRecord): Promise<FileRecord> {
    const { tenant, id, ...body } = record;
    const check = () => void prepareFile(record, this.limits, Date.now());
    if (id === undefined) return this.request<FileRecord>('POST', '/v1/files', { check, tenant, body });
    return this.request<FileRecord>('PUT', `/v1/files/${segment('id', checkName('id', id, this.limits))}`, { check, tenant, body });
  }

  async getFile(key: FileKey): Promise<FileRecord | null> {
    return this.request<FileRecord | null>('GET', this.filePath(key), { tenant: key.tenant, nullIfMissing: true });
  }

  async listFiles(query: FileQuery = {}): Promise<FilePage> {
    const { tenant, ...q } = query;
    return this.request<FilePage>('GET', '/v1/files', { check: () => void resolveFileQuery(query, this.limits), tenant: this.tenant(tenant), query: q });
  }

  async deleteFile(key: FileKey): Promise<boolean> {
    return (await this.request<null>('DELETE', this.filePath(key), { tenant: key.tenant, nullIfMissing: true })) !== null;
  }

  async scanSessionKeys(query: ScanQuery = {}): Promise<SessionKeyPage> {
    return this.request<SessionKeyPage>('GET', '/v1/admin/scan/sessions', { query: { ...query } });
  }

  async scanSharedState(scope: 'app' | 'user', query: ScanQuery = {}): Promise<SharedStatePage> {
    if (scope !== 'app' && scope !== 'user') throw new ValidationError('scope', `must be "app" or "user", got ${JSON.stringify(scope)}`);
    return this.request<SharedStatePage>('GET', `/v1/admin/scan/${scope}-state`, { query: { ...query } });
  }

  async scanFiles(query: ScanQuery = {}): Promise<FilePage> {
    return this.request<FilePage>('GET', '/v1/admin/scan/files', { query: { ...query } });
  }

  async sweepExpired(options: SweepOptions = {}): Promise<SweepResult> {
    return this.request<SweepResult>('POST', '/v1/admin/sweep', { check: () => void resolveSweep(options, systemClock), body: options });
  }

  /**
   * Totals of one tenant, or without `tenant` of the whole store — which only
   * an admin key (or a server without keys) may read; a tenant key gets its
   * own tenant's totals instead, all it may see.
   */
  async stats(options: { tenant?: string } = {}): Promise<StoreStats> {
    type Totals = StoreStats & { store?: string };
    let totals: Totals | undefined;
    if (options.tenant !== undefined) totals = await this.request<Totals>('GET', '/v1/stats', { tenant: this.tenant(options.tenant) });
    else if (this.admin !== false) {
      try {
        totals = await this.request<Totals>('GET', '/v1/admin/stats');
      } catch (err) {
        if (!(err instanceof SessionDbError && err.code === 'forbidden')) throw err;
        this.admin = false;
      }
    }
    totals ??= await this.request<Totals>('GET', '/v1/stats');
    const { store: _store, ...rest } = totals;
    return rest;
  }

  private tenant(tenant: string | undefined): string | undefined {
    return tenant === undefined ? undefined : resolveTenant(tenant, this.limits);
  }

  private appPath(key: AppKey): string {
    const k = resolveAppKey(key, this.limits);
    return `/v1/apps/${segment('appName', k.appName)}`;
  }

  private userPath(key: UserKey): string {
    const k = resolveUserKey(key, this.limits);
    return `${this.appPath(k)}/users/${segment('userId', k.userId)}`;
  }

  private sessionPath(key: SessionKey): string {
    const k = resolveKey(key, this.limits);
    return `${this.userPath(k)}/sessions/${segment('sessionId', k.sessionId)}`;
  }

  private filePath(key: FileKey): string {
    const k = resolveFileKey(key, this.limits);
    return `/v1/files/${segment('id', k.id)}`;
  }

  private async request<T>(method: string, path: string, spec: RequestSpec = {}): Promise<T> {
    if (this.closed) throw new StoreClosedError();
    if (this.checkInput) spec.check?.();
    const url = new URL(this.base + path);
    for (const [name, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined && value !== null) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = { ...this.headers };
    if (spec.tenant !== undefined) headers['x-sessiondb-tenant'] = spec.tenant;
    if (spec.ifMatch !== undefined) headers['if-match'] = `"${spec.ifMatch}"`;
    let body: string | undefined;
    if (spec.body !== undefined) {
      headers['content-type'] = 'application/json';
      try {
        body = JSON.stringify(spec.body);
      } catch (err) {
        spec.check?.();
        throw new ValidationError('input', `cannot be sent as JSON: ${(err as Error).message}`);
      }
    }
    const idempotent = spec.idempotent ?? (method === 'GET' || method === 'PUT' || method === 'DELETE');
    const started = Date.now();
    for (let retries = 0; ; retries++) {
      let res: Response;
      try {
        res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(this.timeoutMs) });
      } catch (err) {
        const reason = (err as Error).name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : describeNetworkError(err);
        throw new UnavailableError(`The sessiondb server at ${this.origin} could not be reached: ${reason}.`, { cause: err });
      }
      if (res.status === 204) return true as T;
      const text = await res.text();
      if (res.ok) return JSON.parse(text) as T;
      if (res.status === 404 && spec.nullIfMissing) {
        const code = parseError(text)?.code;
        if (code === 'not_found') return null as T;
      }
      const err = errorFromResponse(res.status, text, res.headers.get('x-request-id'), spec.fieldNames);
      if (this.retry && (res.status === 429 || (res.status === 503 && idempotent))) {
        const wait = retryDelay(res.headers.get('retry-after'), retries, this.retry.maxDelayMs);
        if (Date.now() + wait - started <= this.retry.budgetMs) {
          await new Promise((resolve) => setTimeout(resolve, wait));
          if (this.closed) throw new UnavailableError('The store was closed while a call waited to retry.');
          continue;
        }
        if (retries > 0) err.message += ` (gave up after ${retries} retries over ${Math.round((Date.now() - started) / 100) / 10} s)`;
      }
      throw err;
    }
  }
}

/** The search fields sent as query parameters, and the type each must have. */
const SEARCH_PARAMS: Record<string, 'string' | 'number'> = {
  query: 'string', appName: 'string', userId: 'string', sessionId: 'string', role: 'string', author: 'string',
  after: 'number', before: 'number', status: 'string', limit: 'number', cursor: 'string',
};

/** One path segment. `.` and `..` cannot be sent: URL parsers resolve them away. */
function segment(field: string, name: string): string {
  if (name === '.' || name === '..') throw new ValidationError(field, `is "${name}", which cannot be named in a URL path`, 'Choose another name.');
  return encodeURIComponent(name);
}

interface ErrorBody {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

function parseError(text: string): ErrorBody | undefined {
  try {
    const e = (JSON.parse(text) as { error?: ErrorBody }).error;
    return e && typeof e.code === 'string' && typeof e.message === 'string' ? e : undefined;
  } catch {
    return undefined;
  }
}

/** Rebuilds the error the server's store threw, as the same class with the same message and details. */
function errorFromResponse(status: number, text: string, requestId: string | null, fieldNames: Record<string, string> = {}): Error {
  const e = parseError(text);
  const renamed = e?.details && typeof e.details['field'] === 'string' ? fieldNames[e.details['field']] : undefined;
  if (e && renamed) {
    e.message = `${e.message} (${renamed})`;
    e.details = { ...e.details, field: renamed };
  }
  if (!e || !isErrorCode(e.code)) {
    const reference = requestId ? ` (request id ${requestId})` : '';
    if (status >= 500) return new UnavailableError(`The sessiondb server failed with status ${status}${reference}.`);
    return new SessionDbError('invalid', `The sessiondb server answered status ${status}${reference}: ${text.slice(0, 200)}`);
  }
  const d = e.details ?? {};
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const num = (v: unknown) => (typeof v === 'number' ? v : NaN);
  let err: SessionDbError;
  switch (e.code) {
    case 'not_found':
      err = 'sessionId' in d ? new SessionNotFoundError({ appName: str(d['appName']), userId: str(d['userId']), sessionId: str(d['sessionId']) }) : new SessionDbError('not_found', e.message, d);
      break;
    case 'exists':
      err = new SessionExistsError({ appName: str(d['appName']), userId: str(d['userId']), sessionId: str(d['sessionId']) });
      break;
    case 'conflict':
      err = new ConflictError(num(d['expectedVersion']), num(d['actualVersion']), e.message);
      break;
    case 'invalid':
      if (typeof d['limit'] === 'number' && typeof d['actual'] === 'number') {
        // A name in the URL or a page size over a limit: the server answers 400 (413 is for bodies); the store's error is too_large.
        err = new TooLargeError(str(d['field']), d['actual'], d['limit'], str(d['unit']));
        break;
      }
      err = new ValidationError(str(d['field']) || 'input', 'was refused');
      (err as { details: Record<string, unknown> }).details = d;
      break;
    case 'too_large':
      err = new TooLargeError(str(d['field']), num(d['actual']), num(d['limit']), str(d['unit']));
      break;
    case 'unavailable':
      err = new UnavailableError(e.message);
      break;
    default:
      err = new SessionDbError(e.code, e.message, e.details);
  }
  err.message = e.message;
  return err;
}

function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}
