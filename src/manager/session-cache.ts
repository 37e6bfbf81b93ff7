import { DEFAULT_TENANT, type AppendResult, type Session, type SessionEvent } from '../core/types.js';

/** The newest visible events of a session, seqs `fromSeq`..last, contiguous; `fromSeq` 1: all of them. */
export interface EventWindow {
  fromSeq: number;
  list: SessionEvent[];
}

/** What the cache knows of one session, as of one version. */
export interface CacheEntry {
  /** The session version `session` and `events` are true for. */
  version: number;
  /**
   * The session without events; null when only its events are known (after
   * an append, or a write to shared state), or when sessions are not kept
   * (several writers: the session is read from the store on every use).
   */
  session: Session | null;
  events: EventWindow | null;
}

/** Which shared state a write touched (`app:` and `user:` keys live outside the session and its version). */
export interface SharedScopes {
  app: boolean;
  user: boolean;
}

type KeyParts = { tenant?: string; appName: string; userId: string; sessionId?: string; id?: string };

/** The cache's key of a session. */
export function cacheKey(k: KeyParts): string {
  return [k.tenant ?? DEFAULT_TENANT, k.appName, k.userId, k.sessionId ?? k.id].join('\u0000');
}

/**
 * The manager's LRU of sessions: each entry holds the session without events
 * and, once a read brought them, a window of its newest events, both tagged
 * with the session version they are true for. A bound on the number of
 * sessions and one on the events held in all entries together; past either,
 * the least recently used entries go.
 *
 * Entries keep copies of what they are given; callers copy what they hand
 * out (`copySession`, `copyEvents`).
 */
export class SessionCache {
  private readonly map = new Map<string, CacheEntry>();
  private eventsHeld = 0;
  /** False when other processes write: only versions and events are kept, a session is always read again. */
  keepSessions = true;

  constructor(
    readonly maxSessions: number,
    readonly maxEvents: number,
  ) {}

  get size(): number {
    return this.map.size;
  }

  /** Events held over all entries. */
  get events(): number {
    return this.eventsHeld;
  }

  /** The entry, marked as just used. */
  get(id: string): CacheEntry | undefined {
    const entry = this.map.get(id);
    if (entry) {
      this.map.delete(id);
      this.map.set(id, entry);
    }
    return entry;
  }

  /**
   * A session as a write or a read without events returned it. Its events
   * stay when they are still true: same version, or the version right after
   * theirs (a write that added no event; `keepEventsAcrossWrite`).
   */
  putSession(id: string, session: Session, keepEventsAcrossWrite = false): void {
    if (this.maxSessions <= 0) return;
    const old = this.map.get(id);
    const keep = old?.events && (old.version === session.version || (keepEventsAcrossWrite && old.version === session.version - 1));
    this.replace(id, { version: session.version, session: this.keepSessions ? copySession(session) : null, events: keep ? old.events : null });
  }

  /**
   * A session as a read with events returned it. Its events become the
   * window when they are the newest visible ones without a gap (whatever the
   * read asked for: last N, since a time, or all).
   */
  putRead(id: string, session: Session): void {
    if (this.maxSessions <= 0) return;
    const window = windowOf(session.events ?? [], session.eventCount, this.maxEvents);
    this.replace(id, { version: session.version, session: this.keepSessions ? copySession(session) : null, events: window && { fromSeq: window.fromSeq, list: copyEvents(window.list) } });
  }

  /**
   * An append returned `result`. When the cached events were true for the
   * version just before it (no other write in between), the new events
   * extend them; the session itself is left unknown (its state, counters and
   * times changed). Otherwise the entry goes.
   */
  appended(id: string, result: AppendResult): void {
    const entry = this.map.get(id);
    if (!entry) return;
    if (result.version === entry.version) return; // a replay: nothing was written
    const last = entry.events ? entry.events.fromSeq + entry.events.list.length - 1 : 0;
    const added = result.events.filter((e) => e.seq > last);
    const contiguous = added.every((e, i) => e.seq === last + 1 + i);
    if (!entry.events || result.version !== entry.version + 1 || !contiguous || entry.events.list.length + added.length > this.maxEvents) {
      this.delete(id);
      return;
    }
    this.replace(id, { version: result.version, session: null, events: { fromSeq: entry.events.fromSeq, list: [...entry.events.list, ...copyEvents(added)] } });
  }

