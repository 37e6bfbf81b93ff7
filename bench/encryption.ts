/**
 * What encryption at rest costs: appends and reads through `EncryptedStore`
 * next to the bare store underneath (the floor), on SQLite and PostgreSQL,
 * plus the cost of sealing and opening one value alone. Each system gets its
 * own database (or schema); rounds alternate the order of the systems; medians.
 *
 *   npm run bench:encryption
 *   npm run bench:encryption -- --calls 2000 --rounds 5      (SESSIONDB_BENCH_PG_URL overrides the server)
 *
 * An append is one event (a 300-byte chat line, metadata, a one-key state
 * delta) in one call, awaited; a read is getSession with the last 20 events
 * (20 contents, deltas and metadata opened, plus the session's state and metadata).
 * It prints wall time and this process's CPU time per call: on a busy machine the
 * CPU time the wrapper adds is the steadier figure (PostgreSQL's own work is not in it).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { encryptStore, PostgresStore, sealedLimits, SqliteStore, type SessionStore } from '../src/index.js';
import { KeyRing } from '../src/encryption/keys.js';
import { eventPlace } from '../src/encryption/places.js';
import { Sealer } from '../src/encryption/sealer.js';

const PG_URL = process.env['SESSIONDB_BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const CALLS = arg('--calls', 2000);
const ROUNDS = arg('--rounds', 5);
const SESSIONS = 50;
const keys = [{ id: 'bench', key: randomBytes(32).toString('base64') }];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const line = 'The quick brown fox jumps over the lazy dog; the weather in Lisbon is sunny with a light breeze from the west. '.repeat(3).slice(0, 300);
const dir = mkdtempSync(join(tmpdir(), 'sessiondb-bench-encryption-'));
const schemas: string[] = [];

interface System {
  name: string;
  store: SessionStore;
}

async function systemsFor(backend: 'sqlite' | 'postgres'): Promise<System[]> {
  const open = (tag: string, limits?: ReturnType<typeof sealedLimits>): SessionStore => {
    if (backend === 'sqlite') return new SqliteStore({ path: join(dir, `${tag}.db`), limits });
    const schema = `sdb_bench_enc_${tag}_${process.pid}`;
    schemas.push(schema);
    return new PostgresStore({ connectionString: PG_URL, schema, max: 4, limits });
  };
  const bare = open('bare');
  const sealed = encryptStore(open('sealed', sealedLimits()), { keys });
  for (const s of [bare, sealed]) await s.migrate();
  return [
    { name: 'bare store', store: bare },
    { name: 'EncryptedStore', store: sealed },
  ];
}

const keyOf = (i: number) => ({ appName: 'bench', userId: `u${i % 5}`, sessionId: `s${i}` });

async function fill(store: SessionStore): Promise<void> {
  for (let i = 0; i < SESSIONS; i++) {
    await store.createSession({ ...keyOf(i), id: `s${i}`, metadata: { title: `Conversation ${i}` }, state: { step: 0, 'user:name': 'Ada' } });
    await store.appendEvents(keyOf(i), Array.from({ length: 20 }, (_, n) => ({ author: 'user', content: line, stateDelta: { step: n } })));
  }
}

/** Wall time and this process's CPU time (user + system) per call, in µs. CPU time stays meaningful on a busy machine. */
interface Cost {
  wall: number;
  cpu: number;
}

async function timed(work: () => Promise<void>): Promise<Cost> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await work();
  const cpu = process.cpuUsage(cpu0);
  return { wall: ((performance.now() - t0) * 1000) / CALLS, cpu: (cpu.user + cpu.system) / CALLS };
}

let counter = 0;
const appends = (store: SessionStore) =>
  timed(async () => {
    for (let i = 0; i < CALLS; i++) {
      await store.appendEvents(keyOf(i % SESSIONS), [{ author: 'user', content: line, metadata: { source: 'bench' }, stateDelta: { step: ++counter } }]);
    }
  });

const reads = (store: SessionStore) =>
  timed(async () => {
    for (let i = 0; i < CALLS; i++) await store.getSession(keyOf(i % SESSIONS), { lastEvents: 20 });
  });

/** Sealing and opening one 300-byte value, alone: the cryptography's own floor. */
function sealCost(): { seal: number; open: number } {
  const sealer = new Sealer(new KeyRing(keys));
  const place = eventPlace({ tenant: 'default', appName: 'bench', userId: 'u', sessionId: 's' }, { id: 'e' }, 'content');
  const n = 50_000;
  let sealed = sealer.sealValue(line, place);
  let t0 = performance.now();
  for (let i = 0; i < n; i++) sealed = sealer.sealValue(line, place);
  const seal = ((performance.now() - t0) * 1000) / n;
  t0 = performance.now();
  for (let i = 0; i < n; i++) sealer.openValue(sealed, place);
  return { seal, open: ((performance.now() - t0) * 1000) / n };
}

async function pgReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const rows: string[][] = [['backend', 'operation', 'bare µs', 'encrypted µs', 'ratio', 'bare CPU µs', 'encrypted CPU µs', 'CPU added µs']];
try {
  const crypto = sealCost();
  console.log(`sealing one 300-byte value: ${crypto.seal.toFixed(1)} µs; opening it: ${crypto.open.toFixed(1)} µs`);
  const backends: ('sqlite' | 'postgres')[] = ['sqlite'];
  if (await pgReachable()) backends.push('postgres');
  else console.log(`PostgreSQL unreachable at ${PG_URL}: SQLite only`);
  for (const backend of backends) {
    const systems = await systemsFor(backend);
    for (const s of systems) await fill(s.store);
    const times = new Map(systems.map((s) => [s.name, { append: [] as Cost[], read: [] as Cost[] }]));
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 ? [...systems].reverse() : systems;
      for (const s of order) times.get(s.name)!.append.push(await appends(s.store));
      for (const s of order) times.get(s.name)!.read.push(await reads(s.store));
    }
    for (const op of ['append', 'read'] as const) {
      const of = (name: string, part: keyof Cost) => median(times.get(name)![op].map((c) => c[part]));
      const [bare, sealed] = [of('bare store', 'wall'), of('EncryptedStore', 'wall')];
      const [bareCpu, sealedCpu] = [of('bare store', 'cpu'), of('EncryptedStore', 'cpu')];
      rows.push([
        backend,
        op === 'append' ? 'append (1 event)' : 'read (getSession, last 20 events)',
        bare.toFixed(0),
        sealed.toFixed(0),
        `${(sealed / bare).toFixed(2)}x`,
        bareCpu.toFixed(0),
        sealedCpu.toFixed(0),
        (sealedCpu - bareCpu).toFixed(0),
      ]);
    }
    for (const s of systems) await s.store.close();
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  console.log(`\n${CALLS} calls per round, ${ROUNDS} rounds, medians; Node ${process.version}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
} finally {
  rmSync(dir, { recursive: true, force: true });
  if (schemas.length) {
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }
}
