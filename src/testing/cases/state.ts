import assert from 'node:assert/strict';
import { rejectsWith, type ConformanceCase } from '../harness.js';

const group = 'state';

export const stateCases: ConformanceCase[] = [
  {
    group,
    name: 'app: state is shared by every session of the app, and only that app',
    async run({ store, key, session }) {
      const a1 = await session();
      const a2 = await session(key({ appName: a1.appName }));
      const other = await session(key());
      await store.appendEvents(a1, [{ author: 'u', stateDelta: { 'app:theme': 'dark' } }]);
      assert.equal((await store.getSession(a2))?.state['app:theme'], 'dark');
      assert.equal((await store.getSession(other))?.state['app:theme'], undefined);
      assert.deepEqual(await store.getAppState({ appName: a1.appName }), { 'app:theme': 'dark' });
    },
  },
  {
    group,
    name: "user: state is shared by one user's sessions of one app only",
    async run({ store, key, session }) {
      const mine = await session();
      const mine2 = await session(key({ appName: mine.appName, userId: mine.userId }));
      const someoneElse = await session(key({ appName: mine.appName }));
      const otherApp = await session(key({ userId: mine.userId }));
      await store.appendEvents(mine, [{ author: 'u', stateDelta: { 'user:name': 'Ada' } }]);
      assert.equal((await store.getSession(mine2))?.state['user:name'], 'Ada');
      assert.equal((await store.getSession(someoneElse))?.state['user:name'], undefined);
      assert.equal((await store.getSession(otherApp))?.state['user:name'], undefined);
      assert.deepEqual(await store.getUserState({ appName: mine.appName, userId: mine.userId }), { 'user:name': 'Ada' });
    },
  },
  {
    group,
    name: 'createSession returns the merged state: app and user keys already stored, overlaid with its own',
    async run({ store, key, session }) {
      const first = await session(key(), { state: { 'app:theme': 'dark', 'app:plan': 'free', 'user:lang': 'fr', 'user:tz': 'CET', own: 1 } });
      const k = key({ appName: first.appName, userId: first.userId });
      const created = await store.createSession({ appName: k.appName, userId: k.userId, id: k.sessionId, state: { 'app:plan': 'pro', 'user:tz': null, mine: 2 } });
      const expected = { 'app:theme': 'dark', 'app:plan': 'pro', 'user:lang': 'fr', 'user:tz': null, mine: 2 };
      assert.deepEqual(created.state, expected);
      assert.deepEqual((await store.getSession(k, { withEvents: false }))?.state, expected);
      assert.deepEqual((await store.createSession({ appName: k.appName, userId: 'someone-else' })).state, { 'app:theme': 'dark', 'app:plan': 'pro' });
    },
  },
  {
    group,
    name: 'unprefixed state is private to its session',
    async run({ store, key, session }) {
      const a = await session();
      const b = await session(key({ appName: a.appName, userId: a.userId }));
      await store.appendEvents(a, [{ author: 'u', stateDelta: { step: 2 } }]);
      assert.equal((await store.getSession(a))?.state['step'], 2);
      assert.equal((await store.getSession(b))?.state['step'], undefined);
    },
  },
  {
    group,
    name: 'an object-valued delta replaces the stored value whole (no deep merge)',
    async run({ store, key, session }) {
      const k = await session(key(), { state: { cfg: { a: 1, b: 2 }, 'user:p': { x: 1, y: 2 } } });
      await store.appendEvents(k, [{ author: 'u', stateDelta: { cfg: { c: 3 }, 'user:p': { z: 3 } } }]);
      const s = await store.getSession(k);
      assert.deepEqual(s?.state['cfg'], { c: 3 });
      assert.deepEqual(s?.state['user:p'], { z: 3 });
    },
  },
  {
    group,
    name: 'null is a stored value; false survives unrelated deltas; undefined is skipped',
    async run({ store, key, session }) {
      const k = await session(key(), { state: { flag: false, gone: 'x' } });
      await store.appendEvents(k, [{ author: 'u', stateDelta: { gone: null, other: 1, skipped: undefined } }]);
      await store.appendEvents(k, [{ author: 'u', stateDelta: { other: 2 } }]);
      const s = await store.getSession(k);
      assert.deepEqual(s?.state, { flag: false, gone: null, other: 2 });
      assert.ok(Object.hasOwn(s!.state, 'gone'));
      assert.deepEqual(s?.events?.[0]?.stateDelta, { gone: null, other: 1 });
    },
  },
  {
    group,
    name: 'temp: keys are never stored, neither in state nor in the event',
    async run({ store, key, session }) {
      const k = await session(key(), { state: { 'temp:a': 1 } });
      const r = await store.appendEvents(k, [{ author: 'u', stateDelta: { 'temp:scratch': 'x', kept: 1 } }]);
      assert.deepEqual(r.events[0]?.stateDelta, { kept: 1 });
      const s = await store.getSession(k);
      assert.deepEqual(s?.state, { kept: 1 });
      assert.deepEqual(s?.events?.[0]?.stateDelta, { kept: 1 });
      const onlyTemp = await store.appendEvents(k, [{ author: 'u', stateDelta: { 'temp:x': 1 } }]);
      assert.equal(onlyTemp.events[0]?.stateDelta, undefined);
    },
  },
  {
    group,
    name: 'every scope of a delta is applied with its event, in one step',
    async run({ store, session }) {
      const k = await session();
      const r = await store.appendEvents(k, [
        { author: 'u', stateDelta: { s: 1, 'user:u': 1, 'app:a': 1 } },
        { author: 'u', stateDelta: { s: 2, 'app:a': 2 } },
      ]);
      assert.equal(r.version, 2);
      const s = await store.getSession(k);
      assert.deepEqual(s?.state, { s: 2, 'user:u': 1, 'app:a': 2 });
    },
  },
  {
    group,
    name: 'updateAppState and updateUserState accept only their own prefix',
    async run({ store, key }) {
      const k = key();
      assert.deepEqual(await store.updateAppState({ appName: k.appName }, { 'app:x': 1 }), { 'app:x': 1 });
      assert.deepEqual(await store.updateAppState({ appName: k.appName }, { 'app:y': [2] }), { 'app:x': 1, 'app:y': [2] });
      assert.deepEqual(await store.updateUserState({ appName: k.appName, userId: k.userId }, { 'user:z': null }), { 'user:z': null });
      await rejectsWith(store.updateAppState({ appName: k.appName }, { 'user:z': 1 }), 'invalid', 'user:z');
      await rejectsWith(store.updateUserState({ appName: k.appName, userId: k.userId }, { plain: 1 }), 'invalid', 'plain');
      assert.deepEqual(await store.getAppState({ appName: k.appName }), { 'app:x': 1, 'app:y': [2] });
    },
  },
  {
    group,
    name: '__proto__ and constructor as keys and names never touch Object.prototype',
    async run({ store, key, session }) {
      const evil = JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}, "app:__proto__": {"polluted": true}, "user:constructor": 1}');
      const k = await session(key({ appName: '__proto__', userId: 'constructor', sessionId: 'prototype' }), { state: evil, metadata: evil });
      await store.appendEvents(k, [{ author: '__proto__', stateDelta: evil, metadata: evil, content: evil }]);
      const s = await store.getSession(k);
      assert.equal(({} as Record<string, unknown>)['polluted'], undefined, 'Object.prototype was polluted');
      assert.ok(s);
      assert.equal(Object.getPrototypeOf(s.state), Object.prototype);
      assert.ok(Object.hasOwn(s.state, '__proto__'));
      assert.deepEqual(Object.getOwnPropertyDescriptor(s.state, '__proto__')?.value, { polluted: true });
      assert.deepEqual(Object.getOwnPropertyDescriptor(s.state, 'app:__proto__')?.value, { polluted: true });
      assert.equal(s.state['user:constructor'], 1);
      assert.ok(Object.hasOwn(s.metadata, '__proto__'));
      assert.ok(Object.hasOwn(s.events![0]!.stateDelta!, '__proto__'));
      const listed = await store.listSessions({ appName: '__proto__', userId: 'constructor' });
      assert.equal(listed.sessions.length, 1);
      assert.ok(Object.hasOwn(listed.sessions[0]!.state, '__proto__'));
      assert.ok(Object.hasOwn(await store.getAppState({ appName: '__proto__' }), 'app:__proto__'));
      assert.equal(({} as Record<string, unknown>)['polluted'], undefined, 'Object.prototype was polluted');
    },
  },
  {
    group,
    name: 'state keys are validated: empty and over-long keys are refused',
    async run({ store, session }) {
      const k = await session();
      await rejectsWith(store.appendEvents(k, [{ author: 'u', stateDelta: { '': 1 } }]), 'invalid', 'stateDelta');
      await rejectsWith(
        store.appendEvents(k, [{ author: 'u', stateDelta: { ['k'.repeat(store.limits.maxStateKeyLength + 1)]: 1 } }]),
        'invalid',
        'stateDelta',
      );
      assert.equal((await store.getSession(k))?.eventCount, 0);
    },
  },
  {
    group,
    name: 'updateKeys: null deletes a key in each scope, other values upsert whole, temp: keys are dropped, no event is written',
    async run({ store, key, session }) {
      const k = await session(key(), {
        state: { own: 1, keep: 'k', cfg: { a: 1 }, 'user:u': 1, 'user:keep': 2, 'app:a': 1, 'app:keep': 3 },
      });
      const sibling = await session(key({ appName: k.appName, userId: k.userId }));
      const updated = await store.updateKeys(k, {
        own: null,
        'user:u': null,
        'app:a': null,
        cfg: { b: 2 },
        fresh: [1],
        'user:new': false,
        'app:new': 'x',
        'temp:t': 1,
        'temp:gone': null,
        neverStored: null,
        skipped: undefined,
      } as never);
      const expected = { keep: 'k', cfg: { b: 2 }, fresh: [1], 'user:keep': 2, 'user:new': false, 'app:keep': 3, 'app:new': 'x' };
      assert.deepEqual(updated.state, expected);
      assert.ok(!Object.hasOwn(updated.state, 'own'), 'a deleted key must be absent, not null');
      const read = await store.getSession(k);
      assert.deepEqual(read?.state, expected);
      assert.equal(read?.eventCount, 0);
      assert.deepEqual(read?.events, []);
      assert.deepEqual(await store.getAppState({ appName: k.appName }), { 'app:keep': 3, 'app:new': 'x' });
      assert.deepEqual(await store.getUserState({ appName: k.appName, userId: k.userId }), { 'user:keep': 2, 'user:new': false });
      assert.deepEqual((await store.getSession(sibling))?.state, { 'user:keep': 2, 'user:new': false, 'app:keep': 3, 'app:new': 'x' });
    },
  },
  {
    group,
    name: "updateKeys deletes where an event's stateDelta stores null",
    async run({ store, key, session }) {
      const k = await session(key(), { state: { a: 1, b: 2, 'user:c': 3, 'app:d': 4 } });
      await store.appendEvents(k, [{ author: 'u', stateDelta: { a: null, 'user:c': null } }]);
      assert.deepEqual((await store.getSession(k))?.state, { a: null, b: 2, 'user:c': null, 'app:d': 4 });
      const s = await store.updateKeys(k, { a: null, b: null, 'user:c': null, 'app:d': null });
      assert.deepEqual(s.state, {});
      assert.deepEqual((await store.getSession(k))?.state, {});
      assert.deepEqual(await store.getAppState({ appName: k.appName }), {});
      const again = await store.updateKeys(k, { a: 1 });
      assert.deepEqual(again.state, { a: 1 });
      assert.deepEqual((await store.scanSharedState('app')).items.filter((i) => i.appName === k.appName), []);
    },
  },
  {
    group,
    name: 'updateKeys is a write: version + 1, updatedAt now, lastActivityAt kept, counters kept; an empty delta too',
    async run({ store, key, session }) {
      const k = await session(key(), { state: { x: 1 } });
      await store.appendEvents(k, [{ author: 'u', stateDelta: { y: 1 } }]);
      const before = (await store.getSession(k, { withEvents: false }))!;
      await new Promise((r) => setTimeout(r, 5));
      const started = Date.now();
      const s = await store.updateKeys(k, { x: 2 });
      assert.equal(s.version, before.version + 1);
      assert.ok(s.updatedAt >= started && s.updatedAt > before.updatedAt, `updatedAt ${s.updatedAt} is not now (${started})`);
      assert.equal(s.lastActivityAt, before.lastActivityAt);
      assert.equal(s.eventCount, before.eventCount);
      assert.equal(s.createdAt, before.createdAt);
      const empty = await store.updateKeys(k, {});
      assert.equal(empty.version, before.version + 2);
      assert.deepEqual(empty.state, { x: 2, y: 1 });
      const onlyTemp = await store.updateKeys(k, { 'temp:a': 1 });
      assert.equal(onlyTemp.version, before.version + 3);
      const read = (await store.getSession(k))!;
      assert.equal(read.version, before.version + 3);
      assert.equal(read.lastActivityAt, before.lastActivityAt);
      assert.equal(read.events?.length, 1);
    },
  },
  {
    group,
    name: 'updateKeys: a stale expectVersion is a conflict that changes nothing; a missing session is not_found',
    async run({ store, key, session }) {
      const k = await session(key(), { state: { x: 1, 'app:a': 1, 'user:u': 1 } });
      const ok = await store.updateKeys(k, { x: 2 }, { expectVersion: 1 });
      assert.equal(ok.version, 2);
      await rejectsWith(store.updateKeys(k, { x: null, 'app:a': null, 'user:u': 2, y: 1 }, { expectVersion: 1 }), 'conflict');
      const s = await store.getSession(k, { withEvents: false });
      assert.equal(s?.version, 2);
      assert.deepEqual(s?.state, { x: 2, 'app:a': 1, 'user:u': 1 });
      await rejectsWith(store.updateKeys(key(), { x: 1 }), 'not_found');
      await rejectsWith(store.updateKeys(key(), { x: 1 }, { expectVersion: 1 }), 'not_found');
    },
  },
  {
    group,
    name: 'updateKeys validates like a delta, naming the field, and changes nothing',
    async run({ store, session }) {
      const k = await session(undefined, { state: { x: 1 } });
      await rejectsWith(store.updateKeys(k, [] as never), 'invalid', 'delta');
      await rejectsWith(store.updateKeys(k, null as never), 'invalid', 'delta');
      await rejectsWith(store.updateKeys(k, { '': null }), 'invalid', 'delta');
      await rejectsWith(store.updateKeys(k, { '': 1 }), 'invalid', 'delta');
      await rejectsWith(store.updateKeys(k, { ['k'.repeat(store.limits.maxStateKeyLength + 1)]: null }), 'invalid', 'delta');
      await rejectsWith(store.updateKeys(k, { x: null, bad: 'a\u0000b' }), 'invalid', 'delta');
      await rejectsWith(store.updateKeys(k, { x: 2 }, { expectVersion: -1 }), 'invalid', /expectVersion|If-Match/);
      const s = await store.getSession(k, { withEvents: false });
      assert.equal(s?.version, 1);
      assert.deepEqual(s?.state, { x: 1 });
    },
  },
];
