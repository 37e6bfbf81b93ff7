// The Redis store's search and history beyond the conformance suite: sessions
// larger than one read batch, rewinds racing appends, the key ranges a search
// walks, a database written under key layout 1, and the keys a delete removes.
import { afterAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../src/stores/redis/index.js';
import type { SessionKey, SupersededPage } from '../src/core/types.js';
import { deletePrefix, REDIS_URL, redisCli, redisUnavailableReason, uniquePrefix, withPrefix } from './redis-helpers.js';

const unavailable = await redisUnavailableReason();

describe.skipIf(unavailable)(`RedisStore search and history${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  const prefixes: string[] = [];
  const stores: RedisStore[] = [];
  async function open(): Promise<{ store: RedisStore; prefix: string }> {
    const prefix = uniquePrefix('hist');
    prefixes.push(prefix);
    const store = new RedisStore({ url: withPrefix(REDIS_URL, prefix) });
    stores.push(store);
    await store.migrate();
    return { store, prefix };
  }
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    for (const p of prefixes) await deletePrefix(REDIS_URL, p);
  });

  it('rewinds a session of several read batches exactly: state, events, superseded pages, log', async () => {
    const { store } = await open();
    const k: SessionKey = { appName: 'a', userId: 'u', sessionId: 'big' };
    await store.createSession({ appName: 'a', userId: 'u', id: 'big', state: { start: true } });
    const total = 2_500;
    for (let from = 0; from < total; from += 500) {
      if (from === 1000) await store.updateKeys(k, { start: null, marked: from });
      await store.appendEvents(
        k,
        Array.from({ length: 500 }, (_, i) => ({ id: `e${from + i + 1}`, author: 'u', content: `event ${from + i + 1}`, stateDelta: { last: from + i + 1, [`k${(from + i) % 7}`]: from + i + 1 } })),
      );
    }
    const r = await store.rewindSession(k, { toSeq: 1_234 });
    expect(r.superseded).toBe(total - 1_234);
    const own = Object.fromEntries(Object.entries(r.session.state));
    const expected: Record<string, unknown> = { last: 1_234, marked: 1000 };
    for (let seq = 1; seq <= 1_234; seq++) expected[`k${(seq - 1) % 7}`] = seq;
    expect(own).toEqual(expected);
    const s = await store.getSession(k);
    expect(s!.events!.length).toBe(1_234);
    expect(s!.events!.at(-1)!.id).toBe('e1234');
    const seen: string[] = [];
    for (let cursor: string | null = null, pages = 0; pages === 0 || cursor; pages++) {
      const page: SupersededPage = (await store.readSupersededEvents(k, { limit: 1000, cursor }))!;
      seen.push(...page.events.map((e) => e.id));
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(Array.from({ length: total - 1_234 }, (_, i) => `e${1_235 + i}`));
    expect((await store.readStateHistory(k))!.map((c) => c.atSeq)).toEqual([0, 1000]);
    // The superseded ids are forgotten: appending one stores a new event.
    const again = await store.appendEvents(k, [{ id: 'e2000', author: 'u', content: 'new' }]);
    expect(again.events[0]!.seq).toBe(1_235);
    expect((await store.stats()).bytes).toBeGreaterThan(0);
  }, 60_000);

  it('a rewind racing appends never loses or duplicates an event: every id is visible or superseded, once', async () => {
    const { store } = await open();
    const k: SessionKey = { appName: 'a', userId: 'u', sessionId: 'race' };
    await store.createSession({ appName: 'a', userId: 'u', id: 'race' });
    await store.appendEvents(k, Array.from({ length: 50 }, (_, i) => ({ id: `b${i}`, author: 'u', content: `before ${i}` })));
    const appends = Array.from({ length: 30 }, (_, i) => store.appendEvents(k, [{ id: `c${i}`, author: 'u', content: `during ${i}` }]));
    const rewinds = [store.rewindSession(k, { toSeq: 10 }), store.rewindSession(k, { toSeq: 5 })];
    await Promise.all([...appends, ...rewinds]);
    const s = (await store.getSession(k))!;
    expect(s.events!.map((e) => e.seq)).toEqual(Array.from({ length: s.eventCount }, (_, i) => i + 1));
    const superseded = (await store.readSupersededEvents(k, { limit: 1000 }))!.events;
    const all = [...s.events!.map((e) => e.id), ...superseded.map((e) => e.id)].sort();
    expect(all).toEqual([...Array.from({ length: 50 }, (_, i) => `b${i}`), ...Array.from({ length: 30 }, (_, i) => `c${i}`)].sort());
    // Visible ids are still known (a retry is a replay), superseded ones are not.
    const visible = s.events![s.events!.length - 1]!;
    const replay = await store.appendEvents(k, [{ id: visible.id, author: 'u' }]);
    expect(replay.events[0]!.seq).toBe(visible.seq);
  }, 60_000);

  it('search reads sessions larger than a batch (the title once), and an app filter is an exact key range', async () => {
    const { store } = await open();
    const tenant = 't1';
    await store.createSession({ tenant, appName: 'app', userId: 'u', id: 's', metadata: { title: 'walrus diary' } });
    await store.createSession({ tenant, appName: 'apple', userId: 'u', id: 's' });
    await store.createSession({ tenant, appName: 'app', userId: 'u2', id: 's' });
    for (let from = 0; from < 1_200; from += 400) {
      await store.appendEvents(
        { tenant, appName: 'app', userId: 'u', sessionId: 's' },
        Array.from({ length: 400 }, (_, i) => ({ author: 'u', content: from + i === 1_100 ? 'a walrus at the end' : `filler ${from + i}` })),
      );
    }
    await store.appendEvents({ tenant, appName: 'apple', userId: 'u', sessionId: 's' }, [{ author: 'u', content: 'walrus in apple' }]);
    await store.appendEvents({ tenant, appName: 'app', userId: 'u2', sessionId: 's' }, [{ author: 'u', content: 'walrus of u2' }]);
    const where = async (q: object) =>
      (await store.searchEvents({ tenant, query: 'walrus', ...q })).hits.map((h) => `${h.appName}/${h.userId}/${h.field}/${h.event?.seq ?? ''}`).sort();
    expect(await where({})).toEqual(['app/u/content/1101', 'app/u/title/', 'app/u2/content/1', 'apple/u/content/1']);
    expect(await where({ appName: 'app' })).toEqual(['app/u/content/1101', 'app/u/title/', 'app/u2/content/1']);
    expect(await where({ appName: 'app', userId: 'u' })).toEqual(['app/u/content/1101', 'app/u/title/']);
    expect(await where({ userId: 'u' })).toEqual(['app/u/content/1101', 'app/u/title/', 'apple/u/content/1']);
    expect(await where({ appName: 'app', userId: 'u', sessionId: 's' })).toEqual(['app/u/content/1101', 'app/u/title/']);
    expect(await where({ appName: 'ap' })).toEqual([]);
  }, 60_000);

  it('a database written under key layout 1 is refused until migrate(), which gives each session a log (its state after its last event), with progress', async () => {
    const { store, prefix } = await open();
    const k: SessionKey = { appName: 'a', userId: 'u', sessionId: 'old' };
    await store.createSession({ appName: 'a', userId: 'u', id: 'old', state: { n: 0, kept: 'from the start', 'clé/ü': 'x' } });
    await store.appendEvents(k, [
      { id: 'x1', author: 'u', stateDelta: { n: 1 } },
      { id: 'x2', author: 'u', stateDelta: { n: 2 } },
    ]);
    for (let i = 0; i < 5; i++) await store.createSession({ appName: 'b', userId: `u${i}`, id: `other${i}` });
    // What layout 1 left: no logs, and the layout recorded as 1.
    for (const key of redisCli(6379, ['--scan', '--pattern', `${prefix}*:sh:*`]).trim().split('\n')) redisCli(6379, ['del', key]);
    redisCli(6379, ['set', `${prefix}{g}:layout`, '1']);
    const reopened = new RedisStore({ url: withPrefix(REDIS_URL, prefix) });
    stores.push(reopened);
    expect(await reopened.migrationStatus()).toMatchObject({ current: 1, latest: 2, pending: [{ version: 2 }] });
    await expect(reopened.getSession(k)).rejects.toMatchObject({ code: 'schema_mismatch' });
    const progress: { step: string; done: number; total: number }[] = [];
    await reopened.migrate({ onProgress: (p) => void progress.push(p) });
    expect(progress.at(-1)).toEqual({ step: 'state-change log', done: 6, total: 6 });
    expect(await reopened.migrationStatus()).toMatchObject({ current: 2, pending: [] });
    expect(await reopened.readStateHistory(k)).toEqual([{ atSeq: 2, kind: 'replace', set: { n: 2, kept: 'from the start', 'clé/ü': 'x' }, unset: [] }]);
    expect(await reopened.readStateHistory({ appName: 'b', userId: 'u0', sessionId: 'other0' })).toEqual([{ atSeq: 0, kind: 'replace', set: {}, unset: [] }]);
    await reopened.migrate();
    expect((await reopened.readStateHistory(k))!.length).toBe(1);
    // After the seq it was logged at, the state is exact; before it, only the event deltas are known.
    await reopened.appendEvents(k, [{ id: 'x3', author: 'u', stateDelta: { n: 3 } }, { id: 'x4', author: 'u' }]);
    expect((await reopened.rewindSession(k, { toSeq: 3 })).session.state).toEqual({ n: 3, kept: 'from the start', 'clé/ü': 'x' });
    expect((await reopened.rewindSession(k, { toSeq: 1 })).session.state).toEqual({ n: 1 });
  });

  it('deleting a session removes its log and superseded events with it', async () => {
    const { store, prefix } = await open();
    const k: SessionKey = { appName: 'a', userId: 'u', sessionId: 'gone' };
    await store.createSession({ appName: 'a', userId: 'u', id: 'gone' });
    await store.appendEvents(k, [{ author: 'u', content: 'one' }, { author: 'u', content: 'two' }]);
    await store.rewindSession(k, { toSeq: 1 });
    const scan = () => redisCli(6379, ['--scan', '--pattern', `${prefix}*:gone`]).trim().split('\n').filter(Boolean).map((key) => key.split('}')[1]).sort();
    expect(scan()).toEqual([':ei:gone', ':et:gone', ':ev:gone', ':s:gone', ':sh:gone', ':sx:gone']);
    await store.deleteSession(k);
    expect(scan()).toEqual([]);
  });
});
