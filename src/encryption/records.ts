/**
 * Walks the sealed values of what stores return — sessions, events, state,
 * state-change logs, file records — calling one function per value with its
 * place. Opening, checking which key sealed a value, and re-sealing are all
 * this walk with a different function.
 */
import { setOwn } from '../core/json.js';
import type { FileRecord, JsonObject, Session, SessionEvent, SessionSnapshot, StateChange } from '../core/types.js';
import { DEFAULT_TENANT } from '../core/types.js';
import { eventPlace, fileMetadataPlace, sessionMetadataPlace, statePlace, type SessionRef, type StateOwner } from './places.js';
import type { Place } from './sealer.js';

/**
 * What to do with one stored value: `kind` is `metadata` for metadata objects
 * (stored `{}` when empty, never sealed then) and `value` for anything else.
 */
export type ValueMap = (stored: unknown, place: Place, kind: 'value' | 'metadata') => unknown;

export function refOfSession(s: { tenant?: string; appName: string; userId: string; id: string }): SessionRef {
  return { tenant: s.tenant ?? DEFAULT_TENANT, appName: s.appName, userId: s.userId, sessionId: s.id };
}

/** Each value of a state object (keys kept), bound to the scope its prefix names. */
export function mapState(state: JsonObject, owner: StateOwner, map: ValueMap, via?: () => string): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(state)) setOwn(out, key, map(state[key], statePlace(owner, key, via), 'value'));
  return out;
}

/** A session's metadata and merged state (and its events, if it has them). */
export function mapSession(s: Session, map: ValueMap): Session {
  const k = refOfSession(s);
  const out: Session = { ...s, metadata: map(s.metadata, sessionMetadataPlace(k), 'metadata') as JsonObject, state: mapState(s.state, k, map) };
  if (s.events) out.events = s.events.map((e) => mapEvent(k, e, map));
  return out;
}

/** An event's content, metadata and the values of its state delta. */
export function mapEvent<E extends SessionEvent>(k: SessionRef, e: E, map: ValueMap): E {
  const out = { ...e };
  if (e.content !== undefined) out.content = map(e.content, eventPlace(k, e, 'content'), 'value');
  if (e.metadata !== undefined) out.metadata = map(e.metadata, eventPlace(k, e, 'metadata'), 'value') as JsonObject;
  if (e.stateDelta !== undefined) out.stateDelta = mapState(e.stateDelta, k, map, () => `the state delta of event ${e.seq} (id "${e.id}")`);
  return out;
}

/** The values each change of a session's state-change log sets. */
export function mapHistory(k: SessionRef, changes: StateChange[], map: ValueMap): StateChange[] {
  return changes.map((c) => ({ ...c, set: mapState(c.set, k, map, () => 'the state-change log') }));
}

export function mapFile(f: FileRecord, map: ValueMap): FileRecord {
  return { ...f, metadata: map(f.metadata, fileMetadataPlace(f), 'metadata') as JsonObject };
}

/** Every value of a snapshot: the session's metadata, its own state, its events and its log. */
export function mapSnapshot(snapshot: SessionSnapshot, map: ValueMap): SessionSnapshot {
  const s = snapshot.session;
  const k = refOfSession(s);
  return {
    session: { ...s, metadata: map(s.metadata, sessionMetadataPlace(k), 'metadata') as JsonObject },
    state: mapState(snapshot.state, k, map),
    events: snapshot.events.map((e) => mapEvent(k, e, map)),
    ...(snapshot.history === undefined ? {} : { history: mapHistory(k, snapshot.history, map) }),
  };
}
