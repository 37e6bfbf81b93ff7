import { CapacityError } from '../core/errors.js';
import { scopeOf } from '../core/state.js';
import type { SessionStore } from '../core/store.js';
import {
  DEFAULT_TENANT,
  type AppendResult,
  type AppKey,
  type JsonObject,
  type NewEvent,
  type NewSession,
  type Session,
  type SessionKey,
  type SessionPatch,
  type SessionSnapshot,
  type SessionStatus,
  type SweepOptions,
  type SweepResult,
  type UserKey,
  type WriteOptions,
} from '../core/types.js';
import type { EventHub, EventSession, LifecycleEventType } from '../telemetry/events.js';
import type { ActiveSessionLimit, Reservation } from './capacity.js';
import { cacheKey, type SessionCache, type SharedScopes } from './session-cache.js';

/** What the managed view of a store keeps up to date as writes pass through it. */
export interface ManagedParts {
  cache: SessionCache;
  /** Null without `maxActiveSessions`. */
  capacity: ActiveSessionLimit | null;
  events: EventHub;
}

const STATUS_EVENT: Record<SessionStatus, LifecycleEventType> = {
  active: 'session.restored',
  archived: 'session.archived',
  expired: 'session.expired',
};

/**
 * The store as the manager (and the server, through `manager.store`) sees it:
 * the same contract, with every write also
 * - checked against and counted in the active-session limit,
 * - announced as a lifecycle event (created, archived, restored, expired, deleted),
 * - reflected in the manager's cache (entries updated, extended or dropped).
 * Reads pass straight through.
 */
