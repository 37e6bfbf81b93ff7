import assert from 'node:assert/strict';
import type { Session, SessionQuery } from '../../core/types.js';
import { rejectsWith, type CaseContext, type ConformanceCase } from '../harness.js';

const group = 'listing';

/** Follows cursors to the end; returns every listed session. */
async function listAll(t: CaseContext, query: SessionQuery): Promise<Session[]> {
  const out: Session[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await t.store.listSessions({ ...query, cursor });
    out.push(...page.sessions);
    cursor = page.nextCursor;
    if (!cursor) return out;
  }
  throw new Error('listing did not end after 1000 pages');
}

/** Creates sessions whose updatedAt is set by an event timestamp. */
async function sessionsAt(t: CaseContext, appName: string, userId: string, times: number[], prefix = 's'): Promise<void> {
  for (let i = 0; i < times.length; i++) {
    const k = await t.session(t.key({ appName, userId, sessionId: `${prefix}${String(i).padStart(2, '0')}` }));
    await t.store.appendEvents(k, [{ author: 'u', timestamp: times[i] }]);
  }
}

export const listingCases: ConformanceCase[] = [
  {
    group,
    name: 'lists one user, one app, or a tenant; with merged state and without events',
    async run(t) {
      const { store, key } = t;
      const base = key();
      await t.session(key({ appName: base.appName, userId: 'u1', sessionId: 'a' }), { state: { s: 'a', 'user:n': 1, 'app:g': true } });
      await t.session(key({ appName: base.appName, userId: 'u1', sessionId: 'b' }));
      await t.session(key({ appName: base.appName, userId: 'u2', sessionId: 'a' }));
      await t.session(key({ appName: base.appName + '-other', userId: 'u1', sessionId: 'a' }));
      await t.session(key({ tenant: 'elsewhere', appName: base.appName, userId: 'u1', sessionId: 'z' }));
      const user = await store.listSessions({ appName: base.appName, userId: 'u1' });
      assert.deepEqual(user.sessions.map((s) => s.id).sort(), ['a', 'b']);
      const a = user.sessions.find((s) => s.id === 'a')!;
      assert.deepEqual(a.state, { s: 'a', 'user:n': 1, 'app:g': true });
      assert.equal(a.events, undefined);
      const b = user.sessions.find((s) => s.id === 'b')!;
      assert.deepEqual(b.state, { 'user:n': 1, 'app:g': true });
      const app = await store.listSessions({ appName: base.appName });
      assert.deepEqual(app.sessions.map((s) => `${s.userId}/${s.id}`).sort(), ['u1/a', 'u1/b', 'u2/a']);
      const tenant = await listAll(t, { tenant: 'elsewhere' });
      assert.deepEqual(tenant.map((s) => s.id), ['z']);
      assert.deepEqual((await store.listSessions({ appName: 'no-such-app' })).sessions, []);
      await rejectsWith(store.listSessions({ userId: 'u1' }), 'invalid', 'appName');
    },
  },
  {
    group,
    name: 'default order is updatedAt ascending then id; desc reverses it',
    async run(t) {
      const k = t.key();
      await sessionsAt(t, k.appName, k.userId, [3000, 1000, 2000, 1000]);
      const asc = await t.store.listSessions({ appName: k.appName, userId: k.userId });
      assert.deepEqual(asc.sessions.map((s) => s.id), ['s01', 's03', 's02', 's00']);
      const desc = await t.store.listSessions({ appName: k.appName, userId: k.userId, order: 'desc' });
      assert.deepEqual(desc.sessions.map((s) => s.id), ['s00', 's02', 's03', 's01']);
    },
  },
  {
    group,
    name: 'cursors visit every session exactly once, with ties in updatedAt, in both orders and every scope',
    async run(t) {
      const k = t.key();
      const times = Array.from({ length: 17 }, (_, i) => 1000 + (i % 4) * 10);
      await sessionsAt(t, k.appName, 'u1', times, 'x');
      await sessionsAt(t, k.appName, 'u2', times.slice(0, 6), 'x');
      for (const order of ['asc', 'desc'] as const) {
        for (const query of [{ appName: k.appName, userId: 'u1' }, { appName: k.appName }] as SessionQuery[]) {
          const all = await listAll(t, { ...query, order, limit: 4 });
          const expected = query.userId ? 17 : 23;
          assert.equal(all.length, expected);
          assert.equal(new Set(all.map((s) => `${s.userId}/${s.id}`)).size, expected);
          const times2 = all.map((s) => s.updatedAt);
          const sorted = [...times2].sort((a, b) => (order === 'asc' ? a - b : b - a));
          assert.deepEqual(times2, sorted);
        }
      }
    },
  },
  {
    group,
    name: 'offset skips sessions in listing order; countSessions counts what a listing would list',
    async run(t) {
      const k = t.key();
      await sessionsAt(t, k.appName, 'u1', [5000, 1000, 3000, 2000, 4000]);
      await sessionsAt(t, k.appName, 'u2', [6000]);
      const ids = async (q: SessionQuery) => (await t.store.listSessions(q)).sessions.map((s) => s.id);
      assert.deepEqual(await ids({ appName: k.appName, userId: 'u1', offset: 1, limit: 2 }), ['s03', 's02']);
      assert.deepEqual(await ids({ appName: k.appName, userId: 'u1', offset: 3, limit: 50, order: 'desc' }), ['s03', 's01']);
      assert.deepEqual(await ids({ appName: k.appName, userId: 'u1', offset: 9 }), []);
      const page = await t.store.listSessions({ appName: k.appName, userId: 'u1', offset: 1, limit: 2 });
      assert.ok(page.nextCursor, 'more sessions follow the page');
      assert.deepEqual(await ids({ appName: k.appName, userId: 'u1', cursor: page.nextCursor, limit: 10 }), ['s04', 's00']);
      await rejectsWith(t.store.listSessions({ appName: k.appName, offset: 1, cursor: page.nextCursor }), 'invalid', 'offset');
      await rejectsWith(t.store.listSessions({ appName: k.appName, offset: -1 }), 'invalid', 'offset');
      assert.equal(await t.store.countSessions({ appName: k.appName, userId: 'u1' }), 5);
      assert.equal(await t.store.countSessions({ appName: k.appName }), 6);
      assert.equal(await t.store.countSessions({ appName: k.appName, status: 'archived' }), 0);
      assert.equal(await t.store.countSessions({ appName: 'nothing-here' }), 0);
    },
  },
  {
    group,
    name: 'status filters the listing',
    async run(t) {
      const k = t.key();
      await t.session(t.key({ appName: k.appName, userId: k.userId, sessionId: 'live' }));
      const old = await t.session(t.key({ appName: k.appName, userId: k.userId, sessionId: 'old' }));
      await t.store.updateSession(old, { status: 'archived' });
      const active = await t.store.listSessions({ appName: k.appName, userId: k.userId, status: 'active' });
      assert.deepEqual(active.sessions.map((s) => s.id), ['live']);
      const archived = await t.store.listSessions({ appName: k.appName, status: 'archived' });
      assert.deepEqual(archived.sessions.map((s) => s.id), ['old']);
    },
  },
  {
    group,
    name: 'bad listing input is refused with the field named',
    async run(t) {
      const k = t.key();
      await rejectsWith(t.store.listSessions({ appName: k.appName, limit: 0 }), 'invalid', 'limit');
      await rejectsWith(t.store.listSessions({ appName: k.appName, limit: t.store.limits.maxPageSize + 1 }), 'too_large', 'limit');
      await rejectsWith(t.store.listSessions({ appName: k.appName, cursor: 'bm9wZQ' }), 'invalid', 'cursor');
      await rejectsWith(t.store.listSessions({ appName: k.appName, order: 'up' as never }), 'invalid', 'order');
      await rejectsWith(t.store.listSessions({ appName: k.appName, status: 'gone' as never }), 'invalid', 'status');
      const page = await t.store.listSessions({ appName: k.appName, order: 'asc', limit: 1 });
      assert.equal(page.nextCursor, null);
    },
  },
];
