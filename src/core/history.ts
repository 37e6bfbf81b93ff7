/**
 * History: the log of state changes no event carried, the exact state after
 * any seq (for fork and rewind), and the plan of a rewind. Pure, no I/O.
 *
 * A store keeps, per session, an ordered list of `StateChangeRow`s: one
 * `replace` when the session is created (its initial own state, even when
 * empty) or imported, and one `merge` for each `updateSession` `stateDelta`
 * or `updateKeys` that touched session-scoped keys. With the events' own
 * deltas, that is enough to rebuild the state after any seq. A rewind to N
 * deletes the changes with `atSeq > N` (they belonged to the abandoned branch).
 */
import { decodeCursor, encodeCursor } from './cursor.js';
import { ValidationError } from './errors.js';
import type { Limits } from './limits.js';
import { checkExpected } from './plan.js';
import { scopeOf, type ScopedDelta, type StateEntry } from './state.js';
import { setOwn } from './json.js';
import type { ForkOptions, JsonObject, RewindInput, StateChange, SupersededRange } from './types.js';
import { checkName, checkPageLimit } from './validate.js';

/** The stored form of a `StateChange`: its seq and the change as JSON text. */
export interface StateChangeRow {
  at_seq: number;
  /** JSON: `{ "kind": "replace" | "merge", "set": {…}, "unset": […] }`. */
  change: string;
}

function objectText(entries: readonly StateEntry[]): string {
  return '{' + entries.map(([k, json]) => JSON.stringify(k) + ':' + json).join(',') + '}';
}

function rowOf(atSeq: number, kind: StateChange['kind'], set: readonly StateEntry[], unset: readonly string[]): StateChangeRow {
  return { at_seq: atSeq, change: `{"kind":"${kind}","set":${objectText(set)},"unset":${JSON.stringify(unset)}}` };
}

/** The change a new session starts its log with: its initial own state (possibly empty). */
export function createdStateChange(state: ScopedDelta | null): StateChangeRow {
  return rowOf(0, 'replace', state?.session ?? [], []);
}

/** The change an `updateSession` stateDelta or an `updateKeys` makes to the session's own keys; null when it makes none. */
export function patchStateChange(delta: ScopedDelta | null, atSeq: number): StateChangeRow | null {
  const set = delta?.session ?? [];
  const unset = delta?.unset?.session ?? [];
  return set.length || unset.length ? rowOf(atSeq, 'merge', set, unset) : null;
}

/** The change an import starts its log with when the snapshot carries no history: its own state, after its last event. */
export function importedStateChange(state: readonly StateEntry[], eventCount: number): StateChangeRow {
  return rowOf(eventCount, 'replace', state, []);
}

export function stateChangeFromRow(row: StateChangeRow): StateChange {
  const parsed = JSON.parse(row.change) as { kind: StateChange['kind']; set: JsonObject; unset: string[] };
  return { atSeq: row.at_seq, kind: parsed.kind, set: parsed.set, unset: parsed.unset };
}

/** Validates changes given with a snapshot (an import or a fork) and returns their rows. */
export function stateChangeRows(field: string, changes: unknown, eventCount: number): StateChangeRow[] {
  if (!Array.isArray(changes)) throw new ValidationError(field, 'must be an array of state changes');
  let last = 0;
  return changes.map((c: unknown, i) => {
    const f = `${field}[${i}]`;
    if (c === null || typeof c !== 'object') throw new ValidationError(f, 'must be an object { atSeq, kind, set, unset }');
    const { atSeq, kind, set, unset } = c as Partial<StateChange>;
    if (!Number.isSafeInteger(atSeq) || atSeq! < last || atSeq! > eventCount) {
      throw new ValidationError(`${f}.atSeq`, `must be an integer from ${last} to ${eventCount} (changes in order), got ${JSON.stringify(atSeq)}`);
    }
    if (kind !== 'replace' && kind !== 'merge') throw new ValidationError(`${f}.kind`, `must be "replace" or "merge", got ${JSON.stringify(kind)}`);
    if (set === null || typeof set !== 'object' || Array.isArray(set)) throw new ValidationError(`${f}.set`, 'must be an object');
    if (unset !== undefined && (!Array.isArray(unset) || unset.some((k) => typeof k !== 'string'))) throw new ValidationError(`${f}.unset`, 'must be an array of keys');
    for (const key of [...Object.keys(set), ...(unset ?? [])]) {
      if (scopeOf(key) !== 'session') throw new ValidationError(`${f}`, `names "${key}", which is not a session-scoped key`);
    }
    last = atSeq!;
    return { at_seq: atSeq!, change: JSON.stringify({ kind, set, unset: unset ?? [] }) };
  });
}

/** An event's seq and its stored delta (JSON text as stored, or the object). */
export interface DeltaAtSeq {
  seq: number;
  stateDelta?: string | JsonObject | null | undefined;
}

