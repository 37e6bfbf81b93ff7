/**
 * MongoStore's search and history specifics, on the wire-protocol stand-in
 * (test/fixtures/mongo-standin.py; NOT MongoDB: see that file). What these prove
 * is the store's side: which search path it takes and says it takes, the
 * migration that indexes what a schema-1 database already holds (with progress),
 * and that a writer dying between the steps of a rewind or a patch loses nothing
 * (the states such a death leaves are written here by hand, then the store is
 * asked to go on).
 */
import { MongoClient, type Db } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import type { MigrationProgress } from '../src/core/store.js';
import { parseStoreUrl } from '../src/index.js';
import { MongoStore, type MongoStoreOptions } from '../src/stores/mongodb/index.js';
import { textSearchOf } from '../src/stores/mongodb/search.js';
import { parseSearchQuery } from '../src/core/search/query.js';
import { stateAtSeq } from '../src/core/history.js';
import { dropDatabase, lazyStandIn, standInUnavailableReason, uniqueDatabase } from './mongo-helpers.js';

const unavailable = standInUnavailableReason();
const key = { appName: 'a', userId: 'u', sessionId: 's' };

describe('MongoDB search: the $search string and the URL parameter (no server needed)', () => {
  it('sends each clause as a quoted phrase of whole words, never a prefix or an exclusion', () => {
    const search = (q: string) => textSearchOf(parseSearchQuery('query', q));
    expect(search('Refund policy')).toBe('"refund" "policy"');
    expect(search('"quick brown" fox')).toBe('"quick brown" "fox"');
    expect(search('quick -fox -"brown dog"')).toBe('"quick"');
    expect(search('"the ord*')).toBe('"the"');
    expect(search('refun* policy')).toBe('"policy"');
    expect(search('refun*')).toBeNull();
    expect(search('AND OR NOT "x')).toBe('"and" "or" "not" "x"');
  });

  it('search=auto|text|scan on the URL', () => {
    expect(parseStoreUrl('mongodb://h/db?search=scan')).toEqual({ kind: 'mongodb', url: 'mongodb://h/db', search: 'scan' });
    expect(() => parseStoreUrl('mongodb://h/db?search=fast')).toThrow(/search/);
    expect(() => new MongoStore({ url: 'mongodb://h/db', search: 'fast' as 'text' })).toThrow(/search/);
    expect(new MongoStore({ url: 'mongodb://h/db', search: 'text' }).capabilities.indexedSearch).toBe(true);
    expect(new MongoStore({ url: 'mongodb://h/db' }).capabilities.indexedSearch).toBe(false);
  });
});

