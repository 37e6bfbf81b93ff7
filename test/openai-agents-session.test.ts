// SessiondbSession (sessiondb/openai-agents) against the OpenAI Agents SDK's Session contract:
// one behaviour suite, run on the SDK's own MemorySession as the control and on SessiondbSession
// over the memory store, a SQLite file and PostgreSQL; then what only sessiondb promises (the
// audit trail of rewinds, bounded reads, transactions that survive a crash, readable exports).
import { join } from 'node:path';
import { MemorySession, type AgentInputItem, type SessionHistoryTransactionAwareSession } from '@openai/agents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessiondbSession } from '../src/adapters/openai-agents/index.js';
import type { SessionStore } from '../src/core/store.js';
import type { ReadOptions, SessionKey } from '../src/core/types.js';
import { PostgresStore } from '../src/stores/postgres/index.js';
import { openStore } from '../src/stores/open-store.js';
import { exportSession } from '../src/transfer/session-export.js';
import { everyItemKind } from './fixtures/openai-agents/items.js';
import { tempDir } from './helpers.js';
import { dropSchema, PG_URL, pgUnavailableReason, uniqueSchema } from './pg-helpers.js';

const pgUnavailable = await pgUnavailableReason();
const dir = tempDir('openai-agents');

const user = (text: string): AgentInputItem => ({ type: 'message', role: 'user', content: text });
const assistant = (text: string): AgentInputItem => ({ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text }] });

interface Implementation {
  name: string;
  skip: string | null;
  /** A new, empty session. */
  open(): Promise<SessionHistoryTransactionAwareSession>;
}

