import { ValidationError } from './errors.js';
import { uuidv7 } from './ids.js';
import { requirePlainObject } from './json.js';
import { importedStateChange, stateChangeRows, type StateChangeRow } from './history.js';
import type { Limits } from './limits.js';
import { eventFromRow, type EventRow, type FileRow, type SessionRow } from './rows.js';
import { splitDelta, splitKeyUpdate, type ScopedDelta, type StateEntry } from './state.js';
import type { NewFileRecord, NewSession, SessionEvent, SessionPatch, SessionSnapshot, SessionStatus } from './types.js';
import {
  checkExpiry,
  checkName,
  checkStatus,
  checkTime,
  jsonObjectText,
  prepareEvents,
  resolveTenant,
  type PreparedEvent,
} from './validate.js';

/** A validated `createSession` input. */
export interface PreparedSession {
  tenant: string;
  appName: string;
  userId: string;
  id: string;
  metadata: string;
  model: string | null;
  status: SessionStatus;
  expiresAt: number | null;
  createdAt: number | undefined;
  updatedAt: number | undefined;
  state: ScopedDelta | null;
}

export function prepareNewSession(input: NewSession, limits: Limits): PreparedSession {
  if (input === null || typeof input !== 'object') throw new ValidationError('session', 'must be an object with appName and userId');
  return {
    tenant: resolveTenant(input.tenant, limits),
    appName: checkName('appName', input.appName, limits),
    userId: checkName('userId', input.userId, limits),
    id: input.id === undefined || input.id === null ? uuidv7() : checkName('id', input.id, limits),
    metadata: input.metadata === undefined ? '{}' : jsonObjectText('metadata', input.metadata, limits),
    model: input.model == null ? null : checkName('model', input.model, limits),
    status: input.status === undefined ? 'active' : checkStatus('status', input.status),
    expiresAt: checkExpiry('expiresAt', input.expiresAt) ?? null,
    createdAt: input.createdAt === undefined ? undefined : checkTime('createdAt', input.createdAt),
    updatedAt: input.updatedAt === undefined ? undefined : checkTime('updatedAt', input.updatedAt),
    state: input.state === undefined || input.state === null ? null : splitDelta('state', input.state, limits),
  };
}

/** A validated `updateSession` patch; `undefined` fields are left unchanged. */
export interface PreparedPatch {
  metadata: string | undefined;
  model: string | null | undefined;
  status: SessionStatus | undefined;
  expiresAt: number | null | undefined;
  lastActivityAt: number | undefined;
  delta: ScopedDelta | null;
}

export function preparePatch(patch: SessionPatch, limits: Limits): PreparedPatch {
  requirePlainObject('patch', patch);
  const known = new Set(['metadata', 'model', 'status', 'expiresAt', 'lastActivityAt', 'stateDelta']);
  for (const field of Object.keys(patch)) {
    if (!known.has(field)) {
      throw new ValidationError(`patch.${field}`, 'is not a field that can be updated', 'Updatable: metadata, model, status, expiresAt, lastActivityAt, stateDelta.');
    }
  }
  return {
    metadata: patch.metadata === undefined ? undefined : jsonObjectText('patch.metadata', patch.metadata, limits),
    model: patch.model === undefined ? undefined : patch.model === null ? null : checkName('patch.model', patch.model, limits),
    status: patch.status === undefined ? undefined : checkStatus('patch.status', patch.status),
    expiresAt: checkExpiry('patch.expiresAt', patch.expiresAt),
    lastActivityAt: patch.lastActivityAt === undefined ? undefined : checkTime('patch.lastActivityAt', patch.lastActivityAt),
    delta: patch.stateDelta === undefined || patch.stateDelta === null ? null : splitDelta('patch.stateDelta', patch.stateDelta, limits),
  };
}

/**
 * A validated `updateKeys` delta as a patch that changes no field: stores run
 * it through their `updateSession` path (version + 1, `updatedAt` now,
 * `lastActivityAt` kept), which also applies `delta.unset`.
 */
export function prepareKeyUpdate(delta: unknown, limits: Limits): PreparedPatch {
  return {
    metadata: undefined,
    model: undefined,
    status: undefined,
    expiresAt: undefined,
    lastActivityAt: undefined,
    delta: splitKeyUpdate('delta', delta, limits),
  };
}

