// What maxActiveSessions costs: the one count at startup (the store's totals) with N stored
// sessions, and a create with and without the limit, on a SQLite file and on PostgreSQL.
//
//   node --import tsx bench/capacity.ts [--sessions 100000] [--pg-sessions 20000] [--pg postgres://…]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PostgresStore, SessionManager, SqliteStore, type SessionStore } from '../src/index.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const PG = flag('--pg', process.env['SESSIONDB_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test');

async function fill(store: SessionStore, n: number): Promise<void> {
  await store.migrate();
  const batch = 200;
  for (let i = 0; i < n; i += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, n - i) }, (_, j) => store.createSession({ appName: 'bench', userId: `u${(i + j) % 1000}`, id: `s${i + j}`, state: { k: i + j } })));
  }
  await store.close();
}

async function measure(name: string, n: number, open: () => SessionStore): Promise<void> {
  await fill(open(), n);
  const counter = open();
  await counter.migrate();
  const countMs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    await counter.stats();
    countMs.push(performance.now() - t0);
  }
  await counter.close();
  const managers = [null, 10 * n].map((limit) => new SessionManager({ store: open(), sweepIntervalMs: 0, maxActiveSessions: limit }));
  const startup: number[] = [];
  for (const m of managers) {
    const t0 = performance.now();
    await m.startup();
    startup.push(performance.now() - t0);
  }
  // Rounds alternate between the two managers, so that the machine's load falls on both alike.
  const perCreate: number[][] = [[], []];
  for (let round = 0; round < 6; round++) {
    for (const [i, m] of managers.entries()) {
      const t0 = performance.now();
      for (let c = 0; c < 100; c++) await m.createSession({ appName: 'bench', userId: 'new', id: `${i}-${round}-${c}` });
      perCreate[i]!.push(((performance.now() - t0) / 100) * 1000);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(
    `${name}, ${n} stored sessions: one count (store.stats()) ${median(countMs).toFixed(1)} ms; startup ${startup[0]!.toFixed(1)} ms without a limit, ` +
      `${startup[1]!.toFixed(1)} ms with one; a create ${median(perCreate[0]!).toFixed(0)} µs without, ${median(perCreate[1]!).toFixed(0)} µs with (medians)`,
  );
  for (const m of managers) await m.shutdown();
}

const dir = mkdtempSync(join(tmpdir(), 'sessiondb-capacity-bench-'));
try {
  await measure('SQLite file', Number(flag('--sessions', '100000')), () => new SqliteStore({ path: join(dir, 'bench.db') }));
  const probe = new pg.Client({ connectionString: PG });
  const reachable = await probe.connect().then(() => true, () => false);
  await probe.end().catch(() => undefined);
  if (reachable) {
    const schema = `capacity_bench_${process.pid}`;
    try {
      await measure('PostgreSQL', Number(flag('--pg-sessions', '20000')), () => new PostgresStore({ connectionString: PG, schema, max: 4 }));
    } finally {
      const admin = new pg.Client({ connectionString: PG });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    }
  } else console.log(`PostgreSQL at ${PG} unreachable: skipped`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
