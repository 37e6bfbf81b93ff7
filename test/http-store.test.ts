// HttpStore beyond the conformance suite: keys and tenants, refusals, an unreachable server.
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpStore } from '../src/client/index.js';
import { copyStore, MemoryStore, openStore, SessionDbError, verifyCopy } from '../src/index.js';
import { createApp } from '../src/server/index.js';
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
    await rejectsWith(store.stats(), 'forbidden');
    expect((await store.stats({ tenant: 'acme' })).events).toBe(1);
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
    const tiny = new HttpStore({ url, apiKey: 'tiny-key-0123456789' });
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
});
