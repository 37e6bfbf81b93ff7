import type { Clock } from './clock.js';
import { TooLargeError, ValidationError } from './errors.js';
import { checkBytes, describeType, requirePlainObject, toJsonText } from './json.js';
import type { Limits } from './limits.js';
import { splitDelta, type ScopedDelta } from './state.js';
import {
  DEFAULT_TENANT,
  EVENT_ROLES,
  SESSION_STATUSES,
  type ActivityInput,
  type AppKey,
  type ExpireMode,
  type SweepOptions,
  type EventRole,
  type NewEvent,
  type SessionKey,
  type SessionStatus,
  type UserKey,
} from './types.js';

// C0 controls, DEL and C1 controls: invisible, and break logs, URLs and terminals.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

/** Validates a name (id, app name, user id, tenant, author): a non-empty string, bounded, no control characters. */
export function checkName(field: string, value: unknown, limits: Limits): string {
  if (typeof value !== 'string') {
    throw new ValidationError(field, `must be a string, got ${describeType(value)}`);
  }
  if (value.length === 0) throw new ValidationError(field, 'is empty', 'Give a non-empty string.');
  if (value.length > limits.maxNameLength) {
    throw new TooLargeError(field, value.length, limits.maxNameLength, 'characters');
  }
  if (CONTROL_CHARS.test(value)) {
    throw new ValidationError(field, 'contains a control character', 'Use printable characters only.');
  }
  return value;
}

/** A session key with its tenant filled in, every part validated. */
export interface ResolvedKey {
  tenant: string;
  appName: string;
  userId: string;
  sessionId: string;
}

export function resolveKey(key: SessionKey, limits: Limits): ResolvedKey {
  if (key === null || typeof key !== 'object') throw new ValidationError('key', `must be an object with appName, userId and sessionId, got ${describeType(key)}`);
  return {
    tenant: key.tenant === undefined ? DEFAULT_TENANT : checkName('tenant', key.tenant, limits),
    appName: checkName('appName', key.appName, limits),
    userId: checkName('userId', key.userId, limits),
    sessionId: checkName('sessionId', key.sessionId, limits),
  };
}

export function resolveAppKey(key: AppKey, limits: Limits): { tenant: string; appName: string } {
  return {
    tenant: key.tenant === undefined ? DEFAULT_TENANT : checkName('tenant', key.tenant, limits),
    appName: checkName('appName', key.appName, limits),
  };
}

export function resolveUserKey(key: UserKey, limits: Limits): { tenant: string; appName: string; userId: string } {
  return { ...resolveAppKey(key, limits), userId: checkName('userId', key.userId, limits) };
}

export function resolveTenant(tenant: string | undefined, limits: Limits): string {
  return tenant === undefined ? DEFAULT_TENANT : checkName('tenant', tenant, limits);
}

/** Validates an epoch-millisecond time. */
export function checkTime(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ValidationError(field, `must be a non-negative epoch-milliseconds number, got ${JSON.stringify(value) ?? typeof value}`);
  }
  return value;
}

/** Validates an optional absolute expiry time: a time, null (never), or undefined (unchanged/default). */
export function checkExpiry(field: string, value: unknown): number | null | undefined {
  if (value === undefined || value === null) return value;
  return checkTime(field, value);
}

export function checkStatus(field: string, value: unknown): SessionStatus {
  if (!SESSION_STATUSES.includes(value as SessionStatus)) {
    throw new ValidationError(field, `must be one of ${SESSION_STATUSES.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as SessionStatus;
}

export function checkVersion(field: string, value: unknown): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw new ValidationError(field, `must be a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return value as number;
}

export function checkOrder(field: string, value: unknown): 'asc' | 'desc' {
  if (value === undefined) return 'asc';
  if (value !== 'asc' && value !== 'desc') throw new ValidationError(field, `must be "asc" or "desc", got ${JSON.stringify(value)}`);
  return value;
}

/** Validates a page size; `fallback` when absent. */
export function checkPageLimit(value: unknown, fallback: number, limits: Limits): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || (value as number) < 1) {
    throw new ValidationError('limit', `must be a positive integer, got ${JSON.stringify(value)}`);
  }
  if ((value as number) > limits.maxPageSize) throw new TooLargeError('limit', value as number, limits.maxPageSize, 'items');
  return value as number;
}

/** Validates a JSON object (metadata, state) and returns its JSON text. */
export function jsonObjectText(field: string, value: unknown, limits: Limits): string {
  requirePlainObject(field, value);
  return toJsonText(field, value, limits.maxJsonBytes);
}

/** An event validated and serialized once, ready for any store to write. */
export interface PreparedEvent {
  id: string | undefined;
  timestamp: number | undefined;
  author: string;
  role: EventRole | null;
  invocationId: string | null;
  /** JSON text of the content, or null when the event has none. */
  content: string | null;
  metadata: string | null;
  delta: ScopedDelta | null;
}

