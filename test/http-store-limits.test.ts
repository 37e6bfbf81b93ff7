// HttpStore against real spawned servers that push back: a rate limit (429 with Retry-After), a
// database locked by another process (503), and a tenant key asking for totals.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { HttpStore } from '../src/client/index.js';
import { copyStore, SqliteStore, verifyCopy } from '../src/index.js';
import { rejectsWith } from '../src/testing/index.js';
import { startServer, tempDir } from './helpers.js';

const dir = tempDir('http-limits');
const servers: { child: import('node:child_process').ChildProcess }[] = [];
afterAll(async () => {
  for (const s of servers) {
    if (s.child.exitCode !== null) continue;
    s.child.kill('SIGTERM');
    await new Promise((resolve) => s.child.once('exit', resolve));
  }
});

async function serve(name: string, yaml: string) {
  const cfg = join(dir, `${name}.yaml`);
  writeFileSync(cfg, yaml);
  const server = await startServer(['--config', cfg]);
  servers.push(server);
  return server;
}

/** The requests the server answered with `status`, from its /metrics. */
async function answered(url: string, status: number, headers: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { headers })).text();
  return [...text.matchAll(new RegExp(`^sessiondb_http_requests_total\\{[^}]*status="${status}"\\} (\\d+)$`, 'gm'))].reduce((sum, m) => sum + Number(m[1]), 0);
}

describe('HttpStore and a server that pushes back', () => {
  it('a copy into a rate-limited server waits out each 429 (Retry-After) and completes, verified', async () => {
    const source = new SqliteStore({ path: join(dir, 'source.db') });
    await source.migrate();
    const sessions = 126; // the budget is 120 a minute (a burst of 120): the last few requests have to wait
    for (let i = 0; i < sessions; i++) {
      const key = { appName: 'shop', userId: `u${i % 7}`, sessionId: `s${i}` };
      await source.createSession({ appName: key.appName, userId: key.userId, id: key.sessionId, state: { n: i, 'user:tier': i % 7 } });
      await source.appendEvents(key, [{ author: 'user', content: `hello ${i}` }, { author: 'bot', content: 'hi', stateDelta: { seen: true } }]);
    }
    await source.updateAppState({ appName: 'shop' }, { 'app:plan': 'pro' });
    const db = join(dir, 'limited.db');
    const { url } = await serve('limited', `url: "sqlite:${db}"\nserver:\n  rateLimitPerMinute: 120\n`);
    const to = new HttpStore({ url });
    await to.migrate();
    const summary = await copyStore(source, to);
    expect(summary).toMatchObject({ sessions, skippedSessions: 0, events: 2 * sessions });
    expect(await answered(url, 429)).toBeGreaterThan(0); // it was pushed back, and waited
    const copied = new SqliteStore({ path: db });
    const report = await verifyCopy(source, copied);
    expect(report.differences).toEqual([]);
    expect(report.ok).toBe(true);
    await copied.close();
    await source.close();
  }, 60_000);

  it('429 retries are bounded: a Retry-After beyond the budget fails at once with the server\'s answer', async () => {
    const { url } = await serve('tiny', `url: "sqlite:${join(dir, 'tiny.db')}"\nserver:\n  rateLimitPerMinute: 1\n`);
    const store = new HttpStore({ url, retry: { budgetMs: 5_000 } });
    await store.listSessions({ appName: 'shop' }); // the one request of the minute
    const t0 = Date.now();
    const err = await rejectsWith(store.listSessions({ appName: 'shop' }), 'rate_limited');
    expect(Date.now() - t0).toBeLessThan(2_000); // Retry-After is about 60 s: not worth waiting within 5 s
    expect(err.message).toMatch(/Retry in \d+ s/);
    const capped = new HttpStore({ url, retry: { maxDelayMs: 200, budgetMs: 1_000 } });
    const t1 = Date.now();
    const again = await rejectsWith(capped.listSessions({ appName: 'shop' }), 'rate_limited');
    expect(Date.now() - t1).toBeGreaterThanOrEqual(600); // waits of at most 200 ms (plus jitter), retried until the budget was spent
    expect(again.message).toMatch(/gave up after \d+ retries/);
  }, 30_000);

  it('503 (database locked by another process): idempotent calls and appends are retried until it answers; other writes are not', async () => {
    const db = join(dir, 'locked.db');
    const { url } = await serve('locked', `url: "sqlite:${db}?busyTimeoutMs=50"\n`);
    const store = new HttpStore({ url });
    const key = { appName: 'shop', userId: 'u1', sessionId: 's1' };
    await store.createSession({ appName: 'shop', userId: 'u1', id: 's1' });
    const lock = new Database(db);
    lock.exec('BEGIN IMMEDIATE'); // another process holds the write lock
    const release = setTimeout(() => lock.exec('COMMIT'), 1_500);
    try {
      const refused = await rejectsWith(store.updateSession(key, { metadata: { a: 1 } }), 'unavailable'); // PATCH: not idempotent, not retried
      expect(refused.message).not.toContain(db); // the server's files are its own business
      const t0 = Date.now();
      const appended = await store.appendEvents(key, [{ author: 'user', content: 'waited' }]); // no id given: the client chose one, so a retry is a replay
      expect(Date.now() - t0).toBeGreaterThan(500);
      expect(appended.events[0]!.id).toMatch(/^[0-9a-f-]{36}$/);
      const put = await store.putFile({ id: 'f1', name: 'a.txt' }); // PUT: idempotent
      expect(put.name).toBe('a.txt');
    } finally {
      clearTimeout(release);
      if (lock.inTransaction) lock.exec('COMMIT');
      lock.close();
    }
    const events = (await store.readEvents(key))!.events;
    expect(events.map((e) => e.content)).toEqual(['waited']); // stored once
    expect(await answered(url, 503)).toBeGreaterThan(1);
  }, 30_000);

  it('`sessiondb stats --db http://…` with a tenant key prints that tenant\'s totals', async () => {
    const { url } = await serve(
      'tenants',
      `url: "sqlite:${join(dir, 'tenants.db')}"\nserver:\n  apiKeys:\n    - { tenant: acme, key: "acme-key-0123456789" }\n    - { tenant: globex, key: "globex-key-0123456789" }\n`,
    );
    const acme = new HttpStore({ url, apiKey: 'acme-key-0123456789' });
    const globex = new HttpStore({ url, apiKey: 'globex-key-0123456789' });
    await acme.createSession({ appName: 'shop', userId: 'u1', id: 'a1' });
    await acme.appendEvents({ appName: 'shop', userId: 'u1', sessionId: 'a1' }, [{ author: 'u', content: 'x' }, { author: 'u', content: 'y' }]);
    await globex.createSession({ appName: 'shop', userId: 'u1', id: 'g1' });
    await globex.createSession({ appName: 'shop', userId: 'u1', id: 'g2' });
    expect(await acme.stats()).toMatchObject({ sessions: 1, events: 2 }); // the key's own tenant: all it may see
    const cli = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn(process.execPath, [join(import.meta.dirname, '..', 'dist', 'cli', 'main.js'), 'stats', '--db', url, '--json'], {
        env: { PATH: process.env['PATH'] ?? '', SESSIONDB_API_KEY: 'globex-key-0123456789' },
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('close', (code) => resolve({ code, out, err }));
    });
    expect(cli.err).toBe('');
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.out)).toMatchObject({ store: 'http', sessions: 2, events: 0 });
  }, 30_000);
});
