// Shared by the MCP tests: a seeded store (the conversations the tools are asked about) and small
// readers of tool results.
import type { CallToolResult } from '@modelcontextprotocol/client';
import { expect } from 'vitest';
import type { SessionStore } from '../src/core/store.js';

/** The session the tests talk about most: a refund conversation with a tool call, 12 events. */
export const REFUND = { appName: 'shop', userId: 'u1', sessionId: 's1' };
/** A session whose names need percent-encoding in a resource URI. */
export const ODD = { appName: 'shop', userId: 'user one', sessionId: 'notes/2' };

/**
 * Fills a store: shop/u1/s1 (12 events: the refund story, a tool call and its
 * result, then follow-ups), shop/u1/s2, shop/u2/s3, support/u9/printer,
 * shop/"user one"/"notes/2", and ten one-message sessions in app "bulk".
 */
export async function seed(store: SessionStore, tenant = 'default'): Promise<void> {
  const key = (appName: string, userId: string, sessionId: string) => ({ tenant, appName, userId, sessionId });
  await store.createSession({ tenant, ...REFUND, id: REFUND.sessionId, metadata: { title: 'Refund for order 1042' }, state: { cart: 2, 'user:tier': 'gold' }, model: 'gemini-2.5-flash' });
  await store.appendEvents(key('shop', 'u1', 's1'), [
    { author: 'user', role: 'user', content: 'I was charged twice for order 1042.' },
    { author: 'support-bot', role: 'assistant', content: 'Sorry about that. Let me look up order 1042.' },
    { author: 'support-bot', role: 'assistant', content: { parts: [{ functionCall: { name: 'lookup_order', args: { id: 1042 } } }] } },
    { author: 'lookup_order', role: 'tool', content: { parts: [{ functionResponse: { name: 'lookup_order', response: { charges: 2, amount: 25 } } }] } },
    { author: 'support-bot', role: 'assistant', content: 'We decided to refund the duplicate charge of 25 EUR.', stateDelta: { refunded: true } },
    ...Array.from({ length: 7 }, (_, i) => ({ author: i % 2 ? 'support-bot' : 'user', role: (i % 2 ? 'assistant' : 'user') as 'assistant' | 'user', content: `Follow-up message ${i + 6}.` })),
  ]);
  await store.createSession({ tenant, appName: 'shop', userId: 'u1', id: 's2', metadata: { title: 'Shipping to Lyon' } });
  await store.appendEvents(key('shop', 'u1', 's2'), [{ author: 'user', role: 'user', content: 'Do you ship to Lyon?' }, { author: 'bot', role: 'assistant', content: 'Yes, in three days.' }]);
  await store.createSession({ tenant, appName: 'shop', userId: 'u2', id: 's3', metadata: { title: 'Gift card' } });
  await store.appendEvents(key('shop', 'u2', 's3'), [{ author: 'user', role: 'user', content: 'Can I pay with a gift card?' }]);
  await store.createSession({ tenant, appName: 'support', userId: 'u9', id: 'printer', metadata: { title: 'The printer on floor 3' } });
  await store.appendEvents(key('support', 'u9', 'printer'), [
    { author: 'user', role: 'user', content: 'The printer on floor 3 is out of toner.' },
    { author: 'helpdesk', role: 'assistant', content: 'A toner cartridge is on its way.' },
  ]);
  await store.createSession({ tenant, appName: ODD.appName, userId: ODD.userId, id: ODD.sessionId });
  await store.appendEvents({ tenant, ...ODD }, [{ author: 'user', role: 'user', content: 'A note with an odd name.' }]);
  for (let i = 1; i <= 10; i++) {
    const id = `b${String(i).padStart(2, '0')}`;
    await store.createSession({ tenant, appName: 'bulk', userId: 'b', id });
    await store.appendEvents(key('bulk', 'b', id), [{ author: 'user', role: 'user', content: `Bulk message ${i}.` }]);
  }
}

/** Every text block of a result, joined. */
export function textOf(result: unknown): string {
  return ((result as CallToolResult).content ?? []).map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

/** The structured content of a successful result (fails the test on a tool error). */
export function dataOf<T = Record<string, any>>(result: unknown): T {
  const r = result as CallToolResult;
  expect(r.isError, textOf(r)).toBeFalsy();
  return r.structuredContent as T;
}

/** The message of a tool error (fails the test when the call succeeded). */
export function errorOf(result: unknown): string {
  const r = result as CallToolResult;
  expect(r.isError, `expected a tool error, got ${textOf(r).slice(0, 200)}`).toBe(true);
  return textOf(r);
}

/** What a result weighs as the server bounds it: its text plus its structured content as JSON. */
export function resultBytes(result: unknown): number {
  const r = result as CallToolResult;
  const text = r.content.reduce((sum, c) => sum + (c.type === 'text' ? Buffer.byteLength(c.text, 'utf8') : 0), 0);
  return text + (r.structuredContent === undefined ? 0 : Buffer.byteLength(JSON.stringify(r.structuredContent), 'utf8'));
}

export const READ_TOOLS = ['list_sessions', 'get_session', 'read_transcript', 'search_sessions', 'export_session', 'get_stats'];
export const WRITE_TOOLS = ['create_session', 'append_message', 'fork_session', 'archive_session'];
export const TEMPLATE = 'sessiondb://sessions/{app}/{user}/{session}';
