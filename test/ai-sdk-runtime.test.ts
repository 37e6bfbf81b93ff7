// The AI SDK's own runtime (streamText with its mock model, toUIMessageStreamResponse with
// originalMessages and onFinish) saving through sessiondb/ai-sdk, on memory, SQLite and
// PostgreSQL; another process reading and continuing a chat through the built package; the
// README example.
import { join } from 'node:path';
import { convertToModelMessages, createIdGenerator, generateId, stepCountIs, streamText, validateUIMessages } from 'ai';
import type { MockLanguageModelV3 } from 'ai/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatStore, type ChatStore, type SaveResult } from '../src/adapters/ai-sdk/index.js';
import { backends, titled, type Opened } from './fixtures/ai-sdk/backends.js';
import { scriptedModel, textStep, toolCallStep } from './fixtures/ai-sdk/scripted-model.js';
import { tools, type ToolMessage } from './fixtures/ai-sdk/tools.js';
import { runTs } from './helpers.js';
import { runRecordingModules } from './module-hooks.js';
import { runExample } from './readme-helpers.js';

const user = (id: string, text: string): ToolMessage => ({ id, role: 'user', parts: [{ type: 'text', text }] });
/** The AI SDK's own check of stored messages against the tools, as a route does before calling the model. */
const validate = (messages: ToolMessage[]) => validateUIMessages<ToolMessage>({ messages, tools });
const textOf = (message: ToolMessage | undefined) => message?.parts.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('');

interface Turn {
  /** What onFinish handed to saveChat. */
  finished: ToolMessage[];
  saved: SaveResult;
  body: string;
}

/**
 * One request of a chat route: the model streams, the client reads the whole response, and
 * `onFinish` saves the messages through the chat store (as the AI SDK's persistence guide does).
 */
async function chatTurn(chats: ChatStore<ToolMessage>, chatId: string, model: MockLanguageModelV3, originalMessages: ToolMessage[]): Promise<Turn> {
  const result = streamText({ model, messages: await convertToModelMessages(originalMessages, { tools }), tools, stopWhen: stepCountIs(4) });
  let finished: ToolMessage[] = [];
  let saved: SaveResult | undefined;
  const response = result.toUIMessageStreamResponse({
    originalMessages,
    generateMessageId: createIdGenerator({ prefix: 'msg', size: 16 }),
    onFinish: async ({ messages }) => {
      finished = messages;
      saved = await chats.saveChat({ chatId, messages });
    },
  });
  const body = await response.text();
  if (!saved) throw new Error(`onFinish did not save; the stream said: ${body}`);
  return { finished, saved, body };
}

