import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/index.js';
import { appendThenKill, tempDir } from './helpers.js';

const dir = tempDir('crash');

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
      for (let run = 0; run < 3; run++) acked.push(...(await appendThenKill(url, key, 200 + run * 137, `crash${run}`)));

      const raw = new Database(path);
      expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(raw.pragma('foreign_key_check')).toEqual([]);
      // The search index too: FTS5's own check, and one index row per event, in FTS5 or in the buffer.
      raw.exec(`INSERT INTO event_index (event_index) VALUES ('integrity-check')`);
      const indexed = raw.prepare('SELECT (SELECT count(*) FROM event_index) + (SELECT count(*) FROM event_index_pending)').pluck().get();
      expect(indexed).toBe(raw.prepare('SELECT count(*) FROM events').pluck().get());
      expect(raw.prepare('SELECT count(*) FROM event_index').pluck().get()).toBeGreaterThan(0); // the buffer filled and moved at least once
      raw.close();

      const store = new SqliteStore({ path });
      const session = await store.getSession(key);
      expect(session).not.toBeNull();
      const events = session!.events!;
      // Nothing half-written: the counters, the history and the state agree.
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
      expect(session!.eventCount).toBe(events.length);
      expect(session!.version).toBe(1 + events.length);
      // Each appender's state key matches its last stored event: deltas went in with their events.
      for (let run = 0; run < 3; run++) {
        const last = [...events].reverse().find((e) => e.id.startsWith(`crash${run}-`))!;
        expect(session!.state[`last-crash${run}`]).toBe(Number(last.id.split('-')[1]));
      }
      // Every acknowledged seq is stored.
      const stored = new Set(events.map((e) => e.seq));
      for (const seq of acked) expect(stored.has(seq)).toBe(true);
      expect(events.length).toBeGreaterThanOrEqual(Math.max(...acked));
      await store.close();
    }, 60_000);
  }
});
