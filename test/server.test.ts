// The HTTP API: every route and error status in-process (app.fetch), then a real spawned server
// for tenant isolation, SIGTERM shutdown and a SIGKILL during a stream of appends.
import { createHash } from 'node:crypto';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryStore, SqliteStore } from '../src/index.js';
import { createApp } from '../src/server/index.js';
import { PostgresStore } from '../src/stores/postgres/index.js';
import { startServer, tempDir } from './helpers.js';
import { adminQuery, dropSchema, PG_URL, pgUnavailableReason, uniqueSchema } from './pg-helpers.js';

const dir = tempDir('server');
const pgUnavailable = await pgUnavailableReason();
const base = '/v1/apps/shop/users/u1/sessions';

function app(extra: Parameters<typeof createApp>[0] extends infer O ? Partial<O> : never = {}) {
  const store = new MemoryStore();
  return { store, app: createApp({ store, ...extra }) };
}
const call = async (a: { fetch: (r: Request) => Response | Promise<Response> }, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const res = await a.fetch(
    new Request(`http://test${path}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, text, json: json as Record<string, any> };
};

describe('HTTP API routes', () => {
  it('health, readiness, sessions, events, export, stats, files, OpenAPI and docs', async () => {
    const { app: a, store } = app();
    expect((await call(a, 'GET', '/healthz')).json).toEqual({ status: 'ok' });
    expect((await call(a, 'GET', '/readyz')).status).toBe(200);
    const created = await call(a, 'POST', base, { id: 's1', state: { k: 1, 'user:u': 2 }, metadata: { title: 'T' }, ttlSeconds: 3600 });
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('"1"');
    expect(created.json.expiresAt).toBeGreaterThan(Date.now());
    expect((await call(a, 'POST', base, { id: 's1' })).status).toBe(409);
    const one = await call(a, 'POST', `${base}/s1/events`, { author: 'user', role: 'user', content: 'hi', stateDelta: { k: 2 } }, { 'if-match': '"1"' });
    expect(one.status).toBe(201);
    expect(one.json.version).toBe(2);
    const many = await call(a, 'POST', `${base}/s1/events`, { events: [{ author: 'bot', role: 'assistant', content: 'hello' }, { author: 'user', content: 'x' }] });
    expect(many.json.events.map((e: { seq: number }) => e.seq)).toEqual([2, 3]);
    expect((await call(a, 'POST', `${base}/s1/events`, { author: 'u' }, { 'if-match': '"1"' })).status).toBe(412);
    const got = await call(a, 'GET', `${base}/s1?events=2`);
    expect(got.json.events.map((e: { content: string }) => e.content)).toEqual(['hello', 'x']);
    expect(got.json.state).toEqual({ k: 2, 'user:u': 2 });
    expect(got.headers.get('etag')).toBe('"3"');
    expect((await call(a, 'GET', `${base}/s1/events?afterSeq=1&limit=1`)).json.events[0].seq).toBe(2);
    expect((await call(a, 'GET', `${base}/s1/events?order=desc&limit=2`)).json.events.map((e: { seq: number }) => e.seq)).toEqual([3, 2]);
    const md = await call(a, 'GET', `${base}/s1/export?format=markdown`);
    expect(md.headers.get('content-type')).toMatch(/text\/markdown/);
    expect(md.text).toMatch(/^# T/);
    expect((await call(a, 'GET', `${base}/s1/export?format=text`)).headers.get('content-type')).toMatch(/text\/plain/);
    expect((await call(a, 'GET', base)).json.sessions.map((s: { id: string }) => s.id)).toEqual(['s1']);
    expect((await call(a, 'GET', '/v1/apps/shop/sessions?status=active')).json.sessions).toHaveLength(1);
    const archived = await call(a, 'PATCH', `${base}/s1`, { status: 'archived', metadata: { title: 'U' } }, { 'if-match': '"3"' });
    expect(archived.json).toMatchObject({ status: 'archived', metadata: { title: 'U' }, version: 4 });
    expect((await call(a, 'GET', '/v1/stats')).json).toMatchObject({ store: 'memory', sessions: 1, events: 3 });
    expect((await call(a, 'GET', '/sessions/storage/stats')).json).toMatchObject({ storage_type: 'memory', total_sessions: 1, active_sessions: 0 });
    expect((await call(a, 'PUT', '/v1/files/f1', { name: 'a.pdf', size: 3, appName: 'shop', userId: 'u1', sessionId: 's1' })).status).toBe(200);
    expect((await call(a, 'GET', '/v1/files/f1')).json).toMatchObject({ name: 'a.pdf', sessionId: 's1' });
    expect((await call(a, 'GET', '/v1/files')).json.files).toHaveLength(1);
    expect((await call(a, 'DELETE', '/v1/files/f1')).status).toBe(204);
    expect((await call(a, 'GET', '/v1/files/f1')).status).toBe(404);
    expect((await call(a, 'DELETE', `${base}/s1`)).status).toBe(204);
    expect((await call(a, 'GET', `${base}/s1`)).status).toBe(404);
    const doc = (await call(a, 'GET', '/openapi.json')).json;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.paths['/v1/apps/{app}/users/{user}/sessions/{session}/events'].post.requestBody).toBeDefined();
    expect((await call(a, 'GET', '/docs')).text).toMatch(/sessiondb API/);
    await store.close();
    expect((await call(a, 'GET', '/readyz')).status).toBe(503);
  });

  it('errors: one JSON shape, the field named; 400, 404, 413, 415', async () => {
    const { app: a } = app({ bodyLimitBytes: 2048 });
    const bad = await call(a, 'POST', base, { id: 's1', bogus: 1 });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ code: 'invalid', details: { fields: [{ field: 'body.bogus' }] } });
    expect((await call(a, 'POST', base, 'not json')).json.error.message).toMatch(/not valid JSON/);
    expect((await call(a, 'POST', base, { id: 'x'.repeat(200) })).json.error).toMatchObject({ code: 'too_large', details: { field: 'id' } });
    expect((await call(a, 'GET', `${base}?limit=abc`)).json.error.details.fields[0].field).toBe('query.limit');
    expect((await call(a, 'POST', base, { id: 's1', metadata: { big: 'x'.repeat(4000) } })).status).toBe(413); // no length given: counted
    const declared = await call(a, 'POST', base, { id: 's2' }, { 'content-length': '4000' });
    expect(declared.status).toBe(413); // refused from the header, before reading
    expect(declared.json.error.code).toBe('too_large');
    expect((await call(a, 'GET', `${base}/s2`)).status).toBe(404);
    const plain = await a.fetch(new Request(`http://test${base}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' }));
    expect(plain.status).toBe(415);
    expect((await call(a, 'GET', '/v1/nothing')).status).toBe(404);
    expect((await call(a, 'POST', `${base}/nope/events`, { author: 'u' })).json.error.code).toBe('not_found');
    expect((await call(a, 'POST', `${base}/nope/events`, { author: 'u' }, { 'if-match': 'soon' })).status).toBe(400);
  });

  it('API keys: 401 without a valid one; each key sees only its tenant', async () => {
    const { app: a } = app({
      apiKeys: [
        { tenant: 'acme', key: 'acme-key-0123456789' },
        { tenant: 'globex', sha256: createHash('sha256').update('globex-key-0123456789').digest('hex') },
      ],
    });
    expect((await call(a, 'GET', base)).status).toBe(401);
    expect((await call(a, 'GET', base, undefined, { authorization: 'Bearer wrong' })).status).toBe(401);
    const acme = { authorization: 'Bearer acme-key-0123456789' };
    const globex = { 'x-api-key': 'globex-key-0123456789' };
    expect((await call(a, 'POST', base, { id: 'secret' }, acme)).json.tenant).toBe('acme');
    expect((await call(a, 'GET', `${base}/secret`, undefined, globex)).status).toBe(404);
    expect((await call(a, 'GET', base, undefined, globex)).json.sessions).toEqual([]);
    expect((await call(a, 'GET', `${base}/secret`, undefined, acme)).status).toBe(200);
    expect((await call(a, 'GET', '/healthz')).status).toBe(200); // health needs no key
  });
});

