// Capacity (maxActiveSessions) and lifecycle events: the manager with real stores, its HTTP face
// in-process (app.fetch), and the built `sessiondb serve` configured by environment variables.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CapacityError,
  HttpStore,
  MemoryStore,
  SessionManager,
  SqliteStore,
  withCorrelationId,
  type Clock,
  type LifecycleEvent,
  type Scheduler,
} from '../src/index.js';
import { loadConfig } from '../src/config/load.js';
import { createApp } from '../src/server/index.js';
import { recordingStore, startServer, tempDir } from './helpers.js';
import { runExample } from './readme-helpers.js';

const dir = tempDir('lifecycle');
const HOUR = 3_600_000;

class ManualClock implements Clock {
  constructor(public t = 1_800_000_000_000) {}
  now() {
    return this.t;
  }
}

/** Timers that fire only when the test says so. */
class ManualScheduler implements Scheduler {
  timers = new Map<number, () => void>();
  private next = 1;
  setTimeout(fn: () => void) {
    this.timers.set(this.next, fn);
    return this.next++;
  }
  clearTimeout(handle: unknown) {
    this.timers.delete(handle as number);
  }
  fireAll() {
    const due = [...this.timers.values()];
    this.timers.clear();
    for (const fn of due) fn();
  }
}


const k = (sessionId: string) => ({ appName: 'chat', userId: 'u1', sessionId });
const create = (m: SessionManager, id: string, extra: Record<string, unknown> = {}) => m.createSession({ appName: 'chat', userId: 'u1', id, ...extra });

