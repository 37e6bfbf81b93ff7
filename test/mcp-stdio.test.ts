// `sessiondb mcp` over stdio, as an MCP client runs it: the built bin spawned by the SDK's own
// client (StdioClientTransport), against a SQLite file seeded beforehand. One process serves the
// whole tool set with the default limits; a second one runs --read-only --tenant acme with small
// limits (the write tools are not listed, it sees only its tenant, and every result stays within
// 5 events and 4096 bytes).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, SessionNotFoundError } from '../src/core/errors.js';
import { openStore } from '../src/stores/open-store.js';
import { tempDir } from './helpers.js';
import { runExample } from './readme-helpers.js';
import { dataOf, errorOf, READ_TOOLS, REFUND, resultBytes, seed, TEMPLATE, textOf, WRITE_TOOLS } from './mcp-helpers.js';

const dir = tempDir('mcp-stdio');
const db = join(dir, 'sessions.db');
const bin = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js');

/** Spawns `node dist/cli/main.js mcp …` through the SDK's stdio transport and connects a client to it. */
async function connect(args: string[], env: Record<string, string> = {}, mode: 'legacy' | { pin: string } = 'legacy'): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [bin, 'mcp', '--db', `sqlite:${db}`, ...args], env: { ...getDefaultEnvironment(), ...env }, cwd: dir, stderr: 'pipe' });
  let stderr = '';
  transport.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = new Client({ name: 'sessiondb-test', version: '1.0.0' }, { versionNegotiation: { mode } });
  await client.connect(transport);
  return { client, stderr: () => stderr };
}

let full: Client;
let fullStderr: () => string;
let small: Client;
const MODERN = { pin: '2026-07-28' };

beforeAll(async () => {
  const store = await openStore(`sqlite:${db}`);
  await seed(store);
  await seed(store, 'acme'); // the same conversations in another tenant, for the --tenant server
  const big = { tenant: 'acme', appName: 'shop', userId: 'u1', sessionId: 'big' };
  await store.createSession({ ...big, id: big.sessionId });
  await store.appendEvents(big, [
    { author: 'user', role: 'user', content: 'short question' },
    { author: 'bot', role: 'assistant', content: `${'long answer '.repeat(1000)}THE END` }, // 12 KB: over 4096 bytes alone
    { author: 'user', role: 'user', content: 'thanks' },
  ]);
  await store.close();
  [{ client: full, stderr: fullStderr }, { client: small }] = await Promise.all([
    connect([]),
    // This one negotiates the 2026-07-28 revision (server/discover); the other opens with the 2025 handshake.
    connect(['--read-only', '--tenant', 'acme'], { SESSIONDB_MCP_MAX_EVENTS: '5', SESSIONDB_MCP_MAX_BYTES: '4096' }, MODERN),
  ]);
}, 30_000);

afterAll(async () => {
  await Promise.all([full?.close(), small?.close()]);
});

const call = (client: Client, name: string, args: Record<string, unknown> = {}) => client.callTool({ name, arguments: args });