describe('HTTP API: PATCH …/sessions/:session/state (updateKeys)', () => {
  it('routes keys by prefix, deletes on null, honours If-Match, answers the session, and is in the OpenAPI document', async () => {
    const { app: a } = app();
    await call(a, 'POST', base, { id: 's1', state: { old: 1, keep: 2, 'user:u': 1, 'app:a': 1 } });
    const r = await call(a, 'PATCH', `${base}/s1/state`, { delta: { old: null, 'user:u': null, 'app:a': null, fresh: 'v', 'temp:t': 1 } }, { 'if-match': '"1"' });
    expect(r.status).toBe(200);
    expect(r.headers.get('etag')).toBe('"2"');
    expect(r.json).toMatchObject({ id: 's1', version: 2, eventCount: 0, state: { keep: 2, fresh: 'v' } });
    expect(Object.keys(r.json.state).sort()).toEqual(['fresh', 'keep']);
    expect((await call(a, 'GET', '/v1/apps/shop/state')).json).toEqual({});
    const stale = await call(a, 'PATCH', `${base}/s1/state`, { delta: { keep: null } }, { 'if-match': '"1"' });
    expect(stale.status).toBe(412);
    expect((await call(a, 'GET', `${base}/s1`)).json.state).toEqual({ keep: 2, fresh: 'v' });
    expect((await call(a, 'PATCH', `${base}/missing/state`, { delta: { x: 1 } })).status).toBe(404);
    const bare = await call(a, 'PATCH', `${base}/s1/state`, { keep: null });
    expect(bare.status).toBe(400);
    expect(bare.json.error.details.fields[0].field).toMatch(/^body/);
    const badKey = await call(a, 'PATCH', `${base}/s1/state`, { delta: { '': null } });
    expect(badKey.json.error).toMatchObject({ code: 'invalid' });
    expect(badKey.json.error.details.field).toMatch(/^delta/);
    const doc = (await call(a, 'GET', '/openapi.json')).json;
    const op = doc.paths['/v1/apps/{app}/users/{user}/sessions/{session}/state'].patch;
    expect(JSON.stringify(op.requestBody)).toMatch(/delta/);
  });
});

