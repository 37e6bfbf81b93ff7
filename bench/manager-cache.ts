// What the manager's cache costs and saves per read, on a SQLite file and on PostgreSQL:
// no cache, the version-checked cache (several writers, the default for these stores) and
// the single-writer cache, for reads without events, the last 100 events and all 200; plus a
// read right after another process's append (the checked cache's worst case: two reads).
//
//   node --import tsx bench/manager-cache.ts [--pg postgres://…] [--reads 2000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PostgresStore, SessionManager, SqliteStore, type ReadOptions, type SessionStore } from '../src/index.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const PG = flag('--pg', process.env['SESSIONDB_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test');
const READS = Number(flag('--reads', '2000'));
const key = { appName: 'bench', userId: 'u', sessionId: 's' };

async function fill(store: SessionStore): Promise<void> {
  await store.migrate();
  const state: Record<string, unknown> = {};
  for (let i = 0; i < 10; i++) state[`k${i}`] = { i, text: 'x'.repeat(60) };
  await store.createSession({ appName: key.appName, userId: key.userId, id: key.sessionId, state });
  for (let b = 0; b < 20; b++) {
    await store.appendEvents(key, Array.from({ length: 10 }, (_, i) => ({ author: i % 2 ? 'assistant' : 'user', content: `message ${b * 10 + i}: ${'lorem ipsum '.repeat(15)}` })));
  }
}

const READ_KINDS: [string, ReadOptions][] = [
  ['no events', { withEvents: false }],
  ['last 100 events', { lastEvents: 100 }],
  ['all 200 events', {}],
];

async function measure(name: string, open: () => SessionStore): Promise<void> {
  await fill(open());
  const modes: [string, Partial<ConstructorParameters<typeof SessionManager>[0]>][] = [
    ['no cache', { maxCachedSessions: 0 }],
    ['checked (several writers)', { singleWriter: false }],
    ['single writer', { singleWriter: true }],
  ];
  const managers = modes.map(([, options]) => new SessionManager({ store: open(), sweepIntervalMs: 0, ...options }));
  for (const m of managers) await m.startup();
  // Rounds alternate between the modes, so that the machine's load falls on all of them alike.
  const results = modes.map(() => READ_KINDS.map(() => [] as number[]));
  for (const [r, [, read]] of READ_KINDS.entries()) {
    for (const m of managers) for (let i = 0; i < 100; i++) await m.getSession(key, read); // warm up
    for (let round = 0; round < 5; round++) {
      for (const [i, m] of managers.entries()) {
        const t0 = performance.now();
        for (let c = 0; c < READS; c++) await m.getSession(key, read);
        results[i]![r]!.push(((performance.now() - t0) / READS) * 1000);
      }
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`\n${name}: µs per manager.getSession (median of 5 alternating rounds of ${READS})`);
  console.log(['mode'.padEnd(28), ...READ_KINDS.map(([k]) => k.padStart(16))].join(''));
  for (const [i, [mode]] of modes.entries()) console.log(mode.padEnd(28) + results[i]!.map((xs) => median(xs).toFixed(0).padStart(16)).join(''));
  for (const m of managers) await m.shutdown();

  // Another process appends before every read: the checked cache reads the session, finds a new version, reads again.
  const other = new SessionManager({ store: open(), sweepIntervalMs: 0, maxCachedSessions: 0 });
  await other.startup();
  const n = Math.max(100, Math.floor(READS / 10));
  const pair = [['no cache', { maxCachedSessions: 0 }], ['checked (several writers)', { singleWriter: false }]] as const;
  const readers = pair.map(([, options]) => new SessionManager({ store: open(), sweepIntervalMs: 0, ...options }));
  for (const m of readers) await m.startup();
  const spent = readers.map(() => [] as number[]);
  for (let round = 0; round < 5; round++) {
    const total = readers.map(() => 0);
    for (let i = 0; i < n; i++) {
      for (const [j, m] of readers.entries()) {
        await other.appendEvents(key, [{ author: 'user', content: 'elsewhere' }]);
        const t0 = performance.now();
        await m.getSession(key, { lastEvents: 100 });
        total[j]! += performance.now() - t0;
      }
    }
    total.forEach((t, j) => spent[j]!.push((t / n) * 1000));
  }
  for (const [j, [mode]] of pair.entries()) {
    console.log(`right after another writer's append, last 100 events, ${mode}: ${[...spent[j]!].sort((a, b) => a - b)[2]!.toFixed(0)} µs`);
  }
  for (const m of readers) await m.shutdown();
  await other.shutdown();
}

const dir = mkdtempSync(join(tmpdir(), 'sessiondb-cache-bench-'));
try {
  await measure('SQLite file', () => new SqliteStore({ path: join(dir, 'bench.db') }));
  const probe = new pg.Client({ connectionString: PG });
  const reachable = await probe.connect().then(() => true, () => false);
  await probe.end().catch(() => undefined);
  if (reachable) {
    const schema = `cache_bench_${process.pid}`;
    try {
      await measure('PostgreSQL', () => new PostgresStore({ connectionString: PG, schema, max: 2 }));
    } finally {
      const admin = new pg.Client({ connectionString: PG });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    }
  } else console.log(`\nPostgreSQL at ${PG} unreachable: skipped`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
