import assert from 'node:assert/strict';
import type { SessionSnapshot } from '../../core/types.js';
import { rejectsWith, type ConformanceCase } from '../harness.js';

const group = 'sessions';

export const sessionCases: ConformanceCase[] = [
  {
    group,
    name: 'missing means null or false, never an exception',
    async run({ store, key }) {
      const k = key();
      assert.equal(await store.getSession(k), null);
      assert.equal(await store.readEvents(k), null);
      assert.equal(await store.deleteSession(k), false);
      assert.equal(await store.getFile({ id: 'nope' }), null);
      assert.equal(await store.deleteFile({ id: 'nope' }), false);
      assert.deepEqual(await store.getAppState({ appName: k.appName }), {});
      assert.deepEqual(await store.getUserState({ appName: k.appName, userId: k.userId }), {});
    },
  },
  {
    group,
    name: 'create then get returns every field',
    async run({ store, key }) {
      const k = key();
      const before = Date.now();
      const created = await store.createSession({
        appName: k.appName,
        userId: k.userId,
        id: k.sessionId,
        state: { k: 'v', 'app:a': 1, 'user:u': [1, 2], 'temp:t': 'gone' },
        metadata: { title: 'Hello', tags: ['a'] },
        model: 'gemini-2.5-flash',
      });
      assert.equal(created.tenant, 'default');
      assert.equal(created.appName, k.appName);
      assert.equal(created.userId, k.userId);
      assert.equal(created.id, k.sessionId);
      assert.deepEqual(created.state, { k: 'v', 'app:a': 1, 'user:u': [1, 2] });
      assert.deepEqual(created.metadata, { title: 'Hello', tags: ['a'] });
      assert.equal(created.model, 'gemini-2.5-flash');
      assert.equal(created.status, 'active');
      assert.equal(created.expiresAt, null);
      assert.equal(created.eventCount, 0);
      assert.equal(created.requestCount, 0);
      assert.equal(created.requestMsTotal, 0);
      assert.equal(created.version, 1);
      assert.ok(created.createdAt >= before - 1000 && created.createdAt <= Date.now() + 1000, 'createdAt is now');
      assert.equal(created.updatedAt, created.createdAt);
      assert.equal(created.lastActivityAt, created.createdAt);
      const read = await store.getSession(k);
      assert.ok(read);
      assert.deepEqual(read.events, []);
      const { events: _events, ...rest } = read;
      assert.deepEqual(rest, created);
    },
  },
  {
    group,
    name: 'an import can keep the original creation and update times',
    async run({ store, key }) {
      const k = key();
      const s = await store.createSession({ appName: k.appName, userId: k.userId, id: k.sessionId, createdAt: 1_600_000_000_000, updatedAt: 1_650_000_000_000.25 });
      assert.equal(s.createdAt, 1_600_000_000_000);
      assert.equal(s.updatedAt, 1_650_000_000_000.25);
      assert.equal(s.lastActivityAt, 1_650_000_000_000.25);
      const t = await store.createSession({ appName: k.appName, userId: k.userId, createdAt: 1_600_000_000_000 });
      assert.equal(t.updatedAt, 1_600_000_000_000);
      await rejectsWith(store.createSession({ appName: k.appName, userId: k.userId, createdAt: -1 }), 'invalid', 'createdAt');
    },
  },
  {
    group,
    name: 'an id is generated when none is given, unique per session',
    async run({ store, key }) {
      const k = key();
      const a = await store.createSession({ appName: k.appName, userId: k.userId });
      const b = await store.createSession({ appName: k.appName, userId: k.userId });
      assert.ok(a.id.length > 0);
      assert.notEqual(a.id, b.id);
      assert.ok(await store.getSession({ appName: k.appName, userId: k.userId, sessionId: a.id }));
    },
  },
  {
    group,
    name: 'creating an existing id throws "exists" and leaves the session as it was',
    async run({ store, key, session }) {
      const k = await session(key(), { state: { k: 1 }, metadata: { m: 1 } });
      await rejectsWith(
        store.createSession({ appName: k.appName, userId: k.userId, id: k.sessionId, state: { k: 2 }, metadata: { m: 2 } }),
        'exists',
      );
      const read = await store.getSession(k);
      assert.deepEqual(read?.state, { k: 1 });
      assert.deepEqual(read?.metadata, { m: 1 });
      assert.equal(read?.version, 1);
    },
  },
  {
    group,
    name: 'concurrent creates of the same id: exactly one wins, the others get "exists"',
    async run({ store, key }) {
      const k = key();
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) =>
          store.createSession({ appName: k.appName, userId: k.userId, id: k.sessionId, state: { who: i } }),
        ),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      assert.equal(won.length, 1);
      for (const r of results) {
        if (r.status === 'rejected') assert.equal((r.reason as { code?: string }).code, 'exists');
      }
    },
  },
  {
    group,
    name: 'the same session id under two users (and two tenants) stays isolated',
    async run({ store, key, session }) {
      const a = await session(key({ sessionId: 'shared' }), { state: { who: 'a' } });
      const b = await session({ ...a, userId: a.userId + '-other' }, { state: { who: 'b' } });
      const c = await session({ ...a, tenant: 'tenant-c' }, { state: { who: 'c' } });
      await store.appendEvents(a, [{ author: 'user', content: 'for a' }]);
      assert.deepEqual((await store.getSession(a))?.state, { who: 'a' });
      assert.deepEqual((await store.getSession(b))?.state, { who: 'b' });
      assert.deepEqual((await store.getSession(c))?.state, { who: 'c' });
      assert.equal((await store.getSession(a))?.events?.length, 1);
      assert.equal((await store.getSession(b))?.events?.length, 0);
      assert.equal((await store.getSession(c))?.events?.length, 0);
      assert.equal((await store.getSession(c))?.tenant, 'tenant-c');
      assert.equal(await store.deleteSession(b), true);
      assert.ok(await store.getSession(a));
      assert.ok(await store.getSession(c));
    },
  },
  {
    group,
    name: 'updateSession changes only the given fields and bumps the version',
    async run({ store, key, session }) {
      const k = await session(key(), { metadata: { a: 1 }, model: 'm1', state: { s: 1 } });
      const updated = await store.updateSession(k, { metadata: { b: 2 }, status: 'archived', expiresAt: 5_000_000_000_000, stateDelta: { s: 2, 'user:u': 3 } });
      assert.deepEqual(updated.metadata, { b: 2 });
      assert.equal(updated.status, 'archived');
      assert.equal(updated.model, 'm1');
      assert.equal(updated.expiresAt, 5_000_000_000_000);
      assert.deepEqual(updated.state, { s: 2, 'user:u': 3 });
      assert.equal(updated.version, 2);
      const cleared = await store.updateSession(k, { model: null, expiresAt: null, status: 'active' }, { expectVersion: 2 });
      assert.equal(cleared.model, null);
      assert.equal(cleared.expiresAt, null);
      assert.equal(cleared.status, 'active');
      assert.equal(cleared.version, 3);
      assert.deepEqual(await store.getSession(k, { withEvents: false }), cleared);
    },
  },
  {
    group,
    name: 'updateSession: missing session is "not_found", stale version is "conflict", bad patch is "invalid"; nothing changes',
    async run({ store, key, session }) {
      await rejectsWith(store.updateSession(key(), { metadata: {} }), 'not_found');
      const k = await session(key(), { metadata: { a: 1 } });
      await rejectsWith(store.updateSession(k, { metadata: { a: 2 } }, { expectVersion: 7 }), 'conflict');
      await rejectsWith(store.updateSession(k, { status: 'gone' as never }), 'invalid', 'status');
      await rejectsWith(store.updateSession(k, { title: 'x' } as never), 'invalid', 'title');
      await rejectsWith(store.updateSession(k, { metadata: [] as never }), 'invalid', 'metadata');
      const read = await store.getSession(k);
      assert.deepEqual(read?.metadata, { a: 1 });
      assert.equal(read?.version, 1);
    },
  },
  {
    group,
    name: 'deleteSession removes its events, session state and files; app and user state stay',
    async run({ store, key, session }) {
      const k = await session(key(), { state: { s: 1, 'app:a': 1, 'user:u': 1 } });
      await store.appendEvents(k, [{ author: 'user', content: 'one' }, { author: 'model', content: 'two' }]);
      await store.putFile({ id: `f-${k.sessionId}`, name: 'a.txt', appName: k.appName, userId: k.userId, sessionId: k.sessionId });
      await store.putFile({ id: `g-${k.sessionId}`, name: 'loose.txt' });
      assert.equal(await store.deleteSession(k), true);
      assert.equal(await store.getSession(k), null);
      assert.equal(await store.getFile({ id: `f-${k.sessionId}` }), null);
      assert.ok(await store.getFile({ id: `g-${k.sessionId}` }));
      assert.equal(await store.deleteSession(k), false);
      // A new session under the same key starts empty, with seq from 1.
      await session(k);
      const again = await store.getSession(k);
      assert.deepEqual(again?.state, { 'app:a': 1, 'user:u': 1 });
      assert.deepEqual(again?.events, []);
      const r = await store.appendEvents(k, [{ author: 'user', content: 'fresh' }]);
      assert.equal(r.events[0]?.seq, 1);
    },
  },
  {
    group,
    name: 'importSession writes a whole session exactly, and refuses an existing one unless replacing',
    async run({ store, key }) {
      const k = key();
      const snapshot: SessionSnapshot = {
        session: {
          tenant: 'default', appName: k.appName, userId: k.userId, id: k.sessionId,
          metadata: { title: 'Imported' }, model: 'm', status: 'archived',
          createdAt: 1000, updatedAt: 3000.5, lastActivityAt: 2500, expiresAt: 9_000_000_000_000,
          eventCount: 2, requestCount: 7, requestMsTotal: 123.25, version: 42,
        },
        state: { s: { n: 1 }, nil: null },
        events: [
          { id: 'a', seq: 1, timestamp: 1500, author: 'user', role: 'user', content: 'hi', stateDelta: { s: { n: 0 } } },
          { id: 'b', seq: 2, timestamp: 3000.5, author: 'bot', content: { parts: [{ text: 'yo' }] }, metadata: { m: 1 } },
        ],
      };
      const imported = await store.importSession(snapshot);
      const { events: _e, state, ...fields } = (await store.getSession(k))!;
      assert.deepEqual(fields, snapshot.session);
      assert.deepEqual(state, { s: { n: 1 }, nil: null });
      assert.deepEqual((await store.getSession(k))?.events, snapshot.events);
      assert.equal(imported.version, 42);
      // Appends continue after the imported history.
      const r = await store.appendEvents(k, [{ author: 'user', content: 'next' }], { expectVersion: 42 });
      assert.equal(r.events[0]?.seq, 3);
      assert.equal(r.version, 43);
      await rejectsWith(store.importSession(snapshot), 'exists');
      const replaced = await store.importSession({ ...snapshot, events: [], session: { ...snapshot.session, eventCount: 0, version: 1 } }, { replace: true });
      assert.equal(replaced.eventCount, 0);
      assert.deepEqual((await store.getSession(k))?.events, []);
      await rejectsWith(
        store.importSession({ ...snapshot, session: { ...snapshot.session, id: 'gap' }, events: [{ ...snapshot.events[0]!, seq: 2 }] }),
        'invalid',
        'seq',
      );
      await rejectsWith(store.importSession({ ...snapshot, session: { ...snapshot.session, id: 'count' }, events: [] }), 'invalid', 'eventCount');
      await rejectsWith(store.importSession({ ...snapshot, session: { ...snapshot.session, id: 'shared' }, state: { 'app:x': 1 } }), 'invalid', 'snapshot.state');
      assert.equal(await store.getSession({ ...k, sessionId: 'gap' }), null);
    },
  },
  {
    group,
    name: 'recordActivity counts requests and their duration',
    async run({ store, key, session }) {
      const k = await session();
      await store.recordActivity(k, { durationMs: 120 });
      const s = await store.recordActivity(k, { durationMs: 30.5, at: 9_000_000_000_000 });
      assert.equal(s.requestCount, 2);
      assert.equal(s.requestMsTotal, 150.5);
      assert.equal(s.lastActivityAt, 9_000_000_000_000);
      assert.equal(s.version, 3);
      const batch = await store.recordActivity(k, { durationMs: 10, count: 5 });
      assert.equal(batch.requestCount, 7);
      assert.equal(batch.requestMsTotal, 160.5);
      await rejectsWith(store.recordActivity(k, { count: 1.5 }), 'invalid', 'count');
      await rejectsWith(store.recordActivity(k, { durationMs: -1 }), 'invalid', 'durationMs');
      await rejectsWith(store.recordActivity(key(), {}), 'not_found');
    },
  },
];
