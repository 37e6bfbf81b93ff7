/**
 * `sessiondb copy --verify` between MongoDB and SQLite, both directions, through the built
 * binary (npm run build first). The MongoDB side is the wire-protocol stand-in
 * (test/fixtures/mongo-standin.py; not MongoDB: what it cannot prove is listed there).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../src/index.js';
import { tempDir } from './helpers.js';
import { lazyStandIn, standInUnavailableReason, uniqueDatabase, withDatabase } from './mongo-helpers.js';

const bin = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js');
const work = tempDir('mongo-cli');
const unavailable = standInUnavailableReason();

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Sessions with events, all three state scopes, and file records, in two tenants. */
async function seed(url: string, sessions: number): Promise<void> {
  const store = await openStore(url);
  for (let i = 0; i < sessions; i++) {
    const k = { tenant: i % 5 ? 'default' : 'acme', appName: i % 2 ? 'shop' : 'help', userId: `u${i % 3}`, sessionId: `s${i}` };
    await store.createSession({ ...k, id: k.sessionId, state: { n: i, 'app:v': 1, 'user:u': i, 'a.b': { '$c': i } }, metadata: { title: `T${i}` } });
    await store.appendEvents(k, Array.from({ length: 4 }, (_, j) => ({ author: j % 2 ? 'bot' : 'user', role: j % 2 ? ('assistant' as const) : ('user' as const), content: j === 3 ? { parts: [{ text: `m${i}` }] } : `m${i}-${j}`, stateDelta: { [`k${j}`]: j } })));
    if (i % 4 === 0) await store.recordActivity(k, { durationMs: 12.5 });
  }
  await store.putFile({ id: 'f1', name: 'a.pdf', appName: 'help', userId: 'u0', sessionId: 's6' });
  await store.putFile({ tenant: 'other', id: 'f2', name: 'b.pdf', expiresAt: 4_000_000_000_000 });
  await store.close();
}

describe.skipIf(unavailable !== null)(`sessiondb copy --verify between MongoDB (the stand-in) and SQLite${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  const standIn = lazyStandIn('standalone');

  it('SQLite → MongoDB → SQLite: every session, event, state key and file record, verified both ways', async () => {
    const mongo = withDatabase((await standIn()).url, uniqueDatabase('cli'));
    const source = `sqlite:${join(work, 'source.db')}`;
    const back = `sqlite:${join(work, 'back.db')}`;
    await seed(source, 24);
    expect(cli(['migrate', '--db', mongo]).out).toMatch(/mongodb: schema version 2 of 2/);
    const there = JSON.parse(cli(['copy', '--from', source, '--to', mongo, '--verify', '--json']).out);
    expect(there).toMatchObject({ sessions: 24, events: 96, files: 2, verify: { ok: true } });
    const again = JSON.parse(cli(['copy', '--from', source, '--to', mongo, '--json']).out);
    expect(again).toMatchObject({ sessions: 0, skippedSessions: 24 });
    const home = JSON.parse(cli(['copy', '--from', mongo, '--to', back, '--verify', '--json']).out);
    expect(home).toMatchObject({ sessions: 24, events: 96, files: 2, verify: { ok: true } });
    expect(JSON.parse(cli(['stats', '--json', '--db', mongo]).out)).toMatchObject({ store: 'mongodb', sessions: 24, events: 96, files: 2 });
    // A difference is found and named.
    const store = await openStore(mongo);
    await store.appendEvents({ appName: 'shop', userId: 'u1', sessionId: 's1' }, [{ author: 'intruder', content: 'x' }]);
    await store.close();
    const r = cli(['copy', '--from', source, '--to', mongo, '--verify']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/session default\/shop\/u1\/s1: differs/);
  }, 90_000);
});
