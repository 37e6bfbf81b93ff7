// Three `sessiondb serve` processes on one PostgreSQL schema, with clients appending to shared
// sessions through all of them with If-Match; one instance is killed with SIGKILL mid-run.
// No acknowledged event may be lost or stored twice; conflicts must come back as 412; every
// surviving instance must then list and count the same.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from './helpers.js';
import { dropSchema, PG_URL, pgUnavailableReason, uniqueSchema } from './pg-helpers.js';

const unavailable = await pgUnavailableReason();
const schema = uniqueSchema('multi');
const db = `${PG_URL}?schema=${schema}`;
const SESSIONS = 4;
const WORKERS = 8;
const APPENDS_PER_WORKER = 30;

interface Instance {
  url: string;
  child: ChildProcess;
  alive: boolean;
}
const instances: Instance[] = [];
const path = (s: number) => `/v1/apps/multi/users/u/sessions/s${s}`;

/** An instance that is still up, starting from a worker's own preference. */
function pick(preferred: number): Instance {
  for (let i = 0; i < instances.length; i++) {
    const inst = instances[(preferred + i) % instances.length]!;
    if (inst.alive) return inst;
  }
  throw new Error('no instance is alive');
}

interface Tally {
  acked: string[];
  conflicts: number;
  connectionErrors: number;
}

/**
 * Appends one event with a fixed id until the server acknowledges it: reads the version, sends
 * If-Match; a 412 means another writer got there first (re-read and retry); a dropped connection
 * means the instance died (retry elsewhere with the same id: if the first try landed, the store
 * skips the id instead of storing it twice).
 */
async function appendUntilAcked(worker: number, session: number, id: string, tally: Tally): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const inst = pick(worker + attempt);
    try {
      const head = await fetch(`${inst.url}${path(session)}?events=0`);
      expect(head.status).toBe(200);
      const version = head.headers.get('etag')!;
      const res = await fetch(`${inst.url}${path(session)}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'if-match': version },
        body: JSON.stringify({ id, author: `w${worker}`, role: 'user', content: `event ${id}`, stateDelta: { [`w${worker}`]: id } }),
      });
      if (res.status === 201) {
        tally.acked.push(id);
        return;
      }
      const body = (await res.json()) as { error: { code: string } };
      expect([res.status, body.error.code]).toEqual([412, 'conflict']);
      tally.conflicts++;
    } catch (err) {
      if ((err as Error).name === 'AssertionError') throw err;
      tally.connectionErrors++; // the instance was killed under us
    }
  }
  throw new Error(`event ${id} was never acknowledged`);
}

beforeAll(async () => {
  if (unavailable) return;
  // The first instance migrates the schema; the others find it current.
  for (let i = 0; i < 3; i++) {
    const s = await startServer(['--db', db]);
    instances.push({ url: s.url, child: s.child, alive: true });
  }
  for (let s = 0; s < SESSIONS; s++) {
    const res = await fetch(`${instances[s % 3]!.url}/v1/apps/multi/users/u/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: `s${s}` }),
    });
    expect(res.status).toBe(201);
  }
}, 60_000);

afterAll(async () => {
  for (const inst of instances) inst.child.kill('SIGKILL');
  if (!unavailable) await dropSchema(schema);
});

describe.skipIf(unavailable)(`three servers on one PostgreSQL${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  it('lose and duplicate no acknowledged event under If-Match contention, with one instance SIGKILLed mid-run; the survivors agree on listing and counts', async () => {
    const tally: Tally = { acked: [], conflicts: 0, connectionErrors: 0 };
    const workers = Array.from({ length: WORKERS }, async (_, w) => {
      for (let n = 0; n < APPENDS_PER_WORKER; n++) await appendUntilAcked(w, (w + n) % SESSIONS, `w${w}-e${n}`, tally);
    });
    // Kill the third instance once a third of the work is acknowledged.
    const killer = (async () => {
      while (tally.acked.length < (WORKERS * APPENDS_PER_WORKER) / 3) await new Promise((r) => setTimeout(r, 20));
      instances[2]!.alive = false;
      instances[2]!.child.kill('SIGKILL');
    })();
    await Promise.all([...workers, killer]);

    expect(tally.acked).toHaveLength(WORKERS * APPENDS_PER_WORKER);
    expect(tally.conflicts).toBeGreaterThan(0); // the contention was real
    expect(instances[2]!.child.signalCode).toBe('SIGKILL');

    const stored: string[] = [];
    for (let s = 0; s < SESSIONS; s++) {
      const res = await fetch(`${instances[0]!.url}${path(s)}/events?limit=1000`);
      const page = (await res.json()) as { events: { id: string; seq: number }[]; nextCursor: string | null };
      expect(page.nextCursor).toBeNull();
      expect(page.events.map((e) => e.seq)).toEqual(page.events.map((_, i) => i + 1)); // no gaps in seq
      stored.push(...page.events.map((e) => e.id));
      const session = (await (await fetch(`${instances[1]!.url}${path(s)}?events=0`)).json()) as { eventCount: number; version: number };
      expect(session.eventCount).toBe(page.events.length);
    }
    expect(stored.length).toBe(new Set(stored).size); // nothing stored twice
    expect(new Set(stored)).toEqual(new Set(tally.acked)); // nothing acknowledged is missing, nothing unacknowledged stored

    const views = await Promise.all(
      instances.filter((i) => i.alive).map(async (inst) => {
        const list = (await (await fetch(`${inst.url}/v1/sessions?appName=multi`)).json()) as { sessions: { id: string; eventCount: number }[] };
        const count = (await (await fetch(`${inst.url}/v1/sessions/count?appName=multi`)).json()) as { count: number };
        return { ids: list.sessions.map((x) => x.id).sort(), events: list.sessions.reduce((n, x) => n + x.eventCount, 0), count: count.count };
      }),
    );
    expect(views).toHaveLength(2);
    expect(views[0]).toEqual({ ids: ['s0', 's1', 's2', 's3'], events: WORKERS * APPENDS_PER_WORKER, count: SESSIONS });
    expect(views[1]).toEqual(views[0]);
  }, 120_000);
});
