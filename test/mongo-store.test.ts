/**
 * MongoStore specifics, on the wire-protocol stand-in (test/fixtures/mongo-standin.py:
 * MockupDB in front of mongomock; NOT MongoDB — no rollback, no isolation, no
 * concurrency of its own, no replication, no query planner). What these tests prove
 * is the store's side: the commands it sends, the standalone write order and its
 * recovery from a crashed append, the transaction retries on the driver's labels,
 * the error mapping, the URL and configuration. The stand-in is skipped by name
 * when its Python packages are missing (and fails under CI).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, storeUrlFromConfig } from '../src/config/load.js';
import { openStore, parseStoreUrl, SessionDbError, type SessionStore } from '../src/index.js';
import { MONGO_INDEXES, MONGO_SCHEMA_VERSION, MongoStore } from '../src/stores/mongodb/index.js';
import { translateMongoError } from '../src/stores/mongodb/errors.js';
import { mongoBackend } from '../src/stores/mongodb/registration.js';
import { dropDatabase, lazyStandIn, standInUnavailableReason, uniqueDatabase } from './mongo-helpers.js';

const unavailable = standInUnavailableReason();
const root = join(import.meta.dirname, '..');

describe('MongoDB URLs and configuration (no server needed)', () => {
  it('parses mongodb:// and mongodb+srv:// URLs, taking sessiondb parameters out and leaving the driver its own', () => {
    expect(parseStoreUrl('mongodb://u:p@h1:27017,h2:27018/app?replicaSet=rs0&database=sessions&collectionPrefix=sdb_&transactions=false&w=1')).toEqual({
      kind: 'mongodb',
      url: 'mongodb://u:p@h1:27017,h2:27018/app?replicaSet=rs0&w=1',
      database: 'sessions',
      collectionPrefix: 'sdb_',
      transactions: false,
    });
    expect(parseStoreUrl('mongodb+srv://cluster0.example.net/app?transactions=auto')).toEqual({ kind: 'mongodb', url: 'mongodb+srv://cluster0.example.net/app' });
    expect(() => parseStoreUrl('mongodb://')).toThrow(/mongodb:\/\//);
    expect(() => parseStoreUrl('mongodb://h/db?transactions=maybe')).toThrow(/transactions/);
  });

  it('pool bounds become minPoolSize/maxPoolSize unless the URL sets them', () => {
    expect(mongoBackend.withPool!('mongodb://h:27017/db', { min: 2, max: 20 })).toBe('mongodb://h:27017/db?minPoolSize=2&maxPoolSize=20');
    expect(mongoBackend.withPool!('mongodb://h:27017', { max: 5 })).toBe('mongodb://h:27017/?maxPoolSize=5');
    expect(mongoBackend.withPool!('mongodb://h/db?maxPoolSize=3', { min: 1, max: 20 })).toBe('mongodb://h/db?maxPoolSize=3&minPoolSize=1');
  });

  it('STORAGE_BACKEND=mongodb with STORAGE_CONNECTION_STRING names the store, with the configured pool', async () => {
    const env = { STORAGE_BACKEND: 'mongodb', STORAGE_CONNECTION_STRING: 'mongodb://db.internal:27017/app', STORAGE_MAX_POOL_SIZE: '20' };
    const { config } = await loadConfig({ env, dotEnv: false, cwd: root });
    expect(storeUrlFromConfig(config)).toBe('mongodb://db.internal:27017/app?maxPoolSize=20');
    await expect(loadConfig({ env: { STORAGE_BACKEND: 'mongodb' }, dotEnv: false, cwd: root })).rejects.toThrow(/STORAGE_CONNECTION_STRING/);
  });

  it("the seeds' YAML storage section (backend mongodb, connection_string, options.database_name, pool sizes) names the store", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sessiondb-mongo-yaml-'));
    try {
      writeFileSync(
        join(dir, 'sessiondb.config.yaml'),
        'storage:\n  backend: "mongodb"\n  connection_string: "mongodb://localhost:27017"\n  min_pool_size: 5\n  max_pool_size: 20\n  options:\n    database_name: "gemini_mcp"\n',
      );
      const { config } = await loadConfig({ cwd: dir, env: {}, dotEnv: false });
      const url = storeUrlFromConfig(config);
      expect(url).toBe('mongodb://localhost:27017?database_name=gemini_mcp&minPoolSize=5&maxPoolSize=20');
      expect(parseStoreUrl(url)).toEqual({ kind: 'mongodb', url: 'mongodb://localhost:27017/?minPoolSize=5&maxPoolSize=20', database: 'gemini_mcp' });
      writeFileSync(join(dir, 'sessiondb.config.yaml'), 'storage:\n  backend: "cassandra"\n');
      await expect(loadConfig({ cwd: dir, env: {}, dotEnv: false })).rejects.toThrow(/storage\.backend.*mongodb/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an unreachable server is "unavailable" within the selection timeout, with the password redacted', async () => {
    const store = await openStore('mongodb://app:hunter2-secret@127.0.0.1:1/db?serverSelectionTimeoutMS=300', { migrate: false }).catch((e: unknown) => e);
    const err = store instanceof SessionDbError ? store : await (store as SessionStore).getSession({ appName: 'a', userId: 'u', sessionId: 's' }).catch((e: unknown) => e);
    if (!(store instanceof SessionDbError)) await (store as SessionStore).close();
    expect(err).toBeInstanceOf(SessionDbError);
    expect((err as SessionDbError).code).toBe('unavailable');
    expect((err as Error).message).not.toContain('hunter2-secret');
    expect((err as Error).message).toContain('127.0.0.1:1');
  });

  it('driver errors map to the closed codes and never escape raw', () => {
    const dup = translateMongoError(Object.assign(new Error('E11000 duplicate key'), { name: 'MongoServerError', code: 11000 }), 'h');
    expect(dup).toBeInstanceOf(SessionDbError); // where a duplicate means "exists", the store says so before this
    const stepdown = translateMongoError(Object.assign(new Error('not primary'), { name: 'MongoServerError', code: 10107 }), 'h') as SessionDbError;
    expect([stepdown.code, stepdown.message]).toEqual(['unavailable', 'MongoDB at h is unavailable: not primary (code 10107). Retry later.']);
    const leaked = translateMongoError(Object.assign(new Error('connect to mongodb://u:secret@h failed'), { name: 'MongoNetworkError' }), 'h') as SessionDbError;
    expect(leaked.code).toBe('unavailable');
    expect(leaked.message).not.toContain('secret');
    expect((translateMongoError(Object.assign(new Error('too big'), { code: 10334 }), 'h') as SessionDbError).code).toBe('too_large');
  });

  it('importing sessiondb and sessiondb/mongodb loads no driver; the store loads it on first use', () => {
    const run = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { createRequire } from 'node:module';
         const require = createRequire(import.meta.url);
         const loaded = () => Object.keys(require.cache).some((k) => k.includes('/node_modules/mongodb/'));
         await import('sessiondb'); const { MongoStore } = await import('sessiondb/mongodb');
         const before = loaded();
         const store = new MongoStore({ url: 'mongodb://127.0.0.1:1/x?serverSelectionTimeoutMS=100' });
         await store.countSessions({}).catch(() => undefined);
         await store.close();
         console.log(JSON.stringify({ before, after: loaded() }));`,
      ],
      { cwd: root, encoding: 'utf8' },
    );
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ before: false, after: true });
  });
});

describe.skipIf(unavailable !== null)(`MongoStore on the stand-in${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  const standalone = lazyStandIn('standalone');
  const replicaSet = lazyStandIn('replset');
  const sharded = lazyStandIn('sharded');
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  });

  /** A migrated store on a new database of a stand-in, with a raw client on the same database. */
  async function open(server: () => Promise<{ url: string }>, options: Partial<ConstructorParameters<typeof MongoStore>[0]> = {}) {
    const { url } = await server();
    const database = uniqueDatabase('s');
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

  it('detects the topology with hello: a standalone server writes without transactions, a replica set or mongos with them', async () => {
    expect(await (await open(standalone)).store.connectionInfo()).toMatchObject({ topology: 'standalone', transactions: false });
    expect(await (await open(replicaSet)).store.connectionInfo()).toMatchObject({ topology: 'replicaSet', transactions: true });
    expect(await (await open(sharded)).store.connectionInfo()).toMatchObject({ topology: 'sharded', transactions: true });
    const forced = new MongoStore({ url: (await standalone()).url, transactions: true });
    await expect(forced.migrate()).rejects.toMatchObject({ code: 'invalid', message: /standalone/ });
    await forced.close();
  });

  it('migrate creates the seven collections with their indexes, under a prefix when asked, and records the schema version', async () => {
    const { url } = await standalone();
    const database = uniqueDatabase('idx');
    const store = await openStore(`${url}?database=${database}&collectionPrefix=sdb_`);
    await store.close();
    const raw = new MongoClient(url);
    try {
      const db = raw.db(database);
      const names = (await db.listCollections().toArray()).map((c) => c.name).sort();
      expect(names).toEqual(['sdb_app_state', 'sdb_events', 'sdb_files', 'sdb_sessiondb_meta', 'sdb_sessions', 'sdb_state_log', 'sdb_superseded_events', 'sdb_user_state']);
      const collectionOf = {
        sessions: 'sessions', events: 'events', appState: 'app_state', userState: 'user_state', files: 'files', stateLog: 'state_log', superseded: 'superseded_events',
      } as const;
      for (const [key, specs] of Object.entries(MONGO_INDEXES)) {
        const indexes = await db.collection(`sdb_${collectionOf[key as keyof typeof collectionOf]}`).listIndexes().toArray();
        for (const spec of specs) {
          const found = indexes.find((i) => i['name'] === spec.name);
          expect(found?.['key'], `${key}.${spec.name}`).toEqual(spec.key);
          expect(Boolean(found?.['unique']), `${key}.${spec.name} unique`).toBe(Boolean(spec.unique));
        }
      }
      expect(await db.collection('sdb_sessiondb_meta').findOne({ _id: 'schema' as never })).toMatchObject({ version: MONGO_SCHEMA_VERSION });
    } finally {
      await raw.close();
      await dropDatabase(url, database);
    }
  });

  it('refuses a database never migrated, or migrated by a newer sessiondb, with "schema_mismatch"', async () => {
    const { url } = await standalone();
    const database = uniqueDatabase('schema');
    const fresh = new MongoStore({ url, database });
    await expect(fresh.getSession({ appName: 'a', userId: 'u', sessionId: 's' })).rejects.toMatchObject({ code: 'schema_mismatch' });
    expect(await fresh.migrationStatus()).toMatchObject({ current: 0, latest: MONGO_SCHEMA_VERSION, pending: [{ version: 1 }, { version: 2 }] });
    await fresh.migrate();
    await fresh.close();
    const raw = new MongoClient(url);
    await raw.db(database).collection('sessiondb_meta').updateOne({ _id: 'schema' as never }, { $set: { version: MONGO_SCHEMA_VERSION + 1 } });
    await raw.close();
    const older = new MongoStore({ url, database });
    await expect(older.countSessions({})).rejects.toMatchObject({ code: 'schema_mismatch', message: /Upgrade sessiondb/ });
    await expect(older.migrate()).rejects.toMatchObject({ code: 'schema_mismatch' });
    await older.close();
    await dropDatabase(url, database);
  });

  it('standalone: events above eventCount (a crashed append) are invisible, and the next append reclaims their seqs', async () => {
    const { store, db } = await open(standalone, { pendingTimeoutMs: 300 });
    const key = { appName: 'a', userId: 'u', sessionId: 's' };
    await store.createSession({ appName: 'a', userId: 'u', id: 's', state: { n: 0 } });
    await store.appendEvents(key, [{ id: 'e1', author: 'user', content: 'one' }]);
    const head = (await db.collection('sessions').findOne({ id: 's' }))!;
    // What a writer killed between its insert and its commit leaves: events at the next seqs, the session untouched.
    const leftover = (seq: number, id: string) => ({ sid: head['sid'], seq, id, timestamp: 1, author: 'ghost', role: null, invocationId: null, content: '"lost"', stateDelta: '{"n":99}', metadata: null, w: 'dead-writer', fence: head['fence'] });
    await db.collection('events').insertMany([leftover(2, 'ghost-1'), leftover(3, 'e2')]);
    const seen = await store.getSession(key);
    expect(seen?.events?.map((e) => e.id)).toEqual(['e1']);
    expect(await store.readEvents(key, { order: 'desc' })).toMatchObject({ events: [{ id: 'e1' }] });
    expect(seen?.state).toEqual({ n: 0 });
    // The next append waits out the dead writer's claim, then discards what it left (even an event with the id it appends).
    const started = Date.now();
    const r = await store.appendEvents(key, [{ id: 'e2', author: 'user', content: 'two', stateDelta: { n: 2 } }], { expectVersion: 2 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(r).toMatchObject({ version: 3, events: [{ id: 'e2', seq: 2 }] });
    const after = await store.getSession(key);
    expect(after?.events?.map((e) => [e.seq, e.id, e.content])).toEqual([[1, 'e1', 'one'], [2, 'e2', 'two']]);
    expect(after?.state).toEqual({ n: 2 });
    expect(await db.collection('events').countDocuments({ w: 'dead-writer' })).toBe(0);
    expect((await db.collection('sessions').findOne({ id: 's' }))!['fence']).toBe(head['fence'] + 1);
    // Events written under an older fence are dead at once: no wait.
    await db.collection('events').insertOne(leftover(3, 'stale'));
    const quick = Date.now();
    await store.appendEvents(key, [{ id: 'e3', author: 'user', content: 'three' }]);
    expect(Date.now() - quick).toBeLessThan(250);
    expect((await store.readEvents(key))?.events.map((e) => e.id)).toEqual(['e1', 'e2', 'e3']);
  });

  it('standalone: an append waits for a live writer holding the next seq, then appends after its commit', async () => {
    const { store, db } = await open(standalone, { pendingTimeoutMs: 5000 });
    const key = { appName: 'a', userId: 'u', sessionId: 'w' };
    await store.createSession({ appName: 'a', userId: 'u', id: 'w' });
    const head = (await db.collection('sessions').findOne({ id: 'w' }))!;
    await db.collection('events').insertOne({ sid: head['sid'], seq: 1, id: 'other', timestamp: 5, author: 'other', role: null, invocationId: null, content: '"theirs"', stateDelta: null, metadata: null, w: 'live-writer', fence: head['fence'] });
    const pending = store.appendEvents(key, [{ id: 'mine', author: 'user', content: 'mine' }]);
    await new Promise((r) => setTimeout(r, 150));
    // The other writer's commit point: the conditional update of the session document.
    const commit = await db.collection('sessions').updateOne({ _id: head['_id'], version: 1, fence: head['fence'] }, { $set: { version: 2, eventCount: 1, updatedAt: 5, lastActivityAt: 5 } });
    expect(commit.matchedCount).toBe(1);
    expect(await pending).toMatchObject({ version: 3, events: [{ id: 'mine', seq: 2 }] });
    expect((await store.readEvents(key))?.events.map((e) => e.id)).toEqual(['other', 'mine']);
  });

  it('replica set: a transaction hit by TransientTransactionError, or a commit with an unknown result, is retried; the append lands once', async () => {
    const { store, url } = await open(replicaSet);
    const key = { appName: 'a', userId: 'u', sessionId: 't' };
    await store.createSession({ appName: 'a', userId: 'u', id: 't', state: { 'app:n': 0 } });
    const admin = new MongoClient(url);
    try {
      const failNext = (times: number, command: string, code: number, label: string) =>
        admin.db('admin').command({ configureFailPoint: 'failCommand', mode: { times }, data: { failCommands: [command], errorCode: code, errorLabels: [label] } });
      await failNext(1, 'update', 112, 'TransientTransactionError');
      await store.appendEvents(key, [{ id: 'x1', author: 'user', content: 'one', stateDelta: { 'app:n': 1 } }]);
      // The driver retries a commit once by itself; the second failure reaches the store's loop.
      await failNext(2, 'commitTransaction', 91, 'UnknownTransactionCommitResult');
      await store.appendEvents(key, [{ id: 'x2', author: 'user', content: 'two', stateDelta: { 'app:n': 2 } }]);
      const s = await store.getSession(key);
      expect(s?.events?.map((e) => [e.seq, e.id])).toEqual([[1, 'x1'], [2, 'x2']]);
      expect([s?.version, s?.state['app:n']]).toEqual([3, 2]);
      // A failure without a transient label is not retried, and surfaces as a closed code.
      await admin.db('admin').command({ configureFailPoint: 'failCommand', mode: { times: 1 }, data: { failCommands: ['insert'], errorCode: 2 } });
      await expect(store.appendEvents(key, [{ id: 'x3', author: 'user' }])).rejects.toMatchObject({ code: 'unavailable' });
      expect((await store.getSession(key, { withEvents: false }))?.eventCount).toBe(2);
    } finally {
      await admin.db('admin').command({ configureFailPoint: 'failCommand', mode: 'off' });
      await admin.close();
    }
  });

  it('a dropped connection or an election error is "unavailable"; the next call works', async () => {
    const { store, url } = await open(standalone);
    const key = { appName: 'a', userId: 'u', sessionId: 'n' };
    await store.createSession({ appName: 'a', userId: 'u', id: 'n' });
    const admin = new MongoClient(url);
    try {
      // Reads are retried once by the driver: two failures make the call fail.
      await admin.db('admin').command({ configureFailPoint: 'failCommand', mode: { times: 2 }, data: { failCommands: ['find'], closeConnection: true } });
      await expect(store.getSession(key)).rejects.toMatchObject({ code: 'unavailable' });
      await admin.db('admin').command({ configureFailPoint: 'failCommand', mode: { times: 2 }, data: { failCommands: ['find'], errorCode: 11602 } });
      await expect(store.getSession(key)).rejects.toMatchObject({ code: 'unavailable', message: /unavailable/ });
      expect((await store.getSession(key))?.id).toBe('n');
    } finally {
      await admin.db('admin').command({ configureFailPoint: 'failCommand', mode: 'off' });
      await admin.close();
    }
  });

  it('keeps state keys that BSON field names restrict ($-prefixed, dotted, percent signs) exactly', async () => {
    const { store, db } = await open(replicaSet);
    const key = { appName: 'a', userId: 'u', sessionId: 'k' };
    const state = { '$where': 1, 'a.b': { 'c.d': 2 }, '50%': 3, 'app:x.y': 4, 'user:$z': 5, '%2E': 6 };
    await store.createSession({ appName: 'a', userId: 'u', id: 'k', state });
    await store.appendEvents(key, [{ author: 'user', stateDelta: { 'a.b': 7, 'app:x.y': 8 } }]);
    expect((await store.getSession(key))?.state).toEqual({ ...state, 'a.b': 7, 'app:x.y': 8 });
    expect(Object.keys((await db.collection('sessions').findOne({ id: 'k' }))!['state']).sort()).toEqual(['%24where', '%252E', '50%25', 'a%2Eb']);
  });
});
