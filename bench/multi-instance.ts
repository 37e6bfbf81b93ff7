/**
 * Throughput of 1, 2 and 3 `sessiondb serve` processes on one PostgreSQL database, with clients
 * spread over the instances:
 *  - independent: each client appends to its own session (no conflicts);
 *  - shared: clients append to 8 shared sessions with If-Match, retrying on 412.
 * Floor: the same independent appends made from this process straight into a PostgresStore
 * (one round trip each, no HTTP, no server process), at the same concurrency, in the same run.
 * CPU seconds of the servers, of PostgreSQL and of this load generator say what limits growth.
 *
 *   npm run bench:multi [-- --seconds 10 --clients 32]
 */
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { PostgresStore } from '../src/stores/postgres/index.js';
import { Latencies, startServe, timed, type ServeProcess } from './lib/serve.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const SECONDS = flag('--seconds', 10);
const CLIENTS = flag('--clients', 32);
const SHARED_SESSIONS = 8;
const PG_URL = process.env['SESSIONDB_BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `sdb_bench_multi_${process.pid}`;
const db = `${PG_URL}?schema=${schema}`;
const text = 'The quick brown fox jumps over the lazy dog. '.repeat(7).slice(0, 300);

/** Ticks (user + system) of every PostgreSQL process (the postmaster and its backends), by pid. */
function postgresTicks(): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      const fields = stat.split(') ')[1]!.split(' ');
      out.set(Number(pid), Number(fields[11]) + Number(fields[12]));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/**
 * CPU seconds PostgreSQL spends over a window. Backends come and go (a pool closes them), so
 * their ticks are sampled every 100 ms and a backend's last sample counts even after it exits.
 */
function postgresCpuMeter(): { stop(): number } {
  const first = postgresTicks();
  const last = new Map(first);
  const sample = () => {
    for (const [pid, ticks] of postgresTicks()) last.set(pid, ticks);
  };
  const timer = setInterval(sample, 100);
  return {
    stop() {
      clearInterval(timer);
      sample();
      let ticks = 0;
      for (const [pid, t] of last) ticks += t - (first.get(pid) ?? 0);
      return ticks / 100;
    },
  };
}

const selfCpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

interface Result {
  appends: number;
  latencies: Latencies;
  conflicts: number;
  cpu: { servers: number; postgres: number; client: number };
}

async function measure(servers: ServeProcess[], work: (client: number, until: number, lat: Latencies) => Promise<number>): Promise<Result> {
  const latencies = new Latencies();
  const before = { servers: servers.map((s) => s.cpuSeconds()), client: selfCpuSeconds() };
  const postgres = postgresCpuMeter();
  const until = performance.now() + SECONDS * 1000;
  const conflicts = (await Promise.all(Array.from({ length: CLIENTS }, (_, c) => work(c, until, latencies)))).reduce((a, b) => a + b, 0);
  return {
    appends: latencies.count,
    latencies,
    conflicts,
    cpu: {
      servers: servers.reduce((sum, s, i) => sum + s.cpuSeconds() - before.servers[i]!, 0),
      postgres: postgres.stop(),
      client: selfCpuSeconds() - before.client,
    },
  };
}

const event = (author: string) => JSON.stringify({ author, role: 'user', content: text, stateDelta: { last: author } });
const post = (url: string, body: string, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

async function independent(servers: ServeProcess[], round: string): Promise<Result> {
  for (let c = 0; c < CLIENTS; c++) await post(`${servers[c % servers.length]!.url}/v1/apps/bench/users/u${c}/sessions`, JSON.stringify({ id: `${round}-${c}` }));
  return measure(servers, async (c, until, lat) => {
    const url = `${servers[c % servers.length]!.url}/v1/apps/bench/users/u${c}/sessions/${round}-${c}/events`;
    while (performance.now() < until) await timed(lat, () => post(url, event(`c${c}`)));
    return 0;
  });
}

async function shared(servers: ServeProcess[], round: string): Promise<Result> {
  for (let s = 0; s < SHARED_SESSIONS; s++) await post(`${servers[0]!.url}/v1/apps/bench/users/shared/sessions`, JSON.stringify({ id: `${round}-${s}` }));
  return measure(servers, async (c, until, lat) => {
    const base = `${servers[c % servers.length]!.url}/v1/apps/bench/users/shared/sessions/${round}-${c % SHARED_SESSIONS}`;
    let conflicts = 0;
    while (performance.now() < until) {
      const t0 = performance.now();
      for (;;) {
        const head = await fetch(`${base}?events=0`);
        await head.body?.cancel();
        const res = await post(`${base}/events`, event(`c${c}`), { 'if-match': head.headers.get('etag')! });
        await res.body?.cancel();
        if (res.status === 201) break;
        if (res.status !== 412) {
          lat.fail(`${res.status}`);
          break;
        }
        conflicts++;
        await new Promise((r) => setTimeout(r, Math.random() * 5)); // jitter, as a polite client backs off
      }
      lat.add(performance.now() - t0); // until acknowledged, retries included
    }
    return conflicts;
  });
}

async function floor(): Promise<Result> {
  const store = new PostgresStore({ connectionString: PG_URL, schema, max: CLIENTS });
  await store.migrate();
  for (let c = 0; c < CLIENTS; c++) await store.createSession({ appName: 'bench', userId: `f${c}`, id: `floor-${c}` });
  const latencies = new Latencies();
  const before = { client: selfCpuSeconds() };
  const postgres = postgresCpuMeter();
  const until = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      const key = { tenant: 'default', appName: 'bench', userId: `f${c}`, sessionId: `floor-${c}` };
      while (performance.now() < until) {
        const t0 = performance.now();
        await store.appendEvents(key, [{ author: `c${c}`, role: 'user', content: text, stateDelta: { last: `c${c}` } }]);
        latencies.add(performance.now() - t0);
      }
    }),
  );
  const result = { appends: latencies.count, latencies, conflicts: 0, cpu: { servers: 0, postgres: postgres.stop(), client: selfCpuSeconds() - before.client } };
  await store.close();
  return result;
}