for (const backend of await backends('ai-sdk-runtime')) {
  describe(`streamText + toUIMessageStreamResponse saving through the chat store on ${backend.name}`, () => {
    let opened: Opened;
    let chats: ChatStore<ToolMessage>;
    beforeAll(async () => {
      if (backend.skip) return;
      opened = await backend.open();
      chats = createChatStore<ToolMessage>({ store: opened.store, appName: 'chat-app' });
    });
    afterAll(async () => {
      await chats?.close();
      await opened?.close();
    });
    const test = (title: string, fn: () => Promise<void>) => it.skipIf(backend.skip)(titled(backend, title), fn);
    const key = (chatId: string) => ({ appName: 'chat-app', userId: 'u1', sessionId: chatId });

    test('two turns are saved by onFinish, load back valid, and a regenerate replaces the last answer', async () => {
      const chatId = await chats.createChat({ userId: 'u1' });
      const model = scriptedModel([textStep('Hello! How can I help?'), textStep('Green tea, steeped for two minutes.'), textStep('Oolong, then.')]);

      const first = await chatTurn(chats, chatId, model, [user('u-1', 'Hi')]);
      expect(first.saved).toEqual({ appended: 2, superseded: 0 });
      let loaded = await chats.loadChat(chatId);
      expect(loaded).toEqual(first.finished);
      expect(await validate(loaded)).toEqual(loaded);
      expect(textOf(loaded[1])).toBe('Hello! How can I help?');

      // The second request carries the stored chat and the new message; only the new turn is written.
      const second = await chatTurn(chats, chatId, model, [...loaded, user('u-2', 'Which tea?')]);
      expect(second.saved).toEqual({ appended: 2, superseded: 0 });
      loaded = await validate(await chats.loadChat(chatId));
      expect(loaded.map((m) => m.id)).toEqual(['u-1', first.finished[1]!.id, 'u-2', second.finished[3]!.id]);
      expect(JSON.stringify(model.doStreamCalls[1]!.prompt)).toContain('Hello! How can I help?');

      // Regenerate: the client drops the last answer and asks again; the new answer replaces it.
      const regenerated = await chatTurn(chats, chatId, model, loaded.slice(0, -1));
      expect(regenerated.saved).toEqual({ appended: 1, superseded: 1 });
      const after = await validate(await chats.loadChat(chatId));
      expect(after).toEqual(regenerated.finished);
      expect(after.slice(0, 3)).toEqual(loaded.slice(0, 3));
      expect(textOf(after[3])).toBe('Oolong, then.');
      const superseded = (await opened.store.readSupersededEvents(key(chatId)))!.events;
      expect(superseded.map((e) => e.id)).toEqual([loaded[3]!.id]);
      expect(JSON.stringify(superseded[0]!.content)).toContain('Green tea, steeped for two minutes.');
    });

    test('tool calls (a tool with execute) round-trip and validate against the tools', async () => {
      const chatId = await chats.createChat({ userId: 'u1' });
      const model = scriptedModel([toolCallStep('call-1', 'weather', { city: 'Paris' }), textStep('It is 20°C in Paris.'), textStep('You asked about Paris.')]);
      const turn = await chatTurn(chats, chatId, model, [user('u-1', 'Weather in Paris?')]);
      const loaded = await chats.loadChat(chatId);
      expect(loaded).toEqual(turn.finished);
      const toolPart = loaded[1]!.parts.find((p) => p.type === 'tool-weather');
      expect(toolPart).toMatchObject({ toolCallId: 'call-1', state: 'output-available', input: { city: 'Paris' }, output: { city: 'Paris', tempC: 20 } });
      expect(await validate(loaded)).toEqual(loaded);

      // The model of the next turn is sent the stored call and its result.
      await chatTurn(chats, chatId, model, [...loaded, user('u-2', 'What did I ask?')]);
      const prompt = JSON.stringify(model.doStreamCalls[2]!.prompt);
      expect(prompt).toContain('"toolCallId":"call-1"');
      expect(prompt).toContain('"tempC":20');
    });

    test('a tool approval continues the last message: its new version (same id) replaces the stored one', async () => {
      const chatId = await chats.createChat({ userId: 'u1' });
      const model = scriptedModel([toolCallStep('call-9', 'refund', { orderId: 'A1' }), textStep('Refunded.')]);
      const asked = await chatTurn(chats, chatId, model, [user('u-1', 'Refund order A1')]);
      const stored = await chats.loadChat(chatId);
      const request = stored[1]!.parts.find((p) => p.type === 'tool-refund');
      expect(request).toMatchObject({ state: 'approval-requested', approval: { id: expect.any(String) } });

      // What useChat's addToolApprovalResponse does on the client, then the next request.
      const approved = structuredClone(stored);
      const part = approved[1]!.parts.find((p) => p.type === 'tool-refund') as { state: string; approval: { id: string; approved?: boolean } };
      part.state = 'approval-responded';
      part.approval.approved = true;
      const continued = await chatTurn(chats, chatId, model, await validate(approved));
      expect(continued.finished[1]!.id).toBe(asked.finished[1]!.id);
      expect(continued.saved).toEqual({ appended: 1, superseded: 1 });
      const loaded = await validate(await chats.loadChat(chatId));
      expect(loaded.find((m) => m.id === asked.finished[1]!.id)!.parts.find((p) => p.type === 'tool-refund')).toMatchObject({
        state: 'output-available',
        output: { refunded: 'A1' },
        approval: { approved: true },
      });
      expect(textOf(loaded[1])).toBe('Refunded.');
      const superseded = (await opened.store.readSupersededEvents(key(chatId)))!.events;
      expect(JSON.stringify(superseded.map((e) => e.content))).toContain('approval-requested');
    });

    test('resumable streams: consumeSseStream records the active stream id, onFinish clears it', async () => {
      const chatId = await chats.createChat({ userId: 'u1' });
      const observer = createChatStore<ToolMessage>({ ...(opened.url ? { url: opened.url } : { store: opened.store }), appName: 'chat-app' });
      const model = scriptedModel([textStep('A long answer, streamed.')]);
      const originalMessages = [user('u-1', 'Tell me a story')];
      const result = streamText({ model, messages: await convertToModelMessages(originalMessages) });
      let registered!: Promise<string>;
      let seenMidStream: string | null = null;
      const response = result.toUIMessageStreamResponse({
        originalMessages,
        generateMessageId: generateId,
        consumeSseStream: ({ stream }) => {
          // Where a resumable-stream publisher would take the copy of the stream.
          void stream.pipeTo(new WritableStream());
          registered = (async () => {
            const streamId = generateId();
            await chats.setActiveStreamId(chatId, streamId);
            seenMidStream = await observer.getActiveStreamId(chatId);
            return streamId;
          })();
        },
        onFinish: async ({ messages }) => {
          await chats.saveChat({ chatId, messages });
          await chats.setActiveStreamId(chatId, null, { expectStreamId: await registered });
        },
      });
      await response.text();
      expect(seenMidStream).toBe(await registered);
      expect(await observer.getActiveStreamId(chatId)).toBeNull();
      expect(textOf((await observer.loadChat(chatId))[1])).toBe('A long answer, streamed.');
      await observer.close();
    });
  });
}

