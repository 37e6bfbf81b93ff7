import { parseStored } from './json.js';
import type { EventRole, FileRecord, JsonObject, Session, SessionEvent, SessionStatus, SharedState, SupersededEvent } from './types.js';

/**
 * The stored shape of a session, as SQL stores keep it in a row (JSON as text,
 * snake_case). The memory store keeps the same shape so that every store maps
 * rows to API objects through the same functions.
 */
export interface SessionRow {
  tenant: string;
  app_name: string;
  user_id: string;
  id: string;
  metadata: string;
  model: string | null;
  status: SessionStatus;
  created_at: number;
  updated_at: number;
  last_activity_at: number;
  expires_at: number | null;
  event_count: number;
  request_count: number;
  request_ms_total: number;
  version: number;
}

/** The stored shape of an event. */
export interface EventRow {
  id: string;
  seq: number;
  timestamp: number;
  author: string;
  role: EventRole | null;
  invocation_id: string | null;
  content: string | null;
  state_delta: string | null;
  metadata: string | null;
}

/** A superseded event as stored: the event row and the rewind that took it out of the history. */
export interface SupersededRow extends EventRow {
  superseded_at: number;
  superseded_by: number;
}

/** The stored shape of a file record. */
export interface FileRow {
  tenant: string;
  id: string;
  name: string;
  uri: string | null;
  display_name: string | null;
  size: number;
  mime_type: string | null;
  uploaded_at: number;
  expires_at: number | null;
  metadata: string;
  app_name: string | null;
  user_id: string | null;
  session_id: string | null;
}

export function sessionFromRow(row: SessionRow, state: JsonObject): Session {
  return sessionFromValues({ ...row, metadata: JSON.parse(row.metadata) }, state);
}

/** A session row whose metadata is already parsed (as PostgreSQL returns jsonb). */
export type SessionValues = Omit<SessionRow, 'metadata'> & { metadata: unknown };

export function sessionFromValues(row: SessionValues, state: JsonObject): Session {
  return {
    tenant: row.tenant,
    appName: row.app_name,
    userId: row.user_id,
    id: row.id,
    state,
    metadata: row.metadata as JsonObject,
    model: row.model,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastActivityAt: row.last_activity_at,
    expiresAt: row.expires_at,
    eventCount: row.event_count,
    requestCount: row.request_count,
    requestMsTotal: row.request_ms_total,
    version: row.version,
  };
}

export function eventFromRow(row: EventRow): SessionEvent {
  return eventFromValues({
    ...row,
    content: parseStored(row.content),
    state_delta: parseStored(row.state_delta),
    metadata: parseStored(row.metadata),
  });
}

/** An event row whose JSON columns are already parsed (as PostgreSQL returns jsonb). Null means absent. */
export type EventValues = Omit<EventRow, 'content' | 'state_delta' | 'metadata'> & {
  content: unknown;
  state_delta: unknown;
  metadata: unknown;
};

export function eventFromValues(row: EventValues): SessionEvent {
  const event: SessionEvent = { id: row.id, seq: row.seq, timestamp: row.timestamp, author: row.author };
  if (row.role != null) event.role = row.role;
  if (row.invocation_id != null) event.invocationId = row.invocation_id;
  if (row.content != null) event.content = row.content;
  if (row.state_delta != null) event.stateDelta = row.state_delta as JsonObject;
  if (row.metadata != null) event.metadata = row.metadata as JsonObject;
  return event;
}

export function supersededFromRow(row: SupersededRow): SupersededEvent {
  return { ...eventFromRow(row), supersededAt: row.superseded_at, supersededBy: row.superseded_by };
}

export function fileFromRow(row: FileRow): FileRecord {
  return fileFromValues({ ...row, metadata: JSON.parse(row.metadata) });
}

/** A file row whose metadata is already parsed. */
export type FileValues = Omit<FileRow, 'metadata'> & { metadata: unknown };

export function fileFromValues(row: FileValues): FileRecord {
  return {
    tenant: row.tenant,
    id: row.id,
    name: row.name,
    uri: row.uri,
    displayName: row.display_name,
    size: row.size,
    mimeType: row.mime_type,
    uploadedAt: row.uploaded_at,
    expiresAt: row.expires_at,
    metadata: row.metadata as JsonObject,
    appName: row.app_name,
    userId: row.user_id,
    sessionId: row.session_id,
  };
}

/** A shared-state owner from its key parts: [tenant, app] or [tenant, app, user]. */
export function sharedItem(parts: readonly string[], state: JsonObject): SharedState {
  const [tenant, appName, userId] = parts as [string, string, string | undefined];
  return userId === undefined ? { tenant, appName, state } : { tenant, appName, userId, state };
}

/** The stored shape of a session object (its `state` and `events` aside): the inverse of `sessionFromRow`. */
export function sessionRowOf(s: Omit<Session, 'state' | 'events'>): SessionRow {
  return {
    tenant: s.tenant, app_name: s.appName, user_id: s.userId, id: s.id, metadata: JSON.stringify(s.metadata), model: s.model,
    status: s.status, created_at: s.createdAt, updated_at: s.updatedAt, last_activity_at: s.lastActivityAt, expires_at: s.expiresAt,
    event_count: s.eventCount, request_count: s.requestCount, request_ms_total: s.requestMsTotal, version: s.version,
  };
}

/** The stored shape of an event object: the inverse of `eventFromRow`. */
export function eventRowOf(e: SessionEvent): EventRow {
  const text = (value: unknown) => (value === undefined || value === null ? null : JSON.stringify(value));
  return {
    id: e.id, seq: e.seq, timestamp: e.timestamp, author: e.author, role: e.role ?? null, invocation_id: e.invocationId ?? null,
    content: text(e.content), state_delta: text(e.stateDelta), metadata: text(e.metadata),
  };
}

/** The stored shape of a file record: the inverse of `fileFromRow`. */
export function fileRowOf(f: FileRecord): FileRow {
  return {
    tenant: f.tenant, id: f.id, name: f.name, uri: f.uri, display_name: f.displayName, size: f.size, mime_type: f.mimeType,
    uploaded_at: f.uploadedAt, expires_at: f.expiresAt, metadata: JSON.stringify(f.metadata),
    app_name: f.appName, user_id: f.userId, session_id: f.sessionId,
  };
}
