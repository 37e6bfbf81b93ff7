/**
 * The copy the CLI does, at scale: a generated SQLite database of 20,000
 * sessions and 1,000,000 events is copied to PostgreSQL and back with
 * `sessiondb copy --verify`, each run as its own process under /usr/bin/time
 * for its duration and peak memory (RSS).
 *
 *   npm run build && npm run bench:copy            (SESSIONDB_BENCH_PG_URL overrides the server)
 *   npm run bench:copy -- --sessions 2000 --events-per-session 50
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { SqliteStore } from '../src/index.js';

const PG_URL = process.env['SESSIONDB_BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SESSIONS = arg('--sessions', 20_000);
const PER = arg('--events-per-session', 50);
const bin = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'sessiondb-bench-copy-'));
const schema = `sdb_bench_copy_${process.pid}`;

async function generate(path: string): Promise<void> {
  const store = new SqliteStore({ path });
  await store.migrate();
  await store.close();
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(`
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ${SESSIONS})
    INSERT INTO sessions (tenant, app_name, user_id, id, metadata, status, created_at, updated_at, last_activity_at, event_count, version)
    SELECT 'default', 'app-' || (x % 10), 'user-' || (x % 2000), 'session-' || x, '{"title":"Conversation ' || x || '"}', 'active',
           x * 1000, x * 1000 + ${PER}, x * 1000 + ${PER}, ${PER}, ${PER + 1} FROM n;
    INSERT INTO session_state (session_pk, key, value) SELECT pk, 'step', '"' || pk || '"' FROM sessions;
    WITH RECURSIVE e(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM e WHERE x < ${SESSIONS * PER - 1})
    INSERT INTO events (session_pk, seq, id, timestamp, author, role, content)
    SELECT (x / ${PER}) + 1, (x % ${PER}) + 1, 'evt-' || x, ((x / ${PER}) + 1) * 1000 + (x % ${PER}) + 1,
           CASE x % 2 WHEN 0 THEN 'user' ELSE 'assistant' END, CASE x % 2 WHEN 0 THEN 'user' ELSE 'assistant' END,
           '"Message ' || x || ': the quick brown fox jumps over the lazy dog, twice over, to make a realistic chat line."' FROM e;
  `);
  db.close();
}

function timedCopy(from: string, to: string): { seconds: number; maxRssMb: number; summary: Record<string, unknown> } {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', process.execPath, bin, 'copy', '--from', from, '--to', to, '--verify', '--json'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`copy failed (${r.status}): ${r.stdout}\n${r.stderr}`);
  const [seconds, kb] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { seconds: seconds!, maxRssMb: kb! / 1024, summary: JSON.parse(r.stdout) };
}

const admin = new pg.Client({ connectionString: PG_URL });
await admin.connect();
try {
  const src = join(dir, 'source.db');
  const t0 = performance.now();
  await generate(src);
  console.log(`generated ${SESSIONS} sessions, ${SESSIONS * PER} events in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const pgUrl = `${PG_URL}?schema=${schema}`;
  const there = timedCopy(`sqlite:${src}`, pgUrl);
  const back = timedCopy(pgUrl, `sqlite:${join(dir, 'back.db')}`);
  console.log('| copy (with --verify) | sessions | events | verified | seconds | peak RSS MB |');
  console.log('|---|---|---|---|---|---|');
  for (const [name, r] of [['SQLite → PostgreSQL', there], ['PostgreSQL → SQLite', back]] as const) {
    const s = r.summary as { sessions: number; events: number; verify: { ok: boolean } };
    console.log(`| ${name} | ${s.sessions} | ${s.events} | ${s.verify.ok ? 'clean' : 'DIFFERS'} | ${r.seconds.toFixed(1)} | ${r.maxRssMb.toFixed(0)} |`);
  }
} finally {
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
}
