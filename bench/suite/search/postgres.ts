import pg from 'pg';
import { eventIndexText, tsvectorLiteral } from '../../../src/stores/postgres/search.js';
import { pgNames, type PgNames } from '../../../src/stores/postgres/schema.js';
import { PostgresStore } from '../../../src/stores/postgres/index.js';
import type { NewEvent } from '../../../src/core/types.js';
import type { SearchArena } from './run.js';

/**
 * PostgresStore on a fresh schema (the 1,000,000 events), and the two floors
 * on fresh schemas of their own: one at schema version 3 (no search column, no
 * GIN index), one at the current version, both written by one raw statement per
 * append (the session's counters, the delta's keys, the event) — the second
 * also computes the index text and writes its vector as the store does for
 * `simple`: a tsvector literal built in JavaScript (`$9::tsvector`).
 */
export async function postgresSearchArena(url: string, runId: string): Promise<SearchArena> {
  const schemas = { store: `${runId}_search`, plain: `${runId}_search_v3`, indexed: `${runId}_search_v4` };
  const admin = new pg.Pool({ connectionString: url, max: 2 });
  for (const s of Object.values(schemas)) await admin.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  const store = new PostgresStore({ connectionString: url, schema: schemas.store, max: 4 });
  await store.migrate();
  const plainStore = new PostgresStore({ connectionString: url, schema: schemas.plain });
  await plainStore.migrate({ toVersion: 3 });
  await plainStore.close();
  const indexedStore = new PostgresStore({ connectionString: url, schema: schemas.indexed });
  await indexedStore.migrate();
  await indexedStore.close();
  const floorPool = new pg.Pool({ connectionString: url, max: 1 });
  const appendSql = (n: PgNames, indexed: boolean) => `
    WITH s AS (
      UPDATE ${n.sessions} SET event_count = event_count + 1, version = version + 1, updated_at = $4, last_activity_at = $4
       WHERE tenant = 'default' AND app_name = $1 AND user_id = $2 AND id = $3 RETURNING pk, event_count
    ), st AS (
      INSERT INTO ${n.sessionState} (session_pk, key, value) SELECT s.pk, d.key, d.value FROM s, jsonb_each($7::jsonb) d
      ON CONFLICT (session_pk, key) DO UPDATE SET value = excluded.value
    )
    INSERT INTO ${n.events} (session_pk, seq, id, timestamp, author, content, state_delta${indexed ? ', search' : ''})
    SELECT pk, event_count, $5, $4, $6, $8::jsonb, $7::jsonb${indexed ? ', $9::tsvector' : ''} FROM s`;
  const names = { plain: pgNames(schemas.plain, ''), indexed: pgNames(schemas.indexed, '') };
  const sql = { plain: appendSql(names.plain, false), indexed: appendSql(names.indexed, true) };
  let n = 0;
  const floorAppend = async (which: 'plain' | 'indexed', sessionId: string, e: NewEvent) => {
    const content = JSON.stringify(e.content);
    const args = ['bench-floor', 'u', sessionId, Date.now(), `floor-${++n}`, e.author, JSON.stringify(e.stateDelta ?? {}), content];
    await floorPool.query(sql[which], which === 'indexed' ? [...args, tsvectorLiteral(eventIndexText(content))] : args);
  };
  const size = async (query: string) => Number((await admin.query(query)).rows[0].n);
  return {
    backend: 'postgres',
    store,
    async indexBytes() {
      // The GIN indexes and the tsvector columns (their share of the table, measured with pg_column_size).
      return size(`SELECT (pg_relation_size('${schemas.store}.events_search'::regclass) + pg_relation_size('${schemas.store}.sessions_search'::regclass)
                           + (SELECT coalesce(sum(pg_column_size(search)), 0) FROM ${schemas.store}.events)
                           + (SELECT coalesce(sum(pg_column_size(search)), 0) FROM ${schemas.store}.sessions))::bigint AS n`);
    },
    async analyze() {
      // Autovacuum is off on the benchmark machine (as the suite's notes say); a deployment's would have run.
      for (const table of ['sessions', 'events', 'state_changes']) await admin.query(`ANALYZE ${schemas.store}.${table}`);
    },
    async databaseBytes() {
      return size(`SELECT sum(pg_total_relation_size(c.oid))::bigint AS n FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = '${schemas.store}' AND c.relkind = 'r'`);
    },
    floors: {
      async prepare(sessionId) {
        for (const s of [schemas.plain, schemas.indexed]) {
          await admin.query(`INSERT INTO ${s}.sessions (tenant, app_name, user_id, id, created_at, updated_at, last_activity_at) VALUES ('default', 'bench-floor', 'u', $1, 0, 0, 0) ON CONFLICT DO NOTHING`, [sessionId]);
        }
      },
      plain: (sessionId, e) => floorAppend('plain', sessionId, e),
      indexed: (sessionId, e) => floorAppend('indexed', sessionId, e),
    },
    async dispose() {
      await store.close();
      await floorPool.end();
      for (const s of Object.values(schemas)) await admin.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
      await admin.end();
    },
  };
}
