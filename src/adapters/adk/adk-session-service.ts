import {
  BaseSessionService,
  trimTempDeltaState,
  type AppendEventRequest,
  type CreateSessionRequest,
  type DeleteSessionRequest,
  type Event,
  type GetSessionRequest,
  type ListSessionsRequest,
  type ListSessionsResponse,
  type Session as AdkSession,
} from '@google/adk';
import { ConflictError, SessionExistsError, SessionNotFoundError, ValidationError } from '../../core/errors.js';
import { capabilitiesOf, type SessionStore } from '../../core/store.js';
import type { AppendResult, JsonObject, Session, SessionKey, SessionQuery } from '../../core/types.js';
import { openStore, type OpenStoreOptions } from '../../stores/open-store.js';
import { toAdkEvent, toStoreEvent } from './event-mapping.js';

/**
 * Thrown by `appendEvent` when the session object is stale: another writer
 * appended to the session since this copy was read. Nothing was stored.
 * Re-read the session with `getSession()` and run the step again.
 */
export class StaleSessionError extends ConflictError {
  /** `heldVersion` is null for a session object this service did not hand out (judged by its update time). */
  constructor(sessionId: string, heldVersion: number | null, storedVersion: number) {
    super(
      heldVersion ?? -1,
      storedVersion,
      `Session "${sessionId}" is stale: another writer changed it since this copy was read ` +
        (heldVersion === null
          ? `(its lastUpdateTime is older than the stored session's, at version ${storedVersion}). `
          : `(this copy is at version ${heldVersion}, the stored session at ${storedVersion}). `) +
        'Nothing was stored; re-read the session with getSession() and retry.',
    );
  }
}

/** `AdkSessionService.getStats()`: the seed's `get_stats` shape. */
export interface AdkStoreStats {
  sessions: number;
  events: number;
  state_keys: number;
  /** Size on disk in MiB (`diskBytes / 2^20`); null when the store has no database file. */
  db_size_mb: number | null;
}

export interface AdkSessionServiceOptions {
  /** The tenant every session of this service lives in. Default `"default"`. */
  tenant?: string;
  /** Passed to `openStore` when the service is given a URL. */
  open?: OpenStoreOptions;
}

/** Pages fetched when an ADK listing asks for more sessions than one store page holds. */
const LIST_CHUNK = 500;
/** Sessions fetched first when a descending page must be extended over a tie group (doubling after). */
const TIE_CHUNK = 8;

/**
 * A persistent session service for Google ADK (`@google/adk`), on any
 * sessiondb store. Replace `InMemorySessionService` with it:
 *
 * @example
 * const sessionService = new AdkSessionService('sqlite:./data/adk.db');
 * const runner = new Runner({ appName: 'my_app', agent, sessionService });
 */
export class AdkSessionService extends BaseSessionService {
  private readonly source: SessionStore | string;
  private readonly options: AdkSessionServiceOptions;
  private opened: Promise<SessionStore> | null = null;
  /** The store version each session object was read or written at: how staleness is detected. */
  private readonly versions = new WeakMap<AdkSession, number>();
  /** Appends through one session object run one after another. */
  private readonly queues = new WeakMap<AdkSession, Promise<unknown>>();

  /** `storeOrUrl`: a `SessionStore` (which the service will not close) or a URL for `openStore`. */
  constructor(storeOrUrl: SessionStore | string, options: AdkSessionServiceOptions = {}) {
    super();
    if (typeof storeOrUrl !== 'string' && (storeOrUrl === null || typeof storeOrUrl !== 'object')) {
      throw new ValidationError('storeOrUrl', 'must be a SessionStore or a store URL such as "sqlite:./data/adk.db"');
    }
    this.source = storeOrUrl;
    this.options = options;
  }

  /** The underlying store (opened and migrated on first use when the service was given a URL). */
  store(): Promise<SessionStore> {
    if (!this.opened) {
      this.opened = typeof this.source === 'string' ? openStore(this.source, this.options.open) : Promise.resolve(this.source);
      this.opened.catch(() => {
        this.opened = null;
      });
    }
    return this.opened;
  }

  /** Closes the store if this service opened it from a URL. */
  async close(): Promise<void> {
    if (typeof this.source === 'string' && this.opened) await (await this.opened).close();
  }

  override async createSession({ appName, userId, state, sessionId }: CreateSessionRequest): Promise<AdkSession> {
    const store = await this.store();
    const created = await store.createSession({
      tenant: this.options.tenant,
      appName,
      userId,
      id: sessionId || undefined,
      state: state ?? undefined,
    });
    return this.toAdk(created);
  }

  override async getSession({ appName, userId, sessionId, config }: GetSessionRequest): Promise<AdkSession | undefined> {
    const store = await this.store();
    const session = await store.getSession(this.key(appName, userId, sessionId), {
      lastEvents: config?.numRecentEvents,
      afterTimestamp: config?.afterTimestamp,
    });
    return session ? this.toAdk(session) : undefined;
  }

