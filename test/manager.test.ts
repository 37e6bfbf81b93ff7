// SessionManager, driven with an injected clock and scheduler: no sleeps.
import { describe, expect, it } from 'vitest';
import { MemoryStore, SessionManager, SqliteStore, type Clock, type Scheduler } from '../src/index.js';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { tempDir } from './helpers.js';

const HOUR = 3_600_000;
const dir = tempDir('manager');

class ManualClock implements Clock {
  constructor(public t = 1_800_000_000_000) {}
  now() {
    return this.t;
  }
  advance(ms: number) {
    this.t += ms;
  }
}

/** Timers that fire only when the test says so. */
class ManualScheduler implements Scheduler {
  timers = new Map<number, { fn: () => void; ms: number }>();
  private next = 1;
  setTimeout(fn: () => void, ms: number) {
    const id = this.next++;
    this.timers.set(id, { fn, ms });
    return id;
  }
  clearTimeout(handle: unknown) {
    this.timers.delete(handle as number);
  }
  /** Fires every timer due now (each fires once; it may schedule a new one). */
  fireAll() {
    const due = [...this.timers];
    this.timers.clear();
    for (const [, t] of due) t.fn();
    return due.map(([, t]) => t.ms);
  }
}

const key = { appName: 'chat', userId: 'u1', sessionId: 's1' };
const settle = () => new Promise((r) => setImmediate(r));

function manager(extra: Partial<ConstructorParameters<typeof SessionManager>[0]> = {}) {
  const clock = new ManualClock();
  const scheduler = new ManualScheduler();
  const store = new MemoryStore({ clock });
  const m = new SessionManager({ store, clock, scheduler, random: () => 0.5, ...extra });
  return { m, clock, scheduler, store };
}

