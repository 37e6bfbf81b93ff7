import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, SessionDbError } from '../src/index.js';
import { PG_MIGRATIONS, PG_SCHEMA_VERSION, PostgresStore } from '../src/stores/postgres/index.js';
import { pgListSessionsSql, pgStatements } from '../src/stores/postgres/statements.js';
import { pgNames } from '../src/stores/postgres/schema.js';
import { MAX_INDEX_BYTES, pgIndexText, pgSearchSql, searchParams, searchShape, tsqueryText } from '../src/stores/postgres/search.js';
import { prepareSearch } from '../src/core/search/prepare.js';
import { resolveLimits } from '../src/core/limits.js';
import type { MigrationProgress } from '../src/core/store.js';
import { runTs } from './helpers.js';
import { adminQuery, dropSchema, PG_URL, pgUnavailableReason, uniqueSchema } from './pg-helpers.js';

const unavailable = await pgUnavailableReason();
const used: string[] = [];
afterAll(async () => {
  for (const schema of used) await dropSchema(schema);
});
const schema = (tag: string) => {
  const s = uniqueSchema(tag);
  used.push(s);
  return s;
};

describe.skipIf(unavailable !== null)(`PostgresStore specifics${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  it('openStore accepts postgres:// and postgresql:// URLs with sessiondb parameters', async () => {
    const s = schema('url');
    for (const scheme of ['postgres', 'postgresql']) {
      const store = await openStore(`${PG_URL.replace(/^postgres/, scheme)}?schema=${s}&tablePrefix=sdb_&max=2&statementTimeoutMs=5000&searchConfig=simple`);
      expect(store.kind).toBe('postgres');
      expect((store as PostgresStore).searchConfig).toBe('simple');
      await store.createSession({ appName: 'a', userId: 'u', id: scheme });
      await store.close();
    }
    const tables = await adminQuery(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, [s]);
    expect(tables.rows.map((r) => r.table_name)).toEqual([
      'sdb_app_state', 'sdb_events', 'sdb_files', 'sdb_session_state', 'sdb_sessiondb_migrations', 'sdb_sessiondb_settings', 'sdb_sessions',
      'sdb_state_changes', 'sdb_superseded_events', 'sdb_user_state',
    ]);
  });

  it('refuses schema names and prefixes that are not plain identifiers', () => {
    expect(() => new PostgresStore({ connectionString: PG_URL, schema: 'x"; DROP TABLE y; --' })).toThrow(/schema/);
    expect(() => new PostgresStore({ connectionString: PG_URL, tablePrefix: 'a-b' })).toThrow(/tablePrefix/);
    expect(() => new PostgresStore({} as never)).toThrow(/connectionString/);
  });

  it('four processes migrating an empty database at once all succeed; the schema is created once', async () => {
    const s = schema('race');
    const url = `${PG_URL}?schema=${s}`;
    const outputs = await Promise.all(Array.from({ length: 4 }, () => runTs(join(import.meta.dirname, 'fixtures', 'migrate-worker.ts'), [url])));
    for (const out of outputs) expect(JSON.parse(out)).toMatchObject({ current: PG_SCHEMA_VERSION, latest: PG_SCHEMA_VERSION, pending: [] });
    const versions = await adminQuery(`SELECT version FROM "${s}".sessiondb_migrations ORDER BY version`);
    expect(versions.rows.map((r) => r.version)).toEqual(PG_MIGRATIONS.map((m) => m.version));
  }, 60_000);

  it('upgrades an older schema in place, keeping its data', async () => {
    const s = schema('upgrade');
    const old = new PostgresStore({ connectionString: PG_URL, schema: s });
    await old.migrate({ toVersion: 1 });
    expect((await old.migrationStatus()).pending.map((m) => m.version)).toEqual([2, 3, 4]);
    await expect(old.getSession({ appName: 'a', userId: 'u', sessionId: 's' })).rejects.toThrow(/version 1.*migrate\(\)/);
    await old.close();
    // Written under schema v1 (no files table yet), as an older sessiondb would have.
    await adminQuery(`INSERT INTO "${s}".sessions (tenant, app_name, user_id, id, created_at, updated_at, last_activity_at, event_count, version)
                      VALUES ('default', 'a', 'u', 's', 1, 1, 1, 1, 2)`);
    await adminQuery(`INSERT INTO "${s}".events (session_pk, seq, id, timestamp, author, content)
                      SELECT pk, 1, 'e1', 1, 'user', '"hello"' FROM "${s}".sessions`);
    const store = new PostgresStore({ connectionString: PG_URL, schema: s });
    await store.migrate();
    const session = await store.getSession({ appName: 'a', userId: 'u', sessionId: 's' });
    expect(session?.events?.map((e) => e.content)).toEqual(['hello']);
    await store.putFile({ name: 'f', appName: 'a', userId: 'u', sessionId: 's' });
    expect((await store.appendEvents({ appName: 'a', userId: 'u', sessionId: 's' }, [{ author: 'u' }])).events[0]?.seq).toBe(2);
    await store.close();
  });

  it('refuses a schema written by a newer sessiondb', async () => {
    const s = schema('newer');
    const store = new PostgresStore({ connectionString: PG_URL, schema: s });
    await store.migrate();
    await adminQuery(`INSERT INTO "${s}".sessiondb_migrations (version, description) VALUES (99, 'future')`);
    const fresh = new PostgresStore({ connectionString: PG_URL, schema: s });
    const err = await fresh.listSessions({ appName: 'a' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SessionDbError);
    expect((err as Error).message).toMatch(/newer than this sessiondb knows/);
    await Promise.all([store.close(), fresh.close()]);
  });

  it('the append function plans its key lookups for their arguments on every call (cached generic plans drifted onto a listing index)', async () => {
    const s = schema('plancache');
    const store = new PostgresStore({ connectionString: PG_URL, schema: s });
    await store.migrate();
    const r = await adminQuery(
      `SELECT prosrc FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1 AND p.proname = 'sessiondb_append'`,
      [s],
    );
    const source = r.rows[0].prosrc as string;
    // Every statement that finds a session or an event by key is dynamic (planned per call).
    expect(source.match(/WHERE tenant = \$1 AND app_name = \$2 AND user_id = \$3 AND id = \$4/g)).toHaveLength(2);
    expect(source).not.toMatch(/WHERE tenant = p_tenant AND app_name = p_app/);
    expect(source).toContain('WHERE e.session_pk = $1 AND e.id = $2');
    expect(source).toContain('ON CONFLICT (session_pk, id) DO NOTHING');
    expect(source).not.toMatch(/WHERE tenant = p_tenant/);
    await store.close();
  });

  it('an injected pool is used and not closed by the store', async () => {
    const pg = (await import('pg')).default;
    const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
    const store = new PostgresStore({ pool, schema: schema('pool') });
    await store.migrate();
    await store.createSession({ appName: 'a', userId: 'u', id: 's' });
    await store.close();
    expect((await pool.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    await pool.end();
  });

  it('concurrent creates of app and user state rows never raise unique violations', async () => {
    const store = new PostgresStore({ connectionString: PG_URL, schema: schema('upsert'), max: 8 });
    await store.migrate();
    const results = await Promise.allSettled(
      Array.from({ length: 24 }, (_, i) =>
        store.createSession({ appName: 'a', userId: 'u', id: `s${i}`, state: { 'app:shared': i, 'user:shared': i } }),
      ),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const appended = await Promise.allSettled(
      Array.from({ length: 24 }, (_, i) => store.appendEvents({ appName: 'a', userId: 'u', sessionId: `s${i}` }, [{ author: 'u', stateDelta: { 'app:k': i, 'user:k': i } }])),
    );
    expect(appended.filter((r) => r.status === 'rejected')).toEqual([]);
    await store.close();
  });
});

describe.skipIf(unavailable !== null)('PostgreSQL query plans on realistic data: reads walk an index in order, never sort or scan', () => {
  const planSchema = schema('plans');
  const n = pgNames(planSchema, '');
  const sql = pgStatements(n);
  const planOf = async (text: string, params: unknown[]) =>
    (await adminQuery(`EXPLAIN ${text}`, params)).rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']).join('\n');

  it('sets up 2,000 sessions and a 20,000-event session', async () => {
    const store = new PostgresStore({ connectionString: PG_URL, schema: planSchema });
    await store.migrate();
    await store.close();
    await adminQuery(`INSERT INTO ${n.sessions} (tenant, app_name, user_id, id, created_at, updated_at, last_activity_at)
                      SELECT 'default', 'a' || (i % 5), 'u' || (i % 50), 's' || i, i, i, i FROM generate_series(0, 1999) i`);
    await adminQuery(`INSERT INTO ${n.events} (session_pk, seq, id, timestamp, author, content)
                      SELECT (SELECT pk FROM ${n.sessions} WHERE id = 's0'), i, 'e' || i, i, 'u', '"x"' FROM generate_series(1, 20000) i`);
    await adminQuery(`ANALYZE ${n.sessions}`);
    await adminQuery(`ANALYZE ${n.events}`);
  });

  it('last 20 events: the primary key, backwards, no sort', async () => {
    const plan = await planOf(sql.sessionLastEvents, ['default', 'a0', 'u0', 's0', 20]);
    expect(plan).toMatch(/Index Scan Backward using events_pkey/);
    expect(plan).not.toMatch(/\bSort\b|Seq Scan/);
  });

  it('a page of events after a seq: the primary key, forwards', async () => {
    const plan = await planOf(sql.eventsAfterSeq, ['default', 'a0', 'u0', 's0', 10_000, 100]);
    expect(plan).toMatch(/Index Scan using events_pkey/);
    expect(plan).not.toMatch(/Seq Scan/);
  });

  const cases = [
    { scope: 'user', params: ['default', 'a0', 'u0'], cursor: [500, 's500'] },
    { scope: 'app', params: ['default', 'a0'], cursor: [500, 's500', 'u0'] },
    { scope: 'tenant', params: ['default'], cursor: [500, 's500', 'a0', 'u0'] },
  ] as const;
  for (const c of cases) {
    for (const order of ['asc', 'desc'] as const) {
      it(`a page of sessions by ${c.scope}, ${order}, from a cursor: the ${c.scope} order index, no sort`, async () => {
        const text = pgListSessionsSql(n, { scope: c.scope, status: false, after: true, order });
        const plan = await planOf(text, [...c.params, ...c.cursor, 51, 0]);
        expect(plan).toMatch(new RegExp(`Index Scan (Backward )?using sessions_${c.scope}_order`));
        expect(plan).not.toMatch(/\bSort\b|Seq Scan on sessions/);
      });
    }
  }
  it('an offset page reads the state of its own sessions only, not of every session it skips', async () => {
    const text = pgListSessionsSql(n, { scope: 'app', status: false, after: false, order: 'asc' });
    const plan = (await adminQuery(`EXPLAIN ANALYZE ${text}`, ['default', 'a0', 11, 300])).rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']);
    const stateScans = plan.filter((line) => /Scan.* on (app_state|user_state|session_state)\b/.test(line));
    expect(stateScans.length).toBe(3);
    for (const line of stateScans) expect(Number(/loops=(\d+)/.exec(line)?.[1])).toBeLessThanOrEqual(11);
  });
});

describe.skipIf(unavailable !== null)('PostgreSQL reads by position stay bounded before the planner has statistics', () => {
  it('the last 20 of 2,000 events read 20 rows from the events table, not the whole history', async () => {
    const s = schema('nostats');
    const store = new PostgresStore({ connectionString: PG_URL, schema: s });
    await store.migrate();
    await adminQuery(`ALTER TABLE "${s}".events SET (autovacuum_enabled = false)`);
    const key = { appName: 'a', userId: 'u', sessionId: 's' };
    await store.createSession({ appName: 'a', userId: 'u', id: 's' });
    for (let i = 0; i < 4; i++) await store.appendEvents(key, Array.from({ length: 500 }, () => ({ author: 'u', content: 'x' })));
    const sql = pgStatements(pgNames(s, ''));
    for (const [text, params] of [
      [sql.sessionLastEvents, ['default', 'a', 'u', 's', 20]],
      [sql.eventsAfterSeq, ['default', 'a', 'u', 's', 1000, 20]],
      [sql.eventsBeforeSeq, ['default', 'a', 'u', 's', Number.MAX_SAFE_INTEGER, 20]],
    ] as const) {
      const plan = (await adminQuery(`EXPLAIN ANALYZE ${text}`, [...params])).rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']);
      const eventScans = plan.filter((line) => /Scan.* on events\b/.test(line));
      expect(eventScans.length).toBeGreaterThan(0);
      for (const line of eventScans) expect(Number(/actual time=\S+ rows=(\d+)/.exec(line)?.[1])).toBeLessThanOrEqual(21);
    }
    expect((await store.getSession(key, { lastEvents: 20 }))?.events?.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => 1981 + i));
    await store.close();
  });
});

describe.skipIf(unavailable !== null)('PostgreSQL search index: migration, configuration, size limits', () => {
  const key = { appName: 'a', userId: 'u', sessionId: 's' };

  it('migrating a schema from before search indexes what is stored, in resumable batches, reporting progress', async () => {
    const s = schema('backfill');
    const old = new PostgresStore({ connectionString: PG_URL, schema: s });
    await old.migrate({ toVersion: 3 });
    await old.close();
    // Written under schema v3, as an older sessiondb would have: 3 sessions (one titled), 2,500 events.
    await adminQuery(`INSERT INTO "${s}".sessions (tenant, app_name, user_id, id, metadata, created_at, updated_at, last_activity_at, event_count, version)
                      VALUES ('default', 'a', 'u', 's', '{"title": "Old budget notes"}', 1, 1, 1, 2500, 2501),
                             ('default', 'a', 'u', 't', '{}', 1, 1, 1, 0, 1), ('default', 'a', 'u', 'v', '{"title": 7}', 1, 1, 1, 0, 1)`);
    await adminQuery(`INSERT INTO "${s}".events (session_pk, seq, id, timestamp, author, content)
                      SELECT pk, i, 'e' || i, i, 'user',
                             CASE WHEN i % 2 = 0 THEN to_jsonb('old event number ' || i || ' about kiwis')
                                  ELSE jsonb_build_object('parts', jsonb_build_array(jsonb_build_object('text', 'Structured KIWIS ' || i))) END
                        FROM "${s}".sessions, generate_series(1, 2500) i WHERE id = 's'`);
    await adminQuery(`INSERT INTO "${s}".session_state (session_pk, key, value) SELECT pk, 'mood', '"calm"' FROM "${s}".sessions WHERE id = 's'`);
    const store = new PostgresStore({ connectionString: PG_URL, schema: s });
    const progress: MigrationProgress[] = [];
    await store.migrate({ onProgress: (p) => progress.push(p) });
    expect(progress[0]).toEqual({ step: 'search index', done: 0, total: 2503 });
    expect(progress.at(-1)).toEqual({ step: 'search index', done: 2503, total: 2503 });
    expect(progress.every((p, i) => i === 0 || p.done >= progress[i - 1]!.done)).toBe(true);
    const left = async () =>
      (await adminQuery(`SELECT (SELECT count(*) FROM "${s}".events WHERE search IS NULL) + (SELECT count(*) FROM "${s}".sessions WHERE search IS NULL) AS n`)).rows[0].n;
    expect(Number(await left())).toBe(0);
    const find = async (query: string) => (await store.searchEvents({ query, limit: 100 })).hits;
    expect((await find('"number 1234"')).map((h) => h.event?.seq)).toEqual([1234]);
    expect((await find('structured kiwis 2499')).map((h) => h.event?.id)).toEqual(['e2499']);
    expect((await find('budget')).map((h) => [h.field, h.sessionId])).toEqual([['title', 's']]);
    expect((await store.searchEvents({ query: 'kiwis', limit: 1000 })).nextCursor).not.toBeNull();
    // The state-change log starts with each session's state as the migration found it.
    expect(await store.readStateHistory(key)).toEqual([{ atSeq: 2500, kind: 'replace', set: { mood: 'calm' }, unset: [] }]);
    expect(await store.readStateHistory({ ...key, sessionId: 't' })).toEqual([{ atSeq: 0, kind: 'replace', set: {}, unset: [] }]);

    // An interrupted build leaves rows whose search is NULL: the next migrate() indexes those only.
    await adminQuery(`UPDATE "${s}".events SET search = NULL WHERE seq > 2000`);
    const again: MigrationProgress[] = [];
    await store.migrate({ onProgress: (p) => again.push(p) });
    expect(again.at(-1)).toEqual({ step: 'search index', done: 500, total: 500 });
    expect((await find('"number 2222"')).map((h) => h.event?.seq)).toEqual([2222]);
    const none: MigrationProgress[] = [];
    await store.migrate({ onProgress: (p) => none.push(p) });
    expect(none).toEqual([]);
    await store.close();
  }, 60_000);

  it('searchConfig: english stems; names are validated; a store whose configuration differs from the index refuses until migrate() rebuilds it', async () => {
    expect(() => new PostgresStore({ connectionString: PG_URL, searchConfig: "english'; --" })).toThrow(/searchConfig/);
    expect(() => new PostgresStore({ connectionString: PG_URL, searchConfig: '' })).toThrow(/searchConfig/);
    const nocfg = schema('nocfg');
    const missing = new PostgresStore({ connectionString: PG_URL, schema: nocfg, searchConfig: 'klingon' });
    await expect(missing.migrate()).rejects.toMatchObject({ code: 'invalid', field: 'searchConfig' });
    await missing.close();
    expect((await adminQuery(`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1`, [nocfg])).rows[0].n).toBe(0);

    const s = schema('config');
    const english = await openStore(`${PG_URL}?schema=${s}&searchConfig=english`);
    await english.migrate();
    await english.createSession({ appName: 'a', userId: 'u', id: 's', metadata: { title: 'Running notes' } });
    await english.appendEvents(key, [{ id: 'r', author: 'u', content: 'The runners were running quickly' }]);
    expect((await english.searchEvents({ query: 'run' })).hits.map((h) => h.field).sort()).toEqual(['content', 'title']);
    await english.close();

    const simple = new PostgresStore({ connectionString: PG_URL, schema: s });
    await expect(simple.searchEvents({ query: 'run' })).rejects.toMatchObject({ code: 'invalid', field: 'searchConfig', message: expect.stringMatching(/built with "english"/) });
    await simple.migrate();
    expect((await simple.searchEvents({ query: 'run' })).hits).toEqual([]);
    expect((await simple.searchEvents({ query: 'running' })).hits.map((h) => h.field).sort()).toEqual(['content', 'title']);
    await simple.close();
    const stale = new PostgresStore({ connectionString: PG_URL, schema: s, searchConfig: 'english' });
    await expect(stale.getSession(key)).rejects.toMatchObject({ field: 'searchConfig' });
    await stale.close();
  }, 60_000);

  it('an event of 1 MiB of distinct words appends and is found; words past what a tsvector holds are not indexed, even with the content limit raised', async () => {
    const store = new PostgresStore({ connectionString: PG_URL, schema: schema('huge'), limits: { maxEventContentBytes: 4 * 1024 * 1024 } });
    await store.migrate();
    await store.createSession({ appName: 'a', userId: 'u', id: 's' });
    const words = (n: number, width: number) => Array.from({ length: n }, (_, i) => 'w' + i.toString(36).padStart(width - 1, 'q')).join(' ');
    const mib = words(1024 * 1024 / 8 - 1, 7); // 1 MiB minus the JSON quotes
    expect(Buffer.byteLength(JSON.stringify(mib))).toBeLessThanOrEqual(1024 * 1024);
    const big = words(100_000, 31); // 3.2 MB; its distinct lexemes alone would pass PostgreSQL's 1 MiB
    const t0 = Date.now();
    await store.appendEvents(key, [{ id: 'mib', author: 'u', content: mib }]);
    await store.appendEvents(key, [{ id: 'big', author: 'u', content: big }]);
    const took = Date.now() - t0;
    const find = async (query: string) => (await store.searchEvents({ query })).hits.map((h) => h.event?.id);
    expect(await find('w' + (5).toString(36).padStart(6, 'q'))).toEqual(['mib']);
    // 131,071 words of 7 letters: the tsvector holds the first ~83,000 (see MAX_INDEX_BYTES).
    expect(await find('w' + (80_000).toString(36).padStart(6, 'q'))).toEqual(['mib']);
    expect(await find('w' + (120_000).toString(36).padStart(6, 'q'))).toEqual([]);
    expect(await find('w' + (5).toString(36).padStart(30, 'q'))).toEqual(['big']);
    expect(await find('w' + (99_999).toString(36).padStart(30, 'q'))).toEqual([]); // past what a tsvector holds
    const hit = (await store.searchEvents({ query: 'w' + (5).toString(36).padStart(6, 'q') })).hits[0]!;
    expect(hit.snippet.length).toBeLessThan(1000);
    expect(took).toBeLessThan(20_000);
    await store.close();
  }, 60_000);

  it('compiles a parsed query to quoted lexemes only; index text is cut at a word boundary under 1 MB', () => {
    expect(tsqueryText({ must: [{ words: ['quick', 'brown'], prefix: false }, { words: ['ref'], prefix: true }], not: [{ words: ['fox'], prefix: false }] }))
      .toBe("('quick' <-> 'brown') & ('ref':*) & !('fox')");
    expect(tsqueryText({ must: [{ words: ["o'k", 'a\\b'], prefix: false }], not: [] })).toBe("('o''k' <-> 'a\\\\b')");
    const text = pgIndexText('é'.repeat(60) + ' ' + 'abcdefghi '.repeat(90_000));
    const words = text.split(' ');
    expect(Buffer.byteLength(text) + 1 + 4 * words.length).toBeLessThanOrEqual(MAX_INDEX_BYTES);
    expect(words.length).toBeGreaterThan(60_000);
    expect(words.slice(1).every((w) => w === 'abcdefghi')).toBe(true);
    expect(words[0]).toBe('e'.repeat(60));
    expect(pgIndexText('short text, kept')).toBe('short text kept');
  });

  it('a search finds its matches through the GIN index, never by scanning the events', async () => {
    const s = schema('searchplan');
    const store = new PostgresStore({ connectionString: PG_URL, schema: s });
    await store.migrate();
    await store.close();
    const n = pgNames(s, '');
    await adminQuery(`INSERT INTO ${n.sessions} (tenant, app_name, user_id, id, created_at, updated_at, last_activity_at, search)
                      SELECT 'default', 'a', 'u' || (i % 10), 's' || i, i, i, i, to_tsvector('simple', 'title ' || i) FROM generate_series(0, 199) i`);
    await adminQuery(`INSERT INTO ${n.events} (session_pk, seq, id, timestamp, author, content, search)
                      SELECT s.pk, j, 'e' || j, j, 'u', to_jsonb('word' || (j % 500) || ' other' || (j % 7)),
                             to_tsvector('simple', 'word' || (j % 500) || ' other' || (j % 7))
                        FROM ${n.sessions} s, generate_series(1, 100) j`);
    await adminQuery(`ANALYZE ${n.sessions}`);
    await adminQuery(`ANALYZE ${n.events}`);
    const p = prepareSearch({ query: 'word42 other0', userId: 'u3' }, resolveLimits());
    const plan = (await adminQuery(`EXPLAIN ${pgSearchSql(n, searchShape(p))}`, searchParams(p, 'simple'))).rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).toMatch(/Bitmap Index Scan on events_search/);
    expect(plan).not.toMatch(/Seq Scan on events/);
    // The query reaches the planner as a constant (so it can estimate the matches), never as user text.
    expect(plan).toContain(`search @@ '''word42'' & ''other0'''::tsquery`);
  });

  it('rewind, superseded events and the state log go with a deleted session (foreign keys cascade)', async () => {
    const s = schema('cascade');
    const store = new PostgresStore({ connectionString: PG_URL, schema: s });
    await store.migrate();
    await store.createSession({ appName: 'a', userId: 'u', id: 's', state: { x: 1 } });
    await store.appendEvents(key, [{ author: 'u', content: 'one' }, { author: 'u', content: 'two' }]);
    await store.updateKeys(key, { y: 2 });
    await store.rewindSession(key, { toSeq: 1 });
    const count = async (table: string) => Number((await adminQuery(`SELECT count(*) AS n FROM "${s}".${table}`)).rows[0].n);
    expect([await count('superseded_events'), await count('state_changes')]).toEqual([1, 1]);
    await store.deleteSession(key);
    expect([await count('superseded_events'), await count('state_changes'), await count('events')]).toEqual([0, 0, 0]);
    await store.close();
  });
});
