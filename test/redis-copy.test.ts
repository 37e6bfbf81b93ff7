// `sessiondb copy --verify` (the built binary) from SQLite to Redis to PostgreSQL to
// Redis to SQLite: every session, event, state scope and file record, exactly.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/index.js';
import { tempDir } from './helpers.js';
import { dropSchema, PG_URL, pgUnavailableReason, uniqueSchema } from './pg-helpers.js';
import { deletePrefix, REDIS_URL, redisUnavailableReason, uniquePrefix, withPrefix } from './redis-helpers.js';

const bin = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js');
const work = tempDir('redis-copy');
const redisUnavailable = await redisUnavailableReason();
const pgUnavailable = redisUnavailable ? null : await pgUnavailableReason();
const skipped = redisUnavailable ?? pgUnavailable;

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Sessions with every kind of field: fractional times, statuses, expiry, activity, all three state scopes, files. */
async function seed(url: string): Promise<void> {
  const store = await openStore(url);
  for (let i = 0; i < 14; i++) {
    const k = { tenant: i % 5 === 4 ? 'acme' : undefined, appName: i % 2 ? 'shop' : 'help', userId: `u${i % 3}`, sessionId: `s${i}-🙂` };
    await store.createSession({
      tenant: k.tenant, appName: k.appName, userId: k.userId, id: k.sessionId, model: i % 3 ? 'gemini-2.5-flash' : null,
      state: { n: i, nested: { a: [1, null, 'x'] }, 'app:v': i, 'user:u': `ü${i}` }, metadata: { title: `T${i}`, tags: ['a', 'b'] },
      createdAt: 1_700_000_000_000 + i, expiresAt: i % 4 === 0 ? 9_000_000_000_000.5 : null,
    });
    await store.appendEvents(k, Array.from({ length: 3 }, (_, j) => ({
      id: `e${j}`, timestamp: 1_700_000_001_000.25 + i * 10 + j, author: j % 2 ? 'bot' : 'user', role: j % 2 ? ('assistant' as const) : ('user' as const),
      invocationId: `inv-${i}`, content: j === 2 ? { parts: [{ text: `m${i}-${j}` }, { functionCall: { name: 'f', args: { x: j } } }] } : `m${i}-${j}`,
      stateDelta: { [`k${j}`]: j, 'temp:t': 1 }, metadata: j ? { usage: { tokens: j } } : undefined,
    })));
    if (i % 3 === 0) await store.recordActivity(k, { durationMs: 12.75, at: 1_700_000_002_000 + i });
    if (i % 7 === 1) await store.updateSession(k, { status: 'archived' });
  }
  await store.updateAppState({ appName: 'shop' }, { 'app:currency': 'EUR' });
  await store.updateUserState({ tenant: 'acme', appName: 'help', userId: 'lonely' }, { 'user:only': true });
  await store.putFile({ id: 'f1', name: 'a.pdf', size: 10, uploadedAt: 1_700_000_000_500, appName: 'help', userId: 'u0', sessionId: 's0-🙂', metadata: { pages: 2 } });
  await store.putFile({ tenant: 'acme', id: 'f2', name: 'b.pdf', uri: 's3://b/b.pdf', expiresAt: 9_000_000_000_000 });
  await store.close();
}

describe.skipIf(skipped !== null)(`sessiondb copy --verify with Redis${skipped ? ` (skipped: ${skipped})` : ''}`, () => {
  const prefixes = [uniquePrefix('copy'), uniquePrefix('copy')];
  const schema = uniqueSchema('rcopy');
  afterAll(async () => {
    for (const p of prefixes) await deletePrefix(REDIS_URL, p);
    await dropSchema(schema);
  });

  it('SQLite → Redis → PostgreSQL → Redis → SQLite, each copy verified clean, and a second copy skips everything', async () => {
    const sqliteA = `sqlite:${join(work, 'a.db')}`;
    const sqliteB = `sqlite:${join(work, 'b.db')}`;
    const redisA = withPrefix(REDIS_URL, prefixes[0]!);
    const redisB = withPrefix(REDIS_URL, prefixes[1]!);
    const pg = `${PG_URL}?schema=${schema}`;
    await seed(sqliteA);
    for (const [from, to] of [[sqliteA, redisA], [redisA, pg], [pg, redisB], [redisB, sqliteB]] as const) {
      const r = cli(['copy', '--from', from, '--to', to, '--verify', '--json']);
      expect(r.code, `${from} → ${to}: ${r.err}`).toBe(0);
      expect(JSON.parse(r.out)).toMatchObject({ sessions: 14, events: 42, files: 2, verify: { ok: true } });
    }
    expect(JSON.parse(cli(['copy', '--from', redisB, '--to', sqliteB, '--json']).out)).toMatchObject({ sessions: 0, skippedSessions: 14 });
    expect(JSON.parse(cli(['stats', '--json', '--db', redisB]).out)).toMatchObject({ store: 'redis', sessions: 14, events: 42, files: 2, archivedSessions: 2 });
    expect(cli(['copy', '--from', sqliteA, '--to', sqliteB, '--verify']).code).toBe(0);
  }, 60_000);
});
