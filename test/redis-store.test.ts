// RedisStore beyond the conformance suite: URLs, the durability warning, the key
// layout version, outages (a server killed, a server frozen, nothing listening),
// scripts lost by the server, waitReplicas, secrets kept out of errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type SessionDbError } from '../src/index.js';
import { parseRedisUrl, RedisStore } from '../src/stores/redis/index.js';
import { translateRedisError } from '../src/stores/redis/errors.js';
import { freePort } from './pg-helpers.js';
import {
  deletePrefix,
  REDIS_URL,
  redisBinaryMissingReason,
  redisCli,
  redisUnavailableReason,
  startRedisServer,
  uniquePrefix,
  withPrefix,
  type TestServer,
} from './redis-helpers.js';

async function failure(promise: Promise<unknown>): Promise<{ error: SessionDbError; ms: number }> {
  const started = Date.now();
  try {
    await promise;
  } catch (error) {
    return { error: error as SessionDbError, ms: Date.now() - started };
  }
  throw new Error('expected the call to fail');
}

describe('parseRedisUrl', () => {
  it('reads servers, clusters, TLS, credentials, the database and the options', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6380/2')).toEqual({ nodes: [{ host: '127.0.0.1', port: 6380 }], cluster: false, tls: false, database: 2 });
    expect(parseRedisUrl('rediss://ada:p%40ss@cache.example:6390?prefix=app1:&connectTimeoutMs=500&commandTimeoutMs=2000')).toEqual({
      nodes: [{ host: 'cache.example', port: 6390 }],
      cluster: false,
      tls: true,
      username: 'ada',
      password: 'p@ss',
      prefix: 'app1:',
      connectTimeoutMs: 500,
      commandTimeoutMs: 2000,
    });
    expect(parseRedisUrl('redis+cluster://:secret@h1:7001,h2:7002,[::1]:7003?waitReplicas=1&waitTimeoutMs=250')).toEqual({
      nodes: [{ host: 'h1', port: 7001 }, { host: 'h2', port: 7002 }, { host: '::1', port: 7003 }],
      cluster: true,
      tls: false,
      password: 'secret',
      waitReplicas: 1,
      waitTimeoutMs: 250,
    });
    expect(parseRedisUrl('redis://localhost').nodes).toEqual([{ host: 'localhost', port: 6379 }]);
    expect(parseRedisUrl('rediss+cluster://h:1').tls).toBe(true);
  });

  it('refuses what it cannot use, naming the part and never the password', () => {
    const bad = ['redis://h1:1,h2:2', 'redis://h:99999', 'redis://h/x', 'redis+cluster://h:1/3', 'redis://h?prefix=a{b}', 'redis://h?timeout=1', 'redis://h?commandTimeoutMs=-1', 'redis://:s3cr%ZZ@h'];
    for (const url of bad) {
      let message = '';
      try {
        parseRedisUrl(url);
      } catch (err) {
        expect((err as SessionDbError).code, url).toBe('invalid');
        message = (err as Error).message;
      }
      expect(message, url).not.toBe('');
      expect(message).not.toMatch(/s3cr/);
    }
  });
});

describe('translateRedisError', () => {
  it('server replies that mean the topology is changing are "unavailable"; other errors keep their message', () => {
    const code = (message: string) => (translateRedisError(new Error(message), 'h:1') as SessionDbError).code;
    expect(code('READONLY You can\'t write against a read only replica.')).toBe('unavailable');
    expect(code('CLUSTERDOWN The cluster is down')).toBe('unavailable');
    // A write landed, then its master was demoted before the WAIT that follows it.
    expect(code('ERR WAIT cannot be used with replica instances. Please also note that…')).toBe('unavailable');
    expect(code('ERR unknown command')).toBeUndefined();
  });
});

const unavailable = await redisUnavailableReason();
const binaryMissing = redisBinaryMissingReason();