/** Validates a delta for one shared scope (`app:` or `user:` keys only). */
export function prepareScopeDelta(scope: 'app' | 'user', delta: unknown, limits: Limits): StateEntry[] {
  const split = splitDelta('delta', delta, limits);
  if (!split) return [];
  const other = scope === 'app' ? [...split.user, ...split.session] : [...split.app, ...split.session];
  if (other.length > 0) {
    throw new ValidationError(`delta["${other[0]![0]}"]`, `is not a ${scope}: key`, `Only keys starting with "${scope}:" belong here.`);
  }
  return split[scope];
}

/** Assigns ids and timestamps, and the seqs after `lastSeq`, giving the rows to insert. */
export function stampEvents(events: readonly PreparedEvent[], lastSeq: number, now: number): EventRow[] {
  const rows: EventRow[] = [];
  let seq = lastSeq;
  for (const e of events) rows.push(eventRow(e, e.id ?? uuidv7(now), ++seq, e.timestamp ?? now));
  return rows;
}

/** A prepared event with its identity fixed (id and timestamp assigned). */
export interface StampedEvent extends PreparedEvent {
  id: string;
  timestamp: number;
}

/** Gives each prepared event its id (generated when absent) and timestamp (`now` when absent). */
export function stampIdentity(events: readonly PreparedEvent[], now: number): StampedEvent[] {
  return events.map((e) => ({ ...e, id: e.id ?? uuidv7(now), timestamp: e.timestamp ?? now }));
}

/** The event as callers see it, once stored at `seq`. */
export function eventFromStamped(e: StampedEvent, seq: number): SessionEvent {
  return eventFromRow(eventRow(e, e.id, seq, e.timestamp));
}

/** The stored row of a prepared event, given its identity. */
function eventRow(e: PreparedEvent, id: string, seq: number, timestamp: number): EventRow {
  return {
    id,
    seq,
    timestamp,
    author: e.author,
    role: e.role,
    invocation_id: e.invocationId,
    content: e.content,
    state_delta: e.delta?.json ?? null,
    metadata: e.metadata,
  };
}

/** A validated file record, as a row. `session` names the owning session when there is one. */
export function prepareFile(input: NewFileRecord, limits: Limits, now: number): FileRow {
  requirePlainObject('file', input);
  const owner = [input.appName, input.userId, input.sessionId];
  const given = owner.filter((v) => v !== undefined && v !== null).length;
  if (given !== 0 && given !== 3) {
    throw new ValidationError('file.sessionId', 'a file belongs to a session only when appName, userId and sessionId are all given');
  }
  const size = input.size ?? 0;
  if (!Number.isSafeInteger(size) || size < 0) throw new ValidationError('file.size', `must be a non-negative integer, got ${JSON.stringify(input.size)}`);
  const optionalText = (field: string, value: unknown, max: number): string | null => {
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string') throw new ValidationError(`file.${field}`, `must be a string, got ${typeof value}`);
    if (value.length > max) throw new ValidationError(`file.${field}`, `is ${value.length} characters, the limit is ${max}`);
    return value;
  };
  return {
    tenant: resolveTenant(input.tenant, limits),
    id: input.id === undefined || input.id === null ? uuidv7(now) : checkName('file.id', input.id, limits),
    name: checkName('file.name', input.name, { ...limits, maxNameLength: 1024 }),
    uri: optionalText('uri', input.uri, 4096),
    display_name: optionalText('displayName', input.displayName, 1024),
    size,
    mime_type: optionalText('mimeType', input.mimeType, 255),
    uploaded_at: input.uploadedAt === undefined ? now : checkTime('file.uploadedAt', input.uploadedAt),
    expires_at: checkExpiry('file.expiresAt', input.expiresAt) ?? null,
    metadata: input.metadata === undefined ? '{}' : jsonObjectText('file.metadata', input.metadata, limits),
    app_name: given ? checkName('file.appName', input.appName, limits) : null,
    user_id: given ? checkName('file.userId', input.userId, limits) : null,
    session_id: given ? checkName('file.sessionId', input.sessionId, limits) : null,
  };
}

