import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { indexText, searchableText } from '../../../src/core/search/text.js';
import type { NewEvent } from '../../../src/core/types.js';
import { SqliteStore } from '../../../src/stores/sqlite/index.js';
import { BUFFER_SQL, INDEX_BUFFER_ROWS } from '../../../src/stores/sqlite/index-buffer.js';
import type { SearchArena } from './run.js';

/** SqliteStore on a temporary file; the floors write through a second connection to the same file. */
export async function sqliteSearchArena(): Promise<SearchArena> {
  const dir = mkdtempSync(join(tmpdir(), 'sessiondb-bench-search-'));
  const path = join(dir, 'search.db');
  const store = new SqliteStore({ path, synchronous: 'normal' });
  await store.migrate();
  const db: Database = await store.database();
  const find = db.prepare("SELECT pk, event_count FROM sessions WHERE tenant = 'default' AND app_name = 'bench-floor' AND user_id = 'u' AND id = ?");
  const insertEvent = db.prepare('INSERT INTO events (session_pk, seq, id, timestamp, author, role, invocation_id, content, state_delta, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const upsertState = db.prepare('INSERT INTO session_state (session_pk, key, value) VALUES (?, ?, ?) ON CONFLICT (session_pk, key) DO UPDATE SET value = excluded.value');
  const afterAppend = db.prepare('UPDATE sessions SET event_count = ?, updated_at = ?, last_activity_at = ?, version = version + 1 WHERE pk = ?');
  // The store's way (index-buffer.ts): the index row goes to the buffer table, and the append
  // that brings it to INDEX_BUFFER_ROWS rows moves them all into FTS5.
  const buffer = db.prepare(BUFFER_SQL.bufferEvent);
  const buffered = db.prepare(BUFFER_SQL.bufferedRows).pluck();
  const flush = db.prepare(BUFFER_SQL.flushBuffer);
  const clear = db.prepare(BUFFER_SQL.clearBuffer);
  let n = 0;
  const append = (withIndex: boolean) =>
    db.transaction((sessionId: string, e: NewEvent) => {
      const s = find.get(sessionId) as { pk: number; event_count: number };
      const seq = s.event_count + 1;
      const ts = Date.now();
      const content = JSON.stringify(e.content);
      const row = insertEvent.run(s.pk, seq, `floor-${++n}`, ts, e.author, null, null, content, JSON.stringify(e.stateDelta), null);
      if (withIndex) {
        buffer.run(row.lastInsertRowid, indexText(searchableText(JSON.parse(content))));
        if ((buffered.get() as number) >= INDEX_BUFFER_ROWS) flush.run(), clear.run();
      }
      for (const [key, value] of Object.entries(e.stateDelta ?? {})) upsertState.run(s.pk, key, JSON.stringify(value));
      afterAppend.run(seq, ts, ts, s.pk);
    });
  const plain = append(false);
  const indexed = append(true);
  return {
    backend: 'sqlite',
    store,
    async indexBytes() {
      // dbstat names every b-tree of the FTS5 tables (event_index_data, _idx, _docsize, _config …)
      // and the buffer (event_index_pending).
      return db.prepare("SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE 'event_index%' OR name LIKE 'title_index%'").pluck().get() as number;
    },
    async analyze() {
      // As in the rest of the suite: sessiondb does not run ANALYZE on SQLite, nor does the benchmark.
    },
    async databaseBytes() {
      db.pragma('wal_checkpoint(TRUNCATE)');
      return statSync(path).size;
    },
    floors: {
      async prepare(sessionId) {
        await store.createSession({ appName: 'bench-floor', userId: 'u', id: sessionId });
      },
      async plain(sessionId, e) {
        plain.immediate(sessionId, e);
      },
      async indexed(sessionId, e) {
        indexed.immediate(sessionId, e);
      },
    },
    async dispose() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