describe('HTTP API: the rest of the store contract, admin keys, rate limits, metrics', () => {
  it('state, counts, activity, import, tenant-wide listing and generated file ids', async () => {
    const { app: a } = app();
    await call(a, 'POST', base, { id: 's1', state: { 'app:theme': 'dark' } });
    expect((await call(a, 'PATCH', '/v1/apps/shop/state', { 'app:plan': 'pro' })).json).toEqual({ 'app:theme': 'dark', 'app:plan': 'pro' });
    expect((await call(a, 'GET', '/v1/apps/shop/state')).json).toEqual({ 'app:theme': 'dark', 'app:plan': 'pro' });
    expect((await call(a, 'PATCH', '/v1/apps/shop/users/u1/state', { 'user:lang': 'fr' })).json).toEqual({ 'user:lang': 'fr' });
    expect((await call(a, 'GET', '/v1/apps/shop/users/u1/state')).json).toEqual({ 'user:lang': 'fr' });
    expect((await call(a, 'PATCH', '/v1/apps/shop/state', { plain: 1 })).json.error.code).toBe('invalid');
    expect((await call(a, 'GET', '/v1/sessions/count?appName=shop')).json).toEqual({ count: 1 });
    expect((await call(a, 'GET', '/v1/sessions?userId=u1')).status).toBe(400); // a user belongs to an app: the store says which field
    expect((await call(a, 'GET', '/v1/sessions')).json.sessions).toHaveLength(1);
    const active = await call(a, 'POST', `${base}/s1/activity`, { durationMs: 120 });
    expect(active.json).toMatchObject({ requestCount: 1, requestMsTotal: 120 });
    const full = await call(a, 'GET', `${base}/s1?events=none`);
    expect(full.json.events).toBeUndefined();
    const snapshot = { session: { ...full.json, id: 'copy', state: undefined }, state: {}, events: [] };
    delete snapshot.session.state;
    expect((await call(a, 'PUT', `${base}/copy`, snapshot)).json).toMatchObject({ id: 'copy', requestCount: 1, version: full.json.version });
    expect((await call(a, 'PUT', `${base}/copy`, snapshot)).status).toBe(409);
    expect((await call(a, 'PUT', `${base}/copy?replace=true`, snapshot)).status).toBe(200);
    expect((await call(a, 'PUT', `${base}/other`, snapshot)).json.error.details.field).toBe('body.session.id');
    const file = await call(a, 'POST', '/v1/files', { name: 'notes.txt' });
    expect(file.status).toBe(201);
    expect(file.json.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('admin keys act for any tenant; tenant keys get 403 for another tenant and for /v1/admin', async () => {
    const { app: a } = app({ apiKeys: [{ tenant: 'acme', key: 'acme-key-0123456789' }, { tenant: 'ops', key: 'admin-key-0123456789', admin: true }] });
    const acme = { authorization: 'Bearer acme-key-0123456789' };
    const admin = { authorization: 'Bearer admin-key-0123456789' };
    await call(a, 'POST', base, { id: 's1' }, acme);
    const other = await call(a, 'GET', `${base}/s1`, undefined, { ...acme, 'x-sessiondb-tenant': 'globex' });
    expect(other.status).toBe(403);
    expect(other.json.error.message).toMatch(/bound to tenant "acme"/);
    expect((await call(a, 'GET', `${base}/s1`, undefined, { ...acme, 'x-sessiondb-tenant': 'acme' })).status).toBe(200);
    expect((await call(a, 'GET', '/v1/admin/scan/sessions', undefined, acme)).status).toBe(403);
    expect((await call(a, 'POST', '/v1/admin/sweep', {}, acme)).status).toBe(403);
    expect((await call(a, 'GET', `${base}/s1`, undefined, admin)).status).toBe(404); // the admin's own tenant is "ops"
    expect((await call(a, 'GET', `${base}/s1`, undefined, { ...admin, 'x-sessiondb-tenant': 'acme' })).json.tenant).toBe('acme');
    expect((await call(a, 'GET', '/v1/admin/scan/sessions', undefined, admin)).json.keys).toEqual([{ tenant: 'acme', appName: 'shop', userId: 'u1', sessionId: 's1' }]);
    expect((await call(a, 'GET', '/v1/admin/stats', undefined, admin)).json).toMatchObject({ sessions: 1 });
    expect((await call(a, 'GET', '/sessions/storage/stats')).status).toBe(401); // totals need a key too
  });

  it('rate limit: 429 with Retry-After once a key spends its budget, per key, refilled over time', async () => {
    let now = 1_000_000;
    const { app: a } = app({
      clock: { now: () => now },
      rateLimitPerMinute: 3,
      apiKeys: [{ tenant: 'a', key: 'key-a-0123456789abc' }, { tenant: 'b', key: 'key-b-0123456789abc', rateLimitPerMinute: 60 }],
    });
    const ka = { authorization: 'Bearer key-a-0123456789abc' };
    const kb = { authorization: 'Bearer key-b-0123456789abc' };
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await call(a, 'GET', '/v1/stats', undefined, ka)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await call(a, 'GET', '/v1/stats', undefined, ka);
    expect(limited.json.error.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await call(a, 'GET', '/v1/stats', undefined, kb)).status).toBe(200); // another key has its own budget
    now += 20_000; // a third of a minute: one request's worth for 3/min
    expect((await call(a, 'GET', '/v1/stats', undefined, ka)).status).toBe(200);
    expect((await call(a, 'GET', '/v1/stats', undefined, ka)).status).toBe(429);
    expect((await call(a, 'GET', '/healthz')).status).toBe(200); // health is never limited
  });

  it('/metrics: requests by route pattern and status, a latency histogram, store operation counts', async () => {
    const { app: a } = app();
    await call(a, 'POST', base, { id: 's1' });
    await call(a, 'POST', `${base}/s1/events`, { author: 'u' });
    await call(a, 'POST', `${base}/missing/events`, { author: 'u' });
    const res = await call(a, 'GET', '/metrics');
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const lines = res.text.split('\n');
    const route = '/v1/apps/:app/users/:user/sessions/:session/events';
    expect(lines).toContain(`sessiondb_http_requests_total{method="POST",route="${route}",status="201"} 1`);
    expect(lines).toContain(`sessiondb_http_requests_total{method="POST",route="${route}",status="404"} 1`);
    expect(lines).toContain(`sessiondb_http_request_duration_seconds_count{method="POST",route="${route}"} 2`);
    expect(lines).toContain(`sessiondb_http_request_duration_seconds_bucket{method="POST",route="${route}",le="+Inf"} 2`);
    expect(lines).toContain('sessiondb_store_operations_total{operation="appendEvents",outcome="ok"} 1');
    expect(lines).toContain('sessiondb_store_operations_total{operation="appendEvents",outcome="error"} 1');
    expect(lines).toContain('sessiondb_store_operations_total{operation="createSession",outcome="ok"} 1');
    expect(res.text).not.toMatch(/missing|s1/); // names from requests never become labels
  });
});

describe('a real server', () => {
  it('refuses to listen beyond loopback without API keys unless --insecure', async () => {
    const err = await startServer(['--db', 'memory:', '--host', '0.0.0.0']).catch((e: Error) => e);
    expect(String(err)).toMatch(/Refusing to listen on 0\.0\.0\.0 without API keys/);
  });

  it('says how it authenticates: --insecure beyond loopback is not "loopback only", keys are counted, a metrics token is taken from the config', async () => {
    const auth = (output: string) => (/"auth":"([^"]*)"/.exec(output) ?? [])[1];
    const stopped = async (server: Awaited<ReturnType<typeof startServer>>) => {
      const exit = new Promise((resolve) => server.child.on('close', resolve)); // 'close': its output is all read
      server.child.kill('SIGTERM');
      await exit;
      return server.output();
    };
    expect(auth(await stopped(await startServer(['--db', 'memory:', '--host', '0.0.0.0', '--insecure'])))).toMatch(/^none \(--insecure/);
    expect(auth(await stopped(await startServer(['--db', 'memory:'])))).toBe('none (loopback only)');
    const cfg = join(dir, 'metrics-token.yaml');
    writeFileSync(cfg, `url: "memory:"\nserver:\n  metricsToken: { key: "metrics-token-0000001" }\n  apiKeys:\n    - { tenant: a, key: "tenant-a-key-000001" }\n`);
    const keyed = await startServer(['--config', cfg]);
    try {
      for (let i = 0; i < 50 && auth(keyed.output()) === undefined; i++) await new Promise((r) => setTimeout(r, 20));
      expect(auth(keyed.output())).toBe('1 API key, a metrics token');
      expect(keyed.output()).not.toContain('metrics-token-0000001');
      expect((await fetch(`${keyed.url}/metrics`)).status).toBe(401);
      expect((await fetch(`${keyed.url}/metrics`, { headers: { authorization: 'Bearer tenant-a-key-000001' } })).status).toBe(403);
      expect((await fetch(`${keyed.url}/metrics`, { headers: { authorization: 'Bearer metrics-token-0000001' } })).status).toBe(200);
    } finally {
      keyed.child.kill('SIGTERM');
    }
  }, 30_000);

  it('isolates tenants by API key, and SIGTERM finishes in-flight requests, flushes, closes and exits 0', async () => {
    const cfg = join(dir, 'keys.yaml');
    writeFileSync(cfg, `url: "sqlite:${join(dir, 'keys.db')}"\nserver:\n  apiKeys:\n    - { tenant: a, key: "tenant-a-key-000001" }\n    - { tenant: b, key: "tenant-b-key-000002" }\n`);
    const { url, child } = await startServer(['--config', cfg]);
    const h = (k: string) => ({ authorization: `Bearer ${k}`, 'content-type': 'application/json' });
    expect((await fetch(`${url}${base}`, { method: 'POST', headers: h('tenant-a-key-000001'), body: '{"id":"mine"}' })).status).toBe(201);
    expect((await fetch(`${url}${base}/mine`, { headers: h('tenant-b-key-000002') })).status).toBe(404);
    const inFlight = Array.from({ length: 20 }, (_, i) =>
      fetch(`${url}${base}/mine/events`, { method: 'POST', headers: h('tenant-a-key-000001'), body: JSON.stringify({ author: 'u', content: `m${i}` }) }).then((r) => r.status),
    );
    child.kill('SIGTERM');
    const statuses = await Promise.allSettled(inFlight);
    const exit = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    expect(exit).toBe(0);
    const store = new SqliteStore({ path: join(dir, 'keys.db') });
    const stored = (await store.getSession({ tenant: 'a', appName: 'shop', userId: 'u1', sessionId: 'mine' }))!.eventCount;
    const acknowledged = statuses.filter((s) => s.status === 'fulfilled' && s.value === 201).length;
    expect(stored).toBe(acknowledged); // every 201 was stored, nothing else
    await store.close();
  }, 30_000);

  it('after SIGKILL during a stream of appends, a restarted server has every append that got a 201', async () => {
    const db = `sqlite:${join(dir, 'kill.db')}`;
    const first = await startServer(['--db', db]);
    const json = { 'content-type': 'application/json' };
    await fetch(`${first.url}${base}`, { method: 'POST', headers: json, body: '{"id":"s"}' });
    const acked: string[] = [];
    let stop = false;
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        try {
          const r = await fetch(`${first.url}${base}/s/events`, { method: 'POST', headers: json, body: JSON.stringify({ id: `e${i}`, author: 'u' }) });
          if (r.status === 201) acked.push(`e${i}`);
        } catch {
          return; // the server is gone
        }
      }
    })();
    await new Promise((r) => setTimeout(r, 400));
    first.child.kill('SIGKILL');
    stop = true;
    await writer;
    expect(acked.length).toBeGreaterThan(0);
    const second = await startServer(['--db', db]);
    const events: string[] = [];
    for (let cursor: string | null = null; ; ) {
      const page = (await (await fetch(`${second.url}${base}/s/events?limit=1000${cursor ? `&cursor=${cursor}` : ''}`)).json()) as { events: { id: string }[]; nextCursor: string | null };
      events.push(...page.events.map((e) => e.id));
      if (!(cursor = page.nextCursor)) break;
    }
    for (const id of acked) expect(events).toContain(id);
    second.child.kill('SIGTERM');
    await new Promise((resolve) => second.child.on('exit', resolve));
  }, 30_000);
});

