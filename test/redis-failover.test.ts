// A Redis Cluster of three masters with a replica each loses a master (SIGKILL)
// while writers append: calls fail "unavailable" within the configured timeouts,
// work again once the replica is promoted, and every acknowledged append is
// still there (waitReplicas: 1 makes each acknowledged write reach a replica first).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../src/stores/redis/index.js';
import { redisBinaryMissingReason, redisCli, startRedisCluster, withPrefix, type TestCluster } from './redis-helpers.js';

const missing = redisBinaryMissingReason();

describe.skipIf(missing)(`RedisStore on a Redis Cluster when a master fails${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let cluster: TestCluster | null = null;
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, replicasEach: 1, nodeTimeoutMs: 1000 });
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('calls fail "unavailable" within the timeouts, never hang, succeed after the promotion, and lose nothing acknowledged', async () => {
    const timeouts = { commandTimeoutMs: 1000, connectTimeoutMs: 1000 };
    const url = withPrefix(cluster!.url, 'failover:');
    const keys = Array.from({ length: 8 }, (_, i) => ({ appName: 'app', userId: `u${i}`, sessionId: 's' }));
    // The sessions are created before the measured run with patient timeouts: a replica that has
    // just joined may take longer than 500 ms to acknowledge its first writes on a busy machine.
    const setup = new RedisStore({ url, waitReplicas: 1, waitTimeoutMs: 10_000, commandTimeoutMs: 15_000, connectTimeoutMs: 5_000 });
    await setup.migrate();
    for (const k of keys) await setup.createSession({ appName: k.appName, userId: k.userId, id: k.sessionId });
    await setup.close();
    const store = new RedisStore({ url, waitReplicas: 1, waitTimeoutMs: 500, ...timeouts });

    const acked = keys.map(() => [] as string[]);
    const failures: { code: unknown; ms: number; message: string }[] = [];
    let promotedAt = Infinity;
    const afterPromotion = keys.map(() => 0);
    let stop = false;
    const writers = keys.map(async (k, w) => {
      for (let i = 0; !stop; ) {
        const started = Date.now();
        try {
          await store.appendEvents(k, [{ id: `e${i}`, author: 'w', content: i }]);
          acked[w]!.push(`e${i}`);
          if (started > promotedAt) afterPromotion[w]!++;
          i++;
        } catch (err) {
          failures.push({ code: (err as { code?: unknown }).code, ms: Date.now() - started, message: String((err as Error)?.stack ?? err) });
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    });

    await new Promise((r) => setTimeout(r, 500));
    const victim = cluster!.masters[0]!;
    const replica = cluster!.replicas.find((r) => redisCli(r.port, ['info', 'replication']).includes(`master_port:${victim.port}`))!;
    await victim.stop('SIGKILL');
    const deadline = Date.now() + 20_000;
    while (!/role:master/.test(redisCli(replica.port, ['info', 'replication']))) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 50));
    }
    promotedAt = Date.now();
    // The old master comes back as the new master's replica, so that its shard can satisfy waitReplicas again.
    await victim.restart();
    while (afterPromotion.some((n) => n < 5) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    stop = true;
    await Promise.all(writers);
    await store.close();

    expect(afterPromotion.every((n) => n >= 5), `successes after the promotion: ${afterPromotion}`).toBe(true);
    expect(failures.length).toBeGreaterThan(0);
    for (const f of failures) {
      expect(f.code, f.message).toBe('unavailable');
      expect(f.ms).toBeLessThan(timeouts.commandTimeoutMs + timeouts.connectTimeoutMs + 500);
    }
    const reader = new RedisStore({ url });
    for (const [w, k] of keys.entries()) {
      const session = await reader.getSession(k);
      const ids = session!.events!.map((e) => e.id);
      expect(session!.events!.map((e) => e.seq)).toEqual(ids.map((_, i) => i + 1));
      expect(session!.eventCount).toBe(ids.length);
      const stored = new Set(ids);
      expect(acked[w]!.filter((id) => !stored.has(id)), `writer ${w}: acknowledged but lost`).toEqual([]);
    }
    await reader.close();
  }, 60_000);
});
