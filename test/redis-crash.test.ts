// A Redis started with appendonly yes and appendfsync always is killed with SIGKILL
// while another process appends (each append awaited and acknowledged on stdout),
// then restarted: every acknowledged append is there and nothing is half-written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../src/stores/redis/index.js';
import { spawnAppendWorker } from '../src/testing/index.js';
import { redisBinaryMissingReason, startRedisServer, type TestServer } from './redis-helpers.js';

const missing = redisBinaryMissingReason();

/** Starts an appender; SIGKILLs the server once `killAfter` appends were acknowledged; resolves with every acknowledged seq. */
function appendUntilServerKilled(url: string, key: { appName: string; userId: string; sessionId: string }, killAfter: number, label: string, server: TestServer): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawnAppendWorker(url, key, 1_000_000, label, { acks: true });
    const acked: number[] = [];
    let buffer = '';
    let stderr = '';
    let killed = false;
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!; // an incomplete line is not an acknowledgement
      for (const line of lines) if (line.trim()) acked.push(Number(line));
      if (acked.length >= killAfter && !killed) {
        killed = true;
        void server.stop('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (killed) resolve(acked);
      else reject(new Error(`appender ended before the server was killed (code ${code}): ${stderr}`));
    });
  });
}

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
      acked.push(...(await appendUntilServerKilled(url, key, 150 + run * 97, `crash${run}`, server)));
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
