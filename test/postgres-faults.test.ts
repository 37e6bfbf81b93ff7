import { afterAll, describe, expect, it } from 'vitest';
import { SessionDbError, type Logger } from '../src/index.js';
import { PostgresStore } from '../src/stores/postgres/index.js';
import { adminQuery, dropSchema, PG_URL, pgUnavailableReason, uniqueSchema } from './pg-helpers.js';
import { TcpProxy } from './tcp-proxy.js';

const unavailable = await pgUnavailableReason();
const TIMEOUT_MS = 1000;

/** Awaits `p`, returning its error (or null) and how long it took. */
async function outcome(p: Promise<unknown>): Promise<{ err: SessionDbError | null; ms: number }> {
  const t0 = Date.now();
  try {
    await p;
    return { err: null, ms: Date.now() - t0 };
  } catch (err) {
    return { err: err as SessionDbError, ms: Date.now() - t0 };
  }
}

describe.skipIf(unavailable !== null)(`PostgreSQL outages${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  const target = new URL(PG_URL);
  const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
  const schema = uniqueSchema('faults');
  let store: PostgresStore;
  const logged: string[] = [];
  const logger: Logger = {
    warn: (m, f) => logged.push(m + ' ' + JSON.stringify(f ?? {})),
    error: (m, f) => logged.push(m + ' ' + JSON.stringify(f ?? {})),
  };
  const key = { appName: 'faults', userId: 'u', sessionId: 's' };

  afterAll(async () => {
    await store?.close();
    await proxy.stop();
    await dropSchema(schema);
  });

  it('works through the proxy', async () => {
    await proxy.start();
    const viaProxy = new URL(PG_URL);
    viaProxy.port = String(proxy.port);
    viaProxy.password = 'never-shown-pw'; // trust auth ignores it; it must never appear in errors or logs
    store = new PostgresStore({
      connectionString: viaProxy.toString(),
      migrationConnectionString: PG_URL,
      schema,
      max: 4,
      statementTimeoutMs: TIMEOUT_MS,
      connectTimeoutMs: TIMEOUT_MS,
      logger,
    });
    await store.migrate();
    await store.createSession({ appName: key.appName, userId: key.userId, id: key.sessionId });
    await store.appendEvents(key, [{ id: 'before', author: 'u' }]);
  });

  const describeMode = { refuse: 'refuses connections', blackhole: 'hangs', stall: 'dies mid-query' } as const;
  for (const mode of ['refuse', 'blackhole', 'stall'] as const) {
    it(`when the network ${describeMode[mode]}, calls fail "unavailable" within the timeout and recover without a restart`, async () => {
      await Promise.all([store.getSession(key), store.getSession(key)]); // open connections to break
      proxy.cut(mode);
      const results = await Promise.all(
        [
          () => store.appendEvents(key, [{ id: `during-${mode}`, author: 'u' }]),
          () => store.getSession(key),
          () => store.listSessions({ appName: key.appName }),
        ].map((call) => outcome(call())),
      );
      for (const { err, ms } of results) {
        expect(err).toBeInstanceOf(SessionDbError);
        expect(err!.code).toBe('unavailable');
        expect(ms).toBeLessThan(TIMEOUT_MS * 3 + 500);
        expect(err!.message).not.toContain('never-shown-pw');
        expect(String((err as { cause?: { message?: string } }).cause?.message ?? '')).not.toContain('never-shown-pw');
      }
      proxy.restore();
      const r = await store.appendEvents(key, [{ id: `after-${mode}`, author: 'u' }]);
      expect(r.events[0]!.id).toBe(`after-${mode}`);
    }, 30_000);
  }

  it('an outage in the middle of a stream of appends leaves every acknowledged one stored and nothing half-applied', async () => {
    const acknowledged: string[] = [];
    let failures = 0;
    const writer = (async () => {
      for (let i = 0; i < 300; i++) {
        const id = `stream-${i}`;
        try {
          await store.appendEvents(key, [{ id, author: 'u', stateDelta: { last: i, 'user:last': i } }]);
          acknowledged.push(id);
        } catch (err) {
          expect((err as SessionDbError).code).toBe('unavailable');
          failures++;
        }
      }
    })();
    await new Promise((r) => setTimeout(r, 150));
    proxy.cut('refuse');
    await new Promise((r) => setTimeout(r, 300));
    proxy.restore();
    await writer;
    expect(failures).toBeGreaterThan(0);
    const session = await store.getSession(key);
    const ids = new Set(session!.events!.map((e) => e.id));
    for (const id of acknowledged) expect(ids.has(id)).toBe(true);
    // The counters, the history and the state agree: each append applied whole or not at all.
    expect(session!.events!.map((e) => e.seq)).toEqual(session!.events!.map((_, i) => i + 1));
    expect(session!.eventCount).toBe(session!.events!.length);
    const lastStream = [...session!.events!].reverse().find((e) => e.id.startsWith('stream-'))!;
    expect(session!.state['last']).toBe(Number(lastStream.id.slice('stream-'.length)));
  }, 60_000);

  it('backends terminated by the server: the call fails "unavailable", the process survives, the next call works', async () => {
    await store.getSession(key); // warm connections in the pool
    await adminQuery(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'sessiondb' AND pid <> pg_backend_pid()`);
    const first = await outcome(store.getSession(key));
    if (first.err) expect(first.err.code).toBe('unavailable');
    const again = await store.getSession(key);
    expect(again?.id).toBe(key.sessionId);
  }, 30_000);

  it('never writes the password to a log line', () => {
    for (const line of logged) expect(line).not.toContain('never-shown-pw');
  });

  it('a wrong host fails "unavailable" with the password redacted', async () => {
    const bad = new PostgresStore({ connectionString: 'postgres://app:hunter2-secret@127.0.0.1:1/x', connectTimeoutMs: 500 });
    const { err } = await outcome(bad.createSession({ appName: 'a', userId: 'u' }));
    expect(err?.code).toBe('unavailable');
    expect(err?.message).toContain('127.0.0.1:1/x');
    expect(err?.message).not.toContain('hunter2-secret');
    await bad.close();
  });
});