  /** Get, or create when missing; safe when two callers race to create the same id. */
  override async getOrCreateSession(request: CreateSessionRequest): Promise<AdkSession> {
    if (request.sessionId) {
      const found = await this.getSession({ appName: request.appName, userId: request.userId, sessionId: request.sessionId });
      if (found) return found;
    }
    try {
      return await this.createSession(request);
    } catch (err) {
      if (!(err instanceof SessionExistsError) || !request.sessionId) throw err;
      const winner = await this.getSession({ appName: request.appName, userId: request.userId, sessionId: request.sessionId });
      if (!winner) throw err;
      return winner;
    }
  }

  /**
   * ADK's listing: sessions without events, with merged state, ordered by last
   * update (ascending unless `order: 'desc'`), then id; `limit`, `offset` and
   * 1-based `page` as ADK's own database service pages them.
   */
  override async listSessions({ appName, userId, limit, offset, page, order }: ListSessionsRequest): Promise<ListSessionsResponse> {
    const store = await this.store();
    const filter = { tenant: this.options.tenant, appName, userId: userId || undefined };
    for (const [name, value] of [['limit', limit], ['offset', offset], ['page', page]] as const) {
      if (value !== undefined && (!Number.isSafeInteger(value) || value < (name === 'page' ? 1 : 0))) {
        throw new ValidationError(name, `must be ${name === 'page' ? 'a positive' : 'a non-negative'} integer, got ${JSON.stringify(value)}`);
      }
    }
    if (limit === undefined) {
      const [totalItems, sessions] = await Promise.all([store.countSessions(filter), this.collect(store, { ...filter, order: order ?? 'asc' }, offset ?? 0, Infinity)]);
      return { sessions, page: 1, limit: totalItems, totalItems, totalPages: totalItems === 0 ? 0 : 1 };
    }
    const start = page !== undefined ? (page - 1) * limit : (offset ?? 0);
    const currentPage = page ?? (limit === 0 ? 1 : Math.floor(start / limit) + 1);
    // The count and the page are two queries either way; side by side they cost one round trip on a pool.
    const [totalItems, sessions] = await Promise.all([
      store.countSessions(filter),
      limit === 0 ? Promise.resolve([]) : this.collect(store, { ...filter, order: order ?? 'asc' }, start, limit),
    ]);
    return { sessions, page: currentPage, limit, totalItems, totalPages: limit === 0 ? 0 : Math.ceil(totalItems / limit) };
  }

  override async deleteSession({ appName, userId, sessionId }: DeleteSessionRequest): Promise<void> {
    const store = await this.store();
    await store.deleteSession(this.key(appName, userId, sessionId));
  }

  /**
   * Updates state without an event (the seed's `update_keys`): keys routed by
   * prefix to the app (`app:`), the user (`user:`) and the session; `temp:` keys
   * are dropped. **A `null` value deletes the key** — unlike an event's
   * `stateDelta`, where ADK stores `null` as a value. Throws `not_found` for a
   * missing session. The session's version moves on, so a session object read
   * before this call is stale for `appendEvent`: read it again.
   */
  async updateKeys({ appName, userId, sessionId, delta }: { appName: string; userId: string; sessionId: string; delta: JsonObject }): Promise<void> {
    const store = await this.store();
    await store.updateKeys(this.key(appName, userId, sessionId), delta);
  }

  /** How many events the session holds (the seed's `get_event_count`). Throws `not_found` for a missing session. */
  async getEventCount({ appName, userId, sessionId }: { appName: string; userId: string; sessionId: string }): Promise<number> {
    const store = await this.store();
    const key = this.key(appName, userId, sessionId);
    const session = await store.getSession(key, { withEvents: false });
    if (!session) throw new SessionNotFoundError(key);
    return session.eventCount;
  }

  /**
   * The store's totals in the seed's `get_stats` shape. Counts cover the
   * service's tenant when it was given one, else the whole store; `db_size_mb`
   * is the database's size on disk (the store's `diskBytes`, in MiB), or null for a store without a database file (memory, HTTP).
   */
  async getStats(): Promise<AdkStoreStats> {
    const store = await this.store();
    const whole = await store.stats();
    const counts = this.options.tenant === undefined ? whole : await store.stats({ tenant: this.options.tenant });
    return {
      sessions: counts.sessions,
      events: counts.events,
      state_keys: counts.stateKeys,
      db_size_mb: whole.diskBytes === undefined ? null : whole.diskBytes / (1024 * 1024),
    };
  }

  /**
   * Reclaims space (the seed's `vacuum`) where the store can (its `vacuum`
   * capability: SQLite, PostgreSQL). On any other store it is a no-op and
   * resolves without error: there is nothing to reclaim that the store does
   * not reclaim itself.
   */
  async vacuum(): Promise<void> {
    const store = await this.store();
    if (capabilitiesOf(store).vacuum && store.vacuum) await store.vacuum();
  }