describe('HTTP API: statuses, messages and labels', () => {
  it('an export from GET …/export?format=json is accepted as-is by PUT …/sessions/:session, with its app and user state', async () => {
    const { app: a } = app();
    await call(a, 'POST', base, { id: 's1', state: { 'app:plan': 'pro', 'user:lang': 'fr', step: 1 }, metadata: { title: 'T' } });
    await call(a, 'POST', `${base}/s1/events`, { events: [{ id: 'e1', author: 'user', role: 'user', content: 'hi', stateDelta: { step: 2 } }, { id: 'e2', author: 'bot', content: { parts: [{ text: 'yo' }] } }] });
    const exported = (await call(a, 'GET', `${base}/s1/export?format=json`)).text;
    expect((await call(a, 'DELETE', `${base}/s1`)).status).toBe(204);
    await call(a, 'PATCH', '/v1/apps/shop/state', { 'app:plan': 'free' });
    await call(a, 'PATCH', '/v1/apps/shop/users/u1/state', { 'user:lang': 'de' });
    const put = await call(a, 'PUT', `${base}/s1`, exported);
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ id: 's1', eventCount: 2, state: { 'app:plan': 'pro', 'user:lang': 'fr', step: 2 } });
    expect((await call(a, 'GET', `${base}/s1/export?format=json`)).text).toBe(exported); // exactly as exported
    const again = await call(a, 'PUT', `${base}/s1`, exported);
    expect(again.status).toBe(409);
    expect(again.json.error.message).toMatch(/replace=true/);
    expect((await call(a, 'PUT', `${base}/s1?replace=true`, exported)).status).toBe(200);
    const doc = JSON.parse(exported);
    expect((await call(a, 'PUT', `${base}/s1?replace=true`, { ...doc, format: 'other' })).json.error.details.field).toBe('body.format');
    expect((await call(a, 'PUT', `${base}/s1?replace=true`, { ...doc, version: 2 })).json.error.details.field).toBe('body.version');
    const misplaced = await call(a, 'PUT', `${base}/s1?replace=true`, { ...doc, state: { 'app:plan': 'x' } });
    expect(misplaced.json.error).toMatchObject({ code: 'invalid', details: { field: 'snapshot.state' } });
    expect(misplaced.json.error.message).toMatch(/appState/);
  });

  it('a path segment or query value over its limit is 400 "invalid" naming the limit; 413 is for bodies', async () => {
    const { app: a } = app({ bodyLimitBytes: 4096 });
    const long = 'x'.repeat(200);
    const segment = await call(a, 'GET', `${base}/${long}`);
    expect(segment.status).toBe(400);
    expect(segment.json.error).toMatchObject({ code: 'invalid', details: { field: 'sessionId', limit: 128, actual: 200 } });
    expect(segment.json.error.message).toMatch(/128/);
    expect((await call(a, 'POST', `/v1/apps/${long}/users/u1/sessions`, {})).json.error).toMatchObject({ code: 'invalid', details: { field: 'appName' } });
    expect((await call(a, 'GET', `/v1/files/${long}`)).status).toBe(400);
    const page = await call(a, 'GET', `${base}?limit=5000`);
    expect(page.status).toBe(400);
    expect(page.json.error).toMatchObject({ code: 'invalid', details: { field: 'limit', limit: 1000, actual: 5000 } });
    expect(page.json.error.message).toMatch(/1000/);
    expect((await call(a, 'GET', `${base}/s1/events?limit=5000`)).status).toBe(400);
    expect((await call(a, 'GET', `/v1/sessions?appName=${long}`)).json.error).toMatchObject({ code: 'invalid', details: { field: 'appName' } });
    expect((await call(a, 'GET', `/v1/admin/scan/sessions?limit=5000`)).status).toBe(400);
    expect((await call(a, 'POST', base, { id: long })).status).toBe(413); // in the body
    expect((await call(a, 'POST', base, { id: 's1', metadata: { big: 'x'.repeat(5000) } })).status).toBe(413);
  });

  it('messages that reach HTTP callers name no library function or store option', async () => {
    const store = new MemoryStore({ limits: { maxEventContentBytes: 10 } });
    const a = createApp({ store });
    const missing = await call(a, 'POST', `${base}/nope/events`, { author: 'u' });
    expect(missing.status).toBe(404);
    expect(missing.json.error.message).toMatch(/Session not found: app "shop", user "u1", session "nope"\. Create the session/);
    await call(a, 'POST', base, { id: 's1' });
    const big = await call(a, 'POST', `${base}/s1/events`, { author: 'u', content: 'x'.repeat(11) });
    expect(big.status).toBe(413);
    await store.close();
    const closed = await call(a, 'GET', `${base}/s1`);
    expect(closed.status).toBe(503);
    expect(closed.headers.get('retry-after')).toBe('1');
    for (const message of [missing.json.error.message, big.json.error.message, closed.json.error.message]) {
      expect(message).not.toMatch(/\w\(\)|store options|createSession|open a new one/);
    }
  });

  it('a wrong method on an existing path is 405 with Allow; an unknown path is 404', async () => {
    const { app: a } = app();
    const wrong = await call(a, 'DELETE', '/v1/stats');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, HEAD');
    expect(wrong.json.error.code).toBe('method_not_allowed');
    expect((await call(a, 'PATCH', base)).headers.get('allow')).toBe('POST, GET, HEAD');
    expect((await call(a, 'POST', `${base}/s1`, {})).headers.get('allow')).toBe('GET, HEAD, PUT, PATCH, DELETE');
    expect((await call(a, 'POST', '/metrics', {})).status).toBe(405);
    expect((await call(a, 'PUT', '/healthz', {})).status).toBe(405);
    expect((await call(a, 'DELETE', '/v1/nothing')).status).toBe(404);
    expect((await call(a, 'GET', `${base}/s1/nothing`)).status).toBe(404);
  });

  it('/metrics needs an admin key or the metrics token once keys are configured', async () => {
    const token = 'metrics-token-0123456789';
    const { app: a } = app({
      apiKeys: [{ tenant: 'acme', key: 'acme-key-0123456789' }, { tenant: 'ops', key: 'admin-key-0123456789', admin: true }],
      metricsToken: { sha256: createHash('sha256').update(token).digest('hex') },
    });
    expect((await call(a, 'GET', '/metrics')).status).toBe(401);
    expect((await call(a, 'GET', '/metrics', undefined, { authorization: 'Bearer wrong-token' })).status).toBe(401);
    expect((await call(a, 'GET', '/metrics', undefined, { authorization: 'Bearer acme-key-0123456789' })).status).toBe(403);
    expect((await call(a, 'GET', '/metrics', undefined, { authorization: 'Bearer admin-key-0123456789' })).status).toBe(200);
    const scraped = await call(a, 'GET', '/metrics', undefined, { authorization: `Bearer ${token}` });
    expect(scraped.status).toBe(200);
    expect(scraped.text).toMatch(/sessiondb_http_requests_total/);
    const { app: keyless } = app();
    expect((await call(keyless, 'GET', '/metrics')).status).toBe(200); // loopback-only server: open, like the rest
    expect(() => createApp({ store: new MemoryStore(), metricsToken: {} })).toThrow(/metricsToken: must give exactly one of key or sha256/);
    expect(() => createApp({ store: new MemoryStore(), metricsToken: { sha256: 'abc' } })).toThrow(/metricsToken\.sha256/);
  });

  it('/docs, /openapi.json, /metrics, 405 and 413 are counted under their routes, unknown paths as "unmatched"', async () => {
    const { app: a } = app({ bodyLimitBytes: 2048 });
    await call(a, 'GET', '/docs');
    await call(a, 'GET', '/openapi.json');
    await call(a, 'GET', '/metrics');
    await call(a, 'POST', base, { id: 's1', metadata: { big: 'x'.repeat(4000) } });
    await call(a, 'POST', base, { id: 's2' }, { 'content-length': '4000' });
    await call(a, 'DELETE', '/v1/stats');
    await call(a, 'GET', '/v1/nothing');
    const lines = (await call(a, 'GET', '/metrics')).text.split('\n');
    expect(lines).toContain('sessiondb_http_requests_total{method="GET",route="/docs",status="200"} 1');
    expect(lines).toContain('sessiondb_http_requests_total{method="GET",route="/openapi.json",status="200"} 1');
    expect(lines).toContain('sessiondb_http_requests_total{method="GET",route="/metrics",status="200"} 1');
    expect(lines).toContain(`sessiondb_http_requests_total{method="POST",route="/v1/apps/:app/users/:user/sessions",status="413"} 2`);
    expect(lines).toContain('sessiondb_http_requests_total{method="DELETE",route="/v1/stats",status="405"} 1');
    expect(lines).toContain('sessiondb_http_requests_total{method="GET",route="unmatched",status="404"} 1');
  });

  it('?events=abc names the values it takes', async () => {
    const { app: a } = app();
    await call(a, 'POST', base, { id: 's1' });
    const bad = await call(a, 'GET', `${base}/s1?events=abc`);
    expect(bad.status).toBe(400);
    expect(bad.json.error.details.field).toBe('query.events');
    expect(bad.json.error.message).toMatch(/a number.*"all".*"none"/);
    expect(bad.json.error.message).toMatch(/"abc"/);
  });

  it('/sessions/storage/stats reports the SQLite database\'s size on disk: main file plus WAL', async () => {
    const path = join(dir, 'storage-stats.db');
    const store = new SqliteStore({ path });
    await store.migrate();
    const a = createApp({ store });
    await call(a, 'POST', base, { id: 's1' });
    for (let i = 0; i < 20; i++) await call(a, 'POST', `${base}/s1/events`, { author: 'u', content: 'x'.repeat(4000) });
    const onDisk = statSync(path).size + (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0);
    expect(onDisk).toBeGreaterThan(80_000);
    const stats = (await call(a, 'GET', '/sessions/storage/stats')).json;
    expect(stats.file_size_bytes).toBe(onDisk);
    expect((await store.stats()).diskBytes).toBe(onDisk);
    await store.close();
  });

  it.skipIf(pgUnavailable !== null)(`/sessions/storage/stats on PostgreSQL reports the size of the store's tables${pgUnavailable ? ` (skipped: ${pgUnavailable})` : ''}`, async () => {
    const schema = uniqueSchema('srvstats');
    const store = new PostgresStore({ connectionString: PG_URL, schema, max: 2 });
    try {
      await store.migrate();
      const a = createApp({ store });
      await call(a, 'POST', base, { id: 's1' });
      await call(a, 'POST', `${base}/s1/events`, { author: 'u', content: 'x'.repeat(4000) });
      const stats = (await call(a, 'GET', '/sessions/storage/stats')).json;
      const sizes = await adminQuery(
        `SELECT sum(pg_total_relation_size(c.oid))::double precision AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r' AND c.relname NOT IN ('sessiondb_migrations', 'sessiondb_settings')`,
        [schema],
      );
      expect(stats.file_size_bytes).toBe(sizes.rows[0].bytes);
      expect((await store.stats()).diskBytes).toBe(sizes.rows[0].bytes);
      expect((await store.stats({ tenant: 'default' })).diskBytes).toBeUndefined(); // the database is shared by every tenant
    } finally {
      await store.close();
      await dropSchema(schema);
    }
  });
});