describe.skipIf(unavailable)(`RedisStore on the local Redis${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  const prefixes: string[] = [];
  const prefix = () => {
    const p = uniquePrefix('store');
    prefixes.push(p);
    return p;
  };
  afterAll(async () => {
    for (const p of prefixes) await deletePrefix(REDIS_URL, p);
  });

  it('openStore opens a redis:// URL, migrated; the layout is versioned and a missing or newer one is refused', async () => {
    const p = prefix();
    const fresh = new RedisStore({ url: withPrefix(REDIS_URL, p) });
    expect(await fresh.migrationStatus()).toMatchObject({ current: 0, latest: 2, pending: [{ version: 1 }, { version: 2 }] });
    expect((await failure(fresh.getSession({ appName: 'a', userId: 'u', sessionId: 's' }))).error.message).toMatch(/migrate\(\)/);
    await fresh.close();
    const store = await openStore(withPrefix(REDIS_URL, p));
    expect(store.kind).toBe('redis');
    expect(await store.migrationStatus()).toEqual({ current: 2, latest: 2, pending: [] });
    await store.createSession({ appName: 'a', userId: 'u', id: 's' });
    await store.close();
    redisCli(6379, ['set', `${p}{g}:layout`, '3']);
    const newer = new RedisStore({ url: withPrefix(REDIS_URL, p) });
    expect((await failure(newer.migrate())).error.message).toMatch(/newer than this sessiondb knows/);
    expect((await failure(newer.getSession({ appName: 'a', userId: 'u', sessionId: 's' }))).error.message).toMatch(/Upgrade sessiondb/);
    await newer.close();
  });

  it('warns once, through the logger, when the server would lose acknowledged writes on a restart (appendonly no)', async () => {
    const appendonly = redisCli(6379, ['config', 'get', 'appendonly']).split('\n')[1];
    const warnings: string[] = [];
    const logger = { warn: (m: string) => void warnings.push(m), error: () => undefined };
    const store = new RedisStore({ url: withPrefix(REDIS_URL, prefix()), logger });
    await store.migrate();
    await store.createSession({ appName: 'a', userId: 'u', id: 's' });
    await store.getSession({ appName: 'a', userId: 'u', sessionId: 's' });
    await store.close();
    if (appendonly === 'no') {
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/appendonly no/);
    } else {
      expect(warnings).toEqual([]);
    }
  });

  it('nothing listening: calls fail "unavailable" within connectTimeoutMs, naming the server but never the password', async () => {
    const port = await freePort();
    const store = new RedisStore({ url: `redis://ada:hunter2@127.0.0.1:${port}/0`, connectTimeoutMs: 300 });
    for (let i = 0; i < 2; i++) {
      const { error, ms } = await failure(store.getSession({ appName: 'a', userId: 'u', sessionId: 's' }));
      expect(error.code).toBe('unavailable');
      expect(error.message).toContain(`127.0.0.1:${port}`);
      expect(error.message + String(error.stack)).not.toContain('hunter2');
      expect(ms).toBeLessThan(1500);
    }
    await store.close();
    expect((await failure(store.getSession({ appName: 'a', userId: 'u', sessionId: 's' }))).error.code).toBe('unavailable');
  });

  it('waitReplicas: a write no replica acknowledges fails "unavailable" after waitTimeoutMs', async () => {
    const store = new RedisStore({ url: withPrefix(REDIS_URL, prefix()), waitReplicas: 1, waitTimeoutMs: 100 });
    await store.migrate();
    const { error, ms } = await failure(store.createSession({ appName: 'a', userId: 'u', id: 's' }));
    expect(error.code).toBe('unavailable');
    expect(error.message).toMatch(/0 of 1 replicas/);
    expect(ms).toBeGreaterThanOrEqual(90);
    // It was stored on the master: the retry finds it.
    expect(await store.getSession({ appName: 'a', userId: 'u', sessionId: 's' }, { withEvents: false })).toMatchObject({ id: 's' });
    await store.close();
  });
});

