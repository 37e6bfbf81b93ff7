/**
 * AdkSessionService against ADK's own DatabaseSessionService, on the same kind
 * of SQLite file and on the same local PostgreSQL, in one run:
 *  - appendEvent, one ADK event (~300 bytes of text and a state delta) per awaited call;
 *  - getSession with numRecentEvents 20 on a session of 1,000 events.
 * ADK is slow, so it runs fewer appends (after a shorter warm-up); rates are per second either way.
 *
 *   npm run bench:adk [-- --quick]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEvent, DatabaseSessionService, type BaseSessionService } from '@google/adk';
import pg from 'pg';
import { AdkSessionService } from '../src/adapters/adk/index.js';

const PG_URL = process.env['SESSIONDB_BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const quick = process.argv.includes('--quick');
const TEXT = 'The quick brown fox jumps over the lazy dog. '.repeat(7).slice(0, 300);
const event = (i: number) =>
  createEvent({ author: 'assistant', invocationId: 'inv-1', content: { role: 'model', parts: [{ text: TEXT }] }, actions: { stateDelta: { turn: i } } });

async function appendRate(svc: BaseSessionService, count: number, warmUp: number): Promise<number> {
  const session = await svc.createSession({ appName: 'bench', userId: 'u' });
  for (let i = 0; i < warmUp; i++) await svc.appendEvent({ session, event: event(-1 - i) }); // connections, caches, first pages
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await svc.appendEvent({ session, event: event(i) });
  return count / ((performance.now() - t0) / 1000);
}

const readers = new Map<BaseSessionService, string>();

/** Reads the newest 20 of a 1,000-event session; `fill` > 0 creates and fills that session first. */
async function lastTwentyRate(svc: BaseSessionService, fill: number, reads: number): Promise<number> {
  if (fill > 0) {
    const session = await svc.createSession({ appName: 'bench', userId: 'reader' });
    for (let i = 0; i < fill; i++) await svc.appendEvent({ session, event: event(i) });
    readers.set(svc, session.id);
  }
  const key = { appName: 'bench', userId: 'reader', sessionId: readers.get(svc)!, config: { numRecentEvents: 20 } };
  await svc.getSession(key);
  const t0 = performance.now();
  for (let i = 0; i < reads; i++) {
    const s = await svc.getSession(key);
    if (s?.events.length !== 20) throw new Error('expected 20 events');
  }
  return reads / ((performance.now() - t0) / 1000);
}

async function closeAdk(svc: DatabaseSessionService) {
  await (svc as unknown as { orm?: { close(): Promise<void> } }).orm?.close();
}

const dir = mkdtempSync(join(tmpdir(), 'sessiondb-bench-adk-'));
const database = `sdb_bench_adk_${process.pid}`;
const admin = new pg.Client({ connectionString: PG_URL });
await admin.connect();
await admin.query(`CREATE DATABASE ${database}`);
const adkPgUrl = new URL(PG_URL);
adkPgUrl.pathname = `/${database}`;
const oursSchema = `sdb_bench_adk_${process.pid}`;

const rows: string[] = [];
try {
  const plan = [
    {
      name: 'SQLite file',
      adk: () => new DatabaseSessionService(`sqlite://${join(dir, 'adk.db')}`),
      ours: () => new AdkSessionService(`sqlite:${join(dir, 'sessiondb.db')}`),
    },
    {
      name: 'PostgreSQL',
      adk: () => new DatabaseSessionService(adkPgUrl.toString()),
      ours: () => new AdkSessionService(`${PG_URL}?schema=${oursSchema}`),
    },
  ];
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rounds = quick ? 1 : 3;
  for (const p of plan) {
    const adk = p.adk();
    const ours = p.ours();
    const appends: { adk: number[]; ours: number[] } = { adk: [], ours: [] };
    const reads: { adk: number[]; ours: number[] } = { adk: [], ours: [] };
    // Rounds alternate the two systems so that machine noise hits both alike; medians are reported.
    for (let r = 0; r < rounds; r++) {
      appends.adk.push(await appendRate(adk, quick ? 100 : 300, 50));
      appends.ours.push(await appendRate(ours, quick ? 1000 : 3000, 500));
    }
    for (let r = 0; r < rounds; r++) {
      reads.adk.push(await lastTwentyRate(adk, r === 0 ? 1000 : 0, quick ? 50 : 200));
      reads.ours.push(await lastTwentyRate(ours, r === 0 ? 1000 : 0, quick ? 500 : 2000));
    }
    const [a1, o1, a2, o2] = [median(appends.adk), median(appends.ours), median(reads.adk), median(reads.ours)];
    rows.push(`| ${p.name} | appendEvent/s | ${Math.round(a1)} | ${Math.round(o1)} | ${(o1 / a1).toFixed(0)}× |`);
    rows.push(`| ${p.name} | getSession(last 20 of 1,000)/s | ${Math.round(a2)} | ${Math.round(o2)} | ${(o2 / a2).toFixed(0)}× |`);
    await closeAdk(adk);
    await ours.close();
  }
  console.log('Google ADK DatabaseSessionService vs sessiondb AdkSessionService (one awaited call at a time)');
  console.log('| database | operation | ADK | sessiondb | ratio |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) console.log(r);
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.query(`DROP SCHEMA IF EXISTS ${oursSchema} CASCADE`);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
}
