import assert from 'node:assert/strict';
import type { SessionKey } from '../../core/types.js';
import { forkSession } from '../../transfer/fork.js';
import { rejectsWith, type CaseContext, type ConformanceCase } from '../harness.js';

const group = 'history';

/**
 * A session whose own state changes through every path: its initial state,
 * event deltas, updateKeys (with a deletion), updateSession's stateDelta.
 * Returns the own state expected after each seq.
 */
async function storied(t: CaseContext): Promise<{ k: SessionKey; after: Record<number, Record<string, unknown>> }> {
  const k = await t.session(t.key(), { state: { a: 1, 'app:theme': 'dark' } });
  await t.store.appendEvents(k, [{ id: 'e1', author: 'user', content: 'one', stateDelta: { b: 2, 'user:lang': 'fr' } }]);
  await t.store.updateKeys(k, { a: null, c: 3 });
  await t.store.updateSession(k, { stateDelta: { d: 4 } });
  await t.store.appendEvents(k, [
    { id: 'e2', author: 'agent', content: 'two', stateDelta: { b: 5, 'app:theme': 'light' } },
    { id: 'e3', author: 'user', content: 'three', stateDelta: { e: null } },
  ]);
  await t.store.updateKeys(k, { c: null });
  await t.store.appendEvents(k, [{ id: 'e4', author: 'agent', content: 'four', stateDelta: { f: 6 } }]);
  return {
    k,
    after: {
      0: { a: 1 },
      1: { b: 2, c: 3, d: 4 },
      2: { b: 5, c: 3, d: 4 },
      3: { b: 5, d: 4, e: null },
      4: { b: 5, d: 4, e: null, f: 6 },
    },
  };
}

/** The session's own keys of a merged state. */
const own = (state: Record<string, unknown> | undefined) =>
  Object.fromEntries(Object.entries(state ?? {}).filter(([key]) => !key.startsWith('app:') && !key.startsWith('user:')));

