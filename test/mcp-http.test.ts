// MCP's Streamable HTTP transport at /mcp of a real spawned `sessiondb serve`, behind API keys
// given in a config file: the SDK's client in both protocol eras, tenant isolation, admin and
// read-only keys, 401 without a key, and the host/origin checks on loopback. Then createApp
// in-process for what needs no spawned server (mcp: false, a server-wide readOnly, rate limits).
import { request } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionNotFoundError } from '../src/core/errors.js';
import { MemoryStore } from '../src/index.js';
import { createApp } from '../src/server/index.js';
import { openStore } from '../src/stores/open-store.js';
import { startServer, tempDir } from './helpers.js';
import { dataOf, errorOf, READ_TOOLS, REFUND, seed, TEMPLATE, textOf, WRITE_TOOLS } from './mcp-helpers.js';

const dir = tempDir('mcp-http');
const KEYS = { acme: 'acme-key-0123456789', globex: 'globex-key-0123456789', reader: 'reader-key-0123456789', ops: 'ops-admin-key-0123456789' };
let url: string;
let child: ChildProcess;
const clients: Client[] = [];
const MODERN = { pin: '2026-07-28' };

beforeAll(async () => {
  const db = join(dir, 'sessions.db');
  const store = await openStore(`sqlite:${db}`);
  await seed(store, 'acme');
  await store.close();
  const cfg = join(dir, 'sessiondb.config.yaml');
  writeFileSync(
    cfg,
    [
      `url: "sqlite:${db}"`,
      'server:',
      '  apiKeys:',
      `    - { tenant: acme, key: "${KEYS.acme}" }`,
      `    - { tenant: globex, key: "${KEYS.globex}" }`,
      `    - { tenant: acme, name: reader, key: "${KEYS.reader}", readOnly: true }`,
      `    - { tenant: ops, key: "${KEYS.ops}", admin: true }`,
      '',
    ].join('\n'),
  );
  ({ url, child } = await startServer(['--config', cfg]));
}, 30_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  child?.kill('SIGTERM');
});

/** A connected SDK client: `MODERN` speaks the 2026-07-28 revision (or fails), `legacy` uses the 2025 handshake. */
async function connect(headers: Record<string, string>, mode: 'legacy' | { pin: string } = 'legacy'): Promise<Client> {
  const client = new Client({ name: 'sessiondb-test', version: '1.0.0' }, { versionNegotiation: { mode } });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers } }));
  clients.push(client);
  return client;
}
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const call = (client: Client, name: string, args: Record<string, unknown> = {}) => client.callTool({ name, arguments: args });