/** The SDK's Session contract, as MemorySession keeps it. */
function sessionBehaviour(impl: Implementation): void {
  const title = impl.skip ? `${impl.name} (skipped: ${impl.skip})` : impl.name;
  describe.skipIf(impl.skip !== null)(`Session behaviour: ${title}`, () => {
    it('a new session has an id and no items; pop and clear are no-ops', async () => {
      const session = await impl.open();
      const id = await session.getSessionId();
      expect(id).toMatch(/\S/);
      expect(await session.getSessionId()).toBe(id);
      expect(await session.getItems()).toEqual([]);
      expect(await session.getItems(5)).toEqual([]);
      expect(await session.popItem()).toBeUndefined();
      await session.clearSession();
      expect(await session.getItems()).toEqual([]);
    });

    it('every item kind reads back exactly as it was added (bytes as Uint8Array)', async () => {
      const session = await impl.open();
      const items = everyItemKind();
      await session.addItems(items);
      expect(await session.getItems()).toStrictEqual(everyItemKind());
      expect(items).toStrictEqual(everyItemKind()); // the caller's objects are left alone
    });

    it('keeps the order across calls; getItems(limit) is the latest limit items, oldest first', async () => {
      const session = await impl.open();
      await session.addItems([user('1'), assistant('2')]);
      await session.addItems([]);
      await session.addItems([user('3')]);
      await session.addItems([assistant('4'), user('5')]);
      expect(await session.getItems()).toEqual([user('1'), assistant('2'), user('3'), assistant('4'), user('5')]);
      expect(await session.getItems(2)).toEqual([assistant('4'), user('5')]);
      expect(await session.getItems(1)).toEqual([user('5')]);
      expect(await session.getItems(5)).toHaveLength(5);
      expect(await session.getItems(50)).toHaveLength(5);
      expect(await session.getItems(0)).toEqual([]);
    });

    it('returns copies: changing what getItems or popItem returned changes nothing stored', async () => {
      const session = await impl.open();
      await session.addItems([user('a'), assistant('b')]);
      const [first] = await session.getItems(1);
      (first as { content: { text: string }[] }).content[0]!.text = 'changed';
      expect(await session.getItems(1)).toEqual([assistant('b')]);
    });

    it('popItem removes and returns the newest item, until none is left', async () => {
      const session = await impl.open();
      await session.addItems([user('a'), assistant('b'), user('c')]);
      expect(await session.popItem()).toEqual(user('c'));
      expect(await session.getItems()).toEqual([user('a'), assistant('b')]);
      expect(await session.popItem()).toEqual(assistant('b'));
      await session.addItems([user('d')]);
      expect(await session.getItems()).toEqual([user('a'), user('d')]);
      expect(await session.popItem()).toEqual(user('d'));
      expect(await session.popItem()).toEqual(user('a'));
      expect(await session.popItem()).toBeUndefined();
      expect(await session.getItems()).toEqual([]);
    });

    it('clearSession removes every item and keeps the id; the session takes items again', async () => {
      const session = await impl.open();
      const id = await session.getSessionId();
      await session.addItems([user('a'), assistant('b')]);
      await session.clearSession();
      expect(await session.getItems()).toEqual([]);
      expect(await session.getSessionId()).toBe(id);
      await session.addItems([user('again')]);
      expect(await session.getItems()).toEqual([user('again')]);
    });

    it('applyHistoryTransaction: append_items, and a replay of the same operation changes nothing', async () => {
      const session = await impl.open();
      await session.addItems([user('q')]);
      const op = { operationId: 'run-1:1:blocked_append:0:2', transaction: { type: 'append_items' as const, items: [assistant('a1'), assistant('a2')] } };
      await session.applyHistoryTransaction(op);
      await session.applyHistoryTransaction(structuredClone(op));
      expect(await session.getItems()).toEqual([user('q'), assistant('a1'), assistant('a2')]);
      // The same operation id with another transaction is refused, and changes nothing.
      await expect(session.applyHistoryTransaction({ operationId: op.operationId, transaction: { type: 'append_items', items: [user('other')] } })).rejects.toThrow(
        /different transaction/,
      );
      expect(await session.getItems()).toHaveLength(3);
    });

    it('applyHistoryTransaction: replace_suffix replaces the tail when it matches, refuses (changing nothing) when it does not', async () => {
      const session = await impl.open();
      await session.addItems([user('q'), assistant('blocked 1'), assistant('blocked 2')]);
      const replace = {
        operationId: 'run-1:2:accepted_replace:2:3',
        transaction: { type: 'replace_suffix' as const, expectedSuffix: [assistant('blocked 1'), assistant('blocked 2')], replacement: [assistant('accepted')] },
      };
      await session.applyHistoryTransaction(replace);
      expect(await session.getItems()).toEqual([user('q'), assistant('accepted')]);
      await session.applyHistoryTransaction(replace); // a replay: no change, no error
      expect(await session.getItems()).toEqual([user('q'), assistant('accepted')]);
      await expect(
        session.applyHistoryTransaction({
          operationId: 'run-1:3:accepted_replace:1:2',
          transaction: { type: 'replace_suffix', expectedSuffix: [assistant('not there')], replacement: [assistant('x')] },
        }),
      ).rejects.toThrow(/suffix/);
      expect(await session.getItems()).toEqual([user('q'), assistant('accepted')]);
      // A suffix longer than the history does not match either.
      await expect(
        session.applyHistoryTransaction({
          operationId: 'run-1:4:accepted_replace:0:3',
          transaction: { type: 'replace_suffix', expectedSuffix: [user('0'), user('q'), assistant('accepted')], replacement: [] },
        }),
      ).rejects.toThrow(/suffix/);
      // Replacing the whole history with nothing.
      await session.applyHistoryTransaction({
        operationId: 'run-1:5:accepted_replace:0:2',
        transaction: { type: 'replace_suffix', expectedSuffix: [user('q'), assistant('accepted')], replacement: [] },
      });
      expect(await session.getItems()).toEqual([]);
    });

    it('applyHistoryTransaction refuses malformed arguments without changing history', async () => {
      const session = await impl.open();
      await session.addItems([user('q')]);
      const bad = [
        { operationId: '', transaction: { type: 'append_items', items: [] } },
        { operationId: 'op', transaction: { type: 'insert_items', items: [] } },
        { operationId: 'op', transaction: { type: 'append_items', items: [], extra: 1 } },
        { operationId: 'op', transaction: { type: 'append_items', items: 'nope' } },
      ];
      for (const args of bad) await expect(session.applyHistoryTransaction(args as never)).rejects.toThrow();
      expect(await session.getItems()).toEqual([user('q')]);
    });
  });
}

/** A store shared by one implementation's tests (each test gets its own session). */
function sessiondbImplementation(name: string, skip: string | null, openShared: () => Promise<SessionStore>, close: (s: SessionStore) => Promise<void>): Implementation {
  let store: SessionStore | null = null;
  beforeAll(async () => {
    if (!skip) store = await openShared();
  });
  afterAll(async () => {
    if (store) await close(store);
  });
  return { name, skip, open: async () => new SessiondbSession({ store: store!, appName: 'behaviour', userId: 'u1' }) };
}

