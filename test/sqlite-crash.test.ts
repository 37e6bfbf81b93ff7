import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/index.js';
import { spawnAppendWorker } from '../src/testing/index.js';
import { tempDir } from './helpers.js';

const dir = tempDir('crash');

/** Starts an appender, kills it with SIGKILL once `killAfter` appends were acknowledged, returns the acknowledged seqs. */
function appendThenKill(url: string, key: { appName: string; userId: string; sessionId: string }, killAfter: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawnAppendWorker(url, key, 1_000_000, 'crash', { acks: true });
    const acked: number[] = [];
    let buffer = '';
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!; // an incomplete line is not an acknowledgement
      for (const line of lines) if (line.trim()) acked.push(Number(line));
      if (acked.length >= killAfter) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`appender ended without being killed (code ${code}): ${stderr}`));
    });
  });
}

describe('SQLite crash safety', () => {
  for (const synchronous of ['normal', 'full'] as const) {
    it(`every acknowledged append survives SIGKILL mid-run, nothing half-written (synchronous=${synchronous})`, async () => {
      const path = join(dir, `crash-${synchronous}.db`);
      const url = `sqlite:${path}?synchronous=${synchronous}`;
      const key = { appName: 'crash', userId: 'u', sessionId: 's' };
      const setup = new SqliteStore({ path });
      await setup.migrate();
      await setup.createSession({ appName: key.appName, userId: key.userId, id: key.sessionId });
      await setup.close();

      const acked: number[] = [];
      for (let run = 0; run < 3; run++) acked.push(...(await appendThenKill(url, key, 200 + run * 137)));

      const raw = new Database(path);
      expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(raw.pragma('foreign_key_check')).toEqual([]);
      raw.close();

      const store = new SqliteStore({ path });
      const session = await store.getSession(key);
      expect(session).not.toBeNull();
      const events = session!.events!;
      // Nothing half-written: the counters, the history and the state agree.
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
      expect(session!.eventCount).toBe(events.length);
      expect(session!.version).toBe(1 + events.length);
      expect(session!.state['last-crash']).toBe(events.length - 1);
      // Every acknowledged seq is stored.
      const stored = new Set(events.map((e) => e.seq));
      for (const seq of acked) expect(stored.has(seq)).toBe(true);
      expect(events.length).toBeGreaterThanOrEqual(Math.max(...acked));
      await store.close();
    }, 60_000);
  }
});