describe('sessiondb mcp over stdio (the built bin, the SDK client)', () => {
  it('lists the ten tools with described input and output schemas, the transcript template and the sessions as resources', async () => {
    const { tools } = await full.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...READ_TOOLS, ...WRITE_TOOLS].sort());
    for (const tool of tools) {
      expect(tool.description!.length, tool.name).toBeGreaterThan(40);
      expect(tool.outputSchema, tool.name).toBeDefined();
      for (const [field, schema] of Object.entries(tool.inputSchema.properties ?? {})) expect((schema as { description?: string }).description, `${tool.name}.${field}`).toBeTruthy();
    }
    expect(tools.find((t) => t.name === 'get_session')!.inputSchema.required).toEqual(['appName', 'userId', 'sessionId']);
    expect(tools.find((t) => t.name === 'list_sessions')!.annotations).toMatchObject({ readOnlyHint: true });
    expect(tools.find((t) => t.name === 'append_message')!.annotations).toMatchObject({ readOnlyHint: false });

    const { resourceTemplates } = await full.listResourceTemplates();
    expect(resourceTemplates).toEqual([expect.objectContaining({ uriTemplate: TEMPLATE, mimeType: 'text/markdown' })]);
    const { resources } = await full.listResources();
    expect(resources).toContainEqual(expect.objectContaining({ uri: 'sessiondb://sessions/shop/u1/s1', name: 'shop/u1/s1', title: 'Refund for order 1042', mimeType: 'text/markdown' }));
    expect(resources).toContainEqual(expect.objectContaining({ uri: 'sessiondb://sessions/shop/user%20one/notes%2F2' }));
    expect(fullStderr()).toMatch(/sessiondb MCP server on stdio/); // logs on stderr; stdout carried only the protocol
  });

  it('list_sessions: filters, newest first, and a cursor that continues without gaps', async () => {
    const shop = dataOf(await call(full, 'list_sessions', { appName: 'shop', userId: 'u1' }));
    expect(shop.sessions.map((s: { sessionId: string }) => s.sessionId)).toEqual(['s2', 's1']);
    expect(shop.sessions[1]).toMatchObject({ title: 'Refund for order 1042', status: 'active', eventCount: 12, model: 'gemini-2.5-flash' });
    const first = await call(full, 'list_sessions', { appName: 'bulk', limit: 4 });
    expect(textOf(first)).toMatch(/4 sessions \(newest first\):\n- bulk\/b\/b10 · active · 1 event/);
    const ids: string[] = [];
    for (let page = dataOf(first); ; page = dataOf(await call(full, 'list_sessions', { appName: 'bulk', limit: 4, cursor: page.nextCursor }))) {
      ids.push(...page.sessions.map((s: { sessionId: string }) => s.sessionId));
      if (!page.nextCursor) break;
    }
    expect(ids).toEqual(['b10', 'b09', 'b08', 'b07', 'b06', 'b05', 'b04', 'b03', 'b02', 'b01']);
  });

  it('get_session: merged state, counters, version and the last N events', async () => {
    const r = await call(full, 'get_session', { ...REFUND, lastEvents: 3 });
    const data = dataOf(r);
    expect(data.session).toMatchObject({ sessionId: 's1', eventCount: 12, version: 2, state: { cart: 2, 'user:tier': 'gold', refunded: true }, requestCount: 0 });
    expect(data.events.map((e: { seq: number }) => e.seq)).toEqual([10, 11, 12]);
    expect(textOf(r)).toMatch(/^Session shop\/u1\/s1 — "Refund for order 1042"\nstatus active · model gemini-2.5-flash · version 2 · 12 events/);
    expect(textOf(r)).toContain('[seq 12] User');
  });

  it('read_transcript: Markdown by seq, tool calls on one line, afterSeq continues', async () => {
    const r = await call(full, 'read_transcript', { ...REFUND, limit: 5 });
    const md = textOf(r);
    expect(md).toMatch(/^# Refund for order 1042\n/);
    expect(md).toContain('## seq 1 · User');
    expect(md).toContain('→ lookup_order({"id":1042})');
    expect(md).toContain('← lookup_order: {"charges":2,"amount":25}');
    expect(md).toContain('We decided to refund the duplicate charge of 25 EUR.');
    expect(md).toMatch(/\*Truncated: this page ends at seq 5 of 12 .*Call read_transcript with afterSeq 5 for the next page\.\*/);
    expect(dataOf(r)).toMatchObject({ fromSeq: 1, toSeq: 5, truncated: true, nextAfterSeq: 5, eventCount: 12 });
    const rest = await call(full, 'read_transcript', { ...REFUND, afterSeq: 5 });
    expect(dataOf(rest)).toMatchObject({ fromSeq: 6, toSeq: 12, truncated: false, nextAfterSeq: null });
    expect(textOf(rest)).not.toContain('Truncated');
    expect(textOf(rest)).toContain('Follow-up message 12.');
  });

  it('search_sessions: snippets and session keys, filters, ISO times', async () => {
    const r = await call(full, 'search_sessions', { query: 'refund' });
    const hits = dataOf(r).hits as { appName: string; sessionId: string; seq: number | null; snippet: string }[];
    expect(hits.length).toBeGreaterThanOrEqual(2);
    expect(hits).toContainEqual(expect.objectContaining({ appName: 'shop', userId: 'u1', sessionId: 's1', seq: 5, role: 'assistant', snippet: expect.stringContaining('**refund**') }));
    expect(textOf(r)).toMatch(/shop\/u1\/s1 · seq 5 · Assistant · \d{4}-\d\d-\d\d/);
    const printer = dataOf(await call(full, 'search_sessions', { query: 'toner', appName: 'support', role: 'assistant', after: '2000-01-01' }));
    expect(printer.hits.map((h: { sessionId: string; seq: number }) => [h.sessionId, h.seq])).toEqual([['printer', 2]]);
    expect(dataOf(await call(full, 'search_sessions', { query: 'toner', before: '2000-01-01' })).hits).toEqual([]);
  });

  it('export_session: json (whole and re-importable), markdown and text', async () => {
    const json = await call(full, 'export_session', { ...REFUND, format: 'json' });
    expect(dataOf(json)).toEqual({ format: 'json', complete: true, eventCount: 12, fromSeq: 1, toSeq: 12, nextAfterSeq: null });
    const doc = JSON.parse(textOf(json));
    expect(doc).toMatchObject({ format: 'sessiondb.session', version: 1, session: { id: 's1', eventCount: 12 }, state: { cart: 2, refunded: true }, userState: { 'user:tier': 'gold' } });
    expect(doc.events).toHaveLength(12);
    expect(doc.history).toBeDefined();
    expect(textOf(await call(full, 'export_session', { ...REFUND, format: 'markdown' }))).toMatch(/^# Refund for order 1042\n[\s\S]*## 5\. Assistant/);
    expect(textOf(await call(full, 'export_session', { ...REFUND, format: 'text' }))).toMatch(/^Session s1 \(app shop, user u1\)[\s\S]*\] Assistant: We decided to refund/);
  });

  it('get_stats: the totals of the tenant', async () => {
    const r = await call(full, 'get_stats');
    expect(dataOf(r)).toMatchObject({ store: 'sqlite', sessions: 15, activeSessions: 15, events: 28 });
    expect(textOf(r)).toMatch(/^store: sqlite\nsessions: 15 \(15 active/);
  });

  it('create_session, append_message (expectVersion; a conflict is a tool error that writes nothing), fork_session, archive_session', async () => {
    const created = dataOf(await call(full, 'create_session', { appName: 'desk', userId: 'ann', sessionId: 'plan', title: 'Q3 planning', state: { step: 1 } }));
    expect(created.session).toMatchObject({ appName: 'desk', userId: 'ann', sessionId: 'plan', title: 'Q3 planning', version: 1, eventCount: 0 });
    expect(errorOf(await call(full, 'create_session', { appName: 'desk', userId: 'ann', sessionId: 'plan' }))).toMatch(/^Session already exists: app "desk", user "ann", session "plan"\./);

    const plan = { appName: 'desk', userId: 'ann', sessionId: 'plan' };
    const appended = await call(full, 'append_message', { ...plan, role: 'user', text: 'Let us plan Q3.', expectVersion: 1 });
    expect(dataOf(appended)).toMatchObject({ seq: 1, version: 2 });
    expect(textOf(appended)).toMatch(/^Appended seq 1 \(event .+\) to desk\/ann\/plan; the session is now at version 2\.$/);
    expect(dataOf(await call(full, 'append_message', { ...plan, role: 'assistant', text: 'Sure: three goals.' }))).toMatchObject({ seq: 2, version: 3 });
    const stale = errorOf(await call(full, 'append_message', { ...plan, role: 'user', text: 'lost write', expectVersion: 2 }));
    expect(stale).toBe(new ConflictError(2, 3).message);
    expect(dataOf(await call(full, 'get_session', plan)).session).toMatchObject({ eventCount: 2, version: 3 });

    const fork = dataOf(await call(full, 'fork_session', { ...plan, upToSeq: 1, newSessionId: 'plan-b' }));
    expect(fork).toMatchObject({ session: { sessionId: 'plan-b', eventCount: 1, version: 1 }, forkedFrom: { sessionId: 'plan', seq: 1 } });
    expect(textOf(await call(full, 'read_transcript', { ...plan, sessionId: 'plan-b' }))).toContain('Let us plan Q3.');

    const archived = dataOf(await call(full, 'archive_session', { ...plan, expectVersion: 3 }));
    expect(archived).toMatchObject({ changed: true, session: { status: 'archived', version: 4 } });
    expect(dataOf(await call(full, 'archive_session', plan))).toMatchObject({ changed: false, session: { status: 'archived', version: 4 } });
    expect(dataOf(await call(full, 'list_sessions', { appName: 'desk', status: 'archived' })).sessions.map((s: { sessionId: string }) => s.sessionId)).toEqual(['plan']);
  });

  it('reads a transcript resource (percent-encoded names too) and completes app, user and session names by prefix', async () => {
    const { contents } = await full.readResource({ uri: 'sessiondb://sessions/shop/u1/s1' });
    expect(contents[0]).toMatchObject({ uri: 'sessiondb://sessions/shop/u1/s1', mimeType: 'text/markdown' });
    expect((contents[0] as { text: string }).text).toMatch(/^# Refund for order 1042\n[\s\S]*## seq 12 · User/);
    const odd = await full.readResource({ uri: 'sessiondb://sessions/shop/user%20one/notes%2F2' });
    expect((odd.contents[0] as { text: string }).text).toContain('A note with an odd name.');
    await expect(full.readResource({ uri: 'sessiondb://sessions/shop/u1/nope' })).rejects.toThrow(new SessionNotFoundError({ appName: 'shop', userId: 'u1', sessionId: 'nope' }).message);

    const complete = async (name: string, value: string, args?: Record<string, string>) =>
      (await full.complete({ ref: { type: 'ref/resource', uri: TEMPLATE }, argument: { name, value }, ...(args ? { context: { arguments: args } } : {}) })).completion.values;
    expect(await complete('app', 's')).toEqual(['shop', 'support']);
    expect(await complete('app', 'bu')).toEqual(['bulk']);
    expect(await complete('user', '', { app: 'shop' })).toEqual(['u1', 'u2', 'user one']);
    expect(await complete('session', 's', { app: 'shop', user: 'u1' })).toEqual(['s1', 's2']);
    expect(await complete('session', 'zzz', { app: 'shop', user: 'u1' })).toEqual([]);
  });

  it('bad arguments are tool errors naming the field; the server keeps serving', async () => {
    expect(errorOf(await call(full, 'get_session', { appName: 'shop', userId: 'u1' }))).toMatch(/sessionId: .*expected string/);
    expect(errorOf(await call(full, 'list_sessions', { limit: 'ten' }))).toMatch(/limit: .*expected number/);
    expect(errorOf(await call(full, 'list_sessions', { limit: 1000 }))).toMatch(/limit: .*<=100/);
    expect(errorOf(await call(full, 'append_message', { ...REFUND, role: 'robot', text: 'x' }))).toMatch(/role: /);
    expect(errorOf(await call(full, 'list_sessions', { userId: 'u1' }))).toBe('Invalid userId: needs appName too. A user id is only unique within an app.');
    expect(errorOf(await call(full, 'search_sessions', { query: 'x', after: 'last week' }))).toMatch(/^Invalid after: must be an ISO 8601 time/);
    expect(errorOf(await call(full, 'read_transcript', { ...REFUND, afterSeq: 99 }))).toBe("Invalid afterSeq: is 99, past the session's last event (seq 12).");
    expect(errorOf(await call(full, 'get_session', { ...REFUND, sessionId: 'x'.repeat(200) }))).toMatch(/^sessionId is too large: 200 characters, the limit is 128/);
    expect(errorOf(await call(full, 'get_session', { ...REFUND, sessionId: 'nope' }))).toBe(new SessionNotFoundError({ ...REFUND, sessionId: 'nope' }).message);
    expect(dataOf(await call(full, 'get_stats')).sessions).toBeGreaterThan(0);
  });

  it('--read-only lists no tool that writes, and a write tool cannot be called', async () => {
    expect((await small.listTools()).tools.map((t) => t.name).sort()).toEqual([...READ_TOOLS].sort());
    await expect(call(small, 'append_message', { ...REFUND, role: 'user', text: 'x' })).rejects.toThrow(/append_message not found/);
    expect(dataOf(await call(small, 'get_session', REFUND)).session.eventCount).toBe(12); // nothing was written
  });

  it('--tenant: the tools and resources see that tenant only', async () => {
    expect(dataOf(await call(small, 'get_stats'))).toMatchObject({ sessions: 16, events: 31 }); // acme's 15 seeded and "big"
    expect(errorOf(await call(full, 'get_session', { appName: 'shop', userId: 'u1', sessionId: 'big' }))).toMatch(/^Session not found/);
    expect(errorOf(await call(small, 'get_session', { appName: 'desk', userId: 'ann', sessionId: 'plan' }))).toMatch(/^Session not found: .* in tenant "acme"/);
    expect((await small.listResources()).resources.map((r) => r.uri)).toContain('sessiondb://sessions/shop/u1/big');
    expect((await full.listResources()).resources.map((r) => r.uri)).not.toContain('sessiondb://sessions/shop/u1/big');
  });

  it('bounded: no result holds more than 5 events or 4096 bytes; the cursor or afterSeq continues exactly', async () => {
    const seqs: number[] = [];
    for (let afterSeq: number | null = 0; afterSeq !== null; ) {
      const r = await call(small, 'read_transcript', { ...REFUND, afterSeq });
      expect(resultBytes(r)).toBeLessThanOrEqual(4096);
      const page = dataOf(r);
      seqs.push(...Array.from({ length: page.toSeq - page.fromSeq + 1 }, (_, i) => page.fromSeq + i));
      expect(page.toSeq - page.fromSeq + 1).toBeLessThanOrEqual(5);
      if (page.truncated) expect(textOf(r)).toContain(`Call read_transcript with afterSeq ${page.nextAfterSeq} for the next page.`);
      afterSeq = page.nextAfterSeq;
    }
    expect(seqs).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));

    // A message over the byte limit alone is cut and says so; the pages still cover every seq.
    const big = { appName: 'shop', userId: 'u1', sessionId: 'big' };
    let text = '';
    const covered: number[] = [];
    for (let afterSeq: number | null = 0; afterSeq !== null; ) {
      const r = await call(small, 'read_transcript', { ...big, afterSeq });
      expect(resultBytes(r)).toBeLessThanOrEqual(4096);
      text += textOf(r);
      covered.push(dataOf(r).toSeq);
      afterSeq = dataOf(r).nextAfterSeq;
    }
    expect(covered.at(-1)).toBe(3);
    expect(text).toMatch(/long answer[\s\S]*\[… cut: 12,007 bytes in all, over what one MCP result may hold\][\s\S]*thanks/);
    expect(text).not.toContain('THE END');

    // Listings: a page holds what fits; its cursor continues right after the last session shown.
    const ids: string[] = [];
    let pages = 0;
    for (let cursor: string | undefined; ; ) {
      const r = await call(small, 'list_sessions', { limit: 100, ...(cursor ? { cursor } : {}) });
      pages++;
      expect(resultBytes(r)).toBeLessThanOrEqual(4096);
      const page = dataOf(r);
      ids.push(...page.sessions.map((s: { appName: string; userId: string; sessionId: string }) => `${s.appName}/${s.userId}/${s.sessionId}`));
      if (!page.nextCursor) break;
      expect(textOf(r)).toContain(`cursor ${JSON.stringify(page.nextCursor)}`);
      cursor = page.nextCursor;
    }
    expect(pages).toBeGreaterThan(1);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(dataOf(await call(small, 'get_stats')).sessions);

    const search = await call(small, 'search_sessions', { query: 'message', limit: 50 });
    expect(dataOf(search).hits.length).toBeLessThanOrEqual(5);
    expect(dataOf(search).nextCursor).not.toBeNull();
    const got = dataOf(await call(small, 'get_session', { ...REFUND, lastEvents: 50 }));
    expect(got.events.length).toBeLessThanOrEqual(5);
    const exported = await call(small, 'export_session', { ...REFUND, format: 'json' });
    expect(resultBytes(exported)).toBeLessThanOrEqual(4096);
    expect(dataOf(exported)).toMatchObject({ complete: false, fromSeq: 1 });
    expect(textOf(exported)).toMatch(/Part of the export: events seq 1–\d of 12 \(not a whole export: it holds only these events\)\. Call export_session again with afterSeq \d for the next part\./);
  });

  it('the README example (the SDK client spawning sessiondb mcp) prints what its comments say', () => {
    runExample('mcp-client', [["command: 'npx', args: ['sessiondb', 'mcp'", `command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(bin)}, 'mcp'`]]);
  });

  it('--help has an example: a client configuration whose JSON parses', () => {
    const r = spawnSync(process.execPath, [bin, 'mcp', '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('sessiondb mcp --db sqlite:./data/sessions.db --read-only');
    const json = JSON.parse(r.stdout.slice(r.stdout.indexOf('{\n'), r.stdout.lastIndexOf('}') + 1));
    expect(json.mcpServers.sessiondb).toMatchObject({ command: 'npx', args: expect.arrayContaining(['sessiondb', 'mcp']) });
  });

  it('--read-only on a database that does not exist fails at once (exit 1), creating nothing', () => {
    const missing = join(dir, 'missing.db');
    const r = spawnSync(process.execPath, [bin, 'mcp', '--read-only', '--db', `sqlite:${missing}`], { encoding: 'utf8', input: '' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`no database at ${missing}`);
    expect(r.stdout).toBe('');
    expect(existsSync(missing)).toBe(false);
  });
});