sessionBehaviour({ name: "the SDK's MemorySession (control)", skip: null, open: async () => new MemorySession() });
sessionBehaviour(sessiondbImplementation('SessiondbSession on the memory store', null, () => openStore('memory:'), (s) => s.close()));
sessionBehaviour(sessiondbImplementation('SessiondbSession on a SQLite file', null, () => openStore(`sqlite:${join(dir, 'behaviour.db')}`), (s) => s.close()));
const pgSchema = uniqueSchema('oa');
sessionBehaviour(
  sessiondbImplementation(
    'SessiondbSession on PostgreSQL',
    pgUnavailable,
    async () => {
      const store = new PostgresStore({ connectionString: PG_URL, schema: pgSchema, max: 4 });
      await store.migrate();
      return store;
    },
    async (s) => {
      await s.close();
      await dropSchema(pgSchema);
    },
  ),
);

/** The store, with the options of every `getSession` call recorded. */
function readsRecorded(store: SessionStore): { store: SessionStore; reads: ReadOptions[] } {
  const reads: ReadOptions[] = [];
  const watched = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop !== 'getSession' || typeof value !== 'function') return value;
      return (key: SessionKey, options?: ReadOptions) => {
        reads.push(options ?? {});
        return target.getSession(key, options);
      };
    },
  });
  return { store: watched, reads };
}

