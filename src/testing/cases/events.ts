import assert from 'node:assert/strict';
import type { SessionEvent } from '../../core/types.js';
import { rejectsWith, type ConformanceCase } from '../harness.js';

const group = 'events';
const MiB = 1024 * 1024;

export const eventCases: ConformanceCase[] = [
  {
    group,
    name: 'append assigns seq 1, 2, 3…, ids and timestamps, and bumps the version once per call',
    async run({ store, session }) {
      const k = await session();
      const before = Date.now();
      const r1 = await store.appendEvents(k, [{ author: 'user', content: 'a' }]);
      const r2 = await store.appendEvents(k, [{ author: 'model', content: 'b' }, { author: 'model', content: 'c' }]);
      assert.deepEqual(r1.events.map((e) => e.seq), [1]);
      assert.deepEqual(r2.events.map((e) => e.seq), [2, 3]);
      assert.equal(r1.version, 2);
      assert.equal(r2.version, 3);
      const ids = [...r1.events, ...r2.events].map((e) => e.id);
      assert.equal(new Set(ids).size, 3);
      for (const e of [...r1.events, ...r2.events]) assert.ok(e.timestamp >= before - 1000 && e.timestamp <= Date.now() + 1000);
      const s = await store.getSession(k);
      assert.equal(s?.eventCount, 3);
      assert.equal(s?.version, 3);
      assert.deepEqual(s?.events, [...r1.events, ...r2.events]);
    },
  },
  {
    group,
    name: 'every event field round-trips',
    async run({ store, session }) {
      const k = await session();
      const event = {
        id: 'evt-1',
        timestamp: 1_700_000_000_123.5,
        author: 'root_agent',
        role: 'assistant' as const,
        invocationId: 'e-1234',
        content: { role: 'model', parts: [{ text: 'hi' }, { functionCall: { name: 'f', args: { x: [1, null, true] } } }] },
        stateDelta: { k: { nested: [1, 2] }, 'user:name': 'Ada' },
        metadata: { usage: { promptTokens: 3 }, branch: 'a.b', flags: [false, null] },
      };
      const r = await store.appendEvents(k, [event]);
      const expected: SessionEvent = { ...event, seq: 1 };
      assert.deepEqual(r.events[0], expected);
      assert.deepEqual((await store.getSession(k))?.events?.[0], expected);
      assert.deepEqual((await store.readEvents(k))?.events[0], expected);
      // Absent optional fields stay absent.
      const bare = await store.appendEvents(k, [{ author: 'user' }]);
      assert.deepEqual(Object.keys(bare.events[0]!).sort(), ['author', 'id', 'seq', 'timestamp']);
    },
  },
  {
    group,
    name: 'session updatedAt equals the timestamp of the last appended event',
    async run({ store, session }) {
      const k = await session();
      await store.appendEvents(k, [{ author: 'user', timestamp: 1_800_000_000_000 }, { author: 'model', timestamp: 1_800_000_000_500 }]);
      const s = await store.getSession(k);
      assert.equal(s?.updatedAt, 1_800_000_000_500);
      assert.equal(s?.lastActivityAt, 1_800_000_000_500);
    },
  },
  {
    group,
    name: 'an event id appended twice is stored once; a pure replay succeeds without a version check',
    async run({ store, session }) {
      const k = await session();
      const first = await store.appendEvents(k, [{ id: 'x', author: 'user', content: 'original' }], { expectVersion: 1 });
      const replay = await store.appendEvents(k, [{ id: 'x', author: 'user', content: 'changed' }], { expectVersion: 1 });
      assert.deepEqual(replay.events, first.events);
      assert.equal(replay.version, 2);
      const mixed = await store.appendEvents(k, [
        { id: 'x', author: 'user', content: 'again' },
        { id: 'y', author: 'model', content: 'new' },
      ]);
      assert.deepEqual(mixed.events[0], first.events[0]);
      assert.equal(mixed.events[1]?.seq, 2);
      assert.equal(mixed.version, 3);
      const s = await store.getSession(k);
      assert.deepEqual(s?.events?.map((e) => [e.id, e.content]), [['x', 'original'], ['y', 'new']]);
      await rejectsWith(store.appendEvents(k, [{ id: 'z', author: 'a' }, { id: 'z', author: 'b' }]), 'invalid', 'events[1].id');
    },
  },
  {
    group,
    name: 'a stale expectVersion throws "conflict" and changes nothing',
    async run({ store, key, session }) {
      const k = await session(key(), { state: { n: 0, 'user:u': 0, 'app:a': 0 } });
      await store.appendEvents(k, [{ author: 'user', stateDelta: { n: 1 } }], { expectVersion: 1 });
      const err = await rejectsWith(
        store.appendEvents(k, [{ author: 'user', content: 'late', stateDelta: { n: 99, 'user:u': 99, 'app:a': 99 } }], { expectVersion: 1 }),
        'conflict',
      );
      assert.equal(err.details?.['actualVersion'], 2);
      const s = await store.getSession(k);
      assert.equal(s?.version, 2);
      assert.equal(s?.eventCount, 1);
      assert.deepEqual(s?.state, { n: 1, 'user:u': 0, 'app:a': 0 });
      assert.equal(s?.events?.length, 1);
    },
  },
  {
    group,
    name: 'two writers racing with the same version: exactly one wins each round',
    async run({ store, session }) {
      const k = await session();
      let version = 1;
      for (let round = 0; round < 20; round++) {
        const results = await Promise.allSettled([
          store.appendEvents(k, [{ author: 'a', content: `a${round}` }], { expectVersion: version }),
          store.appendEvents(k, [{ author: 'b', content: `b${round}` }], { expectVersion: version }),
        ]);
        const won = results.filter((r) => r.status === 'fulfilled');
        assert.equal(won.length, 1, `round ${round}: ${won.length} winners`);
        const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        assert.equal((lost.reason as { code?: string }).code, 'conflict');
        version = (won[0] as PromiseFulfilledResult<{ version: number }>).value.version;
      }
      const s = await store.getSession(k);
      assert.equal(s?.eventCount, 20);
      assert.deepEqual(s?.events?.map((e) => e.seq), Array.from({ length: 20 }, (_, i) => i + 1));
    },
  },
  {
    group,
    name: 'appending to a missing session throws "not_found"',
    async run({ store, key }) {
      await rejectsWith(store.appendEvents(key(), [{ author: 'user', content: 'x' }]), 'not_found');
    },
  },
  {
    group,
    name: 'partial events are never stored',
    async run({ store, session }) {
      const k = await session();
      const r = await store.appendEvents(k, [
        { author: 'model', content: 'stream…', partial: true, stateDelta: { leaked: true } },
        { author: 'model', content: 'final' },
      ]);
      assert.equal(r.events.length, 1);
      const s = await store.getSession(k);
      assert.deepEqual(s?.events?.map((e) => e.content), ['final']);
      assert.equal(s?.state['leaked'], undefined);
      const only = await store.appendEvents(k, [{ author: 'model', partial: true }]);
      assert.deepEqual(only.events, []);
      assert.equal((await store.getSession(k))?.version, 2);
    },
  },
  {
    group,
    name: 'one bad event fails the whole append and stores nothing',
    async run({ store, session }) {
      const k = await session();
      await rejectsWith(
        store.appendEvents(k, [
          { author: 'user', content: 'fine', stateDelta: { a: 1 } },
          { author: 'user', role: 'robot' as never },
        ]),
        'invalid',
        'events[1].role',
      );
      await rejectsWith(store.appendEvents(k, [{ author: '' }]), 'invalid', 'events[0].author');
      await rejectsWith(store.appendEvents(k, [{ author: 'u', timestamp: -5 }]), 'invalid', 'events[0].timestamp');
      await rejectsWith(store.appendEvents(k, [{ author: 'u', content: { n: 10n } }]), 'invalid', 'events[0].content');
      await rejectsWith(store.appendEvents(k, [{ author: 'u', metadata: 'x' as never }]), 'invalid', 'events[0].metadata');
      await rejectsWith(store.appendEvents(k, [{ author: 'u', stateDelta: [1] as never }]), 'invalid', 'events[0].stateDelta');
      await rejectsWith(store.appendEvents(k, 'nope' as never), 'invalid', 'events');
      await rejectsWith(
        store.appendEvents(k, Array.from({ length: store.limits.maxEventsPerAppend + 1 }, () => ({ author: 'u' }))),
        'too_large',
        'events',
      );
      const s = await store.getSession(k);
      assert.equal(s?.eventCount, 0);
      assert.equal(s?.version, 1);
      assert.deepEqual(s?.state, {});
    },
  },
  {
    group,
    name: 'unicode and base64 binary content round-trip exactly',
    async run({ store, key, session }) {
      const k = await session(key({ sessionId: 'sess-🙂-שלום' }));
      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const texts = [
        'emoji 👩‍👩‍👧‍👦 🇺🇦 🙂',
        'RTL: שלום עולם، مرحبا بالعالم',
        'CJK 漢字かなカナ 한국어',
        'combining e\u0301 and zero-width\u200djoiner',
        'quotes " \\ / \n\t\r and \u2028 \u2029',
        bytes.toString('base64'),
      ];
      await store.appendEvents(k, texts.map((content) => ({ author: 'user', content })));
      await store.appendEvents(k, [{ author: 'tool', content: { parts: [{ inlineData: { mimeType: 'application/octet-stream', data: bytes.toString('base64') } }] } }]);
      const s = await store.getSession(k);
      assert.deepEqual(s?.events?.slice(0, texts.length).map((e) => e.content), texts);
      const data = (s?.events?.[texts.length]?.content as { parts: { inlineData: { data: string } }[] }).parts[0]!.inlineData.data;
      assert.deepEqual(Buffer.from(data, 'base64'), bytes);
    },
  },
  {
    group,
    name: 'NUL characters are refused everywhere (no backend can be trusted with them); a literal "\\u0000" is fine',
    async run({ store, session }) {
      const k = await session();
      await rejectsWith(store.appendEvents(k, [{ author: 'u', content: 'a\u0000b' }]), 'invalid', 'events[0].content');
      await rejectsWith(store.appendEvents(k, [{ author: 'u', content: { parts: ['\u0000'] } }]), 'invalid', 'events[0].content');
      await rejectsWith(store.appendEvents(k, [{ author: 'u', stateDelta: { 'k\u0000': 1 } }]), 'invalid', 'stateDelta');
      await rejectsWith(store.appendEvents(k, [{ author: 'u', metadata: { m: 'x\u0000' } }]), 'invalid', 'metadata');
      const literal = 'backslash-u: \\u0000 and \\\\u0000';
      const r = await store.appendEvents(k, [{ author: 'u', content: literal, stateDelta: { lit: literal } }]);
      assert.equal(r.events.length, 1);
      const s = await store.getSession(k);
      assert.equal(s?.events?.[0]?.content, literal);
      assert.equal(s?.state['lit'], literal);
      await rejectsWith(store.createSession({ appName: k.appName, userId: k.userId, metadata: { x: '\u0000' } }), 'invalid', 'metadata');
    },
  },
  {
    group,
    name: '1 MiB of content round-trips; one byte more is "too_large" and stores nothing',
    async run({ store, session }) {
      const k = await session();
      const limit = store.limits.maxEventContentBytes;
      assert.equal(limit, MiB, 'this case assumes the default 1 MiB content limit');
      const exact = 'é'.repeat(MiB / 2); // 2 bytes each in UTF-8
      await store.appendEvents(k, [{ author: 'user', content: exact }]);
      await rejectsWith(store.appendEvents(k, [{ author: 'user', content: exact + 'x' }]), 'too_large', 'events[0].content');
      const parts = { parts: [{ text: 'a'.repeat(MiB) }] };
      await rejectsWith(store.appendEvents(k, [{ author: 'user', content: parts }]), 'too_large', 'events[0].content');
      const s = await store.getSession(k);
      assert.equal(s?.eventCount, 1);
      assert.equal(s?.events?.[0]?.content, exact);
    },
  },
  {
    group,
    name: 'getSession: lastEvents and afterTimestamp (inclusive) select the newest matching events, oldest first',
    async run({ store, session }) {
      const k = await session();
      await store.appendEvents(k, Array.from({ length: 10 }, (_, i) => ({ author: 'u', timestamp: 1000 + i * 10, content: i })));
      const contents = async (o: Parameters<typeof store.getSession>[1]) => (await store.getSession(k, o))?.events?.map((e) => e.content);
      assert.deepEqual(await contents({}), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      assert.deepEqual(await contents({ lastEvents: 3 }), [7, 8, 9]);
      assert.deepEqual(await contents({ lastEvents: 0 }), []);
      assert.deepEqual(await contents({ lastEvents: 50 }), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      assert.deepEqual(await contents({ afterTimestamp: 1050 }), [5, 6, 7, 8, 9]);
      assert.deepEqual(await contents({ afterTimestamp: 1051 }), [6, 7, 8, 9]);
      assert.deepEqual(await contents({ afterTimestamp: 1050, lastEvents: 2 }), [8, 9]);
      assert.deepEqual(await contents({ afterTimestamp: 1085, lastEvents: 5 }), [9]);
      assert.deepEqual(await contents({ afterTimestamp: 5000 }), []);
      assert.deepEqual(await contents({ withEvents: false }), undefined);
      await rejectsWith(store.getSession(k, { lastEvents: -1 }), 'invalid', 'lastEvents');
    },
  },
  {
    group,
    name: 'lastEvents with afterTimestamp follows seq order even when timestamps do not',
    async run({ store, session }) {
      const k = await session();
      await store.appendEvents(k, [100, 500, 200, 600, 300].map((timestamp) => ({ author: 'u', timestamp, content: timestamp })));
      const contents = async (o: Parameters<typeof store.getSession>[1]) => (await store.getSession(k, o))?.events?.map((e) => e.content);
      assert.deepEqual(await contents({ afterTimestamp: 250, lastEvents: 2 }), [600, 300]);
      assert.deepEqual(await contents({ afterTimestamp: 250, lastEvents: 3 }), [500, 600, 300]);
      assert.deepEqual(await contents({ afterTimestamp: 250, lastEvents: 9 }), [500, 600, 300]);
      assert.deepEqual(await contents({ afterTimestamp: 250 }), [500, 600, 300]);
    },
  },
  {
    group,
    name: 'readEvents pages by seq in both directions and the cursors visit every event once',
    async run({ store, session }) {
      const k = await session();
      await store.appendEvents(k, Array.from({ length: 23 }, (_, i) => ({ author: 'u', content: i })));
      for (const order of ['asc', 'desc'] as const) {
        const seen: number[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page = await store.readEvents(k, { order, limit: 5, cursor });
          assert.ok(page);
          seen.push(...page.events.map((e) => e.seq));
          cursor = page.nextCursor;
          pages++;
        } while (cursor);
        const all = Array.from({ length: 23 }, (_, i) => i + 1);
        assert.deepEqual(seen, order === 'asc' ? all : all.reverse());
        assert.equal(pages, 5);
      }
      assert.deepEqual((await store.readEvents(k, { afterSeq: 20 }))?.events.map((e) => e.seq), [21, 22, 23]);
      assert.deepEqual((await store.readEvents(k, { beforeSeq: 3, order: 'desc' }))?.events.map((e) => e.seq), [2, 1]);
      const exact = await store.readEvents(k, { afterSeq: 18, limit: 5 });
      assert.equal(exact?.events.length, 5);
      assert.equal(exact?.nextCursor, null, 'no cursor when the page reaches the end');
      await rejectsWith(store.readEvents(k, { cursor: 'garbage' }), 'invalid', 'cursor');
      await rejectsWith(store.readEvents(k, { limit: 0 }), 'invalid', 'limit');
      await rejectsWith(store.readEvents(k, { limit: store.limits.maxPageSize + 1 }), 'too_large', 'limit');
    },
  },
];
