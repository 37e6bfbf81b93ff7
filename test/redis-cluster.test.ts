// The conformance suite on a Redis Cluster of three masters started here, and what
// happens when a process dies between a write's step in the session's slot and
// the steps in other slots (simulated by making those steps fail in one store).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../src/stores/redis/index.js';
import { runConformanceSuite } from '../src/testing/index.js';
import { deletePrefix, redisBinaryMissingReason, redisHarness, startRedisCluster, uniquePrefix, withPrefix, type TestCluster } from './redis-helpers.js';

const missing = redisBinaryMissingReason();

if (missing) {
  describe.skip(`RedisStore on a Redis Cluster (skipped: ${missing})`, () => {
    it('needs redis-server', () => undefined);
  });
} else {
  let cluster: TestCluster | null = null;
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  runConformanceSuite({ describe, it, skip: it.skip }, redisHarness('RedisStore (Redis Cluster, 3 masters)', () => cluster!.url));

  describe('RedisStore on a Redis Cluster: a process that dies between a write\'s steps', () => {
    /** Two stores on one prefix; the first "dies" after every write's step in the session's own slot. */
    async function pair() {
      const prefix = uniquePrefix('crash');
      const url = withPrefix(cluster!.url, prefix);
      const healthy = new RedisStore({ url });
      await healthy.migrate();
      const dying = new RedisStore({ url });
      (dying as unknown as { outbox: { apply(): Promise<never> } }).outbox.apply = async () => {
        throw new Error('process died');
      };
      return {
        healthy,
        dying,
        async done() {
          await Promise.all([healthy.close(), dying.close()]);
          await deletePrefix(cluster!.url, prefix);
        },
      };
    }

    it('an append whose app state and indexes were left behind is completed by the next read, and a retry of it is a no-op', async () => {
      const { healthy, dying, done } = await pair();
      try {
        const k = { appName: 'app', userId: 'u', sessionId: 's' };
        await healthy.createSession({ appName: 'app', userId: 'u', id: 's', createdAt: 1000 });
        const event = { id: 'e1', author: 'user', timestamp: 5000, stateDelta: { own: 1, 'user:v': 2, 'app:k': 3 } };
        await expect(dying.appendEvents(k, [event])).rejects.toThrow('process died');
        // The session's own slot has the event; the app-wide listing still has the old position.
        const listed = await healthy.listSessions({ appName: 'app' });
        expect(listed.sessions).toEqual([]); // its entry disagrees with the session: skipped (and repaired in the background)
        const read = await healthy.getSession(k);
        expect(read?.events?.map((e) => e.id)).toEqual(['e1']);
        expect(read?.state).toEqual({ own: 1, 'user:v': 2, 'app:k': 3 });
        expect(await healthy.getAppState({ appName: 'app' })).toEqual({ 'app:k': 3 });
        const again = await healthy.listSessions({ appName: 'app' });
        expect(again.sessions.map((s) => [s.id, s.updatedAt])).toEqual([['s', 5000]]);
        expect(await healthy.countSessions({ appName: 'app' })).toBe(1);
        // The client that saw the failure retries with the same id: nothing is stored twice.
        const retry = await healthy.appendEvents(k, [event]);
        expect(retry.events[0]?.seq).toBe(1);
        expect(retry.version).toBe(2);
        expect(await healthy.getAppState({ appName: 'app' })).toEqual({ 'app:k': 3 });
      } finally {
        await done();
      }
    });

    it('the next write of the session carries the pending steps with it, in order', async () => {
      const { healthy, dying, done } = await pair();
      try {
        const k = { appName: 'app', userId: 'u', sessionId: 's' };
        await healthy.createSession({ appName: 'app', userId: 'u', id: 's' });
        await expect(dying.appendEvents(k, [{ author: 'a', stateDelta: { 'app:k': 'first', 'app:only': 1 } }])).rejects.toThrow('process died');
        await healthy.appendEvents(k, [{ author: 'b', stateDelta: { 'app:k': 'second' } }]);
        expect(await healthy.getAppState({ appName: 'app' })).toEqual({ 'app:k': 'second', 'app:only': 1 });
        expect((await healthy.getSession(k, { withEvents: false }))?.version).toBe(3);
      } finally {
        await done();
      }
    });

    it('repairPending finds and applies entries nobody touched; a delete left behind stops being listed at once', async () => {
      const { healthy, dying, done } = await pair();
      try {
        for (const id of ['a', 'b', 'c']) await healthy.createSession({ appName: 'app', userId: `u-${id}`, id });
        await expect(dying.appendEvents({ appName: 'app', userId: 'u-a', sessionId: 'a' }, [{ author: 'x', stateDelta: { 'app:n': 1 } }])).rejects.toThrow('process died');
        await expect(dying.deleteSession({ appName: 'app', userId: 'u-b', sessionId: 'b' })).rejects.toThrow('process died');
        // The deleted session is gone from every listing and scan right away (index entries are checked against the session).
        expect((await healthy.listSessions({ appName: 'app' })).sessions.map((s) => s.id).sort()).toEqual(['c']);
        expect((await healthy.scanSessionKeys()).keys.map((key) => key.sessionId).sort()).toEqual(['a', 'c']);
        await new Promise((r) => setTimeout(r, 50)); // the listing's background repairs
        expect(await healthy.repairPending()).toBe(0); // the listing already repaired both
        await expect(dying.appendEvents({ appName: 'app', userId: 'u-c', sessionId: 'c' }, [{ author: 'x', stateDelta: { 'app:m': 2 } }])).rejects.toThrow('process died');
        expect(await healthy.repairPending()).toBe(1);
        expect(await healthy.getAppState({ appName: 'app' })).toEqual({ 'app:n': 1, 'app:m': 2 });
        expect(await healthy.countSessions({ appName: 'app' })).toBe(2);
        expect((await healthy.listSessions({ appName: 'app' })).sessions.map((s) => s.id).sort()).toEqual(['a', 'c']);
      } finally {
        await done();
      }
    });
  });
}
