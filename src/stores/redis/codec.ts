import { setOwn } from '../../core/json.js';
import { eventFromValues, sessionFromValues } from '../../core/rows.js';
import { entriesToState } from '../../core/state.js';
import type { EventRole, JsonObject, Session, SessionEvent, SessionStatus } from '../../core/types.js';
import type { StampedEvent } from '../../core/prepare.js';

/**
 * The stored body of an event: JSON text built from the parts that are JSON
 * text already (content, delta, metadata), so nothing is serialized twice.
 * The seq is not in it: it is the event's field name in the events hash.
 */
export function eventBody(e: StampedEvent): string {
  let body = `{"id":${JSON.stringify(e.id)},"ts":${JSON.stringify(e.timestamp)},"author":${JSON.stringify(e.author)}`;
  if (e.role !== null) body += `,"role":${JSON.stringify(e.role)}`;
  if (e.invocationId !== null) body += `,"inv":${JSON.stringify(e.invocationId)}`;
  if (e.content !== null) body += `,"content":${e.content}`;
  if (e.delta?.json) body += `,"delta":${e.delta.json}`;
  if (e.metadata !== null) body += `,"meta":${e.metadata}`;
  return body + '}';
}

interface Body {
  id: string;
  ts: number;
  author: string;
  role?: EventRole;
  inv?: string;
  content?: unknown;
  delta?: JsonObject;
  meta?: JsonObject;
}

export function eventFromBody(seq: number, body: string): SessionEvent {
  const b = JSON.parse(body) as Body;
  return eventFromValues({
    id: b.id,
    seq,
    timestamp: b.ts,
    author: b.author,
    role: b.role ?? null,
    invocation_id: b.inv ?? null,
    content: b.content,
    state_delta: b.delta,
    metadata: b.meta,
  });
}


/** (seq, body) pairs of a script reply, as events. */
export function eventsFromReply(flat: readonly unknown[]): SessionEvent[] {
  const out: SessionEvent[] = [];
  for (let i = 0; i < flat.length; i += 2) out.push(eventFromBody(Number(flat[i]), flat[i + 1] as string));
  return out;
}

/** A flat HGETALL reply as a record (prototype-free, so any field name is safe). */
export function hashOf(flat: readonly unknown[]): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (let i = 0; i < flat.length; i += 2) out[flat[i] as string] = flat[i + 1] as string;
  return out;
}

/** The (key, JSON text) entries of a flat HGETALL reply of a state hash. */
export function stateEntries(flat: readonly unknown[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i] as string, flat[i + 1] as string]);
  return out;
}

/** The merged state: app, then user, then the session's own keys. */
export function mergedState(app: readonly unknown[], user: readonly unknown[], own: readonly unknown[]): JsonObject {
  const state = entriesToState(stateEntries(app));
  entriesToState(stateEntries(user), state);
  return entriesToState(stateEntries(own), state);
}

/** The state of one scope from a flat HGETALL reply. */
export function stateOf(flat: readonly unknown[]): JsonObject {
  const state: JsonObject = {};
  for (let i = 0; i < flat.length; i += 2) setOwn(state, flat[i] as string, JSON.parse(flat[i + 1] as string));
  return state;
}

/** A session from the fields of its hash (see the CREATE script for the names). */
export function sessionFromHash(h: Record<string, string>, state: JsonObject): Session {
  return sessionFromValues(
    {
      tenant: h['t']!,
      app_name: h['a']!,
      user_id: h['u']!,
      id: h['id']!,
      metadata: JSON.parse(h['meta']!),
      model: h['model'] ? h['model'] : null,
      status: h['status'] as SessionStatus,
      created_at: Number(h['created']),
      updated_at: Number(h['updated']),
      last_activity_at: Number(h['act']),
      expires_at: h['exp'] ? Number(h['exp']) : null,
      event_count: Number(h['n']),
      request_count: Number(h['rc']),
      request_ms_total: Number(h['rms']),
      version: Number(h['v']),
    },
    state,
  );
}

/** A number as the scripts store it: the shortest text that reads back as the same double. */
export function numberText(n: number): string {
  return String(n === 0 ? 0 : n);
}

/** Flattens state entries into (key, JSON text) arguments. */
export function entryArgs(entries: readonly (readonly [string, string])[] | undefined, into: string[]): void {
  if (entries) for (const [k, v] of entries) into.push(k, v);
}
