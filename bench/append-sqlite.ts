/**
 * SqliteStore.appendEvents (one event per call, awaited) against the floor: a
 * raw better-sqlite3 IMMEDIATE transaction doing the same work on the same
 * schema (look up the session, insert the event, upsert the state key, update
 * the counters and version). Same file system, same synchronous setting; the
 * two alternate in rounds so machine noise hits both alike. Reports medians.
 *
 *   npm run bench:append            (5 rounds of 5,000 appends each)
 *   npm run bench:append -- --quick (3 rounds of 2,000)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../src/index.js';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 3 : 5;
const N = quick ? 2000 : 5000;
const synchronous = process.argv.includes('--full') ? 'full' : 'normal';
const TEXT = 'The quick brown fox jumps over the lazy dog. '.repeat(7).slice(0, 300);

const event = (i: number) => ({
  author: 'assistant',
  role: 'assistant' as const,
  invocationId: 'inv-1',
  content: [{ text: TEXT }],
  stateDelta: { turn: i },
});

async function storeRound(dir: string, round: number): Promise<number> {
  const store = new SqliteStore({ path: join(dir, `store-${round}.db`), synchronous });
  await store.migrate();
  const key = { appName: 'bench', userId: 'u', sessionId: 's' };
  await store.createSession({ appName: 'bench', userId: 'u', id: 's' });
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await store.appendEvents(key, [event(i)]);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await store.close();
  return N / seconds;
}

async function rawRound(dir: string, round: number): Promise<number> {
  // The schema comes from the store's own migrations, so both do identical index work.
  const path = join(dir, `raw-${round}.db`);
  const setup = new SqliteStore({ path, synchronous });
  await setup.migrate();
  await setup.createSession({ appName: 'bench', userId: 'u', id: 's' });
  await setup.close();
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('foreign_keys = ON');
  const find = db.prepare('SELECT pk, version, event_count FROM sessions WHERE tenant = ? AND app_name = ? AND user_id = ? AND id = ?');
  const insert = db.prepare(
    'INSERT INTO events (session_pk, seq, id, timestamp, author, role, invocation_id, content, state_delta, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const upsert = db.prepare(
    'INSERT INTO session_state (session_pk, key, value) VALUES (?, ?, ?) ON CONFLICT (session_pk, key) DO UPDATE SET value = excluded.value',
  );
  const update = db.prepare('UPDATE sessions SET event_count = ?, updated_at = ?, last_activity_at = ?, version = version + 1 WHERE pk = ?');
  const append = db.transaction((i: number) => {
    const s = find.get('default', 'bench', 'u', 's') as { pk: number; event_count: number };
    const now = Date.now();
    const e = event(i);
    insert.run(s.pk, s.event_count + 1, crypto.randomUUID(), now, e.author, e.role, e.invocationId, JSON.stringify(e.content), JSON.stringify(e.stateDelta), null);
    upsert.run(s.pk, 'turn', JSON.stringify(i));
    update.run(s.event_count + 1, now, now, s.pk);
  });
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) append.immediate(i);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  db.close();
  return N / seconds;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dir = mkdtempSync(join(tmpdir(), 'sessiondb-bench-'));
try {
  await storeRound(dir, -1); // warm-up: JIT and file cache
  await rawRound(dir, -1);
  const store: number[] = [];
  const raw: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    raw.push(await rawRound(dir, r));
    store.push(await storeRound(dir, r));
  }
  const s = median(store);
  const f = median(raw);
  console.log(`SQLite append, 1 event per call, synchronous=${synchronous}, ${ROUNDS} rounds x ${N} appends (medians)`);
  console.log(`| system | events/s |`);
  console.log(`|---|---|`);
  console.log(`| raw better-sqlite3 transaction (floor) | ${Math.round(f)} |`);
  console.log(`| SqliteStore.appendEvents | ${Math.round(s)} |`);
  console.log(`SqliteStore / floor: ${((s / f) * 100).toFixed(1)} %`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