describe('maxActiveSessions', () => {
  it('refuses a create past the limit with CapacityError (code capacity, nothing written), and counts archive, restore, delete and imports', async () => {
    const m = new SessionManager({ store: new MemoryStore(), maxActiveSessions: 2, sweepIntervalMs: 0 });
    await m.startup();
    await create(m, 'a');
    await create(m, 'b');
    const refused = await create(m, 'c').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CapacityError);
    expect(refused).toMatchObject({ code: 'capacity', limit: 2, details: { limit: 2, retryAfterSeconds: 30 } });
    expect((refused as Error).message).toMatch(/^Capacity reached: 2 active sessions is the limit \(maxActiveSessions\).*nothing was changed/);
    expect(await m.getSession(k('c'))).toBeNull();
    await create(m, 'kept', { status: 'archived' }); // not active: not counted, not refused
    expect(m.capacityStatus).toEqual({ limit: 2, active: 2 });

    await m.archiveSession(k('a'));
    expect(m.capacityStatus?.active).toBe(1);
    await create(m, 'c');
    await expect(m.restoreSession(k('a'))).rejects.toMatchObject({ code: 'capacity' }); // restoring adds an active session too
    expect((await m.getSession(k('a'), { withEvents: false }))?.status).toBe('archived');
    await m.deleteSession(k('b'));
    await m.restoreSession(k('a'));
    expect(m.capacityStatus?.active).toBe(2);

    // Writes through manager.store (what the server uses) are counted the same way.
    const snapshot = { session: { ...(await m.getSession(k('kept'), { withEvents: false }))!, id: 'copy', status: 'active' as const }, state: {}, events: [] };
    await expect(m.store.importSession(snapshot)).rejects.toMatchObject({ code: 'capacity' });
    await m.store.updateSession(k('c'), { status: 'expired' });
    await m.store.importSession(snapshot);
    expect(m.capacityStatus?.active).toBe(2);
    expect((await m.getStatistics()).sessions.active).toBe(2); // the store agrees with the count
    await m.shutdown();
  });

  it('is counted without scanning: one read of the store totals at startup, none per create', async () => {
    const { store, calls } = recordingStore(new SqliteStore({ path: join(dir, 'count.db') }));
    const m = new SessionManager({ store, maxActiveSessions: 1000, sweepIntervalMs: 0 });
    await m.startup();
    expect(calls.filter((c) => c === 'stats')).toHaveLength(1);
    for (let i = 0; i < 50; i++) await create(m, `s${i}`);
    expect(calls.filter((c) => ['stats', 'countSessions', 'listSessions', 'scanSessionKeys'].includes(c))).toEqual(['stats']);
    expect(m.capacityStatus).toEqual({ limit: 1000, active: 50 });
    await m.shutdown();
  });

  it('several managers on one SQLite file: each re-reads the count before a create once it is a second old, so one sees the others', async () => {
    const path = join(dir, 'shared.db');
    const clock = new ManualClock();
    const a = new SessionManager({ store: `sqlite:${path}`, maxActiveSessions: 3, sweepIntervalMs: 0, clock });
    const b = new SessionManager({ store: `sqlite:${path}`, maxActiveSessions: 3, sweepIntervalMs: 0, clock });
    await a.startup();
    await b.startup();
    await create(a, 'a1');
    await create(a, 'a2');
    expect(b.capacityStatus?.active).toBe(0); // b counted at its startup
    clock.t += 1000;
    await create(b, 'b1'); // its count is a second old: re-read (2), then 3
    expect(b.capacityStatus?.active).toBe(3);
    await expect(create(b, 'b2')).rejects.toBeInstanceOf(CapacityError);
    await expect(create(a, 'a3')).rejects.toBeInstanceOf(CapacityError); // a re-reads too: 3
    await b.deleteSession(k('b1'));
    clock.t += 1000;
    await create(a, 'a3');
    await a.shutdown();
    await b.shutdown();
  });

  it('an expiry sweep frees places and the count is read again after it', async () => {
    const clock = new ManualClock();
    const { store, calls } = recordingStore(new MemoryStore({ clock }));
    const m = new SessionManager({ store, clock, maxActiveSessions: 2, expiryHours: 1, sweepIntervalMs: 0 });
    await m.startup();
    await create(m, 'a');
    await create(m, 'b');
    clock.t += 2 * HOUR;
    expect(await m.cleanupExpired()).toBe(2);
    expect(calls.filter((c) => c === 'stats')).toHaveLength(2);
    expect(m.capacityStatus?.active).toBe(0);
    await create(m, 'c');
    await m.shutdown();
  });

  it('is configured by manager.maxActiveSessions, SESSIONDB_MAX_ACTIVE_SESSIONS or seed 004\'s MAX_CONCURRENT_SESSIONS', async () => {
    const load = (env: Record<string, string>) => loadConfig({ cwd: dir, env, dotEnv: false });
    expect((await load({})).config.manager.maxActiveSessions).toBeNull();
    expect((await load({ MAX_CONCURRENT_SESSIONS: '100' })).config.manager.maxActiveSessions).toBe(100);
    expect((await load({ MAX_CONCURRENT_SESSIONS: '100', SESSIONDB_MAX_ACTIVE_SESSIONS: '7' })).config.manager.maxActiveSessions).toBe(7);
    await expect(load({ SESSIONDB_MAX_ACTIVE_SESSIONS: 'many' })).rejects.toThrow(/SESSIONDB_MAX_ACTIVE_SESSIONS.*must be a whole number of sessions/);
    await expect(load({ SESSIONDB_MAX_ACTIVE_SESSIONS: '0' })).rejects.toThrow(/SESSIONDB_MAX_ACTIVE_SESSIONS/);
    expect(() => new SessionManager({ store: new MemoryStore(), maxActiveSessions: 1.5 })).toThrow(/maxActiveSessions: must be a whole number of at least 1/);
  });
});