/** The store, except that one call (`method#n`: the n-th call of that method) fails as if the process died just before it. */
function dyingBefore(store: SessionStore, call: string): SessionStore {
  const counts = new Map<string, number>();
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const n = (counts.get(String(prop)) ?? 0) + 1;
        counts.set(String(prop), n);
        if (`${String(prop)}#${n}` === call) return Promise.reject(new Error(`simulated crash before ${call}`));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

describe('SessiondbSession specifics (SQLite file)', () => {
  let store: SessionStore;
  beforeAll(async () => {
    store = await openStore(`sqlite:${join(dir, 'specifics.db')}`);
  });
  afterAll(() => store.close());
  const keyOf = async (session: SessiondbSession): Promise<SessionKey> => ({ appName: 'specifics', userId: 'u1', sessionId: await session.getSessionId() });

  it('stores one event per item, readable by people: roles, authors and text in exports and search', async () => {
    const session = new SessiondbSession({ store, appName: 'specifics', userId: 'u1' });
    const key = await keyOf(session);
    expect(await store.getSession(key)).toBeNull(); // created lazily, on the first write
    await session.addItems([
      user('What is the weather in Paris?'),
      { type: 'function_call', callId: 'c1', name: 'get_weather', arguments: '{"city":"Paris"}', status: 'completed' },
      { type: 'function_call_result', callId: 'c1', name: 'get_weather', status: 'completed', output: { type: 'text', text: 'Sunny' } },
      assistant('It is sunny in Paris.'),
    ]);
    const stored = (await store.getSession(key))!;
    expect(stored.events!.map((e) => [e.seq, e.role, e.author])).toEqual([
      [1, 'user', 'user'],
      [2, 'tool', 'get_weather'],
      [3, 'tool', 'get_weather'],
      [4, 'assistant', 'assistant'],
    ]);
    expect(stored.events![0]!.content).toBe('What is the weather in Paris?');
    const markdown = (await exportSession(store, key, 'markdown'))!;
    expect(markdown).toContain('What is the weather in Paris?');
    expect(markdown).toContain('It is sunny in Paris.');
    expect(markdown).toMatch(/Tool/);
    const hits = await store.searchEvents({ query: 'sunny paris', sessionId: key.sessionId });
    expect(hits.hits.map((h) => h.event?.seq)).toEqual([4]);
  });

  it('a second object with the same id (a restart) sees the same history', async () => {
    const first = new SessiondbSession({ store, appName: 'specifics', userId: 'u1', sessionId: 'restart-1' });
    await first.addItems([user('before the restart')]);
    const second = new SessiondbSession({ store, appName: 'specifics', userId: 'u1', sessionId: 'restart-1' });
    expect(await second.getItems()).toEqual([user('before the restart')]);
    await second.addItems([assistant('after')]);
    expect(await first.getItems()).toEqual([user('before the restart'), assistant('after')]);
  });

  it('popItem and clearSession rewind: what they removed stays readable as superseded events', async () => {
    const session = new SessiondbSession({ store, appName: 'specifics', userId: 'u1' });
    const key = await keyOf(session);
    await session.addItems([user('a'), assistant('b'), user('c')]);
    expect(await session.popItem()).toEqual(user('c'));
    await session.clearSession();
    const superseded = (await store.readSupersededEvents(key))!.events;
    expect(superseded.map((e) => [e.seq, e.content])).toEqual([
      [3, 'c'],
      [1, 'a'],
      [2, [{ type: 'output_text', text: 'b' }]],
    ]);
    expect(new Set(superseded.map((e) => e.supersededBy)).size).toBe(2); // two rewinds
    const markdown = (await exportSession(store, key, 'markdown', { includeSuperseded: true }))!;
    expect(markdown).toMatch(/Superseded/);
  });

  it('getItems(limit) reads only the last limit events', async () => {
    const { store: watched, reads } = readsRecorded(store);
    const session = new SessiondbSession({ store: watched, appName: 'specifics', userId: 'u1' });
    await session.addItems(Array.from({ length: 300 }, (_, i) => user(`m${i}`)));
    reads.length = 0;
    expect(await session.getItems(3)).toEqual([user('m297'), user('m298'), user('m299')]);
    expect(reads).toEqual([{ lastEvents: 3 }]);
  });

  it('a write that lost a race to another object is retried on the new history: nothing lost, nothing doubled', async () => {
    const a = new SessiondbSession({ store, appName: 'specifics', userId: 'u1', sessionId: 'two-objects' });
    const b = new SessiondbSession({ store, appName: 'specifics', userId: 'u1', sessionId: 'two-objects' });
    await a.addItems([user('a1')]);
    expect(await b.getItems()).toEqual([user('a1')]); // b now expects the version after a1
    await a.addItems([user('a2')]);
    await b.addItems([user('b1')]); // conflicts, re-reads, appends after a2
    expect(await b.popItem()).toEqual(user('b1'));
    await a.addItems([user('a3')]); // a's expected version is stale after b's writes
    expect(await a.popItem()).toEqual(user('a3'));
    expect(await b.popItem()).toEqual(user('a2')); // b's pop after a's writes removes the newest, not a stale one
    expect(await a.getItems()).toEqual([user('a1')]);
  });

  it('an append retried after a lost acknowledgement is stored once', async () => {
    const session = new SessiondbSession({ store, appName: 'specifics', userId: 'u1' });
    await session.addItems([user('first')]);
    // The same events (same ids) sent twice, as a retry after a lost answer does: the store keeps one copy.
    const key = await keyOf(session);
    const events = (await store.getSession(key))!.events!;
    await store.appendEvents(key, events.map(({ seq: _seq, ...e }) => e));
    expect(await session.getItems()).toEqual([user('first')]);
  });

  it('a transaction interrupted at any step is completed (or was never begun) for the next caller, from any object', async () => {
    // The writes of a replace_suffix: the intent (updateSession#1), the rewind, the append, the record (updateSession#2).
    for (const crashBefore of ['updateSession#1', 'rewindSession#1', 'appendEvents#1', 'updateSession#2']) {
      const key = { appName: 'specifics', userId: 'u1', sessionId: `crash-${crashBefore}` };
      await new SessiondbSession({ store, ...key }).addItems([user('q'), assistant('blocked')]);
      const op = {
        operationId: `op-${crashBefore}`,
        transaction: { type: 'replace_suffix' as const, expectedSuffix: [assistant('blocked')], replacement: [assistant('ok 1'), assistant('ok 2')] },
      };
      const dying = new SessiondbSession({ store: dyingBefore(store, crashBefore), ...key });
      await expect(dying.applyHistoryTransaction(op)).rejects.toThrow(/simulated crash/);
      const begun = crashBefore !== 'updateSession#1';
      const raw = (await store.getSession(key, { withEvents: false }))!;
      expect((raw.metadata['openaiAgents'] as { pending?: unknown } | undefined)?.pending !== undefined, crashBefore).toBe(begun);
      // Another object (another process, after a restart) finishes a begun transaction before it answers.
      const other = new SessiondbSession({ store, ...key });
      const expected = begun ? [user('q'), assistant('ok 1'), assistant('ok 2')] : [user('q'), assistant('blocked')];
      expect(await other.getItems(), crashBefore).toEqual(expected);
      // The caller's retry of the same operation: a replay when it had begun, else the first application.
      await other.applyHistoryTransaction(op);
      expect(await other.getItems()).toEqual([user('q'), assistant('ok 1'), assistant('ok 2')]);
      const after = (await store.getSession(key, { withEvents: false }))!;
      expect(after.metadata['openaiAgents']).toEqual({ operations: [[op.operationId, expect.any(String)]] });
      expect((await store.readSupersededEvents(key))!.events.map((e) => e.content)).toEqual([[{ type: 'output_text', text: 'blocked' }]]);
    }
  });

  it('keeps the caller metadata of the session when it records transactions', async () => {
    const session = new SessiondbSession({ store, appName: 'specifics', userId: 'u1' });
    const key = await keyOf(session);
    await session.addItems([user('q')]);
    await store.updateSession(key, { metadata: { title: 'Weather chat' } });
    await session.applyHistoryTransaction({ operationId: 'op-meta', transaction: { type: 'append_items', items: [assistant('a')] } });
    const after = (await store.getSession(key, { withEvents: false }))!;
    expect(after.metadata['title']).toBe('Weather chat');
    expect(await session.getItems()).toEqual([user('q'), assistant('a')]);
  });

  it('bad input is refused with an error naming the field, and changes nothing', async () => {
    expect(() => new SessiondbSession({ appName: 'a', userId: 'u' } as never)).toThrow(/exactly one of store/);
    expect(() => new SessiondbSession({ store, url: 'memory:', appName: 'a', userId: 'u' } as never)).toThrow(/exactly one of store/);
    expect(() => new SessiondbSession({ store, appName: '', userId: 'u' })).toThrow(/options\.appName/);
    expect(() => new SessiondbSession({ store, appName: 'a', userId: 'u', sessionId: '' })).toThrow(/options\.sessionId/);
    const session = new SessiondbSession({ store, appName: 'specifics', userId: 'u1' });
    await session.addItems([user('kept')]);
    await expect(session.getItems(-1)).rejects.toThrow(/Invalid limit/);
    await expect(session.getItems(1.5)).rejects.toThrow(/Invalid limit/);
    await expect(session.addItems('hi' as never)).rejects.toThrow(/Invalid items/);
    await expect(session.addItems([user('ok'), 'hi' as never])).rejects.toThrow(/items\[1\]: must be an AgentInputItem/);
    await expect(session.addItems([user('ok'), { content: 'no type, no role' } as never])).rejects.toThrow(/items\[1\]: must be an AgentInputItem/);
    await expect(session.addItems([{ role: 'user', content: [{ type: 'input_text', text: 'x', when: new Date(0) }] } as never])).rejects.toThrow(
      /items\[0\]\.content\[0\]\.when: is an object of another kind \(Date\)/,
    );
    await expect(session.addItems([{ role: 'user', content: 'x', providerData: { n: Number.NaN } } as never])).rejects.toThrow(/items\[0\]\.providerData\.n/);
    const cyclic: Record<string, unknown> = { type: 'unknown' };
    cyclic['providerData'] = { self: cyclic };
    await expect(session.addItems([cyclic as never])).rejects.toThrow(/items\[0\]\.providerData\.self: refers to itself/);
    await expect(session.addItems([user('x'.repeat(1024 * 1024 + 1))])).rejects.toThrow(/too large/);
    expect(await session.getItems()).toEqual([user('kept')]);
  });

  it('more items than one append may hold are written in appends of the largest size, in order', async () => {
    const small = await openStore('memory:', { limits: { maxEventsPerAppend: 3 } });
    const session = new SessiondbSession({ store: small, appName: 'specifics', userId: 'u1', sessionId: 'chunks' });
    const items = Array.from({ length: 7 }, (_, i) => user(`m${i}`));
    await session.addItems(items);
    expect(await session.getItems()).toEqual(items);
    expect((await small.getSession({ appName: 'specifics', userId: 'u1', sessionId: 'chunks' }, { withEvents: false }))!.version).toBe(1 + 3);
    await small.close();
  });

  it('a transaction too large to hold in the session metadata is refused and changes nothing', async () => {
    const small = await openStore('memory:', { limits: { maxJsonBytes: 2000 } });
    const session = new SessiondbSession({ store: small, appName: 'specifics', userId: 'u1' });
    await session.addItems([user('q')]);
    const err = await session.applyHistoryTransaction({ operationId: 'big', transaction: { type: 'append_items', items: [assistant('x'.repeat(3000))] } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'too_large', field: 'transaction' });
    expect(await session.getItems()).toEqual([user('q')]);
    await small.close();
  });

  it('opens a store from a URL on first use and closes it', async () => {
    const path = join(dir, 'by-url.db');
    const session = new SessiondbSession({ url: `sqlite:${path}`, appName: 'specifics', userId: 'u1', sessionId: 'by-url' });
    await session.addItems([user('persisted')]);
    await session.close();
    const again = new SessiondbSession({ url: `sqlite:${path}`, appName: 'specifics', userId: 'u1', sessionId: 'by-url' });
    expect(await again.getItems()).toEqual([user('persisted')]);
    await again.close();
  });
});
