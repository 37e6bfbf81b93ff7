import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openStore, SessionDbError, SqliteStore } from '../src/index.js';
import { SQLITE_MIGRATIONS, SQLITE_SCHEMA_VERSION } from '../src/stores/sqlite/index.js';
import { eventHitsSql, titleHitsSql } from '../src/stores/sqlite/search.js';
import { buildSearchIndex } from '../src/stores/sqlite/search-index.js';
import { listFilesSql, listSessionsSql, SQL } from '../src/stores/sqlite/statements.js';
import type { MigrationProgress } from '../src/core/store.js';
import { runTs, tempDir } from './helpers.js';

const dir = tempDir('sqlite');
let n = 0;
const freshPath = () => join(dir, `case-${++n}`, 'nested', 'sessions.db');

describe('SqliteStore specifics', () => {
  it('creates the parent directory and sets WAL, synchronous, foreign keys and the busy timeout', async () => {
    const path = freshPath();
    const store = new SqliteStore({ path, busyTimeoutMs: 1234 });
    expect(existsSync(path)).toBe(false); // the constructor does no I/O
    await store.migrate();
    const db = await store.database();
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(1234);
    await store.close();
    const full = new SqliteStore({ path, synchronous: 'full' });
    await full.migrate();
    expect((await full.database()).pragma('synchronous', { simple: true })).toBe(2);
    await full.close();
  });

  it('refuses a bad synchronous option and an empty path', () => {
    expect(() => new SqliteStore({ path: '' })).toThrow(/path/);
    expect(() => new SqliteStore({ path: 'x.db', synchronous: 'off' as never })).toThrow(/synchronous/);
  });

  it('upgrades an older schema in place, keeping its data', async () => {
    const path = freshPath();
    const old = new SqliteStore({ path });
    await old.migrate({ toVersion: 1 });
    expect((await old.migrationStatus()).pending.map((m) => m.version)).toEqual([2, 3, 4, 5]);
    // A store that is not migrated says what to do instead of failing on a missing table.
    await expect(old.getSession({ appName: 'a', userId: 'u', sessionId: 's' })).rejects.toThrow(/schema version 1.*migrate\(\)/);
    await old.close();
    // Data written under schema v1, as an older sessiondb would have written it.
    const raw = new Database(path);
    raw
      .prepare(`INSERT INTO sessions (tenant, app_name, user_id, id, created_at, updated_at, last_activity_at) VALUES ('default', 'a', 'u', 's', 1, 1, 1)`)
      .run();
    raw.prepare(`INSERT INTO events (session_pk, seq, id, timestamp, author, content) VALUES (1, 1, 'e1', 1, 'user', '"hello"')`).run();
    raw.prepare(`UPDATE sessions SET event_count = 1, version = 2`).run();
    raw.close();

    const store = new SqliteStore({ path });
    await store.migrate();
    expect(await store.migrationStatus()).toMatchObject({ current: SQLITE_SCHEMA_VERSION, latest: SQLITE_SCHEMA_VERSION, pending: [] });
    const s = await store.getSession({ appName: 'a', userId: 'u', sessionId: 's' });
    expect(s?.events?.map((e) => e.content)).toEqual(['hello']);
    await store.putFile({ name: 'f', appName: 'a', userId: 'u', sessionId: 's' }); // the v2 table works
    const r = await store.appendEvents({ appName: 'a', userId: 'u', sessionId: 's' }, [{ author: 'user', content: 'again' }]);
    expect(r.events[0]?.seq).toBe(2);
    await store.close();
  });

  it('refuses a database written by a newer sessiondb', async () => {
    const path = freshPath();
    const store = new SqliteStore({ path });
    await store.migrate();
    await store.close();
    const raw = new Database(path);
    raw.prepare(`INSERT INTO sessiondb_migrations (version, description, applied_at) VALUES (99, 'future', 0)`).run();
    raw.close();
    const newer = new SqliteStore({ path });
    const err = await newer.getSession({ appName: 'a', userId: 'u', sessionId: 's' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SessionDbError);
    expect((err as Error).message).toMatch(/newer than this sessiondb knows/);
    await newer.close();
  });

  it('four processes migrating one new file at once all succeed and apply each migration once', async () => {
    const path = freshPath();
    const outputs = await Promise.all(
      Array.from({ length: 4 }, () => runTs(join(import.meta.dirname, 'fixtures', 'migrate-worker.ts'), [`sqlite:${path}`])),
    );
    for (const out of outputs) expect(JSON.parse(out)).toMatchObject({ current: SQLITE_SCHEMA_VERSION, latest: SQLITE_SCHEMA_VERSION, pending: [] });
    const raw = new Database(path);
    expect(raw.prepare('SELECT version FROM sessiondb_migrations ORDER BY version').pluck().all()).toEqual(SQLITE_MIGRATIONS.map((m) => m.version));
    raw.close();
  }, 60_000);

  it('reports another writer holding the lock past the busy timeout as "unavailable"', async () => {
    const path = freshPath();
    const store = new SqliteStore({ path, busyTimeoutMs: 50 });
    await store.migrate();
    await store.createSession({ appName: 'a', userId: 'u', id: 's' });
    const blocker = new Database(path);
    blocker.exec('BEGIN IMMEDIATE');
    try {
      const err = await store.appendEvents({ appName: 'a', userId: 'u', sessionId: 's' }, [{ author: 'u' }]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SessionDbError);
      expect((err as SessionDbError).code).toBe('unavailable');
      expect((err as Error).message).toMatch(/locked/);
    } finally {
      blocker.exec('ROLLBACK');
      blocker.close();
    }
    // Once the lock is gone the same store works again.
    const r = await store.appendEvents({ appName: 'a', userId: 'u', sessionId: 's' }, [{ author: 'u' }]);
    expect(r.events[0]?.seq).toBe(1);
    await store.close();
  });

  it('migrating a database with events builds their search index in batches, reporting progress, and resumes where it stopped', async () => {
    const path = freshPath();
    const old = new SqliteStore({ path });
    await old.migrate({ toVersion: 3 });
    await old.close();
    // 12,001 events and two titled sessions, written as sessiondb at schema 3 wrote them.
    const raw = new Database(path);
    raw.exec(`INSERT INTO sessions (tenant, app_name, user_id, id, metadata, created_at, updated_at, last_activity_at, event_count, version)
      VALUES ('default', 'a', 'u', 'big', '{"title":"Migration rehearsal"}', 1, 1, 1, 12001, 2),
             ('default', 'a', 'u', 'small', '{"title":"Otter census"}', 1, 1, 1, 0, 1),
             ('default', 'a', 'u', 'plain', '{}', 1, 1, 1, 0, 1)`);
    const insert = raw.prepare(`INSERT INTO events (session_pk, seq, id, timestamp, author, content) VALUES (1, ?, ?, ?, 'user', ?)`);
    raw.transaction(() => {
      for (let i = 1; i <= 12_000; i++) insert.run(i, `e${i}`, i, JSON.stringify(`routine message number ${i}`));
      insert.run(12_001, 'needle', 12_001, JSON.stringify({ parts: [{ text: 'The pangolin escaped.' }] }));
    })();
    // A first migrate() that stopped after one committed batch of the build.
    raw.close();
    const first = new SqliteStore({ path });
    await first.migrate({ toVersion: 4 });
    await first.close();
    const partial = new Database(path);
    partial.transaction(() => buildSearchIndex(partial, 1000))();
    partial.close();
    expect((await new SqliteStore({ path }).migrationStatus()).pending).toEqual([{ version: 5, description: expect.stringMatching(/search index/) }]);

    const store = new SqliteStore({ path });
    const reports: MigrationProgress[] = [];
    await store.migrate({ onProgress: (p) => reports.push(p) });
    expect(reports[0]).toEqual({ step: 'search index', done: 1000, total: 12_003 });
    expect(reports[reports.length - 1]).toEqual({ step: 'search index', done: 12_003, total: 12_003 });
    for (let i = 1; i < reports.length; i++) expect(reports[i]!.done).toBeGreaterThanOrEqual(reports[i - 1]!.done);
    expect(await store.migrationStatus()).toMatchObject({ current: SQLITE_SCHEMA_VERSION, pending: [] });

    const hits = (await store.searchEvents({ query: 'pangolin' })).hits;
    expect(hits.map((h) => [h.sessionId, h.event?.id])).toEqual([['big', 'needle']]);
    expect((await store.searchEvents({ query: 'routine number 7' })).hits.map((h) => h.event?.id)).toEqual(['e7']);
    expect((await store.searchEvents({ query: 'otter' })).hits.map((h) => [h.field, h.sessionId])).toEqual([['title', 'small']]);
    const db = await store.database();
    expect(db.prepare('SELECT count(*) FROM event_index').pluck().get()).toBe(12_001);
    expect(db.prepare('SELECT count(*) FROM title_index').pluck().get()).toBe(2);
    expect(db.prepare(`SELECT count(*) FROM sqlite_schema WHERE name = 'search_index_build'`).pluck().get()).toBe(0);
    // New writes index themselves.
    await store.appendEvents({ appName: 'a', userId: 'u', sessionId: 'small' }, [{ author: 'user', content: 'otters again' }]);
    expect((await store.searchEvents({ query: 'otters' })).hits.map((h) => h.event?.seq)).toEqual([1]);
    await store.close();
  }, 60_000);

  it('the search indexes hold exactly one row per visible event and titled session, through appends, imports, rewinds, title changes and deletes', async () => {
    const store = new SqliteStore({ path: ':memory:' });
    await store.migrate();
    const db = await store.database();
    const counts = () => ({
      index: db.prepare('SELECT count(*) FROM event_index').pluck().get(),
      events: db.prepare('SELECT count(*) FROM events').pluck().get(),
      titles: db.prepare('SELECT count(*) FROM title_index').pluck().get(),
      titled: db.prepare(`SELECT count(*) FROM sessions WHERE json_type(metadata, '$.title') = 'text'`).pluck().get(),
    });
    const expectInStep = () => {
      const c = counts();
      expect(c.index).toBe(c.events);
      expect(c.titles).toBe(c.titled);
    };
    const a = { appName: 'a', userId: 'u', sessionId: 's1' };
    const b = { appName: 'a', userId: 'u', sessionId: 's2' };
    await store.createSession({ appName: 'a', userId: 'u', id: 's1', metadata: { title: 'First' } });
    await store.createSession({ appName: 'a', userId: 'u', id: 's2' });
    await store.appendEvents(a, Array.from({ length: 10 }, (_, i) => ({ author: 'u', content: i % 3 ? `text ${i}` : undefined })));
    await store.appendEvents(b, [{ author: 'u', content: 'hello' }, { author: 'u', content: { parts: [{ inlineData: { data: 'AAAA' } }] } }]);
    expectInStep();
    expect(counts().index).toBe(12);
    await store.rewindSession(a, { toSeq: 4 });
    expectInStep();
    expect(counts().index).toBe(6);
    await store.appendEvents(a, [{ author: 'u', content: 'after the rewind' }]);
    await store.updateSession(b, { metadata: { title: 'Second' } });
    await store.updateSession(a, { metadata: { title: 'First, renamed' } });
    await store.updateSession(a, { metadata: { title: 'First, renamed' } });
    expectInStep();
    await store.updateSession(a, { metadata: {} });
    expectInStep();
    expect(counts().titles).toBe(1);
    const copy = (await store.getSession(b))!;
    await store.importSession({ session: { ...copy, id: 's3' }, state: {}, events: copy.events! });
    expectInStep();
    await store.importSession(
      { session: { ...copy, id: 's3', metadata: { title: 'Replaced' }, eventCount: 1 }, state: {}, events: copy.events!.slice(0, 1) },
      { replace: true },
    );
    expect(counts()).toMatchObject({ titles: 2 });
    expectInStep();
    expect(await store.deleteSession(b)).toBe(true);
    expectInStep();
    await store.sweepExpired({ idleBefore: Date.now() + 1000, mode: 'delete' });
    expect(counts()).toEqual({ index: 0, events: 0, titles: 0, titled: 0 });
    await store.close();
  });

  it('vacuum runs and keeps the data', async () => {
    const store = (await openStore(`sqlite:${freshPath()}`)) as SqliteStore;
    await store.createSession({ appName: 'a', userId: 'u', id: 's' });
    await store.vacuum();
    expect(await store.getSession({ appName: 'a', userId: 'u', sessionId: 's' })).not.toBeNull();
    await store.close();
  });
});

describe('SQLite query plans: reads walk an index, never the whole table', () => {
  const planOf = async (sql: string) => {
    const store = new SqliteStore({ path: ':memory:' });
    await store.migrate();
    const db = await store.database();
    db.exec('ANALYZE');
    const params = Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => 1);
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join(' | ');
    await store.close();
    return plan;
  };

  it.each([
    ['last N events', SQL.lastEvents, /events USING INDEX sqlite_autoindex_events_1/],
    ['events after a seq', SQL.eventsAfterSeq, /events USING INDEX sqlite_autoindex_events_1/],
    ['events before a seq', SQL.eventsBeforeSeq, /events USING INDEX sqlite_autoindex_events_1/],
    ['event by id', SQL.eventById, /events USING INDEX sqlite_autoindex_events_2/],
    ['session by key', SQL.sessionForWrite, /sessions USING INDEX sqlite_autoindex_sessions_1/],
    ['events since a time', SQL.eventsSince, /events USING INDEX events_time/],
    ['last N events since a time', SQL.lastEventsSince, /events USING INDEX sqlite_autoindex_events_1/],
    ['counting up to N events since a time', SQL.countSinceUpTo, /events USING COVERING INDEX events_time/],
  ])('%s', async (_name, sql, expected) => {
    const plan = await planOf(sql);
    expect(plan).toMatch(expected);
    expect(plan).not.toMatch(/SCAN events(?! USING)/);
    if (sql !== SQL.eventsSince) expect(plan).not.toMatch(/TEMP B-TREE/);
  });

  for (const scope of ['user', 'app', 'tenant'] as const) {
    for (const order of ['asc', 'desc'] as const) {
      for (const after of [false, true]) {
        it(`list sessions by ${scope}, ${order}${after ? ', from a cursor' : ''}: index order, no sort`, async () => {
          const plan = await planOf(listSessionsSql({ scope, status: false, after, order }));
          expect(plan).toMatch(new RegExp(`sessions USING INDEX sessions_${scope}_order`));
          expect(plan).not.toMatch(/TEMP B-TREE/);
        });
      }
    }
  }

  it('search walks the full-text index and looks rows up by key, whatever the filters', async () => {
    const all = { app: true, user: true, session: true, status: true, role: true, author: true, after: true, before: true };
    const none = { app: false, user: false, session: false, status: false, role: false, author: false, after: false, before: false };
    for (const shape of [all, none]) {
      expect(await planOf(eventHitsSql(shape))).toMatch(
        /^SCAN event_index VIRTUAL TABLE INDEX 0:M\d* \| SEARCH e USING INTEGER PRIMARY KEY \(rowid=\?\) \| SEARCH s USING INTEGER PRIMARY KEY \(rowid=\?\)/,
      );
      expect(await planOf(titleHitsSql(shape))).toMatch(/^SCAN title_index VIRTUAL TABLE INDEX 0:M\d* \| SEARCH s USING INTEGER PRIMARY KEY \(rowid=\?\)/);
    }
  });

  it('list files from a cursor: index order, no sort', async () => {
    const plan = await planOf(listFilesSql({ app: false, user: false, session: false, after: true }));
    expect(plan).toMatch(/files USING INDEX files_order/);
    expect(plan).not.toMatch(/TEMP B-TREE/);
  });
});