/**
 * Validates a batch of events and serializes their parts. Partial events are
 * dropped (they are never stored). Throws on the first bad field, naming it as
 * `events[i].field`.
 */
export function prepareEvents(events: unknown, limits: Limits): PreparedEvent[] {
  if (!Array.isArray(events)) throw new ValidationError('events', `must be an array, got ${describeType(events)}`);
  if (events.length > limits.maxEventsPerAppend) {
    throw new TooLargeError('events', events.length, limits.maxEventsPerAppend, 'events per append');
  }
  const out: PreparedEvent[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < events.length; i++) {
    const field = `events[${i}]`;
    const e = events[i] as NewEvent;
    if (e === null || typeof e !== 'object' || Array.isArray(e)) {
      throw new ValidationError(field, `must be an object, got ${describeType(e)}`);
    }
    if (e.partial === true) continue;
    const id = e.id === undefined ? undefined : checkName(`${field}.id`, e.id, limits);
    if (id !== undefined) {
      if (seen.has(id)) throw new ValidationError(`${field}.id`, `"${id}" appears twice in the same append`);
      seen.add(id);
    }
    let role: EventRole | null = null;
    if (e.role !== undefined && e.role !== null) {
      if (!EVENT_ROLES.includes(e.role)) {
        throw new ValidationError(`${field}.role`, `must be one of ${EVENT_ROLES.join(', ')}, got ${JSON.stringify(e.role)}`);
      }
      role = e.role;
    }
    let content: string | null = null;
    if (e.content !== undefined && e.content !== null) {
      const text = toJsonText(`${field}.content`, e.content, Number.MAX_SAFE_INTEGER);
      // The limit is on the content itself: a string's own bytes, structured content's JSON bytes.
      checkBytes(`${field}.content`, typeof e.content === 'string' ? e.content : text, limits.maxEventContentBytes);
      content = text;
    }
    out.push({
      id,
      timestamp: e.timestamp === undefined ? undefined : checkTime(`${field}.timestamp`, e.timestamp),
      author: checkName(`${field}.author`, e.author, limits),
      role,
      invocationId: e.invocationId == null ? null : checkName(`${field}.invocationId`, e.invocationId, limits),
      content,
      metadata: e.metadata == null ? null : jsonObjectText(`${field}.metadata`, e.metadata, limits),
      delta: e.stateDelta === undefined || e.stateDelta === null ? null : splitDelta(`${field}.stateDelta`, e.stateDelta, limits),
    });
  }
  return out;
}

/** Validates `recordActivity` input, filling `at` from the clock. */
export function checkActivity(activity: ActivityInput | undefined, clock: Clock): { durationMs: number; count: number; at: number } {
  const a = activity ?? {};
  const durationMs = a.durationMs ?? 0;
  if (typeof durationMs !== 'number' || !Number.isFinite(durationMs) || durationMs < 0) {
    throw new ValidationError('durationMs', `must be a non-negative number of milliseconds, got ${JSON.stringify(a.durationMs)}`);
  }
  const count = a.count ?? 1;
  if (!Number.isSafeInteger(count) || count < 0) throw new ValidationError('count', `must be a non-negative integer, got ${JSON.stringify(a.count)}`);
  return { durationMs, count, at: a.at === undefined ? clock.now() : checkTime('at', a.at) };
}

export function checkSweepMode(mode: unknown): ExpireMode {
  if (mode === undefined) return 'mark';
  if (mode !== 'mark' && mode !== 'delete') throw new ValidationError('mode', `must be "mark" or "delete", got ${JSON.stringify(mode)}`);
  return mode;
}

/** Validates the key of a file record, filling in the tenant. */
export function resolveFileKey(key: { tenant?: string; id: string }, limits: Limits): { tenant: string; id: string } {
  if (key === null || typeof key !== 'object') throw new ValidationError('key', 'must be an object with an id');
  return { tenant: resolveTenant(key.tenant, limits), id: checkName('id', key.id, limits) };
}

/** A validated sweep: when "now" is, the idle cut-off (or null), and what to do. */
export function resolveSweep(options: SweepOptions | undefined, clock: Clock): { now: number; idleBefore: number | null; mode: ExpireMode } {
  const o = options ?? {};
  return {
    now: o.now === undefined ? clock.now() : checkTime('now', o.now),
    idleBefore: o.idleBefore === undefined ? null : checkTime('idleBefore', o.idleBefore),
    mode: checkSweepMode(o.mode),
  };
}

/**
 * Whether a sweep acts on a session: past its `expiresAt`, or active and idle
 * since `idleBefore`. A delete sweep also removes sessions marked expired
 * earlier once they are idle past the cut-off.
 */
export function isDue(
  row: { expires_at: number | null; status: string; last_activity_at: number },
  now: number,
  idleBefore: number | null,
  mode: ExpireMode,
): boolean {
  if (row.expires_at !== null && row.expires_at <= now) return true;
  if (idleBefore === null || row.last_activity_at > idleBefore) return false;
  return row.status === 'active' || (mode === 'delete' && row.status === 'expired');
}
