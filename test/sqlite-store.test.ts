import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openStore, SessionDbError, SqliteStore } from '../src/index.js';
import { SQLITE_MIGRATIONS, SQLITE_SCHEMA_VERSION } from '../src/stores/sqlite/index.js';
import { bufferedHitsSql, eventHitsSql, titleHitsSql } from '../src/stores/sqlite/search.js';
import { buildSearchIndex } from '../src/stores/sqlite/search-index.js';
import { readVarints } from '../src/stores/sqlite/index-buffer.js';
import { indexText } from '../src/core/search/text.js';
import type { SearchHit, SearchQuery } from '../src/core/types.js';
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
    // An event's index row is in FTS5 or, until the buffer fills, in event_index_pending.
    const counts = () => ({
      index: (db.prepare('SELECT (SELECT count(*) FROM event_index) + (SELECT count(*) FROM event_index_pending)').pluck().get()),
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
    await store.vacuum(); // moves the buffered rows into FTS5: the rewind below deletes from FTS5
    expect(db.prepare('SELECT count(*) FROM event_index_pending').pluck().get()).toBe(0);
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

  it('search finds buffered and FTS5-indexed events together, ranked as once all are in FTS5; rewinds and deletes take buffered rows out', async () => {
    const store = new SqliteStore({ path: freshPath() });
    await store.migrate();
    const db = await store.database();
    const rows = () => ({
      fts: db.prepare('SELECT count(*) FROM event_index').pluck().get() as number,
      buffered: db.prepare('SELECT count(*) FROM event_index_pending').pluck().get() as number,
    });
    const a = { appName: 'a', userId: 'u', sessionId: 'a' };
    const b = { appName: 'a', userId: 'u', sessionId: 'b' };
    const other = { tenant: 'other', appName: 'a', userId: 'u', sessionId: 'a' };
    await store.createSession({ appName: 'a', userId: 'u', id: 'a' });
    await store.createSession({ appName: 'a', userId: 'u', id: 'b' });
    await store.createSession({ tenant: 'other', appName: 'a', userId: 'u', id: 'a' });
    const filler = (n: number, tag: string) => Array.from({ length: n }, (_, i) => ({ author: 'u', content: `${tag} filler line ${i} about nothing much` }));
    // Texts of several lengths and needle counts, so that scores differ and the merge has to interleave.
    // Each tag's events get their own millisecond (x < y < z < w < v < t): ties of equal scores go
    // newest first, which must not depend on how fast the appends ran.
    const base = Date.now() - 60_000;
    const needles = (tag: string) => [
      { id: `${tag}1`, author: 'u', timestamp: base + 'xyzwvt'.indexOf(tag) * 1000, content: `needle ${tag} once in a rather long haystack of many many words here` },
      { id: `${tag}2`, author: 'u', timestamp: base + 'xyzwvt'.indexOf(tag) * 1000, content: `needle needle ${tag}` },
      { id: `${tag}3`, author: 'u', timestamp: base + 'xyzwvt'.indexOf(tag) * 1000, content: `needle ${tag} then more hay` },
    ];
    await store.appendEvents(a, filler(250, 'a'));
    await store.appendEvents(a, needles('x')); // 253 buffered
    expect(rows()).toEqual({ fts: 0, buffered: 253 });
    await store.appendEvents(b, needles('y')); // the 256th row: the append moves all into FTS5
    expect(rows()).toEqual({ fts: 256, buffered: 0 });
    await store.appendEvents(b, needles('z'));
    await store.appendEvents(other, needles('w'));
    expect(rows()).toEqual({ fts: 256, buffered: 6 });
    // FTS5's averages record, which the buffer's scoring reads: rows and tokens inserted.
    const averages = readVarints(db.prepare('SELECT block FROM event_index_data WHERE id = 1').pluck().get() as Buffer);
    const tokens = (db.prepare('SELECT content FROM events ORDER BY pk LIMIT 256').pluck().all() as string[]).reduce((n, c) => n + indexText(JSON.parse(c) as string).split(' ').length, 0);
    expect(averages).toEqual([256, tokens]);

    const search = async (q: Partial<SearchQuery> = {}) => {
      const out: SearchHit[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.searchEvents({ query: 'needle', limit: 2, cursor, ...q });
        out.push(...page.hits);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return out;
    };
    const before = await search();
    // A phrase and a prefix (their row counts come from MATCH, a word's from the vocabulary).
    const otherQueries = ['"needle needle"', 'needl*'];
    const othersBefore = await Promise.all(otherQueries.map((query) => search({ query })));
    expect(othersBefore.map((hits) => hits.map((h) => h.event!.id))).toEqual([['y2', 'x2', 'z2'], ['y2', 'x2', 'z2', 'y3', 'x3', 'z3', 'y1', 'x1', 'z1']]);
    expect(before.map((h) => h.event!.id).sort()).toEqual(['x1', 'x2', 'x3', 'y1', 'y2', 'y3', 'z1', 'z2', 'z3']);
    // Buffered (z) and indexed (x, y) hits interleave by score.
    expect(before.map((h) => h.event!.id.slice(1))).toEqual(['2', '2', '2', '3', '3', '3', '1', '1', '1']);
    for (let i = 1; i < before.length; i++) expect(before[i]!.score).toBeLessThanOrEqual(before[i - 1]!.score);
    expect(before.find((h) => h.event!.id === 'z2')!.snippet).toBe('**needle** **needle** z');
    expect((await search({ sessionId: 'b' })).map((h) => h.event!.id)).toEqual(before.filter((h) => h.sessionId === 'b').map((h) => h.event!.id));
    expect((await search({ tenant: 'other' })).map((h) => h.event!.id).sort()).toEqual(['w1', 'w2', 'w3']);
    expect(await search({ after: Date.now() + 60_000 })).toEqual([]);
    // A buffered row scores with the statistics FTS5 will have once it holds the buffer (df 12 of
    // 262 rows, the other tenant's buffered rows included; FTS5 alone: 6 of 256), so ties of
    // equal texts go newest first only after the move, and the buffered rows keep their scores.
    expect(before.map((h) => h.event!.id)).toEqual(['y2', 'x2', 'z2', 'y3', 'x3', 'z3', 'y1', 'x1', 'z1']);
    await store.vacuum();
    expect(rows()).toEqual({ fts: 262, buffered: 0 });
    const after = await search();
    expect(after.map((h) => h.event!.id)).toEqual(['z2', 'y2', 'x2', 'z3', 'y3', 'x3', 'z1', 'y1', 'x1']);
    for (const h of after) if (h.event!.id.startsWith('z')) expect(h.score).toBe(before.find((x) => x.event!.id === h.event!.id)!.score);
    for (const [i, query] of otherQueries.entries()) {
      const hits = await search({ query });
      expect(hits.map((h) => h.event!.id)).toEqual(i ? after.map((h) => h.event!.id) : ['z2', 'y2', 'x2']);
      for (const h of hits) if (h.event!.id.startsWith('z')) expect(h.score).toBe(othersBefore[i]!.find((x) => x.event!.id === h.event!.id)!.score);
    }

    // Rewinds and deletes take buffered rows out with their events.
    await store.appendEvents(b, needles('v')); // buffered: b's seqs 7..9
    await store.appendEvents(a, needles('t')); // buffered: a's seqs 254..256
    expect(rows()).toEqual({ fts: 262, buffered: 6 });
    await store.rewindSession(b, { toSeq: 1 }); // y2, y3 and z from FTS5, v from the buffer
    expect(rows()).toEqual({ fts: 257, buffered: 3 });
    expect((await search({ sessionId: 'b' })).map((h) => h.event!.id)).toEqual(['y1']);
    expect(await store.deleteSession(a)).toBe(true);
    expect(rows()).toEqual({ fts: 4, buffered: 0 });
    expect((await search()).map((h) => h.event!.id)).toEqual(['y1']);
    // The vocabulary the scoring reads skips deleted rows as MATCH does (y1 and the other tenant's w1..w3 are left).
    const vocab = db.prepare('SELECT doc FROM event_index_vocab WHERE term = ?').pluck();
    const matching = db.prepare('SELECT count(*) FROM event_index WHERE event_index MATCH ?').pluck();
    expect([vocab.get('needle'), matching.get('"needle"')]).toEqual([4, 4]);
    await store.close();
  });

  it('migrating a schema-3 database logs the state of each session as it is, so rewinds of it are exact from there on', async () => {
    const path = freshPath();
    const old = new SqliteStore({ path });
    await old.migrate({ toVersion: 3 });
    await old.close();
    // As sessiondb at schema 3 left it: created with { color: 'red' }, then two events set n.
    const raw = new Database(path);
    raw.exec(`INSERT INTO sessions (tenant, app_name, user_id, id, created_at, updated_at, last_activity_at, event_count, version)
        VALUES ('default', 'a', 'u', 's', 1, 1, 1, 2, 3), ('default', 'a', 'u', 'empty', 1, 1, 1, 0, 1);
      INSERT INTO events (session_pk, seq, id, timestamp, author, content, state_delta) VALUES
        (1, 1, 'e1', 1, 'user', '"one"', '{"n":1}'), (1, 2, 'e2', 2, 'user', '"two"', '{"n":2,"app:shared":true}');
      INSERT INTO session_state (session_pk, key, value) VALUES (1, 'color', '"red"'), (1, 'n', '2'), (1, 'nested', '{"a":[1,2.5,null]}');
      INSERT INTO app_state (tenant, app_name, key, value) VALUES ('default', 'a', 'app:shared', 'true');`);
    raw.close();
    const store = new SqliteStore({ path });
    await store.migrate();
    const key = { appName: 'a', userId: 'u', sessionId: 's' };
    const own = { color: 'red', n: 2, nested: { a: [1, 2.5, null] } };
    expect(await store.readStateHistory(key)).toEqual([{ atSeq: 2, kind: 'replace', set: own, unset: [] }]);
    expect(await store.readStateHistory({ ...key, sessionId: 'empty' })).toEqual([{ atSeq: 0, kind: 'replace', set: {}, unset: [] }]);
    // To its current seq: nothing to do.
    const noop = await store.rewindSession(key, { toSeq: 2 });
    expect(noop).toMatchObject({ superseded: 0, session: { version: 3, eventCount: 2, state: { ...own, 'app:shared': true } } });
    // New writes, then back to seq 2: exactly the state the migration found (color included, which no event set).
    await store.appendEvents(key, [{ author: 'user', content: 'three', stateDelta: { n: 3, color: 'blue' } }]);
    await store.updateKeys(key, { extra: true, nested: null });
    const back = await store.rewindSession(key, { toSeq: 2 });
    expect(back.superseded).toBe(1);
    expect(back.session.state).toEqual({ ...own, 'app:shared': true });
    expect(await store.readStateHistory(key)).toEqual([{ atSeq: 2, kind: 'replace', set: own, unset: [] }]);
    // Before the logged state: rebuilt from the event deltas alone (the initial state was never logged).
    const first = await store.rewindSession(key, { toSeq: 1 });
    expect(first.session.state).toEqual({ n: 1, 'app:shared': true });
    expect(await store.readStateHistory(key)).toEqual([]);
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
    const all = { app: true, user: true, session: true, status: true, role: true, author: true, after: true, before: true, titles: true };
    const none = { app: false, user: false, session: false, status: false, role: false, author: false, after: false, before: false, titles: false };
    for (const shape of [all, none]) {
      expect(await planOf(eventHitsSql(shape))).toMatch(
        /^SCAN event_index VIRTUAL TABLE INDEX 0:M\d* \| SEARCH e USING INTEGER PRIMARY KEY \(rowid=\?\) \| SEARCH s USING INTEGER PRIMARY KEY \(rowid=\?\)/,
      );
      expect(await planOf(titleHitsSql(shape))).toMatch(/^SCAN title_index VIRTUAL TABLE INDEX 0:M\d* \| SEARCH s USING INTEGER PRIMARY KEY \(rowid=\?\)/);
      expect(await planOf(bufferedHitsSql(shape))).toMatch(/^SCAN b \| SEARCH e USING INTEGER PRIMARY KEY \(rowid=\?\) \| SEARCH s USING INTEGER PRIMARY KEY \(rowid=\?\)$/);
    }
  });

  it('list files from a cursor: index order, no sort', async () => {
    const plan = await planOf(listFilesSql({ app: false, user: false, session: false, after: true }));
    expect(plan).toMatch(/files USING INDEX files_order/);
    expect(plan).not.toMatch(/TEMP B-TREE/);
  });
});