describe('lifecycle events', () => {
  it('session.created, archived, restored, expired (a sweep: count and mode), deleted and recovered, each with a correlation id and the session', async () => {
    const clock = new ManualClock();
    const store = new SqliteStore({ path: join(dir, 'events.db'), clock });
    const seen: LifecycleEvent[] = [];
    const m = new SessionManager({ store, clock, expiryHours: 1, sweepIntervalMs: 0, onEvent: (e) => void seen.push(e) });
    await m.startup();
    await withCorrelationId('req-1', async () => {
      await create(m, 'a');
      await m.archiveSession(k('a'));
      await m.archiveSession(k('a')); // already archived: no transition, no event
      await m.restoreSession(k('a'));
    });
    await create(m, 'b');
    clock.t += 2 * HOUR;
    await m.cleanupExpired();
    await m.deleteSession(k('b'));
    expect(seen.map((e) => [e.type, e.category, e.severity, e.session?.sessionId, e.fromStatus, e.count, e.mode])).toEqual([
      ['session.created', 'session', 'info', 'a', undefined, undefined, undefined],
      ['session.archived', 'session', 'info', 'a', 'active', undefined, undefined],
      ['session.restored', 'session', 'info', 'a', 'archived', undefined, undefined],
      ['session.created', 'session', 'info', 'b', undefined, undefined, undefined],
      ['session.expired', 'session', 'info', undefined, undefined, 2, 'mark'],
      ['session.deleted', 'session', 'info', 'b', undefined, undefined, undefined],
    ]);
    expect(seen.slice(0, 3).map((e) => e.correlationId)).toEqual(['req-1', 'req-1', 'req-1']);
    expect(new Set(seen.slice(3).map((e) => e.correlationId)).size).toBe(3); // no scope: a new id each
    expect(seen[0]!.session).toEqual({ tenant: 'default', appName: 'chat', userId: 'u1', sessionId: 'a' });
    expect(seen[0]!.time).toBe(clock.t - 2 * HOUR);
    expect(seen[0]!.durationMs).toBeGreaterThanOrEqual(0);
    await m.shutdown();

    const recovered: LifecycleEvent[] = [];
    const again = new SessionManager({ store: `sqlite:${join(dir, 'events.db')}`, clock, sweepIntervalMs: 0, onEvent: (e) => void recovered.push(e) });
    expect((await again.startup({ warm: 10 })).warmedSessions).toBe(1);
    expect(recovered.map((e) => [e.type, e.session?.sessionId])).toEqual([['session.recovered', 'a']]);
    await again.shutdown();
  });

  it('a refused create is an error event (severity warning, code capacity); a failed background sweep is one with severity error', async () => {
    const scheduler = new ManualScheduler();
    const seen: LifecycleEvent[] = [];
    const store = new SqliteStore({ path: join(dir, 'failing.db') });
    const m = new SessionManager({ store, scheduler, maxActiveSessions: 1, onEvent: (e) => void seen.push(e) });
    await m.startup();
    await create(m, 'a');
    await expect(create(m, 'b')).rejects.toBeInstanceOf(CapacityError);
    expect(seen.at(-1)).toMatchObject({ type: 'error', category: 'session', severity: 'warning', session: { sessionId: 'b' }, error: { code: 'capacity' } });
    await store.close(); // the sweeper's next run finds the database gone
    scheduler.fireAll();
    await new Promise((r) => setTimeout(r, 20));
    expect(seen.at(-1)).toMatchObject({ type: 'error', category: 'maintenance', severity: 'error', error: { code: 'unavailable', message: 'expiry sweep failed: The store is closed; open a new one.' } });
    await m.shutdown().catch(() => undefined);
  });

  it('a hook that throws or rejects is logged and breaks nothing; the other hooks still get the event', async () => {
    const logged: string[] = [];
    const logger = { warn() {}, error: (message: string, fields?: Record<string, unknown>) => void logged.push(`${message} ${JSON.stringify(fields)}`) };
    const seen: string[] = [];
    const m = new SessionManager({ store: new MemoryStore(), logger, sweepIntervalMs: 0, onEvent: () => { throw new Error('hook bug'); } });
    m.subscribe(async () => { throw new Error('async hook bug'); });
    const unsubscribe = m.subscribe((e) => void seen.push(e.type));
    await m.startup();
    await create(m, 'a');
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual(['session.created']);
    expect(logged).toHaveLength(2);
    expect(logged[0]).toMatch(/an onEvent hook threw.*"type":"session.created".*"error":"hook bug"/);
    expect(logged[1]).toMatch(/"error":"async hook bug"/);
    unsubscribe();
    await create(m, 'b');
    expect(seen).toEqual(['session.created']);
    await m.shutdown();
  });
});

