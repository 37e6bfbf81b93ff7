// A Redis started with appendonly yes and appendfsync always is killed with SIGKILL
// while another process appends (each append awaited and acknowledged on stdout),
// then restarted: every acknowledged append is there and nothing is half-written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../src/stores/redis/index.js';
import { appendThenKill } from './helpers.js';
import { redisBinaryMissingReason, startRedisServer, type TestServer } from './redis-helpers.js';

const missing = redisBinaryMissingReason();

describe.skipIf(missing)(`RedisStore crash safety${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startRedisServer(['--appendonly', 'yes', '--appendfsync', 'always']);
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('every acknowledged append survives the server being killed with SIGKILL mid-run (appendfsync always); nothing is half-written', async () => {
    const url = `redis://127.0.0.1:${server.port}/0?prefix=crash:&connectTimeoutMs=2000&commandTimeoutMs=2000`;
    const key = { appName: 'crash', userId: 'u', sessionId: 's' };
    const setup = new RedisStore({ url });
    await setup.migrate();
    await setup.createSession({ appName: key.appName, userId: key.userId, id: key.sessionId, state: { 'app:runs': 0 } });
    await setup.close();

    const acked: number[] = [];
    for (let run = 0; run < 3; run++) {
      acked.push(...(await appendThenKill(url, key, 150 + run * 97, `crash${run}`, () => void server.stop('SIGKILL'))));
      await server.restart();
    }

    const store = new RedisStore({ url });
    const session = await store.getSession(key);
    expect(session).not.toBeNull();
    const events = session!.events!;
    // Nothing half-written: the counters, the history, the state and the indexes agree.
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
    expect(session!.eventCount).toBe(events.length);
    expect(session!.version).toBe(1 + events.length);
    expect(session!.updatedAt).toBe(events[events.length - 1]!.timestamp);
    for (let run = 0; run < 3; run++) {
      const last = [...events].reverse().find((e) => e.id.startsWith(`crash${run}-`))!;
      expect(session!.state[`last-crash${run}`]).toBe(Number(last.id.split('-')[1]));
    }
    const listed = await store.listSessions({ appName: key.appName });
    expect(listed.sessions.map((s) => [s.id, s.version])).toEqual([[key.sessionId, session!.version]]);
    // Every acknowledged seq is stored.
    const stored = new Set(events.map((e) => e.seq));
    for (const seq of acked) expect(stored.has(seq)).toBe(true);
    expect(events.length).toBeGreaterThanOrEqual(Math.max(...acked));
    await store.close();
  }, 60_000);
});