function row(name: string, r: Result, floorRate?: number): string {
  const rate = r.appends / SECONDS;
  const cpu = `${r.cpu.servers.toFixed(1)} / ${r.cpu.postgres.toFixed(1)} / ${r.cpu.client.toFixed(1)}`;
  const vsFloor = floorRate ? `${Math.round((rate / floorRate) * 100)}%` : '—';
  const conflicts = r.conflicts ? `${r.conflicts.toLocaleString('en-US')} (${((r.conflicts / (r.conflicts + r.appends)) * 100).toFixed(0)}%)` : '0';
  return `| ${name} | ${Math.round(rate).toLocaleString('en-US')} | ${r.latencies.percentile(50).toFixed(1)} | ${r.latencies.percentile(99).toFixed(1)} | ${conflicts} | ${r.latencies.errors} | ${cpu} | ${vsFloor} |`;
}

const admin = new pg.Client({ connectionString: PG_URL });
await admin.connect();
try {
  console.log(`sessiondb serve ×1..3 on one PostgreSQL, ${CLIENTS} clients, ${SECONDS} s per run; Node ${process.version}, ${(await import('node:os')).cpus().length} cores\n`);
  console.log('| run | appends/s | p50 ms | p99 ms | 412 conflicts | errors | CPU s: servers / PostgreSQL / client | of floor |');
  console.log('|---|---|---|---|---|---|---|---|');
  const floorResult = await floor();
  const floorRate = floorResult.appends / SECONDS;
  console.log(row('floor: PostgresStore in this process, no HTTP', floorResult));
  for (const n of [1, 2, 3]) {
    const servers: ServeProcess[] = [];
    for (let i = 0; i < n; i++) servers.push(await startServe(db));
    await independent(servers, `warm${n}`); // warm-up: connections, JIT, plans
    console.log(row(`${n} instance${n > 1 ? 's' : ''}, independent sessions`, await independent(servers, `ind${n}`), floorRate));
    console.log(row(`${n} instance${n > 1 ? 's' : ''}, ${SHARED_SESSIONS} shared sessions, If-Match`, await shared(servers, `sh${n}`)));
    for (const s of servers) await s.stop();
  }
} finally {
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
}
