/**
 * Soak: a real `sessiondb serve` under a steady mixed load through the HTTP API — appends (with
 * state deltas), reads of a session with its newest events, listings (followed by cursor), new
 * sessions, and an admin sweep every 10 s — on SQLite, then on PostgreSQL. Every window it
 * prints throughput, p99 latency, errors and the server's resident memory; at the end, whether
 * memory stayed flat and whether any request failed (exit 1 if so).
 *
 *   npm run bench:soak                      # 10 minutes: 5 on SQLite, 5 on PostgreSQL
 *   npm run bench:soak -- --minutes 60 --backend postgres
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Latencies, startServe, timed, type ServeProcess } from './lib/serve.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : fallback;
};
const MINUTES = Number(option('--minutes', '10'));
const BACKEND = option('--backend', 'both');
const CLIENTS = Number(option('--clients', '16'));
const backends = BACKEND === 'both' ? ['sqlite', 'postgres'] : [BACKEND];
if (!backends.every((b) => b === 'sqlite' || b === 'postgres') || !(MINUTES > 0)) {
  console.error('usage: bench/soak.ts [--minutes N (total, default 10)] [--backend sqlite|postgres|both] [--clients N]');
  process.exit(2);
}
const PG_URL = process.env['SESSIONDB_BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const SECONDS_PER_BACKEND = (MINUTES * 60) / backends.length;
const WINDOW_SECONDS = SECONDS_PER_BACKEND >= 300 ? 30 : 10;
const SWEEP_EVERY_MS = 10_000;
const text = 'The quick brown fox jumps over the lazy dog. '.repeat(7).slice(0, 300);

type Op = 'append' | 'read' | 'list' | 'create' | 'sweep';
const OPS: [Op, number][] = [['append', 0.6], ['read', 0.2], ['list', 0.15], ['create', 0.05]];

interface Window {
  ops: number;
  errors: number;
  p99: number;
  rssMiB: number;
}

function pickOp(): Op {
  let r = Math.random();
  for (const [op, weight] of OPS) if ((r -= weight) < 0) return op;
  return 'append';
}

async function soak(name: string, server: ServeProcess): Promise<{ windows: Window[]; all: Map<Op, Latencies> }> {
  const base = server.url;
  const json = (method: string, path: string, body?: unknown) =>
    fetch(base + path, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const sessions: string[] = [];
  let created = 0;
  const newSession = async (lat: Latencies) => {
    const n = created++;
    const id = `s${n}`;
    const user = `u${n % 50}`;
    const res = await timed(lat, () => json('POST', `/v1/apps/soak/users/${user}/sessions`, { id, metadata: { title: `Soak session ${id}` } }));
    await res?.body?.cancel();
    if (res) sessions.push(`/v1/apps/soak/users/${user}/sessions/${id}`);
  };
  const all = new Map<Op, Latencies>(['append', 'read', 'list', 'create', 'sweep'].map((op) => [op as Op, new Latencies()]));
  for (let i = 0; i < 200; i++) await newSession(all.get('create')!);

  const windows: Window[] = [];
  let window = new Latencies();
  const started = performance.now();
  const until = started + SECONDS_PER_BACKEND * 1000;
  const cursors: (string | null)[] = Array.from({ length: CLIENTS }, () => null);

  async function client(c: number): Promise<void> {
    while (performance.now() < until) {
      const op = pickOp();
      const lat = all.get(op)!;
      const t0 = performance.now();
      let res: Response | null = null;
      if (op === 'append') {
        const s = sessions[Math.floor(Math.random() * sessions.length)]!;
        res = await timed(lat, () => json('POST', `${s}/events`, { author: 'user', role: 'user', content: text, stateDelta: { turn: c, [`user:seen${c % 4}`]: Date.now() } }));
      } else if (op === 'read') {
        res = await timed(lat, () => json('GET', `${sessions[Math.floor(Math.random() * sessions.length)]!}?events=20`));
      } else if (op === 'list') {
        res = await timed(lat, () => json('GET', `/v1/sessions?appName=soak&limit=50${cursors[c] ? `&cursor=${encodeURIComponent(cursors[c]!)}` : ''}`));
        if (res) {
          cursors[c] = ((await res.json()) as { nextCursor: string | null }).nextCursor;
          res = null; // body consumed
        }
      } else {
        await newSession(lat);
      }
      await res?.body?.cancel();
      window.add(performance.now() - t0); // failures are counted in lat.errors as well
    }
  }

  async function sweeper(): Promise<void> {
    while (performance.now() < until) {
      await new Promise((r) => setTimeout(r, SWEEP_EVERY_MS));
      const res = await timed(all.get('sweep')!, () => json('POST', '/v1/admin/sweep', {}));
      await res?.body?.cancel();
    }
  }

  const sampler = setInterval(() => {
    const errors = [...all.values()].reduce((n, l) => n + l.errors, 0);
    windows.push({ ops: window.count, errors, p99: window.percentile(99), rssMiB: server.rssMiB() });
    const w = windows.at(-1)!;
    const minute = ((performance.now() - started) / 60_000).toFixed(1);
    console.log(`  ${name} ${minute.padStart(5)} min: ${Math.round(w.ops / WINDOW_SECONDS).toLocaleString('en-US').padStart(6)} ops/s, p99 ${w.p99.toFixed(1)} ms, errors ${w.errors}, RSS ${w.rssMiB.toFixed(0)} MiB`);
    window = new Latencies();
  }, WINDOW_SECONDS * 1000);
  await Promise.all([...Array.from({ length: CLIENTS }, (_, c) => client(c)), sweeper()]);
  clearInterval(sampler);
  return { windows, all };
}

const summary: string[] = [];
let failed = false;
for (const backend of backends) {
  let db: string;
  let cleanup: () => Promise<void>;
  if (backend === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'sessiondb-soak-'));
    db = `sqlite:${join(dir, 'sessions.db')}`;
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    const schema = `sdb_soak_${process.pid}`;
    db = `${PG_URL}?schema=${schema}`;
    cleanup = async () => {
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    };
  }
  const server = await startServe(db);
  console.log(`\n${backend}: ${(SECONDS_PER_BACKEND / 60).toFixed(1)} min, ${CLIENTS} clients (60% append, 20% read, 15% list, 5% create; a sweep every 10 s), a line every ${WINDOW_SECONDS} s`);
  try {
    const { windows, all } = await soak(backend, server);
    const ops = [...all.values()].reduce((n, l) => n + l.count, 0);
    const errors = [...all.values()].reduce((n, l) => n + l.errors, 0);
    // Memory: the highest RSS in the first fifth of the run (after the first window's warm-up) against the last fifth.
    const fifth = Math.max(1, Math.floor(windows.length / 5));
    const early = Math.max(...windows.slice(1, 1 + fifth).map((w) => w.rssMiB));
    const late = Math.max(...windows.slice(-fifth).map((w) => w.rssMiB));
    const flat = late <= early * 1.1 + 10;
    const p99 = [...all.entries()].map(([op, l]) => `${op} ${l.percentile(99).toFixed(1)}`).join(', ');
    summary.push(
      `| ${backend} | ${(SECONDS_PER_BACKEND / 60).toFixed(1)} | ${Math.round(ops / SECONDS_PER_BACKEND).toLocaleString('en-US')} | ${p99} | ${errors} | ${early.toFixed(0)} → ${late.toFixed(0)} (${flat ? 'flat' : 'GROWING'}) |`,
    );
    if (errors > 0 || !flat) failed = true;
    for (const [op, l] of all) for (const sample of l.errorSamples) console.error(`  ${backend} ${op} failed: ${sample}`);
  } finally {
    await server.stop();
    await cleanup();
  }
}
console.log('\n| store | minutes | ops/s | p99 ms by operation | errors | server RSS MiB, early → late |');
console.log('|---|---|---|---|---|---|');
for (const line of summary) console.log(line);
if (failed) {
  console.error('\nFAILED: errors above 0 or memory growing');
  process.exit(1);
}
