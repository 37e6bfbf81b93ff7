// The manager's cache with several writers: two SessionManagers on one SQLite file (and one
// PostgreSQL schema), one writes, the other must read what was written; and with one writer,
// the cache answers without asking the store yet stays right through the manager's own writes.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresStore, SessionManager, SqliteStore, type Session, type SessionStore } from '../src/index.js';
import { recordingStore, tempDir } from './helpers.js';
import { dropSchema, PG_URL, pgUnavailableReason, uniqueSchema } from './pg-helpers.js';

const dir = tempDir('manager-cache');
const pgUnavailable = await pgUnavailableReason();
const schemas: string[] = [];
afterAll(async () => {
  for (const schema of schemas) await dropSchema(schema);
});


const key = { appName: 'chat', userId: 'u1', sessionId: 's1' };
const other = { appName: 'chat', userId: 'u2', sessionId: 's2' };
const contents = (s: Session | null) => s?.events?.map((e) => e.content);

const backends: { name: string; skip: string | null; open: (tag: string) => () => SessionStore }[] = [
  { name: 'SQLite file', skip: null, open: (tag) => () => new SqliteStore({ path: join(dir, `${tag}.db`) }) },
  {
    name: 'PostgreSQL',
    skip: pgUnavailable,
    open: (tag) => {
      const schema = uniqueSchema(tag);
      schemas.push(schema);
      return () => new PostgresStore({ connectionString: PG_URL, schema, max: 2 });
    },
  },
];

for (const backend of backends) {
  const title = `two managers on one ${backend.name}: what one writes, the other reads at once (its cache checks the version)`;
  it.skipIf(backend.skip)(backend.skip ? `${title} (skipped: ${backend.skip})` : title, async () => {
    const open = backend.open('two');
    const writer = new SessionManager({ store: open(), sweepIntervalMs: 0 });
    const reader = new SessionManager({ store: open(), sweepIntervalMs: 0 });
    await writer.startup();
    await reader.startup();
    expect(reader.singleWriter).toBe(false); // the default for a store other processes can open

    await writer.createSession({ appName: 'chat', userId: 'u1', id: 's1', state: { mood: 'calm' } });
    await writer.appendEvents(key, [1, 2, 3].map((n) => ({ author: 'user', content: `m${n}` })));
    expect(contents(await reader.getSession(key))).toEqual(['m1', 'm2', 'm3']);
    expect(contents(await reader.getSession(key))).toEqual(['m1', 'm2', 'm3']); // served from the cache, version checked
    expect((await reader.getStatistics()).cache).toMatchObject({ hits: 1, checks: 1, stale: 0 });

    await writer.appendEvents(key, [{ author: 'bot', content: 'm4', stateDelta: { mood: 'busy' } }]);
    const afterAppend = await reader.getSession(key);
    expect(contents(afterAppend)).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(afterAppend?.state).toEqual({ mood: 'busy' });
    expect(afterAppend).toEqual(await writer.store.getSession(key));

    await writer.updateKeys(key, { mood: 'done', extra: 1 });
    expect((await reader.getSession(key, { withEvents: false }))?.state).toEqual({ mood: 'done', extra: 1 });
    expect(contents(await reader.getSession(key, { lastEvents: 2 }))).toEqual(['m3', 'm4']);

    // app: and user: state live outside the session and its version: another session's write changes this one's merged state.
    await writer.createSession({ appName: 'chat', userId: 'u2', id: 's2' });
    await writer.appendEvents(other, [{ author: 'bot', content: 'x', stateDelta: { 'app:motd': 'hello' } }]);
    expect((await reader.getSession(key))?.state).toEqual({ mood: 'done', extra: 1, 'app:motd': 'hello' });

    await writer.rewindSession(key, { toSeq: 2 });
    expect(contents(await reader.getSession(key))).toEqual(['m1', 'm2']);
    await writer.archiveSession(key);
    expect((await reader.getSession(key))?.status).toBe('archived');
    await writer.deleteSession(key);
    expect(await reader.getSession(key)).toBeNull();

    const { cache } = await reader.getStatistics();
    expect(cache.stale).toBeGreaterThanOrEqual(3);
    await writer.shutdown();
    await reader.shutdown();
  });
}