describe('the built package (sessiondb/ai-sdk) in another process', () => {
  it('loads nothing of the AI SDK: every module the import resolves is recorded', () => {
    const run = runRecordingModules(`
      const { createChatStore } = await import('sessiondb/ai-sdk');
      const chats = createChatStore({ url: 'memory:', appName: 'a' });
      const chatId = await chats.createChat({ userId: 'u' });
      await chats.saveChat({ chatId, messages: [{ id: 'm1', role: 'user', parts: [{ type: 'text', text: 'hi' }] }] });
      console.log((await chats.loadChat(chatId)).length);
    `);
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('1');
    const resolved = run.resolved;
    expect(resolved.some((u) => u.endsWith('/dist/adapters/ai-sdk/index.js'))).toBe(true);
    expect(resolved.filter((u) => /\/node_modules\/(ai|@ai-sdk)\//.test(u))).toEqual([]);
  });

  it('sees the chat and its active stream id, continues it, and this process sees that turn', async () => {
    const [sqlite] = (await backends('ai-sdk-process')).filter((b) => b.name === 'SQLite');
    const opened = await sqlite!.open();
    const chats = createChatStore<ToolMessage>({ store: opened.store, appName: 'chat-app' });
    try {
      const chatId = await chats.createChat({ userId: 'u1', title: 'Weather' });
      const model = scriptedModel([toolCallStep('call-1', 'weather', { city: 'Paris' }), textStep('It is 20°C in Paris.')]);
      await chatTurn(chats, chatId, model, [user('u-1', 'Weather in Paris?')]);
      await chats.setActiveStreamId(chatId, 'stream-in-flight');

      const report = JSON.parse(await runTs(join(import.meta.dirname, 'fixtures', 'ai-sdk', 'next-turn.ts'), [opened.url!, chatId]));
      expect(report).toMatchObject({ activeStreamId: 'stream-in-flight', loaded: 2, saved: { appended: 2, superseded: 0 } });
      expect(report.promptSeen).toContain('"tempC":20');

      const loaded = await validate(await chats.loadChat(chatId));
      expect(loaded.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
      expect(loaded[3]!.id).toMatch(/^child-/);
      expect(textOf(loaded[3])).toBe('Still 20°C in Paris.');
      expect(await chats.getActiveStreamId(chatId)).toBe('from-the-other-process');
    } finally {
      await chats.close();
      await opened.close();
    }
  }, 30_000);
});

describe('README', () => {
  it('runs the AI SDK example', () => {
    runExample('ai-sdk', [
      ["import { createChatStore } from 'sessiondb/ai-sdk';", `import { createChatStore } from 'sessiondb/ai-sdk';\nimport { readmeModel } from '${join(import.meta.dirname, 'fixtures', 'ai-sdk', 'readme-model.ts')}';`],
      ["'openai/gpt-5-mini'", 'readmeModel()'],
    ]);
  }, 30_000);
});
