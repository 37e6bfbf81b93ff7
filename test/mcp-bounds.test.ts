// The edges of the MCP tools that need odd data rather than a process: state, metadata and
// messages larger than a result may hold, the limits and the configuration that set them.
// In-process: createMcpServer over a MemoryStore, the SDK's client over its in-memory transport.
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { ValidationError } from '../src/core/errors.js';
import { MemoryStore } from '../src/index.js';
import { resolveMcpLimits } from '../src/mcp/limits.js';
import { createMcpServer, type CreateMcpServerOptions } from '../src/mcp/server.js';
import { dataOf, errorOf, resultBytes, textOf } from './mcp-helpers.js';

const KEY = { appName: 'app', userId: 'u', sessionId: 's' };
const MAX = 8192;

async function connected(store: MemoryStore, options: Partial<CreateMcpServerOptions> = {}) {
  const server = createMcpServer({ store, limits: { maxBytes: MAX }, ...options });
  const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 't', version: '1' });
  await client.connect(clientSide);
  return { call: (name: string, args: Record<string, unknown>) => client.callTool({ name, arguments: args }), client };
}

describe('results stay within maxBytes whatever the session holds', () => {
  it('get_session: a huge state shows its key names, huge metadata is left out, each with a note', async () => {
    const store = new MemoryStore();
    const state = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`key${i}`, 'v'.repeat(1000)]));
    await store.createSession({ ...KEY, id: KEY.sessionId, state, metadata: { blob: 'm'.repeat(5000) } });
    await store.appendEvents(KEY, [{ author: 'user', role: 'user', content: 'hello' }]);
    const { call } = await connected(store);
    const r = await call('get_session', KEY);
    expect(resultBytes(r)).toBeLessThanOrEqual(MAX);
    const { session, events } = dataOf(r);
    expect(session.state).toBeNull();
    expect(session.metadata).toBeNull();
    expect(session.stateKeys.slice(0, 3)).toEqual(['key0', 'key1', 'key2']);
    expect(events.map((e: { text: string }) => e.text)).toEqual(['hello']);
    expect(textOf(r)).toMatch(/The state \(\d[\d,]* bytes\) is too large for one result: only its key names are shown\./);
    expect(textOf(r)).toMatch(/The metadata \(\d[\d,]* bytes\) is too large for one result and is left out\./);
  });

  it('export_session: long messages are cut in markdown and text; JSON names the event too large to hold and what to do', async () => {
    const store = new MemoryStore();
    await store.createSession({ ...KEY, id: KEY.sessionId });
    await store.appendEvents(KEY, [
      { author: 'bot', role: 'assistant', content: { parts: [{ text: 'x'.repeat(20_000) }] } },
      { author: 'user', role: 'user', content: 'after the long one' },
    ]);
    const { call } = await connected(store);
    for (const format of ['markdown', 'text']) {
      const r = await call('export_session', { ...KEY, format });
      expect(resultBytes(r)).toBeLessThanOrEqual(MAX);
      expect(textOf(r)).toMatch(/\[… cut: 20,000 bytes in all, over what one MCP result may hold\]/);
      expect(textOf(r)).toContain('after the long one');
      expect(dataOf(r)).toMatchObject({ complete: true, toSeq: 2 });
    }
    expect(errorOf(await call('export_session', { ...KEY, format: 'json' }))).toMatch(
      /^Event seq 1 alone takes 2\d,\d{3} bytes as JSON, more than one MCP result may hold \(8,192 bytes\)\. Export the session as markdown or text/,
    );
    const big = await store.createSession({ appName: 'app', userId: 'u', id: 'stateful', state: { blob: 'b'.repeat(10_000) } });
    expect(errorOf(await call('export_session', { ...KEY, sessionId: big.id, format: 'json' }))).toMatch(/^The session's own fields \(its state, metadata and title\) alone take [\d,]+ bytes in this format/);
  });

  it('search_sessions and list_sessions: never more hits than maxEvents; a fitted page ends where its cursor continues', async () => {
    const store = new MemoryStore();
    for (let i = 0; i < 12; i++) {
      const id = `s${String(i).padStart(2, '0')}`;
      await store.createSession({ ...KEY, id, metadata: { title: `Title ${'w'.repeat(180)} ${i}` } });
      await store.appendEvents({ ...KEY, sessionId: id }, [{ author: 'user', role: 'user', content: `needle ${i}` }]);
    }
    const { call } = await connected(store, { limits: { maxEvents: 4, maxBytes: 4096 } });
    const hits: string[] = [];
    for (let cursor: string | null | undefined; cursor !== null; ) {
      const page = dataOf(await call('search_sessions', { query: 'needle', limit: 50, ...(cursor ? { cursor } : {}) }));
      expect(page.hits.length).toBeLessThanOrEqual(4);
      hits.push(...page.hits.map((h: { sessionId: string }) => h.sessionId));
      cursor = page.nextCursor;
    }
    expect(hits.sort()).toEqual(Array.from({ length: 12 }, (_, i) => `s${String(i).padStart(2, '0')}`));
    const first = await call('list_sessions', { limit: 100 });
    expect(resultBytes(first)).toBeLessThanOrEqual(4096);
    const shown = dataOf(first).sessions.length;
    expect(shown).toBeGreaterThan(1);
    expect(shown).toBeLessThan(12);
    const next = dataOf(await call('list_sessions', { limit: 100, cursor: dataOf(first).nextCursor }));
    expect(next.sessions[0].sessionId).toBe(`s${String(11 - shown).padStart(2, '0')}`); // newest first: no gap, no repeat
  });
});

describe('limits and configuration', () => {
  it('limits are checked; the tenant too', () => {
    expect(resolveMcpLimits()).toEqual({ maxEvents: 200, maxBytes: 262144 });
    expect(() => resolveMcpLimits({ maxBytes: 100 })).toThrow(new ValidationError('limits.maxBytes', 'must be an integer of at least 4096, got 100'));
    expect(() => resolveMcpLimits({ maxEvents: 0 })).toThrow(/Invalid limits\.maxEvents/);
    expect(() => createMcpServer({ store: new MemoryStore(), tenant: '' })).toThrow(/Invalid tenant: is empty/);
  });

  it('mcp.* comes from the config file and SESSIONDB_MCP_* variables; a bad value names its variable', async () => {
    expect((await loadConfig({ env: {}, dotEnv: false, cwd: '/nonexistent-dir-for-config' })).config.mcp).toEqual({ readOnly: false, maxEvents: 200, maxBytes: 262144 });
    const env = { SESSIONDB_MCP_READ_ONLY: 'yes', SESSIONDB_MCP_MAX_EVENTS: '50', SESSIONDB_MCP_MAX_BYTES: '65536' };
    expect((await loadConfig({ env, dotEnv: false, cwd: '/nonexistent-dir-for-config' })).config.mcp).toEqual({ readOnly: true, maxEvents: 50, maxBytes: 65536 });
    await expect(loadConfig({ env: { SESSIONDB_MCP_MAX_BYTES: '1000' }, dotEnv: false, cwd: '/nonexistent-dir-for-config' })).rejects.toThrow(
      /environment variable SESSIONDB_MCP_MAX_BYTES: .*4096/,
    );
    await expect(loadConfig({ env: { SESSIONDB_MCP_READ_ONLY: 'maybe' }, dotEnv: false, cwd: '/nonexistent-dir-for-config' })).rejects.toThrow(/SESSIONDB_MCP_READ_ONLY/);
  });
});
