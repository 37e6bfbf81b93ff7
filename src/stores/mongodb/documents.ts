/**
 * The documents the MongoDB store keeps, and their mapping to the kit's rows.
 * JSON values (metadata, event content, state values) are kept as JSON text:
 * any key round-trips exactly, including `$`-prefixed and dotted ones, which
 * BSON field names restrict, and every store reads the same text back.
 */
import type { ObjectId } from 'mongodb';
import { parseStored } from '../../core/json.js';
import type { EventRow, FileRow, SessionRow } from '../../core/rows.js';
import { indexText, searchableText, sessionTitle } from '../../core/search/text.js';
import type { StateEntry } from '../../core/state.js';
import type { SessionStatus } from '../../core/types.js';

/** A session: its row, its own state, and the bookkeeping of the append protocol. */
export interface SessionDoc {
  _id?: ObjectId;
  tenant: string;
  appName: string;
  userId: string;
  id: string;
  /** The incarnation: new on create and on a replacing import; events belong to a `sid`, not to a key. */
  sid: string;
  metadata: string;
  model: string | null;
  status: SessionStatus;
  createdAt: number;
  updatedAt: number;
  lastActivityAt: number;
  expiresAt: number | null;
  /** Events with seq <= eventCount are committed; any above are an append in flight or left by a crash. */
  eventCount: number;
  requestCount: number;
  requestMsTotal: number;
  version: number;
  /** Raised when a writer discards events left above eventCount; an append commits only under the fence it read. */
  fence: number;
  /** Approximate bytes of the session's events and state as written (for `stats()`). */
  bytes: number;
  /** The session's own state keys (encoded with `encodeStateKey`) to JSON text. */
  state: Record<string, string>;
  /** The normalized words of `metadata.title` (`indexText`), for the sessions' text index. */
  titleText?: string;
  /**
   * The last state change a patch committed (see `history.ts`): written with the
   * commit, so a change is never lost when the writer dies before its state_log row.
   */
  lastChange?: LastChange;
  /** A rewind committed and not yet finished (see `history.ts`); every writer finishes it first. */
  rewinding?: RewindMarker;
}

/** A state change carried by the session document until its state_log row exists. */
export interface LastChange {
  /** The version its write gave the session (its state_log ordinal is (v, 0)). */
  v: number;
  atSeq: number;
  change: string;
}

/** What a committed rewind still has to do: copy events (toSeq, upTo] written under a fence below `fence` to superseded_events, then delete them. */
export interface RewindMarker {
  /** The version the rewind gave the session: the events' `supersededBy`. */
  by: number;
  at: number;
  toSeq: number;
  upTo: number;
  fence: number;
}

/** The head of a session: what an append reads before it plans. */
export type SessionHeadDoc = Pick<SessionDoc, 'sid' | 'version' | 'eventCount' | 'fence' | 'rewinding'>;

/** An event. `w` (the writing attempt) and `fence` matter only while `seq` is above the session's eventCount. */
export interface EventDoc {
  _id?: ObjectId;
  sid: string;
  /** The session's tenant: the equality prefix of the text index (absent on events stored before schema 2 until migrated). */
  tenant?: string;
  /** The normalized words of the content's searchable text (`indexText`), for the text index; absent when it has none. */
  text?: string;
  seq: number;
  id: string;
  timestamp: number;
  author: string;
  role: EventRow['role'];
  invocationId: string | null;
  content: string | null;
  stateDelta: string | null;
  metadata: string | null;
  w: string;
  fence: number;
}

/** Shared state of one app (`user` absent) or one user of an app. */
export interface SharedStateDoc {
  _id?: ObjectId;
  tenant: string;
  appName: string;
  userId?: string;
  state: Record<string, string>;
}

/** A file record. */
export interface FileDoc {
  _id?: ObjectId;
  tenant: string;
  id: string;
  name: string;
  uri: string | null;
  displayName: string | null;
  size: number;
  mimeType: string | null;
  uploadedAt: number;
  expiresAt: number | null;
  metadata: string;
  appName: string | null;
  userId: string | null;
  sessionId: string | null;
}

// Field names may not contain "." (a path separator in updates) or start with "$"; NUL is refused by BSON keys.
const ESCAPED = /[%.$\u0000]/g;

/** A state key as a BSON field name: `%`, `.`, `$` and NUL percent-encoded. */
export function encodeStateKey(key: string): string {
  return key.replace(ESCAPED, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'));
}

export function decodeStateKey(field: string): string {
  return field.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** Stored state as entries (decoded key, JSON text). */
export function stateEntries(state: Record<string, string> | undefined): StateEntry[] {
  return state ? Object.entries(state).map(([field, json]) => [decodeStateKey(field), json] as const) : [];
}

/** State entries as a stored map. */
export function stateMap(entries: readonly StateEntry[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, json] of entries ?? []) Object.defineProperty(out, encodeStateKey(key), { value: json, enumerable: true, writable: true, configurable: true });
  return out;
}

/** `$set` fields that write state entries into the map at `path` (one update, no read of the rest). */
export function stateSets(path: string, entries: readonly StateEntry[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, json] of entries ?? []) out[`${path}.${encodeStateKey(key)}`] = json;
  return out;
}