  /**
   * `app:` or `user:` state changed: every cached session of that app (or
   * that user) now shows an old merged state, and its version does not say
   * so. Their sessions are dropped; their events (not affected) stay.
   */
  sharedStateChanged(tenant: string, appName: string, userId: string | null, scopes: SharedScopes): void {
    if (!scopes.app && !scopes.user) return;
    const prefix = [tenant, appName, ''].join('\u0000');
    const userPrefix = userId === null ? null : [tenant, appName, userId, ''].join('\u0000');
    for (const [id, entry] of this.map) {
      if (!entry.session || !id.startsWith(prefix)) continue;
      if (scopes.app || (userPrefix !== null && id.startsWith(userPrefix))) entry.session = null;
    }
  }

  delete(id: string): void {
    const entry = this.map.get(id);
    if (!entry) return;
    this.eventsHeld -= entry.events?.list.length ?? 0;
    this.map.delete(id);
  }

  clear(): void {
    this.map.clear();
    this.eventsHeld = 0;
  }

  private replace(id: string, entry: CacheEntry): void {
    this.delete(id);
    this.map.set(id, entry);
    this.eventsHeld += entry.events?.list.length ?? 0;
    for (const [oldest] of this.map) {
      if (this.map.size <= this.maxSessions && this.eventsHeld <= this.maxEvents) break;
      this.delete(oldest);
    }
  }
}

/**
 * The events a read can be answered with from a window, or null when the
 * window does not hold them all: a window of all events answers any read;
 * one of the newest N answers "the last n" for n <= N.
 */
export function eventsFromWindow(window: EventWindow, read: { lastEvents?: number; afterTimestamp?: number }): SessionEvent[] | null {
  if (read.lastEvents === 0) return [];
  if (window.fromSeq === 1) {
    const list = read.afterTimestamp === undefined ? window.list : window.list.filter((e) => e.timestamp >= read.afterTimestamp!);
    return read.lastEvents === undefined ? list : list.slice(Math.max(0, list.length - read.lastEvents));
  }
  if (read.afterTimestamp !== undefined || read.lastEvents === undefined || read.lastEvents > window.list.length) return null;
  return window.list.slice(window.list.length - read.lastEvents);
}

/** A copy of a session without its events (state and metadata deep, the rest flat values). */
export function copySession(session: Session): Session {
  const { events: _events, ...bare } = session;
  return structuredClone(bare);
}

/**
 * Copies of events, as cheap as isolation allows: the event objects are new,
 * string content is shared (strings cannot change), structured content,
 * state deltas and metadata are deep copies. (structuredClone of a whole
 * history costs about 40 times as much for chat messages.)
 */
export function copyEvents(events: SessionEvent[]): SessionEvent[] {
  return events.map((e) => {
    const copy = { ...e };
    if (typeof copy.content === 'object' && copy.content !== null) copy.content = structuredClone(copy.content);
    if (copy.stateDelta) copy.stateDelta = structuredClone(copy.stateDelta);
    if (copy.metadata) copy.metadata = structuredClone(copy.metadata);
    return copy;
  });
}

/** The window `events` make for a session with `eventCount` visible events, if they are its newest without a gap. */
function windowOf(events: SessionEvent[], eventCount: number, maxEvents: number): EventWindow | null {
  if (events.length > maxEvents) return null;
  if (events.length === 0) return eventCount === 0 ? { fromSeq: 1, list: [] } : null;
  const first = events[0]!.seq;
  const last = events[events.length - 1]!.seq;
  if (last !== eventCount || last - first + 1 !== events.length) return null;
  return { fromSeq: first, list: events };
}