describe.skipIf(unavailable !== null)(`MongoStore search and history on the stand-in${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  const plain = lazyStandIn('standalone');
  const withText = lazyStandIn('standalone', { textSearch: true });
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  });

  async function open(server: () => Promise<{ url: string }>, options: Partial<MongoStoreOptions> = {}, database = uniqueDatabase('sh')) {
    const { url } = await server();
    const store = new MongoStore({ url, database, ...options });
    await store.migrate();
    const raw = new MongoClient(url);
    cleanup.push(async () => {
      await store.close();
      await raw.close();
      await dropDatabase(url, database);
    });
    return { store, db: raw.db(database), url, database };
  }

  async function fill(store: MongoStore) {
    await store.createSession({ appName: 'a', userId: 'u', id: 's', metadata: { title: 'Refund questions' } });
    await store.appendEvents(key, [
      { id: 'e1', author: 'user', content: 'Where is my refund?' },
      { id: 'e2', author: 'agent', content: 'Your refund was approved; refunds take a week.' },
      { id: 'e3', author: 'user', content: 'Thanks!' },
    ]);
  }
  const found = async (store: MongoStore, query: string) => (await store.searchEvents({ query })).hits.map((h) => h.event?.id ?? 'title').sort();

  it('takes the text indexes where the server answers $text, scans where it does not, and says which', async () => {
    const text = await open(withText);
    const scan = await open(plain);
    const forced = await open(withText, { search: 'scan' });
    expect([text.store.capabilities.indexedSearch, scan.store.capabilities.indexedSearch, forced.store.capabilities.indexedSearch]).toEqual([true, false, false]);
    for (const { store } of [text, scan, forced]) {
      await fill(store);
      expect(await found(store, 'refund')).toEqual(['e1', 'e2', 'title']);
      expect(await found(store, 'refund*')).toEqual(['e1', 'e2', 'title']);
      expect(await found(store, 'refund -approved')).toEqual(['e1', 'title']);
    }
    // A store told to use the text indexes where the server has none fails "unavailable", naming the server's refusal.
    const stubborn = await open(plain, { search: 'text' });
    await expect(stubborn.store.searchEvents({ query: 'refund' })).rejects.toMatchObject({ code: 'unavailable', message: /text/ });
  });

  it('the text path stores the tenant and the indexed words beside each event and the title words beside the session', async () => {
    const { store, db } = await open(withText);
    await fill(store);
    const e2 = await db.collection('events').findOne({ id: 'e2' });
    expect(e2).toMatchObject({ tenant: 'default', text: 'your refund was approved refunds take a week' });
    expect(await db.collection('sessions').findOne({ id: 's' })).toMatchObject({ titleText: 'refund questions' });
    await store.updateSession(key, { metadata: { title: 'Delivery' } });
    expect(await db.collection('sessions').findOne({ id: 's' })).toMatchObject({ titleText: 'delivery' });
    const indexes = (await db.collection('events').listIndexes().toArray()).map((i) => i['name']);
    expect(indexes).toContain('events_text');
  });

  it('migrating a schema-1 database indexes the stored events and titles, reporting progress, and starts each log with the current state', async () => {
    const first = await open(withText);
    await first.store.createSession({ appName: 'a', userId: 'u', id: 's', metadata: { title: 'Old kiwi notes' } });
    // Small: the stand-in scans a collection for every update.
    for (const from of [0, 150]) {
      await first.store.appendEvents(key, Array.from({ length: 150 }, (_, j) => ({ author: 'u', content: (from + j) % 100 === 7 ? `kiwi number ${from + j}` : `filler ${from + j}` })));
    }
    await first.store.close();
    // What schema 1 stored: no tenant or words on events, no title words, no text indexes, version 1.
    const db: Db = first.db;
    await db.collection('events').updateMany({}, { $unset: { tenant: '', text: '' } });
    await db.collection('sessions').updateMany({}, { $unset: { titleText: '' } });
    await db.collection('events').dropIndex('events_text');
    await db.collection('sessions').dropIndex('sessions_title_text');
    await db.collection('sessiondb_meta').updateOne({ _id: 'schema' as never }, { $set: { version: 1 } });
    await db.collection('state_log').deleteMany({});
    await db.collection('sessions').updateOne({ id: 's' }, { $set: { 'state.n': '7' } });
    const store = new MongoStore({ url: first.url, database: first.database });
    expect((await store.migrationStatus()).pending.map((m) => m.version)).toEqual([2]);
    const progress: MigrationProgress[] = [];
    await store.migrate({ onProgress: (p) => progress.push(p) });
    expect(progress[0]).toEqual({ step: 'search index', done: 0, total: 300 });
    expect(progress[progress.length - 1]).toEqual({ step: 'search index', done: 300, total: 300 });
    expect(await db.collection('events').countDocuments({ tenant: { $exists: false } })).toBe(0);
    expect(store.capabilities.indexedSearch).toBe(true);
    expect((await store.searchEvents({ query: 'kiwi', limit: 100 })).hits.length).toBe(4);
    // The log starts with the state the session had when migrated, after its last event.
    expect(await store.readStateHistory(key)).toEqual([{ atSeq: 300, kind: 'replace', set: { n: 7 }, unset: [] }]);
    await store.close();
  });

  it('a rewind whose writer died after its commit is finished by the next reader or writer: nothing is lost', async () => {
    const { store, db } = await open(withText);
    await fill(store);
    const before = (await db.collection('sessions').findOne({ id: 's' }))!;
    // The commit alone, as a rewind to 1 makes it; then the rewinder is gone.
    await db.collection('sessions').updateOne(
      { id: 's' },
      {
        $set: { version: before['version'] + 1, eventCount: 1, fence: before['fence'] + 1, rewinding: { by: before['version'] + 1, at: 5, toSeq: 1, upTo: 3, fence: before['fence'] + 1 } },
      },
    );
    expect((await store.getSession(key))?.events?.map((e) => e.id)).toEqual(['e1']);
    expect(await found(store, 'refund')).toEqual(['e1', 'title']);
    const superseded = await store.readSupersededEvents(key);
    expect(superseded?.events.map((e) => [e.id, e.seq, e.supersededBy, e.supersededAt])).toEqual([
      ['e2', 2, before['version'] + 1, 5],
      ['e3', 3, before['version'] + 1, 5],
    ]);
    expect((await db.collection('sessions').findOne({ id: 's' }))?.['rewinding']).toBeUndefined();
    expect(await db.collection('events').countDocuments({ sid: before['sid'] })).toBe(1);
    // Again, and this time an append is the next to come: it finishes the rewind, then takes seq 2.
    const head = (await db.collection('sessions').findOne({ id: 's' }))!;
    await store.appendEvents(key, [{ id: 'n2', author: 'agent', content: 'two' }]);
    await db.collection('sessions').updateOne(
      { id: 's' },
      { $set: { version: head['version'] + 2, eventCount: 1, fence: head['fence'] + 1, rewinding: { by: head['version'] + 2, at: 6, toSeq: 1, upTo: 2, fence: head['fence'] + 1 } } },
    );
    const appended = await store.appendEvents(key, [{ id: 'n2b', author: 'agent', content: 'two, again' }]);
    expect(appended.events.map((e) => e.seq)).toEqual([2]);
    expect((await store.readSupersededEvents(key))?.events.map((e) => e.id)).toEqual(['e2', 'e3', 'n2']);
  });

  const replicaSet = lazyStandIn('replset', { textSearch: true });
  it.each([
    ['standalone (no transactions, search by scan)', plain],
    ['replica set (a transaction per write, search by the text index)', replicaSet],
  ])('%s: three clients at once (appends, rewinds, key updates): seqs stay gapless, every event is visible or superseded, none twice', async (_mode, server) => {
    const { store: a, url, database, db } = await open(server);
    const b = new MongoStore({ url, database });
    const k = new MongoStore({ url, database });
    cleanup.push(() => b.close());
    cleanup.push(() => k.close());
    await a.createSession({ appName: 'a', userId: 'u', id: 's', state: { n: 0 } });
    const appended: string[] = [];
    const rewinds: { by: number; superseded: number }[] = [];
    const appends = (async () => {
      for (let i = 0; i < 30; i++) {
        const r = await a.appendEvents(key, [{ id: `e${i}`, author: 'u', content: `word${i} common`, stateDelta: { last: i } }]);
        appended.push(...r.events.map((e) => e.id));
      }
    })();
    const rewinding = (async () => {
      for (let i = 0; i < 8; i++) {
        const s = (await b.getSession(key, { withEvents: false }))!;
        if (s.eventCount >= 2) {
          const r = await b.rewindSession(key, { toSeq: s.eventCount - 2 });
          rewinds.push({ by: r.session.version, superseded: r.superseded });
        }
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
    })();
    const keys = (async () => {
      for (let i = 0; i < 10; i++) await k.updateKeys(key, { [`k${i}`]: i, ...(i ? { [`k${i - 1}`]: null } : {}) });
    })();
    await Promise.all([appends, rewinding, keys]);
    const session = (await a.getSession(key))!;
    const visible = session.events!;
    expect(visible.map((e) => e.seq)).toEqual(Array.from({ length: session.eventCount }, (_, i) => i + 1));
    const superseded = (await a.readSupersededEvents(key, { limit: 1000 }))!.events;
    expect(new Set(superseded.map((e) => `${e.supersededBy}/${e.seq}`)).size).toBe(superseded.length);
    for (const r of rewinds) expect(superseded.filter((e) => e.supersededBy === r.by).length, `rewind ${r.by}`).toBe(r.superseded);
    expect(rewinds.length).toBeGreaterThan(0);
    const ids = [...visible.map((e) => e.id), ...superseded.map((e) => e.id)];
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set(appended));
    // Nothing is left above eventCount, no marker is left, and search sees exactly the visible events.
    expect(await db.collection('events').countDocuments({ seq: { $gt: session.eventCount } })).toBe(0);
    expect((await db.collection('sessions').findOne({ id: 's' }))?.['rewinding']).toBeUndefined();
    const hits = (await a.searchEvents({ query: 'common', limit: 100 })).hits.map((h) => h.event!.id).sort();
    expect(hits).toEqual(visible.map((e) => e.id).sort());
    // The own state is what the log and the events say it is after the last seq (a rewind cut the key updates made past its toSeq).
    const history = (await a.readStateHistory(key))!;
    expect(session.state).toEqual(stateAtSeq(history, visible, session.eventCount));
  });

  it('a patch whose writer died after its commit keeps its state change: the session document carries it until its row is written', async () => {
    const { store, db } = await open(plain);
    await store.createSession({ appName: 'a', userId: 'u', id: 's', state: { a: 1 } });
    await store.updateKeys(key, { b: 2 });
    // The row the dead writer did not get to write.
    await db.collection('state_log').deleteOne({ atSeq: 0, v: 2 });
    const expected = [
      { atSeq: 0, kind: 'replace', set: { a: 1 }, unset: [] },
      { atSeq: 0, kind: 'merge', set: { b: 2 }, unset: [] },
    ];
    expect(await store.readStateHistory(key)).toEqual(expected);
    await store.updateKeys(key, { a: null });
    expect(await store.readStateHistory(key)).toEqual([...expected, { atSeq: 0, kind: 'merge', set: {}, unset: ['a'] }]);
    expect(await db.collection('state_log').countDocuments({})).toBe(3);
    // A rewind cuts the rows after toSeq instead of deleting them, so a writer acting on a stale read cannot bring one back.
    await store.appendEvents(key, [{ id: 'e1', author: 'u', content: 'x' }]);
    await store.updateKeys(key, { c: 3 });
    await store.rewindSession(key, { toSeq: 0 });
    expect((await store.readStateHistory(key))?.length).toBe(3);
    expect(await db.collection('state_log').countDocuments({ cut: { $exists: true } })).toBe(1);
    expect((await store.getSession(key, { withEvents: false }))?.state).toEqual({ b: 2 });
  });
});
