/**
 * The store kit's planner: the decisions every store makes about a write,
 * as pure functions over the stored head of a session. A store reads what a
 * plan needs, asks the planner, and writes what the plan says — so the rules
 * (version checks, replays, seq stamping, scope splitting, counters) are
 * written once. No I/O here.
 */
import { ConflictError } from './errors.js';
import type { PreparedPatch, PreparedSession } from './prepare.js';
import { stampEvents } from './prepare.js';
import type { EventRow, SessionRow } from './rows.js';
import type { ScopedDelta, StateEntry } from './state.js';
import { entriesToState } from './state.js';
import type { JsonObject, WriteOptions } from './types.js';
import { checkVersion, isDue, type PreparedEvent } from './validate.js';

/** The validated `expectVersion` of a write, or undefined when the write is unconditional. */
export function expectedVersion(options: WriteOptions | undefined): number | undefined {
  return options?.expectVersion === undefined ? undefined : checkVersion('expectVersion', options.expectVersion);
}

/** Throws `ConflictError` when `expected` is given and differs from the stored version. */
export function checkExpected(expected: number | undefined, actual: number): void {
  if (expected !== undefined && expected !== actual) throw new ConflictError(expected, actual);
}

/** The row of a new session (version 1, no events), from a validated `createSession` input. */
export function newSessionRow(p: PreparedSession, now: number): SessionRow {
  const createdAt = p.createdAt ?? now;
  const updatedAt = p.updatedAt ?? createdAt;
  return {
    tenant: p.tenant,
    app_name: p.appName,
    user_id: p.userId,
    id: p.id,
    metadata: p.metadata,
    model: p.model,
    status: p.status,
    created_at: createdAt,
    updated_at: updatedAt,
    last_activity_at: updatedAt,
    expires_at: p.expiresAt,
    event_count: 0,
    request_count: 0,
    request_ms_total: 0,
    version: 1,
  };
}

/** What an append needs to know about the stored session. */
export interface SessionHead {
  version: number;
  event_count: number;
}

/** An append whose every event is already stored: it changes nothing and succeeds as it did the first time. */
export interface ReplayPlan {
  kind: 'replay';
  /** The stored events, in the order of the call. */
  events: EventRow[];
  version: number;
}

/** An append that writes. */
export interface WritePlan {
  kind: 'write';
  /** The new event rows, with their seqs, ids and timestamps, to insert in order. */
  rows: EventRow[];
  /** The state changes of the new events, merged per scope (a later event's value for a key wins). */
  delta: ScopedDelta | null;
  /** The session's counters after the append. */
  head: { version: number; event_count: number; updated_at: number; last_activity_at: number };
  /** Every event of the call, in order: stored ones as stored, new ones as written. */
  events: EventRow[];
}

export type AppendPlan = ReplayPlan | WritePlan;

/**
 * Plans an append. `stored[i]` is the stored event with the id of `events[i]`,
 * if there is one. Events already stored are not written again; if every event
 * is stored the call is a replay and `expectVersion` is not checked, so that a
 * client retrying after a lost acknowledgement does not see a spurious
 * conflict. Otherwise a stale `expectVersion` throws `ConflictError`.
 */
export function planAppend(input: {
  head: SessionHead;
  stored: readonly (EventRow | undefined)[];
  events: readonly PreparedEvent[];
  expectVersion: number | undefined;
  now: number;
}): AppendPlan {
  const { head, stored, events } = input;
  const fresh = events.filter((_, i) => stored[i] === undefined);
  if (fresh.length === 0) return { kind: 'replay', events: stored as EventRow[], version: head.version };
  checkExpected(input.expectVersion, head.version);
  const rows = stampEvents(fresh, head.event_count, input.now);
  const last = rows[rows.length - 1]!;
  let next = 0;
  return {
    kind: 'write',
    rows,
    delta: mergeDeltas(fresh.map((e) => e.delta)),
    head: { version: head.version + 1, event_count: last.seq, updated_at: last.timestamp, last_activity_at: last.timestamp },
    events: stored.map((row) => row ?? rows[next++]!),
  };
}

/** Merges deltas applied in order into one: per scope, one entry per key, the last value winning. */
export function mergeDeltas(deltas: readonly (ScopedDelta | null)[]): ScopedDelta | null {
  const present = deltas.filter((d): d is ScopedDelta => d !== null);
  if (present.length <= 1) return present[0] ?? null;
  const merge = (scope: 'app' | 'user' | 'session'): StateEntry[] => {
    const map = new Map<string, string>();
    for (const d of present) for (const [key, json] of d[scope]) map.set(key, json);
    return [...map];
  };
  return { app: merge('app'), user: merge('user'), session: merge('session'), json: null };
}

/** The row after an `updateSession` patch (a new object; `updatedAt` is now, `version` + 1). */
export function planPatch(row: SessionRow, p: PreparedPatch, now: number): SessionRow {
  return {
    ...row,
    metadata: p.metadata ?? row.metadata,
    model: p.model === undefined ? row.model : p.model,
    status: p.status ?? row.status,
    expires_at: p.expiresAt === undefined ? row.expires_at : p.expiresAt,
    last_activity_at: p.lastActivityAt ?? row.last_activity_at,
    updated_at: now,
    version: row.version + 1,
  };
}

/** The row after `recordActivity`. */
export function planActivity(row: SessionRow, a: { durationMs: number; count: number; at: number }): SessionRow {
  return {
    ...row,
    request_count: row.request_count + a.count,
    request_ms_total: row.request_ms_total + a.durationMs,
    last_activity_at: Math.max(row.last_activity_at, a.at),
    version: row.version + 1,
  };
}

/** The row after `append` under a write plan. */
export function planAppended(row: SessionRow, plan: WritePlan): SessionRow {
  return { ...row, ...plan.head };
}

/**
 * What a sweep does to one session: delete it, mark it expired (a new row), or
 * nothing. A session already marked is not marked again.
 */
export function planSweep(
  row: SessionRow,
  sweep: { now: number; idleBefore: number | null; mode: 'mark' | 'delete' },
): { action: 'delete' } | { action: 'mark'; row: SessionRow } | null {
  if (!isDue(row, sweep.now, sweep.idleBefore, sweep.mode)) return null;
  if (sweep.mode === 'delete') return { action: 'delete' };
  if (row.status === 'expired') return null;
  return { action: 'mark', row: { ...row, status: 'expired', updated_at: sweep.now, version: row.version + 1 } };
}

/** The merged state a session shows: app keys, then user keys, then its own (stored entries as JSON text). */
export function mergeState(
  app: Iterable<readonly [string, string]>,
  user: Iterable<readonly [string, string]>,
  own: Iterable<readonly [string, string]>,
): JsonObject {
  const state = entriesToState(app);
  entriesToState(user, state);
  return entriesToState(own, state);
}
