// HttpStore beyond the conformance suite: keys and tenants, refusals, an unreachable server.
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpStore } from '../src/client/index.js';
import { copyStore, forkSession, MemoryStore, openStore, SessionDbError, verifyCopy } from '../src/index.js';
import { createApp } from '../src/server/index.js';
import { parseRetryAfter, retryDelay } from '../src/client/retry.js';
import { rejectsWith } from '../src/testing/index.js';

const ADMIN = 'admin-key-0123456789';
const ACME = 'acme-key-0123456789';
let server: ServerType;
let url: string;

beforeAll(async () => {
  const app = createApp({
    store: new MemoryStore(),
    apiKeys: [
      { tenant: 'ops', key: ADMIN, admin: true },
      { tenant: 'acme', key: ACME, rateLimitPerMinute: 1000 },
      { tenant: 'tiny', key: 'tiny-key-0123456789', rateLimitPerMinute: 1 },
    ],
  });
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('HttpStore', () => {
  it('openStore("http://…", { apiKey }) acts for the key\'s tenant; another tenant is "forbidden"', async () => {
    const store = await openStore(url, { apiKey: ACME });
    expect(store.kind).toBe('http');
    const s = await store.createSession({ appName: 'shop', userId: 'u1', id: 's1' });
    expect(s.tenant).toBe('acme');
    expect((await store.appendEvents({ appName: 'shop', userId: 'u1', sessionId: 's1' }, [{ author: 'u', content: 'hi' }])).version).toBe(2);
    await rejectsWith(store.getSession({ tenant: 'globex', appName: 'shop', userId: 'u1', sessionId: 's1' }), 'forbidden');
    await rejectsWith(store.scanSessionKeys(), 'forbidden');
    expect(await store.stats()).toMatchObject({ sessions: 1, events: 1 }); // not the whole store: the key's own tenant
    expect((await store.stats({ tenant: 'acme' })).events).toBe(1);
    await rejectsWith(store.stats({ tenant: 'globex' }), 'forbidden');
    await store.close();
  });

  it('an admin key reads every tenant, and scans the whole store', async () => {
    const admin = new HttpStore({ url, apiKey: ADMIN });
    const s = await admin.getSession({ tenant: 'acme', appName: 'shop', userId: 'u1', sessionId: 's1' });
    expect(s?.events?.map((e) => e.content)).toEqual(['hi']);
    expect((await admin.scanSessionKeys()).keys).toContainEqual({ tenant: 'acme', appName: 'shop', userId: 'u1', sessionId: 's1' });
  });

  it('copies out of a server and back into another, verified, with an admin key', async () => {
    const admin = new HttpStore({ url, apiKey: ADMIN });
    await admin.putFile({ tenant: 'acme', id: 'f1', name: 'a.txt', appName: 'shop', userId: 'u1', sessionId: 's1' });
    await admin.updateAppState({ tenant: 'acme', appName: 'shop' }, { 'app:plan': 'pro' });
    const local = new MemoryStore();
    const summary = await copyStore(admin, local);
    expect(summary).toMatchObject({ sessions: 1, events: 1, files: 1 });
    expect((await verifyCopy(admin, local)).ok).toBe(true);
    expect((await local.getSession({ tenant: 'acme', appName: 'shop', userId: 'u1', sessionId: 's1' }))?.state).toEqual({ 'app:plan': 'pro' });
  });

  it('a wrong key is "unauthorized"; a spent budget is "rate_limited"', async () => {
    await rejectsWith(new HttpStore({ url, apiKey: 'wrong-key-0123456789' }).listSessions({ appName: 'shop' }), 'unauthorized');
    const tiny = new HttpStore({ url, apiKey: 'tiny-key-0123456789', retry: false });
    await tiny.listSessions({ appName: 'shop' });
    await rejectsWith(tiny.listSessions({ appName: 'shop' }), 'rate_limited');
  });

  it('an unreachable server is "unavailable", and the error carries no API key', async () => {
    const gone = new HttpStore({ url: 'http://127.0.0.1:1', apiKey: 'secret-key-0123456789', timeoutMs: 2000 });
    const err = await rejectsWith(gone.listSessions({ appName: 'shop' }), 'unavailable');
    expect(err.message).toMatch(/could not be reached/);
    expect(JSON.stringify({ message: err.message, details: err.details })).not.toContain('secret-key');
  });

  it('bad URLs and names a URL path cannot carry are refused before any request', () => {
    expect(() => new HttpStore({ url: 'ftp://x' })).toThrow(SessionDbError);
    const store = new HttpStore({ url });
    return rejectsWith(store.getSession({ appName: '..', userId: 'u', sessionId: 's' }), 'invalid', 'appName');
  });

  it('search, fork and rewind act in the key\'s tenant; a fork is one request', async () => {
    const store = new HttpStore({ url, apiKey: ACME });
    const admin = new HttpStore({ url, apiKey: ADMIN });
    const key = { appName: 'shop', userId: 'u1', sessionId: 'walrus' };
    await store.createSession({ appName: key.appName, userId: key.userId, id: key.sessionId, state: { step: 0 } });
    await admin.createSession({ tenant: 'globex', appName: key.appName, userId: key.userId, id: key.sessionId });
    await admin.appendEvents({ ...key, tenant: 'globex' }, [{ author: 'u', content: 'a globex walrus' }]);
    await store.appendEvents(key, [
      { id: 'w1', author: 'user', content: 'tell me about the walrus', stateDelta: { step: 1 } },
      { id: 'w2', author: 'agent', content: 'a walrus is a large marine mammal', stateDelta: { step: 2 } },
    ]);
    const hits = (await store.searchEvents({ query: 'walrus' })).hits;
    expect(hits.every((h) => h.tenant === 'acme')).toBe(true);
    expect(hits.map((h) => h.event?.id).sort()).toEqual(['w1', 'w2']);
    await rejectsWith(store.searchEvents({ tenant: 'globex', query: 'walrus' }), 'forbidden');
    expect((await admin.searchEvents({ tenant: 'globex', query: 'walrus' })).hits.map((h) => h.tenant)).toEqual(['globex']);

    const requests = async () => {
      const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();
      return [...text.matchAll(/^sessiondb_http_requests_total\{[^}]*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    };
    const before = await requests();
    const fork = await forkSession(store, key, { upToSeq: 1, newSessionId: 'walrus-fork' });
    expect(await requests()).toBe(before + 2); // the fork, and the first /metrics read
    expect(fork).toMatchObject({ tenant: 'acme', id: 'walrus-fork', eventCount: 1, state: { step: 1 }, metadata: { forkedFrom: { sessionId: 'walrus', seq: 1 } } });
    await rejectsWith(forkSession(store, key, { newSessionId: 'x'.repeat(200) }), 'too_large', 'newSessionId');
    await rejectsWith(forkSession(store, key, { upToSeq: 3 }), 'invalid', 'upToSeq');
    await rejectsWith(forkSession(store, { ...key, sessionId: 'missing' }), 'not_found');

    const s = (await store.getSession(key, { withEvents: false }))!;
    await rejectsWith(store.rewindSession(key, { toSeq: 1 }, { expectVersion: s.version - 1 }), 'conflict');
    const r = await store.rewindSession(key, { toSeq: 1 }, { expectVersion: s.version });
    expect(r).toMatchObject({ superseded: 1, session: { eventCount: 1, version: s.version + 1, state: { step: 1 } } });
    expect((await store.readSupersededEvents(key))?.events.map((e) => [e.id, e.supersededBy])).toEqual([['w2', s.version + 1]]);
    expect(await store.readSupersededEvents({ ...key, sessionId: 'missing' })).toBeNull();
    expect(await store.readStateHistory(key)).toEqual([{ atSeq: 0, kind: 'replace', set: { step: 0 }, unset: [] }]);
    expect(await store.readStateHistory({ ...key, sessionId: 'missing' })).toBeNull();
    expect((await store.searchEvents({ query: 'mammal' })).hits).toEqual([]);
  });

  it('search input the URL cannot carry is refused as the store refuses it, with or without client-side checks', async () => {
    for (const checkInput of [true, false]) {
      const store = new HttpStore({ url, apiKey: ACME, checkInput });
      await rejectsWith(store.searchEvents({ query: 7 as never }), 'invalid', 'query');
      await rejectsWith(store.searchEvents(null as never), 'invalid');
      await rejectsWith(store.searchEvents({ query: 'x', limit: '5' as never }), 'invalid', 'limit');
      await rejectsWith(store.searchEvents({ query: 'x', after: 'today' as never }), 'invalid', 'after');
      await rejectsWith(store.searchEvents({ query: 'x', bogus: 1 } as never), 'invalid', 'bogus');
      await rejectsWith(store.searchEvents({ query: 'x'.repeat(1001) }), 'too_large', 'query');
      await rejectsWith(store.searchEvents({ query: 'x', author: 'a'.repeat(200) }), 'too_large', 'author');
      await rejectsWith(store.searchEvents({ query: 'x', role: 'robot' as never }), 'invalid', 'role');
      await rejectsWith(store.searchEvents({ query: '-only' }), 'invalid', 'query');
      await rejectsWith(store.rewindSession({ appName: 'shop', userId: 'u1', sessionId: 's1' }, {} as never), 'invalid', 'toSeq');
      await rejectsWith(store.rewindSession({ appName: 'shop', userId: 'u1', sessionId: 's1' }, null as never), 'invalid', 'rewind');
    }
  });

  it('Retry-After in seconds or as an HTTP date; waits at least that long, jittered, and never above maxDelayMs', () => {
    const now = Date.parse('2026-11-21T09:30:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Sat, 21 Nov 2026 09:30:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Sat, 21 Nov 2026 09:29:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(retryDelay('2', 0, 30_000, now, () => 0)).toBe(2000);
    expect(retryDelay('2', 0, 30_000, now, () => 0.999)).toBeLessThanOrEqual(3000);
    expect(retryDelay('120', 0, 30_000, now, () => 0.999)).toBeLessThanOrEqual(30_000);
    expect(retryDelay('120', 0, 30_000, now, () => 0)).toBeGreaterThanOrEqual(22_500);
    const backoff = [0, 1, 2, 3].map((attempt) => retryDelay(null, attempt, 30_000, now, () => 1));
    expect(backoff).toEqual([250, 500, 1000, 2000]);
  });
});
