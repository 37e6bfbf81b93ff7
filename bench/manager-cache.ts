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

/** Median of 5 rounds of `n` calls, µs per call. */
async function perCall(n: number, fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(200, n); i++) await fn();
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await fn();
    rounds.push(((performance.now() - t0) / n) * 1000);
  }
  return rounds.sort((a, b) => a - b)[2]!;
}

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
  console.log(`\n${name}: µs per manager.getSession (median of 5 rounds of ${READS})`);
  console.log(['mode'.padEnd(28), ...READ_KINDS.map(([k]) => k.padStart(16))].join(''));
  for (const [mode, options] of modes) {
    const m = new SessionManager({ store: open(), sweepIntervalMs: 0, ...options });
    await m.startup();
    const cells: string[] = [];
    for (const [, read] of READ_KINDS) cells.push((await perCall(READS, () => m.getSession(key, read))).toFixed(0).padStart(16));
    console.log(mode.padEnd(28) + cells.join(''));
    await m.shutdown();
  }
  // Another process appends before every read: the checked cache reads the session, finds a new version, reads again.
  const other = new SessionManager({ store: open(), sweepIntervalMs: 0, maxCachedSessions: 0 });
  await other.startup();
  const n = Math.max(100, Math.floor(READS / 10));
  for (const [mode, options] of [['no cache', { maxCachedSessions: 0 }], ['checked (several writers)', { singleWriter: false }]] as const) {
    const m = new SessionManager({ store: open(), sweepIntervalMs: 0, ...options });
    await m.startup();
    const rounds: number[] = [];
    for (let r = 0; r < 5; r++) {
      let spent = 0;
      for (let i = 0; i < n; i++) {
        await other.appendEvents(key, [{ author: 'user', content: 'elsewhere' }]);
        const t0 = performance.now();
        await m.getSession(key, { lastEvents: 100 });
        spent += performance.now() - t0;
      }
      rounds.push((spent / n) * 1000);
    }
    console.log(`right after another writer's append, last 100 events, ${mode}: ${rounds.sort((a, b) => a - b)[2]!.toFixed(0)} µs`);
    await m.shutdown();
  }
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
