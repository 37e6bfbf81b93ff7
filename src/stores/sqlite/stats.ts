import { statSync } from 'node:fs';
import type { Database } from 'better-sqlite3';
import type { StoreStats } from '../../core/types.js';

/**
 * The store's totals (of one tenant, or of the whole database), read in one
 * transaction. Every count is a scan: over 1,000,000 sessions this takes a
 * second or two, which is why the store runs it on a worker thread when it can
 * (see `stats-worker.ts`).
 */
export function readStats(db: Database, path: string, tenant: string | undefined): StoreStats {
  const where = tenant === undefined ? '' : 'WHERE tenant = ?';
  const args = tenant === undefined ? [] : [tenant];
  return db.transaction((): StoreStats => {
    const s = db
      .prepare(
        `SELECT count(*) AS sessions, coalesce(sum(status = 'active'), 0) AS active, coalesce(sum(status = 'archived'), 0) AS archived,
           coalesce(sum(status = 'expired'), 0) AS expired, coalesce(sum(event_count), 0) AS events FROM sessions ${where}`,
      )
      .get(...args) as { sessions: number; active: number; archived: number; expired: number; events: number };
    const count = (sql: string) => db.prepare(sql).pluck().get(...args) as number;
    const stateKeys =
      count(`SELECT count(*) FROM app_state ${where}`) +
      count(`SELECT count(*) FROM user_state ${where}`) +
      count(
        tenant === undefined
          ? 'SELECT count(*) FROM session_state'
          : 'SELECT count(*) FROM session_state JOIN sessions ON sessions.pk = session_state.session_pk WHERE tenant = ?',
      );
    const files = count(`SELECT count(*) FROM files ${where}`);
    const bytes =
      tenant === undefined
        ? (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number)
        : count(
            `SELECT coalesce(sum(coalesce(length(e.content), 0) + coalesce(length(e.state_delta), 0) + coalesce(length(e.metadata), 0) + 64), 0)
             FROM events e JOIN sessions s ON s.pk = e.session_pk WHERE s.tenant = ?`,
          );
    const totals: StoreStats = {
      sessions: s.sessions,
      activeSessions: s.active,
      archivedSessions: s.archived,
      expiredSessions: s.expired,
      events: s.events,
      stateKeys,
      files,
      bytes,
    };
    if (tenant === undefined && path !== ':memory:') {
      const size = (file: string) => statSync(file, { throwIfNoEntry: false })?.size ?? 0;
      totals.diskBytes = size(path) + size(`${path}-wal`);
    }
    return totals;
  })();
}
