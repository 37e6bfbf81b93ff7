// The export formats, pinned by golden files (regenerate with UPDATE_GOLDEN=1 after a deliberate change).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportSession, importSessionExport, MemoryStore, SqliteStore, type Clock } from '../src/index.js';
import { contentText } from '../src/transfer/session-export.js';

const golden = join(import.meta.dirname, 'golden');
const clock: Clock = { now: () => Date.UTC(2026, 10, 21, 9, 30, 0) };
const key = { appName: 'support', userId: 'ada', sessionId: 'conv-1' };

function pin(name: string, actual: string): void {
  const path = join(golden, name);
  if (process.env['UPDATE_GOLDEN'] || !existsSync(path)) writeFileSync(path, actual);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

async function conversation() {
  const store = new MemoryStore({ clock });
  await store.createSession({
    ...{ appName: key.appName, userId: key.userId, id: key.sessionId },
    model: 'gemini-2.5-flash',
    metadata: { title: 'Refund for order 1042', tags: ['billing'] },
    state: { 'app:currency': 'EUR', 'user:tier': 'gold', step: 'start' },
  });
  const t = Date.UTC(2026, 10, 21, 9, 31, 0);
  await store.appendEvents(key, [
    { id: 'e1', timestamp: t, author: 'user', role: 'user', content: 'Hi, I want a refund for order 1042.\nIt arrived broken.' },
    {
      id: 'e2', timestamp: t + 4_000, author: 'support_agent', role: 'assistant', invocationId: 'inv-1',
      content: { role: 'model', parts: [{ text: 'Let me look that up.' }, { functionCall: { name: 'find_order', args: { id: 1042 } } }] },
    },
    {
      id: 'e3', timestamp: t + 4_500, author: 'support_agent', role: 'tool',
      content: { role: 'user', parts: [{ functionResponse: { name: 'find_order', response: { status: 'delivered', total: 59.9 } } }] },
      stateDelta: { step: 'found', 'temp:scratch': 1 },
    },
    { id: 'e4', timestamp: t + 9_000, author: 'support_agent', role: 'assistant', content: 'Refund of €59.90 issued. 🎉', metadata: { usage: { tokens: 31 } } },
    { id: 'e5', timestamp: t + 9_001, author: 'system', stateDelta: { step: 'done' } },
  ]);
  await store.recordActivity(key, { durationMs: 812.5, at: t + 9_500 });
  return store;
}

describe('export formats', () => {
  it('markdown: title, model, created time and message count, then a section per message', async () => {
    pin('session.md', (await exportSession(await conversation(), key, 'markdown'))!);
  });

  it('text: the plain transcript with timestamps', async () => {
    pin('session.txt', (await exportSession(await conversation(), key, 'text'))!);
  });

  it('json: every field, loss-free', async () => {
    pin('session.json', (await exportSession(await conversation(), key, 'json'))!);
  });

  it('json re-imports into another store exactly (and exports the same again)', async () => {
    const source = await conversation();
    const json = (await exportSession(source, key, 'json'))!;
    const target = new SqliteStore({ path: ':memory:' });
    await target.migrate();
    await importSessionExport(target, json);
    expect(await target.getSession(key)).toEqual(await source.getSession(key));
    expect(await exportSession(target, key, 'json')).toBe(json);
    await expect(importSessionExport(target, json)).rejects.toMatchObject({ code: 'exists' });
    await importSessionExport(target, json, { replace: true });
    await expect(importSessionExport(target, '{"format":"other"}')).rejects.toMatchObject({ code: 'invalid' });
    await expect(importSessionExport(target, 'not json')).rejects.toMatchObject({ code: 'invalid' });
    await target.close();
  });

  it('json carries the state-change log, so a fork or rewind of the imported copy is exact', async () => {
    const source = await conversation();
    await source.updateKeys(key, { step: 'reviewed', note: 'called back' });
    const doc = JSON.parse((await exportSession(source, key, 'json'))!);
    expect(doc.history).toEqual(await source.readStateHistory(key));
    expect(doc.history[0]).toEqual({ atSeq: 0, kind: 'replace', set: { step: 'start' }, unset: [] });
    const target = new MemoryStore({ clock });
    await importSessionExport(target, doc);
    expect(await target.readStateHistory(key)).toEqual(doc.history);
    expect((await target.rewindSession(key, { toSeq: 2 })).session.state).toMatchObject({ step: 'start' });
    // An export without a log (made before it existed) still imports: the log starts from its state.
    const { history: _h, ...old } = doc;
    const other = new MemoryStore({ clock });
    await importSessionExport(other, old);
    expect(await other.readStateHistory(key)).toEqual([{ atSeq: 5, kind: 'replace', set: doc.state, unset: [] }]);
  });

  it('includeSuperseded: JSON gains a superseded array, Markdown and text a marked section per rewind; off by default', async () => {
    const store = await conversation();
    await store.rewindSession(key, { toSeq: 3 });
    await store.appendEvents(key, [{ id: 'e4b', timestamp: Date.UTC(2026, 10, 21, 9, 32, 0), author: 'support_agent', role: 'assistant', content: 'Refund approved.' }]);
    await store.rewindSession(key, { toSeq: 2 });
    for (const format of ['markdown', 'text'] as const) {
      const plain = (await exportSession(store, key, format))!;
      expect(plain).not.toMatch(/Superseded|Refund of|Refund approved/);
      const full = (await exportSession(store, key, format, { includeSuperseded: true }))!;
      expect(full.startsWith(plain.trimEnd())).toBe(true); // the history first, unchanged
      pin(format === 'markdown' ? 'session.superseded.md' : 'session.superseded.txt', full);
    }
    expect(JSON.parse((await exportSession(store, key, 'json'))!)).not.toHaveProperty('superseded');
    const doc = JSON.parse((await exportSession(store, key, 'json', { includeSuperseded: true }))!);
    expect(doc.superseded.map((e: { id: string; seq: number }) => [e.id, e.seq])).toEqual([['e4', 4], ['e5', 5], ['e3', 3], ['e4b', 4]]);
    expect(doc.superseded[0]).toMatchObject({ content: 'Refund of €59.90 issued. 🎉', supersededAt: clock.now() });
    expect(doc.superseded[0].supersededBy).toBeLessThan(doc.superseded[2].supersededBy);
    // An import takes the visible history only: superseded events are accepted and not stored.
    const target = new MemoryStore({ clock });
    const imported = await importSessionExport(target, doc);
    expect(imported.eventCount).toBe(2);
    expect((await target.getSession(key))?.events?.map((e) => e.id)).toEqual(['e1', 'e2']);
    expect((await target.readSupersededEvents(key))?.events).toEqual([]);
    await expect(exportSession(store, key, 'json', null as never)).rejects.toMatchObject({ code: 'invalid', details: { field: 'options' } });
  });

  it("tool calls and results read as calls, in ADK's parts, the OpenAI Agents SDK's items and the AI SDK's UI message parts", () => {
    expect(contentText({ type: 'function_call', callId: 'c1', name: 'get_weather', arguments: '{"city":"Oslo"}' })).toBe('→ get_weather({"city":"Oslo"})');
    expect(contentText({ type: 'function_call_result', callId: 'c1', name: 'get_weather', status: 'completed', output: { type: 'text', text: 'Rain, 4 °C' } })).toBe(
      '← get_weather: Rain, 4 °C',
    );
    expect(contentText({ type: 'function_call_result', name: 'count', output: 3 })).toBe('← count: 3');
    expect(
      contentText([
        { type: 'text', text: 'Checking.' },
        { type: 'tool-getWeather', toolCallId: 't1', state: 'output-available', input: { city: 'Oslo' }, output: { sky: 'rain' } },
        { type: 'dynamic-tool', toolName: 'lookup', toolCallId: 't2', state: 'output-error', input: {}, errorText: 'timed out' },
      ]),
    ).toBe('Checking.\n→ getWeather({"city":"Oslo"})\n← getWeather: {"sky":"rain"}\n→ lookup({})\n← lookup failed: timed out');
    expect(contentText({ type: 'message', role: 'user', content: 'hi' })).toBe('{"type":"message","role":"user","content":"hi"}');
  });

  it('a missing session exports as null; an unknown format is refused', async () => {
    const store = await conversation();
    expect(await exportSession(store, { ...key, sessionId: 'nope' }, 'json')).toBeNull();
    await expect(exportSession(store, key, 'pdf' as never)).rejects.toMatchObject({ code: 'invalid' });
  });
});