describe('SessionManager', () => {
  it('expires idle sessions by marking them, and leaves recent and archived ones', async () => {
    const { m, clock } = manager({ expiryHours: 2, sweepIntervalMs: 0 });
    await m.startup();
    await m.createSession({ appName: 'chat', userId: 'u1', id: 'old' });
    await m.createSession({ appName: 'chat', userId: 'u1', id: 'kept' });
    await m.archiveSession({ appName: 'chat', userId: 'u1', sessionId: 'kept' });
    clock.advance(HOUR);
    await m.createSession({ appName: 'chat', userId: 'u1', id: 'recent' });
    clock.advance(1.5 * HOUR);
    expect(await m.cleanupExpired()).toBe(1);
    const get = (id: string) => m.getSession({ appName: 'chat', userId: 'u1', sessionId: id }, { withEvents: false });
    expect((await get('old'))?.status).toBe('expired');
    expect((await get('recent'))?.status).toBe('active');
    expect((await get('kept'))?.status).toBe('archived');
    expect(await m.cleanupExpired({ olderThanHours: 1 })).toBe(1); // 'recent' is 1.5 h idle
    await m.shutdown();
  });

  it("expires by deleting with onExpire 'delete'", async () => {
    const { m, clock } = manager({ expiryHours: 1, onExpire: 'delete', sweepIntervalMs: 0 });
    await m.startup();
    await m.createSession({ appName: 'chat', userId: 'u1', id: 'gone' });
    clock.advance(2 * HOUR);
    expect(await m.cleanupExpired()).toBe(1);
    expect(await m.getSession({ appName: 'chat', userId: 'u1', sessionId: 'gone' })).toBeNull();
    await m.shutdown();
  });

  it('appends and activity keep a session alive', async () => {
    const { m, clock } = manager({ expiryHours: 1, sweepIntervalMs: 0 });
    await m.startup();
    await m.createSession({ appName: 'chat', userId: 'u1', id: 's1' });
    clock.advance(0.9 * HOUR);
    await m.addMessage(key, 'user', 'still here');
    clock.advance(0.9 * HOUR);
    await m.recordActivity(key, { durationMs: 30 });
    clock.advance(0.9 * HOUR);
    expect(await m.cleanupExpired()).toBe(0);
    const s = await m.getSession(key);
    expect(s).toMatchObject({ status: 'active', requestCount: 1, requestMsTotal: 30, eventCount: 1 });
    await m.shutdown();
  });

  it('runs the sweeper on a jittered interval, and stops it at shutdown', async () => {
    const { m, clock, scheduler } = manager({ expiryHours: 1, sweepIntervalMs: HOUR, random: () => 0.9 });
    expect(m.sweeperRunning).toBe(false);
    await m.startup();
    expect(m.sweeperRunning).toBe(true);
    expect([...scheduler.timers.values()].map((t) => t.ms)).toEqual([Math.round(HOUR * 1.4)]);
    await m.createSession({ appName: 'chat', userId: 'u1', id: 's1' });
    clock.advance(2 * HOUR);
    scheduler.fireAll();
    await settle();
    await settle();
    expect((await m.getSession(key, { withEvents: false }))?.status).toBe('expired');
    expect(scheduler.timers.size).toBe(1); // rescheduled
    await m.shutdown();
    expect(m.sweeperRunning).toBe(false);
    expect(scheduler.timers.size).toBe(0);
    await m.shutdown(); // idempotent
  });

  it('sweepIntervalMs 0 schedules nothing (for cron or serverless)', async () => {
    const { m, scheduler } = manager({ sweepIntervalMs: 0 });
    await m.startup();
    expect(scheduler.timers.size).toBe(0);
    await m.shutdown();
  });

  it('archives and restores; a restored session counts as just used', async () => {
    const { m, clock } = manager({ expiryHours: 1, sweepIntervalMs: 0 });
    await m.startup();
    await m.createSession({ appName: 'chat', userId: 'u1', id: 's1' });
    await m.archiveSession(key);
    clock.advance(5 * HOUR);
    expect(await m.cleanupExpired()).toBe(0);
    const restored = await m.restoreSession(key);
    expect(restored.status).toBe('active');
    expect(restored.lastActivityAt).toBe(clock.now());
    expect(await m.cleanupExpired()).toBe(0);
    await expect(m.restoreSession({ ...key, sessionId: 'nope' })).rejects.toMatchObject({ code: 'not_found' });
    await m.shutdown();
  });

  it('with autoSave off, buffers until flush; reads see buffered changes; shutdown flushes', async () => {
    const { m, store, scheduler } = manager({ autoSave: false, sweepIntervalMs: 0, flushIntervalMs: 1000 });
    await m.startup();
    await m.createSession({ appName: 'chat', userId: 'u1', id: 's1', state: { n: 0 } });
    const r = await m.appendEvents(key, [{ author: 'user', role: 'user', content: 'hi', stateDelta: { n: 1 } }]);
    expect(r.events[0]?.seq).toBe(1);
    await m.recordActivity(key, { durationMs: 12 });
    expect((await store.getSession(key))?.eventCount).toBe(0); // nothing written yet
    const seen = await m.getSession(key);
    expect(seen).toMatchObject({ eventCount: 1, state: { n: 1 }, requestCount: 1 });
    expect(seen?.events?.map((e) => e.content)).toEqual(['hi']);
    await expect(m.appendEvents(key, [{ author: 'u' }], { expectVersion: 1 })).rejects.toMatchObject({ code: 'invalid' });
    await expect(m.appendEvents({ ...key, sessionId: 'missing' }, [{ author: 'u' }])).rejects.toMatchObject({ code: 'not_found' });
    // The interval flush writes it.
    scheduler.fireAll();
    await settle();
    await settle();
    expect(await store.getSession(key)).toMatchObject({ eventCount: 1, requestCount: 1, requestMsTotal: 12, state: { n: 1 } });
    await m.addMessage(key, 'assistant', 'hello');
    expect((await store.getSession(key))?.eventCount).toBe(1);
    await m.flush();
    expect((await store.getSession(key))?.events?.map((e) => e.content)).toEqual(['hi', 'hello']);
    await m.shutdown(); // flushes, then closes the store
    await expect(store.getSession(key)).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('updateKeys writes through (null deletes), after the session\'s buffered appends, and keeps the cache coherent', async () => {
    const { m, store } = manager({ autoSave: false, sweepIntervalMs: 0, flushIntervalMs: 0 });
    await m.startup();
    await m.createSession({ appName: 'chat', userId: 'u1', id: 's1', state: { a: 1, 'user:u': 1 } });
    await m.appendEvents(key, [{ author: 'user', stateDelta: { n: 1, b: 'buffered' } }]);
    const s = await m.updateKeys(key, { b: null, a: 2, 'user:u': null, 'temp:t': 1 });
    expect(s.state).toEqual({ a: 2, n: 1 });
    // Written through: the buffered event first, then the update over it.
    expect(await store.getSession(key)).toMatchObject({ eventCount: 1, state: { a: 2, n: 1 } });
    expect((await store.getSession(key))?.state).not.toHaveProperty('b');
    expect((await m.getSession(key, { withEvents: false }))?.state).toEqual({ a: 2, n: 1 });
    await expect(m.updateKeys(key, { a: 3 }, { expectVersion: 1 })).rejects.toMatchObject({ code: 'conflict' });
    await expect(m.updateKeys({ ...key, sessionId: 'missing' }, { a: 1 })).rejects.toMatchObject({ code: 'not_found' });
    await m.flush();
    expect((await store.getSession(key))?.state).toEqual({ a: 2, n: 1 });
    await m.shutdown();
  });

  it('updateSession with a stateDelta lands after the session\'s buffered appends, never under them', async () => {
    const { m, store } = manager({ autoSave: false, sweepIntervalMs: 0, flushIntervalMs: 0 });
    await m.startup();
    await m.createSession({ appName: 'chat', userId: 'u1', id: 's1' });
    await m.appendEvents(key, [{ author: 'user', stateDelta: { mood: 'buffered' } }]);
    await m.updateSession(key, { stateDelta: { mood: 'updated later' } });
    await m.flush();
    expect((await store.getSession(key))?.state).toEqual({ mood: 'updated later' });
    expect((await store.getSession(key))?.eventCount).toBe(1);
    await m.shutdown();
  });

  it('shutdown flushes buffered writes into a file that a new process reads', async () => {
    const path = join(dir, 'buffered.db');
    const m = new SessionManager({ store: `sqlite:${path}`, autoSave: false, sweepIntervalMs: 0, flushIntervalMs: 0 });
    await m.startup();
    await m.createSession({ appName: 'chat', userId: 'u1', id: 's1' });
    for (let i = 0; i < 5; i++) await m.addMessage(key, 'user', `m${i}`);
    await m.shutdown();
    const store = new SqliteStore({ path });
    expect((await store.getSession(key))?.events?.map((e) => e.content)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    await store.close();
  });

  it('LRU eviction never loses a write', async () => {
    const { m, store } = manager({ autoSave: false, maxCachedSessions: 2, sweepIntervalMs: 0, flushIntervalMs: 0 });
    await m.startup();
    const keys = Array.from({ length: 6 }, (_, i) => ({ appName: 'chat', userId: 'u1', sessionId: `s${i}` }));
    for (const k of keys) await m.createSession({ appName: k.appName, userId: k.userId, id: k.sessionId });
    for (let round = 0; round < 3; round++) for (const k of keys) await m.addMessage(k, 'user', `${k.sessionId}-${round}`);
    for (const k of keys) expect((await m.getSession(k))?.eventCount).toBe(3);
    expect((await m.getStatistics()).cache.size).toBeLessThanOrEqual(2);
    await m.flush();
    for (const k of keys) expect((await store.getSession(k))?.events?.map((e) => e.content)).toEqual([0, 1, 2].map((r) => `${k.sessionId}-${r}`));
    await m.shutdown();
  });

  it('serves reads without events from the cache, and keeps it coherent with its own writes', async () => {
    const { m } = manager({ sweepIntervalMs: 0 });
    await m.startup();
    await m.createSession({ appName: 'chat', userId: 'u1', id: 's1' });
    await m.getSession(key, { withEvents: false });
    await m.getSession(key, { withEvents: false });
    expect((await m.getStatistics()).cache.hits).toBeGreaterThanOrEqual(2);
    await m.addMessage(key, 'user', 'x');
    expect((await m.getSession(key, { withEvents: false }))?.eventCount).toBe(1);
    await m.updateSession(key, { metadata: { title: 'T' } });
    expect((await m.getSession(key, { withEvents: false }))?.metadata).toEqual({ title: 'T' });
    const copy = (await m.getSession(key, { withEvents: false }))!;
    copy.metadata['title'] = 'mutated';
    expect((await m.getSession(key, { withEvents: false }))?.metadata).toEqual({ title: 'T' });
    await m.shutdown();
  });

  it('ensureSession gets or creates, also when callers race', async () => {
    const { m } = manager({ sweepIntervalMs: 0 });
    await m.startup();
    const all = await Promise.all(Array.from({ length: 5 }, () => m.ensureSession(key, { metadata: { t: 1 } })));
    expect(new Set(all.map((s) => s.id))).toEqual(new Set(['s1']));
    await m.shutdown();
  });

  it('getStatistics reports totals and the persistence settings', async () => {
    const { m } = manager({ sweepIntervalMs: 0, expiryHours: 24 });
    await m.startup();
    await m.createSession({ appName: 'chat', userId: 'u1', id: 's1' });
    await m.addMessage(key, 'user', 'x');
    const stats = await m.getStatistics();
    expect(stats.sessions).toEqual({ total: 1, active: 1, archived: 0, expired: 0 });
    expect(stats.events).toBe(1);
    expect(stats.persistence).toMatchObject({ store: 'memory', autoSave: true, expiryHours: 24, onExpire: 'mark' });
    await m.shutdown();
  });

  it('exports to a file atomically', async () => {
    const { m } = manager({ sweepIntervalMs: 0 });
    await m.startup();
    await m.createSession({ appName: 'chat', userId: 'u1', id: 's1' });
    await m.addMessage(key, 'user', 'hello');
    const path = join(dir, 'export.md');
    const r = await m.exportToFile(key, path, 'markdown');
    expect(r.bytes).toBeGreaterThan(0);
    expect(await readFile(path, 'utf8')).toContain('hello');
    await expect(m.exportSession({ ...key, sessionId: 'nope' }, 'text')).rejects.toMatchObject({ code: 'not_found' });
    await m.shutdown();
  });

  it('rewindSession writes the session\'s buffered appends first, then rewinds; the cache follows', async () => {
    const { m, store } = manager({ autoSave: false, sweepIntervalMs: 0, flushIntervalMs: 0 });
    await m.startup();
    await m.createSession({ appName: 'chat', userId: 'u1', id: 's1', state: { step: 0 } });
    await m.appendEvents(key, [
      { id: 'a', author: 'user', content: 'one', stateDelta: { step: 1 } },
      { id: 'b', author: 'agent', content: 'two', stateDelta: { step: 2 } },
      { id: 'c', author: 'user', content: 'three', stateDelta: { step: 3 } },
    ]);
    expect((await m.getSession(key, { withEvents: false }))?.state).toEqual({ step: 3 }); // buffered, cached
    const r = await m.rewindSession(key, { toSeq: 1 });
    expect(r.superseded).toBe(2);
    expect(r.session).toMatchObject({ eventCount: 1, state: { step: 1 } });
    expect((await m.getSession(key, { withEvents: false }))).toMatchObject({ eventCount: 1, state: { step: 1 }, version: r.session.version });
    expect((await store.getSession(key))?.events?.map((e) => e.id)).toEqual(['a']);
    expect((await store.readSupersededEvents(key))?.events.map((e) => e.id)).toEqual(['b', 'c']);
    expect((await m.getStatistics()).pending.events).toBe(0);
    await expect(m.rewindSession(key, { toSeq: 0 }, { expectVersion: r.session.version - 1 })).rejects.toMatchObject({ code: 'conflict' });
    await expect(m.rewindSession(key, { toSeq: 5 })).rejects.toMatchObject({ code: 'invalid' });
    await expect(m.rewindSession({ ...key, sessionId: 'missing' }, { toSeq: 0 })).rejects.toMatchObject({ code: 'not_found' });
    await m.shutdown();
  });

  it('forkSession writes the source\'s buffered appends first and forks what the caller saw', async () => {
    const { m, store } = manager({ autoSave: false, sweepIntervalMs: 0, flushIntervalMs: 0 });
    await m.startup();
    await m.createSession({ appName: 'chat', userId: 'u1', id: 's1', metadata: { title: 'Plans' } });
    await m.appendEvents(key, [
      { id: 'a', author: 'user', content: 'one', stateDelta: { n: 1 } },
      { id: 'b', author: 'agent', content: 'two', stateDelta: { n: 2 } },
    ]);
    const whole = await m.forkSession(key, { newSessionId: 'f1' });
    expect(whole).toMatchObject({ id: 'f1', eventCount: 2, state: { n: 2 }, metadata: { title: 'Plans', forkedFrom: { sessionId: 's1', seq: 2 } } });
    const early = await m.forkSession(key, { newSessionId: 'f2', upToSeq: 1 });
    expect(early.state).toEqual({ n: 1 });
    expect((await m.getSession({ ...key, sessionId: 'f2' }))?.events?.map((e) => e.id)).toEqual(['a']);
    expect((await store.getSession(key))?.eventCount).toBe(2);
    await expect(m.forkSession(key, { newSessionId: 'f1' })).rejects.toMatchObject({ code: 'exists' });
    await m.shutdown();
  });

  it('searchEvents searches the manager\'s tenant and finds buffered appends (written first)', async () => {
    const { m, store } = manager({ autoSave: false, sweepIntervalMs: 0, flushIntervalMs: 0, tenant: 'acme' });
    await m.startup();
    await m.createSession({ appName: 'chat', userId: 'u1', id: 's1' });
    await m.createSession({ appName: 'other', userId: 'u1', id: 's2' });
    await store.createSession({ appName: 'chat', userId: 'u1', id: 's1' }); // the default tenant: not searched
    await store.appendEvents(key, [{ author: 'user', content: 'the default tenant has a walrus too' }]);
    await m.addMessage(key, 'user', 'a walrus on the beach');
    await m.addMessage({ ...key, appName: 'other', sessionId: 's2' }, 'user', 'another walrus');
    const page = await m.searchEvents({ query: 'walrus', appName: 'chat' });
    expect(page.hits.map((h) => [h.tenant, h.appName, h.sessionId, h.snippet])).toEqual([['acme', 'chat', 's1', 'a **walrus** on the beach']]);
    expect((await m.getStatistics()).pending).toEqual({ sessions: 1, events: 1 }); // the other app's append is still buffered
    expect((await m.searchEvents({ query: 'walrus' })).hits).toHaveLength(2);
    expect((await m.searchEvents({ query: 'walrus', tenant: 'default' })).hits.map((h) => h.tenant)).toEqual(['default']);
    await expect(m.searchEvents({ query: '' })).rejects.toMatchObject({ code: 'invalid' });
    await m.shutdown();
  });

  it('exports with the superseded events when asked', async () => {
    const { m } = manager({ sweepIntervalMs: 0 });
    await m.startup();
    await m.createSession({ appName: 'chat', userId: 'u1', id: 's1' });
    await m.addMessage(key, 'user', 'keep me');
    await m.addMessage(key, 'assistant', 'rewound reply');
    await m.rewindSession(key, { toSeq: 1 });
    expect(await m.exportSession(key, 'text')).not.toContain('rewound reply');
    expect(await m.exportSession(key, 'text', { includeSuperseded: true })).toMatch(/--- Superseded \(rewound .* to seq 1;[^\n]*\n\[.*\] Assistant: rewound reply/);
    await m.shutdown();
  });

  it('refuses bad options with the field named', () => {
    expect(() => new SessionManager({ store: new MemoryStore(), expiryHours: -1 })).toThrow(/expiryHours/);
    expect(() => new SessionManager({ store: new MemoryStore(), onExpire: 'purge' as never })).toThrow(/onExpire/);
    expect(() => new SessionManager({} as never)).toThrow(/store/);
  });
});