describe('the HTTP API with a manager', () => {
  const call = async (a: { fetch: (r: Request) => Response | Promise<Response> }, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await a.fetch(new Request(`http://test${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) }));
    return { status: res.status, headers: res.headers, json: (await res.json().catch(() => null)) as Record<string, any> | null };
  };

  it('request events carry the request id as correlation id, and so do the manager events the request caused; a throwing hook is logged', async () => {
    const m = new SessionManager({ store: new MemoryStore(), sweepIntervalMs: 0, maxActiveSessions: 1 });
    await m.startup();
    const seen: LifecycleEvent[] = [];
    const errors: string[] = [];
    const logger = { info() {}, error: (fields: Record<string, unknown>, message: string) => void errors.push(`${message} ${JSON.stringify(fields)}`) };
    const onEvent = (e: LifecycleEvent) => {
      seen.push(e);
      if (e.type === 'request') throw new Error('hook bug');
    };
    const app = createApp({ store: m.store, manager: m, logger, onEvent, openTelemetry: false });
    const created = await call(app, 'POST', '/v1/apps/chat/users/u1/sessions', { id: 's1' }, { 'x-request-id': 'req-42' });
    expect(created.status).toBe(201);
    expect(seen.map((e) => [e.type, e.correlationId])).toEqual([['session.created', 'req-42'], ['request', 'req-42']]);
    expect(seen[1]).toMatchObject({ category: 'http', severity: 'info', request: { method: 'POST', route: '/v1/apps/:app/users/:user/sessions', status: 201 } });
    expect(seen[1]!.durationMs).toBeGreaterThan(0);
    expect(errors.some((line) => /an onEvent hook threw/.test(line) && /hook bug/.test(line))).toBe(true);
  });

  it('past the limit: 503 with Retry-After and code capacity (spawned `sessiondb serve`, SESSIONDB_MAX_ACTIVE_SESSIONS); /metrics counts the events and shows the count', async () => {
    const server = await startServer([], { SESSIONDB_URL: `sqlite:${join(dir, 'served.db')}`, SESSIONDB_MAX_ACTIVE_SESSIONS: '2' });
    try {
      const post = (id: string) => fetch(`${server.url}/v1/apps/chat/users/u1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id }) });
      expect((await post('a')).status).toBe(201);
      expect((await post('b')).status).toBe(201);
      const full = await post('c');
      expect(full.status).toBe(503);
      expect(full.headers.get('retry-after')).toBe('30');
      const body = (await full.json()) as { error: { code: string; message: string; details: unknown } };
      expect(body.error).toMatchObject({ code: 'capacity', details: { limit: 2, retryAfterSeconds: 30 } });
      expect(body.error.message).toMatch(/^Capacity reached: 2 active sessions is the limit/);

      // HttpStore turns it back into the same code, at once: a create is never retried on a 503.
      const client = new HttpStore({ url: server.url });
      const t0 = Date.now();
      await expect(client.createSession({ appName: 'chat', userId: 'u1', id: 'd' })).rejects.toMatchObject({ code: 'capacity' });
      expect(Date.now() - t0).toBeLessThan(2000);
      // Archiving through the API frees a place.
      await client.updateSession({ appName: 'chat', userId: 'u1', sessionId: 'a' }, { status: 'archived' });
      await client.createSession({ appName: 'chat', userId: 'u1', id: 'd' });
      await client.close();

      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toContain('sessiondb_events_total{type="session.created",category="session",severity="info"} 3');
      expect(metrics).toContain('sessiondb_events_total{type="session.archived",category="session",severity="info"} 1');
      expect(metrics).toContain('sessiondb_events_total{type="error",category="session",severity="warning"} 2');
      expect(metrics).toMatch(/sessiondb_events_total\{type="request",category="http",severity="warning"\} 2\n/); // the two 503s
      expect(metrics).toContain('sessiondb_active_sessions 2\n');
      expect(metrics).toContain('sessiondb_active_sessions_limit 2\n');
      expect(server.output()).toMatch(/"status":503/);
    } finally {
      server.child.kill('SIGTERM');
    }
  });
});

describe('README', () => {
  it('the lifecycle example runs against the built package and prints what it says', () => {
    runExample('lifecycle');
  });
});