/**
 * The session's own state right after event `toSeq`: every change with
 * `atSeq <= toSeq` and the session-scoped keys of the deltas of events
 * 1..toSeq, in the order they happened (changes at N come after event N).
 * `events` must hold events 1..toSeq (more are ignored), in seq order.
 *
 * A session created before sessiondb kept this log has no `replace` change
 * at its start: its state before the first change is rebuilt from the event
 * deltas alone (its initial state is not known).
 */
export function stateAtSeq(changes: readonly StateChange[], events: Iterable<DeltaAtSeq>, toSeq: number): JsonObject {
  let state: JsonObject = {};
  let c = 0;
  const applyChangesAt = (seq: number) => {
    while (c < changes.length && changes[c]!.atSeq <= seq) {
      const change = changes[c++]!;
      if (change.kind === 'replace') state = {};
      for (const [k, v] of Object.entries(change.set)) setOwn(state, k, v);
      for (const k of change.unset) delete state[k];
    }
  };
  applyChangesAt(0);
  for (const e of events) {
    if (e.seq > toSeq) break;
    const delta = typeof e.stateDelta === 'string' ? (JSON.parse(e.stateDelta) as JsonObject) : e.stateDelta;
    if (delta) for (const [k, v] of Object.entries(delta)) if (scopeOf(k) === 'session') setOwn(state, k, v);
    applyChangesAt(e.seq);
  }
  applyChangesAt(toSeq);
  return state;
}

/** Validates `forkSession`'s options (the generic fork and `HttpStore` make the same checks). */
export function checkForkOptions(options: ForkOptions, limits: Limits): ForkOptions {
  if (options === null || typeof options !== 'object') throw new ValidationError('fork', 'must be an object { newSessionId?, upToSeq?, userId? }');
  const { newSessionId, upToSeq, userId } = options;
  if (newSessionId !== undefined) checkName('newSessionId', newSessionId, limits);
  if (userId !== undefined) checkName('userId', userId, limits);
  if (upToSeq !== undefined && (!Number.isSafeInteger(upToSeq) || upToSeq < 0)) {
    throw new ValidationError('upToSeq', `must be a non-negative integer, got ${JSON.stringify(upToSeq)}`);
  }
  return { newSessionId, upToSeq, userId };
}

/** Validates `rewindSession`'s input. */
export function checkRewindInput(input: RewindInput): number {
  if (input === null || typeof input !== 'object') throw new ValidationError('rewind', 'must be an object { toSeq }');
  const { toSeq } = input;
  if (!Number.isSafeInteger(toSeq) || toSeq < 0) throw new ValidationError('toSeq', `must be a non-negative integer, got ${JSON.stringify(toSeq)}`);
  return toSeq;
}

/** A rewind that changes nothing: `toSeq` is already the last seq. */
export interface NoopRewind {
  kind: 'noop';
}

/** A rewind that writes: events after `toSeq` become superseded. */
export interface RewindPlan {
  kind: 'rewind';
  toSeq: number;
  /** How many events it supersedes. */
  superseded: number;
  /** The session's counters after it; `supersededBy` is the new version. */
  head: { version: number; event_count: number; updated_at: number };
  supersededAt: number;
}

/**
 * Plans a rewind from the stored head: a stale `expectVersion` throws
 * `ConflictError`; a `toSeq` past the last event throws `ValidationError`;
 * `toSeq` equal to it is a no-op. `lastActivityAt` is kept (a rewind is a
 * write, as `updateKeys` is, not a request).
 */
export function planRewind(input: { head: { version: number; event_count: number }; toSeq: number; expectVersion: number | undefined; now: number }): NoopRewind | RewindPlan {
  const { head, toSeq } = input;
  checkExpected(input.expectVersion, head.version);
  if (toSeq > head.event_count) {
    throw new ValidationError('toSeq', `is ${toSeq}, past the session's last event (seq ${head.event_count})`, 'Rewind to a seq the session has, or to 0 to supersede every event.');
  }
  if (toSeq === head.event_count) return { kind: 'noop' };
  return {
    kind: 'rewind',
    toSeq,
    superseded: head.event_count - toSeq,
    head: { version: head.version + 1, event_count: toSeq, updated_at: input.now },
    supersededAt: input.now,
  };
}

/** A `readSupersededEvents` range, validated: after position (supersededBy, seq), ascending. */
export function resolveSupersededRange(range: SupersededRange | undefined, limits: Limits): { after: [number, number]; limit: number } {
  const limit = checkPageLimit(range?.limit, 100, limits);
  if (range?.cursor === undefined || range.cursor === null) return { after: [0, 0], limit };
  const [by, seq] = decodeCursor('superseded', range.cursor, ['number', 'number']) as [number, number];
  return { after: [by, seq], limit };
}

export function supersededCursor(by: number, seq: number): string {
  return encodeCursor('superseded', [by, seq]);
}