  /**
   * Stores the event and its state delta atomically, then updates the session
   * object as ADK does. Partial events are not stored; `temp:` keys never reach
   * storage. A stale session object is refused with `StaleSessionError`.
   */
  override async appendEvent({ session, event }: AppendEventRequest): Promise<Event> {
    if (event.partial) return event;
    const previous = this.queues.get(session) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.appendNow(session, event));
    this.queues.set(session, run);
    return run;
  }

  private async appendNow(session: AdkSession, event: Event): Promise<Event> {
    const store = await this.store();
    const key = this.key(session.appName, session.userId, session.id);
    trimTempDeltaState(event);
    let held = this.versions.get(session);
    if (held === undefined) {
      // A session object this service did not hand out: judge it by its update time, as ADK does.
      const stored = await store.getSession(key, { withEvents: false });
      if (stored && stored.updatedAt > session.lastUpdateTime) throw new StaleSessionError(session.id, null, stored.version);
      held = stored?.version;
    }
    let result: AppendResult;
    try {
      result = await store.appendEvents(key, [toStoreEvent(event)], held === undefined ? {} : { expectVersion: held });
    } catch (err) {
      if (err instanceof ConflictError) throw new StaleSessionError(session.id, err.expectedVersion, err.actualVersion);
      throw err;
    }
    if (result.version === held) {
      // A replay of an event already stored: the store kept the original and applied nothing.
      if (!session.events.some((e) => e.id === event.id)) session.events.push(toAdkEvent(result.events[0]!));
      return event;
    }
    // ADK's own in-memory update (state delta rules, write-order stamps) on a view whose event
    // list is empty, so that it does not scan the whole history for the id on every append:
    // the store has just told us the event is new.
    await super.appendEvent({ session: { ...session, events: [] }, event });
    session.events.push(event);
    session.lastUpdateTime = event.timestamp;
    this.versions.set(session, result.version);
    return event;
  }

  private key(appName: string, userId: string, sessionId: string): SessionKey {
    return { tenant: this.options.tenant, appName, userId, sessionId };
  }

  private toAdk(session: Session): AdkSession {
    const out: AdkSession = {
      id: session.id,
      appName: session.appName,
      userId: session.userId,
      state: session.state,
      events: (session.events ?? []).map(toAdkEvent),
      lastUpdateTime: session.updatedAt,
    };
    this.versions.set(out, session.version);
    return out;
  }

  /**
   * `count` sessions from position `offset` of ADK's order. Ascending, that is
   * the store's order. Descending, ADK still breaks ties of update time by id
   * ascending, while the store reverses its whole order; so the page is read
   * with its neighbours, extended over any tie group cut by the page's edges,
   * and each group of equal times is put back in ascending order. That reads
   * the page plus its boundary tie groups, never the whole listing.
   */
  private async collect(store: SessionStore, query: SessionQuery, offset: number, count: number): Promise<AdkSession[]> {
    if (query.order !== 'desc') return (await this.range(store, query, offset, count)).sessions.map((s) => this.toAdk(s));
    const before = offset > 0 ? 1 : 0;
    let from = offset - before;
    const first = await this.range(store, query, from, count + before + 1);
    let window = first.sessions;
    if (window.length <= before) return [];
    const head = window[before]!.updatedAt;
    for (let chunk = TIE_CHUNK; from > 0 && window[0]!.updatedAt === head; chunk *= 2) {
      const start = Math.max(0, from - chunk);
      window = [...(await this.range(store, query, start, from - start)).sessions, ...window];
      from = start;
    }
    const end = offset - from + count; // the page is window[offset - from, end)
    if (window.length > end) {
      const tail = window[end - 1]!.updatedAt;
      for (let cursor = first.nextCursor, chunk = TIE_CHUNK; cursor && window.at(-1)!.updatedAt === tail; chunk *= 2) {
        const next = await store.listSessions({ ...query, cursor, limit: Math.min(chunk, store.limits.maxPageSize) });
        window = [...window, ...next.sessions];
        cursor = next.nextCursor;
      }
    }
    return ascendingWithinTies(window).slice(offset - from, end).map((s) => this.toAdk(s));
  }

  /** The store's sessions at positions `[offset, offset + count)` of its order, following cursors across pages. */
  private async range(store: SessionStore, query: SessionQuery, offset: number, count: number): Promise<{ sessions: Session[]; nextCursor: string | null }> {
    const out: Session[] = [];
    let page = await store.listSessions({ ...query, offset, limit: Math.min(LIST_CHUNK, count) });
    for (;;) {
      for (const s of page.sessions) if (out.length < count) out.push(s);
      if (out.length >= count || !page.nextCursor) return { sessions: out, nextCursor: page.nextCursor };
      page = await store.listSessions({ ...query, cursor: page.nextCursor, limit: Math.min(LIST_CHUNK, count - out.length) });
    }
  }
}

/** Reverses each run of equal update times of a descending listing, so that ties read by id (then app, user) ascending. */
function ascendingWithinTies(sessions: Session[]): Session[] {
  const out: Session[] = [];
  for (let i = 0; i < sessions.length; ) {
    let j = i + 1;
    while (j < sessions.length && sessions[j]!.updatedAt === sessions[i]!.updatedAt) j++;
    for (let k = j - 1; k >= i; k--) out.push(sessions[k]!);
    i = j;
  }
  return out;
}