export function managedStore(inner: SessionStore, parts: ManagedParts): SessionStore {
  const { cache, capacity, events } = parts;
  const sessionOf = (s: { tenant?: string; appName: string; userId: string; id: string }): EventSession => ({
    tenant: s.tenant ?? DEFAULT_TENANT,
    appName: s.appName,
    userId: s.userId,
    sessionId: s.id,
  });
  /** The key of a write's input for an event, when it names one (a create without an id does not). */
  const refOf = (k: { tenant?: string; appName?: unknown; userId?: unknown; id?: unknown; sessionId?: unknown } | null | undefined): EventSession | undefined => {
    const sessionId = k?.sessionId ?? k?.id;
    if (!k || typeof k.appName !== 'string' || typeof k.userId !== 'string' || typeof sessionId !== 'string') return undefined;
    return { tenant: typeof k.tenant === 'string' ? k.tenant : DEFAULT_TENANT, appName: k.appName, userId: k.userId, sessionId };
  };
  /** The stored status before a write that may change it; null when missing or unreadable (the write itself then says why). */
  const statusBefore = async (key: SessionKey): Promise<SessionStatus | null> => {
    try {
      return (await inner.getSession(key, { withEvents: false }))?.status ?? null;
    } catch {
      return null;
    }
  };
  /**
   * Runs a write that may add an active session: a place is reserved first
   * (or the refusal announced as an `error` event, severity warning) and given back if the write fails.
   */
  const activating = async <T>(adds: boolean, session: EventSession | undefined, write: () => Promise<T>): Promise<T> => {
    let place: Reservation | null = null;
    if (adds && capacity) {
      try {
        place = await capacity.reserve();
      } catch (err) {
        if (err instanceof CapacityError) {
          events.emit({ type: 'error', category: 'session', severity: 'warning', ...(session ? { session } : {}), error: { code: err.code, message: err.message } });
        }
        throw err;
      }
    }
    try {
      const result = await write();
      place?.commit();
      return result;
    } catch (err) {
      place?.cancel();
      throw err;
    }
  };
  const rememberWrite = (session: Session, scopes: SharedScopes) => {
    cache.sharedStateChanged(session.tenant ?? DEFAULT_TENANT, session.appName, session.userId, scopes);
    cache.putSession(cacheKey(session), session, true);
  };

  const overrides: Partial<SessionStore> = {
    async createSession(input: NewSession): Promise<Session> {
      const t0 = performance.now();
      const session = await activating((input?.status ?? 'active') === 'active', refOf(input), () => inner.createSession(input));
      cache.putSession(cacheKey(session), session);
      events.emit({ type: 'session.created', category: 'session', severity: 'info', session: sessionOf(session), durationMs: performance.now() - t0 });
      return session;
    },

    async importSession(snapshot: SessionSnapshot, options?: { replace?: boolean }): Promise<Session> {
      const s = snapshot?.session;
      const key = s ? { tenant: s.tenant, appName: s.appName, userId: s.userId, sessionId: s.id } : null;
      const before = key && options?.replace ? await statusBefore(key) : null;
      const t0 = performance.now();
      const session = await activating(s?.status === 'active' && before !== 'active', refOf(s), () => inner.importSession(snapshot, options));
      if (before === 'active' && session.status !== 'active') capacity?.released();
      cache.delete(cacheKey(session));
      if (before === null) events.emit({ type: 'session.created', category: 'session', severity: 'info', session: sessionOf(session), durationMs: performance.now() - t0 });
      return session;
    },

    async updateSession(key: SessionKey, patch: SessionPatch, options?: WriteOptions): Promise<Session> {
      const scopes = sharedScopes(patch?.stateDelta);
      if (patch?.status === undefined) {
        const session = await inner.updateSession(key, patch, options);
        rememberWrite(session, scopes);
        return session;
      }
      const before = await statusBefore(key);
      const t0 = performance.now();
      const session = await activating(patch.status === 'active' && before !== null && before !== 'active', refOf(key), () => inner.updateSession(key, patch, options));
      if (before === 'active' && session.status !== 'active') capacity?.released();
      rememberWrite(session, scopes);
      if (before !== null && before !== session.status) {
        events.emit({ type: STATUS_EVENT[session.status], category: 'session', severity: 'info', session: sessionOf(session), fromStatus: before, durationMs: performance.now() - t0 });
      }
      return session;
    },

    async updateKeys(key: SessionKey, delta: JsonObject, options?: WriteOptions): Promise<Session> {
      const session = await inner.updateKeys(key, delta, options);
      rememberWrite(session, sharedScopes(delta));
      return session;
    },

    async recordActivity(key, activity) {
      const session = await inner.recordActivity(key, activity);
      rememberWrite(session, NO_SHARED);
      return session;
    },

    async appendEvents(key: SessionKey, list: NewEvent[], options?: WriteOptions): Promise<AppendResult> {
      const result = await inner.appendEvents(key, list, options);
      const id = cacheKey(key);
      cache.appended(id, result);
      const scopes = sharedScopes(...result.events.map((e) => e.stateDelta));
      cache.sharedStateChanged(key.tenant ?? DEFAULT_TENANT, key.appName, key.userId, scopes);
      return result;
    },

    async rewindSession(key, input, options) {
      const result = await inner.rewindSession(key, input, options);
      cache.delete(cacheKey(key));
      return result;
    },

    async deleteSession(key: SessionKey): Promise<boolean> {
      const before = capacity ? await statusBefore(key) : null;
      const t0 = performance.now();
      const deleted = await inner.deleteSession(key);
      cache.delete(cacheKey(key));
      if (deleted) {
        if (before === 'active') capacity?.released();
        const session = { tenant: key.tenant ?? DEFAULT_TENANT, appName: key.appName, userId: key.userId, sessionId: key.sessionId };
        events.emit({ type: 'session.deleted', category: 'session', severity: 'info', session, ...(before ? { fromStatus: before } : {}), durationMs: performance.now() - t0 });
      }
      return deleted;
    },

    async sweepExpired(options?: SweepOptions): Promise<SweepResult> {
      const t0 = performance.now();
      const result = await inner.sweepExpired(options);
      if (result.sessions > 0) {
        cache.clear();
        events.emit({ type: 'session.expired', category: 'session', severity: 'info', count: result.sessions, mode: options?.mode ?? 'mark', durationMs: performance.now() - t0 });
      }
      // A sweep changes statuses it does not list, and other processes may have written since the last count.
      // The sweep itself succeeded: a failed count leaves the old one, read again before the next create if it is stale.
      await capacity?.recount().catch(() => undefined);
      return result;
    },

    async updateAppState(key: AppKey, delta: JsonObject): Promise<JsonObject> {
      const state = await inner.updateAppState(key, delta);
      cache.sharedStateChanged(key.tenant ?? DEFAULT_TENANT, key.appName, null, { app: true, user: false });
      return state;
    },

    async updateUserState(key: UserKey, delta: JsonObject): Promise<JsonObject> {
      const state = await inner.updateUserState(key, delta);
      cache.sharedStateChanged(key.tenant ?? DEFAULT_TENANT, key.appName, key.userId, { app: false, user: true });
      return state;
    },
  };

  const bound = new Map<PropertyKey, unknown>(); // one bound method per name, not one per call
  return new Proxy(inner, {
    get(target, prop) {
      if (typeof prop === 'string' && Object.hasOwn(overrides, prop)) return overrides[prop as keyof SessionStore];
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== 'function' || prop === 'constructor') return value;
      let fn = bound.get(prop);
      if (!fn) bound.set(prop, (fn = (value as (...args: unknown[]) => unknown).bind(target)));
      return fn;
    },
  });
}

const NO_SHARED: SharedScopes = { app: false, user: false };

/** Whether some delta names `app:` or `user:` keys. */
function sharedScopes(...deltas: (JsonObject | undefined | null)[]): SharedScopes {
  const scopes = { app: false, user: false };
  for (const delta of deltas) {
    if (!delta || typeof delta !== 'object') continue;
    for (const key of Object.keys(delta)) {
      const scope = scopeOf(key);
      if (scope === 'app') scopes.app = true;
      else if (scope === 'user') scopes.user = true;
    }
  }
  return scopes;
}