/** A validated snapshot: the session row, its own state entries and its event rows. */
export interface PreparedSnapshot {
  row: SessionRow;
  state: StateEntry[];
  events: EventRow[];
  /** The session's state-change log to store (`core/history.ts`). */
  history: StateChangeRow[];
}

/** Validates a `SessionSnapshot` as strictly as the writes that would have produced it. */
export function prepareSnapshot(snapshot: SessionSnapshot, limits: Limits): PreparedSnapshot {
  requirePlainObject('snapshot', snapshot);
  const s = requirePlainObject('snapshot.session', snapshot.session) as unknown as SessionSnapshot['session'];
  const count = (field: string, value: unknown): number => {
    if (!Number.isSafeInteger(value) || (value as number) < 0) throw new ValidationError(`snapshot.session.${field}`, `must be a non-negative integer, got ${JSON.stringify(value)}`);
    return value as number;
  };
  const base = prepareNewSession(
    { tenant: s.tenant, appName: s.appName, userId: s.userId, id: s.id, metadata: s.metadata, model: s.model, status: s.status, expiresAt: s.expiresAt },
    limits,
  );
  if (typeof s.id !== 'string') throw new ValidationError('snapshot.session.id', 'is required');
  const stateDelta = splitDelta('snapshot.state', snapshot.state ?? {}, limits);
  if (stateDelta && (stateDelta.app.length || stateDelta.user.length)) {
    throw new ValidationError('snapshot.state', 'holds app: or user: keys', 'Only the session\'s own keys go here; app: and user: state is imported separately, as the shared state it is.');
  }
  if (!Array.isArray(snapshot.events)) throw new ValidationError('snapshot.events', 'must be an array');
  const prepared = snapshot.events.length ? prepareEvents(snapshot.events, { ...limits, maxEventsPerAppend: Number.MAX_SAFE_INTEGER }) : [];
  if (prepared.length !== snapshot.events.length) throw new ValidationError('snapshot.events', 'holds partial events, which are never stored');
  const events: EventRow[] = prepared.map((e, i) => {
    const given = snapshot.events[i]!;
    if (given.seq !== i + 1) throw new ValidationError(`snapshot.events[${i}].seq`, `must be ${i + 1} (seqs run 1, 2, 3… without gaps), got ${JSON.stringify(given.seq)}`);
    if (e.id === undefined) throw new ValidationError(`snapshot.events[${i}].id`, 'is required in a snapshot');
    if (e.timestamp === undefined) throw new ValidationError(`snapshot.events[${i}].timestamp`, 'is required in a snapshot');
    return eventRow(e, e.id, i + 1, e.timestamp);
  });
  const eventCount = count('eventCount', s.eventCount);
  if (eventCount !== events.length) {
    throw new ValidationError('snapshot.session.eventCount', `is ${eventCount} but the snapshot holds ${events.length} events`);
  }
  const version = count('version', s.version);
  if (version < 1) throw new ValidationError('snapshot.session.version', 'must be at least 1');
  const requestMsTotal = s.requestMsTotal;
  if (typeof requestMsTotal !== 'number' || !Number.isFinite(requestMsTotal) || requestMsTotal < 0) {
    throw new ValidationError('snapshot.session.requestMsTotal', `must be a non-negative number, got ${JSON.stringify(requestMsTotal)}`);
  }
  return {
    row: {
      tenant: base.tenant,
      app_name: base.appName,
      user_id: base.userId,
      id: base.id,
      metadata: base.metadata,
      model: base.model,
      status: base.status,
      created_at: checkTime('snapshot.session.createdAt', s.createdAt),
      updated_at: checkTime('snapshot.session.updatedAt', s.updatedAt),
      last_activity_at: checkTime('snapshot.session.lastActivityAt', s.lastActivityAt),
      expires_at: base.expiresAt,
      event_count: eventCount,
      request_count: count('requestCount', s.requestCount),
      request_ms_total: requestMsTotal,
      version,
    },
    state: stateDelta?.session ?? [],
    events,
    history:
      snapshot.history === undefined || snapshot.history === null
        ? [importedStateChange(stateDelta?.session ?? [], eventCount)]
        : stateChangeRows('snapshot.history', snapshot.history, eventCount),
  };
}
