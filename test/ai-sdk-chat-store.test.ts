// sessiondb/ai-sdk's chat store on memory, a SQLite file and PostgreSQL: what saveChat writes,
// listing, deletion, the active stream id, and refusals. Messages are hand-written UIMessages.
import { validateUIMessages, type UIMessage } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatStore, type ChatStore } from '../src/adapters/ai-sdk/index.js';
import type { SessionDbError } from '../src/core/errors.js';
import { backends, titled, type Opened } from './fixtures/ai-sdk/backends.js';

const user = (id: string, text: string): UIMessage => ({ id, role: 'user', parts: [{ type: 'text', text }] });
const assistant = (id: string, text: string, metadata?: unknown): UIMessage => ({
  id,
  role: 'assistant',
  ...(metadata === undefined ? {} : { metadata }),
  parts: [{ type: 'step-start' }, { type: 'text', text, state: 'done' }],
});

/** One message of every part kind and tool state the AI SDK stores, with falsy and nested values. */
const everyKind: UIMessage[] = [
  { id: 'sys', role: 'system', parts: [{ type: 'text', text: 'Be brief.' }] },
  {
    id: 'u-1',
    role: 'user',
    metadata: { createdAt: 1_700_000_000_000, tags: [], draft: false, note: null },
    parts: [
      { type: 'text', text: '' },
      { type: 'file', mediaType: 'image/png', filename: 'dot.png', url: 'data:image/png;base64,iVBORw0KGgo=' },
    ],
  },
  {
    id: 'a-1',
    role: 'assistant',
    metadata: 'a string is metadata too',
    parts: [
      { type: 'step-start' },
      { type: 'reasoning', text: 'Thinking…', state: 'done', providerMetadata: { vendor: { signature: 'sig' } } },
      { type: 'tool-weather', toolCallId: 'c1', state: 'input-streaming', input: { city: 'Par' }, rawInput: '{"city":"Par' },
      { type: 'tool-weather', toolCallId: 'c2', state: 'input-available', input: { city: 'Paris' }, callProviderMetadata: { vendor: { x: 1 } } },
      { type: 'tool-weather', toolCallId: 'c3', state: 'approval-requested', input: { city: 'Rome' }, approval: { id: 'ap-1' } },
      { type: 'tool-weather', toolCallId: 'c4', state: 'approval-responded', input: { city: 'Oslo' }, approval: { id: 'ap-2', approved: false, reason: 'no' } },
      { type: 'tool-weather', toolCallId: 'c5', state: 'output-available', input: { city: 'Lima' }, output: { tempC: 0, rain: false, days: [[1, 2], []] }, preliminary: false },
      { type: 'tool-weather', toolCallId: 'c6', state: 'output-error', input: { city: '' }, errorText: 'unknown city' },
      { type: 'tool-weather', toolCallId: 'c7', state: 'output-denied', input: { city: 'Oslo' }, approval: { id: 'ap-2', approved: false, reason: 'no' } },
      { type: 'dynamic-tool', toolName: 'lookup', toolCallId: 'c8', state: 'output-available', input: { q: 'x' }, output: 'found' },
      { type: 'source-url', sourceId: 's1', url: 'https://example.com/a', title: 'A' },
      { type: 'source-document', sourceId: 's2', mediaType: 'application/pdf', title: 'Doc', filename: 'doc.pdf' },
      { type: 'data-weather', id: 'd1', data: { city: 'Paris', status: 'done', unicode: 'Ça va — 👋' } },
      { type: 'text', text: 'Sunny.', state: 'done', providerMetadata: { vendor: { id: 'r1' } } },
    ],
  },
];

