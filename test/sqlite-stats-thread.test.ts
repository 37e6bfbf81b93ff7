// SqliteStore.stats() scans (seconds over millions of sessions). From the built package it runs
// on a worker thread with its own read-only connection, so a server keeps answering meanwhile.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const dist = pathToFileURL(join(import.meta.dirname, '..', 'dist', 'index.js')).href;
const SESSIONS = 300_000;

describe('SqliteStore.stats on a worker thread (built package)', () => {
  it('answers what the store holds, seen by the worker right after a write, while the main thread keeps running', async () => {
    const { SqliteStore } = (await import(dist)) as typeof import('../src/index.js');
    const path = join(tempDir('stats-thread'), 'sessions.db');
    const store = new SqliteStore({ path });
    await store.migrate();
    await store.createSession({ appName: 'a', userId: 'u', id: 'real', state: { k: 1, 'user:x': 2 } });
    await store.appendEvents({ appName: 'a', userId: 'u', sessionId: 'real' }, [{ author: 'user', content: 'hello' }]);
    const db = new Database(path);
    db.exec(`WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < ${SESSIONS})
      INSERT INTO sessions (tenant, app_name, user_id, id, metadata, status, created_at, updated_at, last_activity_at, event_count, version)
      SELECT 'default', 'bulk', 'u' || (k % 100), 's' || k, '{}', CASE WHEN k % 10 = 0 THEN 'archived' ELSE 'active' END, k, k, k, 0, 1 FROM n`);
    db.close();

    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const t0 = performance.now();
    const stats = await store.stats({ tenant: 'default' });
    const ms = performance.now() - t0;
    clearInterval(timer);
    expect(stats).toMatchObject({ sessions: SESSIONS + 1, activeSessions: SESSIONS - SESSIONS / 10 + 1, archivedSessions: SESSIONS / 10, events: 1, stateKeys: 2 });
    // The timer ran while the scans did: the main thread was free (in-thread, it would tick ~0 times).
    expect(ticks).toBeGreaterThan(Math.min(20, ms / 10));

    await store.appendEvents({ appName: 'a', userId: 'u', sessionId: 'real' }, [{ author: 'user', content: 'again' }]);
    expect((await store.stats()).events).toBe(2); // the worker's connection sees the committed write
    await store.close();
  }, 60_000);
});
