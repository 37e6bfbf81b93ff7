import type { Database } from 'better-sqlite3';
import { APP_NAME } from '../payload.js';
import type { Filler, SessionRef } from '../systems/system.js';

/** k = 2..total as a recursive CTE (SQLite has no generate_series by default). */
const series = (from: number, to: number) => `WITH RECURSIVE n(k) AS (SELECT ${from} UNION ALL SELECT k + 1 FROM n WHERE k < ${to})`;

/** Bulk fills of sessiondb's SQLite schema: copies of the first event, the template session. */
export function sessiondbSqliteFiller(db: Database): Filler {
  return {
    async fillEvents(ref: SessionRef, total: number) {
      const pk = db.prepare("SELECT pk FROM sessions WHERE tenant = 'default' AND app_name = ? AND user_id = ? AND id = ?").pluck().get(APP_NAME, ref.userId, ref.sessionId);
      db.transaction(() => {
        db.prepare(
        `${series(2, total)}
           INSERT INTO events (session_pk, seq, id, timestamp, author, role, invocation_id, content, state_delta, metadata)
           SELECT e.session_pk, n.k, e.id || '-' || n.k, e.timestamp + n.k, e.author, e.role, e.invocation_id, e.content, e.state_delta, e.metadata
             FROM events e, n WHERE e.session_pk = ? AND e.seq = 1`,
        ).run(pk);
        db.prepare(
        `UPDATE sessions SET event_count = ?, version = version + ? - event_count,
                  updated_at = (SELECT max(timestamp) FROM events WHERE session_pk = sessions.pk),
                  last_activity_at = (SELECT max(timestamp) FROM events WHERE session_pk = sessions.pk)
            WHERE pk = ?`,
        ).run(total, total, pk);
      }).immediate();
    },
    async fillSessions(template: SessionRef, total: number) {
      db.prepare(
        `${series(1, total - 1)}
         INSERT INTO sessions (tenant, app_name, user_id, id, metadata, model, status, created_at, updated_at, last_activity_at, expires_at, event_count, request_count, request_ms_total, version)
         SELECT tenant, app_name, user_id, id || '-' || n.k, metadata, model, status, created_at + n.k, updated_at + n.k, last_activity_at + n.k, expires_at, event_count, request_count, request_ms_total, version
           FROM sessions, n WHERE tenant = 'default' AND app_name = ? AND user_id = ? AND id = ?`,
      ).run(APP_NAME, template.userId, template.sessionId);
    },
    async analyze() {
      // A SQLite deployment has no autovacuum to gather statistics, and sessiondb does not run ANALYZE: neither does the suite.
    },
  };
}

/**
 * Bulk fills of ADK's own SQLite tables (as MikroORM creates them: times in
 * epoch ms, the event as JSON in event_data), through `db`: a second
 * connection to ADK's file.
 */
export function adkSqliteFiller(db: Database): Filler {
  return {
    async fillEvents(ref: SessionRef, total: number) {
      db.prepare(
        `${series(2, total)}
         INSERT INTO events (id, app_name, user_id, session_id, invocation_id, timestamp, event_data)
         SELECT e.id || '-' || n.k, e.app_name, e.user_id, e.session_id, e.invocation_id, e.timestamp + n.k,
                json_set(e.event_data, '$.id', e.id || '-' || n.k, '$.timestamp', e.timestamp + n.k)
           FROM events e, n WHERE e.app_name = ? AND e.user_id = ? AND e.session_id = ?`,
      ).run(APP_NAME, ref.userId, ref.sessionId);
    },
    async fillSessions(template: SessionRef, total: number) {
      db.prepare(
        `${series(1, total - 1)}
         INSERT INTO sessions (id, app_name, user_id, state, create_time, update_time)
         SELECT id || '-' || n.k, app_name, user_id, state, create_time + n.k, update_time + n.k
           FROM sessions, n WHERE app_name = ? AND user_id = ? AND id = ?`,
      ).run(APP_NAME, template.userId, template.sessionId);
    },
    async analyze() {},
  };
}