/** A POST to /mcp with any headers, Host included (fetch cannot set Host). */
function post(headers: Record<string, string>, body: unknown = { jsonrpc: '2.0', id: 1, method: 'ping' }): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  const target = new URL(`${url}/mcp`);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: target.hostname, port: target.port, path: '/mcp', method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'content-length': Buffer.byteLength(payload), ...headers } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('/mcp on a spawned sessiondb serve with API keys', () => {
  it('no key or a wrong key: 401 with WWW-Authenticate, and the client cannot connect', async () => {
    const none = await post({});
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="sessiondb"');
    expect(JSON.parse(none.text)).toEqual({ error: { code: 'unauthorized', message: 'An API key is required: send "Authorization: Bearer <key>".' } });
    expect((await post(bearer('not-a-key-0123456789'))).status).toBe(401);
    const client = new Client({ name: 't', version: '1' });
    await expect(client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)))).rejects.toThrow();
  });

  it("a key's tenant is the tenant the tools see, in both protocol eras", async () => {
    const acme = await connect(bearer(KEYS.acme));
    expect((await acme.listTools()).tools.map((t) => t.name).sort()).toEqual([...READ_TOOLS, ...WRITE_TOOLS].sort());
    expect(dataOf(await call(acme, 'get_session', REFUND)).session).toMatchObject({ eventCount: 12, title: 'Refund for order 1042' });
    expect(dataOf(await call(acme, 'create_session', { appName: 'shop', userId: 'u1', sessionId: 'from-mcp' })).session.sessionId).toBe('from-mcp');
    expect(dataOf(await call(acme, 'search_sessions', { query: 'refund' })).hits.length).toBeGreaterThan(0);
    expect((await acme.readResource({ uri: 'sessiondb://sessions/shop/u1/s1' })).contents).toHaveLength(1);

    const globex = await connect(bearer(KEYS.globex), MODERN);
    expect(dataOf(await call(globex, 'list_sessions')).sessions).toEqual([]);
    expect(errorOf(await call(globex, 'get_session', REFUND))).toBe(new SessionNotFoundError({ ...REFUND, tenant: 'globex' }).message);
    expect(dataOf(await call(globex, 'search_sessions', { query: 'refund' })).hits).toEqual([]);
    expect(dataOf(await call(globex, 'get_stats'))).toMatchObject({ sessions: 0, events: 0 });
    await expect(globex.readResource({ uri: 'sessiondb://sessions/shop/u1/s1' })).rejects.toThrow(/Session not found/);
    expect((await globex.complete({ ref: { type: 'ref/resource', uri: TEMPLATE }, argument: { name: 'app', value: '' } })).completion.values).toEqual([]);
    expect((await globex.listResources()).resources).toEqual([]);
    // What one tenant wrote over MCP, the API shows to that tenant only.
    const api = (key: string) => fetch(`${url}/v1/apps/shop/users/u1/sessions/from-mcp`, { headers: bearer(key) });
    expect((await api(KEYS.acme)).status).toBe(200);
    expect((await api(KEYS.globex)).status).toBe(404);
  });

  it('an admin key names the tenant with X-Sessiondb-Tenant; a tenant key may not', async () => {
    const ops = await connect({ ...bearer(KEYS.ops), 'x-sessiondb-tenant': 'acme' });
    expect(dataOf(await call(ops, 'get_session', REFUND)).session.eventCount).toBe(12);
    const crossing = await post({ ...bearer(KEYS.globex), 'x-sessiondb-tenant': 'acme' });
    expect(crossing.status).toBe(403);
    expect(JSON.parse(crossing.text).error.message).toMatch(/bound to tenant "globex" and cannot act for tenant "acme"/);
  });

  it('a read-only key: no tool that writes over MCP, 403 on API writes, reads as usual', async () => {
    const reader = await connect(bearer(KEYS.reader), MODERN);
    expect((await reader.listTools()).tools.map((t) => t.name).sort()).toEqual([...READ_TOOLS].sort());
    await expect(call(reader, 'create_session', { appName: 'shop', userId: 'u1' })).rejects.toThrow(/create_session not found/);
    expect(textOf(await call(reader, 'read_transcript', REFUND))).toContain('We decided to refund');
    const write = await fetch(`${url}/v1/apps/shop/users/u1/sessions`, { method: 'POST', headers: { ...bearer(KEYS.reader), 'content-type': 'application/json' }, body: '{}' });
    expect(write.status).toBe(403);
    expect(await write.json()).toEqual({ error: { code: 'forbidden', message: 'This API key is read-only: it may not write.' } });
    expect((await fetch(`${url}/v1/apps/shop/users/u1/sessions/s1`, { headers: bearer(KEYS.reader) })).status).toBe(200);
  });

  it('on loopback: a foreign Host or Origin is refused (DNS-rebinding protection); GET is 405 (stateless)', async () => {
    const port = new URL(url).port;
    const badHost = await post({ ...bearer(KEYS.acme), host: `attacker.example:${port}` });
    expect(badHost.status).toBe(403);
    expect(badHost.text).toContain('Invalid Host: attacker.example');
    const badOrigin = await post({ ...bearer(KEYS.acme), origin: 'https://attacker.example' });
    expect(badOrigin.status).toBe(403);
    expect(badOrigin.text).toContain('Invalid Origin: attacker.example');
    // Checked before the key: a rebinding page learns nothing, not even whether keys are configured.
    expect((await post({ host: `attacker.example:${port}` })).status).toBe(403);
    expect((await post({ ...bearer(KEYS.acme), host: `localhost:${port}`, origin: `http://localhost:${port}` })).status).toBe(200);
    expect((await fetch(`${url}/mcp`, { headers: bearer(KEYS.acme) })).status).toBe(405);
  });
});

describe('/mcp in createApp (in-process)', () => {
  async function inProcess(options: Partial<Parameters<typeof createApp>[0]>, headers: Record<string, string> = {}) {
    const store = new MemoryStore();
    await seed(store);
    const app = createApp({ store, ...options });
    const client = new Client({ name: 't', version: '1' });
    const transport = new StreamableHTTPClientTransport(new URL('http://127.0.0.1/mcp'), { requestInit: { headers }, fetch: async (input, init) => app.fetch(new Request(input, init)) });
    return { app, client, connect: () => client.connect(transport) };
  }

  it('mcp: false mounts nothing; mcp.readOnly leaves out the write tools for every caller', async () => {
    const off = await inProcess({ mcp: false });
    expect((await off.app.fetch(new Request('http://127.0.0.1/mcp', { method: 'POST' }))).status).toBe(404);
    const ro = await inProcess({ mcp: { readOnly: true, limits: { maxEvents: 3 } } });
    await ro.connect();
    expect((await ro.client.listTools()).tools.map((t) => t.name).sort()).toEqual([...READ_TOOLS].sort());
    expect(dataOf(await call(ro.client, 'read_transcript', REFUND))).toMatchObject({ toSeq: 3, nextAfterSeq: 3 });
    await ro.client.close();
  });

  it("/mcp counts against the key's rate limit like the API", async () => {
    const limited = await inProcess({ apiKeys: [{ tenant: 'default', key: 'limited-key-0123456789', rateLimitPerMinute: 2 }] }, bearer('limited-key-0123456789'));
    await limited.connect(); // initialize + initialized: the two requests of the minute
    const res = await limited.app.fetch(new Request('http://127.0.0.1/mcp', { method: 'POST', headers: { ...bearer('limited-key-0123456789'), 'content-type': 'application/json' }, body: '{}' }));
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});
