/**
 * PostgresStore against the raw `pg` floor, on the local server, in one run:
 *  1. append, one event per awaited call, one writer: the store vs one raw
 *     round trip per append doing the same insert, state upsert and update;
 *  2. the same with 8 concurrent writers (8 sessions, 8 connections);
 *  3. reading the last 20 events of a 10,000-event session vs a 100-event one.
 * Rounds alternate store and floor; medians are reported.
 *
 *   npm run bench:postgres             (SESSIONDB_BENCH_PG_URL overrides the server)
 *   npm run bench:postgres -- --quick
 */
import pg from 'pg';
import { PostgresStore } from '../src/stores/postgres/index.js';
import { uuidv7 } from '../src/index.js';

const URL_ = process.env['SESSIONDB_BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 3 : 5;
const N = quick ? 1000 : 3000;
const WRITERS = 8;
const TEXT = 'The quick brown fox jumps over the lazy dog. '.repeat(7).slice(0, 300);
const schema = `sdb_bench_${process.pid}`;
const event = (i: number) => ({ author: 'assistant', role: 'assistant' as const, invocationId: 'inv-1', content: [{ text: TEXT }], stateDelta: { turn: i } });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

const admin = new pg.Pool({ connectionString: URL_, max: WRITERS });
const store = new PostgresStore({ connectionString: URL_, schema, max: WRITERS });
await store.migrate();
const t = store.names;
const FLOOR_SQL = `
  WITH s AS (
    UPDATE ${t.sessions} SET event_count = event_count + 1, version = version + 1, updated_at = $5, last_activity_at = $5
     WHERE tenant = $1 AND app_name = $2 AND user_id = $3 AND id = $4
    RETURNING pk, event_count
  ), st AS (
    INSERT INTO ${t.sessionState} (session_pk, key, value) SELECT pk, 'turn', $8::jsonb FROM s
    ON CONFLICT (session_pk, key) DO UPDATE SET value = excluded.value
  )
  INSERT INTO ${t.events} (session_pk, seq, id, timestamp, author, role, invocation_id, content, state_delta, metadata)
  SELECT pk, event_count, $6, $5, 'assistant', 'assistant', 'inv-1', $7::jsonb, jsonb_build_object('turn', $8::jsonb), NULL FROM s`;

let sessionNo = 0;
async function newSession(): Promise<{ appName: string; userId: string; sessionId: string }> {
  const id = `s${++sessionNo}`;
  await store.createSession({ appName: 'bench', userId: 'u', id });
  return { appName: 'bench', userId: 'u', sessionId: id };
}

async function storeWriter(count: number): Promise<number[]> {
  const key = await newSession();
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await store.appendEvents(key, [event(i)]);
    latencies.push(performance.now() - t0);
  }
  return latencies;
}

async function floorWriter(count: number): Promise<number[]> {
  const key = await newSession();
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const e = event(i);
    const t0 = performance.now();
    await admin.query(FLOOR_SQL, ['default', key.appName, key.userId, key.sessionId, Date.now(), uuidv7(), JSON.stringify(e.content), JSON.stringify(i)]);
    latencies.push(performance.now() - t0);
  }
  return latencies;
}

async function rate(writers: number, fn: (n: number) => Promise<number[]>): Promise<{ rate: number; p50: number; p99: number }> {
  const per = Math.floor(N / writers) * (writers > 1 ? 2 : 1);
  const t0 = performance.now();
  const all = (await Promise.all(Array.from({ length: writers }, () => fn(per)))).flat();
  const seconds = (performance.now() - t0) / 1000;
  return { rate: all.length / seconds, p50: percentile(all, 0.5), p99: percentile(all, 0.99) };
}

async function lastTwentyMs(events: number): Promise<number> {
  const key = await newSession();
  for (let done = 0; done < events; done += 500) {
    await store.appendEvents(key, Array.from({ length: Math.min(500, events - done) }, (_, i) => event(done + i)));
  }
  await admin.query(`ANALYZE ${t.events}`);
  const times: number[] = [];
  for (let i = 0; i < 300; i++) {
    const t0 = performance.now();
    const s = await store.getSession(key, { lastEvents: 20 });
    times.push(performance.now() - t0);
    if (s?.events?.length !== 20) throw new Error('expected 20 events');
  }
  return median(times.slice(50));
}

try {
  await rate(1, storeWriter); // warm-up
  await rate(1, floorWriter);
  const results: Record<string, { rate: number; p50: number; p99: number }[]> = { store1: [], floor1: [], store8: [], floor8: [] };
  for (let r = 0; r < ROUNDS; r++) {
    results.floor1!.push(await rate(1, floorWriter));
    results.store1!.push(await rate(1, storeWriter));
    results.floor8!.push(await rate(WRITERS, floorWriter));
    results.store8!.push(await rate(WRITERS, storeWriter));
    if (process.env["BENCH_VERBOSE"]) console.error(`round ${r}`, JSON.stringify(Object.fromEntries(Object.entries(results).map(([k, v]) => [k, Math.round(v.at(-1)!.rate)]))));
  }
  const m = (k: string) => ({
    rate: median(results[k]!.map((x) => x.rate)),
    p50: median(results[k]!.map((x) => x.p50)),
    p99: median(results[k]!.map((x) => x.p99)),
  });
  const [s1, f1, s8, f8] = [m('store1'), m('floor1'), m('store8'), m('floor8')];
  const small = await lastTwentyMs(100);
  const large = await lastTwentyMs(10_000);
  const row = (name: string, x: { rate: number; p50: number; p99: number }) =>
    `| ${name} | ${Math.round(x.rate)} | ${x.p50.toFixed(3)} | ${x.p99.toFixed(3)} |`;
  console.log(`PostgreSQL append, 1 event per awaited call, ${ROUNDS} rounds (medians)`);
  console.log('| system | events/s | p50 ms | p99 ms |');
  console.log('|---|---|---|---|');
  console.log(row('raw pg, one round trip per append (floor), 1 writer', f1));
  console.log(row('PostgresStore.appendEvents, 1 writer', s1));
  console.log(row(`raw pg floor, ${WRITERS} writers`, f8));
  console.log(row(`PostgresStore.appendEvents, ${WRITERS} writers`, s8));
  console.log(`store / floor: ${((s1.rate / f1.rate) * 100).toFixed(1)} % (1 writer), ${((s8.rate / f8.rate) * 100).toFixed(1)} % (${WRITERS} writers)`);
  console.log(`getSession last 20 events: ${small.toFixed(3)} ms on a 100-event session, ${large.toFixed(3)} ms on a 10,000-event session (ratio ${(large / small).toFixed(2)})`);
} finally {
  await store.close();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
}
