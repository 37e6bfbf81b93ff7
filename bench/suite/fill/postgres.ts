import type pg from 'pg';
import type { PgNames } from '../../../src/stores/postgres/schema.js';
import { APP_NAME } from '../payload.js';
import type { Filler, SessionRef } from '../systems/system.js';

/** Bulk fills of sessiondb's PostgreSQL schema `n`: copies of the first event, the template session. */
export function sessiondbPostgresFiller(pool: pg.Pool, n: PgNames): Filler {
  return {
    async fillEvents(ref: SessionRef, total: number) {
      await pool.query(
        `WITH s AS (SELECT pk FROM ${n.sessions} WHERE tenant = 'default' AND app_name = $1 AND user_id = $2 AND id = $3),
         ins AS (
           INSERT INTO ${n.events} (session_pk, seq, id, timestamp, author, role, invocation_id, content, state_delta, metadata)
           SELECT e.session_pk, k, e.id || '-' || k, e.timestamp + k, e.author, e.role, e.invocation_id, e.content, e.state_delta, e.metadata
             FROM ${n.events} e JOIN s ON e.session_pk = s.pk, generate_series(2, $4::integer) k WHERE e.seq = 1
           RETURNING timestamp)
         UPDATE ${n.sessions} SET event_count = $4, version = version + $4 - event_count,
                updated_at = (SELECT max(timestamp) FROM ins), last_activity_at = (SELECT max(timestamp) FROM ins)
          WHERE pk = (SELECT pk FROM s)`,
        [APP_NAME, ref.userId, ref.sessionId, total],
      );
    },
    async fillSessions(template: SessionRef, total: number) {
      await pool.query(
        `INSERT INTO ${n.sessions} (tenant, app_name, user_id, id, metadata, model, status, created_at, updated_at, last_activity_at, expires_at, event_count, request_count, request_ms_total, version)
         SELECT tenant, app_name, user_id, id || '-' || k, metadata, model, status, created_at + k, updated_at + k, last_activity_at + k, expires_at, event_count, request_count, request_ms_total, version
           FROM ${n.sessions}, generate_series(1, $4::integer - 1) k WHERE tenant = 'default' AND app_name = $1 AND user_id = $2 AND id = $3`,
        [APP_NAME, template.userId, template.sessionId, total],
      );
    },
    async analyze() {
      await pool.query(`ANALYZE ${n.sessions}, ${n.events}, ${n.sessionState}, ${n.userState}, ${n.appState}`);
    },
  };
}

/** Bulk fills of ADK's own PostgreSQL tables (timestamptz times, the event as jsonb in event_data). */
export function adkPostgresFiller(pool: pg.Pool): Filler {
  return {
    async fillEvents(ref: SessionRef, total: number) {
      await pool.query(
        `INSERT INTO events (id, app_name, user_id, session_id, invocation_id, timestamp, event_data)
         SELECT e.id || '-' || k, e.app_name, e.user_id, e.session_id, e.invocation_id, e.timestamp + k * interval '1 millisecond',
                jsonb_set(jsonb_set(e.event_data, '{id}', to_jsonb(e.id || '-' || k)), '{timestamp}', to_jsonb((e.event_data ->> 'timestamp')::bigint + k))
           FROM events e, generate_series(2, $4::integer) k WHERE e.app_name = $1 AND e.user_id = $2 AND e.session_id = $3`,
        [APP_NAME, ref.userId, ref.sessionId, total],
      );
    },
    async fillSessions(template: SessionRef, total: number) {
      await pool.query(
        `INSERT INTO sessions (id, app_name, user_id, state, create_time, update_time)
         SELECT id || '-' || k, app_name, user_id, state, create_time + k * interval '1 millisecond', update_time + k * interval '1 millisecond'
           FROM sessions, generate_series(1, $4::integer - 1) k WHERE app_name = $1 AND user_id = $2 AND id = $3`,
        [APP_NAME, template.userId, template.sessionId, total],
      );
    },
    async analyze() {
      await pool.query('ANALYZE sessions, events, app_states, user_states');
    },
  };
}