/** `$unset` fields that delete state keys from the map at `path`. */
export function stateUnsets(path: string, keys: readonly string[] | undefined): Record<string, ''> {
  const out: Record<string, ''> = {};
  for (const key of keys ?? []) out[`${path}.${encodeStateKey(key)}`] = '';
  return out;
}

/** Approximate stored bytes of event rows and state entries. */
export function approximateBytes(events: readonly EventRow[], state: readonly StateEntry[] = []): number {
  let n = 0;
  for (const e of events) n += 64 + e.id.length + e.author.length + (e.content?.length ?? 0) + (e.state_delta?.length ?? 0) + (e.metadata?.length ?? 0);
  for (const [key, json] of state) n += key.length + json.length;
  return n;
}

/** The indexed words of a session's title, from its metadata's JSON text ('' when it has no title). */
export function titleTextOf(metadata: string): string {
  return indexText(sessionTitle(parseStored(metadata) as Record<string, unknown> | undefined));
}

/** The indexed words of an event's content, from its JSON text. */
export function contentTextOf(content: string | null): string {
  return indexText(searchableText(parseStored(content)));
}

export function sessionDocOf(row: SessionRow, sid: string, state: readonly StateEntry[] | undefined, bytes: number): SessionDoc {
  return {
    titleText: titleTextOf(row.metadata),
    tenant: row.tenant, appName: row.app_name, userId: row.user_id, id: row.id, sid,
    metadata: row.metadata, model: row.model, status: row.status,
    createdAt: row.created_at, updatedAt: row.updated_at, lastActivityAt: row.last_activity_at, expiresAt: row.expires_at,
    eventCount: row.event_count, requestCount: row.request_count, requestMsTotal: row.request_ms_total, version: row.version,
    fence: 0, bytes, state: stateMap(state),
  };
}

export function sessionRowOfDoc(d: SessionDoc): SessionRow {
  return {
    tenant: d.tenant, app_name: d.appName, user_id: d.userId, id: d.id, metadata: d.metadata, model: d.model ?? null, status: d.status,
    created_at: d.createdAt, updated_at: d.updatedAt, last_activity_at: d.lastActivityAt, expires_at: d.expiresAt ?? null,
    event_count: d.eventCount, request_count: d.requestCount, request_ms_total: d.requestMsTotal, version: d.version,
  };
}

/** The `$set` of a session row's fields (everything but the key). */
export function sessionRowSets(row: SessionRow): Partial<SessionDoc> {
  return {
    metadata: row.metadata, model: row.model, status: row.status, createdAt: row.created_at, updatedAt: row.updated_at,
    lastActivityAt: row.last_activity_at, expiresAt: row.expires_at, eventCount: row.event_count, requestCount: row.request_count,
    requestMsTotal: row.request_ms_total, version: row.version,
  };
}

export function eventDocOf(tenant: string, sid: string, row: EventRow, w: string, fence: number): EventDoc {
  const text = contentTextOf(row.content);
  return {
    sid, tenant, ...(text ? { text } : {}), seq: row.seq, id: row.id, timestamp: row.timestamp, author: row.author, role: row.role, invocationId: row.invocation_id,
    content: row.content, stateDelta: row.state_delta, metadata: row.metadata, w, fence,
  };
}

export function eventRowOfDoc(d: EventDoc): EventRow {
  return {
    id: d.id, seq: d.seq, timestamp: d.timestamp, author: d.author, role: d.role ?? null, invocation_id: d.invocationId ?? null,
    content: d.content ?? null, state_delta: d.stateDelta ?? null, metadata: d.metadata ?? null,
  };
}

export function fileDocOf(row: FileRow): FileDoc {
  return {
    tenant: row.tenant, id: row.id, name: row.name, uri: row.uri, displayName: row.display_name, size: row.size, mimeType: row.mime_type,
    uploadedAt: row.uploaded_at, expiresAt: row.expires_at, metadata: row.metadata, appName: row.app_name, userId: row.user_id, sessionId: row.session_id,
  };
}

export function fileRowOfDoc(d: FileDoc): FileRow {
  return {
    tenant: d.tenant, id: d.id, name: d.name, uri: d.uri ?? null, display_name: d.displayName ?? null, size: d.size, mime_type: d.mimeType ?? null,
    uploaded_at: d.uploadedAt, expires_at: d.expiresAt ?? null, metadata: d.metadata, app_name: d.appName ?? null, user_id: d.userId ?? null,
    session_id: d.sessionId ?? null,
  };
}