for (const backend of await backends('ai-sdk-chats')) {
  describe(`the chat store on ${backend.name}`, () => {
    let opened: Opened;
    let chats: ChatStore<UIMessage>;
    beforeAll(async () => {
      if (backend.skip) return;
      opened = await backend.open();
      chats = createChatStore<UIMessage>({ store: opened.store, appName: 'chat-app' });
    });
    afterAll(async () => {
      await chats?.close();
      await opened?.close();
    });
    const test = (title: string, fn: () => Promise<void>) => it.skipIf(backend.skip)(titled(backend, title), fn);
    const key = (userId: string, chatId: string) => ({ appName: 'chat-app', userId, sessionId: chatId });
    const versionOf = async (userId: string, chatId: string) => (await opened.store.getSession(key(userId, chatId), { withEvents: false }))!.version;

    test('round-trips every field of every part kind, and the loaded chat validates', async () => {
      const chatId = await chats.createChat({ userId: 'u1' });
      expect(await chats.saveChat({ chatId, messages: everyKind })).toEqual({ appended: 3, superseded: 0 });
      const loaded = await chats.loadChat(chatId);
      expect(loaded).toEqual(everyKind);
      expect(await validateUIMessages({ messages: loaded })).toEqual(loaded);
      // What was loaded (keys possibly reordered by the database) is the same chat: saving it writes nothing.
      expect(await chats.saveChat({ chatId, messages: loaded })).toEqual({ appended: 0, superseded: 0 });
      // Each message is one event: its id, its role as author and role, its parts as content.
      const events = (await opened.store.readEvents(key('u1', chatId)))!.events;
      expect(events.map((e) => [e.seq, e.id, e.author, e.role])).toEqual([
        [1, 'sys', 'system', 'system'],
        [2, 'u-1', 'user', 'user'],
        [3, 'a-1', 'assistant', 'assistant'],
      ]);
      expect(events[2]!.content).toEqual(everyKind[2]!.parts);
    });

    test('saving the same list twice stores nothing; new messages are appended, the rest untouched', async () => {
      const chatId = await chats.createChat({ userId: 'u1' });
      const turn1 = [user('m1', 'Hi'), assistant('m2', 'Hello!', { model: 'x' })];
      expect(await chats.saveChat({ chatId, messages: turn1 })).toEqual({ appended: 2, superseded: 0 });
      const version = await versionOf('u1', chatId);
      const before = (await opened.store.readEvents(key('u1', chatId)))!.events;
      expect(await chats.saveChat({ chatId, messages: turn1 })).toEqual({ appended: 0, superseded: 0 });
      expect(await versionOf('u1', chatId)).toBe(version);

      const turn2 = [...turn1, user('m3', 'Tea?'), assistant('m4', 'Green.')];
      expect(await chats.saveChat({ chatId, messages: turn2 })).toEqual({ appended: 2, superseded: 0 });
      const after = (await opened.store.readEvents(key('u1', chatId)))!.events;
      expect(after.slice(0, 2)).toEqual(before);
      expect(await chats.loadChat(chatId)).toEqual(turn2);
      expect((await opened.store.readSupersededEvents(key('u1', chatId)))!.events).toEqual([]);
    });

    test('a regenerated answer replaces the stored one, which stays readable as superseded', async () => {
      const chatId = await chats.createChat({ userId: 'u1' });
      const history = [user('m1', 'Hi'), assistant('m2', 'Hello!'), user('m3', 'A poem?')];
      await chats.saveChat({ chatId, messages: [...history, assistant('m4', 'Roses are red.')] });
      expect(await chats.saveChat({ chatId, messages: [...history, assistant('m5', 'Violets are blue.')] })).toEqual({ appended: 1, superseded: 1 });
      expect(await chats.loadChat(chatId)).toEqual([...history, assistant('m5', 'Violets are blue.')]);
      const superseded = (await opened.store.readSupersededEvents(key('u1', chatId)))!.events;
      expect(superseded.map((e) => [e.id, e.seq, (e.content as { text?: string }[])[1]?.text])).toEqual([['m4', 4, 'Roses are red.']]);
    });

    test('a message saved again with new content (same id) is stored anew; the old version is superseded', async () => {
      const chatId = await chats.createChat({ userId: 'u1' });
      await chats.saveChat({ chatId, messages: [user('m1', 'Hi'), assistant('m2', 'Hel')] });
      expect(await chats.saveChat({ chatId, messages: [user('m1', 'Hi'), assistant('m2', 'Hello there')] })).toEqual({ appended: 1, superseded: 1 });
      expect(await chats.loadChat(chatId)).toEqual([user('m1', 'Hi'), assistant('m2', 'Hello there')]);
      // Metadata counts as content too.
      expect(await chats.saveChat({ chatId, messages: [user('m1', 'Hi'), assistant('m2', 'Hello there', { done: true })] })).toEqual({
        appended: 1,
        superseded: 1,
      });
      const superseded = (await opened.store.readSupersededEvents(key('u1', chatId)))!.events;
      expect(superseded.map((e) => e.id)).toEqual(['m2', 'm2']);
    });

    test('a list that differs in the middle rewinds to the common prefix; an empty list clears the chat', async () => {
      const chatId = await chats.createChat({ userId: 'u1' });
      const stored = [user('m1', 'Hi'), assistant('m2', 'Hello!'), user('m3', 'Tea?'), assistant('m4', 'Green.')];
      await chats.saveChat({ chatId, messages: stored });
      const edited = [user('m1', 'Hi'), assistant('m2', 'Hello!'), user('m3b', 'Coffee?'), assistant('m4b', 'Black.')];
      expect(await chats.saveChat({ chatId, messages: edited })).toEqual({ appended: 2, superseded: 2 });
      expect(await chats.loadChat(chatId)).toEqual(edited);
      // A list sharing nothing with the stored one replaces it all.
      expect(await chats.saveChat({ chatId, messages: [user('x1', 'New start')] })).toEqual({ appended: 1, superseded: 4 });
      expect(await chats.saveChat({ chatId, messages: [] })).toEqual({ appended: 0, superseded: 1 });
      expect(await chats.loadChat(chatId)).toEqual([]);
      expect((await chats.getChat(chatId))!.messageCount).toBe(0);
      expect((await opened.store.readSupersededEvents(key('u1', chatId)))!.events.map((e) => e.id)).toEqual(['m3', 'm4', 'm1', 'm2', 'm3b', 'm4b', 'x1']);
    });

    test('bad messages are refused, naming the field, before anything is written', async () => {
      const chatId = await chats.createChat({ userId: 'u1' });
      const good = [user('m1', 'Hi'), assistant('m2', 'Hello!')];
      await chats.saveChat({ chatId, messages: good });
      const version = await versionOf('u1', chatId);
      const refusals: [unknown, string, RegExp][] = [
        [[user('m1', 'Hi'), { ...assistant('', 'Hello') }], 'messages[1].id', /generateMessageId/],
        [[user('m1', 'Hi'), user('m1', 'again')], 'messages[1].id', /appears twice/],
        [[user('m1', 'Hi'), { ...assistant('m3', 'x'), role: 'tool' }], 'messages[1].role', /system, user, assistant/],
        [[user('m1', 'Hi'), { id: 'm3', role: 'assistant', parts: 'text' }], 'messages[1].parts', /array/],
        [[user('m1', 'Hi'), user('m3', 'nul \u0000 inside')], 'messages[1].parts', /NUL/],
        [[user('m1', 'Hi'), user('m3', 'x'.repeat(1024 * 1024 + 1))], 'messages[1].parts', /too large/],
        [[user('m1', 'Hi'), { ...user('m3', 'x'), metadata: { at: 1n } }], 'messages[1]', /JSON/],
        [[user('m1', 'Hi'), null], 'messages[1]', /message object/],
        ['not a list', 'messages', /array/],
      ];
      for (const [messages, field, problem] of refusals) {
        const err = (await chats.saveChat({ chatId, messages: messages as UIMessage[] }).catch((e: unknown) => e)) as SessionDbError;
        expect(err.details?.['field'], String(field)).toBe(field);
        expect(err.message).toMatch(problem);
      }
      const capped = createChatStore<UIMessage>({ store: opened.store, appName: 'chat-app', maxMessages: 2 });
      await expect(capped.saveChat({ chatId, messages: [...good, user('m3', 'x')] })).rejects.toMatchObject({ code: 'too_large', details: { field: 'messages', limit: 2, actual: 3 }, message: /maxMessages/ });
      expect(await versionOf('u1', chatId)).toBe(version);
      expect(await chats.loadChat(chatId)).toEqual(good);
      expect((await opened.store.readSupersededEvents(key('u1', chatId)))!.events).toEqual([]);
    });

    test('concurrent saves and stream-id writes never interleave: the chat is one of the saved lists', async () => {
      const chatId = await chats.createChat({ userId: 'u1' });
      const base = [user('m1', 'Hi'), assistant('m2', 'Hello!')];
      await chats.saveChat({ chatId, messages: base });
      const a = [...base, user('a1', 'From tab A'), assistant('a2', 'Answer A')];
      const b = [...base, user('b1', 'From tab B'), assistant('b2', 'Answer B')];
      const other = createChatStore<UIMessage>({ store: opened.store, appName: 'chat-app' });
      await Promise.all([
        chats.saveChat({ chatId, messages: a }),
        other.saveChat({ chatId, messages: b }),
        chats.setActiveStreamId(chatId, 'stream-1'),
        other.setTitle(chatId, 'Two tabs'),
      ]);
      const final = await chats.loadChat(chatId);
      expect([a, b]).toContainEqual(final);
      // The save that committed first was rewound by the other: superseded, not lost.
      const loser = final[2]!.id === 'a1' ? b : a;
      const superseded = (await opened.store.readSupersededEvents(key('u1', chatId)))!.events.map((e) => e.id);
      expect(superseded).toEqual([loser[2]!.id, loser[3]!.id]);
      expect(await chats.getChat(chatId)).toMatchObject({ messageCount: 4, title: 'Two tabs', activeStreamId: 'stream-1' });
    });

    test('chat ids are unique in the app: createChat is idempotent for its user and refused for another', async () => {
      const chatId = await chats.createChat({ userId: 'owner', title: 'First' });
      expect(chatId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
      expect(await chats.createChat({ userId: 'owner', chatId })).toBe(chatId);
      const taken = (await chats.createChat({ userId: 'intruder', chatId }).catch((e: unknown) => e)) as SessionDbError;
      expect(taken.code).toBe('exists');
      expect(taken.message).not.toContain('owner');
      expect(await opened.store.getSession(key('intruder', chatId))).toBeNull();
      expect(await chats.getChat(chatId)).toMatchObject({ chatId, userId: 'owner', title: 'First', messageCount: 0, activeStreamId: null });
      await chats.setTitle(chatId, 'Renamed');
      expect((await chats.getChat(chatId))!.title).toBe('Renamed');
      await chats.setTitle(chatId, null);
      expect(await chats.getChat(chatId)).not.toHaveProperty('title');
      // Another app's chat store does not see this app's chats.
      expect(await createChatStore({ store: opened.store, appName: 'other-app' }).getChat(chatId)).toBeNull();
    });

    test("listChats pages a user's chats, most recently updated first", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await chats.createChat({ userId: 'pager', title: `Chat ${i}` }));
      await chats.createChat({ userId: 'someone-else' });
      await new Promise((resolve) => setTimeout(resolve, 5));
      await chats.saveChat({ chatId: ids[1]!, messages: [user('m1', 'bump')] });
      const seen: { chatId: string; title?: string; messageCount: number; updatedAt: number }[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await chats.listChats({ userId: 'pager', limit: 2, cursor });
        expect(page.chats.length).toBeLessThanOrEqual(2);
        seen.push(...page.chats);
        cursor = page.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen[0]).toMatchObject({ chatId: ids[1], title: 'Chat 1', messageCount: 1 });
      expect(seen.map((c) => c.chatId).sort()).toEqual([...ids].sort());
      // Newest update first; chats updated in the same millisecond by id, descending.
      const order = [...seen].sort((x, y) => y.updatedAt - x.updatedAt || (y.chatId < x.chatId ? -1 : 1));
      expect(seen).toEqual(order);
      expect((await chats.listChats({ userId: 'nobody' })).chats).toEqual([]);
    });

    test('deleteChat removes the chat and its index record; its id can be used again', async () => {
      const chatId = await chats.createChat({ userId: 'u1' });
      await chats.saveChat({ chatId, messages: [user('m1', 'Hi')] });
      expect(await chats.deleteChat(chatId)).toBe(true);
      expect(await chats.deleteChat(chatId)).toBe(false);
      expect(await chats.getChat(chatId)).toBeNull();
      await expect(chats.loadChat(chatId)).rejects.toMatchObject({ code: 'not_found', name: 'ChatNotFoundError' });
      await expect(chats.saveChat({ chatId, messages: [] })).rejects.toMatchObject({ code: 'not_found' });
      await expect(chats.getActiveStreamId(chatId)).rejects.toMatchObject({ code: 'not_found' });
      expect((await opened.store.listFiles({ appName: 'chat-app', userId: 'u1', sessionId: chatId })).files).toEqual([]);
      expect(await chats.createChat({ userId: 'u2', chatId })).toBe(chatId);
      expect((await chats.getChat(chatId))!.userId).toBe('u2');

      // Deleted behind the chat store's back (the console, the CLI, a sweep): its index record goes with it.
      await chats.saveChat({ chatId, messages: [user('m1', 'Hi')] }); // the owner is cached now
      expect(await opened.store.deleteSession(key('u2', chatId))).toBe(true);
      expect((await opened.store.listFiles({})).files.filter((f) => f.sessionId === chatId)).toEqual([]);
      await expect(chats.loadChat(chatId)).rejects.toMatchObject({ code: 'not_found' });
      expect(await chats.createChat({ userId: 'u3', chatId })).toBe(chatId);

      // An expiry sweep in delete mode takes the index record along too.
      await opened.store.updateSession(key('u3', chatId), { expiresAt: 1 });
      expect((await opened.store.sweepExpired({ now: 2, mode: 'delete' })).sessions).toBe(1);
      expect(await chats.getChat(chatId)).toBeNull();
      expect((await opened.store.listFiles({})).files.filter((f) => f.sessionId === chatId)).toEqual([]);
    });

    test('the active stream id is stored with the chat, seen by a new store instance, and cleared with null', async () => {
      const chatId = await chats.createChat({ userId: 'u1', title: 'Streaming' });
      expect(await chats.getActiveStreamId(chatId)).toBeNull();
      expect(await chats.setActiveStreamId(chatId, 'stream-1')).toBe(true);
      // A regenerate (a rewind) leaves it alone.
      await chats.saveChat({ chatId, messages: [user('m1', 'Hi'), assistant('m2', 'A')] });
      await chats.saveChat({ chatId, messages: [user('m1', 'Hi'), assistant('m3', 'B')] });

      const again = opened.url ? createChatStore<UIMessage>({ url: opened.url, appName: 'chat-app' }) : createChatStore<UIMessage>({ store: opened.store, appName: 'chat-app' });
      try {
        expect(await again.getActiveStreamId(chatId)).toBe('stream-1');
        expect(await again.loadChat(chatId)).toEqual([user('m1', 'Hi'), assistant('m3', 'B')]);
        // A late "finished" of an older stream does not clear the newer one.
        expect(await again.setActiveStreamId(chatId, 'stream-2', { expectStreamId: 'stream-1' })).toBe(true);
        expect(await chats.setActiveStreamId(chatId, null, { expectStreamId: 'stream-1' })).toBe(false);
        expect(await chats.getActiveStreamId(chatId)).toBe('stream-2');
        expect(await chats.setActiveStreamId(chatId, null, { expectStreamId: 'stream-2' })).toBe(true);
        expect(await again.getActiveStreamId(chatId)).toBeNull();
        expect(await again.setActiveStreamId(chatId, 'stream-3', { expectStreamId: null })).toBe(true);
        expect(await chats.getChat(chatId)).toMatchObject({ title: 'Streaming', activeStreamId: 'stream-3' });
        await expect(chats.setActiveStreamId(chatId, '')).rejects.toMatchObject({ code: 'invalid', details: { field: 'streamId' } });
      } finally {
        await again.close();
      }
      // Closing a chat store opened from a URL closes its own store only.
      expect(await chats.getActiveStreamId(chatId)).toBe('stream-3');
    });
  });
}

describe('createChatStore options', () => {
  it('refuses bad options, naming the field', () => {
    expect(() => createChatStore({ appName: 'a' } as never)).toThrow(/exactly one of store/);
    expect(() => createChatStore({ url: 'sqlite::memory:' } as never)).toThrow(/options\.appName/);
    expect(() => createChatStore({ url: 'sqlite::memory:', appName: 'a', maxMessages: 0 })).toThrow(/options\.maxMessages/);
  });

  it('refuses bad ids before reaching the store', async () => {
    const chats = createChatStore({ url: 'memory:', appName: 'a' });
    await expect(chats.createChat({ userId: '' })).rejects.toMatchObject({ code: 'invalid', details: { field: 'userId' } });
    await expect(chats.createChat({ userId: 'u', chatId: 'x'.repeat(129) })).rejects.toMatchObject({ code: 'too_large', details: { field: 'chatId' } });
    await expect(chats.loadChat('no-such-chat')).rejects.toMatchObject({ code: 'not_found' });
    await expect(chats.listChats({ userId: 'u', limit: 0 })).rejects.toMatchObject({ code: 'invalid', details: { field: 'limit' } });
    await chats.close();
  });
});