describe.skipIf(binaryMissing)(`RedisStore when its server goes away${binaryMissing ? ` (skipped: ${binaryMissing})` : ''}`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startRedisServer(['--appendonly', 'yes', '--appendfsync', 'always']);
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('killed: calls fail "unavailable" at once, then work again once it is back, without reopening the store', async () => {
    const store = new RedisStore({ url: `redis://127.0.0.1:${server.port}`, connectTimeoutMs: 500, commandTimeoutMs: 500 });
    await store.migrate();
    const k = { appName: 'a', userId: 'u', sessionId: 's' };
    await store.createSession({ appName: 'a', userId: 'u', id: 's' });
    await store.appendEvents(k, [{ id: 'e1', author: 'u' }]);
    await server.stop('SIGKILL');
    for (const call of [() => store.appendEvents(k, [{ id: 'e2', author: 'u' }]), () => store.getSession(k), () => store.listSessions({ appName: 'a' })]) {
      const { error, ms } = await failure(call());
      expect(error.code).toBe('unavailable');
      expect(ms).toBeLessThan(1500);
    }
    await server.restart();
    let session = null;
    for (let i = 0; i < 50 && session === null; i++) {
      session = await store.getSession(k).catch(() => null);
      if (session === null) await new Promise((r) => setTimeout(r, 100));
    }
    expect(session?.events?.map((e) => e.id)).toEqual(['e1']);
    // The scripts died with the server: they are sent again by themselves.
    expect((await store.appendEvents(k, [{ id: 'e2', author: 'u' }])).events[0]?.seq).toBe(2);
    await store.close();
  });

  it('frozen (SIGSTOP): calls fail "unavailable" within commandTimeoutMs, and work again when it resumes', async () => {
    const store = new RedisStore({ url: `redis://127.0.0.1:${server.port}?prefix=frozen:`, connectTimeoutMs: 500, commandTimeoutMs: 400 });
    await store.migrate();
    await store.createSession({ appName: 'a', userId: 'u', id: 's' });
    server.child.kill('SIGSTOP');
    try {
      const { error, ms } = await failure(store.appendEvents({ appName: 'a', userId: 'u', sessionId: 's' }, [{ id: 'x', author: 'u' }]));
      expect(error.code).toBe('unavailable');
      expect(ms).toBeGreaterThanOrEqual(350);
      expect(ms).toBeLessThan(1500);
    } finally {
      server.child.kill('SIGCONT');
    }
    // The append may or may not have landed; a retry with the same id is safe either way.
    const retry = await store.appendEvents({ appName: 'a', userId: 'u', sessionId: 's' }, [{ id: 'x', author: 'u' }]);
    expect(retry.events[0]?.seq).toBe(1);
    await store.close();
  });

  it('scripts flushed from the server are loaded again on the next call', async () => {
    const store = new RedisStore({ url: `redis://127.0.0.1:${server.port}?prefix=flush:` });
    await store.migrate();
    await store.createSession({ appName: 'a', userId: 'u', id: 's' });
    redisCli(server.port, ['script', 'flush']);
    expect((await store.appendEvents({ appName: 'a', userId: 'u', sessionId: 's' }, [{ author: 'u' }])).version).toBe(2);
    await store.close();
  });

  it('with requirepass: the right password works, a wrong one fails without appearing in the error', async () => {
    redisCli(server.port, ['config', 'set', 'requirepass', 'right-horse']);
    try {
      const good = new RedisStore({ url: `redis://:right-horse@127.0.0.1:${server.port}?prefix=auth:` });
      await good.migrate();
      await good.close();
      const bad = new RedisStore({ url: `redis://:wrong-battery@127.0.0.1:${server.port}?prefix=auth:`, connectTimeoutMs: 500 });
      const { error } = await failure(bad.migrate());
      expect(error.message + String(error.stack)).not.toContain('wrong-battery');
      await bad.close();
    } finally {
      redisCli(server.port, ['-a', 'right-horse', '--no-auth-warning', 'config', 'set', 'requirepass', '']);
    }
  });
});