describe('HTTP API: search, fork, rewind, superseded events, state history', () => {
  /** A session s1 with four events, an initial state and one updateKeys. */
  async function storied(a: ReturnType<typeof app>['app'], headers: Record<string, string> = {}) {
    await call(a, 'POST', base, { id: 's1', state: { step: 0 }, metadata: { title: 'Refund for order 1042' } }, headers);
    await call(a, 'POST', `${base}/s1/events`, {
      events: [
        { id: 'e1', author: 'user', role: 'user', content: 'Where is my parcel?', stateDelta: { step: 1 } },
        { id: 'e2', author: 'agent', role: 'assistant', content: 'Your refund was approved.', stateDelta: { step: 2 } },
      ],
    }, headers);
    await call(a, 'PATCH', `${base}/s1/state`, { delta: { note: 'called' } }, headers);
    await call(a, 'POST', `${base}/s1/events`, {
      events: [
        { id: 'e3', author: 'user', role: 'user', content: 'And the refund amount?', stateDelta: { step: 3 } },
        { id: 'e4', author: 'agent', role: 'assistant', content: 'The refund is 59.90 euros.', stateDelta: { step: 4 } },
      ],
    }, headers);
  }

  it('GET /v1/search: hits with snippets, filters, paging; bad queries are 400 "invalid" naming the field, never 500', async () => {
    const { app: a } = app();
    await storied(a);
    const page = await call(a, 'GET', '/v1/search?q=refund');
    expect(page.status).toBe(200);
    expect(page.json.hits.map((h: { field: string; event: { id: string } | null }) => h.event?.id ?? h.field).sort()).toEqual(['e2', 'e3', 'e4', 'title']);
    expect(page.json.hits.find((h: { event: { id: string } | null }) => h.event?.id === 'e2')).toMatchObject({
      tenant: 'default', appName: 'shop', userId: 'u1', sessionId: 's1', field: 'content', snippet: 'Your **refund** was approved.',
    });
    expect(page.json.nextCursor).toBeNull();
    const filtered = await call(a, 'GET', '/v1/search?q=refund&role=user&appName=shop&userId=u1&sessionId=s1&status=active&after=0&before=99999999999999');
    expect(filtered.json.hits.map((h: { event: { id: string } }) => h.event.id)).toEqual(['e3']);
    expect((await call(a, 'GET', '/v1/search?q=refund&author=agent')).json.hits).toHaveLength(2);
    const first = await call(a, 'GET', '/v1/search?q=refund&limit=3');
    expect(first.json.hits).toHaveLength(3);
    const second = await call(a, 'GET', `/v1/search?q=refund&limit=3&cursor=${encodeURIComponent(first.json.nextCursor)}`);
    expect(second.json.hits).toHaveLength(1);
    expect(second.json.nextCursor).toBeNull();

    const invalid = async (query: string, field: string) => {
      const r = await call(a, 'GET', `/v1/search?${query}`);
      expect(r.status, query).toBe(400);
      expect(r.json.error.code, query).toBe('invalid');
      expect(r.json.error.details.field, query).toBe(field);
      return r;
    };
    await invalid('', 'query.q');
    await invalid('q=', 'query');
    await invalid('q=-excluded', 'query');
    await invalid(`q=${encodeURIComponent('"')}`, 'query');
    await invalid('q=x&role=robot', 'query.role');
    await invalid('q=x&status=gone', 'query.status');
    await invalid('q=x&after=yesterday', 'query.after');
    await invalid('q=x&limit=0', 'limit');
    await invalid('q=x&cursor=nope', 'cursor');
    await invalid(`q=x&cursor=${encodeURIComponent(first.json.nextCursor)}`, 'cursor'); // another search's cursor
    await invalid('q=x&tenant=other', 'query.tenant'); // the tenant is the caller's, never a parameter
    const long = await invalid(`q=${'x'.repeat(1001)}`, 'query');
    expect(long.json.error.details).toMatchObject({ limit: 1000, actual: 1001, unit: 'characters' });
    expect((await invalid(`q=x&limit=5000`, 'limit')).json.error.details).toMatchObject({ limit: 1000 });
    expect((await invalid(`q=x&author=${'a'.repeat(200)}`, 'author')).json.error.details).toMatchObject({ limit: 128, actual: 200 });
    await invalid(`q=x&appName=${'a'.repeat(200)}`, 'appName');
    for (const q of ['"', '*', 'a*', '(', 'NEAR(x', "'; DROP TABLE events; --", '\\', '💥', '\u0000x', 'x:*', '&|!<->', '%', '_']) {
      const r = await call(a, 'GET', `/v1/search?q=${encodeURIComponent(q)}`);
      expect([200, 400], q).toContain(r.status);
      if (r.status === 400) expect(r.json.error.code, q).toBe('invalid');
    }
    const doc = (await call(a, 'GET', '/openapi.json')).json;
    expect(doc.paths['/v1/search'].get.parameters.filter((p: { in?: string }) => p.in === 'query').map((p: { name: string }) => p.name)).toEqual(
      ['q', 'appName', 'userId', 'sessionId', 'role', 'author', 'after', 'before', 'status', 'limit', 'cursor'],
    );
    expect(doc.paths['/v1/search'].get.parameters.filter((p: { required: boolean }) => p.required).map((p: { name: string }) => p.name)).toEqual(['q']);
    expect(doc.paths['/v1/apps/{app}/users/{user}/sessions/{session}/export'].get.parameters.filter((p: { in: string; required: boolean }) => p.in === 'query' && p.required)).toEqual([]);
    const lines = (await call(a, 'GET', '/metrics')).text.split('\n');
    for (const status of [200, 400]) expect(lines.some((l) => l.startsWith(`sessiondb_http_requests_total{method="GET",route="/v1/search",status="${status}"}`)), String(status)).toBe(true);
    expect(lines.some((l) => l.includes('status="500"'))).toBe(false);
    expect(lines.some((l) => l.startsWith('sessiondb_store_operations_total{operation="searchEvents",outcome="ok"}'))).toBe(true);
  });

  it('a search sees the tenant of its API key only; naming another tenant is 403', async () => {
    const { app: a } = app({ apiKeys: [{ tenant: 'acme', key: 'acme-key-0123456789' }, { tenant: 'globex', key: 'globex-key-0123456789' }, { tenant: 'ops', key: 'ops-key-0123456789', admin: true }] });
    const acme = { authorization: 'Bearer acme-key-0123456789' };
    const globex = { authorization: 'Bearer globex-key-0123456789' };
    await storied(a, acme);
    expect((await call(a, 'GET', '/v1/search?q=refund', undefined, acme)).json.hits.length).toBe(4);
    expect((await call(a, 'GET', '/v1/search?q=refund', undefined, globex)).json.hits).toEqual([]);
    expect((await call(a, 'GET', '/v1/search?q=refund', undefined, { ...globex, 'x-sessiondb-tenant': 'acme' })).status).toBe(403);
    expect((await call(a, 'GET', '/v1/search?q=refund')).status).toBe(401);
    const admin = await call(a, 'GET', '/v1/search?q=refund', undefined, { authorization: 'Bearer ops-key-0123456789', 'x-sessiondb-tenant': 'acme' });
    expect(admin.json.hits.every((h: { tenant: string }) => h.tenant === 'acme')).toBe(true);
    // The other routes are bound to the tenant too: globex cannot fork, rewind or read acme's session.
    expect((await call(a, 'POST', `${base}/s1/fork`, {}, globex)).status).toBe(404);
    expect((await call(a, 'POST', `${base}/s1/rewind`, { toSeq: 0 }, globex)).status).toBe(404);
    expect((await call(a, 'GET', `${base}/s1/history`, undefined, globex)).status).toBe(404);
    expect((await call(a, 'GET', `${base}/s1/superseded`, undefined, globex)).status).toBe(404);
  });

  it('POST …/fork: 201 with the new session at version 1; the source is unchanged; 404, 409 and 400 naming the field', async () => {
    const { app: a } = app();
    await storied(a);
    const source = (await call(a, 'GET', `${base}/s1?events=all`)).json;
    const fork = await call(a, 'POST', `${base}/s1/fork`, { upToSeq: 2, newSessionId: 'f1' });
    expect(fork.status).toBe(201);
    expect(fork.headers.get('etag')).toBe('"1"');
    expect(fork.json).toMatchObject({ id: 'f1', userId: 'u1', eventCount: 2, version: 1, state: { step: 2, note: 'called' }, metadata: { forkedFrom: { sessionId: 's1', seq: 2 } } });
    expect((await call(a, 'GET', `${base}/f1?events=all`)).json.events.map((e: { id: string }) => e.id)).toEqual(['e1', 'e2']);
    expect((await call(a, 'GET', `${base}/s1?events=all`)).json).toEqual(source);
    const other = await call(a, 'POST', `${base}/s1/fork`, { userId: 'u2' });
    expect(other.status).toBe(201);
    expect(other.json).toMatchObject({ userId: 'u2', eventCount: 4 });
    expect((await call(a, 'GET', `/v1/apps/shop/users/u2/sessions/${other.json.id}`)).status).toBe(200);
    expect((await call(a, 'POST', `${base}/s1/fork`, { newSessionId: 'f1' })).status).toBe(409);
    expect((await call(a, 'POST', `${base}/missing/fork`, {})).status).toBe(404);
    const past = await call(a, 'POST', `${base}/s1/fork`, { upToSeq: 9 });
    expect(past.json.error).toMatchObject({ code: 'invalid', details: { field: 'upToSeq' } });
    expect((await call(a, 'POST', `${base}/s1/fork`, { upToSeq: -1 })).json.error.details.field).toBe('body.upToSeq');
    expect((await call(a, 'POST', `${base}/s1/fork`, { bogus: 1 })).json.error.details.field).toBe('body.bogus');
  });

  it('POST …/rewind: { session, superseded }; If-Match or expectVersion make it conditional; superseded events and the state log are readable', async () => {
    const { app: a } = app();
    await storied(a);
    const before = (await call(a, 'GET', `${base}/s1?events=none`)).json;
    expect((await call(a, 'POST', `${base}/s1/rewind`, { toSeq: 1 }, { 'if-match': `"${before.version - 1}"` })).status).toBe(412);
    const stale = await call(a, 'POST', `${base}/s1/rewind`, { toSeq: 1, expectVersion: before.version - 1 });
    expect(stale.status).toBe(409);
    expect(stale.json.error.code).toBe('conflict');
    const both = await call(a, 'POST', `${base}/s1/rewind`, { toSeq: 1, expectVersion: before.version }, { 'if-match': `"${before.version - 1}"` });
    expect(both.json.error).toMatchObject({ code: 'invalid', details: { field: 'body.expectVersion' } });
    expect((await call(a, 'POST', `${base}/s1/rewind`, {})).json.error.details.field).toBe('body.toSeq');
    expect((await call(a, 'POST', `${base}/s1/rewind`, { toSeq: 1.5 })).json.error.details.field).toBe('body.toSeq');
    expect((await call(a, 'POST', `${base}/s1/rewind`, { toSeq: 9 })).json.error).toMatchObject({ code: 'invalid', details: { field: 'toSeq' } });
    expect((await call(a, 'POST', `${base}/missing/rewind`, { toSeq: 0 })).status).toBe(404);
    expect((await call(a, 'GET', `${base}/s1?events=none`)).json).toEqual(before); // nothing changed

    const r = await call(a, 'POST', `${base}/s1/rewind`, { toSeq: 2 }, { 'if-match': `"${before.version}"` });
    expect(r.status).toBe(200);
    expect(r.headers.get('etag')).toBe(`"${before.version + 1}"`);
    expect(r.json).toMatchObject({ superseded: 2, session: { eventCount: 2, version: before.version + 1, state: { step: 2, note: 'called' } } });
    expect(r.json.session.events).toBeUndefined();
    const again = await call(a, 'POST', `${base}/s1/rewind`, { toSeq: 2, expectVersion: before.version + 1 });
    expect(again.json).toMatchObject({ superseded: 0, session: { version: before.version + 1 } });
    await call(a, 'POST', `${base}/s1/rewind`, { toSeq: 1 });

    const all = await call(a, 'GET', `${base}/s1/superseded`);
    expect(all.json.events.map((e: { id: string; supersededBy: number }) => [e.id, e.supersededBy])).toEqual([
      ['e3', before.version + 1], ['e4', before.version + 1], ['e2', before.version + 2],
    ]);
    const p1 = await call(a, 'GET', `${base}/s1/superseded?limit=2`);
    const p2 = await call(a, 'GET', `${base}/s1/superseded?limit=2&cursor=${encodeURIComponent(p1.json.nextCursor)}`);
    expect([...p1.json.events, ...p2.json.events]).toEqual(all.json.events);
    expect((await call(a, 'GET', `${base}/s1/superseded?limit=abc`)).json.error.details.field).toBe('query.limit');
    expect((await call(a, 'GET', `${base}/missing/superseded`)).status).toBe(404);
    expect((await call(a, 'GET', '/v1/search?q=refund')).json.hits.map((h: { field: string }) => h.field)).toEqual(['title']); // rewound events left the index

    const history = await call(a, 'GET', `${base}/s1/history`);
    expect(history.json).toEqual({ changes: [{ atSeq: 0, kind: 'replace', set: { step: 0 }, unset: [] }] }); // the updateKeys at seq 2 went with the rewind
    expect((await call(a, 'GET', `${base}/missing/history`)).status).toBe(404);
    const doc = (await call(a, 'GET', '/openapi.json')).json;
    for (const path of ['fork', 'rewind']) expect(doc.paths[`/v1/apps/{app}/users/{user}/sessions/{session}/${path}`].post.requestBody).toBeDefined();
    for (const path of ['superseded', 'history']) expect(doc.paths[`/v1/apps/{app}/users/{user}/sessions/{session}/${path}`].get).toBeDefined();
  });

  it('GET …/export?superseded=true adds the superseded events; PUT takes such an export back without them, with its state log', async () => {
    const { app: a } = app();
    await storied(a);
    await call(a, 'POST', `${base}/s1/rewind`, { toSeq: 3 });
    expect((await call(a, 'GET', `${base}/s1/export?format=text`)).text).not.toContain('59.90');
    expect((await call(a, 'GET', `${base}/s1/export?format=text&superseded=true`)).text).toMatch(/--- Superseded \(rewound .* to seq 3;[^\n]*\n\[.*\] Assistant: The refund is 59\.90 euros\./);
    expect((await call(a, 'GET', `${base}/s1/export?format=markdown&superseded=true`)).text).toMatch(/## Superseded \(rewound .* to seq 3\)/);
    expect((await call(a, 'GET', `${base}/s1/export?superseded=maybe`)).json.error.details.field).toBe('query.superseded');
    const exported = (await call(a, 'GET', `${base}/s1/export?format=json&superseded=true`)).text;
    const doc = JSON.parse(exported);
    expect(doc.superseded.map((e: { id: string }) => e.id)).toEqual(['e4']);
    expect(doc.history).toHaveLength(2);
    const put = await call(a, 'PUT', `${base}/copy`, { ...doc, session: { ...doc.session, id: 'copy' } });
    expect(put.status).toBe(200);
    expect(put.json.eventCount).toBe(3);
    expect((await call(a, 'GET', `${base}/copy/superseded`)).json.events).toEqual([]);
    expect((await call(a, 'GET', `${base}/copy/history`)).json.changes).toEqual(doc.history);
  });
});