export const historyCases: ConformanceCase[] = [
  {
    group,
    name: 'rewind ends the visible history at toSeq: events, count, the next seq and the own state go back; shared state stays',
    async run(t) {
      const { k, after } = await storied(t);
      const before = await t.store.getSession(k, { withEvents: false });
      const r = await t.store.rewindSession(k, { toSeq: 2 });
      assert.equal(r.superseded, 2);
      assert.equal(r.session.version, before!.version + 1);
      assert.equal(r.session.eventCount, 2);
      assert.equal(r.session.events, undefined);
      assert.deepEqual(own(r.session.state), after[2]);
      assert.equal(r.session.state['app:theme'], 'light', 'app: state is shared and not rewound');
      assert.equal(r.session.state['user:lang'], 'fr');
      const s = await t.store.getSession(k);
      assert.deepEqual(s?.events?.map((e) => e.id), ['e1', 'e2']);
      assert.deepEqual(own(s?.state), after[2]);
      assert.equal(s?.version, r.session.version);
      assert.deepEqual((await t.store.readEvents(k, { order: 'desc', limit: 1 }))?.events.map((e) => e.seq), [2]);
      assert.deepEqual((await t.store.getSession(k, { lastEvents: 1 }))?.events?.map((e) => e.id), ['e2']);
      const next = await t.store.appendEvents(k, [{ id: 'n3', author: 'agent', content: 'three again', stateDelta: { g: 7 } }]);
      assert.deepEqual(next.events.map((e) => e.seq), [3]);
      assert.deepEqual(own((await t.store.getSession(k))?.state), { ...after[2], g: 7 });
    },
  },
  {
    group,
    name: 'the state after any seq is exact: initial state, event deltas, updateKeys deletions and updateSession deltas',
    async run(t) {
      for (const toSeq of [3, 1, 0]) {
        const { k, after } = await storied(t);
        const r = await t.store.rewindSession(k, { toSeq });
        assert.deepEqual(own(r.session.state), after[toSeq], `after rewinding to ${toSeq}`);
        assert.deepEqual(own((await t.store.getSession(k, { withEvents: false }))?.state), after[toSeq]);
      }
    },
  },
  {
    group,
    name: 'rewound events stay stored as superseded, by rewind then seq, paged; a superseded id appended again is a new event',
    async run(t) {
      const { k } = await storied(t);
      const original = (await t.store.getSession(k))!.events!;
      const first = await t.store.rewindSession(k, { toSeq: 3 });
      await t.store.appendEvents(k, [{ id: 'e4', author: 'agent', content: 'four, regenerated' }]);
      const second = await t.store.rewindSession(k, { toSeq: 1 });
      assert.equal(second.superseded, 3);
      const all = await t.store.readSupersededEvents(k);
      assert.deepEqual(all?.events.map((e) => [e.id, e.seq, e.supersededBy]), [
        ['e4', 4, first.session.version],
        ['e2', 2, second.session.version],
        ['e3', 3, second.session.version],
        ['e4', 4, second.session.version],
      ]);
      const { supersededAt, supersededBy, ...asStored } = all!.events[0]!;
      assert.deepEqual(asStored, original[3]);
      assert.ok(supersededAt >= original[3]!.timestamp - 1 && supersededBy === first.session.version);
      assert.equal(all!.events[3]!.content, 'four, regenerated');
      const p1 = await t.store.readSupersededEvents(k, { limit: 3 });
      const p2 = await t.store.readSupersededEvents(k, { limit: 3, cursor: p1!.nextCursor });
      assert.deepEqual([...p1!.events, ...p2!.events], all!.events);
      assert.equal(p2!.nextCursor, null);
      const again = await t.store.appendEvents(k, [{ id: 'e2', author: 'agent', content: 'two, again' }]);
      assert.deepEqual(again.events.map((e) => [e.id, e.seq, e.content]), [['e2', 2, 'two, again']]);
      assert.equal(await t.store.readSupersededEvents(t.key()), null);
    },
  },
  {
    group,
    name: 'rewind follows the rules of appends: expectVersion, conflicts and bad input change nothing',
    async run(t) {
      const { k } = await storied(t);
      const before = (await t.store.getSession(k))!;
      await rejectsWith(t.store.rewindSession(k, { toSeq: 1 }, { expectVersion: before.version - 1 }), 'conflict');
      await rejectsWith(t.store.rewindSession(k, { toSeq: 5 }), 'invalid', 'toSeq');
      await rejectsWith(t.store.rewindSession(k, { toSeq: -1 }), 'invalid', 'toSeq');
      await rejectsWith(t.store.rewindSession(k, { toSeq: 1.5 }), 'invalid', 'toSeq');
      await rejectsWith(t.store.rewindSession(k, {} as { toSeq: number }), 'invalid', 'toSeq');
      await rejectsWith(t.store.rewindSession(t.key(), { toSeq: 0 }), 'not_found');
      assert.deepEqual(await t.store.getSession(k), before);
      assert.deepEqual((await t.store.readSupersededEvents(k))?.events, []);
      const same = await t.store.rewindSession(k, { toSeq: 4 }, { expectVersion: before.version });
      assert.equal(same.superseded, 0);
      assert.equal(same.session.version, before.version, 'rewinding to the last seq writes nothing');
      const done = await t.store.rewindSession(k, { toSeq: 4 - 1 }, { expectVersion: before.version });
      assert.equal(done.session.version, before.version + 1);
      await rejectsWith(t.store.appendEvents(k, [{ author: 'u' }], { expectVersion: before.version }), 'conflict');
    },
  },
  {
    group,
    name: 'rewound events leave search results',
    needs: 'search',
    async run(t) {
      const k = await t.session(t.key({ tenant: `history-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}` }));
      await t.store.appendEvents(k, [
        { id: 'q', author: 'user', content: 'what is a quokka' },
        { id: 'a', author: 'agent', content: 'a quokka is a small marsupial' },
      ]);
      assert.equal((await t.store.searchEvents({ tenant: k.tenant, query: 'quokka' })).hits.length, 2);
      await t.store.rewindSession(k, { toSeq: 1 });
      assert.deepEqual((await t.store.searchEvents({ tenant: k.tenant, query: 'quokka' })).hits.map((h) => h.event?.id), ['q']);
      assert.deepEqual((await t.store.searchEvents({ tenant: k.tenant, query: 'marsupial' })).hits, []);
      await t.store.appendEvents(k, [{ id: 'a2', author: 'agent', content: 'quokkas live on Rottnest Island' }]);
      assert.deepEqual((await t.store.searchEvents({ tenant: k.tenant, query: 'rottnest' })).hits.map((h) => h.event?.seq), [2]);
    },
  },
  {
    group,
    name: 'a deleted session takes its superseded events and history with it',
    async run(t) {
      const k = await t.session();
      await t.store.appendEvents(k, [
        { id: 'q', author: 'user', content: 'what is a quokka' },
        { id: 'a', author: 'agent', content: 'a quokka is a small marsupial' },
      ]);
      await t.store.rewindSession(k, { toSeq: 1 });
      assert.equal((await t.store.readSupersededEvents(k))?.events.length, 1);
      await t.store.deleteSession(k);
      assert.equal(await t.store.readSupersededEvents(k), null);
      assert.equal(await t.store.readStateHistory(k), null);
      await t.store.createSession({ tenant: k.tenant, appName: k.appName, userId: k.userId, id: k.sessionId });
      assert.deepEqual((await t.store.readSupersededEvents(k))?.events, [], 'a new session of the same id starts clean');
      assert.deepEqual(await t.store.readStateHistory(k), [{ atSeq: 0, kind: 'replace', set: {}, unset: [] }]);
    },
  },
  {
    group,
    name: 'readStateHistory lists the changes no event carried, in order, with the seq they came after',
    async run(t) {
      const { k } = await storied(t);
      await t.store.updateKeys(k, { 'app:x': 1, 'user:y': 2 });
      await t.store.updateSession(k, { metadata: { title: 'no state here' } });
      assert.deepEqual(await t.store.readStateHistory(k), [
        { atSeq: 0, kind: 'replace', set: { a: 1 }, unset: [] },
        { atSeq: 1, kind: 'merge', set: { c: 3 }, unset: ['a'] },
        { atSeq: 1, kind: 'merge', set: { d: 4 }, unset: [] },
        { atSeq: 3, kind: 'merge', set: {}, unset: ['c'] },
      ]);
      await t.store.rewindSession(k, { toSeq: 1 });
      assert.equal((await t.store.readStateHistory(k))?.length, 3, 'changes after toSeq went with the rewound events');
      assert.equal(await t.store.readStateHistory(t.key()), null);
    },
  },
  {
    group,
    name: 'an import keeps the history it is given, or starts one from its state',
    async run(t) {
      const { k } = await storied(t);
      const source = (await t.store.getSession(k))!;
      const { state: _s, events, ...session } = source;
      const history = (await t.store.readStateHistory(k))!;
      const copy = t.key();
      await t.store.importSession({ session: { ...session, tenant: source.tenant, appName: copy.appName, userId: copy.userId, id: copy.sessionId }, state: own(source.state), events: events!, history });
      assert.deepEqual(await t.store.readStateHistory(copy), history);
      assert.deepEqual(own((await t.store.rewindSession(copy, { toSeq: 1 })).session.state), { b: 2, c: 3, d: 4 });
      const bare = t.key();
      await t.store.importSession({ session: { ...session, appName: bare.appName, userId: bare.userId, id: bare.sessionId }, state: { z: 1 }, events: events! });
      assert.deepEqual(await t.store.readStateHistory(bare), [{ atSeq: 4, kind: 'replace', set: { z: 1 }, unset: [] }]);
      await rejectsWith(
        t.store.importSession({ session: { ...session, appName: bare.appName, userId: bare.userId, id: 'bad-history' }, state: {}, events: events!, history: [{ atSeq: 9, kind: 'merge', set: {}, unset: [] }] }),
        'invalid',
        'history',
      );
    },
  },
  {
    group,
    name: 'forkSession copies events 1..upToSeq and the exact state after it, marks forkedFrom, and leaves the source alone',
    async run(t) {
      const { k, after } = await storied(t);
      const source = (await t.store.getSession(k))!;
      const fork = await forkSession(t.store, k, { upToSeq: 2, newSessionId: `${k.sessionId}-fork` });
      assert.equal(fork.id, `${k.sessionId}-fork`);
      assert.equal(fork.userId, k.userId);
      assert.equal(fork.eventCount, 2);
      assert.equal(fork.version, 1);
      assert.equal(fork.status, 'active');
      assert.deepEqual(fork.metadata['forkedFrom'], { sessionId: k.sessionId, seq: 2 });
      assert.deepEqual(own(fork.state), after[2]);
      assert.equal(fork.state['app:theme'], 'light', 'shared state is shared, not copied');
      const fk = { ...k, sessionId: fork.id };
      assert.deepEqual((await t.store.getSession(fk))?.events, source.events!.slice(0, 2));
      assert.deepEqual(await t.store.getSession(k), source);
      // A fork of the fork, further back, is exact too: the history came along.
      const grand = await forkSession(t.store, fk, { upToSeq: 0 });
      assert.deepEqual(own(grand.state), after[0]);
      assert.deepEqual(grand.metadata['forkedFrom'], { sessionId: fork.id, seq: 0 });
      const whole = await forkSession(t.store, k, { userId: `${k.userId}-other` });
      assert.equal(whole.userId, `${k.userId}-other`);
      assert.equal(whole.eventCount, 4);
      assert.deepEqual(own(whole.state), own(source.state));
      assert.equal(whole.state['user:lang'], undefined, "another user's user: state is that user's");
      await rejectsWith(forkSession(t.store, k, { newSessionId: fork.id }), 'exists');
      await rejectsWith(forkSession(t.store, k, { upToSeq: 5 }), 'invalid', 'upToSeq');
      await rejectsWith(forkSession(t.store, t.key(), {}), 'not_found');
    },
  },
];