describe('one writer (singleWriter: true)', () => {
  it('answers from the cache without asking the store, and the manager\'s own writes keep it right', async () => {
    const { store, calls } = recordingStore(new SqliteStore({ path: join(dir, 'single.db') }));
    const m = new SessionManager({ store, sweepIntervalMs: 0, singleWriter: true });
    await m.startup();
    await m.createSession({ appName: 'chat', userId: 'u1', id: 's1', state: { n: 0 } });
    const t = Date.now();
    await m.appendEvents(key, [{ author: 'user', content: 'a', timestamp: t }]);
    expect(contents(await m.getSession(key))).toEqual(['a']); // first read with events: from the store
    await m.appendEvents(key, [{ author: 'bot', content: 'b', stateDelta: { n: 1 }, timestamp: t + 1 }]);

    calls.length = 0;
    const first = await m.getSession(key); // the append extended the cached events; the session itself is read once
    expect(calls).toEqual(['getSession']);
    expect(first).toEqual(await store.getSession(key));
    calls.length = 0;
    expect(await m.getSession(key)).toEqual(first);
    expect(await m.getSession(key, { lastEvents: 1, withEvents: true })).toEqual({ ...first, events: first!.events!.slice(1) });
    expect(await m.getSession(key, { afterTimestamp: first!.events![1]!.timestamp })).toEqual({ ...first, events: first!.events!.slice(1) });
    expect(calls).toEqual([]); // three reads, no store call

    // A user: key written by the user's other session: this session's cached state is dropped, its events kept.
    await m.createSession({ appName: 'chat', userId: 'u1', id: 's3' });
    await m.updateKeys({ appName: 'chat', userId: 'u1', sessionId: 's3' }, { 'user:lang': 'fr' });
    calls.length = 0;
    expect((await m.getSession(key))?.state).toEqual({ n: 1, 'user:lang': 'fr' });
    expect(calls).toEqual(['getSession']);
    // Writes through manager.store (what the server uses) count as the manager's own.
    await m.store.updateUserState({ appName: 'chat', userId: 'u1' }, { 'user:lang': 'de' });
    expect((await m.getSession(key, { withEvents: false }))?.state).toEqual({ n: 1, 'user:lang': 'de' });
    await m.shutdown();
  });

  it('keeps the newest events a read brought (a "last N" window answers smaller reads) and at most maxCachedEvents', async () => {
    const { store, calls } = recordingStore(new SqliteStore({ path: join(dir, 'window.db') }));
    const seed = new SessionManager({ store, sweepIntervalMs: 0 });
    await seed.startup();
    await seed.createSession({ appName: 'chat', userId: 'u1', id: 's1' });
    await seed.appendEvents(key, [1, 2, 3, 4, 5].map((n) => ({ author: 'user', content: `m${n}` })));
    await seed.createSession({ appName: 'chat', userId: 'u1', id: 'big' });
    await seed.appendEvents({ ...key, sessionId: 'big' }, Array.from({ length: 8 }, (_, i) => ({ author: 'user', content: `b${i}` })));

    const m = new SessionManager({ store, sweepIntervalMs: 0, singleWriter: true, maxCachedEvents: 6 });
    await m.startup();
    calls.length = 0;
    expect(contents(await m.getSession(key, { lastEvents: 3 }))).toEqual(['m3', 'm4', 'm5']);
    expect(contents(await m.getSession(key, { lastEvents: 2 }))).toEqual(['m4', 'm5']);
    expect(calls).toHaveLength(1);
    expect(contents(await m.getSession(key))).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']); // all: not in a window of 3
    expect(calls).toHaveLength(2);
    await m.getSession({ ...key, sessionId: 'big' }); // 8 events: over the budget of 6, not kept
    await m.getSession({ ...key, sessionId: 'big' });
    expect(calls).toHaveLength(4);
    expect((await m.getStatistics()).cache).toMatchObject({ events: 5, size: 2 });
    await m.shutdown();
  });
});
