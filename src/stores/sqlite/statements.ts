import type { Database, Statement } from 'better-sqlite3';
import { BUFFER_SQL } from './index-buffer.js';

const EVENT_COLUMNS = 'id, seq, timestamp, author, role, invocation_id, content, state_delta, metadata';
const SESSION_COLUMNS =
  'pk, tenant, app_name, user_id, id, metadata, model, status, created_at, updated_at, last_activity_at, ' +
  'expires_at, event_count, request_count, request_ms_total, version';
const FILE_COLUMNS =
  'tenant, id, name, uri, display_name, size, mime_type, uploaded_at, expires_at, metadata, app_name, user_id, session_id';

/**
 * Every fixed statement of the SQLite store, prepared once when the store
 * opens. Listing statements vary with the filters and live in a keyed cache
 * (see `listSessionsSql`).
 */
export const SQL = {
  // sessions
  sessionByKey: `SELECT ${SESSION_COLUMNS} FROM sessions WHERE tenant = ? AND app_name = ? AND user_id = ? AND id = ?`,
  sessionForWrite: `SELECT pk, version, event_count FROM sessions WHERE tenant = ? AND app_name = ? AND user_id = ? AND id = ?`,
  sessionByPk: `SELECT ${SESSION_COLUMNS} FROM sessions WHERE pk = ?`,
  insertSession: `INSERT INTO sessions (tenant, app_name, user_id, id, metadata, model, status, created_at, updated_at, last_activity_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (tenant, app_name, user_id, id) DO NOTHING
     RETURNING pk`,
  afterAppend: `UPDATE sessions SET event_count = ?, updated_at = ?, last_activity_at = ?, version = version + 1 WHERE pk = ?`,
  patchSession: `UPDATE sessions SET metadata = coalesce(?, metadata), model = CASE WHEN ? THEN ? ELSE model END,
       status = coalesce(?, status), expires_at = CASE WHEN ? THEN ? ELSE expires_at END,
       last_activity_at = coalesce(?, last_activity_at), updated_at = ?, version = version + 1
     WHERE pk = ?`,
  importSession: `INSERT INTO sessions (tenant, app_name, user_id, id, metadata, model, status, created_at, updated_at, last_activity_at,
       expires_at, event_count, request_count, request_ms_total, version)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     RETURNING pk`,
  activity: `UPDATE sessions SET request_count = request_count + ?, request_ms_total = request_ms_total + ?,
       last_activity_at = max(last_activity_at, ?), version = version + 1
     WHERE pk = ?`,
  deleteSession: `DELETE FROM sessions WHERE tenant = ? AND app_name = ? AND user_id = ? AND id = ?`,

  // events
  insertEvent: `INSERT INTO events (session_pk, seq, id, timestamp, author, role, invocation_id, content, state_delta, metadata)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  eventById: `SELECT ${EVENT_COLUMNS} FROM events WHERE session_pk = ? AND id = ?`,
  allEvents: `SELECT ${EVENT_COLUMNS} FROM events WHERE session_pk = ? ORDER BY seq`,
  lastEvents: `SELECT ${EVENT_COLUMNS} FROM events WHERE session_pk = ? ORDER BY seq DESC LIMIT ?`,
  eventsSince: `SELECT ${EVENT_COLUMNS} FROM events WHERE session_pk = ? AND timestamp >= ? ORDER BY seq`,
  // "+timestamp" keeps the planner on the seq index: newest first, stopping after N matches.
  lastEventsSince: `SELECT ${EVENT_COLUMNS} FROM events WHERE session_pk = ? AND +timestamp >= ? ORDER BY seq DESC LIMIT ?`,
  countSinceUpTo: `SELECT count(*) FROM (SELECT 1 FROM events WHERE session_pk = ? AND timestamp >= ? LIMIT ?)`,
  eventsAfterSeq: `SELECT ${EVENT_COLUMNS} FROM events WHERE session_pk = ? AND seq > ? ORDER BY seq LIMIT ?`,
  eventsBeforeSeq: `SELECT ${EVENT_COLUMNS} FROM events WHERE session_pk = ? AND seq < ? ORDER BY seq DESC LIMIT ?`,

  // search index (deletions: triggers of migration 4; events go through the buffer)
  ...BUFFER_SQL,
  indexTitle: `INSERT INTO title_index (rowid, body) VALUES (?, ?)`,
  unindexTitle: `DELETE FROM title_index WHERE rowid = ?`,
  sessionMetadata: `SELECT metadata FROM sessions WHERE pk = ?`,
  eventHit: `SELECT ${EVENT_COLUMNS.split(', ').map((c) => `e.${c}`).join(', ')}, s.tenant, s.app_name, s.user_id, s.id AS session_id
     FROM events e JOIN sessions s ON s.pk = e.session_pk WHERE e.pk = ?`,
  titleHit: `SELECT tenant, app_name, user_id, id AS session_id, metadata FROM sessions WHERE pk = ?`,

  // rewind and history
  insertStateChange: `INSERT INTO state_changes (session_pk, at_seq, change) VALUES (?, ?, ?)`,
  stateChanges: `SELECT at_seq, change FROM state_changes WHERE session_pk = ? ORDER BY ordinal`,
  dropStateChangesAfter: `DELETE FROM state_changes WHERE session_pk = ? AND at_seq > ?`,
  deltasUpTo: `SELECT seq, state_delta AS stateDelta FROM events WHERE session_pk = ? AND seq <= ? ORDER BY seq`,
  supersede: `INSERT INTO superseded_events (session_pk, superseded_by, seq, id, timestamp, author, role, invocation_id, content, state_delta, metadata, superseded_at)
     SELECT session_pk, ?, seq, id, timestamp, author, role, invocation_id, content, state_delta, metadata, ?
     FROM events WHERE session_pk = ? AND seq > ?`,
  dropEventsAfter: `DELETE FROM events WHERE session_pk = ? AND seq > ?`,
  clearSessionState: `DELETE FROM session_state WHERE session_pk = ?`,
  afterRewind: `UPDATE sessions SET version = ?, event_count = ?, updated_at = ? WHERE pk = ?`,
  supersededPage: `SELECT ${EVENT_COLUMNS}, superseded_at, superseded_by FROM superseded_events
     WHERE session_pk = ? AND (superseded_by, seq) > (?, ?) ORDER BY superseded_by, seq LIMIT ?`,

  // state
  appState: `SELECT key, value FROM app_state WHERE tenant = ? AND app_name = ?`,
  userState: `SELECT key, value FROM user_state WHERE tenant = ? AND app_name = ? AND user_id = ?`,
  sessionState: `SELECT key, value FROM session_state WHERE session_pk = ?`,
  upsertAppState: `INSERT INTO app_state (tenant, app_name, key, value) VALUES (?, ?, ?, ?)
     ON CONFLICT (tenant, app_name, key) DO UPDATE SET value = excluded.value`,
  upsertUserState: `INSERT INTO user_state (tenant, app_name, user_id, key, value) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (tenant, app_name, user_id, key) DO UPDATE SET value = excluded.value`,
  upsertSessionState: `INSERT INTO session_state (session_pk, key, value) VALUES (?, ?, ?)
     ON CONFLICT (session_pk, key) DO UPDATE SET value = excluded.value`,
  deleteAppState: `DELETE FROM app_state WHERE tenant = ? AND app_name = ? AND key = ?`,
  deleteUserState: `DELETE FROM user_state WHERE tenant = ? AND app_name = ? AND user_id = ? AND key = ?`,
  deleteSessionState: `DELETE FROM session_state WHERE session_pk = ? AND key = ?`,

  // files
  upsertFile: `INSERT INTO files (tenant, id, name, uri, display_name, size, mime_type, uploaded_at, expires_at, metadata, session_pk, app_name, user_id, session_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (tenant, id) DO UPDATE SET name = excluded.name, uri = excluded.uri, display_name = excluded.display_name,
       size = excluded.size, mime_type = excluded.mime_type, uploaded_at = excluded.uploaded_at, expires_at = excluded.expires_at,
       metadata = excluded.metadata, session_pk = excluded.session_pk, app_name = excluded.app_name,
       user_id = excluded.user_id, session_id = excluded.session_id`,
  fileById: `SELECT ${FILE_COLUMNS} FROM files WHERE tenant = ? AND id = ?`,
  deleteFile: `DELETE FROM files WHERE tenant = ? AND id = ?`,

  // expiry
  expiredSessionPks: `SELECT pk FROM sessions WHERE expires_at <= ? LIMIT ?`,
  idleSessionPks: `SELECT pk FROM sessions WHERE status = ? AND last_activity_at <= ? LIMIT ?`,
  markIdle: `UPDATE sessions SET status = 'expired', updated_at = ?, version = version + 1
     WHERE status = 'active' AND last_activity_at <= ?`,
  deleteSessionByPk: `DELETE FROM sessions WHERE pk = ?`,
  markExpired: `UPDATE sessions SET status = 'expired', updated_at = ?, version = version + 1
     WHERE expires_at <= ? AND status <> 'expired'`,
  deleteExpiredFiles: `DELETE FROM files WHERE expires_at <= ?`,

  // whole-store scans, keyset by primary keys
  scanSessions: `SELECT tenant, app_name, user_id, id FROM sessions WHERE (tenant, app_name, user_id, id) > (?, ?, ?, ?)
     ORDER BY tenant, app_name, user_id, id LIMIT ?`,
  scanAppOwners: `SELECT DISTINCT tenant, app_name FROM app_state WHERE (tenant, app_name) > (?, ?) ORDER BY tenant, app_name LIMIT ?`,
  scanUserOwners: `SELECT DISTINCT tenant, app_name, user_id FROM user_state WHERE (tenant, app_name, user_id) > (?, ?, ?)
     ORDER BY tenant, app_name, user_id LIMIT ?`,
  scanFiles: `SELECT ${FILE_COLUMNS} FROM files WHERE (tenant, id) > (?, ?) ORDER BY tenant, id LIMIT ?`,
} as const;

export type Statements = { readonly [K in keyof typeof SQL]: Statement<unknown[]> };

export function prepareStatements(db: Database): Statements {
  return Object.fromEntries(Object.entries(SQL).map(([name, sql]) => [name, db.prepare(sql)])) as unknown as Statements;
}


export { EVENT_COLUMNS, FILE_COLUMNS, SESSION_COLUMNS };

/**
 * The SQL of one listing shape. Each shape walks its own index in the listing's
 * total order, so a page costs O(page) whatever the number of sessions.
 */
export function listSessionsSql(shape: { scope: 'tenant' | 'app' | 'user'; status: boolean; after: boolean; order: 'asc' | 'desc' }): string {
  const where = ['tenant = ?'];
  let orderColumns: string[];
  if (shape.scope === 'user') {
    where.push('app_name = ?', 'user_id = ?');
    orderColumns = ['updated_at', 'id'];
  } else if (shape.scope === 'app') {
    where.push('app_name = ?');
    orderColumns = ['updated_at', 'id', 'user_id'];
  } else {
    orderColumns = ['updated_at', 'id', 'app_name', 'user_id'];
  }
  if (shape.status) where.push('status = ?');
  const cmp = shape.order === 'asc' ? '>' : '<';
  if (shape.after) where.push(`(${orderColumns.join(', ')}) ${cmp} (${orderColumns.map(() => '?').join(', ')})`);
  const dir = shape.order === 'asc' ? 'ASC' : 'DESC';
  return (
    `SELECT ${SESSION_COLUMNS} FROM sessions WHERE ${where.join(' AND ')} ` +
    `ORDER BY ${orderColumns.map((c) => `${c} ${dir}`).join(', ')} LIMIT ? OFFSET ?`
  );
}

/** The SQL counting the sessions of one listing shape. */
export function countSessionsSql(shape: { app: boolean; user: boolean; status: boolean }): string {
  const where = ['tenant = ?'];
  if (shape.app) where.push('app_name = ?');
  if (shape.user) where.push('user_id = ?');
  if (shape.status) where.push('status = ?');
  return `SELECT count(*) FROM sessions WHERE ${where.join(' AND ')}`;
}

/** The SQL of one file-listing shape (newest first). */
export function listFilesSql(shape: { app: boolean; user: boolean; session: boolean; after: boolean }): string {
  const where = ['tenant = ?'];
  if (shape.app) where.push('app_name = ?');
  if (shape.user) where.push('user_id = ?');
  if (shape.session) where.push('session_id = ?');
  if (shape.after) where.push('(uploaded_at, id) < (?, ?)');
  return `SELECT ${FILE_COLUMNS} FROM files WHERE ${where.join(' AND ')} ORDER BY uploaded_at DESC, id DESC LIMIT ?`;
}
